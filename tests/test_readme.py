"""The README's two commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the Quick start section has no sh block"
    return [line for line in block[1].splitlines() if line and not line.startswith("#")]


def test_the_readme_gives_exactly_two_commands_demo_then_tests() -> None:
    demo, tests = _quick_start_commands()
    assert demo.endswith("trialwire demo")
    assert tests.endswith("pytest")


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    _, tests = _quick_start_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci
