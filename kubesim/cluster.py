"""A whole simulated cluster in one process: API server, kubelet, nodes, controllers."""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clock import Clock
from .faults import Faults
from .kubeconfig import write_kubeconfig
from .kubelet import Kubelet, StageDelays
from .nodes import NodeLifecycleController, NodeManager, NodeSpec
from .runtime import Runtime, SimRuntime
from .server import ApiServer, ServerOptions, admin_routes
from .store import Store


@dataclass
class ClusterConfig:
    nodes: int = 3
    node_cpu: str = "8"
    node_memory: str = "32Gi"
    node_pods: str = "110"
    node_gpus: int = 0
    node_labels: dict[str, str] = field(default_factory=dict)
    zones: int = 1  # nodes are spread over zone-0 .. zone-(n-1)
    node_prefix: str = "node-"
    runtime: str = "sim"  # sim | process
    sandbox_root: str | None = None  # process runtime: where pod sandboxes live
    delays: StageDelays = field(default_factory=StageDelays)
    sim_run_seconds: float = 1.0
    history_window: int = 10_000
    bookmark_interval: float = 60.0
    watch_timeout: float = 1800.0
    node_grace_period: float = 50.0
    event_ttl_seconds: float = 3600.0
    bearer_token: str | None = None
    seed: int | None = None


class Cluster:
    """Start with `await cluster.start()`; `cluster.url` and `cluster.kubeconfig` then point at it."""

    def __init__(self, config: ClusterConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or ClusterConfig()
        self.clock = clock or Clock()
        cfg = self.config
        rng = random.Random(cfg.seed)
        self.store = Store(self.clock, history_window=cfg.history_window,
                           event_ttl_seconds=cfg.event_ttl_seconds)
        self.faults = Faults()
        self.server = ApiServer(self.store, self.faults, ServerOptions(
            bookmark_interval=cfg.bookmark_interval, default_watch_timeout=cfg.watch_timeout,
            bearer_token=cfg.bearer_token))
        self.runtime = self._make_runtime(rng)
        self.kubelet = Kubelet(self.store, self.runtime, clock=self.clock, delays=cfg.delays, rng=rng)
        self.nodes = NodeManager(self.store, self.kubelet, clock=self.clock)
        self.lifecycle = NodeLifecycleController(self.store, clock=self.clock,
                                                 grace_period=cfg.node_grace_period)
        self.port = 0
        self.kubeconfig: Path | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None

    def _make_runtime(self, rng: random.Random) -> Runtime:
        cfg = self.config
        if cfg.runtime == "process":
            from .process_runtime import ProcessRuntime

            if cfg.sandbox_root is None:
                self._sandbox_tmp = tempfile.TemporaryDirectory(prefix="kubesim-sandboxes-")
                cfg.sandbox_root = self._sandbox_tmp.name
            return ProcessRuntime(cfg.sandbox_root, clock=self.clock)
        if cfg.runtime != "sim":
            raise ValueError(f"unknown runtime {cfg.runtime!r}: expected 'sim' or 'process'")
        return SimRuntime(self.clock, default_run_seconds=cfg.sim_run_seconds, rng=rng)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def node_specs(self) -> list[NodeSpec]:
        cfg = self.config
        width = max(len(str(cfg.nodes - 1)), 1)
        return [
            NodeSpec(name=f"{cfg.node_prefix}{i:0{width}d}", cpu=cfg.node_cpu, memory=cfg.node_memory,
                     pods=cfg.node_pods, gpus=cfg.node_gpus, labels=dict(cfg.node_labels),
                     zone=f"zone-{i % cfg.zones}" if cfg.zones > 0 else None)
            for i in range(cfg.nodes)
        ]

    async def start(self, port: int = 0, host: str = "127.0.0.1",
                    kubeconfig_path: str | os.PathLike[str] | None = None) -> None:
        for spec in self.node_specs():
            self.nodes.register(spec)
        self.kubelet.start()
        self.nodes.start()
        self.lifecycle.start()
        self.port = await self.server.start(port, host, extra=admin_routes(self.server, self._hooks()))
        if kubeconfig_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="kubesim-")
            kubeconfig_path = Path(self._tmpdir.name) / "kubeconfig"
        self.kubeconfig = write_kubeconfig(kubeconfig_path, self.url, token=self.config.bearer_token)

    async def stop(self) -> None:
        await self.server.stop()
        self.lifecycle.stop()
        self.nodes.stop()
        self.kubelet.stop()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def _hooks(self) -> dict[str, Any]:
        """Extra /kubesim/<action> endpoints for tests that drive a cluster over HTTP."""
        def node_action(fn: Any) -> Any:
            return lambda args: fn(str(args["node"])) or {}
        return {
            "stop-heartbeat": node_action(self.nodes.stop_heartbeat),
            "resume-heartbeat": node_action(self.nodes.resume_heartbeat),
            "remove-node": node_action(self.nodes.remove),
            "add-node": lambda args: self.nodes.register(NodeSpec(**args)),
        }
