"""The simulated kubelet: admits pods bound to its nodes and plays their lifecycle.

It keeps, per pod, the state a kubelet knows (containers, restarts, phase) and
renders the pod's `.status` from it, writing through the store's status
subresource like a real kubelet. Containers are started and stopped by a
`Runtime`; failure shapes a real kubelet produces are chosen per pod by
annotations (prefix kubesim.io/):

  create-delay, start-delay, ready-delay, pull-backoff-delay   stage delays (seconds)
  image-pull          "fail" (ErrImagePull, then ImagePullBackOff), "invalid"
                      (InvalidImageName) or "never" (ErrImageNeverPull)
  container-config-error   a message: the containers wait in CreateContainerConfigError
  ready               "false": readiness probes never pass
  evict-after-seconds the node evicts the pod this long after it starts
  (and the runtime's own: run-seconds, exit-code, oom, sigterm-seconds, ...)
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import errors
from .clock import Clock, Timer, parse_time, rfc3339
from .quantity import as_int, cpu_millis
from .runtime import ContainerConfigError, Runtime, annotation, annotation_float
from .store import Store
from .watch import DELETED, Change

Obj = dict[str, Any]
Key = tuple[str, str]

TERMINAL = ("Succeeded", "Failed")


@dataclass
class StageDelays:
    """Seconds between lifecycle steps, each plus a uniform jitter in [0, jitter]."""

    create: float = 0.0  # bound -> ContainerCreating (the pod is accepted)
    start: float = 0.2  # ContainerCreating -> Running (image pull, container start)
    ready: float = 0.0  # Running -> Ready, for containers with a readiness probe
    pull_backoff: float = 1.0  # ErrImagePull -> ImagePullBackOff
    jitter: float = 0.0
    crash_backoff: float = 10.0  # first CrashLoopBackOff; doubles up to crash_backoff_cap
    crash_backoff_cap: float = 300.0


class _Container:
    __slots__ = ("exit_code", "finished_at", "image", "init", "last", "message", "name", "ready",
                 "reason", "restarts", "started_at", "state")

    def __init__(self, spec: Obj, init: bool) -> None:
        self.name: str = spec["name"]
        self.image: str = spec.get("image", "")
        self.init = init
        self.state = "waiting"  # waiting | running | terminated
        self.reason = "PodInitializing"
        self.message = ""
        self.exit_code = 0
        self.started_at = ""
        self.finished_at = ""
        self.restarts = 0
        self.ready = False
        self.last: Obj | None = None

    def terminated_state(self) -> Obj:
        state: Obj = {"exitCode": self.exit_code, "reason": self.reason,
                      "startedAt": self.started_at or None, "finishedAt": self.finished_at,
                      "containerID": f"kubesim://{self.name}-{self.restarts}"}
        if self.message:
            state["message"] = self.message
        return {"terminated": state}

    def render(self, pod_uid: str) -> Obj:
        if self.state == "running":
            state: Obj = {"running": {"startedAt": self.started_at}}
        elif self.state == "terminated":
            state = self.terminated_state()
        else:
            waiting: Obj = {"reason": self.reason}
            if self.message:
                waiting["message"] = self.message
            state = {"waiting": waiting}
        out: Obj = {"name": self.name, "image": self.image, "imageID": "",
                    "ready": self.ready, "restartCount": self.restarts,
                    "started": self.state == "running", "state": state, "lastState": self.last or {}}
        if self.started_at:
            out["containerID"] = f"kubesim://{pod_uid[:8]}-{self.name}-{self.restarts}"
            out["imageID"] = f"kubesim://{self.image}"
        return out


class _Pod:
    """What the kubelet knows about one pod it runs."""

    __slots__ = ("conditions_reason", "containers", "deleting", "disruption", "host_ip", "init_done",
                 "inits", "key", "message", "node", "phase", "pod_ip", "reason", "start_time",
                 "timers", "uid")

    def __init__(self, pod: Obj, host_ip: str, pod_ip: str) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        self.key: Key = (meta["namespace"], meta["name"])
        self.uid: str = meta["uid"]
        self.node: str = spec["nodeName"]
        self.inits = [_Container(c, True) for c in spec.get("initContainers") or []]
        self.containers = [_Container(c, False) for c in spec.get("containers") or []]
        self.init_done = not self.inits
        self.phase = "Pending"
        self.reason = ""
        self.message = ""
        self.host_ip = host_ip
        self.pod_ip = pod_ip
        self.start_time = ""
        self.deleting = False
        self.disruption: Obj | None = None
        self.conditions_reason = ""
        self.timers: list[Timer] = []

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


class Kubelet:
    """Plays the kubelet for every node in `nodes` that is up."""

    def __init__(self, store: Store, runtime: Runtime, *, clock: Clock | None = None,
                 delays: StageDelays | None = None, rng: random.Random | None = None) -> None:
        self.store = store
        self.runtime = runtime
        runtime.attach(store)
        self.clock = clock or store.clock
        self.delays = delays or StageDelays()
        self.rng = rng or random.Random()
        self.nodes: dict[str, bool] = {}  # managed node -> up
        self._pods: dict[str, _Pod] = {}  # by uid
        self._ip_counter = itertools.count(1)
        self._unsubscribe: Callable[[], None] | None = None

    # ------------------------------------------------------------ wiring

    def start(self) -> None:
        self._unsubscribe = self.store.subscribe("pods", self._on_change)
        for pod in list(self.store.objects("pods")):
            self._soon(self._sync, pod["metadata"]["namespace"], pod["metadata"]["name"])

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for run in self._pods.values():
            run.cancel_timers()
            self.runtime.remove_pod(run.uid)
        self._pods.clear()

    def manage(self, node: str) -> None:
        self.nodes[node] = True

    def set_node_up(self, node: str, up: bool) -> None:
        """A node whose kubelet is down writes nothing; on return it re-syncs every pod."""
        was = self.nodes.get(node)
        if was is None:
            return  # not a node this kubelet manages
        self.nodes[node] = up
        if up and not was:
            for pod in self.store.pods_on_node(node):
                run = self._pods.get(pod["metadata"]["uid"])
                if run is not None:
                    self._publish(run)
                self._soon(self._sync, pod["metadata"]["namespace"], pod["metadata"]["name"])

    def forget_node(self, node: str) -> None:
        self.nodes.pop(node, None)
        for run in [r for r in self._pods.values() if r.node == node]:
            self._drop(run)

    def _on_change(self, change: Change) -> None:
        node = change.new["spec"].get("nodeName")
        if not node or node not in self.nodes:
            return
        if change.type == DELETED:
            run = self._pods.get(change.new["metadata"]["uid"])
            if run is not None:
                self._drop(run)
            return
        meta = change.new["metadata"]
        self._soon(self._sync, meta["namespace"], meta["name"])

    def _soon(self, fn: Callable[..., None], *args: Any) -> None:
        asyncio.get_running_loop().call_soon(fn, *args)

    def _after(self, run: _Pod | None, seconds: float, fn: Callable[[], None]) -> None:
        if seconds <= 0:
            asyncio.get_running_loop().call_soon(fn)
            return
        timer = self.clock.call_later(seconds, fn)
        if run is not None:
            run.timers.append(timer)

    def _delay(self, pod: Obj | None, stage: str) -> float:
        base = float(getattr(self.delays, stage.replace("-", "_")))
        if pod is not None:
            override = annotation_float(pod, f"{stage}-delay", None)
            if override is not None:
                return override
        return base + (self.rng.uniform(0, self.delays.jitter) if self.delays.jitter else 0.0)

    # ------------------------------------------------------------ level-triggered sync

    def _sync(self, namespace: str, name: str) -> None:
        pod = self.store.try_get("pods", namespace, name)
        if pod is None:
            return
        node = pod["spec"].get("nodeName")
        if not node or not self.nodes.get(node):
            return
        meta, status = pod["metadata"], pod.get("status") or {}
        run = self._pods.get(meta["uid"])
        if run is None:
            if status.get("phase") in TERMINAL:
                if "deletionTimestamp" in meta:
                    self._delete_pod(pod)
                return
            if status.get("hostIP"):
                # Known to a previous kubelet (kubesim restarted): adopt it as freshly started.
                run = self._new_run(pod)
                self._begin(run, pod)
                return
            if "deletionTimestamp" in meta:
                self._delete_pod(pod)
                return
            self._after(None, self._delay(pod, "create"), lambda: self._admit(namespace, name, meta["uid"]))
            return
        if "deletionTimestamp" in meta:
            if not run.deleting:
                self._terminate(run, pod)
            else:
                self._finish_if_done(run)

    def _current(self, run: _Pod) -> Obj | None:
        pod = self.store.try_get("pods", *run.key)
        if pod is None or pod["metadata"]["uid"] != run.uid:
            return None
        return pod

    # ------------------------------------------------------------ admission

    def _admit(self, namespace: str, name: str, uid: str) -> None:
        pod = self.store.try_get("pods", namespace, name)
        if pod is None or pod["metadata"]["uid"] != uid or uid in self._pods:
            return
        node_name = pod["spec"]["nodeName"]
        if not self.nodes.get(node_name):
            return
        if "deletionTimestamp" in pod["metadata"]:
            self._delete_pod(pod)
            return
        node = self.store.try_get("nodes", None, node_name)
        rejection = admission_failure(pod, node, self.store.pods_on_node(node_name))
        if rejection is not None:
            reason, message = rejection
            self._write_status(pod["metadata"], lambda cur: {
                **(cur.get("status") or {}), "phase": "Failed", "reason": reason, "message": message,
                "startTime": rfc3339(self.clock.now())})
            return
        run = self._new_run(pod)
        for c in run.containers:
            c.reason = "PodInitializing" if run.inits else "ContainerCreating"
        for c in run.inits:
            c.reason = "PodInitializing"
        self._publish(run)
        self._after(run, self._delay(pod, "start"), lambda: self._start_containers(run))

    def _new_run(self, pod: Obj) -> _Pod:
        node = self.store.try_get("nodes", None, pod["spec"]["nodeName"])
        host_ip = _internal_ip(node) if node else "127.0.0.1"
        n = next(self._ip_counter)
        pod_ip = host_ip if pod["spec"].get("hostNetwork") else f"10.{64 + (n >> 16) % 64}.{(n >> 8) & 255}.{n & 255}"
        run = _Pod(pod, host_ip, pod_ip)
        run.start_time = rfc3339(self.clock.now())
        self._pods[run.uid] = run
        return run

    def _begin(self, run: _Pod, pod: Obj) -> None:
        if "deletionTimestamp" in pod["metadata"]:
            self._terminate(run, pod)
        else:
            self._start_containers(run)

    # ------------------------------------------------------------ starting

    def _start_containers(self, run: _Pod) -> None:
        pod = self._current(run)
        if pod is None or run.deleting or run.phase in TERMINAL:
            return
        pull = annotation(pod, "image-pull")
        if pull in ("fail", "invalid", "never"):
            self._image_pull_failure(run, pod, pull)
            return
        config_error = annotation(pod, "container-config-error")
        if config_error is not None:
            for c in run.inits + run.containers:
                c.reason, c.message = "CreateContainerConfigError", config_error
            self._publish(run)
            return
        self._arm_pod_timers(run, pod)
        if not run.init_done:
            self._start_next_init(run, pod)
        else:
            for c in run.containers:
                self._start_one(run, pod, c)
            self._publish(run)

    def _image_pull_failure(self, run: _Pod, pod: Obj, kind: str) -> None:
        targets = run.inits if run.inits else run.containers
        for c in targets:
            if kind == "invalid":
                c.reason = "InvalidImageName"
                c.message = f'Failed to apply default image tag "{c.image}": couldn\'t parse image name'
            elif kind == "never":
                c.reason = "ErrImageNeverPull"
                c.message = f'Container image "{c.image}" is not present with pull policy of Never'
            else:
                c.reason = "ErrImagePull"
                c.message = f'failed to pull and unpack image "{c.image}": not found'
        self._publish(run)
        if kind == "fail":
            def backoff() -> None:
                for c in targets:
                    c.reason, c.message = "ImagePullBackOff", f'Back-off pulling image "{c.image}"'
                self._publish(run)
            self._after(run, self._delay(pod, "pull-backoff"), backoff)

    def _arm_pod_timers(self, run: _Pod, pod: Obj) -> None:
        deadline = pod["spec"].get("activeDeadlineSeconds")
        if deadline:
            started = parse_time(run.start_time)
            self._after(run, started + float(deadline) - self.clock.now(), lambda: self._fail_pod(
                run, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"))
        evict = annotation_float(pod, "evict-after-seconds", None)
        if evict is not None:
            def evict_now() -> None:
                run.disruption = {"type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet",
                                  "message": "The node was low on resource: memory.",
                                  "lastTransitionTime": rfc3339(self.clock.now()), "lastProbeTime": None}
                self._fail_pod(run, "Evicted", "The node was low on resource: memory. ")
            self._after(run, evict, evict_now)

    def _start_next_init(self, run: _Pod, pod: Obj) -> None:
        for c in run.inits:
            if c.state != "terminated" or c.exit_code != 0:
                self._start_one(run, pod, c)
                self._publish(run)
                return
        run.init_done = True
        for c in run.containers:
            c.reason = "ContainerCreating"
            self._start_one(run, pod, c)
        self._publish(run)

    def _start_one(self, run: _Pod, pod: Obj, c: _Container) -> None:
        try:
            error = self.runtime.start(pod, _container_spec(pod, c.name, c.init), c.init,
                                       lambda code, reason, message: self._exited(run, c, code, reason, message))
        except ContainerConfigError as exc:
            c.state, c.reason, c.message = "waiting", "CreateContainerConfigError", str(exc)
            return
        if error is not None:
            c.state, c.reason, c.message = "waiting", "CreateContainerError", error
            return
        c.state, c.reason, c.message = "running", "", ""
        c.started_at = rfc3339(self.clock.now())
        has_probe = bool(_container_spec(pod, c.name, c.init).get("readinessProbe"))
        if c.init:
            return
        if annotation(pod, "ready") == "false":
            c.ready = False
        elif has_probe:
            c.ready = False
            restarts = c.restarts

            def pass_probe() -> None:
                if c.state == "running" and c.restarts == restarts:
                    c.ready = True
                    self._publish(run)
            self._after(run, self._delay(pod, "ready"), pass_probe)
        else:
            c.ready = True
        if run.phase == "Pending":
            run.phase = "Running"

    # ------------------------------------------------------------ exits and restarts

    def _exited(self, run: _Pod, c: _Container, code: int, reason: str, message: str) -> None:
        if self._pods.get(run.uid) is not run:
            return
        c.state, c.exit_code, c.reason, c.message = "terminated", code, reason, message
        c.finished_at = rfc3339(self.clock.now())
        c.ready = False
        pod = self._current(run)
        if pod is None:
            return
        policy = pod["spec"].get("restartPolicy", "Always")
        restart = not run.deleting and run.phase not in TERMINAL and (
            policy == "Always" or (policy == "OnFailure" and code != 0))
        if c.init:
            if code == 0:
                self._start_next_init(run, pod)
                return
            if not restart:
                self._finish_if_done(run)
                return
        if restart:
            self._crash_loop(run, pod, c)
            return
        self._finish_if_done(run)

    def _crash_loop(self, run: _Pod, pod: Obj, c: _Container) -> None:
        backoff = min(self.delays.crash_backoff * (2 ** c.restarts), self.delays.crash_backoff_cap)
        c.last = c.terminated_state()
        c.restarts += 1
        c.state, c.reason = "waiting", "CrashLoopBackOff"
        meta = pod["metadata"]
        c.message = (f"back-off {_seconds(backoff)} restarting failed container={c.name} "
                     f"pod={meta['name']}_{meta['namespace']}({run.uid})")
        self._publish(run)

        def restart() -> None:
            current = self._current(run)
            if current is None or run.deleting or run.phase in TERMINAL:
                return
            self._start_one(run, current, c)
            self._publish(run)
        self._after(run, backoff, restart)

    def _finish_if_done(self, run: _Pod) -> None:
        """Once no container runs or will restart, the pod's phase becomes terminal."""
        if run.deleting:
            if any(c.state == "running" for c in run.inits + run.containers):
                return
            self._publish_terminal(run)
            pod = self._current(run)
            # A kubelet cut off from the API server cannot finish the deletion; it does on return.
            if pod is not None and self.nodes.get(run.node):
                self._delete_pod(pod)
            return
        if run.init_done and any(c.state != "terminated" for c in run.containers):
            self._publish(run)
            return
        self._publish_terminal(run)

    def _publish_terminal(self, run: _Pod) -> None:
        if run.phase not in TERMINAL:
            ok = run.init_done and all(c.state == "terminated" and c.exit_code == 0 for c in run.containers)
            run.phase = "Succeeded" if ok and not run.reason else "Failed"
        self._publish(run)

    def _fail_pod(self, run: _Pod, reason: str, message: str) -> None:
        """The kubelet itself ends the pod (deadline, eviction): kill containers, phase Failed."""
        if run.phase in TERMINAL or run.deleting:
            return
        run.reason, run.message = reason, message
        run.phase = "Failed"
        for c in run.inits + run.containers:
            if c.state == "running":
                self.runtime.stop(run.uid, c.name, 0.0)
            elif c.state == "waiting":
                c.state, c.exit_code, c.reason = "terminated", 137, "ContainerStatusUnknown"
                c.finished_at = rfc3339(self.clock.now())
        self._publish(run)

    # ------------------------------------------------------------ deletion

    def _terminate(self, run: _Pod, pod: Obj) -> None:
        run.deleting = True
        meta = pod["metadata"]
        deadline = parse_time(meta["deletionTimestamp"])
        grace = max(0.0, deadline - self.clock.now())
        running = [c for c in run.inits + run.containers if c.state == "running"]
        for c in run.inits + run.containers:
            if c.state == "waiting":
                c.state, c.exit_code, c.reason = "terminated", 137, "ContainerStatusUnknown"
                c.finished_at = rfc3339(self.clock.now())
        if not running:
            self._publish_terminal(run)
            self._delete_pod(pod)
            return
        for c in running:
            self.runtime.stop(run.uid, c.name, grace)

    def _delete_pod(self, pod: Obj) -> None:
        meta = pod["metadata"]
        try:
            self.store.delete("pods", meta["namespace"], meta["name"],
                              {"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}})
        except errors.ApiError as exc:
            if exc.code not in (404, 409):
                raise

    def _drop(self, run: _Pod) -> None:
        run.cancel_timers()
        self.runtime.remove_pod(run.uid)
        self._pods.pop(run.uid, None)

    # ------------------------------------------------------------ status

    def _publish(self, run: _Pod) -> None:
        if not self.nodes.get(run.node) or self._pods.get(run.uid) is not run:
            return
        pod = self._current(run)
        if pod is None:
            return
        self._write_status(pod["metadata"], lambda cur: self._render(run, cur))

    def _write_status(self, meta: Obj, render: Callable[[Obj], Obj]) -> None:
        def change(cur: Obj) -> Obj:
            return {**cur, "status": render(cur)}
        try:
            current = self.store.try_get("pods", meta["namespace"], meta["name"])
            if current is None or current["metadata"]["uid"] != meta["uid"]:
                return
            self.store.update_with("pods", meta["namespace"], meta["name"], change, "status")
        except errors.ApiError as exc:
            if exc.code not in (404, 409, 422):
                raise

    def _render(self, run: _Pod, pod: Obj) -> Obj:
        old = pod.get("status") or {}
        now = rfc3339(self.clock.now())
        containers_ready = bool(run.containers) and all(c.ready for c in run.containers)
        ready = containers_ready and run.phase == "Running"

        def condition(ctype: str, ok: bool, reason: str = "") -> Obj:
            previous = next((c for c in old.get("conditions") or [] if c.get("type") == ctype), None)
            status = "True" if ok else "False"
            since = previous["lastTransitionTime"] if previous and previous.get("status") == status else now
            out: Obj = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": since}
            if reason and not ok:
                out["reason"] = reason
            return out

        not_ready = "PodCompleted" if run.phase in TERMINAL else "ContainersNotReady"
        conditions = [
            condition("PodReadyToStartContainers", True),
            condition("Initialized", run.init_done, "PodCompleted" if run.phase in TERMINAL else "ContainersNotInitialized"),
            condition("Ready", ready, not_ready),
            condition("ContainersReady", containers_ready, not_ready),
            condition("PodScheduled", True),
        ]
        if run.disruption is not None:
            conditions.append(run.disruption)
        for extra in old.get("conditions") or []:
            if extra.get("type") == "DisruptionTarget" and run.disruption is None:
                conditions.append(extra)
        status: Obj = {
            "phase": run.phase,
            "conditions": conditions,
            "hostIP": run.host_ip, "hostIPs": [{"ip": run.host_ip}],
            "podIP": run.pod_ip, "podIPs": [{"ip": run.pod_ip}],
            "startTime": run.start_time,
            "containerStatuses": [c.render(run.uid) for c in run.containers],
            "qosClass": old.get("qosClass", "BestEffort"),
        }
        if run.inits:
            status["initContainerStatuses"] = [c.render(run.uid) for c in run.inits]
        if run.reason:
            status["reason"], status["message"] = run.reason, run.message
        return status


def _seconds(value: float) -> str:
    if value >= 60:
        minutes, seconds = divmod(int(value), 60)
        return f"{minutes}m{seconds}s" if seconds else f"{minutes}m0s"
    return f"{value:g}s"


def _container_spec(pod: Obj, name: str, init: bool) -> Obj:
    for c in pod["spec"].get("initContainers" if init else "containers") or []:
        if c.get("name") == name:
            return dict(c)
    return {"name": name}


def _internal_ip(node: Obj) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address"))
    return "127.0.0.1"


# ---------------------------------------------------------------- admission (pure)

def pod_requests(pod: Obj) -> dict[str, int]:
    """Effective requests: the larger of the containers' sum and any one init container."""
    def of(container: Obj) -> dict[str, int]:
        requests = ((container.get("resources") or {}).get("requests")) or {}
        out: dict[str, int] = {}
        for name, value in requests.items():
            try:
                out[name] = cpu_millis(value) if name == "cpu" else as_int(value)
            except ValueError:
                continue
        return out

    total: dict[str, int] = {}
    for c in pod["spec"].get("containers") or []:
        for name, value in of(c).items():
            total[name] = total.get(name, 0) + value
    for c in pod["spec"].get("initContainers") or []:
        for name, value in of(c).items():
            total[name] = max(total.get(name, 0), value)
    return total


def admission_failure(pod: Obj, node: Obj | None, pods_on_node: list[Obj]) -> tuple[str, str] | None:
    """Why the kubelet rejects `pod` on `node`, as (reason, message), or None if it fits."""
    if node is None:
        return ("NodeNotFound", "Pod was rejected: node not found")
    labels = node["metadata"].get("labels") or {}
    selector = pod["spec"].get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return ("NodeAffinity",
                "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector")
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    uid = pod["metadata"]["uid"]
    others = [p for p in pods_on_node
              if p["metadata"]["uid"] != uid and (p.get("status") or {}).get("phase") not in TERMINAL
              and not (p.get("status") or {}).get("reason", "").startswith("OutOf")]
    used: dict[str, int] = {}
    for other in others:
        for name, value in pod_requests(other).items():
            used[name] = used.get(name, 0) + value
    wanted = pod_requests(pod)
    pod_capacity = allocatable.get("pods")
    if pod_capacity is not None and len(others) + 1 > as_int(pod_capacity):
        capacity = as_int(pod_capacity)
        return ("OutOfpods", f"Pod was rejected: Node didn't have enough resource: pods, requested: 1, "
                             f"used: {len(others)}, capacity: {capacity}")
    for name in sorted(wanted, key=lambda n: (n != "cpu", n != "memory", n)):
        if not wanted[name]:
            continue
        raw = allocatable.get(name)
        capacity = (cpu_millis(raw) if name == "cpu" else as_int(raw)) if raw is not None else 0
        if used.get(name, 0) + wanted[name] > capacity:
            return (f"OutOf{name}", f"Pod was rejected: Node didn't have enough resource: {name}, "
                                    f"requested: {wanted[name]}, used: {used.get(name, 0)}, "
                                    f"capacity: {capacity}")
    return None
