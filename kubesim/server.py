"""The HTTP edge of kubesim: Kubernetes REST paths, discovery, watch streams, faults.

Handlers only move data: they parse the path and query, call the `Store`, and
write JSON (or a `Status` on failure). Nothing here decides API semantics.
"""

from __future__ import annotations

import asyncio
import socket
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson
import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from . import errors, openapi, tables
from .clock import Timer
from .faults import Faults
from .resources import BINDINGS, COORDINATION, CORE, RESOURCES, Resource, api_resource_list, lookup
from .store import Store
from .watch import Watcher

KUBE_VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0-kubesim", "gitCommit": "kubesim",
    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
    "compiler": "gc", "platform": "linux/amd64",
}
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json", "application/apply-patch+yaml")


# Lists longer than this are written in pieces of this many items.
LIST_CHUNK = 1000


@dataclass
class ServerOptions:
    bookmark_interval: float = 60.0
    # Without timeoutSeconds, kube-apiserver picks 1800-3600 s; a shorter default forces reconnects.
    default_watch_timeout: float = 1800.0
    # Events buffered for one watch stream before the server gives up on a slow consumer
    # and ends its stream (the client then re-watches from its last resourceVersion).
    watch_max_buffered: int = 200_000
    bearer_token: str | None = None


class _JsonCache:
    """Serialised objects, shared by every watcher that sends the same event."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[int, tuple[dict[str, Any], bytes]] = OrderedDict()

    def dumps(self, obj: dict[str, Any]) -> bytes:
        hit = self._items.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        data = orjson.dumps(obj)
        self._items[id(obj)] = (obj, data)
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return data


class ApiServer:
    def __init__(self, store: Store, faults: Faults | None = None,
                 options: ServerOptions | None = None) -> None:
        self.store = store
        self.faults = faults or Faults()
        self.options = options or ServerOptions()
        self.json_cache = _JsonCache()
        self._http: tornado.httpserver.HTTPServer | None = None
        self.port = 0

    def application(self, extra: list[Any] | None = None) -> tornado.web.Application:
        ctx = {"server": self}
        routes: list[Any] = [
            (r"/version/?", StaticHandler, {**ctx, "body": KUBE_VERSION}),
            (r"/(healthz|readyz|livez)(/.*)?", HealthHandler, ctx),
            (r"/api/?", StaticHandler, {**ctx, "body": {
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:0"}]}}),
            (r"/apis/?", StaticHandler, {**ctx, "body": _api_group_list()}),
            (r"/apis/([^/]+)/?", GroupHandler, ctx),
            (r"/api/v1/?", StaticHandler, {**ctx, "body": api_resource_list("", CORE)}),
            (r"/apis/([^/]+)/([^/]+)/?", GroupVersionHandler, ctx),
            (r"/api/v1/(.+)", ResourceHandler, {**ctx, "group": "", "version": CORE}),
            (r"/apis/([^/]+)/([^/]+)/(.+)", ResourceHandler, {**ctx, "group": None, "version": None}),
            (r"/openapi/v3/?", StaticHandler, {**ctx, "body": openapi.index()}),
            (r"/openapi/v3/(.+)", OpenAPIHandler, ctx),
            *(extra or []),
        ]
        return tornado.web.Application(routes, default_handler_class=NotFoundHandler,
                                       default_handler_args=ctx)

    async def start(self, port: int = 0, host: str = "127.0.0.1",
                    extra: list[Any] | None = None) -> int:
        sockets = tornado.netutil.bind_sockets(port, host, family=socket.AF_INET)
        self._http = tornado.httpserver.HTTPServer(self.application(extra), xheaders=False,
                                                   max_body_size=64 * 1024 * 1024)
        self._http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        for watcher in self.store.watchers():
            watcher.close()
        if self._http is not None:
            self._http.stop()
            await self._http.close_all_connections()
            self._http = None

    def drop_watches(self, resource: str | None = None) -> int:
        """Break every open watch connection (optionally of one resource) mid-stream."""
        watchers = self.store.watchers(resource)
        for watcher in watchers:
            watcher.abort()
        return len(watchers)


def _api_group_list() -> dict[str, Any]:
    gv = {"groupVersion": f"{COORDINATION}/{CORE}", "version": CORE}
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [{"name": COORDINATION, "versions": [gv], "preferredVersion": gv}]}


class BaseHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

    def initialize(self, server: ApiServer, **_: Any) -> None:
        self.server = server

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.clear_header("Server")

    def check_xsrf_cookie(self) -> None:
        return None

    def compute_etag(self) -> None:
        # kube-apiserver sends no ETag (and never answers 304): keep Tornado's off.
        return None

    async def prepare(self) -> None:
        token = self.server.options.bearer_token
        if token is not None and self.request.headers.get("Authorization") != f"Bearer {token}":
            self.fail(errors.ApiError(401, "Unauthorized", "Unauthorized"))
            return
        delay, failure = self.server.faults.check(self.request.method or "GET", self.request.path)
        if delay:
            await asyncio.sleep(delay)
        if failure is not None:
            self.fail(failure)

    def reply(self, body: Any, code: int = 200) -> None:
        self.set_status(code)
        self.finish(orjson.dumps(body))

    def fail(self, error: errors.ApiError) -> None:
        if error.retry_after_seconds is not None:
            self.set_header("Retry-After", str(error.retry_after_seconds))
        self.set_status(error.code)
        self.finish(orjson.dumps(error.status()))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = {405: "MethodNotAllowed", 404: "NotFound", 400: "BadRequest",
                  413: "RequestEntityTooLarge"}.get(status_code, "InternalError")
        message = self._reason or "error"
        exc_info = kwargs.get("exc_info")
        if status_code >= 500 and exc_info:
            message = f"Internal error occurred: {exc_info[1]!r}"
        self.finish(orjson.dumps(errors.ApiError(status_code, reason, message).status()))


class StaticHandler(BaseHandler):
    def initialize(self, server: ApiServer, body: Any = None, **_: Any) -> None:
        super().initialize(server)
        self.body = body

    def get(self, *_: str) -> None:
        self.reply(self.body)


class OpenAPIHandler(BaseHandler):
    def get(self, key: str) -> None:
        doc = openapi.document(key)
        if doc is None:
            self.fail(errors.not_found_path(self.request.path))
            return
        self.reply(doc)


class HealthHandler(BaseHandler):
    def get(self, *_: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(b"ok")


class GroupHandler(BaseHandler):
    def get(self, group: str) -> None:
        if group != COORDINATION:
            self.fail(errors.not_found_path(self.request.path))
            return
        gv = {"groupVersion": f"{COORDINATION}/{CORE}", "version": CORE}
        self.reply({"kind": "APIGroup", "apiVersion": "v1", "name": COORDINATION,
                    "versions": [gv], "preferredVersion": gv})


class GroupVersionHandler(BaseHandler):
    def get(self, group: str, version: str) -> None:
        if group != COORDINATION or version != CORE:
            self.fail(errors.not_found_path(self.request.path))
            return
        self.reply(api_resource_list(group, version))


class NotFoundHandler(BaseHandler):
    def prepare(self) -> None:  # type: ignore[override]
        self.fail(errors.not_found_path(self.request.path))


@dataclass
class Target:
    resource: Resource
    namespace: str | None
    name: str | None
    subresource: str | None
    watch: bool


def parse_target(group: str, version: str, path: str) -> Target:
    """Map the part of a path after /api/v1 or /apis/{g}/{v} to what it names."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    watch = False
    if parts and parts[0] == "watch":
        watch, parts = True, parts[1:]
    namespace: str | None = None
    if len(parts) >= 3 and parts[0] == "namespaces" and (
            lookup(group, version, parts[2]) or (group == "" and parts[2] == "bindings")):
        namespace, parts = parts[1], parts[2:]
    if not parts or len(parts) > 3:
        raise errors.not_found_path("/" + path)
    resource = lookup(group, version, parts[0])
    if resource is None and group == "" and parts[0] == "bindings" and namespace:
        resource = BINDINGS
    if resource is None:
        raise errors.not_found_path("/" + path)
    name = parts[1] if len(parts) > 1 else None
    sub = parts[2] if len(parts) > 2 else None
    if sub is not None and sub not in resource.subresources:
        raise errors.not_found_path("/" + path)
    if resource.namespaced and name is not None and namespace is None:
        raise errors.not_found_path("/" + path)
    return Target(resource, namespace, name, sub, watch)


class ResourceHandler(BaseHandler):
    def initialize(self, server: ApiServer, group: str | None = None,
                   version: str | None = None, **_: Any) -> None:
        super().initialize(server)
        self.fixed_group = group
        self.fixed_version = version
        self.watcher: Watcher | None = None

    def _target(self, args: tuple[str, ...]) -> Target:
        if self.fixed_group is not None and self.fixed_version is not None:
            return parse_target(self.fixed_group, self.fixed_version, args[0])
        return parse_target(args[0], args[1], args[2])

    def _body(self) -> Any:
        ctype = self.request.headers.get("Content-Type", "application/json").split(";")[0].strip()
        if ctype == "application/vnd.kubernetes.protobuf":
            raise errors.unsupported_media_type(ctype)
        if ctype not in ("application/json", "", "*/*") and ctype not in PATCH_TYPES:
            raise errors.unsupported_media_type(ctype)
        try:
            return orjson.loads(self.request.body or b"null")
        except orjson.JSONDecodeError as exc:
            raise errors.bad_request(f"error decoding request body: {exc}") from None

    def _check_accept(self) -> None:
        accept = self.request.headers.get("Accept", "")
        if accept and "json" not in accept and "*/*" not in accept:
            raise errors.ApiError(406, "NotAcceptable",
                                  f"only the following media types are accepted: application/json, got {accept}")

    def _q(self, name: str, default: str = "") -> str:
        return self.get_query_argument(name, default) or default

    async def _run(self, method: str, args: tuple[str, ...]) -> None:
        if self._finished:
            return
        try:
            self._check_accept()
            if self.get_query_argument("dryRun", None):
                raise errors.bad_request("dryRun is not supported by kubesim")
            target = self._target(args)
            await getattr(self, f"_{method}")(target)
        except errors.ApiError as exc:
            if not self._finished:
                self.fail(exc)

    async def get(self, *args: str) -> None:
        await self._run("read", args)

    async def post(self, *args: str) -> None:
        await self._run("create", args)

    async def put(self, *args: str) -> None:
        await self._run("replace", args)

    async def patch(self, *args: str) -> None:
        await self._run("patch_", args)

    async def delete(self, *args: str) -> None:
        await self._run("delete_", args)

    # ---- verbs

    async def _read(self, t: Target) -> None:
        store = self.server.store
        if t.resource is BINDINGS or t.subresource in ("binding", "eviction", "finalize"):
            raise errors.method_not_allowed()
        table = tables.wanted_table(self.request.headers.get("Accept", ""))
        if t.name is not None and not t.watch:
            self.reply_read(t, store.get(t.resource.plural, t.namespace, t.name), table)
            return
        if t.watch or self._q("watch") in ("true", "1"):
            if t.subresource is not None:
                raise errors.not_found_path(self.request.path)
            await self._watch(t, table)
            return
        limit = self._int_q("limit")
        listed = store.list(
            t.resource.plural, t.namespace,
            label_selector=self._q("labelSelector"), field_selector=self._q("fieldSelector"),
            limit=limit, continue_token=self._q("continue"),
            resource_version=self._q("resourceVersion"),
            resource_version_match=self._q("resourceVersionMatch"))
        if table is None and len(listed["items"]) > LIST_CHUNK:
            await self.reply_list_in_chunks(listed)
            return
        self.reply_read(t, listed, table)

    async def reply_list_in_chunks(self, listed: dict[str, Any]) -> None:
        """Send a large list as it is serialised, LIST_CHUNK items at a time.

        One orjson.dumps of a 150,000-pod list is a 300 MB buffer that tornado copies twice
        more before it writes; chunks keep the peak to a few MB and let other requests run
        between them. The items are an immutable snapshot, so the body stays consistent.
        """
        items = listed["items"]
        head = orjson.dumps({k: v for k, v in listed.items() if k != "items"})
        self.set_status(200)
        self.write(head[:-1] + b',"items":[')
        try:
            for start in range(0, len(items), LIST_CHUNK):
                chunk = orjson.dumps(items[start:start + LIST_CHUNK])[1:-1]
                self.write(b"," + chunk if start else chunk)
                await self.flush()
        except tornado.iostream.StreamClosedError:
            return
        self.finish(b"]}")

    def reply_read(self, t: Target, body: dict[str, Any], table: str | None) -> None:
        """Answer a get or list, as a meta.k8s.io Table when the Accept header asks for one."""
        if table is not None:
            body = tables.to_table(t.resource.plural, body, version=table,
                                   include=tables.include_object(self._q("includeObject")),
                                   now=self.server.store.clock.now())
        self.reply(body)

    async def _create(self, t: Target) -> None:
        store = self.server.store
        body = self._body()
        if t.resource is BINDINGS:
            meta = body.get("metadata") if isinstance(body, dict) else None
            name = meta.get("name") if isinstance(meta, dict) else None
            if not name or not isinstance(name, str):
                raise errors.bad_request("binding has no metadata.name naming the pod")
            assert t.namespace is not None
            self.reply(store.bind(t.namespace, name, body), 201)
            return
        if t.name is None:
            self.reply(store.create(t.resource.plural, t.namespace, body), 201)
            return
        assert t.namespace is not None
        if t.subresource == "binding":
            self.reply(store.bind(t.namespace, t.name, body), 201)
        elif t.subresource == "eviction":
            self.reply(store.evict(t.namespace, t.name, body), 201)
        else:
            raise errors.method_not_allowed()

    async def _replace(self, t: Target) -> None:
        if t.name is None or t.resource is BINDINGS or t.subresource in ("binding", "eviction"):
            raise errors.method_not_allowed()
        sub = t.subresource if t.subresource in ("status", "finalize") else None
        self.reply(self.server.store.replace(t.resource.plural, t.namespace, t.name, self._body(), sub))

    async def _patch_(self, t: Target) -> None:
        if t.name is None or t.resource is BINDINGS or t.subresource in ("binding", "eviction", "finalize"):
            raise errors.method_not_allowed()
        ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype not in PATCH_TYPES[:3]:  # server-side apply included: out of scope
            raise errors.unsupported_media_type(ctype)
        body = self._body()
        self.reply(self.server.store.patch(t.resource.plural, t.namespace, t.name, body, ctype,
                                           t.subresource))

    async def _delete_(self, t: Target) -> None:
        if t.resource is BINDINGS or t.subresource is not None:
            raise errors.method_not_allowed()
        options = self._body() if self.request.body else {}
        if not isinstance(options, dict):
            raise errors.bad_request("the body of a DELETE must be a DeleteOptions object")
        grace = self.get_query_argument("gracePeriodSeconds", None)
        if grace is not None:
            options = {**options, "gracePeriodSeconds": grace}
        store = self.server.store
        if t.name is None:
            self.reply(store.delete_collection(
                t.resource.plural, t.namespace, label_selector=self._q("labelSelector"),
                field_selector=self._q("fieldSelector"), options=options))
            return
        result = store.delete(t.resource.plural, t.namespace, t.name, options)
        self.reply(_delete_response(store, t, result))

    def _int_q(self, name: str) -> int:
        raw = self._q(name)
        if not raw:
            return 0
        try:
            value = int(raw)
        except ValueError:
            raise errors.bad_request(f"invalid {name} parameter: {raw!r} is not an integer") from None
        if value < 0:
            raise errors.bad_request(f"invalid {name} parameter: must not be negative")
        return value

    # ---- watch

    def _watch_options(self, t: Target) -> tuple[str, bool, bool | None]:
        """Validate watch parameters as kube-apiserver does: (field selector, bookmarks, initial)."""
        allow_bookmarks = self._q("allowWatchBookmarks") in ("true", "1")
        raw_initial = self._q("sendInitialEvents")
        send_initial: bool | None = None
        if raw_initial:
            if raw_initial.lower() not in ("true", "1", "t", "false", "0", "f"):
                raise errors.bad_request(f'sendInitialEvents: invalid value "{raw_initial}"')
            send_initial = raw_initial.lower() in ("true", "1", "t")
        match = self._q("resourceVersionMatch")
        causes: list[tuple[str, str, str]] = []
        if send_initial is not None and match != "NotOlderThan":
            causes.append(("FieldValueForbidden", "resourceVersionMatch",
                           "Forbidden: sendInitialEvents requires setting resourceVersionMatch to "
                           "NotOlderThan"))
        if match:
            if send_initial is None:
                causes.append(("FieldValueForbidden", "resourceVersionMatch",
                               "Forbidden: resourceVersionMatch is forbidden for watch unless "
                               "sendInitialEvents is provided"))
            if match != "NotOlderThan":
                causes.append(("FieldValueNotSupported", "resourceVersionMatch",
                               f'Unsupported value: "{match}": supported values: "NotOlderThan"'))
            if send_initial and not allow_bookmarks:
                causes.append(("FieldValueForbidden", "allowWatchBookmarks",
                               "Forbidden: allowWatchBookmarks must be set to true when "
                               "sendInitialEvents=true"))
        if causes:
            error = errors.invalid("ListOptions", "", causes, group="meta.k8s.io")
            error.message = error.message.replace("ListOptions", "ListOptions.meta.k8s.io", 1)
            raise error
        fields = self._q("fieldSelector")
        if t.name is not None:
            # The legacy /watch/.../{name} path watches one object, like a metadata.name selector.
            fields = f"{fields},metadata.name={t.name}" if fields else f"metadata.name={t.name}"
        return fields, allow_bookmarks, send_initial

    async def _watch(self, t: Target, table: str | None = None) -> None:
        store = self.server.store
        fields, allow_bookmarks, send_initial = self._watch_options(t)
        include = tables.include_object(self._q("includeObject")) if table else ""
        timeout = float(self._int_q("timeoutSeconds") or self.server.options.default_watch_timeout)
        watcher = store.watch(
            t.resource.plural, t.namespace,
            label_selector=self._q("labelSelector"), field_selector=fields,
            resource_version=self._q("resourceVersion"), allow_bookmarks=allow_bookmarks,
            send_initial_events=send_initial, max_buffered=self.server.options.watch_max_buffered)
        self.watcher = watcher
        clock = store.clock
        kind, api_version = t.resource.kind, t.resource.api_version
        timers: list[Timer] = []

        def expire() -> None:
            # A last bookmark just before the timeout, so the client resumes from a fresh RV.
            watcher.bookmark(kind, api_version, store.resource_version)
            watcher.close()

        def periodic_bookmark() -> None:
            if watcher.closed:
                return
            watcher.bookmark(kind, api_version, store.resource_version)
            timers.append(clock.call_later(self.server.options.bookmark_interval, periodic_bookmark))

        timers.append(clock.call_later(timeout, expire))
        if allow_bookmarks:
            timers.append(clock.call_later(self.server.options.bookmark_interval, periodic_bookmark))
        self.set_status(200)
        self.set_header("Content-Type", "application/json")
        self.set_header("Transfer-Encoding", "chunked")
        cache = self.server.json_cache
        headers_sent = False

        def encode(etype: str, obj: dict[str, Any]) -> bytes:
            nonlocal headers_sent
            if table is None or etype in ("ERROR", "BOOKMARK"):
                data = cache.dumps(obj)
            else:
                # Only the first Table of a watch carries column definitions.
                data = orjson.dumps(tables.to_table(
                    t.resource.plural, obj, version=table, include=include, now=clock.now(),
                    headers=not headers_sent))
                headers_sent = True
            return b'{"type":"' + etype.encode() + b'","object":' + data + b"}\n"

        # Events are small writes on a long response: without TCP_NODELAY, Nagle holds each one
        # back until the client's (delayed, up to 40 ms) ACK of the previous one.
        stream = getattr(self.request.connection, "stream", None)
        if stream is not None:
            stream.set_nodelay(True)
        try:
            await self.flush()
            while True:
                events = await watcher.next_events()
                if watcher.aborted:
                    # A broken connection: no chunked terminator, the client sees a truncated body.
                    stream = getattr(self.request.connection, "stream", None)
                    if stream is not None:
                        stream.close()
                    return
                if not events:
                    break
                self.write(b"".join(encode(etype, obj) for etype, obj in events))
                await self.flush()
        except tornado.iostream.StreamClosedError:
            return
        finally:
            watcher.close()
            for timer in timers:
                timer.cancel()
        self.finish()

    def on_connection_close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()


def _delete_response(store: Store, t: Target, result: dict[str, Any]) -> dict[str, Any]:
    """What DELETE answers: the object while it still exists (or, for pods and namespaces,
    always), else a `Status` of kind Success naming what was removed, as kube-apiserver does."""
    r = t.resource
    uid = result["metadata"].get("uid")
    current = store.try_get(r.plural, t.namespace, result["metadata"]["name"])
    if r.plural in ("pods", "namespaces") or (current is not None and current["metadata"].get("uid") == uid):
        return result
    details: dict[str, Any] = {"name": result["metadata"]["name"], "kind": r.plural, "uid": uid}
    if r.group:
        details["group"] = r.group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def admin_routes(server: ApiServer, hooks: dict[str, Callable[[dict[str, Any]], Any]] | None = None) -> list[Any]:
    """Test-control endpoints under /kubesim/: faults, compaction, dropped watches, and extra hooks."""
    return [(r"/kubesim/(\w[\w-]*)", AdminHandler, {"server": server, "hooks": hooks or {}})]


class AdminHandler(BaseHandler):
    def initialize(self, server: ApiServer, hooks: dict[str, Callable[[dict[str, Any]], Any]] | None = None,
                   **_: Any) -> None:
        super().initialize(server)
        self.hooks = hooks or {}

    async def prepare(self) -> None:
        return None

    def post(self, action: str) -> None:
        try:
            args = orjson.loads(self.request.body or b"{}")
        except orjson.JSONDecodeError as exc:
            self.fail(errors.bad_request(f"error decoding request body: {exc}"))
            return
        if not isinstance(args, dict):
            self.fail(errors.bad_request("the body must be a JSON object"))
            return
        server = self.server
        try:
            if action == "compact":
                server.store.compact()
                result: Any = {"resourceVersion": str(server.store.resource_version)}
            elif action == "drop-watches":
                result = {"dropped": server.drop_watches(args.get("resource"))}
            elif action == "bookmarks":
                server.store.bookmark_all()
                result = {}
            elif action == "faults":
                if args.get("clear"):
                    server.faults.clear()
                elif "delay" in args:
                    server.faults.slow(float(args["delay"]), method=args.get("method"),
                                       path=args.get("path"), times=args.get("times"))
                else:
                    server.faults.inject_error(int(args["code"]), method=args.get("method"),
                                               path=args.get("path"), times=args.get("times", 1),
                                               retry_after=args.get("retryAfter"))
                result = {}
            elif action in self.hooks:
                result = self.hooks[action](args)
            else:
                self.fail(errors.not_found_path(self.request.path))
                return
        except (KeyError, TypeError, ValueError) as exc:
            self.fail(errors.bad_request(f"bad arguments for {action}: {exc!r}"))
            return
        except errors.ApiError as exc:
            self.fail(exc)
            return
        self.reply(result if result is not None else {})


__all__ = ["RESOURCES", "ApiServer", "ServerOptions", "admin_routes", "parse_target"]
