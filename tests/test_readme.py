"""The README's example table and commands are true."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ROWS = re.findall(
    r"^\| \[`([^`]+\.json)`\]\(examples/[^)]+\) \| ([a-z_]+) \| (\w+)"
    r"(?: \((?:missing )?`([^`]+)`\))? \| ([\d.]+|—) \|$",
    README,
    re.M,
)


def test_the_table_lists_every_example():
    listed = {r[0] for r in ROWS}
    assert listed == {p.name for p in (ROOT / "examples").glob("*.json")}
    programs = {r[1] for r in ROWS}
    assert len(programs) == 7


@pytest.mark.parametrize("name, program, outcome, detail, amount", ROWS, ids=[r[0] for r in ROWS])
def test_readme_example_row(name, program, outcome, detail, amount):
    r = CliRunner().invoke(cli, ["eval", str(ROOT / "examples" / name), "--format", "json"])
    assert r.exit_code == 0, r.output
    (d,) = [d for d in json.loads(r.output)["decisions"] if d["program"] == program]
    assert d["outcome"] == outcome
    assert d["amount"] == (None if amount == "—" else amount)
    if outcome == "ineligible":
        assert d["failing"] == detail.split(", ")
    if outcome == "undetermined":
        assert d["missing"] == detail.split(", ")


def test_the_decisions_shown_are_what_the_commands_print():
    """Each ```sh command of "What a decision looks like" and the ```text
    block after it: every line shown is a line the command prints."""
    section = README.split("## What a decision looks like")[1].split("\n## ")[0]
    pairs = re.findall(r"```sh\n\.venv/bin/policy (.*?)\n```\s*```text\n(.*?)```", section, re.S)
    assert len(pairs) == 2
    for command, shown in pairs:
        args = command.split()
        r = CliRunner().invoke(
            cli, [str(ROOT / a) if a.startswith("examples/") else a for a in args]
        )
        assert r.exit_code == 0, r.output
        printed = r.output.splitlines()
        for line in shown.strip().splitlines():
            if line.strip() in ("...", "") or line.startswith("案件:"):
                continue
            assert line in printed, (command, line)


def _readme_commands():
    """Every `.venv/bin/policy ...` line of the README's sh blocks, in order."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.strip()
            if line.startswith(".venv/bin/policy "):
                commands.append(line.split("#")[0].strip())
    return commands


@pytest.mark.slow
def test_every_readme_command_runs(tmp_path, monkeypatch):
    """The commands a new user pastes from the README work, in order, from a
    folder holding the examples (a policy fmt that would rewrite the bundled
    policy runs as --check)."""
    import os
    import shlex

    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    commands = _readme_commands()
    assert len(commands) >= 15
    for command in commands:
        args = shlex.split(command)[1:]
        out_file = None
        if ">" in args:
            i = args.index(">")
            args, out_file = args[:i], args[i + 1]
        if args[:1] == ["fmt"] and "--check" not in args:
            args.append("--check")
        if args[:1] == ["serve"]:
            continue  # a server: tests/service/test_service_docs.py runs its examples
        if args[:1] == ["batch"]:
            args = [a for a in args if a not in ("--jobs", "2")]  # processes: see test_batch
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, (command, r.output[-2000:])
        if out_file:
            Path(out_file).write_text(r.stdout, encoding="utf-8")
    assert os.path.exists("report.html") and os.path.exists("site/index.html")


def test_the_python_example_of_performance_runs_and_prints_what_it_says(capsys, monkeypatch):
    """The ```python block of "Performance" (a case's JSON text to its
    decision): run from the checkout, it prints the line its comment shows."""
    section = README.split("## Performance")[1].split("\n## ")[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    shown = re.search(r"# (vocational_training .*)$", code, re.M).group(1)
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == [shown]
