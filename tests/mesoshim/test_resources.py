"""mesoshim.resources: Mesos resource arithmetic and the Kubernetes conversions.

Read as a specification: fixed-point scalars, coalesced ranges, saturating
subtraction, Mesos' text and protobuf forms, the master's validation messages for
malformed resources, and how Kubernetes quantities become offers.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
from fractions import Fraction
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import assume, given
from hypothesis import strategies as st

from mesoshim.pb.mesos.v1 import mesos_pb2
from mesoshim.resources import (
    EMPTY,
    Range,
    ResourceError,
    Resources,
    format_resource,
    millis_from_float,
    normalize_ranges,
    parse_quantity,
    pod_requests,
    validate_resources,
)

SCALAR = mesos_pb2.Value.SCALAR
RANGES = mesos_pb2.Value.RANGES
SET = mesos_pb2.Value.SET
TEXT = mesos_pb2.Value.TEXT


def scalar(name: str, value: float, **fields: Any) -> mesos_pb2.Resource:
    return mesos_pb2.Resource(
        name=name, type=SCALAR, scalar=mesos_pb2.Value.Scalar(value=value), **fields
    )


def ranges(name: str, *intervals: Range) -> mesos_pb2.Resource:
    resource = mesos_pb2.Resource(name=name, type=RANGES)
    resource.ranges.SetInParent()
    for begin, end in intervals:
        resource.ranges.range.add(begin=begin, end=end)
    return resource


R = Resources.parse


# --------------------------------------------------------------------------- fixed point


class TestScalars:
    def test_thousandths_make_decimal_arithmetic_exact(self) -> None:
        assert Resources({"cpus": 0.1}) + Resources({"cpus": 0.2}) == Resources({"cpus": 0.3})
        assert R("cpus:0.3") - R("cpus:0.1") == R("cpus:0.2")
        assert R("mem:0.1").millis("mem") == 100

    def test_values_round_half_away_from_zero_to_three_decimals(self) -> None:
        # 0.0625 and 1.0625 are exact in binary, so these are true ties (llround).
        assert millis_from_float(0.0625) == 63
        assert millis_from_float(1.0625) == 1063
        assert millis_from_float(-0.0625) == -63
        assert millis_from_float(0.0004) == 0
        assert R("cpus:1.23456").millis("cpus") == 1235

    def test_zero_and_sub_thousandth_scalars_vanish(self) -> None:
        assert Resources({"cpus": 0.0, "mem": 0.0001}).is_empty()
        assert R("cpus:1;mem:0") == R("cpus:1")

    def test_subtraction_saturates_at_zero(self) -> None:
        assert R("cpus:1;mem:128") - R("cpus:2") == R("mem:128")
        assert R("cpus:1") - R("gpus:1") == R("cpus:1")

    def test_accessors(self) -> None:
        r = R("cpus:1.5;mem:256;disk:1024;gpus:2;foo:3")
        assert (r.cpus, r.mem, r.disk, r.gpus) == (1.5, 256.0, 1024.0, 2.0)
        assert r.scalar("foo") == 3.0 and r.scalar("absent") == 0.0
        assert r.millis("cpus") == 1500
        assert dict(r.scalar_millis()) == {
            "cpus": 1500,
            "mem": 256000,
            "disk": 1024000,
            "gpus": 2000,
            "foo": 3000,
        }
        assert r.names() == ("cpus", "mem", "disk", "gpus", "foo")

    @pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
    def test_constructor_refuses_negative_and_non_finite(self, bad: float) -> None:
        with pytest.raises(ResourceError):
            Resources({"cpus": bad})

    def test_from_millis_and_from_scalars(self) -> None:
        assert Resources.from_millis({"cpus": 1500}, {"ports": [(1, 2)]}) == R(
            "cpus:1.5;ports:[1-2]"
        )
        assert Resources.from_scalars({"cpus": 0.01}) == R("cpus:0.01")
        with pytest.raises(ResourceError):
            Resources.from_millis({"cpus": -1})


# --------------------------------------------------------------------------- ranges


class TestRanges:
    @pytest.mark.parametrize(
        ("given_", "expected"),
        [
            ([], ()),
            ([(5, 6), (1, 2)], ((1, 2), (5, 6))),
            ([(1, 2), (3, 4)], ((1, 4),)),  # adjacent ranges coalesce, as in Mesos
            ([(1, 5), (2, 3)], ((1, 5),)),
            ([(1, 5), (4, 9), (20, 20)], ((1, 9), (20, 20))),
            ([(7, 7), (7, 7)], ((7, 7),)),
        ],
    )
    def test_normalization(self, given_: list[Range], expected: tuple[Range, ...]) -> None:
        assert normalize_ranges(given_) == expected

    def test_inverted_range_is_an_error(self) -> None:
        with pytest.raises(ResourceError, match="begin > end"):
            normalize_ranges([(5, 4)])

    def test_subtraction_removes_sub_ranges(self) -> None:
        ports = R("ports:[31000-32000]")
        assert ports - R("ports:[31000-31000]") == R("ports:[31001-32000]")
        assert ports - R("ports:[31500-31500]") == R("ports:[31000-31499, 31501-32000]")
        assert ports - R("ports:[30000-31499, 31999-40000]") == R("ports:[31500-31998]")
        assert ports - R("ports:[1-100]") == ports
        assert (ports - ports).is_empty()

    def test_contains(self) -> None:
        ports = R("ports:[31000-31010, 31020-31030]")
        assert ports.contains(R("ports:[31000-31000, 31025-31030]"))
        assert not ports.contains(R("ports:[31010-31020]"))  # straddles a gap
        assert not ports.contains(R("ports:[1-1]"))
        assert not ports.contains(R("other:[31000-31000]"))
        assert ports.ranges("ports") == ((31000, 31010), (31020, 31030))
        assert ports.ranges("absent") == ()

    def test_addition_merges(self) -> None:
        assert R("ports:[1-5]") + R("ports:[6-9]") == R("ports:[1-9]")
        assert R("ports:[1-5]") + R("ports:[3-4]") == R("ports:[1-5]")


class TestSetsAndMixed:
    def test_sets_add_subtract_contain(self) -> None:
        zones = R("zones:{a,b}")
        assert zones + R("zones:{c}") == R("zones:{a,b,c}")
        assert zones - R("zones:{a}") == R("zones:{b}")
        assert zones.contains(R("zones:{b}")) and not zones.contains(R("zones:{c}"))
        assert zones.set_items("zones") == frozenset({"a", "b"})

    def test_contains_needs_every_kind(self) -> None:
        offer = R("cpus:4;mem:1024;ports:[31000-32000]")
        assert offer.contains(R("cpus:1;mem:128;ports:[31000-31001]"))
        assert offer.contains(EMPTY)
        assert not offer.contains(R("cpus:4.001"))
        assert not offer.contains(R("gpus:1"))
        assert not offer.contains(R("zones:{a}"))

    def test_overlaps(self) -> None:
        assert R("ports:[1-5]").overlaps(R("ports:[5-6]"))
        assert not R("ports:[1-5]").overlaps(R("ports:[6-6]"))
        assert R("s:{a,b}").overlaps(R("s:{b}"))
        assert not R("cpus:1").overlaps(R("cpus:1"))  # scalars never "overlap"

    def test_filter_sum_and_allocatable_minus(self) -> None:
        total = R("cpus:8;mem:8192;disk:1000;ports:[31000-32000]")
        pods = [R("cpus:1;mem:1024;ports:[31000-31000]"), R("cpus:2.5;mem:100")]
        assert Resources.sum(pods) == pods[0] + pods[1]
        assert total.allocatable_minus(pods) == R("cpus:4.5;mem:7068;disk:1000;ports:[31001-32000]")
        assert total.filter(["cpus", "ports"]) == R("cpus:8;ports:[31000-32000]")
        assert Resources.sum([]) == EMPTY

    def test_value_semantics(self) -> None:
        a = R("cpus:1;ports:[1-2]")
        b = R("ports:[1-1, 2-2];cpus:1.0")
        assert a == b and hash(a) == hash(b)
        assert len({a, b}) == 1
        assert a != R("cpus:1")
        assert bool(a) and not bool(EMPTY) and EMPTY.is_empty()
        with pytest.raises(AttributeError):
            a.anything = 1  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- text forms


class TestFormat:
    def test_mesos_text(self) -> None:
        r = R("cpus:2;mem:1024;ports:[31000-32000]")
        assert r.format() == "cpus:2; mem:1024; ports:[31000-32000]"
        assert str(r) == r.format()
        assert R("cpus:0.5;ports:[1-2, 4-5]").format() == "cpus:0.5; ports:[1-2, 4-5]"
        assert R("zones:{b,a}").format() == "zones:{a, b}"
        assert EMPTY.format() == "{}"
        assert R("{}") == EMPTY

    def test_allocation_role_as_the_master_prints_it(self) -> None:
        assert (
            R("cpus:1;ports:[5-5]").format("*") == "cpus(allocated: *):1; ports(allocated: *):[5-5]"
        )

    def test_scalars_print_like_a_cpp_ostream(self) -> None:
        # Mesos prints doubles with 6 significant digits.
        assert R("mem:1234567").format() == "mem:1.23457e+06"
        assert R("mem:1234567.5").format(exact=True) == "mem:1234567.5"
        assert R("cpus:0.001").format() == "cpus:0.001"

    def test_parse_round_trip_and_errors(self) -> None:
        r = R("cpus(*):1; mem:2; ports:[1-2,4-4]; s:{x}")
        assert r == Resources({"cpus": 1, "mem": 2}, {"ports": [(1, 2), (4, 4)]}, {"s": ["x"]})
        assert eval(repr(r), {"Resources": Resources}) == r
        for bad in ("cpus", "cpus:x", "ports:[1-x]", "s:{a", "ports:[2-1]"):
            with pytest.raises(ResourceError):
                R(bad)

    def test_format_resource_shows_metadata(self) -> None:
        assert format_resource(scalar("cpus", 1.5)) == "cpus:1.5"
        assert format_resource(scalar("cpus", 1), "r") == "cpus(allocated: r):1"
        reserved = scalar("cpus", 1, role="web")
        assert format_resource(reserved) == "cpus(reservations: [(STATIC,web)]):1"
        revocable = scalar("cpus", 1)
        revocable.revocable.SetInParent()
        assert format_resource(revocable) == "cpus{REV}:1"
        assert format_resource(ranges("ports", (1, 2), (5, 5))) == "ports:[1-2, 5-5]"


# --------------------------------------------------------------------------- protobuf


class TestProto:
    def test_from_proto_sums_and_ignores_metadata(self) -> None:
        alloc = scalar("cpus", 0.5)
        alloc.allocation_info.role = "eng"
        got = Resources.from_proto(
            [
                scalar("cpus", 1, role="*"),
                alloc,
                scalar("mem", 128),
                ranges("ports", (5, 6), (1, 2)),
            ]
        )
        assert got == R("cpus:1.5;mem:128;ports:[1-2, 5-6]")

    def test_offer_format_without_refinement(self) -> None:
        # spec §7.1: MULTI_ROLE framework without RESERVATION_REFINEMENT.
        [cpus, ports] = R("cpus:2;ports:[31000-32000]").to_proto(allocation_role="engineering")
        assert json_format.MessageToDict(cpus, preserving_proto_field_name=True) == {
            "name": "cpus",
            "type": "SCALAR",
            "scalar": {"value": 2.0},
            "role": "*",
            "allocation_info": {"role": "engineering"},
        }
        assert json_format.MessageToDict(ports, preserving_proto_field_name=True) == {
            "name": "ports",
            "type": "RANGES",
            "ranges": {"range": [{"begin": "31000", "end": "32000"}]},
            "role": "*",
            "allocation_info": {"role": "engineering"},
        }

    def test_no_allocation_info_for_single_role_frameworks(self) -> None:
        for resource in R("cpus:1;mem:2").to_proto():
            assert not resource.HasField("allocation_info")
            assert resource.HasField("role") and resource.role == "*"

    def test_refinement_format(self) -> None:
        [unreserved] = R("cpus:1").to_proto(pre_refinement=False)
        assert not unreserved.HasField("role") and not unreserved.reservations
        [reserved] = R("cpus:1").to_proto(role="web", pre_refinement=False)
        assert [(r.type, r.role) for r in reserved.reservations] == [
            (mesos_pb2.Resource.ReservationInfo.STATIC, "web")
        ]
        [old] = R("cpus:1").to_proto(role="web")
        assert old.role == "web" and not old.reservations

    def test_sets_round_trip(self) -> None:
        r = R("zones:{a,b}")
        [proto] = r.to_proto()
        assert list(proto.set.item) == ["a", "b"] and proto.type == SET
        assert Resources.from_proto([proto]) == r


# The master's `resource::validate` texts; spec §3.2 step 2 and §4.1 row 8b.
def _resource(**fields: Any) -> mesos_pb2.Resource:
    return mesos_pb2.Resource(**fields)


def _with(resource: mesos_pb2.Resource, edit: Any) -> mesos_pb2.Resource:
    edit(resource)
    return resource


INVALID_RESOURCES = [
    pytest.param(
        [scalar("", 1)],
        "Invalid resources: Resource ':1' is invalid: Empty resource name",
        id="no-name",
    ),
    pytest.param(
        [_resource(name="cpus", type=SCALAR)],
        "Invalid resources: Resource 'cpus:0' is invalid: Invalid scalar resource",
        id="scalar-missing",
    ),
    pytest.param(
        [_with(scalar("cpus", 1), lambda r: r.ranges.SetInParent())],
        "Invalid resources: Resource 'cpus:1' is invalid: Invalid scalar resource",
        id="scalar-and-ranges",
    ),
    pytest.param(
        [scalar("cpus", -1)],
        "Invalid resources: Resource 'cpus:-1' is invalid: Invalid scalar resource: value < 0",
        id="negative",
    ),
    pytest.param(
        [scalar("cpus", float("inf"))],
        "Invalid resources: Resource 'cpus:inf' is invalid: Invalid scalar resource: value is not finite",
        id="infinite",
    ),
    pytest.param(
        [_resource(name="ports", type=RANGES)],
        "Invalid resources: Resource 'ports:[]' is invalid: Invalid ranges resource",
        id="ranges-missing",
    ),
    pytest.param(
        [ranges("ports", (5, 4))],
        "Invalid resources: Resource 'ports:[5-4]' is invalid: Invalid ranges resource: begin > end",
        id="inverted",
    ),
    pytest.param(
        [ranges("ports", (1, 5), (5, 6))],
        "Invalid resources: Resource 'ports:[1-5, 5-6]' is invalid:"
        " Invalid ranges resource: overlapping ranges",
        id="overlap",
    ),
    pytest.param(
        [ranges("ports", (5, 10), (1, 6))],
        "Invalid resources: Resource 'ports:[5-10, 1-6]' is invalid:"
        " Invalid ranges resource: overlapping ranges",
        id="overlap-unsorted",
    ),
    pytest.param(
        [_resource(name="s", type=SET, set=mesos_pb2.Value.Set(item=["a", "a"]))],
        "Invalid resources: Resource 's:{a, a}' is invalid: Invalid set resource: duplicated elements",
        id="set-duplicates",
    ),
    pytest.param(
        [_resource(name="s", type=SET)],
        "Invalid resources: Resource 's:{}' is invalid: Invalid set resource",
        id="set-missing",
    ),
    pytest.param(
        [_resource(name="t", type=TEXT)],
        "Invalid resources: Resource 't:' is invalid: Unsupported resource type",
        id="text",
    ),
    pytest.param(
        [_with(scalar("cpus", 1), lambda r: r.disk.SetInParent())],
        "Invalid resources: Resource 'cpus[]:1' is invalid: DiskInfo should not be set for cpus resource",
        id="diskinfo-on-cpus",
    ),
    pytest.param(
        [scalar("cpus", 1, role="/web")],
        "Invalid resources: Resource 'cpus(reservations: [(STATIC,/web)]):1' is invalid:"
        " Role '/web' cannot start with a slash",
        id="bad-role",
    ),
    pytest.param(
        [_with(scalar("cpus", 1), lambda r: r.reservation.SetInParent())],
        "Invalid resources: Resource 'cpus:1' is invalid:"
        ' Invalid reservation: role "*" cannot be dynamically reserved',
        id="star-reserved",
    ),
    pytest.param(
        [_with(scalar("cpus", 1), lambda r: r.shared.SetInParent())],
        "Invalid resources: Resource 'cpus<SHARED>:1' is invalid: Resource cpus cannot be shared",
        id="shared-cpus",
    ),
    pytest.param(
        [scalar("gpus", 0.5)],
        "Invalid 'gpus' resource: The 'gpus' resource must be an unsigned integer",
        id="fractional-gpus",
    ),
    pytest.param(
        [
            _with(
                _resource(name="disk", type=SCALAR, scalar={"value": 1}),
                lambda r: r.disk.SetInParent(),
            )
        ],
        "Invalid DiskInfo: DiskInfo is set but empty",
        id="empty-diskinfo",
    ),
]


@pytest.mark.parametrize(("resources", "message"), INVALID_RESOURCES)
def test_from_proto_rejects_invalid_resources(
    resources: list[mesos_pb2.Resource], message: str
) -> None:
    with pytest.raises(ResourceError) as caught:
        Resources.from_proto(resources)
    assert str(caught.value) == message


def test_first_invalid_resource_wins_and_step_two_text() -> None:
    resources = [scalar("cpus", 1), scalar("mem", -5), scalar("disk", -1)]
    assert validate_resources(resources) == (
        "Resource 'mem:-5' is invalid: Invalid scalar resource: value < 0"
    )
    assert validate_resources(resources[:1]) is None


def test_gpus_only_need_to_add_up_to_whole_numbers() -> None:
    assert Resources.from_proto([scalar("gpus", 0.5), scalar("gpus", 0.5)]) == R("gpus:1")


# --------------------------------------------------------------------------- properties

NAMES = ("cpus", "mem", "disk", "gpus", "custom")
RANGE_NAMES = ("ports", "other")


@st.composite
def interval_lists(draw: st.DrawFn, limit: int = 400) -> list[Range]:
    starts = draw(st.lists(st.integers(0, limit), max_size=6))
    return [(s, s + draw(st.integers(0, 30))) for s in starts]


@st.composite
def resources_values(draw: st.DrawFn) -> Resources:
    scalars = draw(st.dictionaries(st.sampled_from(NAMES), st.integers(0, 10**12), max_size=5))
    if "gpus" in scalars:  # GPUs are whole (Mesos refuses fractional ones)
        scalars["gpus"] -= scalars["gpus"] % 1000
    rngs = draw(st.dictionaries(st.sampled_from(RANGE_NAMES), interval_lists(), max_size=2))
    sets = draw(
        st.dictionaries(
            st.just("zones"), st.frozensets(st.sampled_from("abcde"), max_size=3), max_size=1
        )
    )
    return Resources.from_millis(scalars, rngs, sets)


def scalars_only(r: Resources) -> Resources:
    return r.filter(NAMES)


def points_only(r: Resources) -> Resources:
    return r.filter((*RANGE_NAMES, "zones"))


@given(resources_values(), resources_values())
def test_adding_then_subtracting_scalars_is_exact(a: Resources, b: Resources) -> None:
    assert scalars_only(a + b - b) == scalars_only(a)


@given(resources_values(), resources_values())
def test_adding_then_subtracting_removes_only_what_was_added(a: Resources, b: Resources) -> None:
    # Ranges and sets are sets of points: (a | b) - b == a - b, which is a when disjoint.
    assert (a + b) - b == scalars_only(a) + points_only(a - b)
    if not a.overlaps(b):
        assert (a + b) - b == a


@given(resources_values(), resources_values())
def test_contains_agrees_with_subtraction(a: Resources, b: Resources) -> None:
    assert a.contains(b) == (b - a).is_empty()
    assert a.contains(b) == ((a - b) + b == a)
    assert (a + b).contains(a) and (a + b).contains(b)
    assert a.contains(a) and a.contains(EMPTY)


@given(resources_values(), resources_values(), resources_values())
def test_addition_is_a_commutative_monoid(a: Resources, b: Resources, c: Resources) -> None:
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)
    assert a + EMPTY == a
    assert Resources.sum([a, b, c]) == a + b + c
    assert a.allocatable_minus([b, c]) == a - b - c


@given(
    resources_values(),
    st.sampled_from(["*", "web"]),
    st.one_of(st.none(), st.sampled_from(["*", "eng"])),
    st.booleans(),
)
def test_proto_round_trip(r: Resources, role: str, alloc: str | None, pre: bool) -> None:
    protos = r.to_proto(role=role, allocation_role=alloc, pre_refinement=pre)
    assert validate_resources(protos) is None
    assert (
        Resources.from_proto(mesos_pb2.Resource.FromString(p.SerializeToString()) for p in protos)
        == r
    )


@given(resources_values())
def test_text_round_trip_and_hash(r: Resources) -> None:
    assert R(r.format(exact=True)) == r
    assert hash(R(r.format(exact=True))) == hash(r)
    assert eval(repr(r), {"Resources": Resources}) == r


@given(st.lists(st.integers(0, 10**6), max_size=20))
def test_thousandths_sum_exactly(millis: list[int]) -> None:
    parts = [Resources({"cpus": m / 1000}) for m in millis]
    assert functools.reduce(operator.add, parts, EMPTY) == Resources.from_millis(
        {"cpus": sum(millis)}
    )


@given(interval_lists(limit=60))
def test_range_normalization_is_idempotent_and_keeps_the_points(intervals: list[Range]) -> None:
    once = normalize_ranges(intervals)
    assert normalize_ranges(once) == once
    assert list(once) == sorted(once)
    for (_, end), (begin, _) in itertools.pairwise(once):
        assert begin > end + 1  # disjoint and not even adjacent
    points = {p for b, e in intervals for p in range(b, e + 1)}
    assert {p for b, e in once for p in range(b, e + 1)} == points


@given(interval_lists(limit=60), interval_lists(limit=60))
def test_range_subtraction_matches_point_sets(a: list[Range], b: list[Range]) -> None:
    ra, rb = Resources(ranges={"ports": a}), Resources(ranges={"ports": b})
    expected = {p for s, e in a for p in range(s, e + 1)} - {
        p for s, e in b for p in range(s, e + 1)
    }
    assume(len(expected) < 2000)
    got = {p for s, e in (ra - rb).ranges("ports") for p in range(s, e + 1)}
    assert got == expected


# --------------------------------------------------------------------------- Kubernetes


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", Fraction(2)),
        ("500m", Fraction(1, 2)),
        ("1.5", Fraction(3, 2)),
        ("100u", Fraction(1, 10**4)),
        ("10n", Fraction(1, 10**8)),
        ("4Gi", Fraction(4 * 2**30)),
        ("128Mi", Fraction(128 * 2**20)),
        ("1Ki", Fraction(1024)),
        ("1k", Fraction(1000)),
        ("1M", Fraction(10**6)),
        ("10G", Fraction(10**10)),
        ("1E", Fraction(10**18)),
        ("1e3", Fraction(1000)),
        ("12E-1", Fraction(6, 5)),
        (".5", Fraction(1, 2)),
        ("-1", Fraction(-1)),
        (" 3 ", Fraction(3)),
        (7, Fraction(7)),
        (0.25, Fraction(1, 4)),
    ],
)
def test_parse_quantity(text: str | int | float, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("bad", ["", "abc", "1e", "1Gb", "1.2.3", "m", "1 Gi", True, float("inf")])
def test_parse_quantity_rejects_garbage(bad: Any) -> None:
    with pytest.raises(ValueError):
        parse_quantity(bad)


class TestKubernetes:
    def test_node_allocatable_becomes_an_agent(self) -> None:
        r = Resources.from_kubernetes(
            {
                "cpu": "3920m",
                "memory": "15Gi",
                "ephemeral-storage": "100G",
                "nvidia.com/gpu": "2",
                "pods": "110",
                "hugepages-2Mi": "0",
            },
            ports=[(31000, 32000)],
        )
        assert r == R("cpus:3.92;mem:15360;disk:95367;gpus:2;ports:[31000-32000]")
        assert r.format() == "cpus:3.92; gpus:2; mem:15360; disk:95367; ports:[31000-32000]"

    def test_rounding_direction(self) -> None:
        quantities = {"cpu": "100500u", "memory": "1G", "nvidia.com/gpu": "1.5"}
        assert Resources.from_kubernetes(quantities) == R("cpus:0.1;mem:953;gpus:1")
        assert Resources.from_kubernetes(quantities, round_up=True) == R(
            "cpus:0.101;mem:954;gpus:2"
        )

    def test_negative_and_missing_quantities(self) -> None:
        assert Resources.from_kubernetes({"cpu": "-1", "memory": "0"}).is_empty()
        assert Resources.from_kubernetes({}) == EMPTY
        with pytest.raises(ValueError):
            Resources.from_kubernetes({"cpu": "lots"})

    def test_task_resources_become_container_requests(self) -> None:
        assert R("cpus:1.5;mem:1024;disk:100;gpus:1;ports:[31000-31000]").to_kubernetes() == {
            "cpu": "1500m",
            "memory": "1024Mi",
            "ephemeral-storage": "100Mi",
            "nvidia.com/gpu": "1",
        }
        # Fractional MB as bytes, rounded up; tiny cpus stay exact in millicores.
        assert R("cpus:0.001;mem:0.5").to_kubernetes() == {"cpu": "1m", "memory": "524288"}
        assert EMPTY.to_kubernetes() == {}

    def test_round_trip_through_kubernetes(self) -> None:
        r = R("cpus:2.25;mem:300;disk:4096;gpus:1")
        assert Resources.from_kubernetes(r.to_kubernetes()) == r

    def test_summary_is_the_state_json_shape(self) -> None:
        assert R("cpus:2;mem:1;ports:[1-2]").summary() == {
            "cpus": 2.0,
            "mem": 1.0,
            "ports": "[1-2]",
        }


def container(requests: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": "c", "resources": {"requests": requests or {}}, **extra}


class TestPodRequests:
    def test_containers_add_up(self) -> None:
        pod = {
            "spec": {
                "containers": [
                    container({"cpu": "250m", "memory": "64Mi"}),
                    container({"cpu": "250m", "memory": "64Mi", "ephemeral-storage": "1Gi"}),
                ]
            }
        }
        assert pod_requests(pod) == R("cpus:0.5;mem:128;disk:1024")

    def test_init_containers_count_by_their_peak(self) -> None:
        pod = {
            "spec": {
                "initContainers": [container({"cpu": "2", "memory": "10Mi"})],
                "containers": [container({"cpu": "500m", "memory": "100Mi"})],
            }
        }
        assert pod_requests(pod) == R("cpus:2;mem:100")

    def test_sidecars_run_beside_everything_after_them(self) -> None:
        pod = {
            "spec": {
                "initContainers": [
                    container({"cpu": "100m"}, restartPolicy="Always"),
                    container({"cpu": "1"}),
                ],
                "containers": [container({"cpu": "500m"})],
            }
        }
        # max(0.5 + 0.1, 1 + 0.1)
        assert pod_requests(pod) == R("cpus:1.1")

    def test_limits_stand_in_for_missing_requests(self) -> None:
        pod = {
            "spec": {
                "containers": [
                    {
                        "resources": {
                            "limits": {"cpu": "1", "memory": "1Gi"},
                            "requests": {"cpu": "100m"},
                        }
                    }
                ]
            }
        }
        assert pod_requests(pod) == R("cpus:0.1;mem:1024")

    def test_overhead_and_pod_level_resources(self) -> None:
        pod = {
            "spec": {
                "containers": [container({"cpu": "1", "memory": "1Mi"})],
                "overhead": {"cpu": "250m"},
                "resources": {"requests": {"memory": "2Mi"}},
            }
        }
        assert pod_requests(pod) == R("cpus:1.25;mem:2")

    def test_host_ports(self) -> None:
        pod = {
            "spec": {
                "containers": [
                    container(
                        ports=[{"containerPort": 80, "hostPort": 31000}, {"containerPort": 81}]
                    ),
                    container(ports=[{"containerPort": 90, "hostPort": 31001}]),
                ]
            }
        }
        assert pod_requests(pod) == R("ports:[31000-31001]")
        host_network = {
            "spec": {
                "hostNetwork": True,
                "containers": [container(ports=[{"containerPort": 8080}])],
            }
        }
        assert pod_requests(host_network) == R("ports:[8080-8080]")

    def test_memory_rounds_up_to_whole_mb(self) -> None:
        pod = {"spec": {"containers": [container({"memory": "1M"}), container({"memory": "1M"})]}}
        # 2,000,000 bytes is 1.907 MB: summed first, then rounded up once.
        assert pod_requests(pod) == R("mem:2")

    def test_empty_pod(self) -> None:
        assert pod_requests({}) == EMPTY
        assert pod_requests({"spec": {"containers": [{"name": "c"}]}}) == EMPTY


def test_offer_json_is_plain_json() -> None:
    # Sanity: the protobufs serialize to JSON through the standard json module too.
    payload = [json_format.MessageToDict(p) for p in R("cpus:1;ports:[1-2]").to_proto()]
    assert json.loads(json.dumps(payload))[0]["name"] == "cpus"
