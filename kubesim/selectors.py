"""Label and field selectors, as list and watch requests carry them.

Both kinds are parsed once per request into an immutable selector whose
requirements are precompiled into small closures, so `matches()` does no
parsing, no regex and no allocation per object; lists and watches call it for
every object of a type (up to 150,000 pods).

Label selectors follow the string grammar of kubernetes.io "Labels and
Selectors": ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``,
``k`` (exists), ``!k`` (does not exist), ``,`` for AND, whitespace between
tokens ignored, and the empty string selecting everything. ``!=`` and
``notin`` also match objects without the key. Like kube-apiserver, the parser
also takes ``k>N`` and ``k<N`` (the label's value read as an integer). The
structured `metav1.LabelSelector` form is read by `label_selector_from_dict`.

Field selectors are ``field=value``, ``field==value`` and ``field!=value``
terms joined by commas. A value may be empty, and ``\\,``, ``\\=`` and
``\\\\`` escape a comma, an equals sign and a backslash inside it. Only the
fields kube-apiserver supports for each resource are accepted; any other
field is a 400 ``field label not supported: <field>``. A missing field reads
as "" (as "false" for boolean fields).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, TypeVar

from kubesim.errors import ApiError, bad_request

__all__ = [
    "COMMON_FIELDS",
    "SUPPORTED_FIELDS",
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "Operator",
    "Requirement",
    "escape_field_value",
    "field_value",
    "label_selector_from_dict",
    "parse_field_selector",
    "parse_label_selector",
    "supported_fields",
]

Labels = Mapping[str, str]
_LabelCheck = Callable[[Labels], bool]
_ObjCheck = Callable[[Mapping[str, Any]], bool]
_Getter = Callable[[Mapping[str, Any]], str]

_NO_LABELS: Final[Labels] = MappingProxyType({})

_T = TypeVar("_T")


# ---------------------------------------------------------------------------
# Label selectors: requirements
# ---------------------------------------------------------------------------


class Operator(StrEnum):
    """A label requirement's operator; the value is how the string form spells it."""

    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_SINGLE_VALUE_OPS: Final = frozenset(
    {Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS,
     Operator.GREATER_THAN, Operator.LESS_THAN}
)
_SET_OPS: Final = frozenset({Operator.IN, Operator.NOT_IN})
_EXISTENCE_OPS: Final = frozenset({Operator.EXISTS, Operator.DOES_NOT_EXIST})


@dataclass(frozen=True, slots=True)
class Requirement:
    """One validated term of a label selector.

    `values` holds one value for the single-value operators, the sorted,
    de-duplicated set for ``in``/``notin``, and nothing for exists/!exists.
    Build requirements with the parse functions, which validate them.
    """

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        op, key, vals = self.operator, self.key, self.values
        if op is Operator.EXISTS:
            return key
        if op is Operator.DOES_NOT_EXIST:
            return f"!{key}"
        if op in _SET_OPS:
            # "()" would be the empty set; the set holding only "" is written "(,)".
            listed = "," if vals == ("",) else ",".join(vals)
            return f"{key} {op.value} ({listed})"
        if op is Operator.GREATER_THAN:
            return f"{key}>{vals[0]}"
        if op is Operator.LESS_THAN:
            return f"{key}<{vals[0]}"
        return f"{key}{op.value}{vals[0]}"


class _Invalid(Exception):
    """A key or value failed validation (reported as "unable to parse requirement")."""


class _Syntax(Exception):
    """The selector string does not follow the grammar."""


# Validation runs at parse time only; matching never touches a regex.
_NAME_RE: Final = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS_LABEL_RE: Final = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")

_NAME_CHARSET_MSG: Final = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc')"
)
_QUALIFIED_MSG: Final = (
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
    "'123-abc') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
)
_PREFIX_MSG: Final = (
    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric character "
    "(e.g. 'example.com')"
)
_VALUE_MSG: Final = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345')"
)


def _key_problem(key: str) -> str | None:
    """Why `key` is not a valid label key (qualified name), or None."""
    parts = key.split("/")
    if len(parts) > 2:
        return _QUALIFIED_MSG
    if len(parts) == 2:
        prefix, name = parts
        if not prefix:
            return "prefix part must be non-empty"
        if len(prefix) > 253:
            return "prefix part must be no more than 253 characters"
        if not all(_DNS_LABEL_RE.fullmatch(label) for label in prefix.split(".")):
            return _PREFIX_MSG
    else:
        name = key
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _NAME_RE.fullmatch(name):
        return _NAME_CHARSET_MSG
    return None


def _value_problem(value: str) -> str | None:
    """Why `value` is not a valid label value, or None."""
    if len(value) > 63:
        return "must be no more than 63 characters"
    if value and not _NAME_RE.fullmatch(value):
        return _VALUE_MSG
    return None


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise _Invalid(f"key: Invalid value: {key!r}: label keys must be strings")
    problem = _key_problem(key)
    if problem is not None:
        raise _Invalid(f'key: Invalid value: "{key}": {problem}')
    return key


def _parse_int64(text: str) -> int | None:
    """`text` as a base-10 int64 (optional sign, ASCII digits only), or None."""
    digits = text[1:] if text[:1] in ("-", "+") else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    number = int(text)
    if not -(2**63) <= number < 2**63:
        return None
    return number


def _new_requirement(key: object, op: Operator, values: Sequence[object]) -> Requirement:
    """Validate and build a requirement (the one place requirements are made)."""
    key = _check_key(key)
    if op in _SET_OPS and not values:
        raise _Invalid("values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty")
    if op in _SINGLE_VALUE_OPS and len(values) != 1:
        raise _Invalid(f"values: Invalid value: {list(values)!r}: exactly one value is required for '{op.value}'")
    if op in _EXISTENCE_OPS and values:
        raise _Invalid(
            f"values: Invalid value: {list(values)!r}: values set must be empty for exists and does not exist"
        )
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise _Invalid(f"values[{i}]: Invalid value: {value!r}: label values must be strings")
        problem = _value_problem(value)
        if problem is not None:
            raise _Invalid(f'values[{i}]: Invalid value: "{value}": {problem}')
    if op in (Operator.GREATER_THAN, Operator.LESS_THAN) and _parse_int64(str(values[0])) is None:
        raise _Invalid(
            f"values[0]: Invalid value: \"{values[0]}\": for 'gt', 'lt' operators, the value must be an integer"
        )
    strs = tuple(str(v) for v in values)
    if op in _SET_OPS:
        strs = tuple(sorted(set(strs)))
    return Requirement(key, op, strs)


def _compile_requirement(req: Requirement) -> _LabelCheck:
    key, op, values = req.key, req.operator, req.values
    if op is Operator.EXISTS:
        return lambda labels: key in labels
    if op is Operator.DOES_NOT_EXIST:
        return lambda labels: key not in labels
    if op is Operator.GREATER_THAN or op is Operator.LESS_THAN:
        bound = int(values[0])
        greater = op is Operator.GREATER_THAN

        def compare(labels: Labels) -> bool:
            raw = labels.get(key)
            number = _parse_int64(raw) if isinstance(raw, str) else None
            if number is None:
                return False
            return number > bound if greater else number < bound

        return compare
    positive = op not in (Operator.NOT_EQUALS, Operator.NOT_IN)
    if len(values) == 1:
        value = values[0]
        if positive:
            return lambda labels: labels.get(key) == value
        return lambda labels: labels.get(key) != value
    members = frozenset(values)
    if positive:
        return lambda labels: labels.get(key) in members
    return lambda labels: labels.get(key) not in members


def _never(labels: Labels) -> bool:
    return False


def _all_of(checks: Sequence[Callable[[_T], bool]]) -> Callable[[_T], bool]:
    """One predicate that is the AND of `checks` (no per-call loop for up to three)."""
    if not checks:
        return lambda item: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda item: first(item) and second(item)
    if len(checks) == 3:
        first, second, third = checks
        return lambda item: first(item) and second(item) and third(item)
    frozen = tuple(checks)
    return lambda item: all(check(item) for check in frozen)


class LabelSelector:
    """An AND of label requirements; `LabelSelector()` selects everything.

    `str()` renders the selector in the string grammar (parseable again),
    except for the select-nothing selector, which renders as ``<none>``.
    """

    __slots__ = ("_exact", "_match", "_nothing", "requirements")

    def __init__(self, requirements: Iterable[Requirement] = (), *, nothing: bool = False) -> None:
        self.requirements: tuple[Requirement, ...] = tuple(requirements)
        self._nothing = nothing
        self._match: _LabelCheck = (
            _never if nothing else _all_of([_compile_requirement(r) for r in self.requirements])
        )
        exact: dict[str, str] = {}
        for r in self.requirements:
            single = r.operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS) or (
                r.operator is Operator.IN and len(r.values) == 1
            )
            if single:
                exact.setdefault(r.key, r.values[0])
        self._exact = exact

    @classmethod
    def nothing(cls) -> LabelSelector:
        """The selector that matches no object (a null structured selector)."""
        return cls(nothing=True)

    @property
    def empty(self) -> bool:
        """True when the selector selects every object."""
        return not self.requirements and not self._nothing

    def matches(self, labels: Labels | None) -> bool:
        return self._match(_NO_LABELS if labels is None else labels)

    def exact_value(self, key: str) -> str | None:
        """The value `key` must have (from ``key=v``, ``key==v`` or ``key in (v)``), or None.

        With several such requirements on one key, the first one's value; the
        caller still filters with `matches()`.
        """
        return self._exact.get(key)

    def __str__(self) -> str:
        if self._nothing:
            return "<none>"
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"LabelSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelSelector):
            return NotImplemented
        return (self.requirements, self._nothing) == (other.requirements, other._nothing)

    def __hash__(self) -> int:
        return hash((self.requirements, self._nothing))


# ---------------------------------------------------------------------------
# Label selectors: the string grammar
# ---------------------------------------------------------------------------

_IDENT: Final = "identifier"
_END: Final = "end"
_SPECIAL: Final = frozenset("=!(),<>")
_WHITESPACE: Final = frozenset(" \t\r\n")
_TWO_CHAR_TOKENS: Final = frozenset({"!=", "=="})
_OPERATOR_WORDS: Final[Mapping[str, Operator]] = MappingProxyType({
    "=": Operator.EQUALS,
    "==": Operator.DOUBLE_EQUALS,
    "!=": Operator.NOT_EQUALS,
    "in": Operator.IN,
    "notin": Operator.NOT_IN,
    ">": Operator.GREATER_THAN,
    "<": Operator.LESS_THAN,
})


def _tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, literal) pairs; kind is _IDENT, _END or the symbol itself.

    An identifier is any run of characters that are neither whitespace nor one
    of ``=!(),<>``; ``in``/``notin`` are told apart by the parser, since they
    are keywords only where an operator is expected.
    """
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
        elif ch in _SPECIAL:
            pair = text[i:i + 2]
            symbol = pair if pair in _TWO_CHAR_TOKENS else ch
            tokens.append((symbol, symbol))
            i += len(symbol)
        else:
            j = i + 1
            while j < n and text[j] not in _SPECIAL and text[j] not in _WHITESPACE:
                j += 1
            tokens.append((_IDENT, text[i:j]))
            i = j
    tokens.append((_END, ""))
    return tokens


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos]

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        if token[0] != _END:
            self.pos += 1
        return token

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        if self.peek()[0] == _END:
            return requirements
        while True:
            kind, lit = self.peek()
            if kind not in (_IDENT, "!"):
                raise _Syntax(f"found '{lit}', expected: !, identifier, or 'end of string'")
            requirements.append(self.requirement())
            kind, lit = self.take()
            if kind == _END:
                return requirements
            if kind != ",":
                raise _Syntax(f"found '{lit}', expected: ',' or 'end of string'")
            kind, lit = self.peek()
            if kind in (_END, ","):
                raise _Syntax(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        kind, key = self.take()
        if kind == "!":
            kind, key = self.take()
            if kind != _IDENT:
                raise _Syntax(f"unable to parse requirement: found '{key}', expected: identifier after '!'")
            return _new_requirement(key, Operator.DOES_NOT_EXIST, ())
        _check_key(key)
        kind, lit = self.peek()
        if kind in (_END, ","):
            return _new_requirement(key, Operator.EXISTS, ())
        self.take()
        op = _OPERATOR_WORDS.get(lit)
        if op is None:
            raise _Syntax(f"unable to parse requirement: found '{lit}', expected: in, notin, =, ==, !=, gt, lt")
        values = self.value_set() if op in _SET_OPS else [self.exact_value()]
        return _new_requirement(key, op, values)

    def exact_value(self) -> str:
        kind, lit = self.peek()
        if kind in (_END, ","):
            return ""  # `k=` requires the empty value
        self.take()
        if kind != _IDENT:
            raise _Syntax(f"unable to parse requirement: found '{lit}', expected: identifier")
        return lit

    def value_set(self) -> list[str]:
        """``( [v] {, [v]} )``; an empty position is the empty value, ``()`` is no values."""
        kind, lit = self.take()
        if kind != "(":
            raise _Syntax(f"unable to parse requirement: found '{lit}', expected: '('")
        values: list[str] = []
        if self.peek()[0] == ")":
            self.take()
            return values
        while True:
            kind, lit = self.peek()
            if kind == _IDENT:
                self.take()
                values.append(lit)
            elif kind in (",", ")"):
                values.append("")
            else:
                raise _Syntax(f"unable to parse requirement: found '{lit}', expected: ',', or identifier")
            kind, lit = self.take()
            if kind == ")":
                return values
            if kind != ",":
                raise _Syntax(f"unable to parse requirement: found '{lit}', expected: ',' or ')'")


def parse_label_selector(text: str) -> LabelSelector:
    """Parse the ``labelSelector`` query parameter; raises a 400 BadRequest ApiError."""
    try:
        requirements = _LabelParser(text).parse()
    except _Invalid as exc:
        raise bad_request(f"unable to parse requirement: {exc}") from None
    except _Syntax as exc:
        raise bad_request(f'couldn\'t parse the selector string "{text}": {exc}') from None
    return LabelSelector(requirements)


_STRUCTURED_OPS: Final[Mapping[str, Operator]] = MappingProxyType({
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
})


def label_selector_from_dict(sel: Mapping[str, Any] | None) -> LabelSelector:
    """Read a structured ``{matchLabels, matchExpressions}`` selector.

    An empty selector selects everything; ``None`` (a null selector) selects
    nothing, as in Kubernetes. Invalid input raises a 400 BadRequest ApiError.
    """
    if sel is None:
        return LabelSelector.nothing()
    if not isinstance(sel, Mapping):
        raise bad_request("label selector must be an object")
    requirements: list[Requirement] = []
    try:
        match_labels = sel.get("matchLabels") or {}
        if not isinstance(match_labels, Mapping):
            raise _Invalid("matchLabels: must be an object")
        for key, value in match_labels.items():
            requirements.append(_new_requirement(key, Operator.EQUALS, [value]))
        expressions = sel.get("matchExpressions") or []
        if not isinstance(expressions, list):
            raise _Invalid("matchExpressions: must be a list")
        for expr in expressions:
            if not isinstance(expr, Mapping):
                raise _Invalid("matchExpressions: each entry must be an object")
            name = expr.get("operator")
            op = _STRUCTURED_OPS.get(name) if isinstance(name, str) else None
            if op is None:
                raise _Invalid(f'"{name}" is not a valid label selector operator')
            values = expr.get("values") or []
            if not isinstance(values, list):
                raise _Invalid("values: must be a list")
            requirements.append(_new_requirement(expr.get("key"), op, values))
    except _Invalid as exc:
        raise bad_request(str(exc)) from None
    return LabelSelector(requirements)


# ---------------------------------------------------------------------------
# Field selectors
# ---------------------------------------------------------------------------


def _render(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _path_getter(path: str, default: str = "") -> _Getter:
    """A getter for a dotted path into a JSON object; missing or null reads as `default`."""
    parts = tuple(path.split("."))
    if len(parts) == 1:
        (a,) = parts

        def get1(obj: Mapping[str, Any]) -> str:
            value = obj.get(a)
            if type(value) is str:
                return value
            return default if value is None else _render(value)

        return get1
    if len(parts) == 2:
        a, b = parts

        def get2(obj: Mapping[str, Any]) -> str:
            outer = obj.get(a)
            if not isinstance(outer, dict):
                return default
            value = outer.get(b)
            if type(value) is str:
                return value
            return default if value is None else _render(value)

        return get2

    def get_n(obj: Mapping[str, Any]) -> str:
        value: Any = obj
        for part in parts:
            if not isinstance(value, dict):
                return default
            value = value.get(part)
        return default if value is None else _render(value)

    return get_n


def _pod_ip(obj: Mapping[str, Any]) -> str:
    status = obj.get("status")
    if not isinstance(status, dict):
        return ""
    ip = status.get("podIP")
    if ip:
        return _render(ip)
    ips = status.get("podIPs")
    if isinstance(ips, list) and ips and isinstance(ips[0], dict):
        return _render(ips[0].get("ip"))
    return ""


_COMMON_GETTERS: Final[dict[str, _Getter]] = {
    "metadata.name": _path_getter("metadata.name"),
    "metadata.namespace": _path_getter("metadata.namespace"),
}

_EXTRA_GETTERS: Final[dict[str, dict[str, _Getter]]] = {
    "pods": {
        "spec.nodeName": _path_getter("spec.nodeName"),
        "spec.schedulerName": _path_getter("spec.schedulerName"),
        "spec.restartPolicy": _path_getter("spec.restartPolicy"),
        "spec.serviceAccountName": _path_getter("spec.serviceAccountName"),
        "spec.hostNetwork": _path_getter("spec.hostNetwork", "false"),
        "status.phase": _path_getter("status.phase"),
        "status.podIP": _pod_ip,
        "status.nominatedNodeName": _path_getter("status.nominatedNodeName"),
    },
    "nodes": {
        "spec.unschedulable": _path_getter("spec.unschedulable", "false"),
    },
    "events": {
        **{
            f"involvedObject.{name}": _path_getter(f"involvedObject.{name}")
            for name in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
        },
        "reason": _path_getter("reason"),
        "reportingComponent": _path_getter("reportingComponent"),
        "source": _path_getter("source.component"),
        "type": _path_getter("type"),
    },
    "namespaces": {
        "status.phase": _path_getter("status.phase"),
    },
}

_GETTERS: Final[Mapping[str, Mapping[str, _Getter]]] = MappingProxyType({
    resource: MappingProxyType({**_COMMON_GETTERS, **extra})
    for resource, extra in _EXTRA_GETTERS.items()
})
_COMMON_ONLY: Final[Mapping[str, _Getter]] = MappingProxyType(_COMMON_GETTERS)

COMMON_FIELDS: Final[frozenset[str]] = frozenset(_COMMON_GETTERS)
"""The fields every resource supports."""

SUPPORTED_FIELDS: Final[Mapping[str, frozenset[str]]] = MappingProxyType({
    resource: frozenset(getters) for resource, getters in _GETTERS.items()
})
"""Field-selector fields per plural resource name; a resource not listed supports COMMON_FIELDS."""


def supported_fields(resource: str) -> frozenset[str]:
    return SUPPORTED_FIELDS.get(resource, COMMON_FIELDS)


def _unsupported(field: str) -> ApiError:
    return bad_request(f"field label not supported: {field}")


def _getter(resource: str, field: str) -> _Getter:
    getter = _GETTERS.get(resource, _COMMON_ONLY).get(field)
    if getter is None:
        raise _unsupported(field)
    return getter


def field_value(resource: str, obj: Mapping[str, Any], field: str) -> str:
    """The string a field selector compares for `field` of `obj` (400 if unsupported)."""
    return _getter(resource, field)(obj)


def escape_field_value(value: str) -> str:
    """Escape ``\\``, ``,`` and ``=`` so `value` can be written in a field selector."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    """``field <operator> value``; operator is "=", "==" or "!=", value unescaped."""

    field: str
    operator: str
    value: str

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{escape_field_value(self.value)}"


def _compile_field(getter: _Getter, operator: str, value: str) -> _ObjCheck:
    if operator == "!=":
        return lambda obj: getter(obj) != value
    return lambda obj: getter(obj) == value


class FieldSelector:
    """An AND of field requirements for one resource; `FieldSelector(resource)` selects everything."""

    __slots__ = ("_exact", "_match", "requirements", "resource")

    def __init__(self, resource: str, requirements: Iterable[FieldRequirement] = ()) -> None:
        self.resource = resource
        self.requirements: tuple[FieldRequirement, ...] = tuple(requirements)
        self._match: _ObjCheck = _all_of(
            [_compile_field(_getter(resource, r.field), r.operator, r.value) for r in self.requirements]
        )
        exact: dict[str, str] = {}
        for r in self.requirements:
            if r.operator != "!=":
                exact.setdefault(r.field, r.value)
        self._exact = exact

    @property
    def empty(self) -> bool:
        """True when the selector selects every object."""
        return not self.requirements

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return self._match(obj)

    def exact_value(self, field: str) -> str | None:
        """The value `field` must equal (``field=v`` / ``field==v``), or None.

        "" is a real answer: ``spec.nodeName=`` selects unscheduled pods.
        """
        return self._exact.get(field)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"FieldSelector({self.resource!r}, {str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSelector):
            return NotImplemented
        return (self.resource, self.requirements) == (other.resource, other.requirements)

    def __hash__(self) -> int:
        return hash((self.resource, self.requirements))


def _split_terms(text: str) -> list[str]:
    """Split on commas not escaped by a backslash; escapes stay in the terms."""
    terms: list[str] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == ",":
            terms.append(text[start:i])
            start = i + 1
        i += 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """(field, operator, raw value) at the first operator in `term`, or None."""
    for i, ch in enumerate(term):
        if ch == "!" and term.startswith("!=", i):
            return term[:i], "!=", term[i + 2:]
        if ch == "=":
            if term.startswith("==", i):
                return term[:i], "==", term[i + 2:]
            return term[:i], "=", term[i + 1:]
    return None


def _unescape(raw: str) -> str:
    if "\\" not in raw and "," not in raw and "=" not in raw:
        return raw
    out: list[str] = []
    escaped = False
    for ch in raw:
        if escaped:
            if ch not in "\\,=":
                raise bad_request(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            raise bad_request(f"invalid field selector: unescaped character in value: '{ch}'")
        else:
            out.append(ch)
    if escaped:
        raise bad_request("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def parse_field_selector(text: str, resource: str) -> FieldSelector:
    """Parse the ``fieldSelector`` query parameter for `resource` (a plural name).

    Raises a 400 BadRequest ApiError for a malformed term or value and, once
    the whole string has parsed, for a field `resource` does not support.
    Empty terms (``a=b,,c=d``) are skipped; no whitespace is trimmed, as in
    kube-apiserver.
    """
    requirements: list[FieldRequirement] = []
    for term in _split_terms(text):
        if not term:
            continue
        split = _split_term(term)
        if split is None:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        field, operator, raw = split
        requirements.append(FieldRequirement(field, operator, _unescape(raw)))
    return FieldSelector(resource, requirements)
