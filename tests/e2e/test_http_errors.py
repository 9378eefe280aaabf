"""Every synchronous answer of the scheduler endpoint over real HTTP, with its exact body
(mesos-api.md §1.2, §1.8), and the operator endpoints tools rely on (§1.1, §9).

Error bodies are plain text, `Content-Type: text/plain; charset=utf-8`, with a
`Content-Length`; accepted calls are `202` with an empty body.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mesos_client import (
    JSON,
    LIBMESOS_PATH,
    PROTOBUF,
    SCHEDULER_PATH,
    Event,
    Framework,
    Response,
    Subscription,
    encode_call,
    framework_info,
    is_uuid,
    request,
    wait_until,
)

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

Call = scheduler_pb2.Call
TEXT = "text/plain; charset=utf-8"
SUBSCRIBE_JSON = b'{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n"}}}'


def post(env: Any, body: bytes | str, content_type: str | None = JSON, path: str = SCHEDULER_PATH,
         **headers: str) -> Response:
    all_headers = dict(headers)
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    data = body.encode() if isinstance(body, str) else body
    return request(env.url, "POST", path, data, {k.replace("_", "-"): v for k, v in all_headers.items()})


def assert_error(response: Response, status: int, body: str) -> None:
    assert (response.status, response.text) == (status, body)
    assert response.header("content-type") == TEXT
    assert response.header("content-length") == str(len(response.body))


# ------------------------------------------------------------------ method, content type, body


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", [SCHEDULER_PATH, LIBMESOS_PATH, SCHEDULER_PATH + "/", SCHEDULER_PATH + "/x/y"])
def test_anything_but_post_is_405_with_allow(env: Any, method: str, path: str) -> None:
    response = request(env.url, method, path, b"{}" if method != "GET" else b"",
                       {"Content-Type": JSON})
    assert_error(response, 405, f"405 Method Not Allowed. Expecting one of {{ 'POST' }}, but received '{method}'.")
    assert response.header("allow") == "POST"


def test_missing_content_type_is_400(env: Any) -> None:
    assert_error(post(env, SUBSCRIBE_JSON, content_type=None), 400, "Expecting 'Content-Type' to be present")


@pytest.mark.parametrize("content_type", ["text/plain", "application/json; charset=utf-8", "Application/JSON",
                                          "application/protobuf", "application/x-www-form-urlencoded", ""])
def test_content_type_must_be_exactly_json_or_protobuf(env: Any, content_type: str) -> None:
    assert_error(post(env, SUBSCRIBE_JSON, content_type=content_type), 415,
                 "Expecting 'Content-Type' of application/json or application/x-protobuf")


def test_malformed_json_is_400(env: Any) -> None:
    response = post(env, b'{"type": "SUBSCRIBE",')
    assert response.status == 400
    assert response.text.startswith("Failed to parse body into JSON: ")
    assert response.header("content-type") == TEXT


@pytest.mark.parametrize(("body", "detail"), [
    (b'{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n"}}}',
     "Missing required fields: subscribe.framework_info.user"),
    (b'{"type":"SUBSCRIBE","subscribe":{}}',
     "Missing required fields: subscribe.framework_info"),
    (b'[]', None),
    (b'{"type":"DECLINE","framework_id":{"value":7}}', None),
    (b'{"type":"ACKNOWLEDGE","framework_id":{"value":"f"},"acknowledge":{"agent_id":{"value":"a"},'
     b'"task_id":{"value":"t"},"uuid":"not base64!"}}', None),
])
def test_json_that_is_not_a_call_is_400(env: Any, body: bytes, detail: str | None) -> None:
    response = post(env, body)
    assert response.status == 400
    assert response.text.startswith("Failed to convert JSON into Call protobuf: ")
    if detail is not None:
        assert response.text == "Failed to convert JSON into Call protobuf: " + detail


@pytest.mark.parametrize("body", [b"\xff\xff\xff\xff", b"not protobuf at all", b"\x0a\x05abc"])
def test_undecodable_protobuf_is_400(env: Any, body: bytes) -> None:
    assert_error(post(env, body, content_type=PROTOBUF), 400, "Failed to parse body into Call protobuf")


def test_protobuf_missing_required_fields_is_400(env: Any) -> None:
    call = Call(type=Call.SUBSCRIBE)
    call.subscribe.framework_info.name = "no user"  # `user` is required
    assert_error(post(env, call.SerializePartialToString(), content_type=PROTOBUF), 400,
                 "Failed to parse body into Call protobuf")


# ------------------------------------------------------------------ call validation


@pytest.mark.parametrize(("body", "message"), [
    ({}, "Expecting 'type' to be present"),
    ({"type": "NO_SUCH_TYPE"}, "Expecting 'type' to be present"),
    ({"type": "SUBSCRIBE"}, "Expecting 'subscribe' to be present"),
    ({"type": "SUBSCRIBE", "framework_id": {"value": "a"},
      "subscribe": {"framework_info": {"user": "u", "name": "n", "id": {"value": "b"}}}},
     "'framework_id' differs from 'subscribe.framework_info.id'"),
    ({"type": "SUBSCRIBE", "framework_id": {"value": "a"},
      "subscribe": {"framework_info": {"user": "u", "name": "n"}}},
     "'framework_id' differs from 'subscribe.framework_info.id'"),
    ({"type": "DECLINE"}, "Expecting 'framework_id' to be present"),
    ({"type": "TEARDOWN"}, "Expecting 'framework_id' to be present"),
    ({"type": "DECLINE", "framework_id": {"value": "f"}}, "Expecting 'decline' to be present"),
    ({"type": "ACCEPT", "framework_id": {"value": "f"}}, "Expecting 'accept' to be present"),
    ({"type": "KILL", "framework_id": {"value": "f"}}, "Expecting 'kill' to be present"),
    ({"type": "ACKNOWLEDGE", "framework_id": {"value": "f"}}, "Expecting 'acknowledge' to be present"),
    ({"type": "RECONCILE", "framework_id": {"value": "f"}}, "Expecting 'reconcile' to be present"),
    ({"type": "MESSAGE", "framework_id": {"value": "f"}}, "Expecting 'message' to be present"),
    ({"type": "ACKNOWLEDGE", "framework_id": {"value": "f"},
      "acknowledge": {"agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": "AAAA"}},
     "Not a valid UUID"),
])
def test_invalid_calls_are_400_with_the_validation_message(env: Any, body: dict[str, Any], message: str) -> None:
    assert_error(post(env, json.dumps(body)), 400, f"Failed to validate scheduler::Call: {message}")


@pytest.mark.parametrize("accept", ["text/html", "application/recordio", "application/json;q=0",
                                    "application/*;q=0, */*;q=0"])
def test_subscribe_without_an_acceptable_media_type_is_406(env: Any, accept: str) -> None:
    assert_error(post(env, SUBSCRIBE_JSON, Accept=accept), 406,
                 "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'")


@pytest.mark.parametrize(("accept", "expected"), [
    (None, JSON), ("*/*", JSON), ("application/x-protobuf, application/json", JSON),
    ("application/*", JSON), ("application/x-protobuf", PROTOBUF),
    ("application/json;q=0, application/x-protobuf", PROTOBUF),
])
def test_subscribe_negotiates_the_stream_media_type(env: Any, accept: str | None, expected: str) -> None:
    call = Framework(env.url).subscribe_call(framework_info("negotiator"))
    stream = Subscription(env.url, encode_call(call, JSON), content_type=JSON, accept=accept,
                          path=SCHEDULER_PATH)
    assert stream.status == 200
    assert stream.headers["content-type"] == expected
    assert stream.take_type(Event.SUBSCRIBED).subscribed.framework_id.value
    if expected == JSON:
        assert json.loads(stream.records[0])["type"] == "SUBSCRIBED"
    stream.close()


def test_reconcile_operations_also_needs_an_acceptable_media_type(env: Any) -> None:
    fw = Framework(env.url, content_type=JSON, path=SCHEDULER_PATH)
    fw.subscribe(framework_info("operations"))
    call = Call(type=Call.RECONCILE_OPERATIONS)
    call.reconcile_operations.SetInParent()
    response = fw.call(call, headers={"Accept": "text/html"})
    assert_error(response, 406, "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'")
    assert fw.call(call, headers={"Accept": JSON}).status == 202
    # Other calls ignore Accept altogether.
    assert fw.call(fw.simple(Call.REVIVE), headers={"Accept": "text/html"}).status == 202
    fw.close()


def test_subscribe_with_a_stream_id_is_400(env: Any) -> None:
    assert_error(post(env, SUBSCRIBE_JSON, Accept=JSON, Mesos_Stream_Id="6f0a2c1e-5d1b-4c6e-9d0c-2b8b8f7e4a11"),
                 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")


def test_an_invalid_framework_info_is_an_error_event_on_a_200_stream(env: Any) -> None:
    fw = Framework(env.url, content_type=JSON, path=SCHEDULER_PATH)
    info = framework_info("badrole")
    info.role = "/bad"
    stream = fw.open_stream(info)
    assert stream.status == 200 and is_uuid(stream.stream_id)
    error = stream.take_type(Event.ERROR)
    assert error.error.message.startswith("'FrameworkInfo.role' is not a valid role: ")
    stream.wait_ended()
    assert [e.type for e in stream.received] == [Event.ERROR]
    assert env.state()["frameworks"] == []


# ------------------------------------------------------------------ framework and stream checks


@pytest.fixture
def subscribed(env: Any) -> Framework:
    fw = Framework(env.url, content_type=JSON, path=SCHEDULER_PATH)
    fw.subscribe(framework_info("checked", failover_timeout=60))
    return fw


def test_calls_for_an_unknown_framework_are_400(env: Any, subscribed: Framework) -> None:
    call = Call(type=Call.REVIVE)
    call.framework_id.value = "no-such-framework"
    assert_error(subscribed.call(call), 400, "Framework cannot be found")


def test_calls_without_a_stream_id_are_400(env: Any, subscribed: Framework) -> None:
    body = encode_call(subscribed.simple(Call.REVIVE), JSON)
    assert_error(post(env, body), 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
    # An unknown framework is found out before the missing header.
    unknown = Call(type=Call.REVIVE)
    unknown.framework_id.value = "no-such-framework"
    assert_error(post(env, encode_call(unknown, JSON)), 400, "Framework cannot be found")


def test_the_stream_id_header_name_is_case_insensitive(env: Any, subscribed: Framework) -> None:
    body = encode_call(subscribed.simple(Call.REVIVE), JSON)
    response = request(env.url, "POST", SCHEDULER_PATH, body,
                       {"content-type": JSON, "mesos-stream-id": subscribed.events.stream_id})
    assert (response.status, response.body) == (202, b"")


def test_calls_with_another_stream_id_are_400(env: Any, subscribed: Framework) -> None:
    other = "6f0a2c1e-5d1b-4c6e-9d0c-2b8b8f7e4a11"
    response = subscribed.call(subscribed.simple(Call.REVIVE), headers={"Mesos-Stream-Id": other})
    assert_error(response, 400, f"The stream ID '{other}' included in this request didn't match the stream ID "
                                f"currently associated with framework ID {subscribed.framework_id}")


def test_calls_of_a_disconnected_framework_are_403(make_env: Any) -> None:
    env = make_env(shim={"heartbeat_interval": 600})  # no write reveals the close: it is noticed at once
    subscribed = Framework(env.url, content_type=JSON, path=SCHEDULER_PATH)
    subscribed.subscribe(framework_info("checked", failover_timeout=60))
    stream_id = subscribed.events.stream_id
    subscribed.events.close()
    wait_until(lambda: not env.framework_state(subscribed.framework_id)["connected"], message="disconnected")
    response = subscribed.call(subscribed.simple(Call.REVIVE), headers={"Mesos-Stream-Id": stream_id})
    assert_error(response, 403, "Framework is not subscribed")
    # The framework check comes before the stream id check.
    missing = post(env, encode_call(subscribed.simple(Call.REVIVE), JSON))
    assert_error(missing, 403, "Framework is not subscribed")


def test_unknown_is_501_after_every_other_check(env: Any, subscribed: Framework) -> None:
    assert_error(subscribed.call(subscribed.simple(Call.UNKNOWN)), 501, "501 Not Implemented.")
    # ... but a stream id mismatch is found first.
    response = subscribed.call(subscribed.simple(Call.UNKNOWN), headers={"Mesos-Stream-Id": "x"})
    assert response.status == 400


def test_accepted_calls_are_202_with_an_empty_body(env: Any, subscribed: Framework) -> None:
    for call in (subscribed.simple(Call.REVIVE), subscribed.simple(Call.SUPPRESS), subscribed.reconcile()):
        response = subscribed.call(call)
        assert (response.status, response.body) == (202, b"")
        assert response.header("content-length") == "0"


# ------------------------------------------------------------------ operator endpoints


def test_version_is_numeric(env: Any) -> None:
    response = request(env.url, "GET", "/version")
    assert response.status == 200
    assert response.header("content-type") == "application/json"
    version = response.json()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version["version"])
    assert tuple(int(n) for n in version["version"].split(".")) >= (1, 0, 0)
    assert {"build_date", "build_time", "build_user"} <= set(version)


@pytest.mark.parametrize("path", ["/master/redirect", "/redirect"])
def test_redirect_points_at_the_leader_protocol_relative(env: Any, path: str) -> None:
    response = request(env.url, "GET", path)
    assert response.status == 307
    assert response.header("location") == f"//{env.shim.config.host}:{env.shim.port}"


@pytest.mark.parametrize("path", ["/master/health", "/health"])
def test_health_is_200_and_empty(env: Any, path: str) -> None:
    response = request(env.url, "GET", path)
    assert (response.status, response.body) == (200, b"")


@pytest.mark.parametrize("path", ["/nope", "/master/nope", "/api/v2/scheduler", "/master/api/v1/schedulerx",
                                  "/api/v1/scheduler/..", "/master/api/v1/scheduler/../scheduler",
                                  "/master/redirect/x"])
def test_unknown_paths_are_404(env: Any, path: str) -> None:
    for method in ("GET", "POST"):
        response = request(env.url, method, path, b"", {"Content-Type": JSON})
        assert (response.status, response.text) == (404, "404 Not Found.")


def test_state_shows_frameworks_agents_and_tasks_with_v0_names(env: Any) -> None:
    fw = Framework(env.url)
    fw.subscribe(framework_info("stateful", failover_timeout=30))
    offer = fw.run_task("visible", "sleep 600")
    fw.follow("visible", until=[mesos_pb2.TASK_RUNNING])

    state = env.state()
    alias = request(env.url, "GET", "/state").json()
    assert (alias.keys(), alias["id"]) == (state.keys(), state["id"])
    host, port = env.shim.config.host, env.shim.port
    assert state["pid"] == state["leader"] == f"master@{host}:{port}"
    assert state["version"] == "1.12.0"
    assert state["activated_slaves"] == 2
    slaves = {s["id"]: s for s in state["slaves"]}
    assert sorted(s["hostname"] for s in slaves.values()) == sorted(env.node_names)
    agent = slaves[offer.agent_id.value]
    assert agent["resources"]["cpus"] == 4.0 and agent["resources"]["ports"] == "[31000-32000]"
    assert agent["used_resources"]["cpus"] == pytest.approx(0.1)

    [framework] = state["frameworks"]
    assert framework["id"] == fw.framework_id
    assert (framework["name"], framework["user"], framework["failover_timeout"]) == ("stateful", "e2e", 30)
    assert framework["active"] and framework["connected"]
    [task] = framework["tasks"]
    assert task["id"] == "visible" and task["state"] == "TASK_RUNNING"
    assert task["slave_id"] == offer.agent_id.value and task["framework_id"] == fw.framework_id
    assert task["executor_id"] == ""  # a command task
    assert [s["state"] for s in task["statuses"]][-1] == "TASK_RUNNING"
    # The offer not used (the other agent's) is outstanding.
    [outstanding] = framework["offers"]
    assert outstanding["framework_id"] == fw.framework_id
    assert outstanding["slave_id"] in slaves and outstanding["slave_id"] != offer.agent_id.value
    assert outstanding["resources"]["cpus"] == 4.0
    fw.close()


def test_state_keeps_the_old_json_alias(env: Any) -> None:
    response = request(env.url, "GET", "/master/state.json")
    assert response.status == 200 and response.json()["id"] == env.state()["id"]


def test_state_supports_jsonp(env: Any) -> None:
    response = request(env.url, "GET", "/master/state?jsonp=cb")
    assert response.status == 200
    assert response.text.startswith("cb(") and response.text.endswith(");")
    assert json.loads(response.text[3:-2])["id"] == env.state()["id"]


def test_metrics_snapshot_says_elected(env: Any) -> None:
    response = request(env.url, "GET", "/metrics/snapshot")
    assert response.status == 200
    assert response.json()["master/elected"] == 1.0
