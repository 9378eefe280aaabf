"""The synchronous checks of ``POST /api/v1/scheduler`` (spec §1.2 steps 3-9 and §1.8).

Each row of the tables is one line of the spec: a request, the state of the master, and the
exact status, body and headers Mesos answers with (or that the call is admitted).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2
from scheduler_api.codec import APPLICATION_JSON, APPLICATION_PROTOBUF, to_json_bytes
from scheduler_api.guard import (
    Admitted,
    Rejection,
    SchedulerRequest,
    admit_scheduler_call,
    validate_scheduler_call,
)

Call = scheduler_pb2.Call

FW = "M-0000"
STREAM = "6f0a2c1e-5d1b-4c6e-9d0c-2b8b8f7e4a11"
UUID16 = base64.b64encode(bytes(range(16))).decode()
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


@dataclass
class FakeMaster:
    """framework id -> current stream id (``None``: registered but disconnected)."""

    frameworks: dict[str, str | None] = field(default_factory=lambda: {FW: STREAM})

    def framework_registered(self, framework_id: str) -> bool:
        return framework_id in self.frameworks

    def framework_connected(self, framework_id: str) -> bool:
        return self.frameworks.get(framework_id) is not None

    def framework_stream_id(self, framework_id: str) -> str | None:
        return self.frameworks.get(framework_id)


FRAMEWORK_INFO = {"user": "alice", "name": "demo"}

#: A minimal valid sub-message for every call type that needs one.
SUBMESSAGES: dict[str, tuple[str, dict[str, Any]]] = {
    "ACCEPT": ("accept", {"offer_ids": [{"value": "M-O1"}]}),
    "DECLINE": ("decline", {"offer_ids": [{"value": "M-O1"}]}),
    "ACCEPT_INVERSE_OFFERS": ("accept_inverse_offers", {"inverse_offer_ids": [{"value": "i"}]}),
    "DECLINE_INVERSE_OFFERS": ("decline_inverse_offers", {"inverse_offer_ids": [{"value": "i"}]}),
    "KILL": ("kill", {"task_id": {"value": "t"}}),
    "SHUTDOWN": ("shutdown", {"executor_id": {"value": "e"}, "agent_id": {"value": "a"}}),
    "ACKNOWLEDGE": (
        "acknowledge",
        {"agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": UUID16},
    ),
    "ACKNOWLEDGE_OPERATION_STATUS": (
        "acknowledge_operation_status",
        {"agent_id": {"value": "a"}, "uuid": UUID16, "operation_id": {"value": "o"}},
    ),
    "RECONCILE": ("reconcile", {}),
    "RECONCILE_OPERATIONS": ("reconcile_operations", {}),
    "MESSAGE": (
        "message",
        {"agent_id": {"value": "a"}, "executor_id": {"value": "e"}, "data": "aGk="},
    ),
    "REQUEST": ("request", {}),
    "UPDATE_FRAMEWORK": (
        "update_framework",
        {"framework_info": {**FRAMEWORK_INFO, "id": {"value": FW}}},
    ),
}
NO_SUBMESSAGE = ["TEARDOWN", "REVIVE", "SUPPRESS"]


def call_json(type_: str | None, *, framework_id: str | None = FW, **fields: Any) -> dict[str, Any]:
    """A JSON call of ``type_`` with its minimal valid sub-message (overridable via ``fields``)."""
    body: dict[str, Any] = {}
    if type_ is not None:
        body["type"] = type_
    if framework_id is not None:
        body["framework_id"] = {"value": framework_id}
    if type_ == "SUBSCRIBE":
        info: dict[str, Any] = dict(FRAMEWORK_INFO)
        if framework_id is not None:
            info["id"] = {"value": framework_id}
        body["subscribe"] = {"framework_info": info}
    elif type_ in SUBMESSAGES:
        key, value = SUBMESSAGES[type_]
        body[key] = value
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def post(
    body: dict[str, Any] | bytes,
    *,
    content_type: str | None = APPLICATION_JSON,
    stream_id: str | None = STREAM,
    method: str = "POST",
    **headers: str,
) -> SchedulerRequest:
    all_headers = dict(headers)
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    if stream_id is not None:
        all_headers["Mesos-Stream-Id"] = stream_id
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return SchedulerRequest(method, all_headers, raw)


def subscribe(**headers: str) -> SchedulerRequest:
    return post(call_json("SUBSCRIBE", framework_id=None), stream_id=None, **headers)


def rejected(request: SchedulerRequest, master: FakeMaster | None = None) -> Rejection:
    result = admit_scheduler_call(request, master or FakeMaster())
    assert isinstance(result, Rejection), result
    return result


def admitted(request: SchedulerRequest, master: FakeMaster | None = None) -> Admitted:
    result = admit_scheduler_call(request, master or FakeMaster())
    assert isinstance(result, Admitted), result
    return result


# ---------------------------------------------------------------------------------------------
# §1.8: one row per status code the guard produces
# ---------------------------------------------------------------------------------------------

VALIDATE = "Failed to validate scheduler::Call: "

STATUS_TABLE: list[tuple[str, SchedulerRequest, FakeMaster, int, str]] = [
    (
        "405 non-POST",
        post(call_json("REVIVE"), method="GET"),
        FakeMaster(),
        405,
        "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.",
    ),
    (
        "400 missing Content-Type",
        post(call_json("REVIVE"), content_type=None),
        FakeMaster(),
        400,
        "Expecting 'Content-Type' to be present",
    ),
    (
        "415 other media type",
        post(call_json("REVIVE"), content_type="text/plain"),
        FakeMaster(),
        415,
        "Expecting 'Content-Type' of application/json or application/x-protobuf",
    ),
    (
        "400 undecodable protobuf",
        post(b"\xff\xff", content_type=APPLICATION_PROTOBUF),
        FakeMaster(),
        400,
        "Failed to parse body into Call protobuf",
    ),
    (
        "400 JSON conversion failure",
        post({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u"}}}),
        FakeMaster(),
        400,
        "Failed to convert JSON into Call protobuf: "
        "Missing required fields: subscribe.framework_info.name",
    ),
    (
        "400 validation failure",
        post({"framework_id": {"value": FW}}),
        FakeMaster(),
        400,
        VALIDATE + "Expecting 'type' to be present",
    ),
    (
        "406 SUBSCRIBE accepting neither JSON nor protobuf",
        subscribe(Accept="foo"),
        FakeMaster(),
        406,
        "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'",
    ),
    (
        "406 RECONCILE_OPERATIONS accepting neither (before any framework lookup)",
        post(call_json("RECONCILE_OPERATIONS", framework_id="nobody"), Accept="text/html"),
        FakeMaster(),
        406,
        "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'",
    ),
    (
        "400 SUBSCRIBE with a stream id",
        post(call_json("SUBSCRIBE", framework_id=None), stream_id=STREAM),
        FakeMaster(),
        400,
        "Subscribe calls should not include the 'Mesos-Stream-Id' header",
    ),
    (
        "400 unknown framework",
        post(call_json("REVIVE", framework_id="M-9999")),
        FakeMaster(),
        400,
        "Framework cannot be found",
    ),
    (
        "403 framework not subscribed",
        post(call_json("REVIVE")),
        FakeMaster({FW: None}),
        403,
        "Framework is not subscribed",
    ),
    (
        "400 missing stream id",
        post(call_json("REVIVE"), stream_id=None),
        FakeMaster(),
        400,
        "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
    ),
    (
        "400 stream id of an older subscription",
        post(call_json("REVIVE"), stream_id="old-stream"),
        FakeMaster(),
        400,
        "The stream ID 'old-stream' included in this request didn't match the stream ID "
        "currently associated with framework ID M-0000",
    ),
    (
        "501 UNKNOWN after all other checks",
        post(call_json("UNKNOWN")),
        FakeMaster(),
        501,
        "501 Not Implemented.",
    ),
]


@pytest.mark.parametrize(
    ("request_", "master", "status", "body"),
    [row[1:] for row in STATUS_TABLE],
    ids=[row[0] for row in STATUS_TABLE],
)
def test_status_table(
    request_: SchedulerRequest, master: FakeMaster, status: int, body: str
) -> None:
    rejection = rejected(request_, master)
    assert (rejection.status, rejection.body) == (status, body)
    assert rejection.body_bytes == body.encode()
    expected_headers = dict(TEXT)
    if status == 405:
        expected_headers["Allow"] = "POST"
    assert dict(rejection.headers) == expected_headers


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "post", "HEAD"])
def test_405_names_the_method_received(method: str) -> None:
    rejection = rejected(post(call_json("REVIVE"), method=method))
    assert rejection.body == (
        f"405 Method Not Allowed. Expecting one of {{ 'POST' }}, but received '{method}'."
    )
    assert rejection.headers["Allow"] == "POST"


def test_200_subscribe_is_admitted_with_the_negotiated_stream_type() -> None:
    result = admitted(subscribe(Accept="application/json"))
    assert result.call.type == Call.SUBSCRIBE
    assert result.call.subscribe.framework_info.user == "alice"
    assert (result.request_content_type, result.response_content_type) == (
        APPLICATION_JSON,
        APPLICATION_JSON,
    )


def test_subscribe_of_an_unknown_framework_is_admitted_without_any_lookup() -> None:
    # Re-subscription with an id the master does not know (e.g. after master failover) is
    # decided asynchronously (§2), not by the guard.
    request = post(call_json("SUBSCRIBE", framework_id="M-7777"), stream_id=None)
    assert admitted(request, FakeMaster({})).call.framework_id.value == "M-7777"


@pytest.mark.parametrize("type_", sorted([*SUBMESSAGES, *NO_SUBMESSAGE]))
def test_202_every_valid_call_from_the_current_stream_is_admitted(type_: str) -> None:
    result = admitted(post(call_json(type_)))
    assert Call.Type.Name(result.call.type) == type_
    expected = APPLICATION_JSON if type_ == "RECONCILE_OPERATIONS" else None
    assert result.response_content_type == expected


# ---------------------------------------------------------------------------------------------
# §1.2 step 6: every validation message
# ---------------------------------------------------------------------------------------------

VALIDATION_TABLE: list[tuple[str, dict[str, Any], str]] = [
    ("no type", {"framework_id": {"value": FW}}, "Expecting 'type' to be present"),
    ("unknown type name is dropped", call_json("TELEPORT"), "Expecting 'type' to be present"),
    (
        "SUBSCRIBE without subscribe",
        call_json("SUBSCRIBE", framework_id=None, subscribe=None),
        "Expecting 'subscribe' to be present",
    ),
    (
        "SUBSCRIBE framework_id without framework_info.id",
        {**call_json("SUBSCRIBE", framework_id=None), "framework_id": {"value": FW}},
        "'framework_id' differs from 'subscribe.framework_info.id'",
    ),
    (
        "SUBSCRIBE framework_info.id without framework_id",
        without(call_json("SUBSCRIBE", framework_id=FW), "framework_id"),
        "'framework_id' differs from 'subscribe.framework_info.id'",
    ),
    (
        "SUBSCRIBE with two different ids",
        call_json("SUBSCRIBE", framework_id=FW) | {"framework_id": {"value": "M-0001"}},
        "'framework_id' differs from 'subscribe.framework_info.id'",
    ),
    *[
        (
            f"{type_} without framework_id",
            call_json(type_, framework_id=None),
            "Expecting 'framework_id' to be present",
        )
        for type_ in sorted([*SUBMESSAGES, *NO_SUBMESSAGE, "UNKNOWN"])
    ],
    *[
        (
            f"{type_} without {key}",
            call_json(type_, **{key: None}),
            f"Expecting '{key}' to be present",
        )
        for type_, (key, _) in sorted(SUBMESSAGES.items())
    ],
    (
        "ACKNOWLEDGE with a 15-byte uuid",
        call_json(
            "ACKNOWLEDGE",
            acknowledge={
                "agent_id": {"value": "a"},
                "task_id": {"value": "t"},
                "uuid": base64.b64encode(bytes(15)).decode(),
            },
        ),
        "Not a valid UUID",
    ),
    (
        "ACKNOWLEDGE with an empty uuid",
        call_json(
            "ACKNOWLEDGE",
            acknowledge={"agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": ""},
        ),
        "Not a valid UUID",
    ),
    (
        "ACKNOWLEDGE_OPERATION_STATUS with a 17-byte uuid",
        call_json(
            "ACKNOWLEDGE_OPERATION_STATUS",
            acknowledge_operation_status={
                "agent_id": {"value": "a"},
                "uuid": base64.b64encode(bytes(17)).decode(),
                "operation_id": {"value": "o"},
            },
        ),
        "Not a valid UUID",
    ),
    (
        "ACKNOWLEDGE_OPERATION_STATUS without agent_id",
        call_json(
            "ACKNOWLEDGE_OPERATION_STATUS",
            acknowledge_operation_status={"uuid": UUID16, "operation_id": {"value": "o"}},
        ),
        "Expecting 'agent_id' to be present",
    ),
    (
        "UPDATE_FRAMEWORK for another framework id",
        call_json(
            "UPDATE_FRAMEWORK",
            update_framework={"framework_info": {**FRAMEWORK_INFO, "id": {"value": "M-0001"}}},
        ),
        "'framework_id' differs from 'update_framework.framework_info.id'",
    ),
    (
        "UPDATE_FRAMEWORK without framework_info.id",
        call_json("UPDATE_FRAMEWORK", update_framework={"framework_info": FRAMEWORK_INFO}),
        "'framework_id' differs from 'update_framework.framework_info.id'",
    ),
]


@pytest.mark.parametrize(
    ("body", "message"),
    [row[1:] for row in VALIDATION_TABLE],
    ids=[row[0] for row in VALIDATION_TABLE],
)
def test_validation_messages(body: dict[str, Any], message: str) -> None:
    # Validation runs before any framework lookup: an empty master changes nothing.
    rejection = rejected(post(body), FakeMaster({}))
    assert (rejection.status, rejection.body) == (400, VALIDATE + message)


def test_not_initialized_is_reported_for_calls_built_in_process() -> None:
    # Both decoders already refuse incomplete messages, so only a Call built in-process can
    # reach this message.
    call = Call(type=Call.KILL)
    call.framework_id.value = FW
    call.kill.SetInParent()
    assert validate_scheduler_call(call) == "Not initialized: kill.task_id"


def test_subscribe_with_matching_ids_is_valid() -> None:
    assert isinstance(
        admit_scheduler_call(post(call_json("SUBSCRIBE"), stream_id=None), FakeMaster()), Admitted
    )


# ---------------------------------------------------------------------------------------------
# Ordering and header handling
# ---------------------------------------------------------------------------------------------


def test_checks_run_in_mesos_order() -> None:
    # A request failing every check reports the earliest one.
    request = post(b"not json", method="GET", content_type=None, stream_id=None)
    assert rejected(request).status == 405
    assert rejected(post(b"not json", content_type=None)).status == 400
    assert rejected(post(b"not json", content_type="text/json")).status == 415
    assert rejected(post(b"not json")).body.startswith("Failed to parse body into JSON: ")
    # Validation before the framework lookup, negotiation before the stream-id check.
    assert rejected(post({"type": "KILL", "framework_id": {"value": "x"}})).body == (
        VALIDATE + "Expecting 'kill' to be present"
    )
    request = post(call_json("SUBSCRIBE", framework_id=None), stream_id=STREAM, Accept="foo")
    assert rejected(request).status == 406
    # Unknown framework before "not subscribed" before the stream-id checks.
    assert rejected(post(call_json("UNKNOWN", framework_id="x"), stream_id=None)).status == 400
    assert (
        rejected(post(call_json("UNKNOWN"), stream_id=None), FakeMaster({FW: None})).status == 403
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "Application/JSON",
        "APPLICATION/X-PROTOBUF",
        "application/json ",
        "application/*",
        "",
    ],
)
def test_content_type_must_match_exactly(content_type: str) -> None:
    assert rejected(post(call_json("REVIVE"), content_type=content_type)).status == 415


def test_header_names_are_case_insensitive() -> None:
    raw = json.dumps(call_json("REVIVE")).encode()
    request = SchedulerRequest(
        "POST", {"content-type": APPLICATION_JSON, "MESOS-STREAM-ID": STREAM}, raw
    )
    assert admitted(request).call.type == Call.REVIVE
    pairs = [("CONTENT-TYPE", APPLICATION_JSON), ("mesos-stream-id", STREAM)]
    assert admitted(SchedulerRequest("POST", pairs, raw)).call.type == Call.REVIVE


def test_stream_id_comparison_is_exact() -> None:
    assert rejected(post(call_json("REVIVE"), stream_id=STREAM.upper())).status == 400
    assert rejected(post(call_json("REVIVE"), stream_id="")).body.startswith("The stream ID ''")


def test_other_calls_ignore_accept() -> None:
    assert admitted(post(call_json("KILL"), Accept="foo")).response_content_type is None


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, APPLICATION_JSON),
        ("*/*", APPLICATION_JSON),
        ("application/x-protobuf, application/json", APPLICATION_JSON),
        ("application/x-protobuf", APPLICATION_PROTOBUF),
    ],
)
def test_subscribe_stream_type_follows_accept(accept: str | None, expected: str) -> None:
    headers = {} if accept is None else {"Accept": accept}
    assert admitted(subscribe(**headers)).response_content_type == expected


def test_protobuf_requests_are_admitted_like_json_ones() -> None:
    call = Call(type=Call.SUBSCRIBE)
    call.subscribe.framework_info.user = "u"
    call.subscribe.framework_info.name = "n"
    request = SchedulerRequest(
        "POST",
        {"Content-Type": APPLICATION_PROTOBUF, "Accept": APPLICATION_PROTOBUF},
        call.SerializeToString(),
    )
    result = admitted(request)
    assert result.call == call
    assert (result.request_content_type, result.response_content_type) == (
        APPLICATION_PROTOBUF,
        APPLICATION_PROTOBUF,
    )
    # The same call as JSON decodes to the same message.
    json_request = SchedulerRequest("POST", {"Content-Type": APPLICATION_JSON}, to_json_bytes(call))
    assert admitted(json_request).call.subscribe.framework_info.name == "n"


def test_protobuf_with_missing_required_fields_is_a_parse_failure() -> None:
    call = Call(type=Call.KILL)
    call.framework_id.value = FW
    call.kill.SetInParent()  # task_id missing
    request = post(call.SerializePartialToString(), content_type=APPLICATION_PROTOBUF)
    assert rejected(request).body == "Failed to parse body into Call protobuf"
