"""A kubeconfig file pointing at a kubesim server, for the official client and kubectl."""

from __future__ import annotations

import os
from pathlib import Path

import yaml


def kubeconfig_dict(server_url: str, *, name: str = "kubesim", token: str | None = None) -> dict[str, object]:
    user: dict[str, object] = {"token": token} if token else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server_url}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}],
        "current-context": name,
        "preferences": {},
    }


def write_kubeconfig(path: str | os.PathLike[str], server_url: str, *, token: str | None = None) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(kubeconfig_dict(server_url, token=token), sort_keys=False))
    tmp.replace(target)
    return target
