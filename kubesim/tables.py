"""Server-side printing: `meta.k8s.io` Tables, as kube-apiserver serves them to kubectl.

`kubectl get` asks for `application/json;as=Table;v=v1;g=meta.k8s.io` first and
prints whatever columns the server sends (falling back to NAME/AGE for plain
objects). kube-apiserver answers list, get and watch requests with a `Table`
whose rows carry the printed cells and, by default, the object's metadata as
`PartialObjectMetadata` (`includeObject=None|Metadata|Object`).

Columns follow what `kubectl get` shows against a real cluster for pods, nodes,
namespaces, leases and configmaps; other kinds get NAME and AGE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import errors
from .clock import parse_time

Obj = dict[str, Any]
TABLE_GROUP = "meta.k8s.io"
TABLE_VERSIONS = ("v1", "v1beta1")

_NAME_DOC = ("Name must be unique within a namespace. Is required when creating resources, although "
             "some resources may allow a client to request the generation of an appropriate name "
             "automatically. Name is primarily intended for creation idempotence and configuration "
             "definition. Cannot be updated. More info: "
             "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
_AGE_DOC = ("CreationTimestamp is a timestamp representing the server time when this object was "
            "created. It is not guaranteed to be set in happens-before order across separate "
            "operations. Clients may not set this value. It is represented in RFC3339 form and is "
            "in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
            "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")


def _column(name: str, description: str, *, fmt: str = "", ctype: str = "string",
            priority: int = 0) -> Obj:
    return {"name": name, "type": ctype, "format": fmt, "description": description,
            "priority": priority}


NAME = _column("Name", _NAME_DOC, fmt="name")
AGE = _column("Age", _AGE_DOC)


def human_duration(seconds: float) -> str:
    """An age as kubectl prints it: 45s, 3m20s, 12m, 5h10m, 20h, 3d4h, 40d, 2y30d."""
    if seconds < -1:
        return "<invalid>"
    s = max(0, int(seconds))
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 120:
        return f"{s}s"
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{years}y"


def _age(obj: Obj, now: float) -> str:
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    return human_duration(now - parse_time(str(created)))


# ------------------------------------------------------------------ pods

_POD_COLUMNS = [
    NAME,
    _column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _column("Status", "The aggregate status of the containers in this pod."),
    _column("Restarts", "The number of times the containers in this pod have been restarted and "
                        "when the last container in this pod has restarted."),
    AGE,
    _column("IP", "IP address allocated to the pod. Routable at least within the cluster. Empty "
                  "if not yet allocated.", priority=1),
    _column("Node", "NodeName is a request to schedule this pod onto a specific node.", priority=1),
    _column("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on "
                              "the node.", priority=1),
    _column("Readiness Gates", "If specified, all readiness gates will be evaluated for pod "
                               "readiness.", priority=1),
]


def _exit_summary(terminated: Obj, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + str(terminated["reason"])
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def _pod_status_text(pod: Obj) -> tuple[str, int]:
    """The STATUS cell and the number of ready containers."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    reason = str(status.get("reason") or status.get("phase") or "")
    terminal = status.get("phase") in ("Succeeded", "Failed")
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = spec.get("initContainers") or []
    initializing = False
    for index, cs in enumerate(status.get("initContainerStatuses") or []):
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if state.get("running") is not None and cs.get("started"):
            continue  # a running sidecar does not hold up initialisation
        initializing = True
        if terminated is not None:
            reason = _exit_summary(terminated, "Init:")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        break
    ready = 0
    if not initializing:
        running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = str(state["waiting"]["reason"])
            elif state.get("terminated") is not None:
                reason = _exit_summary(state["terminated"])
            elif state.get("running") is not None and cs.get("ready"):
                running = True
                ready += 1
        if reason == "Completed" and running:
            pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                            for c in status.get("conditions") or [])
            reason = "Running" if pod_ready else "NotReady"
    meta = pod.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif not terminal:
            reason = "Terminating"
    return reason, ready


def _restarts(pod: Obj, now: float) -> str:
    status = pod.get("status") or {}
    count, last = 0, 0.0
    for cs in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        count += int(cs.get("restartCount") or 0)
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if finished:
            last = max(last, parse_time(str(finished)))
    if count and last:
        return f"{count} ({human_duration(now - last)} ago)"
    return str(count)


def _pod_cells(pod: Obj, now: float) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    text, ready = _pod_status_text(pod)
    gates = spec.get("readinessGates") or []
    if gates:
        true_types = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
        passed = sum(1 for g in gates if g.get("conditionType") in true_types)
        gate_text = f"{passed}/{len(gates)}"
    else:
        gate_text = "<none>"
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(spec.get('containers') or [])}",
        text,
        _restarts(pod, now),
        _age(pod, now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gate_text,
    ]


# ------------------------------------------------------------------ nodes

_NODE_COLUMNS = [
    NAME,
    _column("Status", "The status of the node"),
    _column("Roles", "The roles of the node"),
    AGE,
    _column("Version", "Kubelet Version reported by the node."),
    _column("Internal-IP", "List of addresses reachable to the node. Queried from cloud provider, "
                           "if available.", priority=1),
    _column("External-IP", "List of addresses reachable to the node. Queried from cloud provider, "
                           "if available.", priority=1),
    _column("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian "
                        "GNU/Linux 7 (wheezy)).", priority=1),
    _column("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. "
                              "3.16.0-0.bpo.4-amd64).", priority=1),
    _column("Container-Runtime", "ContainerRuntime Version reported by the node through runtime "
                                 "remote API (e.g. containerd://1.4.2).", priority=1),
]


def _node_cells(node: Obj, now: float) -> list[Any]:
    spec, status = node.get("spec") or {}, node.get("status") or {}
    ready = next((c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"),
                 None)
    states = [{"True": "Ready", "False": "NotReady"}.get(str(ready), "Unknown")]
    if spec.get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in ((node.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key.split("/", 1)[1]:
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(str(value))
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        return next((a["address"] for a in status.get("addresses") or [] if a.get("type") == kind),
                    "<none>")

    return [
        node["metadata"]["name"],
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        _age(node, now),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


# ------------------------------------------------------------------ the rest

_PRINTERS: dict[str, tuple[list[Obj], Callable[[Obj, float], list[Any]]]] = {
    "pods": (_POD_COLUMNS, _pod_cells),
    "nodes": (_NODE_COLUMNS, _node_cells),
    "namespaces": (
        [NAME, _column("Status", "The status of the namespace"), AGE],
        lambda o, now: [o["metadata"]["name"], (o.get("status") or {}).get("phase", ""), _age(o, now)]),
    "leases": (
        [NAME, _column("Holder", "The holder of the lease."), AGE],
        lambda o, now: [o["metadata"]["name"], (o.get("spec") or {}).get("holderIdentity") or "",
                        _age(o, now)]),
    "configmaps": (
        [NAME, _column("Data", "Data contains the configuration data", ctype="integer"), AGE],
        lambda o, now: [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}),
                        _age(o, now)]),
}


def _default_cells(obj: Obj, now: float) -> list[Any]:
    return [obj["metadata"]["name"], _age(obj, now)]


def wanted_table(accept: str) -> str | None:
    """The Table version an Accept header asks for first ("v1", "v1beta1"), else None.

    Media types are tried in order; `as=Table` for an unknown version or group is
    skipped, as is any other `as=` conversion, so the next type is used instead.
    Raises 406 when nothing acceptable remains.
    """
    if not accept:
        return None
    offered = False
    for item in accept.split(","):
        parts = [p.strip() for p in item.split(";")]
        mime = parts[0].lower()
        if mime not in ("application/json", "application/*", "*/*", "application/json-seq"):
            continue
        params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        params = {k.strip().lower(): v.strip() for k, v in params.items()}
        conversion = params.get("as")
        if conversion is None:
            return None
        offered = True
        if conversion == "Table" and params.get("g") == TABLE_GROUP and params.get("v") in TABLE_VERSIONS:
            return params["v"]
    if offered:
        raise errors.ApiError(
            406, "NotAcceptable",
            "only the following media types are accepted: application/json, application/yaml, "
            "application/vnd.kubernetes.protobuf")
    return None


def include_object(value: str) -> str:
    if value in ("", "Metadata"):
        return "Metadata"
    if value in ("None", "Object"):
        return value
    raise errors.bad_request(
        f'includeObject: Unsupported value: "{value}": supported values: "Metadata", "None", "Object"')


def _row(obj: Obj, cells: list[Any], version: str, include: str) -> Obj:
    row: Obj = {"cells": cells}
    if include == "Object":
        row["object"] = obj
    elif include == "Metadata":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": f"{TABLE_GROUP}/{version}",
                         "metadata": obj.get("metadata") or {}}
    return row


def to_table(resource: str, body: Obj, *, version: str, include: str, now: float,
             headers: bool = True) -> Obj:
    """A Table for one object or a list (`items`); list metadata carries over."""
    columns, cells = _PRINTERS.get(resource, ([NAME, AGE], _default_cells))
    if "items" in body and isinstance(body.get("items"), list):
        items: list[Obj] = body["items"]
        meta = {k: v for k, v in (body.get("metadata") or {}).items()
                if k in ("resourceVersion", "continue", "remainingItemCount")}
    else:
        items = [body]
        rv = (body.get("metadata") or {}).get("resourceVersion")
        meta = {"resourceVersion": rv} if rv else {}
    return {
        "kind": "Table",
        "apiVersion": f"{TABLE_GROUP}/{version}",
        "metadata": meta,
        "columnDefinitions": columns if headers else None,
        "rows": [_row(obj, cells(obj, now), version, include) for obj in items],
    }
