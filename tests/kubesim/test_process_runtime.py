"""ProcessRuntime: pods whose containers really run as local processes.

The cluster tests drive a whole kubesim cluster (runtime="process") through the
official sync kubernetes client, as the shim would, and read what the processes
left in the pods' sandbox directories.
"""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, watch

from kubesim.kubelet import StageDelays
from kubesim.process_runtime import PathRewriter, expand
from kubesim.testing import RunningCluster, fast_config, running_cluster

pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")

NAMESPACE = "default"
NODE = "node-0"
DEADLINE = 15.0
_names = itertools.count()


# ---------------------------------------------------------------- pure helpers

@pytest.mark.parametrize(("text", "expected"), [
    ("$(GREETING)", "hello"),
    ("say $(GREETING), $(GREETING)!", "say hello, hello!"),
    ("$$(GREETING)", "$(GREETING)"),
    ("$$$(GREETING)", "$hello"),
    ("$(UNKNOWN)", "$(UNKNOWN)"),
    ("$(GREETING", "$(GREETING"),
    ("$HOME and $", "$HOME and $"),
])
def test_expand_follows_kubernetes_variable_references(text: str, expected: str) -> None:
    assert expand(text, {"GREETING": "hello"}) == expected


def test_path_rewriter_replaces_mount_paths_only_as_path_prefixes() -> None:
    rewrite = PathRewriter({"/data": "/sb/volumes/data", "/data/cache": "/sb/volumes/cache"})

    assert rewrite("echo hi > /data/x; cat /data/x") == "echo hi > /sb/volumes/data/x; cat /sb/volumes/data/x"
    assert rewrite("/data") == "/sb/volumes/data"
    assert rewrite("/data/cache/item") == "/sb/volumes/cache/item"
    assert rewrite("/database /srv/data") == "/database /srv/data"


# ---------------------------------------------------------------- the cluster

@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCluster]:
    root = tmp_path_factory.mktemp("sandboxes")
    delays = StageDelays(create=0.0, start=0.0, pull_backoff=0.2, crash_backoff=0.2, crash_backoff_cap=0.4)
    with running_cluster(fast_config(runtime="process", nodes=1, sandbox_root=str(root),
                                     delays=delays)) as kube:
        yield kube


@pytest.fixture
def api(kube: RunningCluster) -> client.CoreV1Api:
    return client.CoreV1Api(kube.api_client())


def container(name: str, script: str | None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "image": "busybox:1.36", **extra}
    if script is not None:
        spec["command"] = ["sh", "-c", script]
    return spec


def create_pod(api: client.CoreV1Api, containers: list[dict[str, Any]], *, restart_policy: str = "Never",
               **spec: Any) -> client.V1Pod:
    name = f"proc-{next(_names)}"
    body = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "demo"}},
            "spec": {"nodeName": NODE, "restartPolicy": restart_policy, "containers": containers, **spec}}
    return api.create_namespaced_pod(NAMESPACE, body)


def wait_for(api: client.CoreV1Api, name: str, check: Callable[[client.V1Pod], bool],
             what: str) -> client.V1Pod:
    deadline = time.monotonic() + DEADLINE
    pod = api.read_namespaced_pod(name, NAMESPACE)
    while not check(pod):
        if time.monotonic() > deadline:
            raise AssertionError(f"pod {name} never {what}; last status: {pod.status}")
        time.sleep(0.05)
        pod = api.read_namespaced_pod(name, NAMESPACE)
    return pod


def phase_is(*phases: str) -> Callable[[client.V1Pod], bool]:
    return lambda pod: pod.status.phase in phases


def log_of(kube: RunningCluster, pod: client.V1Pod, container_name: str) -> str:
    body = {"metadata": {"namespace": pod.metadata.namespace, "name": pod.metadata.name,
                         "uid": pod.metadata.uid}}
    path = kube.call(kube.cluster.runtime.log_path, body, container_name)
    assert path is not None
    return Path(path).read_text() if Path(path).exists() else ""


def wait_for_log(kube: RunningCluster, pod: client.V1Pod, container_name: str, text: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while text not in log_of(kube, pod, container_name):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared in the log of {container_name}")
        time.sleep(0.05)


def delete_and_watch(api: client.CoreV1Api, pod: client.V1Pod) -> client.V1Pod:
    """Delete gracefully and return the pod as the DELETED watch event carries it."""
    rv = api.read_namespaced_pod(pod.metadata.name, NAMESPACE).metadata.resource_version
    api.delete_namespaced_pod(pod.metadata.name, NAMESPACE)
    stream = watch.Watch()
    for event in stream.stream(api.list_namespaced_pod, NAMESPACE, resource_version=rv,
                               field_selector=f"metadata.name={pod.metadata.name}",
                               timeout_seconds=int(DEADLINE)):
        if event["type"] == "DELETED":
            stream.stop()
            return event["object"]
    raise AssertionError(f"pod {pod.metadata.name} was not deleted")


def terminated(pod: client.V1Pod, index: int = 0) -> client.V1ContainerStateTerminated:
    state = pod.status.container_statuses[index].state.terminated
    assert state is not None, pod.status.container_statuses[index]
    return state


# ---------------------------------------------------------------- exits

def test_failing_command_fails_the_pod_with_its_exit_code_and_logs_to_the_sandbox(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    pod = create_pod(api, [container("main", "echo hi; exit 3")])

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    assert pod.status.phase == "Failed"
    assert (terminated(pod).exit_code, terminated(pod).reason) == (3, "Error")
    assert "hi" in log_of(kube, pod, "main")


def test_command_exiting_zero_succeeds(kube: RunningCluster, api: client.CoreV1Api) -> None:
    pod = create_pod(api, [container("main", "echo done")])

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    assert pod.status.phase == "Succeeded"
    assert (terminated(pod).exit_code, terminated(pod).reason) == (0, "Completed")


def test_fallback_to_logs_on_error_makes_the_log_tail_the_termination_message(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    pod = create_pod(api, [container("main", "echo first; echo boom >&2; exit 2",
                                     terminationMessagePolicy="FallbackToLogsOnError")])

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    assert terminated(pod).message == "first\nboom\n"


def test_command_that_cannot_be_executed_ends_with_start_error(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    spec = container("main", None, command=["kubesim-no-such-binary", "--flag"])
    pod = create_pod(api, [spec])

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    assert pod.status.phase == "Failed"
    assert (terminated(pod).exit_code, terminated(pod).reason) == (128, "StartError")
    assert "executable file not found in $PATH" in terminated(pod).message


def test_container_without_command_waits_in_create_container_error(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    pod = create_pod(api, [container("main", None, args=["--serve"])])

    def creating_failed(p: client.V1Pod) -> bool:
        statuses = p.status.container_statuses or []
        return bool(statuses) and statuses[0].state.waiting is not None and \
            statuses[0].state.waiting.reason == "CreateContainerError"
    pod = wait_for(api, pod.metadata.name, creating_failed, "reported CreateContainerError")

    assert "needs a command" in pod.status.container_statuses[0].state.waiting.message
    assert pod.status.phase == "Pending"


def test_on_failure_restarts_a_failing_command_until_it_succeeds(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    # Fails on its first run, succeeds on the second: the marker lives in the sandbox dir (the cwd).
    pod = create_pod(api, [container("main", "if [ -e ran-once ]; then exit 0; fi; touch ran-once; exit 1")],
                     restart_policy="OnFailure")

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    status = pod.status.container_statuses[0]
    assert pod.status.phase == "Succeeded"
    assert status.restart_count == 1
    assert status.last_state.terminated.exit_code == 1
    assert terminated(pod).exit_code == 0


# ---------------------------------------------------------------- environment

def test_env_values_field_refs_and_variable_references_reach_the_process(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    env = [
        {"name": "GREETING", "value": "hello"},
        {"name": "COMBINED", "value": "$(GREETING)-world"},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "MEM_MI", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
    ]
    args = ["greeting=$(GREETING)", "escaped=$$(GREETING)", "unknown=$(NOPE)", "combined=$(COMBINED)",
            "pod=$(POD_NAME)", "app=$(APP)", "node=$(NODE)", "mem=$(MEM_MI)"]
    main = container("main", None, command=["sh", "-c", 'printf "%s\\n" "$@"; echo "shell=$GREETING"', "--"],
                     args=args, env=env, resources={"limits": {"memory": "64Mi", "cpu": "1"}})
    pod = create_pod(api, [main])

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    assert pod.status.phase == "Succeeded"
    assert log_of(kube, pod, "main").splitlines() == [
        "greeting=hello", "escaped=$(GREETING)", "unknown=$(NOPE)", "combined=hello-world",
        f"pod={pod.metadata.name}", "app=demo", f"node={NODE}", "mem=64", "shell=hello"]


def test_config_map_key_refs_are_read_from_the_cluster(kube: RunningCluster, api: client.CoreV1Api) -> None:
    api.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": "proc-settings"},
                                                 "data": {"color": "blue"}})
    env = [{"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "proc-settings", "key": "color"}}}]
    pod = create_pod(api, [container("main", 'echo "color=$COLOR"', env=env)])

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    assert "color=blue" in log_of(kube, pod, "main")


def test_missing_config_map_is_a_create_container_config_error(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    env = [{"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "proc-absent", "key": "color"}}}]
    pod = create_pod(api, [container("main", "true", env=env)])

    def config_error(p: client.V1Pod) -> bool:
        statuses = p.status.container_statuses or []
        return bool(statuses) and statuses[0].state.waiting is not None and \
            statuses[0].state.waiting.reason == "CreateContainerConfigError"
    pod = wait_for(api, pod.metadata.name, config_error, "reported CreateContainerConfigError")

    assert pod.status.container_statuses[0].state.waiting.message == 'configmap "proc-absent" not found'


# ---------------------------------------------------------------- volumes and init containers

def test_empty_dir_mount_path_is_shared_between_init_and_main_containers(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    mounts = [{"name": "scratch", "mountPath": "/shared"}]
    init = container("writer", "echo from-init > /shared/message", volumeMounts=mounts)
    main = container("reader", "cat message", volumeMounts=mounts, workingDir="/shared")
    pod = create_pod(api, [main], initContainers=[init], volumes=[{"name": "scratch", "emptyDir": {}}])

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    assert pod.status.phase == "Succeeded"
    assert "from-init" in log_of(kube, pod, "reader")


def test_config_map_volume_keys_appear_as_files_under_the_mount_path(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    api.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": "proc-files"},
                                                 "data": {"app.conf": "level=debug\n"}})
    main = container("main", "cat /etc/app/app.conf", volumeMounts=[{"name": "conf", "mountPath": "/etc/app"}])
    pod = create_pod(api, [main], volumes=[{"name": "conf", "configMap": {"name": "proc-files"}}])

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    assert pod.status.phase == "Succeeded"
    assert log_of(kube, pod, "main") == "level=debug\n"


def test_init_containers_run_in_order_before_the_main_container(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    inits = [container(f"init-{i}", f"echo init-{i} >> $KUBESIM_SANDBOX/order") for i in (1, 2)]
    main = container("main", "echo main >> $KUBESIM_SANDBOX/order; cat $KUBESIM_SANDBOX/order")
    pod = create_pod(api, [main], initContainers=inits)

    pod = wait_for(api, pod.metadata.name, phase_is("Succeeded", "Failed"), "finished")

    assert pod.status.phase == "Succeeded"
    assert log_of(kube, pod, "main").splitlines() == ["init-1", "init-2", "main"]
    assert [s.state.terminated.reason for s in pod.status.init_container_statuses] == ["Completed", "Completed"]


# ---------------------------------------------------------------- deletion

def test_graceful_delete_delivers_sigterm_to_the_process(kube: RunningCluster, api: client.CoreV1Api) -> None:
    script = "trap 'echo caught TERM; exit 143' TERM; echo ready; while :; do sleep 0.05; done"
    pod = create_pod(api, [container("main", script)], terminationGracePeriodSeconds=30)
    wait_for_log(kube, pod, "main", "ready")

    final = delete_and_watch(api, pod)  # well inside the 30 s grace period

    assert (terminated(final).exit_code, terminated(final).reason) == (143, "Error")
    assert "caught TERM" in log_of(kube, pod, "main")


def test_process_ignoring_sigterm_is_killed_when_the_grace_period_ends(
        kube: RunningCluster, api: client.CoreV1Api) -> None:
    script = "trap '' TERM; echo ready; while :; do sleep 0.05; done"
    pod = create_pod(api, [container("main", script)], terminationGracePeriodSeconds=1)
    wait_for_log(kube, pod, "main", "ready")

    final = delete_and_watch(api, pod)

    assert (terminated(final).exit_code, terminated(final).reason) == (137, "Error")
