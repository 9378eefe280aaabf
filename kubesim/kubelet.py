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

Back-offs follow the kubelet's: an exited container restarts at once the first
time, then waits in CrashLoopBackOff for 10 s, 20 s, 40 s ... up to 5 min (reset
once it has run for twice the cap); a failed image pull retries on the same
schedule, showing ImagePullBackOff in between.
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

# Rendered pod conditions, shared by every pod whose condition is the same (stored objects are
# never mutated): most pods' conditions differ only in the second they last changed.
_CONDITIONS: dict[tuple[str, str, str, str, str], Obj] = {}

# Pod conditions the kubelet owns and rewrites on every status update; any other
# condition type (DisruptionTarget from the eviction API, readiness gates) is kept.
_KUBELET_CONDITIONS = frozenset({"PodScheduled", "Ready", "Initialized", "ContainersReady",
                                 "PodReadyToStartContainers"})
_STATUS_UNKNOWN = "The container could not be located when the pod was terminated"
_EVICTION_MESSAGE = "The node was low on resource: memory. "
# The kubelet kills evicted pods with this grace period (hard eviction thresholds).
_EVICTION_GRACE = 1.0


@dataclass
class StageDelays:
    """Seconds between lifecycle steps, each plus a uniform jitter in [0, jitter]."""

    create: float = 0.0  # bound -> ContainerCreating (the pod is accepted)
    start: float = 0.2  # ContainerCreating -> Running (image pull, container start)
    ready: float = 0.0  # Running -> Ready, for containers with a readiness probe
    pull_backoff: float = 1.0  # ErrImagePull -> ImagePullBackOff
    jitter: float = 0.0
    # The kubelet's back-off for restarting containers and pulling images: the first
    # wait (after an immediate first restart); it doubles up to crash_backoff_cap.
    crash_backoff: float = 10.0
    crash_backoff_cap: float = 300.0


class _Container:
    __slots__ = ("backoff", "backoff_at", "container_id", "exit_code", "finished_at", "image", "init",
                 "last", "message", "name", "prev_last", "ready", "reason", "restarts", "started_at",
                 "state")

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
        self.container_id = ""  # of the current (or last) instance
        self.last: Obj | None = None  # lastState: how the previous instance ended
        self.prev_last: Obj | None = None  # the one before, shown again if the pod ends in a back-off
        self.backoff = 0.0  # the crash-loop back-off period (0: no entry yet) ...
        self.backoff_at = 0.0  # ... and when it was last updated

    def terminated_state(self) -> Obj:
        state: Obj = {"exitCode": self.exit_code, "reason": self.reason,
                      "startedAt": self.started_at or None, "finishedAt": self.finished_at or None}
        if self.container_id:
            state["containerID"] = self.container_id
        if self.message:
            state["message"] = self.message
        return {"terminated": state}

    def give_up(self) -> None:
        """The pod ended while this container waited (the kubelet's TerminatePod): show how its
        last instance ended, or, if it never ran, an unknown termination."""
        if self.last is not None:
            ended = self.last["terminated"]
            self.exit_code, self.reason = ended["exitCode"], ended["reason"]
            self.message = ended.get("message", "")
            self.started_at = ended.get("startedAt") or ""
            self.finished_at = ended.get("finishedAt") or ""
            self.container_id = ended.get("containerID", "")
            self.last = self.prev_last
        else:
            self.exit_code, self.reason, self.message = 137, "ContainerStatusUnknown", _STATUS_UNKNOWN
            self.started_at = self.finished_at = ""
        self.state = "terminated"
        self.ready = False

    def render(self) -> Obj:
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
        if self.container_id:
            out["containerID"] = self.container_id
            out["imageID"] = f"kubesim://{self.image}"
        return out


class _Pod:
    """What the kubelet knows about one pod it runs."""

    __slots__ = ("containers", "deleting", "disruption", "host_ip", "init_done", "inits", "key",
                 "kill_deadline", "message", "node", "phase", "pod_ip", "policy", "pull_backoff",
                 "reason", "start_time", "stopping", "timers", "uid")

    def __init__(self, pod: Obj, host_ip: str, pod_ip: str) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        self.key: Key = (meta["namespace"], meta["name"])
        self.uid: str = meta["uid"]
        self.node: str = spec["nodeName"]
        self.policy: str = spec.get("restartPolicy") or "Always"
        self.inits = [_Container(c, True) for c in spec.get("initContainers") or []]
        self.containers = [_Container(c, False) for c in spec.get("containers") or []]
        self.init_done = not self.inits
        self.phase = "Pending"
        self.reason = ""
        self.message = ""
        self.host_ip = host_ip
        self.pod_ip = pod_ip
        self.start_time = ""
        self.stopping = False  # the kubelet is killing the containers (deletion, deadline, eviction)
        self.deleting = False  # ... because the pod is being deleted: DELETE it once they are down
        self.kill_deadline = 0.0
        self.pull_backoff = 0.0  # the image pull back-off period (0: no failed pull yet)
        self.disruption: tuple[str, str] | None = None  # DisruptionTarget (reason, message)
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
        # Effective requests by pod uid: a pod's requests never change, and every admission
        # sums them over all the pods on the node.
        self._requests: dict[str, dict[str, int]] = {}
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
        """Play the kubelet of `node` from now on, picking up the pods already bound to it."""
        if node in self.nodes:
            return
        self.nodes[node] = True
        if self._unsubscribe is not None:
            for pod in self.store.pods_on_node(node):
                self._soon(self._sync, pod["metadata"]["namespace"], pod["metadata"]["name"])

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
        if change.type == DELETED:
            self._requests.pop(change.new["metadata"]["uid"], None)
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
        if "deletionTimestamp" not in meta:
            return
        if not run.deleting:
            self._terminate(run, pod)
        elif run.phase in TERMINAL:
            self._delete_pod(pod)  # catching up: the node was down when the containers stopped
        else:
            self._shorten_grace(run, _deletion_grace(meta))

    def _requests_of(self, pod: Obj) -> dict[str, int]:
        uid = pod["metadata"]["uid"]
        requests = self._requests.get(uid)
        if requests is None:
            requests = self._requests[uid] = pod_requests(pod)
        return requests

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
        # Like the kubelet, count only the pods it has admitted and that have not ended.
        admitted = [p for p in self.store.pods_on_node(node_name)
                    if (other := self._pods.get(p["metadata"]["uid"])) is not None
                    and other.phase not in TERMINAL]
        rejection = admission_failure(pod, node, admitted, self._requests_of)
        if rejection is not None:
            reason, message = rejection
            now = rfc3339(self.clock.now())

            def rejected(cur: Obj) -> Obj:
                old = cur.get("status") or {}
                status: Obj = {"phase": "Failed", "reason": reason, "message": message,
                               "startTime": old.get("startTime") or now}
                if "qosClass" in old:
                    status["qosClass"] = old["qosClass"]
                kept = [c for c in old.get("conditions") or [] if c.get("type") not in _KUBELET_CONDITIONS]
                if kept:
                    status["conditions"] = kept
                return status
            self._write_status(pod["metadata"], rejected)
            return
        run = self._new_run(pod)
        for c in run.containers:
            c.reason = "PodInitializing" if run.inits else "ContainerCreating"
        for c in run.inits:
            c.reason = "PodInitializing"
        self._publish(run)
        self._arm_deadline(run, pod)
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
            self._arm_deadline(run, pod)
            self._start_containers(run)

    # ------------------------------------------------------------ starting

    def _start_containers(self, run: _Pod) -> None:
        pod = self._current(run)
        if pod is None or run.stopping or run.phase in TERMINAL:
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
        self._arm_eviction(run, pod)
        if not run.init_done:
            self._start_next_init(run, pod)
        else:
            for c in run.containers:
                self._start_one(run, pod, c)
            self._publish(run)

    def _image_pull_failure(self, run: _Pod, pod: Obj, kind: str) -> None:
        """The first container to pull (the first init container, else every container) fails."""
        targets = run.inits[:1] if run.inits else run.containers
        for c in targets:
            if kind == "invalid":
                c.reason = "InvalidImageName"
                c.message = (f'Failed to apply default image tag "{c.image}": couldn\'t parse image name '
                             f'"{c.image}": invalid reference format')
            elif kind == "never":
                c.reason = "ErrImageNeverPull"
                c.message = f'Container image "{c.image}" is not present with pull policy of Never'
            else:
                c.reason = "ErrImagePull"
                c.message = f'failed to pull and unpack image "{c.image}": not found'
        self._publish(run)
        if kind != "fail":
            return
        # ImagePullBackOff until the back-off period has passed, then pull (and fail) again.
        initial, cap = self.delays.crash_backoff, self.delays.crash_backoff_cap
        period = run.pull_backoff = min(run.pull_backoff * 2, cap) if run.pull_backoff else initial

        def backoff() -> None:
            for c in targets:
                c.reason, c.message = "ImagePullBackOff", f'Back-off pulling image "{c.image}"'
            self._publish(run)

        def retry() -> None:
            current = self._current(run)
            if current is not None and not run.stopping and run.phase not in TERMINAL:
                self._image_pull_failure(run, current, kind)
        self._after(run, min(self._delay(pod, "pull-backoff"), period), backoff)
        self._after(run, period, retry)

    def _arm_deadline(self, run: _Pod, pod: Obj) -> None:
        """activeDeadlineSeconds counts from the pod's startTime, whatever state it is in."""
        deadline = pod["spec"].get("activeDeadlineSeconds")
        if deadline:
            started = parse_time(run.start_time)
            grace = float(pod["spec"].get("terminationGracePeriodSeconds", 30))
            self._after(run, started + float(deadline) - self.clock.now(), lambda: self._fail_pod(
                run, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline",
                grace))

    def _arm_eviction(self, run: _Pod, pod: Obj) -> None:
        evict = annotation_float(pod, "evict-after-seconds", None)
        if evict is not None:
            def evict_now() -> None:
                if run.phase in TERMINAL or run.stopping:
                    return
                run.disruption = ("TerminationByKubelet", _EVICTION_MESSAGE)
                self._fail_pod(run, "Evicted", _EVICTION_MESSAGE, _EVICTION_GRACE)
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
        c.finished_at = ""
        c.container_id = f"kubesim://{run.uid[:8]}-{c.name}-{c.restarts}"
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

    # ------------------------------------------------------------ exits and restarts

    def _exited(self, run: _Pod, c: _Container, code: int, reason: str, message: str) -> None:
        if self._pods.get(run.uid) is not run:
            return
        c.state, c.exit_code, c.reason, c.message = "terminated", code, reason, message
        c.finished_at = rfc3339(self.clock.now())
        c.ready = c.init and code == 0  # a completed init container counts as ready
        pod = self._current(run)
        if pod is None:
            return
        if run.stopping or run.phase in TERMINAL:
            self._finish_if_done(run)
        elif c.init and code == 0:
            self._start_next_init(run, pod)
        elif run.policy == "Always" or (run.policy == "OnFailure" and code != 0):
            self._crash_loop(run, c)
        else:
            self._finish_if_done(run)

    def _crash_loop(self, run: _Pod, c: _Container) -> None:
        """Restart an exited container on the kubelet's back-off schedule.

        The exit is published first (the "Error" a watcher sees). With no back-off entry
        yet, or one older than twice the cap, the container restarts at once and the
        entry starts at `crash_backoff`; otherwise it waits in CrashLoopBackOff for the
        entry's period, which then doubles up to `crash_backoff_cap`.
        """
        self._publish(run)
        now = self.clock.now()
        death = c.terminated_state()
        cap = self.delays.crash_backoff_cap
        if c.backoff and now - c.backoff_at <= 2 * cap:
            period = c.backoff
            c.prev_last, c.last = c.last, death
            c.state, c.reason = "waiting", "CrashLoopBackOff"
            namespace, name = run.key
            c.message = (f"back-off {_seconds(period)} restarting failed container={c.name} "
                         f"pod={name}_{namespace}({run.uid})")
            self._publish(run)

            def after_backoff() -> None:
                c.backoff, c.backoff_at = min(c.backoff * 2, cap), self.clock.now()
                self._restart(run, c, None)
            self._after(run, period, after_backoff)
            return
        c.backoff, c.backoff_at = self.delays.crash_backoff, now
        self._after(run, 0.0, lambda: self._restart(run, c, death))

    def _restart(self, run: _Pod, c: _Container, death: Obj | None) -> None:
        """Start the next instance of `c`; `death` is how the last one ended, when not yet shown."""
        pod = self._current(run)
        if (pod is None or self._pods.get(run.uid) is not run or run.stopping
                or run.phase in TERMINAL or c.state == "running"):
            return
        if death is not None:
            c.prev_last, c.last = c.last, death
        c.restarts += 1
        self._start_one(run, pod, c)
        self._publish(run)

    def _finish_if_done(self, run: _Pod) -> None:
        """Once no container runs or will restart, the pod's phase becomes terminal."""
        if run.stopping:
            if any(c.state == "running" for c in run.inits + run.containers):
                self._publish(run)
                return
        elif run.init_done and any(c.state != "terminated" for c in run.containers):
            self._publish(run)
            return
        self._publish_terminal(run)
        if run.deleting:
            pod = self._current(run)
            # A kubelet cut off from the API server cannot finish the deletion; it does on return.
            if pod is not None and self.nodes.get(run.node):
                self._delete_pod(pod)

    def _publish_terminal(self, run: _Pod) -> None:
        if run.phase not in TERMINAL:
            self._settle(run)
            ok = run.init_done and all(c.state == "terminated" and c.exit_code == 0 for c in run.containers)
            run.phase = "Succeeded" if ok and not run.reason else "Failed"
        self._publish(run)

    @staticmethod
    def _settle(run: _Pod) -> None:
        """No container of an ended pod stays waiting (the kubelet's TerminatePod): once the
        pod has initialized, every waiting container ends; so does every init container up to
        the last one that ever started (at least the first)."""
        initialized = run.init_done or any(c.state != "waiting" or c.last is not None
                                           for c in run.containers)
        if initialized:
            for c in run.containers:
                if c.state == "waiting":
                    c.give_up()
        started = [i for i, c in enumerate(run.inits) if c.state != "waiting" or c.last is not None]
        for c in run.inits[: started[-1] + 1 if started else 1]:
            if c.state == "waiting":
                c.give_up()

    def _fail_pod(self, run: _Pod, reason: str, message: str, grace: float) -> None:
        """The kubelet itself ends the pod (deadline, eviction): it kills the containers and,
        once they are down, writes phase Failed with `reason` (not before, as the kubelet)."""
        if run.phase in TERMINAL or run.stopping:
            return
        run.reason, run.message = reason, message
        self._stop_all(run, grace)

    # ------------------------------------------------------------ deletion

    def _terminate(self, run: _Pod, pod: Obj) -> None:
        run.deleting = True
        if run.phase in TERMINAL:
            self._finish_if_done(run)
            return
        grace = _deletion_grace(pod["metadata"])
        if run.stopping:  # already being killed (deadline, eviction): only a shorter grace matters
            self._shorten_grace(run, grace)
            return
        self._stop_all(run, grace)

    def _stop_all(self, run: _Pod, grace: float) -> None:
        """SIGTERM every running container, SIGKILL after `grace` seconds."""
        run.stopping = True
        run.cancel_timers()
        run.kill_deadline = self.clock.now() + grace
        running = [c for c in run.inits + run.containers if c.state == "running"]
        for c in running:
            self.runtime.stop(run.uid, c.name, grace)
        if not running:
            self._finish_if_done(run)

    def _shorten_grace(self, run: _Pod, grace: float) -> None:
        """A second DELETE with a shorter grace period: the kill deadline moves closer."""
        deadline = self.clock.now() + grace
        if not run.stopping or deadline >= run.kill_deadline:
            return
        run.kill_deadline = deadline
        for c in run.inits + run.containers:
            if c.state == "running":
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
        if run.phase not in TERMINAL:
            run.phase = _live_phase(run)
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
        """The pod's status as the kubelet's status manager would write it."""
        old = pod.get("status") or {}
        now = rfc3339(self.clock.now())
        phase = run.phase
        terminal = phase in TERMINAL

        def condition(ctype: str, ok: bool, reason: str = "", message: str = "") -> Obj:
            previous = next((c for c in old.get("conditions") or [] if c.get("type") == ctype), None)
            status = "True" if ok else "False"
            since = previous["lastTransitionTime"] if previous and previous.get("status") == status else now
            key = (ctype, status, since, reason, message)
            out = _CONDITIONS.get(key)
            if out is None:
                out = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": since}
                if reason:
                    out["reason"] = reason
                if message:
                    out["message"] = message
                if len(_CONDITIONS) >= 4096:
                    _CONDITIONS.clear()
                _CONDITIONS[key] = out
            return out

        unready = [c.name for c in run.containers if not c.ready]
        if terminal:
            ready: tuple[bool, str, str] = (False, "PodCompleted" if phase == "Succeeded" else "PodFailed", "")
        elif unready:
            ready = (False, "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
        else:
            ready = (True, "", "")
        incomplete = [c.name for c in run.inits if not (c.state == "terminated" and c.exit_code == 0)]
        if phase == "Succeeded":
            initialized: tuple[bool, str, str] = (True, "PodCompleted", "")
        elif incomplete and not any(c.started_at for c in run.containers):
            initialized = (False, "ContainersNotInitialized",
                           f"containers with incomplete status: [{' '.join(incomplete)}]")
        else:
            initialized = (True, "", "")
        # The sandbox lives until the pod has ended and its last container stopped.
        sandbox = not terminal or any(c.state == "running" for c in run.inits + run.containers)
        conditions = [
            condition("PodReadyToStartContainers", sandbox),
            condition("Initialized", *initialized),
            condition("Ready", *ready),
            condition("ContainersReady", *ready),
            condition("PodScheduled", True),
        ]
        owned = _KUBELET_CONDITIONS
        if run.disruption is not None and terminal:
            conditions.append(condition("DisruptionTarget", True, *run.disruption))
            owned = owned | {"DisruptionTarget"}
        conditions.extend(c for c in old.get("conditions") or [] if c.get("type") not in owned)
        status: Obj = {
            "phase": phase,
            "conditions": conditions,
            "hostIP": run.host_ip, "hostIPs": [{"ip": run.host_ip}],
            "podIP": run.pod_ip, "podIPs": [{"ip": run.pod_ip}],
            "startTime": run.start_time,
            "containerStatuses": [c.render() for c in run.containers],
            "qosClass": old.get("qosClass", "BestEffort"),
        }
        if run.inits:
            status["initContainerStatuses"] = [c.render() for c in run.inits]
        if terminal and run.reason:
            status["reason"], status["message"] = run.reason, run.message
        return status


def _live_phase(run: _Pod) -> str:
    """The phase of a pod that has not ended: Pending until every container has started once
    (the kubelet's getPhase; the terminal phases are decided in `_publish_terminal`)."""
    if not run.init_done or any(c.state == "waiting" and c.last is None for c in run.containers):
        return "Pending"
    return "Running"


def _deletion_grace(meta: Obj) -> float:
    """The grace period the kubelet kills a deleted pod's containers with."""
    grace = meta.get("deletionGracePeriodSeconds")
    return float(grace) if grace is not None else 0.0

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


def admission_failure(pod: Obj, node: Obj | None, pods_on_node: list[Obj],
                      requests_of: Callable[[Obj], dict[str, int]] = pod_requests) -> tuple[str, str] | None:
    """Why the kubelet rejects `pod` on `node`, as (reason, message), or None if it fits.

    As the kubelet's predicate admission: resources first (pods, cpu, memory, then the
    rest), then node affinity; only the first failure is reported. Extended resources
    (`vendor.example/gpu`) the node does not list at all are not checked.
    """
    if node is None:
        return ("NodeNotFound", "Pod was rejected: node not found")
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    uid = pod["metadata"]["uid"]
    others = [p for p in pods_on_node
              if p["metadata"]["uid"] != uid and (p.get("status") or {}).get("phase") not in TERMINAL
              and not (p.get("status") or {}).get("reason", "").startswith("OutOf")]
    used: dict[str, int] = {}
    for other in others:
        for name, value in requests_of(other).items():
            used[name] = used.get(name, 0) + value
    wanted = requests_of(pod)
    pod_capacity = allocatable.get("pods")
    if pod_capacity is not None and len(others) + 1 > as_int(pod_capacity):
        capacity = as_int(pod_capacity)
        return ("OutOfpods", f"Pod was rejected: Node didn't have enough resource: pods, requested: 1, "
                             f"used: {len(others)}, capacity: {capacity}")
    for name in sorted(wanted, key=lambda n: (n != "cpu", n != "memory", n)):
        if not wanted[name]:
            continue
        raw = allocatable.get(name)
        if raw is None and "/" in name and "kubernetes.io/" not in name:
            continue  # an extended resource unknown to the node (a cluster-level resource)
        capacity = (cpu_millis(raw) if name == "cpu" else as_int(raw)) if raw is not None else 0
        if used.get(name, 0) + wanted[name] > capacity:
            return (f"OutOf{name}", f"Pod was rejected: Node didn't have enough resource: {name}, "
                                    f"requested: {wanted[name]}, used: {used.get(name, 0)}, "
                                    f"capacity: {capacity}")
    if not _node_affinity_matches(pod["spec"], node):
        return ("NodeAffinity",
                "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector")
    return None


def _node_affinity_matches(spec: Obj, node: Obj) -> bool:
    """spec.nodeSelector and the required node affinity terms (any one term must match)."""
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if not required:
        return True
    fields = {"metadata.name": node["metadata"]["name"]}
    for term in required.get("nodeSelectorTerms") or []:
        expressions = term.get("matchExpressions") or []
        field_expressions = term.get("matchFields") or []
        if not expressions and not field_expressions:
            continue  # an empty term matches no node
        if (all(_node_requirement_matches(e, labels) for e in expressions)
                and all(_node_requirement_matches(e, fields) for e in field_expressions)):
            return True
    return False


def _node_requirement_matches(requirement: Obj, labels: dict[str, str]) -> bool:
    key, operator = requirement.get("key", ""), requirement.get("operator")
    values = [str(v) for v in requirement.get("values") or []]
    present, value = key in labels, labels.get(key)
    if operator == "In":
        return present and value in values
    if operator == "NotIn":
        return not present or value not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and len(values) == 1:
        try:
            have, bound = int(str(value)), int(values[0])
        except ValueError:
            return False
        return have > bound if operator == "Gt" else have < bound
    return False
