"""The Mesos master as a pure state machine.

Inputs are scheduler calls, subscription changes, what the Kubernetes watches
report (agents from nodes, pods of our tasks, other pods' usage) and clock
ticks; each returns the effects the shells must carry out (events to write,
pods to create or delete, records to persist). Time always arrives as an
argument; nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid as uuidlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from executor.status import Observation, ObserveContext, for_framework, is_terminal, observe
from mesoshim import events
from mesoshim.effects import (
    CloseStream,
    CreatePod,
    DeletePod,
    Effect,
    ForgetFramework,
    SaveFramework,
    SendEvent,
)
from mesoshim.model import Agent, AgentSpec, Filter, Framework, Offer, Task
from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2
from mesoshim.resources import Resources
from mesoshim.updates import RETRY_MIN_SECONDS
from mesoshim.validation import (
    normalize_task,
    refuse_seconds,
    validate_framework_info,
    validate_offer_ids,
    validate_task,
)

Call = scheduler_pb2.Call
Status = mesos_pb2.TaskStatus
Effects = list[Effect]

MIN_CPUS = Resources.from_scalars({"cpus": 0.01})
MIN_MEM = Resources.from_scalars({"mem": 32})


@dataclass
class MasterConfig:
    allocation_interval: float = 1.0
    offer_timeout: float | None = None
    launch_failure_timeout: float = 300.0
    # A recovered framework whose record was lost gets this long to come back.
    recovered_failover_timeout: float = 7 * 24 * 3600.0
    max_completed_frameworks: int = 50
    # The first retry of an unacknowledged status update (it doubles up to 10 min), as the
    # agent's STATUS_UPDATE_RETRY_INTERVAL_MIN.
    status_update_retry_interval: float = RETRY_MIN_SECONDS
    # Announced in SUBSCRIBED; the HTTP edge beats at this interval.
    heartbeat_interval: float = events.HEARTBEAT_INTERVAL_SECONDS


class Master:
    def __init__(self, master_info: mesos_pb2.MasterInfo, config: MasterConfig | None = None,
                 new_uuid: Callable[[], bytes] | None = None) -> None:
        self.info = master_info
        self.master_id = master_info.id
        self.config = config or MasterConfig()
        self.new_uuid = new_uuid or (lambda: uuidlib.uuid4().bytes)
        self.frameworks: dict[str, Framework] = {}
        self.completed_frameworks: deque[Framework] = deque(maxlen=self.config.max_completed_frameworks)
        self.removed_framework_ids: set[str] = set()
        self.agents: dict[str, Agent] = {}  # by agent id
        self.agents_by_node: dict[str, str] = {}
        self.offers: dict[str, Offer] = {}
        self._framework_seq = itertools.count()
        self._offer_seq = itertools.count(1)
        self._rotation = 0
        self._waiting: set[tuple[str, str]] = set()  # tasks whose pod waits (launch failure timer)
        self._unacknowledged: set[tuple[str, str]] = set()  # tasks with reliable updates in flight
        self._resource_parts: dict[tuple[Resources, str | None], bytes] = {}

    # ================================================================ guard view

    def framework_registered(self, framework_id: str) -> bool:
        return framework_id in self.frameworks

    def framework_connected(self, framework_id: str) -> bool:
        fw = self.frameworks.get(framework_id)
        return fw is not None and fw.connected

    def framework_stream_id(self, framework_id: str) -> str | None:
        fw = self.frameworks.get(framework_id)
        return fw.stream_id if fw is not None else None

    # ================================================================ subscription

    def subscribe(self, call: Call, stream_id: str, now: float) -> Effects:
        """A SUBSCRIBE on a new stream. Refusals are an ERROR event and a close, as Mesos does."""
        info = mesos_pb2.FrameworkInfo()
        info.CopyFrom(call.subscribe.framework_info)
        problem = validate_framework_info(info)
        fid = info.id.value if info.HasField("id") else ""
        if problem is None and fid in self.removed_framework_ids:
            problem = "Framework has been removed"
        if problem is not None:
            return [SendEvent("", stream_id, events.error(problem)), CloseStream("", stream_id)]
        effects: Effects = []
        fw = self.frameworks.get(fid) if fid else None
        if fw is None:
            if not fid:
                fid = f"{self.master_id}-{next(self._framework_seq):04d}"
                info.id.value = fid
            fw = Framework(fid, info, registered_time=now)
            self.frameworks[fid] = fw
        else:
            if fw.connected and fw.stream_id is not None:
                effects.append(self._send(fw, events.error("Framework failed over")))
                effects.append(CloseStream(fid, fw.stream_id))
            # user and checkpoint are immutable on re-subscription: keep the old values.
            if fw.info.user:  # a placeholder rebuilt from pods alone has no user to keep
                info.user = fw.info.user
            if fw.info.HasField("checkpoint"):
                info.checkpoint = fw.info.checkpoint
            fw.info = info
            self._discard_offers(fw)
        fw.stream_id = stream_id
        fw.connected = True
        fw.failover_deadline = None
        fw.unregistered_time = None
        fw.suppressed = bool(call.subscribe.suppressed_roles) and set(call.subscribe.suppressed_roles) >= {fw.role}
        effects.append(SaveFramework(fid, info))
        effects.append(self._send(fw, events.subscribed(fid, self.info, self.config.heartbeat_interval)))
        for task in fw.tasks.values():
            head = task.updates.resend(now)
            if head is not None:
                effects.append(self._send_update(fw, task, head))
        effects.extend(self.allocate(now, [fw]))
        return effects

    def disconnected(self, framework_id: str, stream_id: str, now: float) -> Effects:
        """The subscription stream closed (client went away)."""
        fw = self.frameworks.get(framework_id)
        if fw is None or fw.stream_id != stream_id or not fw.connected:
            return []
        fw.connected = False
        fw.unregistered_time = now
        self._discard_offers(fw)
        fw.failover_deadline = now + fw.info.failover_timeout
        if fw.info.failover_timeout <= 0:
            return self._remove_framework(fw, now)
        return []

    # ================================================================ calls

    def handle(self, call: Call, now: float) -> Effects:
        """A non-SUBSCRIBE call that the guard admitted (framework connected, stream id matches)."""
        fw = self.frameworks[call.framework_id.value]
        handler = _HANDLERS.get(call.type)
        return handler(self, fw, call, now) if handler is not None else []

    def _teardown(self, fw: Framework, call: Call, now: float) -> Effects:
        return self._remove_framework(fw, now)

    def _decline(self, fw: Framework, call: Call, now: float) -> Effects:
        duration = refuse_seconds(call.decline.filters if call.decline.HasField("filters") else None,
                                  self.config.allocation_interval)
        for offer_id in call.decline.offer_ids:
            offer = fw.offers.get(offer_id.value)
            if offer is not None:
                self._release_offer(offer, filter_seconds=duration, now=now)
        return []

    def _revive(self, fw: Framework, call: Call, now: float) -> Effects:
        roles = list(call.revive.roles)
        if roles and any(r != fw.role for r in roles):
            return []  # Mesos drops the whole call when a role is not the framework's
        fw.suppressed = False
        fw.filters.clear()
        return self.allocate(now, [fw])

    def _suppress(self, fw: Framework, call: Call, now: float) -> Effects:
        roles = list(call.suppress.roles)
        if roles and any(r != fw.role for r in roles):
            return []
        fw.suppressed = True
        return []

    def _accept_inverse(self, fw: Framework, call: Call, now: float) -> Effects:
        return []  # kubesim/Kubernetes maintenance does not produce inverse offers

    def _noop(self, fw: Framework, call: Call, now: float) -> Effects:
        return []  # REQUEST, MESSAGE (no executors to relay to), ACKNOWLEDGE_OPERATION_STATUS

    def _accept(self, fw: Framework, call: Call, now: float) -> Effects:
        accept = call.accept
        effects: Effects = []
        ids = [o.value for o in accept.offer_ids]
        error = validate_offer_ids(ids, self._offer_owner, fw.framework_id)
        if error is not None:
            for oid in ids:
                offer = self.offers.get(oid)
                if offer is not None and offer.framework_id == fw.framework_id:
                    self._release_offer(offer, filter_seconds=0.0, now=now)
            state = mesos_pb2.TASK_DROPPED if fw.partition_aware else mesos_pb2.TASK_LOST
            for op in accept.operations:
                for task in _launched_tasks(op):
                    effects.append(self._master_update(
                        fw, task.task_id.value, task.agent_id.value, state,
                        Status.REASON_INVALID_OFFERS, f"Task launched with invalid offers: {error}", now))
                if op.type not in (op.LAUNCH, op.LAUNCH_GROUP) and op.HasField("id"):
                    effects.append(self._send(fw, events.operation_error(
                        op.id.value, f"Operation attempted with invalid offers: {error}", None)))
            return effects
        offers = [self.offers[oid] for oid in ids]
        agent = self.agents.get(offers[0].agent_id)
        remaining = Resources()
        for offer in offers:
            remaining = remaining + offer.resources
            self._remove_offer(offer)
        for op in accept.operations:
            if op.type == op.LAUNCH:
                for task in op.launch.task_infos:
                    if op.HasField("id"):
                        effects.append(self._master_update(
                            fw, task.task_id.value, task.agent_id.value, mesos_pb2.TASK_ERROR,
                            Status.REASON_TASK_INVALID, "The `id` field cannot be set on LAUNCH operations", now))
                        continue
                    _, remaining = self._launch(fw, agent, task, remaining, now, effects)
            elif op.type == op.LAUNCH_GROUP:
                for task in op.launch_group.task_group.tasks:
                    effects.append(self._master_update(
                        fw, task.task_id.value, task.agent_id.value, mesos_pb2.TASK_ERROR,
                        Status.REASON_TASK_GROUP_INVALID,
                        "LAUNCH_GROUP is not supported by mesoshim: task groups cannot run as pods yet", now))
            elif op.HasField("id"):
                effects.append(self._send(fw, events.operation_error(
                    op.id.value, f"Operation {mesos_pb2.Offer.Operation.Type.Name(op.type)} is not supported "
                                 "by mesoshim: agents are Kubernetes nodes without reservations or volumes",
                    offers[0].agent_id)))
        if agent is not None and not remaining.is_empty():
            duration = refuse_seconds(accept.filters if accept.HasField("filters") else None,
                                      self.config.allocation_interval)
            self._install_filter(fw, agent.agent_id, remaining, duration, now)
        return effects

    def _launch(self, fw: Framework, agent: Agent | None, info: mesos_pb2.TaskInfo,
                remaining: Resources, now: float, effects: Effects) -> tuple[bool, Resources]:
        task_id, agent_id = info.task_id.value, info.agent_id.value
        if agent is None or agent.gone:
            state = mesos_pb2.TASK_DROPPED if fw.partition_aware else mesos_pb2.TASK_LOST
            effects.append(self._master_update(fw, task_id, agent_id, state, Status.REASON_AGENT_REMOVED,
                                               "Agent removed", now))
            return False, remaining
        if not agent.spec.reachable:
            state = mesos_pb2.TASK_DROPPED if fw.partition_aware else mesos_pb2.TASK_LOST
            effects.append(self._master_update(fw, task_id, agent_id, state,
                                               Status.REASON_AGENT_DISCONNECTED, "Agent disconnected", now))
            return False, remaining
        # The master's own edits come first (spec §3.2 step 4): ExecutorInfo.framework_id, health
        # check type; resources without allocation_info count as allocated to the offers' role.
        normalized = mesos_pb2.TaskInfo()
        normalized.CopyFrom(info)
        normalize_task(normalized, framework_id=fw.framework_id)
        info = normalized
        error = validate_task(info, agent_id=agent.agent_id, offered=remaining, used_task_ids=fw.tasks,
                              framework_id=fw.framework_id, executor_running=False, allocation_role=fw.role)
        if error is not None:
            effects.append(self._master_update(fw, task_id, agent_id, mesos_pb2.TASK_ERROR,
                                               Status.REASON_TASK_INVALID, error, now))
            return False, remaining
        resources = Resources.from_proto(list(info.resources))
        if info.HasField("executor"):
            resources = resources + Resources.from_proto(list(info.executor.resources))
        task = Task(fw.framework_id, task_id, agent.agent_id, agent.spec.node_name, info, resources)
        task.updates.retry_min = self.config.status_update_retry_interval
        task.statuses.append((mesos_pb2.TASK_STAGING, now))
        fw.tasks[task_id] = task
        self._hold(fw, agent, task)
        effects.append(CreatePod(fw.framework_id, info, agent.spec.node_name))
        return True, remaining - resources

    def _kill(self, fw: Framework, call: Call, now: float) -> Effects:
        task_id = call.kill.task_id.value
        task = fw.tasks.get(task_id)
        if task is None:
            agent_id = call.kill.agent_id.value if call.kill.HasField("agent_id") else None
            return self._reconcile_unknown(fw, task_id, agent_id, now)
        if task.terminal:
            return []  # ended, its terminal update not yet acknowledged: nothing left to kill
        if call.kill.HasField("agent_id") and call.kill.agent_id.value != task.agent_id:
            return []  # Mesos ignores a kill naming the wrong agent
        task.kill_requested = True
        grace = None
        policy = call.kill.kill_policy if call.kill.HasField("kill_policy") else (
            task.info.kill_policy if task.info.HasField("kill_policy") else None)
        if policy is not None and policy.HasField("grace_period"):
            grace = policy.grace_period.nanoseconds / 1e9
        effects: Effects = [DeletePod(fw.framework_id, task_id, grace)]
        effects.extend(self._observe(fw, task, now))
        return effects

    def _shutdown(self, fw: Framework, call: Call, now: float) -> Effects:
        """SHUTDOWN of an executor: kill the tasks it runs (for us, the pods of that executor id)."""
        effects: Effects = []
        executor_id = call.shutdown.executor_id.value
        for task in list(fw.tasks.values()):
            if task.executor_id == executor_id and task.agent_id == call.shutdown.agent_id.value \
                    and not task.terminal:
                task.kill_requested = True
                effects.append(DeletePod(fw.framework_id, task.task_id, None))
        return effects

    def _acknowledge(self, fw: Framework, call: Call, now: float) -> Effects:
        task = fw.tasks.get(call.acknowledge.task_id.value)
        if task is None:
            return []
        acked, following = task.updates.acknowledge(call.acknowledge.uuid, now)
        effects: Effects = []
        if following is not None:
            effects.append(self._send_update(fw, task, following))
        if acked is not None and is_terminal(acked.state) and task.updates.head is None:
            del fw.tasks[task.task_id]
            fw.completed_tasks.append(task)
            if task.pod is not None:
                effects.append(DeletePod(fw.framework_id, task.task_id, 0.0))
        return effects

    def _reconcile(self, fw: Framework, call: Call, now: float) -> Effects:
        effects: Effects = []
        if not call.reconcile.tasks:
            for task in fw.tasks.values():
                if task.state == mesos_pb2.TASK_UNREACHABLE:
                    continue
                effects.append(self._reconcile_known(fw, task, now))
            return effects
        for entry in call.reconcile.tasks:
            known = fw.tasks.get(entry.task_id.value)
            if known is not None and known.state != mesos_pb2.TASK_UNREACHABLE:
                effects.append(self._reconcile_known(fw, known, now))
            else:
                agent_id = entry.agent_id.value if entry.HasField("agent_id") else None
                effects.extend(self._reconcile_unknown(fw, entry.task_id.value, agent_id, now))
        return effects

    def _reconcile_operations(self, fw: Framework, call: Call, now: float) -> Effects:
        """No operation with an id ever succeeds here (no reservations or volumes), so an
        explicit reconciliation learns each one is unknown; an implicit one learns nothing."""
        return [self._send(fw, events.operation_status(
                    entry.operation_id.value, mesos_pb2.OPERATION_UNKNOWN, "Reconciliation: Operation is unknown",
                    entry.agent_id.value if entry.HasField("agent_id") else None))
                for entry in call.reconcile_operations.operations]

    def _reconcile_known(self, fw: Framework, task: Task, now: float) -> Effect:
        state = task.sent_state if task.sent_state is not None else task.state
        status = self._status(fw, task.task_id, task.agent_id, state, Status.SOURCE_MASTER,
                              Status.REASON_RECONCILIATION, "Reconciliation: Latest task state", now,
                              executor_id=task.executor_id)
        if task.healthy is not None:
            status.healthy = task.healthy
        _set_ip(status, task.container_ip)
        return self._send(fw, events.update(status))

    def _reconcile_unknown(self, fw: Framework, task_id: str, agent_id: str | None, now: float) -> Effects:
        agent = self.agents.get(agent_id) if agent_id else None
        if agent is not None and not agent.gone and agent.spec.reachable:
            state, message = mesos_pb2.TASK_GONE, "Reconciliation: Task is unknown to the agent"
        elif agent is not None and not agent.gone:
            state, message = mesos_pb2.TASK_UNREACHABLE, "Reconciliation: Task is unreachable"
        else:
            state, message = mesos_pb2.TASK_UNKNOWN, "Reconciliation: Task is unknown"
        if not fw.partition_aware:
            state = mesos_pb2.TASK_LOST
        status = self._status(fw, task_id, agent_id, state, Status.SOURCE_MASTER,
                              Status.REASON_RECONCILIATION, message, now)
        if agent is not None and agent.unreachable_since is not None and not agent.gone \
                and not agent.spec.reachable:
            status.unreachable_time.nanoseconds = int(agent.unreachable_since * 1e9)
        return [self._send(fw, events.update(status))]

    # ================================================================ time

    def tick(self, now: float) -> Effects:
        """Failover timeouts, offer timeouts, update retries, launch timeouts, then allocation."""
        effects: Effects = []
        for fw in list(self.frameworks.values()):
            if not fw.connected and fw.failover_deadline is not None and now >= fw.failover_deadline:
                effects.extend(self._remove_framework(fw, now))
        timeout = self.config.offer_timeout
        if timeout is not None:
            for offer in [o for o in self.offers.values() if now - o.created >= timeout]:
                fw = self.frameworks[offer.framework_id]
                effects.append(self._send(fw, events.rescind(offer.offer_id)))
                self._release_offer(offer, filter_seconds=0.0, now=now)
        for key in list(self._waiting):
            fw_w = self.frameworks.get(key[0])
            task_w = fw_w.tasks.get(key[1]) if fw_w else None
            if fw_w is None or task_w is None:
                self._waiting.discard(key)
                continue
            effects.extend(self._observe(fw_w, task_w, now))
        for key in list(self._unacknowledged):
            fw_u = self.frameworks.get(key[0])
            task_u = fw_u.tasks.get(key[1]) if fw_u else None
            if fw_u is None or task_u is None or task_u.updates.head is None:
                self._unacknowledged.discard(key)
                continue
            if fw_u.connected:
                head = task_u.updates.retry(now)
                if head is not None:
                    effects.append(self._send_update(fw_u, task_u, head))
        effects.extend(self.allocate(now))
        return effects

    # ================================================================ allocation

    def allocate(self, now: float, frameworks: Iterable[Framework] | None = None) -> Effects:
        """Offer each agent's free resources, at most one offer per agent per framework.

        As Mesos' DRF allocator: agent by agent, the framework with the smallest share of
        offered-plus-used cpus gets the agent's free resources, and its share grows before
        the next agent, so a newcomer is not starved by one that already holds most of the
        cluster and equal frameworks split the agents.
        """
        candidates = [fw for fw in (frameworks if frameworks is not None else self.frameworks.values())
                      if fw.connected and not fw.suppressed]
        if not candidates or not self.agents:
            return []
        shares = {fw.framework_id: self._share(fw) for fw in candidates}
        candidates.sort(key=lambda fw: (shares[fw.framework_id], fw.registered_time))
        agents = list(self.agents.values())
        start = self._rotation % len(agents)
        self._rotation += 1
        order = agents[start:] + agents[:start]
        made: dict[str, scheduler_pb2.Event] = {}
        # (role, allocation role) per framework: FrameworkInfo properties cost a scan of capabilities
        roles = {fw.framework_id: (fw.role, fw.role if fw.multi_role else None) for fw in candidates}
        for agent in order:
            if agent.gone or not agent.spec.schedulable:
                continue
            ordered = candidates if len(candidates) == 1 else sorted(
                candidates, key=lambda f: shares[f.framework_id])  # stable: ties keep order
            for fw in ordered:
                if agent.agent_id in fw.offer_agents:
                    continue
                free = agent.free()
                if not (free.contains(MIN_CPUS) or free.contains(MIN_MEM)):
                    break
                refused = fw.filters.get(agent.agent_id)
                if refused is not None:
                    if now < refused.expires and refused.resources.contains(free):
                        continue
                    if now >= refused.expires:
                        del fw.filters[agent.agent_id]
                event = made.get(fw.framework_id)
                if event is None:
                    event = made[fw.framework_id] = events.offers(())
                self._make_offer(fw, agent, free, now, event.offers.offers.add(),
                                 roles[fw.framework_id][1])  # built in place: no copy
                shares[fw.framework_id] += free.scalar("cpus")
                break  # the agent's free resources are all in that offer
        return [self._send(fw, made[fw.framework_id]) for fw in candidates
                if fw.framework_id in made]

    def _share(self, fw: Framework) -> float:
        return fw.task_cpus + sum(o.resources.scalar("cpus") for o in fw.offers.values())

    def _make_offer(self, fw: Framework, agent: Agent, free: Resources, now: float,
                    message: mesos_pb2.Offer, allocation_role: str | None) -> mesos_pb2.Offer:
        offer_id = f"{self.master_id}-O{next(self._offer_seq)}"
        record = Offer(offer_id, fw.framework_id, agent.agent_id, free, now)
        self.offers[offer_id] = record
        fw.offers[offer_id] = record
        fw.offer_agents.add(agent.agent_id)
        agent.offers[offer_id] = record
        agent.offered = agent.offered + free
        agent.changed()
        # The agent's part (hostname, url, attributes) and the resources' part are serialized
        # once and merged in C: building 5,000 offers field by field dominated a cycle.
        message.MergeFromString(_agent_part(agent) + self._resources_part(free, allocation_role))
        message.id.value = offer_id
        message.framework_id.value = fw.framework_id
        if allocation_role is not None:
            message.allocation_info.role = allocation_role
        for fid, tid in agent.executor_tasks:
            task = fw.tasks.get(tid) if fid == fw.framework_id else None
            if task is not None and not task.terminal:
                message.executor_ids.add().CopyFrom(task.info.executor.executor_id)
        return message

    def _resources_part(self, free: Resources, allocation_role: str | None) -> bytes:
        """`Offer.resources` for these resources, serialized (many agents have the same free)."""
        key = (free, allocation_role)
        part = self._resource_parts.get(key)
        if part is None:
            if len(self._resource_parts) > 10_000:
                self._resource_parts.clear()
            message = mesos_pb2.Offer()
            message.resources.extend(free.to_proto(allocation_role=allocation_role))
            part = self._resource_parts[key] = message.SerializePartialToString()
        return part

    def _offer_owner(self, offer_id: str) -> tuple[str, str] | None:
        offer = self.offers.get(offer_id)
        return (offer.framework_id, offer.agent_id) if offer is not None else None

    def _remove_offer(self, offer: Offer) -> None:
        self.offers.pop(offer.offer_id, None)
        fw = self.frameworks.get(offer.framework_id)
        if fw is not None:
            fw.offers.pop(offer.offer_id, None)
            fw.offer_agents.discard(offer.agent_id)
        agent = self.agents.get(offer.agent_id)
        if agent is not None and agent.offers.pop(offer.offer_id, None) is not None:
            agent.offered = agent.offered - offer.resources
            agent.changed()

    def _release_offer(self, offer: Offer, *, filter_seconds: float, now: float) -> None:
        self._remove_offer(offer)
        fw = self.frameworks.get(offer.framework_id)
        if fw is not None and filter_seconds > 0:
            self._install_filter(fw, offer.agent_id, offer.resources, filter_seconds, now)

    def _install_filter(self, fw: Framework, agent_id: str, resources: Resources, seconds: float,
                        now: float) -> None:
        if seconds > 0:
            fw.filters[agent_id] = Filter(resources, now + seconds)

    def _discard_offers(self, fw: Framework) -> None:
        """Return a framework's offers without telling it (disconnect, failover, removal)."""
        for offer in list(fw.offers.values()):
            self._remove_offer(offer)

    def _rescind_agent_offers(self, agent: Agent) -> Effects:
        effects: Effects = []
        for offer in list(agent.offers.values()):
            fw = self.frameworks.get(offer.framework_id)
            if fw is not None and fw.connected:
                effects.append(self._send(fw, events.rescind(offer.offer_id)))
            self._remove_offer(offer)
        return effects

    # ================================================================ cluster inputs

    def agent_updated(self, spec: AgentSpec, now: float) -> Effects:
        """A node appeared or changed (capacity, readiness, cordon, labels)."""
        agent_id = self.agents_by_node.get(spec.node_name)
        if agent_id is not None and agent_id != spec.agent_id:
            effects = self.agent_removed(spec.node_name, now)  # the node was recreated
        else:
            effects = []
        agent = self.agents.get(spec.agent_id)
        if agent is None:
            agent = Agent(spec, unreachable_since=None if spec.reachable else now)
            self.agents[spec.agent_id] = agent
            self.agents_by_node[spec.node_name] = spec.agent_id
            return effects
        previous = agent.spec
        agent.spec = spec
        agent.changed()
        if not spec.schedulable or agent.overcommitted():
            effects.extend(self._rescind_agent_offers(agent))
        if previous.reachable != spec.reachable:
            agent.unreachable_since = None if spec.reachable else now
            effects.extend(self._agent_reachability_changed(agent, now))
        return effects

    def _agent_reachability_changed(self, agent: Agent, now: float) -> Effects:
        effects: Effects = []
        for fid, tid in list(agent.tasks):
            fw = self.frameworks.get(fid)
            task = fw.tasks.get(tid) if fw else None
            if fw is None or task is None or task.terminal:
                continue
            if agent.spec.reachable and task.state == mesos_pb2.TASK_UNREACHABLE:
                # The agent is back: tell the framework the task's current state (what its pod
                # shows now) with REASON_AGENT_REREGISTERED; a change since the partition then
                # follows as a reliable update, as the agent's pending updates do.
                before = next((state for state, _ in reversed(task.statuses)
                               if state != mesos_pb2.TASK_UNREACHABLE), mesos_pb2.TASK_STAGING)
                observation = self._observation(fw, task, now, "ready")
                current = before if observation is None else observation.state
                state = for_framework(current, fw.partition_aware, fw.killing_capable)
                if state is None:  # TASK_KILLING for a framework without TASK_KILLING_STATE
                    state = for_framework(before, fw.partition_aware, fw.killing_capable) or before
                task.state = before
                task.statuses.append((before, now))
                if fw.connected:
                    status = self._status(fw, tid, agent.agent_id, state, Status.SOURCE_MASTER,
                                          Status.REASON_AGENT_REREGISTERED, "Unreachable agent re-reregistered",
                                          now, executor_id=task.executor_id)
                    _set_ip(status, task.container_ip)
                    task.sent_state = state
                    effects.append(self._send(fw, events.update(status)))
            effects.extend(self._observe(fw, task, now))
        return effects

    def agent_removed(self, node_name: str, now: float) -> Effects:
        agent_id = self.agents_by_node.pop(node_name, None)
        agent = self.agents.pop(agent_id, None) if agent_id else None
        if agent is None:
            return []
        agent.gone = True
        effects = self._rescind_agent_offers(agent)
        for fid, tid in list(agent.tasks):
            fw = self.frameworks.get(fid)
            task = fw.tasks.get(tid) if fw else None
            if fw is not None and task is not None and not task.terminal:
                effects.extend(self._observe(fw, task, now, node_state="gone"))
        for fw in self.frameworks.values():
            if fw.connected:
                effects.append(self._send(fw, events.agent_lost(agent.agent_id)))
        return effects

    def foreign_usage(self, node_name: str, used: Resources, now: float) -> Effects:
        """Requests of every non-terminal pod on the node that is not one of our tasks."""
        agent_id = self.agents_by_node.get(node_name)
        agent = self.agents.get(agent_id) if agent_id else None
        if agent is None or agent.foreign == used:
            return []
        agent.foreign = used
        agent.changed()
        return self._rescind_agent_offers(agent) if agent.overcommitted() else []

    def pod_changed(self, framework_id: str, task_id: str, pod: dict[str, Any] | None, now: float) -> Effects:
        """The latest state of a task's pod (None: it no longer exists)."""
        fw = self.frameworks.get(framework_id)
        task = fw.tasks.get(task_id) if fw else None
        if fw is None or task is None:
            return []
        if pod is None and task.pod is not None:
            task.last_pod = task.pod  # how it ended says why it is gone (evicted, finished, ...)
        task.pod = pod
        if pod is not None:
            task.pod_seen = True
        return self._observe(fw, task, now)

    def pod_created(self, framework_id: str, task_id: str, now: float) -> Effects:
        """The pod object exists: the task is STARTING (no waiting for image pulls)."""
        fw = self.frameworks.get(framework_id)
        task = fw.tasks.get(task_id) if fw else None
        if fw is None or task is None or task.state != mesos_pb2.TASK_STAGING:
            return []
        return self._generate(fw, task, Observation(
            state=mesos_pb2.TASK_STARTING, reason=None, source=Status.SOURCE_EXECUTOR,
            message="Pod created", healthy=None, container_ip=None, exit_code=None, launch_failure=False), now)

    def pod_create_failed(self, framework_id: str, task_id: str, message: str, now: float) -> Effects:
        fw = self.frameworks.get(framework_id)
        task = fw.tasks.get(task_id) if fw else None
        if fw is None or task is None or task.terminal:
            return []
        if task.kill_requested:
            observation = Observation(state=mesos_pb2.TASK_KILLED, reason=Status.REASON_TASK_KILLED_DURING_LAUNCH,
                                      source=Status.SOURCE_AGENT, message="Task killed during launch",
                                      healthy=None, container_ip=None, exit_code=None, launch_failure=False)
        else:
            observation = Observation(state=mesos_pb2.TASK_FAILED, reason=Status.REASON_CONTAINER_LAUNCH_FAILED,
                                      source=Status.SOURCE_AGENT, message=f"Failed to create the pod: {message}",
                                      healthy=None, container_ip=None, exit_code=None, launch_failure=False)
        return self._generate(fw, task, observation, now)

    # ================================================================ recovery (after a restart)

    def recover_framework(self, info: mesos_pb2.FrameworkInfo, now: float) -> None:
        fid = info.id.value
        if fid in self.frameworks:
            return
        fw = Framework(fid, info, registered_time=now)
        fw.failover_deadline = now + info.failover_timeout
        fw.unregistered_time = now
        self.frameworks[fid] = fw

    def recover_task(self, framework_id: str, info: mesos_pb2.TaskInfo, node_name: str,
                     pod: dict[str, Any], now: float) -> Effects:
        """Rebuild a task from its pod (agents first: call this once the nodes are known).

        Its state is re-derived from the pod, as the master learns it from a re-registering
        agent: a live task is simply in that state (taken as sent; the framework reconciles
        after re-subscribing), while an ended one was never acknowledged (its pod would be
        gone otherwise), so its terminal update is queued reliably and reaches the framework
        when it re-subscribes."""
        fw = self.frameworks.get(framework_id)
        if fw is None:
            placeholder = mesos_pb2.FrameworkInfo(user="", name="")
            placeholder.id.value = framework_id
            placeholder.failover_timeout = self.config.recovered_failover_timeout
            self.recover_framework(placeholder, now)
            fw = self.frameworks[framework_id]
        if info.task_id.value in fw.tasks:
            return []
        resources = Resources.from_proto(list(info.resources))
        if info.HasField("executor"):
            resources = resources + Resources.from_proto(list(info.executor.resources))
        task = Task(framework_id, info.task_id.value, info.agent_id.value, node_name, info, resources)
        task.updates.retry_min = self.config.status_update_retry_interval
        task.pod, task.pod_seen = pod, True
        fw.tasks[task.task_id] = task
        agent = self.agents.get(task.agent_id)
        if agent is not None and agent.spec.node_name == node_name:
            self._hold(fw, agent, task)
        observation = self._observation(fw, task, now, self._node_state(task))
        if observation is None or observation.state == mesos_pb2.TASK_STAGING:
            return []
        if is_terminal(observation.state):
            return self._observe(fw, task, now)
        task.state, task.healthy = observation.state, observation.healthy
        task.reason, task.message = observation.reason, observation.message
        if observation.container_ip:
            task.container_ip = observation.container_ip
        task.statuses.append((observation.state, now))
        task.sent_state = for_framework(observation.state, fw.partition_aware, fw.killing_capable)
        return []

    # ================================================================ task status

    def _node_state(self, task: Task) -> str:
        agent = self.agents.get(task.agent_id)
        if agent is None or agent.gone:
            return "gone"
        return "ready" if agent.spec.reachable else "unreachable"

    def _observe(self, fw: Framework, task: Task, now: float, node_state: str | None = None) -> Effects:
        if task.terminal:
            return []
        if node_state is None:
            node_state = self._node_state(task)
        if task.state == mesos_pb2.TASK_STAGING and task.pod is None and node_state == "ready" \
                and not task.kill_requested:
            return []  # the pod has not been created yet
        observation = self._observation(fw, task, now, node_state)
        if observation is None:
            return []
        effects = self._generate(fw, task, observation, now)
        if observation.launch_failure and task.pod is not None:
            effects.append(DeletePod(fw.framework_id, task.task_id, 0.0))
        return effects

    def _observation(self, fw: Framework, task: Task, now: float, node_state: str) -> Observation | None:
        """What the task's pod shows (keeping the launch-failure clock of waiting pods)."""
        waiting = _waiting_reason(task.pod)
        if not waiting:
            task.waiting_since = None
        elif not task.waiting_reason:
            # The launch-failure clock runs from the first waiting reason: the kubelet alternates
            # ErrImagePull and ImagePullBackOff, which must not restart it.
            task.waiting_since = now
        task.waiting_reason = waiting
        key = (fw.framework_id, task.task_id)
        if waiting:
            self._waiting.add(key)
        else:
            self._waiting.discard(key)
        has_check = task.info.HasField("health_check") or task.info.executor.HasField("health_check") \
            if task.info.HasField("executor") else task.info.HasField("health_check")
        return observe(task.pod, ObserveContext(
            now=now, kill_requested=task.kill_requested, node_state=node_state,
            has_health_check=has_check, launch_failure_timeout=self.config.launch_failure_timeout,
            waiting_since=task.waiting_since, pod_was_seen=task.pod_seen, last_pod=task.last_pod))

    def _generate(self, fw: Framework, task: Task, obs: Observation, now: float) -> Effects:
        """Turn an observation into an update when the task's state (or health) changed."""
        if obs.state == task.state and obs.healthy == task.healthy:
            return []
        if obs.state == mesos_pb2.TASK_STAGING:
            return []
        if obs.state == task.state and obs.reason is None:
            # Only the health changed: the command executor's health check update.
            obs = dataclasses.replace(obs, reason=Status.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED)
        task.state = obs.state
        task.healthy = obs.healthy
        task.reason = obs.reason
        task.message = obs.message
        if obs.container_ip:
            task.container_ip = obs.container_ip
        task.statuses.append((obs.state, now))
        effects: Effects = []
        if is_terminal(obs.state):
            task.terminal = True
            self._waiting.discard((fw.framework_id, task.task_id))
            self._release_task_resources(task)
        state = for_framework(obs.state, fw.partition_aware, fw.killing_capable)
        if state is None:
            return effects  # TASK_KILLING for a framework without TASK_KILLING_STATE
        reliable = obs.source != Status.SOURCE_MASTER
        status = self._status(fw, task.task_id, task.agent_id, state, obs.source, obs.reason, obs.message,
                              now, executor_id=task.executor_id)
        if obs.healthy is not None:
            status.healthy = obs.healthy
        _set_ip(status, task.container_ip)
        if not reliable:
            if obs.state == mesos_pb2.TASK_UNREACHABLE:
                status.unreachable_time.nanoseconds = int(now * 1e9)
            if fw.connected:
                task.sent_state = state
                effects.append(self._send(fw, events.update(status)))
            if task.terminal:
                # Nobody acknowledges a master-generated update: forget the task now, as Mesos
                # removes the tasks of a removed agent, and make sure its pod cannot linger.
                fw.tasks.pop(task.task_id, None)
                fw.completed_tasks.append(task)
                effects.append(DeletePod(fw.framework_id, task.task_id, 0.0))
            return effects
        status.uuid = self.new_uuid()
        self._unacknowledged.add((fw.framework_id, task.task_id))
        if task.updates.push(status, now) is not None and fw.connected:
            effects.append(self._send_update(fw, task, status))
        return effects

    @staticmethod
    def _send(fw: Framework, event: scheduler_pb2.Event) -> SendEvent:
        return SendEvent(fw.framework_id, fw.stream_id or "", event)

    def _send_update(self, fw: Framework, task: Task, status: Status) -> Effect:
        task.sent_state = status.state
        return self._send(fw, events.update(status))

    def _hold(self, fw: Framework, agent: Agent, task: Task) -> None:
        """The task's resources now count against its agent and its framework's share."""
        agent.tasks.add((fw.framework_id, task.task_id))
        if task.info.HasField("executor"):
            agent.executor_tasks.add((fw.framework_id, task.task_id))
        agent.ours = agent.ours + task.resources
        agent.changed()
        fw.task_cpus += task.resources.scalar("cpus")
        task.holding = True

    def _release_task_resources(self, task: Task) -> None:
        if not task.holding:
            return
        task.holding = False
        fw = self.frameworks.get(task.framework_id)
        if fw is not None:
            fw.task_cpus = max(0.0, fw.task_cpus - task.resources.scalar("cpus"))
        agent = self.agents.get(task.agent_id)
        if agent is not None and (task.framework_id, task.task_id) in agent.tasks:
            agent.tasks.discard((task.framework_id, task.task_id))
            agent.executor_tasks.discard((task.framework_id, task.task_id))
            agent.ours = agent.ours - task.resources
            agent.changed()

    def _status(self, fw: Framework, task_id: str, agent_id: str | None, state: int, source: int,
                reason: int | None, message: str, now: float, executor_id: str | None = None) -> Status:
        status = Status(state=cast(Any, state), source=cast(Any, source), timestamp=now)
        status.task_id.value = task_id
        if agent_id:
            status.agent_id.value = agent_id
        if executor_id:
            status.executor_id.value = executor_id
        if reason is not None:
            status.reason = cast(Any, reason)
        if message:
            status.message = message
        return status

    def _master_update(self, fw: Framework, task_id: str, agent_id: str | None, state: int, reason: int,
                       message: str, now: float) -> Effect:
        if not fw.partition_aware and state in _PARTITION_STATES:
            state = mesos_pb2.TASK_LOST
        return self._send(fw, events.update(
            self._status(fw, task_id, agent_id, state, Status.SOURCE_MASTER, reason, message, now)))

    # ================================================================ removal

    def _remove_framework(self, fw: Framework, now: float) -> Effects:
        effects: Effects = []
        self._discard_offers(fw)
        if fw.connected and fw.stream_id is not None:
            effects.append(CloseStream(fw.framework_id, fw.stream_id))
        fw.connected = False
        for task in fw.tasks.values():
            if not task.terminal:
                task.terminal = True
                task.state = mesos_pb2.TASK_KILLED
                task.reason = Status.REASON_FRAMEWORK_REMOVED
                self._release_task_resources(task)
            self._waiting.discard((fw.framework_id, task.task_id))
            effects.append(DeletePod(fw.framework_id, task.task_id, None))
            fw.completed_tasks.append(task)
        fw.tasks.clear()
        del self.frameworks[fw.framework_id]
        self.completed_frameworks.append(fw)
        self.removed_framework_ids.add(fw.framework_id)
        effects.append(ForgetFramework(fw.framework_id))
        return effects


_PARTITION_STATES = frozenset({mesos_pb2.TASK_DROPPED, mesos_pb2.TASK_UNREACHABLE, mesos_pb2.TASK_GONE,
                               mesos_pb2.TASK_GONE_BY_OPERATOR, mesos_pb2.TASK_UNKNOWN})

_HANDLERS: dict[int, Callable[[Master, Framework, Call, float], Effects]] = {
    Call.TEARDOWN: Master._teardown,
    Call.ACCEPT: Master._accept,
    Call.DECLINE: Master._decline,
    Call.ACCEPT_INVERSE_OFFERS: Master._accept_inverse,
    Call.DECLINE_INVERSE_OFFERS: Master._accept_inverse,
    Call.REVIVE: Master._revive,
    Call.SUPPRESS: Master._suppress,
    Call.KILL: Master._kill,
    Call.SHUTDOWN: Master._shutdown,
    Call.ACKNOWLEDGE: Master._acknowledge,
    Call.RECONCILE: Master._reconcile,
    Call.MESSAGE: Master._noop,
    Call.REQUEST: Master._noop,
    Call.ACKNOWLEDGE_OPERATION_STATUS: Master._noop,
    Call.RECONCILE_OPERATIONS: Master._reconcile_operations,
}


def _agent_part(agent: Agent) -> bytes:
    """An offer's fields that come from the agent alone, serialized once per AgentSpec."""
    spec = agent.spec
    if agent.offer_part is not None and agent.offer_part[0] is spec:
        return agent.offer_part[1]
    message = mesos_pb2.Offer()
    message.agent_id.value = agent.agent_id
    message.hostname = spec.hostname
    message.url.scheme = "http"
    message.url.address.hostname = spec.hostname
    message.url.address.ip = spec.address
    message.url.address.port = 5051
    message.url.path = "/slave(1)"
    message.attributes.extend(spec.attributes)
    part = message.SerializePartialToString()
    agent.offer_part = (spec, part)
    return part


def _launched_tasks(op: mesos_pb2.Offer.Operation) -> list[mesos_pb2.TaskInfo]:
    if op.type == op.LAUNCH:
        return list(op.launch.task_infos)
    if op.type == op.LAUNCH_GROUP:
        return list(op.launch_group.task_group.tasks)
    return []


def _waiting_reason(pod: dict[str, Any] | None) -> str:
    if pod is None:
        return ""
    pod_status = pod.get("status") or {}
    for status in (pod_status.get("initContainerStatuses") or []) + (pod_status.get("containerStatuses") or []):
        waiting = (status.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
            return str(waiting.get("reason"))
    return ""


def _set_ip(status: Status, ip: str | None) -> None:
    if ip:
        status.container_status.network_infos.add().ip_addresses.add().ip_address = ip
