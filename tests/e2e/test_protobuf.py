"""What libmesos's V1 scheduler library (Aurora) does, byte for byte (mesos-api.md §11.3).

Protobuf bodies and `Accept: application/x-protobuf` to `/master/api/v1/scheduler`; the
subscription on its own connection; every other call on one persistent keep-alive
connection, several written before any answer is read (pipelining); the stream decoded
as RecordIO of binary `Event`s. Plus the lifecycle around it: acknowledgements and retries,
failover to a new connection, the failover timeout, and nodes that stop or vanish.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from mesos_client import (
    LIBMESOS_PATH,
    PROTOBUF,
    Event,
    Framework,
    RecordReader,
    framework_info,
    is_uuid,
    shell_task,
    states,
    wait_until,
)

from mesoshim.master import MasterConfig
from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

Call = scheduler_pb2.Call
Status = mesos_pb2.TaskStatus
PARTITION_AWARE = mesos_pb2.FrameworkInfo.Capability.PARTITION_AWARE


def test_subscribe_answers_a_protobuf_recordio_stream(env: Any) -> None:
    fw = Framework(env.url)
    stream = fw.open_stream(framework_info("aurora"))
    assert stream.status == 200
    assert stream.headers["content-type"] == PROTOBUF  # exactly, no parameters
    assert stream.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in stream.headers
    assert is_uuid(stream.stream_id)  # libmesos CHECK-fails on anything else

    # SUBSCRIBED, then a HEARTBEAT at once, then offers: one per agent.
    subscribed = stream.take_type(Event.SUBSCRIBED)
    assert stream.received[0] is subscribed
    assert stream.received[1].type == Event.HEARTBEAT
    master_id = env.state()["id"]
    assert subscribed.subscribed.framework_id.value == f"{master_id}-0000"
    # Mesos announces its 15 s beat; ours announces the configured one (0.5 s in these tests).
    assert subscribed.subscribed.heartbeat_interval_seconds == env.shim.config.heartbeat_interval
    info = subscribed.subscribed.master_info
    host, port = env.shim.config.host, env.shim.port
    assert (info.id, info.port, info.pid, info.version) == (master_id, port, f"master@{host}:{port}", "1.12.0")
    assert (info.address.ip, info.address.port) == (host, port)
    assert info.ip == 16777343  # 127.0.0.1 in network byte order, read as a host integer

    offers = stream.take_type(Event.OFFERS).offers.offers
    assert sorted(o.hostname for o in offers) == sorted(env.node_names)
    for offer in offers:
        assert offer.id.value.startswith(f"{master_id}-O")
        assert offer.framework_id.value == subscribed.subscribed.framework_id.value
        assert {r.name for r in offer.resources} == {"cpus", "mem", "disk", "ports"}
        assert not offer.HasField("allocation_info")  # not MULTI_ROLE
    stream.take_type(Event.HEARTBEAT)  # and heartbeats keep coming

    # The raw records are well-formed RecordIO payloads of single Events.
    framed = b"".join(b"%d\n" % len(r) + r for r in stream.records)
    assert RecordReader().feed(framed) == stream.records
    fw.close()


def test_pipelined_calls_on_one_keep_alive_connection_are_answered_in_order(env: Any) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("pipeliner"))
    offers = fw.next_offers()

    bad_ack = fw.acknowledge(Status(uuid=b"short"))
    bad_ack.acknowledge.task_id.value = "t"
    bad_ack.acknowledge.agent_id.value = "a"
    unknown = Call(type=Call.REVIVE)
    unknown.framework_id.value = "no-such-framework"
    calls = [fw.decline(offers, refuse_seconds=0), bad_ack, fw.simple(Call.SUPPRESS), unknown,
             fw.simple(Call.REVIVE), fw.reconcile(), fw.simple(Call.UNKNOWN)]
    responses = fw.pipeline(calls)
    assert [r.status for r in responses] == [202, 400, 202, 400, 202, 202, 501]
    assert [r.text for r in responses] == [
        "", "Failed to validate scheduler::Call: Not a valid UUID", "",
        "Framework cannot be found", "", "", "501 Not Implemented."]
    for response in responses:
        assert response.header("content-length") == str(len(response.body))

    # The same connection keeps serving, pipelined or not.
    assert fw.call(fw.simple(Call.REVIVE)).status == 202
    assert [r.status for r in fw.pipeline([fw.reconcile()] * 20)] == [202] * 20
    fw.next_offers()  # the REVIVE after SUPPRESS took effect
    fw.close()


def test_launch_finish_and_fail_with_exit_codes_and_acknowledgements(env: Any) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("runner"))
    offer = fw.next_offers()[0]
    agent = offer.agent_id.value
    fw.accepted(fw.launch(offer, shell_task("zero", agent, "exit 0"),
                          shell_task("three", agent, "echo bye; exit 3"),
                          shell_task("signal", agent, "kill -KILL $$")))

    finished = fw.follow("zero", until=[mesos_pb2.TASK_FINISHED])
    failed = fw.follow("three", until=[mesos_pb2.TASK_FAILED])
    signalled = fw.follow("signal", until=[mesos_pb2.TASK_FAILED])
    for updates in (finished, failed, signalled):
        assert states(updates)[0] == "TASK_STARTING"
        for status in updates:
            assert len(status.uuid) == 16  # reliable: retried until acknowledged
            assert status.agent_id.value == agent
            assert status.executor_id.value == status.task_id.value
            assert status.source == Status.SOURCE_EXECUTOR
    assert finished[-1].message == "Command exited with status 0"
    assert not finished[-1].HasField("reason")
    assert failed[-1].message == "Command exited with status 3"
    assert failed[-1].reason == Status.REASON_COMMAND_EXECUTOR_FAILED
    assert signalled[-1].message == "Command terminated with signal Killed"
    assert signalled[-1].reason == Status.REASON_COMMAND_EXECUTOR_FAILED

    # Acknowledged terminal tasks leave the master's task table and their pods go away.
    wait_until(lambda: env.framework_state(fw.framework_id)["tasks"] == [], message="tasks completed")
    wait_until(lambda: env.pods() == [], message="pods deleted")
    fw.accepted(fw.reconcile())  # implicit reconciliation knows nothing any more
    fw.accepted(fw.reconcile(("zero", None)))
    assert fw.events.take_update("zero").state == mesos_pb2.TASK_LOST
    assert fw.events.pending(lambda e: e.type == Event.UPDATE) == []
    fw.close()


def test_task_ids_that_are_no_kubernetes_names_and_a_burst_of_tasks(env: Any) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("odd-names"))
    offer = fw.next_offers()[0]
    agent = offer.agent_id.value
    odd = ["Ünïcødé task", "UPPER.case_and:colons", "x" * 255, "-leading-dash", "a..b"]
    burst = [f"burst-{i}" for i in range(30)]
    tasks = [shell_task(tid, agent, f"exit {i % 3}", cpus=0.05) for i, tid in enumerate(odd + burst)]
    fw.accepted(fw.launch(offer, *tasks))
    for i, tid in enumerate(odd + burst):
        expected = [mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_FAILED][i % 3]
        ended = fw.follow(tid, until=[expected], timeout=30)[-1]
        assert ended.message == f"Command exited with status {i % 3}"
    wait_until(lambda: env.pods() == [], timeout=15, message="every pod deleted")
    fw.close()


def test_a_kill_pipelined_behind_its_launch_kills_it_during_launch(env: Any) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("hasty"))
    offer = fw.next_offers()[0]
    agent = offer.agent_id.value
    launch = fw.launch(offer, shell_task("brief", agent, "sleep 600"),
                       shell_task("greedy", agent, "true", cpus=1000))
    again = fw.launch(offer, shell_task("twice", agent, "true"))
    # One write: the launch, a kill of the task it launches, a second use of the same offer.
    responses = fw.pipeline([launch, fw.kill("brief"), again])
    assert [r.status for r in responses] == [202, 202, 202]

    greedy = fw.events.take_update("greedy")
    assert (greedy.state, greedy.reason, greedy.source) == (mesos_pb2.TASK_ERROR, Status.REASON_TASK_INVALID,
                                                            Status.SOURCE_MASTER)
    twice = fw.events.take_update("twice")
    assert (twice.state, twice.reason) == (mesos_pb2.TASK_LOST, Status.REASON_INVALID_OFFERS)
    assert twice.message == f"Task launched with invalid offers: Offer {offer.id.value} is no longer valid"

    updates = fw.follow("brief", until=[mesos_pb2.TASK_KILLED])
    assert states(updates) == ["TASK_KILLED"]
    assert updates[-1].reason == Status.REASON_TASK_KILLED_DURING_LAUNCH
    assert len(updates[-1].uuid) == 16
    # The pod, created or not, does not outlive the kill.
    wait_until(lambda: env.pods() == [], message="no pod left")
    fw.close()


def test_teardown_ends_the_stream_and_removes_everything(env: Any) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("done"))
    fw.run_task("last", "sleep 600")
    fw.follow("last", until=[mesos_pb2.TASK_RUNNING])

    fw.accepted(fw.simple(Call.TEARDOWN))
    fw.events.wait_ended()
    assert fw.events.error is None  # the chunked body was terminated properly
    assert fw.events.received[-1].type != Event.ERROR
    wait_until(lambda: env.pods() == [], message="the pod to be deleted")
    state = env.state()
    assert state["frameworks"] == []
    [removed] = state["completed_frameworks"]
    assert [(t["id"], t["state"]) for t in removed["completed_tasks"]] == [("last", "TASK_KILLED")]
    response = fw.call(fw.simple(Call.REVIVE))
    assert (response.status, response.text) == (400, "Framework cannot be found")
    fw.close()


def test_offers_account_for_running_tasks(env: Any) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("accountant"))
    offer = fw.next_offers()[0]
    cpus = {r.name: r.scalar.value for r in offer.resources if r.name in ("cpus", "mem")}
    task = shell_task("holder", offer.agent_id.value, "sleep 600", cpus=1.5, mem=256)
    fw.accepted(fw.launch(offer, task, refuse_seconds=0))  # no filter on what is left

    def offered_on_agent() -> mesos_pb2.Offer | None:
        return next((o for o in fw.next_offers() if o.agent_id == offer.agent_id), None)
    rest = wait_until(offered_on_agent, message="the rest of the agent to be offered")
    assert rest is not None
    left = {r.name: r.scalar.value for r in rest.resources if r.name in ("cpus", "mem")}
    assert left == pytest.approx({"cpus": cpus["cpus"] - 1.5, "mem": cpus["mem"] - 256})
    fw.accepted(fw.decline([rest], refuse_seconds=0))

    # When the task ends (and its end is acknowledged) the whole agent is offered again.
    fw.follow("holder", until=[mesos_pb2.TASK_RUNNING])
    fw.accepted(fw.kill("holder"))
    fw.follow("holder", until=[mesos_pb2.TASK_KILLED])

    def whole_agent() -> bool:
        offers = fw.next_offers()
        mine = [o for o in offers if o.agent_id == offer.agent_id]
        if mine and next(r.scalar.value for r in mine[0].resources if r.name == "cpus") == cpus["cpus"]:
            return True
        fw.accepted(fw.decline(offers, refuse_seconds=0))
        return False
    wait_until(whole_agent, message="the whole agent to be offered again")
    fw.close()


def test_implicit_reconciliation_includes_unacknowledged_terminal_tasks(env: Any) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("reconciler"))
    fw.run_task("ended", "exit 0")
    # Acknowledge everything but the terminal update.
    while True:
        status = fw.events.take_update("ended", reliable=True)
        if status.state == mesos_pb2.TASK_FINISHED:
            break
        fw.accepted(fw.acknowledge(status))
    fw.accepted(fw.reconcile())
    reconciled = fw.events.take_update("ended", reliable=False)
    assert (reconciled.state, reconciled.reason) == (mesos_pb2.TASK_FINISHED, Status.REASON_RECONCILIATION)
    assert reconciled.message == "Reconciliation: Latest task state"

    # Once acknowledged, the task is forgotten: an implicit reconciliation says nothing of it.
    fw.accepted(fw.acknowledge(status))
    wait_until(lambda: env.framework_state(fw.framework_id)["tasks"] == [], message="task completed")
    fw.events.discard(lambda e: e.type == Event.UPDATE)
    fw.pipeline([fw.reconcile(), fw.reconcile(("marker", None))])
    fw.events.take_update("marker")  # the answers come in order: the implicit one had nothing
    assert fw.events.pending(lambda e: e.type == Event.UPDATE) == []
    fw.close()


def test_an_unacknowledged_update_is_retried_with_backoff_until_acknowledged(make_env: Any) -> None:
    env = make_env(master=MasterConfig(allocation_interval=0.2, status_update_retry_interval=0.2))
    fw = Framework(env.url)
    fw.subscribe(framework_info("forgetful"))
    fw.run_task("slow", "sleep 600")

    first = fw.events.take_update("slow")
    assert first.state == mesos_pb2.TASK_STARTING
    # The same update (same uuid) again and again; nothing newer while it is outstanding.
    started = time.monotonic()
    retries = [fw.events.take_update("slow", timeout=5) for _ in range(3)]
    assert all(r.uuid == first.uuid and r.state == mesos_pb2.TASK_STARTING for r in retries)
    assert time.monotonic() - started >= 0.2 + 0.4  # doubling: 0.2 s, 0.4 s, 0.8 s ...

    # The pod runs by now, but reconciliation answers with what the framework was told.
    wait_until(lambda: [p["status"].get("phase") for p in env.pods()] == ["Running"], message="pod running")
    fw.accepted(fw.reconcile(("slow", None)))
    reconciled = fw.events.take_update("slow", reliable=False)
    assert (reconciled.state, reconciled.reason) == (mesos_pb2.TASK_STARTING, Status.REASON_RECONCILIATION)

    # An acknowledgement with another uuid changes nothing.
    wrong = fw.acknowledge(first)
    wrong.acknowledge.uuid = bytes(16)
    fw.accepted(wrong)
    assert fw.events.take_update("slow", timeout=5).uuid == first.uuid

    # The right one releases the next update.
    fw.accepted(fw.acknowledge(first))
    running = fw.events.take_update("slow", mesos_pb2.TASK_RUNNING)
    fw.events.discard(lambda e: e.type == Event.UPDATE and e.update.status.uuid == first.uuid)
    fw.accepted(fw.acknowledge(running))
    time.sleep(1.0)  # longer than the first retry interval
    assert fw.events.pending(lambda e: e.type == Event.UPDATE) == []
    fw.close()


def test_resubscription_fails_over_the_old_stream(env: Any) -> None:
    first = Framework(env.url)
    old = first.subscribe(framework_info("failover", failover_timeout=60))
    used, spare = first.next_offers()
    first.run_task("kept", "sleep 600", offer=used)
    unacked = first.events.take_update("kept", mesos_pb2.TASK_STARTING)  # never acknowledged

    second = Framework(env.url)
    new = second.subscribe(framework_info("failover", failover_timeout=60), first.framework_id)
    assert second.framework_id == first.framework_id
    assert new.stream_id != old.stream_id and is_uuid(new.stream_id)
    assert new.received[1].type == Event.HEARTBEAT

    error = old.take_type(Event.ERROR)
    assert error.error.message == "Framework failed over"
    old.wait_ended()
    assert old.error is None  # a clean end of the chunked body
    assert old.received[-1].type == Event.ERROR

    # The outstanding update is sent again on the new stream, and only there counts.
    again = new.take(lambda e: e.type == Event.UPDATE and e.update.status.uuid == unacked.uuid)
    assert again.update.status.state == mesos_pb2.TASK_STARTING
    second.accepted(second.acknowledge(again.update.status))

    stale = first.call(first.simple(Call.REVIVE), headers={"Mesos-Stream-Id": old.stream_id})
    assert stale.status == 400
    assert stale.text == (f"The stream ID '{old.stream_id}' included in this request didn't match the stream ID "
                          f"currently associated with framework ID {first.framework_id}")
    second.follow("kept", until=[mesos_pb2.TASK_RUNNING])

    # Offers do not survive a failover: the old one is void, fresh ones come on the new stream.
    second.accepted(second.launch(spare, shell_task("stale", spare.agent_id.value, "true")))
    stale_offer = new.take_update("stale")
    assert (stale_offer.state, stale_offer.reason) == (mesos_pb2.TASK_LOST, Status.REASON_INVALID_OFFERS)
    assert spare.agent_id.value in [o.agent_id.value for o in second.next_offers()]
    second.accepted(second.kill("kept"))
    second.follow("kept", until=[mesos_pb2.TASK_KILLED])
    first.close()
    second.close()


def test_failover_timeout_expiry_removes_the_framework_and_kills_its_pods(env: Any) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("short-lived", failover_timeout=2))
    fw.run_task("orphan", "sleep 600")
    fw.follow("orphan", until=[mesos_pb2.TASK_RUNNING])
    stream_id = fw.events.stream_id
    fw.events.close()  # the scheduler goes away

    wait_until(lambda: not env.framework_state(fw.framework_id)["connected"], message="disconnected")
    response = fw.call(fw.simple(Call.REVIVE), headers={"Mesos-Stream-Id": stream_id})
    assert (response.status, response.text) == (403, "Framework is not subscribed")
    assert len(env.pods()) == 1  # still running during the failover timeout

    def removed() -> bool:
        return fw.framework_id in [f["id"] for f in env.state()["completed_frameworks"]]
    wait_until(removed, timeout=10, message="the failover timeout to remove the framework")
    wait_until(lambda: env.pods() == [], message="the task's pod to be deleted")
    completed = env.framework_state(fw.framework_id)
    assert [(t["id"], t["state"]) for t in completed["completed_tasks"]] == [("orphan", "TASK_KILLED")]

    gone = fw.call(fw.simple(Call.REVIVE), headers={"Mesos-Stream-Id": stream_id})
    assert (gone.status, gone.text) == (400, "Framework cannot be found")
    late = Framework(env.url).open_stream(framework_info("short-lived"), fw.framework_id)
    assert late.take_type(Event.ERROR).error.message == "Framework has been removed"
    late.wait_ended()
    fw.close()


def _run_on(fw: Framework, task_id: str, node: str) -> None:
    """Launch a long task on `node`, declining the other offers; wait until it runs."""
    while True:
        offers = fw.next_offers()
        mine = [o for o in offers if o.hostname == node]
        others = [o for o in offers if o.hostname != node]
        if others:
            fw.accepted(fw.decline(others, refuse_seconds=3600))
        if mine:
            fw.run_task(task_id, "sleep 600", offer=mine[0])
            fw.follow(task_id, until=[mesos_pb2.TASK_RUNNING])
            return


def test_a_silent_node_makes_its_tasks_unreachable_then_running_again(make_env: Any) -> None:
    env = make_env(cluster={"node_grace_period": 1.0})
    node = env.node_names[0]
    aware = Framework(env.url)
    aware.subscribe(framework_info("aware", capabilities=[PARTITION_AWARE]))
    legacy = Framework(env.url)
    legacy.subscribe(framework_info("legacy"))
    _run_on(aware, "pa", node)
    _run_on(legacy, "np", node)

    env.stop_heartbeat(node)
    unreachable = aware.events.take_update("pa", mesos_pb2.TASK_UNREACHABLE, timeout=15)
    lost = legacy.events.take_update("np", mesos_pb2.TASK_LOST, timeout=15)
    for status in (unreachable, lost):
        assert status.source == Status.SOURCE_MASTER
        assert status.reason == Status.REASON_AGENT_REMOVED
        assert not status.HasField("uuid")  # master-generated: not acknowledged
        assert status.agent_id.value
    assert env.state()["unreachable_slaves"] == 1

    env.call(env.cluster.nodes.resume_heartbeat, node)
    for fw, task_id in ((aware, "pa"), (legacy, "np")):
        back = fw.events.take_update(task_id, mesos_pb2.TASK_RUNNING, timeout=15)
        assert back.reason == Status.REASON_AGENT_REREGISTERED
        assert back.source == Status.SOURCE_MASTER
    aware.close()
    legacy.close()


def test_a_deleted_node_loses_its_tasks_and_is_reported_as_a_failure(make_env: Any) -> None:
    env = make_env(cluster={"nodes": 3})
    node = env.node_names[0]
    aware = Framework(env.url)
    aware.subscribe(framework_info("aware", capabilities=[PARTITION_AWARE]))
    legacy = Framework(env.url)
    legacy.subscribe(framework_info("legacy"))
    _run_on(aware, "pa", node)
    _run_on(legacy, "np", node)
    agent_id = next(a["id"] for a in env.state()["slaves"] if a["hostname"] == node)

    env.remove_node(node)
    gone = aware.events.take_update("pa", mesos_pb2.TASK_GONE)
    lost = legacy.events.take_update("np", mesos_pb2.TASK_LOST)
    for fw, status in ((aware, gone), (legacy, lost)):
        assert status.source == Status.SOURCE_MASTER
        assert status.reason == Status.REASON_AGENT_REMOVED
        assert status.agent_id.value == agent_id
        assert not status.HasField("uuid")
        failure = fw.events.take_type(Event.FAILURE).failure
        assert failure.agent_id.value == agent_id
        assert not failure.HasField("executor_id")  # an agent, not an executor
    assert agent_id not in [a["id"] for a in env.state()["slaves"]]

    # The survivors keep working: a task on another node still runs to completion.
    aware.accepted(aware.simple(Call.REVIVE))  # _run_on declined the other agents for an hour
    other = next(o for o in aware.next_offers() if o.hostname != node)
    aware.run_task("after", "exit 0", offer=other)
    aware.follow("after", until=[mesos_pb2.TASK_FINISHED])
    aware.close()
    legacy.close()


def test_the_libmesos_path_and_the_pymesos_path_are_the_same_endpoint(env: Any) -> None:
    fw = Framework(env.url, path="/api/v1/scheduler")
    fw.subscribe(framework_info("either"))
    response = fw.call(fw.simple(Call.REVIVE))
    assert response.status == 202
    libmesos = Framework(env.url, path=LIBMESOS_PATH, framework_id=fw.framework_id, stream=fw.stream)
    assert libmesos.call(libmesos.simple(Call.SUPPRESS)).status == 202
    fw.close()
    libmesos.close_calls()
