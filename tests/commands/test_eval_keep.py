"""`policy eval` run from the shell (``cli.main``) loads its policy to keep
it until the process ends (``load_policy(keep=True)``: out of the garbage
collector's way, issue 21); run in a process that goes on (the click
command in a test, ``quickeval.run`` called by other code) it does not."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

import cli
from commands import quickeval
from interpreter import loader
from tests.helpers import ROOT

EXAMPLE = str(ROOT / "examples" / "vocational_training_intermediate.json")


@pytest.fixture
def kept(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path / "cache"))
    seen: list[bool] = []
    load = loader.load_policy

    def spy(*args, keep=False, **kwargs):
        seen.append(keep)
        return load(*args, **kwargs)  # not frozen here: the test process goes on

    monkeypatch.setattr(loader, "load_policy", spy)
    return seen


def test_the_command_from_the_shell_keeps_its_policy(kept, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["policy", "eval", EXAMPLE])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 0
    assert "1,500.00" in capsys.readouterr().out
    assert kept == [True]


def test_in_a_process_that_goes_on_it_does_not(kept, capsys):
    assert quickeval.run([EXAMPLE]) == 0
    r = CliRunner().invoke(cli.cli, ["eval", EXAMPLE, "--as-of", "2020-06-10"])
    assert r.exit_code == 0, r.output
    assert kept == [False, False]
