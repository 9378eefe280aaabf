"""A real pymesos 0.3.15 framework against the shim and kubesim (mesos-api.md §11.1).

pymesos speaks JSON: it fetches `GET /version`, subscribes over a raw socket with
`Connection: close` and needs a chunked answer, sends every other call on a separate
keep-alive `http.client` connection without `Accept`, and acknowledges every update that
carries a `uuid` by itself (implicit acknowledgements). Callbacks run on its I/O thread;
the recorder below hands them to the test thread. Any non-2xx answer to one of its calls
kills its I/O thread: the `aborts` fixture turns that into a test failure instead of a
KeyboardInterrupt in pytest's main thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pymesos.process
import pytest
from mesos_client import Framework, framework_info, wait_until
from pymesos import MesosSchedulerDriver, Scheduler

from mesoshim.pb.mesos.v1.scheduler import scheduler_pb2

Dict = dict[str, Any]


class Recorder(Scheduler):
    """Every callback as (kind, payload), in order; `take` waits for one, like Subscription.take."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.calls: list[tuple[str, Any]] = []
        self._pending: list[tuple[str, Any]] = []

    def _add(self, kind: str, payload: Any = None) -> None:
        with self._cond:
            self.calls.append((kind, payload))
            self._pending.append((kind, payload))
            self._cond.notify_all()

    def take(self, kind: str, predicate: Callable[[Any], bool] = lambda _: True,
             timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, (k, payload) in enumerate(self._pending):
                    if k == kind and predicate(payload):
                        del self._pending[i]
                        return payload
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {kind} callback within {timeout:g}s; "
                                         f"got {[k for k, _ in self.calls][-20:]}")
                self._cond.wait(min(remaining, 0.5))

    def take_status(self, task_id: str, state: str, timeout: float = 15.0) -> Dict:
        status: Dict = self.take("status", lambda s: s["task_id"]["value"] == task_id
                                 and s["state"] == state, timeout)
        return status

    def statuses(self, task_id: str) -> list[Dict]:
        with self._cond:
            return [p for k, p in self.calls if k == "status" and p["task_id"]["value"] == task_id]

    def count(self, kind: str) -> int:
        with self._cond:
            return sum(1 for k, _ in self.calls if k == kind)

    def drop(self, kind: str) -> None:
        with self._cond:
            self._pending = [(k, p) for k, p in self._pending if k != kind]

    # pymesos callbacks (its I/O thread)
    def registered(self, driver: Any, framework_id: Dict, master_info: Dict) -> None:
        self._add("registered", (framework_id, master_info))

    def reregistered(self, driver: Any, master_info: Dict) -> None:
        self._add("reregistered", master_info)

    def disconnected(self, driver: Any) -> None:
        self._add("disconnected")

    def resourceOffers(self, driver: Any, offers: list[Dict]) -> None:
        for offer in offers:
            self._add("offer", offer)

    def offerRescinded(self, driver: Any, offer_id: Dict) -> None:
        self._add("rescinded", offer_id)

    def statusUpdate(self, driver: Any, status: Dict) -> None:
        self._add("status", status)

    def slaveLost(self, driver: Any, agent_id: Dict) -> None:
        self._add("agent_lost", agent_id)

    def error(self, driver: Any, message: str) -> None:
        self._add("error", message)


@pytest.fixture
def aborts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """pymesos calls `_thread.interrupt_main()` when its I/O thread dies; record it instead."""
    recorded: list[str] = []
    monkeypatch.setattr(pymesos.process, "thread",
                        SimpleNamespace(interrupt_main=lambda: recorded.append("pymesos I/O thread aborted")))
    yield recorded
    assert recorded == [], "a pymesos driver aborted (a call got a non-2xx answer?)"


DriverFactory = Callable[..., tuple[MesosSchedulerDriver, Recorder]]


@pytest.fixture
def drivers(env: Any, aborts: list[str]) -> Iterator[DriverFactory]:
    started: list[MesosSchedulerDriver] = []

    def start(framework: Dict | None = None) -> tuple[MesosSchedulerDriver, Recorder]:
        recorder = Recorder()
        info = framework or {"user": "e2e", "name": "pymesos-e2e"}
        driver = MesosSchedulerDriver(recorder, info, env.address)
        driver.start()
        started.append(driver)
        return driver, recorder

    yield start
    for driver in started:
        driver.stop(failover=True)
        driver.join()


def task(task_id: str, offer: Dict, command: str, cpus: float = 0.1, mem: float = 32) -> Dict:
    return {
        "name": task_id, "task_id": {"value": task_id}, "agent_id": offer["agent_id"],
        "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
                      {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}],
        "command": {"value": command},
    }


def registered(recorder: Recorder) -> str:
    framework_id, _ = recorder.take("registered")
    value: str = framework_id["value"]
    return value


def launch(driver: MesosSchedulerDriver, recorder: Recorder, *commands: tuple[str, str]) -> Dict:
    """Launch (task id, command) pairs on the next offer; returns the offer."""
    offer: Dict = recorder.take("offer")
    driver.launchTasks(offer["id"], [task(tid, offer, cmd) for tid, cmd in commands])
    return offer


def test_registers_with_a_numeric_version_and_gets_offers(env: Any, drivers: DriverFactory) -> None:
    driver, recorder = drivers()
    framework_id, master_info = recorder.take("registered")
    assert framework_id["value"].startswith(env.state()["id"] + "-")
    # pymesos parsed /version as integers and learnt the master from its own address.
    assert master_info == {"hostname": env.shim.config.host, "port": env.shim.port, "version": "1.12.0"}
    assert driver.version == "1.12.0"
    offers = [recorder.take("offer"), recorder.take("offer")]
    assert sorted(o["hostname"] for o in offers) == sorted(env.node_names)
    for offer in offers:
        names = {r["name"] for r in offer["resources"]}
        assert {"cpus", "mem", "disk", "ports"} <= names
        assert offer["framework_id"] == framework_id
    state = env.framework_state(framework_id["value"])
    assert state is not None and state["connected"] and state["active"]
    # pymesos sends failover_timeout 100 and the GPU_RESOURCES capability (version >= 1.0).
    assert state["failover_timeout"] == 100
    assert state["capabilities"] == ["GPU_RESOURCES"]


def test_shell_tasks_finish_and_fail_with_the_command_executor_messages(env: Any, drivers: DriverFactory) -> None:
    driver, recorder = drivers()
    framework_id = registered(recorder)
    launch(driver, recorder, ("ok", "exit 0"), ("bad", "echo oops >&2; exit 3"))

    finished = recorder.take_status("ok", "TASK_FINISHED")
    assert finished["source"] == "SOURCE_EXECUTOR"
    assert finished["message"] == "Command exited with status 0"
    failed = recorder.take_status("bad", "TASK_FAILED")
    assert failed["source"] == "SOURCE_EXECUTOR"
    assert failed["reason"] == "REASON_COMMAND_EXECUTOR_FAILED"
    assert failed["message"] == "Command exited with status 3"
    for status in (finished, failed):
        assert "uuid" in status and status["agent_id"]["value"]
        assert status["executor_id"]["value"] == status["task_id"]["value"]

    # Each update waits for the previous one's acknowledgement: that the terminal ones came
    # at all shows pymesos's implicit acks went through. In order, STARTING first:
    for tid, terminal in (("ok", "TASK_FINISHED"), ("bad", "TASK_FAILED")):
        seen = [s["state"] for s in recorder.statuses(tid)]
        assert seen[0] == "TASK_STARTING" and seen[-1] == terminal
        assert set(seen) <= {"TASK_STARTING", "TASK_RUNNING", terminal}

    # Acknowledged terminal updates move the tasks to completed_tasks.
    def completed() -> list[str]:
        state = env.framework_state(framework_id)
        return sorted(t["id"] for t in state["completed_tasks"]) if state else []
    assert wait_until(lambda: completed() == ["bad", "ok"], message="both tasks completed")
    fw = env.framework_state(framework_id)
    assert fw["tasks"] == []
    assert {t["id"]: t["state"] for t in fw["completed_tasks"]} == {"ok": "TASK_FINISHED", "bad": "TASK_FAILED"}


def test_kill_of_a_long_running_task(env: Any, drivers: DriverFactory) -> None:
    driver, recorder = drivers()
    registered(recorder)
    launch(driver, recorder, ("sleeper", "sleep 600"))
    recorder.take_status("sleeper", "TASK_RUNNING")
    assert len(env.pods()) == 1

    driver.killTask({"value": "sleeper"})  # pymesos sends no agent_id
    killed = recorder.take_status("sleeper", "TASK_KILLED")
    assert killed["source"] == "SOURCE_EXECUTOR"
    assert "uuid" in killed
    # The pod goes away once the kill is done and acknowledged.
    wait_until(lambda: env.pods() == [], message="the pod to be deleted")


def test_decline_with_filters_then_suppress_and_revive(env: Any, drivers: DriverFactory) -> None:
    driver, recorder = drivers()
    registered(recorder)
    offers = [recorder.take("offer"), recorder.take("offer")]

    # Declined for an hour: nothing comes back on its own.
    driver.declineOffer([o["id"] for o in offers], filters={"refuse_seconds": 3600})
    time.sleep(1.0)  # five allocation cycles
    assert recorder.count("offer") == 2

    # REVIVE clears the filters: both agents are offered again.
    driver.reviveOffers()
    offers = [recorder.take("offer"), recorder.take("offer")]
    assert len({o["agent_id"]["value"] for o in offers}) == 2

    # refuse_seconds 0: no filter, re-offered at the next allocation.
    driver.declineOffer([offers[0]["id"]], filters={"refuse_seconds": 0})
    again = recorder.take("offer")
    assert again["agent_id"] == offers[0]["agent_id"]
    assert again["id"] != offers[0]["id"]

    # SUPPRESS: outstanding offers stay, no new ones even without a filter.
    driver.suppressOffers()
    wait_until(lambda: not env.framework_state(registered_id(env))["active"], message="suppressed")
    driver.declineOffer([offers[1]["id"], again["id"]], filters={"refuse_seconds": 0})
    count = recorder.count("offer")
    time.sleep(1.0)
    assert recorder.count("offer") == count
    assert recorder.count("rescinded") == 0

    driver.reviveOffers()
    revived = [recorder.take("offer"), recorder.take("offer")]
    assert len({o["agent_id"]["value"] for o in revived}) == 2


def registered_id(env: Any) -> str:
    frameworks = env.state()["frameworks"]
    assert len(frameworks) == 1
    value: str = frameworks[0]["id"]
    return value


def test_reconcile_explicit_implicit_and_unknown(env: Any, drivers: DriverFactory) -> None:
    driver, recorder = drivers()
    registered(recorder)
    offer = launch(driver, recorder, ("r1", "sleep 600"))
    recorder.take_status("r1", "TASK_RUNNING")

    driver.reconcileTasks([{"task_id": {"value": "r1"}}])
    explicit = recorder.take("status", lambda s: s.get("reason") == "REASON_RECONCILIATION")
    assert explicit["task_id"] == {"value": "r1"}
    assert explicit["state"] == "TASK_RUNNING"
    assert explicit["source"] == "SOURCE_MASTER"
    assert explicit["message"] == "Reconciliation: Latest task state"
    assert explicit["agent_id"] == offer["agent_id"]
    assert "uuid" not in explicit  # not reliable: pymesos does not ack it

    driver.reconcileTasks([])  # implicit: every task the master knows
    implicit = recorder.take("status", lambda s: s.get("reason") == "REASON_RECONCILIATION")
    assert (implicit["task_id"], implicit["state"]) == ({"value": "r1"}, "TASK_RUNNING")

    driver.reconcileTasks([{"task_id": {"value": "never-launched"}}])
    unknown = recorder.take_status("never-launched", "TASK_LOST")  # not PARTITION_AWARE
    assert unknown["reason"] == "REASON_RECONCILIATION"
    assert unknown["source"] == "SOURCE_MASTER"
    assert unknown["message"] == "Reconciliation: Task is unknown"
    assert "uuid" not in unknown

    # Only what was asked for came back.
    time.sleep(0.5)
    reconciliations = [p for k, p in recorder.calls if k == "status" and p.get("reason") == "REASON_RECONCILIATION"]
    assert len(reconciliations) == 3


def test_implicit_acknowledgements_keep_updates_flowing(env: Any, drivers: DriverFactory) -> None:
    driver, recorder = drivers()
    registered(recorder)
    # A task that changes state several times: STARTING, RUNNING, then FINISHED.
    launch(driver, recorder, ("flow", "sleep 0.5"))
    recorder.take_status("flow", "TASK_FINISHED")
    seen = [s["state"] for s in recorder.statuses("flow")]
    assert seen == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    # Every update was reliable and distinct, and none was re-sent (they were all acked).
    uuids = [s["uuid"] for s in recorder.statuses("flow")]
    assert len(set(uuids)) == 3
    time.sleep(0.5)
    assert len(recorder.statuses("flow")) == 3


def test_stop_without_failover_tears_the_framework_down(env: Any, drivers: DriverFactory) -> None:
    driver, recorder = drivers()
    framework_id = registered(recorder)
    launch(driver, recorder, ("doomed", "sleep 600"))
    recorder.take_status("doomed", "TASK_RUNNING")

    driver.stop(failover=False)  # TEARDOWN
    driver.join()
    assert driver.framework_id is None  # pymesos forgets the id after a TEARDOWN

    def completed() -> bool:
        state = env.state()
        return framework_id in [f["id"] for f in state["completed_frameworks"]] and \
            framework_id not in [f["id"] for f in state["frameworks"]]
    wait_until(completed, message="the framework to be completed")
    fw = env.framework_state(framework_id)
    assert [(t["id"], t["state"]) for t in fw["completed_tasks"]] == [("doomed", "TASK_KILLED")]
    wait_until(lambda: env.pods() == [], message="the task's pod to be deleted")

    # The id is gone for good: a SUBSCRIBE with it is refused in-band.
    raw = Framework(env.url)
    stream = raw.open_stream(framework_info("again"), framework_id)
    assert stream.status == 200
    error = stream.take_type(scheduler_pb2.Event.ERROR)
    assert error.error.message == "Framework has been removed"
    stream.wait_ended()
    raw.close()


def test_restart_with_the_saved_framework_id_resubscribes(env: Any, drivers: DriverFactory) -> None:
    driver, recorder = drivers()
    framework_id = registered(recorder)
    launch(driver, recorder, ("survivor", "sleep 600"))
    recorder.take_status("survivor", "TASK_RUNNING")

    driver.stop(failover=True)  # the scheduler "crashes": no TEARDOWN
    driver.join()
    wait_until(lambda: not env.framework_state(framework_id)["connected"], message="disconnected")
    assert len(env.pods()) == 1  # tasks survive a disconnection

    # A new driver with the saved id: SUBSCRIBE with framework_id, reregistered().
    second, recorder2 = drivers({"user": "e2e", "name": "pymesos-e2e", "id": {"value": framework_id}})
    master_info = recorder2.take("reregistered")
    assert master_info["port"] == env.shim.port
    assert recorder2.count("registered") == 0
    assert second.framework_id == framework_id
    state = env.framework_state(framework_id)
    assert state["connected"] and len(env.state()["frameworks"]) == 1

    second.reconcileTasks([{"task_id": {"value": "survivor"}}])
    status = recorder2.take_status("survivor", "TASK_RUNNING")
    assert status["reason"] == "REASON_RECONCILIATION"
    recorder2.take("offer")  # offers resume for the re-subscribed framework

    second.killTask({"value": "survivor"})
    recorder2.take_status("survivor", "TASK_KILLED")


def test_a_deleted_node_is_reported_as_lost(env: Any, drivers: DriverFactory) -> None:
    driver, recorder = drivers()
    registered(recorder)
    offer = launch(driver, recorder, ("stranded", "sleep 600"))
    recorder.take_status("stranded", "TASK_RUNNING")

    env.remove_node(offer["hostname"])
    lost = recorder.take_status("stranded", "TASK_LOST")  # not PARTITION_AWARE
    assert (lost["reason"], lost["source"]) == ("REASON_AGENT_REMOVED", "SOURCE_MASTER")
    assert "uuid" not in lost
    # pymesos reads FAILURE.agent_id unconditionally: it must be there.
    assert recorder.take("agent_lost") == offer["agent_id"]
