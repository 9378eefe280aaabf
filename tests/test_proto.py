"""Tests for the Mesos v1 protobuf definitions (proto/) and their generated code (mesoshim/pb/).

The field numbers, names and enum values pinned here are the wire and JSON contract with
pymesos, mesos-go and libmesos (Aurora); they come from the project's spec table
``mesos-proto-fields.md``. When that file is available (next to the repository in
``../shared/spec/`` or via ``MESOSHIM_PROTO_SPEC``) every message and enum is also checked
against it exhaustively.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import EncodeError

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.executor import executor_pb2
from mesoshim.pb.mesos.v1.maintenance import maintenance_pb2
from mesoshim.pb.mesos.v1.master import master_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

REPO = Path(__file__).resolve().parent.parent
ALL_MODULES = [mesos_pb2, scheduler_pb2, executor_pb2, master_pb2, maintenance_pb2]

Call = scheduler_pb2.Call
Event = scheduler_pb2.Event


# ---------------------------------------------------------------------------
# Generated code is up to date.
# ---------------------------------------------------------------------------


def test_generated_code_is_current() -> None:
    pytest.importorskip("grpc_tools")
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_proto.py"), "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        "mesoshim/pb is stale; run `python scripts/gen_proto.py`\n" + result.stdout + result.stderr
    )


def test_generated_modules_live_under_mesoshim_pb() -> None:
    for module in ALL_MODULES:
        assert module.__name__.startswith("mesoshim.pb.mesos.v1")
    # Classes carry the relocated module name (pickle looks classes up by it)...
    assert Call.__module__ == "mesoshim.pb.mesos.v1.scheduler.scheduler_pb2"
    assert mesos_pb2.TaskStatus.__module__ == "mesoshim.pb.mesos.v1.mesos_pb2"
    call = Call(type=Call.TEARDOWN, framework_id=mesos_pb2.FrameworkID(value="f"))
    assert pickle.loads(pickle.dumps(call)) == call
    # ...while descriptor file names and packages stay the Mesos ones.
    assert mesos_pb2.DESCRIPTOR.name == "mesos/v1/mesos.proto"
    assert scheduler_pb2.DESCRIPTOR.name == "mesos/v1/scheduler/scheduler.proto"
    assert scheduler_pb2.DESCRIPTOR.package == "mesos.v1.scheduler"
    assert executor_pb2.DESCRIPTOR.package == "mesos.v1.executor"
    assert master_pb2.DESCRIPTOR.package == "mesos.v1.master"
    assert maintenance_pb2.DESCRIPTOR.package == "mesos.v1.maintenance"
    for module in ALL_MODULES:
        proto = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(proto)
        assert proto.syntax in ("", "proto2"), module.__name__  # "" means proto2


# ---------------------------------------------------------------------------
# Field numbers, labels, types and defaults.
# ---------------------------------------------------------------------------

FIELD_NUMBERS: list[tuple[Any, str, int]] = [
    # scheduler.Call
    (Call, "framework_id", 1),
    (Call, "type", 2),
    (Call, "subscribe", 3),
    (Call, "accept", 4),
    (Call, "decline", 5),
    (Call, "accept_inverse_offers", 13),
    (Call, "decline_inverse_offers", 14),
    (Call, "revive", 15),
    (Call, "kill", 6),
    (Call, "shutdown", 7),
    (Call, "acknowledge", 8),
    (Call, "acknowledge_operation_status", 17),
    (Call, "reconcile", 9),
    (Call, "reconcile_operations", 18),
    (Call, "message", 10),
    (Call, "request", 11),
    (Call, "suppress", 16),
    (Call, "update_framework", 19),
    # v1 Subscribe differs from v0 (no `force`).
    (Call.Subscribe, "framework_info", 1),
    (Call.Subscribe, "suppressed_roles", 2),
    (Call.Subscribe, "offer_constraints", 3),
    (Call.Accept, "offer_ids", 1),
    (Call.Accept, "operations", 2),
    (Call.Accept, "filters", 3),
    (Call.Decline, "filters", 2),
    (Call.Acknowledge, "agent_id", 1),
    (Call.Acknowledge, "task_id", 2),
    (Call.Acknowledge, "uuid", 3),
    (Call.Kill, "task_id", 1),
    (Call.Kill, "agent_id", 2),
    (Call.Kill, "kill_policy", 3),
    # scheduler.Event
    (Event, "type", 1),
    (Event, "subscribed", 2),
    (Event, "offers", 3),
    (Event, "inverse_offers", 9),
    (Event, "rescind", 4),
    (Event, "rescind_inverse_offer", 10),
    (Event, "update", 5),
    (Event, "update_operation_status", 11),
    (Event, "message", 6),
    (Event, "failure", 7),
    (Event, "error", 8),
    (Event.Subscribed, "framework_id", 1),
    (Event.Subscribed, "heartbeat_interval_seconds", 2),
    (Event.Subscribed, "master_info", 3),
    (Event.Offers, "offers", 1),
    # executor API
    (executor_pb2.Call, "executor_id", 1),
    (executor_pb2.Call, "framework_id", 2),
    (executor_pb2.Call, "type", 3),
    (executor_pb2.Call, "subscribe", 4),
    (executor_pb2.Call, "update", 5),
    (executor_pb2.Call, "message", 6),
    (executor_pb2.Call.Message, "data", 2),  # not 1
    (executor_pb2.Event, "acknowledged", 3),
    (executor_pb2.Event, "launch", 4),
    (executor_pb2.Event, "launch_group", 8),
    (executor_pb2.Event, "kill", 5),
    # mesos.v1
    (mesos_pb2.FrameworkInfo, "user", 1),
    (mesos_pb2.FrameworkInfo, "name", 2),
    (mesos_pb2.FrameworkInfo, "id", 3),
    (mesos_pb2.FrameworkInfo, "failover_timeout", 4),
    (mesos_pb2.FrameworkInfo, "checkpoint", 5),
    (mesos_pb2.FrameworkInfo, "role", 6),
    (mesos_pb2.FrameworkInfo, "capabilities", 10),
    (mesos_pb2.FrameworkInfo, "roles", 12),
    (mesos_pb2.FrameworkInfo, "offer_filters", 13),
    (mesos_pb2.TaskInfo, "name", 1),
    (mesos_pb2.TaskInfo, "task_id", 2),
    (mesos_pb2.TaskInfo, "agent_id", 3),
    (mesos_pb2.TaskInfo, "resources", 4),
    (mesos_pb2.TaskInfo, "executor", 5),
    (mesos_pb2.TaskInfo, "data", 6),
    (mesos_pb2.TaskInfo, "command", 7),
    (mesos_pb2.TaskInfo, "container", 9),
    (mesos_pb2.TaskInfo, "limits", 15),
    (mesos_pb2.TaskStatus, "task_id", 1),
    (mesos_pb2.TaskStatus, "state", 2),
    (mesos_pb2.TaskStatus, "data", 3),
    (mesos_pb2.TaskStatus, "message", 4),
    (mesos_pb2.TaskStatus, "agent_id", 5),
    (mesos_pb2.TaskStatus, "timestamp", 6),
    (mesos_pb2.TaskStatus, "executor_id", 7),
    (mesos_pb2.TaskStatus, "healthy", 8),
    (mesos_pb2.TaskStatus, "source", 9),
    (mesos_pb2.TaskStatus, "reason", 10),
    (mesos_pb2.TaskStatus, "uuid", 11),
    (mesos_pb2.TaskStatus, "container_status", 13),
    (mesos_pb2.TaskStatus, "unreachable_time", 14),
    (mesos_pb2.Offer, "id", 1),
    (mesos_pb2.Offer, "framework_id", 2),
    (mesos_pb2.Offer, "agent_id", 3),
    (mesos_pb2.Offer, "hostname", 4),
    (mesos_pb2.Offer, "resources", 5),
    (mesos_pb2.Offer, "executor_ids", 6),
    (mesos_pb2.Offer, "attributes", 7),
    (mesos_pb2.Offer, "url", 8),
    (mesos_pb2.Offer, "allocation_info", 10),
    (mesos_pb2.Resource, "name", 1),
    (mesos_pb2.Resource, "type", 2),
    (mesos_pb2.Resource, "scalar", 3),
    (mesos_pb2.Resource, "ranges", 4),
    (mesos_pb2.Resource, "set", 5),
    (mesos_pb2.Resource, "role", 6),
    (mesos_pb2.Resource, "allocation_info", 11),
    (mesos_pb2.Resource, "reservations", 13),
    (mesos_pb2.MasterInfo, "id", 1),
    (mesos_pb2.MasterInfo, "ip", 2),
    (mesos_pb2.MasterInfo, "port", 3),
    (mesos_pb2.MasterInfo, "pid", 4),
    (mesos_pb2.MasterInfo, "address", 7),
    (mesos_pb2.Filters, "refuse_seconds", 1),
    (mesos_pb2.CommandInfo, "shell", 6),
    (mesos_pb2.CommandInfo, "value", 3),
    (mesos_pb2.CommandInfo, "arguments", 7),
    (mesos_pb2.Offer.Operation, "launch", 2),
    (mesos_pb2.Offer.Operation, "launch_group", 7),
    (mesos_pb2.OperationStatus, "uuid", 5),
]


@pytest.mark.parametrize(
    ("message", "field", "number"),
    FIELD_NUMBERS,
    ids=[f"{m.DESCRIPTOR.full_name}.{f}" for m, f, _ in FIELD_NUMBERS],
)
def test_field_number(message: Any, field: str, number: int) -> None:
    assert message.DESCRIPTOR.fields_by_name[field].number == number


def test_labels_and_types() -> None:
    def f(message: Any, name: str) -> FieldDescriptor:
        field: FieldDescriptor = message.DESCRIPTOR.fields_by_name[name]
        return field

    def type_of(message: Any, name: str) -> str:
        target = f(message, name).message_type
        assert target is not None
        return str(target.full_name)

    required = [
        f(mesos_pb2.FrameworkInfo, "user"),
        f(mesos_pb2.FrameworkInfo, "name"),
        f(mesos_pb2.TaskStatus, "task_id"),
        f(mesos_pb2.TaskStatus, "state"),
        f(mesos_pb2.Offer, "hostname"),
        f(mesos_pb2.MasterInfo, "ip"),
        f(Call.Subscribe, "framework_info"),
        f(Call.Acknowledge, "uuid"),
        f(Event.Subscribed, "framework_id"),
        f(executor_pb2.Call, "executor_id"),
        f(executor_pb2.Call, "framework_id"),
    ]
    for field in required:
        assert field.is_required, field.full_name
    assert not f(Call, "framework_id").is_required
    assert not f(mesos_pb2.TaskStatus, "uuid").is_required
    assert f(mesos_pb2.Offer, "resources").is_repeated

    assert f(mesos_pb2.TaskStatus, "uuid").type == FieldDescriptor.TYPE_BYTES
    assert f(Call.Acknowledge, "uuid").type == FieldDescriptor.TYPE_BYTES
    assert f(mesos_pb2.TaskStatus, "timestamp").type == FieldDescriptor.TYPE_DOUBLE
    assert f(mesos_pb2.MasterInfo, "ip").type == FieldDescriptor.TYPE_UINT32
    assert f(mesos_pb2.TimeInfo, "nanoseconds").type == FieldDescriptor.TYPE_INT64
    # Operation status uuids are a UUID message, task status uuids raw bytes.
    assert type_of(mesos_pb2.OperationStatus, "uuid") == "mesos.v1.UUID"
    assert type_of(Call.Accept, "operations") == "mesos.v1.Offer.Operation"
    assert type_of(Call.Request, "requests") == "mesos.v1.Request"
    assert type_of(Call.Reconcile, "tasks") == "mesos.v1.scheduler.Call.Reconcile.Task"
    assert type_of(executor_pb2.Call.Subscribe, "unacknowledged_updates") == (
        "mesos.v1.executor.Call.Update"
    )
    offer_filters = f(mesos_pb2.FrameworkInfo, "offer_filters").message_type
    assert offer_filters is not None and offer_filters.GetOptions().map_entry


def test_proto2_defaults() -> None:
    framework = mesos_pb2.FrameworkInfo()
    assert framework.failover_timeout == 0.0
    assert not framework.HasField("failover_timeout")
    assert framework.checkpoint is False
    assert framework.role == "*"
    assert mesos_pb2.Filters().refuse_seconds == 5.0
    assert mesos_pb2.CommandInfo().shell is True
    assert mesos_pb2.CommandInfo.URI().extract is True
    assert mesos_pb2.MasterInfo().port == 5050
    assert mesos_pb2.AgentInfo().port == 5051
    assert mesos_pb2.HealthCheck().consecutive_failures == 3
    assert mesos_pb2.CheckInfo().delay_seconds == 15.0
    assert mesos_pb2.Environment.Variable().type == mesos_pb2.Environment.Variable.VALUE
    assert mesos_pb2.NetworkInfo.IPAddress().protocol == mesos_pb2.NetworkInfo.IPv4
    assert mesos_pb2.ContainerInfo.DockerInfo().network == mesos_pb2.ContainerInfo.DockerInfo.HOST
    assert mesos_pb2.Image().cached is True
    assert mesos_pb2.LinuxInfo().share_cgroups is True
    # An unset optional enum defaults to the *first declared* value.
    assert mesos_pb2.Task().status_update_state == mesos_pb2.TASK_STAGING
    assert mesos_pb2.TaskStatus().source == mesos_pb2.TaskStatus.SOURCE_MASTER
    assert mesos_pb2.FrameworkInfo.DESCRIPTOR.fields_by_name["role"].GetOptions().deprecated


# ---------------------------------------------------------------------------
# Enum values.
# ---------------------------------------------------------------------------


def _values(enum: EnumDescriptor) -> dict[str, int]:
    return {v.name: v.number for v in enum.values}


ENUMS: list[tuple[EnumDescriptor, dict[str, int]]] = [
    (
        mesos_pb2.TaskState.DESCRIPTOR,
        {
            "TASK_STAGING": 6,
            "TASK_STARTING": 0,
            "TASK_RUNNING": 1,
            "TASK_KILLING": 8,
            "TASK_FINISHED": 2,
            "TASK_FAILED": 3,
            "TASK_KILLED": 4,
            "TASK_ERROR": 7,
            "TASK_LOST": 5,
            "TASK_DROPPED": 9,
            "TASK_UNREACHABLE": 10,
            "TASK_GONE": 11,
            "TASK_GONE_BY_OPERATOR": 12,
            "TASK_UNKNOWN": 13,
        },
    ),
    (
        mesos_pb2.TaskStatus.Source.DESCRIPTOR,
        {"SOURCE_MASTER": 0, "SOURCE_AGENT": 1, "SOURCE_EXECUTOR": 2},
    ),
    (
        mesos_pb2.TaskStatus.Reason.DESCRIPTOR,
        {
            "REASON_COMMAND_EXECUTOR_FAILED": 0,
            "REASON_CONTAINER_LAUNCH_FAILED": 21,
            "REASON_CONTAINER_LIMITATION": 19,
            "REASON_CONTAINER_LIMITATION_DISK": 20,
            "REASON_CONTAINER_LIMITATION_MEMORY": 8,
            "REASON_CONTAINER_PREEMPTED": 17,
            "REASON_CONTAINER_UPDATE_FAILED": 22,
            "REASON_MAX_COMPLETION_TIME_REACHED": 33,
            "REASON_EXECUTOR_REGISTRATION_TIMEOUT": 23,
            "REASON_EXECUTOR_REREGISTRATION_TIMEOUT": 24,
            "REASON_EXECUTOR_TERMINATED": 1,
            "REASON_EXECUTOR_UNREGISTERED": 2,
            "REASON_FRAMEWORK_REMOVED": 3,
            "REASON_GC_ERROR": 4,
            "REASON_INVALID_FRAMEWORKID": 5,
            "REASON_INVALID_OFFERS": 6,
            "REASON_IO_SWITCHBOARD_EXITED": 27,
            "REASON_MASTER_DISCONNECTED": 7,
            "REASON_RECONCILIATION": 9,
            "REASON_RESOURCES_UNKNOWN": 18,
            "REASON_AGENT_DISCONNECTED": 10,
            "REASON_AGENT_DRAINING": 34,
            "REASON_AGENT_REMOVED": 11,
            "REASON_AGENT_REMOVED_BY_OPERATOR": 31,
            "REASON_AGENT_REREGISTERED": 32,
            "REASON_AGENT_RESTARTED": 12,
            "REASON_AGENT_UNKNOWN": 13,
            "REASON_TASK_KILLED_DURING_LAUNCH": 30,
            "REASON_TASK_CHECK_STATUS_UPDATED": 28,
            "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED": 29,
            "REASON_TASK_GROUP_INVALID": 25,
            "REASON_TASK_GROUP_UNAUTHORIZED": 26,
            "REASON_TASK_INVALID": 14,
            "REASON_TASK_UNAUTHORIZED": 15,
            "REASON_TASK_UNKNOWN": 16,
        },
    ),
    (
        Call.Type.DESCRIPTOR,
        {
            "UNKNOWN": 0,
            "SUBSCRIBE": 1,
            "TEARDOWN": 2,
            "ACCEPT": 3,
            "DECLINE": 4,
            "ACCEPT_INVERSE_OFFERS": 13,
            "DECLINE_INVERSE_OFFERS": 14,
            "REVIVE": 5,
            "KILL": 6,
            "SHUTDOWN": 7,
            "ACKNOWLEDGE": 8,
            "ACKNOWLEDGE_OPERATION_STATUS": 15,
            "RECONCILE": 9,
            "RECONCILE_OPERATIONS": 16,
            "MESSAGE": 10,
            "REQUEST": 11,
            "SUPPRESS": 12,
            "UPDATE_FRAMEWORK": 17,
        },
    ),
    (
        Event.Type.DESCRIPTOR,
        {
            "UNKNOWN": 0,
            "SUBSCRIBED": 1,
            "OFFERS": 2,
            "INVERSE_OFFERS": 9,
            "RESCIND": 3,
            "RESCIND_INVERSE_OFFER": 10,
            "UPDATE": 4,
            "UPDATE_OPERATION_STATUS": 11,
            "MESSAGE": 5,
            "FAILURE": 6,
            "ERROR": 7,
            "HEARTBEAT": 8,
        },
    ),
    (
        mesos_pb2.FrameworkInfo.Capability.Type.DESCRIPTOR,
        {
            "UNKNOWN": 0,
            "REVOCABLE_RESOURCES": 1,
            "TASK_KILLING_STATE": 2,
            "GPU_RESOURCES": 3,
            "SHARED_RESOURCES": 4,
            "PARTITION_AWARE": 5,
            "MULTI_ROLE": 6,
            "RESERVATION_REFINEMENT": 7,
            "REGION_AWARE": 8,
        },
    ),
    (
        executor_pb2.Event.Type.DESCRIPTOR,
        {
            "UNKNOWN": 0,
            "SUBSCRIBED": 1,
            "LAUNCH": 2,
            "LAUNCH_GROUP": 8,
            "KILL": 3,
            "ACKNOWLEDGED": 4,
            "MESSAGE": 5,
            "ERROR": 6,
            "SHUTDOWN": 7,
            "HEARTBEAT": 9,
        },
    ),
    (
        executor_pb2.Call.Type.DESCRIPTOR,
        {"UNKNOWN": 0, "SUBSCRIBE": 1, "UPDATE": 2, "MESSAGE": 3, "HEARTBEAT": 4},
    ),
]


@pytest.mark.parametrize(("enum", "expected"), ENUMS, ids=[e.full_name for e, _ in ENUMS])
def test_enum_values(enum: EnumDescriptor, expected: dict[str, int]) -> None:
    assert _values(enum) == expected


def test_task_state_declaration_order() -> None:
    # proto2 uses the first declared value as the default; Mesos declares TASK_STAGING first.
    assert mesos_pb2.TaskState.DESCRIPTOR.values[0].name == "TASK_STAGING"


# ---------------------------------------------------------------------------
# Wire and JSON round trips.
# ---------------------------------------------------------------------------


def _subscribe_call() -> Any:
    call = Call(type=Call.SUBSCRIBE)
    call.framework_id.value = "0e6a9c5e-4a3c-4b0c-9a59-7f4b3d0c1e2f-0000"
    info = call.subscribe.framework_info
    info.user = "root"
    info.name = "aurora"
    info.id.value = call.framework_id.value
    info.failover_timeout = 604800.0
    info.checkpoint = True
    info.hostname = "scheduler-1"
    info.principal = "aurora"
    info.capabilities.add(type=mesos_pb2.FrameworkInfo.Capability.REVOCABLE_RESOURCES)
    info.capabilities.add(type=mesos_pb2.FrameworkInfo.Capability.PARTITION_AWARE)
    info.labels.labels.add(key="team", value="infra")
    info.offer_filters["*"].min_allocatable_resources.quantities.add().quantities[
        "cpus"
    ].value = 0.5
    call.subscribe.suppressed_roles.append("*")
    return call


SUBSCRIBE_JSON = {
    "framework_id": {"value": "0e6a9c5e-4a3c-4b0c-9a59-7f4b3d0c1e2f-0000"},
    "type": "SUBSCRIBE",
    "subscribe": {
        "framework_info": {
            "user": "root",
            "name": "aurora",
            "id": {"value": "0e6a9c5e-4a3c-4b0c-9a59-7f4b3d0c1e2f-0000"},
            "failover_timeout": 604800.0,
            "checkpoint": True,
            "hostname": "scheduler-1",
            "principal": "aurora",
            "capabilities": [{"type": "REVOCABLE_RESOURCES"}, {"type": "PARTITION_AWARE"}],
            "labels": {"labels": [{"key": "team", "value": "infra"}]},
            "offer_filters": {
                "*": {
                    "min_allocatable_resources": {
                        "quantities": [{"quantities": {"cpus": {"value": 0.5}}}]
                    }
                }
            },
        },
        "suppressed_roles": ["*"],
    },
}


def _offers_event() -> Any:
    event = Event(type=Event.OFFERS)
    offer = event.offers.offers.add()
    offer.id.value = "master-O1"
    offer.framework_id.value = "master-0000"
    offer.agent_id.value = "master-S0"
    offer.hostname = "node-1"
    offer.url.scheme = "http"
    offer.url.address.hostname = "node-1"
    offer.url.address.ip = "10.0.0.5"
    offer.url.address.port = 5051
    offer.url.path = "/slave(1)"
    cpus = offer.resources.add(name="cpus", type=mesos_pb2.Value.SCALAR, role="*")
    cpus.scalar.value = 4.0
    mem = offer.resources.add(name="mem", type=mesos_pb2.Value.SCALAR, role="*")
    mem.scalar.value = 8192.0
    ports = offer.resources.add(name="ports", type=mesos_pb2.Value.RANGES, role="*")
    ports.ranges.range.add(begin=31000, end=32000)
    rack = offer.attributes.add(name="rack", type=mesos_pb2.Value.TEXT)
    rack.text.value = "r1"
    offer.executor_ids.add(value="thermos-1")
    return event


OFFERS_JSON = {
    "type": "OFFERS",
    # Event.offers is an Event.Offers message whose repeated field is also called offers.
    "offers": {
        "offers": [
            {
                "id": {"value": "master-O1"},
                "framework_id": {"value": "master-0000"},
                "agent_id": {"value": "master-S0"},
                "hostname": "node-1",
                "url": {
                    "scheme": "http",
                    "address": {"hostname": "node-1", "ip": "10.0.0.5", "port": 5051},
                    "path": "/slave(1)",
                },
                "resources": [
                    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4.0}, "role": "*"},
                    {"name": "mem", "type": "SCALAR", "scalar": {"value": 8192.0}, "role": "*"},
                    {
                        "name": "ports",
                        "type": "RANGES",
                        "ranges": {"range": [{"begin": "31000", "end": "32000"}]},
                        "role": "*",
                    },
                ],
                "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}],
                "executor_ids": [{"value": "thermos-1"}],
            }
        ]
    },
}


@pytest.mark.parametrize(
    ("factory", "expected_json"),
    [(_subscribe_call, SUBSCRIBE_JSON), (_offers_event, OFFERS_JSON)],
    ids=["SUBSCRIBE-call", "OFFERS-event"],
)
def test_round_trip(factory: Any, expected_json: dict[str, Any]) -> None:
    message = factory()
    cls = type(message)
    errors: list[str] = []
    assert message.IsInitialized(errors), errors

    # Binary.
    data = message.SerializeToString(deterministic=True)
    parsed = cls.FromString(data)
    assert parsed == message
    assert parsed.SerializeToString(deterministic=True) == data

    # JSON (proto field names, enum names).
    as_dict = json_format.MessageToDict(message, preserving_proto_field_name=True)
    # google.protobuf.json_format writes 64-bit integers as strings (Mesos' stout
    # writes numbers; both parse either form).
    assert as_dict == expected_json
    assert json_format.ParseDict(as_dict, cls()) == message
    text = json_format.MessageToJson(message, preserving_proto_field_name=True)
    assert json_format.Parse(text, cls()) == message
    assert cls.FromString(json_format.Parse(text, cls()).SerializeToString()) == message


def test_wire_encoding_pins() -> None:
    # Field 2 (varint) = SUBSCRIBE(1): tag (2 << 3 | 0) = 0x10.
    assert Call(type=Call.SUBSCRIBE).SerializeToString() == b"\x10\x01"
    # Field 1 (varint) = HEARTBEAT(8).
    assert Event(type=Event.HEARTBEAT).SerializeToString() == b"\x08\x08"
    # TaskStatus.uuid is field 11, length-delimited: tag (11 << 3 | 2) = 0x5a.
    status = mesos_pb2.TaskStatus(state=mesos_pb2.TASK_RUNNING, uuid=b"\x00" * 16)
    status.task_id.value = "t"
    assert status.SerializeToString() == b"\x0a\x03\x0a\x01t\x10\x01\x5a\x10" + b"\x00" * 16
    # executor Call.Message.data is field 2: tag 0x12.
    assert executor_pb2.Call.Message(data=b"hi").SerializeToString() == b"\x12\x02hi"


def test_update_event_bytes_are_base64_in_json() -> None:
    event = Event(type=Event.UPDATE)
    status = event.update.status
    status.task_id.value = "t1"
    status.state = mesos_pb2.TASK_RUNNING
    status.source = mesos_pb2.TaskStatus.SOURCE_EXECUTOR
    status.agent_id.value = "master-S0"
    status.uuid = bytes(range(16))
    as_dict = json_format.MessageToDict(event, preserving_proto_field_name=True)
    assert as_dict["update"]["status"]["uuid"] == "AAECAwQFBgcICQoLDA0ODw=="
    assert as_dict["update"]["status"]["state"] == "TASK_RUNNING"
    assert as_dict["update"]["status"]["source"] == "SOURCE_EXECUTOR"
    assert json_format.ParseDict(as_dict, Event()) == event


def test_parses_mesos_wire_examples() -> None:
    # JSON bodies as sent by clients / the Mesos master (mesos-api.md §1.9).
    subscribe = json_format.Parse(
        '{"type":"SUBSCRIBE","subscribe":{"framework_info":'
        '{"user":"alice","name":"demo","failover_timeout":604800.0}}}',
        Call(),
    )
    assert subscribe.type == Call.SUBSCRIBE
    assert subscribe.subscribe.framework_info.failover_timeout == 604800.0
    assert subscribe.IsInitialized()

    decline = json_format.Parse(
        '{"type":"DECLINE","framework_id":{"value":"m-0000"},'
        '"decline":{"offer_ids":[{"value":"m-O1"}],"filters":{"refuse_seconds":60.0}}}',
        Call(),
    )
    assert decline.decline.offer_ids[0].value == "m-O1"
    assert decline.decline.filters.refuse_seconds == 60.0

    subscribed = json_format.Parse(
        '{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"m-0000"},'
        '"heartbeat_interval_seconds":15.0,"master_info":{"id":"m","ip":16777343,'
        '"port":5050,"pid":"master@127.0.0.1:5050","hostname":"master","version":"1.12.0",'
        '"address":{"hostname":"master","ip":"127.0.0.1","port":5050},'
        '"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},{"type":"QUOTA_V2"}]}}}',
        Event(),
    )
    assert subscribed.subscribed.master_info.ip == 16777343
    assert [c.type for c in subscribed.subscribed.master_info.capabilities] == [1, 2, 3]
    assert subscribed.IsInitialized()

    heartbeat = json_format.Parse('{"type":"HEARTBEAT"}', Event())
    assert heartbeat.type == Event.HEARTBEAT


def test_required_fields_are_not_checked_on_parse() -> None:
    # Serialising enforces proto2 `required`, but the Python parsers (binary and
    # json_format) do not: the HTTP layer must call IsInitialized() itself to
    # reproduce Mesos' 400 "Failed to parse body into Call protobuf".
    call = Call(type=Call.SUBSCRIBE)
    call.subscribe.framework_info.user = "alice"  # name (required) missing
    with pytest.raises(EncodeError):
        call.SerializeToString()
    # (IsInitialized(errors) fills the list; types-protobuf does not declare the argument.)
    parsed: Any = Call.FromString(call.SerializePartialToString())
    errors: list[str] = []
    assert not parsed.IsInitialized(errors)
    assert errors == ["subscribe.framework_info.name"]


# ---------------------------------------------------------------------------
# Exhaustive comparison with the spec table (when available).
# ---------------------------------------------------------------------------

_SCALAR_TYPES = {
    "double": FieldDescriptor.TYPE_DOUBLE,
    "float": FieldDescriptor.TYPE_FLOAT,
    "int32": FieldDescriptor.TYPE_INT32,
    "int64": FieldDescriptor.TYPE_INT64,
    "uint32": FieldDescriptor.TYPE_UINT32,
    "uint64": FieldDescriptor.TYPE_UINT64,
    "sint32": FieldDescriptor.TYPE_SINT32,
    "sint64": FieldDescriptor.TYPE_SINT64,
    "fixed32": FieldDescriptor.TYPE_FIXED32,
    "fixed64": FieldDescriptor.TYPE_FIXED64,
    "sfixed32": FieldDescriptor.TYPE_SFIXED32,
    "sfixed64": FieldDescriptor.TYPE_SFIXED64,
    "bool": FieldDescriptor.TYPE_BOOL,
    "string": FieldDescriptor.TYPE_STRING,
    "bytes": FieldDescriptor.TYPE_BYTES,
}

# Messages we declare only as namespaces for nested types the spec lists
# (the spec does not list their own fields).
_NAMESPACE_ONLY = {"mesos.v1.Value", "mesos.v1.Device"}


def _spec_path() -> Path | None:
    candidates = [os.environ.get("MESOSHIM_PROTO_SPEC", "")]
    candidates.append(str(REPO.parent / "shared" / "spec" / "mesos-proto-fields.md"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _parse_spec(text: str) -> tuple[dict[str, list[list[str]]], dict[str, list[str]]]:
    """Return ({message: [[field, number, type, label, notes], ...]}, {enum: [items]})."""
    messages: dict[str, list[list[str]]] = {}
    enums: dict[str, list[str]] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^#### (enum )?`([\w.]+)`", line)
        if not m:
            continue
        name = m.group(2)
        if m.group(1):
            enums[name] = [s.strip() for s in lines[i + 1].split(",")]
            continue
        rows: list[list[str]] = []
        for row in lines[i + 1 :]:
            if row.startswith("#") or (rows and not row.startswith("|")):
                break
            if row.startswith("| ") and not row.startswith("| field ") and "---" not in row:
                rows.append([c.strip() for c in row.strip().strip("|").split("|")])
        messages[name] = rows
    return messages, enums


def _all_descriptors() -> Iterator[Descriptor | EnumDescriptor]:
    def walk(d: Descriptor) -> Iterator[Descriptor | EnumDescriptor]:
        if d.GetOptions().map_entry:
            return
        yield d
        yield from d.enum_types
        for nested in d.nested_types:
            yield from walk(nested)

    for module in ALL_MODULES:
        yield from module.DESCRIPTOR.enum_types_by_name.values()
        for message in module.DESCRIPTOR.message_types_by_name.values():
            yield from walk(message)


def _find(pool: Any, name: str) -> str | None:
    for finder in (pool.FindMessageTypeByName, pool.FindEnumTypeByName):
        try:
            return str(finder(name).full_name)
        except KeyError:
            pass
    return None


def _resolve(pool: Any, scope: str, type_name: str) -> str | None:
    """Resolve a relative type name the way protoc does: innermost scope first."""
    parts = scope.split(".")
    for i in range(len(parts), -1, -1):
        found = _find(pool, ".".join([*parts[:i], type_name]))
        if found:
            return found
    return None


def _check_type(pool: Any, scope: str, field: FieldDescriptor, spec_type: str) -> None:
    if spec_type in _SCALAR_TYPES:
        assert field.type == _SCALAR_TYPES[spec_type], field.full_name
        return
    actual = field.message_type or field.enum_type
    assert actual is not None, field.full_name
    assert actual.full_name == _resolve(pool, scope, spec_type), field.full_name


def _check_default(field: FieldDescriptor, spec_default: str) -> None:
    assert field.has_default_value, field.full_name
    value = field.default_value
    if field.enum_type is not None:
        assert field.enum_type.values_by_number[value].name == spec_default, field.full_name
    elif field.type == FieldDescriptor.TYPE_STRING:
        assert value == spec_default.strip('"'), field.full_name
    elif field.type == FieldDescriptor.TYPE_BOOL:
        assert value == (spec_default == "true"), field.full_name
    else:
        assert value == float(spec_default), field.full_name


def _reserved(message: Descriptor) -> tuple[set[int], set[str]]:
    proto = descriptor_pb2.DescriptorProto()
    message.CopyToProto(proto)
    numbers = {n for r in proto.reserved_range for n in range(r.start, r.end)}
    return numbers, set(proto.reserved_name)


def test_matches_spec_table() -> None:
    spec = _spec_path()
    if spec is None:
        pytest.skip("mesos-proto-fields.md not found (set MESOSHIM_PROTO_SPEC)")
    messages, enums = _parse_spec(spec.read_text(encoding="utf-8"))
    assert len(messages) + len(enums) > 200, "spec table did not parse"
    pool = mesos_pb2.DESCRIPTOR.pool

    # Nothing we declare is missing from, or invented beyond, the spec.
    declared = {d.full_name for d in _all_descriptors()}
    assert set(messages) | set(enums) <= declared, sorted((set(messages) | set(enums)) - declared)
    assert declared - set(messages) - set(enums) == _NAMESPACE_ONLY

    for name, items in enums.items():
        enum = pool.FindEnumTypeByName(name)
        expected = []
        for item in items:
            m = re.fullmatch(r"(\w+)=(-?\d+)( \(deprecated\))?", item)
            assert m, f"{name}: cannot parse {item!r}"
            expected.append((m.group(1), int(m.group(2)), bool(m.group(3))))
        actual = [(v.name, v.number, v.GetOptions().deprecated) for v in enum.values]
        assert actual == expected, name

    for name, rows in messages.items():
        message = pool.FindMessageTypeByName(name)
        reserved_numbers, reserved_names = _reserved(message)
        spec_fields = set()
        for field_name, number, spec_type, label, notes in rows:
            spec_fields.add(field_name)
            field = message.fields_by_name.get(field_name)
            if field is None:
                # Deliberately undeclared (type not in the spec): must be reserved.
                assert int(number) in reserved_numbers, f"{name}.{field_name} missing"
                assert field_name in reserved_names, f"{name}.{field_name} missing"
                continue
            assert field.number == int(number), field.full_name
            map_match = re.fullmatch(r"map<(\w+), ([\w.]+)>", spec_type)
            if label == "map":
                assert map_match, field.full_name
                entry = field.message_type
                assert entry is not None and entry.GetOptions().map_entry, field.full_name
                _check_type(pool, name, entry.fields_by_name["key"], map_match.group(1))
                _check_type(pool, name, entry.fields_by_name["value"], map_match.group(2))
            else:
                _check_type(pool, name, field, spec_type)
            assert field.is_required == (label == "required"), field.full_name
            assert field.is_repeated == (label in ("repeated", "map")), field.full_name
            oneof = re.search(r"oneof (\w+)", notes)
            if label == "oneof":
                assert oneof and field.containing_oneof is not None, field.full_name
                assert field.containing_oneof.name == oneof.group(1), field.full_name
            else:
                assert field.containing_oneof is None, field.full_name
            default = re.search(r'default=("[^"]*"|[^,\s]+)', notes)
            if default:
                _check_default(field, default.group(1))
            else:
                assert not field.has_default_value, field.full_name
            assert field.GetOptions().deprecated == ("deprecated" in notes), field.full_name
        extra = set(message.fields_by_name) - spec_fields
        assert not extra, f"{name}: fields not in the spec: {sorted(extra)}"
