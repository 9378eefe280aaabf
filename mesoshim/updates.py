"""Reliable task status updates, as a Mesos agent's status update manager delivers them.

One stream per task: updates queue up, only the head is outstanding, and it is
re-sent 10 s after sending, then 20 s, 40 s ... up to 10 min, until the framework
acknowledges its uuid. The next update goes out as soon as the head is acked.
(`retry_min`, from `MasterConfig.status_update_retry_interval`, replaces the first 10 s.)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from mesoshim.pb.mesos.v1 import mesos_pb2

RETRY_MIN_SECONDS = 10.0
RETRY_MAX_SECONDS = 600.0


@dataclass
class UpdateStream:
    pending: deque[mesos_pb2.TaskStatus] = field(default_factory=deque)
    # When the head is due to be (re)sent; None while nothing is outstanding.
    due: float | None = None
    interval: float = RETRY_MIN_SECONDS
    retry_min: float = RETRY_MIN_SECONDS  # the first retry interval; it doubles from there

    def push(self, status: mesos_pb2.TaskStatus, now: float) -> mesos_pb2.TaskStatus | None:
        """Queue an update; returns it when it becomes the head and should be sent now."""
        self.pending.append(status)
        if len(self.pending) == 1:
            self.interval = self.retry_min
            self.due = now + self.interval
            return status
        return None

    def acknowledge(self, uuid: bytes, now: float) -> tuple[mesos_pb2.TaskStatus | None, mesos_pb2.TaskStatus | None]:
        """Ack the head if `uuid` matches: (acked update, next update to send now)."""
        if not self.pending or self.pending[0].uuid != uuid:
            return None, None
        acked = self.pending.popleft()
        self.interval = self.retry_min
        if self.pending:
            self.due = now + self.interval
            return acked, self.pending[0]
        self.due = None
        return acked, None

    def retry(self, now: float) -> mesos_pb2.TaskStatus | None:
        """The head, if its retry time has come (and schedule the next retry)."""
        if self.due is None or now < self.due or not self.pending:
            return None
        self.interval = min(self.interval * 2, RETRY_MAX_SECONDS)
        self.due = now + self.interval
        return self.pending[0]

    def resend(self, now: float) -> mesos_pb2.TaskStatus | None:
        """The head, to send again at once (after a framework re-subscribes)."""
        if not self.pending:
            return None
        self.interval = self.retry_min
        self.due = now + self.interval
        return self.pending[0]

    @property
    def head(self) -> mesos_pb2.TaskStatus | None:
        return self.pending[0] if self.pending else None
