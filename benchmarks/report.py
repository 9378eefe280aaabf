"""Figures, targets and the printed table shared by the benchmark scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Figure:
    section: str
    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None

    def render_value(self) -> str:
        v = self.value
        if v != v:  # NaN
            return "n/a"
        if self.unit in ("/s", "MB"):
            return f"{v:,.0f} {self.unit}"
        if self.unit == "ms":
            return f"{v:,.2f} ms" if v < 100 else f"{v:,.0f} ms"
        if self.unit == "s":
            return f"{v:,.2f} s"
        if self.unit == "x":
            return f"{v:,.2f}x"
        if self.unit == "%":
            return f"{v:,.0f}%"
        return f"{v:,.0f} {self.unit}".rstrip()


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, name: str, value: float, unit: str, *, target: str = "",
            ok: bool | None = None) -> None:
        fig = Figure(section, name, value, unit, target, ok)
        self.figures.append(fig)
        mark = "" if ok is None else ("  [target met]" if ok else "  [TARGET MISSED]")
        print(f"  {section:<8} {name:<52} {fig.render_value():>14}{mark}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def table(self) -> str:
        lines = [f"{'section':<8}  {'figure':<52}  {'value':>14}  target",
                 f"{'-' * 8}  {'-' * 52}  {'-' * 14}  {'-' * 14}"]
        for f in self.figures:
            status = "" if f.ok is None else (" ok" if f.ok else " MISSED")
            lines.append(f"{f.section:<8}  {f.name:<52}  {f.render_value():>14}  {f.target}{status}")
        return "\n".join(lines)

    def print_summary(self, mode: str, seconds: float, json_path: str | None) -> None:
        """The closing table and notes of a `mode` ("quick" or "full") run; with `json_path`,
        the figures and notes are written there as JSON too."""
        print(f"\nSummary ({mode} run, {seconds:.0f} s)\n")
        print(self.table())
        for text in self.notes:
            print(f"note: {text}")
        if json_path:
            Path(json_path).write_text(json.dumps({
                "mode": mode,
                "figures": [f.__dict__ for f in self.figures], "notes": self.notes}, indent=2))


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def mb(n: float) -> float:
    return n / (1024 * 1024)
