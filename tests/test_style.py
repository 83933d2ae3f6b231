"""ruff's lint and format check pass over the whole tree, and mypy over the
shipped code (the rules are in pyproject.toml [tool.ruff] and [tool.mypy];
.ci/run runs the same commands)."""

import subprocess
import sys

import pytest

from tests.helpers import ROOT


@pytest.mark.parametrize(
    "args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"]
)
def test_ruff(args):
    r = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize(
    "args",
    [[], ["--strict", "-p", "dsl"]],
    ids=["tree", "language-strict"],
)
def test_mypy(args):
    # the files and the strictness per room are in pyproject.toml [tool.mypy];
    # the language is also checked with --strict itself, so that a check a
    # later mypy adds to --strict cannot pass unseen
    r = subprocess.run(
        [sys.executable, "-m", "mypy", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success: no issues found" in r.stdout
