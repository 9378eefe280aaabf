"""Mesos's message encodings for the v1 HTTP APIs: stout JSON, protobuf, Accept negotiation.

Everything here is pure and synchronous: bytes and messages in, bytes and messages out.

The JSON form is the one Mesos itself produces and accepts (``jsonify(JSON::Protobuf(m))`` and
``protobuf::parse<T>(json)`` in stout), which is *not* proto3 JSON (``google.protobuf.json_format``):

* keys are the proto field names (snake_case);
* enums are written as their names, and only names are accepted;
* ``bytes`` are standard padded base64; 64-bit integers are JSON numbers;
* infinite doubles are the strings ``"Infinity"`` / ``"-Infinity"``;
* ``map<K, V>`` fields are JSON objects keyed by the map key;
* repeated fields are omitted when empty;
* an unset optional field that declares an explicit ``[default = ...]`` and is not deprecated
  is written with its default value (``FrameworkInfo.failover_timeout: 0``,
  ``CommandInfo.shell: true``, ``Filters.refuse_seconds: 5``, ...).

Parsing is lenient the way stout is: numbers may be given as strings, booleans as
``"true"``/``"false"``, ``null`` means unset, unknown keys are ignored, an unknown enum name
leaves an optional field unset (it is an error only for a required enum), a single value given
for a repeated field is one element, and bytes use stout's base64 decoder (stops at the first
``=``, skips whitespace, rejects anything outside ``[A-Za-z0-9+/]``).

Errors are reported as :class:`DecodeError` whose ``message`` is the exact body the Mesos master
sends with its ``400``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar, cast

import orjson
from google.protobuf import message as _pb_message
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

__all__ = [
    "APPLICATION_JSON",
    "APPLICATION_PROTOBUF",
    "DecodeError",
    "UnsupportedMediaTypeError",
    "accepts_media_type",
    "decode_body",
    "encode_event",
    "json_to_message",
    "message_to_json",
    "missing_required_fields",
    "negotiate_accept",
    "protobuf_to_message",
    "stout_base64_decode",
    "to_json_bytes",
]

APPLICATION_JSON: Final = "application/json"
APPLICATION_PROTOBUF: Final = "application/x-protobuf"

M = TypeVar("M", bound=Message)


class DecodeError(ValueError):
    """A request body that cannot be turned into the expected message.

    ``message`` is the complete text Mesos puts in the ``400`` body, e.g.
    ``Failed to convert JSON into Call protobuf: Missing required fields: type``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedMediaTypeError(ValueError):
    """A ``Content-Type`` that is neither exactly JSON nor exactly protobuf (HTTP 415)."""

    BODY: Final = "Expecting 'Content-Type' of application/json or application/x-protobuf"

    def __init__(self, content_type: str) -> None:
        super().__init__(self.BODY)
        self.content_type = content_type
        self.message = self.BODY


class _ConversionError(Exception):
    """Internal: a JSON value that does not fit the message; the detail after the prefix."""


# ---------------------------------------------------------------------------------------------
# Per-descriptor field tables (computed once per message type)
# ---------------------------------------------------------------------------------------------

_T = FieldDescriptor

_INT_RANGES: Final[dict[int, tuple[int, int, str]]] = {
    _T.CPPTYPE_INT32: (-(2**31), 2**31 - 1, "int32"),
    _T.CPPTYPE_INT64: (-(2**63), 2**63 - 1, "int64"),
    _T.CPPTYPE_UINT32: (0, 2**32 - 1, "uint32"),
    _T.CPPTYPE_UINT64: (0, 2**64 - 1, "uint64"),
}

_KIND_MESSAGE: Final = "message"
_KIND_ENUM: Final = "enum"
_KIND_BYTES: Final = "bytes"
_KIND_STRING: Final = "string"
_KIND_BOOL: Final = "bool"
_KIND_FLOAT: Final = "float"
_KIND_INT: Final = "int"


def _kind(field: FieldDescriptor) -> str:
    if field.type in (_T.TYPE_MESSAGE, _T.TYPE_GROUP):
        return _KIND_MESSAGE
    if field.type == _T.TYPE_ENUM:
        return _KIND_ENUM
    if field.type == _T.TYPE_BYTES:
        return _KIND_BYTES
    if field.type == _T.TYPE_STRING:
        return _KIND_STRING
    if field.type == _T.TYPE_BOOL:
        return _KIND_BOOL
    if field.type in (_T.TYPE_DOUBLE, _T.TYPE_FLOAT):
        return _KIND_FLOAT
    return _KIND_INT


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    kind: str
    repeated: bool
    required: bool
    descriptor: FieldDescriptor
    # For enums: number -> name and name -> number.
    enum_names: Mapping[int, str] | None
    enum_numbers: Mapping[str, int] | None
    # For maps: the entry's key and value fields.
    map_key: _Field | None
    map_value: _Field | None
    # The JSON value written when the field is unset (explicit, non-deprecated default).
    emit_default: bool
    default_json: Any


_PLANS: dict[str, tuple[_Field, ...]] = {}
_BY_NAME: dict[str, Mapping[str, _Field]] = {}


def _make_field(field: FieldDescriptor) -> _Field:
    kind = _kind(field)
    enum_names: dict[int, str] | None = None
    enum_numbers: dict[str, int] | None = None
    if kind == _KIND_ENUM and field.enum_type is not None:
        enum_names = {v.number: v.name for v in field.enum_type.values}
        enum_numbers = {v.name: v.number for v in field.enum_type.values}
    map_key: _Field | None = None
    map_value: _Field | None = None
    if (
        kind == _KIND_MESSAGE
        and field.is_repeated
        and field.message_type is not None
        and field.message_type.GetOptions().map_entry
    ):
        entry = field.message_type
        map_key = _make_field(entry.fields_by_name["key"])
        map_value = _make_field(entry.fields_by_name["value"])
    emit_default = (
        not field.is_repeated
        and kind != _KIND_MESSAGE
        and field.has_default_value
        and not field.GetOptions().deprecated
    )
    plan = _Field(
        name=field.name,
        kind=kind,
        repeated=field.is_repeated,
        required=field.is_required,
        descriptor=field,
        enum_names=enum_names,
        enum_numbers=enum_numbers,
        map_key=map_key,
        map_value=map_value,
        emit_default=False,
        default_json=None,
    )
    if emit_default:
        plan = replace(
            plan, emit_default=True, default_json=_scalar_to_json(plan, field.default_value)
        )
    return plan


def _fields(descriptor: Descriptor) -> tuple[_Field, ...]:
    plan = _PLANS.get(descriptor.full_name)
    if plan is None:
        plan = tuple(_make_field(f) for f in descriptor.fields)
        _PLANS[descriptor.full_name] = plan
        _BY_NAME[descriptor.full_name] = {f.name: f for f in plan}
    return plan


def _fields_by_name(descriptor: Descriptor) -> Mapping[str, _Field]:
    by_name = _BY_NAME.get(descriptor.full_name)
    if by_name is None:
        _fields(descriptor)
        by_name = _BY_NAME[descriptor.full_name]
    return by_name


def _descriptor(msg: Message) -> Descriptor:
    return cast(Descriptor, msg.DESCRIPTOR)


# ---------------------------------------------------------------------------------------------
# Encoding: message -> JSON
# ---------------------------------------------------------------------------------------------


def _float_to_json(value: float) -> float | str:
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return "NaN"
    return value


def _scalar_to_json(field: _Field, value: Any) -> Any:
    kind = field.kind
    if kind == _KIND_ENUM:
        assert field.enum_names is not None
        return field.enum_names.get(value, value)
    if kind == _KIND_BYTES:
        return base64.b64encode(value).decode("ascii")
    if kind == _KIND_FLOAT:
        return _float_to_json(value)
    return value


def _value_to_json(field: _Field, value: Any) -> Any:
    if field.kind == _KIND_MESSAGE:
        return message_to_json(value)
    return _scalar_to_json(field, value)


def _map_key_to_json(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


# Messages that repeat across offers (an agent's attributes and URL, the same free resources
# on many agents): their JSON is kept by serialized form. Their JSON objects are shared
# between outputs, which only ever serialize them.
_MEMO_TYPES: Final = frozenset({"mesos.v1.Attribute", "mesos.v1.Resource", "mesos.v1.URL"})
_MEMO: dict[tuple[str, bytes], dict[str, Any]] = {}
_MEMO_LIMIT: Final = 100_000


def message_to_json(msg: Message) -> dict[str, Any]:
    """The JSON object (as Python values) Mesos writes for ``msg``.

    The result contains only ``dict``, ``list``, ``str``, ``int``, ``float`` and ``bool``
    values, ready for any JSON serializer.
    """
    descriptor = _descriptor(msg)
    if descriptor.full_name in _MEMO_TYPES:
        key = (descriptor.full_name, msg.SerializePartialToString(deterministic=True))
        cached = _MEMO.get(key)
        if cached is None:
            if len(_MEMO) >= _MEMO_LIMIT:
                _MEMO.clear()
            cached = _MEMO[key] = _message_to_json(msg, descriptor)
        return cached
    return _message_to_json(msg, descriptor)


def _message_to_json(msg: Message, descriptor: Descriptor) -> dict[str, Any]:
    present = {field.name: value for field, value in msg.ListFields()}
    out: dict[str, Any] = {}
    for field in _fields(descriptor):
        if field.name not in present:
            if field.emit_default:
                out[field.name] = field.default_json
            continue
        value = present[field.name]
        if field.map_key is not None:
            assert field.map_value is not None
            value_field = field.map_value
            if len(value) == 0:
                continue
            out[field.name] = {
                _map_key_to_json(k): _value_to_json(value_field, value[k]) for k in sorted(value)
            }
        elif field.repeated:
            if len(value) == 0:
                continue
            out[field.name] = [_value_to_json(field, v) for v in value]
        else:
            out[field.name] = _value_to_json(field, value)
    return out


def to_json_bytes(msg: Message) -> bytes:
    """``msg`` serialized as compact UTF-8 JSON, the way Mesos writes it."""
    return orjson.dumps(message_to_json(msg))


def encode_event(msg: Message, content_type: str) -> bytes:
    """Encode an event (or any message) for a response of type ``content_type``.

    ``content_type`` must be exactly :data:`APPLICATION_JSON` or :data:`APPLICATION_PROTOBUF`
    (the output of :func:`negotiate_accept`).
    """
    if content_type == APPLICATION_JSON:
        return to_json_bytes(msg)
    if content_type == APPLICATION_PROTOBUF:
        return msg.SerializeToString(deterministic=True)
    raise ValueError(f"Unsupported content type for encoding: {content_type!r}")


# ---------------------------------------------------------------------------------------------
# Decoding: JSON -> message
# ---------------------------------------------------------------------------------------------

_B64_VALUES: Final[dict[str, int]] = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}
_B64_WHITESPACE: Final = frozenset(" \t\n\r\v\f")
_B64_CANONICAL = re.compile(r"[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def stout_base64_decode(text: str) -> bytes:
    """Decode standard base64 the way stout's ``base64::decode`` does.

    Decoding stops at the first ``=``; whitespace is skipped; any other character outside
    ``[A-Za-z0-9+/]`` is an error (``ValueError``). Leftover bits of an incomplete group are
    dropped, so missing padding is tolerated.
    """
    if len(text) % 4 == 0 and _B64_CANONICAL.fullmatch(text):
        return binascii.a2b_base64(text)
    out = bytearray()
    acc = 0
    bits = 0
    for ch in text:
        if ch == "=":
            break
        if ch in _B64_WHITESPACE:
            continue
        sextet = _B64_VALUES.get(ch)
        if sextet is None:
            raise ValueError(f"Invalid character {ch!r} in base64 data")
        acc = (acc << 6) | sextet
        bits += 6
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
            acc &= (1 << bits) - 1
    return bytes(out)


_INT_STRING = re.compile(r"[+-]?[0-9]+")
_FLOAT_STRING = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FLOAT_SPECIAL: Final[dict[str, float]] = {
    "Infinity": math.inf,
    "-Infinity": -math.inf,
    "NaN": math.nan,
}

_SKIP: Final = object()
_FLT_MAX: Final = 3.4028234663852886e38


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _mismatch(value: Any, path: str) -> _ConversionError:
    return _ConversionError(f"Not expecting a JSON {_json_kind(value)} for field '{path}'")


def _to_int(field: _Field, value: Any, path: str) -> int:
    low, high, type_name = _INT_RANGES[field.descriptor.cpp_type]
    if isinstance(value, bool):
        raise _mismatch(value, path)
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _ConversionError(f"Value {value!r} out of range for {type_name} field '{path}'")
        result = int(value)  # truncation toward zero, like the C++ conversion
    elif isinstance(value, str):
        if not _INT_STRING.fullmatch(value):
            raise _ConversionError(f"Failed to convert '{value}' to {type_name} for field '{path}'")
        result = int(value)
    else:
        raise _mismatch(value, path)
    if not low <= result <= high:
        raise _ConversionError(f"Value {value!r} out of range for {type_name} field '{path}'")
    return result


def _to_float(value: Any, path: str) -> float:
    if isinstance(value, bool):
        raise _mismatch(value, path)
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            raise _ConversionError(f"Value {value!r} out of range for field '{path}'") from None
    if isinstance(value, str):
        special = _FLOAT_SPECIAL.get(value)
        if special is not None:
            return special
        if _FLOAT_STRING.fullmatch(value):
            return float(value)
        raise _ConversionError(f"Failed to convert '{value}' to double for field '{path}'")
    raise _mismatch(value, path)


def _to_scalar(field: _Field, value: Any, path: str) -> Any:
    """Convert one JSON value for a non-message field; ``_SKIP`` means leave it unset."""
    kind = field.kind
    if kind == _KIND_STRING:
        if isinstance(value, str):
            return value
        raise _mismatch(value, path)
    if kind == _KIND_ENUM:
        if not isinstance(value, str):
            raise _mismatch(value, path)
        assert field.enum_numbers is not None
        number = field.enum_numbers.get(value)
        if number is None:
            if field.required:
                raise _ConversionError(f"Failed to find enum for '{value}'")
            return _SKIP
        return number
    if kind == _KIND_BYTES:
        if not isinstance(value, str):
            raise _mismatch(value, path)
        try:
            return stout_base64_decode(value)
        except ValueError as e:
            raise _ConversionError(f"Failed to base64-decode field '{path}': {e}") from None
    if kind == _KIND_BOOL:
        if isinstance(value, bool):
            return value
        if value == "true":
            return True
        if value == "false":
            return False
        raise _mismatch(value, path)
    if kind == _KIND_FLOAT:
        result = _to_float(value, path)
        if (
            field.descriptor.type == _T.TYPE_FLOAT
            and math.isfinite(result)
            and abs(result) > _FLT_MAX
        ):
            raise _ConversionError(f"Value {value!r} out of range for float field '{path}'")
        return result
    return _to_int(field, value, path)


def _map_key(field: _Field, key: str, path: str) -> Any:
    if field.kind == _KIND_STRING:
        return key
    if field.kind == _KIND_BOOL:
        return _to_scalar(field, key, path)
    return _to_int(field, key, path)


def _parse_object(obj: Mapping[str, Any], msg: Message, prefix: str) -> None:
    by_name = _fields_by_name(_descriptor(msg))
    for key, value in obj.items():
        field = by_name.get(key)
        if field is None or value is None:
            continue  # unknown keys are ignored; null means unset
        path = prefix + key
        if field.map_key is not None:
            assert field.map_value is not None
            _parse_map(field, value, getattr(msg, key), path)
        elif field.repeated:
            container = getattr(msg, key)
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                if item is None:
                    continue
                item_path = f"{path}[{index}]"
                if field.kind == _KIND_MESSAGE:
                    if not isinstance(item, dict):
                        raise _mismatch(item, item_path)
                    _parse_object(item, container.add(), item_path + ".")
                else:
                    converted = _to_scalar(field, item, item_path)
                    if converted is not _SKIP:
                        container.append(converted)
        elif isinstance(value, list):
            raise _mismatch(value, path)
        elif field.kind == _KIND_MESSAGE:
            if not isinstance(value, dict):
                raise _mismatch(value, path)
            sub = getattr(msg, key)
            sub.SetInParent()
            _parse_object(value, sub, path + ".")
        else:
            converted = _to_scalar(field, value, path)
            if converted is not _SKIP:
                setattr(msg, key, converted)


def _parse_map(field: _Field, value: Any, container: Any, path: str) -> None:
    assert field.map_key is not None and field.map_value is not None
    if not isinstance(value, dict):
        raise _mismatch(value, path)
    for raw_key, item in value.items():
        if item is None:
            continue
        item_path = f"{path}[{raw_key}]"
        key = _map_key(field.map_key, raw_key, item_path)
        if key is _SKIP:
            continue
        if field.map_value.kind == _KIND_MESSAGE:
            if not isinstance(item, dict):
                raise _mismatch(item, item_path)
            _parse_object(item, container[key], item_path + ".")
        else:
            converted = _to_scalar(field.map_value, item, item_path)
            if converted is not _SKIP:
                container[key] = converted


def missing_required_fields(msg: Message) -> list[str]:
    """Paths of the unset required fields of ``msg`` (``a.b``, ``c[0].d``), in field order."""
    finder = getattr(msg, "FindInitializationErrors", None)
    if finder is None:  # pragma: no cover - every generated message has it
        return ["<unknown>"]
    return list(cast(list[str], finder()))


def _parse_json_text(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise DecodeError(f"Failed to parse body into JSON: {e}") from None


def json_to_message(
    data: bytes | str | Mapping[str, Any], cls: type[M], *, label: str = "Call"
) -> M:
    """Parse a JSON request body (or an already-parsed JSON object) into a ``cls`` message.

    Raises :class:`DecodeError` with the master's texts:
    ``Failed to parse body into JSON: <detail>`` for malformed JSON, and
    ``Failed to convert JSON into <label> protobuf: <detail>`` when the JSON does not describe
    a complete ``cls`` (e.g. ``Missing required fields: subscribe.framework_info.user``).
    ``label`` is ``"Call"`` for both the scheduler and the executor endpoints.
    """
    value = _parse_json_text(data) if isinstance(data, (bytes, bytearray, str)) else data
    prefix = f"Failed to convert JSON into {label} protobuf: "
    if not isinstance(value, Mapping):
        raise DecodeError(prefix + f"Expecting a JSON object, got a JSON {_json_kind(value)}")
    msg = cls()
    try:
        _parse_object(value, msg, "")
    except _ConversionError as e:
        raise DecodeError(prefix + str(e)) from None
    if not msg.IsInitialized():
        raise DecodeError(
            prefix + "Missing required fields: " + ", ".join(missing_required_fields(msg))
        )
    return msg


def protobuf_to_message(data: bytes, cls: type[M], *, label: str = "Call") -> M:
    """Parse a binary protobuf body; a parse failure or a missing required field raises
    :class:`DecodeError` ``Failed to parse body into <label> protobuf``."""
    msg = cls()
    error = DecodeError(f"Failed to parse body into {label} protobuf")
    try:
        msg.ParseFromString(bytes(data))
    except (_pb_message.DecodeError, ValueError, TypeError):
        raise error from None
    if not msg.IsInitialized():
        raise error
    return msg


def decode_body(body: bytes, content_type: str, cls: type[M], *, label: str = "Call") -> M:
    """Decode a request body according to its ``Content-Type`` (compared exactly, as Mesos does).

    Raises :class:`UnsupportedMediaTypeError` (415) for any other media type and
    :class:`DecodeError` (400) for an undecodable body.
    """
    if content_type == APPLICATION_PROTOBUF:
        return protobuf_to_message(body, cls, label=label)
    if content_type == APPLICATION_JSON:
        return json_to_message(body, cls, label=label)
    raise UnsupportedMediaTypeError(content_type)


# ---------------------------------------------------------------------------------------------
# Accept negotiation
# ---------------------------------------------------------------------------------------------


def _quality_allows(params: list[str]) -> bool:
    for param in params:
        name, sep, raw = param.partition("=")
        if not sep or name.lower() != "q":
            continue
        try:
            quality = float(raw)
        except ValueError:
            continue  # an unparsable quality does not exclude the entry
        if quality <= 0:
            return False
    return True


def accepts_media_type(accept: str | None, media_type: str) -> bool:
    """Whether an ``Accept`` header value allows ``media_type`` (libprocess semantics).

    No header accepts everything. Otherwise spaces and tabs are removed, the value is split on
    ``,`` and the most specific matching range wins: ``type/subtype``, then ``type/*``, then
    ``*/*`` (case-insensitively); the media type is acceptable unless that entry has ``q=0``.
    """
    if accept is None:
        return True
    entries = [entry.split(";") for entry in accept.replace(" ", "").replace("\t", "").split(",")]
    media_type = media_type.lower()
    main_type = media_type.split("/", 1)[0]
    for candidate in (media_type, main_type + "/*", "*/*"):
        for entry in entries:
            if entry[0].lower() == candidate:
                return _quality_allows(entry[1:])
    return False


def negotiate_accept(accept_header: str | None) -> str | None:
    """The response media type for a request's ``Accept`` header, or ``None`` (HTTP 406).

    JSON is preferred whenever it is acceptable, so ``application/x-protobuf, application/json``
    and ``*/*`` both give JSON; protobuf is chosen only when JSON is not acceptable.
    """
    if accepts_media_type(accept_header, APPLICATION_JSON):
        return APPLICATION_JSON
    if accepts_media_type(accept_header, APPLICATION_PROTOBUF):
        return APPLICATION_PROTOBUF
    return None
