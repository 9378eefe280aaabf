"""mesoshim.validation: the master's checks, with Mesos' exact error texts.

Tables follow the spec (`mesos-api.md` §2.2, §3.2, §4.1): one row per rule, in the
order Mesos applies them; the ordering tests pin down which error wins when a task
breaks several rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.resources import Resources
from mesoshim.validation import (
    LAUNCH_GROUP_UNSUPPORTED,
    normalize_task,
    refuse_seconds,
    validate_framework_info,
    validate_launch_group,
    validate_launch_operation,
    validate_offer_ids,
    validate_task,
)

AGENT = "agent-1"
FW = "fw-1"
OFFERED = Resources.parse("cpus:4;mem:1024;disk:1000;ports:[31000-32000]")
OFFERED_TEXT = (
    "cpus(allocated: *):4; mem(allocated: *):1024; disk(allocated: *):1000;"
    " ports(allocated: *):[31000-32000]"
)

Edit = Callable[[mesos_pb2.TaskInfo], Any]


def scalar(name: str, value: float, **fields: Any) -> mesos_pb2.Resource:
    return mesos_pb2.Resource(
        name=name, type=mesos_pb2.Value.SCALAR, scalar=mesos_pb2.Value.Scalar(value=value), **fields
    )


def ports(*intervals: tuple[int, int]) -> mesos_pb2.Resource:
    resource = mesos_pb2.Resource(name="ports", type=mesos_pb2.Value.RANGES)
    for begin, end in intervals:
        resource.ranges.range.add(begin=begin, end=end)
    return resource


def base_task() -> mesos_pb2.TaskInfo:
    task = mesos_pb2.TaskInfo(name="web")
    task.task_id.value = "t1"
    task.agent_id.value = AGENT
    task.resources.extend([scalar("cpus", 1), scalar("mem", 128)])
    task.command.value = "sleep 10"
    return task


def with_executor(task: mesos_pb2.TaskInfo) -> mesos_pb2.ExecutorInfo:
    """Swap the task's command for a custom executor; returns the executor to edit further."""
    task.ClearField("command")
    executor = task.executor
    executor.executor_id.value = "exec-1"
    executor.framework_id.value = FW
    executor.command.value = "./executor"
    executor.resources.extend([scalar("cpus", 0.1), scalar("mem", 32)])
    return executor


def run(edit: Edit | None = None, **kwargs: Any) -> str | None:
    task = base_task()
    if edit is not None:
        edit(task)
    options: dict[str, Any] = {
        "agent_id": AGENT,
        "offered": OFFERED,
        "used_task_ids": set(),
        "framework_id": FW,
        "executor_running": False,
    }
    options.update(kwargs)
    return validate_task(task, **options)


def steps(*edits: Edit) -> Edit:
    def apply(task: mesos_pb2.TaskInfo) -> None:
        for edit in edits:
            edit(task)

    return apply


def set_id(value: str) -> Edit:
    return lambda t: setattr(t.task_id, "value", value)


def set_resources(*resources: mesos_pb2.Resource) -> Edit:
    def apply(task: mesos_pb2.TaskInfo) -> None:
        del task.resources[:]
        task.resources.extend(resources)

    return apply


def health(**fields: Any) -> Edit:
    return lambda t: t.health_check.MergeFrom(mesos_pb2.HealthCheck(**fields))


def check(**fields: Any) -> Edit:
    return lambda t: t.check.MergeFrom(mesos_pb2.CheckInfo(**fields))


def env(**fields: Any) -> Edit:
    return lambda t: t.command.environment.variables.add(name="X", **fields)


def container(**fields: Any) -> Edit:
    return lambda t: t.container.MergeFrom(mesos_pb2.ContainerInfo(**fields))


def share_cgroups(value: bool) -> Callable[[mesos_pb2.TaskInfo | mesos_pb2.ExecutorInfo], None]:
    def apply(holder: mesos_pb2.TaskInfo | mesos_pb2.ExecutorInfo) -> None:
        holder.container.type = mesos_pb2.ContainerInfo.MESOS  # the proto2 default is DOCKER
        holder.container.linux_info.share_cgroups = value

    return apply


def limit(name: str, value: float) -> Edit:
    return lambda t: setattr(t.limits[name], "value", value)


def executor_edit(*edits: Callable[[mesos_pb2.ExecutorInfo], Any]) -> Edit:
    def apply(task: mesos_pb2.TaskInfo) -> None:
        executor = with_executor(task)
        for edit in edits:
            edit(executor)

    return apply


def clear(field: str) -> Callable[[mesos_pb2.ExecutorInfo], None]:
    return lambda e: e.ClearField(field)


def executor_type(kind: mesos_pb2.ExecutorInfo.Type) -> Callable[[mesos_pb2.ExecutorInfo], None]:
    return lambda e: setattr(e, "type", kind)


def volume(*, resource_role: str = "web", persistence: str = "v1") -> mesos_pb2.Resource:
    disk = scalar("disk", 10, role=resource_role)
    disk.disk.persistence.id = persistence
    disk.disk.volume.container_path = "data"
    disk.disk.volume.mode = mesos_pb2.Volume.RW
    return disk


def allocated(resource: mesos_pb2.Resource, role: str) -> mesos_pb2.Resource:
    resource.allocation_info.role = role
    return resource


def revocable(resource: mesos_pb2.Resource) -> mesos_pb2.Resource:
    resource.revocable.SetInParent()
    return resource


COMMAND = mesos_pb2.HealthCheck.COMMAND
HTTP = mesos_pb2.HealthCheck.HTTP
TCP = mesos_pb2.HealthCheck.TCP

# (edit, extra validate_task arguments, exact message) — spec §4.1 rows 1-16 in order.
TASK_ROWS = [
    # Row 1: task id
    pytest.param(set_id(""), {}, "ID must not be empty", id="1-empty-id"),
    pytest.param(
        set_id("x" * 256), {}, "ID must not be greater than 255 characters", id="1-long-id"
    ),
    pytest.param(set_id("."), {}, "'.' is disallowed", id="1-dot"),
    pytest.param(set_id(".."), {}, "'..' is disallowed", id="1-dotdot"),
    pytest.param(set_id("a/b"), {}, "'a/b' contains invalid characters", id="1-slash"),
    pytest.param(set_id("a\\b"), {}, "'a\\b' contains invalid characters", id="1-backslash"),
    pytest.param(set_id("a\tb"), {}, "'a\tb' contains invalid characters", id="1-control"),
    # Row 2: duplicate / unreachable ids
    pytest.param(None, {"used_task_ids": {"t1"}}, "Task has duplicate ID: t1", id="2-duplicate"),
    pytest.param(
        None,
        {"unreachable_task_ids": {"t1"}},
        "Task reuses the ID of an unreachable task: t1",
        id="2b-unreachable",
    ),
    # Row 3: agent
    pytest.param(
        lambda t: setattr(t.agent_id, "value", "agent-2"),
        {},
        "Task uses invalid agent agent-2 while agent agent-1 is expected",
        id="3-agent",
    ),
    # Row 4-5: durations
    pytest.param(
        lambda t: setattr(t.kill_policy.grace_period, "nanoseconds", -1),
        {},
        "Task's 'kill_policy.grace_period' must be non-negative",
        id="4-kill-policy",
    ),
    pytest.param(
        lambda t: setattr(t.max_completion_time, "nanoseconds", -1),
        {},
        "Task's `max_completion_time` must be non-negative",
        id="5-max-completion-time",
    ),
    # Row 6: check
    pytest.param(
        lambda t: t.check.SetInParent(),
        {},
        "Task uses invalid check: CheckInfo must specify 'type'",
        id="6-check-type",
    ),
    pytest.param(
        check(type=mesos_pb2.CheckInfo.COMMAND),
        {},
        "Task uses invalid check: Expecting 'command' to be set for COMMAND check",
        id="6-check-command",
    ),
    pytest.param(
        check(type=mesos_pb2.CheckInfo.COMMAND, command={"command": {}}),
        {},
        "Task uses invalid check: Command check must contain 'shell command'",
        id="6-check-command-value",
    ),
    pytest.param(
        check(type=mesos_pb2.CheckInfo.HTTP),
        {},
        "Task uses invalid check: Expecting 'http' to be set for HTTP check",
        id="6-check-http",
    ),
    pytest.param(
        check(type=mesos_pb2.CheckInfo.HTTP, http={"port": 80, "path": "health"}),
        {},
        "Task uses invalid check: The path 'health' of HTTP check must start with '/'",
        id="6-check-http-path",
    ),
    pytest.param(
        check(type=mesos_pb2.CheckInfo.TCP),
        {},
        "Task uses invalid check: Expecting 'tcp' to be set for TCP check",
        id="6-check-tcp",
    ),
    pytest.param(
        check(type=mesos_pb2.CheckInfo.TCP, tcp={"port": 1}, interval_seconds=-1),
        {},
        "Task uses invalid check: Expecting 'interval_seconds' to be non-negative",
        id="6-check-interval",
    ),
    # Row 7: health check
    pytest.param(
        health(command={"value": "true"}),
        {},
        "Task uses invalid health check: HealthCheck must specify 'type'",
        id="7-health-type",
    ),
    pytest.param(
        health(type=COMMAND),
        {},
        "Task uses invalid health check: Expecting 'command' to be set for COMMAND health check",
        id="7-health-command",
    ),
    pytest.param(
        health(type=COMMAND, command={"shell": False}),
        {},
        "Task uses invalid health check: Command health check must contain 'executable path'",
        id="7-health-command-value",
    ),
    pytest.param(
        health(type=COMMAND, command={"value": "x", "environment": {"variables": [{"name": "E"}]}}),
        {},
        "Task uses invalid health check: Health check's `CommandInfo` is invalid:"
        " Environment variable 'E' of type 'VALUE' must have a value set",
        id="7-health-command-env",
    ),
    pytest.param(
        health(type=HTTP),
        {},
        "Task uses invalid health check: Expecting 'http' to be set for HTTP health check",
        id="7-health-http",
    ),
    pytest.param(
        health(type=HTTP, http={"port": 80, "scheme": "ftp"}),
        {},
        "Task uses invalid health check: Unsupported HTTP health check scheme: 'ftp'",
        id="7-health-scheme",
    ),
    pytest.param(
        health(type=HTTP, http={"port": 80, "path": "x"}),
        {},
        "Task uses invalid health check: The path 'x' of HTTP health check must start with '/'",
        id="7-health-path",
    ),
    pytest.param(
        health(type=TCP),
        {},
        "Task uses invalid health check: Expecting 'tcp' to be set for TCP health check",
        id="7-health-tcp",
    ),
    pytest.param(
        health(type=TCP, tcp={"port": 1}, delay_seconds=-1),
        {},
        "Task uses invalid health check: Expecting 'delay_seconds' to be non-negative",
        id="7-health-delay",
    ),
    pytest.param(
        health(type=TCP, tcp={"port": 1}, grace_period_seconds=-1),
        {},
        "Task uses invalid health check: Expecting 'grace_period_seconds' to be non-negative",
        id="7-health-grace",
    ),
    pytest.param(
        health(type=TCP, tcp={"port": 1}, timeout_seconds=-0.5),
        {},
        "Task uses invalid health check: Expecting 'timeout_seconds' to be non-negative",
        id="7-health-timeout",
    ),
    # Row 8: resources
    pytest.param(set_resources(), {}, "Task uses no resources", id="8-no-resources"),
    pytest.param(
        set_resources(scalar("cpus", -1)),
        {},
        "Task uses invalid resources: Invalid resources: Resource 'cpus:-1' is invalid:"
        " Invalid scalar resource: value < 0",
        id="8b-invalid",
    ),
    pytest.param(
        set_resources(scalar("cpus", 1), scalar("gpus", 1.5)),
        {},
        "Task uses invalid resources: Invalid 'gpus' resource:"
        " The 'gpus' resource must be an unsigned integer",
        id="8b-gpus",
    ),
    pytest.param(
        set_resources(scalar("cpus", 1), volume(resource_role="*")),
        {},
        "Task uses invalid resources: Invalid DiskInfo:"
        " Persistent volumes cannot be created from unreserved resources",
        id="8b-diskinfo",
    ),
    pytest.param(
        set_resources(scalar("cpus", 1), volume(), volume()),
        {},
        "Task uses duplicate persistence ID: Persistence ID 'v1' is not unique",
        id="8c-persistence-id",
    ),
    pytest.param(
        set_resources(allocated(scalar("cpus", 1), "a"), allocated(scalar("mem", 1), "b")),
        {},
        "Invalid task resources: The resources have multiple allocation roles ('b' and 'a')"
        " but only one allocation role is allowed",
        id="8d-allocation-roles",
    ),
    pytest.param(
        set_resources(scalar("cpus", 1), allocated(scalar("mem", 1), "eng")),
        {},
        "Invalid task resources: The resources have multiple allocation roles ('eng' and '*')"
        " but only one allocation role is allowed",
        id="8d-injected-role",
    ),
    pytest.param(
        lambda t: t.resources[0].allocation_info.SetInParent(),
        {},
        "Invalid task resources: The resources are not allocated to a role",
        id="8d-no-role",
    ),
    pytest.param(
        set_resources(scalar("cpus", 1), revocable(scalar("cpus", 1))),
        {},
        "Task mixes revocable and non-revocable resources:"
        " Cannot use both revocable and non-revocable 'cpus' at the same time",
        id="8e-revocable",
    ),
    # Row 9: command environment
    pytest.param(
        env(),
        {},
        "Task's `CommandInfo` is invalid: Environment variable 'X' of type 'VALUE' must have a value set",
        id="9-value",
    ),
    pytest.param(
        env(value="v", secret={"type": mesos_pb2.Secret.VALUE, "value": {"data": b"s"}}),
        {},
        "Task's `CommandInfo` is invalid: Environment variable 'X' of type 'VALUE'"
        " must not have a secret set",
        id="9-value-with-secret",
    ),
    pytest.param(
        env(type=mesos_pb2.Environment.Variable.SECRET),
        {},
        "Task's `CommandInfo` is invalid: Environment variable 'X' of type 'SECRET'"
        " must have a secret set",
        id="9-secret",
    ),
    pytest.param(
        env(type=mesos_pb2.Environment.Variable.SECRET, secret={"type": mesos_pb2.Secret.VALUE}),
        {},
        "Task's `CommandInfo` is invalid: Environment variable 'X' specifies an invalid secret:"
        " Secret of type VALUE must have the 'value' field set",
        id="9-secret-value",
    ),
    pytest.param(
        env(
            type=mesos_pb2.Environment.Variable.SECRET,
            secret={"type": mesos_pb2.Secret.VALUE, "value": {"data": b"a\0b"}},
        ),
        {},
        "Task's `CommandInfo` is invalid: Environment variable 'X' specifies a secret containing"
        " null bytes, which is not allowed in the environment",
        id="9-secret-nul",
    ),
    pytest.param(
        env(type=mesos_pb2.Environment.Variable.UNKNOWN),
        {},
        "Task's `CommandInfo` is invalid: Environment variable of type 'UNKNOWN' is not allowed",
        id="9-unknown",
    ),
    # Row 10: container
    pytest.param(
        container(type=mesos_pb2.ContainerInfo.DOCKER),
        {},
        "Task's `ContainerInfo` is invalid: DockerInfo 'docker' is not set for DOCKER typed ContainerInfo",
        id="10-docker",
    ),
    pytest.param(
        container(
            type=mesos_pb2.ContainerInfo.DOCKER,
            docker={"image": "busybox", "parameters": [{"key": "name", "value": "x"}]},
        ),
        {},
        "Task's `ContainerInfo` is invalid: Parameter in DockerInfo must not be 'name'",
        id="10-docker-name",
    ),
    pytest.param(
        container(
            type=mesos_pb2.ContainerInfo.MESOS,
            volumes=[{"container_path": "c", "mode": mesos_pb2.Volume.RW}],
        ),
        {},
        "Task's `ContainerInfo` is invalid: Invalid volume:"
        " Only one of them should be set: 'host_path', 'image' and 'source'",
        id="10-volume-none",
    ),
    pytest.param(
        container(
            type=mesos_pb2.ContainerInfo.MESOS,
            volumes=[
                {
                    "container_path": "c",
                    "mode": mesos_pb2.Volume.RW,
                    "source": {"type": mesos_pb2.Volume.Source.HOST_PATH},
                }
            ],
        ),
        {},
        "Task's `ContainerInfo` is invalid: Invalid volume:"
        " 'source.host_path' is not set for HOST_PATH volume",
        id="10-volume-source",
    ),
    # Row 11: limits
    pytest.param(
        limit("cpus", 1),
        {"agent_supports_limits": False},
        "Agent is not capable of handling task resource limits",
        id="11-agent",
    ),
    pytest.param(
        limit("gpus", 1),
        {},
        "Only cpus and mem may be included in a task's resource limits",
        id="11-names",
    ),
    pytest.param(
        steps(set_resources(scalar("mem", 128)), limit("cpus", 1)),
        {},
        "When a CPU limit is specified, a CPU request must also be specified",
        id="11-cpu-request",
    ),
    pytest.param(
        limit("cpus", 0.5),
        {},
        "The cpu limit must be greater than or equal to the cpu request",
        id="11-cpu",
    ),
    pytest.param(
        steps(set_resources(scalar("cpus", 1)), limit("mem", 64)),
        {},
        "When a memory limit is specified, a memory request must also be specified",
        id="11-mem-request",
    ),
    pytest.param(
        limit("mem", 127.5),
        {},
        "The memory limit must be greater than or equal to the memory request",
        id="11-mem",
    ),
    # Row 12: command xor executor
    pytest.param(
        lambda t: t.ClearField("command"),
        {},
        "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present",
        id="12-neither",
    ),
    pytest.param(
        steps(with_executor, lambda t: setattr(t.command, "value", "x")),
        {},
        "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present",
        id="12-both",
    ),
    # Row 13: executor
    pytest.param(
        executor_edit(executor_type(mesos_pb2.ExecutorInfo.DEFAULT)),
        {},
        "'ExecutorInfo.command' must not be set for 'DEFAULT' executor",
        id="13-default-command",
    ),
    pytest.param(
        executor_edit(executor_type(mesos_pb2.ExecutorInfo.DEFAULT), clear("command")),
        {},
        "'ExecutorInfo.type' must be 'CUSTOM'",
        id="13-type",
    ),
    pytest.param(
        executor_edit(executor_type(mesos_pb2.ExecutorInfo.CUSTOM), clear("command")),
        {},
        "'ExecutorInfo.command' must be set for 'CUSTOM' executor",
        id="13-custom-command",
    ),
    pytest.param(
        executor_edit(clear("command")),
        {},
        "'ExecutorInfo.command' must be set",
        id="13-command",
    ),
    pytest.param(
        executor_edit(lambda e: setattr(e.executor_id, "value", "")),
        {},
        "ID must not be empty",
        id="13-executor-id",
    ),
    pytest.param(
        executor_edit(lambda e: setattr(e.shutdown_grace_period, "nanoseconds", -1)),
        {},
        "ExecutorInfo's 'shutdown_grace_period' must be non-negative",
        id="13-grace",
    ),
    pytest.param(
        executor_edit(lambda e: e.command.environment.variables.add(name="E")),
        {},
        "Executor's `CommandInfo` is invalid: Environment variable 'E' of type 'VALUE'"
        " must have a value set",
        id="13-command-env",
    ),
    pytest.param(
        executor_edit(lambda e: setattr(e.container, "type", mesos_pb2.ContainerInfo.DOCKER)),
        {},
        "Executor's `ContainerInfo` is invalid:"
        " DockerInfo 'docker' is not set for DOCKER typed ContainerInfo",
        id="13-container",
    ),
    pytest.param(
        executor_edit(clear("framework_id")),
        {},
        "'ExecutorInfo.framework_id' must be set",
        id="13-framework-missing",
    ),
    pytest.param(
        executor_edit(lambda e: setattr(e.framework_id, "value", "fw-2")),
        {},
        "ExecutorInfo has an invalid FrameworkID (Actual: fw-2 vs Expected: fw-1)",
        id="13-framework",
    ),
    pytest.param(
        executor_edit(lambda e: e.resources.append(scalar("mem", -1))),
        {},
        "Executor uses invalid resources: Invalid resources: Resource 'mem:-1' is invalid:"
        " Invalid scalar resource: value < 0",
        id="13-resources",
    ),
    pytest.param(
        executor_edit(lambda e: e.resources.append(allocated(scalar("disk", 1), "eng"))),
        {},
        "Invalid executor resources: The resources have multiple allocation roles"
        " ('eng' and '*') but only one allocation role is allowed",
        id="13-allocation",
    ),
    pytest.param(
        executor_edit(lambda e: e.resources.append(revocable(scalar("mem", 1)))),
        {},
        "Executor mixes revocable and non-revocable resources:"
        " Cannot use both revocable and non-revocable 'mem' at the same time",
        id="13-revocable",
    ),
    pytest.param(
        executor_edit(share_cgroups(True)),
        {},
        "The 'share_cgroups' field cannot be set to 'true' on executor containers",
        id="13-share-cgroups",
    ),
    # Row 14: task + executor
    pytest.param(
        steps(
            executor_edit(lambda e: e.resources.append(ports((31000, 31001)))),
            lambda t: t.resources.append(ports((31001, 31001))),
        ),
        {},
        "There are overlapping resources in the task resources"
        ' [{"name":"cpus","type":"SCALAR","scalar":{"value":1.0}},'
        '{"name":"mem","type":"SCALAR","scalar":{"value":128.0}},'
        '{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":"31001","end":"31001"}]}}]'
        " and executor resources"
        ' [{"name":"cpus","type":"SCALAR","scalar":{"value":0.1}},'
        '{"name":"mem","type":"SCALAR","scalar":{"value":32.0}},'
        '{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":"31000","end":"31001"}]}}]',
        id="14-overlap",
    ),
    pytest.param(
        steps(
            executor_edit(lambda e: e.resources.append(revocable(scalar("gpus", 1)))),
            lambda t: t.resources.append(scalar("gpus", 1)),
        ),
        {},
        "Task and its executor mix revocable and non-revocable resources:"
        " Cannot use both revocable and non-revocable 'gpus' at the same time",
        id="14-revocable",
    ),
    # Row 15: the offer must contain it all
    pytest.param(
        set_resources(scalar("cpus", 5), scalar("mem", 128)),
        {},
        "Total resources cpus(allocated: *):5; mem(allocated: *):128 required by task and its"
        f" executor is more than available {OFFERED_TEXT}",
        id="15-cpus",
    ),
    pytest.param(
        set_resources(scalar("cpus", 1), ports((30999, 31000))),
        {},
        "Total resources cpus(allocated: *):1; ports(allocated: *):[30999-31000] required by task"
        f" and its executor is more than available {OFFERED_TEXT}",
        id="15-ports",
    ),
    pytest.param(
        set_resources(scalar("cpus", 0.5), scalar("cpus", 0.7), scalar("gpus", 1)),
        {},
        "Total resources cpus(allocated: *):1.2; gpus(allocated: *):1 required by task and its"
        f" executor is more than available {OFFERED_TEXT}",
        id="15-gpus",
    ),
    pytest.param(
        executor_edit(),
        {"offered": Resources.parse("cpus:1.05;mem:1024")},
        "Total resources cpus(allocated: *):1.1; mem(allocated: *):160 required by task and its"
        " executor is more than available cpus(allocated: *):1.05; mem(allocated: *):1024",
        id="15-new-executor",
    ),
    pytest.param(
        set_resources(scalar("cpus", 1, role="web")),
        {},
        "Total resources cpus(allocated: *)(reservations: [(STATIC,web)]):1 required by task and"
        f" its executor is more than available {OFFERED_TEXT}",
        id="15-reserved",
    ),
    pytest.param(
        set_resources(allocated(scalar("cpus", 1), "eng")),
        {},
        "Total resources cpus(allocated: eng):1 required by task and its executor is more than"
        f" available {OFFERED_TEXT}",
        id="15-allocation-role",
    ),
    pytest.param(
        set_resources(revocable(scalar("cpus", 1))),
        {},
        "Total resources cpus(allocated: *){REV}:1 required by task and its executor is more than"
        f" available {OFFERED_TEXT}",
        id="15-revocable",
    ),
    pytest.param(
        set_resources(scalar("cpus", 1)),
        {"offered": Resources(), "allocation_role": "eng"},
        "Total resources cpus(allocated: eng):1 required by task and its executor is more than"
        " available {}",
        id="15-empty-offer",
    ),
    # Row 16
    pytest.param(
        share_cgroups(False),
        {},
        "Only tasks in a task group may have 'share_cgroups' set to 'false'",
        id="16-share-cgroups",
    ),
]


@pytest.mark.parametrize(("edit", "kwargs", "message"), TASK_ROWS)
def test_task_rule(edit: Edit | None, kwargs: dict[str, Any], message: str) -> None:
    assert run(edit, **kwargs) == message


VALID_TASKS = [
    pytest.param(None, {}, id="command-task"),
    pytest.param(executor_edit(), {}, id="executor-task"),
    pytest.param(
        executor_edit(),
        {"offered": Resources.parse("cpus:1.05;mem:1024"), "executor_running": True},
        id="running-executor-not-counted-again",
    ),
    pytest.param(
        lambda t: t.resources.append(ports((31000, 31000), (31005, 31007))), {}, id="ports"
    ),
    pytest.param(set_resources(scalar("cpus", 4), scalar("mem", 1024)), {}, id="whole-offer"),
    pytest.param(
        lambda t: [r.allocation_info.__setattr__("role", "eng") for r in t.resources],
        {"allocation_role": "eng"},
        id="multi-role",
    ),
    pytest.param(lambda t: setattr(t.resources[0], "role", "*"), {}, id="pre-refinement-star"),
    pytest.param(
        steps(limit("cpus", 2), limit("mem", math.inf)), {}, id="limits-with-unlimited-memory"
    ),
    pytest.param(health(type=COMMAND, command={"value": "true"}), {}, id="health-check"),
    pytest.param(share_cgroups(True), {}, id="cgroups"),
    pytest.param(
        set_id("x" * 255), {"used_task_ids": {"t1"}, "unreachable_task_ids": ["t2"]}, id="long-id"
    ),
]


@pytest.mark.parametrize(("edit", "kwargs"), VALID_TASKS)
def test_valid_task(edit: Edit | None, kwargs: dict[str, Any]) -> None:
    assert run(edit, **kwargs) is None


ORDERING = [
    pytest.param(
        steps(set_id(""), lambda t: setattr(t.agent_id, "value", "x")),
        {"used_task_ids": {""}},
        "ID must not be empty",
        id="id-before-duplicate-and-agent",
    ),
    pytest.param(
        lambda t: setattr(t.agent_id, "value", "x"),
        {"used_task_ids": {"t1"}},
        "Task has duplicate ID: t1",
        id="duplicate-before-agent",
    ),
    pytest.param(
        steps(
            lambda t: setattr(t.agent_id, "value", "x"),
            lambda t: setattr(t.kill_policy.grace_period, "nanoseconds", -1),
        ),
        {},
        "Task uses invalid agent x while agent agent-1 is expected",
        id="agent-before-kill-policy",
    ),
    pytest.param(
        steps(health(type=TCP), check(type=mesos_pb2.CheckInfo.TCP)),
        {},
        "Task uses invalid check: Expecting 'tcp' to be set for TCP check",
        id="check-before-health-check",
    ),
    pytest.param(
        steps(set_resources(), health(type=TCP)),
        {},
        "Task uses invalid health check: Expecting 'tcp' to be set for TCP health check",
        id="health-check-before-resources",
    ),
    pytest.param(
        steps(env(), set_resources()),
        {},
        "Task uses no resources",
        id="resources-before-environment",
    ),
    pytest.param(
        steps(env(), container(type=mesos_pb2.ContainerInfo.DOCKER)),
        {},
        "Task's `CommandInfo` is invalid: Environment variable 'X' of type 'VALUE' must have a value set",
        id="environment-before-container",
    ),
    pytest.param(
        steps(lambda t: t.ClearField("command"), limit("gpus", 1)),
        {},
        "Only cpus and mem may be included in a task's resource limits",
        id="limits-before-command-xor-executor",
    ),
    pytest.param(
        steps(
            set_resources(scalar("cpus", 99)),
            share_cgroups(False),
        ),
        {},
        "Total resources cpus(allocated: *):99 required by task and its executor is more than"
        f" available {OFFERED_TEXT}",
        id="containment-before-share-cgroups",
    ),
    pytest.param(
        executor_edit(
            clear("framework_id"), executor_type(mesos_pb2.ExecutorInfo.DEFAULT), clear("command")
        ),
        {},
        "'ExecutorInfo.framework_id' must be set",
        id="generic-executor-rules-before-launch-rules",
    ),
]


@pytest.mark.parametrize(("edit", "kwargs", "message"), ORDERING)
def test_first_failing_rule_wins(edit: Edit, kwargs: dict[str, Any], message: str) -> None:
    assert run(edit, **kwargs) == message


def test_existing_executor_must_be_identical() -> None:
    task = base_task()
    executor = with_executor(task)
    same = mesos_pb2.ExecutorInfo()
    same.CopyFrom(executor)
    common: dict[str, Any] = {
        "agent_id": AGENT,
        "offered": OFFERED,
        "used_task_ids": set(),
        "framework_id": FW,
        "executor_running": True,
    }
    assert validate_task(task, existing_executor=same, **common) is None
    other = mesos_pb2.ExecutorInfo()
    other.CopyFrom(executor)
    other.name = "changed"
    error = validate_task(task, existing_executor=other, **common)
    assert error is not None
    rule = "-" * 60
    assert error.startswith(
        "ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID.\n"
        f"{rule}\nExisting ExecutorInfo:\n"
    )
    assert 'name: "changed"' in error and error.endswith(f"{rule}\n")
    # A new launch on an agent where the executor does not run never compares.
    assert (
        validate_task(task, existing_executor=other, **(common | {"executor_running": False}))
        is None
    )


def test_an_untyped_container_is_a_docker_container() -> None:
    # ContainerInfo.type is a required enum whose first value is DOCKER, so Mesos reads
    # a missing type as DOCKER too.
    assert run(lambda t: t.container.SetInParent()) == (
        "Task's `ContainerInfo` is invalid: DockerInfo 'docker' is not set for DOCKER typed ContainerInfo"
    )


def test_shared_executor_resources_are_refused() -> None:
    def edit(task: mesos_pb2.TaskInfo) -> None:
        shared = volume()
        shared.shared.SetInParent()
        with_executor(task).resources.append(shared)

    error = run(edit)
    assert error is not None
    assert error.startswith(
        "Executor resources cpus(allocated: *):0.1; mem(allocated: *):32; disk("
    )
    assert error.endswith("<SHARED>:10 should not contain any shared resources")


def test_tasks_of_one_accept_see_each_other() -> None:
    """The master subtracts each launched task from what is left and records its id."""
    remaining = Resources.parse("cpus:1.5;mem:256")
    used: set[str] = set()
    outcomes = []
    for task_id in ("a", "a", "b", "c"):
        task = base_task()
        task.task_id.value = task_id
        error = validate_task(
            task,
            agent_id=AGENT,
            offered=remaining,
            used_task_ids=used,
            framework_id=FW,
            executor_running=False,
        )
        outcomes.append(error)
        if error is None:
            used.add(task_id)
            remaining = remaining - Resources.from_proto(task.resources)
    assert outcomes[0] is None
    assert outcomes[1] == "Task has duplicate ID: a"
    assert outcomes[2] == (
        "Total resources cpus(allocated: *):1; mem(allocated: *):128 required by task and its"
        " executor is more than available cpus(allocated: *):0.5; mem(allocated: *):128"
    )


# --------------------------------------------------------------------------- ACCEPT helpers


def test_normalize_task_does_what_the_master_does_before_validating() -> None:
    task = base_task()
    executor = with_executor(task)
    executor.ClearField("framework_id")
    task.health_check.command.value = "true"
    normalize_task(task, framework_id=FW, allocation_role="eng")
    assert task.executor.framework_id.value == FW
    assert task.health_check.type == mesos_pb2.HealthCheck.COMMAND
    assert {r.allocation_info.role for r in [*task.resources, *task.executor.resources]} == {"eng"}
    assert run(lambda t: t.CopyFrom(task), allocation_role="eng") is None

    http = base_task()
    http.health_check.http.port = 80
    normalize_task(http, framework_id=FW)
    assert http.health_check.type == mesos_pb2.HealthCheck.HTTP
    assert not http.resources[0].HasField("allocation_info")

    ambiguous = base_task()
    ambiguous.health_check.http.port = 80
    ambiguous.health_check.command.value = "true"
    normalize_task(ambiguous, framework_id=FW)
    assert not ambiguous.health_check.HasField("type")


def launch(*tasks: mesos_pb2.TaskInfo) -> mesos_pb2.Offer.Operation:
    operation = mesos_pb2.Offer.Operation(type=mesos_pb2.Offer.Operation.LAUNCH)
    operation.launch.SetInParent()
    operation.launch.task_infos.extend(tasks)
    return operation


def test_launch_operation_checks_resources_then_the_id_field() -> None:
    assert validate_launch_operation(launch(base_task())) is None
    assert validate_launch_operation(launch()) is None  # an implicit decline
    bad = base_task()
    bad.resources.append(scalar("mem", -1))
    with_id = launch(base_task(), bad)
    with_id.id.value = "op"
    assert validate_launch_operation(with_id) == (
        "Resource 'mem:-1' is invalid: Invalid scalar resource: value < 0"
    )
    bad_executor = base_task()
    with_executor(bad_executor).resources.append(scalar("", 1))
    assert validate_launch_operation(launch(bad_executor)) == (
        "Resource ':1' is invalid: Empty resource name"
    )
    only_id = launch(base_task())
    only_id.id.value = "op"
    assert validate_launch_operation(only_id) == "The `id` field cannot be set on LAUNCH operations"
    assert validate_launch_operation(
        mesos_pb2.Offer.Operation(type=mesos_pb2.Offer.Operation.LAUNCH)
    ) == ("A LAUNCH offer operation must have the Offer.Operation.launch field set.")


def test_launch_group_is_not_supported() -> None:
    group = mesos_pb2.Offer.Operation.LaunchGroup()
    assert validate_launch_group(group) == LAUNCH_GROUP_UNSUPPORTED
    assert validate_launch_group() == "LAUNCH_GROUP is not supported by mesoshim"


# --------------------------------------------------------------------------- offers

OFFERS: dict[str, tuple[str, str] | tuple[str, str, str]] = {
    "o1": (FW, "a1"),
    "o2": (FW, "a1"),
    "o3": (FW, "a2"),
    "o4": ("fw-2", "a1"),
    "r1": (FW, "a1", "web"),
    "r2": (FW, "a1", "db"),
    "r3": (FW, "a2", "web"),
}

OFFER_ROWS = [
    pytest.param([], "No offers specified", id="empty"),
    pytest.param(["o1", "o1"], "Duplicate offer o1 in offer list", id="duplicate"),
    pytest.param(["gone", "o1", "o1"], "Duplicate offer o1 in offer list", id="duplicate-first"),
    pytest.param(["o1", "gone"], "Offer gone is no longer valid", id="unknown"),
    pytest.param(["o4", "gone"], "Offer gone is no longer valid", id="unknown-before-framework"),
    pytest.param(
        ["o1", "o4"],
        "Offer o4 has invalid framework fw-2 while framework fw-1 is expected",
        id="framework",
    ),
    pytest.param(
        ["o3", "o4"],
        "Offer o4 has invalid framework fw-2 while framework fw-1 is expected",
        id="framework-before-agent",
    ),
    pytest.param(
        ["r1", "r2"],
        "Aggregated offers must be allocated to the same role."
        " Offer r2 uses role 'db but another is using role 'web",
        id="role",
    ),
    pytest.param(
        ["r3", "r2"],
        "Aggregated offers must be allocated to the same role."
        " Offer r2 uses role 'db but another is using role 'web",
        id="role-before-agent",
    ),
    pytest.param(
        ["o1", "o2", "o3"],
        "Aggregated offers must belong to one single agent. Offer o3 uses agent a2 and agent a1",
        id="agent",
    ),
    pytest.param(["o1", "o2"], None, id="valid"),
    pytest.param(["r1", "o1"], None, id="valid-mixed-lookup-shapes"),
]


@pytest.mark.parametrize(("ids", "message"), OFFER_ROWS)
def test_offer_validation(ids: list[str], message: str | None) -> None:
    assert validate_offer_ids(ids, OFFERS.get, FW) == message
    offer_ids = [mesos_pb2.OfferID(value=i) for i in ids]
    assert validate_offer_ids(offer_ids, OFFERS.get, framework_id=FW) == message


# --------------------------------------------------------------------------- filters

DAY = 24 * 3600.0


@pytest.mark.parametrize(
    ("filters", "interval", "seconds"),
    [
        pytest.param(None, 1.0, 5.0, id="no-filters-means-5s"),
        pytest.param(mesos_pb2.Filters(), 1.0, 5.0, id="unset-means-5s"),
        pytest.param(mesos_pb2.Filters(refuse_seconds=0), 1.0, 0.0, id="zero-means-no-filter"),
        pytest.param(mesos_pb2.Filters(refuse_seconds=1e-10), 1.0, 0.0, id="below-a-nanosecond"),
        pytest.param(mesos_pb2.Filters(refuse_seconds=0.2), 1.0, 1.0, id="at-least-one-interval"),
        pytest.param(mesos_pb2.Filters(refuse_seconds=0.2), 0.1, 0.2, id="short-interval"),
        pytest.param(mesos_pb2.Filters(refuse_seconds=3600), 1.0, 3600.0, id="hour"),
        pytest.param(mesos_pb2.Filters(refuse_seconds=-1), 1.0, 5.0, id="negative-means-5s"),
        pytest.param(mesos_pb2.Filters(refuse_seconds=366 * DAY), 1.0, 365 * DAY, id="capped"),
        pytest.param(mesos_pb2.Filters(refuse_seconds=math.inf), 1.0, 365 * DAY, id="infinite"),
        pytest.param(mesos_pb2.Filters(refuse_seconds=math.nan), 1.0, 5.0, id="nan-means-5s"),
    ],
)
def test_refuse_seconds(filters: mesos_pb2.Filters | None, interval: float, seconds: float) -> None:
    assert refuse_seconds(filters, interval) == seconds


# --------------------------------------------------------------------------- frameworks


def framework(**fields: Any) -> mesos_pb2.FrameworkInfo:
    return mesos_pb2.FrameworkInfo(user="u", name="n", **fields)


MULTI_ROLE = [{"type": mesos_pb2.FrameworkInfo.Capability.MULTI_ROLE}]


def with_filter(
    info: mesos_pb2.FrameworkInfo, quantities: dict[str, float]
) -> mesos_pb2.FrameworkInfo:
    entry = info.offer_filters["*"].min_allocatable_resources.quantities.add()
    for name, value in quantities.items():
        entry.quantities[name].value = value
    return info


FRAMEWORK_ROWS = [
    pytest.param(framework(), None, id="defaults"),
    pytest.param(framework(role="web", failover_timeout=7 * DAY), None, id="single-role"),
    pytest.param(framework(capabilities=MULTI_ROLE, roles=["a", "b/c"]), None, id="multi-role"),
    pytest.param(framework(failover_timeout=-5), None, id="negative-timeout-is-a-duration"),
    pytest.param(
        framework(capabilities=MULTI_ROLE, role="a"),
        "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable",
        id="multi-role-with-role",
    ),
    pytest.param(
        framework(roles=["a"]),
        "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable",
        id="roles-without-multi-role",
    ),
    pytest.param(
        framework(capabilities=MULTI_ROLE, roles=["b", "a", "b", "a", "c"]),
        "'FrameworkInfo.roles' contains duplicate items: { a, b }",
        id="duplicate-roles",
    ),
    pytest.param(
        framework(capabilities=MULTI_ROLE, roles=["ok", "/test/test1"]),
        "'FrameworkInfo.roles' contains invalid role: Role '/test/test1' cannot start with a slash",
        id="roles-slash",
    ),
    pytest.param(
        framework(role="a/"),
        "'FrameworkInfo.role' is not a valid role: Role 'a/' cannot end with a slash",
        id="role-trailing-slash",
    ),
    pytest.param(
        framework(role="a//b"),
        "'FrameworkInfo.role' is not a valid role: Role 'a//b' cannot contain two adjacent slashes",
        id="role-double-slash",
    ),
    pytest.param(
        framework(role="a/./b"),
        "'FrameworkInfo.role' is not a valid role: Role 'a/./b' cannot include '.' as a component",
        id="role-dot",
    ),
    pytest.param(
        framework(role=".."),
        "'FrameworkInfo.role' is not a valid role: Role '..' cannot include '..' as a component",
        id="role-dotdot",
    ),
    pytest.param(
        framework(role="a/*"),
        "'FrameworkInfo.role' is not a valid role: Role 'a/*' cannot include '*' as a component",
        id="role-star-component",
    ),
    pytest.param(
        framework(role="a/-b"),
        "'FrameworkInfo.role' is not a valid role:"
        " Role component '-b' is invalid because it starts with a dash",
        id="role-dash",
    ),
    pytest.param(
        framework(role="a b"),
        "'FrameworkInfo.role' is not a valid role:"
        " Role component 'a b' is invalid because it contains backspace or whitespace",
        id="role-space",
    ),
    pytest.param(
        framework(role=""),
        "'FrameworkInfo.role' is not a valid role: Role names cannot be the empty string",
        id="role-empty",
    ),
    pytest.param(framework(id={"value": "a/b"}), "'a/b' contains invalid characters", id="id"),
    pytest.param(framework(id={"value": ""}), None, id="empty-id-is-no-id"),
    pytest.param(
        with_filter(framework(), {}),
        "Resource quantities must contain at least one quantity",
        id="filter-empty",
    ),
    pytest.param(
        with_filter(framework(), {"cpus": -1}),
        "Invalid resource quantity for 'cpus': Negative values not supported",
        id="filter-negative",
    ),
    pytest.param(
        with_filter(framework(), {"mem": math.nan}),
        "Invalid resource quantity for 'mem': NaN not supported",
        id="filter-nan",
    ),
    pytest.param(
        with_filter(framework(), {"mem": math.inf}),
        "Invalid resource quantity for 'mem': Infinite values not supported",
        id="filter-inf",
    ),
    pytest.param(with_filter(framework(), {"cpus": 0.5, "mem": 0}), None, id="filter-valid"),
    pytest.param(
        framework(failover_timeout=math.inf),
        "The framework failover_timeout (inf) is invalid",
        id="timeout-inf",
    ),
    pytest.param(
        framework(failover_timeout=1e300),
        "The framework failover_timeout (1e+300) is invalid",
        id="timeout-too-big",
    ),
    pytest.param(
        framework(failover_timeout=math.nan),
        "The framework failover_timeout (nan) is invalid",
        id="timeout-nan",
    ),
    pytest.param(
        framework(capabilities=MULTI_ROLE, roles=["a", "a"], failover_timeout=math.inf),
        "'FrameworkInfo.roles' contains duplicate items: { a }",
        id="roles-before-timeout",
    ),
]


@pytest.mark.parametrize(("info", "message"), FRAMEWORK_ROWS)
def test_framework_info(info: mesos_pb2.FrameworkInfo, message: str | None) -> None:
    assert validate_framework_info(info) == message
