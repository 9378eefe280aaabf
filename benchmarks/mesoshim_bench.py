"""mesoshim benchmarks: offers at scale, launch throughput, status latency, shim memory.

    python benchmarks/mesoshim_bench.py           # full run: 5,000 nodes / 150,000 pods
    python benchmarks/mesoshim_bench.py --quick   # 500 nodes / 15,000 pods, under a minute
    python benchmarks/mesoshim_bench.py --only memory --json figures.json
    python benchmarks/mesoshim_bench.py --quick --src /tmp/other-checkout   # A/B a fix
    python benchmarks/mesoshim_bench.py --quick --profile /tmp/prof           # cProfile per phase

A full run is ~2 min of kubesim loading 2 x 150,000 pods plus ~1.5 min of measurements, plus
the shim's own start-up, twice (a few seconds, or minutes when start-up is quadratic).

This is not a test: it prints figures. Three kinds of process, so that none of them
competes with another for the GIL:

* kubesim runs in its own process (this script's `--kubesim-server` mode). Its pods are
  loaded straight into its store (`store.create` on its loop, not through HTTP), then the
  simulated kubelet runs them. A store listener stamps (time.perf_counter, CLOCK_MONOTONIC,
  shared by all processes) when each task pod is created and when its phase changes; the
  `/kubesim/bench-*` hooks return those stamps, make task containers exit (the kubelet then
  writes Succeeded), and purge namespaces.
* the shim runs in this (the driver) process, so `Master.tick` can be timed directly; for
  the memory section it runs alone in a child process (`--shim-server`).
* the Mesos framework is a plain JSON v1 scheduler client in its own process
  (`--framework`), driven by JSON lines on its stdin. It acknowledges every update as it
  arrives, as a real framework does.

Sections:
1. scale   5,000 nodes with 30 running pods each: 29 "foreign" pods (created directly in
           kubesim) and 1 task pod of a framework the shim recovers at start-up. Shim
           start-up (first lists), allocation-cycle times (`Master.tick`, timed in-process),
           SUBSCRIBE -> first OFFERS for a new framework.
2. launch  5,000 tasks, one per offer (5,000 ACCEPT calls), from the first ACCEPT sent to
           the last pod created in kubesim; baseline: the same 5,000 pod manifests created
           with kubernetes.aio (CoreV1Api.create_namespaced_pod, default Configuration, so
           the same 100-connection pool the shim's client has, all requests in flight at
           once as the shim issues them), against the same kubesim, before the shim starts.
   Rates depend on what else runs on the machine (the load average is printed); the CPU
           seconds per task of the shim's process and per pod of the baseline client do not.
3. status  pod phase change committed in kubesim -> UPDATE parsed by the framework:
           kubelet-written Succeeded for task containers made to exit at a steady pace
           (the target), and kubelet-written Running during the launch burst (for information).
4. memory  a fresh kubesim with 5,000 nodes and 150,000 pods that are ours (the shim's own
           manifests, labels and annotations, made by `task_to_pod`), recovered by a shim
           started in its own process via `recover_task`; its RSS once settled, its peak.

GC pauses of the shim's process are printed per phase: with 150,000 pods cached, a full
collection of the cyclic GC can take seconds, and it lands inside whatever runs then.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiohttp
import orjson
import psutil
from report import Report, mb, ms, pct
from subprocesses import ChildProcess, until_stopped

# Where the shim, kubesim and the framework are imported from: this checkout, or another one
# for A/B runs of a fix (--src DIR, passed on to the child processes).
REPO = Path(os.environ.get("MESOSHIM_BENCH_SRC") or Path(__file__).resolve().parent.parent).resolve()
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

Obj = dict[str, Any]
URL_LINE = re.compile(r"^URL (http://127\.0\.0\.1:\d+)")
NS = "mesos"  # the shim's namespace
BASELINE_NS = "baseline"
RECOVERED_FW = "bench-recovered-framework"
TASK_ANNOTATION = "mesos.apache.org/task-id"
MANAGED_BY = "app.kubernetes.io/managed-by"


@dataclass(frozen=True)
class Sizes:
    nodes: int
    foreign_per_node: int
    ours_per_node: int
    subscribe_reps: int
    steady_cycles: int
    reoffer_cycles: int
    launch_tasks: int
    status_tasks: int
    status_interval: float
    mem_nodes: int
    mem_tasks: int


FULL = Sizes(nodes=5000, foreign_per_node=29, ours_per_node=1, subscribe_reps=5, steady_cycles=300,
             reoffer_cycles=30, launch_tasks=5000, status_tasks=1000, status_interval=0.005,
             mem_nodes=5000, mem_tasks=150_000)
QUICK = Sizes(nodes=500, foreign_per_node=29, ours_per_node=1, subscribe_reps=3, steady_cycles=100,
              reoffer_cycles=20, launch_tasks=1000, status_tasks=200, status_interval=0.005,
              mem_nodes=500, mem_tasks=15_000)


# ---------------------------------------------------------------- tasks and pods

def task_json(task_id: str, agent_id: str, cpus: float = 0.1, mem: float = 32.0) -> Obj:
    """A TaskInfo in the v1 API's JSON form, as a framework sends it."""
    return {"name": task_id, "task_id": {"value": task_id}, "agent_id": {"value": agent_id},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}],
            "command": {"value": "sleep 3600"}}


def task_manifest(task_id: str, agent_id: str, node: str, framework_id: str, namespace: str,
                  cpus: float = 0.1, mem: float = 32.0) -> Obj:
    """The pod the shim makes for task_json(...): the shim's own translation."""
    from google.protobuf import json_format

    from executor.translate import LaunchContext, task_to_pod
    from mesoshim.pb.mesos.v1 import mesos_pb2

    info = json_format.ParseDict(task_json(task_id, agent_id, cpus, mem), mesos_pb2.TaskInfo())
    fw = mesos_pb2.FrameworkInfo(user="bench", name="bench")
    fw.id.value = framework_id
    ctx = LaunchContext(framework_id=framework_id, framework_info=fw, agent_id=agent_id, node_name=node,
                        namespace=namespace, default_image="busybox:1.36", fetcher_image="curlimages/curl:8.10.1")
    return task_to_pod(info, ctx)


def foreign_pod(name: str, node: str, index: int) -> Obj:
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": f"app-{index % 50}", "tier": "foreign"}},
        "spec": {"nodeName": node, "containers": [{
            "name": "main", "image": "registry.local/app:1.0",
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
    }


# ---------------------------------------------------------------- child processes

def child(argv: list[str], *, name: str, url_wanted: bool = True) -> ChildProcess:
    """A child process of this script; `start()` returns the URL it prints (if any)."""
    return ChildProcess(argv, name=name, log_prefix=f"mesoshim-bench-{name}-", src=REPO,
                        env={"MESOSHIM_BENCH_SRC": str(REPO)}, url_line=URL_LINE if url_wanted else None,
                        start_timeout=600.0, stdin=True, limit=64 * 1024 * 1024)


class Profiler:
    """One phase in the driver (the shim's process): its GC pauses, and with `--profile DIR`
    a cProfile into DIR/<phase>.prof."""

    directory: Path | None = None

    def __init__(self, phase: str) -> None:
        self.phase = phase
        self.profile: Any = None
        self.gc = GcMeter()

    def __enter__(self) -> Profiler:
        self.gc.__enter__()
        if self.directory is not None:
            import cProfile

            self.profile = cProfile.Profile()
            self.profile.enable()
        return self

    def __exit__(self, *_: object) -> None:
        self.gc.__exit__()
        if self.profile is not None and self.directory is not None:
            self.profile.disable()
            self.directory.mkdir(parents=True, exist_ok=True)
            self.profile.dump_stats(str(self.directory / f"{self.phase}.prof"))


def this_script(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


class GcMeter:
    """Pauses of the cyclic garbage collector in this process (the shim's), per generation."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._t0 = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._t0)

    def __enter__(self) -> GcMeter:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        full = self.pauses[2]
        young = self.pauses[0] + self.pauses[1]
        return (f"{len(full)} full collections, {ms(sum(full)):,.0f} ms in all, longest {ms(max(full, default=0)):,.0f} ms; "
                f"{len(young)} young ones, {ms(sum(young)):,.0f} ms in all")

    def longest(self) -> float:
        return max((p for ps in self.pauses.values() for p in ps), default=0.0)


class CpuMeter:
    """CPU seconds of a set of processes over an interval."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}

    def _now(self) -> dict[str, float]:
        return {name: sum(p.cpu_times()[:2]) for name, p in self.procs.items()}

    def start(self) -> None:
        self.t0, self.c0 = time.perf_counter(), self._now()

    def stop(self) -> dict[str, float]:
        c1 = self._now()
        return {name: c1[name] - self.c0[name] for name in c1}


# ---------------------------------------------------------------- kubesim hooks (driver side)

async def hook(session: aiohttp.ClientSession, url: str, action: str, **args: Any) -> Any:
    async with session.post(f"{url}/kubesim/{action}", data=orjson.dumps(args),
                            headers={"Content-Type": "application/json"}) as r:
        raw = await r.read()
        if r.status >= 300:
            raise RuntimeError(f"hook {action}: {r.status} {raw[:300]!r}")
    return orjson.loads(raw)


async def wait_marks(session: aiohttp.ClientSession, url: str, namespace: str, key: str, count: int,
                     timeout: float) -> dict[str, Obj]:
    """Poll the kubesim stamps until `count` task pods of `namespace` have stamp `key`."""
    deadline = time.monotonic() + timeout
    while True:
        marks = await hook(session, url, "bench-marks", namespace=namespace)
        have = sum(1 for m in marks.values() if key in m)
        if have >= count:
            return dict(marks)
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {have}/{count} task pods reached {key} in {namespace}")
        await asyncio.sleep(0.1)


# ---------------------------------------------------------------- sections 1-3: driver

class ShimHost:
    """The shim on this process's loop, with its start-up phases timed."""

    def __init__(self, url: str) -> None:
        from kubernetes.aio import client as aio

        from mesoshim.app import Shim, ShimConfig

        cfg = aio.Configuration()
        cfg.host = url
        self.api = aio.ApiClient(cfg)
        self.shim = Shim(self.api, ShimConfig(port=0, heartbeat_interval=15.0))
        self.phases: dict[str, float] = {}
        for informer in (self.shim.kube.nodes, self.shim.kube.pods):
            self._time_relists(informer)

    def _time_relists(self, informer: Any) -> None:
        relist, watch_once = informer.relist, informer.watch_once
        phases = self.phases

        async def timed_relist() -> None:
            t0 = time.perf_counter()
            await relist()
            phases[f"{informer.name} list #{informer.relists}"] = time.perf_counter() - t0

        async def timed_watch() -> None:
            phases.setdefault(f"{informer.name} watching at", time.perf_counter())
            await watch_once()
        informer.relist, informer.watch_once = timed_relist, timed_watch

    async def start(self) -> float:
        t0 = time.perf_counter()
        await self.shim.start()
        self.t_started = time.perf_counter()
        return self.t_started - t0

    async def settled(self, timeout: float = 600.0) -> float:
        """Seconds after start() returned until both informers watch (after any list of their own)."""
        deadline = time.monotonic() + timeout
        keys = ("nodes watching at", "pods watching at")
        while not all(k in self.phases for k in keys):
            if time.monotonic() > deadline:
                raise TimeoutError("the shim's informers did not start watching")
            await asyncio.sleep(0.05)
        return max(self.phases[k] for k in keys) - self.t_started

    async def stop(self) -> None:
        await self.shim.stop()
        await self.api.close()


async def baseline_creates(url: str, manifests: list[Obj]) -> tuple[float, float]:
    """(perf_counter before the first create, after the last reply) with kubernetes.aio."""
    from kubernetes.aio import client as aio

    cfg = aio.Configuration()  # the shim's: default pool of 100 connections, trust_env=True
    cfg.host = url
    async with aio.ApiClient(cfg) as api:
        core = aio.CoreV1Api(api)
        await core.list_namespaced_pod(BASELINE_NS, limit=1)  # open the pool, as the shim has
        t0 = time.perf_counter()
        # Plain dicts, as the shim sends: the client serializes them like its models.
        await asyncio.gather(*(core.create_namespaced_pod(BASELINE_NS, cast(Any, body)) for body in manifests))
        return t0, time.perf_counter()


def decline_all_call(framework_id: str, offer_ids: list[str]) -> Any:
    from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

    call = scheduler_pb2.Call(type=scheduler_pb2.Call.DECLINE)
    call.framework_id.value = framework_id
    for oid in offer_ids:
        call.decline.offer_ids.add().value = oid
    call.decline.filters.refuse_seconds = 0.0
    return call


async def bench_cluster(sizes: Sizes, report: Report, only: list[str]) -> None:
    n = sizes.nodes
    pods = n * (sizes.foreign_per_node + sizes.ours_per_node)
    print(f"\n[scale/launch/status] kubesim (own process): {n} nodes, {pods} running pods "
          f"({sizes.foreign_per_node} foreign + {sizes.ours_per_node} recovered task pod per node)", flush=True)
    kube = child(this_script("--kubesim-server", "--nodes", str(n), "--foreign-per-node",
                             str(sizes.foreign_per_node), "--ours-per-node", str(sizes.ours_per_node)),
                 name="kubesim")
    url = await kube.start()
    loaded = await kube.next_json(timeout=900)
    report.add("setup", f"kubesim: boot {n} nodes", loaded["boot_s"], "s")
    report.add("setup", f"kubesim: store.create {pods} pods", loaded["create_s"], "s")
    report.add("setup", "  then all Running", loaded["running_s"], "s")
    framework = child(this_script("--framework"), name="framework", url_wanted=False)
    host: ShimHost | None = None
    async with aiohttp.ClientSession() as session:
        try:
            await framework.start()
            node_agents = loaded["nodes"]  # [[name, uid], ...]
            launch_n = min(sizes.launch_tasks, n)
            # ---- baseline: the same manifests, straight to kubesim, before the shim runs
            if "launch" in only:
                manifests = [task_manifest(f"t-{i:06d}", node_agents[i][1], node_agents[i][0],
                                           "bench-baseline-framework", BASELINE_NS)
                             for i in range(launch_n)]
                meter = CpuMeter({"driver": os.getpid(), "kubesim": kube.pid})
                meter.start()
                t0, t_replies = await baseline_creates(url, manifests)
                marks = await wait_marks(session, url, BASELINE_NS, "ADDED", launch_n, timeout=300)
                cpu = baseline_cpu = meter.stop()
                t_last = max(m["ADDED"] for m in marks.values())
                baseline_rate = launch_n / (t_last - t0)
                report.add("launch", f"baseline kubernetes.aio: {launch_n} creates", baseline_rate, "/s")
                report.note(f"baseline: last reply after {t_replies - t0:.2f} s; CPU: client "
                            f"{cpu['driver']:.1f} s, kubesim {cpu['kubesim']:.1f} s; load average "
                            f"{os.getloadavg()[0]:.2f}")
                del manifests
                purged = await hook(session, url, "bench-purge", namespace=BASELINE_NS)
                await asyncio.sleep(1.0)  # let the kubelet forget them
                print(f"  (purged {purged['deleted']} baseline pods)", flush=True)
            # ---- 1. the shim starts against the loaded cluster
            gc.collect()
            host = ShimHost(url)
            with Profiler("start") as phase:
                start_s = await host.start()
                settle_s = await host.settled()
            report.note(f"GC in the shim during start-up: {phase.gc.summary()}")
            report.add("scale", f"shim start (first lists: {n} nodes, {pods} pods)", start_s, "s")
            for key in ("nodes list #1", "pods list #1"):
                report.add("scale", f"  of which {key.replace(' #1', '')}", host.phases[key], "s")
            report.add("scale", "then until both informers watch", settle_s, "s")
            if "pods list #2" in host.phases:
                report.note("Informer.run() lists again although sync() just listed: every pod is "
                            f"reported twice at start-up (the second list took {host.phases['pods list #2']:.2f} s)")
            shim = host.shim
            master = shim.master
            assert master is not None
            report.add("scale", "shim RSS (driver process) after sync", mb(psutil.Process().memory_info().rss), "MB")
            # ---- SUBSCRIBE -> first OFFERS, fresh frameworks (each torn down after)
            lat = []
            with Profiler("subscribe") as phase:
                for rep in range(sizes.subscribe_reps):
                    got = await framework.command("subscribe", url=shim.url, name=f"probe-{rep}", timeout=120)
                    lat.append(got["first_offers_s"])
                    if got["offers"] < n:
                        report.note(f"probe framework {rep} got {got['offers']} offers (of {n} agents)")
                    await framework.command("teardown")
            report.note(f"SUBSCRIBE -> OFFERS each: {', '.join(f'{ms(x):,.0f}' for x in lat)} ms; "
                        f"GC in the shim meanwhile: {phase.gc.summary()}")
            report.add("scale", f"SUBSCRIBE -> first OFFERS ({n} offers), median", ms(statistics.median(lat)), "ms")
            report.add("scale", f"SUBSCRIBE -> first OFFERS, worst of {len(lat)}", ms(max(lat)), "ms",
                       target="< 1000 ms", ok=max(lat) < 1.0)
            # ---- the framework that stays
            got = await framework.command("subscribe", url=shim.url, name="bench", timeout=120)
            fid = got["fid"]
            fw = master.frameworks[fid]
            # ---- allocation cycles, timed directly on the master
            steady: list[float] = []
            cycles = Profiler("tick")
            cycles.__enter__()
            for _ in range(sizes.steady_cycles):
                now = shim.clock()
                t = time.perf_counter()
                effects = master.tick(now)
                steady.append(time.perf_counter() - t)
                shim.apply(effects)
                await asyncio.sleep(0)
            report.add("scale", f"Master.tick, all {n} agents held in offers: p50", ms(pct(steady, 50)), "ms")
            report.add("scale", "Master.tick, all agents held in offers: p99", ms(pct(steady, 99)), "ms",
                       target="< 50 ms", ok=pct(steady, 99) < 0.05)
            reoffer: list[float] = []
            applies: list[float] = []
            offered = []
            for _ in range(sizes.reoffer_cycles):
                shim.apply(master.handle(decline_all_call(fid, list(fw.offers)), shim.clock()))
                now = shim.clock()
                t = time.perf_counter()
                effects = master.tick(now)
                reoffer.append(time.perf_counter() - t)
                offered.append(len(fw.offers))
                t = time.perf_counter()
                shim.apply(effects)
                applies.append(time.perf_counter() - t)
                await asyncio.sleep(0.05)
            cycles.__exit__()
            report.add("scale", f"Master.tick re-offering all {min(offered)} agents: p50", ms(pct(reoffer, 50)), "ms")
            report.add("scale", "Master.tick re-offering all agents: p99", ms(pct(reoffer, 99)), "ms",
                       target="< 50 ms", ok=pct(reoffer, 99) < 0.05)
            report.add("scale", "  then encoding the OFFERS event (Shim.apply): p50", ms(pct(applies, 50)), "ms")
            report.note(f"GC in the shim during the timed cycles (inside the ticks or not): {cycles.gc.summary()}")
            # the framework must hold the offers the master holds for it before it launches
            await framework.command("sync_offers", ids=list(fw.offers), timeout=120)
            # ---- 2. launch through the shim
            if "launch" in only or "status" in only:
                await framework.command("wait_offers", count=launch_n, timeout=120)
                meter = CpuMeter({"shim": os.getpid(), "kubesim": kube.pid, "framework": framework.pid})
                meter.start()
                load = os.getloadavg()[0]
                with Profiler("launch") as phase:
                    sent = await framework.command("launch", count=launch_n, prefix="t", timeout=300)
                    marks = await wait_marks(session, url, NS, "ADDED", launch_n, timeout=300)
                cpu = meter.stop()
                t0 = sent["t0"]
                t_last = max(m["ADDED"] for m in marks.values())
                rate = launch_n / (t_last - t0)
                report.add("launch", f"shim: {launch_n} tasks, ACCEPT -> pod created", rate, "/s")
                if "launch" in only:
                    ratio = rate / baseline_rate
                    report.add("launch", "shim / kubernetes.aio baseline", ratio, "x", target=">= 0.80x",
                               ok=ratio >= 0.8)
                if "launch" in only:
                    shim_ms, client_ms = ms(cpu["shim"]) / launch_n, ms(baseline_cpu["driver"]) / launch_n
                    report.add("launch", "shim process CPU per task", shim_ms, "ms")
                    report.add("launch", "baseline client CPU per pod", client_ms, "ms")
                    report.add("launch", "  ratio (each side's single-process bound)", client_ms / shim_ms, "x")
                report.note(f"launch: {sent['accepts']} ACCEPTs posted in {sent['t_posted'] - t0:.2f} s; "
                            f"CPU during launch: shim {cpu['shim']:.1f} s, kubesim {cpu['kubesim']:.1f} s, "
                            f"framework {cpu['framework']:.1f} s; load average {load:.2f}; "
                            f"GC in the shim: {phase.gc.summary()}")
                running = await framework.command("wait_state", state="TASK_RUNNING", count=launch_n, timeout=300)
                starting = await framework.command("arrivals", state="TASK_STARTING")
                report.add("launch", "first ACCEPT -> all TASK_STARTING", max(starting["arrivals"].values()) - t0, "s")
                report.add("launch", "first ACCEPT -> all TASK_RUNNING", max(running["arrivals"].values()) - t0, "s")
                marks = await wait_marks(session, url, NS, "Running", launch_n, timeout=60)
                burst = [arrived - marks[tid]["Running"] for tid, arrived in running["arrivals"].items()
                         if tid in marks and "Running" in marks[tid]]
                report.add("status", "kubelet Running -> TASK_RUNNING, launch burst: p50", ms(pct(burst, 50)), "ms")
                report.add("status", "kubelet Running -> TASK_RUNNING, launch burst: p99", ms(pct(burst, 99)), "ms")
            # ---- 3. status latency at a steady pace
            if "status" in only:
                await framework.command("quiet", timeout=120)
                k = min(sizes.status_tasks, launch_n)
                names = [pod_name_of(fid, f"t-{i:06d}") for i in range(k)]
                with Profiler("status") as phase:
                    await hook(session, url, "bench-exit", namespace=NS, pods=names, interval=sizes.status_interval)
                    finished = await framework.command("wait_state", state="TASK_FINISHED", count=k, timeout=300)
                report.note(f"GC in the shim during the status run: {phase.gc.summary()}")
                marks = await wait_marks(session, url, NS, "Succeeded", k, timeout=60)
                lat = [arrived - marks[tid]["Succeeded"] for tid, arrived in finished["arrivals"].items()
                       if tid in marks and "Succeeded" in marks[tid]]
                report.add("status", f"kubelet Succeeded -> TASK_FINISHED, {1 / sizes.status_interval:.0f}/s: p50",
                           ms(pct(lat, 50)), "ms")
                report.add("status", f"kubelet Succeeded -> TASK_FINISHED ({len(lat)} tasks): p99",
                           ms(pct(lat, 99)), "ms", target="< 50 ms", ok=pct(lat, 99) < 0.05)
                report.add("status", "  max", ms(max(lat)), "ms")
        finally:
            if host is not None:
                await host.stop()
            await framework.stop()
            await kube.stop()


def pod_name_of(framework_id: str, task_id: str) -> str:
    from executor.translate import pod_name

    return pod_name(framework_id, task_id)


# ---------------------------------------------------------------- section 4: memory

async def bench_memory(sizes: Sizes, report: Report) -> None:
    n, tasks = sizes.mem_nodes, sizes.mem_tasks
    per_node = tasks // n
    print(f"\n[memory] kubesim (own process): {n} nodes, {per_node * n} task pods that are ours; "
          "the shim alone in another process", flush=True)
    kube = child(this_script("--kubesim-server", "--nodes", str(n), "--foreign-per-node", "0",
                             "--ours-per-node", str(per_node)), name="kubesim-mem")
    url = await kube.start()
    loaded = await kube.next_json(timeout=900)
    report.add("setup", f"kubesim: store.create {per_node * n} task pods", loaded["create_s"], "s")
    report.add("setup", "  then all Running", loaded["running_s"], "s")
    shim = child(this_script("--shim-server", url), name="shim", url_wanted=False)
    try:
        await shim.start()
        peak = 0
        proc = psutil.Process(shim.pid)
        report_task = asyncio.create_task(shim.next_json(timeout=900))
        while not report_task.done():
            with contextlib.suppress(psutil.Error):
                peak = max(peak, proc.memory_info().rss)
            await asyncio.wait({report_task}, timeout=0.1)
        got = report_task.result()
        report.add("memory", f"shim start, recovering {got['tasks']} tasks", got["start_s"], "s")
        report.add("memory", "  then until both informers watch", got["settle_s"], "s")
        report.add("memory", f"shim RSS, {n} agents / {got['tasks']} tasks, settled", mb(got["rss"]), "MB",
                   target="< 1536 MB", ok=got["rss"] < 1.5 * 1024 ** 3)
        report.add("memory", "shim peak RSS during start-up (sampled 10/s)", mb(max(peak, got["rss"])), "MB")
        report.add("memory", "  RSS of the bare process before Shim.start", mb(got["rss_empty"]), "MB")
        report.note(f"GC in the memory shim during start-up: {got['gc']}")
    finally:
        await shim.stop()
        await kube.stop()


async def shim_server(url: str) -> None:
    """The shim alone: start, settle, report RSS, then run until SIGTERM."""
    from kubernetes.aio import client as aio  # noqa: F401  (import cost counted in rss_empty)

    import mesoshim.app  # noqa: F401

    me = psutil.Process()
    gc.collect()
    rss_empty = me.memory_info().rss
    host = ShimHost(url)
    try:
        with GcMeter() as pauses:
            start_s = await host.start()
            settle_s = await host.settled()
            await asyncio.sleep(3.0)  # a few allocation cycles
        gc.collect()
        master = host.shim.master
        assert master is not None
        tasks = sum(len(fw.tasks) for fw in master.frameworks.values())
        print(json.dumps({"start_s": start_s, "settle_s": settle_s, "rss": me.memory_info().rss,
                          "rss_empty": rss_empty, "tasks": tasks, "agents": len(master.agents),
                          "gc": pauses.summary()}), flush=True)
        await until_stopped()
    except Exception as exc:
        print(json.dumps({"error": repr(exc)}), flush=True)
        raise
    finally:
        await host.stop()


# ---------------------------------------------------------------- kubesim server (child process)

async def kubesim_server(nodes: int, foreign_per_node: int, ours_per_node: int) -> None:
    from kubesim.cluster import Cluster, ClusterConfig
    from kubesim.kubelet import StageDelays
    from kubesim.watch import ADDED, DELETED, Change

    marks: dict[str, dict[str, dict[str, float]]] = {}  # namespace -> task id -> stamp -> time
    loop = asyncio.get_running_loop()

    class BenchCluster(Cluster):
        def _hooks(self) -> dict[str, Any]:
            hooks = super()._hooks()
            hooks.update({"bench-marks": bench_marks, "bench-exit": bench_exit, "bench-purge": bench_purge})
            return hooks

    def on_pod(change: Change) -> None:
        now = time.perf_counter()
        obj = change.new
        meta = obj["metadata"]
        ns = meta.get("namespace")
        if ns not in marks:
            return
        tid = (meta.get("annotations") or {}).get(TASK_ANNOTATION)
        if tid is None:
            return
        rec = marks[ns].setdefault(tid, {})
        if change.type == ADDED:
            rec.setdefault("ADDED", now)
        elif change.type == DELETED:
            rec.setdefault("DELETED", now)
        phase = (obj.get("status") or {}).get("phase")
        old_phase = ((change.old or {}).get("status") or {}).get("phase")
        if phase and phase != old_phase:
            rec.setdefault(phase, now)

    def bench_marks(args: Obj) -> Obj:
        return marks.get(args["namespace"], {})

    def bench_exit(args: Obj) -> Obj:
        """Make the task container of each named pod exit 0, one every `interval` seconds."""
        ns, interval = args["namespace"], float(args["interval"])
        runtime = cluster.runtime

        def exit_one(name: str) -> None:
            pod = store.try_get("pods", ns, name)
            if pod is not None:
                runtime._exit(pod["metadata"]["uid"], "task", 0, "Completed")  # type: ignore[attr-defined]
        for i, name in enumerate(args["pods"]):
            loop.call_later(i * interval, exit_one, name)
        return {"scheduled": len(args["pods"])}

    def bench_purge(args: Obj) -> Obj:
        listed = store.delete_collection("pods", args["namespace"], options={"gracePeriodSeconds": 0})
        marks[args["namespace"]] = {}
        return {"deleted": len(listed["items"])}

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mesoshim-bench-") as tmp:
        cluster = BenchCluster(ClusterConfig(nodes=nodes, node_pods="110",
                                             delays=StageDelays(create=0.0, start=0.2)))
        await cluster.start(port=0, kubeconfig_path=Path(tmp) / "kubeconfig")
        boot_s = time.perf_counter() - t0
        store = cluster.store
        for ns in (NS, BASELINE_NS):
            store.create("namespaces", None, {"metadata": {"name": ns}})
        node_list = sorted((n["metadata"]["name"], n["metadata"]["uid"]) for n in store.objects("nodes"))
        if ours_per_node:
            from mesoshim.pb.mesos.v1 import mesos_pb2

            info = mesos_pb2.FrameworkInfo(user="bench", name="recovered", failover_timeout=7 * 24 * 3600.0)
            info.id.value = RECOVERED_FW
            store.create("configmaps", NS, {
                "metadata": {"name": "mesoshim-framework-bench-recovered", "labels": {"mesoshim.io/record": "framework"},
                             "annotations": {"mesos.apache.org/framework-id": RECOVERED_FW}},
                "data": {"frameworkInfo": base64.b64encode(info.SerializeToString()).decode()}})
        t1 = time.perf_counter()
        count = 0
        for j in range(max(foreign_per_node, ours_per_node)):
            for i, (name, uid) in enumerate(node_list):
                if j < foreign_per_node:
                    body = orjson.loads(orjson.dumps(foreign_pod(f"foreign-{j:02d}-{i:05d}", name, count)))
                    store.create("pods", "default", body)
                    count += 1
                if j < ours_per_node:
                    body = orjson.loads(orjson.dumps(task_manifest(
                        f"recovered-{j:02d}-{i:05d}", uid, name, RECOVERED_FW, NS, cpus=0.1, mem=64.0)))
                    store.create("pods", NS, body)
                    count += 1
                if count % 500 == 0:
                    await asyncio.sleep(0)  # let the kubelet admit what was just bound
        create_s = time.perf_counter() - t1
        while True:
            running = sum(1 for p in store.objects("pods") if (p.get("status") or {}).get("phase") == "Running")
            if running >= count:
                break
            await asyncio.sleep(0.2)
        running_s = time.perf_counter() - t1
        gc.collect()
        marks.update({NS: {}, BASELINE_NS: {}})
        store.subscribe("pods", on_pod)
        print(f"URL {cluster.url}", flush=True)
        print(json.dumps({"boot_s": boot_s, "create_s": create_s, "running_s": running_s - create_s, "pods": count,
                          "rss": psutil.Process().memory_info().rss, "nodes": node_list}), flush=True)
        await until_stopped()
        await cluster.stop()


# ---------------------------------------------------------------- framework (child process)

class Framework:
    """A v1 scheduler API client speaking JSON: holds offers, launches, acknowledges, stamps updates."""

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.url = ""
        self.fid = ""
        self.stream_id = ""
        self.offers: dict[str, Obj] = {}  # agent id -> offer
        self.arrivals: dict[str, dict[str, float]] = {}  # state -> task id -> time
        self.first_offers: asyncio.Future[float] | None = None
        self.reader: asyncio.Task[None] | None = None
        self.offers_changed = asyncio.Event()
        self.updates_seen = asyncio.Event()
        self.pending_acks: set[asyncio.Task[None]] = set()
        self.last_update = 0.0

    async def post(self, body: Obj) -> None:
        assert self.session is not None
        async with self.session.post(f"{self.url}/api/v1/scheduler", data=orjson.dumps(body),
                                     headers={"Content-Type": "application/json",
                                              "Mesos-Stream-Id": self.stream_id}) as r:
            raw = await r.read()
            if r.status != 202:
                raise RuntimeError(f"{body['type']}: {r.status} {raw[:200]!r}")

    async def subscribe(self, url: str, name: str) -> Obj:
        from scheduler_api.recordio import RecordIODecoder

        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        self.url, self.offers, self.arrivals = url, {}, {}
        loop = asyncio.get_running_loop()
        self.first_offers = loop.create_future()
        body = {"type": "SUBSCRIBE", "subscribe": {"framework_info": {
            "user": "bench", "name": name, "failover_timeout": 3600,
            "capabilities": [{"type": "PARTITION_AWARE"}]}}}
        subscribed: asyncio.Future[str] = loop.create_future()
        t0 = time.perf_counter()
        stream_session = aiohttp.ClientSession()
        resp = await stream_session.post(f"{url}/api/v1/scheduler", data=orjson.dumps(body),
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        if resp.status != 200:
            raise RuntimeError(f"SUBSCRIBE: {resp.status} {await resp.text()}")
        self.stream_id = resp.headers["Mesos-Stream-Id"]
        decoder = RecordIODecoder()

        async def read() -> None:
            try:
                while True:
                    chunk = await resp.content.readany()
                    if not chunk:
                        return
                    arrived = time.perf_counter()
                    for record in decoder.feed(chunk):
                        self.on_event(orjson.loads(record), arrived, subscribed)
            finally:
                resp.close()
                await stream_session.close()
        self.reader = asyncio.create_task(read())
        self.fid = await subscribed
        t_offers = await asyncio.wait_for(self.first_offers, 60)
        return {"fid": self.fid, "first_offers_s": t_offers - t0, "offers": len(self.offers)}

    def on_event(self, event: Obj, arrived: float, subscribed: asyncio.Future[str]) -> None:
        kind = event["type"]
        if kind == "SUBSCRIBED":
            subscribed.set_result(event["subscribed"]["framework_id"]["value"])
        elif kind == "OFFERS":
            for offer in event["offers"].get("offers") or []:
                self.offers[offer["agent_id"]["value"]] = offer
            self.offers_changed.set()
            if self.first_offers is not None and not self.first_offers.done():
                self.first_offers.set_result(time.perf_counter())
        elif kind == "RESCIND":
            oid = event["rescind"]["offer_id"]["value"]
            for agent, offer in list(self.offers.items()):
                if offer["id"]["value"] == oid:
                    del self.offers[agent]
        elif kind == "UPDATE":
            status = event["update"]["status"]
            tid = status["task_id"]["value"]
            self.arrivals.setdefault(status["state"], {}).setdefault(tid, arrived)
            self.last_update = arrived
            self.updates_seen.set()
            if "uuid" in status:
                ack = asyncio.create_task(self.post({
                    "type": "ACKNOWLEDGE", "framework_id": {"value": self.fid},
                    "acknowledge": {"agent_id": status["agent_id"], "task_id": status["task_id"],
                                    "uuid": status["uuid"]}}))
                self.pending_acks.add(ack)
                ack.add_done_callback(self.pending_acks.discard)
        elif kind == "ERROR":
            print(f"framework: ERROR event {event}", file=sys.stderr, flush=True)

    async def teardown(self) -> Obj:
        await self.post({"type": "TEARDOWN", "framework_id": {"value": self.fid}})
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reader, 30)
        return {}

    async def wait_offers(self, count: int) -> Obj:
        while len(self.offers) < count:
            self.offers_changed.clear()
            await self.offers_changed.wait()
        return {"offers": len(self.offers)}

    async def sync_offers(self, ids: list[str]) -> Obj:
        wanted = set(ids)
        while not wanted <= {o["id"]["value"] for o in self.offers.values()}:
            self.offers_changed.clear()
            await self.offers_changed.wait()
        return {"offers": len(self.offers)}

    async def launch(self, count: int, prefix: str) -> Obj:
        """One task on each of `count` offers, as `count` concurrent ACCEPT calls."""
        chosen = sorted(self.offers.values(), key=lambda o: o["hostname"])[:count]
        for offer in chosen:
            self.offers.pop(offer["agent_id"]["value"], None)
        # Build every call first: what is timed is the shim's work, not this process's JSON building.
        bodies = []
        for i, offer in enumerate(chosen):
            task = task_json(f"{prefix}-{i:06d}", offer["agent_id"]["value"])
            bodies.append({"type": "ACCEPT", "framework_id": {"value": self.fid}, "accept": {
                "offer_ids": [offer["id"]], "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}],
                "filters": {"refuse_seconds": 3600}}})
        t0 = time.perf_counter()
        await asyncio.gather(*(self.post(b) for b in bodies))
        return {"t0": t0, "t_posted": time.perf_counter(), "accepts": len(bodies)}

    async def wait_state(self, state: str, count: int) -> Obj:
        while len(self.arrivals.get(state, {})) < count:
            self.updates_seen.clear()
            await self.updates_seen.wait()
        return {"arrivals": self.arrivals[state]}

    async def quiet(self) -> Obj:
        """Wait until every acknowledgement is sent and no update arrived for 0.5 s."""
        while self.pending_acks or time.perf_counter() - self.last_update < 0.5:
            await asyncio.sleep(0.1)
        return {}


async def framework_main() -> None:
    fw = Framework()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    handlers: dict[str, Callable[..., Any]] = {
        "subscribe": fw.subscribe, "teardown": fw.teardown, "wait_offers": fw.wait_offers,
        "launch": fw.launch, "sync_offers": fw.sync_offers, "wait_state": fw.wait_state, "quiet": fw.quiet,
        "arrivals": lambda state: asyncio.sleep(0, {"arrivals": fw.arrivals.get(state, {})}),
    }
    while True:
        line = await reader.readline()
        if not line:
            break
        request = orjson.loads(line)
        cmd = request.pop("cmd")
        try:
            result = await handlers[cmd](**request)
        except Exception as exc:
            result = {"error": f"{cmd}: {exc!r}"}
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
        sys.stdout.flush()


# ---------------------------------------------------------------- main

async def run(sizes: Sizes, only: list[str], report: Report) -> None:
    if any(s in only for s in ("scale", "launch", "status")):
        await bench_cluster(sizes, report, only)
    if "memory" in only:
        await bench_memory(sizes, report)


SECTIONS = ("scale", "launch", "status", "memory")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="500 nodes / 15,000 pods: under a minute")
    p.add_argument("--only", default=",".join(SECTIONS),
                   help=f"comma-separated sections, of: {', '.join(SECTIONS)} (scale always runs with "
                        "launch/status, which need its shim)")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the figures here as JSON")
    p.add_argument("--src", default=None, metavar="DIR",
                   help="run the shim, kubesim and the framework from the checkout in DIR (A/B runs of a fix)")
    p.add_argument("--profile", default=None, metavar="DIR",
                   help="write a cProfile of the shim's process per phase (start, launch, status) into DIR")
    p.add_argument("--kubesim-server", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--framework", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--shim-server", default=None, help=argparse.SUPPRESS)
    p.add_argument("--nodes", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--foreign-per-node", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--ours-per-node", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.src:
        global REPO
        REPO = Path(args.src).resolve()
        if not (REPO / "mesoshim" / "app.py").is_file():
            p.error(f"no mesoshim checkout in {REPO}")
        os.environ["MESOSHIM_BENCH_SRC"] = str(REPO)
        sys.path.insert(0, str(REPO))
    import logging
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.ERROR)
    if args.kubesim_server:
        asyncio.run(kubesim_server(args.nodes, args.foreign_per_node, args.ours_per_node))
        return 0
    if args.framework:
        asyncio.run(framework_main())
        return 0
    if args.shim_server:
        asyncio.run(shim_server(args.shim_server))
        return 0
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        p.error(f"unknown section(s) {', '.join(unknown)}; expected some of {', '.join(SECTIONS)}")
    sizes = QUICK if args.quick else FULL
    if args.profile:
        Profiler.directory = Path(args.profile)
    report = Report()
    cpu = psutil.cpu_count() or 0
    print(f"mesoshim benchmark ({'quick' if args.quick else 'full'}) of {REPO}: python "
          f"{sys.version.split()[0]}, {cpu} CPUs, {mb(psutil.virtual_memory().total) / 1024:.0f} GiB", flush=True)
    t0 = time.perf_counter()
    load_before = os.getloadavg()[0]
    asyncio.run(run(sizes, only, report))
    report.note(f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after ({cpu} CPUs)")
    report.print_summary("quick" if args.quick else "full", time.perf_counter() - t0, args.json)
    return 1 if any(f.ok is False for f in report.figures) else 0


if __name__ == "__main__":
    sys.exit(main())
