"""Simulated nodes: registration, lease heartbeats, and the node-lifecycle controller.

`NodeManager` plays the node-facing half of many kubelets at once. It registers
Node objects shaped like a real kubelet's, creates each node's Lease in
`kube-node-lease`, renews every lease on one periodic timer (every
`renew_interval` seconds plus jitter, spread evenly over the interval), and
refreshes the nodes' condition heartbeats only every 5 minutes, as a current
kubelet does when it heartbeats through leases. Stopping a node's heartbeat
makes its kubelet go silent.

`NodeLifecycleController` plays kube-controller-manager's node-lifecycle
controller, its taint-based eviction, and PodGC:

* a node whose lease is older than the grace period (50 s since Kubernetes
  1.32) gets its kubelet-owned conditions set to Unknown and the
  `node.kubernetes.io/unreachable` NoSchedule and NoExecute taints; a node that
  reports Ready=False gets `node.kubernetes.io/not-ready` instead; both go away
  when Ready is True again. `spec.unschedulable` maps to the
  `node.kubernetes.io/unschedulable:NoSchedule` taint;
* the pods of a node that is not ready get their Ready condition set to False;
* pods on a node with NoExecute taints are deleted (with a DisruptionTarget
  condition) once their matching tolerations run out;
* PodGC force-deletes pods bound to nodes that no longer exist and trims
  terminated pods above a threshold, oldest first.

Both run on the store directly, synchronously, with every timer taken from a
`Clock`, so tests drive them with `FakeClock.advance()`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .clock import Clock, Timer, parse_time, rfc3339, rfc3339_micro
from .kubelet import Kubelet
from .store import Store
from .watch import DELETED, Change

__all__ = [
    "KUBELET_CONDITIONS",
    "LEASE_NAMESPACE",
    "TAINT_NOT_READY",
    "TAINT_OUT_OF_SERVICE",
    "TAINT_UNREACHABLE",
    "TAINT_UNSCHEDULABLE",
    "NodeLifecycleController",
    "NodeManager",
    "NodeSpec",
    "parse_taint",
    "toleration_matches",
    "toleration_window",
]

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Key = tuple[str, str]

LEASE_NAMESPACE = "kube-node-lease"
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"

KUBELET_VERSION = "v1.32.0-kubesim"
CONTAINER_RUNTIME_VERSION = "kubesim://1.0"

# The conditions the kubelet owns and refreshes; the node-lifecycle controller sets
# exactly these to Unknown when the kubelet goes silent. NetworkUnavailable belongs
# to the network plugin / route controller and is written once, at registration.
KUBELET_CONDITIONS: dict[str, tuple[str, str, str]] = {
    "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
}
_NETWORK_CONDITION = ("NetworkUnavailable", "False", "RouteCreated", "RouteController created a route")

_STATUS_UNKNOWN = ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
_STATUS_NEVER = ("Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.")

# Taints this controller owns; every other taint on a node is left alone.
_MANAGED_TAINTS = frozenset({
    (TAINT_NOT_READY, "NoSchedule"), (TAINT_NOT_READY, "NoExecute"),
    (TAINT_UNREACHABLE, "NoSchedule"), (TAINT_UNREACHABLE, "NoExecute"),
    (TAINT_UNSCHEDULABLE, "NoSchedule"),
})

TERMINAL = ("Succeeded", "Failed")

# Internal IPs handed to nodes: unique in the process, 10.0.0.1 .. 10.63.255.255
# (the simulated kubelet gives pods 10.64.0.0/10).
_node_ips = itertools.count(1)


def _next_internal_ip() -> str:
    n = next(_node_ips) % (64 << 16)
    return f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}"


# ---------------------------------------------------------------- taints and tolerations

def parse_taint(taint: Obj | str) -> Obj:
    """A taint dict, from a dict or from kubectl's "key[=value]:Effect" form."""
    if isinstance(taint, dict):
        return dict(taint)
    head, sep, effect = taint.rpartition(":")
    if not sep or not head or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        raise ValueError(f"invalid taint {taint!r}: want key[=value]:NoSchedule|PreferNoSchedule|NoExecute")
    key, eq, value = head.partition("=")
    out: Obj = {"key": key, "effect": effect}
    if eq:
        out["value"] = value
    return out


def toleration_matches(toleration: Obj, taint: Obj) -> bool:
    """Whether `toleration` tolerates `taint` (key, operator, value and effect rules)."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    operator = toleration.get("operator") or "Equal"
    if not key:
        return operator == "Exists"  # an empty key with Exists tolerates every taint
    if key != taint.get("key"):
        return False
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def toleration_window(tolerations: Iterable[Obj], taints: Iterable[Obj]) -> float | None:
    """How long a pod may stay on a node with these NoExecute taints.

    0 when some taint is not tolerated at all (evict now); otherwise the smallest
    `tolerationSeconds` among the tolerations that matched; None (forever) when none
    of those set `tolerationSeconds`.
    """
    tolerations = [t for t in tolerations if isinstance(t, dict)]
    window: float | None = None
    for taint in taints:
        matching = [t for t in tolerations if toleration_matches(t, taint)]
        if not matching:
            return 0.0
        for t in matching:
            seconds = t.get("tolerationSeconds")
            if seconds is None:
                continue
            value = max(0.0, float(seconds))
            window = value if window is None else min(window, value)
    return window


# ---------------------------------------------------------------- conditions

def _condition(ctype: str, wanted: tuple[str, str, str], previous: Obj | None, now: float,
               heartbeat: bool = True) -> Obj:
    status, reason, message = wanted
    stamp = rfc3339(now)
    since = previous.get("lastTransitionTime") if previous and previous.get("status") == status else None
    last_heartbeat = stamp if heartbeat or previous is None else previous.get("lastHeartbeatTime")
    return {"type": ctype, "status": status, "lastHeartbeatTime": last_heartbeat,
            "lastTransitionTime": since or stamp, "reason": reason, "message": message}


def _merge_conditions(existing: list[Obj], wanted: dict[str, tuple[str, str, str]],
                      now: float) -> list[Obj]:
    """Post `wanted` over `existing`, keeping order and the transition times of unchanged ones."""
    out: list[Obj] = []
    seen: set[str] = set()
    for c in existing:
        ctype = c.get("type", "")
        if ctype in wanted:
            out.append(_condition(ctype, wanted[ctype], c, now))
            seen.add(ctype)
        else:
            out.append(c)
    out.extend(_condition(t, w, None, now) for t, w in wanted.items() if t not in seen)
    return out


def _find(conditions: Iterable[Obj], ctype: str) -> Obj | None:
    return next((c for c in conditions if c.get("type") == ctype), None)


# ---------------------------------------------------------------- NodeManager

@dataclass
class NodeSpec:
    """What a simulated node offers and how it is labelled and tainted."""

    name: str
    cpu: str = "8"
    memory: str = "32Gi"
    pods: str = "110"
    ephemeral_storage: str = "100Gi"
    gpus: int = 0  # advertised as nvidia.com/gpu
    labels: dict[str, str] = field(default_factory=dict)
    zone: str | None = None  # label topology.kubernetes.io/zone
    taints: list[Any] = field(default_factory=list)  # taint dicts or "key[=value]:Effect"


class _NodeState:
    __slots__ = ("conditions", "gen", "name", "next_status", "silent")

    def __init__(self, name: str, next_status: float) -> None:
        self.name = name
        self.silent = False
        self.gen = 0  # bumped whenever the node's pending renewal is superseded
        self.next_status = next_status
        self.conditions: dict[str, tuple[str, str, str]] = dict(KUBELET_CONDITIONS)


class NodeManager:
    """Registers simulated nodes and keeps their kubelets' heartbeats going.

    All renewals run on one timer: nodes sit in a heap by due time, and each firing
    renews every node that is due, then re-arms for the next due time (at most every
    `renew_interval / 100` seconds, so 5,000 nodes cost ~10 firings a second).
    """

    def __init__(self, store: Store, kubelet: Kubelet, *, clock: Clock | None = None,
                 lease_duration: int = 40, renew_interval: float = 10.0, jitter: float = 0.04,
                 holder_identity: str | None = None, status_interval: float = 300.0,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.kubelet = kubelet
        self.clock = clock or store.clock
        self.lease_duration = lease_duration
        self.renew_interval = renew_interval
        self.jitter = jitter
        self.holder_identity = holder_identity
        self.status_interval = status_interval
        self.rng = rng or random.Random()
        self._nodes: dict[str, _NodeState] = {}
        self._heap: list[tuple[float, int, str, int]] = []  # (due, seq, node, gen)
        self._seq = itertools.count()
        self._running = False
        self._timer: Timer | None = None
        self._timer_due = 0.0
        self._batch = renew_interval / 100.0

    # ------------------------------------------------------------ queries

    @property
    def names(self) -> list[str]:
        return list(self._nodes)

    def is_silent(self, name: str) -> bool:
        return self._state(name).silent

    # ------------------------------------------------------------ registration

    def register(self, spec: NodeSpec) -> Obj:
        """Create the Node and its Lease, as a kubelet does when it starts; returns the Node."""
        now = self.clock.now()
        node = self.store.create("nodes", None, self._node_body(spec, now))
        self._create_lease(spec.name, node["metadata"]["uid"], now)
        state = _NodeState(spec.name, now + self.status_interval)
        self._nodes[spec.name] = state
        self._schedule(state, now + self.renew_interval)
        self.kubelet.manage(spec.name)
        return node

    def _node_body(self, spec: NodeSpec, now: float) -> Obj:
        name = spec.name
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "kubesim",
        }
        if spec.zone:
            labels["topology.kubernetes.io/zone"] = spec.zone
        labels.update(spec.labels)
        resources = {"cpu": str(spec.cpu), "ephemeral-storage": str(spec.ephemeral_storage),
                     "memory": str(spec.memory), "pods": str(spec.pods)}
        if spec.gpus > 0:
            resources["nvidia.com/gpu"] = str(spec.gpus)
        node_spec: Obj = {"providerID": f"kubesim://{name}"}
        taints = [parse_taint(t) for t in spec.taints]
        if taints:
            node_spec["taints"] = taints
        network = _condition(_NETWORK_CONDITION[0], _NETWORK_CONDITION[1:], None, now)
        conditions = [network] + [_condition(t, w, None, now) for t, w in KUBELET_CONDITIONS.items()]
        stable = uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.kubesim")
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": labels,
                "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
            },
            "spec": node_spec,
            "status": {
                "capacity": dict(resources),
                "allocatable": dict(resources),
                "conditions": conditions,
                "addresses": [{"type": "InternalIP", "address": _next_internal_ip()},
                              {"type": "Hostname", "address": name}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "machineID": stable.hex,
                    "systemUUID": str(stable),
                    "bootID": str(uuid.uuid4()),
                    "kernelVersion": "6.8.0-kubesim",
                    "osImage": "Ubuntu 24.04 LTS (kubesim)",
                    "containerRuntimeVersion": CONTAINER_RUNTIME_VERSION,
                    "kubeletVersion": KUBELET_VERSION,
                    "kubeProxyVersion": "",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                },
            },
        }

    def _lease_body(self, name: str, node_uid: str, now: float) -> Obj:
        stamp = rfc3339_micro(now)
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": name,
                "namespace": LEASE_NAMESPACE,
                "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": node_uid}],
            },
            "spec": {
                "holderIdentity": self.holder_identity or name,
                "leaseDurationSeconds": self.lease_duration,
                "acquireTime": stamp,
                "renewTime": stamp,
            },
        }

    def _create_lease(self, name: str, node_uid: str, now: float) -> Obj:
        body = self._lease_body(name, node_uid, now)
        try:
            return self.store.create("leases", LEASE_NAMESPACE, body)
        except errors.ApiError as exc:
            if exc.code != 409:
                raise
        # A lease left over from an earlier node of that name: take it over.
        return self.store.update_with("leases", LEASE_NAMESPACE, name, lambda cur: {
            **cur, "metadata": {**cur["metadata"], "ownerReferences": body["metadata"]["ownerReferences"]},
            "spec": {**(cur.get("spec") or {}), **body["spec"]}})

    # ------------------------------------------------------------ heartbeats

    def start(self) -> None:
        """Start renewing leases; nodes registered so far get phases spread over one interval."""
        if self._running:
            return
        self._running = True
        now = self.clock.now()
        live = [s for s in self._nodes.values() if not s.silent]
        self._heap.clear()
        for i, state in enumerate(live):
            self._schedule(state, now + self.renew_interval * (i + 1) / len(live), arm=False)
        self._arm()

    def stop(self) -> None:
        self._running = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self, state: _NodeState, due: float, *, arm: bool = True) -> None:
        state.gen += 1
        heapq.heappush(self._heap, (due, next(self._seq), state.name, state.gen))
        if arm:
            self._arm()

    def _arm(self, earliest: float = 0.0) -> None:
        if not self._running or not self._heap:
            return
        due = max(self._heap[0][0], earliest)
        if self._timer is not None:
            if self._timer_due <= due:
                return
            self._timer.cancel()
        self._timer_due = due
        self._timer = self.clock.call_later(due - self.clock.now(), self._tick)

    def _tick(self) -> None:
        self._timer = None
        now = self.clock.now()
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, _, name, gen = heapq.heappop(heap)
            state = self._nodes.get(name)
            if state is None or state.gen != gen or state.silent:
                continue
            try:
                self._renew(state, now)
            except errors.ApiError as exc:
                log.warning("node %s: heartbeat failed: %s", name, exc)
            # Keep each node's phase (batching lateness does not accumulate), unless we fell
            # a whole interval behind.
            following = due + self._period()
            self._schedule(state, following if following > now else now + self._period(), arm=False)
        self._arm(now + self._batch)

    def _period(self) -> float:
        if not self.jitter:
            return self.renew_interval
        return self.renew_interval * (1.0 + self.rng.uniform(0.0, self.jitter))

    def _renew(self, state: _NodeState, now: float) -> None:
        self._renew_lease(state.name, now)
        if now >= state.next_status:
            self._post_status(state.name, state.conditions, now)
            state.next_status = now + self.status_interval

    def _renew_lease(self, name: str, now: float) -> None:
        holder = self.holder_identity or name

        def change(cur: Obj) -> Obj:
            return {**cur, "spec": {**(cur.get("spec") or {}), "holderIdentity": holder,
                                    "leaseDurationSeconds": self.lease_duration,
                                    "renewTime": rfc3339_micro(now)}}
        try:
            self.store.update_with("leases", LEASE_NAMESPACE, name, change)
        except errors.ApiError as exc:
            if exc.code != 404:
                raise
            node = self.store.try_get("nodes", None, name)
            if node is not None:  # someone deleted the lease: the kubelet recreates it
                self._create_lease(name, node["metadata"]["uid"], now)

    def _post_status(self, name: str, wanted: dict[str, tuple[str, str, str]], now: float) -> None:
        def change(cur: Obj) -> Obj:
            status = dict(cur.get("status") or {})
            status["conditions"] = _merge_conditions(status.get("conditions") or [], wanted, now)
            return {**cur, "status": status}
        self.store.update_with("nodes", None, name, change, "status")

    # ------------------------------------------------------------ node flows

    def stop_heartbeat(self, name: str) -> None:
        """The node's kubelet goes silent: no lease renewals, no status, no pod work."""
        state = self._state(name)
        state.silent = True
        state.gen += 1
        self.kubelet.set_node_up(name, False)

    def resume_heartbeat(self, name: str) -> None:
        """The kubelet is back: renew now, post Ready=True, resume syncing its pods."""
        state = self._state(name)
        now = self.clock.now()
        state.silent = False
        state.conditions["Ready"] = KUBELET_CONDITIONS["Ready"]
        self._renew_lease(name, now)
        self._post_status(name, state.conditions, now)
        state.next_status = now + self.status_interval
        self._schedule(state, now + self._period())
        self.kubelet.set_node_up(name, True)

    def set_condition(self, name: str, type: str, status: str, reason: str = "",
                      message: str = "") -> Obj:
        """Post one node condition (e.g. Ready=False "KubeletNotReady"), as the kubelet would.

        Kubelet-owned and custom conditions are kept and re-posted with each status
        heartbeat; NetworkUnavailable is posted once.
        """
        wanted = (status, reason, message)
        state = self._nodes.get(name)
        if state is not None and type != _NETWORK_CONDITION[0]:
            state.conditions[type] = wanted
        now = self.clock.now()

        def change(cur: Obj) -> Obj:
            node_status = dict(cur.get("status") or {})
            node_status["conditions"] = _merge_conditions(node_status.get("conditions") or [],
                                                          {type: wanted}, now)
            return {**cur, "status": node_status}
        return self.store.update_with("nodes", None, name, change, "status")

    def remove(self, name: str) -> None:
        """Delete the Node and its Lease; the kubelet forgets the node's pods."""
        self._nodes.pop(name, None)
        for resource, namespace in (("nodes", None), ("leases", LEASE_NAMESPACE)):
            try:
                self.store.delete(resource, namespace, name)
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise
        self.kubelet.forget_node(name)

    def cordon(self, name: str) -> Obj:
        return self.store.patch("nodes", None, name, {"spec": {"unschedulable": True}},
                                "application/merge-patch+json")

    def uncordon(self, name: str) -> Obj:
        return self.store.patch("nodes", None, name, {"spec": {"unschedulable": None}},
                                "application/merge-patch+json")

    def _state(self, name: str) -> _NodeState:
        state = self._nodes.get(name)
        if state is None:
            raise KeyError(f"node {name!r} is not managed by this NodeManager")
        return state


# ---------------------------------------------------------------- NodeLifecycleController

class _Eviction:
    __slots__ = ("deadline", "node", "seq", "since", "uid")

    def __init__(self, uid: str, node: str, since: float) -> None:
        self.uid = uid
        self.node = node
        self.since = since
        self.deadline = float("inf")
        self.seq = -1


class NodeLifecycleController:
    """Node health monitoring, taint-based eviction and PodGC, over the store.

    `sync()` is one monitoring pass; `start()` runs it every `monitor_period`
    seconds and also fires pending evictions at their deadlines. Per pass it looks
    at every node (a few dict lookups each) but walks pods only of nodes that are
    not ready or carry NoExecute taints; PodGC works from indices kept by store
    subscriptions, not from scans of all pods.
    """

    def __init__(self, store: Store, *, clock: Clock | None = None, grace_period: float = 50.0,
                 monitor_period: float = 5.0, terminated_pod_gc_threshold: int = 12500,
                 orphan_quarantine: float = 40.0) -> None:
        self.store = store
        self.clock = clock or store.clock
        self.grace_period = grace_period
        self.monitor_period = monitor_period
        self.terminated_pod_gc_threshold = terminated_pod_gc_threshold
        self.orphan_quarantine = orphan_quarantine
        self._running = False
        self._monitor_timer: Timer | None = None
        self._wake_timer: Timer | None = None
        self._wake_due = 0.0
        self._unsubscribe: list[Callable[[], None]] = []
        # node -> (lease rv, node rv, last heartbeat)
        self._heartbeats: dict[str, tuple[str, str, float]] = {}
        self._evictions: dict[Key, _Eviction] = {}
        self._evicting: dict[str, set[Key]] = {}  # node -> pods with a pending eviction
        self._heap: list[tuple[float, int, Key]] = []
        self._seq = itertools.count()
        self._terminated: dict[Key, tuple[str, str]] = {}  # pod -> (creationTimestamp, uid)
        self._orphans: dict[str, float] = {}  # missing node -> since when
        self._dirty: set[str] = set()  # nodes with pod changes since their last pass
        self._walked: dict[str, tuple[Any, ...]] = {}  # node -> state its pods were last walked in

    # ------------------------------------------------------------ wiring

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._attach()
        self._monitor_timer = self.clock.call_later(self.monitor_period, self._periodic)
        self._arm_wake()

    def stop(self) -> None:
        self._running = False
        for timer in (self._monitor_timer, self._wake_timer):
            if timer is not None:
                timer.cancel()
        self._monitor_timer = self._wake_timer = None
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def _periodic(self) -> None:
        self._monitor_timer = None
        try:
            self.sync()
        except Exception:
            log.exception("node lifecycle sync failed")
        if self._running:
            self._monitor_timer = self.clock.call_later(self.monitor_period, self._periodic)

    def _attach(self) -> None:
        if self._unsubscribe:
            return
        self._unsubscribe = [self.store.subscribe("pods", self._on_pod),
                             self.store.subscribe("nodes", self._on_node)]
        now = self.clock.now()
        for pod in self.store.objects("pods"):
            self._index_terminated((pod["metadata"]["namespace"], pod["metadata"]["name"]), pod)
            node = pod["spec"].get("nodeName")
            if node and node not in self._orphans and self.store.try_get("nodes", None, node) is None:
                self._orphans[node] = now

    def _on_pod(self, change: Change) -> None:
        node = change.new["spec"].get("nodeName")
        if node:
            self._dirty.add(node)
        if change.type == DELETED:
            self._terminated.pop(change.key, None)
            self._drop_eviction(change.key)
            return
        new = change.new
        self._index_terminated(change.key, new)
        if node and (change.old is None or change.old["spec"].get("nodeName") != node) \
                and node not in self._orphans and self.store.try_get("nodes", None, node) is None:
            self._orphans[node] = self.clock.now()

    def _on_node(self, change: Change) -> None:
        name = change.key[1]
        if change.type == DELETED:
            self._heartbeats.pop(name, None)
            self._walked.pop(name, None)
            self._dirty.discard(name)
            self._orphans.setdefault(name, self.clock.now())
            for key in list(self._evicting.get(name, ())):
                self._drop_eviction(key)

    def _index_terminated(self, key: Key, pod: Obj) -> None:
        if (pod.get("status") or {}).get("phase") in TERMINAL:
            meta = pod["metadata"]
            known = self._terminated.get(key)
            if known is None or known[1] != meta["uid"]:
                self._terminated[key] = (meta.get("creationTimestamp", ""), meta["uid"])
        else:
            self._terminated.pop(key, None)

    # ------------------------------------------------------------ one pass

    def sync(self) -> None:
        """One monitoring pass over every node, then due evictions, then PodGC."""
        self._attach()
        now = self.clock.now()
        for node in list(self.store.objects("nodes")):
            try:
                self._monitor(node, now)
            except errors.ApiError as exc:
                if exc.code not in (404, 409):
                    raise
        self._run_evictions(now)
        self._gc(now)

    def _monitor(self, node: Obj, now: float) -> None:
        name = node["metadata"]["name"]
        conditions = (node.get("status") or {}).get("conditions") or []
        ready = _find(conditions, "Ready")
        if now - self._last_heartbeat(name, node, ready) > self.grace_period and any(
                (_find(conditions, t) or {}).get("status") != "Unknown" for t in KUBELET_CONDITIONS):
            node = self._mark_unknown(name, now)
            ready = _find(node["status"]["conditions"], "Ready")
        ready_status = ready.get("status") if ready else "Unknown"

        wanted: set[tuple[str, str]] = set()
        if ready_status == "False":
            wanted |= {(TAINT_NOT_READY, "NoSchedule"), (TAINT_NOT_READY, "NoExecute")}
        elif ready_status != "True":
            wanted |= {(TAINT_UNREACHABLE, "NoSchedule"), (TAINT_UNREACHABLE, "NoExecute")}
        if node["spec"].get("unschedulable"):
            wanted.add((TAINT_UNSCHEDULABLE, "NoSchedule"))
        node = self._reconcile_taints(node, wanted, now)

        taints = node["spec"].get("taints") or []
        no_execute = [t for t in taints if t.get("effect") == "NoExecute"]
        dirty = name in self._dirty
        self._dirty.discard(name)
        if ready_status == "True" and not no_execute:
            self._walked.pop(name, None)
            if name in self._evicting:
                for key in list(self._evicting[name]):
                    self._drop_eviction(key)
            return
        # Walk this node's pods only when its state or one of its pods changed.
        signature = (ready_status, tuple((t.get("key"), t.get("value"), t.get("timeAdded"))
                                         for t in no_execute))
        if not dirty and self._walked.get(name) == signature:
            return
        self._walked[name] = signature
        if ready_status != "True":
            self._mark_pods_not_ready(name, now)
            if any(t.get("key") == TAINT_OUT_OF_SERVICE for t in taints):
                self._gc_out_of_service(name)
        if no_execute:
            self._plan_evictions(name, no_execute, now)
        elif name in self._evicting:
            for key in list(self._evicting[name]):
                self._drop_eviction(key)

    def _last_heartbeat(self, name: str, node: Obj, ready: Obj | None) -> float:
        """The latest sign of life: lease renewTime, Ready heartbeat, or node creation."""
        lease = self.store.try_get("leases", LEASE_NAMESPACE, name)
        lease_rv = lease["metadata"]["resourceVersion"] if lease else ""
        node_rv = node["metadata"]["resourceVersion"]
        cached = self._heartbeats.get(name)
        if cached is not None and cached[0] == lease_rv and cached[1] == node_rv:
            return cached[2]
        stamps = [node["metadata"].get("creationTimestamp"),
                  ready.get("lastHeartbeatTime") if ready else None,
                  (lease.get("spec") or {}).get("renewTime") if lease else None]
        seen = max((_parse(s) for s in stamps if s), default=0.0)
        self._heartbeats[name] = (lease_rv, node_rv, seen)
        return seen

    def _mark_unknown(self, name: str, now: float) -> Obj:
        def change(cur: Obj) -> Obj:
            status = dict(cur.get("status") or {})
            conditions = list(status.get("conditions") or [])
            for ctype in KUBELET_CONDITIONS:
                previous = _find(conditions, ctype)
                if previous is None:
                    created = _parse(cur["metadata"].get("creationTimestamp", "")) or now
                    conditions.append({**_condition(ctype, _STATUS_NEVER, None, now),
                                       "lastHeartbeatTime": rfc3339(created)})
                elif previous.get("status") != "Unknown":
                    index = conditions.index(previous)
                    conditions[index] = _condition(ctype, _STATUS_UNKNOWN, previous, now, heartbeat=False)
            status["conditions"] = conditions
            return {**cur, "status": status}
        log.info("node %s: kubelet stopped posting status; marking conditions Unknown", name)
        return self.store.update_with("nodes", None, name, change, "status")

    def _reconcile_taints(self, node: Obj, wanted: set[tuple[str, str]], now: float) -> Obj:
        current = node["spec"].get("taints") or []
        kept = [t for t in current
                if (t.get("key"), t.get("effect")) not in _MANAGED_TAINTS
                or (t.get("key"), t.get("effect")) in wanted]
        have = {(t.get("key"), t.get("effect")) for t in kept}
        added = [{"key": key, "effect": effect, "timeAdded": rfc3339(now)}
                 for key, effect in sorted(wanted - have, key=lambda ke: (ke[0], ke[1] != "NoSchedule"))]
        taints = kept + added
        if taints == current:
            return node
        name = node["metadata"]["name"]

        def change(cur: Obj) -> Obj:
            spec = {k: v for k, v in cur["spec"].items() if k != "taints"}
            if taints:
                spec["taints"] = taints
            return {**cur, "spec": spec}
        return self.store.update_with("nodes", None, name, change)

    def _mark_pods_not_ready(self, name: str, now: float) -> None:
        for pod in self.store.pods_on_node(name):
            ready = _find((pod.get("status") or {}).get("conditions") or [], "Ready")
            if ready is None or ready.get("status") == "False":
                continue
            self._write_pod_status(pod, lambda status: {
                **status, "conditions": [
                    {**c, "status": "False", "lastTransitionTime": rfc3339(now)}
                    if c.get("type") == "Ready" else c
                    for c in status.get("conditions") or []]})

    # ------------------------------------------------------------ taint-based eviction

    def _plan_evictions(self, name: str, no_execute: list[Obj], now: float) -> None:
        pending = self._evicting.setdefault(name, set())
        seen: set[Key] = set()
        for pod in self.store.pods_on_node(name):
            meta = pod["metadata"]
            if "deletionTimestamp" in meta:
                continue
            key = (meta["namespace"], meta["name"])
            window = toleration_window(pod["spec"].get("tolerations") or [], no_execute)
            if window is None:
                continue
            entry = self._evictions.get(key)
            if entry is None or entry.uid != meta["uid"] or entry.node != name:
                entry = _Eviction(meta["uid"], name, now)
                self._evictions[key] = entry
            seen.add(key)
            deadline = entry.since + window
            if deadline <= now:
                self._evict(pod)
                seen.discard(key)
                self._drop_eviction(key)
            elif deadline != entry.deadline:
                entry.deadline = deadline
                entry.seq = next(self._seq)
                heapq.heappush(self._heap, (deadline, entry.seq, key))
        for key in pending - seen:
            self._drop_eviction(key)
        if seen:
            self._evicting[name] = seen
            self._arm_wake()
        else:
            self._evicting.pop(name, None)

    def _drop_eviction(self, key: Key) -> None:
        entry = self._evictions.pop(key, None)
        if entry is None:
            return
        pending = self._evicting.get(entry.node)
        if pending is not None:
            pending.discard(key)
            if not pending:
                del self._evicting[entry.node]

    def _run_evictions(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, seq, key = heapq.heappop(heap)
            entry = self._evictions.get(key)
            if entry is None or entry.seq != seq:
                continue
            pod = self.store.try_get("pods", *key)
            if pod is None or pod["metadata"]["uid"] != entry.uid or "deletionTimestamp" in pod["metadata"] \
                    or pod["spec"].get("nodeName") != entry.node:
                self._drop_eviction(key)
                continue
            node = self.store.try_get("nodes", None, entry.node)
            no_execute = [t for t in ((node or {}).get("spec") or {}).get("taints") or []
                          if t.get("effect") == "NoExecute"]
            window = toleration_window(pod["spec"].get("tolerations") or [], no_execute) \
                if no_execute else None
            if window is None:
                self._drop_eviction(key)
                continue
            if entry.since + window > now:
                entry.deadline = entry.since + window
                entry.seq = next(self._seq)
                heapq.heappush(heap, (entry.deadline, entry.seq, key))
                continue
            self._drop_eviction(key)
            try:
                self._evict(pod)
            except errors.ApiError as exc:
                log.warning("pod %s/%s: eviction failed: %s", key[0], key[1], exc)

    def _evict(self, pod: Obj) -> None:
        meta = pod["metadata"]
        log.info("pod %s/%s: deleting due to NoExecute taint on node %s",
                 meta["namespace"], meta["name"], pod["spec"].get("nodeName"))
        self._add_disruption(pod, "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")
        try:
            self.store.delete("pods", meta["namespace"], meta["name"],
                              {"preconditions": {"uid": meta["uid"]}})
        except errors.ApiError as exc:
            if exc.code not in (404, 409):
                raise

    def _arm_wake(self) -> None:
        if not self._running:
            return
        while self._heap:
            _, seq, key = self._heap[0]
            entry = self._evictions.get(key)
            if entry is not None and entry.seq == seq:
                break
            heapq.heappop(self._heap)
        if not self._heap:
            return
        due = self._heap[0][0]
        if self._wake_timer is not None:
            if self._wake_due <= due:
                return
            self._wake_timer.cancel()
        self._wake_due = due
        self._wake_timer = self.clock.call_later(due - self.clock.now(), self._wake)

    def _wake(self) -> None:
        self._wake_timer = None
        try:
            self._run_evictions(self.clock.now())
        except Exception:
            log.exception("taint eviction failed")
        self._arm_wake()

    # ------------------------------------------------------------ PodGC

    def _gc(self, now: float) -> None:
        for name, since in list(self._orphans.items()):
            if self.store.try_get("nodes", None, name) is not None:
                del self._orphans[name]
            elif now - since >= self.orphan_quarantine:
                del self._orphans[name]
                self._dirty.discard(name)
                for pod in self.store.pods_on_node(name):
                    self._force_delete(pod, "PodGC: node no longer exists")
        threshold = self.terminated_pod_gc_threshold
        excess = len(self._terminated) - threshold
        if threshold > 0 and excess > 0:
            oldest = heapq.nsmallest(excess, self._terminated.items(), key=lambda kv: (kv[1][0], kv[0]))
            for key, (_, uid) in oldest:
                try:
                    self.store.delete("pods", key[0], key[1],
                                      {"gracePeriodSeconds": 0, "preconditions": {"uid": uid}})
                except errors.ApiError as exc:
                    if exc.code not in (404, 409):
                        raise

    def _gc_out_of_service(self, name: str) -> None:
        for pod in self.store.pods_on_node(name):
            if "deletionTimestamp" in pod["metadata"]:
                self._force_delete(pod, "PodGC: node is out-of-service")

    def _force_delete(self, pod: Obj, message: str) -> None:
        meta = pod["metadata"]
        if (pod.get("status") or {}).get("phase") not in TERMINAL:
            self._add_disruption(pod, "DeletionByPodGC", message, fail=True)
        try:
            self.store.delete("pods", meta["namespace"], meta["name"],
                              {"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}})
        except errors.ApiError as exc:
            if exc.code not in (404, 409):
                raise

    # ------------------------------------------------------------ pod status writes

    def _add_disruption(self, pod: Obj, reason: str, message: str, *, fail: bool = False) -> None:
        now = rfc3339(self.clock.now())

        def render(status: Obj) -> Obj:
            conditions = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"]
            conditions.append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": now, "reason": reason, "message": message})
            out = {**status, "conditions": conditions}
            if fail:
                out["phase"] = "Failed"
            return out
        self._write_pod_status(pod, render)

    def _write_pod_status(self, pod: Obj, render: Callable[[Obj], Obj]) -> None:
        meta = pod["metadata"]

        def change(cur: Obj) -> Obj:
            if cur["metadata"]["uid"] != meta["uid"]:
                raise errors.conflict("pods", meta["name"], "the pod was replaced")
            return {**cur, "status": render(dict(cur.get("status") or {}))}
        try:
            self.store.update_with("pods", meta["namespace"], meta["name"], change, "status")
        except errors.ApiError as exc:
            if exc.code not in (404, 409, 422):
                raise


def _parse(value: str) -> float:
    try:
        return parse_time(value)
    except (TypeError, ValueError):
        return 0.0
