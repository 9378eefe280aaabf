"""Kubernetes resource quantities ("500m", "1Gi", "2") as exact numbers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
            "P": Decimal(10**15), "E": Decimal(10**18)}


def parse_quantity(value: object) -> Decimal:
    """Parse a quantity; raises ValueError naming the bad value."""
    if isinstance(value, bool):
        raise ValueError(f"quantities must match the regular expression: {value!r}")
    if isinstance(value, int | float):
        return Decimal(str(value))
    return _parse_text(str(value))


@lru_cache(maxsize=4096)
def _parse_text(value: str) -> Decimal:
    """Quantities repeat (every pod of a workload asks for the same "100m"): parse each once."""
    text = value.strip()
    for suffix, factor in _BINARY.items():
        if text.endswith(suffix):
            return _number(text[: -len(suffix)], value) * factor
    # A decimal exponent form such as "1e3" or "12E6".
    if any(c in text for c in "eE") and text[-1:].isdigit():
        return _number(text, value)
    suffix = text[-1:] if text[-1:] in _DECIMAL and not text[-1:].isdigit() else ""
    return _number(text[: len(text) - len(suffix)], value) * _DECIMAL[suffix]


def _number(text: str, original: object) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"quantities must match the regular expression "
                         f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {original!r}") from None
    if not number.is_finite():
        raise ValueError(f"quantity is not finite: {original!r}")
    return number


def cpu_millis(value: object) -> int:
    return int((parse_quantity(value) * 1000).to_integral_value(rounding="ROUND_CEILING"))


def as_int(value: object) -> int:
    """Bytes, counts: rounded up as Kubernetes does for integer resources."""
    return int(parse_quantity(value).to_integral_value(rounding="ROUND_CEILING"))
