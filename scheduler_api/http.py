"""The HTTP edge of the master: the v1 scheduler endpoint and the operator endpoints tools use.

Handlers move bytes: the guard decides every synchronous answer, the shell
(the composition root in mesoshim.app) runs the core and its effects.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Protocol

import orjson
import tornado.http1connection
import tornado.iostream
import tornado.web

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

from .guard import (
    STREAM_ID_HEADER,
    TEXT_PLAIN,
    Admitted,
    MasterView,
    Rejection,
    SchedulerRequest,
    admit_scheduler_call,
)
from .streams import EventStream

MESOS_VERSION = "1.12.0"  # purely numeric: pymesos parses it as integers
#: The largest scheduler call body accepted; a bigger one gets 413 (Mesos has no limit).
MAX_CALL_BYTES = 16 * 1024 * 1024
#: A bigger body is still read (and dropped) up to this size, so that a client which writes
#: its whole request before reading, as every Mesos client does, gets to read the 413; past
#: it the connection is simply closed.
MAX_DRAINED_BYTES = 256 * 1024 * 1024


class Shell(Protocol):
    """What the HTTP edge needs from the running master."""

    @property
    def view(self) -> MasterView: ...

    @property
    def master_info(self) -> mesos_pb2.MasterInfo: ...

    @property
    def heartbeat_interval(self) -> float: ...

    @property
    def stream_buffer_bytes(self) -> int: ...

    def subscribe(self, call: scheduler_pb2.Call, stream: EventStream) -> None: ...

    def call(self, call: scheduler_pb2.Call) -> None: ...

    def stream_closed(self, stream: EventStream) -> None: ...

    def state(self) -> dict[str, Any]: ...

    def metrics(self) -> dict[str, float]: ...


class _Base(tornado.web.RequestHandler):
    def initialize(self, shell: Shell) -> None:
        self.shell = shell

    def check_xsrf_cookie(self) -> None:
        return None

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.clear_header("Content-Type")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}.")


@tornado.web.stream_request_body
class SchedulerHandler(_Base):
    SUPPORTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

    def initialize(self, shell: Shell) -> None:
        super().initialize(shell)
        self.stream: EventStream | None = None
        self._body = bytearray()
        self._body_size = 0

    def prepare(self) -> None:
        if isinstance(self.request.connection, tornado.http1connection.HTTP1Connection):
            self.request.connection.set_max_body_size(MAX_DRAINED_BYTES)

    def data_received(self, chunk: bytes) -> None:
        self._body_size += len(chunk)
        if self._body_size <= MAX_CALL_BYTES:
            self._body += chunk
        else:
            self._body.clear()

    async def _serve(self) -> None:
        if "/.." in self.request.path:  # libprocess answers 404 to any path with `/..`
            self.set_status(404)
            self.set_header("Content-Type", TEXT_PLAIN)
            self.finish(b"404 Not Found.")
            return
        if self._body_size > MAX_CALL_BYTES:
            self.set_status(413)
            self.set_header("Content-Type", TEXT_PLAIN)
            self.finish(f"Request body is larger than the limit of {MAX_CALL_BYTES} bytes")
            return
        request = SchedulerRequest(self.request.method or "GET", list(self.request.headers.get_all()),
                                   bytes(self._body))
        verdict = admit_scheduler_call(request, self.shell.view)
        if isinstance(verdict, Rejection):
            self.set_status(verdict.status)
            for name, value in verdict.headers.items():
                self.set_header(name, value)
            self.finish(verdict.body_bytes)
            return
        call = verdict.call
        if call.type == scheduler_pb2.Call.SUBSCRIBE:
            await self._subscribe(verdict)
            return
        self.shell.call(call)
        self.set_status(202)
        self.finish()

    async def _subscribe(self, verdict: Admitted) -> None:
        content_type = verdict.response_content_type or "application/json"
        stream = EventStream(str(uuid.uuid4()), content_type, max_buffered_bytes=self.shell.stream_buffer_bytes)
        stream.on_overflow = self._drop_connection
        self.stream = stream
        self.set_status(200)
        self.set_header("Content-Type", content_type)
        self.set_header(STREAM_ID_HEADER, stream.stream_id)
        self.set_header("Transfer-Encoding", "chunked")
        self.shell.subscribe(verdict.call, stream)
        # Events go out as they happen: without TCP_NODELAY each would wait on the
        # client's delayed ACK (about 40 ms), since tornado only sets it when a response ends.
        connection_stream = getattr(self.request.connection, "stream", None)
        if connection_stream is not None:
            connection_stream.set_nodelay(True)
        heartbeat = asyncio.ensure_future(self._heartbeats(stream))
        try:
            await self.flush()
            while True:
                chunk = await stream.next_chunk()
                if chunk is None:
                    break
                self.write(chunk)
                await self.flush()
        except tornado.iostream.StreamClosedError:
            pass
        finally:
            heartbeat.cancel()
            stream.close()
            self.shell.stream_closed(stream)
        sock = self._socket()
        if not self._finished and sock is not None and not sock.closed():
            if stream.overflowed:
                sock.close()
            else:
                self.finish()

    def _socket(self) -> tornado.iostream.IOStream | None:
        sock: tornado.iostream.IOStream | None = getattr(self.request.connection, "stream", None)
        return sock

    def _drop_connection(self) -> None:
        """A subscriber that stopped reading: close its socket, which also ends a write that
        waits for it, so the stream ends and the master learns of the disconnection."""
        sock = self._socket()
        if sock is not None:
            sock.close()

    async def _heartbeats(self, stream: EventStream) -> None:
        while not stream.closed:
            await asyncio.sleep(self.shell.heartbeat_interval)
            stream.heartbeat()

    def on_connection_close(self) -> None:
        if self.stream is not None:
            self.stream.close()

    async def get(self, *_: str) -> None:
        await self._serve()

    async def post(self, *_: str) -> None:
        await self._serve()

    async def put(self, *_: str) -> None:
        await self._serve()

    async def patch(self, *_: str) -> None:
        await self._serve()

    async def delete(self, *_: str) -> None:
        await self._serve()

    async def head(self, *_: str) -> None:
        await self._serve()

    async def options(self, *_: str) -> None:
        await self._serve()


class VersionHandler(_Base):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(orjson.dumps({"version": MESOS_VERSION, "build_date": "2026-01-01 00:00:00",
                                  "build_time": 1767225600.0, "build_user": "mesoshim"}))


class HealthHandler(_Base):
    def get(self) -> None:
        self.set_status(200)
        self.finish()

    post = get


class RedirectHandler(_Base):
    def get(self) -> None:
        info = self.shell.master_info
        self.set_status(307)
        self.set_header("Location", f"//{info.hostname}:{info.port}")
        self.finish()

    post = get


class StateHandler(_Base):
    def get(self) -> None:
        body = orjson.dumps(self.shell.state())
        callback = self.get_query_argument("jsonp", None)
        if callback:
            self.set_header("Content-Type", "text/javascript")
            self.finish(callback.encode() + b"(" + body + b");")
            return
        self.set_header("Content-Type", "application/json")
        self.finish(body)


class MetricsHandler(_Base):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(orjson.dumps(self.shell.metrics()))


class NotFoundHandler(_Base):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(b"404 Not Found.")


def make_app(shell: Shell) -> tornado.web.Application:
    ctx = {"shell": shell}
    return tornado.web.Application(
        [
            # libprocess routes by longest prefix and strips a trailing slash, so
            # /api/v1/scheduler/anything reaches the scheduler handler too.
            (r"/(?:master/)?api/v1/scheduler(/.*)?", SchedulerHandler, ctx),
            (r"/version/?", VersionHandler, ctx),
            (r"/(?:master/)?health/?", HealthHandler, ctx),
            (r"/(?:master/)?redirect/?", RedirectHandler, ctx),
            (r"/(?:master/)?state(?:\.json)?/?", StateHandler, ctx),
            (r"/metrics/snapshot/?", MetricsHandler, ctx),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=ctx,
    )
