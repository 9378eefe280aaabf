"""A container runtime that really runs each container's command as a local process.

`ProcessRuntime` ignores the image. A container's argv is its `command` plus
`args` (there is no image entrypoint to fall back to, so a container without
`command` fails with CreateContainerError), with `$(VAR)` references expanded
from the container's environment as Kubernetes does (`$$` escapes a `$`).

Each pod gets a sandbox directory `<sandbox_root>/<namespace>_<name>_<uid[:8]>/`:

  <container>.log        stdout and stderr of the container, appended across restarts
  volumes/<volume>/      the pod's emptyDir volumes; configMap volumes, whose keys are
                         written as files when the runtime can read the store; and any
                         other volume type (PVCs, secrets, ...) as an empty directory

Nothing can be mounted, so every `volumeMounts[].mountPath` is rewritten instead:
where the mount path occurs as a path prefix in `command`, `args`, env values or
`workingDir`, it is replaced by the host directory behind the volume (for
hostPath volumes, the host path itself). `workingDir` outside any mount is used
when it exists on the host; a relative one is created under the sandbox; anything
else runs in the sandbox directory, which is also the default working directory.

The environment is the container's `env` and `envFrom` (plain values; `fieldRef`
for metadata.name/namespace/uid, labels['k'], annotations['k'], spec.nodeName,
spec.serviceAccountName, status.podIP(s), status.hostIP(s); `resourceFieldRef`
for requests/limits of cpu, memory and ephemeral-storage, unset limits reading
the node's allocatable; `configMapKeyRef` and `configMapRef` from the store),
plus PATH from the host, HOSTNAME (the pod's name) and KUBESIM_SANDBOX (the
sandbox directory). A reference that cannot be resolved fails the start with
CreateContainerConfigError.

Each container runs in its own process group. stop() sends SIGTERM to the group
and SIGKILL once the grace period is over; when a container's main process ends,
whatever is left of its group is killed, as a PID namespace would be. Exit codes
read like a container runtime's: the process's own code (reason Completed for 0,
else Error), 128+N after signal N (143 for SIGTERM, 137 for SIGKILL), and 128
with reason StartError when the command cannot be executed at all.

It enforces nothing it cannot: no cpu or memory limits (so never OOMKilled), no
user or group switching (runAsUser, fsGroup and capabilities are ignored), no
read-only mounts or root filesystem, no network or PID isolation, no probes, no
lifecycle hooks, no termination-message file (only FallbackToLogsOnError).
Processes that start a new session of their own escape the group kill.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clock import Clock, Timer
from .quantity import parse_quantity
from .runtime import ContainerConfigError, ExitCallback, Obj, Runtime

# Kubernetes keeps the tail of the log as the termination message for FallbackToLogsOnError.
_MESSAGE_BYTES = 2048
_MESSAGE_LINES = 80
_START_ERROR_CODE = 128

_FIELD_KEY = re.compile(r"^metadata\.(labels|annotations)\['(.*)'\]$")
_SIMPLE_FIELDS = {
    "metadata.name": ("metadata", "name"),
    "metadata.namespace": ("metadata", "namespace"),
    "metadata.uid": ("metadata", "uid"),
    "spec.nodeName": ("spec", "nodeName"),
    "spec.serviceAccountName": ("spec", "serviceAccountName"),
    "status.podIP": ("status", "podIP"),
    "status.hostIP": ("status", "hostIP"),
}


def expand(text: str, mapping: Mapping[str, str]) -> str:
    """Expand `$(VAR)` references from `mapping` the way the kubelet does.

    `$$` becomes `$` (so `$$(VAR)` is the literal `$(VAR)`); a reference to an
    unknown name, or one without its closing parenthesis, is left as written.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "$" or i + 1 == n:
            out.append(ch)
            i += 1
            continue
        following = text[i + 1]
        if following == "$":
            out.append("$")
            i += 2
        elif following == "(":
            close = text.find(")", i + 2)
            if close < 0:
                out.append(text[i:])
                break
            name = text[i + 2:close]
            out.append(mapping[name] if name in mapping else text[i:close + 1])
            i = close + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class PathRewriter:
    """Replaces mount paths that occur as path prefixes in a string by host directories."""

    def __init__(self, mounts: Mapping[str, str]) -> None:
        # Longest first, so a nested mount wins over the mount it sits in.
        self._targets = {_normal(path): host for path, host in mounts.items() if _normal(path) != "/"}
        ordered = sorted(self._targets, key=len, reverse=True)
        self._pattern = (re.compile(r"(?<![\w./-])(" + "|".join(re.escape(p) for p in ordered) + r")(?![\w.-])")
                         if ordered else None)

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._targets[m.group(1)], text)

    def changes(self, text: str) -> bool:
        return self(text) != text


def _normal(path: str) -> str:
    stripped = path.rstrip("/")
    return stripped or "/"


@dataclass
class _Process:
    pod_uid: str
    name: str
    popen: subprocess.Popen[bytes]
    on_exit: ExitCallback
    log: Path
    log_offset: int
    fallback_to_logs: bool
    lock: threading.Lock = field(default_factory=threading.Lock)
    reaped: bool = False
    removed: bool = False
    kill_timer: Timer | None = None

    def signal_group(self, signum: int) -> None:
        """Signal the container's process group, unless its leader has already been reaped."""
        with self.lock:
            if not self.reaped:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.popen.pid, signum)


@dataclass
class _Sandbox:
    path: Path
    processes: dict[str, _Process] = field(default_factory=dict)


class ProcessRuntime(Runtime):
    """Runs containers as local processes in per-pod sandbox directories (see the module doc)."""

    name = "process"

    def __init__(self, sandbox_root: str | os.PathLike[str], *, clock: Clock | None = None,
                 cleanup: bool = False) -> None:
        self.sandbox_root = Path(sandbox_root)
        self.clock = clock or Clock()
        self.cleanup = cleanup
        self.store: Any = None
        self._pods: dict[str, _Sandbox] = {}  # by pod uid

    # ------------------------------------------------------------ Runtime

    def attach(self, store: Any) -> None:
        self.store = store

    def sandbox_path(self, pod: Obj) -> Path:
        meta = pod["metadata"]
        return self.sandbox_root / f"{meta['namespace']}_{meta['name']}_{meta['uid'][:8]}"

    def log_path(self, pod: Obj, container: str) -> str | None:
        return str(self.sandbox_path(pod) / f"{container}.log")

    def start(self, pod: Obj, container: Obj, init: bool, on_exit: ExitCallback) -> str | None:
        loop = asyncio.get_running_loop()
        name = container["name"]
        command = [str(part) for part in container.get("command") or []]
        args = [str(part) for part in container.get("args") or []]
        if not command:
            return (f"the process runtime needs a command: container {name!r} has no command, "
                    "and there is no image entrypoint to fall back to")
        sandbox = self._sandbox(pod)
        rewrite = PathRewriter(self._mounts(pod, container, sandbox.path))
        declared = self._environment(pod, container, sandbox.path, rewrite)
        env = {"PATH": os.environ.get("PATH", os.defpath),
               "HOSTNAME": str(pod["spec"].get("hostname") or pod["metadata"]["name"])}
        env.update(declared)
        argv = [expand(rewrite(part), declared) for part in command + args]
        cwd = self._working_dir(container, sandbox.path, rewrite)
        log = sandbox.path / f"{name}.log"
        with open(log, "ab") as out:
            offset = out.tell()
            try:
                popen = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
            except OSError as exc:
                message = _start_error(argv[0], exc)
                out.write((message + "\n").encode())
                loop.call_soon(on_exit, _START_ERROR_CODE, "StartError", message)
                return None
        fallback = container.get("terminationMessagePolicy") == "FallbackToLogsOnError"
        process = _Process(pod["metadata"]["uid"], name, popen, on_exit, log, offset, fallback)
        sandbox.processes[name] = process
        threading.Thread(target=self._wait, args=(process, loop), name=f"kubesim-wait-{popen.pid}",
                         daemon=True).start()
        return None

    def stop(self, pod_uid: str, container: str, grace: float) -> None:
        sandbox = self._pods.get(pod_uid)
        process = sandbox.processes.get(container) if sandbox else None
        if process is None:
            return
        if grace <= 0:
            process.signal_group(signal.SIGKILL)
            return
        process.signal_group(signal.SIGTERM)
        if process.kill_timer is None:
            process.kill_timer = self.clock.call_later(grace, lambda: process.signal_group(signal.SIGKILL))

    def remove_pod(self, pod_uid: str) -> None:
        sandbox = self._pods.pop(pod_uid, None)
        if sandbox is None:
            return
        for process in sandbox.processes.values():
            process.removed = True
            if process.kill_timer is not None:
                process.kill_timer.cancel()
            process.signal_group(signal.SIGKILL)
        sandbox.processes.clear()
        if self.cleanup:
            shutil.rmtree(sandbox.path, ignore_errors=True)

    # ------------------------------------------------------------ exits

    def _wait(self, process: _Process, loop: asyncio.AbstractEventLoop) -> None:
        """On a waiter thread: wait for the main process, kill what is left of its group, reap."""
        pid = process.popen.pid
        with contextlib.suppress(ChildProcessError):
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        with process.lock:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)  # the leader is a zombie still: its group is ours
            code = process.popen.wait()
            process.reaped = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
            loop.call_soon_threadsafe(self._exited, process, code)

    def _exited(self, process: _Process, returncode: int) -> None:
        if process.kill_timer is not None:
            process.kill_timer.cancel()
            process.kill_timer = None
        sandbox = self._pods.get(process.pod_uid)
        if sandbox is not None and sandbox.processes.get(process.name) is process:
            del sandbox.processes[process.name]
        if process.removed:
            return
        code = 128 - returncode if returncode < 0 else returncode
        reason = "Completed" if code == 0 else "Error"
        message = _log_tail(process.log, process.log_offset) if process.fallback_to_logs and code else ""
        process.on_exit(code, reason, message)

    # ------------------------------------------------------------ sandbox, volumes, environment

    def _sandbox(self, pod: Obj) -> _Sandbox:
        uid = pod["metadata"]["uid"]
        sandbox = self._pods.get(uid)
        if sandbox is None:
            sandbox = _Sandbox(self.sandbox_path(pod))
            self._pods[uid] = sandbox
        (sandbox.path / "volumes").mkdir(parents=True, exist_ok=True)
        return sandbox

    def _mounts(self, pod: Obj, container: Obj, sandbox: Path) -> dict[str, str]:
        """mountPath -> host directory, for each of the container's volume mounts."""
        volumes = {v.get("name"): v for v in pod["spec"].get("volumes") or []}
        mounts: dict[str, str] = {}
        for mount in container.get("volumeMounts") or []:
            volume = volumes.get(mount.get("name"))
            if volume is None or not mount.get("mountPath"):
                continue
            if "hostPath" in volume:
                host = Path((volume["hostPath"] or {}).get("path") or "/")
            else:
                host = sandbox / "volumes" / str(volume["name"])
                host.mkdir(parents=True, exist_ok=True)
                if "configMap" in volume:
                    self._write_config_map(pod, volume, host)
            sub_path = str(mount.get("subPath") or "").strip("/")
            if sub_path:
                host = host / sub_path
                if not host.exists():
                    host.mkdir(parents=True, exist_ok=True)
            mounts[str(mount["mountPath"])] = str(host)
        return mounts

    def _write_config_map(self, pod: Obj, volume: Obj, host: Path) -> None:
        source = volume.get("configMap") or {}
        config_map = self._config_map(pod, source.get("name", ""), bool(source.get("optional")))
        if config_map is None:
            return
        files: dict[str, bytes] = {k: str(v).encode() for k, v in (config_map.get("data") or {}).items()}
        for key, value in (config_map.get("binaryData") or {}).items():
            files[key] = base64.b64decode(value)
        items = source.get("items")
        if items:
            chosen: dict[str, bytes] = {}
            for item in items:
                if item.get("key") not in files:
                    if source.get("optional"):
                        continue
                    raise ContainerConfigError(
                        f"configmap references non-existent config key: {item.get('key')}")
                chosen[str(item.get("path") or item["key"])] = files[item["key"]]
            files = chosen
        for path, content in files.items():
            target = host / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)

    def _config_map(self, pod: Obj, name: str, optional: bool) -> Obj | None:
        namespace = pod["metadata"]["namespace"]
        if self.store is None:
            if optional:
                return None
            raise ContainerConfigError(f'configmap "{name}": the process runtime has no access to the store')
        config_map: Obj | None = self.store.try_get("configmaps", namespace, name)
        if config_map is None and not optional:
            raise ContainerConfigError(f'configmap "{name}" not found')
        return config_map

    def _environment(self, pod: Obj, container: Obj, sandbox: Path, rewrite: PathRewriter) -> dict[str, str]:
        """The variables the container declares, plus KUBESIM_SANDBOX, in Kubernetes' order."""
        env: dict[str, str] = {"KUBESIM_SANDBOX": str(sandbox)}
        for source in container.get("envFrom") or []:
            prefix = str(source.get("prefix") or "")
            if "configMapRef" in source:
                ref = source["configMapRef"] or {}
                config_map = self._config_map(pod, ref.get("name", ""), bool(ref.get("optional")))
                for key, value in ((config_map or {}).get("data") or {}).items():
                    env[prefix + key] = str(value)
            else:
                kind = next(iter(k for k in source if k != "prefix"), "?")
                raise ContainerConfigError(f"the process runtime cannot resolve envFrom {kind}")
        for var in container.get("env") or []:
            name = str(var["name"])
            if var.get("valueFrom"):
                value = self._value_from(pod, container, name, var["valueFrom"])
                if value is None:
                    continue
                env[name] = value
            else:
                env[name] = expand(rewrite(str(var.get("value") or "")), env)
        env["KUBESIM_SANDBOX"] = str(sandbox)
        return env

    def _value_from(self, pod: Obj, container: Obj, name: str, source: Obj) -> str | None:
        if "fieldRef" in source:
            return _field_value(pod, str((source["fieldRef"] or {}).get("fieldPath", "")), name)
        if "resourceFieldRef" in source:
            return self._resource_value(pod, container, source["resourceFieldRef"] or {}, name)
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"] or {}
            optional = bool(ref.get("optional"))
            config_map = self._config_map(pod, ref.get("name", ""), optional)
            if config_map is None:
                return None
            data = config_map.get("data") or {}
            if ref.get("key") not in data:
                if optional:
                    return None
                namespace = pod["metadata"]["namespace"]
                raise ContainerConfigError(
                    f"couldn't find key {ref.get('key')} in ConfigMap {namespace}/{ref.get('name')}")
            return str(data[ref["key"]])
        kind = next(iter(source), "?")
        raise ContainerConfigError(f"the process runtime cannot resolve env {name}: valueFrom.{kind} is not supported")

    def _resource_value(self, pod: Obj, container: Obj, ref: Obj, var: str) -> str:
        target = container
        wanted = ref.get("containerName")
        if wanted and wanted != container.get("name"):
            pool = (pod["spec"].get("containers") or []) + (pod["spec"].get("initContainers") or [])
            target = next((c for c in pool if c.get("name") == wanted), container)
        resource = str(ref.get("resource", ""))
        kind, _, what = resource.partition(".")
        if kind not in ("limits", "requests") or what not in ("cpu", "memory", "ephemeral-storage"):
            raise ContainerConfigError(f"the process runtime cannot resolve env {var}: unsupported resource {resource!r}")
        raw = ((target.get("resources") or {}).get(kind) or {}).get(what)
        if raw is None and kind == "limits":
            raw = self._node_allocatable(pod).get(what)
        try:
            amount = parse_quantity(raw if raw is not None else 0)
            divisor = parse_quantity(ref.get("divisor") or "1")
        except ValueError as exc:
            raise ContainerConfigError(f"env {var}: {exc}") from None
        if divisor <= 0:
            raise ContainerConfigError(f"env {var}: divisor must be positive")
        if what == "cpu":  # whole millicores, as the kubelet counts them
            amount = (amount * 1000).to_integral_value(rounding="ROUND_CEILING") / 1000
        return str(int((amount / divisor).to_integral_value(rounding="ROUND_CEILING")))

    def _node_allocatable(self, pod: Obj) -> dict[str, Any]:
        node = None
        if self.store is not None and pod["spec"].get("nodeName"):
            node = self.store.try_get("nodes", None, pod["spec"]["nodeName"])
        if node is not None:
            status = node.get("status") or {}
            return dict(status.get("allocatable") or status.get("capacity") or {})
        return {"cpu": str(os.cpu_count() or 1), "memory": str(_host_memory()),
                "ephemeral-storage": str(shutil.disk_usage(self.sandbox_root.anchor or "/").total)}

    def _working_dir(self, container: Obj, sandbox: Path, rewrite: PathRewriter) -> str:
        wanted = str(container.get("workingDir") or "")
        if not wanted:
            return str(sandbox)
        if rewrite.changes(wanted):
            path = Path(rewrite(wanted))
        elif os.path.isabs(wanted):
            return wanted if os.path.isdir(wanted) else str(sandbox)
        else:
            path = sandbox / wanted
        path.mkdir(parents=True, exist_ok=True)
        return str(path)


def _field_value(pod: Obj, path: str, var: str) -> str:
    simple = _SIMPLE_FIELDS.get(path)
    if simple is not None:
        section, key = simple
        return str((pod.get(section) or {}).get(key) or "")
    if path in ("status.podIPs", "status.hostIPs"):
        entries = (pod.get("status") or {}).get(path.split(".")[1]) or []
        return ",".join(str(e.get("ip", "")) for e in entries)
    match = _FIELD_KEY.match(path)
    if match is not None:
        return str((pod["metadata"].get(match.group(1)) or {}).get(match.group(2), ""))
    raise ContainerConfigError(f"the process runtime cannot resolve env {var}: unsupported fieldPath {path!r}")


def _start_error(executable: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        problem = ("no such file or directory" if "/" in executable
                   else "executable file not found in $PATH")
    elif isinstance(exc, PermissionError):
        problem = "permission denied"
    else:
        problem = exc.strerror or str(exc)
    return (f"failed to create containerd task: failed to create shim task: OCI runtime create failed: "
            f"unable to start container process: exec: \"{executable}\": {problem}: unknown")


def _log_tail(log: Path, offset: int) -> str:
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return ""
    lines = data[-_MESSAGE_BYTES:].splitlines(keepends=True)[-_MESSAGE_LINES:]
    return b"".join(lines).decode(errors="replace")


def _host_memory() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
