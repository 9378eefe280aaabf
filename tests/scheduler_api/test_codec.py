"""Mesos's message encodings (spec §1.3, §1.6, §1.9, §5): stout JSON, protobuf, Accept.

Each test states one rule of the wire format; the goldens are the examples of the spec.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import orjson
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.executor import executor_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2
from scheduler_api.codec import (
    APPLICATION_JSON,
    APPLICATION_PROTOBUF,
    DecodeError,
    UnsupportedMediaTypeError,
    decode_body,
    encode_event,
    json_to_message,
    message_to_json,
    negotiate_accept,
    protobuf_to_message,
    stout_base64_decode,
    to_json_bytes,
)
from scheduler_api.recordio import frame

Call = scheduler_pb2.Call
Event = scheduler_pb2.Event

UUID_BYTES = bytes.fromhex("ab96fa6f0d2b4b8e9f5a11c2d3e4f506")
UUID_B64 = base64.b64encode(UUID_BYTES).decode()

# ---------------------------------------------------------------------------------------------
# Goldens from the spec
# ---------------------------------------------------------------------------------------------

SUBSCRIBE_BODY = (
    b'{"type":"SUBSCRIBE","subscribe":{"framework_info":'
    b'{"user":"alice","name":"demo","failover_timeout":604800.0}}}'
)


def test_wire_example_subscribe_call_decodes() -> None:
    call = json_to_message(SUBSCRIBE_BODY, Call)
    assert call.type == Call.SUBSCRIBE
    info = call.subscribe.framework_info
    assert (info.user, info.name, info.failover_timeout) == ("alice", "demo", 604800.0)
    assert not call.HasField("framework_id")


def test_wire_example_decline_call_decodes() -> None:
    body = (
        b'{"type":"DECLINE","framework_id":{"value":"M-0000"},'
        b'"decline":{"offer_ids":[{"value":"M-O1"}],"filters":{"refuse_seconds":60.0}}}'
    )
    call = json_to_message(body, Call)
    assert call.framework_id.value == "M-0000"
    assert [o.value for o in call.decline.offer_ids] == ["M-O1"]
    assert call.decline.filters.refuse_seconds == 60.0


def test_subscribed_event_with_master_info() -> None:
    event = Event(type=Event.SUBSCRIBED)
    event.subscribed.framework_id.value = "M-0000"
    event.subscribed.heartbeat_interval_seconds = 15.0
    info = event.subscribed.master_info
    info.id = "M"
    info.ip = 16777343
    info.port = 5050
    info.pid = "master@127.0.0.1:5050"
    info.hostname = "master"
    info.version = "1.12.0"
    info.address.hostname = "master"
    info.address.ip = "127.0.0.1"
    info.address.port = 5050
    Capability = mesos_pb2.MasterInfo.Capability
    for cap in (Capability.AGENT_UPDATE, Capability.AGENT_DRAINING, Capability.QUOTA_V2):
        info.capabilities.add().type = cap

    assert orjson.loads(to_json_bytes(event)) == {
        "type": "SUBSCRIBED",
        "subscribed": {
            "framework_id": {"value": "M-0000"},
            "heartbeat_interval_seconds": 15.0,
            "master_info": {
                "id": "M",
                "ip": 16777343,
                "port": 5050,
                "pid": "master@127.0.0.1:5050",
                "hostname": "master",
                "version": "1.12.0",
                "address": {"hostname": "master", "ip": "127.0.0.1", "port": 5050},
                "capabilities": [
                    {"type": "AGENT_UPDATE"},
                    {"type": "AGENT_DRAINING"},
                    {"type": "QUOTA_V2"},
                ],
            },
        },
    }


def test_heartbeat_event_is_the_twenty_byte_record_of_the_spec() -> None:
    assert frame(to_json_bytes(Event(type=Event.HEARTBEAT))) == b'20\n{"type":"HEARTBEAT"}'


def test_offers_event_nests_the_array_under_offers_offers() -> None:
    event = Event(type=Event.OFFERS)
    offer = event.offers.offers.add()
    offer.id.value = "M-O1"
    offer.framework_id.value = "M-0000"
    offer.agent_id.value = "M-S0"
    offer.hostname = "node-1"
    cpus = offer.resources.add(name="cpus", type=mesos_pb2.Value.SCALAR)
    cpus.scalar.value = 2.5

    assert message_to_json(event) == {
        "type": "OFFERS",
        "offers": {
            "offers": [
                {
                    "id": {"value": "M-O1"},
                    "framework_id": {"value": "M-0000"},
                    "agent_id": {"value": "M-S0"},
                    "hostname": "node-1",
                    # Resource.role is deprecated with default "*": not emitted when unset.
                    "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2.5}}],
                }
            ]
        },
    }


def test_update_event_carries_the_uuid_as_base64() -> None:
    event = Event(type=Event.UPDATE)
    status = event.update.status
    status.task_id.value = "t1"
    status.state = mesos_pb2.TASK_RUNNING
    status.source = mesos_pb2.TaskStatus.SOURCE_EXECUTOR
    status.agent_id.value = "M-S0"
    status.executor_id.value = "t1"
    status.timestamp = 1700000000.123
    status.uuid = UUID_BYTES

    assert message_to_json(event) == {
        "type": "UPDATE",
        "update": {
            "status": {
                "task_id": {"value": "t1"},
                "state": "TASK_RUNNING",
                "source": "SOURCE_EXECUTOR",
                "agent_id": {"value": "M-S0"},
                "executor_id": {"value": "t1"},
                "timestamp": 1700000000.123,
                "uuid": UUID_B64,
            }
        },
    }
    assert UUID_B64.endswith("==")  # standard alphabet, padded


def test_error_event_nests_the_message_under_error() -> None:
    event = Event(type=Event.ERROR)
    event.error.message = "Framework failed over"
    assert to_json_bytes(event) == b'{"type":"ERROR","error":{"message":"Framework failed over"}}'


# ---------------------------------------------------------------------------------------------
# Output rules (§1.6)
# ---------------------------------------------------------------------------------------------


def _framework_info(**fields: Any) -> mesos_pb2.FrameworkInfo:
    return mesos_pb2.FrameworkInfo(user="u", name="n", **fields)


@pytest.mark.parametrize(
    ("message", "expected_subset"),
    [
        (_framework_info(), {"failover_timeout": 0.0, "checkpoint": False}),
        (mesos_pb2.CommandInfo(), {"shell": True}),
        (mesos_pb2.CommandInfo.URI(value="http://x"), {"value": "http://x", "extract": True}),
        (
            mesos_pb2.HealthCheck(),
            {
                "delay_seconds": 15.0,
                "interval_seconds": 10.0,
                "timeout_seconds": 20.0,
                "consecutive_failures": 3,
                "grace_period_seconds": 10.0,
            },
        ),
        (mesos_pb2.CheckInfo(), {"delay_seconds": 15.0, "interval_seconds": 10.0}),
        (mesos_pb2.Filters(), {"refuse_seconds": 5.0}),
        (mesos_pb2.Environment.Variable(name="A"), {"name": "A", "type": "VALUE"}),
        (mesos_pb2.MasterInfo(id="m", ip=1), {"port": 5050}),
        (mesos_pb2.AgentInfo(hostname="h"), {"port": 5051}),
        (mesos_pb2.Image(type=mesos_pb2.Image.DOCKER), {"cached": True}),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Message) else "",
)
def test_unset_fields_with_an_explicit_default_are_emitted(
    message: Message, expected_subset: dict[str, Any]
) -> None:
    out = message_to_json(message)
    assert out == out | expected_subset


def test_deprecated_fields_with_a_default_are_emitted_only_when_set() -> None:
    assert "role" not in message_to_json(_framework_info())
    assert message_to_json(_framework_info(role="web"))["role"] == "web"
    resource = mesos_pb2.Resource(name="cpus", type=mesos_pb2.Value.SCALAR)
    assert "role" not in message_to_json(resource)
    resource.role = "*"
    assert message_to_json(resource)["role"] == "*"


def test_set_fields_keep_their_value_even_when_equal_to_the_default() -> None:
    assert message_to_json(mesos_pb2.Filters(refuse_seconds=0.0)) == {"refuse_seconds": 0.0}
    assert message_to_json(mesos_pb2.CommandInfo(shell=False)) == {"shell": False}


def test_fields_without_a_default_are_omitted_when_unset() -> None:
    assert message_to_json(mesos_pb2.TaskID(value="t")) == {"value": "t"}
    assert message_to_json(mesos_pb2.TaskStatus()) == {}


def test_empty_repeated_fields_are_omitted() -> None:
    out = message_to_json(_framework_info())
    assert "roles" not in out and "capabilities" not in out
    assert message_to_json(_framework_info(roles=["a", "b"]))["roles"] == ["a", "b"]


def test_64_bit_integers_are_json_numbers() -> None:
    big = 2**62 + 1
    assert to_json_bytes(mesos_pb2.TimeInfo(nanoseconds=big)) == b'{"nanoseconds":%d}' % big
    assert to_json_bytes(mesos_pb2.TimeInfo(nanoseconds=-big)) == b'{"nanoseconds":%d}' % -big


def test_keys_are_snake_case_proto_names() -> None:
    out = message_to_json(mesos_pb2.TaskStatus(task_id=mesos_pb2.TaskID(value="t"), healthy=True))
    assert out == {"task_id": {"value": "t"}, "healthy": True}


def test_maps_are_objects_keyed_by_map_key() -> None:
    info = _framework_info(roles=["web"])
    info.offer_filters["web"].min_allocatable_resources.SetInParent()
    assert message_to_json(info)["offer_filters"] == {"web": {"min_allocatable_resources": {}}}


def test_infinite_doubles_are_strings() -> None:
    task = mesos_pb2.TaskInfo(name="t")
    task.limits["mem"].value = math.inf
    task.limits["cpus"].value = 2.0
    assert message_to_json(task)["limits"] == {"cpus": {"value": 2.0}, "mem": {"value": "Infinity"}}
    assert message_to_json(mesos_pb2.Value.Scalar(value=-math.inf)) == {"value": "-Infinity"}


# ---------------------------------------------------------------------------------------------
# Parsing rules (§1.6)
# ---------------------------------------------------------------------------------------------


def _status(**fields: Any) -> dict[str, Any]:
    return {"task_id": {"value": "t"}, "state": "TASK_RUNNING", **fields}


@pytest.mark.parametrize(
    ("json_fields", "attribute", "expected"),
    [
        ({"timestamp": "12.5"}, "timestamp", 12.5),  # doubles as strings
        ({"timestamp": 12}, "timestamp", 12.0),
        ({"timestamp": "Infinity"}, "timestamp", math.inf),
        ({"timestamp": "-Infinity"}, "timestamp", -math.inf),
        ({"healthy": "true"}, "healthy", True),  # booleans as strings
        ({"healthy": "false"}, "healthy", False),
        ({"healthy": True}, "healthy", True),
        ({"uuid": UUID_B64}, "uuid", UUID_BYTES),
        ({"uuid": UUID_B64.rstrip("=")}, "uuid", UUID_BYTES),  # padding optional
        ({"uuid": " ".join(UUID_B64)}, "uuid", UUID_BYTES),  # whitespace skipped
        ({"uuid": UUID_B64 + "!!garbage after the padding"}, "uuid", UUID_BYTES),
        ({"message": "é ☃"}, "message", "é ☃"),
    ],
)
def test_lenient_scalar_parsing(json_fields: dict[str, Any], attribute: str, expected: Any) -> None:
    status = json_to_message(_status(**json_fields), mesos_pb2.TaskStatus)
    assert getattr(status, attribute) == expected


def test_integers_may_be_strings_and_floats_truncate() -> None:
    assert json_to_message({"nanoseconds": "-42"}, mesos_pb2.TimeInfo).nanoseconds == -42
    assert json_to_message({"nanoseconds": str(2**63 - 1)}, mesos_pb2.TimeInfo).nanoseconds == (
        2**63 - 1
    )
    assert json_to_message({"nanoseconds": 7.9}, mesos_pb2.TimeInfo).nanoseconds == 7


def test_null_means_unset_and_unknown_keys_are_ignored() -> None:
    status = json_to_message(
        _status(message=None, healthy=None, no_such_field={"x": [1]}), mesos_pb2.TaskStatus
    )
    assert not status.HasField("message") and not status.HasField("healthy")


def test_unknown_name_in_an_optional_enum_leaves_it_unset() -> None:
    status = json_to_message(_status(source="SOURCE_MARS"), mesos_pb2.TaskStatus)
    assert not status.HasField("source")
    assert not json_to_message({"type": "TELEPORT"}, Call).HasField("type")


def test_unknown_names_in_a_repeated_enum_are_dropped() -> None:
    caps = json_to_message({"capabilities": ["CHOWN", "NOPE", "KILL"]}, mesos_pb2.CapabilityInfo)
    assert list(caps.capabilities) == [
        mesos_pb2.CapabilityInfo.CHOWN,
        mesos_pb2.CapabilityInfo.KILL,
    ]


def test_a_single_value_for_a_repeated_field_is_one_element() -> None:
    info = json_to_message({"user": "u", "name": "n", "roles": "web"}, mesos_pb2.FrameworkInfo)
    assert list(info.roles) == ["web"]


def test_maps_parse_from_objects() -> None:
    task = json_to_message(
        {
            "name": "t",
            "task_id": {"value": "t"},
            "agent_id": {"value": "a"},
            "limits": {"cpus": {"value": 1}, "mem": {"value": "Infinity"}},
        },
        mesos_pb2.TaskInfo,
    )
    assert dict((k, v.value) for k, v in task.limits.items()) == {"cpus": 1.0, "mem": math.inf}


PREFIX = "Failed to convert JSON into Call protobuf: "


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Syntax errors.
        (b"{", "Failed to parse body into JSON: "),
        (b"", "Failed to parse body into JSON: "),
        (b'{"type": NaN}', "Failed to parse body into JSON: "),
        (b"\xff", "Failed to parse body into JSON: "),
        # Conversion errors.
        (b"[]", PREFIX + "Expecting a JSON object"),
        (b'"SUBSCRIBE"', PREFIX + "Expecting a JSON object"),
        (
            b'{"type":"SUBSCRIBE","subscribe":{"framework_info":{}}}',
            PREFIX
            + "Missing required fields: subscribe.framework_info.user, subscribe.framework_info.name",
        ),
        (
            b'{"type":"SUBSCRIBE","subscribe":{}}',
            PREFIX + "Missing required fields: subscribe.framework_info",
        ),
        (
            b'{"type":"ACCEPT","accept":{"offer_ids":[{"value":"o"},{}]}}',
            PREFIX + "Missing required fields: accept.offer_ids[1].value",
        ),
        (b'{"type":1}', PREFIX + "Not expecting a JSON number for field 'type'"),
        (b'{"type":["SUBSCRIBE"]}', PREFIX + "Not expecting a JSON array for field 'type'"),
        (b'{"framework_id":"fw"}', PREFIX + "Not expecting a JSON string for field 'framework_id'"),
        (
            b'{"framework_id":{"value":7}}',
            PREFIX + "Not expecting a JSON number for field 'framework_id.value'",
        ),
        (
            b'{"acknowledge":{"uuid":"not*base64"}}',
            PREFIX + "Failed to base64-decode field 'acknowledge.uuid'",
        ),
        (
            b'{"acknowledge":{"uuid":17}}',
            PREFIX + "Not expecting a JSON number for field 'acknowledge.uuid'",
        ),
        (
            b'{"subscribe":{"framework_info":{"user":"u","name":"n","checkpoint":"yes"}}}',
            PREFIX + "Not expecting a JSON string for field 'subscribe.framework_info.checkpoint'",
        ),
        (
            b'{"subscribe":{"framework_info":{"user":"u","name":"n","failover_timeout":"soon"}}}',
            PREFIX + "Failed to convert 'soon' to double",
        ),
        (
            b'{"kill":{"task_id":{"value":"t"},"kill_policy":{"grace_period":{"nanoseconds":"1.5"}}}}',
            PREFIX + "Failed to convert '1.5' to int64",
        ),
    ],
)
def test_decode_errors_carry_the_masters_texts(body: bytes, expected: str) -> None:
    with pytest.raises(DecodeError) as info:
        json_to_message(body, Call)
    assert info.value.message.startswith(expected)
    assert str(info.value) == info.value.message


def test_unknown_name_in_a_required_enum_is_an_error() -> None:
    body = {"update": {"status": {"task_id": {"value": "t"}, "state": "TASK_BOGUS"}}}
    with pytest.raises(DecodeError) as info:
        json_to_message(body, executor_pb2.Call)
    assert info.value.message == PREFIX + "Failed to find enum for 'TASK_BOGUS'"


def test_numbers_out_of_range_are_errors() -> None:
    for value in (2**63, "-9223372036854775809", 1e300):
        with pytest.raises(DecodeError, match="out of range"):
            json_to_message({"nanoseconds": value}, mesos_pb2.TimeInfo)
    with pytest.raises(DecodeError, match="out of range"):
        json_to_message({"ip": -1, "id": "m", "port": 1}, mesos_pb2.MasterInfo)


def test_executor_calls_use_the_same_texts() -> None:
    with pytest.raises(DecodeError) as info:
        json_to_message(b'{"type":"HEARTBEAT"}', executor_pb2.Call)
    assert info.value.message == PREFIX + "Missing required fields: executor_id, framework_id"


def test_the_message_name_in_errors_is_a_parameter() -> None:
    with pytest.raises(DecodeError) as info:
        json_to_message(b"{}", mesos_pb2.TaskID, label="TaskID")
    assert info.value.message == (
        "Failed to convert JSON into TaskID protobuf: Missing required fields: value"
    )


# ---------------------------------------------------------------------------------------------
# stout base64
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", b""),
        ("QQ==", b"A"),
        ("QQ", b"A"),
        ("QUI=", b"AB"),
        ("QUJD", b"ABC"),
        ("QU\nJD", b"ABC"),
        ("Q U J D\t", b"ABC"),
        ("QQ==QUJD", b"A"),  # decoding stops at the first '='
        ("=QUJD", b""),
        ("Q", b""),
        ("+/+/", b"\xfb\xff\xbf"),
    ],
)
def test_stout_base64_decoding(text: str, expected: bytes) -> None:
    assert stout_base64_decode(text) == expected


@pytest.mark.parametrize("text", ["QQ-_", "QUJD.", "é", "QU\x00JD"])
def test_stout_base64_rejects_characters_outside_the_alphabet(text: str) -> None:
    with pytest.raises(ValueError):
        stout_base64_decode(text)


@given(data=st.binary(max_size=64), spaces=st.lists(st.integers(min_value=0), max_size=4))
def test_stout_base64_decodes_what_standard_base64_encodes(data: bytes, spaces: list[int]) -> None:
    text = base64.b64encode(data).decode()
    assert stout_base64_decode(text) == data
    assert stout_base64_decode(text.rstrip("=")) == data
    for position in spaces:
        cut = position % (len(text) + 1)
        text = text[:cut] + " " + text[cut:]
    assert stout_base64_decode(text) == data


# ---------------------------------------------------------------------------------------------
# Protobuf bodies and body dispatch
# ---------------------------------------------------------------------------------------------


def _subscribe_call() -> scheduler_pb2.Call:
    call = Call(type=Call.SUBSCRIBE)
    call.subscribe.framework_info.user = "u"
    call.subscribe.framework_info.name = "n"
    return call


def test_protobuf_bodies_round_trip() -> None:
    call = _subscribe_call()
    assert protobuf_to_message(call.SerializeToString(), Call) == call


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xff\xff",  # not protobuf
        b"\x0a\x05ab",  # truncated length-delimited field
    ],
)
def test_unparsable_protobuf_is_rejected(body: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        protobuf_to_message(body, Call)
    assert info.value.message == "Failed to parse body into Call protobuf"


def test_protobuf_missing_required_fields_is_a_parse_failure() -> None:
    call = Call(type=Call.SUBSCRIBE)
    call.subscribe.framework_info.user = "u"  # name missing
    with pytest.raises(DecodeError) as info:
        protobuf_to_message(call.SerializePartialToString(), Call)
    assert info.value.message == "Failed to parse body into Call protobuf"


def test_decode_body_dispatches_on_the_exact_content_type() -> None:
    call = _subscribe_call()
    assert decode_body(call.SerializeToString(), APPLICATION_PROTOBUF, Call) == call
    assert decode_body(to_json_bytes(call), APPLICATION_JSON, Call) == json_to_message(
        to_json_bytes(call), Call
    )
    for content_type in ("application/json; charset=utf-8", "Application/JSON", "text/plain", ""):
        with pytest.raises(UnsupportedMediaTypeError) as info:
            decode_body(b"{}", content_type, Call)
        assert info.value.message == (
            "Expecting 'Content-Type' of application/json or application/x-protobuf"
        )


def test_encode_event_per_content_type() -> None:
    event = Event(type=Event.HEARTBEAT)
    assert encode_event(event, APPLICATION_JSON) == b'{"type":"HEARTBEAT"}'
    assert Event.FromString(encode_event(event, APPLICATION_PROTOBUF)) == event
    with pytest.raises(ValueError):
        encode_event(event, "text/plain")


# ---------------------------------------------------------------------------------------------
# Accept negotiation (§1.3)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, APPLICATION_JSON),  # no header: anything goes, JSON preferred
        ("application/json", APPLICATION_JSON),
        ("application/x-protobuf", APPLICATION_PROTOBUF),
        ("application/x-protobuf, application/json", APPLICATION_JSON),  # JSON tested first
        ("*/*", APPLICATION_JSON),
        ("application/*", APPLICATION_JSON),
        ("APPLICATION/X-PROTOBUF", APPLICATION_PROTOBUF),  # case-insensitive
        ("application/json;q=0, application/x-protobuf", APPLICATION_PROTOBUF),
        ("application/json; q=0.0, */*", APPLICATION_PROTOBUF),  # most specific entry wins
        ("application/json;q=0.5", APPLICATION_JSON),
        ("application/json;q=abc", APPLICATION_JSON),  # unparsable quality does not exclude
        ("application/json;charset=utf-8", APPLICATION_JSON),
        ("text/html,\tapplication/x-protobuf ;q=1", APPLICATION_PROTOBUF),
        ("*/*;q=0", None),
        ("application/json;q=0", None),
        ("foo", None),
        ("application/recordio", None),
        ("", None),
    ],
)
def test_accept_negotiation(accept: str | None, expected: str | None) -> None:
    assert negotiate_accept(accept) == expected


# ---------------------------------------------------------------------------------------------
# Round trips over random messages
# ---------------------------------------------------------------------------------------------

_INT_BOUNDS = {
    FieldDescriptor.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_UINT64: (0, 2**64 - 1),
}
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)


def _map_value_field(field: FieldDescriptor) -> FieldDescriptor | None:
    """The value field of a map field's entry type, or ``None`` for other fields."""
    entry = field.message_type
    if entry is None or not field.is_repeated or not entry.GetOptions().map_entry:
        return None
    return entry.fields_by_name["value"]


def _scalars(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.type == FieldDescriptor.TYPE_ENUM:
        assert field.enum_type is not None
        return st.sampled_from([v.number for v in field.enum_type.values])
    if field.type == FieldDescriptor.TYPE_STRING:
        return _TEXT
    if field.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=20)
    if field.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if field.type == FieldDescriptor.TYPE_DOUBLE:
        return st.floats(allow_nan=False)
    if field.type == FieldDescriptor.TYPE_FLOAT:
        return st.floats(allow_nan=False, width=32)
    low, high = _INT_BOUNDS[field.cpp_type]
    return st.integers(min_value=low, max_value=high)


def _fill(draw: st.DrawFn, msg: Message, depth: int) -> None:
    """Set a random selection of fields; required fields always, nothing optional past depth."""
    descriptor: Descriptor = msg.DESCRIPTOR  # type: ignore[assignment]
    chosen_oneof_member = {
        oneof.name: draw(st.sampled_from([None, *[f.name for f in oneof.fields]]))
        for oneof in descriptor.oneofs
    }
    for field in descriptor.fields:
        if field.containing_oneof is not None:
            if chosen_oneof_member[field.containing_oneof.name] != field.name:
                continue
        elif not field.is_required and (depth <= 0 or not draw(st.booleans())):
            continue
        is_message = field.type == FieldDescriptor.TYPE_MESSAGE
        value_field = _map_value_field(field)
        if value_field is not None:
            container = getattr(msg, field.name)
            for key in draw(st.lists(_TEXT, max_size=2, unique=True)):
                if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    _fill(draw, container[key], depth - 1)
                else:
                    container[key] = draw(_scalars(value_field))
        elif field.is_repeated:
            container = getattr(msg, field.name)
            for _ in range(draw(st.integers(min_value=0, max_value=2))):
                if is_message:
                    _fill(draw, container.add(), depth - 1)
                else:
                    container.append(draw(_scalars(field)))
        elif is_message:
            sub = getattr(msg, field.name)
            sub.SetInParent()
            _fill(draw, sub, depth - 1)
        else:
            setattr(msg, field.name, draw(_scalars(field)))


@st.composite
def messages(draw: st.DrawFn, cls: type[Message], depth: int = 3) -> Message:
    msg = cls()
    _fill(draw, msg, depth)
    return msg


def with_explicit_defaults(msg: Message) -> Message:
    """A copy of ``msg`` with every unset, non-deprecated defaulted scalar set to its default:
    what a stout JSON round trip yields."""
    out = type(msg)()
    out.CopyFrom(msg)
    _set_defaults(out)
    return out


def _set_defaults(msg: Message) -> None:
    descriptor: Descriptor = msg.DESCRIPTOR  # type: ignore[assignment]
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            value_field = _map_value_field(field)
            if value_field is not None:
                container = getattr(msg, field.name)
                if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    for key in container:
                        _set_defaults(container[key])
            elif field.is_repeated:
                for item in getattr(msg, field.name):
                    _set_defaults(item)
            elif msg.HasField(field.name):
                _set_defaults(getattr(msg, field.name))
        elif (
            not field.is_repeated
            and field.has_default_value
            and not field.GetOptions().deprecated
            and not msg.HasField(field.name)
        ):
            setattr(msg, field.name, field.default_value)


ROUND_TRIP = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize(
    "cls",
    [mesos_pb2.TaskStatus, mesos_pb2.Offer, mesos_pb2.FrameworkInfo, mesos_pb2.TaskInfo],
    ids=lambda c: c.__name__,
)
@ROUND_TRIP
@given(data=st.data())
def test_random_messages_survive_json(cls: type[Message], data: st.DataObject) -> None:
    msg = data.draw(messages(cls, depth=3))
    decoded = json_to_message(to_json_bytes(msg), cls, label=cls.__name__)
    assert decoded == with_explicit_defaults(msg)
    assert message_to_json(decoded) == message_to_json(msg)


@pytest.mark.parametrize("cls", [Call, Event, executor_pb2.Call, executor_pb2.Event], ids=str)
@ROUND_TRIP
@given(data=st.data())
def test_calls_and_events_survive_json_protobuf_json(
    cls: type[Message], data: st.DataObject
) -> None:
    msg = data.draw(messages(cls, depth=2))
    via_json = json_to_message(to_json_bytes(msg), cls)
    via_binary = protobuf_to_message(encode_event(via_json, APPLICATION_PROTOBUF), cls)
    assert via_binary == via_json == with_explicit_defaults(msg)
    assert encode_event(via_binary, APPLICATION_JSON) == encode_event(msg, APPLICATION_JSON)
    assert protobuf_to_message(encode_event(msg, APPLICATION_PROTOBUF), cls) == msg


@given(st.floats())
def test_every_double_survives_json(value: float) -> None:
    scalar = json_to_message(
        to_json_bytes(mesos_pb2.Value.Scalar(value=value)), mesos_pb2.Value.Scalar
    )
    assert scalar.value == value or (math.isnan(value) and math.isnan(scalar.value))
