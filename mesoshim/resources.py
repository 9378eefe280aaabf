"""Offer arithmetic: Mesos resources as an exact, immutable value.

`Resources` holds what one agent has to give (or what one task asks for) with the
semantics of Mesos' own `Resources` class, restricted to what mesoshim offers:
unreserved resources of a single allocation role.

* Scalars (`cpus`, `mem`, `disk`, `gpus` and any other SCALAR name) are stored as
  integer *thousandths*, exactly like Mesos' fixed-point scalars (3 decimals; a
  double is rounded half away from zero on the way in), so `0.1 + 0.2 == 0.3`.
* Ranges (`ports` and any other RANGES name) are a normalized tuple of disjoint,
  sorted, non-adjacent inclusive `(begin, end)` intervals ("coalesced" in Mesos
  terms: `[1-2, 3-4]` is `[1-4]`).
* Sets (SET resources) are frozensets of strings. Mesoshim never offers them, but
  they are kept so that a task asking for one is correctly *not* satisfied.

Zero scalars, empty ranges and empty sets are dropped, so equal values compare equal.
`-` saturates at zero for scalars and removes sub-ranges/items. Reservation,
allocation, disk, revocable and shared metadata of a protobuf `Resource` are *not*
part of the value: `from_proto` validates and then ignores them (callers that care,
such as `mesoshim.validation`, inspect the protobufs themselves).

The Kubernetes side: `from_kubernetes` turns node allocatable quantities into
resources, `pod_requests` computes a pod's effective request the way the kube
scheduler does, and `to_kubernetes` renders a task's resources as container requests.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Final

from mesoshim.pb.mesos.v1 import mesos_pb2

__all__ = [
    "EMPTY",
    "MESOS_DEFAULT_PORTS",
    "Range",
    "Ranges",
    "ResourceError",
    "Resources",
    "format_ranges",
    "format_resource",
    "format_scalar",
    "format_set",
    "gpus_error",
    "millis_from_float",
    "normalize_ranges",
    "parse_quantity",
    "pod_requests",
    "resource_prefix",
    "validate_id",
    "validate_master_resources",
    "validate_resource",
    "validate_resources",
    "validate_role",
]

Range = tuple[int, int]
Ranges = tuple[Range, ...]

MB: Final = 1024 * 1024
MESOS_DEFAULT_PORTS: Final[Ranges] = ((31000, 32000),)
"""The `ports` a Mesos agent offers when none are configured."""

_UINT64_MAX: Final = 2**64 - 1

_SCALAR: Final = mesos_pb2.Value.SCALAR
_RANGES: Final = mesos_pb2.Value.RANGES
_SET: Final = mesos_pb2.Value.SET


class ResourceError(ValueError):
    """An invalid resource; `str(error)` is the Mesos-style message."""


# --------------------------------------------------------------------------- scalars


def millis_from_float(value: float) -> int:
    """A double as Mesos fixed-point thousandths (`llround(value * 1000)`)."""
    scaled = value * 1000.0
    floor = math.floor(scaled)
    # Round half away from zero, as llround does; `scaled - floor` is exact.
    if scaled >= 0:
        return floor + 1 if scaled - floor >= 0.5 else floor
    ceil = math.ceil(scaled)
    return ceil - 1 if ceil - scaled >= 0.5 else ceil


def format_scalar(value: float) -> str:
    """A scalar as Mesos prints it: fixed-point rounded, then C++ `ostream` (`%g`)."""
    if not math.isfinite(value):
        return f"{value:g}"
    return _format_millis(millis_from_float(value))


def _format_millis(millis: int) -> str:
    return f"{millis / 1000:g}"


def _exact_millis(millis: int) -> str:
    whole, frac = divmod(millis, 1000)
    return str(whole) if not frac else f"{whole}.{frac:03d}".rstrip("0")


# --------------------------------------------------------------------------- ranges


def normalize_ranges(intervals: Iterable[Range]) -> Ranges:
    """Sort and coalesce inclusive intervals (overlapping or adjacent ones merge).

    Intervals with `begin > end` are an error (`ResourceError`)."""
    items = sorted(intervals)
    if not items:
        return ()
    out: list[Range] = []
    cur_begin, cur_end = items[0]
    if cur_begin > cur_end:
        raise ResourceError("Invalid ranges resource: begin > end")
    for begin, end in items[1:]:
        if begin > end:
            raise ResourceError("Invalid ranges resource: begin > end")
        if begin <= cur_end + 1:
            if end > cur_end:
                cur_end = end
        else:
            out.append((cur_begin, cur_end))
            cur_begin, cur_end = begin, end
    out.append((cur_begin, cur_end))
    return tuple(out)


def _ranges_union(a: Ranges, b: Ranges) -> Ranges:
    if not a:
        return b
    if not b:
        return a
    return normalize_ranges(a + b)


def _ranges_subtract(a: Ranges, b: Ranges) -> Ranges:
    """a minus b, both normalized."""
    if not a or not b:
        return a
    out: list[Range] = []
    j = 0
    nb = len(b)
    for begin, end in a:
        while j < nb and b[j][1] < begin:
            j += 1
        k = j
        cur = begin
        while k < nb and b[k][0] <= end:
            b_begin, b_end = b[k]
            if b_begin > cur:
                out.append((cur, b_begin - 1))
            if b_end >= cur:
                cur = b_end + 1
            if cur > end:
                break
            k += 1
        if cur <= end:
            out.append((cur, end))
    return tuple(out)


def _ranges_contain(a: Ranges, b: Ranges) -> bool:
    """Whether normalized a covers normalized b."""
    i = 0
    na = len(a)
    for begin, end in b:
        while i < na and a[i][1] < begin:
            i += 1
        if i == na or a[i][0] > begin or a[i][1] < end:
            return False
    return True


def _ranges_intersect(a: Ranges, b: Ranges) -> bool:
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][1] < b[j][0]:
            i += 1
        elif b[j][1] < a[i][0]:
            j += 1
        else:
            return True
    return False


def format_ranges(ranges: Iterable[Range]) -> str:
    """`[31000-32000, 33000-34000]`."""
    return "[" + ", ".join(f"{b}-{e}" for b, e in ranges) + "]"


def format_set(items: Iterable[str]) -> str:
    """`{a, b}`."""
    return "{" + ", ".join(items) + "}"


# --------------------------------------------------------------------------- the value

_NO_SCALARS: Final[dict[str, int]] = {}
_NO_RANGES: Final[dict[str, Ranges]] = {}
_NO_SETS: Final[dict[str, frozenset[str]]] = {}


def _make(
    scalars: dict[str, int], ranges: dict[str, Ranges], sets: dict[str, frozenset[str]]
) -> Resources:
    # The dicts are owned by the new value and never mutated afterwards.
    obj = object.__new__(Resources)
    obj._scalars = scalars
    obj._ranges = ranges
    obj._sets = sets
    obj._hash = None
    return obj


class Resources:
    """An immutable bag of Mesos resources (see the module docstring)."""

    __slots__ = ("_hash", "_ranges", "_scalars", "_sets")

    _scalars: dict[str, int]
    _ranges: dict[str, Ranges]
    _sets: dict[str, frozenset[str]]
    _hash: int | None

    def __init__(
        self,
        scalars: Mapping[str, float] | None = None,
        ranges: Mapping[str, Iterable[Range]] | None = None,
        sets: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Scalars in their units (`{"cpus": 1.5, "mem": 128}`), ranges as intervals."""
        s: dict[str, int] = {}
        for name, value in (scalars or {}).items():
            if not math.isfinite(value) or value < 0:
                raise ResourceError(f"Invalid scalar resource {name}: {value!r}")
            millis = millis_from_float(value)
            if millis:
                s[name] = millis
        r: dict[str, Ranges] = {}
        for name, intervals in (ranges or {}).items():
            normalized = normalize_ranges((int(b), int(e)) for b, e in intervals)
            if normalized and (normalized[0][0] < 0 or normalized[-1][1] > _UINT64_MAX):
                raise ResourceError(f"Invalid ranges resource {name}: out of uint64 range")
            if normalized:
                r[name] = normalized
        t: dict[str, frozenset[str]] = {}
        for name, items in (sets or {}).items():
            frozen = frozenset(items)
            if frozen:
                t[name] = frozen
        self._scalars = s or _NO_SCALARS
        self._ranges = r or _NO_RANGES
        self._sets = t or _NO_SETS
        self._hash = None

    # ---- constructors

    @classmethod
    def from_scalars(cls, scalars: Mapping[str, float]) -> Resources:
        """Only scalars, in their units: `Resources.from_scalars({"cpus": 0.01})`."""
        return cls(scalars)

    @classmethod
    def from_millis(
        cls,
        scalars: Mapping[str, int] | None = None,
        ranges: Mapping[str, Iterable[Range]] | None = None,
        sets: Mapping[str, Iterable[str]] | None = None,
    ) -> Resources:
        """Like the constructor, but scalars are given in integer thousandths."""
        base = cls(ranges=ranges, sets=sets)
        s: dict[str, int] = {}
        for name, millis in (scalars or {}).items():
            if millis < 0:
                raise ResourceError(f"Invalid scalar resource {name}: {millis / 1000:g}")
            if millis:
                s[name] = int(millis)
        return _make(s or _NO_SCALARS, base._ranges, base._sets)

    @classmethod
    def from_proto(cls, resources: Iterable[mesos_pb2.Resource]) -> Resources:
        """Validate protobuf resources as the Mesos master does and sum them up.

        Raises `ResourceError` whose text is the master's `resource::validate` message
        (`Invalid resources: Resource 'cpus:-1' is invalid: Invalid scalar resource:
        value < 0`, `Invalid 'gpus' resource: ...`, `Invalid DiskInfo: ...`), so
        `"Task uses invalid resources: " + str(error)` is what Mesos reports.
        Metadata (role, reservations, allocation_info, disk, revocable, shared) is
        validated but not kept."""
        resources = list(resources)
        error = validate_master_resources(resources)
        if error is not None:
            raise ResourceError(error)
        return _sum_protos(resources)

    @classmethod
    def from_kubernetes(
        cls,
        quantities: Mapping[str, str | int | float],
        ports: Iterable[Range] = (),
        *,
        round_up: bool = False,
    ) -> Resources:
        """Node allocatable (or any resource list) as Mesos resources.

        `cpu` -> `cpus` (millicores are thousandths, exactly); `memory` bytes -> `mem`
        MB and `ephemeral-storage` bytes -> `disk` MB, in whole MB; `nvidia.com/gpu` ->
        `gpus` (whole GPUs). Fractions below the unit are rounded down (an agent never
        offers more than it has) or, with `round_up=True`, up (a pod never uses less
        than it asked for). Negative quantities count as zero; other names are ignored.
        Raises ValueError for a malformed quantity."""
        parsed = {name: parse_quantity(q) for name, q in quantities.items() if name in _K8S_NAMES}
        return _from_quantities(parsed, ports, round_up=round_up)

    @classmethod
    def parse(cls, text: str) -> Resources:
        """Mesos' text form: `cpus:2;mem:1024;ports:[31000-32000];zones:{a,b}`.

        A role in parentheses (`cpus(*):2`) is accepted and ignored."""
        scalars: dict[str, float] = {}
        ranges: dict[str, list[Range]] = {}
        sets: dict[str, list[str]] = {}
        if text.strip() == "{}":
            return cls()
        for token in text.split(";"):
            token = token.strip()
            if not token:
                continue
            name, sep, value = token.partition(":")
            name = name.split("(", 1)[0].strip()
            value = value.strip()
            if not sep or not name or not value:
                raise ResourceError(f"Bad value for resources, missing or extra ':' in {token}")
            if value.startswith("["):
                if not value.endswith("]"):
                    raise ResourceError(f"Bad value for ranges: {value}")
                for part in value[1:-1].split(","):
                    part = part.strip()
                    if not part:
                        continue
                    begin, dash, end = part.partition("-")
                    try:
                        interval = (int(begin), int(end) if dash else int(begin))
                    except ValueError:
                        raise ResourceError(f"Bad value for ranges: {value}") from None
                    ranges.setdefault(name, []).append(interval)
            elif value.startswith("{"):
                if not value.endswith("}"):
                    raise ResourceError(f"Bad value for set: {value}")
                items = [i.strip() for i in value[1:-1].split(",") if i.strip()]
                sets.setdefault(name, []).extend(items)
            else:
                try:
                    scalars[name] = scalars.get(name, 0.0) + float(value)
                except ValueError:
                    raise ResourceError(f"Bad value for scalar: {value}") from None
        return cls(scalars, ranges, sets)

    @staticmethod
    def sum(items: Iterable[Resources]) -> Resources:
        """The sum of many values, with one normalization per range name."""
        s: dict[str, int] = {}
        r: dict[str, list[Range]] = {}
        t: dict[str, set[str]] = {}
        for res in items:
            for name, millis in res._scalars.items():
                s[name] = s.get(name, 0) + millis
            for name, intervals in res._ranges.items():
                r.setdefault(name, []).extend(intervals)
            for name, frozen in res._sets.items():
                t.setdefault(name, set()).update(frozen)
        return _make(
            s or _NO_SCALARS,
            {name: normalize_ranges(iv) for name, iv in r.items()} or _NO_RANGES,
            {name: frozenset(v) for name, v in t.items()} or _NO_SETS,
        )

    # ---- arithmetic

    def __add__(self, other: object) -> Resources:
        if not isinstance(other, Resources):
            return NotImplemented
        a, b = self._scalars, other._scalars
        if not b:
            s = a
        elif not a:
            s = b
        else:
            s = dict(a)
            for name, millis in b.items():
                s[name] = s.get(name, 0) + millis
        ra, rb = self._ranges, other._ranges
        if not rb:
            r = ra
        elif not ra:
            r = rb
        else:
            r = dict(ra)
            for name, intervals in rb.items():
                mine = r.get(name)
                r[name] = intervals if mine is None else _ranges_union(mine, intervals)
        ta, tb = self._sets, other._sets
        if not tb:
            t = ta
        elif not ta:
            t = tb
        else:
            t = dict(ta)
            for name, items in tb.items():
                t[name] = t[name] | items if name in t else items
        return _make(s, r, t)

    def __sub__(self, other: object) -> Resources:
        """Saturating difference: scalars stop at zero, ranges/sets lose the overlap."""
        if not isinstance(other, Resources):
            return NotImplemented
        s = self._scalars
        if s and other._scalars:
            s = dict(s)
            for name, millis in other._scalars.items():
                mine = s.get(name)
                if mine is not None:
                    if mine > millis:
                        s[name] = mine - millis
                    else:
                        del s[name]
        r = self._ranges
        if r and other._ranges:
            r = dict(r)
            for name, intervals in other._ranges.items():
                mine_r = r.get(name)
                if mine_r is not None:
                    rest = _ranges_subtract(mine_r, intervals)
                    if rest:
                        r[name] = rest
                    else:
                        del r[name]
        t = self._sets
        if t and other._sets:
            t = dict(t)
            for name, items in other._sets.items():
                mine_t = t.get(name)
                if mine_t is not None:
                    rest_t = mine_t - items
                    if rest_t:
                        t[name] = rest_t
                    else:
                        del t[name]
        return _make(s, r, t)

    def contains(self, other: Resources) -> bool:
        """Whether `other` fits in `self` (Mesos `Resources::contains`)."""
        mine_s = self._scalars
        for name, millis in other._scalars.items():
            if mine_s.get(name, 0) < millis:
                return False
        for name, intervals in other._ranges.items():
            mine_r = self._ranges.get(name)
            if mine_r is None or not _ranges_contain(mine_r, intervals):
                return False
        for name, items in other._sets.items():
            mine_t = self._sets.get(name)
            if mine_t is None or not items <= mine_t:
                return False
        return True

    def overlaps(self, other: Resources) -> bool:
        """Whether some range or set item is in both (Mesos' overlapping-resources check)."""
        for name, intervals in other._ranges.items():
            mine = self._ranges.get(name)
            if mine is not None and _ranges_intersect(mine, intervals):
                return True
        for name, items in other._sets.items():
            mine_t = self._sets.get(name)
            if mine_t is not None and not mine_t.isdisjoint(items):
                return True
        return False

    def allocatable_minus(self, used: Iterable[Resources]) -> Resources:
        """What is left of `self` (an agent's allocatable) after everything in `used`."""
        return self - Resources.sum(used)

    def filter(self, names: Iterable[str]) -> Resources:
        """Only the named resources."""
        keep = frozenset(names)
        return _make(
            {k: v for k, v in self._scalars.items() if k in keep} or _NO_SCALARS,
            {k: v for k, v in self._ranges.items() if k in keep} or _NO_RANGES,
            {k: v for k, v in self._sets.items() if k in keep} or _NO_SETS,
        )

    # ---- inspection

    def is_empty(self) -> bool:
        return not (self._scalars or self._ranges or self._sets)

    def __bool__(self) -> bool:
        return not self.is_empty()

    def scalar(self, name: str) -> float:
        """A scalar in its unit (0.0 when absent)."""
        return self._scalars.get(name, 0) / 1000

    def millis(self, name: str) -> int:
        """A scalar in exact thousandths (0 when absent)."""
        return self._scalars.get(name, 0)

    def ranges(self, name: str) -> Ranges:
        """The normalized intervals of a RANGES resource (() when absent)."""
        return self._ranges.get(name, ())

    def set_items(self, name: str) -> frozenset[str]:
        return self._sets.get(name, frozenset())

    def names(self) -> tuple[str, ...]:
        return (*self._scalars, *self._ranges, *self._sets)

    def scalar_millis(self) -> Mapping[str, int]:
        """All scalars, name -> thousandths (read-only)."""
        return MappingProxyType(self._scalars)

    def range_map(self) -> Mapping[str, Ranges]:
        """All RANGES resources, name -> intervals (read-only)."""
        return MappingProxyType(self._ranges)

    @property
    def cpus(self) -> float:
        return self.scalar("cpus")

    @property
    def mem(self) -> float:
        return self.scalar("mem")

    @property
    def disk(self) -> float:
        return self.scalar("disk")

    @property
    def gpus(self) -> float:
        return self.scalar("gpus")

    def summary(self) -> dict[str, float | str]:
        """The `/master/state` JSON shape: scalars as numbers, ranges and sets as text
        (`{"cpus": 2.0, "mem": 1024.0, "ports": "[31000-32000]"}`)."""
        out: dict[str, float | str] = {name: m / 1000 for name, m in self._scalars.items()}
        out.update((name, format_ranges(r)) for name, r in self._ranges.items())
        out.update((name, format_set(sorted(t))) for name, t in self._sets.items())
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resources):
            return NotImplemented
        return (
            self._scalars == other._scalars
            and self._ranges == other._ranges
            and self._sets == other._sets
        )

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = hash(
                (
                    frozenset(self._scalars.items()),
                    frozenset(self._ranges.items()),
                    frozenset(self._sets.items()),
                )
            )
            self._hash = h
        return h

    # ---- rendering

    def format(self, allocation_role: str | None = None, *, exact: bool = False) -> str:
        """Mesos' `stringify(Resources)`: `cpus:2; mem:1024; ports:[31000-32000]`.

        Scalars print as a C++ `ostream` prints a double (6 significant digits, so
        `mem:1.23457e+06`), unless `exact=True` (all three decimals; `parse` reads
        both). With `allocation_role`, every entry carries `(allocated: <role>)` as in
        the master's messages (the master has injected the allocation into every
        resource by the time it reports, e.g., `Total resources ... is more than
        available ...`). An empty value is `{}`."""
        alloc = "" if allocation_role is None else f"(allocated: {allocation_role})"
        number = _exact_millis if exact else _format_millis
        parts = [f"{name}{alloc}:{number(m)}" for name, m in self._scalars.items()]
        parts.extend(f"{name}{alloc}:{format_ranges(r)}" for name, r in self._ranges.items())
        parts.extend(
            f"{name}{alloc}:{format_set(sorted(items))}" for name, items in self._sets.items()
        )
        return "; ".join(parts) if parts else "{}"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"Resources.parse({self.format(exact=True)!r})" if self else "Resources()"

    def to_proto(
        self,
        *,
        role: str = "*",
        allocation_role: str | None = None,
        pre_refinement: bool = True,
    ) -> list[mesos_pb2.Resource]:
        """Protobuf resources in the formats of the offer the master sends (spec §7.1).

        `pre_refinement=True` (frameworks without RESERVATION_REFINEMENT) sets the
        deprecated `role` field (`"*"` for unreserved resources); otherwise unreserved
        resources carry no role at all and a non-`*` role becomes a STATIC reservation
        in `reservations`. `allocation_info` is only set when `allocation_role` is given
        (MULTI_ROLE frameworks; the master strips it for the others)."""
        out: list[mesos_pb2.Resource] = []
        for name, millis in self._scalars.items():
            res = mesos_pb2.Resource(
                name=name, type=_SCALAR, scalar=mesos_pb2.Value.Scalar(value=millis / 1000)
            )
            out.append(res)
        for name, intervals in self._ranges.items():
            res = mesos_pb2.Resource(name=name, type=_RANGES)
            add = res.ranges.range.add
            for begin, end in intervals:
                add(begin=begin, end=end)
            out.append(res)
        for name, items in self._sets.items():
            out.append(
                mesos_pb2.Resource(
                    name=name, type=_SET, set=mesos_pb2.Value.Set(item=sorted(items))
                )
            )
        for res in out:
            if pre_refinement:
                res.role = role
            elif role != "*":
                res.reservations.add(type=mesos_pb2.Resource.ReservationInfo.STATIC, role=role)
            if allocation_role is not None:
                res.allocation_info.role = allocation_role
        return out

    def to_kubernetes(self) -> dict[str, str]:
        """Container `resources.requests` for these resources.

        `cpus` -> `cpu` in millicores (`"1500m"`); `mem` -> `memory` and `disk` ->
        `ephemeral-storage` as `"<MB>Mi"` when whole, else bytes rounded up;
        `gpus` -> `nvidia.com/gpu` (rounded up). Other scalars, ranges and sets have
        no Kubernetes request and are left out (ports become hostPorts elsewhere)."""
        out: dict[str, str] = {}
        cpus = self._scalars.get("cpus")
        if cpus:
            out["cpu"] = f"{cpus}m"
        for name, k8s in (("mem", "memory"), ("disk", "ephemeral-storage")):
            millis = self._scalars.get(name)
            if millis:
                if millis % 1000 == 0:
                    out[k8s] = f"{millis // 1000}Mi"
                else:
                    out[k8s] = str(-(-millis * MB // 1000))
        gpus = self._scalars.get("gpus")
        if gpus:
            out["nvidia.com/gpu"] = str(-(-gpus // 1000))
        return out


EMPTY: Final = Resources()


def _sum_protos(resources: Iterable[mesos_pb2.Resource]) -> Resources:
    """Sum (already validated) protobuf resources, ignoring their metadata."""
    s: dict[str, int] = {}
    r: dict[str, list[Range]] = {}
    t: dict[str, set[str]] = {}
    for res in resources:
        kind = res.type
        if kind == _SCALAR:
            millis = millis_from_float(res.scalar.value)
            if millis:
                s[res.name] = s.get(res.name, 0) + millis
        elif kind == _RANGES:
            if res.ranges.range:
                r.setdefault(res.name, []).extend((x.begin, x.end) for x in res.ranges.range)
        elif kind == _SET and res.set.item:
            t.setdefault(res.name, set()).update(res.set.item)
    return _make(
        s or _NO_SCALARS,
        {name: normalize_ranges(iv) for name, iv in r.items()} or _NO_RANGES,
        {name: frozenset(v) for name, v in t.items()} or _NO_SETS,
    )


# --------------------------------------------------------------------------- validation


def validate_id(value: str) -> str | None:
    """Mesos `common::validation::validateID` (task, executor, framework, persistence ids)."""
    if not value:
        return "ID must not be empty"
    if len(value.encode()) > 255:
        return "ID must not be greater than 255 characters"
    if value in (".", ".."):
        return f"'{value}' is disallowed"
    if any(c in "/\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return f"'{value}' contains invalid characters"
    return None


def validate_role(role: str) -> str | None:
    """Mesos `roles::validate`: the error text for an invalid role name, else None."""
    if role == "*":
        return None
    if role.startswith("/"):
        return f"Role '{role}' cannot start with a slash"
    if role.endswith("/"):
        return f"Role '{role}' cannot end with a slash"
    if "//" in role:
        return f"Role '{role}' cannot contain two adjacent slashes"
    components = [c for c in role.split("/") if c]
    if not components:
        return "Role names cannot be the empty string"
    for component in components:
        if component in (".", "..", "*"):
            return f"Role '{role}' cannot include '{component}' as a component"
        if component.startswith("-"):
            return f"Role component '{component}' is invalid because it starts with a dash"
        if any(c in "\t\n\v\f\r \x7f" for c in component):
            return (
                f"Role component '{component}' is invalid because it contains "
                "backspace or whitespace"
            )
    return None


def validate_resource(resource: mesos_pb2.Resource) -> str | None:
    """Mesos `Resources::validate(Resource)`: the bare error text, else None.

    mesoshim additions: non-finite scalars are refused (`value is not finite`), and
    ranges must lie within uint64 (guaranteed by the wire format anyway)."""
    if not resource.name:
        return "Empty resource name"
    kind = resource.type
    has_scalar = resource.HasField("scalar")
    has_ranges = resource.HasField("ranges")
    has_set = resource.HasField("set")
    if kind == _SCALAR:
        if not has_scalar or has_ranges or has_set:
            return "Invalid scalar resource"
        value = resource.scalar.value
        if value < 0:
            return "Invalid scalar resource: value < 0"
        if not math.isfinite(value):
            return "Invalid scalar resource: value is not finite"
    elif kind == _RANGES:
        if has_scalar or not has_ranges or has_set:
            return "Invalid ranges resource"
        intervals = sorted((r.begin, r.end) for r in resource.ranges.range)
        for begin, end in intervals:
            if begin > end:
                return "Invalid ranges resource: begin > end"
        # Mesos only catches a later range starting inside an earlier one; checking the
        # sorted list catches every overlap.
        for (_, prev_end), (begin, _) in itertools.pairwise(intervals):
            if begin <= prev_end:
                return "Invalid ranges resource: overlapping ranges"
    elif kind == _SET:
        if has_scalar or has_ranges or not has_set:
            return "Invalid set resource"
        if len(set(resource.set.item)) != len(resource.set.item):
            return "Invalid set resource: duplicated elements"
    else:
        return "Unsupported resource type"

    if resource.HasField("disk"):
        if resource.name != "disk":
            return f"DiskInfo should not be set for {resource.name} resource"
        disk = resource.disk
        if disk.HasField("source"):
            source = disk.source
            if source.type == source.PATH and not source.HasField("path"):
                return "DiskInfo::Source 'type' set to 'PATH' but missing 'path' data"
            if source.type == source.MOUNT and not source.HasField("mount"):
                return "DiskInfo::Source 'type' set to 'MOUNT' but missing 'mount' data"

    if not resource.reservations:
        # The pre-reservation-refinement format.
        error = validate_role(resource.role)
        if error is not None:
            return error
        if resource.HasField("reservation"):
            if resource.reservation.HasField("type"):
                return (
                    "'Resource.ReservationInfo.type' must not be set for"
                    " the 'Resource.reservation' field"
                )
            if resource.reservation.HasField("role"):
                return (
                    "'Resource.ReservationInfo.role' must not be set for"
                    " the 'Resource.reservation' field"
                )
            if resource.role == "*":
                return 'Invalid reservation: role "*" cannot be dynamically reserved'
    else:
        for reservation in resource.reservations:
            error = validate_role(reservation.role)
            if error is not None:
                return error
            if reservation.role == "*":
                return 'Invalid reservation: role "*" cannot be reserved'
        first = resource.reservations[0]
        if (
            len(resource.reservations) == 1
            and resource.HasField("role")
            and resource.role != first.role
        ):
            return (
                f"Invalid resource format: 'Resource.role' field with '{resource.role}'"
                f" does not match the role '{first.role}' in 'Resource.reservations'"
            )

    if resource.HasField("shared"):
        if resource.name != "disk":
            return f"Resource {resource.name} cannot be shared"
        if not resource.HasField("disk") or not resource.disk.HasField("persistence"):
            return "Only persistent volumes can be shared"
    return None


def validate_resources(resources: Iterable[mesos_pb2.Resource]) -> str | None:
    """Mesos `Resources::validate(resources)`: `Resource '<r>' is invalid: <why>`.

    This is the text the master reports when ACCEPT's resource check (spec §3.2
    step 2) fails."""
    for resource in resources:
        error = validate_resource(resource)
        if error is not None:
            return f"Resource '{format_resource(resource)}' is invalid: {error}"
    return None


def gpus_error(total_gpus_millis: int) -> str | None:
    """Mesos `validateGpus`: GPUs must add up to a whole number."""
    if total_gpus_millis % 1000:
        return "The 'gpus' resource must be an unsigned integer"
    return None


def _is_unreserved(resource: mesos_pb2.Resource) -> bool:
    return (
        not resource.reservations and resource.role == "*" and not resource.HasField("reservation")
    )


def _disk_info_error(resources: Iterable[mesos_pb2.Resource]) -> str | None:
    for resource in resources:
        if not resource.HasField("disk"):
            continue
        disk = resource.disk
        if disk.HasField("persistence"):
            if resource.HasField("revocable"):
                return "Persistent volumes cannot be created from revocable resources"
            if _is_unreserved(resource):
                return "Persistent volumes cannot be created from unreserved resources"
            if not disk.HasField("volume"):
                return "Expecting 'volume' to be set for persistent volume"
            if disk.volume.HasField("host_path"):
                return "Expecting 'host_path' to be unset for persistent volume"
            error = validate_id(disk.persistence.id)
            if error is not None:
                return f"Invalid persistence ID for persistent volume: {error}"
        elif disk.HasField("volume"):
            return "Non-persistent volume not supported"
        elif not disk.HasField("source"):
            return "DiskInfo is set but empty"
    return None


def validate_master_resources(resources: Iterable[mesos_pb2.Resource]) -> str | None:
    """Mesos master `resource::validate`: structure, whole GPUs, DiskInfo, reservations.

    Texts: `Invalid resources: Resource '...' is invalid: ...`, `Invalid 'gpus'
    resource: ...`, `Invalid DiskInfo: ...`, `Invalid ReservationInfo: ...`."""
    resources = list(resources)
    error = validate_resources(resources)
    if error is not None:
        return f"Invalid resources: {error}"
    gpus = sum(
        millis_from_float(r.scalar.value)
        for r in resources
        if r.name == "gpus" and r.type == _SCALAR
    )
    error = gpus_error(gpus)
    if error is not None:
        return f"Invalid 'gpus' resource: {error}"
    error = _disk_info_error(resources)
    if error is not None:
        return f"Invalid DiskInfo: {error}"
    for resource in resources:
        dynamic = resource.HasField("reservation") or any(
            r.type == r.DYNAMIC for r in resource.reservations
        )
        if dynamic and resource.HasField("revocable"):
            return (
                f"Invalid ReservationInfo: Dynamically reserved resource "
                f"{format_resource(resource)} cannot be created from revocable resources"
            )
    return None


# --------------------------------------------------------------------------- formatting


def _format_reservation(reservation: mesos_pb2.Resource.ReservationInfo) -> str:
    text = f"{mesos_pb2.Resource.ReservationInfo.Type.Name(reservation.type)},{reservation.role}"
    if reservation.HasField("principal"):
        text += f",{reservation.principal}"
    if reservation.HasField("labels"):
        labels = ", ".join(
            f"{label.key}: {label.value}" if label.HasField("value") else label.key
            for label in reservation.labels.labels
        )
        text += ",{" + labels + "}"
    return text


def resource_prefix(resource: mesos_pb2.Resource, allocation_role: str | None = None) -> str:
    """Everything Mesos prints before a resource's `:value` (name and metadata).

    A pre-refinement resource is shown as the master shows it after upgrading it
    (role `r` -> `reservations: [(STATIC,r)]`, or DYNAMIC with a `reservation`).
    `allocation_role` stands in for a missing `allocation_info` (the master injects
    the offer's allocation into every resource before it validates)."""
    text = resource.name
    if resource.HasField("allocation_info"):
        text += f"(allocated: {resource.allocation_info.role})"
    elif allocation_role is not None:
        text += f"(allocated: {allocation_role})"
    reservations: list[str] = []
    if resource.reservations:
        reservations = [_format_reservation(r) for r in resource.reservations]
    elif resource.role != "*":
        upgraded = mesos_pb2.Resource.ReservationInfo(role=resource.role)
        if resource.HasField("reservation"):
            upgraded.MergeFrom(resource.reservation)
            upgraded.type = upgraded.DYNAMIC
        else:
            upgraded.type = upgraded.STATIC
        reservations = [_format_reservation(upgraded)]
    if reservations:
        text += "(reservations: [" + ",".join(f"({r})" for r in reservations) + "])"
    if resource.HasField("disk"):
        disk = resource.disk
        inner = ""
        if disk.HasField("source"):
            inner += mesos_pb2.Resource.DiskInfo.Source.Type.Name(disk.source.type)
        if disk.HasField("persistence"):
            inner += ("," if disk.HasField("source") else "") + disk.persistence.id
        if disk.HasField("volume"):
            inner += ":" + disk.volume.container_path
        text += f"[{inner}]"
    if resource.HasField("revocable"):
        text += "{REV}"
    if resource.HasField("shared"):
        text += "<SHARED>"
    return text


def format_resource(resource: mesos_pb2.Resource, allocation_role: str | None = None) -> str:
    """One protobuf resource as Mesos prints it: `cpus(allocated: r):0.5`."""
    kind = resource.type
    if kind == _SCALAR:
        value = format_scalar(resource.scalar.value)
    elif kind == _RANGES:
        value = format_ranges((r.begin, r.end) for r in resource.ranges.range)
    elif kind == _SET:
        value = format_set(resource.set.item)
    else:  # TEXT is never a valid resource; Mesos would abort here.
        value = ""
    return f"{resource_prefix(resource, allocation_role)}:{value}"


# --------------------------------------------------------------------------- Kubernetes

_QUANTITY = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?"
)
_SUFFIX: Final[dict[str, Fraction]] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_K8S_NAMES: Final = frozenset({"cpu", "memory", "ephemeral-storage", "nvidia.com/gpu"})


def parse_quantity(value: str | int | float) -> Fraction:
    """A Kubernetes quantity (`"500m"`, `"4Gi"`, `"1e3"`, `2`) as an exact number.

    Raises ValueError for anything that is not a quantity."""
    if isinstance(value, bool):
        raise ValueError(f"quantities must match the regular expression: {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"quantity is not finite: {value!r}")
        return Fraction(repr(value))
    match = _QUANTITY.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"quantities must match the regular expression: {value!r}")
    number, suffix = match.group(1), match.group(2) or ""
    base = Fraction(number)
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return base * Fraction(10) ** int(suffix[1:])
    return base * _SUFFIX[suffix]


def _round(value: Fraction, round_up: bool) -> int:
    if value <= 0:
        return 0
    return math.ceil(value) if round_up else math.floor(value)


def _from_quantities(
    quantities: Mapping[str, Fraction], ports: Iterable[Range], *, round_up: bool
) -> Resources:
    s: dict[str, int] = {}
    cpu = quantities.get("cpu")
    if cpu is not None:
        s["cpus"] = _round(cpu * 1000, round_up)
    gpu = quantities.get("nvidia.com/gpu")
    if gpu is not None:
        s["gpus"] = _round(gpu, round_up) * 1000
    memory = quantities.get("memory")
    if memory is not None:
        s["mem"] = _round(memory / MB, round_up) * 1000
    storage = quantities.get("ephemeral-storage")
    if storage is not None:
        s["disk"] = _round(storage / MB, round_up) * 1000
    s = {name: millis for name, millis in s.items() if millis}
    intervals = normalize_ranges(ports)
    return _make(s or _NO_SCALARS, {"ports": intervals} if intervals else _NO_RANGES, _NO_SETS)


def _container_requests(container: Mapping[str, Any]) -> dict[str, Fraction]:
    """A container's requests; a resource with only a limit requests its limit."""
    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    out = {name: parse_quantity(q) for name, q in requests.items() if name in _K8S_NAMES}
    for name, q in limits.items():
        if name in _K8S_NAMES and name not in out:
            out[name] = parse_quantity(q)
    return out


def _add_into(total: dict[str, Fraction], more: Mapping[str, Fraction]) -> None:
    for name, q in more.items():
        total[name] = total.get(name, Fraction(0)) + q


def _max_into(total: dict[str, Fraction], other: Mapping[str, Fraction]) -> None:
    for name, q in other.items():
        if q > total.get(name, Fraction(0)):
            total[name] = q


def _host_ports(container: Mapping[str, Any], host_network: bool) -> list[Range]:
    out: list[Range] = []
    for port in container.get("ports") or ():
        host_port = port.get("hostPort")
        if host_port is None and host_network:
            host_port = port.get("containerPort")
        if host_port:
            out.append((int(host_port), int(host_port)))
    return out


def pod_requests(pod: Mapping[str, Any]) -> Resources:
    """A pod's effective request as the kube scheduler counts it, as Mesos resources.

    max(sum of the app containers + restartable (sidecar) init containers, each init
    container plus the sidecars started before it), pod-level `spec.resources`
    overriding the container sum where set, plus `spec.overhead`. A request missing
    but limited defaults to the limit. Sub-unit remainders round *up* (whole MB).
    `ports` are the hostPorts of the app and sidecar containers (a hostNetwork pod's
    containerPorts). The caller decides which pods count (terminal ones do not)."""
    spec = pod.get("spec") or {}
    total: dict[str, Fraction] = {}
    host_network = bool(spec.get("hostNetwork"))
    ports: list[Range] = []
    for container in spec.get("containers") or ():
        _add_into(total, _container_requests(container))
        ports.extend(_host_ports(container, host_network))
    sidecars: dict[str, Fraction] = {}
    init_peak: dict[str, Fraction] = {}
    for container in spec.get("initContainers") or ():
        requests = _container_requests(container)
        if container.get("restartPolicy") == "Always":
            _add_into(sidecars, requests)
            candidate = dict(sidecars)
            ports.extend(_host_ports(container, host_network))
        else:
            candidate = dict(sidecars)
            _add_into(candidate, requests)
        _max_into(init_peak, candidate)
    _add_into(total, sidecars)
    _max_into(total, init_peak)
    pod_level = spec.get("resources")
    if pod_level:
        total.update(_container_requests({"resources": pod_level}))
    overhead = spec.get("overhead") or {}
    _add_into(total, {n: parse_quantity(q) for n, q in overhead.items() if n in _K8S_NAMES})
    return _from_quantities(total, ports, round_up=True)
