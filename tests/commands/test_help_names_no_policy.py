"""Help texts name no document (issue 14 point 2): no command's --help names
a policy's document number or a clause of it; `policy --help` shows the
bundled policy's own number and title, read from its document.yaml."""

import re

import click
import yaml
from click.testing import CliRunner

from cli import cli
from tests.helpers import ROOT

DOCUMENTS = [
    yaml.safe_load((folder / "document.yaml").read_text(encoding="utf-8"))
    for folder in [ROOT / "policy", *sorted(ROOT.glob("examples/policies/*"))]
]
NUMBERS = [d["number"] for d in DOCUMENTS] + [
    x["number"] for d in DOCUMENTS for x in d.get("documents") or ()
]


def _commands(group, path=()):
    yield path
    if isinstance(group, click.Group):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            yield from _commands(group.get_command(ctx, name), path + (name,))


# a clause of a Chinese policy text: 七（一）, 六（二）, 五（二）
CLAUSE = re.compile(r"[一二三四五六七八九十]+（[一二三四五六七八九十]+）")


def test_no_help_names_a_document_or_its_clauses():
    for path in _commands(cli):
        r = CliRunner().invoke(cli, [*path, "--help"])
        assert r.exit_code == 0, (path, r.output)
        text = r.output.split("\nPolicy:\n")[0] if not path else r.output
        for number in NUMBERS:
            assert number not in text, f"`policy {' '.join(path)} --help` names {number}"
        assert not CLAUSE.search(text), f"`policy {' '.join(path)} --help` names a clause"


def test_policy_help_shows_the_bundled_policys_own_title():
    doc = DOCUMENTS[0]
    r = CliRunner().invoke(cli, ["--help"])
    shown = " ".join(r.output.split())
    assert f"The bundled policy: {doc['number']} {doc['title']}." in shown
