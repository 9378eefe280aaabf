"""mesoshim.master: scenarios of the core, read as the Mesos master's specification.

Each test drives the pure state machine (`Master`) with explicit time and injected uuids and
asserts on the effects it returns: events written to a framework's stream, streams closed,
pods created and deleted, framework records saved and forgotten. Agents are Kubernetes
nodes (node dicts through `executor.agents.node_to_agent`) and pods are dicts shaped like a
kubelet writes them. Section numbers refer to `/work/shared/spec/mesos-api.md`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from executor.agents import node_to_agent
from executor.translate import TASK_CONTAINER
from mesoshim.effects import (
    CloseStream,
    CreatePod,
    DeletePod,
    Effect,
    ForgetFramework,
    SaveFramework,
    SendEvent,
)
from mesoshim.master import Master, MasterConfig
from mesoshim.model import AgentSpec
from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2
from mesoshim.resources import Resources

Call = scheduler_pb2.Call
Event = scheduler_pb2.Event
Status = mesos_pb2.TaskStatus
Effects = list[Effect]
CAP = mesos_pb2.FrameworkInfo.Capability

MASTER_ID = "7c1e4a3b-2d5f-4e6a-9b8c-0d1e2f3a4b5c"
T0 = 1_700_000_000.0
PA = CAP.PARTITION_AWARE
KILLING = CAP.TASK_KILLING_STATE
MULTI_ROLE = CAP.MULTI_ROLE

# ====================================================================== builders


def master_info() -> mesos_pb2.MasterInfo:
    info = mesos_pb2.MasterInfo(id=MASTER_ID, ip=16777343, port=5050, pid="master@127.0.0.1:5050",
                                hostname="master", version="1.12.0")
    info.address.hostname, info.address.ip, info.address.port = "master", "127.0.0.1", 5050
    return info


def node(name: str, *, cpu: str = "4", memory: str = "4Gi", storage: str = "10Gi", zone: str | None = None,
         ready: str = "True", unschedulable: bool = False, uid: str | None = None) -> dict[str, Any]:
    """A node object as the API server returns it."""
    labels = {"kubernetes.io/hostname": name}
    if zone is not None:
        labels["topology.kubernetes.io/zone"] = zone
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "uid": uid or f"uid-{name}", "labels": labels},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "ephemeral-storage": storage, "pods": "110"},
            "capacity": {"cpu": cpu, "memory": memory, "ephemeral-storage": storage, "pods": "110"},
            "conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady"}],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.9"}, {"type": "Hostname", "address": name}],
        },
    }


def agent(name: str, **kwargs: Any) -> AgentSpec:
    return node_to_agent(node(name, **kwargs))


def agent_id(name: str) -> str:
    return f"uid-{name}"


def framework_info(*capabilities: int, name: str = "fw", failover_timeout: float | None = None,
                   role: str | None = None, roles: Sequence[str] = (), fid: str | None = None,
                   user: str = "alice") -> mesos_pb2.FrameworkInfo:
    info = mesos_pb2.FrameworkInfo(user=user, name=name)
    for capability in capabilities:
        info.capabilities.add().type = capability  # type: ignore[assignment]
    if failover_timeout is not None:
        info.failover_timeout = failover_timeout
    if role is not None:
        info.role = role
    info.roles.extend(roles)
    if fid is not None:
        info.id.value = fid
    return info


def subscribe_call(info: mesos_pb2.FrameworkInfo, suppressed_roles: Sequence[str] = ()) -> Call:
    call = Call(type=Call.SUBSCRIBE)
    if info.HasField("id"):
        call.framework_id.CopyFrom(info.id)
    call.subscribe.framework_info.CopyFrom(info)
    call.subscribe.suppressed_roles.extend(suppressed_roles)
    return call


def scalar(name: str, value: float) -> mesos_pb2.Resource:
    return mesos_pb2.Resource(name=name, type=mesos_pb2.Value.SCALAR, scalar=mesos_pb2.Value.Scalar(value=value))


def port_range(begin: int, end: int) -> mesos_pb2.Resource:
    resource = mesos_pb2.Resource(name="ports", type=mesos_pb2.Value.RANGES)
    resource.ranges.range.add(begin=begin, end=end)
    return resource


def task_info(task_id: str, agent: str, *, cpus: float = 1.0, mem: float = 128.0,
              ports: tuple[int, int] | None = None, grace: float | None = None,
              command: str | None = "sleep 3600") -> mesos_pb2.TaskInfo:
    info = mesos_pb2.TaskInfo(name=task_id)
    info.task_id.value = task_id
    info.agent_id.value = agent
    info.resources.extend([scalar("cpus", cpus), scalar("mem", mem)])
    if ports is not None:
        info.resources.append(port_range(*ports))
    if command is not None:
        info.command.value = command
    if grace is not None:
        info.kill_policy.grace_period.nanoseconds = int(grace * 1e9)
    return info


def _call(fid: str, kind: int) -> Call:
    call = Call(type=kind)  # type: ignore[arg-type]
    call.framework_id.value = fid
    return call


def accept_call(fid: str, offer_ids: Iterable[str], *tasks: mesos_pb2.TaskInfo,
                refuse_seconds: float | None = None, group: bool = False) -> Call:
    call = _call(fid, Call.ACCEPT)
    for offer_id in offer_ids:
        call.accept.offer_ids.add().value = offer_id
    if tasks:
        op = call.accept.operations.add()
        if group:
            op.type = mesos_pb2.Offer.Operation.LAUNCH_GROUP
            op.launch_group.executor.executor_id.value = "group-executor"
            op.launch_group.task_group.tasks.extend(tasks)
        else:
            op.type = mesos_pb2.Offer.Operation.LAUNCH
            op.launch.task_infos.extend(tasks)
    if refuse_seconds is not None:
        call.accept.filters.refuse_seconds = refuse_seconds
    return call


def decline_call(fid: str, offer_ids: Iterable[str], refuse_seconds: float | None = None) -> Call:
    call = _call(fid, Call.DECLINE)
    for offer_id in offer_ids:
        call.decline.offer_ids.add().value = offer_id
    if refuse_seconds is not None:
        call.decline.filters.refuse_seconds = refuse_seconds
    return call


def kill_call(fid: str, task_id: str, agent: str | None = None, grace: float | None = None) -> Call:
    call = _call(fid, Call.KILL)
    call.kill.task_id.value = task_id
    if agent is not None:
        call.kill.agent_id.value = agent
    if grace is not None:
        call.kill.kill_policy.grace_period.nanoseconds = int(grace * 1e9)
    return call


def ack_call(fid: str, status: Status) -> Call:
    call = _call(fid, Call.ACKNOWLEDGE)
    call.acknowledge.agent_id.CopyFrom(status.agent_id)
    call.acknowledge.task_id.CopyFrom(status.task_id)
    call.acknowledge.uuid = status.uuid
    return call


def reconcile_call(fid: str, *tasks: tuple[str, str | None]) -> Call:
    call = _call(fid, Call.RECONCILE)
    call.reconcile.SetInParent()
    for task_id, agent in tasks:
        entry = call.reconcile.tasks.add()
        entry.task_id.value = task_id
        if agent is not None:
            entry.agent_id.value = agent
    return call


def simple_call(fid: str, kind: int) -> Call:
    return _call(fid, kind)


# ---------------------------------------------------------------------- pods, as a kubelet writes them

STARTED = "2026-01-01T00:00:00Z"


def pod(node_name: str, phase: str, *, state: dict[str, Any] | None = None, ready: bool | None = None,
        ip: str | None = "10.244.1.7") -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase, "conditions": [], "startTime": STARTED}
    if ip is not None and phase != "Pending":
        status["podIP"] = ip
    if ready is not None:
        status["conditions"].append({"type": "Ready", "status": "True" if ready else "False"})
    if state is not None:
        status["containerStatuses"] = [{
            "name": TASK_CONTAINER, "image": "busybox:1.36", "imageID": "", "restartCount": 0,
            "ready": bool(ready), "started": "running" in state, "state": state, "lastState": {},
        }]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "t-pod", "namespace": "mesos", "uid": "pod-uid"},
        "spec": {"nodeName": node_name, "restartPolicy": "Never", "containers": [{"name": TASK_CONTAINER}]},
        "status": status,
    }


def pending_pod(node_name: str) -> dict[str, Any]:
    return pod(node_name, "Pending", state={"waiting": {"reason": "ContainerCreating"}})


def image_pull_pod(node_name: str, reason: str = "ErrImagePull") -> dict[str, Any]:
    return pod(node_name, "Pending", state={"waiting": {"reason": reason,
                                                        "message": 'pull access denied for "nosuch"'}})


def running_pod(node_name: str, ready: bool | None = None) -> dict[str, Any]:
    return pod(node_name, "Running", state={"running": {"startedAt": STARTED}}, ready=ready)


def ended_pod(node_name: str, exit_code: int) -> dict[str, Any]:
    terminated = {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                  "startedAt": STARTED, "finishedAt": STARTED}
    return pod(node_name, "Succeeded" if exit_code == 0 else "Failed", state={"terminated": terminated})


# ====================================================================== reading effects


def sent(effects: Iterable[Effect], fid: str | None = None, stream: str | None = None,
         kind: int | None = None) -> list[Event]:
    """Events written, optionally only those for one framework / on one stream / of one type."""
    return [e.event for e in effects if isinstance(e, SendEvent)
            and (fid is None or e.framework_id == fid) and (stream is None or e.stream_id == stream)
            and (kind is None or e.event.type == kind)]


def kinds(effects: Iterable[Effect], fid: str | None = None) -> list[str]:
    return [Event.Type.Name(e.type) for e in sent(effects, fid)]


def updates(effects: Iterable[Effect], fid: str | None = None) -> list[Status]:
    return [e.update.status for e in sent(effects, fid, kind=Event.UPDATE)]


def offers(effects: Iterable[Effect], fid: str | None = None) -> list[mesos_pb2.Offer]:
    return [o for e in sent(effects, fid, kind=Event.OFFERS) for o in e.offers.offers]


def offer_ids(effects: Iterable[Effect], fid: str | None = None) -> list[str]:
    return [o.id.value for o in offers(effects, fid)]


def offered_agents(effects: Iterable[Effect], fid: str | None = None) -> list[str]:
    return sorted(o.agent_id.value for o in offers(effects, fid))


def rescinded(effects: Iterable[Effect], fid: str | None = None) -> list[str]:
    return [e.rescind.offer_id.value for e in sent(effects, fid, kind=Event.RESCIND)]


def created(effects: Iterable[Effect]) -> dict[str, str]:
    """Pods created: task id -> node name."""
    return {e.task.task_id.value: e.node_name for e in effects if isinstance(e, CreatePod)}


def deleted(effects: Iterable[Effect]) -> dict[str, float | None]:
    """Pods deleted: task id -> grace seconds."""
    return {e.task_id: e.grace_seconds for e in effects if isinstance(e, DeletePod)}


def closed(effects: Iterable[Effect]) -> list[str]:
    return [e.stream_id for e in effects if isinstance(e, CloseStream)]


def states(statuses: Iterable[Status]) -> list[str]:
    return [mesos_pb2.TaskState.Name(s.state) for s in statuses]


def is_terminal_name(status: Status) -> bool:
    return states([status])[0] in {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST",
                                   "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"}


def resources_of(offer: mesos_pb2.Offer) -> Resources:
    return Resources.from_proto(list(offer.resources))


# ====================================================================== the harness


@dataclass
class Sub:
    """One subscription: the framework id, its stream and what SUBSCRIBE returned."""

    fid: str
    stream: str
    effects: Effects
    info: mesos_pb2.FrameworkInfo


@dataclass
class Sim:
    """A master with a clock we move by hand and uuids we can predict (1, 2, 3 ... as 16 bytes)."""

    config: MasterConfig = field(default_factory=MasterConfig)
    now: float = T0

    def __post_init__(self) -> None:
        self._uuids = itertools.count(1)
        self._streams = itertools.count(1)
        self.master = Master(master_info(), self.config, new_uuid=self._uuid)

    def _uuid(self) -> bytes:
        return next(self._uuids).to_bytes(16, "big")

    def new_stream(self) -> str:
        return f"stream-{next(self._streams)}"

    # ---- inputs (each returns the effects)

    def add_agent(self, name: str, **kwargs: Any) -> Effects:
        return self.master.agent_updated(agent(name, **kwargs), self.now)

    def subscribe(self, info: mesos_pb2.FrameworkInfo, suppressed_roles: Sequence[str] = ()) -> Sub:
        stream = self.new_stream()
        effects = self.master.subscribe(subscribe_call(info, suppressed_roles), stream, self.now)
        fid = next((e.event.subscribed.framework_id.value for e in effects
                    if isinstance(e, SendEvent) and e.event.type == Event.SUBSCRIBED), "")
        return Sub(fid, stream, effects, info)

    def handle(self, call: Call) -> Effects:
        return self.master.handle(call, self.now)

    def tick(self, seconds: float = 0.0) -> Effects:
        self.now += seconds
        return self.master.tick(self.now)

    def pod(self, fid: str, task_id: str, obj: dict[str, Any] | None) -> Effects:
        return self.master.pod_changed(fid, task_id, obj, self.now)

    def created(self, fid: str, task_id: str) -> Effects:
        return self.master.pod_created(fid, task_id, self.now)

    # ---- shortcuts for the set-up part of scenarios

    def outstanding(self, fid: str, agent_name: str | None = None) -> list[str]:
        """Offer ids the framework holds (on one agent): read from the master's records."""
        fw = self.master.frameworks[fid]
        return [o.offer_id for o in fw.offers.values()
                if agent_name is None or o.agent_id == agent_id(agent_name)]

    def ack(self, fid: str, effects: Iterable[Effect]) -> Effects:
        """Acknowledge every reliable update in `effects`, as pymesos does."""
        out: Effects = []
        for status in updates(effects, fid):
            if status.uuid:
                out.extend(self.handle(ack_call(fid, status)))
        return out

    def launch(self, sub: Sub, task_id: str, agent_name: str = "n1", **kwargs: Any) -> Effects:
        """Accept the framework's offer on the agent with one task (offers it first if needed)."""
        if not self.outstanding(sub.fid, agent_name):
            self.handle(simple_call(sub.fid, Call.REVIVE))
        ids = self.outstanding(sub.fid, agent_name)
        assert ids, f"no offer for {sub.fid} on {agent_name}"
        return self.handle(accept_call(sub.fid, ids, task_info(task_id, agent_id(agent_name), **kwargs),
                                       refuse_seconds=0))

    def start(self, sub: Sub, task_id: str, agent_name: str = "n1", **kwargs: Any) -> Effects:
        """Launch, create the pod, see it running, acknowledge everything: a RUNNING task."""
        assert created(self.launch(sub, task_id, agent_name, **kwargs)) == {task_id: agent_name}
        out = self.created(sub.fid, task_id)
        out += self.ack(sub.fid, out)
        running = self.pod(sub.fid, task_id, running_pod(agent_name))
        out += running + self.ack(sub.fid, running)
        assert states(updates(out, sub.fid)) == ["TASK_STARTING", "TASK_RUNNING"]
        return out


@pytest.fixture
def sim() -> Sim:
    return Sim()


@pytest.fixture
def cluster() -> Sim:
    """A master with one 4-cpu, 4 GiB node `n1` in zone `z1`."""
    sim = Sim()
    sim.add_agent("n1", zone="z1")
    return sim


# ====================================================================== §2 SUBSCRIBE


def test_first_subscribe_gets_an_id_subscribed_and_immediate_offers(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(failover_timeout=60))

    assert sub.fid == f"{MASTER_ID}-0000"
    assert kinds(sub.effects) == ["SUBSCRIBED", "OFFERS"]
    assert sent(sub.effects, stream=sub.stream) == sent(sub.effects)  # all on the new stream
    subscribed = sent(sub.effects, kind=Event.SUBSCRIBED)[0].subscribed
    assert subscribed.framework_id.value == sub.fid
    assert subscribed.heartbeat_interval_seconds == 15.0
    assert subscribed.master_info == master_info()
    saved = [e for e in sub.effects if isinstance(e, SaveFramework)]
    assert [s.framework_id for s in saved] == [sub.fid]
    assert saved[0].info.id.value == sub.fid and saved[0].info.name == "fw"
    assert offered_agents(sub.effects) == [agent_id("n1")]


def test_each_first_subscribe_creates_a_new_framework(cluster: Sim) -> None:
    first = cluster.subscribe(framework_info())
    second = cluster.subscribe(framework_info())  # a retried first SUBSCRIBE is a new framework
    assert (first.fid, second.fid) == (f"{MASTER_ID}-0000", f"{MASTER_ID}-0001")


def test_invalid_framework_info_is_an_error_event_then_the_stream_closes(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(MULTI_ROLE, role="web"))

    assert [e.error.message for e in sent(sub.effects, stream=sub.stream)] == [
        "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"]
    assert closed(sub.effects) == [sub.stream]
    assert len(sub.effects) == 2  # nothing saved, nothing offered
    assert cluster.master.frameworks == {}


def test_resubscribe_fails_over_the_old_stream_and_discards_offers_silently(cluster: Sim) -> None:
    old = cluster.subscribe(framework_info(failover_timeout=60))
    [old_offer] = offer_ids(old.effects)

    new = cluster.subscribe(framework_info(failover_timeout=60, fid=old.fid))

    assert new.fid == old.fid and new.stream != old.stream
    assert [e.error.message for e in sent(new.effects, stream=old.stream)] == ["Framework failed over"]
    assert closed(new.effects) == [old.stream]
    assert rescinded(new.effects) == []  # discarded, not rescinded
    assert kinds([e for e in new.effects if isinstance(e, SendEvent) and e.stream_id == new.stream]) == [
        "SUBSCRIBED", "OFFERS"]
    [fresh_offer] = offer_ids(new.effects)
    assert fresh_offer != old_offer
    # The old offer is gone for good: using it is an invalid-offers error.
    [lost] = updates(cluster.handle(accept_call(old.fid, [old_offer], task_info("t1", agent_id("n1")))))
    assert lost.message == f"Task launched with invalid offers: Offer {old_offer} is no longer valid"


def test_resubscribe_resends_the_pending_reliable_update(cluster: Sim) -> None:
    old = cluster.subscribe(framework_info(failover_timeout=60))
    cluster.launch(old, "t1")
    [starting] = updates(cluster.created(old.fid, "t1"))  # never acknowledged

    cluster.now += 3
    new = cluster.subscribe(framework_info(failover_timeout=60, fid=old.fid))

    [again] = [e.update.status for e in sent(new.effects, stream=new.stream, kind=Event.UPDATE)]
    assert again == starting  # the same update, same uuid, on the new stream
    assert kinds(new.effects, old.fid)[1:3] == ["SUBSCRIBED", "UPDATE"]


def test_an_unknown_framework_id_is_accepted_as_is(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(fid="from-a-previous-master-0007", failover_timeout=60))

    assert sub.fid == "from-a-previous-master-0007"
    assert kinds(sub.effects) == ["SUBSCRIBED", "OFFERS"]
    assert cluster.master.framework_connected(sub.fid)


def test_a_removed_framework_id_is_refused(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(failover_timeout=60))
    cluster.handle(simple_call(sub.fid, Call.TEARDOWN))

    again = cluster.subscribe(framework_info(fid=sub.fid))

    assert [e.error.message for e in sent(again.effects)] == ["Framework has been removed"]
    assert closed(again.effects) == [again.stream]


def test_subscribe_with_all_roles_suppressed_gets_no_offers(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(), suppressed_roles=["*"])
    assert kinds(sub.effects) == ["SUBSCRIBED"]
    assert offers(cluster.tick(1)) == []


# ---------------------------------------------------------------------- §2.5 disconnection and failover


def test_disconnect_returns_the_offers(cluster: Sim) -> None:
    first = cluster.subscribe(framework_info(failover_timeout=3600))
    assert offered_agents(first.effects) == [agent_id("n1")]

    effects = cluster.master.disconnected(first.fid, first.stream, cluster.now)

    assert effects == []  # nothing to tell: the framework is gone, its offers silently discarded
    second = cluster.subscribe(framework_info(name="other"))
    [offer] = offers(second.effects)
    assert resources_of(offer).cpus == 4


def test_disconnect_of_a_stale_stream_is_ignored(cluster: Sim) -> None:
    old = cluster.subscribe(framework_info(failover_timeout=0))
    new = cluster.subscribe(framework_info(fid=old.fid))
    assert cluster.master.disconnected(old.fid, old.stream, cluster.now) == []
    assert cluster.master.framework_connected(new.fid)


def test_disconnect_with_failover_timeout_zero_removes_the_framework_and_its_tasks(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())  # failover_timeout defaults to 0
    cluster.start(sub, "t1")

    effects = cluster.master.disconnected(sub.fid, sub.stream, cluster.now)

    assert deleted(effects) == {"t1": None}
    assert [e.framework_id for e in effects if isinstance(e, ForgetFramework)] == [sub.fid]
    assert sent(effects) == []  # nobody to tell; no UPDATE for the killed tasks
    assert not cluster.master.framework_registered(sub.fid)
    # The task's resources are free again.
    other = cluster.subscribe(framework_info(name="other"))
    assert resources_of(offers(other.effects)[0]).cpus == 4


def test_failover_timeout_removes_the_framework_only_when_it_expires(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(failover_timeout=100))
    cluster.start(sub, "t1")
    assert cluster.master.disconnected(sub.fid, sub.stream, cluster.now) == []

    assert deleted(cluster.tick(99.5)) == {}
    assert cluster.master.framework_registered(sub.fid)

    effects = cluster.tick(0.5)
    assert deleted(effects) == {"t1": None}
    assert [e.framework_id for e in effects if isinstance(e, ForgetFramework)] == [sub.fid]
    assert sent(cluster.subscribe(framework_info(fid=sub.fid)).effects)[0].error.message == \
        "Framework has been removed"


def test_resubscribing_within_the_failover_timeout_keeps_the_tasks(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(failover_timeout=100))
    cluster.start(sub, "t1")
    cluster.master.disconnected(sub.fid, sub.stream, cluster.now)
    cluster.tick(50)

    back = cluster.subscribe(framework_info(failover_timeout=100, fid=sub.fid))
    assert kinds(back.effects)[0] == "SUBSCRIBED"
    assert deleted(cluster.tick(100)) == {}

    [answer] = updates(cluster.handle(reconcile_call(sub.fid)))
    assert (answer.task_id.value, states([answer])) == ("t1", ["TASK_RUNNING"])
    # Its resources stayed in use: the new offer has what the task does not hold.
    assert resources_of(offers(back.effects)[0]).cpus == 3


def test_teardown_kills_every_task_silently_closes_the_stream_and_forgets(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(failover_timeout=3600))
    cluster.start(sub, "t1")
    cluster.start(sub, "t2")

    effects = cluster.handle(simple_call(sub.fid, Call.TEARDOWN))

    assert deleted(effects) == {"t1": None, "t2": None}
    assert closed(effects) == [sub.stream]
    assert sent(effects) == []
    assert [e.framework_id for e in effects if isinstance(e, ForgetFramework)] == [sub.fid]
    assert not cluster.master.framework_registered(sub.fid)


# ====================================================================== §7 offers


def test_offer_content_for_a_framework_without_multi_role(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    [offer] = offers(sub.effects)

    assert offer.id.value == f"{MASTER_ID}-O1"
    assert offer.framework_id.value == sub.fid
    assert offer.agent_id.value == agent_id("n1")
    assert offer.hostname == "n1"
    assert (offer.url.scheme, offer.url.address.ip, offer.url.address.port, offer.url.path) == (
        "http", "10.0.0.9", 5051, "/slave(1)")
    assert resources_of(offer) == Resources.parse("cpus:4;mem:4096;disk:10240;ports:[31000-32000]")
    ports = next(r for r in offer.resources if r.name == "ports")
    assert ports.type == mesos_pb2.Value.RANGES and [(r.begin, r.end) for r in ports.ranges.range] == [
        (31000, 32000)]
    assert all(r.role == "*" and not r.HasField("allocation_info") for r in offer.resources)
    assert not offer.HasField("allocation_info")
    assert {a.name: a.text.value for a in offer.attributes}["host"] == "n1"
    assert {a.name: a.text.value for a in offer.attributes}["rack"] == "z1"
    assert all(a.type == mesos_pb2.Value.TEXT for a in offer.attributes)


def test_offers_to_a_multi_role_framework_carry_allocation_info(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(MULTI_ROLE, roles=["web"]))
    [offer] = offers(sub.effects)

    assert offer.allocation_info.role == "web"
    assert {r.allocation_info.role for r in offer.resources} == {"web"}


def test_one_offer_per_agent_per_framework(sim: Sim) -> None:
    sim.add_agent("n1")
    sim.add_agent("n2")
    sub = sim.subscribe(framework_info())

    assert offered_agents(sub.effects) == [agent_id("n1"), agent_id("n2")]
    assert len(sent(sub.effects, kind=Event.OFFERS)) == 1  # both in one OFFERS event
    assert offers(sim.tick(1)) == []  # the framework still holds an offer on each agent
    assert offers(sim.master.allocate(sim.now)) == []
    ids = offer_ids(sub.effects)
    assert len(set(ids)) == 2 and all(i.startswith(f"{MASTER_ID}-O") for i in ids)


def test_free_resources_are_total_minus_other_pods_minus_our_tasks(cluster: Sim) -> None:
    cluster.master.foreign_usage("n1", Resources.parse("cpus:0.5;mem:512;ports:[31000-31000]"), cluster.now)
    sub = cluster.subscribe(framework_info())
    cluster.start(sub, "t1", cpus=1, mem=128, ports=(31005, 31009))

    effects = cluster.tick(1)

    [offer] = offers(effects)
    assert resources_of(offer) == Resources.parse(
        "cpus:2.5;mem:3456;disk:10240;ports:[31001-31004,31010-32000]")


def test_what_one_framework_holds_is_not_offered_to_another(cluster: Sim) -> None:
    first = cluster.subscribe(framework_info(name="first"))
    second = cluster.subscribe(framework_info(name="second"))
    assert offers(second.effects) == [] and offers(cluster.tick(1)) == []

    cluster.handle(decline_call(first.fid, offer_ids(first.effects), refuse_seconds=60))

    [offer] = offers(cluster.tick(1))
    assert offer.framework_id.value == second.fid and resources_of(offer).cpus == 4


def test_resources_below_the_minimum_allocatable_are_not_offered(sim: Sim) -> None:
    sim.add_agent("n1", cpu="1", memory="160Mi")
    sub = sim.subscribe(framework_info())
    sim.launch(sub, "t1", cpus=1, mem=140)  # leaves cpus 0, mem 20 (< 32), disk, ports

    assert offers(sim.tick(1)) == []
    # Either minimum is enough: 32 MB of memory alone is offered.
    sim.master.agent_updated(agent("n1", cpu="1", memory="172Mi"), sim.now)
    [offer] = offers(sim.tick(1))
    assert resources_of(offer).cpus == 0 and resources_of(offer).mem == 32


def test_cordoned_and_not_ready_nodes_are_not_offered(sim: Sim) -> None:
    sim.add_agent("n1")
    sim.add_agent("cordoned", unschedulable=True)
    sim.add_agent("notready", ready="False")
    sim.add_agent("unknown", ready="Unknown")

    sub = sim.subscribe(framework_info())

    assert offered_agents(sub.effects) == [agent_id("n1")]
    sim.add_agent("cordoned")  # uncordoned
    assert offered_agents(sim.tick(1)) == [agent_id("cordoned")]


def test_a_new_node_is_offered_at_the_next_allocation(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    assert offered_agents(sub.effects) == [agent_id("n1")]
    cluster.add_agent("n2")
    assert offered_agents(cluster.tick(1)) == [agent_id("n2")]


# ---------------------------------------------------------------------- §3.3 DECLINE and filters


def test_decline_with_refuse_seconds_filters_the_agent_until_expiry(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    [offer] = offer_ids(sub.effects)

    assert cluster.handle(decline_call(sub.fid, [offer], refuse_seconds=60)) == []

    assert offers(cluster.tick(1)) == []
    assert offers(cluster.tick(58)) == []
    [again] = offers(cluster.tick(1))  # 60 s after the decline
    assert again.id.value != offer and resources_of(again).cpus == 4


def test_decline_without_filters_refuses_for_five_seconds(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.handle(decline_call(sub.fid, offer_ids(sub.effects)))

    assert offers(cluster.tick(4.9)) == []
    assert offered_agents(cluster.tick(0.1)) == [agent_id("n1")]


def test_decline_with_refuse_zero_is_reoffered_at_the_next_cycle(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    effects = cluster.handle(decline_call(sub.fid, offer_ids(sub.effects), refuse_seconds=0))

    assert offers(effects) == []  # a decline does not trigger an allocation by itself
    assert offered_agents(cluster.tick(1)) == [agent_id("n1")]


def test_decline_of_unknown_or_foreign_offers_is_ignored(cluster: Sim) -> None:
    mine = cluster.subscribe(framework_info())
    other = cluster.subscribe(framework_info(name="other"))
    cluster.add_agent("n2")
    cluster.tick(1)
    theirs = cluster.outstanding(other.fid)

    assert cluster.handle(decline_call(mine.fid, [*theirs, "no-such-offer"], refuse_seconds=60)) == []
    assert cluster.outstanding(other.fid) == theirs


def test_a_filter_lapses_when_more_becomes_free_on_the_agent(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.start(sub, "t1", cpus=2)
    cluster.handle(decline_call(sub.fid, cluster.outstanding(sub.fid) or offer_ids(cluster.tick(1)),
                                refuse_seconds=3600))
    assert offers(cluster.tick(1)) == []

    finished = cluster.pod(sub.fid, "t1", ended_pod("n1", 0))
    cluster.ack(sub.fid, finished)

    # What is free now is more than what was refused: offered again before the filter expires.
    [offer] = offers(cluster.tick(1))
    assert resources_of(offer).cpus == 4


def test_accept_declines_the_leftovers_with_accept_filters(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    effects = cluster.handle(accept_call(sub.fid, offer_ids(sub.effects), task_info("t1", agent_id("n1"))))
    assert created(effects) == {"t1": "n1"}

    assert offers(cluster.tick(4.9)) == []  # Accept.filters defaults to refuse_seconds 5
    [offer] = offers(cluster.tick(0.1))
    assert resources_of(offer).cpus == 3


def test_accept_with_explicit_filters_uses_them_for_the_leftovers(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.handle(accept_call(sub.fid, offer_ids(sub.effects), task_info("t1", agent_id("n1")),
                               refuse_seconds=30))
    assert offers(cluster.tick(29)) == []
    assert offered_agents(cluster.tick(1)) == [agent_id("n1")]


def test_accept_with_no_operations_is_a_decline(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    assert cluster.handle(accept_call(sub.fid, offer_ids(sub.effects))) == []
    assert offers(cluster.tick(4)) == []
    assert offered_agents(cluster.tick(1)) == [agent_id("n1")]


# ---------------------------------------------------------------------- §3.4 REVIVE, §3.5 SUPPRESS


def test_suppress_stops_new_offers_but_keeps_outstanding_ones(sim: Sim) -> None:
    sim.add_agent("n1")
    sub = sim.subscribe(framework_info())
    [held] = offer_ids(sub.effects)

    assert sim.handle(simple_call(sub.fid, Call.SUPPRESS)) == []
    sim.add_agent("n2")
    assert offers(sim.tick(1)) == [] and rescinded(sim.tick(1)) == []

    # The held offer is still good.
    assert created(sim.handle(accept_call(sub.fid, [held], task_info("t1", agent_id("n1"))))) == {"t1": "n1"}


def test_revive_clears_filters_and_offers_at_once(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.handle(decline_call(sub.fid, offer_ids(sub.effects), refuse_seconds=3600))
    cluster.handle(simple_call(sub.fid, Call.SUPPRESS))

    effects = cluster.handle(simple_call(sub.fid, Call.REVIVE))

    assert offered_agents(effects) == [agent_id("n1")]


def test_revive_or_suppress_naming_a_foreign_role_is_dropped(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(role="web"))
    cluster.handle(decline_call(sub.fid, offer_ids(sub.effects), refuse_seconds=3600))
    call = simple_call(sub.fid, Call.REVIVE)
    call.revive.roles.append("batch")
    assert cluster.handle(call) == []
    call = simple_call(sub.fid, Call.REVIVE)
    call.revive.roles.append("web")
    assert offered_agents(cluster.handle(call)) == [agent_id("n1")]


# ---------------------------------------------------------------------- rescinds


def test_other_pods_taking_offered_capacity_rescind_the_offer(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    [offer] = offer_ids(sub.effects)

    effects = cluster.master.foreign_usage("n1", Resources.parse("cpus:1;mem:256"), cluster.now)

    assert rescinded(effects, sub.fid) == [offer]
    [smaller] = offers(cluster.tick(1))  # no filter: offered again, smaller
    assert resources_of(smaller).cpus == 3 and resources_of(smaller).mem == 3840


def test_node_shrinking_below_an_offer_rescinds_it_and_growing_does_not(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    [offer] = offer_ids(sub.effects)

    assert rescinded(cluster.add_agent("n1", zone="z1", cpu="8")) == []
    assert rescinded(cluster.add_agent("n1", zone="z1", cpu="2")) == [offer]
    assert resources_of(offers(cluster.tick(1))[0]).cpus == 2


def test_cordoning_a_node_rescinds_its_offers(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    [offer] = offer_ids(sub.effects)
    assert rescinded(cluster.add_agent("n1", zone="z1", unschedulable=True), sub.fid) == [offer]
    assert offers(cluster.tick(1)) == []


def test_a_not_ready_node_rescinds_its_offers_but_leaves_its_tasks_alone(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(PA))
    cluster.start(sub, "t1")
    offer = offer_ids(cluster.tick(1))

    effects = cluster.add_agent("n1", zone="z1", ready="False")  # NotReady, but its kubelet still reports

    assert rescinded(effects) == offer and updates(effects) == []
    assert offers(cluster.tick(1)) == []
    assert offered_agents(cluster.add_agent("n1", zone="z1") + cluster.tick(1)) == [agent_id("n1")]


def test_a_deleted_node_rescinds_its_offers_and_reports_agent_failure(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    other = cluster.subscribe(framework_info(name="idle"))  # holds nothing
    [offer] = offer_ids(sub.effects)

    effects = cluster.master.agent_removed("n1", cluster.now)

    assert rescinded(effects, sub.fid) == [offer]
    for fid in (sub.fid, other.fid):
        [failure] = sent(effects, fid, kind=Event.FAILURE)
        assert failure.failure.agent_id.value == agent_id("n1")
        assert not failure.failure.HasField("executor_id") and not failure.failure.HasField("status")


def test_offer_timeout_rescinds_without_a_filter() -> None:
    sim = Sim(MasterConfig(offer_timeout=30))
    sim.add_agent("n1")
    sub = sim.subscribe(framework_info())
    [offer] = offer_ids(sub.effects)

    assert rescinded(sim.tick(29)) == []
    effects = sim.tick(1)
    assert rescinded(effects, sub.fid) == [offer]
    assert offered_agents(effects) == [agent_id("n1")]  # re-offered in the same cycle


# ---------------------------------------------------------------------- fairness


def test_the_framework_with_the_smaller_share_is_offered_first(sim: Sim) -> None:
    sim.add_agent("n1")
    big = sim.subscribe(framework_info(name="big"))
    sim.start(big, "t1", cpus=2)  # holds 2 cpus; the leftovers went back without a filter
    small = sim.subscribe(framework_info(name="small"))
    sim.handle(decline_call(small.fid, offer_ids(small.effects), refuse_seconds=0))

    effects = sim.tick(1)

    # `big` registered first, but `small` holds less, so the free 2 cpus go to `small`.
    assert offered_agents(effects, small.fid) == [agent_id("n1")]
    assert offers(effects, big.fid) == []


def test_allocation_shares_agents_between_equal_frameworks(sim: Sim) -> None:
    sim.add_agent("n1")
    sim.add_agent("n2")
    a = sim.subscribe(framework_info(name="a"), suppressed_roles=["*"])
    b = sim.subscribe(framework_info(name="b"), suppressed_roles=["*"])
    sim.handle(simple_call(a.fid, Call.REVIVE))
    sim.handle(decline_call(a.fid, sim.outstanding(a.fid), refuse_seconds=0))
    sim.handle(simple_call(b.fid, Call.REVIVE))
    sim.handle(decline_call(b.fid, sim.outstanding(b.fid), refuse_seconds=0))

    effects = sim.tick(1)

    # As Mesos' DRF allocator does, shares are re-sorted after each agent: one agent each.
    assert len(offers(effects, a.fid)) == 1 and len(offers(effects, b.fid)) == 1


# ====================================================================== §3.2 ACCEPT


def _assert_master_update(status: Status, task_id: str, state: str, reason: int, message: str) -> None:
    assert status.task_id.value == task_id
    assert mesos_pb2.TaskState.Name(status.state) == state
    assert status.reason == reason
    assert status.source == Status.SOURCE_MASTER
    assert status.message == message
    assert not status.HasField("uuid")


@pytest.mark.parametrize(("capabilities", "state"), [((), "TASK_LOST"), ((PA,), "TASK_DROPPED")])
def test_accept_of_an_unknown_offer_drops_every_task(cluster: Sim, capabilities: tuple[int, ...],
                                                     state: str) -> None:
    sub = cluster.subscribe(framework_info(*capabilities))
    t1, t2 = task_info("t1", agent_id("n1")), task_info("t2", agent_id("n1"))

    effects = cluster.handle(accept_call(sub.fid, ["no-such-offer"], t1, t2))

    assert created(effects) == {}
    lost = updates(effects, sub.fid)
    for status, task_id in zip(lost, ("t1", "t2"), strict=True):
        _assert_master_update(status, task_id, state, Status.REASON_INVALID_OFFERS,
                              "Task launched with invalid offers: Offer no-such-offer is no longer valid")
        assert status.agent_id.value == agent_id("n1")  # the task's agent


def test_accept_with_a_duplicate_offer_releases_the_valid_offer_without_a_filter(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    [offer] = offer_ids(sub.effects)

    effects = cluster.handle(accept_call(sub.fid, [offer, offer], task_info("t1", agent_id("n1"))))

    [lost] = updates(effects)
    _assert_master_update(lost, "t1", "TASK_LOST", Status.REASON_INVALID_OFFERS,
                          f"Task launched with invalid offers: Duplicate offer {offer} in offer list")
    assert cluster.outstanding(sub.fid) == []
    assert offered_agents(cluster.tick(1)) == [agent_id("n1")]  # no filter was installed


def test_accept_of_another_frameworks_offer_is_refused(cluster: Sim) -> None:
    mine = cluster.subscribe(framework_info(PA))
    theirs = cluster.subscribe(framework_info(name="other"))
    cluster.add_agent("n2")
    cluster.tick(1)
    [their_offer] = cluster.outstanding(theirs.fid)

    effects = cluster.handle(accept_call(mine.fid, [their_offer], task_info("t1", agent_id("n2"))))

    [dropped] = updates(effects, mine.fid)
    _assert_master_update(
        dropped, "t1", "TASK_DROPPED", Status.REASON_INVALID_OFFERS,
        f"Task launched with invalid offers: Offer {their_offer} has invalid framework {theirs.fid}"
        f" while framework {mine.fid} is expected")
    assert cluster.outstanding(theirs.fid) == [their_offer]  # the owner keeps its offer
    assert sent(effects, theirs.fid) == []


def test_accept_of_offers_on_different_agents_is_refused(sim: Sim) -> None:
    sim.add_agent("n1")
    sim.add_agent("n2")
    sub = sim.subscribe(framework_info())
    first, second = sim.outstanding(sub.fid, "n1")[0], sim.outstanding(sub.fid, "n2")[0]

    [lost] = updates(sim.handle(accept_call(sub.fid, [first, second], task_info("t1", agent_id("n1")))))

    _assert_master_update(
        lost, "t1", "TASK_LOST", Status.REASON_INVALID_OFFERS,
        f"Task launched with invalid offers: Aggregated offers must belong to one single agent. Offer {second}"
        f" uses agent {agent_id('n2')} and agent {agent_id('n1')}")


def test_invalid_tasks_get_task_error_and_their_valid_siblings_launch(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    no_resources = task_info("bad", agent_id("n1"))
    del no_resources.resources[:]
    good = task_info("good", agent_id("n1"))
    duplicate = task_info("good", agent_id("n1"))

    effects = cluster.handle(accept_call(sub.fid, offer_ids(sub.effects), no_resources, good, duplicate))

    assert created(effects) == {"good": "n1"}
    bad_update, duplicate_update = updates(effects)
    _assert_master_update(bad_update, "bad", "TASK_ERROR", Status.REASON_TASK_INVALID, "Task uses no resources")
    _assert_master_update(duplicate_update, "good", "TASK_ERROR", Status.REASON_TASK_INVALID,
                          "Task has duplicate ID: good")


def test_a_task_needing_more_than_offered_is_invalid_and_consumes_nothing(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    big = task_info("big", agent_id("n1"), cpus=3)
    too_big = task_info("too-big", agent_id("n1"), cpus=2)  # only 1 cpu is left after `big`
    fits = task_info("fits", agent_id("n1"), cpus=1)

    effects = cluster.handle(accept_call(sub.fid, offer_ids(sub.effects), big, too_big, fits))

    assert created(effects) == {"big": "n1", "fits": "n1"}
    [error] = updates(effects)
    assert (error.task_id.value, error.reason) == ("too-big", Status.REASON_TASK_INVALID)
    assert states([error]) == ["TASK_ERROR"] and not error.HasField("uuid")
    assert error.message.startswith("Total resources cpus(allocated: *):2; mem(allocated: *):128"
                                    " required by task and its executor is more than available cpus(allocated: *):1;")


def test_launch_group_is_refused_as_an_invalid_task_group(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    a, b = task_info("a", agent_id("n1"), command=None), task_info("b", agent_id("n1"), command=None)

    effects = cluster.handle(accept_call(sub.fid, offer_ids(sub.effects), a, b, group=True))

    assert created(effects) == {}
    group = updates(effects)
    assert [s.task_id.value for s in group] == ["a", "b"]
    for status in group:
        assert states([status]) == ["TASK_ERROR"]
        assert (status.reason, status.source) == (Status.REASON_TASK_GROUP_INVALID, Status.SOURCE_MASTER)
        assert not status.HasField("uuid")


def test_launch_creates_the_pod_on_the_agents_node_without_any_update(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    info = task_info("t1", agent_id("n1"), ports=(31000, 31000))

    effects = cluster.handle(accept_call(sub.fid, offer_ids(sub.effects), info))

    [pod_effect] = [e for e in effects if isinstance(e, CreatePod)]
    assert (pod_effect.framework_id, pod_effect.node_name) == (sub.fid, "n1")
    assert pod_effect.task.task_id.value == "t1"
    assert updates(effects) == []  # no update for TASK_STAGING
    [answer] = updates(cluster.handle(reconcile_call(sub.fid, ("t1", None))))
    assert states([answer]) == ["TASK_STAGING"]


def test_multi_role_tasks_may_carry_the_offers_allocation_info(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(MULTI_ROLE, roles=["web"]))
    info = task_info("t1", agent_id("n1"))
    for resource in info.resources:
        resource.allocation_info.role = "web"  # copied from the offer, as schedulers do

    effects = cluster.handle(accept_call(sub.fid, offer_ids(sub.effects), info))

    assert updates(effects) == []
    assert created(effects) == {"t1": "n1"}


def test_custom_executor_tasks_get_the_framework_id_filled_in(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    info = task_info("t1", agent_id("n1"), command=None)
    info.executor.executor_id.value = "exec-1"
    info.executor.command.value = "./my-executor"
    info.executor.resources.extend([scalar("cpus", 0.1), scalar("mem", 32)])

    effects = cluster.handle(accept_call(sub.fid, offer_ids(sub.effects), info))

    assert updates(effects) == []
    [pod_effect] = [e for e in effects if isinstance(e, CreatePod)]
    assert pod_effect.task.executor.framework_id.value == sub.fid
    [starting] = updates(cluster.created(sub.fid, "t1"))
    assert starting.executor_id.value == "exec-1"
    # Task and executor resources are both in use.
    [offer] = offers(cluster.tick(5))
    assert resources_of(offer).cpus == pytest.approx(2.9)


# ====================================================================== §6 reliable status updates


def test_pod_created_sends_a_reliable_task_starting(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.launch(sub, "t1")

    [starting] = updates(cluster.created(sub.fid, "t1"), sub.fid)

    assert states([starting]) == ["TASK_STARTING"]
    assert starting.uuid == (1).to_bytes(16, "big") and len(starting.uuid) == 16
    assert starting.agent_id.value == agent_id("n1")
    assert starting.executor_id.value == "t1"  # a command task's executor id is its task id
    assert starting.source == Status.SOURCE_EXECUTOR
    assert starting.timestamp == cluster.now


def test_one_outstanding_update_per_task_the_next_follows_the_ack(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.launch(sub, "t1")
    [starting] = updates(cluster.created(sub.fid, "t1"))

    assert updates(cluster.pod(sub.fid, "t1", running_pod("n1"))) == []  # queued behind STARTING
    assert updates(cluster.pod(sub.fid, "t1", ended_pod("n1", 0))) == []

    [running] = updates(cluster.handle(ack_call(sub.fid, starting)))
    assert states([running]) == ["TASK_RUNNING"] and running.uuid != starting.uuid
    [finished] = updates(cluster.handle(ack_call(sub.fid, running)))
    assert states([finished]) == ["TASK_FINISHED"]
    assert finished.message == "Command exited with status 0"


def test_acks_with_a_wrong_uuid_are_ignored(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.launch(sub, "t1")
    [starting] = updates(cluster.created(sub.fid, "t1"))
    cluster.pod(sub.fid, "t1", running_pod("n1"))
    stale = Status()
    stale.CopyFrom(starting)
    stale.uuid = b"\x00" * 15 + b"\x99"

    assert cluster.handle(ack_call(sub.fid, stale)) == []
    assert states(updates(cluster.handle(ack_call(sub.fid, starting)))) == ["TASK_RUNNING"]
    assert cluster.handle(ack_call(sub.fid, starting)) == []  # a duplicate ack


def test_unacknowledged_updates_are_retried_with_backoff_up_to_ten_minutes(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.launch(sub, "t1")
    [starting] = updates(cluster.created(sub.fid, "t1"))
    sent_at = cluster.now

    resends: list[float] = []
    for _ in range(2000):
        if updates(cluster.tick(1)) == [starting]:
            resends.append(cluster.now - sent_at)
    gaps = [round(b - a) for a, b in itertools.pairwise([0.0, *resends])]
    assert gaps == [10, 20, 40, 80, 160, 320, 600, 600]


def test_the_retry_timer_restarts_after_an_ack(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.launch(sub, "t1")
    [starting] = updates(cluster.created(sub.fid, "t1"))
    cluster.pod(sub.fid, "t1", running_pod("n1"))
    assert updates(cluster.tick(10) + cluster.tick(20) + cluster.tick(40)) == [starting] * 3  # backing off

    cluster.tick(5)
    [running] = updates(cluster.handle(ack_call(sub.fid, starting)))

    assert updates(cluster.tick(9)) == []
    assert updates(cluster.tick(1)) == [running]  # 10 s after it was sent, not 160 s
    assert updates(cluster.tick(19)) == []
    assert updates(cluster.tick(1)) == [running]


def test_updates_are_not_sent_while_disconnected_and_follow_the_resubscription(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(failover_timeout=600))
    cluster.start(sub, "t1")
    cluster.master.disconnected(sub.fid, sub.stream, cluster.now)

    assert updates(cluster.pod(sub.fid, "t1", ended_pod("n1", 0))) == []
    assert updates(cluster.tick(60)) == []

    back = cluster.subscribe(framework_info(failover_timeout=600, fid=sub.fid))
    [finished] = updates(back.effects)
    assert states([finished]) == ["TASK_FINISHED"] and finished.uuid


def test_acknowledging_the_terminal_update_removes_the_task_and_deletes_its_pod(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(PA))
    cluster.start(sub, "t1")
    [finished] = updates(cluster.pod(sub.fid, "t1", ended_pod("n1", 0)))

    [answer] = updates(cluster.handle(reconcile_call(sub.fid)))  # unacknowledged terminal: still known
    assert states([answer]) == ["TASK_FINISHED"]

    effects = cluster.handle(ack_call(sub.fid, finished))

    assert deleted(effects) == {"t1": 0.0}
    assert updates(cluster.handle(reconcile_call(sub.fid))) == []
    [gone] = updates(cluster.handle(reconcile_call(sub.fid, ("t1", agent_id("n1")))))
    assert states([gone]) == ["TASK_GONE"]


def test_a_failed_command_is_task_failed_with_command_executor_failed(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.start(sub, "t1")

    [failed] = updates(cluster.pod(sub.fid, "t1", ended_pod("n1", 3)))

    assert states([failed]) == ["TASK_FAILED"]
    assert failed.reason == Status.REASON_COMMAND_EXECUTOR_FAILED
    assert failed.message == "Command exited with status 3"
    assert failed.source == Status.SOURCE_EXECUTOR and failed.uuid


def test_a_finished_task_frees_its_resources_at_once(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.start(sub, "t1", cpus=4, mem=4096)
    assert offers(cluster.tick(1)) == []

    cluster.pod(sub.fid, "t1", ended_pod("n1", 0))  # not acknowledged yet

    assert resources_of(offers(cluster.tick(1))[0]).cpus == 4


def test_an_image_that_cannot_be_pulled_fails_the_launch_after_the_timeout() -> None:
    sim = Sim(MasterConfig(launch_failure_timeout=120))
    sim.add_agent("n1")
    sub = sim.subscribe(framework_info())
    sim.launch(sub, "t1")
    sim.ack(sub.fid, sim.created(sub.fid, "t1"))

    waiting = sim.pod(sub.fid, "t1", image_pull_pod("n1"))
    # The kubelet alternates between the two reasons while it backs off; the clock keeps running.
    for step in range(11):
        reason = "ImagePullBackOff" if step % 2 == 0 else "ErrImagePull"
        waiting += sim.tick(10) + sim.pod(sub.fid, "t1", image_pull_pod("n1", reason))
    assert [s for s in updates(waiting) if is_terminal_name(s)] == []

    effects = sim.tick(10)  # 120 s after the first pull error

    [failed] = updates(effects)
    assert states([failed]) == ["TASK_FAILED"]
    assert failed.reason == Status.REASON_CONTAINER_LAUNCH_FAILED
    assert failed.message.startswith("Failed to launch container: ")
    assert deleted(effects) == {"t1": 0.0}


# ====================================================================== §3.6 KILL


def test_kill_of_a_running_task_deletes_its_pod_then_reports_task_killed(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.start(sub, "t1", grace=7)

    effects = cluster.handle(kill_call(sub.fid, "t1"))

    assert deleted(effects) == {"t1": 7.0}  # the task's kill policy
    assert updates(effects) == []  # no TASK_KILLING without TASK_KILLING_STATE
    [killed] = updates(cluster.pod(sub.fid, "t1", None))
    assert states([killed]) == ["TASK_KILLED"] and killed.uuid


def test_kill_sends_task_killing_to_frameworks_that_ask_for_it(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(KILLING))
    cluster.start(sub, "t1", grace=7)

    effects = cluster.handle(kill_call(sub.fid, "t1", agent=agent_id("n1"), grace=2))

    assert deleted(effects) == {"t1": 2.0}  # the kill call's policy wins
    [killing] = updates(effects)
    assert states([killing]) == ["TASK_KILLING"] and killing.uuid
    cluster.handle(ack_call(sub.fid, killing))
    assert states(updates(cluster.pod(sub.fid, "t1", None))) == ["TASK_KILLED"]


def test_kill_naming_another_agent_is_ignored(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.start(sub, "t1")
    assert cluster.handle(kill_call(sub.fid, "t1", agent="some-other-agent")) == []


def test_kill_before_the_pod_exists_is_task_killed_during_launch(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.launch(sub, "t1")

    effects = cluster.handle(kill_call(sub.fid, "t1"))

    assert deleted(effects) == {"t1": None}
    [killed] = updates(effects)
    assert states([killed]) == ["TASK_KILLED"]
    assert killed.reason == Status.REASON_TASK_KILLED_DURING_LAUNCH
    assert cluster.created(sub.fid, "t1") == []  # a late creation report changes nothing


@pytest.mark.parametrize(("capabilities", "agent", "state", "message"), [
    ((), "n1", "TASK_LOST", "Reconciliation: Task is unknown to the agent"),
    ((), None, "TASK_LOST", "Reconciliation: Task is unknown"),
    ((PA,), "n1", "TASK_GONE", "Reconciliation: Task is unknown to the agent"),
    ((PA,), None, "TASK_UNKNOWN", "Reconciliation: Task is unknown"),
    ((PA,), "vanished", "TASK_UNKNOWN", "Reconciliation: Task is unknown"),
])
def test_kill_of_an_unknown_task_is_answered_as_explicit_reconciliation(
        cluster: Sim, capabilities: tuple[int, ...], agent: str | None, state: str, message: str) -> None:
    sub = cluster.subscribe(framework_info(*capabilities))

    effects = cluster.handle(kill_call(sub.fid, "nope", agent=agent_id(agent) if agent else None))

    assert deleted(effects) == {}
    [answer] = updates(effects)
    _assert_master_update(answer, "nope", state, Status.REASON_RECONCILIATION, message)


# ====================================================================== §3.10 RECONCILE


def test_implicit_reconciliation_reports_the_latest_state_sent(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    cluster.start(sub, "running")
    cluster.launch(sub, "starting")
    cluster.created(sub.fid, "starting")  # STARTING sent, not acknowledged ...
    cluster.pod(sub.fid, "starting", running_pod("n1"))  # ... so RUNNING is not sent yet
    cluster.launch(sub, "staging")
    cluster.start(sub, "done")
    [finished] = updates(cluster.pod(sub.fid, "done", ended_pod("n1", 0)))
    cluster.start(sub, "acked")
    cluster.ack(sub.fid, cluster.pod(sub.fid, "acked", ended_pod("n1", 0)))

    answers = updates(cluster.handle(reconcile_call(sub.fid)))

    assert {s.task_id.value: states([s])[0] for s in answers} == {
        "running": "TASK_RUNNING", "starting": "TASK_STARTING", "staging": "TASK_STAGING",
        "done": "TASK_FINISHED"}
    for status in answers:
        assert status.reason == Status.REASON_RECONCILIATION and status.source == Status.SOURCE_MASTER
        assert status.message == "Reconciliation: Latest task state"
        assert not status.HasField("uuid")
        assert status.agent_id.value == agent_id("n1")
    assert finished.uuid  # the real update still awaits its ack


def test_explicit_reconciliation(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(PA))
    cluster.start(sub, "t1")

    answers = updates(cluster.handle(reconcile_call(
        sub.fid, ("t1", None), ("ghost", agent_id("n1")), ("ghost2", "unknown-agent"), ("ghost3", None))))

    assert [(s.task_id.value, states([s])[0], s.message) for s in answers] == [
        ("t1", "TASK_RUNNING", "Reconciliation: Latest task state"),
        ("ghost", "TASK_GONE", "Reconciliation: Task is unknown to the agent"),
        ("ghost2", "TASK_UNKNOWN", "Reconciliation: Task is unknown"),
        ("ghost3", "TASK_UNKNOWN", "Reconciliation: Task is unknown"),
    ]
    assert all(s.reason == Status.REASON_RECONCILIATION and not s.HasField("uuid") for s in answers)


def test_explicit_reconciliation_without_partition_awareness_is_task_lost(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    answers = updates(cluster.handle(reconcile_call(sub.fid, ("a", agent_id("n1")), ("b", "unknown-agent"))))
    assert states(answers) == ["TASK_LOST", "TASK_LOST"]


# ====================================================================== §6.6 partitions and lost nodes


@pytest.mark.parametrize(("capabilities", "state"), [((), "TASK_LOST"), ((PA,), "TASK_UNREACHABLE")])
def test_a_node_whose_readiness_is_unknown_makes_its_tasks_unreachable(
        cluster: Sim, capabilities: tuple[int, ...], state: str) -> None:
    sub = cluster.subscribe(framework_info(*capabilities))
    cluster.start(sub, "t1")

    effects = cluster.add_agent("n1", zone="z1", ready="Unknown")

    [status] = updates(effects)
    assert states([status]) == [state]
    assert (status.source, status.reason) == (Status.SOURCE_MASTER, Status.REASON_AGENT_REMOVED)
    assert not status.HasField("uuid")
    assert status.unreachable_time.nanoseconds == int(cluster.now * 1e9)
    assert offers(cluster.tick(1)) == []  # nothing on it is offered
    # Unreachable tasks are left out of implicit reconciliation.
    assert updates(cluster.handle(reconcile_call(sub.fid))) == []


@pytest.mark.parametrize("capabilities", [(), (PA,)])
def test_a_node_back_from_a_partition_reports_its_tasks_current_state(
        cluster: Sim, capabilities: tuple[int, ...]) -> None:
    sub = cluster.subscribe(framework_info(*capabilities))
    cluster.start(sub, "t1")
    cluster.add_agent("n1", zone="z1", ready="Unknown")
    cluster.tick(30)

    effects = cluster.add_agent("n1", zone="z1")

    [status] = updates(effects)
    assert states([status]) == ["TASK_RUNNING"]
    assert (status.source, status.reason) == (Status.SOURCE_MASTER, Status.REASON_AGENT_REREGISTERED)
    assert status.message == "Unreachable agent re-reregistered"
    assert not status.HasField("uuid")
    [answer] = updates(cluster.handle(reconcile_call(sub.fid)))
    assert states([answer]) == ["TASK_RUNNING"]


def test_after_a_partition_the_tasks_news_follow_reliably(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(PA))
    cluster.launch(sub, "t1")
    cluster.ack(sub.fid, cluster.created(sub.fid, "t1"))
    cluster.pod(sub.fid, "t1", pending_pod("n1"))
    cluster.add_agent("n1", zone="z1", ready="Unknown")

    # The node is back; the pod still shows what it showed before ...
    [reregistered] = updates(cluster.add_agent("n1", zone="z1"))
    assert states([reregistered]) == ["TASK_STARTING"]
    assert reregistered.reason == Status.REASON_AGENT_REREGISTERED and not reregistered.HasField("uuid")
    # ... then the kubelet's status writes arrive, as the agent's own reliable updates would.
    [running] = updates(cluster.pod(sub.fid, "t1", running_pod("n1")))
    assert states([running]) == ["TASK_RUNNING"] and running.uuid


def test_an_end_written_before_the_partition_is_reported_while_it_lasts(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(PA))
    cluster.start(sub, "t1")
    cluster.add_agent("n1", zone="z1", ready="Unknown")

    [finished] = updates(cluster.pod(sub.fid, "t1", ended_pod("n1", 0)))

    assert states([finished]) == ["TASK_FINISHED"] and finished.uuid
    assert updates(cluster.add_agent("n1", zone="z1")) == []  # nothing left to re-register
    assert deleted(cluster.handle(ack_call(sub.fid, finished))) == {"t1": 0.0}


def test_explicit_reconciliation_of_an_unreachable_task(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(PA))
    cluster.start(sub, "t1")
    partitioned_at = cluster.now
    cluster.add_agent("n1", zone="z1", ready="Unknown")
    cluster.tick(10)

    with_agent, without_agent = updates(cluster.handle(
        reconcile_call(sub.fid, ("t1", agent_id("n1")), ("t1", None))))

    assert states([with_agent, without_agent]) == ["TASK_UNREACHABLE", "TASK_UNKNOWN"]
    assert with_agent.message == "Reconciliation: Task is unreachable"
    assert with_agent.unreachable_time.nanoseconds == int(partitioned_at * 1e9)
    assert with_agent.reason == Status.REASON_RECONCILIATION


@pytest.mark.parametrize(("capabilities", "state"), [((), "TASK_LOST"), ((PA,), "TASK_GONE")])
def test_a_deleted_node_loses_its_tasks_and_reports_agent_failure(
        cluster: Sim, capabilities: tuple[int, ...], state: str) -> None:
    sub = cluster.subscribe(framework_info(*capabilities))
    cluster.start(sub, "t1")

    effects = cluster.master.agent_removed("n1", cluster.now)

    [status] = updates(effects)
    assert states([status]) == [state]
    assert (status.source, status.reason) == (Status.SOURCE_MASTER, Status.REASON_AGENT_REMOVED)
    assert not status.HasField("uuid")
    assert status.agent_id.value == agent_id("n1")
    [failure] = sent(effects, sub.fid, kind=Event.FAILURE)
    assert failure.failure.agent_id.value == agent_id("n1")
    # Nothing to acknowledge: the master forgets the task at once.
    assert updates(cluster.handle(reconcile_call(sub.fid))) == []
    [answer] = updates(cluster.handle(reconcile_call(sub.fid, ("t1", agent_id("n1")))))
    assert states([answer]) == ["TASK_LOST" if not capabilities else "TASK_UNKNOWN"]


def test_a_node_recreated_under_the_same_name_is_a_new_agent(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(PA))
    cluster.start(sub, "t1")

    effects = cluster.add_agent("n1", zone="z1", uid="uid-n1-again")

    assert states(updates(effects)) == ["TASK_GONE"]
    assert [e.failure.agent_id.value for e in sent(effects, kind=Event.FAILURE)] == [agent_id("n1")]
    [offer] = offers(cluster.tick(1))
    assert offer.agent_id.value == "uid-n1-again" and resources_of(offer).cpus == 4


def test_a_pod_deleted_by_someone_else_is_task_gone(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(PA))
    cluster.start(sub, "t1")
    [gone] = updates(cluster.pod(sub.fid, "t1", None))
    assert states([gone]) == ["TASK_GONE"] and gone.reason == Status.REASON_EXECUTOR_TERMINATED and gone.uuid


# ====================================================================== recovery after a restart


def _restarted(sim: Sim, nodes: Sequence[str] = ("n1",)) -> Sim:
    """A new master with the same identity, fed what Kubernetes still has."""
    again = Sim(now=sim.now + 30)
    for name in nodes:
        again.add_agent(name)
    return again


def test_recovered_tasks_resume_where_the_pods_are(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(failover_timeout=3600))
    cluster.start(sub, "t1", cpus=2)
    cluster.launch(sub, "t2")
    cluster.created(sub.fid, "t2")
    info1 = cluster.master.frameworks[sub.fid].tasks["t1"].info
    info2 = cluster.master.frameworks[sub.fid].tasks["t2"].info
    saved = cluster.master.frameworks[sub.fid].info

    after = _restarted(cluster)
    after.master.recover_framework(saved, after.now)
    after.master.recover_task(sub.fid, info1, "n1", running_pod("n1"), after.now)
    after.master.recover_task(sub.fid, info2, "n1", ended_pod("n1", 1), after.now)  # failed meanwhile
    assert offers(after.tick(1)) == []  # nobody connected

    back = after.subscribe(framework_info(failover_timeout=3600, fid=sub.fid))

    assert kinds(back.effects)[0] == "SUBSCRIBED"
    # The end that happened while nobody watched is delivered reliably.
    [failed] = updates(back.effects)
    assert (failed.task_id.value, states([failed])) == ("t2", ["TASK_FAILED"]) and failed.uuid
    answers = updates(after.handle(reconcile_call(sub.fid)))
    assert {s.task_id.value: states([s])[0] for s in answers} == {"t1": "TASK_RUNNING", "t2": "TASK_FAILED"}
    # The running task still holds its resources.
    assert resources_of(offers(back.effects)[0]).cpus == 2
    # Pod changes flow as before.
    assert states(updates(after.pod(sub.fid, "t1", ended_pod("n1", 0)))) == ["TASK_FINISHED"]


def test_a_recovered_framework_that_never_returns_is_removed_after_its_failover_timeout(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(failover_timeout=600))
    cluster.start(sub, "t1")
    info = cluster.master.frameworks[sub.fid].tasks["t1"].info

    after = _restarted(cluster)
    after.master.recover_framework(cluster.master.frameworks[sub.fid].info, after.now)
    after.master.recover_task(sub.fid, info, "n1", running_pod("n1"), after.now)

    assert deleted(after.tick(599)) == {}
    effects = after.tick(1)
    assert deleted(effects) == {"t1": None}
    assert [e.framework_id for e in effects if isinstance(e, ForgetFramework)] == [sub.fid]


def test_tasks_of_a_framework_without_a_record_wait_for_it_the_recovery_timeout() -> None:
    sim = Sim(MasterConfig(recovered_failover_timeout=1000))
    sim.add_agent("n1")
    info = task_info("t1", agent_id("n1"))
    sim.master.recover_task("lost-record-0001", info, "n1", running_pod("n1"), sim.now)

    assert deleted(sim.tick(999)) == {}
    back = sim.subscribe(framework_info(fid="lost-record-0001", failover_timeout=60))
    assert kinds(back.effects)[0] == "SUBSCRIBED"
    assert states(updates(sim.handle(reconcile_call(back.fid)))) == ["TASK_RUNNING"]


def test_kill_of_an_ended_but_unacknowledged_task_does_nothing(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info(PA))
    cluster.start(sub, "t1")
    cluster.pod(sub.fid, "t1", ended_pod("n1", 0))
    assert cluster.handle(kill_call(sub.fid, "t1")) == []


def test_health_changes_are_running_updates_with_the_health_check_reason(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    info = task_info("t1", agent_id("n1"))
    info.health_check.type = mesos_pb2.HealthCheck.COMMAND
    info.health_check.command.value = "true"
    cluster.handle(accept_call(sub.fid, offer_ids(sub.effects), info))
    cluster.ack(sub.fid, cluster.created(sub.fid, "t1"))

    [running] = updates(cluster.pod(sub.fid, "t1", running_pod("n1", ready=False)))
    assert states([running]) == ["TASK_RUNNING"] and running.healthy is False
    cluster.handle(ack_call(sub.fid, running))

    [healthy] = updates(cluster.pod(sub.fid, "t1", running_pod("n1", ready=True)))
    assert states([healthy]) == ["TASK_RUNNING"] and healthy.healthy is True
    assert healthy.reason == Status.REASON_TASK_HEALTH_CHECK_STATUS_UPDATED
    [answer] = updates(cluster.handle(reconcile_call(sub.fid)))
    assert answer.healthy is True


# ====================================================================== a property of the allocator

_accept = st.tuples(st.just("accept"), st.integers(0, 1), st.integers(0, 20),
                    st.lists(st.tuples(st.sampled_from([0.1, 0.5, 1.0, 1.5, 3.0]),
                                       st.sampled_from([32.0, 100.0, 512.0, 2048.0])), min_size=1, max_size=3),
                    st.sampled_from([None, 0.0, 2.0]))
_operation = st.one_of(
    _accept,
    st.tuples(st.just("tick"), st.sampled_from([0.0, 0.5, 1.0, 3.0, 6.0])),
    st.tuples(st.just("decline"), st.integers(0, 1), st.integers(0, 20), st.sampled_from([None, 0.0, 1.0, 5.0])),
    _accept,
    st.tuples(st.just("created"), st.integers(0, 50)),
    st.tuples(st.just("finished"), st.integers(0, 50), st.sampled_from([0, 1])),
    st.tuples(st.just("revive"), st.integers(0, 1)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.tuples(st.sampled_from(["1", "2", "3500m"]), st.sampled_from(["1Gi", "3Gi"])),
                      min_size=1, max_size=3),
       operations=st.lists(_operation, min_size=10, max_size=60))
def test_offers_and_tasks_never_exceed_an_agent_and_offer_ids_are_never_reused(
        sizes: list[tuple[str, str]], operations: list[tuple[Any, ...]]) -> None:
    sim = Sim()
    totals: dict[str, Resources] = {}
    for index, (cpu, memory) in enumerate(sizes):
        spec = agent(f"n{index}", cpu=cpu, memory=memory)
        sim.master.agent_updated(spec, sim.now)
        totals[spec.agent_id] = spec.total
    subs = [sim.subscribe(framework_info(name="a")), sim.subscribe(framework_info(name="b"))]

    seen_offers: set[str] = set()
    outstanding: dict[str, tuple[str, str, Resources]] = {}  # offer id -> (framework, agent, resources)
    live: dict[tuple[str, str], tuple[str, Resources]] = {}  # (framework, task) -> (agent, resources)
    staging: list[tuple[str, str]] = []
    created_pods: list[str] = []
    task_numbers = itertools.count()

    def observe(effects: Effects) -> None:
        for offer in offers(effects):
            assert offer.id.value not in seen_offers, "offer id reused"
            seen_offers.add(offer.id.value)
            outstanding[offer.id.value] = (offer.framework_id.value, offer.agent_id.value, resources_of(offer))
        for offer_id in rescinded(effects):
            outstanding.pop(offer_id)
        for effect in effects:
            if isinstance(effect, CreatePod):
                key = (effect.framework_id, effect.task.task_id.value)
                live[key] = (effect.task.agent_id.value, Resources.from_proto(list(effect.task.resources)))
                staging.append(key)
                created_pods.append(key[1])
        for agent_key, total in totals.items():
            used = Resources.sum([r for (_, a, r) in outstanding.values() if a == agent_key]
                                 + [r for (a, r) in live.values() if a == agent_key])
            assert total.contains(used), f"{agent_key}: {used} > {total}"
            record = sim.master.agents[agent_key]
            assert record.offered + record.ours == used  # the master's sums agree with what it said

    for sub in subs:
        observe(sub.effects)
    for operation in operations:
        kind = operation[0]
        if kind == "tick":
            observe(sim.tick(operation[1]))
        elif kind == "revive":
            observe(sim.handle(simple_call(subs[operation[1]].fid, Call.REVIVE)))
        elif kind in ("decline", "accept"):
            held = sorted(outstanding)
            if not held:
                continue
            chosen = held[(operation[1] * 7 + operation[2]) % len(held)]
            fid, where, _ = outstanding.pop(chosen)
            if kind == "decline":
                observe(sim.handle(decline_call(fid, [chosen], refuse_seconds=operation[3])))
            else:
                tasks = [task_info(f"t{next(task_numbers)}", where, cpus=cpus, mem=mem)
                         for cpus, mem in operation[3]]
                observe(sim.handle(accept_call(fid, [chosen], *tasks, refuse_seconds=operation[4])))
        elif kind == "created" and staging:
            key = staging.pop(operation[1] % len(staging))
            observe(sim.created(*key))
        elif kind == "finished" and live:
            key = sorted(live)[operation[1] % len(live)]
            node_name = next(a.spec.node_name for a in sim.master.agents.values() if a.agent_id == live[key][0])
            if key in staging:
                staging.remove(key)
                observe(sim.created(*key))
            effects = sim.pod(key[0], key[1], ended_pod(node_name, operation[2]))
            del live[key]
            observe(effects)
            observe(sim.ack(key[0], effects))
    event(f"pods created: {min(len(created_pods), 8)}{'+' if len(created_pods) >= 8 else ''}")


# ---------------------------------------------------------------------- operations


def test_explicit_operation_reconciliation_answers_unknown_and_implicit_answers_nothing(cluster: Sim) -> None:
    sub = cluster.subscribe(framework_info())
    call = simple_call(sub.fid, Call.RECONCILE_OPERATIONS)
    entry = call.reconcile_operations.operations.add()
    entry.operation_id.value = "op-1"
    entry.agent_id.value = agent_id("n1")

    effects = cluster.handle(call)

    [answer] = sent(effects, sub.fid)
    status = answer.update_operation_status.status
    assert (status.operation_id.value, status.state, status.agent_id.value) == (
        "op-1", mesos_pb2.OPERATION_UNKNOWN, agent_id("n1"))
    assert not status.HasField("uuid")
    assert cluster.handle(simple_call(sub.fid, Call.RECONCILE_OPERATIONS)) == []


def test_subscribed_announces_the_configured_heartbeat_interval() -> None:
    master = Master(master_info(), MasterConfig(heartbeat_interval=2.5))
    effects = master.subscribe(subscribe_call(framework_info()), "s1", 0.0)
    [subscribed] = [e.event for e in effects if isinstance(e, SendEvent) and e.event.type == Event.SUBSCRIBED]
    assert subscribed.subscribed.heartbeat_interval_seconds == 2.5
