"""Container runtimes for the simulated kubelet.

A runtime starts and stops one container at a time and reports each exit
through a callback. `SimRuntime` only keeps time: how long a container runs
and how it ends come from pod annotations. `ProcessRuntime` (in
process_runtime.py) really runs the container's command.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .clock import Clock, Timer

Obj = dict[str, Any]
# on_exit(exit_code, reason, message)
ExitCallback = Callable[[int, str, str], None]

ANNOTATION_PREFIX = "kubesim.io/"


def annotation(pod: Obj, name: str, default: str | None = None) -> str | None:
    return (pod["metadata"].get("annotations") or {}).get(ANNOTATION_PREFIX + name, default)


def annotation_float(pod: Obj, name: str, default: float | None) -> float | None:
    raw = annotation(pod, name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        return default


class ContainerConfigError(Exception):
    """Raised by `Runtime.start` when the container's configuration cannot be resolved
    (a missing ConfigMap or key, an unsupported env source): CreateContainerConfigError."""


class Runtime:
    """What the kubelet needs from a container runtime."""

    name = "abstract"

    def attach(self, store: Any) -> None:
        """Called by the kubelet with its object store, for runtimes that read ConfigMaps or nodes."""

    def start(self, pod: Obj, container: Obj, init: bool, on_exit: ExitCallback) -> str | None:
        """Start a container; returns None when started, or a CreateContainerError message.

        Raises ContainerConfigError when the configuration cannot be resolved. `on_exit`
        must be called later, on the event loop, never from inside start().
        """
        raise NotImplementedError

    def stop(self, pod_uid: str, container: str, grace: float) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds; the exit arrives through on_exit."""
        raise NotImplementedError

    def remove_pod(self, pod_uid: str) -> None:
        """Forget a pod whose object is gone; kill anything still running."""
        raise NotImplementedError

    def log_path(self, pod: Obj, container: str) -> str | None:
        return None


class SimRuntime(Runtime):
    """Containers that run for a while and exit as the pod's annotations say.

    Annotations (prefix kubesim.io/):
      run-seconds        how long containers run before exiting (default: forever, or
                         `default_run_seconds` when an exit-code or oom annotation is set)
      exit-code          the exit code (default 0)
      oom                "true": exit 137 with reason OOMKilled
      sigterm-seconds    how long containers take to exit after SIGTERM (default 0)
      sigterm-exit-code  the exit code after SIGTERM (default 143)
    Init containers complete at once (after `init-run-seconds`, default 0) with exit 0
    unless `init-exit-code` is set.
    """

    name = "sim"

    def __init__(self, clock: Clock, *, default_run_seconds: float = 1.0, jitter: float = 0.0,
                 rng: random.Random | None = None) -> None:
        self.clock = clock
        self.default_run_seconds = default_run_seconds
        self.jitter = jitter
        self.rng = rng or random.Random()
        # pod uid -> container name -> (pod, on_exit, pending exit timer)
        self._running: dict[str, dict[str, tuple[Obj, ExitCallback, Timer | None]]] = {}
        # (pod uid, container) -> when it got its first SIGTERM: a second stop() with a
        # shorter grace period does not restart its reaction time.
        self._sigterm_at: dict[tuple[str, str], float] = {}

    def start(self, pod: Obj, container: Obj, init: bool, on_exit: ExitCallback) -> str | None:
        uid, name = pod["metadata"]["uid"], container["name"]
        if init:
            code = int(annotation(pod, "init-exit-code", "0") or 0)
            run: float | None = annotation_float(pod, "init-run-seconds", 0.0) or 0.0
            reason = "Completed" if code == 0 else "Error"
        else:
            oom = annotation(pod, "oom") == "true"
            code = 137 if oom else int(annotation(pod, "exit-code", "0") or 0)
            reason = "OOMKilled" if oom else ("Completed" if code == 0 else "Error")
            finite = oom or annotation(pod, "exit-code") is not None
            run = annotation_float(pod, "run-seconds", self.default_run_seconds if finite else None)
        timer = None
        if run is not None:
            delay = run + (self.rng.uniform(0, self.jitter) if self.jitter else 0.0)
            timer = self.clock.call_later(delay, lambda: self._exit(uid, name, code, reason))
        # Keep only what stop() reads (the annotations), not the pod: holding the pod object
        # would keep this old version of it alive for as long as the container runs.
        kept = {"metadata": {"annotations": pod["metadata"].get("annotations")}}
        self._running.setdefault(uid, {})[name] = (kept, on_exit, timer)
        return None

    def stop(self, pod_uid: str, container: str, grace: float) -> None:
        entry = self._running.get(pod_uid, {}).get(container)
        if entry is None:
            return
        pod, _, timer = entry
        if timer is not None:
            timer.cancel()
        now = self.clock.now()
        signalled = self._sigterm_at.setdefault((pod_uid, container), now)
        reaction = (annotation_float(pod, "sigterm-seconds", 0.0) or 0.0) - (now - signalled)
        if reaction < grace:
            code = int(annotation(pod, "sigterm-exit-code", "143") or 143)
            reason = "Completed" if code == 0 else "Error"
            after = max(0.0, reaction)
        else:
            code, reason, after = 137, "Error", grace
        new_timer = self.clock.call_later(after, lambda: self._exit(pod_uid, container, code, reason))
        self._running[pod_uid][container] = (pod, entry[1], new_timer)

    def remove_pod(self, pod_uid: str) -> None:
        for name, (_, _, timer) in self._running.pop(pod_uid, {}).items():
            self._sigterm_at.pop((pod_uid, name), None)
            if timer is not None:
                timer.cancel()

    def _exit(self, uid: str, name: str, code: int, reason: str) -> None:
        self._sigterm_at.pop((uid, name), None)
        containers = self._running.get(uid, {})
        entry = containers.pop(name, None)
        if not containers:
            self._running.pop(uid, None)
        if entry is not None:
            entry[1](code, reason, "")
