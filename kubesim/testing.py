"""Run a kubesim cluster for tests: on its own loop thread, on a free loopback port.

    from kubesim.testing import running_cluster

    with running_cluster(ClusterConfig(nodes=2)) as kube:
        api = kubernetes.client.CoreV1Api(kube.api_client())
        kube.call(kube.cluster.nodes.stop_heartbeat, "node-0")  # runs on the cluster's loop

The pytest fixture `kubesim_cluster` (registered by `pytest_plugins = ["kubesim.testing"]`
or imported into a conftest) yields one with three fast nodes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

from .clock import Clock
from .cluster import Cluster, ClusterConfig
from .kubelet import StageDelays

T = TypeVar("T")


class RunningCluster:
    def __init__(self, config: ClusterConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or ClusterConfig()
        self._clock = clock
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kubesim", daemon=True)
        self.cluster: Cluster

    def start(self) -> RunningCluster:
        self._thread.start()

        async def boot() -> Cluster:
            cluster = Cluster(self.config, clock=self._clock)
            await cluster.start()
            return cluster

        self.cluster = asyncio.run_coroutine_threadsafe(boot(), self._loop).result(timeout=60)
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.cluster.stop(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()

    @property
    def url(self) -> str:
        return self.cluster.url

    @property
    def kubeconfig(self) -> str:
        assert self.cluster.kubeconfig is not None
        return str(self.cluster.kubeconfig)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn` on the cluster's loop thread and return its result (store, clock, hooks)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed back to the calling thread
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout=30)

    def api_client(self) -> Any:
        """A configured sync `kubernetes.client.ApiClient`."""
        from kubernetes import client

        configuration = client.Configuration()
        configuration.host = self.url
        if self.config.bearer_token:
            configuration.api_key = {"authorization": f"Bearer {self.config.bearer_token}"}
        return client.ApiClient(configuration)

    def aio_configuration(self) -> Any:
        """A `kubernetes.aio.client.Configuration` for this cluster."""
        from kubernetes.aio import client as aio_client

        configuration = aio_client.Configuration()
        configuration.host = self.url
        if self.config.bearer_token:
            configuration.api_key = {"authorization": f"Bearer {self.config.bearer_token}"}
        return configuration


def fast_config(**overrides: Any) -> ClusterConfig:
    """A small cluster whose pods start at once: what most tests want."""
    values: dict[str, Any] = {"nodes": 3, "delays": StageDelays(create=0.0, start=0.0, pull_backoff=0.2)}
    values.update(overrides)
    return ClusterConfig(**values)


@contextmanager
def running_cluster(config: ClusterConfig | None = None, *, clock: Clock | None = None) -> Iterator[RunningCluster]:
    kube = RunningCluster(config or fast_config(), clock=clock).start()
    try:
        yield kube
    finally:
        kube.stop()


@pytest.fixture
def kubesim_cluster() -> Iterator[RunningCluster]:
    with running_cluster() as kube:
        yield kube
