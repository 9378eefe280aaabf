"""Pod status -> Mesos task state (executor/status.py): one table row per rule of the module's
docstring table, with pods shaped like a kubelet (and kubesim's kubelet) writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from executor.status import (
    PARTITION_AWARE_STATES,
    TERMINAL_STATES,
    Observation,
    ObserveContext,
    for_framework,
    is_terminal,
    observe,
)
from mesoshim.pb.mesos.v1 import mesos_pb2

S = mesos_pb2.TaskStatus
NOW = 1_700_000_000.0
IP = "10.244.3.17"
T0 = "2026-01-01T00:00:00Z"

# ---------------------------------------------------------------- realistic pod shapes


def waiting(reason: str, message: str = "") -> dict[str, Any]:
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


def running() -> dict[str, Any]:
    return {"running": {"startedAt": T0}}


def terminated(code: int, reason: str = "Error", message: str = "", signal: int | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"exitCode": code, "reason": reason, "startedAt": T0, "finishedAt": T0,
                             "containerID": "containerd://abc"}
    if message:
        state["message"] = message
    if signal is not None:
        state["signal"] = signal
    return {"terminated": state}


def container(name: str, state: dict[str, Any], *, ready: bool = False) -> dict[str, Any]:
    return {"name": name, "image": "busybox:1.36", "imageID": "", "ready": ready, "restartCount": 0,
            "started": "running" in state, "state": state, "lastState": {}}


def condition(kind: str, ok: bool, reason: str = "", message: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None,
                           "lastTransitionTime": T0}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def pod(phase: str = "Pending", task: dict[str, Any] | None = None, *, init: dict[str, Any] | None = None,
        ready: bool = False, reason: str = "", message: str = "", deleting: bool = False,
        extra_conditions: list[dict[str, Any]] | None = None, status: bool = True) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "sleeper-1-0123456789", "namespace": "mesos", "uid": "u-1",
                     "annotations": {"mesos.apache.org/task-id": "sleeper-1"}},
        "spec": {"nodeName": "node-3", "restartPolicy": "Never", "containers": [{"name": "task"}]},
    }
    if deleting:
        obj["metadata"]["deletionTimestamp"] = T0
        obj["metadata"]["deletionGracePeriodSeconds"] = 3
    if not status:
        return obj
    terminal = phase in ("Succeeded", "Failed")
    st: dict[str, Any] = {
        "phase": phase,
        "conditions": [condition("PodReadyToStartContainers", not terminal), condition("Initialized", True),
                       condition("Ready", ready and not terminal), condition("ContainersReady", ready),
                       condition("PodScheduled", True), *(extra_conditions or [])],
        "hostIP": "192.168.0.3", "podIP": IP, "podIPs": [{"ip": IP}], "startTime": T0, "qosClass": "Guaranteed",
    }
    if task is not None:
        st["containerStatuses"] = [container("task", task, ready=ready)]
    if init is not None:
        st["initContainerStatuses"] = [container("fetch-uris", init)]
    if reason:
        st["reason"], st["message"] = reason, message
    obj["status"] = st
    return obj


DISRUPTION = condition("DisruptionTarget", True, "TerminationByKubelet", "The node was low on resource: memory. ")
TAINT_DISRUPTION = condition("DisruptionTarget", True, "DeletionByTaintManager",
                             "Taint manager: deleting due to NoExecute taint")

# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Row:
    pod: dict[str, Any] | None
    expected: dict[str, Any] | None  # Observation fields to compare; None: no observation
    context: dict[str, Any] = field(default_factory=dict)


ROWS: dict[str, Row] = {
    "A1 absent, never seen, kill": Row(None, dict(
        state=mesos_pb2.TASK_KILLED, reason=S.REASON_TASK_KILLED_DURING_LAUNCH, source=S.SOURCE_AGENT,
        message="Task killed before its pod was created"), {"kill_requested": True}),
    "A2 absent, never seen": Row(None, None),
    "A3 absent, last seen Succeeded": Row(None, dict(
        state=mesos_pb2.TASK_FINISHED, reason=None, source=S.SOURCE_EXECUTOR, exit_code=0),
        {"pod_was_seen": True, "last_pod": pod("Succeeded", terminated(0, "Completed"))}),
    "A3 absent, last seen Failed, kill": Row(None, dict(
        state=mesos_pb2.TASK_KILLED, source=S.SOURCE_EXECUTOR, message="Command terminated with signal Terminated",
        exit_code=143),
        {"pod_was_seen": True, "kill_requested": True, "last_pod": pod("Failed", terminated(143), deleting=True)}),
    "A4 absent, kill": Row(None, dict(
        state=mesos_pb2.TASK_KILLED, reason=None, source=S.SOURCE_AGENT, message="Container was killed"),
        {"pod_was_seen": True, "kill_requested": True, "last_pod": pod("Running", running(), deleting=True)}),
    "A4 absent, kill, never left Pending": Row(None, dict(
        state=mesos_pb2.TASK_KILLED, reason=S.REASON_TASK_KILLED_DURING_LAUNCH, source=S.SOURCE_AGENT),
        {"pod_was_seen": True, "kill_requested": True,
         "last_pod": pod("Pending", waiting("ContainerCreating"), deleting=True)}),
    "A5 absent, node gone": Row(None, dict(
        state=mesos_pb2.TASK_GONE, reason=S.REASON_AGENT_REMOVED, source=S.SOURCE_MASTER,
        message="Agent removed: its node was deleted"), {"pod_was_seen": True, "node_state": "gone"}),
    "A6 absent, last seen with DisruptionTarget": Row(None, dict(
        state=mesos_pb2.TASK_GONE, reason=S.REASON_CONTAINER_PREEMPTED, source=S.SOURCE_AGENT,
        message="Container preempted: DeletionByTaintManager: Taint manager: deleting due to NoExecute taint"),
        {"pod_was_seen": True,
         "last_pod": pod("Running", running(), deleting=True, extra_conditions=[TAINT_DISRUPTION])}),
    "A7 absent, deleted by someone else": Row(None, dict(
        state=mesos_pb2.TASK_GONE, reason=S.REASON_EXECUTOR_TERMINATED, source=S.SOURCE_AGENT,
        message="Pod was deleted outside mesoshim"), {"pod_was_seen": True}),
    "T1 Succeeded": Row(pod("Succeeded", terminated(0, "Completed")), dict(
        state=mesos_pb2.TASK_FINISHED, reason=None, source=S.SOURCE_EXECUTOR,
        message="Command exited with status 0", exit_code=0, container_ip=IP)),
    "T1 Succeeded after a kill (exit 0 wins)": Row(pod("Succeeded", terminated(0, "Completed"), deleting=True),
                                                   dict(state=mesos_pb2.TASK_FINISHED, exit_code=0),
                                                   {"kill_requested": True}),
    "T2 Failed, kill": Row(pod("Failed", terminated(137), deleting=True), dict(
        state=mesos_pb2.TASK_KILLED, reason=None, source=S.SOURCE_EXECUTOR,
        message="Command terminated with signal Killed", exit_code=137), {"kill_requested": True}),
    "T3 admission rejected, OutOfcpu": Row(pod("Failed", reason="OutOfcpu", message=(
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 3500, capacity: 4000")),
        dict(state=mesos_pb2.TASK_DROPPED, reason=S.REASON_CONTAINER_LAUNCH_FAILED, source=S.SOURCE_AGENT,
             message=("Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 3500, "
                      "capacity: 4000"), launch_failure=True)),
    "T3 admission rejected, NodeAffinity": Row(pod("Failed", reason="NodeAffinity", message=(
        "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector")),
        dict(state=mesos_pb2.TASK_DROPPED, reason=S.REASON_CONTAINER_LAUNCH_FAILED, launch_failure=True)),
    "T4 fetch-uris failed": Row(pod("Failed", waiting("PodInitializing"), init=terminated(
        1, message="fetch-uris: http://x/y.tgz -> y.tgz\ncurl: (22) The requested URL returned error: 404\n")),
        dict(state=mesos_pb2.TASK_FAILED, reason=S.REASON_CONTAINER_LAUNCH_FAILED, source=S.SOURCE_AGENT,
             message=("Failed to launch container: Failed to fetch all URIs for container: fetch-uris: "
                      "http://x/y.tgz -> y.tgz\ncurl: (22) The requested URL returned error: 404"),
             launch_failure=True)),
    "T4 fetch-uris failed without a message": Row(pod("Failed", waiting("PodInitializing"), init=terminated(2)),
                                                  dict(message=("Failed to launch container: Failed to fetch all "
                                                                "URIs for container: fetch-uris exited with status 2"),
                                                       reason=S.REASON_CONTAINER_LAUNCH_FAILED)),
    "T5 DeadlineExceeded": Row(pod("Failed", terminated(143), reason="DeadlineExceeded",
                                   message="Pod was active on the node longer than the specified deadline"),
                               dict(state=mesos_pb2.TASK_FAILED, reason=S.REASON_MAX_COMPLETION_TIME_REACHED,
                                    source=S.SOURCE_EXECUTOR, exit_code=143,
                                    message=("Task max completion time reached: Pod was active on the node "
                                             "longer than the specified deadline"))),
    "T6 Evicted for ephemeral storage": Row(pod("Failed", terminated(137), reason="Evicted", message=(
        "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. ")),
        dict(state=mesos_pb2.TASK_FAILED, reason=S.REASON_CONTAINER_LIMITATION_DISK, source=S.SOURCE_AGENT,
             message="Disk limit exceeded: Pod ephemeral local storage usage exceeds the total limit of "
                     "containers 1Gi.")),
    "T7 Evicted for node pressure": Row(pod("Failed", terminated(137), reason="Evicted",
                                            message="The node was low on resource: memory. ",
                                            extra_conditions=[DISRUPTION]),
                                        dict(state=mesos_pb2.TASK_GONE, reason=S.REASON_CONTAINER_PREEMPTED,
                                             source=S.SOURCE_AGENT, exit_code=137,
                                             message="Container preempted: Evicted: The node was low on "
                                                     "resource: memory.")),
    "T7 DisruptionTarget on a failed pod": Row(pod("Failed", terminated(143), extra_conditions=[TAINT_DISRUPTION]),
                                               dict(state=mesos_pb2.TASK_GONE, reason=S.REASON_CONTAINER_PREEMPTED,
                                                    message=("Container preempted: DeletionByTaintManager: Taint "
                                                             "manager: deleting due to NoExecute taint"))),
    "T8 OOMKilled": Row(pod("Failed", terminated(137, "OOMKilled")), dict(
        state=mesos_pb2.TASK_FAILED, reason=S.REASON_CONTAINER_LIMITATION_MEMORY, source=S.SOURCE_AGENT,
        exit_code=137, message="Memory limit exceeded: the container was OOM-killed "
                               "(Command terminated with signal Killed)")),
    "T9 StartError": Row(pod("Failed", terminated(128, "StartError", "exec: \"nope\": executable file not found")),
                         dict(state=mesos_pb2.TASK_FAILED, reason=S.REASON_CONTAINER_LAUNCH_FAILED,
                              source=S.SOURCE_AGENT, launch_failure=True, exit_code=128,
                              message=('Failed to launch container: StartError: exec: "nope": executable file '
                                       'not found'))),
    "T10 exit status": Row(pod("Failed", terminated(3)), dict(
        state=mesos_pb2.TASK_FAILED, reason=S.REASON_COMMAND_EXECUTOR_FAILED, source=S.SOURCE_EXECUTOR,
        message="Command exited with status 3", exit_code=3, container_ip=IP)),
    "T10 signal": Row(pod("Failed", terminated(143)), dict(
        state=mesos_pb2.TASK_FAILED, reason=S.REASON_COMMAND_EXECUTOR_FAILED, source=S.SOURCE_EXECUTOR,
        message="Command terminated with signal Terminated", exit_code=143)),
    "T10 signal field": Row(pod("Failed", terminated(2, signal=9)), dict(
        message="Command terminated with signal Killed", exit_code=2)),
    "T11 Failed, nothing known": Row(pod("Failed", reason="UnexpectedTermination", message="something broke"),
                                     dict(state=mesos_pb2.TASK_FAILED, reason=S.REASON_EXECUTOR_TERMINATED,
                                          source=S.SOURCE_AGENT, message="UnexpectedTermination: something broke",
                                          exit_code=None)),
    "T11 ContainerStatusUnknown": Row(pod("Failed", terminated(
        137, "ContainerStatusUnknown", "The container could not be located when the pod was terminated")),
        dict(state=mesos_pb2.TASK_FAILED, reason=S.REASON_EXECUTOR_TERMINATED, source=S.SOURCE_AGENT, exit_code=137,
             message="ContainerStatusUnknown: The container could not be located when the pod was terminated")),
    "N1 node unreachable": Row(pod("Running", running(), ready=True), dict(
        state=mesos_pb2.TASK_UNREACHABLE, reason=S.REASON_AGENT_REMOVED, source=S.SOURCE_MASTER,
        message="Agent node-3 is unreachable"), {"node_state": "unreachable", "kill_requested": True}),
    "N1 terminal pod on an unreachable node stays terminal": Row(
        pod("Succeeded", terminated(0, "Completed")), dict(state=mesos_pb2.TASK_FINISHED),
        {"node_state": "unreachable"}),
    "N2 node gone": Row(pod("Running", running()), dict(
        state=mesos_pb2.TASK_GONE, reason=S.REASON_AGENT_REMOVED, source=S.SOURCE_MASTER),
        {"node_state": "gone"}),
    "K1 kill, deletionTimestamp": Row(pod("Running", running(), deleting=True), dict(
        state=mesos_pb2.TASK_KILLING, reason=None, source=S.SOURCE_EXECUTOR, container_ip=IP),
        {"kill_requested": True}),
    "K1 kill, delete not seen yet": Row(pod("Pending", waiting("ContainerCreating")), dict(
        state=mesos_pb2.TASK_KILLING), {"kill_requested": True}),
    "W1 InvalidImageName": Row(pod("Pending", waiting("InvalidImageName", 'couldn\'t parse image name "A:B"')),
                               dict(state=mesos_pb2.TASK_FAILED, reason=S.REASON_CONTAINER_LAUNCH_FAILED,
                                    source=S.SOURCE_AGENT, launch_failure=True,
                                    message=('Failed to launch container: InvalidImageName: couldn\'t parse image '
                                             'name "A:B"')),
                               {"waiting_since": NOW}),
    "W1 ErrImageNeverPull": Row(pod("Pending", waiting("ErrImageNeverPull")), dict(
        state=mesos_pb2.TASK_FAILED, launch_failure=True, message="Failed to launch container: ErrImageNeverPull")),
    "W2 ImagePullBackOff past the timeout": Row(pod("Pending", waiting("ImagePullBackOff",
                                                                       'Back-off pulling image "nope:1"')),
                                                dict(state=mesos_pb2.TASK_FAILED,
                                                     reason=S.REASON_CONTAINER_LAUNCH_FAILED, source=S.SOURCE_AGENT,
                                                     launch_failure=True, message=(
                                                         'Failed to launch container: ImagePullBackOff: Back-off '
                                                         'pulling image "nope:1"')),
                                                {"waiting_since": NOW - 300}),
    "W2 CreateContainerConfigError, custom timeout": Row(
        pod("Pending", waiting("CreateContainerConfigError", 'configmap "x" not found')),
        dict(state=mesos_pb2.TASK_FAILED, launch_failure=True),
        {"waiting_since": NOW - 11, "launch_failure_timeout": 10}),
    "W3 ErrImagePull within the timeout": Row(pod("Pending", waiting("ErrImagePull", "not found")), dict(
        state=mesos_pb2.TASK_STARTING, reason=None, source=S.SOURCE_EXECUTOR, launch_failure=False,
        message="Waiting: ErrImagePull: not found"), {"waiting_since": NOW - 299}),
    "W3 fetcher image pull": Row(pod("Pending", waiting("PodInitializing"), init=waiting("ImagePullBackOff")),
                                 dict(state=mesos_pb2.TASK_STARTING, message="Waiting: ImagePullBackOff"),
                                 {"waiting_since": None}),
    "P1 ContainerCreating": Row(pod("Pending", waiting("ContainerCreating")), dict(
        state=mesos_pb2.TASK_STARTING, reason=None, source=S.SOURCE_EXECUTOR, message="", container_ip=IP)),
    "P1 fetching URIs": Row(pod("Pending", waiting("PodInitializing"), init=running()),
                            dict(state=mesos_pb2.TASK_STARTING)),
    "P1 no status yet": Row(pod(status=False), dict(state=mesos_pb2.TASK_STARTING, container_ip=None)),
    "R1 Running, healthy": Row(pod("Running", running(), ready=True), dict(
        state=mesos_pb2.TASK_RUNNING, reason=None, source=S.SOURCE_EXECUTOR, healthy=True, container_ip=IP),
        {"has_health_check": True}),
    "R1 Running, unhealthy": Row(pod("Running", running(), ready=False), dict(
        state=mesos_pb2.TASK_RUNNING, healthy=False), {"has_health_check": True}),
    "R1 Running, no health check": Row(pod("Running", running(), ready=True), dict(
        state=mesos_pb2.TASK_RUNNING, healthy=None)),
    "R1 Running, deleted by someone else": Row(pod("Running", running(), deleting=True), dict(
        state=mesos_pb2.TASK_RUNNING)),
    "X1 phase Unknown": Row(pod("Unknown"), None),
}


@pytest.mark.parametrize("row", list(ROWS.values()), ids=list(ROWS))
def test_observe(row: Row) -> None:
    ctx = ObserveContext(**{"now": NOW, "pod_was_seen": row.pod is not None, **row.context})
    observation = observe(row.pod, ctx)
    if row.expected is None:
        assert observation is None
        return
    assert observation is not None
    assert {name: getattr(observation, name) for name in row.expected} == row.expected


def test_every_rule_of_the_docstring_has_a_row() -> None:
    import executor.status as module

    documented = {line.split()[0] for line in (module.__doc__ or "").splitlines()
                  if line[:1] in "ATNKWPRX" and line[1:2].isdigit()}
    tested = {name.split()[0] for name in ROWS}
    assert documented == tested


def test_observe_is_deterministic_and_returns_observations() -> None:
    row = ROWS["T10 exit status"]
    first = observe(row.pod, ObserveContext(now=NOW, pod_was_seen=True))
    assert first == observe(row.pod, ObserveContext(now=NOW + 1000, pod_was_seen=True))
    assert isinstance(first, Observation)


def test_node_state_is_checked() -> None:
    with pytest.raises(ValueError, match="node_state"):
        ObserveContext(now=NOW, node_state="down")


# ---------------------------------------------------------------- for_framework, terminal states

FOR_FRAMEWORK = [
    # state, partition_aware, killing_capable, expected
    (mesos_pb2.TASK_RUNNING, False, False, mesos_pb2.TASK_RUNNING),
    (mesos_pb2.TASK_KILLING, False, False, None),
    (mesos_pb2.TASK_KILLING, True, True, mesos_pb2.TASK_KILLING),
    (mesos_pb2.TASK_KILLING, False, True, mesos_pb2.TASK_KILLING),
    (mesos_pb2.TASK_UNREACHABLE, False, True, mesos_pb2.TASK_LOST),
    (mesos_pb2.TASK_UNREACHABLE, True, False, mesos_pb2.TASK_UNREACHABLE),
    (mesos_pb2.TASK_GONE, False, False, mesos_pb2.TASK_LOST),
    (mesos_pb2.TASK_GONE, True, False, mesos_pb2.TASK_GONE),
    (mesos_pb2.TASK_GONE_BY_OPERATOR, False, False, mesos_pb2.TASK_LOST),
    (mesos_pb2.TASK_DROPPED, False, False, mesos_pb2.TASK_LOST),
    (mesos_pb2.TASK_DROPPED, True, False, mesos_pb2.TASK_DROPPED),
    (mesos_pb2.TASK_UNKNOWN, False, False, mesos_pb2.TASK_LOST),
    (mesos_pb2.TASK_FAILED, False, False, mesos_pb2.TASK_FAILED),
    (mesos_pb2.TASK_LOST, True, True, mesos_pb2.TASK_LOST),
]


@pytest.mark.parametrize(("state", "partition_aware", "killing_capable", "expected"), FOR_FRAMEWORK,
                         ids=[f"{mesos_pb2.TaskState.Name(r[0])}-pa{int(r[1])}-k{int(r[2])}" for r in FOR_FRAMEWORK])
def test_for_framework(state: int, partition_aware: bool, killing_capable: bool, expected: int | None) -> None:
    assert for_framework(state, partition_aware, killing_capable) == expected


def test_terminal_states() -> None:
    terminal = {mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_KILLED, mesos_pb2.TASK_ERROR,
                mesos_pb2.TASK_LOST, mesos_pb2.TASK_DROPPED, mesos_pb2.TASK_GONE, mesos_pb2.TASK_GONE_BY_OPERATOR}
    assert terminal == TERMINAL_STATES
    for state in mesos_pb2.TaskState.values():
        assert is_terminal(state) == (state in terminal)
    assert mesos_pb2.TASK_UNREACHABLE in PARTITION_AWARE_STATES
    assert not is_terminal(mesos_pb2.TASK_UNREACHABLE)
