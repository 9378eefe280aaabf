"""A thin OpenAPI v3 description of the API kubesim serves, for clients that look before they write.

kubectl fetches `/openapi/v3` before `create`, `apply` and `replace`: the index
names one document per group/version, and in that document kubectl looks for
the `fieldValidation` query parameter on the resource's operations to decide
that the server validates fields itself (it then sends `fieldValidation=Strict`).
Without the documents it stops with "failed to download openapi".

The documents list paths and operations, each tagged with
`x-kubernetes-group-version-kind` and `x-kubernetes-action` as kube-apiserver
tags them; they carry no schemas (`components.schemas` is empty), so clients
that need schemas (`kubectl explain`) still find nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .resources import RESOURCES, Resource

Obj = dict[str, Any]

_QUERY = {"in": "query", "schema": {"type": "string"}, "uniqueItems": True}
_WRITE_PARAMS = [{"name": name, **_QUERY} for name in ("dryRun", "fieldManager", "fieldValidation")]
_LIST_PARAMS = [{"name": name, **_QUERY} for name in (
    "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
    "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch")]


def _group_version_key(r: Resource) -> str:
    return f"apis/{r.group}/{r.version}" if r.group else f"api/{r.version}"


def _op_name(verb: str, r: Resource, namespaced: bool, suffix: str = "") -> str:
    group = "".join(part.capitalize() for part in (r.group.split(".")[0] if r.group else "core").split("-"))
    scope = "Namespaced" if namespaced else ""
    return f"{verb}{group}{r.version.capitalize()}{scope}{r.kind}{suffix}"


def _operation(verb: str, action: str, r: Resource, namespaced: bool, params: list[Obj],
               suffix: str = "") -> Obj:
    return {
        "operationId": _op_name(verb, r, namespaced, suffix),
        "parameters": params,
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": r.group, "version": r.version, "kind": r.kind},
    }


def _paths_for(r: Resource) -> dict[str, Obj]:
    prefix = "/" + _group_version_key(r)
    path_params = [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]
    paths: dict[str, Obj] = {}
    if r.namespaced:
        ns_param = [{"name": "namespace", "in": "path", "required": True, "schema": {"type": "string"}}]
        collection = f"{prefix}/namespaces/{{namespace}}/{r.plural}"
        paths[f"{prefix}/{r.plural}"] = {
            "get": _operation("list", "list", r, False, _LIST_PARAMS, "ForAllNamespaces")}
        item_params = ns_param + path_params
    else:
        collection = f"{prefix}/{r.plural}"
        ns_param = []
        item_params = path_params
    paths[collection] = {
        "parameters": ns_param,
        "get": _operation("list", "list", r, r.namespaced, _LIST_PARAMS),
        "post": _operation("create", "post", r, r.namespaced, _WRITE_PARAMS),
        "delete": _operation("deleteCollection", "deletecollection", r, r.namespaced, _LIST_PARAMS),
    }
    paths[f"{collection}/{{name}}"] = {
        "parameters": item_params,
        "get": _operation("read", "get", r, r.namespaced, []),
        "put": _operation("replace", "put", r, r.namespaced, _WRITE_PARAMS),
        "patch": _operation("patch", "patch", r, r.namespaced, _WRITE_PARAMS),
        "delete": _operation("delete", "delete", r, r.namespaced, _WRITE_PARAMS[:1]),
    }
    if "status" in r.subresources:
        paths[f"{collection}/{{name}}/status"] = {
            "parameters": item_params,
            "get": _operation("read", "get", r, r.namespaced, [], "Status"),
            "put": _operation("replace", "put", r, r.namespaced, _WRITE_PARAMS, "Status"),
            "patch": _operation("patch", "patch", r, r.namespaced, _WRITE_PARAMS, "Status"),
        }
    return paths


def _documents() -> dict[str, Obj]:
    docs: dict[str, Obj] = {}
    for r in RESOURCES.values():
        key = _group_version_key(r)
        doc = docs.setdefault(key, {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": {},
            "components": {"schemas": {}},
        })
        doc["paths"].update(_paths_for(r))
    return docs


DOCUMENTS = _documents()
HASHES = {key: hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()
          for key, doc in DOCUMENTS.items()}


def index() -> Obj:
    """The body of GET /openapi/v3."""
    return {"paths": {key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={HASHES[key]}"}
                      for key in sorted(DOCUMENTS)}}


def document(key: str) -> Obj | None:
    """The body of GET /openapi/v3/{key}, e.g. key "api/v1"; None when there is none."""
    return DOCUMENTS.get(key.strip("/"))
