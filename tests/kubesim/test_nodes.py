"""Simulated nodes: registration, lease heartbeats, the node-lifecycle controller and PodGC.

Each test drives a FakeClock by hand and reads the store directly. The expected
shapes come from what a current (1.32) kubelet and kube-controller-manager write:
see the Kubernetes docs on nodes, leases, taint-based evictions and PodGC, and
/work/shared/spec/kubernetes.md B.3 and B.5.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from kubesim.clock import FakeClock, Timer, parse_time
from kubesim.errors import ApiError
from kubesim.kubelet import Kubelet, StageDelays
from kubesim.nodes import (
    LEASE_NAMESPACE,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    NodeLifecycleController,
    NodeManager,
    NodeSpec,
    parse_taint,
    toleration_matches,
    toleration_window,
)
from kubesim.runtime import SimRuntime
from kubesim.store import Store
from kubesim.watch import DELETED, Change

Obj = dict[str, Any]
MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class CountingClock(FakeClock):
    """A FakeClock that counts the timers armed on it."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = 0

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        self.armed += 1
        return super().call_later(delay, callback)


@dataclass
class Cluster:
    clock: CountingClock
    store: Store
    kubelet: Kubelet
    nodes: NodeManager
    controller: NodeLifecycleController

    async def advance(self, seconds: float, *, sync: bool = True) -> None:
        """Move time, let the kubelet's call_soon work run, then one controller pass."""
        await settle()  # work queued since the last step arms its timers first
        self.clock.advance(seconds)
        await settle()
        if sync:
            self.controller.sync()
            await settle()

    def node(self, name: str = "n1") -> Obj:
        return self.store.get("nodes", None, name)

    def lease(self, name: str = "n1") -> Obj:
        return self.store.get("leases", LEASE_NAMESPACE, name)

    def pod(self, name: str) -> Obj | None:
        return self.store.try_get("pods", "default", name)

    def create_pod(self, name: str, node: str = "n1", **spec: Any) -> Obj:
        body = {"metadata": {"name": name},
                "spec": {"nodeName": node, "containers": [{"name": "main", "image": "app:1"}], **spec}}
        return self.store.create("pods", "default", body)


async def settle(rounds: int = 10) -> None:
    """Let zero-delay work scheduled with loop.call_soon run (a few hops deep)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def make_cluster(*, jitter: float = 0.0, **controller: Any) -> Cluster:
    clock = CountingClock()
    store = Store(clock)
    kubelet = Kubelet(store, SimRuntime(clock), clock=clock, delays=StageDelays(start=0))
    kubelet.start()
    nodes = NodeManager(store, kubelet, clock=clock, jitter=jitter, rng=random.Random(7))
    return Cluster(clock, store, kubelet, nodes, NodeLifecycleController(store, clock=clock, **controller))


def condition(obj: Obj | None, ctype: str) -> Obj:
    assert obj is not None
    found = [c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == ctype]
    assert found, f"no {ctype} condition in {obj['status']}"
    return found[0]


def taint_keys(node: Obj) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in node["spec"].get("taints") or []}


def count_changes(store: Store, resource: str, name: str) -> list[Change]:
    seen: list[Change] = []
    store.subscribe(resource, lambda c: seen.append(c) if c.key[1] == name else None)
    return seen


# ---------------------------------------------------------------- registration

async def test_register_creates_a_kubelet_shaped_node() -> None:
    c = make_cluster()
    node = c.nodes.register(NodeSpec("n1", cpu="16", memory="64Gi", gpus=2, zone="zone-a",
                                     labels={"team": "infra"}, taints=["dedicated=gpu:NoSchedule"]))
    assert node == c.node()
    meta, spec, status = node["metadata"], node["spec"], node["status"]
    assert node["apiVersion"] == "v1" and node["kind"] == "Node"
    labels = meta["labels"]
    assert labels["kubernetes.io/hostname"] == "n1"
    assert labels["kubernetes.io/os"] == "linux"
    assert labels["kubernetes.io/arch"] == "amd64"
    assert labels["node.kubernetes.io/instance-type"] == "kubesim"
    assert labels["topology.kubernetes.io/zone"] == "zone-a"
    assert labels["team"] == "infra"
    assert spec["providerID"] == "kubesim://n1"
    assert spec["taints"] == [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    assert "unschedulable" not in spec

    assert status["capacity"] == status["allocatable"] == {
        "cpu": "16", "memory": "64Gi", "pods": "110", "ephemeral-storage": "100Gi", "nvidia.com/gpu": "2"}

    conditions = {cond["type"]: cond for cond in status["conditions"]}
    assert set(conditions) == {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"}
    ready = conditions["Ready"]
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "True", "KubeletReady", "kubelet is posting ready status")
    assert (conditions["MemoryPressure"]["status"], conditions["MemoryPressure"]["reason"]) == (
        "False", "KubeletHasSufficientMemory")
    assert (conditions["DiskPressure"]["status"], conditions["DiskPressure"]["reason"]) == (
        "False", "KubeletHasNoDiskPressure")
    assert (conditions["PIDPressure"]["status"], conditions["PIDPressure"]["reason"]) == (
        "False", "KubeletHasSufficientPID")
    assert conditions["NetworkUnavailable"]["status"] == "False"
    for cond in conditions.values():
        assert SECONDS.match(cond["lastHeartbeatTime"]) and SECONDS.match(cond["lastTransitionTime"])

    addresses = {a["type"]: a["address"] for a in status["addresses"]}
    assert addresses["Hostname"] == "n1"
    assert re.fullmatch(r"10\.\d+\.\d+\.\d+", addresses["InternalIP"])
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}
    info = status["nodeInfo"]
    assert info["kubeletVersion"] == "v1.32.0-kubesim"
    assert info["containerRuntimeVersion"] == "kubesim://1.0"
    assert (info["operatingSystem"], info["architecture"]) == ("linux", "amd64")
    assert info["osImage"] and info["machineID"] and info["systemUUID"] and info["bootID"]
    assert "kubeProxyVersion" in info  # serialised even when empty

    assert c.kubelet.nodes["n1"] is True


async def test_register_creates_the_node_lease_owned_by_the_node() -> None:
    c = make_cluster()
    node = c.nodes.register(NodeSpec("n1"))
    lease = c.lease()
    assert lease["apiVersion"] == "coordination.k8s.io/v1" and lease["kind"] == "Lease"
    assert lease["metadata"]["namespace"] == "kube-node-lease"
    assert lease["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Node", "name": "n1", "uid": node["metadata"]["uid"]}]
    spec = lease["spec"]
    assert spec["holderIdentity"] == "n1"
    assert spec["leaseDurationSeconds"] == 40
    assert MICRO.match(spec["renewTime"]) and MICRO.match(spec["acquireTime"])
    assert parse_time(spec["renewTime"]) == pytest.approx(c.clock.now())


async def test_nodes_get_distinct_ips_and_no_gpu_resource_by_default() -> None:
    c = make_cluster()
    nodes = [c.nodes.register(NodeSpec(f"n{i}")) for i in range(50)]
    ips = {a["address"] for n in nodes for a in n["status"]["addresses"] if a["type"] == "InternalIP"}
    assert len(ips) == 50
    assert "nvidia.com/gpu" not in nodes[0]["status"]["capacity"]
    with pytest.raises(ApiError) as err:
        c.nodes.register(NodeSpec("n1"))
    assert err.value.code == 409


async def test_holder_identity_can_be_overridden() -> None:
    clock = FakeClock()
    store = Store(clock)
    kubelet = Kubelet(store, SimRuntime(clock), clock=clock)
    manager = NodeManager(store, kubelet, clock=clock, holder_identity="kubesim-0")
    manager.register(NodeSpec("n1"))
    assert store.get("leases", LEASE_NAMESPACE, "n1")["spec"]["holderIdentity"] == "kubesim-0"


# ---------------------------------------------------------------- heartbeats

async def test_leases_are_renewed_every_ten_seconds_with_a_store_write() -> None:
    c = make_cluster(jitter=0.04)
    c.nodes.register(NodeSpec("n1"))
    renewals = count_changes(c.store, "leases", "n1")
    c.nodes.start()
    rv = c.store.resource_version
    await c.advance(10.5, sync=False)
    assert len(renewals) == 1
    assert int(c.lease()["metadata"]["resourceVersion"]) > rv
    await c.advance(100, sync=False)
    assert 9 <= len(renewals) <= 11
    times = [parse_time(ch.new["spec"]["renewTime"]) for ch in renewals]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(10.0 <= g <= 10.4 + 1e-6 for g in gaps), gaps
    assert [ch.rv for ch in renewals] == sorted(ch.rv for ch in renewals)


async def test_node_status_heartbeat_only_every_five_minutes() -> None:
    c = make_cluster()
    c.nodes.register(NodeSpec("n1"))
    writes = count_changes(c.store, "nodes", "n1")
    c.nodes.start()
    registered = parse_time(condition(c.node(), "Ready")["lastHeartbeatTime"])
    await c.advance(290, sync=False)
    assert writes == []
    await c.advance(20, sync=False)
    assert len(writes) == 1
    ready = condition(c.node(), "Ready")
    assert parse_time(ready["lastHeartbeatTime"]) >= registered + 300
    assert parse_time(ready["lastTransitionTime"]) == registered  # unchanged status keeps it
    await c.advance(300, sync=False)
    assert len(writes) == 2


async def test_renewals_of_many_nodes_share_one_timer_and_spread_evenly() -> None:
    c = make_cluster()
    for i in range(1000):
        c.nodes.register(NodeSpec(f"n{i:04d}"))
    seen: list[float] = []
    c.store.subscribe("leases", lambda ch: seen.append(c.clock.now()))
    c.nodes.start()
    start, armed = c.clock.now(), c.clock.armed
    c.clock.advance(10 + c.nodes.renew_interval / 100)  # renewals are batched in 0.1 s windows
    assert len(seen) == 1000  # each node renewed exactly once in the first interval
    buckets = [0] * 10
    for t in seen:
        buckets[min(9, int(t - start - 1e-9))] += 1
    assert all(80 <= b <= 120 for b in buckets), buckets
    c.clock.advance(50)  # no drift: exactly five more renewals each by t = 60.1
    assert len(seen) == 6000
    assert c.clock.armed - armed <= 60 / (c.nodes.renew_interval / 100) + 10


async def test_stop_heartbeat_silences_the_node_and_resume_renews_at_once() -> None:
    c = make_cluster()
    c.nodes.register(NodeSpec("n1"))
    c.nodes.start()
    await c.advance(15, sync=False)
    c.nodes.stop_heartbeat("n1")
    assert c.kubelet.nodes["n1"] is False
    rv = c.lease()["metadata"]["resourceVersion"]
    await c.advance(120, sync=False)
    assert c.lease()["metadata"]["resourceVersion"] == rv
    c.nodes.resume_heartbeat("n1")
    assert parse_time(c.lease()["spec"]["renewTime"]) == pytest.approx(c.clock.now())
    assert c.kubelet.nodes["n1"] is True
    renewed = c.lease()["metadata"]["resourceVersion"]
    await c.advance(10.5, sync=False)
    assert c.lease()["metadata"]["resourceVersion"] != renewed


async def test_a_deleted_lease_is_recreated_on_the_next_renewal() -> None:
    c = make_cluster()
    node = c.nodes.register(NodeSpec("n1"))
    c.nodes.start()
    c.store.delete("leases", LEASE_NAMESPACE, "n1")
    await c.advance(11, sync=False)
    lease = c.lease()
    assert lease["metadata"]["ownerReferences"][0]["uid"] == node["metadata"]["uid"]


# ---------------------------------------------------------------- node lifecycle

async def test_silent_node_goes_unknown_gets_tainted_and_its_pods_are_evicted() -> None:
    c = make_cluster()
    c.nodes.register(NodeSpec("n1"))
    c.nodes.start()
    c.create_pod("default-tol")  # admission adds not-ready/unreachable for 300 s
    c.create_pod("short-tol", tolerations=[
        {"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}])
    c.create_pod("forever", tolerations=[
        {"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}])
    await c.advance(1)
    for name in ("default-tol", "short-tol", "forever"):
        pod = c.pod(name)
        assert pod is not None and pod["status"]["phase"] == "Running"
        assert condition(pod, "Ready")["status"] == "True"

    c.nodes.stop_heartbeat("n1")
    await c.advance(35)
    assert condition(c.node(), "Ready")["status"] == "True"
    assert taint_keys(c.node()) == set()

    await c.advance(30)  # more than 50 s since the last renewal
    node = c.node()
    for ctype in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        cond = condition(node, ctype)
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert condition(node, "NetworkUnavailable")["status"] == "False"
    assert taint_keys(node) == {(TAINT_UNREACHABLE, "NoSchedule"), (TAINT_UNREACHABLE, "NoExecute")}
    assert all(SECONDS.match(t["timeAdded"]) for t in node["spec"]["taints"])
    tainted_at = c.clock.now()
    for name in ("default-tol", "short-tol", "forever"):
        pod = c.pod(name)
        assert condition(pod, "Ready")["status"] == "False"
        assert condition(pod, "ContainersReady")["status"] == "True"  # other fields left alone
        assert pod is not None and pod["status"]["phase"] == "Running"

    await c.advance(31)
    short = c.pod("short-tol")
    assert short is not None and "deletionTimestamp" in short["metadata"]
    default = c.pod("default-tol")
    assert default is not None and "deletionTimestamp" not in default["metadata"]

    await c.advance(tainted_at + 301 - c.clock.now())
    for name in ("default-tol", "short-tol"):
        pod = c.pod(name)
        assert pod is not None and "deletionTimestamp" in pod["metadata"], name
        disruption = condition(pod, "DisruptionTarget")
        assert (disruption["status"], disruption["reason"], disruption["message"]) == (
            "True", "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")
    forever = c.pod("forever")
    assert forever is not None and "deletionTimestamp" not in forever["metadata"]

    # The kubelet is down, so nothing finishes the deletions.
    await c.advance(600)
    assert c.pod("default-tol") is not None and c.pod("short-tol") is not None

    c.nodes.resume_heartbeat("n1")
    node = c.node()
    assert condition(node, "Ready")["status"] == "True"
    assert condition(node, "Ready")["reason"] == "KubeletReady"
    assert condition(node, "MemoryPressure")["status"] == "False"
    await c.advance(1)
    assert taint_keys(c.node()) == set()
    assert c.pod("default-tol") is None and c.pod("short-tol") is None
    forever = c.pod("forever")
    assert forever is not None and condition(forever, "Ready")["status"] == "True"


async def test_controller_runs_on_its_own_once_started() -> None:
    c = make_cluster()
    c.nodes.register(NodeSpec("n1"))
    c.nodes.start()
    c.controller.start()
    c.nodes.stop_heartbeat("n1")
    c.create_pod("p")
    await c.advance(70, sync=False)
    assert condition(c.node(), "Ready")["status"] == "Unknown"
    assert (TAINT_UNREACHABLE, "NoExecute") in taint_keys(c.node())
    await c.advance(300, sync=False)  # the eviction fires from its own timer
    pod = c.pod("p")
    assert pod is not None and "deletionTimestamp" in pod["metadata"]
    c.controller.stop()
    c.nodes.stop()


async def test_ready_false_taints_not_ready_and_recovery_cancels_evictions() -> None:
    c = make_cluster()
    c.nodes.register(NodeSpec("n1"))
    c.nodes.register(NodeSpec("n2"))
    c.nodes.start()
    c.create_pod("p1", node="n1")
    c.create_pod("p2", node="n2")
    await c.advance(1)

    for name in ("n1", "n2"):
        c.nodes.set_condition(name, "Ready", "False", "KubeletNotReady", "container runtime is down")
    await c.advance(1)
    for name in ("n1", "n2"):
        node = c.node(name)
        ready = condition(node, "Ready")
        assert (ready["status"], ready["reason"]) == ("False", "KubeletNotReady")
        assert taint_keys(node) == {(TAINT_NOT_READY, "NoSchedule"), (TAINT_NOT_READY, "NoExecute")}
    assert condition(c.pod("p1"), "Ready")["status"] == "False"

    # n1 recovers before the 300 s toleration runs out; n2 does not.
    await c.advance(100)
    c.nodes.set_condition("n1", "Ready", "True", "KubeletReady", "kubelet is posting ready status")
    await c.advance(1)
    assert taint_keys(c.node("n1")) == set()
    await c.advance(250)
    p1 = c.pod("p1")
    assert p1 is not None and "deletionTimestamp" not in p1["metadata"]
    p2 = c.pod("p2")
    assert p2 is not None and "deletionTimestamp" in p2["metadata"]
    assert condition(p2, "DisruptionTarget")["reason"] == "DeletionByTaintManager"
    # n2's kubelet is up (only NotReady), so it finishes the eviction it sees.
    await c.advance(1)
    assert c.pod("p2") is None

    # The condition sticks across status heartbeats.
    await c.advance(400)
    assert condition(c.node("n2"), "Ready")["status"] == "False"


async def test_untolerated_noexecute_taint_evicts_at_once() -> None:
    c = make_cluster()
    c.nodes.register(NodeSpec("n1"))
    c.nodes.start()
    c.create_pod("plain")
    c.create_pod("tolerant", tolerations=[
        {"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoExecute"}])
    c.create_pod("wrong-value", tolerations=[
        {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoExecute"}])
    await c.advance(1)
    c.store.update_with("nodes", None, "n1", lambda n: {
        **n, "spec": {**n["spec"], "taints": [{"key": "dedicated", "value": "batch", "effect": "NoExecute"}]}})
    c.controller.sync()
    for name in ("plain", "wrong-value"):
        pod = c.pod(name)
        assert pod is not None and "deletionTimestamp" in pod["metadata"], name
    tolerant = c.pod("tolerant")
    assert tolerant is not None and "deletionTimestamp" not in tolerant["metadata"]
    await c.advance(1)
    assert c.pod("plain") is None and c.pod("wrong-value") is None
    assert c.pod("tolerant") is not None


async def test_pods_bound_later_to_an_unreachable_node_get_their_own_window() -> None:
    c = make_cluster()
    c.nodes.register(NodeSpec("n1"))
    c.nodes.start()
    c.nodes.stop_heartbeat("n1")
    await c.advance(65)
    assert (TAINT_UNREACHABLE, "NoExecute") in taint_keys(c.node())
    await c.advance(200)
    c.create_pod("late")
    await c.advance(5)
    await c.advance(200)
    late = c.pod("late")
    assert late is not None and "deletionTimestamp" not in late["metadata"]
    await c.advance(100)
    late = c.pod("late")
    assert late is not None and "deletionTimestamp" in late["metadata"]


async def test_cordon_maps_to_the_unschedulable_taint() -> None:
    c = make_cluster()
    c.nodes.register(NodeSpec("n1", taints=[{"key": "team", "value": "a", "effect": "NoSchedule"}]))
    node = c.nodes.cordon("n1")
    assert node["spec"]["unschedulable"] is True
    c.controller.sync()
    node = c.node()
    assert taint_keys(node) == {("team", "NoSchedule"), (TAINT_UNSCHEDULABLE, "NoSchedule")}
    added = next(t for t in node["spec"]["taints"] if t["key"] == TAINT_UNSCHEDULABLE)
    assert SECONDS.match(added["timeAdded"])
    c.controller.sync()
    assert c.node()["spec"]["taints"] == node["spec"]["taints"]  # no churn

    c.nodes.uncordon("n1")
    assert "unschedulable" not in c.node()["spec"]
    c.controller.sync()
    assert taint_keys(c.node()) == {("team", "NoSchedule")}


async def test_quiet_pass_writes_nothing() -> None:
    c = make_cluster()
    for i in range(5):
        c.nodes.register(NodeSpec(f"n{i}"))
    rv = c.store.resource_version
    c.controller.sync()
    c.controller.sync()
    assert c.store.resource_version == rv


# ---------------------------------------------------------------- PodGC

async def test_removed_node_pods_are_force_deleted_by_podgc() -> None:
    c = make_cluster()
    c.nodes.register(NodeSpec("n1"))
    c.nodes.register(NodeSpec("n2"))
    for i in range(3):
        c.create_pod(f"p{i}")
    c.create_pod("other", node="n2")
    await c.advance(1)
    final: dict[str, Obj] = {}
    c.store.subscribe("pods", lambda ch: final.update({ch.key[1]: ch.new}) if ch.type == DELETED else None)

    c.nodes.remove("n1")
    assert c.store.try_get("nodes", None, "n1") is None
    assert c.store.try_get("leases", LEASE_NAMESPACE, "n1") is None
    assert "n1" not in c.kubelet.nodes
    await c.advance(1)
    assert c.pod("p0") is not None  # quarantined for a while first
    await c.advance(40)
    assert [c.pod(f"p{i}") for i in range(3)] == [None, None, None]
    assert c.pod("other") is not None
    pod = final["p0"]
    assert pod["status"]["phase"] == "Failed"
    disruption = condition(pod, "DisruptionTarget")
    assert (disruption["reason"], disruption["message"]) == (
        "DeletionByPodGC", "PodGC: node no longer exists")


async def test_podgc_spares_pods_whose_node_appears_within_quarantine() -> None:
    c = make_cluster()
    c.create_pod("early", node="n9")
    c.create_pod("orphan", node="gone")
    c.controller.sync()
    await c.advance(20)
    c.nodes.register(NodeSpec("n9"))
    await c.advance(30)
    assert c.pod("early") is not None
    assert c.pod("orphan") is None


async def test_terminated_pods_above_the_threshold_are_deleted_oldest_first() -> None:
    c = make_cluster(terminated_pod_gc_threshold=3)
    for i in range(6):
        c.store.create("pods", "default", {"metadata": {"name": f"done-{i}"},
                                           "spec": {"containers": [{"name": "main", "image": "app:1"}]}})
        c.store.update_with("pods", "default", f"done-{i}", lambda p, i=i: {
            **p, "status": {**p["status"], "phase": "Succeeded" if i % 2 else "Failed"}}, "status")
        c.clock.advance(2)
    c.create_pod("running")  # not bound to a node that exists, but it is not terminated either
    c.nodes.register(NodeSpec("n1"))
    await c.advance(1)
    assert sorted(p["metadata"]["name"] for p in c.store.objects("pods")) == [
        "done-3", "done-4", "done-5", "running"]
    c.controller.sync()
    assert c.store.count("pods") == 4


# ---------------------------------------------------------------- helpers

def test_parse_taint_forms() -> None:
    assert parse_taint("dedicated=gpu:NoSchedule") == {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    assert parse_taint("spot:NoExecute") == {"key": "spot", "effect": "NoExecute"}
    with pytest.raises(ValueError):
        parse_taint("dedicated=gpu")


@pytest.mark.parametrize(("toleration", "taint", "expected"), [
    ({"key": "k", "operator": "Exists"}, {"key": "k", "value": "v", "effect": "NoExecute"}, True),
    ({"key": "k", "operator": "Equal", "value": "v"}, {"key": "k", "value": "v", "effect": "NoExecute"}, True),
    ({"key": "k", "value": "v"}, {"key": "k", "value": "w", "effect": "NoExecute"}, False),
    ({"key": "k", "operator": "Exists", "effect": "NoSchedule"}, {"key": "k", "effect": "NoExecute"}, False),
    ({"operator": "Exists"}, {"key": "anything", "effect": "NoExecute"}, True),
    ({"key": "other", "operator": "Exists"}, {"key": "k", "effect": "NoExecute"}, False),
    ({"key": "k"}, {"key": "k", "effect": "NoExecute"}, True),  # Equal to an empty value
])
def test_toleration_matches(toleration: Obj, taint: Obj, expected: bool) -> None:
    assert toleration_matches(toleration, taint) is expected


def test_toleration_window() -> None:
    unreachable = {"key": TAINT_UNREACHABLE, "effect": "NoExecute"}
    custom = {"key": "maintenance", "effect": "NoExecute"}
    default = [{"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
    assert toleration_window(default, [unreachable]) == 300
    assert toleration_window(default, [unreachable, custom]) == 0  # one taint not tolerated
    forever = [{"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}]
    assert toleration_window(forever, [unreachable]) is None
    both = [*forever, {"operator": "Exists", "tolerationSeconds": 60}]
    assert toleration_window(both, [unreachable, custom]) == 60
    assert toleration_window([{"operator": "Exists", "tolerationSeconds": -5}], [custom]) == 0
