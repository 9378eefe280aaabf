"""Server-side printing: the `meta.k8s.io` Table responses kubectl asks for.

kubectl sends `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,
application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json` on get,
list and watch, and prints the columns the server chose. These tests pin the
wire shape of those Tables (API concepts page, "Receiving resources as Tables")
and the columns kube-apiserver prints for the kinds kubesim serves.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client

from kubesim.tables import human_duration
from kubesim.testing import RunningCluster, fast_config, running_cluster

Obj = dict[str, Any]

TABLE_V1 = "application/json;as=Table;v=v1;g=meta.k8s.io"
KUBECTL_ACCEPT = f"{TABLE_V1},application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
POD_COLUMNS = ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
               "Readiness Gates"]
NODE_COLUMNS = ["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image",
                "Kernel-Version", "Container-Runtime"]


@pytest.fixture
def kube() -> Iterator[RunningCluster]:
    with running_cluster(fast_config(nodes=2)) as cluster:
        yield cluster


def core(kube: RunningCluster) -> client.CoreV1Api:
    return client.CoreV1Api(kube.api_client())


def get(kube: RunningCluster, path: str, accept: str = KUBECTL_ACCEPT) -> tuple[int, Obj]:
    conn = http.client.HTTPConnection("127.0.0.1", kube.cluster.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept": accept})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def pod(name: str, node: str | None = None, annotations: dict[str, str] | None = None,
        **spec: Any) -> Obj:
    meta: Obj = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    body: Obj = {"containers": [{"name": "c", "image": "busybox"}], **spec}
    if node:
        body["nodeName"] = node
    return {"metadata": meta, "spec": body}


def eventually(predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def cells_by_name(table: Obj) -> dict[str, list[Any]]:
    return {row["cells"][0]: row["cells"] for row in table["rows"]}


# ------------------------------------------------------------------ shape


def test_pod_list_as_a_table(kube: RunningCluster) -> None:
    api = core(kube)
    created = api.create_namespaced_pod("default", pod("p"))
    listed_rv = api.list_namespaced_pod("default").metadata.resource_version

    status, table = get(kube, "/api/v1/namespaces/default/pods")

    assert status == 200
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert table["metadata"] == {"resourceVersion": listed_rv}
    columns = table["columnDefinitions"]
    assert [c["name"] for c in columns] == POD_COLUMNS
    assert [c["priority"] for c in columns] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert columns[0]["format"] == "name" and columns[0]["type"] == "string"
    assert all(c["description"] for c in columns)
    [row] = table["rows"]
    assert row["cells"] == ["p", "0/1", "Pending", "0", row["cells"][4], "<none>", "<none>", "<none>",
                            "<none>"]
    assert row["cells"][4].endswith("s")  # an age such as "0s"
    # By default each row carries the object's metadata as PartialObjectMetadata.
    _, plain = get(kube, "/api/v1/namespaces/default/pods/p", "application/json")
    assert plain["metadata"]["uid"] == created.metadata.uid
    assert row["object"] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": plain["metadata"]}


def test_single_object_as_a_table(kube: RunningCluster) -> None:
    created = core(kube).create_namespaced_pod("default", pod("one"))
    status, table = get(kube, "/api/v1/namespaces/default/pods/one")
    assert status == 200
    assert table["kind"] == "Table"
    assert table["metadata"] == {"resourceVersion": created.metadata.resource_version}
    assert [row["cells"][0] for row in table["rows"]] == ["one"]


def test_include_object_chooses_what_rows_carry(kube: RunningCluster) -> None:
    core(kube).create_namespaced_pod("default", pod("p"))
    _, full = get(kube, "/api/v1/namespaces/default/pods?includeObject=Object")
    assert full["rows"][0]["object"]["kind"] == "Pod"
    assert full["rows"][0]["object"]["spec"]["containers"][0]["name"] == "c"
    _, bare = get(kube, "/api/v1/namespaces/default/pods?includeObject=None")
    assert "object" not in bare["rows"][0]
    status, error = get(kube, "/api/v1/namespaces/default/pods?includeObject=Everything")
    assert (status, error["reason"]) == (400, "BadRequest")


def test_accept_header_order_decides(kube: RunningCluster) -> None:
    _, beta = get(kube, "/api/v1/nodes", "application/json;as=Table;v=v1beta1;g=meta.k8s.io")
    assert beta["apiVersion"] == "meta.k8s.io/v1beta1"
    assert beta["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"
    _, plain = get(kube, "/api/v1/nodes", "application/json")
    assert plain["kind"] == "NodeList"
    # An unknown conversion is skipped in favour of the next acceptable type ...
    _, fallback = get(kube, "/api/v1/nodes", "application/json;as=Foo;v=v1;g=meta.k8s.io,application/json")
    assert fallback["kind"] == "NodeList"
    # ... and refused when nothing else is acceptable.
    status, refused = get(kube, "/api/v1/nodes", "application/json;as=Foo;v=v1;g=meta.k8s.io")
    assert (status, refused["reason"]) == (406, "NotAcceptable")


def test_errors_stay_status_objects(kube: RunningCluster) -> None:
    status, error = get(kube, "/api/v1/namespaces/default/pods/missing")
    assert status == 404
    assert (error["kind"], error["reason"]) == ("Status", "NotFound")


# ------------------------------------------------------------------ columns per kind


def test_node_columns(kube: RunningCluster) -> None:
    core(kube).patch_node("node-1", {"spec": {"unschedulable": True},
                                     "metadata": {"labels": {"node-role.kubernetes.io/worker": ""}}})
    _, table = get(kube, "/api/v1/nodes")
    assert [c["name"] for c in table["columnDefinitions"]] == NODE_COLUMNS
    rows = cells_by_name(table)
    node = core(kube).read_node("node-0")
    assert rows["node-0"][1:3] == ["Ready", "<none>"]
    assert rows["node-0"][4] == node.status.node_info.kubelet_version
    internal = next(a.address for a in node.status.addresses if a.type == "InternalIP")
    assert rows["node-0"][5:7] == [internal, "<none>"]
    assert rows["node-1"][1:3] == ["Ready,SchedulingDisabled", "worker"]


def test_namespace_lease_and_configmap_columns_and_a_default_for_the_rest(kube: RunningCluster) -> None:
    api = core(kube)
    api.create_namespaced_config_map("default", {"metadata": {"name": "cm"}, "data": {"a": "1", "b": "2"}})
    client.CoordinationV1Api(kube.api_client()).create_namespaced_lease(
        "default", {"metadata": {"name": "lead"}, "spec": {"holderIdentity": "me"}})

    _, namespaces = get(kube, "/api/v1/namespaces")
    assert [c["name"] for c in namespaces["columnDefinitions"]] == ["Name", "Status", "Age"]
    assert cells_by_name(namespaces)["default"][1] == "Active"
    _, leases = get(kube, "/apis/coordination.k8s.io/v1/namespaces/default/leases")
    assert [c["name"] for c in leases["columnDefinitions"]] == ["Name", "Holder", "Age"]
    assert cells_by_name(leases)["lead"][1] == "me"
    _, maps = get(kube, "/api/v1/namespaces/default/configmaps")
    assert [c["name"] for c in maps["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert cells_by_name(maps)["cm"][1] == 2
    _, services = get(kube, "/api/v1/namespaces/default/services")
    assert [c["name"] for c in services["columnDefinitions"]] == ["Name", "Age"]


@pytest.mark.parametrize(("annotations", "spec", "expected"), [
    ({"kubesim.io/exit-code": "0", "kubesim.io/run-seconds": "0"}, {"restartPolicy": "Never"}, "Completed"),
    ({"kubesim.io/exit-code": "3", "kubesim.io/run-seconds": "0"}, {"restartPolicy": "Never"}, "Error"),
    ({"kubesim.io/image-pull": "fail"}, {}, "ImagePullBackOff"),
], ids=["completed", "error", "image-pull"])
def test_pod_status_column_follows_the_containers(
        kube: RunningCluster, annotations: dict[str, str], spec: Obj, expected: str) -> None:
    core(kube).create_namespaced_pod("default", pod("p", node="node-0", annotations=annotations, **spec))

    def status() -> str:
        return str(cells_by_name(get(kube, "/api/v1/namespaces/default/pods")[1])["p"][2])

    eventually(lambda: status() == expected, f"STATUS {expected} (last: {status()})")


def test_pod_being_deleted_is_terminating(kube: RunningCluster) -> None:
    api = core(kube)
    api.create_namespaced_pod("default", pod("p", node="node-0",
                                             annotations={"kubesim.io/sigterm-seconds": "60"}))
    eventually(lambda: api.read_namespaced_pod("p", "default").status.phase == "Running", "p to run")
    _, before = get(kube, "/api/v1/namespaces/default/pods")
    assert cells_by_name(before)["p"][1:3] == ["1/1", "Running"]
    api.delete_namespaced_pod("p", "default", grace_period_seconds=30)
    _, after = get(kube, "/api/v1/namespaces/default/pods")
    assert cells_by_name(after)["p"][2] == "Terminating"


# ------------------------------------------------------------------ watch


def test_watch_as_tables_sends_column_definitions_only_first(kube: RunningCluster) -> None:
    api = core(kube)
    api.create_namespaced_pod("default", pod("a"))
    conn = http.client.HTTPConnection("127.0.0.1", kube.cluster.port, timeout=10)
    try:
        conn.request("GET", "/api/v1/namespaces/default/pods?watch=true",
                     headers={"Accept": KUBECTL_ACCEPT})
        response = conn.getresponse()
        assert response.status == 200
        first = json.loads(response.readline())
        api.create_namespaced_pod("default", pod("b"))
        second = json.loads(response.readline())
    finally:
        conn.close()

    assert first["type"] == "ADDED"
    assert first["object"]["kind"] == "Table"
    assert [c["name"] for c in first["object"]["columnDefinitions"]] == POD_COLUMNS
    assert [row["cells"][0] for row in first["object"]["rows"]] == ["a"]
    assert second["type"] == "ADDED"
    assert second["object"]["columnDefinitions"] is None
    assert [row["cells"][0] for row in second["object"]["rows"]] == ["b"]
    assert second["object"]["metadata"]["resourceVersion"] == \
        second["object"]["rows"][0]["object"]["metadata"]["resourceVersion"]


def test_watch_errors_are_not_tables(kube: RunningCluster) -> None:
    old = core(kube).list_namespaced_pod("default").metadata.resource_version
    core(kube).create_namespaced_pod("default", pod("a"))
    kube.call(kube.cluster.store.compact)
    conn = http.client.HTTPConnection("127.0.0.1", kube.cluster.port, timeout=10)
    try:
        conn.request("GET", f"/api/v1/namespaces/default/pods?watch=true&resourceVersion={old}",
                     headers={"Accept": KUBECTL_ACCEPT})
        response = conn.getresponse()
        events = [json.loads(line) for line in response.read().splitlines()]
    finally:
        conn.close()
    assert [(e["type"], e["object"]["kind"], e["object"]["code"]) for e in events] == [
        ("ERROR", "Status", 410)]


# ------------------------------------------------------------------ ages


@pytest.mark.parametrize(("seconds", "printed"), [
    (-0.5, "0s"), (-5, "<invalid>"), (0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"),
    (150, "2m30s"), (599, "9m59s"), (600, "10m"), (179 * 60, "179m"), (3 * 3600, "3h"),
    (3 * 3600 + 60, "3h1m"), (8 * 3600, "8h"), (47 * 3600, "47h"), (48 * 3600, "2d"),
    (50 * 3600, "2d2h"), (8 * 86400, "8d"), (729 * 86400, "729d"), (800 * 86400, "2y70d"),
    (3 * 365 * 86400, "3y"), (9 * 365 * 86400, "9y"),
])
def test_ages_print_as_kubectl_prints_them(seconds: float, printed: str) -> None:
    assert human_duration(seconds) == printed
