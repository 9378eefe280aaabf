"""Hostile and broken clients: garbage, huge bodies, ids that do not exist, subscribers
that stop reading or vanish. After each, the server still answers and a bystander
framework (subscribed, with a running task) is exactly as it was.
"""

from __future__ import annotations

import random
import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from mesos_client import (
    JSON,
    PROTOBUF,
    SCHEDULER_PATH,
    Event,
    Framework,
    HttpConnection,
    framework_info,
    request,
    shell_task,
    wait_until,
)

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2
from scheduler_api.http import MAX_CALL_BYTES

Call = scheduler_pb2.Call
Status = mesos_pb2.TaskStatus
Operation = mesos_pb2.Offer.Operation
RUNNING = mesos_pb2.TASK_RUNNING


class Bystander:
    """A well-behaved framework with a long-running task, checked after every abuse."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.fw = Framework(env.url)
        self.fw.subscribe(framework_info("bystander", failover_timeout=60))
        first, self.spare = self.fw.next_offers()  # one offer per agent; the second is kept
        self.fw.run_task("steady", "sleep 600", offer=first)
        self.fw.follow("steady", until=[RUNNING])

    def assert_intact(self) -> None:
        env, fw = self.env, self.fw
        assert request(env.url, "GET", "/health").status == 200
        assert not fw.events.ended.is_set(), fw.events.error
        assert fw.events.pending(lambda e: e.type == Event.ERROR) == []
        fw.accepted(fw.reconcile(("steady", None)))
        status = fw.events.take_update("steady")
        assert (status.state, status.reason) == (RUNNING, Status.REASON_RECONCILIATION)
        state = env.framework_state(fw.framework_id)
        assert state["connected"] and [(t["id"], t["state"]) for t in state["tasks"]] == [("steady", "TASK_RUNNING")]
        steady = [p for p in env.pods() if p["metadata"]["annotations"].get("mesos.apache.org/task-id") == "steady"]
        assert [p["status"]["phase"] for p in steady] == ["Running"]


@pytest.fixture
def bystander(env: Any) -> Iterator[Bystander]:
    watcher = Bystander(env)
    yield watcher
    watcher.fw.close()


def _deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


_RNG = random.Random(20260101)
GARBAGE: list[tuple[str, str, bytes]] = [
    ("random bytes as protobuf", PROTOBUF, _RNG.randbytes(4096)),
    ("random bytes as JSON", JSON, _RNG.randbytes(4096)),
    ("empty protobuf body", PROTOBUF, b""),
    ("empty JSON body", JSON, b""),
    ("JSON null", JSON, b"null"),
    ("JSON string", JSON, b'"SUBSCRIBE"'),
    ("invalid UTF-8 in JSON", JSON, b'{"type": "SUBSCRIBE\xff\xfe"}'),
    ("NaN in JSON", JSON, b'{"type": "REVIVE", "framework_id": {"value": NaN}}'),
    ("100000-deep JSON", JSON, _deep_json(100_000)),
    ("a number too big for any field", JSON, b'{"type": "DECLINE", "framework_id": {"value": "f"}, '
                                             b'"decline": {"offer_ids": [], "filters": {"refuse_seconds": 1e999}}}'),
    ("a list where a message belongs", JSON, b'{"type": "ACCEPT", "framework_id": [], "accept": {}}'),
    ("truncated protobuf", PROTOBUF, Framework("http://x:1").subscribe_call(framework_info("t")).SerializeToString()[:-3]),
    ("a protobuf length past the end", PROTOBUF, b"\x1a\xff\xff\xff\x0f\x0a"),
    ("protobuf wire type 7", PROTOBUF, b"\x0f\x00"),
]


@pytest.mark.parametrize(("content_type", "body"), [(c, b) for _, c, b in GARBAGE],
                         ids=[name for name, _, _ in GARBAGE])
def test_garbage_bodies_are_400(env: Any, bystander: Bystander, content_type: str, body: bytes) -> None:
    response = request(env.url, "POST", SCHEDULER_PATH, body, {"Content-Type": content_type,
                                                               "Accept": content_type})
    assert response.status == 400, response.text
    assert response.text.startswith(("Failed to parse body into", "Failed to convert JSON into Call protobuf",
                                     "Failed to validate scheduler::Call"))
    bystander.assert_intact()


def test_a_body_over_the_limit_gets_413_and_the_connection_stays_usable(env: Any, bystander: Bystander) -> None:
    connection = HttpConnection(env.url, timeout=30)
    huge = b"{" + b" " * (20 * 1024 * 1024) + b"}"
    response = connection.request("POST", SCHEDULER_PATH, huge, {"Content-Type": JSON})
    assert (response.status, response.text) == (413, f"Request body is larger than the limit of {MAX_CALL_BYTES} bytes")
    assert response.header("content-type") == "text/plain; charset=utf-8"
    # The whole body was read: the same connection serves the next request.
    after = connection.request("POST", SCHEDULER_PATH, b"{}", {"Content-Type": JSON})
    assert (after.status, after.text) == (400, "Failed to validate scheduler::Call: Expecting 'type' to be present")

    # Chunked, without a Content-Length, the same.
    connection.send_raw(b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % (1024 * 1024) + bytes(1024 * 1024) + b"\r\n"
    for _ in range(20):
        connection.send_raw(chunk)
    connection.send_raw(b"0\r\n\r\n")
    assert connection.read_response().status == 413
    connection.close()
    bystander.assert_intact()


def test_a_body_just_under_the_limit_is_parsed(env: Any, bystander: Bystander) -> None:
    padding = b" " * (MAX_CALL_BYTES - 100)
    response = request(env.url, "POST", SCHEDULER_PATH, b'{"type": "REVIVE"' + padding + b"}",
                       {"Content-Type": JSON}, timeout=30)
    assert (response.status, response.text) == (400, "Failed to validate scheduler::Call: "
                                                      "Expecting 'framework_id' to be present")
    bystander.assert_intact()


def test_absurd_content_length_and_broken_requests_do_no_harm(env: Any, bystander: Bystander) -> None:
    # Each of these gets a 400, or no answer, and in any case the connection is closed.
    broken = [
        # a declared body far beyond what the server will ever read
        b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10000000000\r\n\r\n{",
        b"HELLO\r\n\r\n",
        b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]
    for raw in broken:
        connection = HttpConnection(env.url)
        connection.send_raw(raw)
        try:
            response = connection.read_response()
        except (ConnectionError, OSError):
            response = None
        if response is not None:
            assert response.status == 400, raw
            with pytest.raises((ConnectionError, OSError)):
                connection.request("GET", "/health")
        connection.close()

    # A client that goes away in the middle of its body.
    connection = HttpConnection(env.url)
    connection.send_raw(b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 1000\r\n\r\n{\"type\":")
    connection.close()
    bystander.assert_intact()


def test_unknown_ids_in_every_call(env: Any, bystander: Bystander) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("confused"))
    fw.next_offers()
    master_id = env.state()["id"]
    ghost_offer = mesos_pb2.Offer()
    ghost_offer.id.value = f"{master_id}-O999999"
    ghost_agent = "no-such-agent"

    # ACCEPT of an offer that does not exist: each task is lost, each operation with an id fails.
    accept = fw.launch(ghost_offer, shell_task("ghost-task", ghost_agent, "true"))
    reserve = accept.accept.operations.add(type=Operation.RESERVE)
    reserve.id.value = "ghost-op"
    fw.accepted(accept)
    lost = fw.events.take_update("ghost-task")
    assert (lost.state, lost.reason, lost.source) == (mesos_pb2.TASK_LOST, Status.REASON_INVALID_OFFERS,
                                                      Status.SOURCE_MASTER)
    assert lost.message == f"Task launched with invalid offers: Offer {ghost_offer.id.value} is no longer valid"
    assert not lost.HasField("uuid")
    op = fw.events.take_type(Event.UPDATE_OPERATION_STATUS).update_operation_status.status
    assert (op.operation_id.value, op.state) == ("ghost-op", mesos_pb2.OPERATION_ERROR)
    assert op.message.startswith("Operation attempted with invalid offers: ")

    # Someone else's offer cannot be taken, and stays the other framework's.
    spare = bystander.spare
    fw.accepted(fw.launch(spare, shell_task("thief", spare.agent_id.value, "true")))
    refused = fw.events.take_update("thief")
    assert (refused.state, refused.reason) == (mesos_pb2.TASK_LOST, Status.REASON_INVALID_OFFERS)
    assert refused.message == (f"Task launched with invalid offers: Offer {spare.id.value} has invalid framework "
                               f"{bystander.fw.framework_id} while framework {fw.framework_id} is expected")
    assert spare.id.value in [o["id"] for o in env.framework_state(bystander.fw.framework_id)["offers"]]

    # KILL and RECONCILE of tasks nobody launched: an explicit reconciliation answer.
    fw.accepted(fw.kill("ghost-kill", ghost_agent))
    killed = fw.events.take_update("ghost-kill")
    fw.accepted(fw.reconcile(("ghost-reconcile", ghost_agent), ("ghost-reconcile-2", None)))
    for status in (killed, fw.events.take_update("ghost-reconcile"), fw.events.take_update("ghost-reconcile-2")):
        assert (status.state, status.reason) == (mesos_pb2.TASK_LOST, Status.REASON_RECONCILIATION)
        assert status.message == "Reconciliation: Task is unknown"
        assert not status.HasField("uuid")

    # Everything else with unknown ids is accepted and silently dropped.
    ack = Call(type=Call.ACKNOWLEDGE)
    ack.acknowledge.agent_id.value = ghost_agent
    ack.acknowledge.task_id.value = "ghost-task"
    ack.acknowledge.uuid = bytes(range(16))
    shutdown = Call(type=Call.SHUTDOWN)
    shutdown.shutdown.executor_id.value = "ghost-executor"
    shutdown.shutdown.agent_id.value = ghost_agent
    message = Call(type=Call.MESSAGE)
    message.message.agent_id.value = ghost_agent
    message.message.executor_id.value = "ghost-executor"
    message.message.data = b"hello?"
    decline = fw.decline([ghost_offer])
    accept_inverse = Call(type=Call.ACCEPT_INVERSE_OFFERS)
    accept_inverse.accept_inverse_offers.inverse_offer_ids.add().value = "ghost-inverse"
    decline_inverse = Call(type=Call.DECLINE_INVERSE_OFFERS)
    decline_inverse.decline_inverse_offers.inverse_offer_ids.add().value = "ghost-inverse"
    resource_request = Call(type=Call.REQUEST)
    resource_request.request.requests.add().agent_id.value = ghost_agent
    ack_operation = Call(type=Call.ACKNOWLEDGE_OPERATION_STATUS)
    ack_operation.acknowledge_operation_status.agent_id.value = ghost_agent
    ack_operation.acknowledge_operation_status.operation_id.value = "ghost-op"
    ack_operation.acknowledge_operation_status.uuid = bytes(16)
    reconcile_operations = Call(type=Call.RECONCILE_OPERATIONS)
    reconcile_operations.reconcile_operations.operations.add().operation_id.value = "ghost-op"
    suppress_role = Call(type=Call.SUPPRESS)
    suppress_role.suppress.roles.append("not-my-role")
    revive_role = Call(type=Call.REVIVE)
    revive_role.revive.roles.append("not-my-role")
    calls = [ack, shutdown, message, decline, accept_inverse, decline_inverse, resource_request, ack_operation,
             reconcile_operations, suppress_role, revive_role]
    responses = fw.pipeline([fw.prepare(c) for c in calls])
    assert [(r.status, r.body) for r in responses] == [(202, b"")] * len(calls)

    # The SUPPRESS naming a role that is not the framework's was dropped: offers still come.
    fw.events.discard(lambda e: e.type == Event.OFFERS)
    offers = [o for e in fw.events.received if e.type == Event.OFFERS for o in e.offers.offers]
    fw.accepted(fw.decline(offers, refuse_seconds=0))
    fw.next_offers()
    unexpected = fw.events.pending(lambda e: e.type in (Event.UPDATE, Event.ERROR, Event.FAILURE))
    assert unexpected == []
    assert env.framework_state(fw.framework_id)["connected"]
    fw.close()
    bystander.assert_intact()


def _framework_id_by_name(env: Any, name: str) -> str:
    def find() -> str:
        return next((f["id"] for f in env.state()["frameworks"] if f["name"] == name), "")
    return wait_until(find, message=f"framework {name!r} to subscribe")


def test_a_subscriber_that_never_reads_stalls_nobody_and_is_dropped(make_env: Any) -> None:
    env = make_env(shim={"stream_buffer_bytes": 1024 * 1024})
    bystander = Bystander(env)
    slow = Framework(env.url)
    slow.stream = slow.open_stream(framework_info("never-reads", failover_timeout=60), read=False,
                                   receive_buffer=4096)
    assert slow.stream.status == 200
    slow.framework_id = _framework_id_by_name(env, "never-reads")

    # Pile up events for it: every RECONCILE of 5000 unknown tasks is 5000 UPDATEs.
    flood = slow.reconcile(*[(f"nobody-{i}", None) for i in range(5000)])
    bystander.fw.run_task("during", "sleep 0.2", offer=bystander.spare)
    answers = []
    for _ in range(60):
        answers.append(slow.call(flood).status)
        # Everyone else is served meanwhile.
        assert request(env.url, "GET", "/health").status == 200
        assert bystander.fw.call(bystander.fw.simple(Call.REVIVE)).status == 202
        if answers[-1] != 202:
            break
    # Past its buffer the subscriber was dropped: disconnected, kept for its failover timeout.
    assert answers[-1] == 403, answers
    state = env.framework_state(slow.framework_id)
    assert state is not None and not state["connected"]
    assert slow.stream.stream_id != ""
    bystander.fw.follow("during", until=[mesos_pb2.TASK_FINISHED])
    bystander.assert_intact()

    # It can come back (with a reader this time).
    slow.stream.close()
    back = Framework(env.url)
    back.subscribe(framework_info("never-reads", failover_timeout=60), slow.framework_id)
    assert back.framework_id == slow.framework_id
    back.accepted(back.reconcile())
    back.close()
    bystander.fw.close()


def test_a_subscriber_that_vanishes_mid_stream_is_disconnected_then_removed(env: Any, bystander: Bystander) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("vanishing", failover_timeout=2))
    offers = fw.next_offers()
    fw.run_task("left-behind", "sleep 600", offer=offers[0])
    fw.follow("left-behind", until=[RUNNING])
    assert len(env.pods()) == 2

    # Events in flight, then a hard reset of the subscription socket.
    fw.accepted(fw.reconcile(*[(f"x{i}", None) for i in range(2000)]))
    sock = fw.events.sock
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    stream_id = fw.events.stream_id
    fw.events.close()

    def disconnected() -> dict[str, Any] | None:
        state = env.framework_state(fw.framework_id)
        return state if state is not None and not state["connected"] else None
    state = wait_until(disconnected, message="the framework to be disconnected")
    assert state is not None
    assert state["offers"] == []  # its offers were taken back
    assert [t["state"] for t in state["tasks"]] == ["TASK_RUNNING"]  # its task was not
    response = fw.call(fw.simple(Call.REVIVE), headers={"Mesos-Stream-Id": stream_id})
    assert (response.status, response.text) == (403, "Framework is not subscribed")
    bystander.assert_intact()

    # The failover timeout runs out: the framework is removed and its task's pod deleted.
    wait_until(lambda: fw.framework_id in [f["id"] for f in env.state()["completed_frameworks"]],
               message="the framework to be removed")
    wait_until(lambda: len(env.pods()) == 1, message="the vanished framework's pod to be deleted")
    fw.close()
    bystander.assert_intact()


def test_many_connections_at_once_do_not_starve_the_server(env: Any, bystander: Bystander) -> None:
    # Idle keep-alive connections and half-sent requests, then normal work goes on.
    idle = [HttpConnection(env.url) for _ in range(100)]
    for i, connection in enumerate(idle):
        if i % 2:
            connection.send_raw(b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\n")
    bystander.assert_intact()
    for connection in idle:
        connection.close()
    bystander.assert_intact()
