"""What Kubernetes shows about a task's pod, as a Mesos task state (mesos-api.md §5, §6).

:func:`observe` reads one pod object (or its absence) plus what the caller knows
(:class:`ObserveContext`: the time, whether the framework asked for a kill, the node's
state, ...) and returns the :class:`Observation` a Mesos agent would report, or ``None``
when there is nothing to report. It is pure and level-triggered: the same pod and context
always give the same answer, so a missed or repeated watch event changes nothing. The
caller diffs observations against what it last sent (for instance to set
``REASON_TASK_HEALTH_CHECK_STATUS_UPDATED`` when only ``healthy`` changed), tracks
``waiting_since``, and converts states for the framework with :func:`for_framework`.

The rules, in the order they are tried; the first match wins. A rules apply to an absent
pod, T rules to an ended one (phase Succeeded or Failed, whatever the node's state), the
others to a live one (``kill`` = ``kill_requested``, "node" = ``node_state``;
MASTER/AGENT/EXECUTOR = ``TaskStatus.Source``; every observation carries the task
container's exit code where it is known, and the pod IP as ``container_ip``):

=====  ============================================  ==================  ========  ==================================  ==========================================
Rule   Pod                                           State               Source    Reason                              Message
=====  ============================================  ==================  ========  ==================================  ==========================================
A1     absent, never seen, kill                      TASK_KILLED         AGENT     TASK_KILLED_DURING_LAUNCH           Task killed before its pod was created
A2     absent, never seen                            (None)
A3     absent, last seen terminal                    the last pod's state by rules T1-T11 (its end was not yet reported)
A4     absent, kill                                  TASK_KILLED         AGENT     none (TASK_KILLED_DURING_LAUNCH if  Container was killed
                                                                                   it never left Pending)
A5     absent, node gone                             TASK_GONE           MASTER    AGENT_REMOVED                       Agent removed: its node was deleted
A6     absent, last seen with DisruptionTarget       TASK_GONE           AGENT     CONTAINER_PREEMPTED                 the condition's reason and message
A7     absent (deleted by someone else)              TASK_GONE           AGENT     EXECUTOR_TERMINATED                 Pod was deleted outside mesoshim
T1     Succeeded                                     TASK_FINISHED       EXECUTOR  none                                Command exited with status 0
T2     Failed, kill                                  TASK_KILLED         EXECUTOR  none                                Command terminated with signal ... / exited
T3     Failed, kubelet admission rejection           TASK_DROPPED        AGENT     CONTAINER_LAUNCH_FAILED             Pod was rejected: ...  (launch_failure)
       (OutOf*, NodeAffinity, ``Pod was rejected``)
T4     Failed, init container ``fetch-uris`` failed  TASK_FAILED         AGENT     CONTAINER_LAUNCH_FAILED             Failed to launch container: Failed to fetch
                                                                                                                       all URIs for container: ... (launch_failure)
T5     Failed, reason DeadlineExceeded               TASK_FAILED         EXECUTOR  MAX_COMPLETION_TIME_REACHED         Task max completion time reached
T6     Failed, Evicted for ephemeral storage         TASK_FAILED         AGENT     CONTAINER_LIMITATION_DISK           Disk limit exceeded: ...
T7     Failed, Evicted or DisruptionTarget           TASK_GONE           AGENT     CONTAINER_PREEMPTED                 Container preempted: <reason>: <message>
T8     Failed, container OOMKilled                   TASK_FAILED         AGENT     CONTAINER_LIMITATION_MEMORY         Memory limit exceeded: ...
T9     Failed, container StartError /                TASK_FAILED         AGENT     CONTAINER_LAUNCH_FAILED             Failed to launch container: ... (launch_failure)
       ContainerCannotRun
T10    Failed, container ended (exit N / signal S)   TASK_FAILED         EXECUTOR  COMMAND_EXECUTOR_FAILED             Command exited with status N / terminated
                                                                                                                       with signal <strsignal(S)>
T11    Failed, nothing else known (no container      TASK_FAILED         AGENT     EXECUTOR_TERMINATED                 the pod's or container's message, or
       end, or ContainerStatusUnknown)                                                                             Pod failed
N1     live pod, node unreachable                    TASK_UNREACHABLE    MASTER    AGENT_REMOVED                       Agent <node> is unreachable
N2     live pod, node gone                           TASK_GONE           MASTER    AGENT_REMOVED                       Agent removed: its node was deleted
K1     live pod, kill (deletionTimestamp or not)     TASK_KILLING        EXECUTOR  none                                Killing the task
W1     waiting InvalidImageName / ErrImageNeverPull  TASK_FAILED         AGENT     CONTAINER_LAUNCH_FAILED             Failed to launch container: <reason>:
                                                                                                                       <message> (launch_failure)
W2     waiting ErrImagePull, ImagePullBackOff,       TASK_FAILED         AGENT     CONTAINER_LAUNCH_FAILED             as W1 (launch_failure)
       Create/RunContainer(Config)Error, for
       ``launch_failure_timeout`` or longer
W3     the same, for a shorter time                  TASK_STARTING       EXECUTOR  none                                Waiting: <reason>: <message>
P1     Pending (ContainerCreating, PodInitializing,  TASK_STARTING       EXECUTOR  none                                ""
       no status yet)
R1     Running                                       TASK_RUNNING        EXECUTOR  none                                ""; healthy = Ready if has_health_check
X1     anything else (phase Unknown)                 (None)
=====  ============================================  ==================  ========  ==================================  ==========================================

Choices, and why:

* T1/T2 follow the command executor: exit 0 is TASK_FINISHED even after a kill; any other
  end after a kill is TASK_KILLED (``src/launcher/executor.cpp``).
* T3: a kubelet rejects a pod whose ``nodeName`` was preset when the node cannot take it:
  the shim's view of the node was stale. That is TASK_DROPPED's meaning ("failed to launch
  because of a transient error; the executor never started; launching again may
  succeed"), not TASK_FAILED (which counts against the task) nor TASK_ERROR (invalid task).
* T6/T7, A6: the kubelet evicting a pod for node pressure, and the eviction API, taint
  manager or PodGC deleting it (condition ``DisruptionTarget``), are what Mesos calls
  preemption: the agent reports TASK_LOST, or TASK_GONE to partition-aware frameworks,
  with REASON_CONTAINER_PREEMPTED (the agent's QoS corrections). Evictions because the pod
  itself used more ephemeral storage than it asked for are the disk limitation instead.
* A7: a pod deleted by someone other than the shim, without a known disruption, ran an
  executor that vanished without a terminal update: TASK_GONE (it will not come back;
  TASK_LOST for frameworks that are not partition-aware) with REASON_EXECUTOR_TERMINATED.
* N1 uses REASON_AGENT_REMOVED, as the Mesos master does when it marks an agent
  unreachable (mesos-api.md §6.6); a terminal pod on an unreachable node is still reported
  as ended (its status was written before the partition).
* K1 also applies before the shim's DELETE shows up in the cache: the command executor
  sends TASK_KILLING as soon as it receives the kill. A pod being deleted by someone else
  (deletionTimestamp without ``kill``) keeps its state until it is gone (then A3-A7).
* R1: ``healthy`` is the pod's Ready condition (the readiness probe built from the health
  check); a task without a health check reports no health.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mesoshim.pb.mesos.v1 import mesos_pb2

from .translate import FETCH_CONTAINER, TASK_CONTAINER

__all__ = [
    "NODE_STATES",
    "PARTITION_AWARE_STATES",
    "TERMINAL_STATES",
    "Observation",
    "ObserveContext",
    "for_framework",
    "is_terminal",
    "observe",
]

Pod = Mapping[str, Any]
#: The values of ``ObserveContext.node_state``.
NODE_STATES: Final = ("ready", "unreachable", "gone")

_S = mesos_pb2.TaskStatus
_SOURCE_MASTER: Final = _S.SOURCE_MASTER
_SOURCE_AGENT: Final = _S.SOURCE_AGENT
_SOURCE_EXECUTOR: Final = _S.SOURCE_EXECUTOR

#: Terminal states (``protobuf::isTerminalState``; TASK_LOST included, mesos-api.md §6.3).
TERMINAL_STATES: Final[frozenset[int]] = frozenset({
    mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_KILLED, mesos_pb2.TASK_ERROR,
    mesos_pb2.TASK_LOST, mesos_pb2.TASK_DROPPED, mesos_pb2.TASK_GONE, mesos_pb2.TASK_GONE_BY_OPERATOR,
})

#: States only PARTITION_AWARE frameworks may see; the others get TASK_LOST.
PARTITION_AWARE_STATES: Final[frozenset[int]] = frozenset({
    mesos_pb2.TASK_DROPPED, mesos_pb2.TASK_UNREACHABLE, mesos_pb2.TASK_GONE,
    mesos_pb2.TASK_GONE_BY_OPERATOR, mesos_pb2.TASK_UNKNOWN,
})

#: Waiting reasons that fail the launch at once.
FATAL_WAITING: Final = frozenset({"InvalidImageName", "ErrImageNeverPull"})
#: Waiting reasons that fail the launch once they last ``launch_failure_timeout``.
RETRIED_WAITING: Final = frozenset({"ErrImagePull", "ImagePullBackOff", "CreateContainerConfigError",
                                    "CreateContainerError", "RunContainerError"})
#: Pod reasons of kubelet admission rejections besides ``OutOf<resource>``.
ADMISSION_REASONS: Final = frozenset({"NodeAffinity", "NodeNotFound", "NodePorts", "NodeName",
                                      "TaintToleration", "InvalidNodeInfo", "UnexpectedAdmissionError",
                                      "PodOSNotSupported", "PodOSSelectorNodeLabelDoesNotMatch"})
_START_FAILURES: Final = frozenset({"StartError", "ContainerCannotRun"})
_DISK_EVICTION_WORDS: Final = ("ephemeral local storage", "local ephemeral storage", "emptydir")


def is_terminal(state: int) -> bool:
    """Whether ``state`` ends the task (TASK_LOST included, as Mesos counts it)."""
    return state in TERMINAL_STATES


def for_framework(state: int, partition_aware: bool, killing_capable: bool) -> int | None:
    """The state to send a framework, given its capabilities; None: send nothing.

    Without PARTITION_AWARE, the partition-aware states become TASK_LOST; without
    TASK_KILLING_STATE, TASK_KILLING is not sent (mesos-api.md §6.3; aurora.md §8.1).
    """
    if state == mesos_pb2.TASK_KILLING and not killing_capable:
        return None
    if state in PARTITION_AWARE_STATES and not partition_aware:
        return mesos_pb2.TASK_LOST
    return state


@dataclass(frozen=True)
class ObserveContext:
    """What the caller knows besides the pod.

    ``waiting_since`` is when the caller first saw the current waiting reason (it keeps
    that clock); ``pod_was_seen`` says the pod existed before, so an absent pod means it
    disappeared; ``last_pod`` is the last version of the pod the caller saw (for example
    the object of the DELETED watch event), consulted only when the pod is absent.
    ``node_state`` is one of :data:`NODE_STATES` (the node is Ready; its lease or Ready
    condition went stale; the node object is gone).
    """

    now: float
    kill_requested: bool = False
    node_state: str = "ready"
    has_health_check: bool = False
    launch_failure_timeout: float = 300.0
    waiting_since: float | None = None
    pod_was_seen: bool = False
    last_pod: Pod | None = None

    def __post_init__(self) -> None:
        if self.node_state not in NODE_STATES:
            raise ValueError(f"node_state must be one of {NODE_STATES}, not {self.node_state!r}")


@dataclass(frozen=True)
class Observation:
    """A task status as a Mesos agent would report it (without ids, uuid and timestamp).

    ``launch_failure``: the container never ran; the caller deletes the pod if it still
    exists (and the resources may be offered again).
    """

    state: int
    reason: int | None
    source: int
    message: str
    healthy: bool | None = None
    container_ip: str | None = None
    exit_code: int | None = None
    launch_failure: bool = False


# ---------------------------------------------------------------- reading a pod


def _status(pod: Pod) -> Mapping[str, Any]:
    return pod.get("status") or {}


def _phase(pod: Pod) -> str:
    return str(_status(pod).get("phase") or "Pending")


def _container(pod: Pod, name: str, init: bool = False) -> Mapping[str, Any] | None:
    key = "initContainerStatuses" if init else "containerStatuses"
    for status in _status(pod).get(key) or []:
        if status.get("name") == name:
            return status
    return None


def _main(pod: Pod) -> Mapping[str, Any] | None:
    main = _container(pod, TASK_CONTAINER)
    if main is None:  # a pod not made by translate: its first container
        statuses = _status(pod).get("containerStatuses") or []
        main = statuses[0] if statuses else None
    return main


def _terminated(container: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if container is None:
        return None
    return ((container.get("state") or {}).get("terminated")) or None


def _condition(pod: Pod, kind: str) -> Mapping[str, Any] | None:
    for condition in _status(pod).get("conditions") or []:
        if condition.get("type") == kind:
            return condition
    return None


def _disruption(pod: Pod) -> Mapping[str, Any] | None:
    condition = _condition(pod, "DisruptionTarget")
    return condition if condition is not None and condition.get("status") == "True" else None


def _ip(pod: Pod) -> str | None:
    ip = _status(pod).get("podIP")
    return str(ip) if ip else None


def _node(pod: Pod) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def _exit_code(terminated: Mapping[str, Any] | None) -> int | None:
    if terminated is None or terminated.get("exitCode") is None:
        return None
    return int(terminated["exitCode"])


def _exit_signal(terminated: Mapping[str, Any]) -> int | None:
    if terminated.get("signal"):
        return int(terminated["signal"])
    code = _exit_code(terminated)
    if code is not None and 128 < code <= 128 + 64:  # how runtimes report a signal death
        return code - 128
    return None


def _exit_message(terminated: Mapping[str, Any] | None, subject: str = "Command") -> str:
    """The command executor's words: ``Command exited with status N`` / ``... signal S``."""
    if terminated is None:
        return f"{subject} terminated"
    number = _exit_signal(terminated)
    if number is not None:
        name: str | None = None
        with contextlib.suppress(ValueError):
            name = signal.strsignal(number)
        return f"{subject} terminated with signal {name or number}"
    return f"{subject} exited with status {_exit_code(terminated)}"


def _waiting(pod: Pod) -> Mapping[str, Any] | None:
    """The first waiting state with a launch-failure reason, init containers first."""
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in _status(pod).get(key) or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in FATAL_WAITING | RETRIED_WAITING:
                return waiting
    return None


def _is_admission_rejection(pod: Pod) -> bool:
    status = _status(pod)
    reason = str(status.get("reason") or "")
    message = str(status.get("message") or "")
    return reason.startswith("OutOf") or reason in ADMISSION_REASONS or message.startswith("Pod was rejected")


def _launch_failed(message: str, *, state: int = mesos_pb2.TASK_FAILED, pod: Pod | None = None,
                   exit_code: int | None = None) -> Observation:
    return Observation(state, _S.REASON_CONTAINER_LAUNCH_FAILED, _SOURCE_AGENT, message,
                       container_ip=_ip(pod) if pod is not None else None, exit_code=exit_code,
                       launch_failure=True)


# ---------------------------------------------------------------- the rules


def observe(pod: Pod | None, ctx: ObserveContext) -> Observation | None:
    """The task state Kubernetes shows (see the table in the module docstring)."""
    if pod is None:
        return _absent(ctx)
    phase = _phase(pod)
    if phase in ("Succeeded", "Failed"):
        return _ended(pod, phase, ctx.kill_requested)
    return _live(pod, phase, ctx)


def _absent(ctx: ObserveContext) -> Observation | None:
    last = ctx.last_pod
    if not ctx.pod_was_seen:
        if ctx.kill_requested:  # A1
            return Observation(mesos_pb2.TASK_KILLED, _S.REASON_TASK_KILLED_DURING_LAUNCH, _SOURCE_AGENT,
                               "Task killed before its pod was created")
        return None  # A2
    if last is not None and _phase(last) in ("Succeeded", "Failed"):  # A3
        return _ended(last, _phase(last), ctx.kill_requested)
    if ctx.kill_requested:  # A4
        never_ran = last is not None and _phase(last) == "Pending"
        return Observation(mesos_pb2.TASK_KILLED, _S.REASON_TASK_KILLED_DURING_LAUNCH if never_ran else None,
                           _SOURCE_AGENT, "Container was killed",
                           exit_code=_exit_code(_terminated(_main(last))) if last is not None else None)
    if ctx.node_state == "gone":  # A5
        return Observation(mesos_pb2.TASK_GONE, _S.REASON_AGENT_REMOVED, _SOURCE_MASTER,
                           "Agent removed: its node was deleted")
    disruption = _disruption(last) if last is not None else None
    if disruption is not None:  # A6
        return Observation(mesos_pb2.TASK_GONE, _S.REASON_CONTAINER_PREEMPTED, _SOURCE_AGENT,
                           _disruption_message(disruption))
    return Observation(mesos_pb2.TASK_GONE, _S.REASON_EXECUTOR_TERMINATED, _SOURCE_AGENT,  # A7
                       "Pod was deleted outside mesoshim")


def _disruption_message(condition: Mapping[str, Any]) -> str:
    reason = str(condition.get("reason") or "DisruptionTarget")
    message = str(condition.get("message") or "").strip()
    return f"Container preempted: {reason}: {message}" if message else f"Container preempted: {reason}"


def _ended(pod: Pod, phase: str, kill_requested: bool) -> Observation:
    status = _status(pod)
    main = _main(pod)
    terminated = _terminated(main)
    code = _exit_code(terminated)
    ip = _ip(pod)
    pod_reason = str(status.get("reason") or "")
    pod_message = str(status.get("message") or "").strip()
    if phase == "Succeeded":  # T1
        return Observation(mesos_pb2.TASK_FINISHED, None, _SOURCE_EXECUTOR, "Command exited with status 0",
                           container_ip=ip, exit_code=0 if code is None else code)
    if kill_requested:  # T2
        return Observation(mesos_pb2.TASK_KILLED, None, _SOURCE_EXECUTOR, _exit_message(terminated),
                           container_ip=ip, exit_code=code)
    if _is_admission_rejection(pod):  # T3
        return _launch_failed(pod_message or f"Pod was rejected: {pod_reason}", state=mesos_pb2.TASK_DROPPED,
                              pod=pod)
    fetcher = _terminated(_container(pod, FETCH_CONTAINER, init=True))
    if fetcher is not None and _exit_code(fetcher) != 0:  # T4
        detail = str(fetcher.get("message") or "").strip() or _exit_message(fetcher, FETCH_CONTAINER)
        return _launch_failed(f"Failed to launch container: Failed to fetch all URIs for container: {detail}",
                              pod=pod, exit_code=code)
    if pod_reason == "DeadlineExceeded":  # T5
        return Observation(mesos_pb2.TASK_FAILED, _S.REASON_MAX_COMPLETION_TIME_REACHED, _SOURCE_EXECUTOR,
                           "Task max completion time reached" + (f": {pod_message}" if pod_message else ""),
                           container_ip=ip, exit_code=code)
    disruption = _disruption(pod)
    if pod_reason == "Evicted" and any(word in pod_message.lower() for word in _DISK_EVICTION_WORDS):  # T6
        return Observation(mesos_pb2.TASK_FAILED, _S.REASON_CONTAINER_LIMITATION_DISK, _SOURCE_AGENT,
                           f"Disk limit exceeded: {pod_message}", container_ip=ip, exit_code=code)
    if pod_reason == "Evicted" or disruption is not None:  # T7
        message = (f"Container preempted: {pod_reason}: {pod_message}" if pod_reason and pod_message
                   else _disruption_message(disruption or {"reason": pod_reason}))
        return Observation(mesos_pb2.TASK_GONE, _S.REASON_CONTAINER_PREEMPTED, _SOURCE_AGENT, message,
                           container_ip=ip, exit_code=code)
    if terminated is not None:
        reason = str(terminated.get("reason") or "")
        detail = str(terminated.get("message") or "").strip()
        if reason == "OOMKilled":  # T8
            return Observation(mesos_pb2.TASK_FAILED, _S.REASON_CONTAINER_LIMITATION_MEMORY, _SOURCE_AGENT,
                               f"Memory limit exceeded: the container was OOM-killed ({_exit_message(terminated)})",
                               container_ip=ip, exit_code=code)
        if reason in _START_FAILURES:  # T9
            return _launch_failed(f"Failed to launch container: {reason}: {detail}" if detail
                                  else f"Failed to launch container: {reason}", pod=pod, exit_code=code)
        if code is not None and reason != "ContainerStatusUnknown":  # T10
            return Observation(mesos_pb2.TASK_FAILED, _S.REASON_COMMAND_EXECUTOR_FAILED, _SOURCE_EXECUTOR,
                               _exit_message(terminated), container_ip=ip, exit_code=code)
    if not pod_message and terminated is not None:
        pod_reason = str(terminated.get("reason") or pod_reason)
        pod_message = str(terminated.get("message") or "").strip()
    message = (f"{pod_reason}: {pod_message}" if pod_reason and pod_message
               else pod_message or (f"Pod failed: {pod_reason}" if pod_reason else "Pod failed"))
    return Observation(mesos_pb2.TASK_FAILED, _S.REASON_EXECUTOR_TERMINATED, _SOURCE_AGENT, message,  # T11
                       container_ip=ip, exit_code=code)


def _live(pod: Pod, phase: str, ctx: ObserveContext) -> Observation | None:
    ip = _ip(pod)
    if ctx.node_state == "unreachable":  # N1
        return Observation(mesos_pb2.TASK_UNREACHABLE, _S.REASON_AGENT_REMOVED, _SOURCE_MASTER,
                           f"Agent {_node(pod)} is unreachable", container_ip=ip)
    if ctx.node_state == "gone":  # N2
        return Observation(mesos_pb2.TASK_GONE, _S.REASON_AGENT_REMOVED, _SOURCE_MASTER,
                           "Agent removed: its node was deleted", container_ip=ip)
    if ctx.kill_requested:  # K1
        return Observation(mesos_pb2.TASK_KILLING, None, _SOURCE_EXECUTOR, "Killing the task", container_ip=ip)
    waiting = _waiting(pod)
    if waiting is not None:
        reason = str(waiting.get("reason"))
        detail = str(waiting.get("message") or "").strip()
        words = f"{reason}: {detail}" if detail else reason
        overdue = (ctx.waiting_since is not None
                   and ctx.now - ctx.waiting_since >= ctx.launch_failure_timeout)
        if reason in FATAL_WAITING or overdue:  # W1, W2
            return _launch_failed(f"Failed to launch container: {words}", pod=pod)
        return Observation(mesos_pb2.TASK_STARTING, None, _SOURCE_EXECUTOR, f"Waiting: {words}",  # W3
                           container_ip=ip)
    if phase == "Pending":  # P1
        return Observation(mesos_pb2.TASK_STARTING, None, _SOURCE_EXECUTOR, "", container_ip=ip)
    if phase == "Running":  # R1
        healthy: bool | None = None
        if ctx.has_health_check:
            ready = _condition(pod, "Ready")
            healthy = None if ready is None else ready.get("status") == "True"
        return Observation(mesos_pb2.TASK_RUNNING, None, _SOURCE_EXECUTOR, "", healthy=healthy, container_ip=ip)
    return None  # X1
