"""Watch streams: what one watcher receives from the store, in resourceVersion order.

A `Watcher` filters committed changes through its namespace and selectors,
turning selector transitions into ADDED/DELETED as kube-apiserver does, and
buffers them until the HTTP layer (or an in-process consumer) drains them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .selectors import FieldSelector, LabelSelector

Obj = dict[str, Any]
Key = tuple[str, str]

ADDED, MODIFIED, DELETED, BOOKMARK, ERROR = "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"


@dataclass(frozen=True, slots=True)
class Change:
    """One committed write: `old` is None for ADDED; for DELETED `new` is the final state."""

    rv: int
    type: str
    key: Key
    old: Obj | None
    new: Obj


class Watcher:
    """One open watch. Events are (type, object) pairs; ERROR objects are Status dicts."""

    def __init__(
        self,
        resource: str,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        *,
        allow_bookmarks: bool = False,
        max_buffered: int = 200_000,
        on_close: Callable[[Watcher], None] | None = None,
    ) -> None:
        self.resource = resource
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.allow_bookmarks = allow_bookmarks
        self.max_buffered = max_buffered
        self.closed = False
        # Set when the server breaks this stream's connection abruptly (fault injection).
        self.aborted = False
        self._events: deque[tuple[str, Obj]] = deque()
        # How many of the buffered events are initial ones (see `push`).
        self._initial = 0
        self._wakeup = asyncio.Event()
        self._on_close = on_close

    def matches(self, obj: Obj) -> bool:
        meta = obj["metadata"]
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        return self.labels.matches(meta.get("labels")) and self.fields.matches(obj)

    def translate(self, change: Change) -> tuple[str, Obj] | None:
        """What this watcher sees of a change, honouring selector transitions."""
        if change.type == DELETED:
            return (DELETED, change.new) if self.matches(change.new) else None
        now = self.matches(change.new)
        before = change.old is not None and self.matches(change.old)
        if now and before:
            return (MODIFIED, change.new)
        if now:
            return (ADDED, change.new)
        if before:
            # Left the selection: DELETED carrying the last matching state at the new RV.
            assert change.old is not None
            meta = {**change.old["metadata"], "resourceVersion": change.new["metadata"]["resourceVersion"]}
            return (DELETED, {**change.old, "metadata": meta})
        return None

    def offer(self, change: Change, *, initial: bool = False) -> None:
        if self.closed:
            return
        event = self.translate(change)
        if event is not None:
            self.push(*event, initial=initial)

    def push(self, event_type: str, obj: Obj, *, initial: bool = False) -> None:
        """Queue an event. `initial` events (the synthetic ADDEDs and the history replayed
        when the watch opens) are not held against `max_buffered`: only live events are."""
        if self.closed:
            return
        if initial:
            self._initial += 1
        elif len(self._events) - self._initial >= self.max_buffered:
            # A consumer this far behind is dropped, as kube-apiserver terminates a watcher
            # whose buffer stays full: what is buffered is discarded and the stream ends
            # normally, so the client re-watches from the last resourceVersion it received.
            self._events.clear()
            self.close()
            return
        self._events.append((event_type, obj))
        self._wakeup.set()

    def bookmark(self, kind: str, api_version: str, rv: int, annotations: dict[str, str] | None = None,
                 *, initial: bool = False) -> None:
        if not self.allow_bookmarks:
            return
        meta: Obj = {"resourceVersion": str(rv)}
        if annotations:
            meta["annotations"] = annotations
        self.push(BOOKMARK, {"kind": kind, "apiVersion": api_version, "metadata": meta}, initial=initial)

    def error(self, status: Obj) -> None:
        self.push(ERROR, status)
        self.close()

    def close(self) -> None:
        """End the stream cleanly after the buffered events are delivered."""
        if not self.closed:
            self.closed = True
            self._wakeup.set()
            if self._on_close is not None:
                self._on_close(self)

    def abort(self) -> None:
        """End the stream at once, dropping what is buffered (a broken connection)."""
        self.aborted = True
        self._events.clear()
        self.close()

    def drain(self) -> list[tuple[str, Obj]]:
        events = list(self._events)
        self._events.clear()
        self._initial = 0
        if not self.closed:
            self._wakeup.clear()
        return events

    async def wait(self) -> None:
        await self._wakeup.wait()

    async def next_events(self) -> list[tuple[str, Obj]]:
        """Wait for and return the buffered events; [] once the stream has ended."""
        while not self._events and not self.closed:
            await self.wait()
            if not self._events and not self.closed:
                self._wakeup.clear()
        return self.drain()
