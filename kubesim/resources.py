"""The API resources kubesim serves, as discovery describes them."""

from __future__ import annotations

from dataclasses import dataclass

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Resource:
    plural: str
    singular: str
    kind: str
    group: str  # "" for the core group
    version: str
    namespaced: bool
    subresources: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    # Whether writes to the main resource ignore `.status` (it has a status subresource).
    has_status: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def group_version(self) -> str:
        return self.api_version


CORE = "v1"
COORDINATION = "coordination.k8s.io"

RESOURCES: dict[str, Resource] = {
    r.plural: r
    for r in (
        Resource("pods", "pod", "Pod", "", CORE, True, ("status", "binding", "eviction"), ("po",), True),
        Resource("nodes", "node", "Node", "", CORE, False, ("status",), ("no",), True),
        Resource("namespaces", "namespace", "Namespace", "", CORE, False, ("status", "finalize"), ("ns",), True),
        Resource("events", "event", "Event", "", CORE, True, (), ("ev",)),
        Resource("configmaps", "configmap", "ConfigMap", "", CORE, True, (), ("cm",)),
        Resource("services", "service", "Service", "", CORE, True, ("status",), ("svc",), True),
        Resource("leases", "lease", "Lease", COORDINATION, CORE, True),
    )
}

# The legacy `POST /api/v1/namespaces/{ns}/bindings` endpoint: create-only.
BINDINGS = Resource("bindings", "binding", "Binding", "", CORE, True)


def resources_in(group: str, version: str) -> list[Resource]:
    return [r for r in RESOURCES.values() if r.group == group and r.version == version]


def lookup(group: str, version: str, plural: str) -> Resource | None:
    resource = RESOURCES.get(plural)
    if resource is None or resource.group != group or resource.version != version:
        return None
    return resource


def api_resource_list(group: str, version: str) -> dict[str, object]:
    """The APIResourceList discovery document for one group/version."""
    entries: list[dict[str, object]] = []
    for r in resources_in(group, version):
        entry: dict[str, object] = {
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(ALL_VERBS),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        entries.append(entry)
        for sub in r.subresources:
            if sub == "status":
                sub_entry = {"name": f"{r.plural}/status", "singularName": "", "namespaced": r.namespaced,
                             "kind": r.kind, "verbs": ["get", "patch", "update"]}
            elif sub == "binding":
                sub_entry = {"name": "pods/binding", "singularName": "", "namespaced": True,
                             "kind": "Binding", "verbs": ["create"]}
            elif sub == "eviction":
                sub_entry = {"name": "pods/eviction", "singularName": "", "namespaced": True,
                             "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]}
            else:  # namespaces/finalize
                sub_entry = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": False,
                             "kind": r.kind, "verbs": ["update"]}
            entries.append(sub_entry)
    if group == "" and version == CORE:
        entries.append({"name": "bindings", "singularName": "binding", "namespaced": True,
                        "kind": "Binding", "verbs": ["create"]})
    entries.sort(key=lambda e: str(e["name"]))
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }
