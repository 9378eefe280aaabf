"""Master-side validation of scheduler input, with Mesos' exact error texts.

Every validator is pure and returns `None` when the input is fine, else the message
the Mesos master would put in its reply (spec `mesos-api.md` §2.2, §3.2, §4):

* `validate_offer_ids` — ACCEPT step 1 (TASK_LOST/TASK_DROPPED, REASON_INVALID_OFFERS,
  message `"Task launched with invalid offers: " + error`);
* `validate_launch_operation` — ACCEPT steps 2-3 for a LAUNCH (TASK_ERROR,
  REASON_TASK_INVALID for every task of the operation);
* `validate_task` — §4.1, per task (TASK_ERROR, REASON_TASK_INVALID);
* `validate_launch_group` — LAUNCH_GROUP is not supported: always an error
  (TASK_ERROR, REASON_TASK_GROUP_INVALID for every task of the group);
* `validate_framework_info` — SUBSCRIBE / UPDATE_FRAMEWORK (§2.2 step 1);
* `refuse_seconds` — how long a decline filter lasts (§3.2).

`normalize_task` is the one mutating helper: the edits the master makes to a task
before it validates it (ACCEPT step 4).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Container, Iterable, Sequence

from google.protobuf import json_format, text_format

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.resources import (
    Resources,
    format_ranges,
    format_scalar,
    format_set,
    millis_from_float,
    normalize_ranges,
    resource_prefix,
    validate_id,
    validate_master_resources,
    validate_resources,
    validate_role,
)

__all__ = [
    "DEFAULT_REFUSE_SECONDS",
    "LAUNCH_GROUP_UNSUPPORTED",
    "MAX_REFUSE_SECONDS",
    "OfferLookup",
    "normalize_task",
    "refuse_seconds",
    "validate_check_info",
    "validate_command_info",
    "validate_container_info",
    "validate_environment",
    "validate_framework_info",
    "validate_health_check",
    "validate_id",
    "validate_launch_group",
    "validate_launch_operation",
    "validate_offer_ids",
    "validate_role",
    "validate_task",
]

OfferLookup = Callable[[str], tuple[str, str] | tuple[str, str, str] | None]
"""offer id -> (framework id, agent id[, allocation role]) of an outstanding offer, else None."""

LAUNCH_GROUP_UNSUPPORTED = "LAUNCH_GROUP is not supported by mesoshim"

DEFAULT_REFUSE_SECONDS = 5.0
MAX_REFUSE_SECONDS = 365 * 24 * 3600.0

_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)

_Capability = mesos_pb2.FrameworkInfo.Capability
_HealthCheck = mesos_pb2.HealthCheck
_CheckInfo = mesos_pb2.CheckInfo
_Variable = mesos_pb2.Environment.Variable
_Secret = mesos_pb2.Secret
_VolumeSource = mesos_pb2.Volume.Source
_ContainerInfo = mesos_pb2.ContainerInfo
_ExecutorInfo = mesos_pb2.ExecutorInfo


# --------------------------------------------------------------------------- offers


def _offer_id_value(offer_id: str | mesos_pb2.OfferID) -> str:
    return offer_id if isinstance(offer_id, str) else offer_id.value


def validate_offer_ids(
    offer_ids: Iterable[str | mesos_pb2.OfferID],
    lookup: OfferLookup,
    framework_id: str,
) -> str | None:
    """ACCEPT's offer validation (spec §3.2 step 1); first failing rule wins.

    `lookup` answers (framework id, agent id) — or (framework id, agent id,
    allocation role) — for an outstanding offer, None for anything else (unknown,
    used, rescinded, an inverse offer). Without roles the same-role rule is skipped
    (mesoshim makes one offer per agent and role, so it only matters for MULTI_ROLE)."""
    ids = [_offer_id_value(o) for o in offer_ids]
    if not ids:
        return "No offers specified"
    seen: set[str] = set()
    for offer_id in ids:
        if offer_id in seen:
            return f"Duplicate offer {offer_id} in offer list"
        seen.add(offer_id)
    found: list[tuple[str, str] | tuple[str, str, str]] = []
    for offer_id in ids:
        entry = lookup(offer_id)
        if entry is None:
            return f"Offer {offer_id} is no longer valid"
        found.append(entry)
    for offer_id, entry in zip(ids, found, strict=True):
        if entry[0] != framework_id:
            return (
                f"Offer {offer_id} has invalid framework {entry[0]}"
                f" while framework {framework_id} is expected"
            )
    first_role: str | None = None
    for offer_id, entry in zip(ids, found, strict=True):
        if len(entry) < 3:
            continue
        role = entry[2]
        if first_role is None:
            first_role = role
        elif role != first_role:
            # Mesos' text really lacks the closing quotes.
            return (
                f"Aggregated offers must be allocated to the same role. Offer {offer_id}"
                f" uses role '{role} but another is using role '{first_role}"
            )
    first_agent = found[0][1]
    for offer_id, entry in zip(ids, found, strict=True):
        if entry[1] != first_agent:
            return (
                f"Aggregated offers must belong to one single agent. Offer {offer_id}"
                f" uses agent {entry[1]} and agent {first_agent}"
            )
    return None


def refuse_seconds(filters: mesos_pb2.Filters | None, allocation_interval: float = 1.0) -> float:
    """How long declined resources stay filtered (spec §3.2; 0.0 = no filter).

    Absent `filters` (or an unset `refuse_seconds`) means the proto default, 5 s;
    more than 365 days is capped; negative or unrepresentable values mean 5 s; a
    value that is 0 at nanosecond precision installs no filter; anything else lasts
    at least one allocation interval."""
    seconds = DEFAULT_REFUSE_SECONDS if filters is None else filters.refuse_seconds
    if math.isnan(seconds):
        seconds = DEFAULT_REFUSE_SECONDS
    elif seconds > MAX_REFUSE_SECONDS:
        seconds = MAX_REFUSE_SECONDS
    elif seconds < 0:
        seconds = DEFAULT_REFUSE_SECONDS
    if int(seconds * 1e9) == 0:
        return 0.0
    return max(seconds, allocation_interval)


# --------------------------------------------------------------------------- frameworks


def _stringify_double(value: float) -> str:
    # C++ `ostream << double` (6 significant digits, %g).
    return f"{value:g}"


def validate_framework_info(info: mesos_pb2.FrameworkInfo) -> str | None:
    """Mesos `validation::framework::validate` (SUBSCRIBE and UPDATE_FRAMEWORK).

    Roles (MULTI_ROLE uses `roles`, others `role`; no duplicates; valid names), the
    framework id, offer filters and `failover_timeout`. Not checked here: the
    master's `--roles` whitelist and the `root` user rule."""
    multi_role = any(c.type == _Capability.MULTI_ROLE for c in info.capabilities)
    if multi_role:
        if info.HasField("role"):
            return "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"
        seen: set[str] = set()
        duplicates: set[str] = set()
        for role in info.roles:
            (duplicates if role in seen else seen).add(role)
        if duplicates:
            return "'FrameworkInfo.roles' contains duplicate items: {{ {} }}".format(
                ", ".join(sorted(duplicates))
            )
        for role in info.roles:
            error = validate_role(role)
            if error is not None:
                return f"'FrameworkInfo.roles' contains invalid role: {error}"
    else:
        if info.roles:
            return (
                "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
            )
        error = validate_role(info.role)
        if error is not None:
            return f"'FrameworkInfo.role' is not a valid role: {error}"

    if info.HasField("id") and info.id.value:
        error = validate_id(info.id.value)
        if error is not None:
            return error

    for _, offer_filters in sorted(info.offer_filters.items()):
        for quantities in offer_filters.min_allocatable_resources.quantities:
            if not quantities.quantities:
                return "Resource quantities must contain at least one quantity"
            for name, scalar in sorted(quantities.quantities.items()):
                error = _input_scalar_error(scalar.value)
                if error is not None:
                    return f"Invalid resource quantity for '{name}': {error}"

    timeout = info.failover_timeout
    if not math.isfinite(timeout) or not float(_INT64_MIN) <= timeout * 1e9 <= float(_INT64_MAX):
        return f"The framework failover_timeout ({_stringify_double(timeout)}) is invalid"
    return None


def _input_scalar_error(value: float) -> str | None:
    if math.isnan(value):
        return "NaN not supported"
    if math.isinf(value):
        return "Infinite values not supported"
    if value != 0 and abs(value) < 2.2250738585072014e-308:
        return "Subnormal values not supported"
    if value < 0:
        return "Negative values not supported"
    return None


# --------------------------------------------------------------------------- pieces of tasks


def validate_environment(environment: mesos_pb2.Environment) -> str | None:
    """Mesos `validateEnvironment`."""
    for variable in environment.variables:
        name = variable.name
        if variable.type == _Variable.SECRET:
            if not variable.HasField("secret"):
                return f"Environment variable '{name}' of type 'SECRET' must have a secret set"
            if variable.HasField("value"):
                return f"Environment variable '{name}' of type 'SECRET' must not have a value set"
            error = _secret_error(variable.secret)
            if error is not None:
                return f"Environment variable '{name}' specifies an invalid secret: {error}"
            if b"\0" in variable.secret.value.data:
                return (
                    f"Environment variable '{name}' specifies a secret containing null bytes,"
                    " which is not allowed in the environment"
                )
        elif variable.type == _Variable.VALUE:
            if not variable.HasField("value"):
                return f"Environment variable '{name}' of type 'VALUE' must have a value set"
            if variable.HasField("secret"):
                return f"Environment variable '{name}' of type 'VALUE' must not have a secret set"
        else:
            return "Environment variable of type 'UNKNOWN' is not allowed"
    return None


def _secret_error(secret: mesos_pb2.Secret) -> str | None:
    if secret.type == _Secret.REFERENCE:
        if not secret.HasField("reference"):
            return "Secret of type REFERENCE must have the 'reference' field set"
        if secret.HasField("value"):
            return (
                f"Secret '{secret.reference.name}' of type REFERENCE must not have the"
                " 'value' field set"
            )
    elif secret.type == _Secret.VALUE:
        if not secret.HasField("value"):
            return "Secret of type VALUE must have the 'value' field set"
        if secret.HasField("reference"):
            return "Secret of type VALUE must not have the 'reference' field set"
    return None


def validate_command_info(command: mesos_pb2.CommandInfo) -> str | None:
    """Mesos `validateCommandInfo` (only the environment is checked)."""
    return validate_environment(command.environment)


def _volume_error(volume: mesos_pb2.Volume) -> str | None:
    count = sum(volume.HasField(f) for f in ("host_path", "image", "source"))
    if count != 1:
        return "Only one of them should be set: 'host_path', 'image' and 'source'"
    if volume.HasField("source"):
        source = volume.source
        kind = source.type
        if kind == _VolumeSource.DOCKER_VOLUME:
            if not source.HasField("docker_volume"):
                return "'source.docker_volume' is not set for DOCKER_VOLUME volume"
        elif kind == _VolumeSource.HOST_PATH:
            if not source.HasField("host_path"):
                return "'source.host_path' is not set for HOST_PATH volume"
        elif kind == _VolumeSource.SANDBOX_PATH:
            if not source.HasField("sandbox_path"):
                return "'source.sandbox_path' is not set for SANDBOX_PATH volume"
        elif kind == _VolumeSource.SECRET:
            if not source.HasField("secret"):
                return "'source.secret' is not set for SECRET volume"
        elif kind == _VolumeSource.CSI_VOLUME:
            if not source.HasField("csi_volume"):
                return "'source.csi_volume' is not set for CSI volume"
            if not source.csi_volume.HasField("static_provisioning"):
                return "'source.csi_volume.static_provisioning' is not set for CSI volume"
        else:
            return "'source.type' is unknown"
    return None


def validate_container_info(container: mesos_pb2.ContainerInfo) -> str | None:
    """Mesos `validateContainerInfo`: volumes, DOCKER needs `docker`, no `name` parameter."""
    for volume in container.volumes:
        error = _volume_error(volume)
        if error is not None:
            return f"Invalid volume: {error}"
    if container.type == _ContainerInfo.DOCKER:
        if not container.HasField("docker"):
            return "DockerInfo 'docker' is not set for DOCKER typed ContainerInfo"
        for parameter in container.docker.parameters:
            if parameter.key == "name":
                return "Parameter in DockerInfo must not be 'name'"
    return None


def _command_kind(command: mesos_pb2.CommandInfo) -> str:
    return "'shell command'" if command.shell else "'executable path'"


def validate_health_check(check: mesos_pb2.HealthCheck) -> str | None:
    """Mesos `validateHealthCheck`."""
    if not check.HasField("type"):
        return "HealthCheck must specify 'type'"
    kind = check.type
    if kind == _HealthCheck.COMMAND:
        if not check.HasField("command"):
            return "Expecting 'command' to be set for COMMAND health check"
        if not check.command.HasField("value"):
            return f"Command health check must contain {_command_kind(check.command)}"
        error = validate_command_info(check.command)
        if error is not None:
            return f"Health check's `CommandInfo` is invalid: {error}"
    elif kind == _HealthCheck.HTTP:
        if not check.HasField("http"):
            return "Expecting 'http' to be set for HTTP health check"
        http = check.http
        if http.HasField("scheme") and http.scheme not in ("http", "https"):
            return f"Unsupported HTTP health check scheme: '{http.scheme}'"
        if http.HasField("path") and not http.path.startswith("/"):
            return f"The path '{http.path}' of HTTP health check must start with '/'"
    elif kind == _HealthCheck.TCP:
        if not check.HasField("tcp"):
            return "Expecting 'tcp' to be set for TCP health check"
    else:
        return f"'{_HealthCheck.Type.Name(kind)}' is not a valid health check type"
    for field in ("delay_seconds", "grace_period_seconds", "interval_seconds", "timeout_seconds"):
        if check.HasField(field) and getattr(check, field) < 0.0:
            return f"Expecting '{field}' to be non-negative"
    return None


def validate_check_info(check: mesos_pb2.CheckInfo) -> str | None:
    """Mesos `validateCheckInfo`."""
    if not check.HasField("type"):
        return "CheckInfo must specify 'type'"
    kind = check.type
    if kind == _CheckInfo.COMMAND:
        if not check.HasField("command"):
            return "Expecting 'command' to be set for COMMAND check"
        command = check.command.command
        if not command.HasField("value"):
            return f"Command check must contain {_command_kind(command)}"
        error = validate_command_info(command)
        if error is not None:
            return f"Check's `CommandInfo` is invalid: {error}"
    elif kind == _CheckInfo.HTTP:
        if not check.HasField("http"):
            return "Expecting 'http' to be set for HTTP check"
        if check.http.HasField("path") and not check.http.path.startswith("/"):
            return f"The path '{check.http.path}' of HTTP check must start with '/'"
    elif kind == _CheckInfo.TCP:
        if not check.HasField("tcp"):
            return "Expecting 'tcp' to be set for TCP check"
    else:
        return f"'{_CheckInfo.Type.Name(kind)}' is not a valid check type"
    for field in ("delay_seconds", "interval_seconds", "timeout_seconds"):
        if check.HasField(field) and getattr(check, field) < 0.0:
            return f"Expecting '{field}' to be non-negative"
    return None


# --------------------------------------------------------------------------- resource rules


def _persistence_error(resources: Iterable[mesos_pb2.Resource]) -> str | None:
    seen: set[tuple[str, str]] = set()
    for resource in resources:
        if not (resource.HasField("disk") and resource.disk.HasField("persistence")):
            continue
        role = resource.reservations[-1].role if resource.reservations else resource.role
        key = (role, resource.disk.persistence.id)
        if key in seen:
            return f"Persistence ID '{key[1]}' is not unique"
        seen.add(key)
    return None


def _single_role_error(resources: Iterable[mesos_pb2.Resource], allocation_role: str) -> str | None:
    role: str | None = None
    for resource in resources:
        if resource.HasField("allocation_info"):
            if not resource.allocation_info.HasField("role"):
                return "The resources are not allocated to a role"
            this = resource.allocation_info.role
        else:
            this = allocation_role  # what the master would have injected
        if role is None:
            role = this
        elif this != role:
            return (
                f"The resources have multiple allocation roles ('{this}' and '{role}')"
                " but only one allocation role is allowed"
            )
    return None


def _revocable_mix_error(resources: Iterable[mesos_pb2.Resource]) -> str | None:
    kinds: dict[str, set[bool]] = {}
    for resource in resources:
        kinds.setdefault(resource.name, set()).add(resource.HasField("revocable"))
    for name in sorted(kinds):
        if len(kinds[name]) > 1:
            return f"Cannot use both revocable and non-revocable '{name}' at the same time"
    return None


def _offerable(resource: mesos_pb2.Resource, allocation_role: str) -> bool:
    """Whether a resource can come out of a mesoshim offer at all: unreserved, of the
    offer's allocation role, no disk info, not revocable, not shared, no provider."""
    if resource.reservations or resource.role != "*" or resource.HasField("reservation"):
        return False
    if resource.HasField("allocation_info") and resource.allocation_info.role != allocation_role:
        return False
    return not (
        resource.HasField("disk")
        or resource.HasField("revocable")
        or resource.HasField("shared")
        or resource.HasField("provider_id")
    )


def _format_protos(resources: Sequence[mesos_pb2.Resource], allocation_role: str) -> str:
    """Mesos `stringify(Resources(resources))` once the master has injected the allocation:
    entries with the same name and metadata are merged, in first-seen order."""
    merged: dict[tuple[str, int], list[mesos_pb2.Resource]] = {}
    for resource in resources:
        merged.setdefault((resource_prefix(resource, allocation_role), resource.type), []).append(
            resource
        )
    parts: list[str] = []
    for (prefix, kind), group in merged.items():
        if kind == mesos_pb2.Value.SCALAR:
            millis = sum(millis_from_float(r.scalar.value) for r in group)
            if millis == 0:
                continue
            value = format_scalar(millis / 1000)
        elif kind == mesos_pb2.Value.RANGES:
            intervals = normalize_ranges(
                (x.begin, x.end) for r in group for x in r.ranges.range if x.begin <= x.end
            )
            if not intervals:
                continue
            value = format_ranges(intervals)
        else:
            items: list[str] = []
            for r in group:
                items.extend(i for i in r.set.item if i not in items)
            if not items:
                continue
            value = format_set(items)
        parts.append(f"{prefix}:{value}")
    return "; ".join(parts) if parts else "{}"


def _json_protos(resources: Iterable[mesos_pb2.Resource]) -> str:
    return json.dumps(
        [json_format.MessageToDict(r, preserving_proto_field_name=True) for r in resources],
        separators=(",", ":"),
    )


# --------------------------------------------------------------------------- tasks


def normalize_task(
    task: mesos_pb2.TaskInfo, *, framework_id: str, allocation_role: str | None = None
) -> None:
    """The master's edits to a LAUNCH task before validation (spec §3.2 step 4), in place.

    Fills `executor.framework_id` when missing, infers a missing `health_check.type`
    (COMMAND when only `command` is set, HTTP when only `http` is), and, with
    `allocation_role`, injects `allocation_info` into resources that lack it."""
    if task.HasField("executor") and not task.executor.HasField("framework_id"):
        task.executor.framework_id.value = framework_id
    if task.HasField("health_check") and not task.health_check.HasField("type"):
        check = task.health_check
        if check.HasField("command") and not check.HasField("http"):
            check.type = _HealthCheck.COMMAND
        elif check.HasField("http") and not check.HasField("command"):
            check.type = _HealthCheck.HTTP
    if allocation_role is not None:
        resources = list(task.resources)
        if task.HasField("executor"):
            resources.extend(task.executor.resources)
        for resource in resources:
            if not resource.HasField("allocation_info"):
                resource.allocation_info.role = allocation_role


def validate_launch_operation(operation: mesos_pb2.Offer.Operation) -> str | None:
    """ACCEPT steps 2-3 for a LAUNCH: the error every task of it gets (TASK_ERROR,
    REASON_TASK_INVALID), else None. Resource structure first, then the `id` rule."""
    if not operation.HasField("launch"):
        return "A LAUNCH offer operation must have the Offer.Operation.launch field set."
    for task in operation.launch.task_infos:
        error = validate_resources(task.resources)
        if error is None and task.HasField("executor"):
            error = validate_resources(task.executor.resources)
        if error is not None:
            return error
    if operation.HasField("id"):
        return "The `id` field cannot be set on LAUNCH operations"
    return None


def validate_launch_group(
    launch_group: mesos_pb2.Offer.Operation.LaunchGroup | None = None,
) -> str:
    """LAUNCH_GROUP is out of scope: every task of the group gets TASK_ERROR with
    REASON_TASK_GROUP_INVALID and this message."""
    del launch_group
    return LAUNCH_GROUP_UNSUPPORTED


def _duration_negative(duration: mesos_pb2.DurationInfo) -> bool:
    return duration.nanoseconds < 0


def _validate_task_fields(
    task: mesos_pb2.TaskInfo,
    *,
    agent_id: str,
    used_task_ids: Container[str],
    unreachable_task_ids: Container[str],
    allocation_role: str,
    agent_supports_limits: bool,
) -> str | None:
    """Mesos `validateTask` (rows 1-11)."""
    task_id = task.task_id.value
    error = validate_id(task_id)
    if error is not None:
        return error
    if task_id in used_task_ids:
        return f"Task has duplicate ID: {task_id}"
    if task_id in unreachable_task_ids:
        return f"Task reuses the ID of an unreachable task: {task_id}"
    if task.agent_id.value != agent_id:
        return f"Task uses invalid agent {task.agent_id.value} while agent {agent_id} is expected"
    if (
        task.HasField("kill_policy")
        and task.kill_policy.HasField("grace_period")
        and _duration_negative(task.kill_policy.grace_period)
    ):
        return "Task's 'kill_policy.grace_period' must be non-negative"
    if task.HasField("max_completion_time") and _duration_negative(task.max_completion_time):
        return "Task's `max_completion_time` must be non-negative"
    if task.HasField("check"):
        error = validate_check_info(task.check)
        if error is not None:
            return f"Task uses invalid check: {error}"
    if task.HasField("health_check"):
        error = validate_health_check(task.health_check)
        if error is not None:
            return f"Task uses invalid health check: {error}"

    resources = task.resources
    if not resources:
        return "Task uses no resources"
    error = validate_master_resources(resources)
    if error is not None:
        return f"Task uses invalid resources: {error}"
    error = _persistence_error(resources)
    if error is not None:
        return f"Task uses duplicate persistence ID: {error}"
    error = _single_role_error(resources, allocation_role)
    if error is not None:
        return f"Invalid task resources: {error}"
    error = _revocable_mix_error(resources)
    if error is not None:
        return f"Task mixes revocable and non-revocable resources: {error}"

    if task.HasField("command"):
        error = validate_command_info(task.command)
        if error is not None:
            return f"Task's `CommandInfo` is invalid: {error}"
    if task.HasField("container"):
        error = validate_container_info(task.container)
        if error is not None:
            return f"Task's `ContainerInfo` is invalid: {error}"

    limits = task.limits
    if limits:
        if not agent_supports_limits:
            return "Agent is not capable of handling task resource limits"
        if any(name not in ("cpus", "mem") for name in limits):
            return "Only cpus and mem may be included in a task's resource limits"
        scalars = {r.name: r.scalar.value for r in resources if r.type == mesos_pb2.Value.SCALAR}
        requested = Resources.from_proto(resources) if scalars else Resources()
        if "cpus" in limits:
            if "cpus" not in scalars:
                return "When a CPU limit is specified, a CPU request must also be specified"
            if limits["cpus"].value < requested.cpus:
                return "The cpu limit must be greater than or equal to the cpu request"
        if "mem" in limits:
            if "mem" not in scalars:
                return "When a memory limit is specified, a memory request must also be specified"
            limit = limits["mem"].value
            if not math.isinf(limit) and limit < requested.mem:
                return "The memory limit must be greater than or equal to the memory request"
    return None


def _validate_executor_info(
    executor: mesos_pb2.ExecutorInfo,
    *,
    framework_id: str,
    allocation_role: str,
    existing_executor: mesos_pb2.ExecutorInfo | None,
) -> str | None:
    """Mesos `executor::internal::validate` (spec §4.2)."""
    kind = executor.type
    if kind == _ExecutorInfo.DEFAULT:
        if executor.HasField("command"):
            return "'ExecutorInfo.command' must not be set for 'DEFAULT' executor"
        if executor.HasField("container"):
            if executor.container.type != _ContainerInfo.MESOS:
                return "'ExecutorInfo.container.type' must be 'MESOS' for 'DEFAULT' executor"
            if executor.container.mesos.HasField("image"):
                return "'ExecutorInfo.container.mesos.image' must not be set for 'DEFAULT' executor"
    elif kind == _ExecutorInfo.CUSTOM and not executor.HasField("command"):
        return "'ExecutorInfo.command' must be set for 'CUSTOM' executor"
    error = validate_id(executor.executor_id.value)
    if error is not None:
        return error
    if executor.HasField("shutdown_grace_period") and _duration_negative(
        executor.shutdown_grace_period
    ):
        return "ExecutorInfo's 'shutdown_grace_period' must be non-negative"
    if executor.HasField("command"):
        error = validate_command_info(executor.command)
        if error is not None:
            return f"Executor's `CommandInfo` is invalid: {error}"
    if executor.HasField("container"):
        error = validate_container_info(executor.container)
        if error is not None:
            return f"Executor's `ContainerInfo` is invalid: {error}"

    if not executor.HasField("framework_id"):
        return "'ExecutorInfo.framework_id' must be set"
    if executor.framework_id.value != framework_id:
        return (
            f"ExecutorInfo has an invalid FrameworkID (Actual: {executor.framework_id.value}"
            f" vs Expected: {framework_id})"
        )

    resources = executor.resources
    error = validate_master_resources(resources)
    if error is not None:
        return f"Executor uses invalid resources: {error}"
    error = _persistence_error(resources)
    if error is not None:
        return f"Executor uses duplicate persistence ID: {error}"
    error = _single_role_error(resources, allocation_role)
    if error is not None:
        return f"Invalid executor resources: {error}"
    error = _revocable_mix_error(resources)
    if error is not None:
        return f"Executor mixes revocable and non-revocable resources: {error}"

    if existing_executor is not None and existing_executor != executor:
        rule = "-" * 60
        return (
            "ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID.\n"
            f"{rule}\nExisting ExecutorInfo:\n{_debug_string(existing_executor)}\n"
            f"{rule}\nExecutorInfo:\n{_debug_string(executor)}\n{rule}\n"
        )
    return None


def _debug_string(message: mesos_pb2.ExecutorInfo) -> str:
    return text_format.MessageToString(message)


def validate_task(
    task: mesos_pb2.TaskInfo,
    *,
    agent_id: str,
    offered: Resources,
    used_task_ids: Container[str],
    framework_id: str,
    executor_running: bool,
    allocation_role: str = "*",
    existing_executor: mesos_pb2.ExecutorInfo | None = None,
    unreachable_task_ids: Container[str] = (),
    agent_supports_limits: bool = True,
) -> str | None:
    """Validate one task of a LAUNCH (spec §4.1, rows 1-16, in Mesos' order).

    `offered` is what is left of the accepted offers (tasks earlier in the same
    ACCEPT already subtracted); `used_task_ids` are the framework's live task ids
    (including earlier tasks of the same ACCEPT); `executor_running` says whether the
    task's executor already runs on the agent (then its resources are not counted
    again) and `existing_executor` is that executor's ExecutorInfo when known (a new
    one must be identical). `allocation_role` is the offers' allocation role, standing
    in for `allocation_info` the master injects (see `normalize_task`).

    Mesoshim offers only unreserved, non-revocable resources without disk info, so a
    task asking for anything else fails row 15."""
    error = _validate_task_fields(
        task,
        agent_id=agent_id,
        used_task_ids=used_task_ids,
        unreachable_task_ids=unreachable_task_ids,
        allocation_role=allocation_role,
        agent_supports_limits=agent_supports_limits,
    )
    if error is not None:
        return error

    # ---- validateExecutor
    if task.HasField("executor") == task.HasField("command"):
        return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
    required: list[mesos_pb2.Resource] = list(task.resources)
    if task.HasField("executor"):
        executor = task.executor
        error = _validate_executor_info(
            executor,
            framework_id=framework_id,
            allocation_role=allocation_role,
            existing_executor=existing_executor if executor_running else None,
        )
        if error is not None:
            return error
        if executor.HasField("type") and executor.type != _ExecutorInfo.CUSTOM:
            return "'ExecutorInfo.type' must be 'CUSTOM'"
        if not executor.HasField("command"):
            return "'ExecutorInfo.command' must be set"
        shared = [r for r in executor.resources if r.HasField("shared")]
        if shared:
            return (
                f"Executor resources {_format_protos(list(executor.resources), allocation_role)}"
                " should not contain any shared resources"
            )
        if (
            executor.HasField("container")
            and executor.container.HasField("linux_info")
            and executor.container.linux_info.HasField("share_cgroups")
            and executor.container.linux_info.share_cgroups
        ):
            return "The 'share_cgroups' field cannot be set to 'true' on executor containers"
        if not executor_running:
            required.extend(executor.resources)

        # validateTaskAndExecutorResources (always with the executor's resources)
        both = [*task.resources, *executor.resources]
        error = validate_master_resources(both)
        if error is not None:
            return f"Task and its executor use invalid resources: {error}"
        task_value = Resources.from_proto(task.resources)
        executor_value = Resources.from_proto(executor.resources)
        if task_value.overlaps(executor_value):
            return (
                f"There are overlapping resources in the task resources "
                f"{_json_protos(task.resources)} and executor resources "
                f"{_json_protos(executor.resources)}"
            )
        error = _persistence_error(both)
        if error is not None:
            return f"Task and its executor use duplicate persistence ID: {error}"
        error = _revocable_mix_error(both)
        if error is not None:
            return f"Task and its executor mix revocable and non-revocable resources: {error}"

    # Row 15: the offer must contain the task (and a new executor).
    if not (
        all(_offerable(r, allocation_role) for r in required)
        and offered.contains(Resources.from_proto(required))
    ):
        return (
            f"Total resources {_format_protos(required, allocation_role)} required by task"
            f" and its executor is more than available {offered.format(allocation_role)}"
        )

    # Row 16 (validateShareCgroups)
    if (
        task.HasField("container")
        and task.container.HasField("linux_info")
        and task.container.linux_info.HasField("share_cgroups")
        and not task.container.linux_info.share_cgroups
    ):
        return "Only tasks in a task group may have 'share_cgroups' set to 'false'"
    return None
