"""A Mesos ``TaskInfo`` becomes a Kubernetes Pod manifest (mesos-api.md §8.5, §8.6).

:func:`task_to_pod` is the simple entry; :func:`translate_task` also returns the list of
warnings: the parts of the TaskInfo that have no clean Kubernetes equivalent and were left
out. Both are pure: protobuf and a :class:`LaunchContext` in, a JSON-ready dict out. A task
that cannot run at all raises :class:`TranslationError` (the agent would have failed it:
the caller reports ``TASK_FAILED`` with ``REASON_CONTAINER_LAUNCH_FAILED``).

What the pod looks like
-----------------------
* **Name**: :func:`pod_name`, deterministic from (framework id, task id), so a retried
  launch creates the same object (a 409 means "already launched").
* **Labels** (selectable, values made valid by :func:`label_value`): managed-by, framework,
  task and agent id. **Annotations** carry the full values, the task name, the executor id,
  the task's labels as JSON, the user, and the whole ``TaskInfo`` (base64 of its serialized
  form: :func:`task_info_from_pod` rebuilds it, so a restarted shim can recover its tasks
  from a pod list).
* **spec**: ``nodeName`` is the agent the framework chose (no scheduler involved),
  ``restartPolicy: Never`` (a Mesos task runs once), no service links, no service-account
  token, ``terminationGracePeriodSeconds`` from ``kill_policy`` (else 3 s, the command
  executor's default; 5 s, the agent's ``--executor_shutdown_grace_period``, for custom
  executors without a ``shutdown_grace_period``), ``activeDeadlineSeconds`` from
  ``max_completion_time``.
* **The container ``task``**:

  - image: ``docker.image``, else ``mesos.image`` (docker name, or the appc name used as
    an image reference), else ``LaunchContext.default_image``: a task without an image ran
    on the agent's own filesystem, so the default image stands in for "the host".
    ``force_pull_image`` (or ``Image.cached: false``) gives ``imagePullPolicy: Always``.
  - process (§8.6): ``shell: true`` (the default) runs ``sh -c value``. ``shell: false``
    runs ``value`` with ``argv = arguments`` (``arguments[0]`` is argv[0], so the pod gets
    ``command: [value]``, ``args: arguments[1:]``); with no value and an image, the image
    entrypoint runs with ``args: arguments``. For ``ContainerInfo.type: DOCKER`` Mesos's
    Docker containerizer keeps the image entrypoint whenever ``shell`` is false and passes
    ``[value] + arguments`` as its arguments; so do we.
  - environment: ours first (MESOS_* as §8.5, HOST, PORT0..n/PORT/PORTS), then
    ``CommandInfo.environment`` VALUE variables, which win on a conflict (Mesos gives the
    command's environment the highest priority). SECRET variables are skipped (warning).
  - user: ``CommandInfo.user`` or ``FrameworkInfo.user``. Kubernetes runs containers by
    UID, and a name cannot be resolved without knowing the image's ``/etc/passwd``: a
    numeric user becomes ``securityContext.runAsUser``; any user is recorded in the
    annotation ``mesos.apache.org/user``, a name only there (the image's own user runs).
  - resources: cpus -> ``cpu`` (millicores), mem -> ``memory`` (Mi), disk ->
    ``ephemeral-storage`` (Mi), gpus -> ``nvidia.com/gpu``. Limits equal requests
    (Guaranteed QoS, like Mesos's hard cpu/mem limits) unless ``TaskInfo.limits`` raises the
    cpu or mem limit (+Infinity: no limit). Disk is a request only: Mesos does not enforce
    disk quotas by default (``--enforce_container_disk_quota=false``), and a limit would
    make the kubelet evict the pod.
  - ports: every port of the ``ports`` resource becomes ``containerPort = hostPort`` (TCP),
    named from ``DiscoveryInfo`` where it names the port; Docker BRIDGE/USER networks use
    their ``port_mappings`` instead.
  - sandbox: an emptyDir ``mesos-sandbox`` mounted at ``sandbox_path``, also the working
    directory.
  - health check -> ``readinessProbe`` (which feeds ``TaskStatus.healthy``) and
    ``livenessProbe`` (which kills the task after ``consecutive_failures``).

* **URIs** (``CommandInfo.uris``) are fetched by an init container ``fetch-uris`` running
  the POSIX sh script of :func:`fetch_script` (curl, or wget where curl is missing; local
  paths and ``file://`` URIs are copied: on a real cluster they name files inside the
  fetcher image, in kubesim's process runtime files on the host). ``cache`` is ignored.

Every string that Kubernetes would expand (``$(VAR)`` in command, args, env values and exec
probes) is escaped, ``$`` -> ``$$``, so the process sees exactly what Mesos would give it.

Custom executors
----------------
A task with ``executor`` runs ``ExecutorInfo.command`` the same way (its URIs, environment,
container and resources, plus the task's resources), with ``MESOS_EXECUTOR_ID`` set to the
executor id and the executor-only variables of §8.5. Speaking the v1 executor API to it
(``MESOS_AGENT_ENDPOINT`` is set only when :attr:`LaunchContext.agent_endpoint` is) is out
of scope for this module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import posixpath
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from mesoshim.pb.mesos.v1 import mesos_pb2

__all__ = [
    "ANNOTATION_AGENT_ID",
    "ANNOTATION_EXECUTOR_ID",
    "ANNOTATION_FRAMEWORK_ID",
    "ANNOTATION_LABELS",
    "ANNOTATION_TASK_ID",
    "ANNOTATION_TASK_INFO",
    "ANNOTATION_TASK_NAME",
    "ANNOTATION_USER",
    "DEFAULT_SANDBOX_PATH",
    "FETCH_CONTAINER",
    "LABEL_AGENT_ID",
    "LABEL_FRAMEWORK_ID",
    "LABEL_MANAGED_BY",
    "LABEL_TASK_ID",
    "MANAGED_BY",
    "SANDBOX_VOLUME",
    "TASK_CONTAINER",
    "LaunchContext",
    "TranslationError",
    "fetch_script",
    "label_value",
    "pod_name",
    "task_info_from_pod",
    "task_to_pod",
    "translate_task",
]

Obj = dict[str, Any]

_PREFIX: Final = "mesos.apache.org/"
LABEL_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
MANAGED_BY: Final = "mesoshim"
LABEL_FRAMEWORK_ID: Final = _PREFIX + "framework-id"
LABEL_TASK_ID: Final = _PREFIX + "task-id"
LABEL_AGENT_ID: Final = _PREFIX + "agent-id"
ANNOTATION_FRAMEWORK_ID: Final = _PREFIX + "framework-id"
ANNOTATION_TASK_ID: Final = _PREFIX + "task-id"
ANNOTATION_AGENT_ID: Final = _PREFIX + "agent-id"
ANNOTATION_EXECUTOR_ID: Final = _PREFIX + "executor-id"
ANNOTATION_TASK_NAME: Final = _PREFIX + "task-name"
ANNOTATION_TASK_INFO: Final = _PREFIX + "task-info"
ANNOTATION_LABELS: Final = _PREFIX + "labels"
ANNOTATION_USER: Final = _PREFIX + "user"

TASK_CONTAINER: Final = "task"
FETCH_CONTAINER: Final = "fetch-uris"
SANDBOX_VOLUME: Final = "mesos-sandbox"
DEFAULT_SANDBOX_PATH: Final = "/mnt/mesos/sandbox"

#: The command executor's kill grace period (mesos-api.md §8.6).
COMMAND_EXECUTOR_GRACE_SECONDS: Final = 3
#: The agent's ``--executor_shutdown_grace_period`` default (mesos-api.md §8.5).
EXECUTOR_SHUTDOWN_GRACE_SECONDS: Final = 5
#: Kubernetes refuses objects whose annotations total more than this many bytes.
MAX_ANNOTATION_BYTES: Final = 256 * 1024

_NAME_HASH_CHARS: Final = 10
_MAX_LABEL: Final = 63
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
_NOT_DNS = re.compile(r"[^a-z0-9-]")

_Resource = mesos_pb2.Resource
_Volume = mesos_pb2.Volume
_ContainerInfo = mesos_pb2.ContainerInfo
_HealthCheck = mesos_pb2.HealthCheck
_Variable = mesos_pb2.Environment.Variable


class TranslationError(ValueError):
    """The task cannot run as a pod at all (the Mesos agent would fail it too)."""


@dataclass(frozen=True)
class LaunchContext:
    """What the translation needs besides the TaskInfo.

    ``agent_endpoint`` (``host:port`` of the shim's executor API) is only given to custom
    executors, as ``MESOS_AGENT_ENDPOINT`` and ``MESOS_SLAVE_PID``.
    """

    framework_id: str
    framework_info: mesos_pb2.FrameworkInfo
    agent_id: str
    node_name: str
    namespace: str
    default_image: str
    fetcher_image: str
    sandbox_path: str = DEFAULT_SANDBOX_PATH
    agent_endpoint: str | None = None


# ---------------------------------------------------------------- names and identity


def pod_name(framework_id: str, task_id: str) -> str:
    """The pod's name: a DNS-1123 label of at most 63 characters, the same for the same ids.

    A readable slug of the task id (lowercased, every other character ``-``, trimmed,
    truncated) plus ``-`` and 10 hex characters of sha256(``framework_id/task_id``).
    Mesos framework ids contain no ``/``, so the hashed string is unambiguous.
    """
    digest = hashlib.sha256(f"{framework_id}/{task_id}".encode(errors="surrogatepass")).hexdigest()[:_NAME_HASH_CHARS]
    slug = _NOT_DNS.sub("-", task_id.lower()).strip("-")
    slug = slug[: _MAX_LABEL - _NAME_HASH_CHARS - 1].rstrip("-") or "task"
    return f"{slug}-{digest}"


def label_value(value: str) -> str:
    """``value`` if it is a valid label value, else ``h-`` + 40 hex chars of its sha256."""
    if len(value) <= _MAX_LABEL and _LABEL_VALUE.fullmatch(value):
        return value
    return "h-" + hashlib.sha256(value.encode(errors="surrogatepass")).hexdigest()[:40]


def task_info_from_pod(pod: Mapping[str, Any]) -> mesos_pb2.TaskInfo | None:
    """The TaskInfo stored in the pod's ``mesos.apache.org/task-info`` annotation, if any."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    encoded = annotations.get(ANNOTATION_TASK_INFO)
    if not encoded:
        return None
    task = mesos_pb2.TaskInfo()
    task.ParseFromString(base64.b64decode(encoded))
    return task


# ---------------------------------------------------------------- the pod


def task_to_pod(task: mesos_pb2.TaskInfo, ctx: LaunchContext) -> Obj:
    """The Pod manifest for ``task`` (see the module docstring); warnings are dropped."""
    return translate_task(task, ctx)[0]


def translate_task(task: mesos_pb2.TaskInfo, ctx: LaunchContext) -> tuple[Obj, list[str]]:
    """The Pod manifest for ``task`` and the warnings about what was left out."""
    warnings: list[str] = []
    task_id = task.task_id.value
    executor = task.executor if task.HasField("executor") else None
    if executor is not None:
        if task.HasField("command"):
            raise TranslationError("Task should have at least one (but not both) of CommandInfo or ExecutorInfo present")
        if not executor.HasField("command"):
            raise TranslationError("ExecutorInfo has no command: mesoshim runs executors as processes only")
        command = executor.command
        container = executor.container if executor.HasField("container") else None
        if task.HasField("container"):
            warnings.append("TaskInfo.container of a task with a custom executor: ignored "
                            "(the executor's container is used)")
        executor_id = executor.executor_id.value
        resources = [*task.resources, *executor.resources]
    elif task.HasField("command"):
        command = task.command
        container = task.container if task.HasField("container") else None
        executor_id = task_id
        resources = list(task.resources)
    else:
        raise TranslationError("Task should have at least one (but not both) of CommandInfo or ExecutorInfo present")

    image, pull_policy, has_image = _image(container, ctx, warnings)
    docker_type = container is not None and container.type == _ContainerInfo.DOCKER
    argv_command, argv_args = _process(command, has_image=has_image, docker_type=docker_type)
    user = command.user if command.HasField("user") else ctx.framework_info.user

    requests, limits = _resources(resources, task.limits, warnings)
    ports = _ports(resources)
    sandbox = ctx.sandbox_path

    main: Obj = {"name": TASK_CONTAINER, "image": image}
    if pull_policy:
        main["imagePullPolicy"] = pull_policy
    if argv_command is not None:
        main["command"] = [_literal(part) for part in argv_command]
    if argv_args is not None:
        main["args"] = [_literal(part) for part in argv_args]
    main["workingDir"] = sandbox
    main["env"] = _environment(task, command, executor, ctx, resources, ports, warnings)
    container_ports = _container_ports(container, ports, task, warnings)
    if container_ports:
        main["ports"] = container_ports
    main["resources"] = _resource_block(requests, limits)
    mounts, volumes = _volumes(container, sandbox, warnings)
    main["volumeMounts"] = mounts
    if task.HasField("health_check"):
        probes = _probes(task.health_check, warnings)
        if probes is not None:
            main["readinessProbe"], main["livenessProbe"] = probes
    if container is not None and container.HasField("docker") and container.docker.privileged:
        main["securityContext"] = {"privileged": True}
    _unsupported(task, container, warnings)

    spec: Obj = {
        "nodeName": ctx.node_name,
        "restartPolicy": "Never",
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": _grace_seconds(task, executor),
    }
    if task.HasField("max_completion_time"):
        spec["activeDeadlineSeconds"] = max(1, _ceil_seconds(task.max_completion_time.nanoseconds))
    if user.isdigit():
        spec["securityContext"] = {"runAsUser": int(user)}
    if container is not None and container.HasField("hostname"):
        if _DNS_LABEL.fullmatch(container.hostname) and len(container.hostname) <= _MAX_LABEL:
            spec["hostname"] = container.hostname
        else:
            warnings.append(f"ContainerInfo.hostname {container.hostname!r} is not a DNS-1123 label: ignored")
    spec["volumes"] = volumes
    if command.uris:
        script, fetch_warnings = fetch_script(command.uris, sandbox)
        warnings.extend(fetch_warnings)
        fetcher_resources = {kind: {k: v for k, v in block.items() if k in ("cpu", "memory")}
                             for kind, block in _resource_block(requests, limits).items()}
        spec["initContainers"] = [{
            "name": FETCH_CONTAINER,
            "image": ctx.fetcher_image,
            "command": ["sh", "-c", _literal(script)],
            "workingDir": sandbox,
            "resources": {k: v for k, v in fetcher_resources.items() if v},
            "volumeMounts": [{"name": SANDBOX_VOLUME, "mountPath": sandbox}],
            "terminationMessagePolicy": "FallbackToLogsOnError",
        }]
    spec["containers"] = [main]

    metadata: Obj = {
        "name": pod_name(ctx.framework_id, task_id),
        "namespace": ctx.namespace,
        "labels": {
            LABEL_MANAGED_BY: MANAGED_BY,
            LABEL_FRAMEWORK_ID: label_value(ctx.framework_id),
            LABEL_TASK_ID: label_value(task_id),
            LABEL_AGENT_ID: label_value(ctx.agent_id),
        },
        "annotations": _annotations(task, ctx, executor_id, user),
    }
    size = sum(len(k.encode()) + len(v.encode()) for k, v in metadata["annotations"].items())
    if size > MAX_ANNOTATION_BYTES:
        raise TranslationError(f"TaskInfo too large for a pod annotation ({size} bytes, "
                               f"Kubernetes allows {MAX_ANNOTATION_BYTES})")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}, warnings


def _annotations(task: mesos_pb2.TaskInfo, ctx: LaunchContext, executor_id: str, user: str) -> dict[str, str]:
    labels = [{"key": label.key, **({"value": label.value} if label.HasField("value") else {})}
              for label in task.labels.labels]
    annotations = {
        ANNOTATION_FRAMEWORK_ID: ctx.framework_id,
        ANNOTATION_TASK_ID: task.task_id.value,
        ANNOTATION_AGENT_ID: ctx.agent_id,
        ANNOTATION_EXECUTOR_ID: executor_id,
        ANNOTATION_TASK_NAME: task.name,
        ANNOTATION_LABELS: json.dumps(labels, separators=(",", ":"), ensure_ascii=False),
        ANNOTATION_TASK_INFO: base64.b64encode(task.SerializeToString(deterministic=True)).decode(),
    }
    if user:
        annotations[ANNOTATION_USER] = user
    return annotations


def _literal(text: str) -> str:
    """Escape ``text`` against Kubernetes' ``$(VAR)`` expansion (``$$`` reads as ``$``)."""
    return text.replace("$", "$$")


def _ceil_seconds(nanoseconds: int) -> int:
    return max(0, -(-nanoseconds // 1_000_000_000))


def _grace_seconds(task: mesos_pb2.TaskInfo, executor: mesos_pb2.ExecutorInfo | None) -> int:
    if task.HasField("kill_policy") and task.kill_policy.HasField("grace_period"):
        return _ceil_seconds(task.kill_policy.grace_period.nanoseconds)
    if executor is not None:
        if executor.HasField("shutdown_grace_period"):
            return _ceil_seconds(executor.shutdown_grace_period.nanoseconds)
        return EXECUTOR_SHUTDOWN_GRACE_SECONDS
    return COMMAND_EXECUTOR_GRACE_SECONDS


# ---------------------------------------------------------------- image and process


def _image(container: mesos_pb2.ContainerInfo | None, ctx: LaunchContext,
           warnings: list[str]) -> tuple[str, str | None, bool]:
    """(image, imagePullPolicy or None, whether the task named an image)."""
    if container is None:
        return ctx.default_image, None, False
    if container.type == _ContainerInfo.DOCKER:
        if not container.HasField("docker") or not container.docker.image:
            raise TranslationError("DOCKER container without 'docker.image'")
        return container.docker.image, "Always" if container.docker.force_pull_image else None, True
    if container.HasField("docker"):
        warnings.append("ContainerInfo.docker on a MESOS container: ignored")
    if container.HasField("mesos") and container.mesos.HasField("image"):
        image = container.mesos.image
        policy = None if image.cached else "Always"
        if image.type == mesos_pb2.Image.DOCKER and image.HasField("docker"):
            return image.docker.name, policy, True
        if image.type == mesos_pb2.Image.APPC and image.HasField("appc"):
            warnings.append(f"appc image {image.appc.name!r} used as an OCI image reference")
            return image.appc.name, policy, True
        raise TranslationError("ContainerInfo.mesos.image has no name")
    return ctx.default_image, None, False


def _process(command: mesos_pb2.CommandInfo, *, has_image: bool,
             docker_type: bool) -> tuple[list[str] | None, list[str] | None]:
    """(command, args) of the container, from CommandInfo (mesos-api.md §8.6)."""
    value = command.value if command.HasField("value") else None
    if command.shell:
        if value is None:
            raise TranslationError("Shell command is not specified")
        return ["sh", "-c", value], None
    if docker_type:  # the Docker containerizer: entrypoint kept, [value] + arguments as its args
        args = ([value] if value is not None else []) + list(command.arguments)
        return None, args or None
    if value is None:
        if has_image:  # the image's entrypoint, arguments as its args
            return None, list(command.arguments) or None
        raise TranslationError("Executable path is not specified")
    return [value], list(command.arguments[1:]) or None


# ---------------------------------------------------------------- environment


def _environment(task: mesos_pb2.TaskInfo, command: mesos_pb2.CommandInfo,
                 executor: mesos_pb2.ExecutorInfo | None, ctx: LaunchContext,
                 resources: Sequence[mesos_pb2.Resource], ports: Sequence[int],
                 warnings: list[str]) -> list[Obj]:
    task_id = task.task_id.value
    env: dict[str, Obj] = {}

    def put(name: str, value: str) -> None:
        env[name] = {"name": name, "value": _literal(value)}

    def field(name: str, path: str) -> None:
        env[name] = {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}

    framework = ctx.framework_info
    put("MESOS_TASK_ID", task_id)
    put("MESOS_FRAMEWORK_ID", ctx.framework_id)
    put("MESOS_EXECUTOR_ID", executor.executor_id.value if executor is not None else task_id)
    put("MESOS_AGENT_ID", ctx.agent_id)
    put("MESOS_SLAVE_ID", ctx.agent_id)
    put("MESOS_SANDBOX", ctx.sandbox_path)
    put("MESOS_DIRECTORY", ctx.sandbox_path)
    put("MESOS_ALLOCATION_ROLE", _allocation_role(resources, framework))
    put("MESOS_CHECKPOINT", "1" if framework.checkpoint else "0")
    field("MESOS_CONTAINER_IP", "status.podIP")
    if executor is not None:
        grace = (_ceil_seconds(executor.shutdown_grace_period.nanoseconds)
                 if executor.HasField("shutdown_grace_period") else EXECUTOR_SHUTDOWN_GRACE_SECONDS)
        put("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", f"{grace}secs")
        put("MESOS_HTTP_COMMAND_EXECUTOR", "0")
        if ctx.agent_endpoint:
            put("MESOS_AGENT_ENDPOINT", ctx.agent_endpoint)
            put("MESOS_SLAVE_PID", f"slave(1)@{ctx.agent_endpoint}")
        if framework.checkpoint:
            put("MESOS_RECOVERY_TIMEOUT", "15mins")
            put("MESOS_SUBSCRIPTION_BACKOFF_MAX", "2secs")
    # The agent's hostname and the assigned ports: not Mesos's own, but Marathon and Aurora
    # tasks (and many scripts written for them) read HOST, PORT0..PORTn, PORT and PORTS.
    field("HOST", "spec.nodeName")
    for index, port in enumerate(ports):
        put(f"PORT{index}", str(port))
    if ports:
        put("PORT", str(ports[0]))
        put("PORTS", ",".join(str(port) for port in ports))

    # CommandInfo.environment has the highest priority (mesos-api.md §8.6).
    for variable in command.environment.variables:
        if variable.type == _Variable.VALUE:
            env.pop(variable.name, None)  # keep the command's order for its own variables
            put(variable.name, variable.value)
        elif variable.type == _Variable.SECRET:
            warnings.append(f"environment variable {variable.name}: SECRET variables are not supported; skipped")
        else:
            warnings.append(f"environment variable {variable.name}: unknown type; skipped")
    return list(env.values())


def _allocation_role(resources: Sequence[mesos_pb2.Resource], framework: mesos_pb2.FrameworkInfo) -> str:
    for resource in resources:
        if resource.HasField("allocation_info") and resource.allocation_info.role:
            return resource.allocation_info.role
    if framework.roles:
        return framework.roles[0]
    return framework.role or "*"


# ---------------------------------------------------------------- resources and ports


def _resources(resources: Iterable[mesos_pb2.Resource], task_limits: Mapping[str, mesos_pb2.Value.Scalar],
               warnings: list[str]) -> tuple[dict[str, float], dict[str, float | None]]:
    """Mesos scalar totals by name, and the limit for cpus/mem (None: unlimited)."""
    totals: dict[str, float] = {}
    for resource in resources:
        if resource.name == "ports":
            continue
        if resource.type != mesos_pb2.Value.SCALAR:
            warnings.append(f"resource {resource.name!r} of a non-scalar type: ignored")
            continue
        totals[resource.name] = totals.get(resource.name, 0.0) + resource.scalar.value
    for name in sorted(totals):
        if name not in ("cpus", "mem", "disk", "gpus"):
            warnings.append(f"resource {name!r} has no Kubernetes equivalent: ignored")
    limits: dict[str, float | None] = {}
    for name in ("cpus", "mem"):
        if name in totals:
            limits[name] = totals[name]
    for name, scalar in sorted(task_limits.items()):
        if name not in ("cpus", "mem"):
            warnings.append(f"TaskInfo.limits[{name!r}] is not supported: ignored")
            continue
        if math.isinf(scalar.value):
            limits[name] = None
            continue
        request = totals.get(name, 0.0)
        if scalar.value < request:
            warnings.append(f"TaskInfo.limits[{name!r}] is below the request: the request is used")
        limits[name] = max(scalar.value, request)
    return totals, limits


def _cpu(cpus: float) -> str:
    return f"{max(1, round(cpus * 1000))}m"


def _megabytes(megabytes: float) -> str:
    whole = round(megabytes)
    if abs(megabytes - whole) < 1e-9:
        return f"{whole}Mi"
    return f"{math.ceil(megabytes * 1024)}Ki"


def _resource_block(totals: Mapping[str, float], limits: Mapping[str, float | None]) -> Obj:
    requests: dict[str, Any] = {}
    ceilings: dict[str, Any] = {}
    if totals.get("cpus", 0) > 0:
        requests["cpu"] = _cpu(totals["cpus"])
    if totals.get("mem", 0) > 0:
        requests["memory"] = _megabytes(totals["mem"])
    if totals.get("disk", 0) > 0:
        requests["ephemeral-storage"] = _megabytes(totals["disk"])
    if totals.get("gpus", 0) > 0:
        requests["nvidia.com/gpu"] = str(math.ceil(totals["gpus"]))
        ceilings["nvidia.com/gpu"] = requests["nvidia.com/gpu"]  # extended resources: limit == request
    cpu_limit, mem_limit = limits.get("cpus"), limits.get("mem")
    if cpu_limit is not None and cpu_limit > 0:
        ceilings["cpu"] = _cpu(cpu_limit)
    if mem_limit is not None and mem_limit > 0:
        ceilings["memory"] = _megabytes(mem_limit)
    block: Obj = {}
    if requests:
        block["requests"] = requests
    if ceilings:
        block["limits"] = dict(sorted(ceilings.items(), key=lambda kv: _RESOURCE_ORDER.index(kv[0])))
    return block


_RESOURCE_ORDER: Final = ("cpu", "memory", "ephemeral-storage", "nvidia.com/gpu")


def _ports(resources: Iterable[mesos_pb2.Resource]) -> list[int]:
    ports: list[int] = []
    for resource in resources:
        if resource.name == "ports" and resource.type == mesos_pb2.Value.RANGES:
            for span in resource.ranges.range:
                ports.extend(range(span.begin, span.end + 1))
    return ports


def _port_names(task: mesos_pb2.TaskInfo) -> dict[int, str]:
    """Port number -> a valid IANA_SVC_NAME from DiscoveryInfo, where one can be made."""
    names: dict[int, str] = {}
    used: set[str] = set()
    for port in task.discovery.ports.ports:
        if not port.name or port.number in names:
            continue
        name = re.sub(r"-+", "-", _NOT_DNS.sub("-", port.name.lower())).strip("-")[:15].rstrip("-")
        if name and re.search("[a-z]", name) and name not in used:
            names[port.number] = name
            used.add(name)
    return names


def _container_ports(container: mesos_pb2.ContainerInfo | None, ports: Sequence[int],
                     task: mesos_pb2.TaskInfo, warnings: list[str]) -> list[Obj]:
    names = _port_names(task)
    docker = container.docker if container is not None and container.HasField("docker") else None
    if docker is not None and docker.network in (_ContainerInfo.DockerInfo.BRIDGE, _ContainerInfo.DockerInfo.USER) \
            and docker.port_mappings:
        out: list[Obj] = []
        for mapping in docker.port_mappings:
            entry: Obj = {"containerPort": mapping.container_port, "hostPort": mapping.host_port,
                          "protocol": (mapping.protocol or "tcp").upper()}
            if mapping.host_port in names:
                entry = {"name": names[mapping.host_port], **entry}
            out.append(entry)
        return out
    out = []
    for port in ports:
        if not 0 < port < 65536:
            warnings.append(f"port {port} is outside 1-65535: ignored")
            continue
        entry = {"containerPort": port, "hostPort": port, "protocol": "TCP"}
        if port in names:
            entry = {"name": names[port], **entry}
        out.append(entry)
    return out


# ---------------------------------------------------------------- volumes


def _volumes(container: mesos_pb2.ContainerInfo | None, sandbox: str,
             warnings: list[str]) -> tuple[list[Obj], list[Obj]]:
    """(the task container's volumeMounts, the pod's volumes)."""
    mounts: list[Obj] = [{"name": SANDBOX_VOLUME, "mountPath": sandbox}]
    volumes: list[Obj] = [{"name": SANDBOX_VOLUME, "emptyDir": {}}]
    if container is None:
        return mounts, volumes
    for index, volume in enumerate(container.volumes):
        path = volume.container_path
        target = path if path.startswith("/") else posixpath.join(sandbox, path)
        read_only = volume.mode == _Volume.RO
        source = volume.source if volume.HasField("source") else None
        host_path: str | None = None
        propagation: str | None = None
        if volume.HasField("image"):
            warnings.append(f"volume {path!r}: image volumes are not supported; ignored")
            continue
        if volume.host_path:
            host_path = volume.host_path
        elif source is not None and source.type == _Volume.Source.HOST_PATH and source.HasField("host_path"):
            host_path = source.host_path.path
            mode = source.host_path.mount_propagation.mode
            propagation = {mesos_pb2.MountPropagation.HOST_TO_CONTAINER: "HostToContainer",
                           mesos_pb2.MountPropagation.BIDIRECTIONAL: "Bidirectional"}.get(mode)
        elif (source is not None and source.type == _Volume.Source.SANDBOX_PATH
              and source.sandbox_path.type == _Volume.Source.SandboxPath.SELF):
            sub_path = posixpath.normpath(source.sandbox_path.path).lstrip("/")
            if sub_path.startswith("..") or sub_path in ("", "."):
                warnings.append(f"volume {path!r}: sandbox path {source.sandbox_path.path!r} "
                                "leaves the sandbox; ignored")
                continue
            mount: Obj = {"name": SANDBOX_VOLUME, "mountPath": target, "subPath": sub_path}
            if read_only:
                mount["readOnly"] = True
            mounts.append(mount)
            continue
        else:
            kind = _Volume.Source.Type.Name(source.type) if source is not None else "no source"
            warnings.append(f"volume {path!r}: {kind} volumes are not supported; ignored")
            continue
        name = f"host-path-{index}"
        volumes.append({"name": name, "hostPath": {"path": host_path}})
        mount = {"name": name, "mountPath": target}
        if read_only:
            mount["readOnly"] = True
        if propagation:
            mount["mountPropagation"] = propagation
        mounts.append(mount)
    return mounts, volumes


# ---------------------------------------------------------------- health checks


def _probe_seconds(value: float, minimum: int) -> int:
    return max(minimum, math.ceil(value - 1e-9))


def _probes(check: mesos_pb2.HealthCheck, warnings: list[str]) -> tuple[Obj, Obj] | None:
    """(readinessProbe, livenessProbe) for a Mesos health check."""
    kind = check.type
    if not check.HasField("type"):  # pre-1.2 health checks: the set field says which
        kind = (_HealthCheck.HTTP if check.HasField("http") else _HealthCheck.TCP if check.HasField("tcp")
                else _HealthCheck.COMMAND if check.HasField("command") else _HealthCheck.UNKNOWN)
    handler: Obj
    if kind == _HealthCheck.HTTP and check.HasField("http"):
        http = check.http
        handler = {"httpGet": {"path": http.path or "/", "port": http.port,
                               "scheme": (http.scheme or "http").upper()}}
        if http.statuses:
            warnings.append("health_check.http.statuses: ignored (2xx and 3xx count as healthy)")
    elif kind == _HealthCheck.TCP and check.HasField("tcp"):
        handler = {"tcpSocket": {"port": check.tcp.port}}
    elif kind == _HealthCheck.COMMAND and check.HasField("command"):
        command = check.command
        if command.shell:
            argv = ["sh", "-c", command.value]
        elif command.value:
            argv = [command.value, *command.arguments[1:]]
        else:
            warnings.append("health_check.command has no value: health check ignored")
            return None
        extra = [f"{v.name}={v.value}" for v in command.environment.variables if v.type == _Variable.VALUE]
        if extra:
            argv = ["env", *extra, *argv]
        if command.uris:
            warnings.append("health_check.command.uris: ignored")
        handler = {"exec": {"command": [_literal(part) for part in argv]}}
    else:
        warnings.append("health_check without a usable type: ignored")
        return None
    period = _probe_seconds(check.interval_seconds, 1)
    timeout = _probe_seconds(check.timeout_seconds, 1)
    readiness = {**handler, "initialDelaySeconds": _probe_seconds(check.delay_seconds, 0),
                 "periodSeconds": period, "timeoutSeconds": timeout,
                 "successThreshold": 1, "failureThreshold": 1}
    liveness = {**handler,
                "initialDelaySeconds": _probe_seconds(check.delay_seconds + check.grace_period_seconds, 0),
                "periodSeconds": period, "timeoutSeconds": timeout,
                "successThreshold": 1, "failureThreshold": max(1, check.consecutive_failures)}
    return readiness, liveness


# ---------------------------------------------------------------- unsupported bits


def _unsupported(task: mesos_pb2.TaskInfo, container: mesos_pb2.ContainerInfo | None,
                 warnings: list[str]) -> None:
    if task.HasField("check"):
        warnings.append("TaskInfo.check (general checks) is not supported: ignored")
    if container is None:
        return
    if container.network_infos:
        warnings.append("ContainerInfo.network_infos: ignored (the pod joins the cluster network)")
    if container.HasField("linux_info"):
        warnings.append("ContainerInfo.linux_info (capabilities, namespaces, seccomp): ignored")
    if container.HasField("rlimit_info"):
        warnings.append("ContainerInfo.rlimit_info: ignored (Kubernetes has no per-pod rlimits)")
    if container.HasField("tty_info"):
        warnings.append("ContainerInfo.tty_info: ignored")
    if container.HasField("docker"):
        docker = container.docker
        if docker.parameters:
            warnings.append("DockerInfo.parameters: ignored")
        if docker.network == _ContainerInfo.DockerInfo.NONE:
            warnings.append("DockerInfo network NONE: ignored (the pod joins the cluster network)")


# ---------------------------------------------------------------- the URI fetcher

_ARCHIVES: Final = (
    # (name suffix, POSIX sh command with {src} for the archive; run in the sandbox)
    (".tar.gz", "tar -xzf {src}"),
    (".tgz", "tar -xzf {src}"),
    (".tar.bz2", "tar -xjf {src}"),
    (".tbz2", "tar -xjf {src}"),
    (".tar.xz", "tar -xJf {src}"),
    (".txz", "tar -xJf {src}"),
    (".tar", "tar -xf {src}"),
    (".zip", "unzip -o -q {src}"),
)

_SCRIPT_HEAD: Final = """\
set -eu
cd {sandbox}
fetch() {{
  # fetch URL DEST: download with curl, or with wget where there is no curl
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    echo "fetch-uris: neither curl nor wget is installed" >&2
    return 127
  fi
}}"""


def _uri_source(value: str) -> tuple[str, str] | tuple[None, str]:
    """("download", url) | ("copy", local path) | (None, why not)."""
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https", "ftp", "ftps"):
        return "download", value
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return None, f"file URI on another host ({parts.netloc})"
        return "copy", unquote(parts.path)
    if not scheme and value.startswith("/"):
        return "copy", value
    if not scheme:
        return None, "relative local path (the agent's --frameworks_home is not supported)"
    return None, f"unsupported URI scheme {scheme!r}"


def _uri_basename(value: str) -> str:
    parts = urlsplit(value)
    path = unquote(parts.path) if parts.scheme else value
    return posixpath.basename(path.rstrip("/"))


def fetch_script(uris: Sequence[mesos_pb2.CommandInfo.URI], sandbox: str) -> tuple[str, list[str]]:
    """A POSIX sh script fetching ``uris`` into ``sandbox`` as the Mesos fetcher does, and
    warnings for URIs it cannot fetch (the script fails on them, as the fetcher would).

    Each URI lands in the sandbox under ``output_file`` (sandbox-relative) or its basename;
    then it is made executable (``executable``), or, if ``extract`` (the default) and the
    name is an archive (.tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz, .zip), unpacked
    into the sandbox; a plain ``.gz`` is decompressed next to itself. Every value is quoted
    with :func:`shlex.quote`; destinations start with ``./`` so no name reads as an option.
    """
    warnings: list[str] = []
    lines = [_SCRIPT_HEAD.format(sandbox=shlex.quote(sandbox))]
    for uri in uris:
        value = uri.value
        name = _uri_basename(value)
        if uri.HasField("output_file") and uri.output_file:
            wanted = posixpath.normpath(uri.output_file)
            if wanted.startswith("/") or wanted == ".." or wanted.startswith("../"):
                warnings.append(f"URI {value!r}: output_file {uri.output_file!r} leaves the sandbox; "
                                "the basename is used")
            else:
                name = wanted
        kind, source = _uri_source(value)
        if kind is None:
            warnings.append(f"URI {value!r} cannot be fetched: {source}")
            lines.append(f"echo {shlex.quote(f'fetch-uris: cannot fetch {value}: {source}')} >&2")
            lines.append("exit 1")
            continue
        if not name or name in (".", ".."):
            name = "download"
        dest = shlex.quote("./" + name)
        lines.append(f"echo {shlex.quote(f'fetch-uris: {value} -> {name}')}")
        parent = posixpath.dirname(name)
        if parent:
            lines.append(f"mkdir -p {shlex.quote('./' + parent)}")
        if kind == "download":
            lines.append(f"fetch {shlex.quote(source)} {dest}")
        else:
            lines.append(f"cp -R {shlex.quote(source)} {dest}")
        if uri.executable:
            lines.append(f"chmod +x {dest}")
        elif uri.extract:
            lines.extend(_extract(name))
    lines.append("echo 'fetch-uris: done'")
    return "\n".join(lines) + "\n", warnings


def _extract(name: str) -> list[str]:
    lower = name.lower()
    src = shlex.quote("./" + name)
    for suffix, template in _ARCHIVES:
        if lower.endswith(suffix):
            return [template.format(src=src)]
    if lower.endswith(".gz") and len(name) > 3:
        return [f"gzip -dc {src} > {shlex.quote('./' + name[:-3])}"]
    return []
