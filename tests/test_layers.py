"""The functional core stays pure: no I/O libraries, no clocks, no Kubernetes client.

Shells (HTTP edge, Kubernetes edge, composition root) may import anything; the modules
listed here may not, so every decision they make is testable without servers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_MODULES = [
    "mesoshim/master.py", "mesoshim/model.py", "mesoshim/updates.py", "mesoshim/events.py",
    "mesoshim/effects.py", "mesoshim/resources.py", "mesoshim/validation.py",
    "executor/translate.py", "executor/status.py", "executor/agents.py",
    "scheduler_api/codec.py", "scheduler_api/guard.py", "scheduler_api/recordio.py",
]
FORBIDDEN = ("asyncio", "tornado", "kubernetes", "aiohttp", "socket", "time", "urllib3", "requests",
             "kubesim", "executor.kube", "executor.informer", "mesoshim.app", "scheduler_api.http")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE_MODULES)
def test_core_module_imports_no_io_library(module: str) -> None:
    imported = imported_modules(ROOT / module)
    offending = sorted(name for name in imported
                       if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN))
    assert offending == [], f"{module} imports {offending}; keep I/O in the shells"


def test_only_the_kubernetes_edge_and_the_entry_points_import_the_kubernetes_client() -> None:
    allowed = {"executor/kube.py", "mesoshim/app.py", "mesoshim/cli.py"}
    users = {str(path.relative_to(ROOT)) for package in ("mesoshim", "executor", "scheduler_api")
             for path in (ROOT / package).rglob("*.py")
             if "pb" not in path.parts
             and any(name.startswith("kubernetes") for name in imported_modules(path))}
    assert users <= allowed, f"unexpected Kubernetes client users: {sorted(users - allowed)}"
