"""Label and field selectors, specified from kubernetes.io "Labels and Selectors",
the API concepts page and kube-apiserver's observable messages.

Each test states one rule of the grammar or one error; the hypothesis
properties at the end check the rules against each other and against a small
reference model of label-selector semantics written here, independently of
the implementation.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesim.errors import ApiError
from kubesim.selectors import (
    COMMON_FIELDS,
    SUPPORTED_FIELDS,
    FieldSelector,
    LabelSelector,
    escape_field_value,
    field_value,
    label_selector_from_dict,
    parse_field_selector,
    parse_label_selector,
    supported_fields,
)


def sel(text: str) -> LabelSelector:
    return parse_label_selector(text)


def label_error(text: str) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse_label_selector(text)
    assert info.value.code == 400
    assert info.value.reason == "BadRequest"
    return info.value


def field_error(text: str, resource: str = "pods") -> ApiError:
    with pytest.raises(ApiError) as info:
        parse_field_selector(text, resource)
    assert info.value.code == 400
    assert info.value.reason == "BadRequest"
    return info.value


def syntax_message(text: str, detail: str) -> str:
    return f'couldn\'t parse the selector string "{text}": {detail}'


# ---------------------------------------------------------------------------
# Label selectors: grammar
# ---------------------------------------------------------------------------


def test_empty_label_selector_selects_everything() -> None:
    s = sel("")
    assert s.empty
    assert s.matches({})
    assert s.matches(None)
    assert s.matches({"app": "web"})


def test_whitespace_only_label_selector_selects_everything() -> None:
    assert sel(" \t\n").empty


def test_default_label_selector_selects_everything() -> None:
    assert LabelSelector().empty
    assert LabelSelector().matches({"a": "b"})


def test_equals_requires_key_with_that_value() -> None:
    s = sel("app=web")
    assert not s.empty
    assert s.matches({"app": "web", "tier": "x"})
    assert not s.matches({"app": "db"})
    assert not s.matches({})


def test_double_equals_is_the_same_as_equals() -> None:
    for labels in ({"app": "web"}, {"app": "db"}, {}):
        assert sel("app==web").matches(labels) == sel("app=web").matches(labels)


def test_not_equals_matches_other_values_and_missing_key() -> None:
    s = sel("app!=web")
    assert s.matches({"app": "db"})
    assert s.matches({})
    assert not s.matches({"app": "web"})


def test_in_matches_any_listed_value() -> None:
    s = sel("env in (prod,qa)")
    assert s.matches({"env": "prod"})
    assert s.matches({"env": "qa"})
    assert not s.matches({"env": "dev"})
    assert not s.matches({})


def test_notin_matches_unlisted_values_and_missing_key() -> None:
    s = sel("env notin (prod,qa)")
    assert s.matches({"env": "dev"})
    assert s.matches({})
    assert not s.matches({"env": "qa"})


def test_bare_key_requires_the_key_to_exist() -> None:
    s = sel("partition")
    assert s.matches({"partition": ""})
    assert s.matches({"partition": "a"})
    assert not s.matches({"other": "a"})


def test_bang_key_requires_the_key_to_be_absent() -> None:
    s = sel("!partition")
    assert s.matches({})
    assert s.matches({"other": "x"})
    assert not s.matches({"partition": ""})


def test_comma_is_and() -> None:
    s = sel("app=web,tier!=db,!canary")
    assert s.matches({"app": "web", "tier": "fe"})
    assert not s.matches({"app": "web", "tier": "db"})
    assert not s.matches({"app": "web", "canary": "true"})
    assert not s.matches({"tier": "fe"})


def test_whitespace_between_tokens_is_ignored() -> None:
    spaced = sel("  app = web ,\ttier  in ( a , b ) , ! canary , env\n")
    tight = sel("app=web,tier in (a,b),!canary,env")
    assert spaced == tight


def test_none_labels_are_no_labels() -> None:
    assert sel("app!=web").matches(None)
    assert sel("!app").matches(None)
    assert not sel("app").matches(None)


def test_equals_with_nothing_after_it_requires_the_empty_value() -> None:
    s = sel("app=")
    assert s.matches({"app": ""})
    assert not s.matches({"app": "web"})
    assert not s.matches({})
    assert sel("app=,tier=x").matches({"app": "", "tier": "x"})


def test_not_equals_the_empty_value() -> None:
    s = sel("app!=")
    assert s.matches({"app": "web"})
    assert s.matches({})
    assert not s.matches({"app": ""})


def test_empty_parentheses_are_no_values_but_a_lone_comma_is_the_empty_value() -> None:
    assert sel("k in (,)").requirements[0].values == ("",)
    assert sel("k in (,)").matches({"k": ""})
    assert not sel("k in (,)").matches({"k": "a"})
    assert str(sel("k in (,)")) == "k in (,)"


def test_empty_positions_in_a_value_set_are_the_empty_value() -> None:
    assert sel("k in (a,)").requirements[0].values == ("", "a")
    assert sel("k in (,a)").requirements[0].values == ("", "a")
    assert sel("k in (,)").requirements[0].values == ("",)
    assert sel("k in (a,,b)").requirements[0].values == ("", "a", "b")
    assert sel("k in (a,)").matches({"k": ""})


def test_value_sets_are_sets() -> None:
    assert sel("k in (b,a,b)").requirements[0].values == ("a", "b")


def test_in_and_notin_are_keywords_only_where_an_operator_is_expected() -> None:
    assert sel("in in (in,notin)").matches({"in": "notin"})
    assert sel("notin=in").matches({"notin": "in"})
    assert sel("!in").matches({})


def test_keys_may_have_a_dns_subdomain_prefix() -> None:
    s = sel("example.com/team=a,kubernetes.io/os")
    assert s.matches({"example.com/team": "a", "kubernetes.io/os": "linux"})


def test_keys_and_values_may_be_63_characters() -> None:
    name = "a" * 63
    assert sel(f"{name}={name}").matches({name: name})
    assert sel(f"{'p' * 253}/{name}").matches({f"{'p' * 253}/{name}": ""})


def test_keys_and_values_allow_dash_underscore_dot_inside() -> None:
    assert sel("My_key.x-1=V.a_l-2").matches({"My_key.x-1": "V.a_l-2"})


def test_greater_than_and_less_than_compare_integer_values() -> None:
    assert sel("replicas>3").matches({"replicas": "4"})
    assert not sel("replicas>3").matches({"replicas": "3"})
    assert sel("replicas<3").matches({"replicas": "2"})
    assert not sel("replicas<3").matches({"replicas": "x"})
    assert not sel("replicas<3").matches({})


def test_exact_value_reports_equality_requirements() -> None:
    s = sel("app=web,tier==db,env in (prod),x in (a,b),y!=z,w")
    assert s.exact_value("app") == "web"
    assert s.exact_value("tier") == "db"
    assert s.exact_value("env") == "prod"
    assert s.exact_value("x") is None
    assert s.exact_value("y") is None
    assert s.exact_value("w") is None
    assert s.exact_value("missing") is None
    assert sel("app=").exact_value("app") == ""


def test_str_renders_the_string_grammar() -> None:
    text = "app=web,tier==db,a!=b,env in (prod,qa),x notin (,y),k,!z,n>1,m<2"
    assert str(sel(text)) == text
    assert sel(str(sel(text))) == sel(text)


# ---------------------------------------------------------------------------
# Label selectors: errors
# ---------------------------------------------------------------------------


def test_invalid_key_characters_are_rejected() -> None:
    err = label_error("app:=x")
    assert err.message.startswith('unable to parse requirement: key: Invalid value: "app:": name part must')


def test_key_name_longer_than_63_characters_is_rejected() -> None:
    err = label_error(f"{'a' * 64}=x")
    assert err.message.endswith("name part must be no more than 63 characters")


def test_key_with_empty_prefix_is_rejected() -> None:
    assert label_error("/app=x").message.endswith("prefix part must be non-empty")


def test_key_with_empty_name_is_rejected() -> None:
    assert label_error("example.com/=x").message.endswith("name part must be non-empty")


def test_key_prefix_must_be_a_lowercase_dns_subdomain() -> None:
    err = label_error("Example.com/app=x")
    assert err.message.startswith("unable to parse requirement: ")
    assert "prefix part a lowercase RFC 1123 subdomain" in err.message


def test_key_prefix_longer_than_253_characters_is_rejected() -> None:
    err = label_error(f"{'p' * 254}/app=x")
    assert err.message.endswith("prefix part must be no more than 253 characters")


def test_key_with_two_slashes_is_rejected() -> None:
    assert "a qualified name must consist of" in label_error("a/b/c").message


def test_invalid_value_characters_are_rejected() -> None:
    err = label_error("app=-web")
    assert err.message.startswith('unable to parse requirement: values[0]: Invalid value: "-web": ')
    assert "a valid label must be an empty string or consist of alphanumeric" in err.message


def test_value_longer_than_63_characters_is_rejected() -> None:
    err = label_error(f"app in (ok,{'v' * 64})")
    assert err.message.endswith("must be no more than 63 characters")


def test_empty_value_set_is_rejected() -> None:
    err = label_error("app in ()")
    assert err.message.startswith("unable to parse requirement: ")
    assert "values set can't be empty" in err.message


def test_greater_than_needs_an_integer() -> None:
    err = label_error("replicas>many")
    assert err.message.startswith("unable to parse requirement: ")
    assert "must be an integer" in err.message


def test_key_without_operator_before_value_is_a_syntax_error() -> None:
    err = label_error("app web")
    assert err.message == syntax_message(
        "app web", "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt"
    )


def test_unknown_operator_is_a_syntax_error() -> None:
    err = label_error("e!!!!!ss")
    assert err.message == syntax_message(
        "e!!!!!ss", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"
    )


def test_second_operator_is_a_syntax_error() -> None:
    err = label_error("foo=bar=42")
    assert err.message == syntax_message("foo=bar=42", "found '=', expected: ',' or 'end of string'")


def test_leading_comma_is_a_syntax_error() -> None:
    err = label_error(",a=b")
    assert err.message == syntax_message(",a=b", "found ',', expected: !, identifier, or 'end of string'")


def test_trailing_comma_is_a_syntax_error() -> None:
    err = label_error("a=b,")
    assert err.message == syntax_message("a=b,", "found '', expected: identifier after ','")


def test_double_comma_is_a_syntax_error() -> None:
    err = label_error("a=b,,c=d")
    assert err.message == syntax_message("a=b,,c=d", "found ',', expected: identifier after ','")


def test_bang_without_key_is_a_syntax_error() -> None:
    err = label_error("!")
    assert err.message == syntax_message("!", "unable to parse requirement: found '', expected: identifier after '!'")


def test_bang_key_takes_no_operator() -> None:
    err = label_error("!a=b")
    assert err.message == syntax_message("!a=b", "found '=', expected: ',' or 'end of string'")


def test_in_needs_an_open_parenthesis() -> None:
    err = label_error("a in b")
    assert err.message == syntax_message("a in b", "unable to parse requirement: found 'b', expected: '('")


def test_value_set_needs_commas_between_values() -> None:
    err = label_error("a in (b c)")
    assert err.message == syntax_message("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'")


def test_value_set_must_be_closed() -> None:
    err = label_error("a in (b")
    assert err.message == syntax_message("a in (b", "unable to parse requirement: found '', expected: ',' or ')'")


def test_value_set_holds_only_identifiers() -> None:
    err = label_error("a in (=)")
    assert err.message == syntax_message("a in (=)", "unable to parse requirement: found '=', expected: ',', or identifier")


def test_equals_needs_an_identifier_value() -> None:
    err = label_error("a=(")
    assert err.message == syntax_message("a=(", "unable to parse requirement: found '(', expected: identifier")


# ---------------------------------------------------------------------------
# Label selectors: the structured form
# ---------------------------------------------------------------------------


def test_structured_empty_selector_selects_everything() -> None:
    assert label_selector_from_dict({}).empty
    assert label_selector_from_dict({"matchLabels": None, "matchExpressions": None}).empty


def test_structured_null_selector_selects_nothing() -> None:
    s = label_selector_from_dict(None)
    assert not s.empty
    assert not s.matches({})
    assert not s.matches({"a": "b"})
    with pytest.raises(ApiError):
        parse_label_selector(str(s))


def test_structured_match_labels_and_expressions_are_anded() -> None:
    s = label_selector_from_dict({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "qa"]},
            {"key": "tier", "operator": "NotIn", "values": ["db"]},
            {"key": "team", "operator": "Exists"},
            {"key": "canary", "operator": "DoesNotExist", "values": []},
        ],
    })
    assert s == sel("app=web,env in (prod,qa),tier notin (db),team,!canary")
    assert s.matches({"app": "web", "env": "qa", "team": "x"})
    assert not s.matches({"app": "web", "env": "qa", "team": "x", "canary": "1"})
    assert s.exact_value("app") == "web"


def test_structured_unknown_operator_is_rejected() -> None:
    with pytest.raises(ApiError) as info:
        label_selector_from_dict({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]})
    assert info.value.code == 400
    assert info.value.message == '"Equals" is not a valid label selector operator'


def test_structured_in_needs_values() -> None:
    with pytest.raises(ApiError) as info:
        label_selector_from_dict({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
    assert "values set can't be empty" in info.value.message


def test_structured_exists_takes_no_values() -> None:
    with pytest.raises(ApiError) as info:
        label_selector_from_dict({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["b"]}]})
    assert "values set must be empty" in info.value.message


def test_structured_keys_and_values_are_validated() -> None:
    with pytest.raises(ApiError) as info:
        label_selector_from_dict({"matchLabels": {"bad key": "x"}})
    assert info.value.message.startswith('key: Invalid value: "bad key"')
    with pytest.raises(ApiError) as info:
        label_selector_from_dict({"matchLabels": {"app": "bad value"}})
    assert info.value.message.startswith('values[0]: Invalid value: "bad value"')
    with pytest.raises(ApiError):
        label_selector_from_dict({"matchLabels": {"app": 3}})


# ---------------------------------------------------------------------------
# Field selectors
# ---------------------------------------------------------------------------


def pod(**spec_status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {k: v for k, v in spec_status.items() if k != "status"},
        "status": spec_status.get("status", {}),
    }


def test_empty_field_selector_selects_everything() -> None:
    s = parse_field_selector("", "pods")
    assert s.empty
    assert s.matches({})
    assert FieldSelector("pods").empty


def test_field_equals() -> None:
    s = parse_field_selector("spec.nodeName=n1", "pods")
    assert s.matches(pod(nodeName="n1"))
    assert not s.matches(pod(nodeName="n2"))
    assert not s.matches(pod())


def test_field_double_equals_is_the_same_as_equals() -> None:
    assert parse_field_selector("spec.nodeName==n1", "pods").matches(pod(nodeName="n1"))
    assert not parse_field_selector("spec.nodeName==n1", "pods").matches(pod(nodeName="n2"))


def test_field_not_equals() -> None:
    s = parse_field_selector("status.phase!=Running", "pods")
    assert s.matches(pod(status={"phase": "Pending"}))
    assert s.matches(pod())
    assert not s.matches(pod(status={"phase": "Running"}))


def test_empty_node_name_selects_unscheduled_pods() -> None:
    s = parse_field_selector("spec.nodeName=", "pods")
    assert s.matches(pod())
    assert s.matches(pod(nodeName=None))
    assert s.matches(pod(nodeName=""))
    assert s.matches({"metadata": {"name": "p"}})
    assert not s.matches(pod(nodeName="n1"))
    assert s.exact_value("spec.nodeName") == ""


def test_not_equals_empty_selects_scheduled_pods() -> None:
    s = parse_field_selector("spec.nodeName!=", "pods")
    assert s.matches(pod(nodeName="n1"))
    assert not s.matches(pod())
    assert s.exact_value("spec.nodeName") is None


def test_field_terms_are_anded() -> None:
    s = parse_field_selector("spec.nodeName=n1,status.phase=Running,metadata.namespace=ns", "pods")
    assert s.matches(pod(nodeName="n1", status={"phase": "Running"}))
    assert not s.matches(pod(nodeName="n1", status={"phase": "Pending"}))


def test_empty_field_terms_are_skipped() -> None:
    s = parse_field_selector("metadata.name=p,,", "pods")
    assert s == parse_field_selector("metadata.name=p", "pods")


def test_field_values_unescape_comma_equals_and_backslash() -> None:
    s = parse_field_selector(r"metadata.name=a\,b\=c\\d,metadata.namespace=ns", "configmaps")
    assert s.exact_value("metadata.name") == "a,b=c\\d"
    assert s.matches({"metadata": {"name": "a,b=c\\d", "namespace": "ns"}})
    assert str(s) == r"metadata.name=a\,b\=c\\d,metadata.namespace=ns"


def test_escape_field_value_is_the_inverse_of_parsing() -> None:
    assert escape_field_value("a,b=c\\") == r"a\,b\=c\\"


def test_exact_value_reports_the_first_equality_per_field() -> None:
    s = parse_field_selector("metadata.name==a,metadata.name=b,status.phase!=x", "pods")
    assert s.exact_value("metadata.name") == "a"
    assert s.exact_value("status.phase") is None
    assert s.exact_value("spec.nodeName") is None


def test_unknown_escape_sequence_is_rejected() -> None:
    err = field_error(r"metadata.name=a\b")
    assert err.message == "invalid field selector: invalid escape sequence: \\b"


def test_trailing_backslash_is_rejected() -> None:
    err = field_error("metadata.name=a\\")
    assert err.message == "invalid field selector: invalid escape sequence: \\"


def test_unescaped_equals_in_value_is_rejected() -> None:
    err = field_error("metadata.name=a=b")
    assert err.message == "invalid field selector: unescaped character in value: '='"


def test_term_without_operator_is_rejected() -> None:
    err = field_error("metadata.name")
    assert err.message == "invalid selector: 'metadata.name'; can't understand 'metadata.name'"


def test_term_syntax_is_checked_before_field_support() -> None:
    err = field_error("spec.bogus=x,junk")
    assert err.message == "invalid selector: 'spec.bogus=x,junk'; can't understand 'junk'"


def test_unsupported_field_is_rejected_with_kube_apiserver_wording() -> None:
    assert field_error("spec.bogus=x").message == "field label not supported: spec.bogus"


def test_field_names_are_not_trimmed() -> None:
    assert field_error(" metadata.name=x").message == "field label not supported:  metadata.name"


def test_pod_fields_are_not_node_fields() -> None:
    assert field_error("spec.nodeName=n1", "nodes").message == "field label not supported: spec.nodeName"
    assert field_error("status.phase=Ready", "nodes").message == "field label not supported: status.phase"


def test_other_resources_support_only_name_and_namespace() -> None:
    for resource in ("configmaps", "leases", "services", "secrets"):
        s = parse_field_selector("metadata.name=a,metadata.namespace=b", resource)
        assert s.matches({"metadata": {"name": "a", "namespace": "b"}})
        assert field_error("status.phase=x", resource).message == "field label not supported: status.phase"


def test_cluster_scoped_objects_have_empty_namespace() -> None:
    s = parse_field_selector("metadata.namespace=", "nodes")
    assert s.matches({"metadata": {"name": "n1"}})


def test_supported_fields_constant() -> None:
    assert {"metadata.name", "metadata.namespace"} == COMMON_FIELDS
    assert SUPPORTED_FIELDS["pods"] == COMMON_FIELDS | {
        "spec.nodeName", "spec.schedulerName", "spec.restartPolicy", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
    }
    assert SUPPORTED_FIELDS["nodes"] == COMMON_FIELDS | {"spec.unschedulable"}
    assert SUPPORTED_FIELDS["namespaces"] == COMMON_FIELDS | {"status.phase"}
    assert SUPPORTED_FIELDS["events"] == COMMON_FIELDS | {
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
    }
    assert supported_fields("leases") == COMMON_FIELDS
    assert supported_fields("pods") == SUPPORTED_FIELDS["pods"]


FULL_POD: dict[str, Any] = {
    "metadata": {"name": "web-1", "namespace": "prod"},
    "spec": {
        "nodeName": "node-7",
        "schedulerName": "default-scheduler",
        "restartPolicy": "Never",
        "serviceAccountName": "sa",
        "hostNetwork": True,
    },
    "status": {"phase": "Running", "podIP": "10.0.0.7", "nominatedNodeName": "node-8"},
}


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("metadata.name", "web-1"),
        ("metadata.namespace", "prod"),
        ("spec.nodeName", "node-7"),
        ("spec.schedulerName", "default-scheduler"),
        ("spec.restartPolicy", "Never"),
        ("spec.serviceAccountName", "sa"),
        ("spec.hostNetwork", "true"),
        ("status.phase", "Running"),
        ("status.podIP", "10.0.0.7"),
        ("status.nominatedNodeName", "node-8"),
    ],
)
def test_pod_field_values(field: str, expected: str) -> None:
    assert field_value("pods", FULL_POD, field) == expected
    assert parse_field_selector(f"{field}={expected}", "pods").matches(FULL_POD)


@pytest.mark.parametrize("field", sorted(SUPPORTED_FIELDS["pods"] - {"spec.hostNetwork"}))
def test_missing_pod_string_fields_read_as_empty(field: str) -> None:
    assert field_value("pods", {}, field) == ""
    assert field_value("pods", {"metadata": None, "spec": None, "status": None}, field) == ""


def test_missing_host_network_reads_as_false() -> None:
    assert field_value("pods", {}, "spec.hostNetwork") == "false"
    assert field_value("pods", {"spec": {"hostNetwork": False}}, "spec.hostNetwork") == "false"
    assert parse_field_selector("spec.hostNetwork=false", "pods").matches({"spec": {}})


def test_pod_ip_falls_back_to_the_first_pod_ips_entry() -> None:
    obj = {"status": {"podIPs": [{"ip": "10.1.1.1"}, {"ip": "fd00::1"}]}}
    assert field_value("pods", obj, "status.podIP") == "10.1.1.1"


def test_node_unschedulable_field() -> None:
    assert field_value("nodes", {"spec": {}}, "spec.unschedulable") == "false"
    assert field_value("nodes", {"spec": {"unschedulable": True}}, "spec.unschedulable") == "true"
    s = parse_field_selector("spec.unschedulable!=true", "nodes")
    assert s.matches({"metadata": {"name": "n"}})
    assert not s.matches({"spec": {"unschedulable": True}})


def test_event_fields() -> None:
    event = {
        "metadata": {"name": "e1", "namespace": "ns"},
        "involvedObject": {
            "kind": "Pod", "namespace": "ns", "name": "p", "uid": "u-1", "apiVersion": "v1",
            "resourceVersion": "42", "fieldPath": "spec.containers{main}",
        },
        "reason": "Scheduled",
        "reportingComponent": "kubesim",
        "source": {"component": "default-scheduler", "host": "h"},
        "type": "Normal",
    }
    expected = {
        "involvedObject.kind": "Pod", "involvedObject.namespace": "ns", "involvedObject.name": "p",
        "involvedObject.uid": "u-1", "involvedObject.apiVersion": "v1",
        "involvedObject.resourceVersion": "42", "involvedObject.fieldPath": "spec.containers{main}",
        "reason": "Scheduled", "reportingComponent": "kubesim", "source": "default-scheduler",
        "type": "Normal", "metadata.name": "e1",
    }
    for field, value in expected.items():
        assert field_value("events", event, field) == value
    s = parse_field_selector("involvedObject.kind=Pod,involvedObject.name=p,source=default-scheduler", "events")
    assert s.matches(event)


def test_namespace_phase_field() -> None:
    s = parse_field_selector("status.phase=Active", "namespaces")
    assert s.matches({"metadata": {"name": "default"}, "status": {"phase": "Active"}})
    assert not s.matches({"metadata": {"name": "x"}, "status": {"phase": "Terminating"}})


def test_field_value_rejects_unsupported_fields() -> None:
    with pytest.raises(ApiError) as info:
        field_value("pods", FULL_POD, "spec.unschedulable")
    assert info.value.message == "field label not supported: spec.unschedulable"


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

KEYS = ["app", "tier", "example.com/team", "in", "a"]
VALUES = ["", "web", "db", "in", "x-1", "A.b_c", "7", "12"]

keys = st.sampled_from(KEYS)
values = st.sampled_from(VALUES)
label_dicts = st.dictionaries(keys, values, max_size=len(KEYS))
spaces = st.sampled_from(["", " ", "  ", "\t", "\n"])
valid_names = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?", fullmatch=True)


def reference_matches(op: str, key: str, vals: list[str], labels: dict[str, str]) -> bool:
    """Label-selector semantics as the Kubernetes documentation states them."""
    present = key in labels
    if op in ("=", "==", "in"):
        return present and labels[key] in vals
    if op in ("!=", "notin"):
        return not present or labels[key] not in vals
    if op == "exists":
        return present
    return not present  # "!"


def value_list(vals: list[str], space: str = "") -> str:
    """Values written inside parentheses; "()" is no values, so a lone "" needs "(,)"."""
    if all(v == "" for v in vals):
        return "," * max(1, len(vals) - 1)
    return ",".join(f"{space}{v}" for v in vals)


@st.composite
def requirements(draw: st.DrawFn) -> tuple[str, str, str, list[str]]:
    """(rendered text with random whitespace, operator, key, values)."""
    key = draw(keys)
    op = draw(st.sampled_from(["=", "==", "!=", "in", "notin", "exists", "!"]))
    w = [draw(spaces) for _ in range(4)]
    if op in ("in", "notin"):
        vals = draw(st.lists(values, min_size=1, max_size=4))
        return f"{w[0]}{key} {w[1]}{op}{w[2]}({value_list(vals, w[3])})", op, key, vals
    if op == "exists":
        return f"{w[0]}{key}{w[1]}", op, key, []
    if op == "!":
        return f"{w[0]}!{w[1]}{key}", op, key, []
    value = draw(values)
    return f"{w[0]}{key}{w[1]}{op}{w[2]}{value}{w[3]}", op, key, [value]


@given(keys, values, label_dicts)
def test_not_equals_is_the_negation_of_equals(key: str, value: str, labels: dict[str, str]) -> None:
    assert sel(f"{key}!={value}").matches(labels) == (not sel(f"{key}={value}").matches(labels))


@given(keys, values, label_dicts)
def test_singleton_in_is_equals_and_singleton_notin_is_not_equals(
    key: str, value: str, labels: dict[str, str]
) -> None:
    listed = value_list([value])
    assert sel(f"{key} in ({listed})").matches(labels) == sel(f"{key}={value}").matches(labels)
    assert sel(f"{key} notin ({listed})").matches(labels) == sel(f"{key}!={value}").matches(labels)


@given(keys, label_dicts)
def test_does_not_exist_is_the_negation_of_exists(key: str, labels: dict[str, str]) -> None:
    assert sel(f"!{key}").matches(labels) == (not sel(key).matches(labels))


@given(keys, st.lists(values, min_size=1, max_size=4), label_dicts)
def test_in_is_any_of_equals_and_notin_is_all_of_not_equals(
    key: str, vals: list[str], labels: dict[str, str]
) -> None:
    listed = value_list(vals)
    assert sel(f"{key} in ({listed})").matches(labels) == any(sel(f"{key}={v}").matches(labels) for v in vals)
    assert sel(f"{key} notin ({listed})").matches(labels) == all(
        sel(f"{key}!={v}").matches(labels) for v in vals
    )


@given(st.lists(requirements(), max_size=5), label_dicts)
def test_rendered_requirements_parse_to_their_documented_meaning(
    reqs: list[tuple[str, str, str, list[str]]], labels: dict[str, str]
) -> None:
    s = sel(",".join(text for text, _, _, _ in reqs))
    expected = all(reference_matches(op, key, vals, labels) for _, op, key, vals in reqs)
    assert s.matches(labels) == expected
    assert s.empty == (not reqs)


@given(st.lists(requirements(), max_size=5), label_dicts)
def test_str_round_trips(reqs: list[tuple[str, str, str, list[str]]], labels: dict[str, str]) -> None:
    s = sel(",".join(text for text, _, _, _ in reqs))
    again = sel(str(s))
    assert again == s
    assert again.matches(labels) == s.matches(labels)


@given(st.lists(requirements(), min_size=1, max_size=5), label_dicts)
def test_comma_is_the_conjunction_of_its_parts(
    reqs: list[tuple[str, str, str, list[str]]], labels: dict[str, str]
) -> None:
    whole = sel(",".join(text for text, _, _, _ in reqs))
    assert whole.matches(labels) == all(sel(text).matches(labels) for text, _, _, _ in reqs)


@given(st.lists(requirements(), max_size=5), label_dicts)
def test_exact_value_is_necessary_for_a_match(
    reqs: list[tuple[str, str, str, list[str]]], labels: dict[str, str]
) -> None:
    s = sel(",".join(text for text, _, _, _ in reqs))
    for key in KEYS:
        required = s.exact_value(key)
        if required is not None and s.matches(labels):
            assert labels.get(key) == required


@given(
    st.dictionaries(keys, values, max_size=3),
    st.lists(
        st.tuples(keys, st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
                  st.lists(values, min_size=1, max_size=3)),
        max_size=3,
    ),
    label_dicts,
)
def test_structured_form_means_the_same_as_the_string_form(
    match_labels: dict[str, str], exprs: list[tuple[str, str, list[str]]], labels: dict[str, str]
) -> None:
    words = {"In": "in", "NotIn": "notin"}
    texts = [f"{k}={v}" for k, v in match_labels.items()]
    structured = []
    for key, op, vals in exprs:
        if op in words:
            texts.append(f"{key} {words[op]} ({value_list(vals)})")
            structured.append({"key": key, "operator": op, "values": vals})
        else:
            texts.append(key if op == "Exists" else f"!{key}")
            structured.append({"key": key, "operator": op})
    from_dict = label_selector_from_dict({"matchLabels": match_labels, "matchExpressions": structured})
    assert from_dict.matches(labels) == sel(",".join(texts)).matches(labels)


@given(valid_names, valid_names)
def test_any_valid_key_and_value_parse(key: str, value: str) -> None:
    assert sel(f"{key}={value}").matches({key: value})


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab=!(),<> \t/.-_in1")), max_size=20))
def test_label_parser_fails_only_with_bad_request(text: str) -> None:
    try:
        s = sel(text)
    except ApiError as err:
        assert (err.code, err.reason) == (400, "BadRequest")
        assert err.message.startswith(("unable to parse requirement: ", "couldn't parse the selector string"))
    else:
        assert sel(str(s)) == s


names = st.text(alphabet=st.sampled_from(list("ab,=\\ -.")), max_size=8)


@given(names, names)
def test_escaped_field_values_round_trip(name: str, other: str) -> None:
    s = parse_field_selector(f"metadata.name={escape_field_value(name)}", "configmaps")
    assert s.exact_value("metadata.name") == name
    obj = {"metadata": {"name": other}}
    assert s.matches(obj) == (name == other)
    assert parse_field_selector(str(s), "configmaps") == s


@given(names, names)
def test_field_not_equals_is_the_negation_of_equals(name: str, other: str) -> None:
    value = escape_field_value(name)
    obj = {"metadata": {"name": other}}
    equal = parse_field_selector(f"metadata.name={value}", "pods").matches(obj)
    assert parse_field_selector(f"metadata.name!={value}", "pods").matches(obj) == (not equal)


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from([*"ab=!,\\ .", "metadata.name", "spec.nodeName"]), max_size=12).map("".join)
)
def test_field_parser_fails_only_with_bad_request(text: str) -> None:
    try:
        s = parse_field_selector(text, "pods")
    except ApiError as err:
        assert (err.code, err.reason) == (400, "BadRequest")
    else:
        assert parse_field_selector(str(s), "pods") == s
