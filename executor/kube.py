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

from executor.informer import Informer, Key, Obj
from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.resources import Resources, pod_requests

log = logging.getLogger(__name__)

MANAGED_BY = "app.kubernetes.io/managed-by"
FRAMEWORK_ANNOTATION = "mesos.apache.org/framework-id"
TASK_ANNOTATION = "mesos.apache.org/task-id"
TASK_INFO_ANNOTATION = "mesos.apache.org/task-info"
RECORD_LABEL = "mesoshim.io/record"
MASTER_RECORD = "mesoshim-master"


_NONE = Resources()


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


_KEPT_METADATA = ("name", "namespace", "uid", "resourceVersion", "deletionTimestamp",
                  "deletionGracePeriodSeconds")
_OUR_ANNOTATIONS = (FRAMEWORK_ANNOTATION, TASK_ANNOTATION, TASK_INFO_ANNOTATION)
_POD_REQUEST_FIELDS = ("nodeName", "hostNetwork", "overhead", "resources")
_CONTAINER_REQUEST_FIELDS = ("name", "resources", "ports", "restartPolicy")


def _slim_condition(condition: Obj) -> Obj:
    return {k: condition[k] for k in ("type", "status", "reason", "message") if k in condition}


def _slim_container_status(status: Obj) -> Obj:
    state = status.get("state") or {}
    kept: Obj = {k: state[k] for k in ("waiting", "terminated") if k in state}
    if "running" in state:
        kept["running"] = {}
    return {"name": status.get("name"), "state": kept}


def slim_status(status: Obj) -> Obj:
    """The parts of a pod's status that executor.status.observe reads."""
    kept: Obj = {k: status[k] for k in ("phase", "reason", "message", "podIP") if k in status}
    if "conditions" in status:
        kept["conditions"] = [_slim_condition(c) for c in status["conditions"] or ()]
    for key in ("containerStatuses", "initContainerStatuses"):
        if key in status:
            kept[key] = [_slim_container_status(c) for c in status[key] or ()]
    return kept


def slim_pod(pod: Obj, keep_task_info: bool = True) -> Obj:
    """What the shim reads of a pod, and no more: a task pod's identity, node and status; another
    pod's node, what it requests and its phase. A full pod is ~4x bigger as Python objects."""
    meta = pod["metadata"]
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    kept: Obj = {k: meta[k] for k in _KEPT_METADATA if k in meta}
    if is_ours(pod):
        annotations = meta.get("annotations") or {}
        kept["labels"] = {MANAGED_BY: "mesoshim"}
        wanted = _OUR_ANNOTATIONS if keep_task_info else _OUR_ANNOTATIONS[:2]
        kept["annotations"] = {k: annotations[k] for k in wanted if k in annotations}
        return {"metadata": kept, "spec": {"nodeName": spec.get("nodeName")}, "status": slim_status(status)}
    slim_spec: Obj = {k: spec[k] for k in _POD_REQUEST_FIELDS if k in spec}
    for name in ("containers", "initContainers"):
        if name in spec:
            slim_spec[name] = [{k: c[k] for k in _CONTAINER_REQUEST_FIELDS if k in c} for c in spec[name] or ()]
    return {"metadata": kept, "spec": slim_spec, "status": {"phase": status.get("phase")}}


class KubeEdge:
    def __init__(self, api: aio.ApiClient, sink: ClusterSink, *, namespace: str = "mesos",
                 node_selector: str = "") -> None:
        self.api = api
        self.sink = sink
        self.namespace = namespace
        self.nodes = Informer("nodes", self._lister("/api/v1/nodes"), self._on_node,
                              selectors={"labelSelector": node_selector} if node_selector else None)
        # The task-info annotation is only read to recover tasks from the first list.
        self.keep_task_info = True
        self.pods = Informer("pods", self._lister("/api/v1/pods"), self._on_pod,
                             transform=lambda pod: slim_pod(pod, self.keep_task_info))
        self._foreign: dict[Key, tuple[str, Resources]] = {}  # a foreign pod's node and requests
        self._foreign_by_node: dict[str, Resources] = {}
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
        # Per-node sums kept incrementally: one pod's event costs O(1), not O(pods on its node).
        previous = self._foreign.pop(key, None)
        changed: set[str] = set()
        if previous is not None:
            node, requests = previous
            self._foreign_by_node[node] = self._foreign_by_node[node] - requests
            changed.add(node)
        node = (new["spec"].get("nodeName") or "") if new is not None else ""
        if new is not None and node and (new.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
            # A pod's requests only change with its spec: reuse them when the spec is the same.
            if previous is not None and old is not None and old.get("spec") == new.get("spec"):
                requests = previous[1]
            else:
                requests = pod_requests(new)
            self._foreign[key] = (node, requests)
            self._foreign_by_node[node] = self._foreign_by_node.get(node, _NONE) + requests
            changed.add(node)
        for name in changed:
            self.sink.foreign_usage_changed(name, self._foreign_by_node[name])

    def our_pods(self) -> list[Obj]:
        return [p for p in self.pods.cache.values() if is_ours(p)]

    def forget_task_infos(self) -> None:
        """After recovery: drop the task-info annotations from the cache, and keep no more."""
        self.keep_task_info = False
        for pod in self.our_pods():
            pod["metadata"].get("annotations", {}).pop(TASK_INFO_ANNOTATION, None)

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
