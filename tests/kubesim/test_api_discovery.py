"""Transport and discovery (kubernetes.md A.6 item 1), through the official clients.

Written from the API concepts page: the server is found through /version, /api,
/apis and the per-group-version APIResourceLists, which name every resource and
subresource with its verbs; health is served at /healthz, /readyz and /livez; and
every failure is a `Status` object whose `code` and `reason` clients branch on.
Protobuf is out of scope, so it must be refused the way a server refuses a media
type it does not speak (415 for bodies, 406 for Accept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.aio import client as aio_client

from kubesim.testing import RunningCluster

PROTOBUF = "application/vnd.kubernetes.protobuf"


def test_version_reports_a_kubernetes_release(api_client: client.ApiClient) -> None:
    info = client.VersionApi(api_client).get_code()
    assert info.major == "1"
    assert info.minor.isdigit()
    assert info.git_version.startswith(f"v1.{info.minor}.")
    assert info.platform


def test_the_kubeconfig_reaches_the_server_over_plain_http(kube: RunningCluster) -> None:
    configuration = client.Configuration()
    config.load_kube_config(config_file=kube.kubeconfig, client_configuration=configuration)
    assert configuration.host.startswith("http://127.0.0.1:")
    with client.ApiClient(configuration) as api:
        assert client.VersionApi(api).get_code().major == "1"


def test_core_api_offers_version_v1(api_client: client.ApiClient) -> None:
    versions = client.CoreApi(api_client).get_api_versions()
    assert versions.kind == "APIVersions"
    assert versions.versions == ["v1"]


def test_core_v1_resource_list_names_resources_subresources_and_verbs(core: client.CoreV1Api) -> None:
    listing = core.get_api_resources()
    assert listing.kind == "APIResourceList"
    assert listing.group_version == "v1"
    by_name = {r.name: r for r in listing.resources}
    for name in ("pods", "pods/status", "pods/binding", "pods/eviction", "nodes", "nodes/status",
                 "namespaces", "events", "configmaps", "services", "bindings"):
        assert name in by_name, name
    pods = by_name["pods"]
    assert pods.kind == "Pod" and pods.namespaced and pods.singular_name == "pod"
    assert set(pods.verbs) == {"create", "delete", "deletecollection", "get", "list", "patch",
                               "update", "watch"}
    assert "po" in (pods.short_names or [])
    assert not by_name["nodes"].namespaced and not by_name["namespaces"].namespaced
    assert set(by_name["pods/status"].verbs) == {"get", "patch", "update"}
    assert set(by_name["nodes/status"].verbs) == {"get", "patch", "update"}
    assert by_name["pods/binding"].verbs == ["create"]
    assert by_name["pods/binding"].kind == "Binding"
    eviction = by_name["pods/eviction"]
    assert eviction.verbs == ["create"]
    assert (eviction.group, eviction.version, eviction.kind) == ("policy", "v1", "Eviction")


def test_apis_lists_the_coordination_group_with_its_preferred_version(api_client: client.ApiClient) -> None:
    groups = client.ApisApi(api_client).get_api_versions()
    assert groups.kind == "APIGroupList"
    coordination = next(g for g in groups.groups if g.name == "coordination.k8s.io")
    assert coordination.preferred_version.group_version == "coordination.k8s.io/v1"
    assert [v.version for v in coordination.versions] == ["v1"]


def test_coordination_group_and_version_are_discoverable(api_client: client.ApiClient) -> None:
    group = client.CoordinationApi(api_client).get_api_group()
    assert group.kind == "APIGroup" and group.name == "coordination.k8s.io"
    listing = client.CoordinationV1Api(api_client).get_api_resources()
    assert listing.group_version == "coordination.k8s.io/v1"
    leases = next(r for r in listing.resources if r.name == "leases")
    assert leases.kind == "Lease" and leases.namespaced
    assert {"create", "get", "list", "watch", "update", "patch", "delete"} <= set(leases.verbs)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/livez"])
def test_health_endpoints_answer_ok_in_plain_text(raw: Callable[..., Any], path: str) -> None:
    resp = raw("GET", path, headers={"Accept": "*/*"})
    assert resp.status == 200
    assert resp.data == b"ok"
    assert resp.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("path", [
    "/nonsense",
    "/api/v2",
    "/apis/apps",
    "/apis/apps/v1",
    "/apis/coordination.k8s.io/v2",
    "/api/v1/widgets",
    "/api/v1/namespaces/default/widgets",
    "/api/v1/namespaces/default/widgets/w",
    "/apis/coordination.k8s.io/v1/namespaces/default/pods",
])
def test_unknown_paths_answer_a_404_status(raw: Callable[..., Any], expect_status: Any, path: str) -> None:
    status = expect_status(raw("GET", path), 404, "NotFound")
    assert "could not find the requested resource" in status["message"]


def test_protobuf_request_bodies_are_refused_with_415(raw: Callable[..., Any], expect_status: Any,
                                                      namespace: str) -> None:
    resp = raw("POST", f"/api/v1/namespaces/{namespace}/configmaps", body=b"\x6b\x38\x73\x00",
               headers={"Content-Type": PROTOBUF})
    status = expect_status(resp, 415, "UnsupportedMediaType")
    assert PROTOBUF in status["message"]


def test_a_protobuf_only_accept_header_is_refused_with_406(raw: Callable[..., Any], expect_status: Any,
                                                           namespace: str) -> None:
    resp = raw("GET", f"/api/v1/namespaces/{namespace}/configmaps", headers={"Accept": PROTOBUF})
    expect_status(resp, 406, "NotAcceptable")


def test_protobuf_preferred_with_a_json_fallback_gets_json(raw: Callable[..., Any], namespace: str) -> None:
    # kubectl asks for protobuf first and JSON second; a JSON-only server answers JSON.
    resp = raw("GET", f"/api/v1/namespaces/{namespace}/configmaps",
               headers={"Accept": f"{PROTOBUF}, application/json"})
    assert resp.status == 200
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json()["kind"] == "ConfigMapList"


def test_an_error_is_a_status_with_every_field_clients_read(core: client.CoreV1Api, namespace: str,
                                                            expect_error: Any) -> None:
    status = expect_error(lambda: core.read_namespaced_pod("missing", namespace), 404, "NotFound")
    assert status["message"] == 'pods "missing" not found'
    assert status["details"] == {"name": "missing", "kind": "pods"}


def test_an_error_from_a_named_group_carries_the_group_in_details(
        coordination: client.CoordinationV1Api, namespace: str, expect_error: Any) -> None:
    status = expect_error(lambda: coordination.read_namespaced_lease("missing", namespace),
                          404, "NotFound")
    assert status["message"] == 'leases.coordination.k8s.io "missing" not found'
    assert status["details"] == {"name": "missing", "group": "coordination.k8s.io", "kind": "leases"}


def test_validation_errors_list_their_causes_in_details(core: client.CoreV1Api, namespace: str,
                                                        expect_error: Any) -> None:
    status = expect_error(
        lambda: core.create_namespaced_config_map(namespace, {"metadata": {"name": "Not_Valid"}}),
        422, "Invalid")
    assert status["details"]["name"] == "Not_Valid"
    assert status["details"]["kind"] == "ConfigMap"
    cause = status["details"]["causes"][0]
    assert cause["reason"] == "FieldValueInvalid"
    assert cause["field"] == "metadata.name"
    assert status["message"].startswith('ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value')


def test_responses_carry_no_http_caching_headers(raw: Callable[..., Any]) -> None:
    # kube-apiserver sends no ETag; a client cache keyed on one would serve stale lists.
    resp = raw("GET", "/api/v1/namespaces")
    assert resp.status == 200
    assert "etag" not in resp.headers


async def test_the_asyncio_client_discovers_the_server(kube: RunningCluster) -> None:
    async with aio_client.ApiClient(kube.aio_configuration()) as api:
        info = await aio_client.VersionApi(api).get_code()
        assert info.major == "1"
        listing = await aio_client.CoreV1Api(api).get_api_resources()
        assert "pods/binding" in {r.name for r in listing.resources}
        groups = await aio_client.ApisApi(api).get_api_versions()
        assert "coordination.k8s.io" in {g.name for g in groups.groups}
