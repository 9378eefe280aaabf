"""What the core asks the shells to do. The core returns these; it never does I/O itself."""

from __future__ import annotations

from dataclasses import dataclass

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2


@dataclass(frozen=True, slots=True)
class SendEvent:
    """Write one event on a subscription stream (the framework's, when the master made it)."""

    framework_id: str
    stream_id: str
    event: scheduler_pb2.Event


@dataclass(frozen=True, slots=True)
class CloseStream:
    """End a subscription stream (after the events already queued on it)."""

    framework_id: str
    stream_id: str


@dataclass(frozen=True, slots=True)
class CreatePod:
    """Launch a task as a pod on the agent's node."""

    framework_id: str
    task: mesos_pb2.TaskInfo
    node_name: str


@dataclass(frozen=True, slots=True)
class DeletePod:
    """Delete a task's pod; `grace_seconds` None means the pod's own grace period."""

    framework_id: str
    task_id: str
    grace_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class SaveFramework:
    """Persist a framework's record so a restarted shim knows it."""

    framework_id: str
    info: mesos_pb2.FrameworkInfo


@dataclass(frozen=True, slots=True)
class ForgetFramework:
    framework_id: str


Effect = SendEvent | CloseStream | CreatePod | DeletePod | SaveFramework | ForgetFramework
