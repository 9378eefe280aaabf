"""Builders for the scheduler events the master sends."""

from __future__ import annotations

from collections.abc import Iterable

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

Event = scheduler_pb2.Event
HEARTBEAT_INTERVAL_SECONDS = 15.0


def subscribed(framework_id: str, master_info: mesos_pb2.MasterInfo,
               heartbeat_interval: float = HEARTBEAT_INTERVAL_SECONDS) -> Event:
    event = Event(type=Event.SUBSCRIBED)
    event.subscribed.framework_id.value = framework_id
    event.subscribed.heartbeat_interval_seconds = heartbeat_interval
    event.subscribed.master_info.CopyFrom(master_info)
    return event


def heartbeat() -> Event:
    return Event(type=Event.HEARTBEAT)


def error(message: str) -> Event:
    event = Event(type=Event.ERROR)
    event.error.message = message
    return event


def offers(items: Iterable[mesos_pb2.Offer]) -> Event:
    event = Event(type=Event.OFFERS)
    event.offers.offers.extend(items)
    return event


def rescind(offer_id: str) -> Event:
    event = Event(type=Event.RESCIND)
    event.rescind.offer_id.value = offer_id
    return event


def update(status: mesos_pb2.TaskStatus) -> Event:
    event = Event(type=Event.UPDATE)
    event.update.status.CopyFrom(status)
    return event


def agent_lost(agent_id: str) -> Event:
    event = Event(type=Event.FAILURE)
    event.failure.agent_id.value = agent_id
    return event


def operation_status(operation_id: str, state: mesos_pb2.OperationState, message: str,
                     agent_id: str | None) -> Event:
    event = Event(type=Event.UPDATE_OPERATION_STATUS)
    status = event.update_operation_status.status
    status.operation_id.value = operation_id
    status.state = state
    status.message = message
    if agent_id:
        status.agent_id.value = agent_id
    return event


def operation_error(operation_id: str, message: str, agent_id: str | None) -> Event:
    return operation_status(operation_id, mesos_pb2.OPERATION_ERROR, message, agent_id)
