"""Helpers shared by the sync and asyncio watch tests."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.testing import RunningCluster


def count_watch_calls(kube: RunningCluster, monkeypatch: pytest.MonkeyPatch,
                      resource: str = "pods") -> list[str]:
    """Record the resourceVersion of every watch request the server opens on `resource`."""
    calls: list[str] = []
    store = kube.cluster.store
    real = store.watch

    def counting(plural: str, *args: Any, **kwargs: Any) -> Any:
        if plural == resource:
            calls.append(kwargs.get("resource_version", ""))
        return real(plural, *args, **kwargs)

    monkeypatch.setattr(store, "watch", counting)
    return calls
