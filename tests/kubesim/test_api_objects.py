"""Object semantics of kubesim's API through the official sync client (and one asyncio test):
kubernetes.md A.6 items 2-8 and 10-12.

Every expectation is written from the Kubernetes API concepts page and the API
conventions as kubernetes.md summarises them: server-assigned metadata, one global
resourceVersion counter, optimistic concurrency, the three patch types, the status
subresource, binding, graceful deletion and finalizers, consistent list snapshots,
selectors, leases, events and namespace lifecycle.

Pods bound to `UNMANAGED_NODE` are left alone by the simulated kubelet (no such node
exists), so their state changes only through the API calls a test makes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kubernetes import client
from kubernetes.aio import client as aio_client

from kubesim.testing import RunningCluster, fast_config, running_cluster
from kubesim.watch import Change

UNMANAGED_NODE = "no-kubelet-node"
MERGE = "application/merge-patch+json"
RFC3339_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
RFC3339_MICROS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
MODIFIED_MESSAGE = ("the object has been modified; please apply your changes to the latest "
                    "version and try again")

Expect = Callable[..., dict[str, Any]]


def pod(name: str, *, node: str | None = None, labels: dict[str, str] | None = None,
        finalizers: list[str] | None = None, annotations: dict[str, str] | None = None,
        containers: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    if finalizers:
        meta["finalizers"] = finalizers
    if annotations:
        meta["annotations"] = annotations
    body_spec: dict[str, Any] = {"containers": containers or [{"name": "main", "image": "busybox:1.36"}],
                                 **spec}
    if node:
        body_spec["nodeName"] = node
    return {"metadata": meta, "spec": body_spec}


def configmap(name: str, data: dict[str, str] | None = None, *, labels: dict[str, str] | None = None,
              finalizers: list[str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    if finalizers:
        meta["finalizers"] = finalizers
    return {"metadata": meta, "data": data or {}}


def rv(obj: Any) -> int:
    return int(obj.metadata.resource_version)


def raw_get(raw: Callable[..., Any], path: str) -> dict[str, Any]:
    resp = raw("GET", path)
    assert resp.status == 200, resp.data
    body: dict[str, Any] = resp.json()
    return body


def bind(core: client.CoreV1Api, namespace: str, name: str, node: str, **meta: Any) -> Any:
    """Bind the way the shim must: through the binding subresource, without deserialising."""
    body = client.V1Binding(metadata=client.V1ObjectMeta(name=name, **meta),
                            target=client.V1ObjectReference(kind="Node", name=node))
    return core.create_namespaced_pod_binding(name, namespace, body, _preload_content=False)


@pytest.fixture
def changes(kube: RunningCluster) -> Iterator[Callable[[str, str], list[tuple[str, dict[str, Any]]]]]:
    """`changes(resource, name)` starts recording the store's committed changes to one object."""
    unsubscribes: list[Callable[[], None]] = []

    def record(resource: str, name: str) -> list[tuple[str, dict[str, Any]]]:
        seen: list[tuple[str, dict[str, Any]]] = []

        def listener(change: Change) -> None:
            if change.key[1] == name:
                seen.append((change.type, change.new))

        unsubscribes.append(kube.call(kube.cluster.store.subscribe, resource, listener))
        return seen

    yield record
    for unsubscribe in unsubscribes:
        kube.call(unsubscribe)


# ---------------------------------------------------------------- 2. metadata on create


def test_create_assigns_uid_timestamp_and_resource_version(core: client.CoreV1Api, namespace: str,
                                                           raw: Callable[..., Any]) -> None:
    created = core.create_namespaced_config_map(namespace, configmap("meta"))
    assert re.fullmatch(r"[0-9a-f-]{36}", created.metadata.uid)
    assert created.metadata.resource_version.isdigit()
    assert created.metadata.creation_timestamp.tzinfo is not None
    assert abs(datetime.now(UTC) - created.metadata.creation_timestamp) < timedelta(minutes=5)
    wire = raw_get(raw, f"/api/v1/namespaces/{namespace}/configmaps/meta")
    assert RFC3339_SECONDS.match(wire["metadata"]["creationTimestamp"])
    assert wire["metadata"]["namespace"] == namespace
    assert (wire["kind"], wire["apiVersion"]) == ("ConfigMap", "v1")


def test_client_supplied_system_metadata_is_replaced(core: client.CoreV1Api, namespace: str) -> None:
    body = configmap("sysmeta")
    body["metadata"].update(uid="not-a-uid", creationTimestamp="2001-01-01T00:00:00Z")
    created = core.create_namespaced_config_map(namespace, body)
    assert created.metadata.uid != "not-a-uid"
    assert created.metadata.creation_timestamp.year != 2001


def test_resource_versions_come_from_one_counter_across_resource_types(
        core: client.CoreV1Api, coordination: client.CoordinationV1Api, namespace: str) -> None:
    cm = core.create_namespaced_config_map(namespace, configmap("first"))
    p = core.create_namespaced_pod(namespace, pod("second"))
    lease = coordination.create_namespaced_lease(namespace, {"metadata": {"name": "third"}, "spec": {}})
    assert rv(cm) < rv(p) < rv(lease)
    # A list of any type reports the global revision, so it is at least the newest write.
    assert int(core.list_namespaced_config_map(namespace).metadata.resource_version) >= rv(lease)


def test_generate_name_appends_a_random_suffix(core: client.CoreV1Api, namespace: str) -> None:
    names = {core.create_namespaced_config_map(namespace, {"metadata": {"generateName": "gen-"}}).metadata.name
             for _ in range(3)}
    assert len(names) == 3
    for name in names:
        assert re.fullmatch(r"gen-[a-z0-9]{5}", name)


def test_namespace_defaults_from_the_url(core: client.CoreV1Api, namespace: str) -> None:
    created = core.create_namespaced_config_map(namespace, configmap("no-ns"))
    assert created.metadata.namespace == namespace


def test_a_namespace_that_contradicts_the_url_is_400(core: client.CoreV1Api, namespace: str,
                                                     expect_error: Expect) -> None:
    body = {"metadata": {"name": "elsewhere", "namespace": "default"}}
    status = expect_error(lambda: core.create_namespaced_config_map(namespace, body), 400, "BadRequest")
    assert "does not match the namespace" in status["message"]


def test_creating_in_a_missing_namespace_is_404(core: client.CoreV1Api, expect_error: Expect) -> None:
    status = expect_error(lambda: core.create_namespaced_config_map("no-such-ns", configmap("x")),
                          404, "NotFound")
    assert status["message"] == 'namespaces "no-such-ns" not found'
    assert status["details"] == {"name": "no-such-ns", "kind": "namespaces"}


@pytest.mark.parametrize("name", ["Upper", "under_score", "-leading", "trailing-", "a" * 254, "dot..dot"])
def test_invalid_names_are_422(core: client.CoreV1Api, namespace: str, expect_error: Expect,
                               name: str) -> None:
    status = expect_error(lambda: core.create_namespaced_config_map(namespace, configmap(name)),
                          422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "metadata.name"


def test_a_name_or_generate_name_is_required(core: client.CoreV1Api, namespace: str,
                                             expect_error: Expect) -> None:
    status = expect_error(lambda: core.create_namespaced_config_map(namespace, {"metadata": {}}),
                          422, "Invalid")
    assert "name or generateName is required" in status["message"]


def test_duplicate_name_is_409_already_exists(core: client.CoreV1Api, namespace: str,
                                              expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("twin"))
    status = expect_error(lambda: core.create_namespaced_pod(namespace, pod("twin")), 409, "AlreadyExists")
    assert status["message"] == 'pods "twin" already exists'
    assert status["details"] == {"name": "twin", "kind": "pods"}


def test_duplicate_name_is_409_while_the_old_object_is_terminating(
        core: client.CoreV1Api, namespace: str, expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("lingering", node=UNMANAGED_NODE))
    deleted = core.delete_namespaced_pod("lingering", namespace, grace_period_seconds=60)
    assert deleted.metadata.deletion_timestamp is not None
    expect_error(lambda: core.create_namespaced_pod(namespace, pod("lingering")), 409, "AlreadyExists")
    core.delete_namespaced_pod("lingering", namespace, grace_period_seconds=0)
    core.create_namespaced_pod(namespace, pod("lingering"))


def test_pods_are_defaulted_as_kube_apiserver_defaults_them(core: client.CoreV1Api, namespace: str) -> None:
    created = core.create_namespaced_pod(namespace, pod("defaults", containers=[
        {"name": "latest", "image": "nginx:latest"},
        {"name": "untagged", "image": "registry.local:5000/team/nginx"},
        {"name": "tagged", "image": "nginx:1.27"},
        {"name": "explicit", "image": "nginx", "imagePullPolicy": "Never"},
    ]))
    spec = created.spec
    assert spec.restart_policy == "Always"
    assert spec.dns_policy == "ClusterFirst"
    assert spec.scheduler_name == "default-scheduler"
    assert spec.termination_grace_period_seconds == 30
    assert spec.enable_service_links is True
    assert spec.priority == 0
    assert [c.image_pull_policy for c in spec.containers] == ["Always", "Always", "IfNotPresent", "Never"]
    assert created.status.phase == "Pending"
    tolerations = {(t.key, t.operator, t.effect, t.toleration_seconds) for t in spec.tolerations}
    assert tolerations == {
        ("node.kubernetes.io/not-ready", "Exists", "NoExecute", 300),
        ("node.kubernetes.io/unreachable", "Exists", "NoExecute", 300),
    }


def test_a_pods_own_not_ready_toleration_is_not_overridden(core: client.CoreV1Api, namespace: str) -> None:
    own = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
           "tolerationSeconds": 5}
    created = core.create_namespaced_pod(namespace, pod("own-toleration", tolerations=[own]))
    by_key = {t.key: t for t in created.spec.tolerations}
    assert len(created.spec.tolerations) == 2
    assert by_key["node.kubernetes.io/not-ready"].toleration_seconds == 5
    assert by_key["node.kubernetes.io/unreachable"].toleration_seconds == 300


def test_a_pod_without_containers_is_422(core: client.CoreV1Api, namespace: str, expect_error: Expect) -> None:
    body = {"metadata": {"name": "empty"}, "spec": {"containers": []}}
    status = expect_error(lambda: core.create_namespaced_pod(namespace, body), 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "spec.containers"


# ---------------------------------------------------------------- 3. updates and concurrency


def test_put_with_a_stale_resource_version_is_409_with_the_conflict_message(
        core: client.CoreV1Api, namespace: str, expect_error: Expect) -> None:
    stale = core.create_namespaced_pod(namespace, pod("x"))
    core.patch_namespaced_pod("x", namespace, {"metadata": {"labels": {"moved": "on"}}})
    stale.metadata.labels = {"mine": "lost"}
    status = expect_error(lambda: core.replace_namespaced_pod("x", namespace, stale), 409, "Conflict")
    assert status["message"] == f'Operation cannot be fulfilled on pods "x": {MODIFIED_MESSAGE}'
    assert status["details"] == {"name": "x", "kind": "pods"}
    assert core.read_namespaced_pod("x", namespace).metadata.labels == {"moved": "on"}


def test_put_without_a_resource_version_is_unconditional(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_config_map(namespace, configmap("uncond", {"a": "1"}))
    core.patch_namespaced_config_map("uncond", namespace, {"data": {"a": "2"}})
    replaced = core.replace_namespaced_config_map("uncond", namespace, configmap("uncond", {"a": "3"}))
    assert replaced.data == {"a": "3"}
    assert core.read_namespaced_config_map("uncond", namespace).data == {"a": "3"}


def test_put_without_a_resource_version_works_for_pods(core: client.CoreV1Api, namespace: str) -> None:
    created = core.create_namespaced_pod(namespace, pod("uncond-pod"))
    created.metadata.resource_version = None
    created.metadata.labels = {"set": "blind"}
    replaced = core.replace_namespaced_pod("uncond-pod", namespace, created)
    assert replaced.metadata.labels == {"set": "blind"}
    assert core.read_namespaced_pod("uncond-pod", namespace).metadata.labels == {"set": "blind"}


def test_a_resource_version_in_a_patch_body_is_a_precondition(core: client.CoreV1Api, namespace: str,
                                                              expect_error: Expect) -> None:
    created = core.create_namespaced_config_map(namespace, configmap("pre", {"k": "v0"}))
    core.patch_namespaced_config_map("pre", namespace, {"data": {"k": "v1"}})
    stale = {"metadata": {"resourceVersion": created.metadata.resource_version}, "data": {"k": "v2"}}
    expect_error(lambda: core.patch_namespaced_config_map("pre", namespace, stale, _content_type=MERGE),
                 409, "Conflict")
    expect_error(lambda: core.patch_namespaced_config_map("pre", namespace, stale), 409, "Conflict")
    current = core.read_namespaced_config_map("pre", namespace)
    assert current.data == {"k": "v1"}
    fresh = {"metadata": {"resourceVersion": current.metadata.resource_version}, "data": {"k": "v2"}}
    assert core.patch_namespaced_config_map("pre", namespace, fresh, _content_type=MERGE).data == {"k": "v2"}


def test_a_failed_json_patch_test_operation_is_422_and_changes_nothing(
        core: client.CoreV1Api, namespace: str, expect_error: Expect) -> None:
    created = core.create_namespaced_config_map(namespace, configmap("tested", {"k": "v"}))
    ops = [{"op": "test", "path": "/data/k", "value": "other"},
           {"op": "replace", "path": "/data/k", "value": "changed"}]
    expect_error(lambda: core.patch_namespaced_config_map("tested", namespace, ops), 422, "Invalid")
    after = core.read_namespaced_config_map("tested", namespace)
    assert after.data == {"k": "v"} and rv(after) == rv(created)


def test_a_passing_json_patch_test_operation_lets_the_patch_apply(core: client.CoreV1Api,
                                                                  namespace: str) -> None:
    created = core.create_namespaced_config_map(namespace, configmap("guarded", {"k": "v"}))
    ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": created.metadata.resource_version},
           {"op": "replace", "path": "/data/k", "value": "changed"}]
    assert core.patch_namespaced_config_map("guarded", namespace, ops).data == {"k": "changed"}


def test_every_successful_write_bumps_the_resource_version(core: client.CoreV1Api, namespace: str) -> None:
    created = core.create_namespaced_pod(namespace, pod("bumps", node=UNMANAGED_NODE))
    labelled = core.patch_namespaced_pod("bumps", namespace, {"metadata": {"labels": {"a": "b"}}})
    status = core.patch_namespaced_pod_status("bumps", namespace, {"status": {"phase": "Running"}})
    replaced = core.replace_namespaced_pod_status("bumps", namespace, status)
    assert rv(created) < rv(labelled) < rv(status)
    # Writing the same status back is a no-op.
    assert rv(replaced) == rv(status)
    status.status.message = "still running"
    assert rv(core.replace_namespaced_pod_status("bumps", namespace, status)) > rv(status)


def test_a_no_op_update_keeps_the_resource_version(core: client.CoreV1Api, namespace: str,
                                                   changes: Any) -> None:
    created = core.create_namespaced_config_map(namespace, configmap("same", {"k": "v"}, labels={"l": "1"}))
    seen = changes("configmaps", "same")
    assert rv(core.replace_namespaced_config_map("same", namespace, created)) == rv(created)
    assert rv(core.patch_namespaced_config_map("same", namespace, {"data": {"k": "v"}})) == rv(created)
    assert rv(core.patch_namespaced_config_map("same", namespace, {"metadata": {"labels": {"l": "1"}}},
                                               _content_type=MERGE)) == rv(created)
    assert rv(core.patch_namespaced_config_map("same", namespace, [])) == rv(created)
    assert seen == []


def test_pod_spec_is_immutable_apart_from_the_documented_fields(core: client.CoreV1Api, namespace: str,
                                                                expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("fixed"))
    status = expect_error(lambda: core.patch_namespaced_pod(
        "fixed", namespace, {"spec": {"restartPolicy": "Never"}}), 422, "Invalid")
    assert "pod updates may not change fields other than" in status["message"]
    expect_error(lambda: core.patch_namespaced_pod(
        "fixed", namespace, {"spec": {"containers": [{"name": "main", "command": ["sh"]}]}}), 422, "Invalid")
    image = core.patch_namespaced_pod("fixed", namespace,
                                      {"spec": {"containers": [{"name": "main", "image": "busybox:1.37"}]}})
    assert image.spec.containers[0].image == "busybox:1.37"
    deadline = core.patch_namespaced_pod("fixed", namespace, {"spec": {"activeDeadlineSeconds": 600}})
    assert deadline.spec.active_deadline_seconds == 600
    added = {"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}
    more = core.patch_namespaced_pod("fixed", namespace, {"spec": {"tolerations": [added]}})
    assert "dedicated" in {t.key for t in more.spec.tolerations}
    # Removing a toleration is not an addition.
    fewer = [t for t in core.read_namespaced_pod("fixed", namespace).to_dict(serialize=True)["spec"]["tolerations"]
             if t["key"] != "dedicated"]
    expect_error(lambda: core.patch_namespaced_pod(
        "fixed", namespace, {"spec": {"tolerations": fewer}}, _content_type=MERGE), 422, "Invalid")


def test_node_name_cannot_be_set_by_an_update(core: client.CoreV1Api, namespace: str,
                                             expect_error: Expect) -> None:
    created = core.create_namespaced_pod(namespace, pod("unscheduled"))
    expect_error(lambda: core.patch_namespaced_pod(
        "unscheduled", namespace, {"spec": {"nodeName": "node-0"}}), 422, "Invalid")
    created.spec.node_name = "node-0"
    expect_error(lambda: core.replace_namespaced_pod("unscheduled", namespace, created), 422, "Invalid")
    assert core.read_namespaced_pod("unscheduled", namespace).spec.node_name is None


def test_a_put_that_renames_the_object_is_400(core: client.CoreV1Api, namespace: str,
                                             expect_error: Expect) -> None:
    core.create_namespaced_config_map(namespace, configmap("named"))
    expect_error(lambda: core.replace_namespaced_config_map("named", namespace, configmap("other")),
                 400, "BadRequest")


# ---------------------------------------------------------------- 4. patch content types


def test_a_dict_patch_is_a_strategic_merge_that_merges_containers_by_name(
        core: client.CoreV1Api, namespace: str, expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("two", containers=[
        {"name": "app", "image": "app:1"}, {"name": "sidecar", "image": "proxy:1"}]))
    patched = core.patch_namespaced_pod("two", namespace,
                                        {"spec": {"containers": [{"name": "sidecar", "image": "proxy:2"}]}})
    assert [(c.name, c.image) for c in patched.spec.containers] == [("app", "app:1"), ("sidecar", "proxy:2")]
    # A merge patch replaces the list whole, which here would drop a container: forbidden.
    expect_error(lambda: core.patch_namespaced_pod(
        "two", namespace, {"spec": {"containers": [{"name": "sidecar", "image": "proxy:3"}]}},
        _content_type=MERGE), 422, "Invalid")


def test_a_merge_patch_null_deletes_a_key(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_config_map(namespace, configmap("nulls", {"keep": "1", "drop": "2"},
                                                           labels={"a": "1", "b": "2"}))
    patched = core.patch_namespaced_config_map(
        "nulls", namespace, {"data": {"drop": None}, "metadata": {"labels": {"b": None}}}, _content_type=MERGE)
    assert patched.data == {"keep": "1"}
    assert patched.metadata.labels == {"a": "1"}


def test_a_list_body_is_sent_and_applied_as_a_json_patch(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_config_map(namespace, configmap("ops", {"a": "1"}))
    patched = core.patch_namespaced_config_map("ops", namespace, [
        {"op": "add", "path": "/data/b", "value": "2"},
        {"op": "remove", "path": "/data/a"},
        {"op": "add", "path": "/metadata/labels", "value": {"patched": "yes"}},
    ])
    assert patched.data == {"b": "2"}
    assert patched.metadata.labels == {"patched": "yes"}


def test_finalizers_are_a_merged_primitive_list_in_strategic_merge(core: client.CoreV1Api,
                                                                   namespace: str) -> None:
    core.create_namespaced_config_map(namespace, configmap("fins", finalizers=["a.io/one"]))
    added = core.patch_namespaced_config_map("fins", namespace, {"metadata": {"finalizers": ["b.io/two"]}})
    # A set union: which end the new finalizer lands on is not specified by the docs.
    assert sorted(added.metadata.finalizers) == ["a.io/one", "b.io/two"]
    removed = core.patch_namespaced_config_map(
        "fins", namespace, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/one", "b.io/two"]}})
    assert removed.metadata.finalizers is None  # omitempty: an emptied list is not served


def test_server_side_apply_is_refused_with_415(raw: Callable[..., Any], core: client.CoreV1Api,
                                               namespace: str, expect_status: Any) -> None:
    core.create_namespaced_config_map(namespace, configmap("applied"))
    resp = raw("PATCH", f"/api/v1/namespaces/{namespace}/configmaps/applied",
               body=b"data:\n  k: v\n", headers={"Content-Type": "application/apply-patch+yaml"},
               query={"fieldManager": "test"})
    expect_status(resp, 415, "UnsupportedMediaType")


# ---------------------------------------------------------------- 5. status subresource


def test_the_status_subresource_writes_only_status(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_pod(namespace, pod("stat", node=UNMANAGED_NODE))
    patched = core.patch_namespaced_pod_status("stat", namespace, {
        "metadata": {"labels": {"ignored": "yes"}},
        "spec": {"restartPolicy": "Never"},
        "status": {"phase": "Running", "podIP": "10.1.2.3"},
    })
    assert patched.status.phase == "Running" and patched.status.pod_ip == "10.1.2.3"
    assert patched.spec.restart_policy == "Always"
    assert not patched.metadata.labels
    read = core.read_namespaced_pod_status("stat", namespace)
    assert read.status.pod_ip == "10.1.2.3"


def test_a_put_to_status_ignores_spec_changes(core: client.CoreV1Api, namespace: str) -> None:
    current = core.create_namespaced_pod(namespace, pod("statput", node=UNMANAGED_NODE))
    current.spec.containers[0].image = "changed:1"
    current.status.phase = "Running"
    replaced = core.replace_namespaced_pod_status("statput", namespace, current)
    assert replaced.status.phase == "Running"
    assert replaced.spec.containers[0].image == "busybox:1.36"


def test_writes_to_the_main_resource_ignore_status(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_pod(namespace, pod("main", node=UNMANAGED_NODE))
    patched = core.patch_namespaced_pod("main", namespace, {
        "metadata": {"labels": {"kept": "yes"}}, "status": {"phase": "Failed"}})
    assert patched.metadata.labels == {"kept": "yes"}
    assert patched.status.phase == "Pending"
    patched.status.phase = "Succeeded"
    patched.metadata.labels = {"kept": "again"}
    replaced = core.replace_namespaced_pod("main", namespace, patched)
    assert replaced.status.phase == "Pending" and replaced.metadata.labels == {"kept": "again"}


def test_a_terminal_pod_phase_cannot_move_back(core: client.CoreV1Api, namespace: str,
                                              expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("done", node=UNMANAGED_NODE))
    core.patch_namespaced_pod_status("done", namespace, {"status": {"phase": "Succeeded"}})
    status = expect_error(lambda: core.patch_namespaced_pod_status(
        "done", namespace, {"status": {"phase": "Running"}}), 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "status.phase"
    assert core.read_namespaced_pod("done", namespace).status.phase == "Succeeded"


def test_node_status_is_a_subresource_too(core: client.CoreV1Api, new_name: Callable[[str], str]) -> None:
    name = new_name("status-node")
    core.create_node({"metadata": {"name": name}, "spec": {"podCIDR": "10.9.0.0/24"},
                      "status": {"capacity": {"cpu": "1"}}})
    try:
        patched = core.patch_node_status(name, {"spec": {"unschedulable": True},
                                                "status": {"capacity": {"cpu": "4"}}})
        assert patched.status.capacity == {"cpu": "4"}
        assert not patched.spec.unschedulable
        main = core.patch_node(name, {"spec": {"unschedulable": True}, "status": {"capacity": {"cpu": "64"}}})
        assert main.spec.unschedulable is True
        assert main.status.capacity == {"cpu": "4"}
    finally:
        core.delete_node(name)


# ---------------------------------------------------------------- 6. binding


def test_create_namespaced_binding_fails_while_deserialising_the_status(
        core: client.CoreV1Api, namespace: str) -> None:
    """The client quirk the shim must live with (kubernetes-client/python #825, #547): the server
    answers 201 with a `Status`, which the client cannot read as a `V1Binding`."""
    core.create_namespaced_pod(namespace, pod("quirk"))
    body = client.V1Binding(metadata=client.V1ObjectMeta(name="quirk"),
                            target=client.V1ObjectReference(kind="Node", name=UNMANAGED_NODE))
    with pytest.raises(ValueError, match="target") as info:
        core.create_namespaced_binding(namespace, body)
    assert "None" in str(info.value)
    # The binding itself happened.
    assert core.read_namespaced_pod("quirk", namespace).spec.node_name == UNMANAGED_NODE


def test_binding_without_preloading_returns_201_and_schedules_the_pod(core: client.CoreV1Api,
                                                                     namespace: str) -> None:
    core.create_namespaced_pod(namespace, pod("bindme", node=None))
    body = client.V1Binding(metadata=client.V1ObjectMeta(name="bindme", annotations={"bound-by": "test"}),
                            target=client.V1ObjectReference(kind="Node", name=UNMANAGED_NODE))
    resp = core.create_namespaced_binding(namespace, body, _preload_content=False)
    assert resp.status == 201
    assert json.loads(resp.data) == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                     "status": "Success", "code": 201}
    bound = core.read_namespaced_pod("bindme", namespace)
    assert bound.spec.node_name == UNMANAGED_NODE
    scheduled = [c for c in bound.status.conditions if c.type == "PodScheduled"]
    assert len(scheduled) == 1 and scheduled[0].status == "True"
    assert bound.metadata.annotations == {"bound-by": "test"}


def test_the_pod_binding_subresource_binds_too(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_pod(namespace, pod("sub"))
    resp = bind(core, namespace, "sub", UNMANAGED_NODE)
    assert resp.status == 201
    assert core.read_namespaced_pod("sub", namespace).spec.node_name == UNMANAGED_NODE


def test_binding_an_assigned_pod_is_409(core: client.CoreV1Api, namespace: str, expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("taken"))
    bind(core, namespace, "taken", UNMANAGED_NODE)
    status = expect_error(lambda: bind(core, namespace, "taken", "other-node"), 409, "Conflict")
    assert f'pod taken is already assigned to node "{UNMANAGED_NODE}"' in status["message"]


def test_binding_a_pod_being_deleted_is_409(core: client.CoreV1Api, namespace: str,
                                           expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("going", finalizers=["example.com/hold"]))
    core.delete_namespaced_pod("going", namespace)
    expect_error(lambda: bind(core, namespace, "going", UNMANAGED_NODE), 409, "Conflict")
    core.patch_namespaced_pod("going", namespace, {"metadata": {"finalizers": None}}, _content_type=MERGE)


def test_binding_a_missing_pod_is_404(core: client.CoreV1Api, namespace: str, expect_error: Expect) -> None:
    expect_error(lambda: bind(core, namespace, "ghost", UNMANAGED_NODE), 404, "NotFound")


def test_binding_with_another_pods_uid_is_a_failed_precondition(core: client.CoreV1Api, namespace: str,
                                                                expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("uid-bound"))
    status = expect_error(lambda: bind(core, namespace, "uid-bound", UNMANAGED_NODE,
                                       uid="00000000-0000-0000-0000-000000000000"), 409, "Conflict")
    assert "Precondition failed" in status["message"]
    assert core.read_namespaced_pod("uid-bound", namespace).spec.node_name is None


def test_eviction_returns_201_and_deletes_the_pod(core: client.CoreV1Api, namespace: str,
                                                  expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("evictee"))
    resp = core.create_namespaced_pod_eviction(
        "evictee", namespace, client.V1Eviction(metadata=client.V1ObjectMeta(name="evictee")),
        _preload_content=False)
    assert resp.status == 201
    assert json.loads(resp.data)["status"] == "Success"
    expect_error(lambda: core.read_namespaced_pod("evictee", namespace), 404, "NotFound")


def test_eviction_of_a_bound_pod_is_graceful_and_marks_the_disruption(core: client.CoreV1Api,
                                                                    namespace: str) -> None:
    core.create_namespaced_pod(namespace, pod("evict-bound", node=UNMANAGED_NODE))
    core.create_namespaced_pod_eviction(
        "evict-bound", namespace, client.V1Eviction(metadata=client.V1ObjectMeta(name="evict-bound")),
        _preload_content=False)
    terminating = core.read_namespaced_pod("evict-bound", namespace)
    assert terminating.metadata.deletion_timestamp is not None
    assert "DisruptionTarget" in {c.type for c in terminating.status.conditions}


# ---------------------------------------------------------------- 7. deletion


def test_deleting_a_bound_pod_is_graceful_until_the_kubelet_removes_it(
        core: client.CoreV1Api, namespace: str, changes: Any, wait_for: Callable[..., Any]) -> None:
    node = core.list_node().items[0].metadata.name
    core.create_namespaced_pod(namespace, pod("graceful"))
    bind(core, namespace, "graceful", node)
    wait_for(lambda: core.read_namespaced_pod("graceful", namespace).status.phase == "Running",
             message="the kubelet to start the pod")
    seen = changes("pods", "graceful")
    deleted = core.delete_namespaced_pod("graceful", namespace, grace_period_seconds=45)
    assert deleted.metadata.deletion_grace_period_seconds == 45
    remaining = deleted.metadata.deletion_timestamp - datetime.now(UTC)
    assert timedelta(seconds=30) < remaining <= timedelta(seconds=46)

    def gone() -> bool:
        try:
            core.read_namespaced_pod("graceful", namespace)
        except client.ApiException as exc:
            return exc.status == 404
        return False

    wait_for(gone, message="the kubelet to delete the terminated pod")
    types = [t for t, _ in seen]
    assert types[0] == "MODIFIED" and seen[0][1]["metadata"]["deletionTimestamp"]
    assert types[-1] == "DELETED" and types.count("DELETED") == 1
    assert int(seen[-1][1]["metadata"]["resourceVersion"]) > int(seen[0][1]["metadata"]["resourceVersion"])


def test_a_pods_grace_period_defaults_to_its_termination_grace_period(core: client.CoreV1Api,
                                                                     namespace: str) -> None:
    core.create_namespaced_pod(namespace, pod("default-grace", node=UNMANAGED_NODE,
                                              terminationGracePeriodSeconds=77))
    deleted = core.delete_namespaced_pod("default-grace", namespace)
    assert deleted.metadata.deletion_grace_period_seconds == 77
    core.delete_namespaced_pod("default-grace", namespace, grace_period_seconds=0)


def test_an_unbound_pod_is_deleted_at_once(core: client.CoreV1Api, namespace: str, changes: Any,
                                           expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("unbound"))
    seen = changes("pods", "unbound")
    deleted = core.delete_namespaced_pod("unbound", namespace, grace_period_seconds=30)
    assert deleted.metadata.name == "unbound"
    expect_error(lambda: core.read_namespaced_pod("unbound", namespace), 404, "NotFound")
    assert [t for t, _ in seen] == ["DELETED"]


def test_a_terminal_pod_is_deleted_at_once(core: client.CoreV1Api, namespace: str,
                                           expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("finished", node=UNMANAGED_NODE))
    core.patch_namespaced_pod_status("finished", namespace, {"status": {"phase": "Failed"}})
    core.delete_namespaced_pod("finished", namespace, grace_period_seconds=30)
    expect_error(lambda: core.read_namespaced_pod("finished", namespace), 404, "NotFound")


def test_a_second_delete_may_only_shorten_the_grace_period(core: client.CoreV1Api, namespace: str,
                                                          expect_error: Expect) -> None:
    core.create_namespaced_pod(namespace, pod("shorten", node=UNMANAGED_NODE))
    first = core.delete_namespaced_pod("shorten", namespace, grace_period_seconds=60)
    longer = core.delete_namespaced_pod("shorten", namespace, grace_period_seconds=120)
    assert longer.metadata.deletion_grace_period_seconds == 60
    assert longer.metadata.deletion_timestamp == first.metadata.deletion_timestamp
    shorter = core.delete_namespaced_pod("shorten", namespace, grace_period_seconds=10)
    assert shorter.metadata.deletion_grace_period_seconds == 10
    assert shorter.metadata.deletion_timestamp < first.metadata.deletion_timestamp
    core.delete_namespaced_pod("shorten", namespace, grace_period_seconds=0)
    expect_error(lambda: core.read_namespaced_pod("shorten", namespace), 404, "NotFound")


def test_delete_preconditions_on_uid_and_resource_version_are_409(
        core: client.CoreV1Api, namespace: str, expect_error: Expect) -> None:
    created = core.create_namespaced_config_map(namespace, configmap("guarded-delete"))
    wrong_uid = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="not-the-uid"))
    status = expect_error(lambda: core.delete_namespaced_config_map("guarded-delete", namespace,
                                                                    body=wrong_uid), 409, "Conflict")
    assert "Precondition failed: UID in precondition: not-the-uid" in status["message"]
    core.patch_namespaced_config_map("guarded-delete", namespace, {"data": {"k": "v"}})
    stale_rv = client.V1DeleteOptions(preconditions=client.V1Preconditions(
        resource_version=created.metadata.resource_version))
    expect_error(lambda: core.delete_namespaced_config_map("guarded-delete", namespace, body=stale_rv),
                 409, "Conflict")
    right = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=created.metadata.uid))
    core.delete_namespaced_config_map("guarded-delete", namespace, body=right)
    expect_error(lambda: core.read_namespaced_config_map("guarded-delete", namespace), 404, "NotFound")


def test_finalizers_keep_an_object_until_the_last_one_is_removed(
        core: client.CoreV1Api, namespace: str, changes: Any, expect_error: Expect) -> None:
    core.create_namespaced_config_map(namespace, configmap("held", finalizers=["a.io/x", "b.io/y"]))
    seen = changes("configmaps", "held")
    core.delete_namespaced_config_map("held", namespace)
    held = core.read_namespaced_config_map("held", namespace)
    assert held.metadata.deletion_timestamp is not None
    assert held.metadata.finalizers == ["a.io/x", "b.io/y"]
    status = expect_error(lambda: core.patch_namespaced_config_map(
        "held", namespace, {"metadata": {"finalizers": ["a.io/x", "b.io/y", "c.io/z"]}},
        _content_type=MERGE), 422, "Invalid")
    assert "no new finalizers can be added" in status["message"]
    core.patch_namespaced_config_map("held", namespace, [{"op": "remove", "path": "/metadata/finalizers/0"}])
    assert core.read_namespaced_config_map("held", namespace).metadata.finalizers == ["b.io/y"]
    core.patch_namespaced_config_map("held", namespace, {"metadata": {"finalizers": []}}, _content_type=MERGE)
    expect_error(lambda: core.read_namespaced_config_map("held", namespace), 404, "NotFound")
    # Deletion, first finalizer off, last finalizer off (an update), then the removal itself.
    types = [t for t, _ in seen]
    assert types == ["MODIFIED", "MODIFIED", "MODIFIED", "DELETED"]
    assert int(seen[3][1]["metadata"]["resourceVersion"]) > int(seen[2][1]["metadata"]["resourceVersion"])


def test_a_removed_object_is_answered_with_a_success_status(core: client.CoreV1Api, namespace: str,
                                                            raw: Callable[..., Any]) -> None:
    created = core.create_namespaced_config_map(namespace, configmap("brief"))
    status = core.delete_namespaced_config_map("brief", namespace)  # v37 hands back a plain dict
    assert status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                      "details": {"name": "brief", "kind": "configmaps", "uid": created.metadata.uid}}
    core.create_namespaced_config_map(namespace, configmap("held", finalizers=["a.io/x"]))
    resp = raw("DELETE", f"/api/v1/namespaces/{namespace}/configmaps/held")
    assert resp.status == 200
    assert resp.json()["kind"] == "ConfigMap" and resp.json()["metadata"]["deletionTimestamp"]
    core.patch_namespaced_config_map("held", namespace, {"metadata": {"finalizers": None}}, _content_type=MERGE)


def test_a_deleted_pod_is_answered_with_its_final_state(core: client.CoreV1Api, namespace: str) -> None:
    created = core.create_namespaced_pod(namespace, pod("final"))
    deleted = core.delete_namespaced_pod("final", namespace)
    assert deleted.kind == "Pod" and deleted.metadata.uid == created.metadata.uid
    assert rv(deleted) > rv(created)


def test_delete_collection_removes_only_the_selected_objects(core: client.CoreV1Api, namespace: str) -> None:
    for name, team in (("c1", "red"), ("c2", "red"), ("c3", "blue")):
        core.create_namespaced_config_map(namespace, configmap(name, labels={"team": team}))
    core.delete_collection_namespaced_config_map(namespace, label_selector="team=red")
    assert [c.metadata.name for c in core.list_namespaced_config_map(namespace).items] == ["c3"]


# ---------------------------------------------------------------- 8. lists


def test_list_items_are_ordered_by_namespace_then_name(core: client.CoreV1Api,
                                                       new_name: Callable[[str], str]) -> None:
    label = new_name("order")
    namespaces = sorted(new_name("ord") for _ in range(2))
    try:
        for ns in reversed(namespaces):
            core.create_namespace({"metadata": {"name": ns}})
            for name in ("zeta", "alpha", "mid"):
                core.create_namespaced_config_map(ns, configmap(name, labels={"run": label}))
        listed = core.list_config_map_for_all_namespaces(label_selector=f"run={label}")
        assert listed.kind == "ConfigMapList" and listed.api_version == "v1"
        keys = [(c.metadata.namespace, c.metadata.name) for c in listed.items]
        assert keys == [(ns, name) for ns in namespaces for name in ("alpha", "mid", "zeta")]
    finally:
        for ns in namespaces:
            core.delete_namespace(ns)


def test_a_list_reports_the_current_global_resource_version(core: client.CoreV1Api, kube: RunningCluster,
                                                            namespace: str) -> None:
    before = kube.call(lambda: kube.cluster.store.resource_version)
    listed = core.list_namespaced_config_map(namespace)
    after = kube.call(lambda: kube.cluster.store.resource_version)
    assert before <= int(listed.metadata.resource_version) <= after


def test_resource_version_zero_serves_a_recent_state(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_config_map(namespace, configmap("cached"))
    listed = core.list_namespaced_config_map(namespace, resource_version="0")
    assert [c.metadata.name for c in listed.items] == ["cached"]


def test_an_exact_list_at_an_older_version_returns_the_state_then(core: client.CoreV1Api,
                                                                  namespace: str) -> None:
    old = core.create_namespaced_config_map(namespace, configmap("history", {"v": "1"}))
    core.patch_namespaced_config_map("history", namespace, {"data": {"v": "2"}})
    core.create_namespaced_config_map(namespace, configmap("newer"))
    then = core.list_namespaced_config_map(namespace, resource_version=old.metadata.resource_version,
                                           resource_version_match="Exact")
    assert then.metadata.resource_version == old.metadata.resource_version
    assert [(c.metadata.name, c.data) for c in then.items] == [("history", {"v": "1"})]
    now = core.list_namespaced_config_map(namespace, resource_version=old.metadata.resource_version,
                                          resource_version_match="NotOlderThan")
    assert [(c.metadata.name, c.data) for c in now.items] == [("history", {"v": "2"}), ("newer", {})]


def test_a_list_at_a_future_resource_version_is_504_too_large(core: client.CoreV1Api, namespace: str,
                                                              expect_error: Expect) -> None:
    future = str(int(core.list_namespaced_config_map(namespace).metadata.resource_version) + 1_000_000)
    with pytest.raises(client.ApiException) as info:
        core.list_namespaced_config_map(namespace, resource_version=future, resource_version_match="NotOlderThan")
    assert info.value.status == 504
    assert info.value.headers.get("Retry-After") == "1"
    status = json.loads(info.value.body)
    assert status["reason"] == "Timeout"
    assert status["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
    assert status["details"]["retryAfterSeconds"] == 1
    assert "Too large resource version" in status["message"]


def test_limit_and_continue_page_through_one_consistent_snapshot(core: client.CoreV1Api,
                                                                 namespace: str) -> None:
    for i in range(5):
        core.create_namespaced_config_map(namespace, configmap(f"page-{i}", {"v": "before"}))
    first = core.list_namespaced_config_map(namespace, limit=2)
    assert [c.metadata.name for c in first.items] == ["page-0", "page-1"]
    assert first.metadata._continue and first.metadata.remaining_item_count == 3
    # Changes after the first page do not show up in the later pages.
    core.delete_namespaced_config_map("page-3", namespace)
    core.patch_namespaced_config_map("page-4", namespace, {"data": {"v": "after"}})
    core.create_namespaced_config_map(namespace, configmap("page-5"))
    second = core.list_namespaced_config_map(namespace, limit=2, _continue=first.metadata._continue)
    assert [c.metadata.name for c in second.items] == ["page-2", "page-3"]
    third = core.list_namespaced_config_map(namespace, limit=2, _continue=second.metadata._continue)
    assert [(c.metadata.name, c.data["v"]) for c in third.items] == [("page-4", "before")]
    assert not third.metadata._continue
    assert first.metadata.resource_version == second.metadata.resource_version == third.metadata.resource_version


def test_an_expired_continue_token_is_410(core: client.CoreV1Api, kube: RunningCluster, namespace: str,
                                          expect_error: Expect) -> None:
    for i in range(3):
        core.create_namespaced_config_map(namespace, configmap(f"exp-{i}"))
    token = core.list_namespaced_config_map(namespace, limit=1).metadata._continue
    kube.call(kube.cluster.store.compact)
    status = expect_error(lambda: core.list_namespaced_config_map(namespace, limit=1, _continue=token),
                          410, "Expired")
    assert "continue parameter is too old" in status["message"]


@pytest.fixture
def labelled(core: client.CoreV1Api, namespace: str) -> str:
    for name, labels in (
        ("web-prod", {"tier": "web", "env": "prod"}),
        ("web-dev", {"tier": "web", "env": "dev"}),
        ("db-prod", {"tier": "db", "env": "prod"}),
        ("cache", {"tier": "cache"}),
        ("bare", {}),
    ):
        core.create_namespaced_config_map(namespace, configmap(name, labels=labels))
    return namespace


@pytest.mark.parametrize(("selector", "expected"), [
    ("tier=web", ["web-dev", "web-prod"]),
    ("tier==web", ["web-dev", "web-prod"]),
    ("tier!=web", ["bare", "cache", "db-prod"]),
    ("tier in (web,db)", ["db-prod", "web-dev", "web-prod"]),
    ("tier notin (web, db)", ["bare", "cache"]),
    ("env", ["db-prod", "web-dev", "web-prod"]),
    ("!env", ["bare", "cache"]),
    ("tier=web,env=prod", ["web-prod"]),
    ("tier in (web),env notin (prod)", ["web-dev"]),
    ("", ["bare", "cache", "db-prod", "web-dev", "web-prod"]),
])
def test_the_full_label_selector_grammar_filters_lists(core: client.CoreV1Api, labelled: str,
                                                       selector: str, expected: list[str]) -> None:
    listed = core.list_namespaced_config_map(labelled, label_selector=selector)
    assert [c.metadata.name for c in listed.items] == expected


def test_a_malformed_label_selector_is_400(core: client.CoreV1Api, namespace: str,
                                          expect_error: Expect) -> None:
    expect_error(lambda: core.list_namespaced_config_map(namespace, label_selector="tier in (web"),
                 400, "BadRequest")


def test_pod_field_selectors_include_empty_and_not_equal_node_names(core: client.CoreV1Api,
                                                                   namespace: str) -> None:
    core.create_namespaced_pod(namespace, pod("pending"))
    core.create_namespaced_pod(namespace, pod("placed", node=UNMANAGED_NODE, restartPolicy="Never"))

    def names(selector: str) -> list[str]:
        return [p.metadata.name for p in core.list_namespaced_pod(namespace, field_selector=selector).items]

    assert names("spec.nodeName=") == ["pending"]
    assert names("spec.nodeName!=") == ["placed"]
    assert names(f"spec.nodeName={UNMANAGED_NODE}") == ["placed"]
    assert names(f"spec.nodeName!={UNMANAGED_NODE}") == ["pending"]
    assert names("status.phase=Pending,spec.restartPolicy=Never") == ["placed"]
    assert names("spec.schedulerName=default-scheduler") == ["pending", "placed"]
    assert names("spec.serviceAccountName=default,spec.hostNetwork=false") == ["pending", "placed"]
    assert names("status.podIP=,status.nominatedNodeName=") == ["pending", "placed"]
    assert names("metadata.name=pending") == ["pending"]
    assert names(f"metadata.namespace={namespace},metadata.name!=pending") == ["placed"]


def test_unscheduled_pods_across_namespaces_by_field_selector(core: client.CoreV1Api,
                                                              namespace: str) -> None:
    core.create_namespaced_pod(namespace, pod("waiting"))
    listed = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=")
    assert (namespace, "waiting") in {(p.metadata.namespace, p.metadata.name) for p in listed.items}
    assert all(not p.spec.node_name for p in listed.items)


def test_node_field_selector_on_unschedulable(core: client.CoreV1Api) -> None:
    listed = core.list_node(field_selector="spec.unschedulable=false")
    assert {n.metadata.name for n in listed.items} >= {"node-0", "node-1"}


def test_an_unsupported_field_selector_is_400(core: client.CoreV1Api, namespace: str,
                                             expect_error: Expect) -> None:
    status = expect_error(lambda: core.list_namespaced_pod(namespace, field_selector="spec.bogus=1"),
                          400, "BadRequest")
    assert 'field label not supported: spec.bogus' in status["message"]
    expect_error(lambda: core.list_namespaced_config_map(namespace, field_selector="spec.nodeName="),
                 400, "BadRequest")


# ---------------------------------------------------------------- 10. leases


def lease_body(name: str, holder: str, renew: datetime) -> client.V1Lease:
    return client.V1Lease(metadata=client.V1ObjectMeta(name=name), spec=client.V1LeaseSpec(
        holder_identity=holder, lease_duration_seconds=15, acquire_time=renew, renew_time=renew,
        lease_transitions=0))


def test_lease_crud_keeps_microsecond_renew_times(coordination: client.CoordinationV1Api, namespace: str,
                                                  raw: Callable[..., Any], expect_error: Expect) -> None:
    renew = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    created = coordination.create_namespaced_lease(namespace, lease_body("leader", "a", renew))
    assert created.kind == "Lease" and created.api_version == "coordination.k8s.io/v1"
    assert created.spec.renew_time == renew
    wire = raw_get(raw, f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/leader")
    assert wire["spec"]["renewTime"] == "2026-01-02T03:04:05.123456Z"
    assert RFC3339_MICROS.match(wire["spec"]["acquireTime"])
    later = renew + timedelta(seconds=10)
    created.spec.renew_time = later
    renewed = coordination.replace_namespaced_lease("leader", namespace, created)
    assert renewed.spec.renew_time == later and rv(renewed) > rv(created)
    taken = coordination.patch_namespaced_lease("leader", namespace, {"spec": {
        "holderIdentity": "b", "leaseTransitions": 1}})
    assert taken.spec.holder_identity == "b" and taken.spec.lease_transitions == 1
    listed = coordination.list_namespaced_lease(namespace)
    assert listed.kind == "LeaseList" and [le.metadata.name for le in listed.items] == ["leader"]
    coordination.delete_namespaced_lease("leader", namespace)
    expect_error(lambda: coordination.read_namespaced_lease("leader", namespace), 404, "NotFound")


def test_a_lease_update_without_a_resource_version_is_unconditional(
        coordination: client.CoordinationV1Api, namespace: str) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    coordination.create_namespaced_lease(namespace, lease_body("blind", "a", start))
    coordination.patch_namespaced_lease("blind", namespace, {"spec": {"leaseTransitions": 3}})
    forced = coordination.replace_namespaced_lease("blind", namespace, lease_body("blind", "b", start))
    assert forced.spec.holder_identity == "b" and forced.spec.lease_transitions == 0


def test_concurrent_lease_renewals_conflict(coordination: client.CoordinationV1Api, namespace: str,
                                            expect_error: Expect) -> None:
    start = datetime.now(UTC)
    coordination.create_namespaced_lease(namespace, lease_body("contested", "a", start))
    mine = coordination.read_namespaced_lease("contested", namespace)
    theirs = coordination.read_namespaced_lease("contested", namespace)
    mine.spec.renew_time = start + timedelta(seconds=2)
    coordination.replace_namespaced_lease("contested", namespace, mine)
    theirs.spec.holder_identity = "b"
    theirs.spec.renew_time = start + timedelta(seconds=3)
    status = expect_error(lambda: coordination.replace_namespaced_lease("contested", namespace, theirs),
                          409, "Conflict")
    assert status["message"] == (f'Operation cannot be fulfilled on leases.coordination.k8s.io "contested": '
                                 f"{MODIFIED_MESSAGE}")
    assert status["details"] == {"name": "contested", "group": "coordination.k8s.io", "kind": "leases"}
    assert coordination.read_namespaced_lease("contested", namespace).spec.holder_identity == "a"


def test_nodes_heartbeat_through_leases_in_kube_node_lease(coordination: client.CoordinationV1Api) -> None:
    leases = coordination.list_namespaced_lease("kube-node-lease").items
    assert {"node-0", "node-1"} <= {le.metadata.name for le in leases}


# ---------------------------------------------------------------- 11. events


def event_body(name: str, involved: str, *, reason: str = "Started", kind: str = "Normal") -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"metadata": {"name": name},
            "involvedObject": {"kind": "Pod", "name": involved, "apiVersion": "v1"},
            "reason": reason, "message": f"{reason} {involved}", "type": kind, "count": 1,
            "firstTimestamp": now, "lastTimestamp": now, "source": {"component": "kubesim-test"},
            "reportingComponent": "kubesim-test"}


def test_events_are_created_and_patched_to_count_repeats(core: client.CoreV1Api, namespace: str,
                                                         raw: Callable[..., Any]) -> None:
    created = core.create_namespaced_event(namespace, event_body("pod-a.1", "pod-a"))
    assert created.count == 1 and created.event_time is None
    later = (created.last_timestamp + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    patched = core.patch_namespaced_event("pod-a.1", namespace, {"count": 2, "lastTimestamp": later})
    assert patched.count == 2
    assert patched.last_timestamp - patched.first_timestamp == timedelta(seconds=30)
    wire = raw_get(raw, f"/api/v1/namespaces/{namespace}/events/pod-a.1")
    assert RFC3339_SECONDS.match(wire["lastTimestamp"])
    assert wire.get("eventTime") is None


def test_event_field_selectors(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_event(namespace, event_body("e1", "pod-a", reason="Started"))
    core.create_namespaced_event(namespace, event_body("e2", "pod-b", reason="Killing", kind="Warning"))

    def names(selector: str) -> list[str]:
        return [e.metadata.name for e in core.list_namespaced_event(namespace, field_selector=selector).items]

    assert names("involvedObject.name=pod-b") == ["e2"]
    assert names("involvedObject.kind=Pod,reason=Started") == ["e1"]
    assert names("type=Warning") == ["e2"]
    assert names("reportingComponent=kubesim-test") == ["e1", "e2"]


def test_events_expire_after_the_event_ttl(wait_for: Callable[..., Any]) -> None:
    with running_cluster(fast_config(nodes=0, event_ttl_seconds=0.3)) as short:
        api = short.api_client()
        try:
            core = client.CoreV1Api(api)
            core.create_namespaced_event("default", event_body("fleeting", "pod-x"))
            core.create_namespaced_config_map("default", configmap("lasting"))

            def expired() -> bool:
                return not core.list_namespaced_event("default").items

            wait_for(expired, timeout=10, message="the event to expire")
            assert core.read_namespaced_config_map("lasting", "default").metadata.name == "lasting"
        finally:
            api.close()


# ---------------------------------------------------------------- 12. namespaces


def test_the_system_namespaces_exist(core: client.CoreV1Api) -> None:
    names = {ns.metadata.name for ns in core.list_namespace().items}
    assert {"default", "kube-node-lease", "kube-system", "kube-public"} <= names
    default = core.read_namespace("default")
    assert default.status.phase == "Active"
    assert default.spec.finalizers == ["kubernetes"]


def test_deleting_a_namespace_terminates_it_and_cascades(core: client.CoreV1Api, new_name: Callable[[str], str],
                                                         expect_error: Expect) -> None:
    ns = new_name("doomed")
    core.create_namespace({"metadata": {"name": ns}})
    core.create_namespaced_config_map(ns, configmap("plain"))
    core.create_namespaced_pod(ns, pod("unbound"))
    core.create_namespaced_config_map(ns, configmap("held", finalizers=["example.com/hold"]))
    core.delete_namespace(ns)
    terminating = core.read_namespace(ns)
    assert terminating.status.phase == "Terminating"
    assert terminating.metadata.deletion_timestamp is not None
    expect_error(lambda: core.read_namespaced_config_map("plain", ns), 404, "NotFound")
    expect_error(lambda: core.read_namespaced_pod("unbound", ns), 404, "NotFound")
    assert core.read_namespace(ns).status.phase == "Terminating"
    status = expect_error(lambda: core.create_namespaced_config_map(ns, configmap("late")), 403, "Forbidden")
    assert f"unable to create new content in namespace {ns} because it is being terminated" in status["message"]
    core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}}, _content_type=MERGE)
    expect_error(lambda: core.read_namespace(ns), 404, "NotFound")


def test_an_empty_namespace_is_removed_by_its_deletion(core: client.CoreV1Api, new_name: Callable[[str], str],
                                                       expect_error: Expect) -> None:
    ns = new_name("empty")
    core.create_namespace({"metadata": {"name": ns}})
    core.delete_namespace(ns)
    expect_error(lambda: core.read_namespace(ns), 404, "NotFound")


# ---------------------------------------------------------------- configmaps and services


def test_configmaps_support_create_read_update_list_delete(core: client.CoreV1Api, namespace: str,
                                                           expect_error: Expect) -> None:
    created = core.create_namespaced_config_map(namespace, configmap("settings", {"mode": "fast"}))
    assert core.read_namespaced_config_map("settings", namespace).data == {"mode": "fast"}
    created.data = {"mode": "safe", "extra": "1"}
    updated = core.replace_namespaced_config_map("settings", namespace, created)
    assert updated.data == {"mode": "safe", "extra": "1"} and rv(updated) > rv(created)
    assert [c.metadata.name for c in core.list_namespaced_config_map(namespace).items] == ["settings"]
    core.delete_namespaced_config_map("settings", namespace)
    expect_error(lambda: core.read_namespaced_config_map("settings", namespace), 404, "NotFound")


def test_services_are_created_with_defaults(core: client.CoreV1Api, namespace: str,
                                            expect_error: Expect) -> None:
    created = core.create_namespaced_service(namespace, {
        "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    assert created.spec.type == "ClusterIP"
    assert created.spec.session_affinity == "None"
    assert created.spec.ports[0].port == 80
    # Service names are DNS-1035 labels: no leading digit.
    expect_error(lambda: core.create_namespaced_service(namespace, {"metadata": {"name": "1web"}, "spec": {}}),
                 422, "Invalid")


# ---------------------------------------------------------------- the asyncio client


async def test_the_asyncio_client_creates_patches_lists_and_deletes(kube: RunningCluster,
                                                                    namespace: str) -> None:
    async with aio_client.ApiClient(kube.aio_configuration()) as api:
        core = aio_client.CoreV1Api(api)
        created = await core.create_namespaced_config_map(namespace, configmap("async", {"a": "1"}))
        patched = await core.patch_namespaced_config_map("async", namespace, {"data": {"b": "2"}})
        assert patched.data == {"a": "1", "b": "2"}
        assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)
        listed = await core.list_namespaced_config_map(namespace)
        assert [c.metadata.name for c in listed.items] == ["async"]
        with pytest.raises(aio_client.ApiException) as info:
            await core.create_namespaced_config_map(namespace, configmap("async"))
        assert info.value.status == 409
        await core.delete_namespaced_config_map("async", namespace)
        with pytest.raises(aio_client.ApiException) as info:
            await core.read_namespaced_config_map("async", namespace)
        assert info.value.status == 404



def test_null_values_in_string_maps_are_stored_as_empty_strings(core: client.CoreV1Api, namespace: str,
                                                                raw: Callable[..., Any]) -> None:
    # Go decodes JSON null into a string's zero value, so kube-apiserver stores "" (never null).
    answer = raw("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                 body={"metadata": {"name": "nulls"}, "data": {"a": None, "b": "x"}})
    assert answer.status == 201
    assert core.read_namespaced_config_map("nulls", namespace).data == {"a": "", "b": "x"}
