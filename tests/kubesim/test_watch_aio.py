"""Watch semantics of kubesim through `kubernetes.aio` and `kubernetes.aio.watch` (client v37).

The shim talks to Kubernetes through the asyncio client, so every rule of
spec/kubernetes.md A.6 item 9 is checked again here, together with what
`kubernetes.aio.watch.Watch` does with it:

* it remembers the last resourceVersion from objects and from BOOKMARKs, and
  when a stream ends it re-watches from it, unless `timeout_seconds` was
  passed, in which case iteration simply stops;
* an ERROR event becomes an `ApiException`; a 410 is first retried once with
  the same resourceVersion (unless `timeout_seconds` was passed);
* a body that breaks off mid-stream surfaces as `aiohttp.ClientPayloadError`.

The cluster runs on its own loop thread; `kube.call` briefly blocks the test's
loop while it runs something on the cluster's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from kubernetes.aio import client as aio_client
from kubernetes.aio import watch as aio_watch
from kubernetes.aio.client.exceptions import ApiException
from watch_helpers import count_watch_calls

from kubesim.clock import FakeClock
from kubesim.testing import RunningCluster, fast_config, running_cluster

Obj = dict[str, Any]
Event = dict[str, Any]

DEADLINE = 10.0
SENTINEL = "zz-sentinel"


# ------------------------------------------------------------------ helpers


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def kube(fake_clock: FakeClock) -> Iterator[RunningCluster]:
    """Bookmark and watch-timeout timers fire only on `fake_clock.advance()`."""
    config = fast_config(nodes=2, bookmark_interval=60.0, watch_timeout=1800.0)
    with running_cluster(config, clock=fake_clock) as cluster:
        yield cluster


@pytest.fixture
async def api_client(kube: RunningCluster) -> AsyncIterator[aio_client.ApiClient]:
    async with aio_client.ApiClient(kube.aio_configuration()) as api:
        yield api


@pytest.fixture
def api(api_client: aio_client.ApiClient) -> aio_client.CoreV1Api:
    return aio_client.CoreV1Api(api_client)


def pod(name: str, labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    meta: Obj = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}


async def new_namespace(api: aio_client.CoreV1Api, name: str) -> str:
    await api.create_namespace({"metadata": {"name": name}})
    return name


async def eventually(predicate: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {DEADLINE}s waiting for {what}")
        await asyncio.sleep(0.01)


def watcher_count(kube: RunningCluster, resource: str) -> int:
    return kube.call(lambda: len(kube.cluster.store.watchers(resource)))


def name_of(event: Event) -> str:
    return str(event["raw_object"].get("metadata", {}).get("name", ""))


def summary(events: list[Event]) -> list[tuple[str, str]]:
    return [(e["type"], name_of(e)) for e in events]


def rv_of(event: Event) -> int:
    return int(event["raw_object"]["metadata"]["resourceVersion"])


class Consumer:
    """Iterates `aio.watch.Watch().stream(func, ...)` in a task, keeping every event
    and the exception that ended it, if any."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.watch = aio_watch.Watch()
        self.events: list[Event] = []
        self.error: Exception | None = None
        self.task = asyncio.create_task(self._run(func, args, kwargs))

    async def _run(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            async with self.watch.stream(func, *args, **kwargs) as stream:
                async for event in stream:
                    self.events.append(event)
        except Exception as exc:  # handed to the test
            self.error = exc

    async def wait_for(self, predicate: Callable[[list[Event]], bool], what: str) -> list[Event]:
        await eventually(lambda: predicate(self.events) or self.task.done(), what)
        assert predicate(self.events), f"stream ended ({self.error!r}) before {what}: {summary(self.events)}"
        return self.events

    async def wait_count(self, n: int, what: str = "") -> list[Event]:
        return await self.wait_for(lambda events: len(events) >= n, what or f"{n} events")

    async def wait_finished(self) -> None:
        await asyncio.wait_for(asyncio.shield(self.task), DEADLINE)

    async def stop(self) -> None:
        self.watch.stop()
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@pytest.fixture
async def consumers() -> AsyncIterator[list[Consumer]]:
    opened: list[Consumer] = []
    yield opened
    for consumer in opened:
        await consumer.stop()


async def until_sentinel(api: aio_client.CoreV1Api, ns: str, func: Callable[..., Any], *args: Any,
                         **kwargs: Any) -> list[Event]:
    """The events of a watch before the ADDED of a sentinel pod created in `ns`: all the
    server had to send up to then, since one resource's events arrive in RV order."""
    stream = Consumer(func, *args, **kwargs)
    try:
        await api.create_namespaced_pod(ns, pod(SENTINEL))
        events = await stream.wait_for(lambda evs: any(name_of(e) == SENTINEL for e in evs),
                                       "the sentinel pod")
    finally:
        await stream.stop()
    return events[:next(i for i, e in enumerate(events) if name_of(e) == SENTINEL)]


async def compacted_namespace(kube: RunningCluster, api: aio_client.CoreV1Api, name: str) -> tuple[str, str]:
    """A namespace with one pod, and a resourceVersion from before a compaction."""
    ns = await new_namespace(api, name)
    old = (await api.list_namespaced_pod(ns)).metadata.resource_version
    await api.create_namespaced_pod(ns, pod("a"))
    kube.call(kube.cluster.store.compact)
    return ns, old


# ------------------------------------------------------------------ starting points


@pytest.mark.parametrize("rv", [None, "0"], ids=["unset", "zero"])
async def test_watch_without_a_resource_version_sends_synthetic_added_then_live_changes(
        api: aio_client.CoreV1Api, consumers: list[Consumer], rv: str | None) -> None:
    ns = await new_namespace(api, "start")
    await api.create_namespaced_pod(ns, pod("b"))
    await api.create_namespaced_pod(ns, pod("a"))
    stream = Consumer(api.list_namespaced_pod, ns, **({} if rv is None else {"resource_version": rv}))
    consumers.append(stream)

    initial = await stream.wait_count(2, "the synthetic ADDED events")
    assert summary(initial) == [("ADDED", "a"), ("ADDED", "b")]
    assert all(isinstance(e["object"], aio_client.V1Pod) for e in initial)

    await api.patch_namespaced_pod("a", ns, {"metadata": {"labels": {"touched": "yes"}}})
    await api.create_namespaced_pod(ns, pod("c"))
    await api.delete_namespaced_pod("b", ns)
    events = await stream.wait_count(5, "the live events")
    assert summary(events[2:]) == [("MODIFIED", "a"), ("ADDED", "c"), ("DELETED", "b")]
    assert events[2]["object"].metadata.labels == {"touched": "yes"}


async def test_watch_from_an_explicit_resource_version_sends_only_later_changes_in_order(
        api: aio_client.CoreV1Api) -> None:
    ns = await new_namespace(api, "explicit")
    await api.create_namespaced_pod(ns, pod("a"))
    start = (await api.list_namespaced_pod(ns)).metadata.resource_version
    await api.create_namespaced_pod(ns, pod("b"))
    await api.patch_namespaced_pod("a", ns, {"metadata": {"labels": {"x": "1"}}})
    await api.delete_namespaced_pod("b", ns)

    events = await until_sentinel(api, ns, api.list_namespaced_pod, ns, resource_version=start)

    assert summary(events) == [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
    rvs = [rv_of(e) for e in events]
    assert int(start) < rvs[0] < rvs[1] < rvs[2]


# ------------------------------------------------------------------ selector transitions


async def test_pod_leaving_a_label_selector_arrives_as_deleted_and_one_entering_as_added(
        api: aio_client.CoreV1Api, consumers: list[Consumer]) -> None:
    ns = await new_namespace(api, "labels")
    await api.create_namespaced_pod(ns, pod("in", {"app": "web"}))
    await api.create_namespaced_pod(ns, pod("out", {"app": "db"}))
    stream = Consumer(api.list_namespaced_pod, ns, label_selector="app=web")
    consumers.append(stream)
    assert summary(await stream.wait_count(1)) == [("ADDED", "in")]

    left = await api.patch_namespaced_pod("in", ns, {"metadata": {"labels": {"app": "db"}}})
    await api.patch_namespaced_pod("out", ns, {"metadata": {"labels": {"app": "web"}}})
    events = await stream.wait_count(3, "the selector transitions")

    assert summary(events[1:]) == [("DELETED", "in"), ("ADDED", "out")]
    assert events[1]["object"].metadata.labels == {"app": "web"}
    assert events[1]["object"].metadata.resource_version == left.metadata.resource_version


async def test_pod_bound_under_an_empty_node_name_field_selector_arrives_as_deleted(
        kube: RunningCluster, api: aio_client.CoreV1Api, consumers: list[Consumer]) -> None:
    ns = await new_namespace(api, "binding")
    await api.create_namespaced_pod(ns, pod("p"))
    stream = Consumer(api.list_namespaced_pod, ns, field_selector="spec.nodeName=")
    consumers.append(stream)
    await stream.wait_count(1)

    # The server answers a binding with a Status, which the client cannot read as a
    # V1Binding: the shim posts bindings without preloading the response.
    response = await api.create_namespaced_binding_without_preload_content(
        ns, aio_client.V1Binding.from_dict(
            {"metadata": {"name": "p"}, "target": {"kind": "Node", "name": "node-0"}}))
    assert response.status == 201

    events = await stream.wait_count(2, "the DELETED for the bound pod")
    assert summary(events) == [("ADDED", "p"), ("DELETED", "p")]
    assert events[1]["object"].spec.node_name is None
    bound = await api.read_namespaced_pod("p", ns)
    assert bound.spec.node_name == "node-0"
    assert int(bound.metadata.resource_version) >= rv_of(events[1])


# ------------------------------------------------------------------ 410 Gone


async def test_client_retries_a_410_once_with_the_same_resource_version_then_raises(
        kube: RunningCluster, api: aio_client.CoreV1Api, monkeypatch: pytest.MonkeyPatch) -> None:
    ns, old = await compacted_namespace(kube, api, "gone")
    calls = count_watch_calls(kube, monkeypatch)

    with pytest.raises(ApiException) as caught:
        async with aio_watch.Watch().stream(api.list_namespaced_pod, ns, resource_version=old) as stream:
            async for _ in stream:
                pass

    assert caught.value.status == 410
    assert caught.value.reason.startswith(f"Expired: too old resource version: {old} (")
    assert calls == [old, old]


async def test_client_with_timeout_seconds_raises_a_410_without_retrying(
        kube: RunningCluster, api: aio_client.CoreV1Api, monkeypatch: pytest.MonkeyPatch) -> None:
    ns, old = await compacted_namespace(kube, api, "gone-timeout")
    calls = count_watch_calls(kube, monkeypatch)

    with pytest.raises(ApiException) as caught:
        async with aio_watch.Watch().stream(api.list_namespaced_pod, ns, resource_version=old,
                                            timeout_seconds=30) as stream:
            async for _ in stream:
                pass

    assert caught.value.status == 410
    assert calls == [old]


async def test_after_a_410_a_relist_and_rewatch_from_the_list_resource_version_sees_every_change(
        kube: RunningCluster, api: aio_client.CoreV1Api) -> None:
    ns, old = await compacted_namespace(kube, api, "relist")
    with pytest.raises(ApiException):
        async with aio_watch.Watch().stream(api.list_namespaced_pod, ns, resource_version=old,
                                            timeout_seconds=30) as stream:
            async for _ in stream:
                pass

    listed = await api.list_namespaced_pod(ns)
    assert [p.metadata.name for p in listed.items] == ["a"]
    await api.create_namespaced_pod(ns, pod("b"))
    events = await until_sentinel(api, ns, api.list_namespaced_pod, ns,
                                  resource_version=listed.metadata.resource_version)
    assert summary(events) == [("ADDED", "b")]


# ------------------------------------------------------------------ bookmarks, initial events, timeouts


async def test_bookmarks_are_remembered_and_the_stream_ends_at_timeout_seconds(
        kube: RunningCluster, fake_clock: FakeClock, api: aio_client.CoreV1Api,
        consumers: list[Consumer]) -> None:
    ns = await new_namespace(api, "bookmarks")
    created = await api.create_namespaced_pod(ns, pod("a"))
    stream = Consumer(api.list_namespaced_pod, ns, allow_watch_bookmarks=True, timeout_seconds=90)
    consumers.append(stream)
    await stream.wait_count(1)
    cm = await aio_client.CoreV1Api(api.api_client).create_namespaced_config_map(
        ns, {"metadata": {"name": "bump"}})

    kube.call(fake_clock.advance, 60)
    events = await stream.wait_count(2, "a periodic BOOKMARK")
    bookmark = events[1]
    assert bookmark["type"] == "BOOKMARK"
    assert set(bookmark["raw_object"]) == {"kind", "apiVersion", "metadata"}
    assert (bookmark["raw_object"]["kind"], bookmark["raw_object"]["apiVersion"]) == ("Pod", "v1")
    assert set(bookmark["raw_object"]["metadata"]) == {"resourceVersion"}
    assert rv_of(bookmark) >= int(cm.metadata.resource_version) > int(created.metadata.resource_version)
    assert stream.watch.resource_version == bookmark["raw_object"]["metadata"]["resourceVersion"]

    kube.call(fake_clock.advance, 30)  # the 90 s timeout: one more BOOKMARK, then the end
    await stream.wait_finished()
    assert stream.error is None
    assert [e["type"] for e in stream.events] == ["ADDED", "BOOKMARK", "BOOKMARK"]


async def test_client_re_watches_from_the_last_bookmark_when_the_server_ends_the_stream(
        kube: RunningCluster, fake_clock: FakeClock, api: aio_client.CoreV1Api,
        consumers: list[Consumer], monkeypatch: pytest.MonkeyPatch) -> None:
    ns = await new_namespace(api, "resume-bookmark")
    await api.create_namespaced_pod(ns, pod("a"))
    calls = count_watch_calls(kube, monkeypatch)
    stream = Consumer(api.list_namespaced_pod, ns, allow_watch_bookmarks=True)
    consumers.append(stream)
    await stream.wait_count(1)

    kube.call(fake_clock.advance, 1800)  # the server's own watch timeout
    await eventually(lambda: len(calls) == 2, "the client to re-watch")
    bookmarks = [e for e in stream.events if e["type"] == "BOOKMARK"]
    assert bookmarks, summary(stream.events)
    assert calls == ["", bookmarks[-1]["raw_object"]["metadata"]["resourceVersion"]]

    await api.create_namespaced_pod(ns, pod("b"))
    events = await stream.wait_for(lambda events: events[-1]["type"] == "ADDED", "the next ADDED")
    assert [n for t, n in summary(events) if t != "BOOKMARK"] == ["a", "b"]


async def test_send_initial_events_ends_the_initial_adds_with_an_annotated_bookmark(
        api: aio_client.CoreV1Api, consumers: list[Consumer]) -> None:
    ns = await new_namespace(api, "watchlist")
    await api.create_namespaced_pod(ns, pod("a"))
    await api.create_namespaced_pod(ns, pod("b"))
    stream = Consumer(api.list_namespaced_pod, ns, send_initial_events=True,
                      resource_version_match="NotOlderThan", allow_watch_bookmarks=True)
    consumers.append(stream)

    events = await stream.wait_count(3, "the initial events and their BOOKMARK")
    assert summary(events) == [("ADDED", "a"), ("ADDED", "b"), ("BOOKMARK", "")]
    meta = events[2]["raw_object"]["metadata"]
    assert meta["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(meta["resourceVersion"]) >= max(rv_of(e) for e in events[:2])
    assert stream.watch.resource_version == meta["resourceVersion"]

    await api.create_namespaced_pod(ns, pod("c"))
    assert summary(await stream.wait_count(4))[3] == ("ADDED", "c")


async def test_send_initial_events_without_resource_version_match_is_invalid(
        api: aio_client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as caught:
        async with aio_watch.Watch().stream(api.list_namespaced_pod, "default", send_initial_events=True,
                                            allow_watch_bookmarks=True, timeout_seconds=5) as stream:
            async for _ in stream:
                pass
    assert caught.value.status == 422
    assert "Invalid" in str(caught.value.reason)


# ------------------------------------------------------------------ deletion


async def test_deleted_carries_the_final_object_with_a_new_resource_version(
        kube: RunningCluster, api: aio_client.CoreV1Api, consumers: list[Consumer]) -> None:
    ns = await new_namespace(api, "deleted")
    created = await api.create_namespaced_pod(ns, pod("p", {"k": "v"}))
    stream = Consumer(api.list_namespaced_pod, ns, resource_version=created.metadata.resource_version)
    consumers.append(stream)
    await eventually(lambda: watcher_count(kube, "pods") == 1, "the watch to open")

    await api.delete_namespaced_pod("p", ns)
    [gone] = await stream.wait_count(1)
    assert gone["type"] == "DELETED"
    assert rv_of(gone) > int(created.metadata.resource_version)
    assert gone["object"].metadata.uid == created.metadata.uid
    assert gone["object"].metadata.labels == {"k": "v"}


# ------------------------------------------------------------------ broken and slow streams


async def test_client_resumes_from_its_last_resource_version_after_a_dropped_connection(
        kube: RunningCluster, api: aio_client.CoreV1Api, consumers: list[Consumer]) -> None:
    ns = await new_namespace(api, "drop")
    await api.create_namespaced_pod(ns, pod("a"))
    first = Consumer(api.list_namespaced_pod, ns)
    consumers.append(first)
    await first.wait_count(1)

    assert kube.call(kube.cluster.server.drop_watches) == 1
    await first.wait_finished()
    # A body cut off before its terminator is an error the caller sees, not a re-watch.
    assert isinstance(first.error, aiohttp.ClientPayloadError)
    last_rv = first.watch.resource_version
    assert last_rv == first.events[-1]["object"].metadata.resource_version

    await api.create_namespaced_pod(ns, pod("b"))
    await api.delete_namespaced_pod("b", ns)
    second = Consumer(api.list_namespaced_pod, ns, resource_version=last_rv)
    consumers.append(second)
    await api.patch_namespaced_pod("a", ns, {"metadata": {"labels": {"seen": "later"}}})
    events = await second.wait_count(3, "the missed changes and the next one")
    assert summary(events) == [("ADDED", "b"), ("DELETED", "b"), ("MODIFIED", "a")]


async def test_client_catches_up_after_being_dropped_as_a_slow_consumer(
        kube: RunningCluster, api: aio_client.CoreV1Api, consumers: list[Consumer],
        monkeypatch: pytest.MonkeyPatch) -> None:
    kube.cluster.server.options.watch_max_buffered = 10
    ns = await new_namespace(api, "slow")
    seed = await api.create_namespaced_pod(ns, pod("seed"))
    calls = count_watch_calls(kube, monkeypatch)
    stream = Consumer(api.list_namespaced_pod, ns)
    consumers.append(stream)
    await stream.wait_count(1)

    def burst() -> None:  # 30 commits before the stream can send any of them
        for i in range(30):
            kube.cluster.store.create("pods", ns, pod(f"p{i:02d}"))

    kube.call(burst)
    events = await stream.wait_count(31, "all 30 pods after the re-watch")
    assert summary(events) == [("ADDED", "seed")] + [("ADDED", f"p{i:02d}") for i in range(30)]
    assert calls[:2] == ["", seed.metadata.resource_version]


# ------------------------------------------------------------------ other resources


async def test_nodes_watch_is_cluster_scoped(api: aio_client.CoreV1Api, consumers: list[Consumer]) -> None:
    stream = Consumer(api.list_node)
    consumers.append(stream)
    initial = await stream.wait_count(2, "the two nodes")
    assert summary(initial) == [("ADDED", "node-0"), ("ADDED", "node-1")]
    assert all(isinstance(e["object"], aio_client.V1Node) for e in initial)

    await api.patch_node("node-0", {"spec": {"unschedulable": True}})
    events = await stream.wait_for(
        lambda events: any(e["type"] == "MODIFIED" and e["object"].spec.unschedulable for e in events),
        "the cordon")
    cordoned = next(e for e in events if e["type"] == "MODIFIED" and e["object"].spec.unschedulable)
    assert cordoned["object"].metadata.name == "node-0"


async def test_leases_watch_sees_node_heartbeats(
        kube: RunningCluster, fake_clock: FakeClock, api_client: aio_client.ApiClient,
        consumers: list[Consumer]) -> None:
    coordination = aio_client.CoordinationV1Api(api_client)
    stream = Consumer(coordination.list_namespaced_lease, "kube-node-lease")
    consumers.append(stream)
    initial = await stream.wait_count(2, "the node leases")
    assert summary(initial) == [("ADDED", "node-0"), ("ADDED", "node-1")]
    assert isinstance(initial[0]["object"], aio_client.V1Lease)

    kube.call(fake_clock.advance, 12)  # each lease is renewed once in the first 10 s
    events = await stream.wait_count(4, "two renewals")
    assert sorted(summary(events[2:])) == [("MODIFIED", "node-0"), ("MODIFIED", "node-1")]
    for renewal in events[2:]:
        before = next(e for e in initial if name_of(e) == name_of(renewal))
        assert renewal["object"].spec.renew_time > before["object"].spec.renew_time
