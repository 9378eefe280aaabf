"""Defaulting, validation and update rules, per resource, as kube-apiserver applies them.

Pure functions: they take dicts and return new dicts or raise `ApiError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from . import errors
from .quantity import parse_quantity
from .resources import RESOURCES, Resource

Obj = dict[str, Any]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                  "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                  "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
              "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
              "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
                "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
                "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")

POD_NOT_READY_TOLERATIONS: tuple[Obj, ...] = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": 300},
)

TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})

_POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def name_error(resource: Resource, name: str) -> str | None:
    """Why `name` is not a valid name for this resource, or None."""
    if resource.plural == "namespaces":
        ok, msg, limit = _LABEL.match(name), _LABEL_MSG, 63
    elif resource.plural == "services":
        ok, msg, limit = _DNS1035.match(name), _DNS1035_MSG, 63
    else:
        ok, msg, limit = _SUBDOMAIN.match(name), _SUBDOMAIN_MSG, 253
    if len(name) > limit:
        return f"must be no more than {limit} characters"
    return None if ok else msg


def validate_metadata(resource: Resource, obj: Obj) -> None:
    meta = obj.get("metadata")
    name = meta.get("name", "") if isinstance(meta, dict) else ""
    if not name:
        raise errors.invalid(resource.kind, "", [(
            "FieldValueRequired", "metadata.name", "Required value: name or generateName is required")])
    problem = name_error(resource, name)
    if problem:
        raise errors.invalid(resource.kind, name, [(
            "FieldValueInvalid", "metadata.name", f'Invalid value: "{name}": {problem}')])
    assert isinstance(meta, dict)
    causes: list[tuple[str, str, str]] = []
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise errors.invalid(resource.kind, name, [(
                "FieldValueInvalid", f"metadata.{field}", "Invalid value: values must be strings")])
        for key, text in value.items():
            problem = _qualified_name_error(key)
            if problem:
                causes.append(("FieldValueInvalid", f"metadata.{field}", f'Invalid value: "{key}": {problem}'))
            if field == "labels" and text and (len(text) > 63 or not _QUALIFIED_NAME.match(text)):
                causes.append(("FieldValueInvalid", "metadata.labels", f'Invalid value: "{text}": {_LABEL_VALUE_MSG}'))
    annotations: dict[str, str] = meta.get("annotations") or {}
    if sum([len(k) + len(v) for k, v in annotations.items()]) > 256 * 1024:
        causes.append(("FieldValueTooLong", "metadata.annotations", "Too long: must have at most 262144 bytes"))
    if causes:
        raise errors.invalid(resource.kind, name, causes)


_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_QUALIFIED_NAME_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                       "start and end with an alphanumeric character, at most 63 characters")
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, "
                    "'-', '_' or '.', and must start and end with an alphanumeric character, at most "
                    "63 characters")


def _qualified_name_error(key: str) -> str | None:
    """Why `key` is not a valid label or annotation key ([prefix/]name), or None."""
    prefix, slash, rest = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return f"prefix part {_SUBDOMAIN_MSG}"
    if not rest or len(rest) > 63 or not _QUALIFIED_NAME.match(rest):
        return _QUALIFIED_NAME_MSG
    return None


# ---------------------------------------------------------------- pods

def _image_pull_policy(image: str) -> str:
    tail = image.rsplit("/", 1)[-1]
    if "@" in tail:
        return "IfNotPresent"
    tag = tail.split(":", 1)[1] if ":" in tail else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _default_container(container: Obj) -> Obj:
    c = dict(container)
    if isinstance(c.get("image"), str) and "imagePullPolicy" not in c:
        c["imagePullPolicy"] = _image_pull_policy(c["image"])
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    resources = c["resources"]
    # A limit without a request defaults the request to the limit.
    if isinstance(resources, dict) and resources.get("limits") and not resources.get("requests"):
        c["resources"] = {**resources, "requests": dict(resources["limits"])}
    elif isinstance(resources, dict) and resources.get("limits"):
        requests = dict(resources["requests"])
        for name, limit in resources["limits"].items():
            requests.setdefault(name, limit)
        c["resources"] = {**resources, "requests": requests}
    return c


def default_pod_spec(spec: Obj) -> Obj:
    s = dict(spec)
    s.setdefault("restartPolicy", "Always")
    s.setdefault("dnsPolicy", "ClusterFirst")
    s.setdefault("schedulerName", "default-scheduler")
    s.setdefault("terminationGracePeriodSeconds", 30)
    s.setdefault("securityContext", {})
    s.setdefault("serviceAccountName", s.get("serviceAccount", "default"))
    s.setdefault("serviceAccount", s["serviceAccountName"])
    s.setdefault("enableServiceLinks", True)
    s.setdefault("priority", 0)
    s.setdefault("preemptionPolicy", "PreemptLowerPriority")
    for key in ("containers", "initContainers"):
        if isinstance(s.get(key), list):
            s[key] = [_default_container(c) if isinstance(c, dict) else c for c in s[key]]
    tolerations = list(s.get("tolerations") or [])
    for default in POD_NOT_READY_TOLERATIONS:
        if not any(t.get("key") == default["key"] and t.get("effect") in ("NoExecute", None, "")
                   for t in tolerations if isinstance(t, dict)):
            tolerations.append(default)  # shared: stored objects are never mutated
    s["tolerations"] = tolerations
    return s


def qos_class(spec: Obj) -> str:
    containers = [c for c in spec.get("containers", []) if isinstance(c, dict)]
    any_set = False
    guaranteed = True
    for c in containers:
        resources = c.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        if requests or limits:
            any_set = True
        for name in ("cpu", "memory"):
            if name not in limits or requests.get(name, limits[name]) != limits[name]:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _validate_pod_spec(name: str, spec: Any) -> None:
    causes: list[tuple[str, str, str]] = []
    if not isinstance(spec, dict):
        raise errors.invalid("Pod", name, [("FieldValueRequired", "spec", "Required value")])
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        causes.append(("FieldValueRequired", "spec.containers", "Required value"))
        containers = []
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        items = spec.get(key) or []
        for i, c in enumerate(items if isinstance(items, list) else []):
            path = f"spec.{key}[{i}]"
            if not isinstance(c, dict):
                causes.append(("FieldValueInvalid", path, "Invalid value: must be an object"))
                continue
            cname = c.get("name")
            if not cname:
                causes.append(("FieldValueRequired", f"{path}.name", "Required value"))
            elif not isinstance(cname, str) or not _LABEL.match(cname):
                causes.append(("FieldValueInvalid", f"{path}.name", f'Invalid value: "{cname}": {_LABEL_MSG}'))
            elif cname in seen:
                causes.append(("FieldValueDuplicate", f"{path}.name", f'Duplicate value: "{cname}"'))
            else:
                seen.add(cname)
            if not c.get("image"):
                causes.append(("FieldValueRequired", f"{path}.image", "Required value"))
            causes.extend(_resource_causes(path, c.get("resources") or {}))
    policy = spec.get("restartPolicy")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.append(("FieldValueNotSupported", "spec.restartPolicy",
                       f'Unsupported value: "{policy}": supported values: "Always", "OnFailure", "Never"'))
    grace = spec.get("terminationGracePeriodSeconds")
    if not isinstance(grace, int) or isinstance(grace, bool):
        causes.append(("FieldValueInvalid", "spec.terminationGracePeriodSeconds", "Invalid value: must be an integer"))
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and (not isinstance(deadline, int) or isinstance(deadline, bool) or deadline < 1):
        causes.append(("FieldValueInvalid", "spec.activeDeadlineSeconds",
                       f"Invalid value: {deadline}: must be between 1 and 2147483647, inclusive"))
    if causes:
        raise errors.invalid("Pod", name, causes)


def _resource_causes(path: str, resources: Any) -> list[tuple[str, str, str]]:
    causes: list[tuple[str, str, str]] = []
    if not isinstance(resources, dict):
        return [("FieldValueInvalid", f"{path}.resources", "Invalid value: must be an object")]
    parsed: dict[str, dict[str, Any]] = {}
    for kind in ("requests", "limits"):
        values = resources.get(kind) or {}
        parsed[kind] = {}
        for rname, raw in (values.items() if isinstance(values, dict) else []):
            try:
                parsed[kind][rname] = parse_quantity(raw)
            except ValueError as exc:
                causes.append(("FieldValueInvalid", f"{path}.resources.{kind}[{rname}]", f"Invalid value: {exc}"))
                continue
            if parsed[kind][rname] < 0:
                causes.append(("FieldValueInvalid", f"{path}.resources.{kind}[{rname}]",
                               f'Invalid value: "{raw}": must be greater than or equal to 0'))
    for rname, request in parsed["requests"].items():
        limit = parsed["limits"].get(rname)
        if limit is not None and request > limit:
            causes.append(("FieldValueInvalid", f"{path}.resources.requests",
                           f'Invalid value: "{resources["requests"][rname]}": must be less than or equal to {rname} limit of {resources["limits"][rname]}'))
    return causes


def prepare_pod_create(pod: Obj) -> Obj:
    name = pod["metadata"]["name"]
    if not isinstance(pod.get("spec"), dict):
        raise errors.invalid("Pod", name, [("FieldValueRequired", "spec", "Required value")])
    spec = default_pod_spec(pod["spec"])
    _validate_pod_spec(name, spec)
    return {**pod, "spec": spec, "status": {"phase": "Pending", "qosClass": qos_class(spec)}}


def check_pod_spec_update(name: str, old_spec: Obj, new_spec: Obj) -> None:
    """Raise 422 unless only the mutable fields of a pod spec changed."""
    _validate_pod_spec(name, new_spec)

    def comparable(spec: Obj) -> Obj:
        s = dict(spec)
        for key in ("containers", "initContainers"):
            if isinstance(s.get(key), list):
                s[key] = [{**c, "image": None} if isinstance(c, dict) else c for c in s[key]]
        s.pop("activeDeadlineSeconds", None)
        s.pop("tolerations", None)
        s.pop("schedulingGates", None)
        return s

    old_tol = old_spec.get("tolerations") or []
    new_tol = new_spec.get("tolerations") or []
    removed = any(t not in new_tol for t in old_tol)
    old_deadline, new_deadline = old_spec.get("activeDeadlineSeconds"), new_spec.get("activeDeadlineSeconds")
    deadline_bad = old_deadline is not None and (new_deadline is None or new_deadline > old_deadline)
    if comparable(old_spec) != comparable(new_spec) or removed or deadline_bad:
        raise errors.invalid("Pod", name, [("FieldValueForbidden", "spec", f"Forbidden: {_POD_UPDATE_FORBIDDEN}")])


def check_pod_status_update(name: str, old_status: Obj, new_status: Obj, strict_terminal: bool) -> None:
    old_phase, new_phase = old_status.get("phase"), new_status.get("phase")
    if strict_terminal and old_phase in TERMINAL_PHASES and new_phase != old_phase:
        raise errors.invalid("Pod", name, [(
            "FieldValueForbidden", "status.phase",
            f"Forbidden: pod phase cannot transition from terminal phase {old_phase} to {new_phase}")])


# ---------------------------------------------------------------- dispatch

def prepare_create(resource: Resource, obj: Obj) -> Obj:
    """Default and validate an object about to be created (metadata already validated)."""
    if resource.plural == "pods":
        return prepare_pod_create(obj)
    if resource.plural == "namespaces":
        return {**obj, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
    if resource.plural == "nodes":
        spec = obj.get("spec") or {}
        return {**obj, "spec": spec, "status": obj.get("status") or {}}
    if resource.plural == "services":
        spec = dict(obj.get("spec") or {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        return {**obj, "spec": spec, "status": {"loadBalancer": {}}}
    return obj


# ---------------------------------------------------------------- wire normalisation

_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_CANONICAL_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_CANONICAL_MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
# Metadata fields that are `omitempty`: kube-apiserver never serves them empty.
_OMIT_EMPTY_METADATA = frozenset({"labels", "annotations", "finalizers", "ownerReferences"})

_CONTAINER_TIMES = tuple(
    ("status", statuses, "*", state, phase, field)
    for statuses in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
    for state in ("state", "lastState")
    for phase, field in (("running", "startedAt"), ("terminated", "startedAt"), ("terminated", "finishedAt"))
)
# Where each resource has metav1.Time fields (second precision) ...
_TIME_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "pods": (("status", "startTime"), ("status", "conditions", "*", "lastProbeTime"),
             ("status", "conditions", "*", "lastTransitionTime"), *_CONTAINER_TIMES),
    "nodes": (("status", "conditions", "*", "lastHeartbeatTime"),
              ("status", "conditions", "*", "lastTransitionTime")),
    "namespaces": (("status", "conditions", "*", "lastTransitionTime"),),
    "events": (("firstTimestamp",), ("lastTimestamp",)),
}
# ... and metav1.MicroTime fields (six fractional digits).
_MICRO_TIME_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "leases": (("spec", "acquireTime"), ("spec", "renewTime")),
    "events": (("eventTime",), ("series", "lastObservedTime")),
}


def _canonical_time(value: Any, path: tuple[str | int, ...], micro: bool) -> Any:
    """A Time/MicroTime as kube-apiserver serialises it: UTC, `Z`, 0 or 6 fractional digits."""
    if value is None:
        return None
    canonical = _CANONICAL_MICRO_TIME if micro else _CANONICAL_TIME
    if isinstance(value, str) and canonical.match(value):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise errors.bad_request(f"error decoding {_where(path)}: {value!r} is not an RFC 3339 time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise errors.bad_request(f"error decoding {_where(path)}: {value!r} is not an RFC 3339 time") from None
    parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


class _Tree:
    """A set of paths compiled for one walk over an object: `fields` by key, `items` for every
    list element ("*"), `values` for every map value ("{}"); `leaf` is what the path ends in."""

    __slots__ = ("fields", "items", "leaf", "values")

    def __init__(self) -> None:
        self.leaf: str | None = None
        self.fields: dict[str, _Tree] = {}
        self.items: _Tree | None = None
        self.values: _Tree | None = None

    def child(self, segment: str) -> _Tree:
        if segment == "*":
            self.items = self.items or _Tree()
            return self.items
        if segment == "{}":
            self.values = self.values or _Tree()
            return self.values
        return self.fields.setdefault(segment, _Tree())


def _compile(paths: Iterable[tuple[tuple[str, ...], str]]) -> _Tree:
    root = _Tree()
    for path, leaf in paths:
        node = root
        for segment in path:
            node = node.child(segment)
        node.leaf = leaf
    return root


def _where(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) or (i and path[i - 1] == "{}") else f".{p}"
                   for i, p in enumerate(path) if p != "{}").lstrip(".")


_TIME_TREES: dict[str, _Tree] = {
    plural: _compile([*((p, "time") for p in _TIME_FIELDS.get(plural, ())),
                      *((p, "micro") for p in _MICRO_TIME_FIELDS.get(plural, ()))])
    for plural in {*_TIME_FIELDS, *_MICRO_TIME_FIELDS}
}


def _rewrite(value: Any, tree: _Tree, path: tuple[str | int, ...]) -> Any:
    """`value` with the times `tree` names made canonical; the same object when nothing changed."""
    if tree.leaf is not None:
        return _canonical_time(value, path, tree.leaf == "micro")
    if isinstance(value, dict) and tree.fields:
        out: Obj | None = None
        for key, sub in tree.fields.items():
            if key in value:
                new = _rewrite(value[key], sub, (*path, key))
                if new is not value[key]:
                    out = out if out is not None else dict(value)
                    out[key] = new
        return value if out is None else out
    if isinstance(value, list) and tree.items is not None:
        items: list[Any] | None = None
        for i, item in enumerate(value):
            new = _rewrite(item, tree.items, (*path, i))
            if new is not item:
                items = items if items is not None else list(value)
                items[i] = new
        return value if items is None else items
    return value


def normalize(resource: Resource, obj: Obj) -> Obj:
    """Serialise `obj` as kube-apiserver would after decoding it: times in their canonical
    RFC 3339 form (400 when a time does not parse), null strings inside maps and lists as ""
    (Go decodes null into the zero value), and empty `omitempty` metadata dropped."""
    tree = _TIME_TREES.get(resource.plural)
    if tree is not None:
        obj = _rewrite(obj, tree, ())
    obj = _zero_null_strings(obj, _TYPE_TREES[resource.plural])
    meta = obj.get("metadata")
    if isinstance(meta, dict) and any(meta.get(k, 0) in ({}, [], None) for k in _OMIT_EMPTY_METADATA):
        obj = {**obj, "metadata": {k: v for k, v in meta.items()
                                   if not (k in _OMIT_EMPTY_METADATA and v in ({}, [], None))}}
    return obj


# ---------------------------------------------------------------- decoding

# What kube-apiserver's typed decoder would reject: a JSON value of the wrong type for a
# known field is a 400 before any validation runs (kubesim has no schema beyond this table).
# Paths are walked from the object root; "*" is every list element, "{}" every map value.
# JSON null is accepted anywhere, as Go decodes it into the zero value.
_S, _I, _B, _O, _A, _Q = "string", "int64", "bool", "object", "array", "quantity"


def _fields(prefix: tuple[str, ...], kind: str, *names: str) -> list[tuple[tuple[str, ...], str]]:
    return [((*prefix, n), kind) for n in names]


def _list_of_objects(prefix: tuple[str, ...], strings: tuple[str, ...] = (),
                     ints: tuple[str, ...] = (), bools: tuple[str, ...] = (),
                     objects: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    item = (*prefix, "*")
    return [(prefix, _A), (item, _O), *_fields(item, _S, *strings), *_fields(item, _I, *ints),
            *_fields(item, _B, *bools), *_fields(item, _O, *objects)]


def _string_map(prefix: tuple[str, ...], value: str = _S) -> list[tuple[tuple[str, ...], str]]:
    return [(prefix, _O), ((*prefix, "{}"), value)]


def _containers(key: str) -> list[tuple[tuple[str, ...], str]]:
    item = ("spec", key, "*")
    resources = (*item, "resources")
    return [
        *_list_of_objects(("spec", key), strings=("name", "image", "imagePullPolicy", "workingDir",
                                                  "terminationMessagePath", "terminationMessagePolicy"),
                          bools=("stdin", "tty"), objects=("resources", "securityContext")),
        ((*item, "command"), _A), ((*item, "command", "*"), _S),
        ((*item, "args"), _A), ((*item, "args", "*"), _S),
        *_list_of_objects((*item, "env"), strings=("name", "value"), objects=("valueFrom",)),
        *_list_of_objects((*item, "ports"), strings=("name", "protocol", "hostIP"),
                          ints=("containerPort", "hostPort")),
        *_string_map((*resources, "limits"), _Q), *_string_map((*resources, "requests"), _Q),
    ]


def _container_statuses(key: str) -> list[tuple[tuple[str, ...], str]]:
    return _list_of_objects(("status", key), strings=("name", "image", "imageID", "containerID"),
                            ints=("restartCount",), bools=("ready", "started"),
                            objects=("state", "lastState"))


_METADATA: list[tuple[tuple[str, ...], str]] = [
    (("kind",), _S), (("apiVersion",), _S), (("metadata",), _O),
    *_fields(("metadata",), _S, "name", "generateName", "namespace", "uid", "resourceVersion",
             "selfLink", "creationTimestamp", "deletionTimestamp"),
    *_fields(("metadata",), _I, "generation", "deletionGracePeriodSeconds"),
    *_string_map(("metadata", "labels")), *_string_map(("metadata", "annotations")),
    (("metadata", "finalizers"), _A), (("metadata", "finalizers", "*"), _S),
    *_list_of_objects(("metadata", "ownerReferences"), strings=("apiVersion", "kind", "name", "uid"),
                      bools=("controller", "blockOwnerDeletion")),
]

_TYPES: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "pods": [
        (("spec",), _O),
        *_fields(("spec",), _S, "nodeName", "schedulerName", "restartPolicy", "dnsPolicy",
                 "serviceAccountName", "serviceAccount", "priorityClassName", "hostname", "subdomain",
                 "preemptionPolicy", "runtimeClassName"),
        *_fields(("spec",), _I, "terminationGracePeriodSeconds", "activeDeadlineSeconds", "priority"),
        *_fields(("spec",), _B, "hostNetwork", "hostPID", "hostIPC", "enableServiceLinks",
                 "automountServiceAccountToken"),
        *_fields(("spec",), _O, "affinity", "securityContext"),
        *_string_map(("spec", "nodeSelector")),
        *_list_of_objects(("spec", "tolerations"), strings=("key", "operator", "value", "effect"),
                          ints=("tolerationSeconds",)),
        *_containers("containers"), *_containers("initContainers"),
        *_list_of_objects(("spec", "volumes"), strings=("name",)),
        (("status",), _O),
        *_fields(("status",), _S, "phase", "message", "reason", "podIP", "hostIP",
                 "nominatedNodeName", "qosClass", "startTime"),
        *_list_of_objects(("status", "conditions"),
                          strings=("type", "status", "reason", "message")),
        *_list_of_objects(("status", "podIPs"), strings=("ip",)),
        *_container_statuses("containerStatuses"), *_container_statuses("initContainerStatuses"),
    ],
    "nodes": [
        (("spec",), _O), *_fields(("spec",), _S, "podCIDR", "providerID"),
        (("spec", "unschedulable"), _B), (("spec", "podCIDRs"), _A), (("spec", "podCIDRs", "*"), _S),
        *_list_of_objects(("spec", "taints"), strings=("key", "value", "effect")),
        (("status",), _O),
        *_string_map(("status", "capacity"), _Q), *_string_map(("status", "allocatable"), _Q),
        *_list_of_objects(("status", "conditions"), strings=("type", "status", "reason", "message")),
        *_list_of_objects(("status", "addresses"), strings=("type", "address")),
        (("status", "nodeInfo"), _O), (("status", "daemonEndpoints"), _O), (("status", "images"), _A),
    ],
    "namespaces": [
        (("spec",), _O), (("spec", "finalizers"), _A), (("spec", "finalizers", "*"), _S),
        (("status",), _O), (("status", "phase"), _S),
    ],
    "configmaps": [*_string_map(("data",)), *_string_map(("binaryData",)), (("immutable",), _B)],
    "services": [
        (("spec",), _O),
        *_fields(("spec",), _S, "type", "clusterIP", "sessionAffinity", "externalTrafficPolicy",
                 "internalTrafficPolicy", "ipFamilyPolicy", "loadBalancerIP", "externalName"),
        *_string_map(("spec", "selector")),
        (("spec", "clusterIPs"), _A), (("spec", "clusterIPs", "*"), _S),
        *_list_of_objects(("spec", "ports"), strings=("name", "protocol", "appProtocol"),
                          ints=("port", "nodePort")),
        (("status",), _O),
    ],
    "events": [
        (("involvedObject",), _O),
        *_fields(("involvedObject",), _S, "kind", "namespace", "name", "uid", "apiVersion",
                 "resourceVersion", "fieldPath"),
        *_fields((), _S, "reason", "message", "type", "action", "reportingComponent",
                 "reportingInstance", "firstTimestamp", "lastTimestamp", "eventTime"),
        (("count",), _I), (("source",), _O), *_fields(("source",), _S, "component", "host"),
        (("series",), _O), (("series", "count"), _I), (("series", "lastObservedTime"), _S),
        (("related",), _O),
    ],
    "leases": [
        (("spec",), _O),
        *_fields(("spec",), _S, "holderIdentity", "acquireTime", "renewTime", "preferredHolder",
                 "strategy"),
        *_fields(("spec",), _I, "leaseDurationSeconds", "leaseTransitions"),
    ],
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _type_ok(value: Any, kind: str) -> bool:
    if value is None:
        return True
    if kind == _S:
        return isinstance(value, str)
    if kind == _I:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _B:
        return isinstance(value, bool)
    if kind == _O:
        return isinstance(value, dict)
    if kind == _A:
        return isinstance(value, list)
    return isinstance(value, str | int | float) and not isinstance(value, bool)  # quantity


_TYPE_TREES: dict[str, _Tree] = {plural: _compile([*_METADATA, *_TYPES.get(plural, [])])
                                  for plural in RESOURCES}


def _check(value: Any, tree: _Tree, path: tuple[str | int, ...], resource: Resource) -> None:
    if value is None:
        return
    if tree.leaf is not None and not _type_ok(value, tree.leaf):
        raise errors.bad_request(
            f'{resource.kind} in version "{resource.version}" cannot be handled as a '
            f"{resource.kind}: json: cannot unmarshal {_json_type(value)} into Go struct "
            f"field {_where(path)} of type {tree.leaf}")
    if isinstance(value, dict):
        for key, sub in tree.fields.items():
            if key in value:
                _check(value[key], sub, (*path, key), resource)
        if tree.values is not None:
            for key, item in value.items():
                _check(item, tree.values, (*path, "{}", key), resource)
    elif isinstance(value, list) and tree.items is not None:
        for i, item in enumerate(value):
            _check(item, tree.items, (*path, i), resource)


def _zero_null_strings(value: Any, tree: _Tree) -> Any:
    """`value` with null elements of string maps and string lists made ""; the same object when
    nothing changed (stored objects are shared, so this copies only along changed paths)."""
    if isinstance(value, dict):
        out: Obj | None = None
        for key, sub in tree.fields.items():
            if key in value and value[key] is not None:
                new = _zero_null_strings(value[key], sub)
                if new is not value[key]:
                    out = out if out is not None else dict(value)
                    out[key] = new
        if tree.values is not None:
            for key, item in value.items():
                new = "" if item is None and tree.values.leaf == _S else (
                    _zero_null_strings(item, tree.values) if item is not None else item)
                if new is not item:
                    out = out if out is not None else dict(value)
                    out[key] = new
        return out if out is not None else value
    if isinstance(value, list) and tree.items is not None:
        items = tree.items
        changed = [("" if v is None and items.leaf == _S else
                    (_zero_null_strings(v, items) if v is not None else v)) for v in value]
        return changed if any(a is not b for a, b in zip(changed, value, strict=True)) else value
    return value


def check_types(resource: Resource, obj: Obj) -> None:
    """Raise 400 as kube-apiserver's decoder does when a known field has the wrong JSON type."""
    _check(obj, _TYPE_TREES[resource.plural], (), resource)
