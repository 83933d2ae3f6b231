"""SIGTERM (`kill`, a scheduler or systemd stopping a job) stops any command
as Ctrl-C does (cli._sigterm_interrupts): its temporary output removed, one
line, exit 130. Killed by the signal outright, a command left its hidden
temporary file beside --out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_policy_generate_and_removes_its_temporary_file(tmp_path):
    out = tmp_path / "g.jsonl"
    p = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "generate", "300000", "--out", str(out)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while p.poll() is None and time.monotonic() < deadline:
        written = [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]
        if written and written[0].stat().st_size > 100_000:
            break
        time.sleep(0.01)
    assert p.poll() is None, "generate ended before it was stopped"
    assert written, "no temporary file was written"
    os.killpg(p.pid, signal.SIGTERM)
    _out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert err.strip() == "interrupted", err
    assert sorted(f.name for f in tmp_path.iterdir()) == []
