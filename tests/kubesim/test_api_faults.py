"""Throttling, injected faults, authentication and time control (kubernetes.md A.6 items 13-14).

kubesim answers injected failures with the same `Status` shapes kube-apiserver uses
(429 `TooManyRequests` with a `Retry-After` header, 500 `InternalError`, 503
`ServiceUnavailable`, 409 `Conflict`), can delay answers, can demand a bearer token,
exposes its test knobs over HTTP under /kubesim/, and reads all time from an
injectable clock, so timestamps and deadlines are exact under a `FakeClock`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.aio import client as aio_client

from kubesim.clock import FakeClock
from kubesim.faults import Rule
from kubesim.testing import RunningCluster, fast_config, running_cluster

Expect = Callable[..., dict[str, Any]]


@pytest.fixture(autouse=True)
def no_faults_left(kube: RunningCluster) -> Iterator[None]:
    yield
    kube.call(kube.cluster.faults.clear)


def inject(kube: RunningCluster, code: int, **where: Any) -> Rule:
    rule: Rule = kube.call(kube.cluster.faults.inject_error, code, **where)
    return rule


def make_configmap(core: client.CoreV1Api, namespace: str, name: str) -> Any:
    return core.create_namespaced_config_map(namespace, {"metadata": {"name": name}, "data": {"k": "v"}})


# ---------------------------------------------------------------- 13. injected errors


def test_an_injected_409_answers_one_write_with_a_conflict(core: client.CoreV1Api, kube: RunningCluster,
                                                            namespace: str, expect_error: Expect) -> None:
    cm = make_configmap(core, namespace, "contended")
    inject(kube, 409, method="PUT", path=r"/configmaps/contended$", times=1)
    status = expect_error(lambda: core.replace_namespaced_config_map("contended", namespace, cm),
                          409, "Conflict")
    assert "the object has been modified" in status["message"]
    assert core.replace_namespaced_config_map("contended", namespace, cm).data == {"k": "v"}


def test_an_injected_429_carries_a_retry_after_header(kube: RunningCluster, namespace: str) -> None:
    inject(kube, 429, path=f"/namespaces/{namespace}/configmaps$", retry_after=7)
    configuration = client.Configuration()
    configuration.host = kube.url
    configuration.retries = False  # else urllib3 itself sleeps out the Retry-After and retries
    with client.ApiClient(configuration) as api, pytest.raises(client.ApiException) as info:
        client.CoreV1Api(api).list_namespaced_config_map(namespace)
    assert info.value.status == 429
    assert info.value.headers["Retry-After"] == "7"
    status = json.loads(info.value.body)
    assert (status["kind"], status["status"], status["reason"]) == ("Status", "Failure", "TooManyRequests")
    assert status["details"]["retryAfterSeconds"] == 7


def test_the_stock_client_retries_a_429_after_its_retry_after(core: client.CoreV1Api, kube: RunningCluster,
                                                             namespace: str) -> None:
    rule = inject(kube, 429, method="GET", path=f"/namespaces/{namespace}/configmaps$", times=1,
                  retry_after=0)
    assert core.list_namespaced_config_map(namespace).kind == "ConfigMapList"
    assert kube.call(lambda: rule.fired) == 1


def test_client_go_style_retries_follow_retry_after(kube: RunningCluster, namespace: str) -> None:
    configuration = client.Configuration()
    configuration.host = kube.url
    configuration.client_go_retries = True
    rule = inject(kube, 429, method="GET", path=f"/namespaces/{namespace}/configmaps$", times=2,
                  retry_after=0)
    with client.ApiClient(configuration) as api:
        listed = client.CoreV1Api(api).list_namespaced_config_map(namespace)
    assert listed.kind == "ConfigMapList"
    assert kube.call(lambda: rule.fired) == 2


@pytest.mark.parametrize(("code", "reason"), [(500, "InternalError"), (503, "ServiceUnavailable")])
def test_injected_server_errors_are_status_objects(core: client.CoreV1Api, kube: RunningCluster,
                                                   namespace: str, expect_error: Expect, code: int,
                                                   reason: str) -> None:
    inject(kube, code, path=f"/namespaces/{namespace}/configmaps")
    expect_error(lambda: core.list_namespaced_config_map(namespace), code, reason)
    assert core.list_namespaced_config_map(namespace).items == []


def test_a_fault_matches_only_its_method_and_path(core: client.CoreV1Api, kube: RunningCluster,
                                                  namespace: str, expect_error: Expect) -> None:
    make_configmap(core, namespace, "target")
    make_configmap(core, namespace, "bystander")
    inject(kube, 500, method="DELETE", path=r"/configmaps/target$", times=None)
    assert core.read_namespaced_config_map("target", namespace).metadata.name == "target"
    core.delete_namespaced_config_map("bystander", namespace)
    for _ in range(3):
        expect_error(lambda: core.delete_namespaced_config_map("target", namespace), 500, "InternalError")
    kube.call(kube.cluster.faults.clear)
    core.delete_namespaced_config_map("target", namespace)


def test_a_slow_response_outlasts_a_short_client_timeout(core: client.CoreV1Api, kube: RunningCluster,
                                                         namespace: str) -> None:
    kube.call(kube.cluster.faults.slow, 0.5, path=f"/namespaces/{namespace}/configmaps$")
    with pytest.raises((urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.MaxRetryError)):
        core.list_namespaced_config_map(namespace, _request_timeout=0.1)
    # With patience the same request is answered.
    assert core.list_namespaced_config_map(namespace, _request_timeout=10).kind == "ConfigMapList"


# ---------------------------------------------------------------- bearer tokens


@pytest.fixture(scope="module")
def guarded() -> Iterator[RunningCluster]:
    with running_cluster(fast_config(nodes=0, bearer_token="s3cret")) as running:
        yield running


def test_a_configured_bearer_token_is_accepted(guarded: RunningCluster) -> None:
    with guarded.api_client() as api:
        names = {ns.metadata.name for ns in client.CoreV1Api(api).list_namespace().items}
    assert "default" in names


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_missing_or_wrong_bearer_token_is_401(guarded: RunningCluster, token: str | None) -> None:
    configuration = client.Configuration()
    configuration.host = guarded.url
    if token:
        configuration.api_key = {"authorization": f"Bearer {token}"}
    with client.ApiClient(configuration) as api, pytest.raises(client.ApiException) as info:
        client.CoreV1Api(api).list_namespace()
    assert info.value.status == 401
    status = json.loads(info.value.body)
    assert (status["kind"], status["reason"], status["code"]) == ("Status", "Unauthorized", 401)


def test_the_kubeconfig_carries_the_bearer_token(guarded: RunningCluster) -> None:
    configuration = client.Configuration()
    config.load_kube_config(config_file=guarded.kubeconfig, client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        assert client.VersionApi(api).get_code().major == "1"


async def test_the_asyncio_client_authenticates_with_the_token(guarded: RunningCluster) -> None:
    async with aio_client.ApiClient(guarded.aio_configuration()) as api:
        listed = await aio_client.CoreV1Api(api).list_namespace()
    assert "kube-node-lease" in {ns.metadata.name for ns in listed.items}


# ---------------------------------------------------------------- /kubesim/ admin endpoints


def admin(raw: Callable[..., Any], action: str, body: Any = None) -> Any:
    return raw("POST", f"/kubesim/{action}", body={} if body is None else body)


def test_faults_can_be_injected_and_cleared_over_http(raw: Callable[..., Any], core: client.CoreV1Api,
                                                      namespace: str, expect_status: Any) -> None:
    make_configmap(core, namespace, "remote")
    path = f"/api/v1/namespaces/{namespace}/configmaps/remote"
    assert admin(raw, "faults", {"code": 503, "path": "/configmaps/remote$", "times": 1}).status == 200
    expect_status(raw("GET", path), 503, "ServiceUnavailable")
    assert raw("GET", path).status == 200
    admin(raw, "faults", {"code": 429, "path": "/configmaps/remote$", "times": None, "retryAfter": 2})
    throttled = raw("GET", path)
    expect_status(throttled, 429, "TooManyRequests")
    assert throttled.headers["retry-after"] == "2"
    assert admin(raw, "faults", {"clear": True}).status == 200
    assert raw("GET", path).status == 200


def test_slow_answers_can_be_injected_over_http(raw: Callable[..., Any], core: client.CoreV1Api,
                                                namespace: str) -> None:
    make_configmap(core, namespace, "sluggish")
    path = f"/api/v1/namespaces/{namespace}/configmaps/sluggish"
    admin(raw, "faults", {"delay": 0.5, "path": "/configmaps/sluggish$", "times": 1})
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        raw("GET", path, timeout=0.1)
    assert raw("GET", path).status == 200


def test_compaction_over_http_expires_older_resource_versions(raw: Callable[..., Any], core: client.CoreV1Api,
                                                              namespace: str, expect_error: Expect) -> None:
    old = make_configmap(core, namespace, "compacted").metadata.resource_version
    core.patch_namespaced_config_map("compacted", namespace, {"data": {"k": "v2"}})
    resp = admin(raw, "compact")
    assert resp.status == 200
    assert int(resp.json()["resourceVersion"]) > int(old)
    status = expect_error(lambda: core.list_namespaced_config_map(
        namespace, resource_version=old, resource_version_match="Exact"), 410, "Expired")
    assert status["message"].startswith(f"too old resource version: {old}")


def test_watch_knobs_answer_over_http(raw: Callable[..., Any]) -> None:
    assert admin(raw, "bookmarks").json() == {}
    dropped = admin(raw, "drop-watches", {"resource": "pods"}).json()
    assert isinstance(dropped["dropped"], int)


def test_unknown_admin_actions_and_bad_arguments_are_status_errors(raw: Callable[..., Any],
                                                                   expect_status: Any) -> None:
    expect_status(admin(raw, "self-destruct"), 404, "NotFound")
    expect_status(raw("POST", "/kubesim/faults", body=b"[1, 2]"), 400, "BadRequest")
    expect_status(raw("POST", "/kubesim/faults", body=b"{not json"), 400, "BadRequest")
    expect_status(admin(raw, "faults", {"code": "teapot"}), 400, "BadRequest")
    expect_status(admin(raw, "faults", {}), 400, "BadRequest")


# ---------------------------------------------------------------- 14. the injectable clock

START = 1_800_000_000.0  # 2027-01-15T08:00:00Z


@pytest.fixture(scope="module")
def timed() -> Iterator[tuple[RunningCluster, FakeClock]]:
    clock = FakeClock(start=START)
    with running_cluster(fast_config(nodes=1, event_ttl_seconds=600), clock=clock) as running:
        yield running, clock


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_creation_timestamps_come_from_the_injected_clock(timed: tuple[RunningCluster, FakeClock]) -> None:
    kube, clock = timed
    with kube.api_client() as api:
        core = client.CoreV1Api(api)
        now = kube.call(clock.now)
        first = core.create_namespaced_config_map("default", {"metadata": {"name": "early"}})
        assert first.metadata.creation_timestamp == at(int(now))
        kube.call(clock.advance, 90)
        second = core.create_namespaced_config_map("default", {"metadata": {"name": "late"}})
        assert second.metadata.creation_timestamp - first.metadata.creation_timestamp == timedelta(seconds=90)


def test_a_graceful_deletion_waits_for_the_injected_clock(timed: tuple[RunningCluster, FakeClock],
                                                          wait_for: Callable[..., Any]) -> None:
    kube, clock = timed
    with kube.api_client() as api:
        core = client.CoreV1Api(api)
        node = core.list_node().items[0].metadata.name
        core.create_namespaced_pod("default", {
            "metadata": {"name": "slow-stop", "annotations": {"kubesim.io/sigterm-seconds": "20"}},
            "spec": {"nodeName": node, "containers": [{"name": "main", "image": "busybox:1.36"}]}})
        wait_for(lambda: core.read_namespaced_pod("slow-stop", "default").status.phase == "Running",
                 message="the kubelet to start the pod")
        now = kube.call(clock.now)
        deleted = core.delete_namespaced_pod("slow-stop", "default", grace_period_seconds=30)
        assert deleted.metadata.deletion_timestamp == at(int(now + 30))
        assert deleted.metadata.deletion_grace_period_seconds == 30
        # While the clock stands still the container has not reacted to SIGTERM yet.
        assert core.read_namespaced_pod("slow-stop", "default").metadata.deletion_timestamp is not None
        kube.call(clock.advance, 21)

        def gone() -> bool:
            return not core.list_namespaced_pod("default", field_selector="metadata.name=slow-stop").items

        wait_for(gone, message="the kubelet to delete the pod once its container exited")


def test_event_ttl_runs_on_the_injected_clock(timed: tuple[RunningCluster, FakeClock],
                                              wait_for: Callable[..., Any]) -> None:
    kube, clock = timed
    with kube.api_client() as api:
        core = client.CoreV1Api(api)
        core.create_namespaced_event("default", {
            "metadata": {"name": "ttl-event"}, "involvedObject": {"kind": "Pod", "name": "p"},
            "reason": "Tested", "message": "m", "type": "Normal"})
        kube.call(clock.advance, 599)
        assert core.read_namespaced_event("ttl-event", "default").reason == "Tested"
        kube.call(clock.advance, 2)
        wait_for(lambda: not core.list_namespaced_event("default", field_selector="metadata.name=ttl-event").items,
                 message="the event to expire")
