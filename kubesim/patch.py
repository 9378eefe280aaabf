"""PATCH bodies for kubesim: JSON patch, merge patch and strategic merge patch.

Three engines, written from their specifications, plus `apply_patch`, which picks one
from the request's Content-Type the way kube-apiserver does:

* `application/json-patch+json`: RFC 6902 (`apply_json_patch`);
* `application/merge-patch+json`: RFC 7386 (`apply_merge_patch`);
* `application/strategic-merge-patch+json`: the subset of Kubernetes' strategic merge
  patch that clients use (`apply_strategic_merge_patch`), driven by `MERGE_KEYS`;
* anything else, server-side apply included: 415 `UnsupportedMediaType`.

Every function is pure. The input document is never mutated; the result shares every
subtree the patch did not touch with the input (copy-on-write along the patched paths
only), so callers must treat both as immutable.

Status codes follow kube-apiserver:

* a body that is not JSON, a JSON patch that is not a list of objects, a merge or
  strategic patch that is not an object, and malformed strategic-merge directives
  answer 400 `BadRequest`;
* a JSON patch that decodes but cannot be applied (failed `test`, unknown `op`, missing
  member, bad pointer, path that does not exist) answers 422 `Invalid` with kube's
  generic message "the server rejected our request due to an error in our request" and
  no causes, as kube-apiserver does. The precise reason is a `PatchError` chained as
  the `ApiError`'s `__cause__`;
* more than 10,000 JSON patch operations answer 413 `RequestEntityTooLarge`.

Known divergences from kube-apiserver (for the divergence register):

1. kube's strategic merge engine reports some malformed patches (an unknown `$patch`
   value, a list element without its merge key, a `$setElementOrder` list that
   contradicts the patch list) as plain Go errors, which the server likely turns into
   a 500. kubesim answers 400 `BadRequest`. This mapping has not been checked against a
   real server.
2. `$patch: delete` on a map removes the key. kube's engine leaves `{}`, which its
   decoder then drops (map fields) or keeps as an empty struct (pointer fields).
3. Directives and nulls inside a subtree that the original lacks are processed as if
   it were empty. kube copies such subtrees as they are and lets its decoder drop the
   leftover keys. The same goes for nulls inside the elements of lists that are
   replaced whole: kubesim removes those keys, as kube's decoder would.
4. No schema: fields unknown to Kubernetes are kept, not dropped, and list strategies
   come only from `MERGE_KEYS`. Fields missing from the table are replaced whole.
5. Empty lists and maps left behind by a patch (for example the last finalizer
   removed) are kept as `[]`/`{}`. kube's decoder drops `omitempty` fields, so the
   store should normalise them before serving the object.
6. RFC 7386 is followed exactly: nulls inside arrays in a merge patch are kept.
7. Negative array indices (an extension of the Go JSON-patch library) are rejected,
   as RFC 6902 requires.
8. A `$setElementOrder` list that leaves out an element of the patch list is rejected
   (400), as the preserve-order design proposal specifies. Whether kube's engine
   enforces that subset rule, as well as the relative-order rule, is unverified.

Kubernetes behaviours kept on purpose, which may surprise:

* a JSON `null` body is an empty patch for JSON patch and strategic merge patch (200,
  no change), but 400 for merge patch, as in kube;
* merged lists are ordered as `_interleave` describes. Without `$setElementOrder`, an
  element that only the patch has goes first (the kubectl-patch task page shows this);
* one `$patch: delete` element deletes one live element with that key, so duplicates
  need one directive each. `$deleteFromPrimitiveList` removes every copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Mapping
from typing import Any, Final, NamedTuple

from kubesim.errors import ApiError, bad_request, unsupported_media_type

__all__ = [
    "APPLY_PATCH_YAML",
    "CONTAINER_MERGE_KEYS",
    "JSON_PATCH",
    "MAX_JSON_PATCH_OPERATIONS",
    "MERGE_KEYS",
    "MERGE_PATCH",
    "PRIMITIVE",
    "STRATEGIC_MERGE_PATCH",
    "PatchError",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_patch",
    "apply_strategic_merge_patch",
    "merge_patch_value",
    "merge_strategy",
    "pod_spec_merge_keys",
]

JSONDict = dict[str, Any]
Path = tuple[str, ...]

JSON_PATCH: Final = "application/json-patch+json"
MERGE_PATCH: Final = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH: Final = "application/strategic-merge-patch+json"
APPLY_PATCH_YAML: Final = "application/apply-patch+yaml"

MAX_JSON_PATCH_OPERATIONS: Final = 10_000
INVALID_PATCH_MESSAGE: Final = "the server rejected our request due to an error in our request"


class PatchError(ValueError):
    """Why a patch could not be applied. Chained as the `__cause__` of the `ApiError`."""


def _unprocessable() -> ApiError:
    """422 as kube-apiserver answers a patch it decoded but could not apply: a generic
    message and no causes. Raise it `from PatchError(reason)`."""
    return ApiError(422, "Invalid", INVALID_PATCH_MESSAGE)


def _go_kind(value: Any) -> str:
    """The JSON type name Go's decoder uses in its error messages."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


def _clone(value: Any) -> Any:
    """A fresh copy of a JSON value (faster than copy.deepcopy for plain JSON)."""
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality as RFC 6902 `test` defines it: numbers by value, but true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict):
        if not isinstance(b, dict) or a.keys() != b.keys():
            return False
        return all(_json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return False
        return all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if a is None or isinstance(a, str):
        return type(a) is type(b) and a == b
    return False


# --------------------------------------------------------------------------------------
# RFC 6902 JSON patch
# --------------------------------------------------------------------------------------

_BAD_ESCAPE = re.compile(r"~(?![01])")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def _parse_pointer(pointer: Any, member: str) -> list[str]:
    """RFC 6901: "" is the whole document; "/a~1b/~0c" is ["a/b", "~c"]."""
    if not isinstance(pointer, str):
        raise PatchError(f'"{member}" must be a string JSON pointer, got {_go_kind(pointer)}')
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f'JSON pointer "{pointer}" must be empty or start with "/"')
    tokens = pointer[1:].split("/")
    for token in tokens:
        if _BAD_ESCAPE.search(token):
            raise PatchError(f'JSON pointer "{pointer}" has an invalid "~" escape')
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def _array_index(token: str, length: int, pointer: str, *, inserting: bool) -> int:
    """The index a token names in an array of `length`; `-` is the end when inserting."""
    if token == "-":
        if inserting:
            return length
        raise PatchError(f'"-" in "{pointer}" names no existing array element')
    if not _ARRAY_INDEX.fullmatch(token):
        raise PatchError(f'"{token}" in "{pointer}" is not a valid array index')
    index = int(token)
    limit = length if inserting else length - 1
    if index > limit:
        raise PatchError(f'array index {index} in "{pointer}" is out of bounds')
    return index


class _JsonPatcher:
    """Applies operations one by one, copying each container before its first write."""

    def __init__(self, doc: JSONDict) -> None:
        self.root: Any = doc
        # Containers this patcher created, by id. Holding them keeps the ids unique.
        self._owned: dict[int, Any] = {}

    def _writable(self, container: Any) -> Any:
        if id(container) in self._owned:
            return container
        copy: Any = dict(container) if isinstance(container, dict) else list(container)
        self._owned[id(copy)] = copy
        return copy

    @staticmethod
    def _child(node: Any, token: str, pointer: str) -> Any:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f'path "{pointer}" does not exist: no member "{token}"')
            return node[token]
        if isinstance(node, list):
            return node[_array_index(token, len(node), pointer, inserting=False)]
        raise PatchError(f'path "{pointer}" does not exist: "{token}" is inside a {_go_kind(node)}')

    def get(self, tokens: list[str], pointer: str) -> Any:
        node = self.root
        for token in tokens:
            node = self._child(node, token, pointer)
        return node

    def _parent(self, tokens: list[str], pointer: str) -> Any:
        """The container holding the last token, made writable along the way."""
        if not isinstance(self.root, dict | list):
            raise PatchError(f'path "{pointer}" does not exist: the document is a {_go_kind(self.root)}')
        node = self.root = self._writable(self.root)
        for token in tokens[:-1]:
            child = self._child(node, token, pointer)
            if isinstance(child, dict | list):
                writable = self._writable(child)
                if writable is not child:
                    if isinstance(node, dict):
                        node[token] = writable
                    else:
                        node[int(token)] = writable
                child = writable
            node = child
        if not isinstance(node, dict | list):
            raise PatchError(f'path "{pointer}" does not exist: its parent is a {_go_kind(node)}')
        return node

    def add(self, tokens: list[str], pointer: str, value: Any) -> None:
        if not tokens:
            self.root = value
            return
        parent, last = self._parent(tokens, pointer), tokens[-1]
        if isinstance(parent, dict):
            parent[last] = value
        else:
            parent.insert(_array_index(last, len(parent), pointer, inserting=True), value)

    def remove(self, tokens: list[str], pointer: str) -> Any:
        if not tokens:
            raise PatchError("cannot remove the whole document")
        parent, last = self._parent(tokens, pointer), tokens[-1]
        if isinstance(parent, dict):
            if last not in parent:
                raise PatchError(f'cannot remove "{pointer}": it does not exist')
            return parent.pop(last)
        return parent.pop(_array_index(last, len(parent), pointer, inserting=False))

    def replace(self, tokens: list[str], pointer: str, value: Any) -> None:
        if not tokens:
            self.root = value
            return
        parent, last = self._parent(tokens, pointer), tokens[-1]
        if isinstance(parent, dict):
            if last not in parent:
                raise PatchError(f'cannot replace "{pointer}": it does not exist')
            parent[last] = value
        else:
            parent[_array_index(last, len(parent), pointer, inserting=False)] = value

    def apply(self, op: JSONDict) -> None:
        name = op.get("op")
        if "path" not in op:
            raise PatchError(f'operation "{name}" has no "path"')
        pointer = op["path"]
        path = _parse_pointer(pointer, "path")
        if name in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f'"{name}" operation on "{pointer}" has no "value"')
        source: Any = op.get("from")
        from_path: list[str] = []
        if name in ("move", "copy"):
            if "from" not in op:
                raise PatchError(f'"{name}" operation on "{pointer}" has no "from"')
            from_path = _parse_pointer(source, "from")
        if name == "add":
            self.add(path, pointer, _clone(op["value"]))
        elif name == "remove":
            self.remove(path, pointer)
        elif name == "replace":
            self.replace(path, pointer, _clone(op["value"]))
        elif name == "move":
            if from_path == path:
                self.get(from_path, source)  # must exist; otherwise a no-op
                return
            if path[: len(from_path)] == from_path:
                raise PatchError(f'cannot move "{source}" into its own child "{pointer}"')
            self.add(path, pointer, self.remove(from_path, source))
        elif name == "copy":
            self.add(path, pointer, _clone(self.get(from_path, source)))
        elif name == "test":
            if not _json_equal(self.get(path, pointer), op["value"]):
                raise PatchError(f"testing value {pointer} failed")
        else:
            raise PatchError(f"unknown operation {json.dumps(name)}")


def apply_json_patch(doc: JSONDict, ops: list[Any]) -> JSONDict:
    """RFC 6902: apply `ops` in order, all or nothing; return the new document.

    `ops` is the decoded body. `None` (a JSON `null` body) is an empty patch, as
    kube-apiserver's decoder treats it. Anything else that is not a list of objects is
    400. An operation that cannot be applied is 422 (see the module docstring).
    """
    if ops is None:
        ops = []
    if not isinstance(ops, list):
        raise bad_request(f"json: cannot unmarshal {_go_kind(ops)} into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict):
            raise bad_request(
                f"json: cannot unmarshal {_go_kind(op)} into Go value of type jsonpatch.Operation"
            )
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise ApiError(
            413, "RequestEntityTooLarge",
            f"Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}",
        )
    patcher = _JsonPatcher(doc)
    for index, op in enumerate(ops):
        try:
            patcher.apply(op)
        except PatchError as exc:
            raise _unprocessable() from PatchError(f"operation {index}: {exc}")
    if not isinstance(patcher.root, dict):
        raise _unprocessable() from PatchError(
            f"the patched document is a {_go_kind(patcher.root)}, not an object"
        )
    return patcher.root


# --------------------------------------------------------------------------------------
# RFC 7386 merge patch
# --------------------------------------------------------------------------------------

def merge_patch_value(target: Any, patch: Any) -> Any:
    """RFC 7386 MergePatch(target, patch) for any JSON values, exactly as the RFC says:
    objects merge recursively, null removes a member, anything else replaces."""
    if not isinstance(patch, dict):
        return _clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch_value(result.get(key), value)
    return result


def apply_merge_patch(doc: JSONDict, patch: Any) -> JSONDict:
    """RFC 7386 merge patch of an object. A body that is not an object is 400."""
    if not isinstance(patch, dict):
        raise bad_request(f"a merge patch must be a JSON object, got {_go_kind(patch)}")
    result: JSONDict = merge_patch_value(doc, patch)
    return result


# --------------------------------------------------------------------------------------
# Strategic merge patch
# --------------------------------------------------------------------------------------

PRIMITIVE: Final = "$primitive"
"""Strategy marker for a list of scalars merged as a set (e.g. `metadata.finalizers`)."""

ANY_RESOURCE: Final = "*"

CONTAINER_MERGE_KEYS: Final[Mapping[str, str]] = {
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
}
"""Merge keys of the lists inside a Container (and an EphemeralContainer)."""


def pod_spec_merge_keys(prefix: Path) -> dict[Path, str]:
    """The merge-keyed lists of a PodSpec found at `prefix`: ("spec",) in a Pod,
    ("spec", "template", "spec") in a Deployment, Job or ReplicaSet."""
    keys: dict[Path, str] = {
        (*prefix, "volumes"): "name",
        (*prefix, "imagePullSecrets"): "name",
        (*prefix, "hostAliases"): "ip",
        (*prefix, "schedulingGates"): "name",
        (*prefix, "resourceClaims"): "name",
        (*prefix, "topologySpreadConstraints"): "topologyKey",
    }
    for containers in ("containers", "initContainers", "ephemeralContainers"):
        keys[(*prefix, containers)] = "name"
        for field, key in CONTAINER_MERGE_KEYS.items():
            keys[(*prefix, containers, field)] = key
    return keys


MERGE_KEYS: dict[tuple[str, Path], str] = {
    # ObjectMeta, for every resource.
    (ANY_RESOURCE, ("metadata", "ownerReferences")): "uid",
    (ANY_RESOURCE, ("metadata", "finalizers")): PRIMITIVE,
    # Pods. status.containerStatuses, initContainerStatuses and
    # ephemeralContainerStatuses carry no patch strategy in Kubernetes
    # (+listType=atomic), so a patch replaces them whole.
    **{("pods", path): key for path, key in pod_spec_merge_keys(("spec",)).items()},
    ("pods", ("status", "conditions")): "type",
    ("pods", ("status", "podIPs")): "ip",
    ("pods", ("status", "hostIPs")): "ip",
    ("pods", ("status", "resourceClaimStatuses")): "name",
    # Nodes. spec.taints has no patch strategy: replaced whole.
    ("nodes", ("spec", "podCIDRs")): PRIMITIVE,
    ("nodes", ("status", "conditions")): "type",
    ("nodes", ("status", "addresses")): "type",
    # Namespaces.
    ("namespaces", ("status", "conditions")): "type",
}
"""How strategic merge patch merges each list, by (resource, field path).

A path names fields only: the elements of a list are walked through transparently, so
("spec", "containers", "env") is the env list of every container. The value is the
merge key of a list of objects, or `PRIMITIVE` for a list of scalars merged as a set.
Lists not listed here are replaced whole, as Kubernetes replaces lists that carry no
`patchStrategy` (tolerations, taints, args, command, containerStatuses...). Entries under
`ANY_RESOURCE` apply to every resource. To support a new resource, add its entries,
using `pod_spec_merge_keys` for embedded pod templates.
"""


def merge_strategy(resource: str, path: Path) -> str | None:
    """The merge key (or `PRIMITIVE`) of the list at `path`, or None: replace whole."""
    key = MERGE_KEYS.get((resource, path))
    return key if key is not None else MERGE_KEYS.get((ANY_RESOURCE, path))


_DIRECTIVE: Final = "$patch"
_RETAIN_KEYS: Final = "$retainKeys"
_DELETE_FROM_PRIMITIVE_LIST: Final = "$deleteFromPrimitiveList/"
_SET_ELEMENT_ORDER: Final = "$setElementOrder/"
_MISSING: Final = object()
_DELETED: Final = object()


def _is_directive(key: str) -> bool:
    return key.startswith("$") and (
        key in (_DIRECTIVE, _RETAIN_KEYS)
        or key.startswith(_DELETE_FROM_PRIMITIVE_LIST)
        or key.startswith(_SET_ELEMENT_ORDER)
    )


def _ident(value: Any) -> Hashable:
    """A hashable identity for a merge-key value or a primitive-list element."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if value is None:
        return ("null", None)
    return ("json", json.dumps(value, sort_keys=True))


def _dotted(path: Path) -> str:
    return ".".join(path) or "<root>"


def _prune_nulls(value: Any) -> Any:
    """A fresh copy of `value` with null object members removed."""
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) for v in value]
    return value


class _Entry(NamedTuple):
    ident: Hashable
    position: int | None  # index in the live list; None for an element the patch adds
    value: Any


def _interleave(server_only: list[_Entry], patched: list[_Entry]) -> list[Any]:
    """Merge two ordered runs into one list, as Kubernetes orders a merged list.

    `patched` keeps its order (the patch's, or $setElementOrder's) and so does
    `server_only` (the live list's). A live element goes before a patched element
    only when both are in the live list and it comes first there. So an element the
    patch adds goes before the live elements that follow it, and a patch that only
    adds elements puts them first. This is what kube-apiserver does, as the
    `kubectl patch` task page shows (the added container is listed first).
    """
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) and j < len(patched):
        live, patch = server_only[i], patched[j]
        if patch.position is not None and live.position is not None and live.position < patch.position:
            out.append(live.value)
            i += 1
        else:
            out.append(patch.value)
            j += 1
    out.extend(e.value for e in server_only[i:])
    out.extend(e.value for e in patched[j:])
    return out


def _arrange(
    server_only: list[_Entry], patched: list[_Entry], order: list[Hashable] | None, path: Path,
) -> list[Any]:
    """Order a merged list, honouring `$setElementOrder` when the patch sent one."""
    if order is not None:
        rank: dict[Hashable, int] = {}
        for ident in order:
            rank.setdefault(ident, len(rank))
        in_patch = [e.ident for e in patched]
        present = set(in_patch)
        if in_patch != [i for i in rank if i in present]:
            raise bad_request(
                f"the order in $setElementOrder/{path[-1]} doesn't match the order of "
                f"the patch list {_dotted(path)}"
            )
        everything = server_only + patched
        patched = sorted((e for e in everything if e.ident in rank), key=lambda e: rank[e.ident])
        server_only = sorted(
            (e for e in everything if e.ident not in rank),
            key=lambda e: -1 if e.position is None else e.position,
        )
    return _interleave(server_only, patched)


def _merge_primitive_list(
    original: list[Any], patch: list[Any], order: list[Any] | None, path: Path,
) -> list[Any]:
    """A list of scalars with strategy merge: an ordered set union."""
    replace = False
    values: list[Any] = []
    for element in patch:
        if isinstance(element, dict) and _DIRECTIVE in element:
            if element[_DIRECTIVE] != "replace":
                raise bad_request(
                    f"unknown $patch directive {json.dumps(element[_DIRECTIVE])} in list {_dotted(path)}"
                )
            replace = True
        else:
            values.append(element)
    patched: dict[Hashable, _Entry] = {}
    if replace:
        for value in values:
            patched.setdefault(_ident(value), _Entry(_ident(value), None, _clone(value)))
        return [e.value for e in patched.values()]
    live: dict[Hashable, _Entry] = {}
    for position, value in enumerate(original):
        live.setdefault(_ident(value), _Entry(_ident(value), position, value))
    for value in values:
        ident = _ident(value)
        if ident not in patched:
            known = live.get(ident)
            patched[ident] = known if known is not None else _Entry(ident, None, _clone(value))
    server_only = [e for e in live.values() if e.ident not in patched]
    idents = None if order is None else [_ident(v) for v in order]
    return _arrange(server_only, list(patched.values()), idents, path)


def _merge_keyed_list(
    original: list[Any], patch: list[Any], key: str, order: list[Any] | None,
    path: Path, resource: str,
) -> list[Any]:
    """A list of objects with strategy merge, identified by the `key` member."""
    replace = False
    deletions: list[Hashable] = []
    items: list[JSONDict] = []
    for element in patch:
        if not isinstance(element, dict):
            raise bad_request(
                f"list {_dotted(path)} is merged by {key!r}: its elements must be objects, "
                f"got {_go_kind(element)}"
            )
        directive = element.get(_DIRECTIVE, _MISSING)
        if directive is not _MISSING and directive not in ("replace", "delete"):
            raise bad_request(f"unknown $patch directive {json.dumps(directive)} in list {_dotted(path)}")
        if directive == "replace":
            replace = True
            continue
        if key not in element:
            raise bad_request(f"an element of {_dotted(path)} does not contain its merge key {key!r}")
        if directive == "delete":
            deletions.append(_ident(element[key]))
        else:
            items.append(element)
    if replace:
        # "$patch: replace" makes the rest of the list the new list; other directives
        # in it are ignored.
        return [_smp_map({}, element, path, resource) for element in items]

    positions: dict[Hashable, list[int]] = {}
    for position, element in enumerate(original):
        if isinstance(element, dict) and key in element:
            positions.setdefault(_ident(element[key]), []).append(position)
    gone: set[int] = set()
    for ident in deletions:  # each directive deletes one element with that key
        candidates = positions.get(ident)
        if candidates:
            gone.add(candidates.pop(0))
    patched: dict[Hashable, _Entry] = {}
    for element in items:
        ident = _ident(element[key])
        entry = patched.get(ident)
        if entry is None:
            candidates = positions.get(ident)
            found = candidates.pop(0) if candidates else None
            entry = _Entry(ident, found, original[found] if found is not None else {})
        if entry.position is not None:
            gone.add(entry.position)
        patched[ident] = entry._replace(value=_smp_map(entry.value, element, path, resource))
    server_only = [
        _Entry(_ident(e[key]) if isinstance(e, dict) and key in e else ("unkeyed", p), p, e)
        for p, e in enumerate(original) if p not in gone
    ]
    idents: list[Hashable] | None = None
    if order is not None:
        idents = []
        for element in order:
            if not isinstance(element, dict) or key not in element:
                raise bad_request(
                    f"$setElementOrder/{path[-1]} elements must be objects with the merge key {key!r}"
                )
            idents.append(_ident(element[key]))
    return _arrange(server_only, list(patched.values()), idents, path)


def _smp_list(
    original: list[Any], patch: list[Any] | None, order: list[Any] | None,
    path: Path, resource: str,
) -> list[Any]:
    """Patch the list at `path`; `patch` None means only `$setElementOrder` was sent."""
    strategy = merge_strategy(resource, path)
    if strategy is None:
        return original if patch is None else [_prune_nulls(v) for v in patch]
    if strategy == PRIMITIVE:
        return _merge_primitive_list(original, patch or [], order, path)
    return _merge_keyed_list(original, patch or [], strategy, order, path, resource)


def _smp_map(original: JSONDict, patch: JSONDict, path: Path, resource: str) -> Any:
    """Patch a map. Returns the new map, or `_DELETED` for `$patch: delete`."""
    directive = patch.get(_DIRECTIVE, _MISSING)
    if directive is not _MISSING:
        if directive == "delete":
            return _DELETED
        if directive != "replace":
            raise bad_request(f"unknown $patch directive {json.dumps(directive)} in map {_dotted(path)}")
        original = {}

    result = dict(original)
    orders: dict[str, list[Any]] = {}
    retain: Any = _MISSING
    for key, value in patch.items():
        if not key.startswith("$"):
            continue
        if key == _RETAIN_KEYS:
            if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
                raise bad_request(f"$retainKeys in {_dotted(path)} must be a list of field names")
            retain = value
        elif key.startswith(_DELETE_FROM_PRIMITIVE_LIST):
            field = key[len(_DELETE_FROM_PRIMITIVE_LIST):]
            if not isinstance(value, list):
                raise bad_request(f"{key} in {_dotted(path)} must be a list")
            current = result.get(field)
            if isinstance(current, list):
                doomed = {_ident(v) for v in value}
                result[field] = [v for v in current if _ident(v) not in doomed]
        elif key.startswith(_SET_ELEMENT_ORDER):
            if not isinstance(value, list):
                raise bad_request(f"{key} in {_dotted(path)} must be a list")
            orders[key[len(_SET_ELEMENT_ORDER):]] = value

    for key, value in patch.items():
        if _is_directive(key):
            continue
        if value is None:
            result.pop(key, None)
            continue
        child_path = (*path, key)
        current = result.get(key)
        if isinstance(value, dict):
            merged = _smp_map(current if isinstance(current, dict) else {}, value, child_path, resource)
            if merged is _DELETED:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            base = current if isinstance(current, list) else []
            result[key] = _smp_list(base, value, orders.pop(key, None), child_path, resource)
        else:
            result[key] = value

    for field, order in orders.items():
        current = result.get(field)
        if isinstance(current, list):
            result[field] = _smp_list(current, None, order, (*path, field), resource)

    if retain is not _MISSING:
        allowed = set(retain)
        stray = sorted(k for k in patch if not _is_directive(k) and k not in allowed)
        if stray:
            raise _unprocessable() from PatchError(
                f"patch fields {stray} in {_dotted(path)} are not listed in its $retainKeys"
            )
        result = {k: v for k, v in result.items() if k in allowed}
    return result


def apply_strategic_merge_patch(doc: JSONDict, patch: Any, resource: str) -> JSONDict:
    """Kubernetes strategic merge patch of `doc`, an object of `resource` ("pods"...).

    Maps merge recursively and null deletes a key. Lists merge by the key `MERGE_KEYS`
    gives for (resource, path), as sets for `PRIMITIVE`, and are otherwise replaced
    whole. Directives: `$patch: replace|delete` (in a map, or as a list element),
    `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`, `$retainKeys`.
    `resource` may carry a subresource ("pods/status"); it is ignored.
    """
    if patch is None:  # kube decodes a JSON null body into an empty patch
        patch = {}
    if not isinstance(patch, dict):
        raise bad_request(f"json: cannot unmarshal {_go_kind(patch)} into Go value of type map[string]interface {{}}")
    result = _smp_map(doc, patch, (), resource.split("/", 1)[0])
    return {} if result is _DELETED else result


# --------------------------------------------------------------------------------------
# Dispatch on Content-Type
# --------------------------------------------------------------------------------------

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _decode(body: bytes | bytearray | memoryview) -> Any:
    try:
        return json.loads(bytes(body), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the patch body is not valid JSON: {exc}") from exc


def apply_patch(doc: JSONDict, body: bytes | object, content_type: str, resource: str) -> JSONDict:
    """Apply a PATCH request body the way kube-apiserver picks the engine.

    `body` is the raw request body (bytes) or an already decoded JSON value.
    `content_type` may carry parameters ("; charset=utf-8"). Server-side apply
    (`application/apply-patch+yaml`) and every other type answer 415.
    """
    media_type = content_type.split(";", 1)[0].strip()
    if media_type not in (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH):
        raise unsupported_media_type(media_type)
    patch: Any = _decode(body) if isinstance(body, bytes | bytearray | memoryview) else body
    if media_type == JSON_PATCH:
        return apply_json_patch(doc, patch)
    if media_type == MERGE_PATCH:
        return apply_merge_patch(doc, patch)
    return apply_strategic_merge_patch(doc, patch, resource)
