"""kubesim: a simulated Kubernetes cluster that the official client cannot tell from a real one.

`Cluster` runs an API server, a simulated kubelet and node controllers in one
process; `kubesim.testing` has a pytest fixture; `python -m kubesim` runs it.
"""

from typing import Any

from .clock import Clock, FakeClock
from .errors import ApiError
from .kubelet import StageDelays
from .store import Store

__all__ = ["ApiError", "Clock", "Cluster", "ClusterConfig", "FakeClock", "StageDelays", "Store"]


def __getattr__(name: str) -> Any:
    # The cluster pulls in the server and runtimes; import it only when asked for.
    if name in ("Cluster", "ClusterConfig"):
        from . import cluster

        return getattr(cluster, name)
    raise AttributeError(name)
