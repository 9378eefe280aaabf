"""The master's records: frameworks, agents, offers and tasks. Plain data, no behaviour
beyond bookkeeping that must stay consistent (an agent's offered and used sums)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.resources import Resources
from mesoshim.updates import UpdateStream

TaskState = int
CAP = mesos_pb2.FrameworkInfo.Capability


@dataclass(frozen=True)
class AgentSpec:
    """What a Kubernetes node looks like as a Mesos agent (built by executor.agents)."""

    agent_id: str
    node_name: str
    hostname: str
    address: str
    total: Resources
    attributes: tuple[mesos_pb2.Attribute, ...] = ()
    schedulable: bool = True  # not cordoned and Ready: may be offered
    reachable: bool = True  # Ready is not Unknown: its tasks are not partitioned


@dataclass(slots=True)
class Offer:
    offer_id: str
    framework_id: str
    agent_id: str
    resources: Resources
    created: float


@dataclass
class Agent:
    spec: AgentSpec
    foreign: Resources = field(default_factory=Resources)  # requests of pods that are not our tasks
    ours: Resources = field(default_factory=Resources)  # our live tasks' resources
    offered: Resources = field(default_factory=Resources)
    offers: dict[str, Offer] = field(default_factory=dict)
    tasks: set[tuple[str, str]] = field(default_factory=set)
    # The subset of `tasks` run by custom executors (offers list their executor ids).
    executor_tasks: set[tuple[str, str]] = field(default_factory=set)
    gone: bool = False
    unreachable_since: float | None = None  # when its node's readiness became Unknown
    _free: Resources | None = None
    _base: tuple[AgentSpec, Resources, Resources, Resources] | None = None
    # The serialized agent-only part of its offers, for the spec it was built from.
    offer_part: tuple[AgentSpec, bytes] | None = None

    @property
    def agent_id(self) -> str:
        return self.spec.agent_id

    def free(self) -> Resources:
        """What may still be offered: total minus every pod's requests minus outstanding offers."""
        if self._free is None:
            self._free = self._unused() - self.offered
        return self._free

    def _unused(self) -> Resources:
        """total - foreign - ours, kept while none of the three is replaced (offers come and go
        far more often: a cycle that re-offers every agent then costs one subtraction each)."""
        spec, foreign, ours = self.spec, self.foreign, self.ours
        base = self._base
        if base is None or base[0] is not spec or base[1] is not foreign or base[2] is not ours:
            base = self._base = (spec, foreign, ours, spec.total - foreign - ours)
        return base[3]

    def overcommitted(self) -> bool:
        """True when outstanding offers no longer fit beside what runs on the node."""
        return not self._unused().contains(self.offered)

    def changed(self) -> None:
        self._free = None


@dataclass
class Task:
    framework_id: str
    task_id: str
    agent_id: str
    node_name: str
    info: mesos_pb2.TaskInfo
    resources: Resources
    state: TaskState = mesos_pb2.TASK_STAGING
    # The state of the latest update sent to the framework (what reconciliation answers).
    sent_state: TaskState | None = None
    healthy: bool | None = None
    reason: int | None = None
    message: str = ""
    container_ip: str | None = None
    updates: UpdateStream = field(default_factory=UpdateStream)
    kill_requested: bool = False
    pod: dict[str, Any] | None = None
    last_pod: dict[str, Any] | None = None
    pod_seen: bool = False
    waiting_since: float | None = None
    waiting_reason: str = ""
    terminal: bool = False
    holding: bool = False  # its resources count against its agent
    statuses: list[tuple[int, float]] = field(default_factory=list)  # (state, timestamp) for /state

    @property
    def executor_id(self) -> str:
        return self.info.executor.executor_id.value if self.info.HasField("executor") else self.task_id


@dataclass(slots=True)
class Filter:
    resources: Resources
    expires: float


@dataclass
class Framework:
    framework_id: str
    info: mesos_pb2.FrameworkInfo
    registered_time: float
    stream_id: str | None = None
    connected: bool = False
    failover_deadline: float | None = None
    suppressed: bool = False
    filters: dict[str, Filter] = field(default_factory=dict)  # by agent id
    offers: dict[str, Offer] = field(default_factory=dict)
    offer_agents: set[str] = field(default_factory=set)
    tasks: dict[str, Task] = field(default_factory=dict)
    # cpus of the live tasks holding resources on agents (the framework's allocation share)
    task_cpus: float = 0.0
    completed_tasks: deque[Task] = field(default_factory=lambda: deque(maxlen=1000))
    unregistered_time: float | None = None

    def has(self, capability: int) -> bool:
        return any(c.type == capability for c in self.info.capabilities)

    @property
    def partition_aware(self) -> bool:
        return self.has(CAP.PARTITION_AWARE)

    @property
    def killing_capable(self) -> bool:
        return self.has(CAP.TASK_KILLING_STATE)

    @property
    def multi_role(self) -> bool:
        return self.has(CAP.MULTI_ROLE)

    @property
    def role(self) -> str:
        if self.multi_role and self.info.roles:
            return self.info.roles[0]
        return self.info.role or "*"
