"""`kubesim` / `python -m kubesim`: run a simulated cluster until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from dataclasses import fields

from .cluster import Cluster, ClusterConfig
from .kubelet import StageDelays

_STAGES = [f.name for f in fields(StageDelays)]


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kubesim",
        description="A simulated Kubernetes cluster: an API server the official client and kubectl "
                    "can use, a simulated kubelet, node heartbeats and a node-lifecycle controller.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (0 picks a free one)")
    p.add_argument("--kubeconfig", default="kubesim.kubeconfig",
                   help="where to write a kubeconfig for this cluster")
    p.add_argument("--nodes", type=int, default=3, help="number of nodes")
    p.add_argument("--node-cpu", default="8", help="cpu capacity of each node")
    p.add_argument("--node-memory", default="32Gi", help="memory capacity of each node")
    p.add_argument("--node-pods", default="110", help="pod capacity of each node")
    p.add_argument("--node-gpus", type=int, default=0, help="nvidia.com/gpu capacity of each node")
    p.add_argument("--node-label", action="append", type=_key_value, default=[], metavar="KEY=VALUE",
                   help="a label on every node (repeatable)")
    p.add_argument("--zones", type=int, default=1,
                   help="spread nodes over this many topology.kubernetes.io/zone values")
    p.add_argument("--runtime", choices=("sim", "process"), default="sim",
                   help="sim: containers only keep time; process: run each container's command locally")
    p.add_argument("--sandbox-root", default=None,
                   help="process runtime: directory for pod sandboxes (default: a temporary directory)")
    p.add_argument("--stage-delay", action="append", type=_key_value, default=[], metavar="STAGE=SECONDS",
                   help=f"a simulated kubelet delay (repeatable); stages: {', '.join(_STAGES)}")
    p.add_argument("--sim-run-seconds", type=float, default=1.0,
                   help="sim runtime: how long a container with an exit-code annotation runs")
    p.add_argument("--watch-timeout", type=float, default=1800.0,
                   help="seconds before a watch without timeoutSeconds is closed")
    p.add_argument("--bookmark-interval", type=float, default=60.0, help="seconds between watch bookmarks")
    p.add_argument("--history-window", type=int, default=10_000,
                   help="changes kept per resource for watch resumption (older RVs get 410)")
    p.add_argument("--node-grace-period", type=float, default=50.0,
                   help="seconds without a lease renewal before a node goes Ready=Unknown")
    p.add_argument("--token", default=None, help="require this bearer token (401 otherwise)")
    p.add_argument("--seed", type=int, default=None, help="random seed for jitter")
    p.add_argument("--log-level", default="WARNING", help="Python logging level")
    return p


def config_from_args(args: argparse.Namespace) -> ClusterConfig:
    delays = StageDelays()
    for stage, value in args.stage_delay:
        name = stage.replace("-", "_")
        if name not in _STAGES:
            raise SystemExit(f"kubesim: unknown stage {stage!r}; expected one of {', '.join(_STAGES)}")
        try:
            setattr(delays, name, float(value))
        except ValueError:
            raise SystemExit(f"kubesim: stage delay for {stage} must be seconds, got {value!r}") from None
    return ClusterConfig(
        nodes=args.nodes, node_cpu=args.node_cpu, node_memory=args.node_memory, node_pods=args.node_pods,
        node_gpus=args.node_gpus, node_labels=dict(args.node_label), zones=args.zones,
        runtime=args.runtime, sandbox_root=args.sandbox_root, delays=delays,
        sim_run_seconds=args.sim_run_seconds, history_window=args.history_window,
        bookmark_interval=args.bookmark_interval, watch_timeout=args.watch_timeout,
        node_grace_period=args.node_grace_period, bearer_token=args.token, seed=args.seed,
    )


async def serve(config: ClusterConfig, host: str, port: int, kubeconfig: str) -> None:
    cluster = Cluster(config)
    await cluster.start(port=port, host=host, kubeconfig_path=kubeconfig)
    print(f"kubesim: serving {config.nodes} nodes ({config.runtime} runtime) at {cluster.url}", flush=True)
    print(f"kubesim: kubeconfig written to {cluster.kubeconfig}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await cluster.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("tornado.access").setLevel(max(logging.WARNING, logging.getLogger().level) + 10)
    try:
        asyncio.run(serve(config_from_args(args), args.host, args.port, args.kubeconfig))
    except OSError as exc:
        print(f"kubesim: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
