"""The Kubernetes edge: watches nodes and pods into caches, and carries out pod and record writes.

The only module that talks to the Kubernetes API. It reports what it sees to a
`ClusterSink` (the composition root), which feeds the core.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp
import orjson
from kubernetes.aio import client as aio

from executor.agents import foreign_usage
from executor.informer import Informer, Key, Obj
from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.resources import Resources

log = logging.getLogger(__name__)

MANAGED_BY = "app.kubernetes.io/managed-by"
FRAMEWORK_ANNOTATION = "mesos.apache.org/framework-id"
TASK_ANNOTATION = "mesos.apache.org/task-id"
TASK_INFO_ANNOTATION = "mesos.apache.org/task-info"
RECORD_LABEL = "mesoshim.io/record"
MASTER_RECORD = "mesoshim-master"


class ClusterSink(Protocol):
    def node_changed(self, name: str, node: Obj | None) -> None: ...

    def task_pod_changed(self, framework_id: str, task_id: str, pod: Obj | None) -> None: ...

    def foreign_usage_changed(self, node_name: str, used: Resources) -> None: ...


class KubeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_ours(pod: Obj) -> bool:
    return (pod["metadata"].get("labels") or {}).get(MANAGED_BY) == "mesoshim"


def task_identity(pod: Obj) -> tuple[str, str] | None:
    annotations = pod["metadata"].get("annotations") or {}
    fid, tid = annotations.get(FRAMEWORK_ANNOTATION), annotations.get(TASK_ANNOTATION)
    return (fid, tid) if fid and tid else None


def task_info_of(pod: Obj) -> mesos_pb2.TaskInfo | None:
    raw = (pod["metadata"].get("annotations") or {}).get(TASK_INFO_ANNOTATION)
    if not raw:
        return None
    info = mesos_pb2.TaskInfo()
    try:
        info.ParseFromString(base64.b64decode(raw))
    except Exception:
        return None
    return info


class KubeEdge:
    def __init__(self, api: aio.ApiClient, sink: ClusterSink, *, namespace: str = "mesos",
                 node_selector: str = "") -> None:
        self.api = api
        self.sink = sink
        self.namespace = namespace
        self.nodes = Informer("nodes", self._lister("/api/v1/nodes"), self._on_node,
                              selectors={"labelSelector": node_selector} if node_selector else None)
        self.pods = Informer("pods", self._lister("/api/v1/pods"), self._on_pod)
        self._pods_by_node: dict[str, dict[Key, Obj]] = {}
        self._ops: dict[str, asyncio.Future[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------ raw requests

    async def request(self, method: str, path: str, *, body: Any = None, query: dict[str, str] | None = None,
                      timeout: float | None = 60.0) -> aiohttp.ClientResponse:
        """One API request through the official client's transport (auth, TLS, retries on 429),
        with plain JSON in and out: the generated models cost more than the shim's own work."""
        method_, url, headers, body_, post = await self.api.param_serialize(
            method=method, resource_path=path, query_params=list((query or {}).items()),
            header_params={"Content-Type": "application/json", "Accept": "application/json"},
            body=body, auth_settings=["BearerToken"])
        response = await self.api.call_api(method_, url, headers, body_, post, _request_timeout=timeout)
        raw: aiohttp.ClientResponse = response.response
        return raw

    def _lister(self, path: str) -> Any:
        async def lister(query: dict[str, str], timeout: float | None) -> aiohttp.ClientResponse:
            return await self.request("GET", path, query=query, timeout=timeout)
        return lister

    async def _json_request(self, method: str, path: str, body: Any = None) -> Obj:
        return await self._check(await self.request(method, path, body=body))

    # ------------------------------------------------------------ watching

    async def sync(self) -> None:
        """First lists of nodes and pods (the shim offers nothing before they complete)."""
        await self.nodes.relist()
        await self.pods.relist()

    def start_watching(self) -> None:
        self._tasks = [asyncio.create_task(self.nodes.run()), asyncio.create_task(self.pods.run())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _on_node(self, key: Key, old: Obj | None, new: Obj | None) -> None:
        self.sink.node_changed(key[1], new)

    def _on_pod(self, key: Key, old: Obj | None, new: Obj | None) -> None:
        pod = new or old
        assert pod is not None
        if is_ours(pod):
            identity = task_identity(pod)
            if identity is not None:
                self.sink.task_pod_changed(identity[0], identity[1], new)
            return
        nodes = {p["spec"].get("nodeName") for p in (old, new) if p is not None}
        for node in nodes:
            if not node:
                continue
            on_node = self._pods_by_node.setdefault(node, {})
            if new is not None and new["spec"].get("nodeName") == node:
                on_node[key] = new
            else:
                on_node.pop(key, None)
            self.sink.foreign_usage_changed(node, foreign_usage(on_node.values()))

    def our_pods(self) -> list[Obj]:
        return [p for p in self.pods.cache.values() if is_ours(p)]

    # ------------------------------------------------------------ writes

    def _serialized(self, name: str, op: Callable[[], Awaitable[None]]) -> None:
        """Run pod operations in order per pod (a kill right after a launch deletes what was created)."""
        previous = self._ops.get(name)

        async def run() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            await op()

        future = asyncio.ensure_future(run())
        self._ops[name] = future
        future.add_done_callback(lambda f: self._ops.pop(name, None) if self._ops.get(name) is f else None)

    async def _check(self, response: aiohttp.ClientResponse) -> Obj:
        body = await response.read()
        if response.status >= 400:
            try:
                message = orjson.loads(body).get("message", "")
            except orjson.JSONDecodeError:
                message = body[:300].decode("utf-8", "replace")
            raise KubeError(response.status, message or f"HTTP {response.status}")
        data: Obj = orjson.loads(body) if body else {}
        return data

    def create_pod(self, pod: Obj, done: Callable[[KubeError | None], None]) -> None:
        name = pod["metadata"]["name"]

        async def op() -> None:
            try:
                await self._json_request("POST", f"/api/v1/namespaces/{self.namespace}/pods", pod)
                done(None)
            except KubeError as exc:
                # AlreadyExists: a retried launch of the same task; the pod is there.
                done(None if exc.status == 409 else exc)
            except Exception as exc:
                done(KubeError(0, str(exc)))
        self._serialized(name, op)

    def delete_pod(self, name: str, grace_seconds: float | None) -> None:
        async def op() -> None:
            body: dict[str, Any] = {}
            if grace_seconds is not None:
                body["gracePeriodSeconds"] = max(0, int(grace_seconds + 0.999))
            try:
                await self._json_request("DELETE", f"/api/v1/namespaces/{self.namespace}/pods/{name}", body)
            except KubeError as exc:
                if exc.status != 404:
                    log.warning("deleting pod %s failed: %s", name, exc)
            except Exception as exc:
                log.warning("deleting pod %s failed: %s", name, exc)
        self._serialized(name, op)

    # ------------------------------------------------------------ durable records

    async def ensure_namespace(self) -> None:
        try:
            await self._json_request("GET", f"/api/v1/namespaces/{self.namespace}")
        except KubeError as exc:
            if exc.status != 404:
                raise
            await self._json_request("POST", "/api/v1/namespaces", {"metadata": {"name": self.namespace}})

    async def master_id(self) -> str:
        """The master's identity, kept in a ConfigMap so framework and offer ids survive restarts."""
        try:
            record = await self._json_request("GET", f"{self._configmaps}/{MASTER_RECORD}")
            return str(record["data"]["masterId"])
        except KubeError as exc:
            if exc.status != 404:
                raise
        new_id = str(uuid.uuid4())
        try:
            await self._json_request("POST", self._configmaps, {
                "metadata": {"name": MASTER_RECORD, "labels": {RECORD_LABEL: "master"}},
                "data": {"masterId": new_id}})
        except KubeError as exc:
            if exc.status != 409:
                raise
            return await self.master_id()  # another replica won the race
        return new_id

    async def frameworks(self) -> list[mesos_pb2.FrameworkInfo]:
        listed = await self._check(await self.request(
            "GET", self._configmaps, query={"labelSelector": f"{RECORD_LABEL}=framework"}))
        infos = []
        for item in listed.get("items") or []:
            info = mesos_pb2.FrameworkInfo()
            try:
                info.ParseFromString(base64.b64decode((item.get("data") or {}).get("frameworkInfo", "")))
            except Exception:
                log.warning("ignoring unreadable framework record %s", item["metadata"]["name"])
                continue
            infos.append(info)
        return infos

    @property
    def _configmaps(self) -> str:
        return f"/api/v1/namespaces/{self.namespace}/configmaps"

    @staticmethod
    def framework_record_name(framework_id: str) -> str:
        return "mesoshim-framework-" + uuid.uuid5(uuid.NAMESPACE_URL, framework_id).hex

    def save_framework(self, framework_id: str, info: mesos_pb2.FrameworkInfo) -> None:
        name = self.framework_record_name(framework_id)
        body = {"metadata": {"name": name, "labels": {RECORD_LABEL: "framework"},
                             "annotations": {FRAMEWORK_ANNOTATION: framework_id}},
                "data": {"frameworkInfo": base64.b64encode(info.SerializeToString()).decode()}}

        async def op() -> None:
            try:
                await self._json_request("PUT", f"{self._configmaps}/{name}", body)
            except KubeError as exc:
                if exc.status != 404:
                    log.warning("saving framework %s failed: %s", framework_id, exc)
                    return
                try:
                    await self._json_request("POST", self._configmaps, body)
                except KubeError as again:
                    log.warning("saving framework %s failed: %s", framework_id, again)
        self._serialized(name, op)

    def forget_framework(self, framework_id: str) -> None:
        name = self.framework_record_name(framework_id)

        async def op() -> None:
            try:
                await self._json_request("DELETE", f"{self._configmaps}/{name}")
            except KubeError as exc:
                if exc.status != 404:
                    log.warning("forgetting framework %s failed: %s", framework_id, exc)
        self._serialized(name, op)
