"""Every `$ policy catalog ...` example in docs/catalogs.md runs and prints what it shows."""

from __future__ import annotations

import re
import shlex

import pytest
from click.testing import CliRunner

from commands.catalog import catalog
from tests.helpers import ROOT

DOC = ROOT / "docs" / "catalogs.md"


def examples():
    text = DOC.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = [line[2:], []]
                out.append(current)
            else:
                current[1].append(line)
    return [(cmd, "\n".join(lines) + "\n") for cmd, lines in out]


EXAMPLES = examples()


def test_the_doc_has_examples_of_every_command():
    used = {shlex.split(cmd)[2] for cmd, _ in EXAMPLES}
    assert used == {"check", "publish", "diff"}
    assert len(EXAMPLES) >= 9
    # the second policy package, through the same commands
    assert sum("--policy examples/policies/" in cmd for cmd, _ in EXAMPLES) >= 2


@pytest.mark.parametrize("cmd, expected", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_doc_example(cmd, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = 0
    m = re.search(r"\s+#\s*exit (\d+)$", cmd)
    if m:
        code, cmd = int(m.group(1)), cmd[: m.start()]
    args = shlex.split(cmd)
    assert args[:2] == ["policy", "catalog"]
    args = args[2:]
    if "--out" in args:  # write into a temporary folder instead
        i = args.index("--out") + 1
        name = args[i]
        args[i] = str(tmp_path / name)
        expected = expected.replace(f" to {name} (", f" to {tmp_path / name} (")
    result = CliRunner().invoke(catalog, args)
    assert result.exit_code == code, result.output
    assert result.output == expected
