"""The request guard of ``POST /api/v1/scheduler``: every synchronous check, in Mesos's order.

:func:`admit_scheduler_call` turns an HTTP request (method, headers, body) and a read-only
view of the master into either an :class:`Admitted` call, ready to dispatch, or a
:class:`Rejection` carrying the exact status, body and headers the Mesos master would send
(``Master::Http::scheduler`` steps 3-9; authentication, leader redirection and registry
recovery are the server's business and happen before this).

Pure: no I/O, no clock, no mutation of the master.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

from .codec import (
    APPLICATION_JSON,
    APPLICATION_PROTOBUF,
    DecodeError,
    UnsupportedMediaTypeError,
    decode_body,
    missing_required_fields,
    negotiate_accept,
)

__all__ = [
    "STREAM_ID_HEADER",
    "TEXT_PLAIN",
    "Admitted",
    "MasterView",
    "Rejection",
    "SchedulerRequest",
    "admit_scheduler_call",
    "validate_scheduler_call",
]

Call = scheduler_pb2.Call

STREAM_ID_HEADER: Final = "Mesos-Stream-Id"
TEXT_PLAIN: Final = "text/plain; charset=utf-8"

#: The calls whose (streamed or synchronous) response is encoded per ``Accept``.
_NEGOTIATED: Final = frozenset({Call.SUBSCRIBE, Call.RECONCILE_OPERATIONS})

#: Call type -> the sub-message it requires. Types absent here (TEARDOWN, REVIVE, SUPPRESS,
#: UNKNOWN) need none; SUBSCRIBE is handled separately.
_REQUIRED_SUBMESSAGE: Final[Mapping[int, str]] = {
    Call.ACCEPT: "accept",
    Call.DECLINE: "decline",
    Call.ACCEPT_INVERSE_OFFERS: "accept_inverse_offers",
    Call.DECLINE_INVERSE_OFFERS: "decline_inverse_offers",
    Call.KILL: "kill",
    Call.SHUTDOWN: "shutdown",
    Call.ACKNOWLEDGE: "acknowledge",
    Call.ACKNOWLEDGE_OPERATION_STATUS: "acknowledge_operation_status",
    Call.RECONCILE: "reconcile",
    Call.RECONCILE_OPERATIONS: "reconcile_operations",
    Call.MESSAGE: "message",
    Call.REQUEST: "request",
    Call.UPDATE_FRAMEWORK: "update_framework",
}


def _normalize_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    normalized: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        # Repeated headers combine into one comma-separated value (RFC 9110 §5.3).
        normalized[key] = f"{normalized[key]},{value}" if key in normalized else value
    return normalized


@dataclass(frozen=True)
class SchedulerRequest:
    """What the guard needs from an HTTP request. Header names are case-insensitive."""

    method: str
    headers: Mapping[str, str] | Iterable[tuple[str, str]]
    body: bytes = b""
    _lowered: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lowered", _normalize_headers(self.headers))

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or ``None`` when absent."""
        return self._lowered.get(name.lower())


class MasterView(Protocol):
    """The master state the guard reads. Ids are ``FrameworkID.value`` strings."""

    def framework_registered(self, framework_id: str) -> bool:
        """Known to the master: active or disconnected, not completed/removed."""
        ...

    def framework_connected(self, framework_id: str) -> bool:
        """Currently subscribed through an open HTTP stream."""
        ...

    def framework_stream_id(self, framework_id: str) -> str | None:
        """The ``Mesos-Stream-Id`` of the framework's current subscription."""
        ...


@dataclass(frozen=True)
class Rejection:
    """An HTTP error response, verbatim as Mesos sends it (body is ``text/plain``)."""

    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": TEXT_PLAIN})

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8")


@dataclass(frozen=True)
class Admitted:
    """A decoded, validated call from an authorized connection, ready for dispatch.

    ``request_content_type`` is the media type the call arrived in. ``response_content_type``
    is the negotiated media type for SUBSCRIBE (the event stream) and RECONCILE_OPERATIONS,
    and ``None`` for the other calls, whose responses have no body.
    """

    call: scheduler_pb2.Call
    request_content_type: str
    response_content_type: str | None


def _reject(status: int, body: str, **extra: str) -> Rejection:
    headers = {"Content-Type": TEXT_PLAIN}
    headers.update(extra)
    return Rejection(status, body, headers)


def validate_scheduler_call(call: scheduler_pb2.Call) -> str | None:
    """``validation::scheduler::call::validate``: the error message, or ``None`` if valid.

    The HTTP body is ``Failed to validate scheduler::Call: <message>``. Principal checks are
    not made here (no authentication).
    """
    if not call.IsInitialized():
        return "Not initialized: " + ", ".join(missing_required_fields(call))
    if not call.HasField("type"):
        return "Expecting 'type' to be present"

    if call.type == Call.SUBSCRIBE:
        if not call.HasField("subscribe"):
            return "Expecting 'subscribe' to be present"
        info = call.subscribe.framework_info
        if call.HasField("framework_id") != info.HasField("id") or (
            call.HasField("framework_id") and call.framework_id.value != info.id.value
        ):
            return "'framework_id' differs from 'subscribe.framework_info.id'"
        return None

    if not call.HasField("framework_id"):
        return "Expecting 'framework_id' to be present"

    submessage = _REQUIRED_SUBMESSAGE.get(call.type)
    if submessage is not None and not call.HasField(submessage):
        return f"Expecting '{submessage}' to be present"

    if call.type == Call.ACKNOWLEDGE and len(call.acknowledge.uuid) != 16:
        return "Not a valid UUID"
    if call.type == Call.ACKNOWLEDGE_OPERATION_STATUS:
        if len(call.acknowledge_operation_status.uuid) != 16:
            return "Not a valid UUID"
        if not call.acknowledge_operation_status.HasField("agent_id"):
            return "Expecting 'agent_id' to be present"
    if (
        call.type == Call.UPDATE_FRAMEWORK
        and call.framework_id.value != call.update_framework.framework_info.id.value
    ):
        return "'framework_id' differs from 'update_framework.framework_info.id'"
    return None


def admit_scheduler_call(request: SchedulerRequest, master: MasterView) -> Admitted | Rejection:
    """Run the synchronous checks of ``Master::Http::scheduler`` in order (§1.2 steps 3-9)."""
    # 3. Method.
    if request.method != "POST":
        return _reject(
            405,
            f"405 Method Not Allowed. Expecting one of {{ 'POST' }}, "
            f"but received '{request.method}'.",
            Allow="POST",
        )

    # 4. Content-Type present.
    content_type = request.header("Content-Type")
    if content_type is None:
        return _reject(400, "Expecting 'Content-Type' to be present")

    # 5. Body decoding (exact, case-sensitive media type).
    try:
        call = decode_body(request.body, content_type, scheduler_pb2.Call, label="Call")
    except UnsupportedMediaTypeError as e:
        return _reject(415, e.message)
    except DecodeError as e:
        return _reject(400, e.message)

    # 6. Call validation.
    error = validate_scheduler_call(call)
    if error is not None:
        return _reject(400, f"Failed to validate scheduler::Call: {error}")

    # 7. Accept negotiation, only for the calls that answer with a body.
    response_content_type: str | None = None
    if call.type in _NEGOTIATED:
        response_content_type = negotiate_accept(request.header("Accept"))
        if response_content_type is None:
            return _reject(
                406,
                f"Expecting 'Accept' to allow '{APPLICATION_PROTOBUF}' or '{APPLICATION_JSON}'",
            )

    stream_id = request.header(STREAM_ID_HEADER)

    # 8. SUBSCRIBE must open a new stream.
    if call.type == Call.SUBSCRIBE:
        if stream_id is not None:
            return _reject(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
        return Admitted(call, content_type, response_content_type)

    # 9. Every other call comes from the framework's current subscription.
    framework_id = call.framework_id.value
    if not master.framework_registered(framework_id):
        return _reject(400, "Framework cannot be found")
    if not master.framework_connected(framework_id):
        return _reject(403, "Framework is not subscribed")
    if stream_id is None:
        return _reject(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
    if stream_id != master.framework_stream_id(framework_id):
        return _reject(
            400,
            f"The stream ID '{stream_id}' included in this request didn't match the stream ID "
            f"currently associated with framework ID {framework_id}",
        )
    if call.type == Call.UNKNOWN:
        return _reject(501, "501 Not Implemented.")
    return Admitted(call, content_type, response_content_type)
