"""The object store behind the simulated API server: kube-apiserver's semantics over dicts.

One global resourceVersion counter (like etcd's revision), optimistic concurrency,
graceful deletion and finalizers, list snapshots, a bounded per-resource change
history for watch resumption, and synchronous fan-out to watchers and in-process
listeners.

Stored objects are never mutated after commit: every write builds a new dict,
so readers (watch streams, list snapshots, controllers) can share them freely.
Every method runs synchronously on the event loop, which makes each call atomic.
"""

from __future__ import annotations

import base64
import bisect
import json
import random
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import admission, errors
from .clock import Clock, rfc3339
from .patch import apply_patch
from .resources import RESOURCES, Resource
from .selectors import parse_field_selector, parse_label_selector
from .watch import ADDED, DELETED, MODIFIED, Change, Key, Watcher

Obj = dict[str, Any]
Listener = Callable[[Change], None]
ObjList = list[Obj]  # `Store.list` shadows the builtin inside the class body

_GENERATE_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_SYSTEM_METADATA = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                    "name", "namespace", "generateName")
_CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the first "
    "chunk was returned and now may show up in the list."
)


class Store:
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        history_window: int = 10_000,
        strict_terminal_phase: bool = True,
        event_ttl_seconds: float = 3600.0,
        list_snapshots: int = 16,
    ) -> None:
        self.clock = clock or Clock()
        self.history_window = history_window
        self.strict_terminal_phase = strict_terminal_phase
        self.event_ttl_seconds = event_ttl_seconds
        self._rv = 1
        self._objects: dict[str, dict[Key, Obj]] = {name: {} for name in RESOURCES}
        self._history: dict[str, deque[Change]] = {name: deque() for name in RESOURCES}
        # History for a resource is complete for every RV above its floor.
        self._floor: dict[str, int] = dict.fromkeys(RESOURCES, 1)
        self._watchers: dict[str, set[Watcher]] = {name: set() for name in RESOURCES}
        self._listeners: dict[str, list[Listener]] = {name: [] for name in RESOURCES}
        self._pods_by_node: dict[str, set[Key]] = {}
        self._snapshots: OrderedDict[str, tuple[int, list[Obj]]] = OrderedDict()
        self._max_snapshots = list_snapshots
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.create("namespaces", None, {"metadata": {"name": ns}})

    # ------------------------------------------------------------ reading

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, resource: str, namespace: str | None, name: str) -> Obj:
        r = RESOURCES[resource]
        obj = self._objects[resource].get(self._key(r, namespace, name))
        if obj is None:
            raise errors.not_found(resource, name, r.group)
        return obj

    def try_get(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        return self._objects[resource].get(self._key(RESOURCES[resource], namespace, name))

    def objects(self, resource: str) -> Iterable[Obj]:
        return self._objects[resource].values()

    def count(self, resource: str) -> int:
        return len(self._objects[resource])

    def pods_on_node(self, node: str) -> list[Obj]:
        pods = self._objects["pods"]
        return [pods[k] for k in self._pods_by_node.get(node, ())]

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: str = "",
    ) -> Obj:
        r = RESOURCES[resource]
        _check_list_options(resource_version, resource_version_match, continue_token)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, resource)
        if continue_token:
            list_rv, items = self._resume_snapshot(continue_token)
        else:
            list_rv, state = self._state_at(r, resource_version, resource_version_match)
            node = fields.exact_value("spec.nodeName") if resource == "pods" else None
            if node is not None and state is self._objects[resource]:
                keys: Iterable[Key] = sorted(self._pods_by_node.get(node, ())) if node else sorted(state)
            else:
                keys = sorted(state)
            items = [obj for k in keys
                     if (namespace is None or k[0] == namespace)
                     and labels.matches((obj := state[k])["metadata"].get("labels"))
                     and fields.matches(obj)]
        meta: Obj = {"resourceVersion": str(list_rv)}
        if limit and len(items) > limit:
            rest = items[limit:]
            items = items[:limit]
            meta["continue"] = self._save_snapshot(list_rv, rest)
            meta["remainingItemCount"] = len(rest)
        return {"kind": r.list_kind, "apiVersion": r.api_version, "metadata": meta, "items": items}

    def _state_at(self, r: Resource, rv_text: str, match: str) -> tuple[int, dict[Key, Obj]]:
        current = self._objects[r.plural]
        if not rv_text or rv_text == "0":
            return self._rv, current
        rv = _parse_rv(rv_text)
        if rv > self._rv:
            raise errors.ApiError(
                504, "Timeout", f"Too large resource version: {rv}, current: {self._rv}",
                causes=[{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                retry_after_seconds=1,
            )
        if match != "Exact":
            return self._rv, current
        if rv < self._floor[r.plural]:
            raise errors.gone_expired(f"too old resource version: {rv} ({self._floor[r.plural]})")
        state = dict(current)
        for change in reversed(self._history[r.plural]):
            if change.rv <= rv:
                break
            if change.type == ADDED:
                state.pop(change.key, None)
            else:
                assert change.old is not None
                state[change.key] = change.old
        return rv, state

    def _save_snapshot(self, rv: int, rest: ObjList) -> str:
        token_id = uuid.uuid4().hex
        self._snapshots[token_id] = (rv, rest)
        while len(self._snapshots) > self._max_snapshots:
            self._snapshots.popitem(last=False)
        raw = json.dumps({"rv": rv, "id": token_id}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def _resume_snapshot(self, token: str) -> tuple[int, ObjList]:
        try:
            parsed = json.loads(base64.urlsafe_b64decode(token.encode()))
            token_id, _rv = str(parsed["id"]), int(parsed["rv"])
        except (ValueError, KeyError, TypeError):
            raise errors.bad_request(f"continue key is not valid: {token!r}") from None
        snapshot = self._snapshots.pop(token_id, None)
        if snapshot is None or snapshot[0] < min(self._floor.values()):
            raise errors.gone_expired(_CONTINUE_EXPIRED)
        return snapshot

    # ------------------------------------------------------------ writing

    def create(self, resource: str, namespace: str | None, body: Any) -> Obj:
        r = RESOURCES[resource]
        obj = _require_object(body, r)
        meta = dict(obj.get("metadata") or {})
        if r.namespaced:
            body_ns = meta.get("namespace")
            if namespace is None:
                namespace = body_ns or "default"
            if body_ns and body_ns != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = namespace
            self._check_namespace_open(r, namespace, meta.get("name") or meta.get("generateName", ""))
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._generate_name(r, meta.get("namespace"), str(meta["generateName"]))
        for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(field, None)
        obj = {**obj, "kind": r.kind, "apiVersion": r.api_version, "metadata": meta}
        admission.validate_metadata(r, obj)
        key = self._key(r, meta.get("namespace"), meta["name"])
        if key in self._objects[resource]:
            raise errors.already_exists(resource, meta["name"], r.group)
        obj = admission.prepare_create(r, obj)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = rfc3339(self.clock.now())
        stored = self._commit(r, key, None, admission.normalize(r, obj), ADDED)
        if resource == "events" and self.event_ttl_seconds > 0:
            uid = meta["uid"]
            self.clock.call_later(self.event_ttl_seconds, lambda: self._expire(r, key, uid))
        return stored

    def replace(self, resource: str, namespace: str | None, name: str, body: Any,
                subresource: str | None = None) -> Obj:
        r = RESOURCES[resource]
        obj = _require_object(body, r)
        body_name = (obj.get("metadata") or {}).get("name")
        if body_name and body_name != name:
            raise errors.bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})")
        body_ns = (obj.get("metadata") or {}).get("namespace")
        if r.namespaced and body_ns and body_ns != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request")
        return self._update(r, namespace, name, obj, subresource)

    def patch(self, resource: str, namespace: str | None, name: str, body: Any, content_type: str,
              subresource: str | None = None) -> Obj:
        r = RESOURCES[resource]
        current = self.get(resource, namespace, name)
        patched = apply_patch(current, body, content_type, resource)
        if not isinstance(patched, dict) or not isinstance(patched.get("metadata"), dict):
            raise errors.bad_request("the patch produced an object without metadata")
        admission.check_types(r, patched)
        return self._update(r, namespace, name, patched, subresource)

    def update_with(self, resource: str, namespace: str | None, name: str,
                    change: Callable[[Obj], Obj], subresource: str | None = None) -> Obj:
        """Read-modify-write for in-process controllers: `change` gets the current object."""
        r = RESOURCES[resource]
        return self._update(r, namespace, name, change(self.get(resource, namespace, name)), subresource)

    def _update(self, r: Resource, namespace: str | None, name: str, obj: Obj,
                subresource: str | None) -> Obj:
        key = self._key(r, namespace, name)
        old = self._objects[r.plural].get(key)
        if old is None:
            raise errors.not_found(r.plural, name, r.group)
        old_meta = old["metadata"]
        meta = dict(obj.get("metadata") or {})
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv and str(wanted_rv) != old_meta["resourceVersion"]:
            raise errors.modified_conflict(r.plural, name, r.group)
        if meta.get("uid") and meta["uid"] != old_meta["uid"]:
            raise errors.conflict(r.plural, name,
                                  f"Precondition failed: UID in precondition: {meta['uid']}, "
                                  f"UID in object meta: {old_meta['uid']}", r.group)
        for field in _SYSTEM_METADATA:
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        meta["resourceVersion"] = old_meta["resourceVersion"]

        if subresource == "status":
            # The status subresource writes only .status; metadata and spec stay as stored.
            new = {**old, "status": obj.get("status") or {}}
            if r.plural == "pods":
                admission.check_pod_status_update(name, old.get("status") or {}, new["status"],
                                                  self.strict_terminal_phase)
        elif subresource == "finalize":
            # namespaces/{n}/finalize writes only spec.finalizers.
            finalizers = (obj.get("spec") or {}).get("finalizers") or []
            new = {**old, "spec": {**(old.get("spec") or {}), "finalizers": list(finalizers)}}
        else:
            new = {**obj, "kind": r.kind, "apiVersion": r.api_version, "metadata": meta}
            if "deletionTimestamp" in old_meta:
                added = set(meta.get("finalizers") or ()) - set(old_meta.get("finalizers") or ())
                if added:
                    raise errors.invalid(r.kind, name, [(
                        "FieldValueForbidden", "metadata.finalizers",
                        f"Forbidden: no new finalizers can be added if the object is being deleted, "
                        f"found new finalizers {sorted(added)!r}")])
            if r.has_status:
                new["status"] = old.get("status", {})
            if r.plural == "pods":
                spec = admission.default_pod_spec(obj.get("spec") or {})
                admission.check_pod_spec_update(name, old["spec"], spec)
                new["spec"] = spec
            admission.validate_metadata(r, new)
        new = admission.normalize(r, new)
        if new == old:
            return old
        stored = self._commit(r, key, old, new, MODIFIED)
        smeta = stored["metadata"]
        if ("deletionTimestamp" in smeta and not smeta.get("finalizers")
                and not smeta.get("deletionGracePeriodSeconds")):
            return self._remove(r, key)
        return stored

    def delete(self, resource: str, namespace: str | None, name: str,
               options: Obj | None = None) -> Obj:
        r = RESOURCES[resource]
        key = self._key(r, namespace, name)
        obj = self._objects[resource].get(key)
        if obj is None:
            raise errors.not_found(resource, name, r.group)
        options = options or {}
        preconditions = options.get("preconditions") or {}
        if not isinstance(preconditions, dict) or not all(
                isinstance(preconditions.get(k), str | None) for k in ("uid", "resourceVersion")):
            raise errors.bad_request('DeleteOptions in version "v1" cannot be handled as a DeleteOptions: '
                                     "preconditions must be an object of strings")
        _check_preconditions(r, obj, preconditions)
        meta = obj["metadata"]
        grace = self._grace_period(r, obj, options.get("gracePeriodSeconds"))
        if "deletionTimestamp" in meta:
            current = meta.get("deletionGracePeriodSeconds") or 0
            if grace >= current:
                return obj  # a second delete may only shorten the grace period
        if resource == "namespaces":
            return self._delete_namespace(r, key, obj)
        if grace > 0 or meta.get("finalizers"):
            new_meta = {**meta, "deletionTimestamp": rfc3339(self.clock.now() + grace),
                        "deletionGracePeriodSeconds": grace}
            stored = self._commit(r, key, obj, {**obj, "metadata": new_meta}, MODIFIED)
            if grace == 0 and not meta.get("finalizers"):
                return self._remove(r, key)
            return stored
        return self._remove(r, key)

    def delete_collection(self, resource: str, namespace: str | None, *, label_selector: str = "",
                          field_selector: str = "", options: Obj | None = None) -> Obj:
        listed = self.list(resource, namespace, label_selector=label_selector,
                           field_selector=field_selector)
        deleted = []
        for obj in listed["items"]:
            meta = obj["metadata"]
            try:
                deleted.append(self.delete(resource, meta.get("namespace"), meta["name"], options))
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise
        return {**listed, "items": deleted}

    def bind(self, namespace: str, name: str, binding: Any) -> Obj:
        """POST pods/{name}/binding: assign a node, as the scheduler does."""
        r = RESOURCES["pods"]
        body = binding if isinstance(binding, dict) else {}
        body_meta = body.get("metadata") or {}
        target = body.get("target") or {}
        if (not isinstance(body_meta, dict) or not isinstance(body_meta.get("annotations") or {}, dict)
                or not isinstance(target, dict)):
            raise errors.bad_request('Binding in version "v1" cannot be handled as a Binding: '
                                     "metadata, metadata.annotations and target must be objects")
        if body_meta.get("name") and body_meta["name"] != name:
            raise errors.bad_request("name in URL does not match name in Binding object")
        if not target.get("name"):
            raise errors.invalid("Binding", name, [("FieldValueRequired", "target.name", "Required value")])
        key = (namespace, name)
        pod = self._objects["pods"].get(key)
        if pod is None:
            raise errors.not_found("pods", name)
        meta = pod["metadata"]
        want_uid = (body.get("metadata") or {}).get("uid")
        if want_uid and want_uid != meta["uid"]:
            raise errors.conflict("pods/binding", name,
                                  f"Precondition failed: UID in precondition: {want_uid}, "
                                  f"UID in object meta: {meta['uid']}")
        if "deletionTimestamp" in meta:
            raise errors.conflict("pods/binding", name,
                                  f"pod {name} is being deleted, cannot be assigned to a host")
        if pod["spec"].get("nodeName"):
            raise errors.conflict("pods/binding", name,
                                  f'pod {name} is already assigned to node "{pod["spec"]["nodeName"]}"')
        annotations = {**(meta.get("annotations") or {}),
                       **((body.get("metadata") or {}).get("annotations") or {})}
        new_meta = {**meta, "annotations": annotations} if annotations else meta
        status = dict(pod.get("status") or {})
        status["conditions"] = _set_condition(status.get("conditions") or [], {
            "type": "PodScheduled", "status": "True", "lastProbeTime": None,
            "lastTransitionTime": rfc3339(self.clock.now())})
        new = {**pod, "metadata": new_meta, "spec": {**pod["spec"], "nodeName": target["name"]},
               "status": status}
        self._commit(r, key, pod, new, MODIFIED)
        return _success_status()

    def evict(self, namespace: str, name: str, eviction: Any) -> Obj:
        """POST pods/{name}/eviction: mark the pod as disrupted, then delete it."""
        r = RESOURCES["pods"]
        pod = self.get("pods", namespace, name)
        body = eviction if isinstance(eviction, dict) else {}
        if not isinstance(body.get("deleteOptions") or {}, dict):
            raise errors.bad_request('Eviction in version "v1" cannot be handled as an Eviction: '
                                     "deleteOptions must be an object")
        if "deletionTimestamp" not in pod["metadata"]:
            status = dict(pod.get("status") or {})
            status["conditions"] = _set_condition(status.get("conditions") or [], {
                "type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                "lastTransitionTime": rfc3339(self.clock.now()), "reason": "EvictionByEvictionAPI",
                "message": "Eviction API: evicting"})
            self._commit(r, (namespace, name), pod, {**pod, "status": status}, MODIFIED)
        self.delete("pods", namespace, name, body.get("deleteOptions") or {})
        return _success_status()

    # ------------------------------------------------------------ watching

    def watch(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        resource_version: str = "",
        allow_bookmarks: bool = False,
        send_initial_events: bool | None = None,
        max_buffered: int = 200_000,
    ) -> Watcher:
        """Open a watch. A start RV older than the history gets a 410 ERROR in-stream."""
        r = RESOURCES[resource]
        watcher = Watcher(
            resource, namespace, parse_label_selector(label_selector),
            parse_field_selector(field_selector, resource),
            allow_bookmarks=allow_bookmarks, max_buffered=max_buffered,
            on_close=lambda w: self._watchers[resource].discard(w),
        )
        initial = send_initial_events if send_initial_events is not None else (
            resource_version in ("", "0"))
        if resource_version not in ("", "0"):
            rv = _parse_rv(resource_version)
            if rv > self._rv:
                raise errors.ApiError(
                    504, "Timeout", f"Too large resource version: {rv}, current: {self._rv}",
                    causes=[{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                    retry_after_seconds=1)
            if not initial:
                if rv < self._floor[resource]:
                    watcher.error(errors.gone_expired(
                        f"too old resource version: {rv} ({self._floor[resource]})").status())
                    return watcher
                for change in self._history_after(resource, rv):
                    watcher.offer(change, initial=True)
        if initial:
            objs = self._objects[resource]
            for k in sorted(objs):
                if watcher.matches(objs[k]):
                    watcher.push(ADDED, objs[k], initial=True)
            if send_initial_events:
                watcher.bookmark(r.kind, r.api_version, self._rv, {"k8s.io/initial-events-end": "true"},
                                 initial=True)
        self._watchers[resource].add(watcher)
        return watcher

    def _history_after(self, resource: str, rv: int) -> Sequence[Change]:
        history = self._history[resource]
        index = bisect.bisect_right(history, rv, key=lambda c: c.rv)
        return [history[i] for i in range(index, len(history))]

    def subscribe(self, resource: str, listener: Listener) -> Callable[[], None]:
        """Call `listener` synchronously after every committed change to `resource`.

        Listeners must not write to the store from inside the call (schedule instead),
        so that every listener sees changes in commit order. Returns an unsubscribe.
        """
        self._listeners[resource].append(listener)
        return lambda: self._listeners[resource].remove(listener)

    def watchers(self, resource: str | None = None) -> Sequence[Watcher]:
        names = [resource] if resource else list(RESOURCES)
        return [w for name in names for w in self._watchers[name]]

    def bookmark_all(self) -> None:
        """Send a BOOKMARK at the current RV to every watcher that allows them."""
        for name, watchers in self._watchers.items():
            r = RESOURCES[name]
            for w in list(watchers):
                w.bookmark(r.kind, r.api_version, self._rv)

    def compact(self) -> None:
        """Forget all history, as etcd compaction does: older RVs now answer 410."""
        for name in RESOURCES:
            self._history[name].clear()
            self._floor[name] = self._rv
        self._snapshots.clear()

    # ------------------------------------------------------------ internals

    def _commit(self, r: Resource, key: Key, old: Obj | None, new: Obj, kind: str) -> Obj:
        self._rv += 1
        rv = self._rv
        stored = {**new, "metadata": {**new["metadata"], "resourceVersion": str(rv)}}
        objects = self._objects[r.plural]
        if kind == DELETED:
            del objects[key]
        else:
            objects[key] = stored
        if r.plural == "pods":
            self._index_pod(key, old, None if kind == DELETED else stored)
        change = Change(rv, kind, key, old, stored)
        history = self._history[r.plural]
        history.append(change)
        if len(history) > self.history_window:
            self._floor[r.plural] = history.popleft().rv
        for watcher in list(self._watchers[r.plural]):
            watcher.offer(change)
        for listener in self._listeners[r.plural]:
            listener(change)
        if kind == DELETED and r.namespaced:
            self._maybe_finish_namespace(key[0])
        return stored

    def _remove(self, r: Resource, key: Key) -> Obj:
        obj = self._objects[r.plural][key]
        return self._commit(r, key, obj, obj, DELETED)

    def _index_pod(self, key: Key, old: Obj | None, new: Obj | None) -> None:
        old_node = old["spec"].get("nodeName") if old else None
        new_node = new["spec"].get("nodeName") if new else None
        if old_node == new_node:
            return
        if old_node:
            keys = self._pods_by_node.get(old_node)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._pods_by_node[old_node]
        if new_node:
            self._pods_by_node.setdefault(new_node, set()).add(key)

    def _grace_period(self, r: Resource, obj: Obj, requested: Any) -> int:
        if requested is not None:
            try:
                if isinstance(requested, bool | float):
                    raise TypeError(requested)
                grace = int(requested)
            except (TypeError, ValueError):
                raise errors.bad_request(f"gracePeriodSeconds must be an integer, got {requested!r}") from None
        if r.plural != "pods":
            return 0
        if requested is None:
            grace = int(obj["spec"].get("terminationGracePeriodSeconds", 30))
        if grace < 0:
            grace = 1  # a negative grace period asks for the shortest graceful deletion
        unbound = not obj["spec"].get("nodeName")
        terminal = (obj.get("status") or {}).get("phase") in admission.TERMINAL_PHASES
        return 0 if unbound or terminal else grace

    def _check_namespace_open(self, r: Resource, namespace: str, name: str) -> None:
        ns = self._objects["namespaces"].get(("", namespace))
        if ns is None:
            raise errors.not_found("namespaces", namespace)
        if "deletionTimestamp" in ns["metadata"]:
            raise errors.ApiError(
                403, "Forbidden",
                f'{r.plural} "{name}" is forbidden: unable to create new content in namespace '
                f"{namespace} because it is being terminated",
                name=name, kind=r.plural)

    def _delete_namespace(self, r: Resource, key: Key, ns: Obj) -> Obj:
        if "deletionTimestamp" in ns["metadata"]:
            return ns
        meta = {**ns["metadata"], "deletionTimestamp": rfc3339(self.clock.now()),
                "deletionGracePeriodSeconds": 0}
        stored = self._commit(r, key, ns, {**ns, "metadata": meta,
                                           "status": {**ns.get("status", {}), "phase": "Terminating"}},
                              MODIFIED)
        name = key[1]
        for plural, res in RESOURCES.items():
            if not res.namespaced:
                continue
            for obj_key in [k for k in self._objects[plural] if k[0] == name]:
                obj = self._objects[plural].get(obj_key)
                if obj is not None and "deletionTimestamp" not in obj["metadata"]:
                    self.delete(plural, name, obj_key[1])
        return self._maybe_finish_namespace(name) or stored

    def _maybe_finish_namespace(self, name: str) -> Obj | None:
        ns = self._objects["namespaces"].get(("", name))
        if ns is None or "deletionTimestamp" not in ns["metadata"]:
            return None
        for plural, res in RESOURCES.items():
            if res.namespaced and any(k[0] == name for k in self._objects[plural]):
                return None
        return self._remove(RESOURCES["namespaces"], ("", name))

    def _expire(self, r: Resource, key: Key, uid: str) -> None:
        obj = self._objects[r.plural].get(key)
        if obj is not None and obj["metadata"]["uid"] == uid:
            self._remove(r, key)

    def _generate_name(self, r: Resource, namespace: str | None, prefix: str) -> str:
        for _ in range(8):
            name = prefix + "".join(random.choices(_GENERATE_CHARS, k=5))
            if self._key(r, namespace, name) not in self._objects[r.plural]:
                return name
        raise errors.already_exists(r.plural, prefix, r.group)

    @staticmethod
    def _key(r: Resource, namespace: str | None, name: str) -> Key:
        return (namespace or "", name) if r.namespaced else ("", name)


def _parse_rv(text: str) -> int:
    try:
        rv = int(text)
    except ValueError:
        raise errors.bad_request(f'invalid resource version "{text}"') from None
    if rv < 0:
        raise errors.bad_request(f'invalid resource version "{text}"')
    return rv


def _check_list_options(rv: str, match: str, continue_token: str) -> None:
    """422 for the resourceVersionMatch combinations the API concepts page rules out."""
    if not match:
        return
    causes: list[tuple[str, str, str]] = []
    if not rv:
        causes.append(("FieldValueForbidden", "resourceVersionMatch",
                       "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"))
    if continue_token:
        causes.append(("FieldValueForbidden", "resourceVersionMatch",
                       "Forbidden: resourceVersionMatch is forbidden when continue is provided"))
    if match == "Exact" and rv == "0":
        causes.append(("FieldValueForbidden", "resourceVersionMatch",
                       'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
    elif match not in ("Exact", "NotOlderThan"):
        causes.append(("FieldValueNotSupported", "resourceVersionMatch",
                       f'Unsupported value: "{match}": supported values: "Exact", "NotOlderThan", ""'))
    if causes:
        raise errors.invalid("ListOptions", "", causes, group="meta.k8s.io")


def _require_object(body: Any, r: Resource) -> Obj:
    if not isinstance(body, dict):
        raise errors.bad_request(f"the body of the request is not a {r.kind} object")
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise errors.bad_request("metadata must be an object")
    admission.check_types(r, body)
    kind = body.get("kind")
    if kind and kind != r.kind:
        raise errors.bad_request(f"the kind of the object ({kind}) does not match the resource ({r.kind})")
    api_version = body.get("apiVersion")
    if api_version and api_version != r.api_version:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version "
            f"({r.api_version})")
    return body


def _check_preconditions(r: Resource, obj: Obj, preconditions: Obj) -> None:
    meta = obj["metadata"]
    name = meta["name"]
    uid = preconditions.get("uid")
    if uid and uid != meta["uid"]:
        raise errors.conflict(r.plural, name, f"Precondition failed: UID in precondition: {uid}, "
                                              f"UID in object meta: {meta['uid']}", r.group)
    rv = preconditions.get("resourceVersion")
    if rv and str(rv) != meta["resourceVersion"]:
        raise errors.conflict(r.plural, name, f"Precondition failed: ResourceVersion in precondition: "
                                              f"{rv}, ResourceVersion in object meta: "
                                              f"{meta['resourceVersion']}", r.group)


def _set_condition(conditions: list[Obj], condition: Obj) -> list[Obj]:
    out = [c for c in conditions if c.get("type") != condition["type"]]
    out.append(condition)
    return out


def _success_status() -> Obj:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
