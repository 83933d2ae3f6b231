"""What the help and the README name is real (issue 13, point 9): every
example file a command's --help names exists, and the README's line for the
revised 初级 standard of 职业培训补贴 is what the command prints."""

import re

import click
from click.testing import CliRunner

from cli import cli
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group, path=()):
    yield path
    if isinstance(group, click.Group):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            yield from _commands(group.get_command(ctx, name), path + (name,))


def test_every_file_a_help_names_exists():
    named = []
    for path in _commands(cli):
        r = CliRunner().invoke(cli, [*path, "--help"])
        assert r.exit_code == 0, (path, r.output)
        named += [
            (path, f) for f in re.findall(r"\b(?:examples|policy|docs)/[\w./-]+\.\w+", r.output)
        ]
    assert named, "no help names an example file"
    for path, f in named:
        assert (ROOT / f).exists(), (
            f"`policy {' '.join(path)} --help` names {f}, which does not exist"
        )


def test_the_revised_junior_standard_is_shown_as_the_readme_says():
    (block,) = [
        b for b in re.findall(r"```text\n(.*?)```", README, re.S) if "[初级] = 1,200.00 元" in b
    ]
    assert "职业培训补贴标准[初级]" in block  # it said 技能提升补贴标准
    r = CliRunner().invoke(
        cli,
        [
            "eval",
            str(ROOT / "examples" / "vocational_training_special_ability.json"),
            "--revision",
            "examples/revisions/raise-junior-2021.yaml",
            "--as-of",
            "2021-02-01",
            "--full",
        ],
    )
    assert r.exit_code == 0, r.output
    printed = r.output.splitlines()
    for line in block.strip("\n").splitlines():  # as printed, wrapped at 80 columns
        assert line in printed
