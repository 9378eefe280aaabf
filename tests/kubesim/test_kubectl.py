"""Smoke tests with a second client: the real `kubectl` binary against kubesim.

spec/kubernetes.md A.7 asks for kubectl as an independent check of the wire
format the Python client tolerates. kubectl asks for server-side printing
(`Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...`), so these tests
also pin the columns a real kube-apiserver sends for pods and nodes.

Skipped, with the reason, where `kubectl version --client` does not run.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import RunningCluster, fast_config, running_cluster

pytestmark = pytest.mark.kubectl

DEADLINE = 20.0


def _kubectl_binary() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not installed (not on PATH)")
    try:
        probe = subprocess.run([path, "version", "--client"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"`kubectl version --client` does not run: {exc!r}")
    if probe.returncode != 0:
        pytest.skip(f"`kubectl version --client` exited {probe.returncode}: {probe.stderr.strip()}")
    return path


@pytest.fixture(scope="module")
def kubectl_path() -> str:
    return _kubectl_binary()


@pytest.fixture
def kube() -> Iterator[RunningCluster]:
    with running_cluster(fast_config(nodes=2)) as cluster:
        yield cluster


class Kubectl:
    def __init__(self, path: str, kube: RunningCluster, home: Path) -> None:
        self.path = path
        # HOME keeps kubectl's discovery cache out of the real home directory.
        self.env = {"KUBECONFIG": kube.kubeconfig, "HOME": str(home), "PATH": "/usr/bin:/bin"}

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([self.path, *args, "--request-timeout=15s"], env=self.env,
                                capture_output=True, text=True, timeout=DEADLINE + 10)
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([self.path, *args], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


@pytest.fixture
def kubectl(kubectl_path: str, kube: RunningCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(kubectl_path, kube, tmp_path)


def core(kube: RunningCluster) -> client.CoreV1Api:
    return client.CoreV1Api(kube.api_client())


def pod(name: str, node: str | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": meta, "spec": spec}


def eventually(predicate: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def running(api: client.CoreV1Api, name: str) -> None:
    eventually(lambda: api.read_namespaced_pod(name, "default").status.phase == "Running", f"{name} to run")


def table(output: str) -> tuple[list[str], dict[str, list[str]]]:
    """kubectl's table output: the header's column names and each row's cells by name.
    Columns are separated by at least two spaces or a tab."""
    import re

    lines = [line for line in output.splitlines() if line.strip()]
    split = re.compile(r"\s{2,}|\t")
    header = split.split(lines[0].strip())
    rows = {cells[0]: cells for cells in (split.split(line.strip()) for line in lines[1:])}
    return header, rows


# ------------------------------------------------------------------ get


def test_get_pods_prints_the_columns_kube_apiserver_serves(kube: RunningCluster, kubectl: Kubectl) -> None:
    api = core(kube)
    api.create_namespaced_pod("default", pod("web", node="node-0"))
    api.create_namespaced_pod("default", pod("queued"))
    running(api, "web")

    header, rows = table(kubectl("get", "pods").stdout)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert rows["web"][1:4] == ["1/1", "Running", "0"]
    assert rows["queued"][1:4] == ["0/1", "Pending", "0"]

    header, rows = table(kubectl("get", "pods", "-o", "wide").stdout)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE",
                      "READINESS GATES"]
    assert rows["web"][6] == "node-0"
    assert rows["queued"][5:7] == ["<none>", "<none>"]

    header, rows = table(kubectl("get", "pod", "web").stdout)
    assert header[:3] == ["NAME", "READY", "STATUS"] and list(rows) == ["web"]


def test_get_nodes_prints_the_columns_kube_apiserver_serves(kube: RunningCluster, kubectl: Kubectl) -> None:
    header, rows = table(kubectl("get", "nodes").stdout)
    assert header == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert sorted(rows) == ["node-0", "node-1"]
    assert rows["node-0"][1:3] == ["Ready", "<none>"]
    assert rows["node-0"][4].startswith("v1.")

    core(kube).patch_node("node-1", {"spec": {"unschedulable": True}})
    _, rows = table(kubectl("get", "nodes").stdout)
    assert rows["node-1"][1] == "Ready,SchedulingDisabled"


def test_get_of_a_missing_pod_reports_the_server_status(kubectl: Kubectl) -> None:
    result = kubectl("get", "pod", "missing", check=False)
    assert result.returncode == 1
    assert 'Error from server (NotFound): pods "missing" not found' in result.stderr


def test_get_raw_returns_discovery_json(kubectl: Kubectl) -> None:
    resources = json.loads(kubectl("get", "--raw", "/api/v1").stdout)
    assert (resources["kind"], resources["groupVersion"]) == ("APIResourceList", "v1")
    pods = next(r for r in resources["resources"] if r["name"] == "pods")
    assert pods["namespaced"] is True and "watch" in pods["verbs"]
    assert json.loads(kubectl("get", "--raw", "/version").stdout)["major"] == "1"
    assert kubectl("get", "--raw", "/healthz").stdout == "ok"


def test_get_pod_as_json_round_trips(kube: RunningCluster, kubectl: Kubectl) -> None:
    created = core(kube).create_namespaced_pod("default", pod("plain"))
    shown = json.loads(kubectl("get", "pod", "plain", "-o", "json").stdout)
    assert shown["kind"] == "Pod"
    assert shown["metadata"]["uid"] == created.metadata.uid
    assert shown["metadata"]["resourceVersion"] == created.metadata.resource_version


# ------------------------------------------------------------------ watch


class Lines:
    """Reads a process's stdout on a thread so tests can wait for lines with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout
        threading.Thread(target=lambda: [self.queue.put(line) for line in stdout], daemon=True).start()

    def next(self) -> str:
        try:
            return self.queue.get(timeout=DEADLINE)
        except queue.Empty:
            raise AssertionError("kubectl printed nothing more") from None


def test_get_pods_watch_prints_the_list_then_each_change(kube: RunningCluster, kubectl: Kubectl) -> None:
    api = core(kube)
    api.create_namespaced_pod("default", pod("first"))
    process = kubectl.popen("get", "pods", "-w")
    try:
        lines = Lines(process)
        assert lines.next().split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        assert lines.next().split()[:3] == ["first", "0/1", "Pending"]

        api.create_namespaced_pod("default", pod("second"))
        assert lines.next().split()[:3] == ["second", "0/1", "Pending"]
        api.delete_namespaced_pod("first", "default")
        assert lines.next().split()[0] == "first"
    finally:
        process.terminate()
        try:
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------------ delete and create


def test_delete_with_a_grace_period_marks_the_pod_terminating(kube: RunningCluster, kubectl: Kubectl) -> None:
    api = core(kube)
    # Its container ignores SIGTERM for 60 s, so the pod stays Terminating for the whole grace period.
    api.create_namespaced_pod("default", pod("slow", node="node-0",
                                             annotations={"kubesim.io/sigterm-seconds": "60"}))
    running(api, "slow")

    result = kubectl("delete", "pod", "slow", "--grace-period=30", "--wait=false")
    assert result.stdout.strip() == 'pod "slow" deleted'
    terminating = api.read_namespaced_pod("slow", "default")
    assert terminating.metadata.deletion_grace_period_seconds == 30
    assert terminating.metadata.deletion_timestamp is not None
    _, rows = table(kubectl("get", "pods").stdout)
    assert rows["slow"][2] == "Terminating"


def test_delete_waits_until_the_pod_is_gone(kube: RunningCluster, kubectl: Kubectl) -> None:
    api = core(kube)
    api.create_namespaced_pod("default", pod("quick", node="node-1"))
    running(api, "quick")

    result = kubectl("delete", "pod", "quick", "--grace-period=1")
    assert result.stdout.strip() == 'pod "quick" deleted'
    with pytest.raises(ApiException) as caught:
        api.read_namespaced_pod("quick", "default")
    assert caught.value.status == 404


def test_create_from_a_file(kube: RunningCluster, kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  name: made\n"
        "  labels: {app: made}\n"
        "spec:\n"
        "  containers:\n"
        "  - name: main\n"
        "    image: busybox:1.36\n"
        "    command: [sleep, '3600']\n")

    # kubectl reads /openapi/v3 first and, seeing fieldValidation, leaves validation to the server.
    result = kubectl("create", "-f", str(manifest))
    assert result.stdout.strip() == "pod/made created"
    made = core(kube).read_namespaced_pod("made", "default")
    assert made.metadata.labels == {"app": "made"}
    assert made.spec.scheduler_name == "default-scheduler"
    assert made.spec.containers[0].image_pull_policy == "IfNotPresent"

    again = kubectl("create", "-f", str(manifest), check=False)
    assert again.returncode == 1
    assert 'pods "made" already exists' in again.stderr
