"""`/master/state` and `/metrics/snapshot`: the master seen as Mesos tools expect (v0 names)."""

from __future__ import annotations

from typing import Any

from mesoshim.master import Master
from mesoshim.model import Framework, Task
from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.resources import Resources


def _resources(resources: Resources) -> dict[str, Any]:
    out: dict[str, Any] = {name: 0.0 for name in ("cpus", "gpus", "mem", "disk")}
    out.update(resources.summary())
    return out


def _task(task: Task) -> dict[str, Any]:
    return {
        "id": task.task_id, "name": task.info.name, "framework_id": task.framework_id,
        "executor_id": task.info.executor.executor_id.value if task.info.HasField("executor") else "",
        "slave_id": task.agent_id, "state": mesos_pb2.TaskState.Name(task.state),
        "resources": _resources(task.resources), "role": "*",
        "statuses": [{"state": mesos_pb2.TaskState.Name(s), "timestamp": t} for s, t in task.statuses],
    }


def _framework(fw: Framework, master: Master) -> dict[str, Any]:
    used = Resources()
    for task in fw.tasks.values():
        if not task.terminal:
            used = used + task.resources
    offered = Resources()
    for offer in fw.offers.values():
        offered = offered + offer.resources
    return {
        "id": fw.framework_id, "name": fw.info.name, "user": fw.info.user, "hostname": fw.info.hostname,
        "webui_url": fw.info.webui_url, "principal": fw.info.principal or None,
        "active": fw.connected and not fw.suppressed, "connected": fw.connected, "recovered": False,
        "failover_timeout": fw.info.failover_timeout, "checkpoint": fw.info.checkpoint,
        "registered_time": fw.registered_time, "unregistered_time": fw.unregistered_time or 0,
        "capabilities": [mesos_pb2.FrameworkInfo.Capability.Type.Name(c.type) for c in fw.info.capabilities],
        "role": fw.role, "used_resources": _resources(used), "offered_resources": _resources(offered),
        "resources": _resources(used + offered),
        "tasks": [_task(t) for t in fw.tasks.values() if not t.terminal],
        "completed_tasks": [_task(t) for t in fw.completed_tasks]
        + [_task(t) for t in fw.tasks.values() if t.terminal],
        "unreachable_tasks": [], "executors": [],
        "offers": [{"id": o.offer_id, "framework_id": o.framework_id, "slave_id": o.agent_id,
                    "resources": _resources(o.resources)} for o in fw.offers.values()],
    }


def master_state(master: Master, now: float) -> dict[str, Any]:
    info = master.info
    slaves = []
    for agent in master.agents.values():
        spec = agent.spec
        slaves.append({
            "id": agent.agent_id, "hostname": spec.hostname, "port": 5051,
            "pid": f"slave(1)@{spec.address}:5051",
            "attributes": {a.name: a.text.value for a in spec.attributes},
            "resources": _resources(spec.total), "used_resources": _resources(agent.ours + agent.foreign),
            "offered_resources": _resources(agent.offered),
            "unreserved_resources": _resources(spec.total), "reserved_resources": {},
            "active": spec.schedulable, "deactivated": not spec.schedulable, "version": info.version,
            "registered_time": now, "capabilities": [],
        })
    return {
        "version": info.version, "build_date": "2026-01-01 00:00:00", "build_time": 1767225600.0,
        "build_user": "mesoshim", "start_time": now, "elected_time": now, "id": info.id, "pid": info.pid,
        "hostname": info.hostname, "leader": info.pid,
        "leader_info": {"id": info.id, "pid": info.pid, "port": info.port, "hostname": info.hostname,
                        "version": info.version},
        "activated_slaves": sum(1 for s in slaves if s["active"]),
        "deactivated_slaves": sum(1 for s in slaves if not s["active"]),
        "unreachable_slaves": sum(1 for a in master.agents.values() if not a.spec.reachable),
        "capabilities": ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"], "flags": {},
        "slaves": slaves, "recovered_slaves": [],
        "frameworks": [_framework(fw, master) for fw in master.frameworks.values()],
        "completed_frameworks": [_framework(fw, master) for fw in master.completed_frameworks],
        "orphan_tasks": [], "unregistered_frameworks": [],
    }


def master_metrics(master: Master, now: float) -> dict[str, float]:
    counts: dict[str, float] = {}
    for fw in master.frameworks.values():
        for task in fw.tasks.values():
            name = "master/tasks_" + mesos_pb2.TaskState.Name(task.state).removeprefix("TASK_").lower()
            counts[name] = counts.get(name, 0.0) + 1
    connected = sum(1 for fw in master.frameworks.values() if fw.connected)
    return {
        "master/elected": 1.0, "master/uptime_secs": 0.0,
        "master/frameworks_connected": float(connected),
        "master/frameworks_disconnected": float(len(master.frameworks) - connected),
        "master/frameworks_active": float(connected),
        "master/slaves_active": float(sum(1 for a in master.agents.values() if a.spec.schedulable)),
        "master/slaves_connected": float(sum(1 for a in master.agents.values() if a.spec.reachable)),
        "master/slaves_unreachable": float(sum(1 for a in master.agents.values() if not a.spec.reachable)),
        "master/outstanding_offers": float(len(master.offers)),
        **counts,
    }
