"""The composition root: the core master, its HTTP edge and its Kubernetes edge, on one loop.

Everything that happens (a call, a stream closing, a watch event, a tick)
goes into the `Master`; the effects that come out are carried out here, in
order. This is the only place that reads the clock for the core.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.netutil
from kubernetes.aio import client as aio

from executor.agents import AgentConfig, node_to_agent
from executor.informer import Obj
from executor.kube import KubeEdge, KubeError, task_identity, task_info_of
from executor.translate import LaunchContext, pod_name, task_to_pod
from mesoshim.effects import (
    CloseStream,
    CreatePod,
    DeletePod,
    Effect,
    ForgetFramework,
    SaveFramework,
    SendEvent,
)
from mesoshim.master import Master, MasterConfig
from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2
from mesoshim.resources import Resources
from mesoshim.state import master_metrics, master_state
from scheduler_api.http import MESOS_VERSION, make_app
from scheduler_api.streams import EventStream

log = logging.getLogger(__name__)


@dataclass
class ShimConfig:
    host: str = "127.0.0.1"
    port: int = 5050
    advertised_hostname: str | None = None
    namespace: str = "mesos"
    node_selector: str = ""
    default_image: str = "busybox:1.36"
    fetcher_image: str = "curlimages/curl:8.10.1"
    heartbeat_interval: float = 15.0
    # Events queued for a subscriber that does not read; past this it is disconnected.
    stream_buffer_bytes: int = 64 * 1024 * 1024
    master: MasterConfig = field(default_factory=MasterConfig)
    agents: AgentConfig = field(default_factory=AgentConfig)


def _ip_as_uint32(ip: str) -> int:
    """MasterInfo.ip: the IPv4 address in network byte order, read as a host integer."""
    try:
        packed = socket.inet_aton(ip)
    except OSError:
        packed = socket.inet_aton("127.0.0.1")
    return int(struct.unpack("=I", packed)[0])


class Shim:
    def __init__(self, api: aio.ApiClient, config: ShimConfig | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config or ShimConfig()
        self.clock = clock
        self.api = api
        self.kube = KubeEdge(api, self, namespace=self.config.namespace, node_selector=self.config.node_selector)
        self.master: Master | None = None
        self.streams: dict[str, EventStream] = {}
        self._http: tornado.httpserver.HTTPServer | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.port = 0
        self.synced = False

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        cfg = self.config
        sockets = tornado.netutil.bind_sockets(cfg.port, cfg.host, family=socket.AF_INET)
        self.port = sockets[0].getsockname()[1]
        await self.kube.ensure_namespace()
        master_id = await self.kube.master_id()
        wildcard = cfg.host in ("", "0.0.0.0")
        hostname = cfg.advertised_hostname or (socket.gethostname() if wildcard else cfg.host)
        ip = cfg.host
        if wildcard:
            try:
                ip = socket.gethostbyname(hostname)
            except OSError:
                ip = "127.0.0.1"
        info = mesos_pb2.MasterInfo(id=master_id, ip=_ip_as_uint32(ip), port=self.port,
                                    pid=f"master@{ip}:{self.port}", hostname=hostname, version=MESOS_VERSION)
        info.address.hostname, info.address.ip, info.address.port = hostname, ip, self.port
        for capability in (mesos_pb2.MasterInfo.Capability.AGENT_UPDATE,
                           mesos_pb2.MasterInfo.Capability.AGENT_DRAINING,
                           mesos_pb2.MasterInfo.Capability.QUOTA_V2):
            info.capabilities.add().type = capability
        self.master = Master(info, dataclasses.replace(cfg.master, heartbeat_interval=cfg.heartbeat_interval))
        now = self.clock()
        for framework in await self.kube.frameworks():
            self.master.recover_framework(framework, now)
        # The first lists build millions of long-lived, acyclic objects: full collections during
        # them find nothing and cost more each time (7 s of a 15 s start at 150,000 pods).
        gc.disable()
        try:
            await self.kube.sync()
            self._recover_tasks()
            self.kube.forget_task_infos()
        finally:
            gc.enable()
        # Everything loaded so far (the caches of every node and pod, the recovered tasks) lives
        # on: keep it out of the cyclic GC's full collections, whose pauses grow with the heap.
        gc.freeze()
        self.synced = True
        self.kube.start_watching()
        # Keep-alive connections are never idle-closed: libmesos reuses them indefinitely.
        self._http = tornado.httpserver.HTTPServer(make_app(self), idle_connection_timeout=10 ** 9,
                                                   max_body_size=16 * 1024 * 1024)
        self._http.add_sockets(sockets)
        self._ticker = asyncio.create_task(self._tick_forever())

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        for stream in list(self.streams.values()):
            stream.close()
        if self._http is not None:
            self._http.stop()
            await self._http.close_all_connections()
        await self.kube.stop()

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    def _recover_tasks(self) -> None:
        assert self.master is not None
        now = self.clock()
        for pod in self.kube.our_pods():
            identity = task_identity(pod)
            info = task_info_of(pod)
            if identity is None or info is None:
                continue
            self.apply(self.master.recover_task(identity[0], info, pod["spec"].get("nodeName", ""), pod, now))

    async def _tick_forever(self) -> None:
        interval = self.config.master.allocation_interval
        while True:
            await asyncio.sleep(interval)
            try:
                self.apply(self._master.tick(self.clock()))
            except Exception:
                log.exception("allocation cycle failed")

    @property
    def _master(self) -> Master:
        assert self.master is not None
        return self.master

    # ------------------------------------------------------------ the HTTP edge's view

    @property
    def view(self) -> Master:
        return self._master

    @property
    def master_info(self) -> mesos_pb2.MasterInfo:
        return self._master.info

    @property
    def heartbeat_interval(self) -> float:
        return self.config.heartbeat_interval

    @property
    def stream_buffer_bytes(self) -> int:
        return self.config.stream_buffer_bytes

    def subscribe(self, call: scheduler_pb2.Call, stream: EventStream) -> None:
        self.streams[stream.stream_id] = stream
        effects = self._master.subscribe(call, stream.stream_id, self.clock())
        stream.framework_id = next((f.framework_id for f in self._master.frameworks.values()
                                    if f.stream_id == stream.stream_id and f.connected), "")
        self.apply(effects)

    def call(self, call: scheduler_pb2.Call) -> None:
        self.apply(self._master.handle(call, self.clock()))

    def stream_closed(self, stream: EventStream) -> None:
        self.streams.pop(stream.stream_id, None)
        if stream.framework_id:
            self.apply(self._master.disconnected(stream.framework_id, stream.stream_id, self.clock()))

    def state(self) -> dict[str, Any]:
        return master_state(self._master, self.clock())

    def metrics(self) -> dict[str, float]:
        return master_metrics(self._master, self.clock())

    # ------------------------------------------------------------ the Kubernetes edge's reports

    def node_changed(self, name: str, node: Obj | None) -> None:
        if self.master is None:
            return
        now = self.clock()
        if node is None:
            self.apply(self.master.agent_removed(name, now))
        else:
            self.apply(self.master.agent_updated(node_to_agent(node, self.config.agents), now))

    def task_pod_changed(self, framework_id: str, task_id: str, pod: Obj | None) -> None:
        if self.master is not None:
            self.apply(self.master.pod_changed(framework_id, task_id, pod, self.clock()))

    def foreign_usage_changed(self, node_name: str, used: Resources) -> None:
        if self.master is not None:
            self.apply(self.master.foreign_usage(node_name, used, self.clock()))

    # ------------------------------------------------------------ effects

    def apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, SendEvent):
                stream = self.streams.get(effect.stream_id)
                if stream is not None:
                    stream.send(effect.event)
            elif isinstance(effect, CloseStream):
                stream = self.streams.get(effect.stream_id)
                if stream is not None:
                    stream.framework_id = ""  # closed by the master: not a disconnection to report
                    stream.close()
            elif isinstance(effect, CreatePod):
                self._create_pod(effect)
            elif isinstance(effect, DeletePod):
                self.kube.delete_pod(pod_name(effect.framework_id, effect.task_id), effect.grace_seconds)
            elif isinstance(effect, SaveFramework):
                self.kube.save_framework(effect.framework_id, effect.info)
            elif isinstance(effect, ForgetFramework):
                self.kube.forget_framework(effect.framework_id)

    def _create_pod(self, effect: CreatePod) -> None:
        master = self._master
        fw = master.frameworks.get(effect.framework_id)
        if fw is None:
            return
        context = LaunchContext(
            framework_id=effect.framework_id, framework_info=fw.info, agent_id=effect.task.agent_id.value,
            node_name=effect.node_name, namespace=self.config.namespace,
            default_image=self.config.default_image, fetcher_image=self.config.fetcher_image)
        task_id = effect.task.task_id.value
        try:
            pod = task_to_pod(effect.task, context)
        except Exception as exc:  # a translation bug must fail one task, not the master
            log.exception("translating task %s failed", task_id)
            self.apply(master.pod_create_failed(effect.framework_id, task_id, f"translation failed: {exc}",
                                                self.clock()))
            return

        def done(error: KubeError | None) -> None:
            now = self.clock()
            if error is None:
                self.apply(master.pod_created(effect.framework_id, task_id, now))
            else:
                self.apply(master.pod_create_failed(effect.framework_id, task_id, str(error), now))
        self.kube.create_pod(pod, done)
