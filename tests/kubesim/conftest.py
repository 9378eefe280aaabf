"""Shared fixtures for kubesim's API tests: one cluster per session, reached through the
official `kubernetes` client exactly as a program would reach a real kube-apiserver.

Tests stay independent by working in a namespace of their own (`namespace`) or by
cleaning up what they create. Helpers that many tests need are fixtures returning
callables (`raw`, `expect_error`), so no test imports from this file.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import urllib3
from kubernetes import client

from kubesim.testing import RunningCluster, fast_config, running_cluster


@pytest.fixture(scope="session")
def kube() -> Iterator[RunningCluster]:
    with running_cluster(fast_config(nodes=2)) as running:
        yield running


@pytest.fixture(scope="session")
def api_client(kube: RunningCluster) -> Iterator[client.ApiClient]:
    api = kube.api_client()
    yield api
    api.close()


@pytest.fixture(scope="session")
def core(api_client: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="session")
def coordination(api_client: client.ApiClient) -> client.CoordinationV1Api:
    return client.CoordinationV1Api(api_client)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def namespace(core: client.CoreV1Api) -> Iterator[str]:
    """A fresh namespace for one test, deleted (with everything in it) afterwards."""
    name = unique("t")
    core.create_namespace({"metadata": {"name": name}})
    yield name
    try:
        core.delete_namespace(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    data: bytes

    def json(self) -> Any:
        return json.loads(self.data)


RawRequest = Callable[..., RawResponse]


@pytest.fixture(scope="session")
def raw(kube: RunningCluster, api_client: client.ApiClient) -> RawRequest:
    """Send one HTTP request as bytes through the client's own urllib3 pool.

    `raw(method, path, body=..., headers=..., query=...)`: a dict/list body is sent as
    JSON, bytes/str as they are. For requests the typed API cannot express.
    """
    pool: urllib3.PoolManager = api_client.rest_client.pool_manager
    token = kube.config.bearer_token

    def request(method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None,
                query: dict[str, str] | None = None, timeout: float = 10.0) -> RawResponse:
        all_headers = {"Accept": "application/json"}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        data: bytes | None
        if body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        url = kube.url + path
        if query:
            url += "?" + urlencode(query)
        resp = pool.request(method, url, body=data, headers=all_headers, timeout=timeout,
                            retries=False)
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.data)

    return request


def check_status_shape(status: Any, code: int, reason: str) -> dict[str, Any]:
    """Assert `status` is a failure `Status` as kube-apiserver writes it, and return it."""
    assert isinstance(status, dict), status
    assert status["kind"] == "Status"
    assert status["apiVersion"] == "v1"
    assert status["metadata"] == {}
    assert status["status"] == "Failure"
    assert status["code"] == code, status
    assert status["reason"] == reason, status
    assert isinstance(status["message"], str) and status["message"]
    return status


@pytest.fixture(scope="session")
def expect_error() -> Callable[..., dict[str, Any]]:
    """`expect_error(fn, code, reason)`: `fn()` must raise `ApiException(code)` whose body is a
    `Status` with that reason; returns the decoded Status."""

    def run(fn: Callable[[], Any], code: int, reason: str) -> dict[str, Any]:
        with pytest.raises(client.ApiException) as info:
            fn()
        assert info.value.status == code, info.value.body
        assert (info.value.headers or {}).get("Content-Type", "").startswith("application/json")
        return check_status_shape(json.loads(info.value.body), code, reason)

    return run


@pytest.fixture(scope="session")
def expect_status() -> Callable[[RawResponse, int, str], dict[str, Any]]:
    """`expect_status(response, code, reason)` for `raw` responses."""

    def run(resp: RawResponse, code: int, reason: str) -> dict[str, Any]:
        assert resp.status == code, resp.data
        assert resp.headers.get("content-type", "").startswith("application/json")
        return check_status_shape(resp.json(), code, reason)

    return run


def poll(condition: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.02,
         message: str = "condition") -> Any:
    """Return the first truthy `condition()`, or fail once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {message}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def wait_for() -> Callable[..., Any]:
    return poll


@pytest.fixture(scope="session")
def new_name() -> Callable[[str], str]:
    return unique
