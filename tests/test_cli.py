"""The command lines start and document every flag they take."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from kubesim.cli import build_parser as kubesim_parser
from mesoshim.cli import build_parser as mesoshim_parser


def parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    top = mesoshim_parser()
    found = [("kubesim", kubesim_parser()), ("mesoshim", top)]
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.extend((f"mesoshim {name}", sub) for name, sub in action.choices.items())
    return found


@pytest.mark.parametrize(("name", "parser"), parsers(), ids=[name for name, _ in parsers()])
def test_every_flag_has_help(name: str, parser: argparse.ArgumentParser) -> None:
    undocumented = [action.option_strings for action in parser._actions
                    if action.option_strings and not action.help]
    assert undocumented == [], f"{name}: flags without help: {undocumented}"


@pytest.mark.parametrize("argv", [["-m", "mesoshim", "--help"], ["-m", "mesoshim", "local", "--help"],
                                  ["-m", "mesoshim", "serve", "--help"], ["-m", "kubesim", "--help"]])
def test_help_runs(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_a_bad_port_range_is_refused_with_a_clear_message() -> None:
    result = subprocess.run([sys.executable, "-m", "mesoshim", "local", "--port-range", "9-1"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "0 < LOW <= HIGH < 65536" in result.stderr
