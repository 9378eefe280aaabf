"""Malformed and hostile requests get the answers kube-apiserver gives: a `Status` with the
right 4xx code and reason, never a 500 and never a traceback.

The codes follow the API conventions: a body that cannot be decoded (not JSON, or a
known field of the wrong JSON type) is 400 `BadRequest`; a decodable object that fails
validation is 422 `Invalid`; a path naming nothing is 404; a verb a resource does not
support is 405; a stale precondition is 409; an expired continue token is 410; a media
type the server does not speak is 415. The hypothesis tests at the end throw random JSON
at create, replace and the three patch types and check that only 2xx and 4xx `Status`
answers come back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kubernetes import client

from kubesim.testing import RunningCluster

Raw = Callable[..., Any]
ExpectStatus = Callable[[Any, int, str], dict[str, Any]]

POD = {"metadata": {"name": "target"},
       "spec": {"nodeName": "no-kubelet-node", "containers": [{"name": "main", "image": "busybox:1.36"}]}}


def json_body(value: Any) -> bytes:
    return json.dumps(value).encode()


@pytest.fixture
def ns(core: client.CoreV1Api, namespace: str) -> str:
    """A namespace holding one pod and one configmap named `target`."""
    core.create_namespaced_pod(namespace, POD)
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "target"}, "data": {"k": "v"}})
    return namespace


# ---------------------------------------------------------------- bodies that do not decode: 400


@pytest.mark.parametrize("body", [b"{not json", b"{\"metadata\": ", b"\xff\xfe", b"[]", b"\"a string\"",
                                  b"42", b"null", b""])
def test_a_create_body_that_is_not_a_json_object_is_400(raw: Raw, expect_status: ExpectStatus,
                                                        ns: str, body: bytes) -> None:
    resp = raw("POST", f"/api/v1/namespaces/{ns}/configmaps", body=body,
               headers={"Content-Type": "application/json"})
    expect_status(resp, 400, "BadRequest")


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_update_body_that_is_not_json_is_400(raw: Raw, expect_status: ExpectStatus, ns: str,
                                                method: str) -> None:
    ctype = "application/json" if method == "PUT" else "application/merge-patch+json"
    resp = raw(method, f"/api/v1/namespaces/{ns}/configmaps/target", body=b"{oops",
               headers={"Content-Type": ctype})
    expect_status(resp, 400, "BadRequest")


@pytest.mark.parametrize(("resource", "body"), [
    ("configmaps", {"metadata": "target"}),
    ("configmaps", {"metadata": {"name": 123}}),
    ("configmaps", {"metadata": {"name": ["a"]}}),
    ("configmaps", {"metadata": {"generateName": 5}}),
    ("configmaps", {"metadata": {"name": "x", "labels": {"a": 1}}}),
    ("configmaps", {"metadata": {"name": "x", "labels": ["a"]}}),
    ("configmaps", {"metadata": {"name": "x", "finalizers": "a.io/x"}}),
    ("configmaps", {"metadata": {"name": "x", "ownerReferences": {"uid": "u"}}}),
    ("configmaps", {"metadata": {"name": "x"}, "data": {"k": 1}}),
    ("configmaps", {"metadata": {"name": "x"}, "data": ["k"]}),
    ("configmaps", {"apiVersion": 1, "metadata": {"name": "x"}}),
    ("pods", {"metadata": {"name": "x"}, "spec": "busybox"}),
    ("pods", {"metadata": {"name": "x"}, "spec": {"containers": "busybox"}}),
    ("pods", {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": 7}]}}),
    ("pods", {"metadata": {"name": "x"}, "spec": {"containers": [
        {"name": "c", "image": "i", "resources": {"limits": "lots"}}]}}),
    ("pods", {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}],
                                                  "tolerations": ["NoExecute"]}}),
    ("pods", {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}],
                                                  "terminationGracePeriodSeconds": "30"}}),
    ("pods", {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}]},
              "status": "Running"}),
    ("services", {"metadata": {"name": "x"}, "spec": "ClusterIP"}),
    ("events", {"metadata": {"name": "x"}, "involvedObject": "pod/x"}),
    ("events", {"metadata": {"name": "x"}, "count": "1"}),
])
def test_a_known_field_of_the_wrong_json_type_is_400(raw: Raw, expect_status: ExpectStatus, ns: str,
                                                     resource: str, body: dict[str, Any]) -> None:
    status = expect_status(raw("POST", f"/api/v1/namespaces/{ns}/{resource}", body=body), 400, "BadRequest")
    assert "Traceback" not in status["message"]


@pytest.mark.parametrize("spec", [{"renewTime": "yesterday"}, {"renewTime": 1700000000},
                                  {"leaseDurationSeconds": "15"}, {"holderIdentity": ["a"]}])
def test_a_malformed_lease_is_400(raw: Raw, expect_status: ExpectStatus, ns: str, spec: dict[str, Any]) -> None:
    resp = raw("POST", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
               body={"metadata": {"name": "lease"}, "spec": spec})
    expect_status(resp, 400, "BadRequest")


@pytest.mark.parametrize("patch", [
    {"metadata": {"labels": {"a": 1}}},
    {"metadata": {"finalizers": "x"}},
    {"metadata": {"resourceVersion": 5}},
    {"spec": {"tolerations": "x"}},
    {"spec": {"containers": "x"}},
    {"spec": "x"},
])
def test_a_patch_that_leaves_a_field_of_the_wrong_type_is_400(raw: Raw, expect_status: ExpectStatus,
                                                               ns: str, patch: dict[str, Any]) -> None:
    resp = raw("PATCH", f"/api/v1/namespaces/{ns}/pods/target", body=json_body(patch),
               headers={"Content-Type": "application/merge-patch+json"})
    expect_status(resp, 400, "BadRequest")


@pytest.mark.parametrize("patch", [{"status": "x"}, {"status": {"conditions": "x"}},
                                   {"status": {"conditions": [1]}}, {"status": {"phase": 5}},
                                   {"status": {"startTime": "not a time"}}])
def test_a_malformed_status_write_is_400_and_leaves_the_pod_alone(
        raw: Raw, core: client.CoreV1Api, expect_status: ExpectStatus, ns: str, patch: dict[str, Any]) -> None:
    before = core.read_namespaced_pod("target", ns)
    resp = raw("PATCH", f"/api/v1/namespaces/{ns}/pods/target/status", body=json_body(patch),
               headers={"Content-Type": "application/merge-patch+json"})
    expect_status(resp, 400, "BadRequest")
    assert core.read_namespaced_pod("target", ns).metadata.resource_version == before.metadata.resource_version


def test_a_malformed_node_status_is_refused_before_it_reaches_the_node_controllers(
        raw: Raw, core: client.CoreV1Api, expect_status: ExpectStatus) -> None:
    node = core.list_node().items[0].metadata.name
    resp = raw("PATCH", f"/api/v1/nodes/{node}/status", body=json_body({"status": {"conditions": "x"}}),
               headers={"Content-Type": "application/merge-patch+json"})
    expect_status(resp, 400, "BadRequest")
    assert isinstance(core.read_node_status(node).status.conditions, list)


@pytest.mark.parametrize(("path", "body"), [
    ("/pods/target/binding", {"metadata": "x", "target": {"name": "n"}}),
    ("/pods/target/binding", {"metadata": {"name": "target"}, "target": "node-0"}),
    ("/pods/target/binding", {"metadata": {"name": "someone-else"}, "target": {"name": "n"}}),
    ("/bindings", {"metadata": "x"}),
    ("/bindings", {"target": {"name": "n"}}),
    ("/pods/target/eviction", {"deleteOptions": "now"}),
])
def test_malformed_bindings_and_evictions_are_400(raw: Raw, expect_status: ExpectStatus, ns: str, path: str,
                                                  body: dict[str, Any]) -> None:
    expect_status(raw("POST", f"/api/v1/namespaces/{ns}{path}", body=body), 400, "BadRequest")


@pytest.mark.parametrize("options", [{"preconditions": "x"}, {"preconditions": {"uid": 5}},
                                     {"gracePeriodSeconds": "soon"}, {"gracePeriodSeconds": 1.5}])
def test_malformed_delete_options_are_400(raw: Raw, expect_status: ExpectStatus, ns: str,
                                          options: dict[str, Any]) -> None:
    expect_status(raw("DELETE", f"/api/v1/namespaces/{ns}/pods/target", body=options), 400, "BadRequest")


def test_a_body_that_contradicts_the_url_is_400(raw: Raw, expect_status: ExpectStatus, ns: str) -> None:
    expect_status(raw("PUT", f"/api/v1/namespaces/{ns}/configmaps/target",
                      body={"metadata": {"name": "other"}}), 400, "BadRequest")
    expect_status(raw("POST", f"/api/v1/namespaces/{ns}/configmaps",
                      body={"kind": "Secret", "metadata": {"name": "x"}}), 400, "BadRequest")
    expect_status(raw("POST", f"/api/v1/namespaces/{ns}/configmaps",
                      body={"apiVersion": "v2", "metadata": {"name": "x"}}), 400, "BadRequest")
    status = expect_status(raw("POST", f"/api/v1/namespaces/{ns}/configmaps",
                               body={"metadata": {"name": "x", "resourceVersion": "5"}}), 400, "BadRequest")
    assert status["message"] == "resourceVersion should not be set on objects to be created"


# ---------------------------------------------------------------- validation: 422


@pytest.mark.parametrize("labels", [{"bad key!": "v"}, {"k": "v" * 64}, {"k": "-v"},
                                    {"a/b/c": "v"}, {"Not_A.Domain/k": "v"}, {"k" * 64: "v"}])
def test_invalid_labels_are_422(raw: Raw, expect_status: ExpectStatus, ns: str, labels: dict[str, str]) -> None:
    status = expect_status(raw("POST", f"/api/v1/namespaces/{ns}/configmaps",
                               body={"metadata": {"name": "labelled", "labels": labels}}), 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "metadata.labels"


def test_valid_prefixed_and_empty_labels_are_accepted(core: client.CoreV1Api, ns: str) -> None:
    labels = {"app.kubernetes.io/name": "web", "empty": "", "a_b.c-d": "X_y.z-1"}
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "fine", "labels": labels}})
    assert created.metadata.labels == labels


@pytest.mark.parametrize(("path", "name"), [
    ("/api/v1/namespaces/{ns}/configmaps", "a" * 254),
    ("/api/v1/namespaces", "n" * 64),
    ("/api/v1/namespaces/{ns}/services", "s" * 64),
    ("/api/v1/namespaces/{ns}/configmaps", "UPPER"),
])
def test_names_that_are_too_long_or_malformed_are_422(raw: Raw, expect_status: ExpectStatus, ns: str,
                                                      path: str, name: str) -> None:
    resp = raw("POST", path.format(ns=ns), body={"metadata": {"name": name}})
    status = expect_status(resp, 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "metadata.name"


def test_reading_a_huge_name_is_a_plain_404(raw: Raw, expect_status: ExpectStatus, ns: str) -> None:
    expect_status(raw("GET", f"/api/v1/namespaces/{ns}/configmaps/{'x' * 5000}"), 404, "NotFound")


@pytest.mark.parametrize("ops", [
    [{"op": "frobnicate", "path": "/data/k"}],
    [{"op": "remove", "path": "/data/missing"}],
    [{"op": "replace", "path": "no-leading-slash", "value": 1}],
    [{"op": "test", "path": "/data/k", "value": "not-v"}],
    [{"op": "add", "path": "/data/k"}],
])
def test_a_json_patch_that_cannot_apply_is_422(raw: Raw, expect_status: ExpectStatus, ns: str,
                                               ops: list[dict[str, Any]]) -> None:
    resp = raw("PATCH", f"/api/v1/namespaces/{ns}/configmaps/target", body=json_body(ops),
               headers={"Content-Type": "application/json-patch+json"})
    expect_status(resp, 422, "Invalid")


def test_a_json_patch_that_is_not_a_list_of_operations_is_400(raw: Raw, expect_status: ExpectStatus,
                                                              ns: str) -> None:
    for body in ({"op": "add"}, [1, 2], "ops"):
        resp = raw("PATCH", f"/api/v1/namespaces/{ns}/configmaps/target", body=json_body(body),
                   headers={"Content-Type": "application/json-patch+json"})
        expect_status(resp, 400, "BadRequest")


# ---------------------------------------------------------------- paths and verbs: 404 and 405


@pytest.mark.parametrize("path", [
    "/api/v1/namespaces/{ns}/pods/target/frobnicate",
    "/api/v1/namespaces/{ns}/pods/target/status/extra",
    "/api/v1/namespaces/{ns}/configmaps/target/status",
    "/api/v1/nodes/node-0/binding",
    "/api/v1/pods/target",
    "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/l/status",
])
def test_unknown_subresources_and_misplaced_names_are_404(raw: Raw, expect_status: ExpectStatus, ns: str,
                                                          path: str) -> None:
    expect_status(raw("GET", path.format(ns=ns)), 404, "NotFound")


@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/api/v1/namespaces/{ns}/pods"),
    ("PATCH", "/api/v1/namespaces/{ns}/pods"),
    ("POST", "/api/v1/namespaces/{ns}/pods/target"),
    ("DELETE", "/api/v1/namespaces/{ns}/pods/target/status"),
    ("GET", "/api/v1/namespaces/{ns}/pods/target/binding"),
    ("GET", "/api/v1/namespaces/{ns}/pods/target/eviction"),
    ("PUT", "/api/v1/namespaces/{ns}/pods/target/binding"),
    ("GET", "/api/v1/namespaces/{ns}/bindings"),
    ("DELETE", "/version"),
])
def test_verbs_a_resource_does_not_support_are_405(raw: Raw, expect_status: ExpectStatus, ns: str,
                                                   method: str, path: str) -> None:
    body = {} if method in ("PUT", "PATCH", "POST") else None
    headers = {"Content-Type": "application/merge-patch+json"} if method == "PATCH" else None
    expect_status(raw(method, path.format(ns=ns), body=body, headers=headers), 405, "MethodNotAllowed")


# ---------------------------------------------------------------- query parameters


@pytest.mark.parametrize(("query", "code", "reason"), [
    ({"limit": "-1"}, 400, "BadRequest"),
    ({"limit": "lots"}, 400, "BadRequest"),
    ({"resourceVersion": "abc"}, 400, "BadRequest"),
    ({"resourceVersion": "-3"}, 400, "BadRequest"),
    ({"continue": "not-a-token"}, 400, "BadRequest"),
    ({"labelSelector": "tier in (web"}, 400, "BadRequest"),
    ({"labelSelector": "a=b=c"}, 400, "BadRequest"),
    ({"fieldSelector": "no-operator"}, 400, "BadRequest"),
    ({"fieldSelector": "spec.frobs=1"}, 400, "BadRequest"),
    ({"resourceVersionMatch": "Exact"}, 422, "Invalid"),
    ({"resourceVersionMatch": "Whenever", "resourceVersion": "1"}, 422, "Invalid"),
    ({"resourceVersionMatch": "Exact", "resourceVersion": "0"}, 422, "Invalid"),
])
def test_bad_list_parameters_are_status_errors(raw: Raw, expect_status: ExpectStatus, ns: str,
                                               query: dict[str, str], code: int, reason: str) -> None:
    expect_status(raw("GET", f"/api/v1/namespaces/{ns}/pods", query=query), code, reason)


def test_a_non_numeric_grace_period_is_400(raw: Raw, expect_status: ExpectStatus, ns: str) -> None:
    resp = raw("DELETE", f"/api/v1/namespaces/{ns}/pods/target", query={"gracePeriodSeconds": "soon"})
    expect_status(resp, 400, "BadRequest")


def test_a_negative_grace_period_still_deletes_a_bound_pod_gracefully(core: client.CoreV1Api, ns: str) -> None:
    deleted = core.delete_namespaced_pod("target", ns, grace_period_seconds=-5)
    assert deleted.metadata.deletion_grace_period_seconds == 1


# ---------------------------------------------------------------- conflicts, expiry, media types


def test_a_stale_resource_version_in_a_json_patch_test_or_body_is_a_conflict(
        raw: Raw, expect_status: ExpectStatus, ns: str) -> None:
    resp = raw("PATCH", f"/api/v1/namespaces/{ns}/configmaps/target",
               body=json_body({"metadata": {"resourceVersion": "1"}, "data": {"k": "new"}}),
               headers={"Content-Type": "application/merge-patch+json"})
    expect_status(resp, 409, "Conflict")


def test_an_unknown_continue_token_is_410(raw: Raw, expect_status: ExpectStatus, ns: str) -> None:
    # A well-formed token whose snapshot the server no longer holds.
    token = "eyJydiI6IDEsICJpZCI6ICJnb25lIn0="
    expect_status(raw("GET", f"/api/v1/namespaces/{ns}/pods", query={"continue": token}), 410, "Expired")


@pytest.mark.parametrize(("method", "path", "ctype"), [
    ("POST", "/configmaps", "text/plain"),
    ("POST", "/configmaps", "application/yaml-ish"),
    ("PATCH", "/configmaps/target", "application/json"),
    ("PATCH", "/configmaps/target", "application/apply-patch+yaml"),
    ("PATCH", "/configmaps/target", "text/plain"),
    ("PUT", "/configmaps/target", "application/vnd.kubernetes.protobuf"),
])
def test_unsupported_media_types_are_415(raw: Raw, expect_status: ExpectStatus, ns: str, method: str,
                                         path: str, ctype: str) -> None:
    resp = raw(method, f"/api/v1/namespaces/{ns}{path}", body=b'{"data": {"k": "v2"}}',
               headers={"Content-Type": ctype})
    expect_status(resp, 415, "UnsupportedMediaType")


# ---------------------------------------------------------------- random bodies

_KEYS = st.sampled_from([
    "metadata", "name", "generateName", "namespace", "labels", "annotations", "finalizers",
    "resourceVersion", "uid", "ownerReferences", "spec", "status", "containers", "initContainers",
    "image", "resources", "limits", "requests", "cpu", "memory", "tolerations", "key", "effect",
    "tolerationSeconds", "nodeName", "restartPolicy", "terminationGracePeriodSeconds",
    "activeDeadlineSeconds", "phase", "conditions", "type", "startTime", "containerStatuses", "data",
    "holderIdentity", "renewTime", "acquireTime", "leaseDurationSeconds", "involvedObject", "count",
    "eventTime", "lastTimestamp", "target", "deleteOptions", "ports", "port", "selector", "kind",
    "apiVersion", "$patch", "$deleteFromPrimitiveList/finalizers", "$setElementOrder/containers",
    "$retainKeys",
]) | st.text(max_size=6)
_SCALARS = (st.none() | st.booleans() | st.integers(-2**40, 2**40)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.sampled_from(["", "x", "main", "Always", "Pending", "Succeeded", "Running", "1",
                               "2026-01-01T00:00:00Z", "node-0", "a.io/f", "delete", "replace", "merge",
                               "NoExecute", "100m", "1Gi"])
            | st.text(max_size=8))
JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(_KEYS, inner, max_size=5), max_leaves=24)
JSON_OBJECTS = st.dictionaries(_KEYS, JSON, max_size=6)
JSON_PATCH_OPS = st.lists(st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"]),
     "path": st.sampled_from(["", "/", "/metadata/labels/a", "/metadata/finalizers/-", "/spec/containers/0/image",
                              "/spec/nodeName", "/status/phase", "/data/k", "/metadata/name",
                              "/metadata/resourceVersion", "/spec", "/status", "/metadata/~1x"])},
    optional={"value": JSON, "from": st.sampled_from(["/data/k", "/metadata/labels", "/spec/containers/0"])},
), max_size=4)

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def fuzz_ns(kube: RunningCluster, core: client.CoreV1Api) -> Iterator[str]:
    name = "fuzz-target"
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


def assert_well_formed(resp: Any) -> None:
    assert resp.status < 500, resp.data
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    assert b"Traceback" not in resp.data
    body = resp.json()
    assert isinstance(body, dict) and "kind" in body
    if resp.status >= 400:
        assert body["kind"] == "Status" and body["status"] == "Failure", body
        assert body["code"] == resp.status
        assert isinstance(body["reason"], str) and body["reason"]


def ensure(core: client.CoreV1Api, ns: str) -> None:
    """Re-create the fuzzed objects if an example deleted or broke them."""
    try:
        core.read_namespaced_pod("target", ns)
    except client.ApiException:
        core.delete_collection_namespaced_pod(ns)
        core.create_namespaced_pod(ns, POD)
    try:
        core.read_namespaced_config_map("target", ns)
    except client.ApiException:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "target"}, "data": {"k": "v"}})


@FUZZ
@given(resource=st.sampled_from(["pods", "configmaps", "events", "services", "leases"]), body=JSON)
def test_random_create_bodies_get_only_2xx_or_4xx_status_answers(raw: Raw, fuzz_ns: str, resource: str,
                                                                 body: Any) -> None:
    prefix = "/apis/coordination.k8s.io/v1" if resource == "leases" else "/api/v1"
    assert_well_formed(raw("POST", f"{prefix}/namespaces/{fuzz_ns}/{resource}", body=json_body(body),
                           headers={"Content-Type": "application/json"}))


@FUZZ
@given(resource=st.sampled_from(["pods", "configmaps", "events", "services"]), body=JSON_OBJECTS)
def test_random_object_shaped_create_bodies_get_only_2xx_or_4xx_status_answers(
        raw: Raw, fuzz_ns: str, resource: str, body: dict[str, Any]) -> None:
    assert_well_formed(raw("POST", f"/api/v1/namespaces/{fuzz_ns}/{resource}", body=json_body(body),
                           headers={"Content-Type": "application/json"}))


@FUZZ
@given(target=st.sampled_from(["pods/target", "pods/target/status", "configmaps/target"]),
       ctype=st.sampled_from(["application/merge-patch+json", "application/strategic-merge-patch+json"]),
       body=JSON_OBJECTS | JSON)
def test_random_merge_patches_get_only_2xx_or_4xx_status_answers(
        raw: Raw, core: client.CoreV1Api, fuzz_ns: str, target: str, ctype: str, body: Any) -> None:
    ensure(core, fuzz_ns)
    assert_well_formed(raw("PATCH", f"/api/v1/namespaces/{fuzz_ns}/{target}", body=json_body(body),
                           headers={"Content-Type": ctype}))


@FUZZ
@given(target=st.sampled_from(["pods/target", "pods/target/status", "configmaps/target"]),
       ops=JSON_PATCH_OPS)
def test_random_json_patches_get_only_2xx_or_4xx_status_answers(
        raw: Raw, core: client.CoreV1Api, fuzz_ns: str, target: str, ops: list[dict[str, Any]]) -> None:
    ensure(core, fuzz_ns)
    assert_well_formed(raw("PATCH", f"/api/v1/namespaces/{fuzz_ns}/{target}", body=json_body(ops),
                           headers={"Content-Type": "application/json-patch+json"}))


@FUZZ
@given(target=st.sampled_from(["pods/target", "pods/target/status", "configmaps/target", "pods/target/binding",
                               "pods/target/eviction"]),
       body=JSON_OBJECTS)
def test_random_updates_bindings_and_evictions_get_only_2xx_or_4xx_status_answers(
        raw: Raw, core: client.CoreV1Api, fuzz_ns: str, target: str, body: dict[str, Any]) -> None:
    ensure(core, fuzz_ns)
    method = "POST" if target.endswith(("binding", "eviction")) else "PUT"
    assert_well_formed(raw(method, f"/api/v1/namespaces/{fuzz_ns}/{target}", body=json_body(body),
                           headers={"Content-Type": "application/json"}))


@FUZZ
@given(options=JSON_OBJECTS, query=st.dictionaries(
    st.sampled_from(["gracePeriodSeconds", "propagationPolicy", "labelSelector", "fieldSelector", "limit",
                     "resourceVersion", "resourceVersionMatch", "continue"]),
    st.text(max_size=6) | st.sampled_from(["0", "-1", "1", "Exact", "NotOlderThan", "a=b", "x!=", "in"]),
    max_size=3))
def test_random_deletes_and_lists_get_only_2xx_or_4xx_status_answers(
        raw: Raw, core: client.CoreV1Api, fuzz_ns: str, options: dict[str, Any], query: dict[str, str]) -> None:
    ensure(core, fuzz_ns)
    assert_well_formed(raw("GET", f"/api/v1/namespaces/{fuzz_ns}/configmaps", query=query))
    assert_well_formed(raw("DELETE", f"/api/v1/namespaces/{fuzz_ns}/configmaps/target", body=json_body(options),
                           query=query, headers={"Content-Type": "application/json"}))
