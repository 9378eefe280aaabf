"""A raw Mesos v1 scheduler client for the end-to-end tests: bytes on sockets, nothing hidden.

It speaks what the real clients put on the wire (mesos-api.md §1, §11):

* libmesos / Aurora: `application/x-protobuf` bodies and `Accept` to
  `/master/api/v1/scheduler`, the subscription on one connection, every other call on a
  second, persistent keep-alive connection, possibly pipelined.
* pymesos-style JSON to `/api/v1/scheduler` (JSON is encoded with protobuf's own
  `json_format`, keeping the proto field names, and decoded strictly the same way, so a
  key the server invents fails the decode instead of passing unnoticed).

HTTP/1.1, chunked transfer coding and RecordIO are parsed here from scratch, independently
of the server's code. Everything blocks with timeouts; waits poll with deadlines.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

from google.protobuf import json_format

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

Call = scheduler_pb2.Call
Event = scheduler_pb2.Event
TaskStatus = mesos_pb2.TaskStatus

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
SCHEDULER_PATH = "/api/v1/scheduler"
LIBMESOS_PATH = "/master/api/v1/scheduler"

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05,
               message: str = "") -> T:
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {message or predicate}")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# HTTP/1.1
# ---------------------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def format_request(method: str, path: str, host: str, headers: Mapping[str, str] | None = None,
                   body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def read_head(reader: IO[bytes]) -> tuple[int, str, dict[str, str]]:
    line = reader.readline(65536)
    if not line:
        raise ConnectionError("connection closed before a response")
    parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ConnectionError(f"bad status line {line!r}")
    status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
    headers: dict[str, str] = {}
    while True:
        line = reader.readline(65536)
        if line in (b"\r\n", b"\n"):
            break
        if not line:
            raise ConnectionError("connection closed inside the response head")
        name, _, value = line.decode("latin-1").partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return status, reason, headers


def read_chunk(reader: IO[bytes]) -> bytes | None:
    """One chunk of a chunked body; None after the last (zero-size) chunk and its trailers."""
    size_line = reader.readline(1024)
    if not size_line:
        raise ConnectionError("connection closed inside a chunked body")
    size = int(size_line.split(b";")[0].strip(), 16)
    if size == 0:
        while reader.readline(65536) not in (b"\r\n", b"\n", b""):
            pass
        return None
    data = reader.read(size)
    if len(data) < size or reader.read(2) != b"\r\n":
        raise ConnectionError("connection closed inside a chunk")
    return data


def is_chunked(headers: Mapping[str, str]) -> bool:
    return "chunked" in headers.get("transfer-encoding", "").lower()


def read_response(reader: IO[bytes], method: str = "POST") -> Response:
    status, reason, headers = read_head(reader)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif is_chunked(headers):
        chunks = []
        while (chunk := read_chunk(reader)) is not None:
            chunks.append(chunk)
        body = b"".join(chunks)
    elif "content-length" in headers:
        length = int(headers["content-length"])
        body = reader.read(length)
        if len(body) < length:
            raise ConnectionError("connection closed inside the body")
    else:
        body = reader.read()
    return Response(status, reason, headers, body)


def split_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None, url
    return parts.hostname, parts.port


class HttpConnection:
    """One persistent HTTP/1.1 connection: requests one at a time, or pipelined."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.host, self.port = split_url(url)
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.reader = self.sock.makefile("rb")

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"

    def request(self, method: str, path: str, body: bytes = b"",
                headers: Mapping[str, str] | None = None) -> Response:
        return self.pipeline([(method, path, body, headers or {})])[0]

    def pipeline(self, requests: Sequence[tuple[str, str, bytes, Mapping[str, str]]]) -> list[Response]:
        """Write every request before reading any answer; the answers come back in order."""
        self.sock.sendall(b"".join(format_request(m, p, self.authority, h, b) for m, p, b, h in requests))
        return [read_response(self.reader, m) for m, _, _, _ in requests]

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_response(self, method: str = "POST") -> Response:
        return read_response(self.reader, method)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def request(url: str, method: str, path: str, body: bytes = b"",
            headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> Response:
    """One request on a fresh connection."""
    connection = HttpConnection(url, timeout=timeout)
    try:
        return connection.request(method, path, body, headers)
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# Codecs
# ---------------------------------------------------------------------------------------------

def encode_call(call: scheduler_pb2.Call, content_type: str) -> bytes:
    if content_type == PROTOBUF:
        return call.SerializeToString()
    return json.dumps(json_format.MessageToDict(call, preserving_proto_field_name=True)).encode()


def decode_event(record: bytes, content_type: str) -> scheduler_pb2.Event:
    if content_type == PROTOBUF:
        return Event.FromString(record)
    return json_format.ParseDict(json.loads(record), Event())


class RecordReader:
    """RecordIO: `<decimal length>\\n<that many bytes>`, strictly (no zero or padded lengths)."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        records: list[bytes] = []
        while True:
            newline = self.buffer.find(b"\n")
            if newline < 0:
                if len(self.buffer) > 20:
                    raise ValueError(f"bad RecordIO length prefix {self.buffer[:24]!r}")
                return records
            prefix = self.buffer[:newline]
            if not prefix.isdigit() or (prefix.startswith(b"0")):
                raise ValueError(f"bad RecordIO length prefix {prefix[:24]!r}")
            length = int(prefix)
            if len(self.buffer) < newline + 1 + length:
                return records
            records.append(self.buffer[newline + 1:newline + 1 + length])
            self.buffer = self.buffer[newline + 1 + length:]


# ---------------------------------------------------------------------------------------------
# The subscription stream
# ---------------------------------------------------------------------------------------------

EventPredicate = Callable[[scheduler_pb2.Event], bool]


class Subscription:
    """A SUBSCRIBE request on its own connection, and the event stream it opens.

    A reader thread decodes events as they arrive. `take(...)` removes and returns the first
    not-yet-taken event that matches, waiting up to a deadline; events it passes over stay
    available to later `take`s. `received` keeps everything, in order; `records` the raw
    RecordIO payloads.
    """

    def __init__(self, url: str, body: bytes, *, content_type: str = PROTOBUF,
                 accept: str | None = PROTOBUF, path: str = LIBMESOS_PATH,
                 headers: Mapping[str, str] | None = None, timeout: float = 10.0,
                 read: bool = True, receive_buffer: int | None = None) -> None:
        host, port = split_url(url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.reader = self.sock.makefile("rb")
        all_headers = {"Content-Type": content_type, "Connection": "close"}
        if accept is not None:
            all_headers["Accept"] = accept
        all_headers.update(headers or {})
        self.sock.sendall(format_request("POST", path, f"{host}:{port}", all_headers, body))
        self.status, self.reason, self.headers = read_head(self.reader)
        self.body = b""
        self.records: list[bytes] = []
        self.received: list[scheduler_pb2.Event] = []
        self.error: BaseException | None = None
        self.ended = threading.Event()
        self._pending: list[scheduler_pb2.Event] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        if self.status != 200 or not is_chunked(self.headers):
            self.body = read_response_body(self.reader, self.headers)
            self.ended.set()
            return
        self.content_type = self.headers.get("content-type", "")
        self.sock.settimeout(None)
        if read:
            self.start_reading()

    @property
    def stream_id(self) -> str:
        return self.headers.get("mesos-stream-id", "")

    def start_reading(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._read, name="subscription", daemon=True)
            self._thread.start()

    def _read(self) -> None:
        decoder = RecordReader()
        try:
            while (chunk := read_chunk(self.reader)) is not None:
                for record in decoder.feed(chunk):
                    event = decode_event(record, self.content_type)
                    with self._cond:
                        self.records.append(record)
                        self.received.append(event)
                        self._pending.append(event)
                        self._cond.notify_all()
            if decoder.buffer:
                raise ValueError("stream ended inside a record")
        except Exception as exc:  # a decode error fails the waits that follow, with its cause
            if not self.ended.is_set():
                self.error = exc
        finally:
            with self._cond:
                self.ended.set()
                self._cond.notify_all()

    def take(self, predicate: EventPredicate, timeout: float = 10.0, what: str = "") -> scheduler_pb2.Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, event in enumerate(self._pending):
                    if predicate(event):
                        del self._pending[i]
                        return event
                remaining = deadline - time.monotonic()
                if self.ended.is_set() or remaining <= 0:
                    seen = [Event.Type.Name(e.type) for e in self.received[-20:]]
                    state = "stream ended" if self.ended.is_set() else f"timed out after {timeout:g}s"
                    raise AssertionError(f"{state} waiting for {what or predicate}; error={self.error!r}; "
                                         f"last events: {seen}")
                self._cond.wait(min(remaining, 0.5))

    def take_type(self, event_type: int, timeout: float = 10.0) -> scheduler_pb2.Event:
        return self.take(lambda e: e.type == event_type, timeout, Event.Type.Name(event_type))

    def take_update(self, task_id: str, state: int | None = None, timeout: float = 10.0,
                    reliable: bool | None = None) -> TaskStatus:
        """The next UPDATE for `task_id` (in `state`, if given); returns its TaskStatus."""
        def match(e: scheduler_pb2.Event) -> bool:
            if e.type != Event.UPDATE or e.update.status.task_id.value != task_id:
                return False
            if state is not None and e.update.status.state != state:
                return False
            return reliable is None or e.update.status.HasField("uuid") == reliable
        label = f"UPDATE {task_id} {mesos_pb2.TaskState.Name(state) if state is not None else ''}"
        return self.take(match, timeout, label).update.status

    def pending(self, predicate: EventPredicate | None = None) -> list[scheduler_pb2.Event]:
        with self._cond:
            return [e for e in self._pending if predicate is None or predicate(e)]

    def discard(self, predicate: EventPredicate) -> None:
        with self._cond:
            self._pending = [e for e in self._pending if not predicate(e)]

    def wait_ended(self, timeout: float = 10.0) -> None:
        if not self.ended.wait(timeout):
            raise AssertionError(f"the stream did not end within {timeout:g}s")

    def close(self) -> None:
        """Go away without a word, as a crashed scheduler does."""
        self.ended.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def read_response_body(reader: IO[bytes], headers: Mapping[str, str]) -> bytes:
    if is_chunked(headers):
        chunks = []
        while (chunk := read_chunk(reader)) is not None:
            chunks.append(chunk)
        return b"".join(chunks)
    if "content-length" in headers:
        return reader.read(int(headers["content-length"]))
    return reader.read()


# ---------------------------------------------------------------------------------------------
# A framework
# ---------------------------------------------------------------------------------------------

def framework_info(name: str, *, user: str = "e2e", failover_timeout: float | None = 60.0,
                   capabilities: Iterable[int] = (), framework_id: str | None = None
                   ) -> mesos_pb2.FrameworkInfo:
    info = mesos_pb2.FrameworkInfo(user=user, name=name)
    if failover_timeout is not None:
        info.failover_timeout = failover_timeout
    for capability in capabilities:
        info.capabilities.add().type = capability  # type: ignore[assignment]
    if framework_id:
        info.id.value = framework_id
    return info


def scalar(name: str, value: float) -> mesos_pb2.Resource:
    resource = mesos_pb2.Resource(name=name, type=mesos_pb2.Value.SCALAR)
    resource.scalar.value = value
    return resource


def shell_task(task_id: str, agent_id: str, command: str, *, cpus: float = 0.1,
               mem: float = 32) -> mesos_pb2.TaskInfo:
    task = mesos_pb2.TaskInfo(name=task_id)
    task.task_id.value = task_id
    task.agent_id.value = agent_id
    task.resources.extend([scalar("cpus", cpus), scalar("mem", mem)])
    task.command.value = command
    return task


@dataclass
class Framework:
    """One scheduler: its subscription, its calls connection, and call builders.

    Calls go over one persistent keep-alive connection (libmesos's "nonSubscribe"
    connection); `pipeline` writes several before reading any answer.
    """

    url: str
    content_type: str = PROTOBUF
    path: str = LIBMESOS_PATH
    framework_id: str = ""
    stream: Subscription | None = None
    subscribed: scheduler_pb2.Event | None = None
    _calls: HttpConnection | None = field(default=None, repr=False)

    # ------------------------------------------------------------ subscription

    def subscribe_call(self, info: mesos_pb2.FrameworkInfo, framework_id: str | None = None,
                       suppressed_roles: Iterable[str] = ()) -> scheduler_pb2.Call:
        call = Call(type=Call.SUBSCRIBE)
        call.subscribe.framework_info.CopyFrom(info)
        call.subscribe.suppressed_roles.extend(suppressed_roles)
        if framework_id:
            call.framework_id.value = framework_id
            call.subscribe.framework_info.id.value = framework_id
        return call

    def open_stream(self, info: mesos_pb2.FrameworkInfo, framework_id: str | None = None,
                    **kwargs: Any) -> Subscription:
        """Send SUBSCRIBE and return the stream without waiting for any event."""
        call = self.subscribe_call(info, framework_id)
        accept = kwargs.pop("accept", self.content_type)
        return Subscription(self.url, encode_call(call, self.content_type), content_type=self.content_type,
                            accept=accept, path=self.path, **kwargs)

    def subscribe(self, info: mesos_pb2.FrameworkInfo, framework_id: str | None = None,
                  **kwargs: Any) -> Subscription:
        """SUBSCRIBE and wait for SUBSCRIBED; a re-subscription when `framework_id` is given."""
        stream = self.open_stream(info, framework_id or self.framework_id or None, **kwargs)
        assert stream.status == 200, (stream.status, stream.body)
        self.stream = stream
        self.subscribed = stream.take_type(Event.SUBSCRIBED)
        self.framework_id = self.subscribed.subscribed.framework_id.value
        return stream

    @property
    def events(self) -> Subscription:
        assert self.stream is not None, "not subscribed"
        return self.stream

    # ------------------------------------------------------------ calls

    def _connection(self) -> HttpConnection:
        if self._calls is None:
            self._calls = HttpConnection(self.url)
        return self._calls

    def headers(self, stream_id: str | None = None) -> dict[str, str]:
        headers = {"Content-Type": self.content_type}
        if self.content_type == PROTOBUF:
            headers["Accept"] = PROTOBUF
        sid = stream_id if stream_id is not None else (self.stream.stream_id if self.stream else "")
        if sid:
            headers["Mesos-Stream-Id"] = sid
        return headers

    def prepare(self, call: scheduler_pb2.Call) -> scheduler_pb2.Call:
        if not call.HasField("framework_id") and self.framework_id:
            call.framework_id.value = self.framework_id
        return call

    def call(self, call: scheduler_pb2.Call, *, headers: Mapping[str, str] | None = None) -> Response:
        return self.pipeline([call], headers=headers)[0]

    def pipeline(self, calls: Sequence[scheduler_pb2.Call], *,
                 headers: Mapping[str, str] | None = None) -> list[Response]:
        all_headers = {**self.headers(), **(headers or {})}
        requests = [("POST", self.path, encode_call(self.prepare(c), self.content_type), all_headers)
                    for c in calls]
        try:
            return self._connection().pipeline(requests)
        except OSError:
            self.close_calls()
            raise

    def accepted(self, call: scheduler_pb2.Call) -> None:
        response = self.call(call)
        assert response.status == 202, (Call.Type.Name(call.type), response.status, response.text)
        assert response.body == b""

    def close_calls(self) -> None:
        if self._calls is not None:
            self._calls.close()
            self._calls = None

    def close(self) -> None:
        self.close_calls()
        if self.stream is not None:
            self.stream.close()

    # ------------------------------------------------------------ call builders

    def next_offers(self, timeout: float = 10.0) -> list[mesos_pb2.Offer]:
        return list(self.events.take_type(Event.OFFERS, timeout).offers.offers)

    def launch(self, offer: mesos_pb2.Offer, *tasks: mesos_pb2.TaskInfo,
               refuse_seconds: float | None = None) -> scheduler_pb2.Call:
        call = Call(type=Call.ACCEPT)
        call.accept.offer_ids.add().CopyFrom(offer.id)
        operation = call.accept.operations.add(type=mesos_pb2.Offer.Operation.LAUNCH)
        operation.launch.task_infos.extend(tasks)
        if refuse_seconds is not None:
            call.accept.filters.refuse_seconds = refuse_seconds
        return self.prepare(call)

    def decline(self, offers: Iterable[mesos_pb2.Offer], refuse_seconds: float | None = None
                ) -> scheduler_pb2.Call:
        call = Call(type=Call.DECLINE)
        for offer in offers:
            call.decline.offer_ids.add().CopyFrom(offer.id)
        if refuse_seconds is not None:
            call.decline.filters.refuse_seconds = refuse_seconds
        return self.prepare(call)

    def acknowledge(self, status: TaskStatus) -> scheduler_pb2.Call:
        call = Call(type=Call.ACKNOWLEDGE)
        call.acknowledge.agent_id.CopyFrom(status.agent_id)
        call.acknowledge.task_id.CopyFrom(status.task_id)
        call.acknowledge.uuid = status.uuid
        return self.prepare(call)

    def kill(self, task_id: str, agent_id: str | None = None) -> scheduler_pb2.Call:
        call = Call(type=Call.KILL)
        call.kill.task_id.value = task_id
        if agent_id:
            call.kill.agent_id.value = agent_id
        return self.prepare(call)

    def reconcile(self, *tasks: tuple[str, str | None]) -> scheduler_pb2.Call:
        call = Call(type=Call.RECONCILE)
        call.reconcile.SetInParent()
        for task_id, agent_id in tasks:
            entry = call.reconcile.tasks.add()
            entry.task_id.value = task_id
            if agent_id:
                entry.agent_id.value = agent_id
        return self.prepare(call)

    def simple(self, call_type: int) -> scheduler_pb2.Call:
        return self.prepare(Call(type=call_type))  # type: ignore[arg-type]

    # ------------------------------------------------------------ composite steps

    def run_task(self, task_id: str, command: str, *, offer: mesos_pb2.Offer | None = None,
                 cpus: float = 0.1, mem: float = 32) -> mesos_pb2.Offer:
        """Launch one shell task on the next offer (or `offer`); returns the offer used."""
        if offer is None:
            offer = self.next_offers()[0]
        self.accepted(self.launch(offer, shell_task(task_id, offer.agent_id.value, command,
                                                    cpus=cpus, mem=mem)))
        return offer

    def follow(self, task_id: str, *, until: Iterable[int], timeout: float = 20.0,
               ack: bool = True) -> list[TaskStatus]:
        """Take the task's updates (acknowledging the reliable ones) until one in `until`."""
        wanted = set(until)
        seen: list[TaskStatus] = []
        deadline = time.monotonic() + timeout
        while True:
            status = self.events.take_update(task_id, timeout=max(deadline - time.monotonic(), 0.01))
            seen.append(status)
            if ack and status.HasField("uuid"):
                self.accepted(self.acknowledge(status))
            if status.state in wanted:
                return seen


def states(statuses: Iterable[TaskStatus]) -> list[str]:
    return [mesos_pb2.TaskState.Name(s.state) for s in statuses]


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
