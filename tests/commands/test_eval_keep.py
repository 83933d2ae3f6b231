"""`policy eval` run from the shell (``cli.main``) decides one case and
ends: it loads its policy to keep it until then (``load_policy(keep=True)``:
out of the garbage collector's way, issue 21) and runs with the collector
off (on again afterwards); run in a process that goes on (the click command
in a test, ``quickeval.run`` called by other code) it does neither."""

from __future__ import annotations

import gc
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
    collecting = []
    run = quickeval.run

    def noting(args, keep=False):
        collecting.append(gc.isenabled())
        return run(args, keep=keep)

    monkeypatch.setattr(quickeval, "run", noting)
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert collecting == [False]  # one case, then the process ends: no collection
    assert gc.isenabled()  # on again (for a caller in a process that goes on)
    assert info.value.code == 0
    assert "1,500.00" in capsys.readouterr().out
    assert kept == [True]


def test_an_eval_click_reads_collects_as_any_command(kept, monkeypatch):
    # --help is not a plain `policy eval`: click reads it, the collector on
    monkeypatch.setattr(sys, "argv", ["policy", "eval", "--help"])
    on = []
    from commands import group

    def cli_spy(**kwargs):
        on.append(gc.isenabled())
        raise SystemExit(0)

    monkeypatch.setattr(group, "cli", cli_spy)
    with pytest.raises(SystemExit):
        cli.main()
    assert on == [True]
    assert gc.isenabled()


def test_in_a_process_that_goes_on_it_does_not(kept, capsys):
    assert quickeval.run([EXAMPLE]) == 0
    r = CliRunner().invoke(cli.cli, ["eval", EXAMPLE, "--as-of", "2020-06-10"])
    assert r.exit_code == 0, r.output
    assert kept == [False, False]
