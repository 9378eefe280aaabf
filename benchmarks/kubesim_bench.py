"""kubesim benchmarks: create throughput, watch fan-out latency, memory and list latency at scale.

    python benchmarks/kubesim_bench.py           # full run, a few minutes
    python benchmarks/kubesim_bench.py --quick   # smaller sizes, under a minute
    python benchmarks/kubesim_bench.py --only creates,watch --json figures.json

This is not a test: it prints figures. Each section starts its own kubesim server
as a subprocess (`python -m kubesim`, or this script's own `--memory-server` mode
for the memory section, which loads pods straight into the store) and drives it
over loopback from this process. See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import psutil
from report import Report, mb, ms, pct
from subprocesses import ChildProcess, until_stopped

REPO = Path(__file__).resolve().parent.parent
# Where the servers import kubesim from: this checkout, or another one for A/B runs (--kubesim-src).
SRC = Path(os.environ.get("KUBESIM_BENCH_SRC") or REPO).resolve()
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

Obj = dict[str, Any]
URL_LINE = re.compile(r"(http://127\.0\.0\.1:\d+)")
IMAGE = "registry.local/bench/app:1.0"
SEQ_ANNOTATION = "bench.kubesim.io/seq"


@dataclass(frozen=True)
class Sizes:
    create_nodes: int
    creates: int
    concurrency: int
    warmup: int
    watch_counts: tuple[int, ...]
    aio_watch_counts: tuple[int, ...]
    watch_patches: int
    watch_pods: int
    mem_nodes: int
    mem_pods: int
    list_repeats: int
    selector_repeats: int
    idle_seconds: float
    aio_full_list: bool


FULL = Sizes(create_nodes=100, creates=5000, concurrency=64, warmup=200,
             watch_counts=(1, 10, 50), aio_watch_counts=(1, 10), watch_patches=200, watch_pods=20,
             mem_nodes=5000, mem_pods=150_000, list_repeats=3, selector_repeats=20,
             idle_seconds=12.0, aio_full_list=False)
QUICK = Sizes(create_nodes=20, creates=1000, concurrency=64, warmup=100,
              watch_counts=(1, 10, 50), aio_watch_counts=(1,), watch_patches=50, watch_pods=10,
              mem_nodes=500, mem_pods=15_000, list_repeats=2, selector_repeats=10,
              idle_seconds=3.0, aio_full_list=True)


# ---------------------------------------------------------------- servers

def server_process(argv: list[str], *, log_name: str) -> ChildProcess:
    """A kubesim server in a subprocess; `start()` returns its URL once it is listening."""
    return ChildProcess(argv, name="kubesim server", log_prefix=f"kubesim-bench-{log_name}-", src=SRC,
                        env={"KUBESIM_BENCH_SRC": str(SRC)}, url_line=URL_LINE,
                        tmpdir_prefix="kubesim-bench-")


def kubesim_server(nodes: int, *extra: str) -> ChildProcess:
    server = server_process([], log_name="server")
    assert server.tmpdir is not None
    kubeconfig = Path(server.tmpdir.name) / "kubeconfig"
    server.argv = [sys.executable, "-m", "kubesim", "--port", "0", "--nodes", str(nodes),
                   "--kubeconfig", str(kubeconfig), *extra]
    return server


class CpuMeter:
    """CPU seconds used by this process and the server between start() and stop()."""

    def __init__(self, server_pid: int) -> None:
        self.server = psutil.Process(server_pid)
        self.me = psutil.Process()

    @staticmethod
    def _cpu(p: psutil.Process) -> float:
        t = p.cpu_times()
        return float(t.user + t.system)

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.server0, self.me0 = self._cpu(self.server), self._cpu(self.me)

    def stop(self) -> tuple[float, float]:
        """(server CPU %, client CPU %) of one core over the interval."""
        wall = time.perf_counter() - self.t0
        return (100 * (self._cpu(self.server) - self.server0) / wall,
                100 * (self._cpu(self.me) - self.me0) / wall)


# ---------------------------------------------------------------- HTTP helpers

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


async def http_json(session: aiohttp.ClientSession, method: str, url: str, body: Any = None,
                    *, content_type: str = "application/json", params: dict[str, str] | None = None) -> Obj:
    data = orjson.dumps(body) if body is not None else None
    async with session.request(method, url, data=data, params=params,
                               headers={"Content-Type": content_type, "Accept": "application/json"}) as r:
        raw = await r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {url}: {r.status} {raw[:300]!r}")
    parsed = orjson.loads(raw)
    assert isinstance(parsed, dict)
    return parsed


async def ensure_namespace(session: aiohttp.ClientSession, url: str, name: str) -> None:
    async with session.post(f"{url}/api/v1/namespaces", data=orjson.dumps({"metadata": {"name": name}}),
                            headers=JSON_HEADERS) as r:
        await r.read()
        if r.status not in (201, 409):
            raise RuntimeError(f"creating namespace {name}: {r.status}")


async def node_names(session: aiohttp.ClientSession, url: str) -> list[str]:
    listed = await http_json(session, "GET", f"{url}/api/v1/nodes")
    return sorted(item["metadata"]["name"] for item in listed["items"])


def pod_body(name: str, node: str, group: str, index: int) -> Obj:
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": f"app-{index % 50}", "bench": group}},
        "spec": {
            "nodeName": node,
            "containers": [{
                "name": "main", "image": IMAGE,
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
            }],
        },
    }


def aio_pod(name: str, node: str, group: str, index: int) -> Any:
    from kubernetes.aio import client

    return client.V1Pod(
        api_version="v1", kind="Pod",
        metadata=client.V1ObjectMeta(name=name, labels={"app": f"app-{index % 50}", "bench": group}),
        spec=client.V1PodSpec(node_name=node, containers=[client.V1Container(
            name="main", image=IMAGE,
            resources=client.V1ResourceRequirements(requests={"cpu": "10m", "memory": "16Mi"}))]))


async def wait_running(session: aiohttp.ClientSession, url: str, namespace: str, count: int,
                       timeout: float) -> float:
    """Seconds until `count` pods in `namespace` report phase Running."""
    t0 = time.perf_counter()
    while True:
        listed = await http_json(session, "GET", f"{url}/api/v1/namespaces/{namespace}/pods")
        running = sum(1 for p in listed["items"] if (p.get("status") or {}).get("phase") == "Running")
        if running >= count:
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError(f"only {running}/{count} pods Running after {timeout:.0f} s")
        await asyncio.sleep(0.1)


# ---------------------------------------------------------------- 1. creates

@dataclass
class CreateRun:
    rate: float
    p50: float
    p99: float
    server_cpu: float  # % of one core
    client_cpu: float
    all_running_after: float

    @property
    def server_ms(self) -> float:
        """Server CPU milliseconds per create: steadier than the rate on a shared machine."""
        return self.server_cpu * 10 / self.rate

    @property
    def client_ms(self) -> float:
        return self.client_cpu * 10 / self.rate


async def run_pool(n: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> tuple[float, list[float]]:
    """Run one(i) for i in range(n) on `concurrency` coroutines; (wall seconds, latencies)."""
    latencies: list[float] = []
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            t0 = time.perf_counter()
            await one(i)
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies


async def creates_against(flavour: str, sizes: Sizes) -> CreateRun:
    server = kubesim_server(sizes.create_nodes)
    url = await server.start()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=sizes.concurrency)) as session:
            nodes = await node_names(session, url)
            await ensure_namespace(session, url, "bench")
            meter = CpuMeter(server.pid)
            if flavour == "raw":
                async def create(i: int, prefix: str) -> None:
                    name = f"{prefix}-{i:06d}"
                    body = orjson.dumps(pod_body(name, nodes[i % len(nodes)], "create", i))
                    async with session.post(f"{url}/api/v1/namespaces/bench/pods", data=body,
                                            headers=JSON_HEADERS) as r:
                        raw = await r.read()
                        if r.status != 201:
                            raise RuntimeError(f"create {name}: {r.status} {raw[:200]!r}")
                    orjson.loads(raw)

                await run_pool(sizes.warmup, sizes.concurrency, lambda i: create(i, "warm"))
                meter.start()
                wall, lat = await run_pool(sizes.creates, sizes.concurrency, lambda i: create(i, "pod"))
                server_cpu, client_cpu = meter.stop()
            else:
                from kubernetes.aio import client

                config = client.Configuration(host=url, connection_pool_maxsize=sizes.concurrency)
                if flavour == "aio-no-env":
                    # The client's session has trust_env=True: aiohttp then looks up proxy
                    # variables and reads ~/.netrc in a thread for every request.
                    config.client_session_kwargs = {"trust_env": False}
                async with client.ApiClient(config) as api:
                    core = client.CoreV1Api(api)

                    async def create_aio(i: int, prefix: str) -> None:
                        name = f"{prefix}-{i:06d}"
                        await core.create_namespaced_pod(
                            "bench", aio_pod(name, nodes[i % len(nodes)], "create", i))

                    await run_pool(sizes.warmup, sizes.concurrency, lambda i: create_aio(i, "warm"))
                    meter.start()
                    wall, lat = await run_pool(sizes.creates, sizes.concurrency,
                                               lambda i: create_aio(i, "pod"))
                    server_cpu, client_cpu = meter.stop()
            settle = await wait_running(session, url, "bench", sizes.warmup + sizes.creates, timeout=120)
    finally:
        await server.stop()
    return CreateRun(sizes.creates / wall, ms(pct(lat, 50)), ms(pct(lat, 99)), server_cpu, client_cpu, settle)


async def bench_creates(sizes: Sizes, report: Report) -> None:
    print(f"\n[creates] {sizes.creates} pods on {sizes.create_nodes} nodes, "
          f"{sizes.concurrency} coroutines, fresh server per client", flush=True)
    runs: dict[str, CreateRun] = {}
    for flavour, label in (("raw", "raw HTTP (aiohttp+orjson)"), ("aio", "kubernetes.aio"),
                           ("aio-no-env", "kubernetes.aio, trust_env=False")):
        run = runs[flavour] = await creates_against(flavour, sizes)
        if flavour == "aio":
            report.add("creates", f"{label}: creates/s", run.rate, "/s", target=">= 1000/s",
                       ok=run.rate >= 1000)
        else:
            report.add("creates", f"{label}: creates/s", run.rate, "/s")
        report.add("creates", f"{label}: latency p50", run.p50, "ms")
        report.add("creates", f"{label}: latency p99", run.p99, "ms")
        report.add("creates", f"{label}: server CPU per create", run.server_ms, "ms")
        report.add("creates", f"{label}: client CPU per create", run.client_ms, "ms")
    report.add("creates", "raw / kubernetes.aio throughput ratio", runs["raw"].rate / runs["aio"].rate, "x")
    report.add("creates", "all Running after last create (aio run)", runs["aio"].all_running_after, "s")


# ---------------------------------------------------------------- 2. watch fan-out

class Arrivals:
    """When each watcher saw each sequence number."""

    def __init__(self, watchers: int) -> None:
        self.watchers = watchers
        self.times: dict[int, list[float]] = {}
        self.complete: dict[int, asyncio.Event] = {}

    def event(self, seq: int) -> asyncio.Event:
        return self.complete.setdefault(seq, asyncio.Event())

    def record(self, obj: Obj, now: float) -> None:
        seq_text = (obj.get("metadata", {}).get("annotations") or {}).get(SEQ_ANNOTATION)
        if seq_text is None:
            return
        seq = int(seq_text)
        got = self.times.setdefault(seq, [])
        got.append(now)
        if len(got) >= self.watchers:
            self.event(seq).set()


async def raw_watcher(session: aiohttp.ClientSession, url: str, rv: str, arrivals: Arrivals,
                      connected: asyncio.Event) -> None:
    params = {"watch": "true", "labelSelector": "bench=watch", "resourceVersion": rv,
              "timeoutSeconds": "900"}
    async with session.get(f"{url}/api/v1/namespaces/watch/pods", params=params) as resp:
        connected.set()
        async for line in resp.content:
            now = time.perf_counter()
            if line.strip():
                arrivals.record(orjson.loads(line)["object"], now)


async def aio_watcher(url: str, rv: str, arrivals: Arrivals, connected: asyncio.Event) -> None:
    from kubernetes.aio import client, watch

    async with client.ApiClient(client.Configuration(host=url)) as api:
        core = client.CoreV1Api(api)
        w = watch.Watch()
        connected.set()
        async with w:
            async for event in w.stream(core.list_namespaced_pod, "watch", label_selector="bench=watch",
                                        resource_version=rv, timeout_seconds=900):
                now = time.perf_counter()
                pod = event["object"]
                seq_text = (pod.metadata.annotations or {}).get(SEQ_ANNOTATION)
                if seq_text is not None:
                    arrivals.record({"metadata": {"annotations": {SEQ_ANNOTATION: seq_text}}}, now)


async def fan_out(url: str, session: aiohttp.ClientSession, watchers: int, flavour: str,
                  sizes: Sizes, seq_base: int) -> tuple[list[float], list[float]]:
    """Open `watchers` streams, patch pods one at a time; (latency after return, after send)."""
    listed = await http_json(session, "GET", f"{url}/api/v1/namespaces/watch/pods")
    rv = listed["metadata"]["resourceVersion"]
    arrivals = Arrivals(watchers)
    tasks: list[asyncio.Task[None]] = []
    watch_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                          timeout=aiohttp.ClientTimeout(total=None))
    after_return: list[float] = []
    after_send: list[float] = []

    async def patch(seq: int) -> tuple[float, float]:
        pod = f"w-{seq % sizes.watch_pods:03d}"
        body = {"metadata": {"annotations": {SEQ_ANNOTATION: str(seq)}}}
        t0 = time.perf_counter()
        await http_json(session, "PATCH", f"{url}/api/v1/namespaces/watch/pods/{pod}", body,
                        content_type="application/merge-patch+json")
        return t0, time.perf_counter()

    try:
        for _ in range(watchers):
            connected = asyncio.Event()
            if flavour == "raw":
                tasks.append(asyncio.create_task(raw_watcher(watch_session, url, rv, arrivals, connected)))
            else:
                tasks.append(asyncio.create_task(aio_watcher(url, rv, arrivals, connected)))
            await connected.wait()
        # A first patch that every stream must see proves they are all registered.
        for attempt in range(50):
            warm = seq_base - 1 - attempt
            await patch(warm)
            try:
                await asyncio.wait_for(arrivals.event(warm).wait(), 0.5)
                break
            except TimeoutError:
                continue
        else:
            raise RuntimeError(f"{watchers} {flavour} watchers never all connected")
        for i in range(sizes.watch_patches):
            seq = seq_base + i
            t_send, t_return = await patch(seq)
            await asyncio.wait_for(arrivals.event(seq).wait(), 30)
            after_return.extend(t - t_return for t in arrivals.times[seq])
            after_send.extend(t - t_send for t in arrivals.times[seq])
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await watch_session.close()
    return after_return, after_send


async def bench_watch(sizes: Sizes, report: Report) -> None:
    print(f"\n[watch] fan-out of {sizes.watch_patches} sequential pod patches to K watch streams",
          flush=True)
    server = kubesim_server(4)
    url = await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            nodes = await node_names(session, url)
            await ensure_namespace(session, url, "watch")
            for i in range(sizes.watch_pods):
                await http_json(session, "POST", f"{url}/api/v1/namespaces/watch/pods",
                                pod_body(f"w-{i:03d}", nodes[i % len(nodes)], "watch", i))
            await wait_running(session, url, "watch", sizes.watch_pods, timeout=30)
            await asyncio.sleep(0.5)  # let the kubelet's last status writes pass
            runs = [("raw", k) for k in sizes.watch_counts] + [("aio", k) for k in sizes.aio_watch_counts]
            for n, (flavour, k) in enumerate(runs):
                lat_return, lat_send = await fan_out(url, session, k, flavour, sizes, (n + 1) * 100_000)
                label = f"{flavour} K={k}"
                report.add("watch", f"{label}: after write returned p50", ms(pct(lat_return, 50)), "ms")
                report.add("watch", f"{label}: after write returned p99", ms(pct(lat_return, 99)), "ms")
                report.add("watch", f"{label}: after write sent p99", ms(pct(lat_send, 99)), "ms")
    finally:
        await server.stop()


# ---------------------------------------------------------------- 3. memory and lists

def rss_of(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def peak_rss_of(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


async def timed_get(session: aiohttp.ClientSession, url: str, params: dict[str, str] | None = None
                    ) -> tuple[float, float, int, Obj]:
    """(seconds to the whole body, seconds to parse it, body bytes, parsed)."""
    t0 = time.perf_counter()
    async with session.get(url, params=params, headers={"Accept": "application/json"}) as r:
        raw = await r.read()
        if r.status != 200:
            raise RuntimeError(f"GET {url}: {r.status} {raw[:200]!r}")
    t1 = time.perf_counter()
    # Paused, the collector would rescan this process's heap many times over while a big
    # list's objects are built, and the parse figure would measure that instead.
    gc.disable()
    try:
        parsed = orjson.loads(raw)
    finally:
        gc.enable()
    return t1 - t0, time.perf_counter() - t1, len(raw), parsed


async def lease_versions(session: aiohttp.ClientSession, url: str) -> dict[str, str]:
    listed = await http_json(session, "GET",
                             f"{url}/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases")
    return {item["metadata"]["name"]: item["metadata"]["resourceVersion"] for item in listed["items"]}


async def bench_memory(sizes: Sizes, report: Report) -> None:
    nodes, pods = sizes.mem_nodes, sizes.mem_pods
    print(f"\n[memory] {nodes} nodes, {pods} pods loaded in-process, then listed over HTTP", flush=True)
    server = server_process([sys.executable, str(Path(__file__).resolve()), "--memory-server",
                             "--nodes", str(nodes), "--pods", str(pods)], log_name="memory")
    url = await server.start(timeout=300)
    try:
        loaded = await server.next_json(timeout=900)
        rss_loaded = rss_of(server.pid)
        report.add("memory", "boot + register nodes", loaded["boot_s"], "s")
        report.add("memory", "RSS with nodes, before pods", mb(loaded["rss_nodes"]), "MB")
        report.add("memory", f"store.create of {pods} pods", loaded["create_s"], "s")
        report.add("memory", "load time: first create to all Running", loaded["running_s"], "s")
        report.add("memory", "load: server CPU per pod", loaded["load_cpu_s"] * 1e6 / pods, "us")
        report.add("memory", "load: of which garbage collection", loaded["load_gc_s"], "s")
        report.add("memory", "RSS after load (all Running)", mb(rss_loaded), "MB", target="< 2048 MB",
                   ok=rss_loaded < 2 * 1024**3)
        report.add("memory", "RSS per pod (after load - before pods)",
                   (rss_loaded - loaded["rss_nodes"]) / pods, "B")
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(timeout=timeout, read_bufsize=2**21) as session:
            leases_before = await lease_versions(session, url)
            t_leases = time.perf_counter()

            fetches, parses, size = [], [], 0
            for _ in range(sizes.list_repeats):
                fetch, parse, size, listed = await timed_get(session, f"{url}/api/v1/pods")
                if len(listed["items"]) != pods:
                    raise RuntimeError(f"listed {len(listed['items'])} pods, expected {pods}")
                del listed
                fetches.append(fetch)
                parses.append(parse)
                gc.collect()
            report.add("list", f"GET all {pods} pods: response body", mb(size), "MB")
            report.add("list", "GET all pods: to last byte (median)", ms(statistics.median(fetches)), "ms")
            report.add("list", "GET all pods: client orjson parse, gc paused",
                       ms(statistics.median(parses)), "ms")

            t0 = time.perf_counter()
            pages, got, token = 0, 0, ""
            while True:
                params = {"limit": "500", **({"continue": token} if token else {})}
                _, _, _, page = await timed_get(session, f"{url}/api/v1/pods", params)
                pages += 1
                got += len(page["items"])
                token = page["metadata"].get("continue", "")
                if not token:
                    break
            if got != pods:
                raise RuntimeError(f"paged list returned {got} pods, expected {pods}")
            report.add("list", f"paged list, limit=500 ({pages} pages), total", ms(time.perf_counter() - t0),
                       "ms")

            node = f"node-{(nodes // 2):0{len(str(nodes - 1))}d}"
            names = await node_names(session, url)
            if node not in names:
                node = names[len(names) // 2]
            selector = {"fieldSelector": f"spec.nodeName={node}"}
            sel_times, count = [], 0
            for _ in range(sizes.selector_repeats):
                fetch, parse, _, listed = await timed_get(session, f"{url}/api/v1/pods", selector)
                sel_times.append(fetch + parse)
                count = len(listed["items"])
            report.add("list", f"fieldSelector spec.nodeName ({count} pods), raw p50",
                       ms(pct(sel_times, 50)), "ms")

            from kubernetes.aio import client

            async with client.ApiClient(client.Configuration(host=url)) as api:
                core = client.CoreV1Api(api)
                aio_times = []
                for _ in range(sizes.selector_repeats):
                    t0 = time.perf_counter()
                    result = await core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}")
                    aio_times.append(time.perf_counter() - t0)
                    assert len(result.items) == count
                report.add("list", "fieldSelector spec.nodeName, kubernetes.aio p50",
                           ms(pct(aio_times, 50)), "ms")
                if sizes.aio_full_list:
                    t0 = time.perf_counter()
                    result = await core.list_pod_for_all_namespaces(_request_timeout=600)
                    report.add("list", f"GET all {pods} pods via kubernetes.aio (models)",
                               ms(time.perf_counter() - t0), "ms")
                    del result
                    gc.collect()

            rss_after_lists = rss_of(server.pid)
            meter = CpuMeter(server.pid)
            meter.start()
            await asyncio.sleep(sizes.idle_seconds)
            idle_cpu, _ = meter.stop()
            leases_after = await lease_versions(session, url)
            window = time.perf_counter() - t_leases
            renewed = sum(1 for name, rv in leases_after.items() if leases_before.get(name) != rv)
            report.add("memory", "RSS after the lists", mb(rss_after_lists), "MB")
            report.add("memory", "peak RSS (VmHWM)", mb(peak_rss_of(server.pid)), "MB")
            report.add("memory", f"server CPU while idle ({sizes.idle_seconds:.0f} s)", idle_cpu, "%")
            report.add("memory", f"leases renewed in {window:.0f} s (of {len(leases_after)})", renewed, "")
            if not leases_after:
                report.note("no node leases found: lease renewal could not be checked")
            elif renewed == 0:
                report.note("no node lease was renewed during the list phase")
    finally:
        await server.stop()


# ---------------------------------------------------------------- memory server (child process)

async def memory_server(nodes: int, pods: int) -> None:
    """Boot a cluster, load pods straight into its store, wait until all run, report, then serve."""
    from kubesim.cluster import Cluster, ClusterConfig
    from kubesim.kubelet import StageDelays

    me = psutil.Process()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kubesim-bench-") as tmp:
        cluster = Cluster(ClusterConfig(nodes=nodes, node_pods="110",
                                        delays=StageDelays(create=0.0, start=0.2)))
        await cluster.start(port=0, kubeconfig_path=Path(tmp) / "kubeconfig")
        boot_s = time.perf_counter() - t0
        print(cluster.url, flush=True)
        gc.collect()
        rss_nodes = me.memory_info().rss
        names = [spec.name for spec in cluster.node_specs()]
        store = cluster.store
        gc_time = [0.0, 0.0]  # total, start of the current collection

        def gc_clock(phase: str, _: dict[str, int]) -> None:
            now = time.perf_counter()
            if phase == "start":
                gc_time[1] = now
            else:
                gc_time[0] += now - gc_time[1]

        gc.callbacks.append(gc_clock)
        cpu1 = time.process_time()
        t1 = time.perf_counter()
        for i in range(pods):
            # A round trip through JSON gives each pod its own strings, as pods created over HTTP have.
            body = orjson.loads(orjson.dumps(pod_body(f"pod-{i:06d}", names[i % nodes], "mem", i)))
            store.create("pods", "default", body)
            if i % 500 == 499:
                await asyncio.sleep(0)  # let the kubelet admit what was just bound
        create_s = time.perf_counter() - t1
        while True:
            running = sum(1 for p in store.objects("pods")
                          if (p.get("status") or {}).get("phase") == "Running")
            if running >= pods:
                break
            await asyncio.sleep(0.2)
        running_s = time.perf_counter() - t1
        load_cpu = time.process_time() - cpu1
        gc.callbacks.remove(gc_clock)
        gc.collect()
        print(json.dumps({"boot_s": boot_s, "rss_nodes": rss_nodes, "create_s": create_s,
                          "running_s": running_s, "load_cpu_s": load_cpu, "load_gc_s": gc_time[0],
                          "rss_loaded": me.memory_info().rss}), flush=True)
        await until_stopped()
        await cluster.stop()


# ---------------------------------------------------------------- main

SECTIONS: dict[str, Callable[[Sizes, Report], Awaitable[None]]] = {
    "creates": bench_creates, "watch": bench_watch, "memory": bench_memory,
}


async def run(sizes: Sizes, only: list[str], report: Report) -> None:
    for name in only:
        await SECTIONS[name](sizes, report)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller sizes: finishes in under a minute")
    p.add_argument("--only", default=",".join(SECTIONS),
                   help=f"comma-separated sections to run, of: {', '.join(SECTIONS)}")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the figures here as JSON")
    p.add_argument("--kubesim-src", default=None, metavar="DIR",
                   help="run the servers on the kubesim package found in DIR (to compare a change)")
    p.add_argument("--memory-server", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--nodes", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--pods", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.kubesim_src:
        global SRC
        SRC = Path(args.kubesim_src).resolve()
        if not (SRC / "kubesim" / "__init__.py").is_file():
            p.error(f"no kubesim package in {SRC}")
    if args.memory_server:
        asyncio.run(memory_server(args.nodes, args.pods))
        return 0
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        p.error(f"unknown section(s) {', '.join(unknown)}; expected some of {', '.join(SECTIONS)}")
    sizes = QUICK if args.quick else FULL
    report = Report()
    cpu = psutil.cpu_count() or 0
    mem = psutil.virtual_memory().total
    print(f"kubesim benchmark ({'quick' if args.quick else 'full'}): python {sys.version.split()[0]}, "
          f"{cpu} CPUs, {mb(mem) / 1024:.0f} GiB", flush=True)
    t0 = time.perf_counter()
    load_before = os.getloadavg()[0]
    asyncio.run(run(sizes, only, report))
    report.note(f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
                f"({cpu} CPUs): other work on the machine skews rates; CPU per op is steadier")
    report.print_summary("quick" if args.quick else "full", time.perf_counter() - t0, args.json)
    missed = [f for f in report.figures if f.ok is False]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
