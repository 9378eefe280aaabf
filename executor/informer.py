"""List-then-watch caches over raw JSON, on the official client's asyncio transport.

The generated models of `kubernetes.aio` cost more to build than everything
else the shim does with a pod, so the informer asks for raw responses
(`*_without_preload_content`) and keeps plain dicts. It is level-triggered:
after a relist (first start, 410 Expired, a broken stream) every cached object
is reported again and vanished ones are reported deleted, so a missed or
duplicated watch event cannot leave the shim with a wrong picture.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Key = tuple[str, str]
# on_change(key, old, new): new is None when the object is gone.
OnChange = Callable[[Key, Obj | None, Obj | None], None]
# lister(query, timeout) -> the raw HTTP response of a list or watch request
Lister = Callable[[dict[str, str], float | None], Awaitable[aiohttp.ClientResponse]]


class Expired(Exception):
    """The watch's resourceVersion is too old (410): list again."""


def key_of(obj: Obj) -> Key:
    meta = obj["metadata"]
    return (meta.get("namespace") or "", meta["name"])


class Informer:
    def __init__(self, name: str, lister: Lister, on_change: OnChange, *, page_size: int = 500,
                 watch_timeout: int = 300, selectors: dict[str, str] | None = None,
                 transform: Callable[[Obj], Obj] | None = None) -> None:
        self.name = name
        self.lister = lister
        self.on_change = on_change
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.selectors = selectors or {}
        # What is kept of each object (client-go's SetTransform): the cache holds its result.
        self.transform = transform
        self.cache: dict[Key, Obj] = {}
        self.synced = asyncio.Event()
        self.resource_version = ""
        self.relists = 0

    async def _json(self, response: aiohttp.ClientResponse) -> Obj:
        body = await response.read()
        if response.status >= 400:
            raise RuntimeError(f"{self.name}: HTTP {response.status}: {body[:300]!r}")
        data: Obj = orjson.loads(body)
        return data

    async def relist(self) -> None:
        fresh: dict[Key, Obj] = {}
        token: str | None = None
        while True:
            query = {"limit": str(self.page_size), **self.selectors}
            if token:
                query["continue"] = token
            page = await self._json(await self.lister(query, 120.0))
            transform = self.transform
            for item in page.get("items") or []:
                fresh[key_of(item)] = transform(item) if transform is not None else item
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                self.resource_version = (page.get("metadata") or {}).get("resourceVersion", "")
                break
        old = self.cache
        self.cache = fresh
        self.relists += 1
        for key in [k for k in old if k not in fresh]:
            self.on_change(key, old[key], None)
        for key, obj in fresh.items():
            self.on_change(key, old.get(key), obj)
        self.synced.set()

    async def watch_once(self) -> None:
        query = {"watch": "true", "resourceVersion": self.resource_version, "allowWatchBookmarks": "true",
                 "timeoutSeconds": str(self.watch_timeout), **self.selectors}
        response = await self.lister(query, self.watch_timeout + 30.0)
        try:
            if response.status == 410:
                raise Expired()
            if response.status >= 400:
                raise RuntimeError(f"{self.name} watch: HTTP {response.status}")
            while True:
                line = await response.content.readline()
                if not line:
                    return
                if line.strip():
                    self._apply(orjson.loads(line))
        finally:
            response.release()

    def _apply(self, event: Obj) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Expired()
            raise RuntimeError(f"{self.name} watch error: {obj.get('message')}")
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if rv:
            self.resource_version = rv
        if kind == "BOOKMARK":
            return
        key = key_of(obj)
        if self.transform is not None:
            obj = self.transform(obj)
        old = self.cache.get(key)
        if kind == "DELETED":
            self.cache.pop(key, None)
            self.on_change(key, old, None)
        else:
            self.cache[key] = obj
            self.on_change(key, old, obj)

    async def run(self) -> None:
        """List, then watch forever: re-watch from the last RV, relist on 410 or errors."""
        backoff = 0.5
        need_list = not self.resource_version  # a relist() just done (the shim's sync) is the first list
        while True:
            try:
                if need_list:
                    await self.relist()
                    need_list = False
                await self.watch_once()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Expired:
                need_list = True
            except Exception as exc:  # network errors, 5xx, 429: back off, then resume the watch
                log.warning("%s: %s; retrying in %.1fs", self.name, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
