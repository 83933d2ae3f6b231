"""docs/service.md and the README's service section run: every curl command
against a real server, and the output shown under it found in the answer
("…" stands for anything; an object shows only some of its keys)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from tests.service.server import POLICY, ROOT, Server

FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks(path: Path) -> list[tuple[str, str, tuple[str, str] | None]]:
    """(kind, text, the block shown right after it or None) for every block."""
    text = path.read_text(encoding="utf-8")
    found = list(FENCE.finditer(text))
    out = []
    for i, m in enumerate(found):
        shown = None
        if i + 1 < len(found) and not text[m.end() : found[i + 1].start()].strip():
            shown = (found[i + 1].group(1), found[i + 1].group(2))
        out.append((m.group(1), m.group(2), shown))
    return out


def matches(shown, actual) -> bool:
    if shown == "…":
        return True
    if isinstance(shown, str) and "…" in shown and isinstance(actual, str):
        return re.fullmatch(".*".join(map(re.escape, shown.split("…"))), actual) is not None
    if isinstance(shown, dict):
        return isinstance(actual, dict) and all(
            k in actual and matches(v, actual[k]) for k, v in shown.items()
        )
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return False
        if shown and shown[-1] == "…":
            shown = shown[:-1]
            return len(actual) >= len(shown) and all(map(matches, shown, actual))
        return len(actual) == len(shown) and all(map(matches, shown, actual))
    return shown == actual


def run_block(text: str, url: str) -> str:
    """Run the block's commands in order (the cwd holds the examples); the
    output of the last."""
    out = ""
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith(("policy serve", ".venv/bin/policy serve")):
            continue  # the server is the test's
        if line.startswith(("policy ", ".venv/bin/policy ")):
            r = CliRunner().invoke(cli, shlex.split(line)[1:])
            assert r.exit_code == 0, (line, r.output)
            out = r.output
        elif line.startswith("curl "):
            args = shlex.split(line.replace("localhost:8000", url))
            redirect = None
            if ">" in args:
                i = args.index(">")
                args, redirect = args[:i], args[i + 1]
            r = subprocess.run(args, capture_output=True, timeout=120)
            assert r.returncode == 0, (line, r.stderr)
            out = r.stdout.decode("utf-8")
            if redirect:
                Path(redirect).write_text(out, encoding="utf-8")
            assert out, line
    return out


def test_the_docs_ledger_examples_run(tmp_path):
    """The ledger section of docs/service.md, as a shell runs it: the set-up
    block (users, tokens in shell variables), a server on the ledger it made,
    then each curl with those variables, its answer matched."""
    import os

    section = (
        (ROOT / "docs/service.md")
        .read_text(encoding="utf-8")
        .split("## The ledger over HTTP", 1)[1]
        .split("\n## ", 1)[0]
    )
    found = [(m.group(1), m.group(2)) for m in FENCE.finditer(section)]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "PATH": f"{Path(POLICY[0]).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("POLICY_DB", None)
    setup = found[0][1]
    assert "policy serve --db sqlite:///ledger.db" in setup
    lines = [x for x in setup.splitlines() if x.strip() and not x.startswith("policy serve --db")]
    # set -a: the variables the block assigns (the tokens) are kept for the curls
    script = "set -a\n" + "\n".join(lines) + "\nenv -0"
    r = subprocess.run(
        ["bash", "-ec", script], cwd=tmp_path, env=env, capture_output=True, timeout=300
    )
    assert r.returncode == 0, r.stderr.decode()
    env = dict(x.split("=", 1) for x in r.stdout.decode().split("\0") if "=" in x)
    server = Server("--db", "sqlite:///ledger.db", tmp=tmp_path, cwd=tmp_path)
    try:
        url = server.url.removeprefix("http://")
        ran = 0
        for i, (kind, text) in enumerate(found[1:], 1):
            if kind != "sh":
                continue
            r = subprocess.run(
                ["bash", "-ec", text.replace("localhost:8000", url)],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                timeout=120,
            )
            assert r.returncode == 0, r.stderr.decode()
            ran += 1
            shown = found[i + 1] if i + 1 < len(found) else None
            if shown and shown[0] == "json":
                assert matches(json.loads(shown[1]), json.loads(r.stdout)), (text, r.stdout[:2000])
        assert ran == 4
    finally:
        server.stop()


@pytest.mark.parametrize("doc", ["docs/service.md", "README.md"])
def test_the_docs_curl_examples_run(open_server, doc, tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    url = open_server.url.removeprefix("http://")
    ran = 0
    for kind, text, shown in blocks(ROOT / doc):
        if kind != "sh" or "curl " not in text or "$" in text:
            continue  # a block with shell variables: test_the_docs_ledger_examples_run
        out = run_block(text, url)
        ran += 1
        if shown is None:
            continue
        if shown[0] == "json":
            assert matches(json.loads(shown[1]), json.loads(out)), (text, out[:3000])
        else:
            for line in shown[1].strip().splitlines():
                assert line in out, (line, out)
    assert ran >= (5 if doc.startswith("docs") else 1)
    if doc.startswith("docs"):
        # the batch example wrote a thousand decisions
        assert len((tmp_path / "decisions.jsonl").read_text(encoding="utf-8").splitlines()) == 1000


def test_the_matcher_can_fail():
    assert matches({"a": "…", "b": [1, "…"]}, {"a": 3, "b": [1, 2], "c": 0})
    assert not matches({"a": 1}, {"a": 2})
    assert not matches([1], [1, 2])
    assert not matches({"x": "sha256:…"}, {"x": "md5:1"})
