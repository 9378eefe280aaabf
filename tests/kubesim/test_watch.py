"""Watch semantics of kubesim, through raw HTTP and the official sync client's `kubernetes.watch`.

Each test states one rule of spec/kubernetes.md A.6 item 9 ("Watch semantics"),
taken from the Kubernetes API concepts page (efficient detection of changes,
watch bookmarks, streaming lists), KEP-956 and KEP-3157, or one behaviour of
`kubernetes.watch.Watch` (client v37) that the shim has to live with:

* `Watch.stream()` remembers the last resourceVersion it saw, from objects and
  from BOOKMARKs, and re-watches from it whenever a stream ends, unless
  `timeout_seconds` was passed;
* on an ERROR event with code 410 it re-watches once with the same
  resourceVersion and, when that fails again, raises `ApiException(410)`;
  with `timeout_seconds` it raises at once.

Timers (bookmarks, watch timeouts) run on a `FakeClock` where a test depends on
them, so nothing here waits for wall-clock time to pass.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import urllib3
from kubernetes import client, watch
from kubernetes.client.rest import ApiException
from watch_helpers import count_watch_calls

from kubesim.clock import FakeClock
from kubesim.testing import RunningCluster, fast_config, running_cluster

Obj = dict[str, Any]
Event = dict[str, Any]

DEADLINE = 10.0


# ------------------------------------------------------------------ helpers


@pytest.fixture
def kube() -> Iterator[RunningCluster]:
    with running_cluster(fast_config(nodes=2)) as cluster:
        yield cluster


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def timed_kube(fake_clock: FakeClock) -> Iterator[RunningCluster]:
    """A cluster whose bookmark and watch-timeout timers only fire on `fake_clock.advance()`."""
    config = fast_config(nodes=2, bookmark_interval=60.0, watch_timeout=1800.0)
    with running_cluster(config, clock=fake_clock) as cluster:
        yield cluster


def core(kube: RunningCluster) -> client.CoreV1Api:
    return client.CoreV1Api(kube.api_client())


def new_namespace(api: client.CoreV1Api, name: str) -> str:
    api.create_namespace({"metadata": {"name": name}})
    return name


def pod(name: str, labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    meta: Obj = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}


def eventually(predicate: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def watcher_count(kube: RunningCluster, resource: str) -> int:
    return kube.call(lambda: len(kube.cluster.store.watchers(resource)))


def summary(events: list[Event]) -> list[tuple[str, str]]:
    """(type, name) pairs; BOOKMARKs and ERRORs have no name."""
    return [(e["type"], e["raw_object"].get("metadata", {}).get("name", "")) for e in events]


def rv_of(event: Event) -> int:
    return int(event["raw_object"]["metadata"]["resourceVersion"])


class Consumer:
    """Iterates `Watch().stream(func, ...)` on a thread, keeping every event it yields
    and the exception that ended it, if any."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.watch = watch.Watch()
        self.events: list[Event] = []
        self.error: BaseException | None = None
        self.finished = threading.Event()
        kwargs.setdefault("_request_timeout", 30)
        self._thread = threading.Thread(target=self._run, args=(func, args, kwargs), daemon=True)
        self._thread.start()

    def _run(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            for event in self.watch.stream(func, *args, **kwargs):
                self.events.append(event)
        except BaseException as exc:  # handed to the test
            self.error = exc
        finally:
            self.finished.set()

    def wait_for(self, predicate: Callable[[list[Event]], bool], what: str) -> list[Event]:
        eventually(lambda: predicate(self.events) or self.finished.is_set(), what)
        assert predicate(self.events), f"stream ended ({self.error!r}) before {what}: {summary(self.events)}"
        return self.events

    def wait_count(self, n: int, what: str = "") -> list[Event]:
        return self.wait_for(lambda events: len(events) >= n, what or f"{n} events")

    def wait_finished(self) -> None:
        assert self.finished.wait(DEADLINE), f"stream still open: {summary(self.events)}"

    def stop(self) -> None:
        self.watch.stop()
        self.finished.wait(DEADLINE)


@pytest.fixture
def consumers() -> Iterator[list[Consumer]]:
    """Streams registered here are stopped when the test ends, pass or fail."""
    opened: list[Consumer] = []
    yield opened
    for consumer in opened:
        consumer.stop()


SENTINEL = "zz-sentinel"


def until_sentinel(api: client.CoreV1Api, ns: str, func: Callable[..., Any], *args: Any,
                   **kwargs: Any) -> list[Event]:
    """The events of a watch that come before the ADDED of a sentinel pod created in `ns`.

    Events of one resource arrive in resourceVersion order, so this is everything the
    server had to send up to that point, without waiting for a timeout.
    """
    stream = Consumer(func, *args, **kwargs)
    try:
        api.create_namespaced_pod(ns, pod(SENTINEL))
        events = stream.wait_for(
            lambda events: any(e["raw_object"]["metadata"].get("name") == SENTINEL for e in events),
            "the sentinel pod")
    finally:
        stream.stop()
    return events[:next(i for i, e in enumerate(events) if e["raw_object"]["metadata"].get("name") == SENTINEL)]


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], raw_body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.raw_body = raw_body
        if headers.get("transfer-encoding") == "chunked":
            self.payload, self.terminated = dechunk(raw_body)
        else:
            self.payload, self.terminated = raw_body, True

    def lines(self) -> list[Obj]:
        text = self.payload.decode()
        assert text == "" or text.endswith("\n"), f"body does not end with a newline: {text[-80:]!r}"
        return [json.loads(line) for line in text.splitlines()]


def dechunk(raw: bytes) -> tuple[bytes, bool]:
    """Decode a chunked body; also say whether it ended with the zero-length last chunk."""
    out, pos = bytearray(), 0
    while True:
        eol = raw.find(b"\r\n", pos)
        if eol < 0:
            return bytes(out), False
        size = int(raw[pos:eol].split(b";")[0], 16)
        if size == 0:
            return bytes(out), raw[eol:eol + 4] == b"\r\n\r\n"
        start, end = eol + 2, eol + 2 + size
        if len(raw) < end + 2:
            out += raw[start:end]
            return bytes(out), False
        out += raw[start:end]
        pos = end + 2


class RawWatch:
    """A hand-written HTTP/1.1 GET, so tests see the exact chunked framing of a watch."""

    def __init__(self, kube: RunningCluster, path: str, accept: str = "application/json") -> None:
        self.sock = socket.create_connection(("127.0.0.1", kube.cluster.port), timeout=DEADLINE)
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n"
            f"Connection: close\r\n\r\n".encode())
        self.buffer = b""

    def read_until(self, predicate: Callable[[bytes], bool]) -> None:
        deadline = time.monotonic() + DEADLINE
        while not predicate(self.buffer):
            assert time.monotonic() < deadline, f"timed out; got {self.buffer[-300:]!r}"
            chunk = self.sock.recv(65536)
            if not chunk:
                return
            self.buffer += chunk

    def read_to_end(self) -> RawResponse:
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buffer += chunk
        self.sock.close()
        head, _, body = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode().split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return RawResponse(int(status_line.split()[1]), headers, body)


def raw_get(kube: RunningCluster, path: str) -> RawResponse:
    return RawWatch(kube, path).read_to_end()


# ------------------------------------------------------------------ the wire format


def test_watch_query_streams_newline_delimited_json_events_in_a_chunked_body(
        timed_kube: RunningCluster, fake_clock: FakeClock) -> None:
    api = core(timed_kube)
    ns = new_namespace(api, "wire")
    api.create_namespaced_pod(ns, pod("a"))
    api.create_namespaced_pod(ns, pod("b"))

    raw = RawWatch(timed_kube, f"/api/v1/namespaces/{ns}/pods?watch=true&timeoutSeconds=5")
    raw.read_until(lambda data: data.count(b'"ADDED"') >= 2)
    timed_kube.call(fake_clock.advance, 5)
    response = raw.read_to_end()

    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["transfer-encoding"] == "chunked"
    events = response.lines()
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"), ("ADDED", "b")]
    assert all(set(e) == {"type", "object"} for e in events)
    assert events[0]["object"]["kind"] == "Pod" and events[0]["object"]["apiVersion"] == "v1"


def test_legacy_watch_path_streams_the_same_events(
        timed_kube: RunningCluster, fake_clock: FakeClock) -> None:
    api = core(timed_kube)
    ns = new_namespace(api, "legacy")
    api.create_namespaced_pod(ns, pod("a"))
    api.create_namespaced_pod(ns, pod("b"))
    other = new_namespace(api, "legacy-other")
    api.create_namespaced_pod(other, pod("c"))
    rv = api.list_namespaced_pod(ns).metadata.resource_version

    def watch_path(path: str, expected: int) -> RawResponse:
        raw = RawWatch(timed_kube, path + "&timeoutSeconds=10")
        raw.read_until(lambda data: data.count(b'"ADDED"') >= expected and b"\r\n\r\n" in data)
        eventually(lambda: watcher_count(timed_kube, "pods") == 1, "the watch to open")
        timed_kube.call(fake_clock.advance, 10)
        response = raw.read_to_end()
        assert (response.status, response.terminated) == (200, True)
        assert response.headers["transfer-encoding"] == "chunked"
        assert all(e["type"] == "ADDED" for e in response.lines())
        return response

    def names(response: RawResponse) -> list[str]:
        return [e["object"]["metadata"]["name"] for e in response.lines()]

    assert names(watch_path(f"/api/v1/watch/namespaces/{ns}/pods?", 2)) == ["a", "b"]
    assert names(watch_path("/api/v1/watch/pods?", 3)) == ["a", "b", "c"]  # etcd key order
    assert names(watch_path(f"/api/v1/watch/namespaces/{ns}/pods/b?", 1)) == ["b"]
    assert names(watch_path(f"/api/v1/watch/namespaces/{ns}/pods?resourceVersion={rv}", 0)) == []


def test_watch_of_a_subresource_is_not_found(kube: RunningCluster) -> None:
    response = raw_get(kube, "/api/v1/watch/namespaces/default/pods/x/status")
    assert response.status == 404
    assert json.loads(response.payload)["reason"] == "NotFound"


# ------------------------------------------------------------------ starting points


@pytest.mark.parametrize("rv", [None, "0"], ids=["unset", "zero"])
def test_watch_without_a_resource_version_sends_synthetic_added_then_live_changes(
        kube: RunningCluster, consumers: list[Consumer], rv: str | None) -> None:
    api = core(kube)
    ns = new_namespace(api, "start")
    api.create_namespaced_pod(ns, pod("b"))
    api.create_namespaced_pod(ns, pod("a"))
    kwargs = {} if rv is None else {"resource_version": rv}
    stream = Consumer(api.list_namespaced_pod, ns, **kwargs)
    consumers.append(stream)

    initial = stream.wait_count(2, "the synthetic ADDED events")
    assert summary(initial) == [("ADDED", "a"), ("ADDED", "b")]
    assert all(isinstance(e["object"], client.V1Pod) for e in initial)

    api.patch_namespaced_pod("a", ns, {"metadata": {"labels": {"touched": "yes"}}})
    api.create_namespaced_pod(ns, pod("c"))
    api.delete_namespaced_pod("b", ns)
    events = stream.wait_count(5, "the live events")
    assert summary(events[2:]) == [("MODIFIED", "a"), ("ADDED", "c"), ("DELETED", "b")]
    assert events[2]["object"].metadata.labels == {"touched": "yes"}


def test_watch_from_an_explicit_resource_version_sends_only_later_changes_in_order(
        kube: RunningCluster) -> None:
    api = core(kube)
    ns = new_namespace(api, "explicit")
    api.create_namespaced_pod(ns, pod("a"))
    start = api.list_namespaced_pod(ns).metadata.resource_version
    api.create_namespaced_pod(ns, pod("b"))
    api.patch_namespaced_pod("a", ns, {"metadata": {"labels": {"x": "1"}}})
    api.delete_namespaced_pod("b", ns)
    api.patch_namespaced_pod("a", ns, {"metadata": {"labels": {"x": "2"}}})

    events = until_sentinel(api, ns, api.list_namespaced_pod, ns, resource_version=start)

    assert summary(events) == [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b"), ("MODIFIED", "a")]
    rvs = [rv_of(e) for e in events]
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs)
    assert rvs[0] > int(start)
    assert [e["object"].metadata.labels for e in events if e["object"].metadata.name == "a"] == [
        {"x": "1"}, {"x": "2"}]


def test_watch_from_a_resource_version_newer_than_the_store_is_refused(kube: RunningCluster) -> None:
    api = core(kube)
    future = int(api.list_namespaced_pod("default").metadata.resource_version) + 1000
    with pytest.raises(ApiException) as caught:
        list(watch.Watch().stream(api.list_namespaced_pod, "default", resource_version=str(future),
                                  timeout_seconds=1))
    assert caught.value.status == 504
    assert "Too large resource version" in str(caught.value)


# ------------------------------------------------------------------ selector transitions


def test_pod_leaving_a_label_selector_arrives_as_deleted_and_one_entering_as_added(
        kube: RunningCluster, consumers: list[Consumer]) -> None:
    api = core(kube)
    ns = new_namespace(api, "labels")
    api.create_namespaced_pod(ns, pod("in", {"app": "web"}))
    api.create_namespaced_pod(ns, pod("out", {"app": "db"}))
    stream = Consumer(api.list_namespaced_pod, ns, label_selector="app=web")
    consumers.append(stream)
    assert summary(stream.wait_count(1)) == [("ADDED", "in")]

    left = api.patch_namespaced_pod("in", ns, {"metadata": {"labels": {"app": "db"}}})
    entered = api.patch_namespaced_pod("out", ns, {"metadata": {"labels": {"app": "web"}}})
    events = stream.wait_count(3, "the selector transitions")

    assert summary(events[1:]) == [("DELETED", "in"), ("ADDED", "out")]
    deleted, added = events[1]["object"], events[2]["object"]
    # DELETED carries the last state that matched, at the resourceVersion of the change.
    assert deleted.metadata.labels == {"app": "web"}
    assert deleted.metadata.resource_version == left.metadata.resource_version
    assert added.metadata.labels == {"app": "web"}
    assert added.metadata.resource_version == entered.metadata.resource_version


def test_pod_bound_under_an_empty_node_name_field_selector_arrives_as_deleted(
        kube: RunningCluster, consumers: list[Consumer]) -> None:
    api = core(kube)
    ns = new_namespace(api, "binding")
    api.create_namespaced_pod(ns, pod("p"))
    unscheduled = Consumer(api.list_namespaced_pod, ns, field_selector="spec.nodeName=")
    on_node = Consumer(api.list_namespaced_pod, ns, field_selector="spec.nodeName=node-0")
    consumers += [unscheduled, on_node]
    assert summary(unscheduled.wait_count(1)) == [("ADDED", "p")]
    eventually(lambda: watcher_count(kube, "pods") == 2, "both watches to be open")

    api.create_namespaced_binding(
        ns, {"metadata": {"name": "p"}, "target": {"kind": "Node", "name": "node-0"}},
        _preload_content=False)

    events = unscheduled.wait_count(2, "the DELETED for the bound pod")
    assert summary(events) == [("ADDED", "p"), ("DELETED", "p")]
    assert events[1]["object"].spec.node_name is None
    bound = on_node.wait_count(1, "the ADDED on the node's watch")
    assert bound[0]["type"] == "ADDED"
    assert bound[0]["object"].spec.node_name == "node-0"
    assert rv_of(bound[0]) == rv_of(events[1])


# ------------------------------------------------------------------ bounded history and 410


def test_watch_from_a_compacted_resource_version_gets_200_then_one_410_error_event(
        kube: RunningCluster) -> None:
    api = core(kube)
    ns = new_namespace(api, "compacted")
    old = api.list_namespaced_pod(ns).metadata.resource_version
    api.create_namespaced_pod(ns, pod("a"))
    store = kube.cluster.store
    compacted_at = kube.call(lambda: (store.compact(), store.resource_version)[1])

    response = raw_get(kube, f"/api/v1/namespaces/{ns}/pods?watch=true&resourceVersion={old}")

    assert response.status == 200
    assert response.terminated
    events = response.lines()
    assert len(events) == 1
    assert events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert status["kind"] == "Status" and status["apiVersion"] == "v1"
    assert status["status"] == "Failure"
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"] == f"too old resource version: {old} ({compacted_at})"


def test_watch_from_the_compaction_point_or_later_still_works(kube: RunningCluster) -> None:
    api = core(kube)
    ns = new_namespace(api, "after-compact")
    kube.call(kube.cluster.store.compact)
    now = api.list_namespaced_pod(ns).metadata.resource_version
    api.create_namespaced_pod(ns, pod("a"))
    events = until_sentinel(api, ns, api.list_namespaced_pod, ns, resource_version=now)
    assert summary(events) == [("ADDED", "a")]


def test_history_window_bounds_how_far_back_a_watch_can_start() -> None:
    with running_cluster(fast_config(nodes=1, history_window=5)) as kube:
        api = core(kube)
        ns = new_namespace(api, "window")
        old = api.list_namespaced_pod(ns).metadata.resource_version
        rvs = [api.create_namespaced_pod(ns, pod(f"p{i}")).metadata.resource_version for i in range(8)]

        expired = raw_get(kube, f"/api/v1/namespaces/{ns}/pods?watch=true&resourceVersion={old}")
        assert expired.status == 200
        [error] = expired.lines()
        assert error["type"] == "ERROR"
        assert (error["object"]["code"], error["object"]["reason"]) == (410, "Expired")
        assert error["object"]["message"].startswith(f"too old resource version: {old} (")

        # The last five pod changes are still in the window.
        recent = until_sentinel(api, ns, api.list_namespaced_pod, ns, resource_version=rvs[3])
        assert summary(recent) == [("ADDED", f"p{i}") for i in range(4, 8)]


def test_client_retries_a_410_once_with_the_same_resource_version_then_raises(
        kube: RunningCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    api = core(kube)
    ns = new_namespace(api, "gone")
    old = api.list_namespaced_pod(ns).metadata.resource_version
    api.create_namespaced_pod(ns, pod("a"))
    kube.call(kube.cluster.store.compact)
    calls = count_watch_calls(kube, monkeypatch)

    with pytest.raises(ApiException) as caught:
        for _ in watch.Watch().stream(api.list_namespaced_pod, ns, resource_version=old,
                                      _request_timeout=DEADLINE):
            pass

    assert caught.value.status == 410
    assert caught.value.reason.startswith(f"Expired: too old resource version: {old} (")
    assert calls == [old, old]


def test_client_with_timeout_seconds_raises_a_410_without_retrying(
        kube: RunningCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    api = core(kube)
    ns = new_namespace(api, "gone-timeout")
    old = api.list_namespaced_pod(ns).metadata.resource_version
    api.create_namespaced_pod(ns, pod("a"))
    kube.call(kube.cluster.store.compact)
    calls = count_watch_calls(kube, monkeypatch)

    with pytest.raises(ApiException) as caught:
        list(watch.Watch().stream(api.list_namespaced_pod, ns, resource_version=old, timeout_seconds=5))

    assert caught.value.status == 410
    assert calls == [old]


def test_after_a_410_a_relist_and_rewatch_from_the_list_resource_version_sees_every_change(
        kube: RunningCluster) -> None:
    api = core(kube)
    ns = new_namespace(api, "relist")
    old = api.list_namespaced_pod(ns).metadata.resource_version
    api.create_namespaced_pod(ns, pod("a"))
    kube.call(kube.cluster.store.compact)
    with pytest.raises(ApiException):
        list(watch.Watch().stream(api.list_namespaced_pod, ns, resource_version=old, timeout_seconds=5))

    listed = api.list_namespaced_pod(ns)
    assert [p.metadata.name for p in listed.items] == ["a"]
    api.create_namespaced_pod(ns, pod("b"))
    events = until_sentinel(api, ns, api.list_namespaced_pod, ns,
                            resource_version=listed.metadata.resource_version)
    assert summary(events) == [("ADDED", "b")]


# ------------------------------------------------------------------ bookmarks


def test_bookmarks_arrive_periodically_and_just_before_the_timeout(
        timed_kube: RunningCluster, fake_clock: FakeClock, consumers: list[Consumer]) -> None:
    api = core(timed_kube)
    ns = new_namespace(api, "bookmarks")
    created = api.create_namespaced_pod(ns, pod("a"))
    stream = Consumer(api.list_namespaced_pod, ns, allow_watch_bookmarks=True, timeout_seconds=150)
    consumers.append(stream)
    stream.wait_count(1, "the synthetic ADDED")

    # A write to another resource moves the global resourceVersion past every pod's.
    cm = api.create_namespaced_config_map(ns, {"metadata": {"name": "bump"}})
    timed_kube.call(fake_clock.advance, 60)
    events = stream.wait_count(2, "a periodic BOOKMARK")
    bookmark = events[1]
    assert bookmark["type"] == "BOOKMARK"
    # The object is the watched kind carrying only its resourceVersion, which is the
    # store's current one (node leases are renewed while the clock moves).
    assert bookmark["raw_object"] == {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"resourceVersion": bookmark["raw_object"]["metadata"]["resourceVersion"]}}
    assert rv_of(bookmark) >= int(cm.metadata.resource_version) > int(created.metadata.resource_version)
    # The client remembers the bookmark's resourceVersion, as if it were an object's.
    assert stream.watch.resource_version == bookmark["raw_object"]["metadata"]["resourceVersion"]

    timed_kube.call(fake_clock.advance, 60)
    stream.wait_count(3, "a second periodic BOOKMARK")
    timed_kube.call(fake_clock.advance, 30)  # the 150 s timeout
    stream.wait_finished()
    assert stream.error is None
    assert [e["type"] for e in stream.events] == ["ADDED", "BOOKMARK", "BOOKMARK", "BOOKMARK"]


def test_no_bookmarks_unless_asked_for(
        timed_kube: RunningCluster, fake_clock: FakeClock, consumers: list[Consumer]) -> None:
    api = core(timed_kube)
    ns = new_namespace(api, "no-bookmarks")
    api.create_namespaced_pod(ns, pod("a"))
    stream = Consumer(api.list_namespaced_pod, ns, timeout_seconds=150)
    consumers.append(stream)
    stream.wait_count(1)
    timed_kube.call(fake_clock.advance, 150)
    stream.wait_finished()
    assert summary(stream.events) == [("ADDED", "a")]


def test_client_re_watches_from_the_last_bookmark_when_the_server_ends_the_stream(
        timed_kube: RunningCluster, fake_clock: FakeClock, consumers: list[Consumer],
        monkeypatch: pytest.MonkeyPatch) -> None:
    api = core(timed_kube)
    ns = new_namespace(api, "resume-bookmark")
    api.create_namespaced_pod(ns, pod("a"))
    calls = count_watch_calls(timed_kube, monkeypatch)
    # No timeout_seconds: the server's own timeout (30 min) ends the stream, the client re-watches.
    stream = Consumer(api.list_namespaced_pod, ns, allow_watch_bookmarks=True)
    consumers.append(stream)
    stream.wait_count(1)
    cm = api.create_namespaced_config_map(ns, {"metadata": {"name": "bump"}})

    timed_kube.call(fake_clock.advance, 1800)
    eventually(lambda: len(calls) == 2, "the client to re-watch")
    bookmarks = [e for e in stream.events if e["type"] == "BOOKMARK"]
    assert bookmarks, summary(stream.events)
    last = bookmarks[-1]["raw_object"]["metadata"]["resourceVersion"]
    assert calls == ["", last]
    assert int(last) >= int(cm.metadata.resource_version)

    api.create_namespaced_pod(ns, pod("b"))
    events = stream.wait_for(lambda events: events[-1]["type"] == "ADDED", "the next ADDED")
    assert [n for t, n in summary(events) if t != "BOOKMARK"] == ["a", "b"]


def test_send_initial_events_ends_the_initial_adds_with_an_annotated_bookmark(
        kube: RunningCluster, consumers: list[Consumer]) -> None:
    api = core(kube)
    ns = new_namespace(api, "watchlist")
    api.create_namespaced_pod(ns, pod("a"))
    api.create_namespaced_pod(ns, pod("b"))
    stream = Consumer(api.list_namespaced_pod, ns, send_initial_events=True,
                      resource_version_match="NotOlderThan", allow_watch_bookmarks=True)
    consumers.append(stream)

    events = stream.wait_count(3, "the initial events and their BOOKMARK")
    assert summary(events) == [("ADDED", "a"), ("ADDED", "b"), ("BOOKMARK", "")]
    meta = events[2]["raw_object"]["metadata"]
    assert meta["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(meta["resourceVersion"]) >= max(rv_of(e) for e in events[:2])

    api.create_namespaced_pod(ns, pod("c"))
    assert summary(stream.wait_count(4))[3] == ("ADDED", "c")


@pytest.mark.parametrize("query", [
    "sendInitialEvents=true&allowWatchBookmarks=true",
    "sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
    "sendInitialEvents=true&resourceVersionMatch=Exact&allowWatchBookmarks=true",
    "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
], ids=["no-match", "no-bookmarks", "exact", "match-without-send-initial"])
def test_send_initial_events_with_the_wrong_companions_is_invalid(kube: RunningCluster, query: str) -> None:
    response = raw_get(kube, f"/api/v1/namespaces/default/pods?watch=true&{query}")
    assert response.status == 422
    status = json.loads(response.payload)
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 422, "Invalid")
    assert "Forbidden" in status["message"]
    assert watcher_count(kube, "pods") == 0


def test_client_sees_422_for_send_initial_events_without_resource_version_match(
        kube: RunningCluster) -> None:
    api = core(kube)
    with pytest.raises(ApiException) as caught:
        list(watch.Watch().stream(api.list_namespaced_pod, "default", send_initial_events=True,
                                  allow_watch_bookmarks=True, timeout_seconds=1))
    assert caught.value.status == 422


# ------------------------------------------------------------------ timeouts


def test_timeout_seconds_ends_the_stream_with_a_clean_chunked_terminator(
        timed_kube: RunningCluster, fake_clock: FakeClock) -> None:
    raw = RawWatch(timed_kube, "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=30")
    raw.read_until(lambda data: b"\r\n\r\n" in data)
    eventually(lambda: watcher_count(timed_kube, "pods") == 1, "the watch to open")
    timed_kube.call(fake_clock.advance, 29)
    assert watcher_count(timed_kube, "pods") == 1
    timed_kube.call(fake_clock.advance, 1)
    response = raw.read_to_end()
    assert response.status == 200
    assert response.terminated
    assert response.lines() == []


def test_client_stream_with_timeout_seconds_just_ends(
        timed_kube: RunningCluster, fake_clock: FakeClock, consumers: list[Consumer],
        monkeypatch: pytest.MonkeyPatch) -> None:
    api = core(timed_kube)
    ns = new_namespace(api, "timeout")
    api.create_namespaced_pod(ns, pod("a"))
    calls = count_watch_calls(timed_kube, monkeypatch)
    stream = Consumer(api.list_namespaced_pod, ns, timeout_seconds=10)
    consumers.append(stream)
    stream.wait_count(1)
    timed_kube.call(fake_clock.advance, 10)
    stream.wait_finished()
    assert stream.error is None
    assert summary(stream.events) == [("ADDED", "a")]
    assert calls == [""]


# ------------------------------------------------------------------ deletion and ordering


def test_deleted_carries_the_final_object_with_a_new_resource_version(
        kube: RunningCluster, consumers: list[Consumer]) -> None:
    api = core(kube)
    ns = new_namespace(api, "deleted")
    unbound = api.create_namespaced_pod(ns, pod("unbound", {"k": "v"}))
    held = api.create_namespaced_pod(ns, {**pod("held"), "metadata": {
        "name": "held", "finalizers": ["example.com/hold"]}})
    stream = Consumer(api.list_namespaced_pod, ns, resource_version=held.metadata.resource_version)
    consumers.append(stream)
    eventually(lambda: watcher_count(kube, "pods") == 1, "the watch to open")

    api.delete_namespaced_pod("unbound", ns)
    [gone] = stream.wait_count(1, "the DELETED for the unbound pod")
    assert gone["type"] == "DELETED"
    assert rv_of(gone) > int(unbound.metadata.resource_version)
    final = gone["raw_object"]
    assert final["metadata"]["uid"] == unbound.metadata.uid
    assert final["metadata"]["labels"] == {"k": "v"}
    assert final["spec"]["containers"][0]["name"] == "c"

    # A finalizer keeps the object (MODIFIED, Terminating) until it is removed.
    api.delete_namespaced_pod("held", ns)
    events = stream.wait_count(2, "the MODIFIED for the held pod")
    assert events[1]["type"] == "MODIFIED"
    assert events[1]["object"].metadata.deletion_timestamp is not None
    api.patch_namespaced_pod("held", ns, {"metadata": {"finalizers": None}})
    events = stream.wait_for(lambda events: events[-1]["type"] == "DELETED", "the DELETED")
    last = events[-1]
    assert last["object"].metadata.name == "held"
    assert last["object"].metadata.deletion_timestamp is not None
    assert rv_of(last) > rv_of(events[1])
    assert all(e["object"].metadata.name == "held" for e in events[1:])


def test_events_of_one_resource_arrive_in_resource_version_order_across_namespaces(
        kube: RunningCluster) -> None:
    api = core(kube)
    namespaces = [new_namespace(api, f"order-{i}") for i in range(3)]
    start = api.list_pod_for_all_namespaces().metadata.resource_version
    for i in range(12):
        ns = namespaces[i % 3]
        api.create_namespaced_pod(ns, pod(f"p{i}"))
        if i % 2:
            api.patch_namespaced_pod(f"p{i}", ns, {"metadata": {"labels": {"i": str(i)}}})
        if i % 3 == 2:
            api.delete_namespaced_pod(f"p{i - 1}", namespaces[(i - 1) % 3])

    events = [e for e in until_sentinel(api, namespaces[0], api.list_pod_for_all_namespaces,
                                        resource_version=start)
              if e["object"].metadata.namespace in namespaces]
    rvs = [rv_of(e) for e in events]
    assert len(events) == 12 + 6 + 4
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs)


def test_namespaced_watch_sees_only_its_namespace_and_a_cluster_wide_watch_sees_all(
        kube: RunningCluster, consumers: list[Consumer]) -> None:
    api = core(kube)
    ns_a, ns_b = new_namespace(api, "scope-a"), new_namespace(api, "scope-b")
    start = api.list_pod_for_all_namespaces().metadata.resource_version
    only_a = Consumer(api.list_namespaced_pod, ns_a, resource_version=start)
    everywhere = Consumer(api.list_pod_for_all_namespaces, resource_version=start)
    consumers += [only_a, everywhere]
    eventually(lambda: watcher_count(kube, "pods") == 2, "both watches to open")

    api.create_namespaced_pod(ns_a, pod("in-a"))
    api.create_namespaced_pod(ns_b, pod("in-b"))
    api.create_namespaced_pod(ns_a, pod("in-a-2"))

    def mine(events: list[Event]) -> list[tuple[str, str]]:
        return [(e["object"].metadata.namespace, e["object"].metadata.name) for e in events
                if e["object"].metadata.namespace in (ns_a, ns_b)]

    everywhere.wait_for(lambda events: len(mine(events)) == 3, "the three pods everywhere")
    only_a.wait_for(lambda events: len(mine(events)) == 2, "the two pods in a")
    assert mine(everywhere.events) == [(ns_a, "in-a"), (ns_b, "in-b"), (ns_a, "in-a-2")]
    assert mine(only_a.events) == [(ns_a, "in-a"), (ns_a, "in-a-2")]
    assert len(only_a.events) == 2


# ------------------------------------------------------------------ broken and slow streams


def test_dropped_connection_ends_the_body_without_a_terminator(kube: RunningCluster) -> None:
    api = core(kube)
    ns = new_namespace(api, "drop-raw")
    api.create_namespaced_pod(ns, pod("a"))
    raw = RawWatch(kube, f"/api/v1/namespaces/{ns}/pods?watch=true")
    raw.read_until(lambda data: b'"ADDED"' in data)
    assert kube.call(kube.cluster.server.drop_watches) == 1
    response = raw.read_to_end()
    assert response.status == 200
    assert not response.terminated
    assert [e["type"] for e in response.lines()] == ["ADDED"]


def test_client_resumes_from_its_last_resource_version_after_a_dropped_connection(
        kube: RunningCluster, consumers: list[Consumer]) -> None:
    api = core(kube)
    ns = new_namespace(api, "drop")
    api.create_namespaced_pod(ns, pod("a"))
    first = Consumer(api.list_namespaced_pod, ns)
    consumers.append(first)
    first.wait_count(1)

    kube.call(kube.cluster.server.drop_watches)
    first.wait_finished()
    # The client does not retry a broken body: the error reaches the caller.
    assert isinstance(first.error, urllib3.exceptions.ProtocolError)
    last_rv = first.watch.resource_version
    assert last_rv == first.events[-1]["object"].metadata.resource_version

    # Changes made while nobody is watching.
    api.create_namespaced_pod(ns, pod("b"))
    api.patch_namespaced_pod("a", ns, {"metadata": {"labels": {"seen": "later"}}})
    api.delete_namespaced_pod("b", ns)

    second = Consumer(api.list_namespaced_pod, ns, resource_version=last_rv)
    consumers.append(second)
    api.create_namespaced_pod(ns, pod("c"))
    events = second.wait_count(4, "the missed changes and the next one")
    assert summary(events) == [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b"), ("ADDED", "c")]


def test_slow_consumer_is_dropped_with_a_clean_end_of_stream(kube: RunningCluster) -> None:
    kube.cluster.server.options.watch_max_buffered = 10
    api = core(kube)
    ns = new_namespace(api, "slow-raw")
    api.create_namespaced_pod(ns, pod("seed"))
    raw = RawWatch(kube, f"/api/v1/namespaces/{ns}/pods?watch=true")
    raw.read_until(lambda data: b'"ADDED"' in data)

    def burst() -> None:  # 30 commits before the stream can send any of them
        for i in range(30):
            kube.cluster.store.create("pods", ns, pod(f"p{i:02d}"))

    kube.call(burst)
    response = raw.read_to_end()
    assert response.status == 200
    assert response.terminated
    assert [e["object"]["metadata"]["name"] for e in response.lines()] == ["seed"]
    assert watcher_count(kube, "pods") == 0


def test_client_catches_up_after_being_dropped_as_a_slow_consumer(
        kube: RunningCluster, consumers: list[Consumer], monkeypatch: pytest.MonkeyPatch) -> None:
    kube.cluster.server.options.watch_max_buffered = 10
    api = core(kube)
    ns = new_namespace(api, "slow")
    seed = api.create_namespaced_pod(ns, pod("seed"))
    calls = count_watch_calls(kube, monkeypatch)
    stream = Consumer(api.list_namespaced_pod, ns)
    consumers.append(stream)
    stream.wait_count(1)

    def burst() -> None:
        for i in range(30):
            kube.cluster.store.create("pods", ns, pod(f"p{i:02d}"))

    kube.call(burst)
    events = stream.wait_count(31, "all 30 pods after the re-watch")
    assert summary(events) == [("ADDED", "seed")] + [("ADDED", f"p{i:02d}") for i in range(30)]
    # The first stream was ended; the client re-watched from the last RV it had received,
    # and the replayed history was not held against the small buffer.
    assert calls[:2] == ["", seed.metadata.resource_version]


# ------------------------------------------------------------------ other resources


def test_nodes_watch_is_cluster_scoped(kube: RunningCluster, consumers: list[Consumer]) -> None:
    api = core(kube)
    stream = Consumer(api.list_node)
    consumers.append(stream)
    initial = stream.wait_count(2, "the two nodes")
    assert sorted(summary(initial)) == [("ADDED", "node-0"), ("ADDED", "node-1")]
    assert all(isinstance(e["object"], client.V1Node) for e in initial)

    api.patch_node("node-1", {"metadata": {"labels": {"pool": "blue"}}})
    events = stream.wait_for(
        lambda events: any(e["type"] == "MODIFIED" and (e["object"].metadata.labels or {}).get("pool")
                           for e in events), "the label change")
    modified = next(e for e in events if e["type"] == "MODIFIED" and e["object"].metadata.labels.get("pool"))
    assert modified["object"].metadata.name == "node-1"

    labelled = Consumer(api.list_node, label_selector="pool=blue")
    consumers.append(labelled)
    # node-0 sorts first: had it matched, its ADDED would have come first.
    assert summary(labelled.wait_count(1))[0] == ("ADDED", "node-1")


def test_leases_watch_sees_node_heartbeats_and_lease_writes(
        timed_kube: RunningCluster, fake_clock: FakeClock, consumers: list[Consumer]) -> None:
    coordination = client.CoordinationV1Api(timed_kube.api_client())
    heartbeats = Consumer(coordination.list_namespaced_lease, "kube-node-lease")
    consumers.append(heartbeats)
    initial = heartbeats.wait_count(2, "the node leases")
    assert summary(initial) == [("ADDED", "node-0"), ("ADDED", "node-1")]
    assert isinstance(initial[0]["object"], client.V1Lease)

    # Leases are renewed every 10 s, the first ones spread over the first interval.
    timed_kube.call(fake_clock.advance, 12)
    events = heartbeats.wait_count(4, "two renewals")
    renewals = events[2:]
    assert sorted(summary(renewals)) == [("MODIFIED", "node-0"), ("MODIFIED", "node-1")]
    for renewal in renewals:
        before = next(e for e in initial if e["object"].metadata.name == renewal["object"].metadata.name)
        assert renewal["object"].spec.renew_time > before["object"].spec.renew_time
        assert rv_of(renewal) > rv_of(before)

    lease = {"metadata": {"name": "leader"},
             "spec": {"holderIdentity": "one", "leaseDurationSeconds": 15}}
    created = coordination.create_namespaced_lease("default", lease)
    stream = Consumer(coordination.list_namespaced_lease, "default",
                      resource_version=created.metadata.resource_version)
    consumers.append(stream)
    eventually(lambda: watcher_count(timed_kube, "leases") == 2, "the second lease watch to open")
    coordination.patch_namespaced_lease("leader", "default", {"spec": {"holderIdentity": "two"}})
    coordination.delete_namespaced_lease("leader", "default")
    events = stream.wait_count(2)
    assert summary(events) == [("MODIFIED", "leader"), ("DELETED", "leader")]
    assert events[0]["object"].spec.holder_identity == "two"
