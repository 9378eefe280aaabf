"""Fixtures for the end-to-end tests: kubesim and the shim, for real, on loopback ports.

Each test gets its own simulated cluster (kubesim, process runtime by default, so task
commands really run) and its own shim in front of it, both on one background event-loop
thread, exactly as `mesoshim` runs them in production: the shim lists and watches the
cluster over HTTP through the official Kubernetes client. Tests talk to the shim over real
sockets from the test thread (pymesos, or the raw client in `mesos_client.py`).

`make_env(...)` builds one with non-default settings; `env` is the default: two nodes,
pods that start at once, a 0.2 s allocation cycle, 0.5 s heartbeats.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from typing import Any, Protocol, TypeVar

import pytest
from kubernetes.aio import client as aio

from kubesim.cluster import Cluster, ClusterConfig
from kubesim.kubelet import StageDelays
from mesoshim.app import Shim, ShimConfig
from mesoshim.master import MasterConfig

T = TypeVar("T")

NAMESPACE = "mesos"


class E2E:
    """kubesim + the shim on one loop thread. Start with `start()`, end with `stop()`."""

    def __init__(self, cluster_config: ClusterConfig, shim_config: ShimConfig, *,
                 node_monitor_period: float = 0.25, lease_renew_interval: float = 0.5) -> None:
        self.cluster_config = cluster_config
        self.shim_config = shim_config
        self.node_monitor_period = node_monitor_period
        self.lease_renew_interval = lease_renew_interval
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="e2e-loop", daemon=True)
        self.cluster: Cluster
        self.shim: Shim
        self._api: aio.ApiClient

    # ------------------------------------------------------------ lifecycle

    def start(self) -> E2E:
        self._thread.start()
        self.run(self._boot(), timeout=60)
        return self

    async def _boot(self) -> None:
        cluster = Cluster(self.cluster_config)
        # Fast node health: leases renewed often, lifecycle checked often, so a silenced
        # node turns Unknown within about `node_grace_period` seconds.
        cluster.nodes.renew_interval = self.lease_renew_interval
        cluster.nodes._batch = self.lease_renew_interval / 100.0
        cluster.lifecycle.monitor_period = self.node_monitor_period
        await cluster.start()
        self.cluster = cluster
        configuration = aio.Configuration()
        configuration.host = cluster.url
        self._api = aio.ApiClient(configuration)
        self.shim = Shim(self._api, self.shim_config)
        await self.shim.start()

    async def _shutdown(self) -> None:
        await self.shim.stop()
        await self._api.close()
        await self.cluster.stop()

    def stop(self) -> None:
        if self._thread.is_alive():
            try:
                self.run(self._shutdown(), timeout=30)
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()

    # ------------------------------------------------------------ running things on the loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=timeout)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn` on the loop thread (the cluster's store and the master are not thread-safe)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return future.result(timeout=30)

    # ------------------------------------------------------------ views

    @property
    def url(self) -> str:
        return self.shim.url

    @property
    def address(self) -> str:
        """`host:port`, what pymesos takes as its master."""
        return f"{self.shim.config.host}:{self.shim.port}"

    @property
    def node_names(self) -> list[str]:
        return self.call(lambda: list(self.cluster.nodes.names))

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.get_json("/master/state")
        return state

    def framework_state(self, framework_id: str) -> dict[str, Any] | None:
        """The framework's entry in /master/state (active ones, then completed ones)."""
        state = self.state()
        for fw in state["frameworks"] + state["completed_frameworks"]:
            if fw["id"] == framework_id:
                found: dict[str, Any] = fw
                return found
        return None

    def pods(self) -> list[dict[str, Any]]:
        """Every pod the shim created, straight from the cluster's store."""
        return self.call(lambda: [p for p in self.cluster.store.objects("pods")
                                  if p["metadata"].get("namespace") == NAMESPACE])

    def stop_heartbeat(self, node: str) -> None:
        self.call(self.cluster.nodes.stop_heartbeat, node)

    def remove_node(self, node: str) -> None:
        self.call(self.cluster.nodes.remove, node)


def cluster_config(**overrides: Any) -> ClusterConfig:
    values: dict[str, Any] = {"nodes": 2, "node_cpu": "4", "node_memory": "8Gi", "runtime": "process",
                              "delays": StageDelays(create=0.0, start=0.0, pull_backoff=0.2)}
    values.update(overrides)
    return ClusterConfig(**values)


def shim_config(**overrides: Any) -> ShimConfig:
    values: dict[str, Any] = {"port": 0, "heartbeat_interval": 0.5,
                              "master": MasterConfig(allocation_interval=0.2)}
    values.update(overrides)
    return ShimConfig(**values)


class MakeEnv(Protocol):
    def __call__(self, *, cluster: dict[str, Any] | None = None, shim: dict[str, Any] | None = None,
                 master: MasterConfig | None = None) -> E2E: ...


@pytest.fixture
def make_env() -> Iterator[MakeEnv]:
    """`make_env(cluster={...}, shim={...}, master=MasterConfig(...))`: overrides of the
    defaults of `cluster_config` / `shim_config`; every env made is stopped at teardown."""
    started: list[E2E] = []

    def make(*, cluster: dict[str, Any] | None = None, shim: dict[str, Any] | None = None,
             master: MasterConfig | None = None) -> E2E:
        config = shim_config(**(shim or {}))
        if master is not None:
            config = replace(config, master=master)
        env = E2E(cluster_config(**(cluster or {})), config)
        started.append(env)
        return env.start()

    yield make
    for env in reversed(started):
        env.stop()


@pytest.fixture
def env(make_env: MakeEnv) -> E2E:
    return make_env()
