"""The README's example table and commands are true."""
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ROWS = re.findall(r"^\| \[`([^`]+\.json)`\]\(examples/[^)]+\) \| ([a-z_]+) \| (\w+)"
                  r"(?: \((?:missing )?`([^`]+)`\))? \| ([\d.]+|—) \|$", README, re.M)


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


def test_quick_start_command_output_is_shown():
    r = CliRunner().invoke(cli, ["eval", str(ROOT / "examples" / "skill_upgrade_senior.json")])
    shown = README.split("## What a decision looks like")[1].split("```text")[1].split("```")[0]
    for line in shown.strip().splitlines():
        if line.strip() in ("...", "") or line.startswith("案件:"):
            continue
        assert line in r.output, line
