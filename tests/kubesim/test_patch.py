"""kubesim.patch: what each PATCH content type does to an object, as a specification.

Sources: RFC 6902 (JSON patch) with its Appendix A, RFC 6901 (JSON pointer), RFC 7386
(JSON merge patch) with its Appendix A, the Kubernetes strategic-merge-patch
documentation (community repo, sig-api-machinery/strategic-merge-patch.md and the
preserve-order design proposal), the "Update API Objects in Place Using kubectl patch"
task page, and the patch strategies declared on the core/v1 types.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesim.errors import ApiError
from kubesim.patch import (
    INVALID_PATCH_MESSAGE,
    MAX_JSON_PATCH_OPERATIONS,
    MERGE_KEYS,
    PRIMITIVE,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_patch,
    apply_strategic_merge_patch,
    merge_patch_value,
    merge_strategy,
    pod_spec_merge_keys,
)

JSONDict = dict[str, Any]


# --------------------------------------------------------------------------------------
# Fixtures: pod- and node-shaped documents
# --------------------------------------------------------------------------------------

def make_pod() -> JSONDict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-0",
            "namespace": "default",
            "uid": "11111111-2222-3333-4444-555555555555",
            "resourceVersion": "42",
            "labels": {"app": "web", "tier": "frontend"},
            "annotations": {"note": "x"},
            "finalizers": ["example.com/a", "example.com/b"],
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs-1",
                 "controller": True},
            ],
        },
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "app:1",
                    "args": ["--port", "8080"],
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                },
                {"name": "sidecar", "image": "sidecar:1"},
            ],
            "initContainers": [{"name": "init", "image": "init:1"}],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "imagePullSecrets": [{"name": "registry"}],
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300},
            ],
            "nodeName": "node-1",
            "restartPolicy": "Always",
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Initialized", "status": "True"},
                {"type": "ContainersReady", "status": "False"},
                {"type": "Ready", "status": "False"},
            ],
            "containerStatuses": [
                {"name": "app", "ready": False, "restartCount": 0},
                {"name": "sidecar", "ready": True, "restartCount": 0},
            ],
        },
    }


def make_node() -> JSONDict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}},
        "spec": {
            "podCIDRs": ["10.0.1.0/24"],
            "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
        },
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": "True", "reason": "KubeletReady"},
            ],
            "addresses": [
                {"type": "InternalIP", "address": "10.0.0.1"},
                {"type": "Hostname", "address": "node-1"},
            ],
            "capacity": {"cpu": "8", "pods": "110"},
        },
    }


def smp_pod(patch: Any, pod: JSONDict | None = None) -> JSONDict:
    return apply_strategic_merge_patch(make_pod() if pod is None else pod, patch, "pods")


def container(pod: JSONDict, name: str) -> JSONDict:
    return next(c for c in pod["spec"]["containers"] if c["name"] == name)


def names(items: list[JSONDict], key: str = "name") -> list[Any]:
    return [item[key] for item in items]


@contextmanager
def expect_error(code: int, reason: str) -> Iterator[None]:
    """The block raises ApiError with this code and reason."""
    with pytest.raises(ApiError) as info:
        yield
    assert (info.value.code, info.value.reason) == (code, reason), info.value


def json_patch_error(doc: JSONDict, ops: list[Any]) -> ApiError:
    """Apply a JSON patch expected to fail with 422 and return the error."""
    with pytest.raises(ApiError) as info:
        apply_json_patch(doc, ops)
    return info.value


# --------------------------------------------------------------------------------------
# RFC 6902: each operation
# --------------------------------------------------------------------------------------

class TestJsonPatchAdd:
    def test_adds_an_object_member(self) -> None:
        pod = make_pod()
        out = apply_json_patch(pod, [{"op": "add", "path": "/metadata/labels/new", "value": "v"}])
        assert out["metadata"]["labels"] == {"app": "web", "tier": "frontend", "new": "v"}

    def test_replaces_an_existing_member(self) -> None:
        out = apply_json_patch(make_pod(), [{"op": "add", "path": "/metadata/labels/app", "value": "api"}])
        assert out["metadata"]["labels"]["app"] == "api"

    def test_inserts_into_an_array_before_the_index(self) -> None:
        out = apply_json_patch(make_pod(), [
            {"op": "add", "path": "/metadata/finalizers/0", "value": "example.com/z"},
        ])
        assert out["metadata"]["finalizers"] == ["example.com/z", "example.com/a", "example.com/b"]

    def test_index_equal_to_length_appends(self) -> None:
        out = apply_json_patch(make_pod(), [
            {"op": "add", "path": "/metadata/finalizers/2", "value": "example.com/z"},
        ])
        assert out["metadata"]["finalizers"][-1] == "example.com/z"

    def test_dash_appends_to_an_array(self) -> None:
        out = apply_json_patch(make_pod(), [
            {"op": "add", "path": "/status/conditions/-", "value": {"type": "X", "status": "True"}},
        ])
        assert out["status"]["conditions"][-1] == {"type": "X", "status": "True"}

    def test_null_is_a_value(self) -> None:
        out = apply_json_patch(make_pod(), [{"op": "add", "path": "/spec/priority", "value": None}])
        assert "priority" in out["spec"] and out["spec"]["priority"] is None

    def test_empty_path_replaces_the_whole_document(self) -> None:
        out = apply_json_patch(make_pod(), [{"op": "add", "path": "", "value": {"kind": "Pod"}}])
        assert out == {"kind": "Pod"}

    def test_index_past_the_end_is_422(self) -> None:
        error = json_patch_error(make_pod(), [
            {"op": "add", "path": "/metadata/finalizers/3", "value": "x"},
        ])
        assert (error.code, error.reason) == (422, "Invalid")

    def test_missing_parent_is_422(self) -> None:
        error = json_patch_error(make_pod(), [
            {"op": "add", "path": "/metadata/nothing/here", "value": "x"},
        ])
        assert error.code == 422

    def test_parent_that_is_a_scalar_is_422(self) -> None:
        error = json_patch_error(make_pod(), [{"op": "add", "path": "/kind/x", "value": 1}])
        assert error.code == 422


class TestJsonPatchRemove:
    def test_removes_an_object_member(self) -> None:
        out = apply_json_patch(make_pod(), [{"op": "remove", "path": "/metadata/annotations/note"}])
        assert out["metadata"]["annotations"] == {}

    def test_removes_an_array_element_and_shifts_the_rest(self) -> None:
        out = apply_json_patch(make_pod(), [{"op": "remove", "path": "/status/conditions/0"}])
        assert names(out["status"]["conditions"], "type") == ["Initialized", "ContainersReady", "Ready"]

    def test_missing_member_is_422(self) -> None:
        assert json_patch_error(make_pod(), [{"op": "remove", "path": "/metadata/x"}]).code == 422

    def test_index_out_of_range_is_422(self) -> None:
        assert json_patch_error(make_pod(), [{"op": "remove", "path": "/metadata/finalizers/2"}]).code == 422

    def test_dash_names_no_element_so_remove_is_422(self) -> None:
        assert json_patch_error(make_pod(), [{"op": "remove", "path": "/metadata/finalizers/-"}]).code == 422

    def test_removing_the_whole_document_is_422(self) -> None:
        assert json_patch_error(make_pod(), [{"op": "remove", "path": ""}]).code == 422


class TestJsonPatchReplace:
    def test_replaces_a_member(self) -> None:
        out = apply_json_patch(make_pod(), [{"op": "replace", "path": "/status/phase", "value": "Succeeded"}])
        assert out["status"]["phase"] == "Succeeded"

    def test_replaces_an_array_element(self) -> None:
        out = apply_json_patch(make_pod(), [
            {"op": "replace", "path": "/spec/containers/0/image", "value": "app:2"},
        ])
        assert out["spec"]["containers"][0]["image"] == "app:2"

    def test_missing_target_is_422_unlike_add(self) -> None:
        assert json_patch_error(make_pod(), [
            {"op": "replace", "path": "/spec/activeDeadlineSeconds", "value": 5},
        ]).code == 422


class TestJsonPatchMove:
    def test_moves_a_member(self) -> None:
        out = apply_json_patch(make_pod(), [
            {"op": "move", "from": "/metadata/annotations/note", "path": "/metadata/labels/note"},
        ])
        assert "note" not in out["metadata"]["annotations"]
        assert out["metadata"]["labels"]["note"] == "x"

    def test_moving_onto_itself_is_a_no_op(self) -> None:
        pod = make_pod()
        out = apply_json_patch(pod, [{"op": "move", "from": "/status/phase", "path": "/status/phase"}])
        assert out == pod

    def test_moving_into_its_own_child_is_422(self) -> None:
        assert json_patch_error(make_pod(), [
            {"op": "move", "from": "/metadata", "path": "/metadata/labels/m"},
        ]).code == 422

    def test_missing_from_is_422(self) -> None:
        assert json_patch_error(make_pod(), [
            {"op": "move", "from": "/metadata/nope", "path": "/metadata/x"},
        ]).code == 422


class TestJsonPatchCopy:
    def test_copies_a_value(self) -> None:
        out = apply_json_patch(make_pod(), [
            {"op": "copy", "from": "/metadata/labels", "path": "/metadata/annotations"},
        ])
        assert out["metadata"]["annotations"] == out["metadata"]["labels"]

    def test_the_copy_is_independent_of_the_source(self) -> None:
        out = apply_json_patch(make_pod(), [
            {"op": "copy", "from": "/metadata/labels", "path": "/metadata/annotations"},
            {"op": "add", "path": "/metadata/annotations/extra", "value": "1"},
        ])
        assert "extra" not in out["metadata"]["labels"]
        assert out["metadata"]["annotations"] is not out["metadata"]["labels"]

    def test_missing_from_member_is_422(self) -> None:
        assert json_patch_error(make_pod(), [
            {"op": "copy", "path": "/metadata/annotations"},
        ]).code == 422


class TestJsonPatchTest:
    def test_passing_test_changes_nothing(self) -> None:
        pod = make_pod()
        assert apply_json_patch(pod, [
            {"op": "test", "path": "/metadata/resourceVersion", "value": "42"},
        ]) == pod

    def test_failed_test_is_422_invalid_with_kubes_generic_message(self) -> None:
        error = json_patch_error(make_pod(), [
            {"op": "test", "path": "/metadata/resourceVersion", "value": "41"},
            {"op": "replace", "path": "/status/phase", "value": "Failed"},
        ])
        assert (error.code, error.reason) == (422, "Invalid")
        assert error.message == INVALID_PATCH_MESSAGE
        assert error.causes is None
        assert error.status()["message"] == "the server rejected our request due to an error in our request"
        assert isinstance(error.__cause__, PatchError)
        assert "testing value /metadata/resourceVersion failed" in str(error.__cause__)

    def test_compares_json_values_deeply(self) -> None:
        pod = make_pod()
        apply_json_patch(pod, [{"op": "test", "path": "/metadata/labels",
                                "value": {"tier": "frontend", "app": "web"}}])
        assert json_patch_error(pod, [{"op": "test", "path": "/metadata/labels",
                                       "value": {"app": "web"}}]).code == 422

    def test_numbers_compare_by_value_but_booleans_are_not_numbers(self) -> None:
        doc = {"n": 1, "b": True, "z": None}
        apply_json_patch(doc, [{"op": "test", "path": "/n", "value": 1.0}])
        apply_json_patch(doc, [{"op": "test", "path": "/z", "value": None}])
        assert json_patch_error(doc, [{"op": "test", "path": "/b", "value": 1}]).code == 422
        assert json_patch_error(doc, [{"op": "test", "path": "/n", "value": True}]).code == 422

    def test_testing_a_missing_path_is_422(self) -> None:
        assert json_patch_error(make_pod(), [{"op": "test", "path": "/nope", "value": None}]).code == 422


class TestJsonPointer:
    def test_tilde_one_is_slash_and_tilde_zero_is_tilde(self) -> None:
        pod = make_pod()
        out = apply_json_patch(pod, [
            {"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "web"},
            {"op": "add", "path": "/metadata/annotations/a~0b", "value": "t"},
        ])
        assert out["metadata"]["labels"]["app.kubernetes.io/name"] == "web"
        assert out["metadata"]["annotations"]["a~b"] == "t"

    def test_invalid_escape_is_422(self) -> None:
        assert json_patch_error(make_pod(), [
            {"op": "add", "path": "/metadata/labels/a~2b", "value": "x"},
        ]).code == 422

    def test_pointer_must_start_with_a_slash(self) -> None:
        assert json_patch_error(make_pod(), [
            {"op": "add", "path": "metadata/labels/x", "value": "x"},
        ]).code == 422

    def test_array_index_with_a_leading_zero_is_422(self) -> None:
        assert json_patch_error(make_pod(), [
            {"op": "replace", "path": "/metadata/finalizers/01", "value": "x"},
        ]).code == 422

    def test_negative_array_index_is_422(self) -> None:
        assert json_patch_error(make_pod(), [
            {"op": "replace", "path": "/metadata/finalizers/-1", "value": "x"},
        ]).code == 422

    def test_numeric_token_on_an_object_is_a_member_name(self) -> None:
        out = apply_json_patch({"m": {}}, [{"op": "add", "path": "/m/0", "value": 1}])
        assert out == {"m": {"0": 1}}

    def test_empty_token_is_the_empty_member_name(self) -> None:
        out = apply_json_patch({"m": {}}, [{"op": "add", "path": "/m/", "value": 1}])
        assert out == {"m": {"": 1}}


class TestJsonPatchDocument:
    def test_operations_apply_in_order(self) -> None:
        out = apply_json_patch({"a": []}, [
            {"op": "add", "path": "/a/-", "value": 1},
            {"op": "add", "path": "/a/-", "value": 2},
            {"op": "move", "from": "/a/0", "path": "/a/-"},
        ])
        assert out == {"a": [2, 1]}

    def test_a_failing_operation_applies_nothing_and_leaves_the_input_alone(self) -> None:
        pod = make_pod()
        before = copy.deepcopy(pod)
        json_patch_error(pod, [
            {"op": "replace", "path": "/status/phase", "value": "Failed"},
            {"op": "remove", "path": "/metadata/labels/nope"},
        ])
        assert pod == before

    def test_empty_patch_returns_an_equal_document(self) -> None:
        pod = make_pod()
        assert apply_json_patch(pod, []) == pod

    def test_unknown_op_is_422(self) -> None:
        error = json_patch_error(make_pod(), [{"op": "merge", "path": "/x", "value": 1}])
        assert (error.code, error.reason) == (422, "Invalid")
        assert "unknown operation" in str(error.__cause__)

    @pytest.mark.parametrize("op", [
        {"path": "/x", "value": 1},
        {"op": "add", "value": 1},
        {"op": "add", "path": "/x"},
        {"op": "replace", "path": "/kind"},
        {"op": "test", "path": "/kind"},
        {"op": "move", "path": "/x"},
        {"op": "add", "path": 5, "value": 1},
    ])
    def test_operation_missing_a_required_member_is_422(self, op: JSONDict) -> None:
        assert json_patch_error(make_pod(), [op]).code == 422

    @pytest.mark.parametrize("body", [{"op": "add"}, "add", 3, True])
    def test_body_that_is_not_a_list_is_400(self, body: Any) -> None:
        with expect_error(400, "BadRequest"):
            apply_json_patch(make_pod(), body)

    @pytest.mark.parametrize("element", ["add", 1, None, ["op", "add"]])
    def test_operation_that_is_not_an_object_is_400(self, element: Any) -> None:
        with expect_error(400, "BadRequest"):
            apply_json_patch(make_pod(), [element])

    def test_null_body_is_an_empty_patch_as_in_kube(self) -> None:
        pod = make_pod()
        assert apply_json_patch(pod, None) == pod  # type: ignore[arg-type]

    def test_more_than_ten_thousand_operations_is_413(self) -> None:
        ops = [{"op": "test", "path": "/kind", "value": "Pod"}] * (MAX_JSON_PATCH_OPERATIONS + 1)
        with expect_error(413, "RequestEntityTooLarge"):
            apply_json_patch(make_pod(), ops)
        apply_json_patch(make_pod(), ops[:MAX_JSON_PATCH_OPERATIONS])

    def test_result_that_is_not_an_object_is_422(self) -> None:
        assert json_patch_error(make_pod(), [{"op": "replace", "path": "", "value": [1]}]).code == 422

    def test_untouched_subtrees_are_shared_and_touched_ones_copied(self) -> None:
        pod = make_pod()
        out = apply_json_patch(pod, [{"op": "replace", "path": "/status/phase", "value": "Failed"}])
        assert out["spec"] is pod["spec"]
        assert out["metadata"] is pod["metadata"]
        assert out["status"] is not pod["status"]
        assert out["status"]["conditions"] is pod["status"]["conditions"]
        assert pod["status"]["phase"] == "Running"

    def test_values_are_copied_in_not_aliased_to_the_patch(self) -> None:
        value = {"k": ["v"]}
        out = apply_json_patch({}, [{"op": "add", "path": "/a", "value": value}])
        value["k"].append("w")
        assert out == {"a": {"k": ["v"]}}


# RFC 6902 Appendix A, each example as (document, patch, result or None for an error).
RFC6902_EXAMPLES: list[tuple[str, Any, list[Any], Any]] = [
    ("A.1 adding an object member",
     {"foo": "bar"},
     [{"op": "add", "path": "/baz", "value": "qux"}],
     {"baz": "qux", "foo": "bar"}),
    ("A.2 adding an array element",
     {"foo": ["bar", "baz"]},
     [{"op": "add", "path": "/foo/1", "value": "qux"}],
     {"foo": ["bar", "qux", "baz"]}),
    ("A.3 removing an object member",
     {"baz": "qux", "foo": "bar"},
     [{"op": "remove", "path": "/baz"}],
     {"foo": "bar"}),
    ("A.4 removing an array element",
     {"foo": ["bar", "qux", "baz"]},
     [{"op": "remove", "path": "/foo/1"}],
     {"foo": ["bar", "baz"]}),
    ("A.5 replacing a value",
     {"baz": "qux", "foo": "bar"},
     [{"op": "replace", "path": "/baz", "value": "boo"}],
     {"baz": "boo", "foo": "bar"}),
    ("A.6 moving a value",
     {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ("A.7 moving an array element",
     {"foo": ["all", "grass", "cows", "eat"]},
     [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ("A.8 testing a value: success",
     {"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ("A.9 testing a value: error",
     {"baz": "qux"},
     [{"op": "test", "path": "/baz", "value": "bar"}],
     None),
    ("A.10 adding a nested member object",
     {"foo": "bar"},
     [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ("A.11 ignoring unrecognized elements",
     {"foo": "bar"},
     [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
     {"foo": "bar", "baz": "qux"}),
    ("A.12 adding to a nonexistent target",
     {"foo": "bar"},
     [{"op": "add", "path": "/baz/bat", "value": "qux"}],
     None),
    ("A.14 ~ escape ordering",
     {"/": 9, "~1": 10},
     [{"op": "test", "path": "/~01", "value": 10}],
     {"/": 9, "~1": 10}),
    ("A.15 comparing strings and numbers",
     {"/": 9, "~1": 10},
     [{"op": "test", "path": "/~01", "value": "10"}],
     None),
    ("A.16 adding an array value",
     {"foo": ["bar"]},
     [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
     {"foo": ["bar", ["abc", "def"]]}),
]


@pytest.mark.parametrize(("title", "doc", "ops", "expected"), RFC6902_EXAMPLES,
                         ids=[e[0] for e in RFC6902_EXAMPLES])
def test_rfc6902_appendix_a(title: str, doc: JSONDict, ops: list[Any], expected: Any) -> None:
    before = copy.deepcopy(doc)
    if expected is None:
        assert json_patch_error(doc, ops).code == 422
    else:
        assert apply_json_patch(doc, ops) == expected
    assert doc == before


def test_rfc6902_a13_duplicate_op_member_is_an_error() -> None:
    """A.13: `op` given twice. JSON decoders (Go's and Python's) keep the last one, so this
    is a `remove` of a member that does not exist: the patch fails either way."""
    body = b'[{"op": "add", "path": "/baz", "value": "qux", "op": "remove"}]'
    with expect_error(422, "Invalid"):
        apply_patch({"foo": "bar"}, body, "application/json-patch+json", "pods")


# --------------------------------------------------------------------------------------
# RFC 7386 merge patch
# --------------------------------------------------------------------------------------

# RFC 7386 Appendix A: (target, patch, result).
RFC7386_EXAMPLES: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC7386_EXAMPLES)
def test_rfc7386_appendix_a(target: Any, patch: Any, expected: Any) -> None:
    before = copy.deepcopy(target)
    assert merge_patch_value(target, patch) == expected
    assert target == before


def test_rfc7386_section_3_example() -> None:
    target = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert apply_merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


class TestMergePatch:
    def test_merges_maps_and_null_deletes_a_key(self) -> None:
        out = apply_merge_patch(make_pod(), {"metadata": {"labels": {"tier": None, "new": "1"}}})
        assert out["metadata"]["labels"] == {"app": "web", "new": "1"}

    def test_lists_are_replaced_whole_even_keyed_ones(self) -> None:
        out = apply_merge_patch(make_pod(), {"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
        assert out["status"]["conditions"] == [{"type": "Ready", "status": "True"}]

    def test_null_deletes_a_list(self) -> None:
        out = apply_merge_patch(make_pod(), {"metadata": {"finalizers": None}})
        assert "finalizers" not in out["metadata"]

    def test_directives_have_no_meaning_in_a_merge_patch(self) -> None:
        out = apply_merge_patch(make_pod(), {"metadata": {"labels": {"$patch": "replace"}}})
        assert out["metadata"]["labels"]["$patch"] == "replace"

    @pytest.mark.parametrize("patch", [[{"a": 1}], "x", 1, None, True])
    def test_body_that_is_not_an_object_is_400(self, patch: Any) -> None:
        with expect_error(400, "BadRequest"):
            apply_merge_patch(make_pod(), patch)

    def test_copy_on_write(self) -> None:
        pod = make_pod()
        before = copy.deepcopy(pod)
        out = apply_merge_patch(pod, {"status": {"phase": "Succeeded"}})
        assert pod == before
        assert out["spec"] is pod["spec"] and out["metadata"] is pod["metadata"]
        assert out["status"]["conditions"] is pod["status"]["conditions"]


# --------------------------------------------------------------------------------------
# Strategic merge patch: the merge-key table
# --------------------------------------------------------------------------------------

class TestMergeKeyTable:
    @pytest.mark.parametrize(("resource", "path", "key"), [
        ("pods", ("spec", "containers"), "name"),
        ("pods", ("spec", "initContainers"), "name"),
        ("pods", ("spec", "ephemeralContainers"), "name"),
        ("pods", ("spec", "containers", "env"), "name"),
        ("pods", ("spec", "initContainers", "ports"), "containerPort"),
        ("pods", ("spec", "ephemeralContainers", "volumeMounts"), "mountPath"),
        ("pods", ("spec", "volumes"), "name"),
        ("pods", ("spec", "imagePullSecrets"), "name"),
        ("pods", ("status", "conditions"), "type"),
        ("nodes", ("status", "conditions"), "type"),
        ("nodes", ("status", "addresses"), "type"),
        ("pods", ("metadata", "ownerReferences"), "uid"),
        ("configmaps", ("metadata", "ownerReferences"), "uid"),
        ("leases", ("metadata", "finalizers"), PRIMITIVE),
    ])
    def test_kubernetes_merge_keys(self, resource: str, path: tuple[str, ...], key: str) -> None:
        assert merge_strategy(resource, path) == key

    @pytest.mark.parametrize(("resource", "path"), [
        ("pods", ("spec", "tolerations")),
        ("pods", ("spec", "containers", "args")),
        ("pods", ("spec", "containers", "command")),
        ("pods", ("status", "containerStatuses")),
        ("pods", ("status", "initContainerStatuses")),
        ("nodes", ("spec", "taints")),
        ("nodes", ("status", "conditions", "x")),
        ("configmaps", ("status", "conditions")),
    ])
    def test_lists_without_a_patch_strategy_have_none(self, resource: str, path: tuple[str, ...]) -> None:
        assert merge_strategy(resource, path) is None

    def test_pod_spec_keys_can_be_placed_under_a_template(self) -> None:
        keys = pod_spec_merge_keys(("spec", "template", "spec"))
        assert keys[("spec", "template", "spec", "containers")] == "name"
        assert keys[("spec", "template", "spec", "containers", "env")] == "name"

    def test_the_table_is_keyed_by_resource_and_path(self) -> None:
        assert MERGE_KEYS[("pods", ("spec", "containers"))] == "name"
        assert all(isinstance(r, str) and isinstance(p, tuple) for r, p in MERGE_KEYS)


# --------------------------------------------------------------------------------------
# Strategic merge patch: maps
# --------------------------------------------------------------------------------------

class TestStrategicMaps:
    def test_maps_merge_recursively(self) -> None:
        out = smp_pod({"metadata": {"labels": {"new": "1"}}, "spec": {"restartPolicy": "Never"}})
        assert out["metadata"]["labels"] == {"app": "web", "tier": "frontend", "new": "1"}
        assert out["spec"]["restartPolicy"] == "Never"
        assert out["spec"]["containers"] == make_pod()["spec"]["containers"]

    def test_null_deletes_a_key(self) -> None:
        out = smp_pod({"metadata": {"labels": {"tier": None}, "annotations": None}})
        assert out["metadata"]["labels"] == {"app": "web"}
        assert "annotations" not in out["metadata"]

    def test_null_for_a_missing_key_is_harmless(self) -> None:
        out = smp_pod({"metadata": {"labels": {"nope": None}}})
        assert out["metadata"]["labels"] == {"app": "web", "tier": "frontend"}

    def test_a_new_subtree_is_added_without_its_nulls(self) -> None:
        out = smp_pod({"spec": {"securityContext": {"runAsUser": 1000, "runAsGroup": None}}})
        assert out["spec"]["securityContext"] == {"runAsUser": 1000}

    def test_a_scalar_replaces_a_map_and_a_map_replaces_a_scalar(self) -> None:
        out = apply_strategic_merge_patch({"a": {"x": 1}, "b": 1}, {"a": 2, "b": {"y": None, "z": 3}}, "pods")
        assert out == {"a": 2, "b": {"z": 3}}

    def test_empty_patch_is_identity(self) -> None:
        pod = make_pod()
        assert smp_pod({}, pod) == pod

    def test_null_body_is_an_empty_patch_as_in_kube(self) -> None:
        pod = make_pod()
        assert smp_pod(None, pod) == pod

    @pytest.mark.parametrize("patch", [[{"a": 1}], "x", 1, True])
    def test_body_that_is_not_an_object_is_400(self, patch: Any) -> None:
        with expect_error(400, "BadRequest"):
            smp_pod(patch)

    def test_copy_on_write_for_a_status_write(self) -> None:
        pod = make_pod()
        before = copy.deepcopy(pod)
        out = smp_pod({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, pod)
        assert pod == before
        assert out["spec"] is pod["spec"] and out["metadata"] is pod["metadata"]
        untouched = [c for c in out["status"]["conditions"] if c["type"] != "Ready"]
        assert all(any(c is o for o in pod["status"]["conditions"]) for c in untouched)
        assert out["status"]["containerStatuses"] is pod["status"]["containerStatuses"]

    def test_subresource_in_the_resource_name_is_ignored(self) -> None:
        out = apply_strategic_merge_patch(make_pod(), {"status": {"conditions": [
            {"type": "Ready", "status": "True"}]}}, "pods/status")
        assert len(out["status"]["conditions"]) == 4


# --------------------------------------------------------------------------------------
# Strategic merge patch: keyed lists
# --------------------------------------------------------------------------------------

class TestStrategicContainers:
    def test_patching_a_container_by_name_merges_it_in_place(self) -> None:
        out = smp_pod({"spec": {"containers": [{"name": "sidecar", "image": "sidecar:2"}]}})
        assert names(out["spec"]["containers"]) == ["app", "sidecar"]
        assert container(out, "sidecar") == {"name": "sidecar", "image": "sidecar:2"}
        assert container(out, "app") == make_pod()["spec"]["containers"][0]

    def test_a_new_container_is_added_before_the_existing_ones(self) -> None:
        """As on the kubectl-patch task page: patching in `patch-demo-ctr-2` (redis) lists it
        before the existing `patch-demo-ctr` (nginx). An element only a patch adds goes
        before the live elements."""
        out = smp_pod({"spec": {"containers": [{"name": "logger", "image": "logger:1"}]}})
        assert names(out["spec"]["containers"]) == ["logger", "app", "sidecar"]

    def test_a_null_inside_a_container_deletes_that_field(self) -> None:
        out = smp_pod({"spec": {"containers": [{"name": "app", "args": None}]}})
        assert "args" not in container(out, "app")

    def test_args_and_command_are_replaced_whole(self) -> None:
        out = smp_pod({"spec": {"containers": [{"name": "app", "args": ["--debug"], "command": ["run"]}]}})
        assert container(out, "app")["args"] == ["--debug"]
        assert container(out, "app")["command"] == ["run"]

    def test_env_merges_by_name(self) -> None:
        out = smp_pod({"spec": {"containers": [
            {"name": "app", "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}]},
        ]}})
        assert container(out, "app")["env"] == [
            {"name": "A", "value": "1"}, {"name": "B", "value": "20"}, {"name": "C", "value": "3"},
        ]

    def test_ports_merge_by_container_port(self) -> None:
        out = smp_pod({"spec": {"containers": [
            {"name": "app", "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090}]},
        ]}})
        assert container(out, "app")["ports"] == [
            {"containerPort": 8080, "protocol": "TCP", "name": "http"}, {"containerPort": 9090},
        ]

    def test_volume_mounts_merge_by_mount_path(self) -> None:
        out = smp_pod({"spec": {"containers": [
            {"name": "app", "volumeMounts": [{"mountPath": "/data", "readOnly": True}]},
        ]}})
        assert container(out, "app")["volumeMounts"] == [
            {"name": "data", "mountPath": "/data", "readOnly": True},
        ]

    def test_init_containers_merge_by_name(self) -> None:
        out = smp_pod({"spec": {"initContainers": [{"name": "init", "image": "init:2"}]}})
        assert out["spec"]["initContainers"] == [{"name": "init", "image": "init:2"}]

    def test_ephemeral_containers_merge_by_name(self) -> None:
        pod = make_pod()
        pod["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox", "env": [{"name": "X"}]}]
        out = smp_pod({"spec": {"ephemeralContainers": [
            {"name": "debug", "env": [{"name": "Y", "value": "1"}]},
        ]}}, pod)
        assert out["spec"]["ephemeralContainers"] == [
            {"name": "debug", "image": "busybox", "env": [{"name": "Y", "value": "1"}, {"name": "X"}]},
        ]

    def test_volumes_merge_by_name(self) -> None:
        out = smp_pod({"spec": {"volumes": [{"name": "cfg", "configMap": {"name": "c"}}]}})
        assert names(out["spec"]["volumes"]) == ["cfg", "data"]

    def test_image_pull_secrets_merge_by_name(self) -> None:
        out = smp_pod({"spec": {"imagePullSecrets": [{"name": "registry"}, {"name": "other"}]}})
        assert out["spec"]["imagePullSecrets"] == [{"name": "registry"}, {"name": "other"}]

    def test_a_list_the_original_lacks_is_created(self) -> None:
        pod = make_pod()
        del pod["spec"]["volumes"]
        out = smp_pod({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}, pod)
        assert out["spec"]["volumes"] == [{"name": "v", "emptyDir": {}}]

    def test_tolerations_are_replaced_whole(self) -> None:
        out = smp_pod({"spec": {"tolerations": [{"key": "dedicated", "operator": "Exists"}]}})
        assert out["spec"]["tolerations"] == [{"key": "dedicated", "operator": "Exists"}]

    def test_an_element_without_its_merge_key_is_400(self) -> None:
        with expect_error(400, "BadRequest"):
            smp_pod({"spec": {"containers": [{"image": "x"}]}})

    def test_an_element_that_is_not_an_object_is_400(self) -> None:
        with expect_error(400, "BadRequest"):
            smp_pod({"spec": {"containers": ["app"]}})


class TestStrategicStatus:
    def test_pod_conditions_merge_by_type_in_place(self) -> None:
        out = smp_pod({"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ok"}]}})
        assert out["status"]["conditions"] == [
            {"type": "PodScheduled", "status": "True"},
            {"type": "Initialized", "status": "True"},
            {"type": "ContainersReady", "status": "False"},
            {"type": "Ready", "status": "True", "reason": "Ok"},
        ]

    def test_a_new_condition_type_is_added(self) -> None:
        out = smp_pod({"status": {"conditions": [{"type": "DisruptionTarget", "status": "True"}]}})
        assert names(out["status"]["conditions"], "type") == [
            "DisruptionTarget", "PodScheduled", "Initialized", "ContainersReady", "Ready",
        ]

    def test_several_conditions_in_one_patch_keep_the_live_order(self) -> None:
        out = smp_pod({"status": {"conditions": [
            {"type": "ContainersReady", "status": "True"}, {"type": "Ready", "status": "True"},
        ]}})
        assert [(c["type"], c["status"]) for c in out["status"]["conditions"]] == [
            ("PodScheduled", "True"), ("Initialized", "True"),
            ("ContainersReady", "True"), ("Ready", "True"),
        ]

    def test_container_statuses_are_replaced_whole_as_in_kubernetes(self) -> None:
        """core/v1 declares no patch strategy on containerStatuses (+listType=atomic)."""
        out = smp_pod({"status": {"containerStatuses": [{"name": "app", "ready": True, "restartCount": 0}]}})
        assert out["status"]["containerStatuses"] == [{"name": "app", "ready": True, "restartCount": 0}]

    def test_node_conditions_merge_by_type(self) -> None:
        out = apply_strategic_merge_patch(make_node(), {"status": {"conditions": [
            {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"},
        ]}}, "nodes")
        assert out["status"]["conditions"] == [
            {"type": "MemoryPressure", "status": "False"},
            {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"},
        ]

    def test_node_addresses_merge_by_type(self) -> None:
        out = apply_strategic_merge_patch(make_node(), {"status": {"addresses": [
            {"type": "InternalIP", "address": "10.0.0.2"},
        ]}}, "nodes")
        assert out["status"]["addresses"] == [
            {"type": "InternalIP", "address": "10.0.0.2"}, {"type": "Hostname", "address": "node-1"},
        ]

    def test_node_taints_are_replaced_whole(self) -> None:
        out = apply_strategic_merge_patch(make_node(), {"spec": {"taints": [
            {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
        ]}}, "nodes")
        assert out["spec"]["taints"] == [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]

    def test_node_pod_cidrs_are_a_set(self) -> None:
        out = apply_strategic_merge_patch(make_node(), {"spec": {"podCIDRs": ["10.0.1.0/24"]}}, "nodes")
        assert out["spec"]["podCIDRs"] == ["10.0.1.0/24"]

    def test_a_resource_without_entries_replaces_its_lists(self) -> None:
        doc = {"status": {"conditions": [{"type": "A"}, {"type": "B"}]}}
        out = apply_strategic_merge_patch(doc, {"status": {"conditions": [{"type": "A", "x": 1}]}}, "widgets")
        assert out["status"]["conditions"] == [{"type": "A", "x": 1}]


class TestStrategicMetadata:
    def test_owner_references_merge_by_uid(self) -> None:
        out = smp_pod({"metadata": {"ownerReferences": [
            {"uid": "rs-1", "blockOwnerDeletion": True},
            {"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": "node-uid"},
        ]}})
        assert out["metadata"]["ownerReferences"] == [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs-1",
             "controller": True, "blockOwnerDeletion": True},
            {"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": "node-uid"},
        ]

    def test_finalizers_are_a_union_without_duplicates(self) -> None:
        out = smp_pod({"metadata": {"finalizers": ["example.com/b", "example.com/c", "example.com/c"]}})
        assert out["metadata"]["finalizers"] == ["example.com/a", "example.com/b", "example.com/c"]

    def test_a_finalizer_only_the_patch_has_goes_first(self) -> None:
        """Same ordering rule as keyed lists: nothing in the live list comes before it."""
        out = smp_pod({"metadata": {"finalizers": ["example.com/z"]}})
        assert out["metadata"]["finalizers"] == ["example.com/z", "example.com/a", "example.com/b"]

    def test_repeating_existing_finalizers_changes_nothing(self) -> None:
        pod = make_pod()
        out = smp_pod({"metadata": {"finalizers": ["example.com/a"]}}, pod)
        assert out["metadata"]["finalizers"] == pod["metadata"]["finalizers"]

    def test_finalizers_on_an_object_without_any(self) -> None:
        pod = make_pod()
        del pod["metadata"]["finalizers"]
        out = smp_pod({"metadata": {"finalizers": ["x", "x", "y"]}}, pod)
        assert out["metadata"]["finalizers"] == ["x", "y"]

    def test_finalizers_can_be_deleted_with_null(self) -> None:
        assert "finalizers" not in smp_pod({"metadata": {"finalizers": None}})["metadata"]


# --------------------------------------------------------------------------------------
# Strategic merge patch: directives
# --------------------------------------------------------------------------------------

class TestPatchDeleteDirective:
    def test_in_a_keyed_list_deletes_the_element(self) -> None:
        out = smp_pod({"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}})
        assert names(out["spec"]["containers"]) == ["app"]

    def test_deleting_a_missing_element_is_harmless(self) -> None:
        out = smp_pod({"status": {"conditions": [{"type": "Nope", "$patch": "delete"}]}})
        assert len(out["status"]["conditions"]) == 4

    def test_delete_and_merge_in_one_list(self) -> None:
        out = smp_pod({"status": {"conditions": [
            {"type": "PodScheduled", "$patch": "delete"}, {"type": "Ready", "status": "True"},
        ]}})
        assert [(c["type"], c["status"]) for c in out["status"]["conditions"]] == [
            ("Initialized", "True"), ("ContainersReady", "False"), ("Ready", "True"),
        ]

    def test_each_directive_deletes_one_element_with_that_key(self) -> None:
        doc = {"status": {"conditions": [{"type": "A", "n": 1}, {"type": "A", "n": 2}, {"type": "B"}]}}
        out = apply_strategic_merge_patch(doc, {"status": {"conditions": [{"type": "A", "$patch": "delete"}]}}, "pods")
        assert out["status"]["conditions"] == [{"type": "A", "n": 2}, {"type": "B"}]

    def test_a_delete_without_the_merge_key_is_400(self) -> None:
        with expect_error(400, "BadRequest"):
            smp_pod({"spec": {"containers": [{"$patch": "delete"}]}})

    def test_on_a_map_deletes_the_map(self) -> None:
        out = smp_pod({"metadata": {"annotations": {"$patch": "delete"}}})
        assert "annotations" not in out["metadata"]

    def test_on_a_missing_map_is_harmless(self) -> None:
        out = smp_pod({"spec": {"affinity": {"$patch": "delete"}}})
        assert "affinity" not in out["spec"]

    def test_at_the_top_level_leaves_an_empty_object(self) -> None:
        """The store's validation then rejects the object, as kube's decoding would."""
        assert smp_pod({"$patch": "delete"}) == {}

    def test_in_a_subtree_the_original_lacks_it_is_processed_not_stored(self) -> None:
        pod = make_pod()
        del pod["spec"]["volumes"]
        out = smp_pod({"spec": {"volumes": [{"name": "a", "$patch": "delete"}, {"name": "b"}]}}, pod)
        assert out["spec"]["volumes"] == [{"name": "b"}]


class TestPatchReplaceDirective:
    def test_on_a_map_replaces_it(self) -> None:
        out = smp_pod({"metadata": {"labels": {"$patch": "replace", "only": "this"}}})
        assert out["metadata"]["labels"] == {"only": "this"}

    def test_on_an_empty_map_clears_it(self) -> None:
        assert smp_pod({"metadata": {"labels": {"$patch": "replace"}}})["metadata"]["labels"] == {}

    def test_in_a_keyed_list_replaces_the_list(self) -> None:
        out = smp_pod({"spec": {"containers": [{"name": "solo", "image": "solo:1"}, {"$patch": "replace"}]}})
        assert out["spec"]["containers"] == [{"name": "solo", "image": "solo:1"}]

    def test_alone_in_a_keyed_list_empties_it(self) -> None:
        assert smp_pod({"status": {"conditions": [{"$patch": "replace"}]}})["status"]["conditions"] == []

    def test_other_directives_in_a_replaced_list_are_ignored(self) -> None:
        out = smp_pod({"status": {"conditions": [
            {"$patch": "replace"}, {"type": "Ready", "$patch": "delete"}, {"type": "X", "status": "True"},
        ]}})
        assert out["status"]["conditions"] == [{"type": "X", "status": "True"}]

    def test_in_a_primitive_merge_list_replaces_it(self) -> None:
        out = smp_pod({"metadata": {"finalizers": ["only", {"$patch": "replace"}]}})
        assert out["metadata"]["finalizers"] == ["only"]


class TestUnknownDirectives:
    @pytest.mark.parametrize("patch", [
        {"metadata": {"labels": {"$patch": "merge"}}},
        {"metadata": {"labels": {"$patch": "explode"}}},
        {"spec": {"containers": [{"name": "app", "$patch": "explode"}]}},
        {"spec": {"containers": [{"name": "app", "$patch": "merge"}]}},
        {"metadata": {"finalizers": [{"$patch": "delete"}]}},
        {"$patch": 1},
    ])
    def test_unknown_patch_value_is_400(self, patch: JSONDict) -> None:
        with expect_error(400, "BadRequest"):
            smp_pod(patch)


class TestDeleteFromPrimitiveList:
    def test_removes_the_values(self) -> None:
        out = smp_pod({"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a"]}})
        assert out["metadata"]["finalizers"] == ["example.com/b"]

    def test_removes_every_duplicate(self) -> None:
        pod = make_pod()
        pod["metadata"]["finalizers"] = ["a", "b", "a"]
        out = smp_pod({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a", "missing"]}}, pod)
        assert out["metadata"]["finalizers"] == ["b"]

    def test_removing_the_last_value_leaves_an_empty_list(self) -> None:
        out = smp_pod({"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a", "example.com/b"]}})
        assert out["metadata"]["finalizers"] == []

    def test_combines_with_additions(self) -> None:
        out = smp_pod({"metadata": {
            "$deleteFromPrimitiveList/finalizers": ["example.com/a"],
            "finalizers": ["example.com/b", "example.com/c"],
        }})
        assert out["metadata"]["finalizers"] == ["example.com/b", "example.com/c"]

    def test_on_a_missing_list_is_harmless(self) -> None:
        out = apply_strategic_merge_patch({"metadata": {}}, {"metadata": {
            "$deleteFromPrimitiveList/finalizers": ["x"]}}, "pods")
        assert out == {"metadata": {}}

    def test_a_value_that_is_not_a_list_is_400(self) -> None:
        with expect_error(400, "BadRequest"):
            smp_pod({"metadata": {"$deleteFromPrimitiveList/finalizers": "example.com/a"}})


class TestSetElementOrder:
    def test_reorders_a_keyed_list_without_a_patch_list(self) -> None:
        out = smp_pod({"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}})
        assert names(out["spec"]["containers"]) == ["sidecar", "app"]

    def test_orders_a_merged_list(self) -> None:
        out = smp_pod({"spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "new"}, {"name": "sidecar"}],
            "containers": [{"name": "new", "image": "new:1"}],
        }})
        assert names(out["spec"]["containers"]) == ["app", "new", "sidecar"]

    def test_reorders_a_primitive_list(self) -> None:
        out = smp_pod({"metadata": {"$setElementOrder/finalizers": ["example.com/b", "example.com/a"]}})
        assert out["metadata"]["finalizers"] == ["example.com/b", "example.com/a"]

    def test_elements_missing_from_the_list_are_ignored(self) -> None:
        out = smp_pod({"metadata": {"$setElementOrder/finalizers": ["x", "example.com/b", "example.com/a"]}})
        assert out["metadata"]["finalizers"] == ["example.com/b", "example.com/a"]

    def test_unlisted_live_elements_keep_their_relative_place(self) -> None:
        doc = {"metadata": {"finalizers": ["1", "2", "3", "4"]}}
        out = apply_strategic_merge_patch(doc, {"metadata": {
            "$setElementOrder/finalizers": ["1", "2"],
            "$deleteFromPrimitiveList/finalizers": ["3"],
        }}, "pods")
        assert out["metadata"]["finalizers"] == ["1", "2", "4"]

    def test_a_patch_list_out_of_that_order_is_400(self) -> None:
        with expect_error(400, "BadRequest"):
            smp_pod({"spec": {
                "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
                "containers": [{"name": "sidecar", "image": "s"}, {"name": "app", "image": "a"}],
            }})

    def test_on_a_list_replaced_whole_it_is_ignored(self) -> None:
        pod = make_pod()
        out = smp_pod({"spec": {"$setElementOrder/tolerations": [{"key": "x"}]}}, pod)
        assert out["spec"]["tolerations"] == pod["spec"]["tolerations"]

    @pytest.mark.parametrize("order", ["app", [{"image": "x"}], ["app"]])
    def test_malformed_order_is_400(self, order: Any) -> None:
        with expect_error(400, "BadRequest"):
            smp_pod({"spec": {"$setElementOrder/containers": order}})


class TestRetainKeys:
    def test_keeps_only_the_listed_keys(self) -> None:
        out = smp_pod({"spec": {"volumes": [
            {"name": "data", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/mnt"}},
        ]}})
        assert out["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/mnt"}}]

    def test_on_a_plain_map(self) -> None:
        out = smp_pod({"metadata": {"labels": {"$retainKeys": ["app"]}}})
        assert out["metadata"]["labels"] == {"app": "web"}

    def test_a_value_that_is_not_a_list_of_names_is_400(self) -> None:
        with expect_error(400, "BadRequest"):
            smp_pod({"metadata": {"labels": {"$retainKeys": "app"}}})

    def test_patch_fields_outside_the_retained_keys_are_422(self) -> None:
        with expect_error(422, "Invalid"):
            smp_pod({"metadata": {"labels": {"$retainKeys": ["app"], "tier": "x"}}})


class TestStrategicOrdering:
    """How a merged list is ordered when the patch sends no $setElementOrder (examples
    of the Kubernetes preserve-order rules: the patch's relative order wins, live-only
    elements keep theirs, and a live-only element comes first when it was before)."""

    @staticmethod
    def merge(live: list[str], patch: list[str]) -> list[str]:
        doc = {"metadata": {"ownerReferences": [{"uid": u} for u in live]}}
        out = apply_strategic_merge_patch(doc, {"metadata": {"ownerReferences": [
            {"uid": u, "patched": True} for u in patch]}}, "pods")
        return names(out["metadata"]["ownerReferences"], "uid")

    def test_the_patch_order_wins_for_patched_elements(self) -> None:
        assert self.merge(["1", "2", "3"], ["3", "1", "2"]) == ["3", "1", "2"]

    def test_live_only_elements_come_before_later_patched_ones(self) -> None:
        assert self.merge(["1", "2", "3"], ["3", "1"]) == ["2", "3", "1"]

    def test_changed_and_new_elements_with_a_live_only_one(self) -> None:
        assert self.merge(["B", "C", "A"], ["A", "B", "D"]) == ["C", "A", "B", "D"]

    def test_same_rules_for_primitive_lists(self) -> None:
        doc = {"metadata": {"finalizers": ["1", "2", "3"]}}
        out = apply_strategic_merge_patch(doc, {"metadata": {"finalizers": ["3", "1"]}}, "pods")
        assert out["metadata"]["finalizers"] == ["2", "3", "1"]


# --------------------------------------------------------------------------------------
# apply_patch: dispatch on Content-Type
# --------------------------------------------------------------------------------------

class TestApplyPatch:
    def test_json_patch(self) -> None:
        body = json.dumps([{"op": "replace", "path": "/status/phase", "value": "Failed"}]).encode()
        out = apply_patch(make_pod(), body, "application/json-patch+json", "pods")
        assert out["status"]["phase"] == "Failed"

    def test_merge_patch_replaces_lists(self) -> None:
        body = json.dumps({"spec": {"containers": [{"name": "x", "image": "x"}]}}).encode()
        out = apply_patch(make_pod(), body, "application/merge-patch+json", "pods")
        assert out["spec"]["containers"] == [{"name": "x", "image": "x"}]

    def test_strategic_merge_patch_merges_lists(self) -> None:
        body = json.dumps({"spec": {"containers": [{"name": "app", "image": "app:2"}]}}).encode()
        out = apply_patch(make_pod(), body, "application/strategic-merge-patch+json", "pods")
        assert names(out["spec"]["containers"]) == ["app", "sidecar"]

    def test_decoded_bodies_are_accepted(self) -> None:
        out = apply_patch(make_pod(), {"status": {"phase": "Failed"}}, "application/merge-patch+json", "pods")
        assert out["status"]["phase"] == "Failed"

    def test_parameters_after_the_media_type_are_ignored(self) -> None:
        out = apply_patch(make_pod(), b'{"status": {"phase": "Failed"}}',
                          "application/merge-patch+json; charset=utf-8", "pods")
        assert out["status"]["phase"] == "Failed"

    def test_server_side_apply_is_415(self) -> None:
        with expect_error(415, "UnsupportedMediaType"):
            apply_patch(make_pod(), b"metadata: {}", "application/apply-patch+yaml", "pods")

    @pytest.mark.parametrize("content_type", ["application/json", "text/plain", "", "application/yaml"])
    def test_any_other_type_is_415(self, content_type: str) -> None:
        with pytest.raises(ApiError) as info:
            apply_patch(make_pod(), b"{}", content_type, "pods")
        assert (info.value.code, info.value.reason) == (415, "UnsupportedMediaType")
        assert "application/strategic-merge-patch+json" in info.value.message

    @pytest.mark.parametrize("content_type", [
        "application/json-patch+json", "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    ])
    @pytest.mark.parametrize("body", [b"", b"{", b"not json", b"[NaN]", b"\xff\xfe\x00"])
    def test_a_body_that_is_not_json_is_400(self, content_type: str, body: bytes) -> None:
        with expect_error(400, "BadRequest"):
            apply_patch(make_pod(), body, content_type, "pods")

    def test_json_patch_object_body_is_400(self) -> None:
        with expect_error(400, "BadRequest"):
            apply_patch(make_pod(), b'{"op": "add"}', "application/json-patch+json", "pods")

    @pytest.mark.parametrize("body", [b"[]", b'"x"', b"1", b"null"])
    def test_merge_patch_body_that_is_not_an_object_is_400(self, body: bytes) -> None:
        with expect_error(400, "BadRequest"):
            apply_patch(make_pod(), body, "application/merge-patch+json", "pods")

    def test_strategic_patch_list_body_is_400(self) -> None:
        with expect_error(400, "BadRequest"):
            apply_patch(make_pod(), b"[]", "application/strategic-merge-patch+json", "pods")

    def test_failed_test_op_through_dispatch_is_422(self) -> None:
        body = b'[{"op": "test", "path": "/metadata/resourceVersion", "value": "1"}]'
        with expect_error(422, "Invalid"):
            apply_patch(make_pod(), body, "application/json-patch+json", "pods")


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(max_size=4), json_values, max_size=5)

non_null_scalars = st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5)
non_null_values = st.recursive(
    non_null_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("abc", max_size=2), inner, max_size=4),
    max_leaves=20,
)
non_null_objects = st.dictionaries(st.text("abc", max_size=2), non_null_values, max_size=5)


def pointers_into(doc: Any) -> list[str]:
    """Every JSON pointer that names a location in `doc`."""
    found = [""]
    if isinstance(doc, dict):
        for key, value in doc.items():
            escaped = key.replace("~", "~0").replace("/", "~1")
            found += ["/" + escaped + p for p in pointers_into(value)]
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += [f"/{index}" + p for p in pointers_into(value)]
    return found


@st.composite
def docs_and_ops(draw: st.DrawFn) -> tuple[JSONDict, list[JSONDict]]:
    doc = draw(json_objects)
    paths = pointers_into(doc)
    path = st.sampled_from(paths) | st.sampled_from(paths).map(lambda p: p + "/-") | st.text(max_size=6)
    op = st.one_of(
        st.builds(lambda p, v: {"op": "add", "path": p, "value": v}, path, json_values),
        st.builds(lambda p: {"op": "remove", "path": p}, path),
        st.builds(lambda p, v: {"op": "replace", "path": p, "value": v}, path, json_values),
        st.builds(lambda f, p: {"op": "move", "from": f, "path": p}, path, path),
        st.builds(lambda f, p: {"op": "copy", "from": f, "path": p}, path, path),
        st.builds(lambda p, v: {"op": "test", "path": p, "value": v}, path, json_values),
    )
    return doc, draw(st.lists(op, max_size=6))


@settings(max_examples=300)
@given(docs_and_ops())
def test_property_json_patch_never_mutates_its_input(case: tuple[JSONDict, list[JSONDict]]) -> None:
    doc, ops = case
    doc_before, ops_before = copy.deepcopy(doc), copy.deepcopy(ops)
    try:
        result = apply_json_patch(doc, ops)
    except ApiError as error:
        assert error.code == 422
    else:
        assert isinstance(result, dict)
    assert doc == doc_before
    assert ops == ops_before


@given(json_objects)
def test_property_merge_patch_with_an_empty_object_is_identity(doc: JSONDict) -> None:
    assert apply_merge_patch(doc, {}) == doc
    assert apply_strategic_merge_patch(doc, {}, "pods") == doc


def merge_diff(source: JSONDict, target: JSONDict) -> JSONDict:
    """A simple merge-patch generator: null for removed keys, recurse into maps that are
    maps on both sides, the target value for anything else that changed."""
    patch: JSONDict = {key: None for key in source if key not in target}
    for key, value in target.items():
        old = source.get(key, object())
        if isinstance(old, dict) and isinstance(value, dict):
            sub = merge_diff(old, value)
            if sub:
                patch[key] = sub
        elif old != value or type(old) is not type(value):
            patch[key] = value
    return patch


@given(non_null_objects, non_null_objects)
def test_property_merge_patch_of_a_diff_reconstructs_the_target(source: JSONDict, target: JSONDict) -> None:
    before = copy.deepcopy(source)
    assert apply_merge_patch(source, merge_diff(source, target)) == target
    assert source == before


CONDITION_TYPES = ["PodScheduled", "Initialized", "ContainersReady", "Ready", "DisruptionTarget", "Custom"]


@st.composite
def conditions_and_patch(draw: st.DrawFn) -> tuple[list[JSONDict], list[JSONDict], list[JSONDict]]:
    live_types = draw(st.lists(st.sampled_from(CONDITION_TYPES), unique=True, min_size=1))
    statuses = st.sampled_from(["True", "False", "Unknown"])
    live = [{"type": t, "status": draw(statuses)} for t in live_types]
    patched_types = draw(st.lists(st.sampled_from(CONDITION_TYPES), unique=True))
    patch = [{"type": t, "status": draw(statuses), "reason": "Patched"} for t in patched_types]
    return live, draw(st.permutations(live)), patch


@given(conditions_and_patch())
def test_property_condition_merge_ignores_the_order_of_untouched_conditions(
    case: tuple[list[JSONDict], list[JSONDict], list[JSONDict]],
) -> None:
    live, shuffled, patch = case
    touched = {c["type"] for c in patch}

    def patched(conditions: list[JSONDict]) -> list[JSONDict]:
        pod = {"status": {"conditions": conditions}}
        out: list[JSONDict] = smp_pod({"status": {"conditions": patch}}, pod)["status"]["conditions"]
        return out

    first, second = patched(live), patched(shuffled)
    assert {c["type"]: c for c in first} == {c["type"]: c for c in second}
    for conditions, result in ((live, first), (shuffled, second)):
        assert {c["type"] for c in result} == {c["type"] for c in conditions} | touched
        untouched = [c for c in conditions if c["type"] not in touched]
        assert [c for c in result if c["type"] not in touched] == untouched
        assert [c["type"] for c in result if c["type"] in touched] == [c["type"] for c in patch]


scalar_lists_values = st.recursive(
    scalars,
    lambda inner: st.lists(scalars, max_size=4) | st.dictionaries(st.text("ab$", max_size=2), inner, max_size=3),
    max_leaves=15,
)


@given(
    st.dictionaries(st.text("ab", max_size=2), scalar_lists_values, max_size=4),
    st.dictionaries(st.text("ab", max_size=2), scalar_lists_values, max_size=4),
)
def test_property_without_merge_keys_or_directives_smp_is_a_merge_patch(doc: JSONDict, patch: JSONDict) -> None:
    """For a resource with no list strategies and a patch without `$` keys, strategic
    merge patch is RFC 7386 merge patch."""
    def has_directive(value: Any) -> bool:
        if isinstance(value, dict):
            return any(k.startswith("$") or has_directive(v) for k, v in value.items())
        return False

    if has_directive(patch):
        return
    assert apply_strategic_merge_patch(doc, patch, "widgets") == apply_merge_patch(doc, patch)
