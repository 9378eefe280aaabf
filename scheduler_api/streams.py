"""One framework's event stream: RecordIO-framed events queued for a chunked response.

The handler that owns the HTTP response drains the queue; the core only ever
`send`s. A subscriber that stops reading cannot grow memory without bound: past
`max_buffered_bytes` the stream is dropped (`on_overflow` lets the handler close its
connection at once, even while a write to the stalled socket is pending), which the
master sees as a disconnection (and the framework's failover timeout starts).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

from .codec import encode_event
from .recordio import frame

Event = scheduler_pb2.Event
_HEARTBEAT = Event(type=Event.HEARTBEAT)


class EventStream:
    def __init__(self, stream_id: str, content_type: str, *, max_buffered_bytes: int = 64 * 1024 * 1024) -> None:
        self.stream_id = stream_id
        self.content_type = content_type
        self.max_buffered_bytes = max_buffered_bytes
        self.framework_id = ""
        self.closed = False
        self.overflowed = False
        self.on_overflow: Callable[[], None] | None = None
        self._records: deque[bytes] = deque()
        self._buffered = 0
        self._wakeup = asyncio.Event()
        self._heartbeat = frame(encode_event(_HEARTBEAT, content_type))

    def send(self, event: Event) -> None:
        if self.closed:
            return
        self._push(frame(encode_event(event, self.content_type)))
        if event.type == Event.SUBSCRIBED:
            # Mesos's heartbeater beats once right after SUBSCRIBED, then every interval.
            self._push(self._heartbeat)

    def heartbeat(self) -> None:
        if not self.closed:
            self._push(self._heartbeat)

    def _push(self, record: bytes) -> None:
        if self._buffered + len(record) > self.max_buffered_bytes:
            self.overflowed = True
            self._records.clear()
            self._buffered = 0
            self.close()
            if self.on_overflow is not None:
                self.on_overflow()
            return
        self._records.append(record)
        self._buffered += len(record)
        self._wakeup.set()

    def close(self) -> None:
        self.closed = True
        self._wakeup.set()

    async def next_chunk(self) -> bytes | None:
        """Everything queued, as one chunk; None once closed and drained."""
        while not self._records:
            if self.closed:
                return None
            self._wakeup.clear()
            await self._wakeup.wait()
        chunk = b"".join(self._records)
        self._records.clear()
        self._buffered = 0
        return chunk
