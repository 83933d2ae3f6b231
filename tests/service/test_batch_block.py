"""A batch request's block decided as `policy batch` decides it
(``Service.run_block`` through ``Worker.block``) answers and logs what the
line-by-line path (``Service._run_records``) does, and its log lines written
from parts (``service.answer.BatchLog``) are the dict path's, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import service.state as state
from cli import cli
from service.settings import Settings
from service.state import Service

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def block(tmp_path_factory) -> bytes:
    """Generated lines with bad ones, a blank one, CRLF endings, a BOM in
    the middle, and one person claiming the same subsidy four times."""
    tmp = tmp_path_factory.mktemp("block")
    cases = tmp / "generated.jsonl"
    r = CliRunner().invoke(cli, ["generate", "400", "--seed", "5", "--out", str(cases)])
    assert r.exit_code == 0, r.output
    lines = cases.read_text(encoding="utf-8").splitlines()
    repeat = json.dumps(
        json.loads(
            (ROOT / "examples/vocational_training_intermediate.json").read_text(encoding="utf-8")
        ),
        ensure_ascii=False,
    )
    lines[3:3] = [repeat] * 4
    lines.insert(12, '{"applicant": {"insured_months": "14"}}')
    lines.insert(15, "not json")
    lines.insert(16, "   ")
    lines.insert(30, "\ufeff" + lines[30])
    lines.insert(50, '{"applicant": {"name": "a:b"}}')
    text = "\r\n".join(lines[:200]) + "\r\n" + "\n".join(lines[200:]) + "\n"
    return text.encode("utf-8")


def decide(tmp_path, block: bytes, path: str, monkeypatch, parts: bool = True):
    """(the answer, the log's bytes) of ``block`` in blocks of 64 lines."""
    monkeypatch.setattr(state, "now", lambda: "2026-01-01T00:00:00.000+00:00")
    log = tmp_path / f"{path}-{parts}.jsonl"
    service = Service(Settings(decision_log=str(log)))
    assert service.batch_log.usable
    if not parts:
        service.batch_log.usable = False
    worker, registry = service.batch_worker(None, False), service.registry()
    lines = block.split(b"\n")[:-1]
    out = b""
    for first in range(0, len(lines), 64):
        chunk = b"\n".join(lines[first : first + 64]) + b"\n"
        if path == "block":
            out += service.run_block(worker, registry, first + 1, chunk, request_id="r1")
        else:
            out += service._run_records(worker, registry, first + 1, chunk, None, "r1")
    return out, log.read_bytes()


def test_block_answers_and_logs_what_the_records_path_does(tmp_path, block, monkeypatch):
    by_block, log_block = decide(tmp_path, block, "block", monkeypatch)
    by_dicts, log_dicts = decide(tmp_path, block, "block", monkeypatch, parts=False)
    by_records, _log = decide(tmp_path, block, "records", monkeypatch)
    assert by_block == by_dicts == by_records
    rows = [json.loads(x) for x in by_block.decode().splitlines()]
    assert [x["line"] for x in rows] == sorted(x["line"] for x in rows)
    assert [x["line"] for x in rows if "error" in x] == [13, 16, 31]
    assert sum(1 for x in rows if x.get("flags")) >= 3
    # the log from parts is the dict path's, byte for byte
    assert log_block == log_dicts
    entries = [json.loads(x) for x in log_block.decode().splitlines()]
    assert [e["line"] for e in entries] == [x["line"] for x in rows if "error" not in x]
    assert {e["decision_id"] for e in entries} == {f"r1-{e['line']}" for e in entries}
