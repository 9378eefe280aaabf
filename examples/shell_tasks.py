"""A small pymesos framework: runs a few shell tasks through mesoshim and prints their updates.

    mesoshim local &                                  # in one terminal
    python examples/shell_tasks.py 127.0.0.1:5050    # in another

With `mesoshim local` (process runtime) the commands really run on this machine; their
output lands in each pod's sandbox log file.
"""

from __future__ import annotations

import argparse
import logging
import threading
import uuid
from typing import Any

from pymesos import MesosSchedulerDriver, Scheduler

COMMANDS = [
    "echo hello from mesoshim",
    "sleep 1; echo done sleeping",
    "echo this one fails; exit 3",
]
TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED",
            "TASK_GONE", "TASK_GONE_BY_OPERATOR"}


class ShellTasks(Scheduler):  # type: ignore[misc]
    def __init__(self, commands: list[str]) -> None:
        self.pending = list(commands)
        self.running: dict[str, str] = {}
        self.finished = threading.Event()

    def registered(self, driver: Any, framework_id: Any, master_info: Any) -> None:
        print(f"registered as {framework_id['value']} with master {master_info.get('hostname')}")

    def resourceOffers(self, driver: Any, offers: list[Any]) -> None:
        for offer in offers:
            if not self.pending:
                driver.declineOffer(offer["id"], {"refuse_seconds": 60})
                continue
            command = self.pending.pop(0)
            task_id = f"shell-{uuid.uuid4().hex[:8]}"
            self.running[task_id] = command
            task = {
                "name": task_id, "task_id": {"value": task_id}, "agent_id": offer["agent_id"],
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                              {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}],
                "command": {"value": command},
            }
            print(f"launching {task_id} on {offer['hostname']}: {command}")
            driver.launchTasks(offer["id"], [task])

    def statusUpdate(self, driver: Any, update: Any) -> None:
        task_id, state = update["task_id"]["value"], update["state"]
        print(f"{task_id}: {state} {update.get('message', '')}".rstrip())
        if state in TERMINAL:
            self.running.pop(task_id, None)
            if not self.pending and not self.running:
                self.finished.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("master", nargs="?", default="127.0.0.1:5050", help="mesoshim master host:port")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    scheduler = ShellTasks(COMMANDS)
    framework = {"user": "", "name": "shell-tasks", "failover_timeout": 60}
    driver = MesosSchedulerDriver(scheduler, framework, args.master, use_addict=False)
    driver.start()
    try:
        scheduler.finished.wait(timeout=120)
    finally:
        driver.stop()
        driver.join()


if __name__ == "__main__":
    main()
