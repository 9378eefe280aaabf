"""TaskInfo -> Pod (executor/translate.py): goldens per task shape, then one rule per test.

The fetch script is also run for real with ``sh``, the way kubesim's process runtime runs
it: the sandbox mount path rewritten to a host directory, ``$$`` read back as ``$``.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import gzip
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from executor.translate import (
    ANNOTATION_TASK_INFO,
    FETCH_CONTAINER,
    LaunchContext,
    TranslationError,
    fetch_script,
    label_value,
    pod_name,
    task_info_from_pod,
    task_to_pod,
    translate_task,
)
from mesoshim.pb.mesos.v1 import mesos_pb2

FRAMEWORK_ID = "5e1f0c1e-7d2a-4b8e-9f00-6b7c2a1d9e11-0000"
AGENT_ID = "5e1f0c1e-7d2a-4b8e-9f00-6b7c2a1d9e11-S3"
SANDBOX = "/mnt/mesos/sandbox"
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


def context(**framework: Any) -> LaunchContext:
    info = mesos_pb2.FrameworkInfo(user=framework.pop("user", "nobody"), name="test", **framework)
    return LaunchContext(framework_id=FRAMEWORK_ID, framework_info=info, agent_id=AGENT_ID,
                         node_name="node-3", namespace="mesos", default_image="debian:bookworm-slim",
                         fetcher_image="busybox:1.36")


def scalar(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}}


def ports(*spans: tuple[int, int]) -> dict[str, Any]:
    return {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": b, "end": e} for b, e in spans]}}


def task(task_id: str = "sleeper-1", **fields: Any) -> mesos_pb2.TaskInfo:
    fields.setdefault("command", {"value": "sleep 10"})
    fields.setdefault("resources", [scalar("cpus", 0.5), scalar("mem", 128)])
    return mesos_pb2.TaskInfo(name=fields.pop("name", "sleeper"), task_id={"value": task_id},
                              agent_id={"value": AGENT_ID}, **fields)


def main_container(pod: dict[str, Any]) -> dict[str, Any]:
    (container,) = pod["spec"]["containers"]
    assert container["name"] == "task"
    return container


def env_of(pod: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in main_container(pod)["env"]}


# ---------------------------------------------------------------- goldens


def test_shell_command_task_golden() -> None:
    info = task(command={"value": "echo hello; sleep 10"}, labels={"labels": [{"key": "tier", "value": "prod"}]})
    pod = task_to_pod(info, context(user="nobody", role="web", checkpoint=True))
    name = pod_name(FRAMEWORK_ID, "sleeper-1")
    assert pod == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "mesos",
            "labels": {
                "app.kubernetes.io/managed-by": "mesoshim",
                "mesos.apache.org/framework-id": FRAMEWORK_ID,
                "mesos.apache.org/task-id": "sleeper-1",
                "mesos.apache.org/agent-id": AGENT_ID,
            },
            "annotations": {
                "mesos.apache.org/framework-id": FRAMEWORK_ID,
                "mesos.apache.org/task-id": "sleeper-1",
                "mesos.apache.org/agent-id": AGENT_ID,
                "mesos.apache.org/executor-id": "sleeper-1",
                "mesos.apache.org/task-name": "sleeper",
                "mesos.apache.org/labels": '[{"key":"tier","value":"prod"}]',
                "mesos.apache.org/task-info": base64.b64encode(info.SerializeToString(deterministic=True)).decode(),
                "mesos.apache.org/user": "nobody",
            },
        },
        "spec": {
            "nodeName": "node-3",
            "restartPolicy": "Never",
            "enableServiceLinks": False,
            "automountServiceAccountToken": False,
            "terminationGracePeriodSeconds": 3,
            "volumes": [{"name": "mesos-sandbox", "emptyDir": {}}],
            "containers": [{
                "name": "task",
                "image": "debian:bookworm-slim",
                "command": ["sh", "-c", "echo hello; sleep 10"],
                "workingDir": SANDBOX,
                "env": [
                    {"name": "MESOS_TASK_ID", "value": "sleeper-1"},
                    {"name": "MESOS_FRAMEWORK_ID", "value": FRAMEWORK_ID},
                    {"name": "MESOS_EXECUTOR_ID", "value": "sleeper-1"},
                    {"name": "MESOS_AGENT_ID", "value": AGENT_ID},
                    {"name": "MESOS_SLAVE_ID", "value": AGENT_ID},
                    {"name": "MESOS_SANDBOX", "value": SANDBOX},
                    {"name": "MESOS_DIRECTORY", "value": SANDBOX},
                    {"name": "MESOS_ALLOCATION_ROLE", "value": "web"},
                    {"name": "MESOS_CHECKPOINT", "value": "1"},
                    {"name": "MESOS_CONTAINER_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                    {"name": "HOST", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                ],
                "resources": {"requests": {"cpu": "500m", "memory": "128Mi"},
                              "limits": {"cpu": "500m", "memory": "128Mi"}},
                "volumeMounts": [{"name": "mesos-sandbox", "mountPath": SANDBOX}],
            }],
        },
    }


def test_argv_task_golden() -> None:
    info = task(command={"shell": False, "value": "/usr/bin/python3",
                         "arguments": ["python3", "-m", "http.server", "$PORT0"]})
    container = main_container(task_to_pod(info, context()))
    assert container["command"] == ["/usr/bin/python3"]
    assert container["args"] == ["-m", "http.server", "$$PORT0"]  # argv[0] dropped; no expansion


def test_argv_task_with_only_argv0_has_no_args() -> None:
    container = main_container(task_to_pod(task(command={"shell": False, "value": "/bin/true",
                                                         "arguments": ["true"]}), context()))
    assert container["command"] == ["/bin/true"]
    assert "args" not in container


def test_docker_image_task_with_entrypoint_golden() -> None:
    # Aurora's Docker task without an executor (aurora.md §6.3): shell false, no value.
    info = task(container={"type": "DOCKER", "docker": {"image": "nginx:1.25", "force_pull_image": True}},
                command={"shell": False, "arguments": ["nginx", "-g", "daemon off;"]})
    container = main_container(task_to_pod(info, context()))
    assert {k: v for k, v in container.items() if k not in ("env", "resources", "volumeMounts")} == {
        "name": "task",
        "image": "nginx:1.25",
        "imagePullPolicy": "Always",
        "args": ["nginx", "-g", "daemon off;"],
        "workingDir": SANDBOX,
    }


def test_docker_containerizer_passes_value_and_arguments_to_the_entrypoint() -> None:
    info = task(container={"type": "DOCKER", "docker": {"image": "redis:7"}},
                command={"shell": False, "value": "redis-server", "arguments": ["--port", "6380"]})
    container = main_container(task_to_pod(info, context()))
    assert "command" not in container
    assert container["args"] == ["redis-server", "--port", "6380"]
    assert "imagePullPolicy" not in container


def test_docker_shell_command_overrides_the_entrypoint() -> None:
    info = task(container={"type": "DOCKER", "docker": {"image": "alpine:3"}}, command={"value": "env"})
    assert main_container(task_to_pod(info, context()))["command"] == ["sh", "-c", "env"]


def test_mesos_container_with_docker_image() -> None:
    info = task(container={"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": "busybox:1"},
                                                                "cached": False}}},
                command={"shell": False})
    container = main_container(task_to_pod(info, context()))
    assert container["image"] == "busybox:1"
    assert container["imagePullPolicy"] == "Always"
    assert "command" not in container and "args" not in container


@pytest.mark.parametrize(("fields", "message"), [
    ({"command": {"shell": True}}, "Shell command is not specified"),
    ({"command": {"shell": False, "arguments": ["x"]}}, "Executable path is not specified"),
    ({"command": None}, "at least one"),
    ({"container": {"type": "DOCKER"}}, "docker.image"),
])
def test_untranslatable_tasks_raise(fields: dict[str, Any], message: str) -> None:
    info = task(**{k: v for k, v in fields.items() if v is not None})
    if fields.get("command", "") is None:
        info.ClearField("command")
    with pytest.raises(TranslationError, match=message):
        task_to_pod(info, context())


def test_kubernetes_expansion_is_escaped_everywhere() -> None:
    info = task(command={"value": "echo $(date) $$ ${HOME}",
                         "environment": {"variables": [{"name": "GREETING", "value": "$(MESOS_TASK_ID)"}]}})
    pod = task_to_pod(info, context())
    assert main_container(pod)["command"] == ["sh", "-c", "echo $$(date) $$$$ $${HOME}"]
    assert env_of(pod)["GREETING"] == "$$(MESOS_TASK_ID)"


# ---------------------------------------------------------------- environment


def test_command_environment_wins_and_secrets_are_skipped() -> None:
    info = task(resources=[scalar("cpus", 1), ports((31000, 31002))],
                command={"value": "run", "environment": {"variables": [
                    {"name": "MESOS_SANDBOX", "value": "/elsewhere"},
                    {"name": "PORT0", "value": "8080"},
                    {"name": "TOKEN", "type": "SECRET", "secret": {"type": "REFERENCE",
                                                                    "reference": {"name": "s"}}},
                    {"name": "PLAIN", "value": "1"},
                ]}})
    pod, warnings = translate_task(info, context())
    env = env_of(pod)
    assert env["MESOS_SANDBOX"] == "/elsewhere"
    assert env["MESOS_DIRECTORY"] == SANDBOX
    assert env["PORT0"] == "8080"
    assert (env["PORT1"], env["PORT2"], env["PORT"], env["PORTS"]) == ("31001", "31002", "31000",
                                                                        "31000,31001,31002")
    assert env["PLAIN"] == "1"
    assert "TOKEN" not in env
    assert any("TOKEN" in w and "SECRET" in w for w in warnings)
    names = [e["name"] for e in main_container(pod)["env"]]
    assert len(names) == len(set(names))
    assert names[-3:] == ["MESOS_SANDBOX", "PORT0", "PLAIN"]  # the command's own, in its order


def test_allocation_role_comes_from_the_resources_then_the_framework() -> None:
    resources = [{**scalar("cpus", 1), "allocation_info": {"role": "analytics"}}]
    assert env_of(task_to_pod(task(resources=resources), context(roles=["a", "b"])))[
        "MESOS_ALLOCATION_ROLE"] == "analytics"
    assert env_of(task_to_pod(task(), context(roles=["batch"])))["MESOS_ALLOCATION_ROLE"] == "batch"
    assert env_of(task_to_pod(task(), context()))["MESOS_ALLOCATION_ROLE"] == "*"
    assert env_of(task_to_pod(task(), context()))["MESOS_CHECKPOINT"] == "0"


def test_custom_executor_runs_the_executor_command() -> None:
    info = task(task_id="www-data-prod-hello-0-8e3b",
                command=None,
                executor={"executor_id": {"value": "thermos-www-data-prod-hello-0-8e3b"},
                          "command": {"value": "${MESOS_SANDBOX=.}/thermos_executor.pex --announcer",
                                      "uris": [{"value": "/usr/share/aurora/thermos_executor.pex",
                                                "executable": True}]},
                          "resources": [scalar("cpus", 0.25), scalar("mem", 128)],
                          "shutdown_grace_period": {"nanoseconds": 7_000_000_000}},
                resources=[scalar("cpus", 1), scalar("mem", 512)], data=b"thrift-bytes")
    info.ClearField("command")
    ctx = dataclasses.replace(context(checkpoint=True), agent_endpoint="10.0.0.1:5051")
    pod = task_to_pod(info, ctx)
    container = main_container(pod)
    assert container["command"] == ["sh", "-c", "$${MESOS_SANDBOX=.}/thermos_executor.pex --announcer"]
    assert container["resources"]["requests"] == {"cpu": "1250m", "memory": "640Mi"}
    env = env_of(pod)
    assert env["MESOS_EXECUTOR_ID"] == "thermos-www-data-prod-hello-0-8e3b"
    assert env["MESOS_TASK_ID"] == "www-data-prod-hello-0-8e3b"
    assert env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] == "7secs"
    assert env["MESOS_AGENT_ENDPOINT"] == "10.0.0.1:5051"
    assert env["MESOS_SLAVE_PID"] == "slave(1)@10.0.0.1:5051"
    assert env["MESOS_RECOVERY_TIMEOUT"] == "15mins"
    assert pod["metadata"]["annotations"]["mesos.apache.org/executor-id"] == "thermos-www-data-prod-hello-0-8e3b"
    assert pod["spec"]["terminationGracePeriodSeconds"] == 7
    assert [c["name"] for c in pod["spec"]["initContainers"]] == [FETCH_CONTAINER]


@pytest.mark.parametrize(("command_user", "framework_user", "run_as", "annotation"), [
    (None, "1000", 1000, "1000"),
    (None, "www-data", None, "www-data"),
    ("0", "www-data", 0, "0"),
    ("deploy", "1000", None, "deploy"),
])
def test_user(command_user: str | None, framework_user: str, run_as: int | None, annotation: str) -> None:
    command: dict[str, Any] = {"value": "id"}
    if command_user is not None:
        command["user"] = command_user
    pod = task_to_pod(task(command=command), context(user=framework_user))
    assert pod["spec"].get("securityContext", {}).get("runAsUser") == run_as
    assert pod["metadata"]["annotations"]["mesos.apache.org/user"] == annotation


# ---------------------------------------------------------------- resources and ports


def test_resources_requests_equal_limits() -> None:
    info = task(resources=[scalar("cpus", 1.5), scalar("mem", 256), scalar("disk", 1024), scalar("gpus", 2),
                           scalar("cpus", 0.1)])
    assert main_container(task_to_pod(info, context()))["resources"] == {
        "requests": {"cpu": "1600m", "memory": "256Mi", "ephemeral-storage": "1024Mi", "nvidia.com/gpu": "2"},
        "limits": {"cpu": "1600m", "memory": "256Mi", "nvidia.com/gpu": "2"},
    }


def test_task_limits_raise_or_remove_limits() -> None:
    info = task(resources=[scalar("cpus", 0.5), scalar("mem", 64.5)],
                limits={"cpus": mesos_pb2.Value.Scalar(value=float("inf")),
                        "mem": mesos_pb2.Value.Scalar(value=512)})
    assert main_container(task_to_pod(info, context()))["resources"] == {
        "requests": {"cpu": "500m", "memory": "66048Ki"},
        "limits": {"memory": "512Mi"},
    }


def test_unknown_resources_and_limits_are_warned_about() -> None:
    info = task(resources=[scalar("cpus", 1), scalar("network_bandwidth", 100)],
                limits={"disk": mesos_pb2.Value.Scalar(value=10)})
    _, warnings = translate_task(info, context())
    assert any("network_bandwidth" in w for w in warnings)
    assert any("limits['disk']" in w for w in warnings)


def test_ports_are_host_ports_named_from_discovery() -> None:
    info = task(resources=[scalar("cpus", 1), ports((31000, 31001), (31005, 31005))],
                discovery={"visibility": "CLUSTER", "ports": {"ports": [
                    {"number": 31000, "name": "http", "protocol": "tcp"},
                    {"number": 31001, "name": "Admin_Port!!", "protocol": "tcp"},
                    {"number": 31005, "name": "12345"},  # no letter: not a valid port name
                ]}})
    assert main_container(task_to_pod(info, context()))["ports"] == [
        {"name": "http", "containerPort": 31000, "hostPort": 31000, "protocol": "TCP"},
        {"name": "admin-port", "containerPort": 31001, "hostPort": 31001, "protocol": "TCP"},
        {"containerPort": 31005, "hostPort": 31005, "protocol": "TCP"},
    ]


def test_docker_bridge_port_mappings() -> None:
    info = task(resources=[scalar("cpus", 1), ports((31000, 31000))],
                container={"type": "DOCKER", "docker": {"image": "nginx", "network": "BRIDGE", "port_mappings": [
                    {"host_port": 31000, "container_port": 80, "protocol": "tcp"}]}},
                command={"shell": False})
    assert main_container(task_to_pod(info, context()))["ports"] == [
        {"containerPort": 80, "hostPort": 31000, "protocol": "TCP"}]


# ---------------------------------------------------------------- health checks, kill policy


def test_http_health_check_becomes_readiness_and_liveness_probes() -> None:
    info = task(health_check={"type": "HTTP", "http": {"port": 8443, "path": "/ping", "scheme": "https"},
                              "delay_seconds": 2.5, "interval_seconds": 0.5, "timeout_seconds": 3,
                              "consecutive_failures": 4, "grace_period_seconds": 30})
    container = main_container(task_to_pod(info, context()))
    handler = {"httpGet": {"path": "/ping", "port": 8443, "scheme": "HTTPS"}}
    assert container["readinessProbe"] == {**handler, "initialDelaySeconds": 3, "periodSeconds": 1,
                                           "timeoutSeconds": 3, "successThreshold": 1, "failureThreshold": 1}
    assert container["livenessProbe"] == {**handler, "initialDelaySeconds": 33, "periodSeconds": 1,
                                          "timeoutSeconds": 3, "successThreshold": 1, "failureThreshold": 4}


def test_health_check_defaults_are_mesos_defaults() -> None:
    info = task(health_check={"type": "TCP", "tcp": {"port": 9000}})
    container = main_container(task_to_pod(info, context()))
    assert container["livenessProbe"] == {"tcpSocket": {"port": 9000}, "initialDelaySeconds": 25,
                                          "periodSeconds": 10, "timeoutSeconds": 20, "successThreshold": 1,
                                          "failureThreshold": 3}


@pytest.mark.parametrize(("command", "argv"), [
    ({"value": "curl -f localhost:$PORT0"}, ["sh", "-c", "curl -f localhost:$$PORT0"]),
    ({"shell": False, "value": "/bin/check", "arguments": ["check", "--fast"]}, ["/bin/check", "--fast"]),
    ({"value": "test -f ready", "environment": {"variables": [{"name": "X", "value": "1"}]}},
     ["env", "X=1", "sh", "-c", "test -f ready"]),
])
def test_command_health_check(command: dict[str, Any], argv: list[str]) -> None:
    info = task(health_check={"type": "COMMAND", "command": command})
    container = main_container(task_to_pod(info, context()))
    assert container["readinessProbe"]["exec"] == {"command": argv}
    assert container["livenessProbe"]["exec"] == {"command": argv}


@pytest.mark.parametrize(("fields", "grace", "deadline"), [
    ({}, 3, None),
    ({"kill_policy": {"grace_period": {"nanoseconds": 10_500_000_000}}}, 11, None),
    ({"kill_policy": {"grace_period": {"nanoseconds": 0}}}, 0, None),
    ({"max_completion_time": {"nanoseconds": 90_200_000_000}}, 3, 91),
    ({"max_completion_time": {"nanoseconds": 0}}, 3, 1),
])
def test_kill_policy_and_max_completion_time(fields: dict[str, Any], grace: int, deadline: int | None) -> None:
    spec = task_to_pod(task(**fields), context())["spec"]
    assert spec["terminationGracePeriodSeconds"] == grace
    assert spec.get("activeDeadlineSeconds") == deadline


# ---------------------------------------------------------------- volumes and unsupported bits


def test_volumes() -> None:
    info = task(container={"type": "MESOS", "volumes": [
        {"container_path": "/etc/certs", "host_path": "/etc/ssl/certs", "mode": "RO"},
        {"container_path": "data", "mode": "RW",
         "source": {"type": "HOST_PATH", "host_path": {"path": "/srv/data",
                                                       "mount_propagation": {"mode": "HOST_TO_CONTAINER"}}}},
        {"container_path": "/cache", "mode": "RW",
         "source": {"type": "SANDBOX_PATH", "sandbox_path": {"type": "SELF", "path": "cache"}}},
        {"container_path": "/v", "mode": "RW",
         "source": {"type": "DOCKER_VOLUME", "docker_volume": {"name": "vol"}}},
    ]})
    pod, warnings = translate_task(info, context())
    assert pod["spec"]["volumes"] == [
        {"name": "mesos-sandbox", "emptyDir": {}},
        {"name": "host-path-0", "hostPath": {"path": "/etc/ssl/certs"}},
        {"name": "host-path-1", "hostPath": {"path": "/srv/data"}},
    ]
    assert main_container(pod)["volumeMounts"] == [
        {"name": "mesos-sandbox", "mountPath": SANDBOX},
        {"name": "host-path-0", "mountPath": "/etc/certs", "readOnly": True},
        {"name": "host-path-1", "mountPath": f"{SANDBOX}/data", "mountPropagation": "HostToContainer"},
        {"name": "mesos-sandbox", "mountPath": "/cache", "subPath": "cache"},
    ]
    assert warnings == ["volume '/v': DOCKER_VOLUME volumes are not supported; ignored"]


def test_unsupported_settings_are_listed() -> None:
    info = task(check={"type": "TCP", "tcp": {"port": 1}},
                container={"type": "DOCKER", "docker": {"image": "x", "privileged": True,
                                                        "parameters": [{"key": "ulimit", "value": "x"}]},
                           "network_infos": [{"name": "overlay"}],
                           "rlimit_info": {"rlimits": [{"type": "RLMT_NOFILE", "soft": 1, "hard": 1}]},
                           "linux_info": {"share_pid_namespace": True}},
                command={"shell": False})
    pod, warnings = translate_task(info, context())
    assert main_container(pod)["securityContext"] == {"privileged": True}
    joined = "\n".join(warnings)
    for needle in ("TaskInfo.check", "network_infos", "rlimit_info", "linux_info", "DockerInfo.parameters"):
        assert needle in joined


# ---------------------------------------------------------------- names, labels, annotations


def test_pod_name_is_deterministic_and_readable() -> None:
    name = pod_name(FRAMEWORK_ID, "www-data-prod-hello-0-8e3b6f4e")
    assert name == pod_name(FRAMEWORK_ID, "www-data-prod-hello-0-8e3b6f4e")
    assert name.startswith("www-data-prod-hello-0-8e3b6f4e-")
    assert pod_name(FRAMEWORK_ID, "Task_A") != pod_name(FRAMEWORK_ID, "task-a")
    assert pod_name("other-0000", "Task_A") != pod_name(FRAMEWORK_ID, "Task_A")
    assert re.fullmatch(r"task-[0-9a-f]{10}", pod_name(FRAMEWORK_ID, "___"))


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_pod_name_is_always_a_dns_label(task_id: str) -> None:
    name = pod_name(FRAMEWORK_ID, task_id)
    assert len(name) <= 63
    assert DNS_LABEL.fullmatch(name)


@settings(max_examples=200)
@given(st.tuples(st.text(alphabet=st.characters(blacklist_characters="/"), max_size=40), st.text(max_size=80)),
       st.tuples(st.text(alphabet=st.characters(blacklist_characters="/"), max_size=40), st.text(max_size=80)))
def test_different_ids_give_different_names(first: tuple[str, str], second: tuple[str, str]) -> None:
    if first != second:
        assert pod_name(*first) != pod_name(*second)


@settings(max_examples=300)
@given(st.text(max_size=100))
def test_label_value_is_always_valid(value: str) -> None:
    out = label_value(value)
    assert len(out) <= 63 and LABEL_VALUE.fullmatch(out)
    if len(value) <= 63 and LABEL_VALUE.fullmatch(value):
        assert out == value


def test_long_and_invalid_ids_are_hashed_in_labels_but_kept_in_annotations() -> None:
    long_id = "x" * 64
    pod = task_to_pod(task(long_id), dataclasses.replace(context(), agent_id="agent with spaces"))
    labels, annotations = pod["metadata"]["labels"], pod["metadata"]["annotations"]
    assert re.fullmatch(r"h-[0-9a-f]{40}", labels["mesos.apache.org/task-id"])
    assert labels["mesos.apache.org/task-id"] == label_value(long_id)
    assert re.fullmatch(r"h-[0-9a-f]{40}", labels["mesos.apache.org/agent-id"])
    assert annotations["mesos.apache.org/task-id"] == long_id
    assert annotations["mesos.apache.org/agent-id"] == "agent with spaces"
    assert label_value("-leading") != "-leading"
    assert label_value("") == ""


def test_task_info_round_trips_through_the_annotation() -> None:
    info = task(command={"value": "run", "uris": [{"value": "http://x/y"}]}, data=bytes(range(256)),
                labels={"labels": [{"key": "k"}, {"key": "ünï", "value": "cöde"}]},
                health_check={"type": "TCP", "tcp": {"port": 1}})
    pod = task_to_pod(info, context())
    assert task_info_from_pod(pod) == info
    assert task_info_from_pod(json.loads(json.dumps(pod))) == info  # JSON-ready
    assert json.loads(pod["metadata"]["annotations"]["mesos.apache.org/labels"]) == [
        {"key": "k"}, {"key": "ünï", "value": "cöde"}]
    assert task_info_from_pod({"metadata": {}}) is None
    assert ANNOTATION_TASK_INFO in pod["metadata"]["annotations"]


def test_oversized_task_info_is_refused() -> None:
    with pytest.raises(TranslationError, match="too large"):
        task_to_pod(task(data=b"x" * 300_000), context())


# ---------------------------------------------------------------- fetching URIs


def uri(value: str, **fields: Any) -> mesos_pb2.CommandInfo.URI:
    return mesos_pb2.CommandInfo.URI(value=value, **fields)


def test_uris_make_an_init_container() -> None:
    pod = task_to_pod(task(resources=[scalar("cpus", 1), scalar("mem", 64), scalar("gpus", 1)],
                           command={"value": "./run", "uris": [{"value": "https://example.com/a.tgz"}]}),
                      context())
    (init,) = pod["spec"]["initContainers"]
    assert init["name"] == "fetch-uris"
    assert init["image"] == "busybox:1.36"
    assert init["command"][:2] == ["sh", "-c"]
    assert init["volumeMounts"] == [{"name": "mesos-sandbox", "mountPath": SANDBOX}]
    assert init["workingDir"] == SANDBOX
    assert init["resources"] == {"requests": {"cpu": "1000m", "memory": "64Mi"},
                                 "limits": {"cpu": "1000m", "memory": "64Mi"}}
    assert init["terminationMessagePolicy"] == "FallbackToLogsOnError"


def test_unfetchable_uris_warn_and_fail_the_script() -> None:
    script, warnings = fetch_script([uri("hdfs://nn/x.jar"), uri("relative/x")], SANDBOX)
    assert len(warnings) == 2
    assert "exit 1" in script


def run_in_sandbox(pod: dict[str, Any], sandbox: Path, env: dict[str, str] | None = None
                   ) -> subprocess.CompletedProcess[str]:
    """Run the pod's fetch-uris container as kubesim's process runtime would."""
    (init,) = pod["spec"]["initContainers"]
    argv = [part.replace(SANDBOX, str(sandbox)).replace("$$", "$") for part in init["command"]]
    return subprocess.run(argv, cwd=sandbox, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "plain.txt").write_text("plain\n")
    (src / "it's $weird name.txt").write_text("weird\n")
    (src / "tool.sh").write_text("#!/bin/sh\necho tool\n")
    with tarfile.open(src / "bundle.tar.gz", "w:gz") as tar:
        data = b"from the tarball\n"
        member = tarfile.TarInfo("bundle/inner.txt")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    (src / "notes.txt.gz").write_bytes(gzip.compress(b"unzipped\n"))
    with zipfile.ZipFile(src / "pack.zip", "w") as archive:
        archive.writestr("zipped/z.txt", "from the zip\n")
    (tmp_path / "sandbox").mkdir()
    return tmp_path


@pytest.mark.skipif(shutil.which("sh") is None or shutil.which("tar") is None, reason="needs sh and tar")
def test_fetch_script_runs_with_sh(files: Path) -> None:
    src, sandbox = files / "src", files / "sandbox"
    uris = [
        {"value": str(src / "plain.txt")},
        {"value": "file://" + str(src / "it's $weird name.txt").replace(" ", "%20")},
        {"value": str(src / "tool.sh"), "executable": True, "output_file": "bin/tool"},
        {"value": f"file://{src}/bundle.tar.gz"},
        {"value": str(src / "notes.txt.gz")},
        {"value": str(src / "plain.txt"), "output_file": "copy.tar.gz", "extract": False},
    ]
    if shutil.which("unzip"):
        uris.append({"value": str(src / "pack.zip")})
    pod = task_to_pod(task(command={"value": "true", "uris": uris}), context())
    result = run_in_sandbox(pod, sandbox)
    assert result.returncode == 0, result.stderr
    assert (sandbox / "plain.txt").read_text() == "plain\n"
    assert (sandbox / "it's $weird name.txt").read_text() == "weird\n"
    assert os.access(sandbox / "bin" / "tool", os.X_OK)
    assert subprocess.run([str(sandbox / "bin" / "tool")], capture_output=True, text=True).stdout == "tool\n"
    assert (sandbox / "bundle.tar.gz").exists()
    assert (sandbox / "bundle" / "inner.txt").read_text() == "from the tarball\n"
    assert (sandbox / "notes.txt").read_text() == "unzipped\n"
    assert (sandbox / "copy.tar.gz").read_text() == "plain\n"  # extract: false
    if shutil.which("unzip"):
        assert (sandbox / "zipped" / "z.txt").read_text() == "from the zip\n"


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs sh")
def test_fetch_script_fails_on_a_missing_file(files: Path) -> None:
    pod = task_to_pod(task(command={"value": "true", "uris": [{"value": str(files / "src" / "nope")}]}), context())
    assert run_in_sandbox(pod, files / "sandbox").returncode != 0


@pytest.fixture
def http_root(files: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(files / "src"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _tool_path(tmp: Path, tools: list[str]) -> str:
    """A PATH with only `tools` on it (symlinks), to choose between curl and wget."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"needs {tool}")
        link = bin_dir / tool
        if not link.exists():
            link.symlink_to(found)
    return str(bin_dir)


@pytest.mark.parametrize("downloader", ["curl", "wget"])
def test_fetch_script_downloads_over_http(files: Path, http_root: str, downloader: str) -> None:
    path = _tool_path(files, ["sh", downloader, "tar", "gzip", "mkdir", "chmod", "cp"])
    uris = [{"value": f"{http_root}/bundle.tar.gz?version=2"}, {"value": f"{http_root}/plain.txt",
                                                                "output_file": "conf/plain.conf"}]
    pod = task_to_pod(task(command={"value": "true", "uris": uris}), context())
    sandbox = files / "sandbox"
    result = run_in_sandbox(pod, sandbox, env={"PATH": path})
    assert result.returncode == 0, result.stderr
    assert (sandbox / "bundle" / "inner.txt").read_text() == "from the tarball\n"
    assert (sandbox / "conf" / "plain.conf").read_text() == "plain\n"
    failed = run_in_sandbox(task_to_pod(task(command={"value": "true", "uris": [
        {"value": f"{http_root}/missing"}]}), context()), sandbox, env={"PATH": path})
    assert failed.returncode != 0
