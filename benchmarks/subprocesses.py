"""Child processes shared by the benchmark scripts: start one, read its stdout, stop it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

Obj = dict[str, Any]


class ChildProcess:
    """A child process of a benchmark script, run from the checkout `src` (its cwd and first
    PYTHONPATH entry). `start()` returns the URL it prints, found by `url_line` (group 1), or ""
    at once when `url_line` is None. Its stdout lines are queued; its stderr goes to a log file
    that `stop()` removes."""

    def __init__(self, argv: list[str], *, name: str, log_prefix: str, src: Path,
                 env: Mapping[str, str], url_line: re.Pattern[str] | None,
                 start_timeout: float = 120.0, stdin: bool = False, limit: int = 2**16,
                 tmpdir_prefix: str | None = None) -> None:
        """`name` is what error messages call it; `env` is added to this process's environment;
        `stdin` makes its stdin a pipe (for `command()`), else it shares this one's; `limit` is
        the longest stdout line; `tmpdir_prefix` gives it a temporary directory `tmpdir` for as
        long as it lives."""
        self.argv = argv
        self.name = name
        self.src = src
        self.env = dict(env)
        self.url_line = url_line
        self.start_timeout = start_timeout
        self.stdin = stdin
        self.limit = limit
        # Lives as long as the child does; stop() closes and removes it.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix=log_prefix, suffix=".log", delete=False)
        self.tmpdir = (tempfile.TemporaryDirectory(prefix=tmpdir_prefix)
                       if tmpdir_prefix is not None else None)
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: asyncio.Queue[str] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, timeout: float | None = None) -> str:
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE if self.stdin else None,
            stdout=asyncio.subprocess.PIPE, stderr=self.log, cwd=str(self.src), limit=self.limit,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env,
                 "PYTHONPATH": os.pathsep.join(filter(None, [str(self.src), os.environ.get("PYTHONPATH")]))})
        self._reader = asyncio.create_task(self._read())
        if self.url_line is None:
            return ""
        deadline = time.monotonic() + (self.start_timeout if timeout is None else timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.returncode is not None:
                raise RuntimeError(f"{self.name} did not start: see {self.log.name}")
            with contextlib.suppress(TimeoutError):
                line = await asyncio.wait_for(self.lines.get(), min(left, 1.0))
                match = self.url_line.search(line)
                if match:
                    return match.group(1)

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            raw = await self.proc.stdout.readline()
            if not raw:
                return
            await self.lines.put(raw.decode(errors="replace").rstrip("\n"))

    async def next_json(self, timeout: float) -> Obj:
        """The next stdout line that is a JSON object (a report or a reply); one with an
        "error" key raises."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no report from {self.name}: see {self.log.name}")
            try:
                line = await asyncio.wait_for(self.lines.get(), left)
            except TimeoutError:
                raise TimeoutError(f"no report from {self.name}: see {self.log.name}") from None
            if line.startswith("{"):
                parsed = json.loads(line)
                assert isinstance(parsed, dict)
                if "error" in parsed:
                    raise RuntimeError(f"{self.name}: {parsed['error']} (see {self.log.name})")
                return parsed

    async def command(self, cmd: str, timeout: float = 300.0, **args: Any) -> Obj:
        """Send one JSON-line command on its stdin (needs `stdin=True`) and wait for its JSON reply."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(orjson.dumps({"cmd": cmd, **args}) + b"\n")
        await self.proc.stdin.drain()
        return await self.next_json(timeout)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)
        if self.tmpdir is not None:
            self.tmpdir.cleanup()


async def until_stopped() -> None:
    """In a child process: return on SIGINT or SIGTERM (`ChildProcess.stop()` sends SIGTERM)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
