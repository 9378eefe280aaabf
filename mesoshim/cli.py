"""`mesoshim serve` (against a Kubernetes cluster) and `mesoshim local` (with an embedded kubesim)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Any

from executor.agents import AgentConfig
from mesoshim.app import Shim, ShimConfig
from mesoshim.master import MasterConfig


def _port_range(text: str) -> tuple[int, int]:
    try:
        low, high = (int(part) for part in text.split("-", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW-HIGH such as 31000-32000, got {text!r}") from None
    if not 0 < low <= high < 65536:
        raise argparse.ArgumentTypeError(f"port range {text!r} must satisfy 0 < LOW <= HIGH < 65536")
    return low, high


def _add_shim_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address the master listens on and advertises")
    p.add_argument("--port", type=int, default=5050, help="master port (0 picks a free one)")
    p.add_argument("--advertised-hostname", default=None,
                   help="hostname in MasterInfo and redirects (default: --host)")
    p.add_argument("--namespace", default="mesos", help="namespace for task pods and the shim's records")
    p.add_argument("--node-selector", default="", help="label selector choosing which nodes are agents")
    p.add_argument("--port-range", type=_port_range, default=(31000, 32000),
                   help="host ports offered on every agent, minus those pods already use")
    p.add_argument("--default-image", default="busybox:1.36",
                   help="image for tasks whose ContainerInfo names none")
    p.add_argument("--fetcher-image", default="curlimages/curl:8.10.1",
                   help="image of the init container that fetches CommandInfo.uris")
    p.add_argument("--allocation-interval", type=float, default=1.0, help="seconds between allocation cycles")
    p.add_argument("--offer-timeout", type=float, default=None,
                   help="rescind offers held longer than this many seconds (default: never)")
    p.add_argument("--launch-failure-timeout", type=float, default=300.0,
                   help="seconds a pod may wait on image pulls or config errors before its task fails")
    p.add_argument("--heartbeat-interval", type=float, default=15.0,
                   help="seconds between HEARTBEAT events on subscription streams")
    p.add_argument("--log-level", default="INFO", help="Python logging level")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mesoshim", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="A Mesos-compatible master (v1 scheduler API) that runs tasks as Kubernetes pods.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                           help="run against a Kubernetes cluster")
    serve.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"),
                       help="kubeconfig file (default: $KUBECONFIG, else in-cluster configuration)")
    serve.add_argument("--context", default=None, help="kubeconfig context")
    _add_shim_options(serve)
    local = sub.add_parser("local", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                           help="run with an embedded simulated cluster (kubesim)")
    local.add_argument("--nodes", type=int, default=3, help="simulated nodes")
    local.add_argument("--node-cpu", default="4", help="cpu of each simulated node")
    local.add_argument("--node-memory", default="8Gi", help="memory of each simulated node")
    local.add_argument("--runtime", choices=("process", "sim"), default="process",
                       help="process: run task commands as local processes; sim: only simulate them")
    local.add_argument("--kube-port", type=int, default=0, help="port of the embedded Kubernetes API")
    local.add_argument("--kubeconfig-out", default="mesoshim-local.kubeconfig",
                       help="where to write a kubeconfig for the embedded cluster")
    _add_shim_options(local)
    return parser


def shim_config(args: argparse.Namespace) -> ShimConfig:
    return ShimConfig(
        host=args.host, port=args.port, advertised_hostname=args.advertised_hostname,
        namespace=args.namespace, node_selector=args.node_selector, default_image=args.default_image,
        fetcher_image=args.fetcher_image, heartbeat_interval=args.heartbeat_interval,
        master=MasterConfig(allocation_interval=args.allocation_interval, offer_timeout=args.offer_timeout,
                            launch_failure_timeout=args.launch_failure_timeout),
        agents=AgentConfig(port_range=args.port_range),
    )


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve(args: argparse.Namespace) -> None:
    from kubernetes.aio import client as aio
    from kubernetes.aio import config as aio_config

    configuration = aio.Configuration()
    if args.kubeconfig:
        await aio_config.load_kube_config(config_file=args.kubeconfig, context=args.context,
                                          client_configuration=configuration)
    else:
        aio_config.load_incluster_config(client_configuration=configuration)
    async with aio.ApiClient(configuration) as api:
        shim = Shim(api, shim_config(args))
        await shim.start()
        print(f"mesoshim: master at {shim.url}", flush=True)
        await _until_signalled()
        await shim.stop()


async def _local(args: argparse.Namespace) -> None:
    from kubernetes.aio import client as aio

    from kubesim import Cluster, ClusterConfig

    cluster = Cluster(ClusterConfig(nodes=args.nodes, node_cpu=args.node_cpu, node_memory=args.node_memory,
                                    runtime=args.runtime))
    await cluster.start(port=args.kube_port, kubeconfig_path=args.kubeconfig_out)
    configuration = aio.Configuration()
    configuration.host = cluster.url
    # Loopback only: skip aiohttp's per-request proxy and .netrc lookups.
    configuration.client_session_kwargs = {"trust_env": False}
    api: Any = aio.ApiClient(configuration)
    shim = Shim(api, shim_config(args))
    try:
        await shim.start()
        print(f"mesoshim: master at {shim.url} (pymesos: MesosSchedulerDriver(..., '{args.host}:{shim.port}'))",
              flush=True)
        print(f"mesoshim: {args.nodes} simulated nodes ({args.runtime} runtime); "
              f"kubectl --kubeconfig {cluster.kubeconfig} get pods -n {args.namespace}", flush=True)
        await _until_signalled()
    finally:
        await shim.stop()
        await api.close()
        await cluster.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.ERROR)
    try:
        asyncio.run(_serve(args) if args.command == "serve" else _local(args))
    except OSError as exc:
        print(f"mesoshim: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
