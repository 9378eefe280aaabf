"""Kubernetes nodes as Mesos agents (pure).

An agent's id is the node's uid, so it is stable across shim restarts and
changes when a node is deleted and recreated, as a re-registered Mesos agent's
would. Offerable resources are the node's allocatable cpu, memory,
ephemeral-storage and GPUs, plus a host-port range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mesoshim.model import AgentSpec
from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.resources import Resources, pod_requests

ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
# Taints every kubelet-managed node may carry for a moment, which the shim handles itself.
_HANDLED_TAINTS = frozenset({
    "node.kubernetes.io/unschedulable", "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
})


@dataclass(frozen=True)
class AgentConfig:
    port_range: tuple[int, int] = (31000, 32000)
    # Label keys copied into offers as TEXT attributes; empty means all labels.
    attribute_labels: tuple[str, ...] = ()
    # Taint keys that do not make a node unofferable (our pods tolerate them).
    tolerated_taints: frozenset[str] = field(default_factory=frozenset)


def _text(name: str, value: str) -> mesos_pb2.Attribute:
    attribute = mesos_pb2.Attribute(name=name, type=mesos_pb2.Value.TEXT)
    attribute.text.value = value
    return attribute


def node_condition(node: Mapping[str, Any], kind: str) -> str | None:
    for condition in (node.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return str(condition.get("status"))
    return None


def node_to_agent(node: Mapping[str, Any], config: AgentConfig | None = None) -> AgentSpec:
    config = config or AgentConfig()
    meta = node["metadata"]
    status = node.get("status") or {}
    spec = node.get("spec") or {}
    labels: dict[str, str] = meta.get("labels") or {}
    name = meta["name"]
    address = next((a.get("address", "") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"),
                   "")
    total = Resources.from_kubernetes(status.get("allocatable") or {}, ports=(config.port_range,))
    attributes = [_text("host", name)]
    zone = next((labels[k] for k in ZONE_LABELS if k in labels), None)
    if zone is not None:
        attributes.append(_text("rack", zone))
    wanted = config.attribute_labels or tuple(sorted(labels))
    attributes.extend(_text(key, labels[key]) for key in wanted if key in labels and key not in ("host", "rack"))
    ready = node_condition(node, "Ready")
    blocking_taints = [t for t in spec.get("taints") or []
                       if t.get("effect") in ("NoSchedule", "NoExecute")
                       and t.get("key") not in _HANDLED_TAINTS and t.get("key") not in config.tolerated_taints]
    return AgentSpec(
        agent_id=meta["uid"], node_name=name, hostname=name, address=address, total=total,
        attributes=tuple(attributes),
        schedulable=ready == "True" and not spec.get("unschedulable") and not blocking_taints,
        reachable=ready != "Unknown",
    )


def foreign_usage(pods: Iterable[Mapping[str, Any]]) -> Resources:
    """What non-terminal pods on one node request (cpu, memory, storage, GPUs, host ports)."""
    total = Resources()
    for pod in pods:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        total = total + pod_requests(dict(pod))
    return total
