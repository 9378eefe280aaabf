"""The simulated kubelet, scenario by scenario (spec/kubernetes.md B.5, "Pod flows").

Each test binds a pod to a node the kubelet manages, moves a fake clock and reads the
pod status the kubelet wrote through the store, asserting the shapes a real kubelet
writes: phase, reason/message, the conditions, containerStatuses (state, lastState,
restartCount, ready, started), hostIP/podIP and startTime.

Stage delays are fixed (create 0 s, start 1 s, ready 0 s, pull back-off 1 s, no
jitter), so a pod created at T0 is Pending at T0 and Running at T0 + 1 s.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubesim.clock import FakeClock, rfc3339
from kubesim.kubelet import Kubelet, StageDelays
from kubesim.runtime import SimRuntime
from kubesim.store import Store

Obj = dict[str, Any]

NODE = "node-a"
NODE_IP = "10.0.0.5"
T0 = 1_750_000_000.0
IMAGE = "busybox:1.36"
UNREADY_MAIN = "containers with unready status: [main]"


def ts(offset: float = 0.0) -> str:
    """The RFC 3339 timestamp `offset` seconds after the test's start."""
    return rfc3339(T0 + offset)


def node_manifest(name: str = NODE, *, cpu: str = "4", memory: str = "8Gi", pods: str = "10",
                  labels: dict[str, str] | None = None) -> Obj:
    resources = {"cpu": cpu, "memory": memory, "pods": pods}
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "status": {
            "capacity": dict(resources), "allocatable": dict(resources),
            "addresses": [{"type": "InternalIP", "address": NODE_IP}, {"type": "Hostname", "address": name}],
        },
    }


class Sim:
    """One store, one fake clock, one kubelet managing NODE, and a watch on every pod."""

    def __init__(self) -> None:
        self.clock = FakeClock(T0)
        self.store = Store(self.clock)
        self.store.create("nodes", None, node_manifest())
        self.runtime = SimRuntime(self.clock)
        self.kubelet = Kubelet(self.store, self.runtime, clock=self.clock,
                               delays=StageDelays(create=0.0, start=1.0, ready=0.0, pull_backoff=1.0,
                                                  jitter=0.0))
        self.kubelet.manage(NODE)
        self.watcher = self.store.watch("pods")
        self.events: list[tuple[str, Obj]] = []
        self.deletes: list[tuple[str, Obj | None]] = []
        real_delete = self.store.delete

        def recording_delete(resource: str, namespace: str | None, name: str,
                             options: Obj | None = None) -> Obj:
            if resource == "pods":
                self.deletes.append((name, options))
            return real_delete(resource, namespace, name, options)
        self.store.delete = recording_delete  # type: ignore[method-assign]

    # ------------------------------------------------------------ time

    async def settle(self) -> None:
        """Run the work the kubelet scheduled with call_soon, and the zero-delay timers it
        leads to, until nothing is left at the current instant."""
        for _ in range(20):
            for _ in range(5):
                await asyncio.sleep(0)
            self.clock.advance(0)

    async def advance(self, seconds: float = 0.0) -> None:
        """Move the clock forward one second at a time, settling after each step."""
        await self.settle()
        remaining = seconds
        while remaining > 1e-9:
            step = min(1.0, remaining)
            self.clock.advance(step)
            remaining -= step
            await self.settle()

    # ------------------------------------------------------------ pods

    def create(self, name: str, *, node: str = NODE, annotations: dict[str, str] | None = None,
               restart_policy: str | None = None, containers: list[Obj] | None = None,
               init_containers: list[Obj] | None = None, **spec: Any) -> Obj:
        manifest_spec: Obj = {"nodeName": node,
                              "containers": containers or [{"name": "main", "image": IMAGE}], **spec}
        if restart_policy is not None:
            manifest_spec["restartPolicy"] = restart_policy
        if init_containers is not None:
            manifest_spec["initContainers"] = init_containers
        metadata: Obj = {"name": name, "annotations": {f"kubesim.io/{k}": v for k, v in (annotations or {}).items()}}
        return self.store.create("pods", "default", {"metadata": metadata, "spec": manifest_spec})

    def pod(self, name: str) -> Obj:
        return self.store.get("pods", "default", name)

    def exists(self, name: str) -> bool:
        return self.store.try_get("pods", "default", name) is not None

    def status(self, name: str) -> Obj:
        status: Obj = self.pod(name)["status"]
        return status

    def container(self, name: str, index: int = 0) -> Obj:
        status: Obj = self.status(name)["containerStatuses"][index]
        return status

    def conditions(self, name: str) -> dict[str, tuple[str, str | None, str | None]]:
        return conditions_of(self.status(name))

    def delete(self, name: str, **options: Any) -> None:
        self.store.delete("pods", "default", name, options or None)

    def history(self, name: str) -> list[tuple[str, Obj]]:
        """Every watch event for pod `name` so far, in order."""
        self.events.extend(self.watcher.drain())
        return [(kind, obj) for kind, obj in self.events if obj["metadata"]["name"] == name]

    def main_states(self, name: str) -> list[Obj]:
        """The first container's status in every event for `name` that has one."""
        return [obj["status"]["containerStatuses"][0] for _, obj in self.history(name)
                if obj.get("status", {}).get("containerStatuses")]


def conditions_of(status: Obj) -> dict[str, tuple[str, str | None, str | None]]:
    """The pod conditions as type -> (status, reason, message), after checking each one's shape."""
    out: dict[str, tuple[str, str | None, str | None]] = {}
    for c in status.get("conditions") or []:
        assert c["lastProbeTime"] is None
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["lastTransitionTime"])
        assert set(c) <= {"type", "status", "reason", "message", "lastProbeTime", "lastTransitionTime"}
        out[c["type"]] = (c["status"], c.get("reason"), c.get("message"))
    return out


def transition_time(status: Obj, ctype: str) -> str:
    found: str = next(c["lastTransitionTime"] for c in status["conditions"] if c["type"] == ctype)
    return found


def without_ids(container: Obj) -> Obj:
    """A container status minus the runtime's opaque ids, which must be present exactly
    when an instance of the container has been created, and agree with its state."""
    out = dict(container)
    cid, image_id = out.pop("containerID", None), out.pop("imageID")
    state = dict(out["state"])
    if "terminated" in state and "containerID" in state["terminated"]:
        terminated = dict(state["terminated"])
        assert terminated.pop("containerID") == cid
        state["terminated"] = terminated
        out["state"] = state
    if cid is None:
        assert image_id == ""
    else:
        assert cid.startswith("kubesim://") and image_id
    last = out["lastState"].get("terminated")
    if last is not None:
        assert last.get("containerID", "kubesim://").startswith("kubesim://")
        out["lastState"] = {"terminated": {k: v for k, v in last.items() if k != "containerID"}}
    return out


def waiting(reason: str, message: str | None = None, *, restarts: int = 0, last: Obj | None = None,
            name: str = "main", image: str = IMAGE) -> Obj:
    state: Obj = {"reason": reason}
    if message is not None:
        state["message"] = message
    return {"name": name, "image": image, "ready": False, "restartCount": restarts, "started": False,
            "state": {"waiting": state}, "lastState": last or {}}


def running(started_at: str, *, ready: bool = True, restarts: int = 0, last: Obj | None = None,
            name: str = "main", image: str = IMAGE) -> Obj:
    return {"name": name, "image": image, "ready": ready, "restartCount": restarts, "started": True,
            "state": {"running": {"startedAt": started_at}}, "lastState": last or {}}


def ended(exit_code: int, reason: str, started_at: str | None, finished_at: str | None,
          message: str | None = None) -> Obj:
    """A `terminated` state (without its containerID)."""
    out: Obj = {"exitCode": exit_code, "reason": reason, "startedAt": started_at, "finishedAt": finished_at}
    if message is not None:
        out["message"] = message
    return {"terminated": out}


def terminated(exit_code: int, reason: str, started_at: str | None, finished_at: str | None, *,
               ready: bool = False, restarts: int = 0, last: Obj | None = None, message: str | None = None,
               name: str = "main", image: str = IMAGE) -> Obj:
    return {"name": name, "image": image, "ready": ready, "restartCount": restarts, "started": False,
            "state": ended(exit_code, reason, started_at, finished_at, message), "lastState": last or {}}


def kubelet_conditions(*, initialized: tuple[str, str | None, str | None] = ("True", None, None),
                       ready: tuple[str, str | None, str | None] = ("True", None, None),
                       sandbox: str = "True") -> dict[str, tuple[str, str | None, str | None]]:
    return {"PodScheduled": ("True", None, None), "PodReadyToStartContainers": (sandbox, None, None),
            "Initialized": initialized, "Ready": ready, "ContainersReady": ready}


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    s = Sim()
    s.kubelet.start()
    yield s
    s.kubelet.stop()


# ---------------------------------------------------------------- bound, starting, running

async def test_bound_pod_is_pending_with_container_creating_then_running_and_ready(sim: Sim) -> None:
    sim.create("web")
    await sim.advance(0)

    status = sim.status("web")
    assert status["phase"] == "Pending"
    assert "reason" not in status and "message" not in status
    assert status["hostIP"] == NODE_IP and status["hostIPs"] == [{"ip": NODE_IP}]
    assert re.fullmatch(r"10\.\d+\.\d+\.\d+", status["podIP"]) and status["podIPs"] == [{"ip": status["podIP"]}]
    assert status["startTime"] == ts(0)
    assert status["qosClass"] == "BestEffort"
    assert sim.conditions("web") == kubelet_conditions(ready=("False", "ContainersNotReady", UNREADY_MAIN))
    assert [without_ids(c) for c in status["containerStatuses"]] == [waiting("ContainerCreating")]
    assert "containerID" not in status["containerStatuses"][0]

    await sim.advance(1)

    status = sim.status("web")
    assert status["phase"] == "Running"
    assert status["startTime"] == ts(0)
    assert sim.conditions("web") == kubelet_conditions()
    assert transition_time(status, "Ready") == ts(1)
    assert transition_time(status, "PodScheduled") == ts(0)
    assert [without_ids(c) for c in status["containerStatuses"]] == [running(ts(1))]


# ---------------------------------------------------------------- exits

async def test_exit_0_with_restart_policy_never_succeeds_with_reason_completed(sim: Sim) -> None:
    sim.create("job", restart_policy="Never", annotations={"exit-code": "0", "run-seconds": "5"})
    await sim.advance(6)

    status = sim.status("job")
    assert status["phase"] == "Succeeded"
    assert "reason" not in status
    assert [without_ids(c) for c in status["containerStatuses"]] == [terminated(0, "Completed", ts(1), ts(6))]
    assert sim.conditions("job") == kubelet_conditions(
        initialized=("True", "PodCompleted", None), ready=("False", "PodCompleted", None), sandbox="False")


async def test_nonzero_exit_fails_the_pod_with_reason_error_and_the_exit_code(sim: Sim) -> None:
    sim.create("job", restart_policy="Never", annotations={"exit-code": "3", "run-seconds": "2"})
    await sim.advance(3)

    status = sim.status("job")
    assert status["phase"] == "Failed"
    assert "reason" not in status  # the pod itself has no reason: the container says why
    assert [without_ids(c) for c in status["containerStatuses"]] == [terminated(3, "Error", ts(1), ts(3))]
    assert sim.conditions("job") == kubelet_conditions(ready=("False", "PodFailed", None), sandbox="False")


async def test_oom_kill_with_restart_policy_never_fails_the_pod_with_oomkilled_137(sim: Sim) -> None:
    sim.create("hog", restart_policy="Never", annotations={"oom": "true", "run-seconds": "2"})
    await sim.advance(3)

    assert sim.status("hog")["phase"] == "Failed"
    assert without_ids(sim.container("hog")) == terminated(137, "OOMKilled", ts(1), ts(3))


async def test_oom_kill_with_restart_policy_always_restarts_with_last_state_oomkilled(sim: Sim) -> None:
    sim.create("hog", annotations={"oom": "true", "run-seconds": "2"})
    await sim.advance(3)

    assert sim.status("hog")["phase"] == "Running"
    # The first exit restarts at once, the exit showing as lastState.
    assert without_ids(sim.container("hog")) == running(
        ts(3), restarts=1, last=ended(137, "OOMKilled", ts(1), ts(3)))


async def test_on_failure_with_exit_0_succeeds(sim: Sim) -> None:
    sim.create("job", restart_policy="OnFailure", annotations={"exit-code": "0", "run-seconds": "2"})
    await sim.advance(3)

    assert sim.status("job")["phase"] == "Succeeded"
    assert without_ids(sim.container("job")) == terminated(0, "Completed", ts(1), ts(3))


async def test_on_failure_restarts_a_failed_container_and_stays_running(sim: Sim) -> None:
    sim.create("job", restart_policy="OnFailure", annotations={"exit-code": "2", "run-seconds": "2"})
    await sim.advance(3)

    assert sim.status("job")["phase"] == "Running"
    assert without_ids(sim.container("job")) == running(ts(3), restarts=1, last=ended(2, "Error", ts(1), ts(3)))


# ---------------------------------------------------------------- crash loop

async def test_crash_loop_restarts_on_a_doubling_back_off_capped_at_five_minutes(sim: Sim) -> None:
    pod = sim.create("crash", annotations={"exit-code": "1", "run-seconds": "1"})
    uid = pod["metadata"]["uid"]
    # Exits at 2 s (restarted at once), then 3 s, 14 s, 35 s, 76 s, 157 s, 318 s, 619 s.
    await sim.advance(2)
    assert without_ids(sim.container("crash")) == running(ts(2), restarts=1, last=ended(1, "Error", ts(1), ts(2)))

    await sim.advance(1)  # t = 3 s: the second exit waits 10 s
    status = sim.status("crash")
    assert status["phase"] == "Running"
    assert without_ids(status["containerStatuses"][0]) == waiting(
        "CrashLoopBackOff", f"back-off 10s restarting failed container=main pod=crash_default({uid})",
        restarts=1, last=ended(1, "Error", ts(2), ts(3)))
    assert sim.conditions("crash") == kubelet_conditions(ready=("False", "ContainersNotReady", UNREADY_MAIN))

    await sim.advance(9.5)
    assert sim.container("crash")["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    await sim.advance(0.5)  # t = 13 s
    assert without_ids(sim.container("crash")) == running(ts(13), restarts=2, last=ended(1, "Error", ts(2), ts(3)))

    await sim.advance(620 - 13)
    back_offs = []
    for state in sim.main_states("crash"):
        message = state["state"].get("waiting", {}).get("message", "")
        if message:
            back_offs.append(message.split()[1])
    assert back_offs == ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"]
    assert sim.status("crash")["phase"] == "Running"
    assert sim.container("crash")["restartCount"] == 7

    # Between exits every state a watcher sees is running, the exit itself, or the back-off.
    kinds = [next(iter(s["state"])) for s in sim.main_states("crash")]
    assert kinds[:6] == ["waiting", "running", "terminated", "running", "terminated", "waiting"]


async def test_crash_loop_back_off_resets_after_the_container_ran_for_ten_minutes(sim: Sim) -> None:
    sim.create("flaky", annotations={"exit-code": "1", "run-seconds": "1"})
    await sim.advance(5)  # exits at 2 s (restarted at once) and 3 s (back-off 10 s)
    assert sim.container("flaky")["state"]["waiting"]["reason"] == "CrashLoopBackOff"

    # From its next start (13 s) the container runs for 700 s, more than twice the 5 min cap.
    sim.store.update_with("pods", "default", "flaky", lambda p: {**p, "metadata": {
        **p["metadata"], "annotations": {**p["metadata"]["annotations"], "kubesim.io/run-seconds": "700"}}})
    await sim.advance(8)
    assert without_ids(sim.container("flaky")) == running(ts(13), restarts=2, last=ended(1, "Error", ts(2), ts(3)))

    await sim.advance(700)  # its exit at 713 s finds the back-off expired: restarted at once
    assert without_ids(sim.container("flaky")) == running(
        ts(713), restarts=3, last=ended(1, "Error", ts(13), ts(713)))
    assert not any(s["state"].get("waiting", {}).get("message", "").startswith("back-off 20s")
                   for s in sim.main_states("flaky"))


# ---------------------------------------------------------------- images and configuration

async def test_image_pull_failure_shows_err_image_pull_then_image_pull_back_off_and_stays_pending(
        sim: Sim) -> None:
    sim.create("pull", annotations={"image-pull": "fail"}, containers=[{"name": "main", "image": "nosuch:1"}])
    await sim.advance(1)  # the pull starts after the 1 s start delay

    status = sim.status("pull")
    assert status["phase"] == "Pending"
    assert without_ids(status["containerStatuses"][0]) == waiting(
        "ErrImagePull", 'failed to pull and unpack image "nosuch:1": not found', image="nosuch:1")
    assert sim.conditions("pull") == kubelet_conditions(ready=("False", "ContainersNotReady", UNREADY_MAIN))

    await sim.advance(1)
    status = sim.status("pull")
    assert status["phase"] == "Pending"
    assert without_ids(status["containerStatuses"][0]) == waiting(
        "ImagePullBackOff", 'Back-off pulling image "nosuch:1"', image="nosuch:1")

    # The kubelet pulls again after its back-off (10 s, then 20 s ...), failing each time.
    await sim.advance(60)
    reasons = [s["state"]["waiting"]["reason"] for s in sim.main_states("pull")]
    assert reasons == ["ContainerCreating", "ErrImagePull", "ImagePullBackOff", "ErrImagePull",
                       "ImagePullBackOff", "ErrImagePull", "ImagePullBackOff"]
    assert sim.status("pull")["phase"] == "Pending"


async def test_invalid_image_name_waits_with_reason_invalid_image_name(sim: Sim) -> None:
    sim.create("bad", annotations={"image-pull": "invalid"}, containers=[{"name": "main", "image": "Bad:Image"}])
    await sim.advance(30)

    assert sim.status("bad")["phase"] == "Pending"
    assert without_ids(sim.container("bad")) == waiting(
        "InvalidImageName",
        'Failed to apply default image tag "Bad:Image": couldn\'t parse image name "Bad:Image": '
        "invalid reference format", image="Bad:Image")


async def test_missing_image_with_pull_policy_never_waits_with_err_image_never_pull(sim: Sim) -> None:
    sim.create("local", annotations={"image-pull": "never"},
               containers=[{"name": "main", "image": "local:1", "imagePullPolicy": "Never"}])
    await sim.advance(30)

    assert sim.status("local")["phase"] == "Pending"
    assert without_ids(sim.container("local")) == waiting(
        "ErrImageNeverPull", 'Container image "local:1" is not present with pull policy of Never', image="local:1")


async def test_missing_config_map_waits_with_create_container_config_error(sim: Sim) -> None:
    sim.create("cfg", annotations={"container-config-error": 'configmap "settings" not found'})
    await sim.advance(30)

    assert sim.status("cfg")["phase"] == "Pending"
    assert without_ids(sim.container("cfg")) == waiting("CreateContainerConfigError", 'configmap "settings" not found')


# ---------------------------------------------------------------- admission

def _requests(cpu: str | None = None, memory: str | None = None) -> list[Obj]:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return [{"name": "main", "image": IMAGE, "resources": {"requests": requests}}]


async def test_pod_exceeding_the_nodes_cpu_is_rejected_with_out_of_cpu(sim: Sim) -> None:
    sim.create("first", containers=_requests(cpu="2500m"))
    await sim.advance(0)
    sim.create("big", containers=_requests(cpu="2"))
    await sim.advance(0)

    status = sim.status("big")
    assert status == {
        "phase": "Failed", "reason": "OutOfcpu",
        "message": "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 2500, "
                   "capacity: 4000",
        "startTime": ts(0), "qosClass": "Burstable",
    }
    await sim.advance(5)
    assert sim.status("big")["phase"] == "Failed"  # the kubelet never starts it
    assert sim.status("first")["phase"] == "Running"


async def test_pod_exceeding_the_nodes_memory_is_rejected_with_out_of_memory(sim: Sim) -> None:
    sim.create("big", containers=_requests(memory="9Gi"))
    await sim.advance(0)

    status = sim.status("big")
    assert status["phase"] == "Failed" and status["reason"] == "OutOfmemory"
    assert status["message"] == (f"Pod was rejected: Node didn't have enough resource: memory, "
                                 f"requested: {9 * 2**30}, used: 0, capacity: {8 * 2**30}")


async def test_pod_beyond_the_nodes_pod_capacity_is_rejected_with_out_of_pods(sim: Sim) -> None:
    for i in range(10):
        sim.create(f"p{i}")
    await sim.advance(0)
    sim.create("one-too-many")
    await sim.advance(0)

    status = sim.status("one-too-many")
    assert status["phase"] == "Failed" and status["reason"] == "OutOfpods"
    assert status["message"] == "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 10, capacity: 10"
    assert all(sim.status(f"p{i}")["phase"] == "Pending" for i in range(10))


async def test_pod_whose_node_selector_does_not_match_is_rejected_with_node_affinity(sim: Sim) -> None:
    sim.create("picky", nodeSelector={"disktype": "ssd"})
    await sim.advance(0)

    status = sim.status("picky")
    assert status == {
        "phase": "Failed", "reason": "NodeAffinity",
        "message": "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node "
                   "affinity/selector",
        "startTime": ts(0), "qosClass": "BestEffort",
    }


async def test_pod_whose_required_node_affinity_does_not_match_is_rejected(sim: Sim) -> None:
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}]}}}
    sim.create("picky", affinity=affinity)
    fits = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [NODE]}]}]}}}
    sim.create("fits", affinity=fits)
    await sim.advance(1)

    assert sim.status("picky")["reason"] == "NodeAffinity"
    assert sim.status("fits")["phase"] == "Running"


async def test_terminal_and_rejected_pods_do_not_count_toward_node_usage(sim: Sim) -> None:
    sim.create("done", restart_policy="Never", containers=_requests(cpu="3"),
               annotations={"exit-code": "0", "run-seconds": "1"})
    sim.create("rejected", containers=_requests(cpu="5"))
    await sim.advance(2)
    assert sim.status("done")["phase"] == "Succeeded"
    assert sim.status("rejected")["reason"] == "OutOfcpu"

    sim.create("next", containers=_requests(cpu="4"))
    await sim.advance(1)
    assert sim.status("next")["phase"] == "Running"


async def test_admission_counts_only_pods_the_kubelet_has_admitted(sim: Sim) -> None:
    sim.create("a", containers=_requests(cpu="3"))
    sim.create("b", containers=_requests(cpu="3"))
    await sim.advance(1)

    # As on a real node, the first pod admitted gets the room and the second is rejected.
    assert sim.status("a")["phase"] == "Running"
    assert sim.status("b")["reason"] == "OutOfcpu"
    assert "used: 3000" in sim.status("b")["message"]


# ---------------------------------------------------------------- kubelet-ended pods

async def test_active_deadline_fails_the_pod_with_deadline_exceeded(sim: Sim) -> None:
    sim.create("slow", activeDeadlineSeconds=30)
    await sim.advance(29)
    assert sim.status("slow")["phase"] == "Running"

    await sim.advance(1)
    status = sim.status("slow")
    assert status["phase"] == "Failed"
    assert status["reason"] == "DeadlineExceeded"
    assert status["message"] == "Pod was active on the node longer than the specified deadline"
    # The containers were sent SIGTERM (exit 143) within the pod's grace period.
    assert without_ids(status["containerStatuses"][0]) == terminated(143, "Error", ts(1), ts(30))
    assert sim.conditions("slow") == kubelet_conditions(ready=("False", "PodFailed", None), sandbox="False")
    assert sim.exists("slow")  # the kubelet does not delete it


async def test_active_deadline_also_ends_a_pod_stuck_pulling_its_image(sim: Sim) -> None:
    sim.create("stuck", activeDeadlineSeconds=20, annotations={"image-pull": "fail"})
    await sim.advance(20)

    status = sim.status("stuck")
    assert status["phase"] == "Failed" and status["reason"] == "DeadlineExceeded"
    assert without_ids(status["containerStatuses"][0]) == terminated(
        137, "ContainerStatusUnknown", None, None,
        message="The container could not be located when the pod was terminated")


async def test_eviction_fails_the_pod_with_evicted_and_a_disruption_target_condition(sim: Sim) -> None:
    sim.create("victim", annotations={"evict-after-seconds": "10"})
    await sim.advance(11)

    status = sim.status("victim")
    assert status["phase"] == "Failed"
    assert status["reason"] == "Evicted"
    assert status["message"] == "The node was low on resource: memory. "
    assert sim.conditions("victim") == {
        **kubelet_conditions(ready=("False", "PodFailed", None), sandbox="False"),
        "DisruptionTarget": ("True", "TerminationByKubelet", "The node was low on resource: memory. "),
    }
    assert without_ids(status["containerStatuses"][0]) == terminated(143, "Error", ts(1), ts(11))
    assert sim.exists("victim")


# ---------------------------------------------------------------- readiness

async def test_readiness_probe_passes_after_the_ready_delay(sim: Sim) -> None:
    probe = {"httpGet": {"path": "/healthz", "port": 8080}}
    sim.create("svc", containers=[{"name": "main", "image": IMAGE, "readinessProbe": probe}],
               annotations={"ready-delay": "5"})
    await sim.advance(1)
    assert sim.status("svc")["phase"] == "Running"
    assert without_ids(sim.container("svc")) == running(ts(1), ready=False)
    assert sim.conditions("svc") == kubelet_conditions(ready=("False", "ContainersNotReady", UNREADY_MAIN))

    await sim.advance(5)
    assert without_ids(sim.container("svc")) == running(ts(1), ready=True)
    assert sim.conditions("svc") == kubelet_conditions()
    assert transition_time(sim.status("svc"), "Ready") == ts(6)


async def test_readiness_that_never_passes_leaves_the_pod_running_but_not_ready(sim: Sim) -> None:
    sim.create("sick", annotations={"ready": "false"})
    await sim.advance(600)

    assert sim.status("sick")["phase"] == "Running"
    assert without_ids(sim.container("sick")) == running(ts(1), ready=False)
    assert sim.conditions("sick") == kubelet_conditions(ready=("False", "ContainersNotReady", UNREADY_MAIN))


# ---------------------------------------------------------------- graceful deletion

async def test_graceful_delete_sigterm_exits_143_then_the_kubelet_deletes_the_pod(sim: Sim) -> None:
    pod = sim.create("web", annotations={"sigterm-seconds": "3"})
    await sim.advance(5)
    sim.delete("web")  # grace 30 s (the default terminationGracePeriodSeconds)
    await sim.advance(2)
    assert sim.status("web")["phase"] == "Running"  # still shutting down

    await sim.advance(1)
    assert not sim.exists("web")
    kinds = [kind for kind, _ in sim.history("web")]
    assert kinds[-1] == "DELETED"
    last = sim.history("web")[-2][1]  # what the kubelet wrote just before deleting
    assert last["status"]["phase"] == "Failed"
    assert without_ids(last["status"]["containerStatuses"][0]) == terminated(143, "Error", ts(1), ts(8))
    # The kubelet's DELETE: grace period 0, guarded by the pod's uid.
    assert sim.deletes[-1] == ("web", {"gracePeriodSeconds": 0, "preconditions": {"uid": pod["metadata"]["uid"]}})


async def test_container_ignoring_sigterm_past_the_grace_period_is_killed_137_at_the_deadline(sim: Sim) -> None:
    sim.create("stubborn", annotations={"sigterm-seconds": "60"}, terminationGracePeriodSeconds=10)
    await sim.advance(1)
    sim.delete("stubborn")
    await sim.advance(9)
    assert sim.exists("stubborn")

    await sim.advance(1)
    assert not sim.exists("stubborn")
    last = sim.history("stubborn")[-2][1]
    assert last["status"]["phase"] == "Failed"
    assert without_ids(last["status"]["containerStatuses"][0]) == terminated(137, "Error", ts(1), ts(11))


async def test_container_exiting_0_on_sigterm_completes_and_the_pod_succeeds(sim: Sim) -> None:
    sim.create("tidy", annotations={"sigterm-exit-code": "0"})
    await sim.advance(1)
    sim.delete("tidy")
    await sim.advance(0)

    assert not sim.exists("tidy")
    last = sim.history("tidy")[-2][1]
    assert last["status"]["phase"] == "Succeeded"
    assert without_ids(last["status"]["containerStatuses"][0]) == terminated(0, "Completed", ts(1), ts(1))


async def test_a_second_delete_with_a_shorter_grace_period_kills_sooner(sim: Sim) -> None:
    sim.create("web", annotations={"sigterm-seconds": "100"})
    await sim.advance(1)
    sim.delete("web")  # 30 s
    await sim.advance(5)
    sim.delete("web", gracePeriodSeconds=5)
    await sim.advance(4)
    assert sim.exists("web")

    await sim.advance(1)
    assert not sim.exists("web")
    last = sim.history("web")[-2][1]
    assert without_ids(last["status"]["containerStatuses"][0]) == terminated(137, "Error", ts(1), ts(11))


async def test_deleting_a_pending_pod_ends_its_waiting_containers_and_deletes_it(sim: Sim) -> None:
    sim.create("early", annotations={"start-delay": "30"})
    await sim.advance(0)
    assert sim.status("early")["phase"] == "Pending"

    sim.delete("early")
    await sim.advance(0)
    assert not sim.exists("early")
    last = sim.history("early")[-2][1]
    assert last["status"]["phase"] == "Failed"
    assert without_ids(last["status"]["containerStatuses"][0]) == terminated(
        137, "ContainerStatusUnknown", None, None,
        message="The container could not be located when the pod was terminated")
    await sim.advance(60)
    assert sim.runtime._running == {}  # the containers never started


async def test_deleting_a_crash_looping_pod_shows_its_last_exit(sim: Sim) -> None:
    sim.create("crash", annotations={"exit-code": "1", "run-seconds": "1"})
    await sim.advance(3)  # in its first 10 s back-off
    sim.delete("crash")
    await sim.advance(0)

    assert not sim.exists("crash")
    last = sim.history("crash")[-2][1]
    assert last["status"]["phase"] == "Failed"
    assert without_ids(last["status"]["containerStatuses"][0]) == terminated(
        1, "Error", ts(2), ts(3), restarts=1, last=ended(1, "Error", ts(1), ts(2)))


# ---------------------------------------------------------------- init containers

async def test_init_containers_run_to_completion_before_the_main_containers(sim: Sim) -> None:
    sim.create("app", init_containers=[{"name": "setup", "image": IMAGE}],
               annotations={"init-run-seconds": "4"})
    await sim.advance(0)
    status = sim.status("app")
    assert status["phase"] == "Pending"
    assert sim.conditions("app") == kubelet_conditions(
        initialized=("False", "ContainersNotInitialized", "containers with incomplete status: [setup]"),
        ready=("False", "ContainersNotReady", UNREADY_MAIN))
    assert without_ids(status["initContainerStatuses"][0]) == waiting("PodInitializing", name="setup")
    assert without_ids(status["containerStatuses"][0]) == waiting("PodInitializing")

    await sim.advance(1)
    status = sim.status("app")
    assert status["phase"] == "Pending"
    assert without_ids(status["initContainerStatuses"][0]) == running(ts(1), ready=False, name="setup")
    assert without_ids(status["containerStatuses"][0]) == waiting("PodInitializing")
    assert sim.conditions("app")["Initialized"][0] == "False"

    await sim.advance(4)
    status = sim.status("app")
    assert status["phase"] == "Running"
    assert without_ids(status["initContainerStatuses"][0]) == terminated(0, "Completed", ts(1), ts(5), ready=True,
                                                                         name="setup")
    assert without_ids(status["containerStatuses"][0]) == running(ts(5))
    assert sim.conditions("app") == kubelet_conditions()
    assert transition_time(status, "Initialized") == ts(5)


async def test_failing_init_container_with_restart_policy_never_fails_the_pod(sim: Sim) -> None:
    sim.create("app", restart_policy="Never", annotations={"init-exit-code": "2"},
               init_containers=[{"name": "setup", "image": IMAGE}, {"name": "migrate", "image": IMAGE}])
    await sim.advance(2)

    status = sim.status("app")
    assert status["phase"] == "Failed"
    assert [without_ids(c) for c in status["initContainerStatuses"]] == [
        terminated(2, "Error", ts(1), ts(1), name="setup"), waiting("PodInitializing", name="migrate")]
    assert without_ids(status["containerStatuses"][0]) == waiting("PodInitializing")
    assert sim.conditions("app") == kubelet_conditions(
        initialized=("False", "ContainersNotInitialized", "containers with incomplete status: [setup migrate]"),
        ready=("False", "PodFailed", None), sandbox="False")


async def test_failing_init_container_with_restart_policy_always_crash_loops_while_pending(sim: Sim) -> None:
    sim.create("app", annotations={"init-exit-code": "2"}, init_containers=[{"name": "setup", "image": IMAGE}])
    await sim.advance(2)

    status = sim.status("app")
    assert status["phase"] == "Pending"
    init = status["initContainerStatuses"][0]
    assert init["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert init["restartCount"] == 1
    assert without_ids(status["containerStatuses"][0]) == waiting("PodInitializing")


# ---------------------------------------------------------------- stage delays

async def test_stage_delay_annotations_override_the_default_delays(sim: Sim) -> None:
    sim.create("late", annotations={"create-delay": "2", "start-delay": "5"})
    await sim.advance(1)
    assert "hostIP" not in sim.status("late")  # not admitted yet

    await sim.advance(1)
    assert sim.status("late")["phase"] == "Pending"
    assert sim.status("late")["startTime"] == ts(2)
    await sim.advance(4)
    assert sim.status("late")["phase"] == "Pending"
    await sim.advance(1)
    assert sim.status("late")["phase"] == "Running"
    assert sim.container("late")["state"]["running"]["startedAt"] == ts(7)


# ---------------------------------------------------------------- nodes

async def test_a_node_that_is_down_writes_nothing_and_catches_up_when_it_returns(sim: Sim) -> None:
    sim.create("job", restart_policy="Never", annotations={"exit-code": "0", "run-seconds": "5"})
    await sim.advance(1)
    assert sim.status("job")["phase"] == "Running"

    sim.kubelet.set_node_up(NODE, False)
    sim.create("newcomer")
    rv = sim.store.resource_version
    await sim.advance(10)
    assert sim.store.resource_version == rv  # not a single write while down
    assert sim.status("job")["phase"] == "Running"
    assert sim.status("newcomer") == {"phase": "Pending", "qosClass": "BestEffort"}

    sim.kubelet.set_node_up(NODE, True)
    await sim.advance(0)
    assert sim.status("job")["phase"] == "Succeeded"
    assert without_ids(sim.container("job")) == terminated(0, "Completed", ts(1), ts(6))
    assert sim.status("newcomer")["phase"] == "Pending"
    await sim.advance(1)
    assert sim.status("newcomer")["phase"] == "Running"


async def test_a_deletion_that_completes_while_the_node_is_down_finishes_when_it_returns(sim: Sim) -> None:
    sim.create("web", annotations={"sigterm-seconds": "2"})
    await sim.advance(1)
    sim.delete("web")
    await sim.advance(0)
    sim.kubelet.set_node_up(NODE, False)
    await sim.advance(5)
    assert sim.exists("web")

    sim.kubelet.set_node_up(NODE, True)
    await sim.advance(0)
    assert not sim.exists("web")
    assert sim.history("web")[-2][1]["status"]["phase"] == "Failed"


async def test_pods_on_nodes_the_kubelet_does_not_manage_are_ignored(sim: Sim) -> None:
    sim.store.create("nodes", None, node_manifest("node-b"))
    sim.create("elsewhere", node="node-b")
    sim.create("unbound", node="")
    await sim.advance(5)

    assert sim.status("elsewhere") == {"phase": "Pending", "qosClass": "BestEffort"}
    assert sim.status("unbound") == {"phase": "Pending", "qosClass": "BestEffort"}


async def test_managing_a_node_picks_up_the_pods_already_bound_to_it(sim: Sim) -> None:
    sim.store.create("nodes", None, node_manifest("node-b"))
    sim.create("early", node="node-b")
    await sim.advance(1)
    assert sim.status("early") == {"phase": "Pending", "qosClass": "BestEffort"}

    sim.kubelet.manage("node-b")
    await sim.advance(1)
    assert sim.status("early")["phase"] == "Running"


async def test_a_recreated_pod_with_the_same_name_and_a_new_uid_is_treated_as_new(sim: Sim) -> None:
    first = sim.create("app", restart_policy="Never", annotations={"exit-code": "1", "run-seconds": "1"})
    await sim.advance(2)
    assert sim.status("app")["phase"] == "Failed"
    sim.delete("app")  # a terminal pod goes at once
    assert not sim.exists("app")

    second = sim.create("app")
    assert second["metadata"]["uid"] != first["metadata"]["uid"]
    await sim.advance(0)
    status = sim.status("app")
    assert status["phase"] == "Pending"
    assert status["startTime"] == ts(2)
    assert without_ids(status["containerStatuses"][0]) == waiting("ContainerCreating")
    await sim.advance(1)
    assert sim.status("app")["phase"] == "Running"
    assert sim.container("app")["restartCount"] == 0


# ---------------------------------------------------------------- what a watcher sees

async def test_a_watcher_sees_one_event_per_real_change(sim: Sim) -> None:
    sim.create("web", annotations={"sigterm-seconds": "1"})
    await sim.advance(3)
    sim.delete("web")
    await sim.advance(2)

    events = sim.history("web")
    phases = [(kind, obj.get("status", {}).get("phase")) for kind, obj in events]
    assert phases == [("ADDED", "Pending"), ("MODIFIED", "Pending"), ("MODIFIED", "Running"),
                      ("MODIFIED", "Running"),  # deletionTimestamp set
                      ("MODIFIED", "Failed"), ("DELETED", "Failed")]
    versions = [int(obj["metadata"]["resourceVersion"]) for _, obj in events]
    assert versions == sorted(set(versions))

    def content(obj: Obj) -> Obj:
        return {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}}
    # Every MODIFIED changes something (DELETED repeats the final state, as it should).
    for (_, before), (kind, after) in itertools.pairwise(events):
        if kind == "MODIFIED":
            assert content(before) != content(after)


async def test_a_status_write_that_changes_nothing_does_not_bump_the_resource_version(sim: Sim) -> None:
    sim.create("web")
    await sim.advance(1)
    rv = sim.store.resource_version
    seen = len(sim.history("web"))

    # Everything that makes the kubelet re-render the status: a node round trip,
    # an unrelated metadata change, and time passing.
    sim.kubelet.set_node_up(NODE, False)
    sim.kubelet.set_node_up(NODE, True)
    await sim.advance(30)
    assert sim.store.resource_version == rv
    sim.store.update_with("pods", "default", "web",
                          lambda p: {**p, "metadata": {**p["metadata"], "labels": {"tier": "front"}}})
    await sim.advance(30)

    assert sim.store.resource_version == rv + 1
    assert [kind for kind, _ in sim.history("web")[seen:]] == ["MODIFIED"]
