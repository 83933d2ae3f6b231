"""The real `policy serve`, started as a subprocess on a loopback port, and an
HTTP client for it: the tests talk to the service as a client would."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
POLICY = (
    [str(Path(sys.executable).with_name("policy"))]
    if Path(sys.executable).with_name("policy").exists()
    else [sys.executable, "-m", "cli"]
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`policy serve ARGS…` on a free loopback port, until ``stop()``."""

    def __init__(
        self,
        *args: str,
        tmp: Path,
        env: dict | None = None,
        wait: bool = True,
        cwd: Path | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"decisions-{self.port}.jsonl"
        self.stderr_path = tmp / f"stderr-{self.port}.txt"
        cmd = [*POLICY, "serve", "--port", str(self.port), "--decision-log", str(self.log), *args]
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed when the server stops
        # run from a folder of its own: a ./ledger.db where the tests run is not its
        self.proc = subprocess.Popen(
            cmd,
            cwd=cwd or tmp,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
        )
        self.client = httpx.Client(base_url=self.url, timeout=60)
        if wait:
            self.wait()

    def wait(self, seconds: float = 60) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"policy serve exited {self.proc.returncode}: {self.stderr()}")
            try:
                if self.client.get("/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"policy serve did not start: {self.stderr()}")

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict]:
        import json

        if not self.log.exists():
            return []
        return [json.loads(x) for x in self.log.read_text(encoding="utf-8").splitlines()]

    def stop(self) -> int:
        self.client.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._stderr.close()
        return self.proc.returncode


def metric(text: str, name: str, **labels) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for m in re.finditer(rf"^{re.escape(name)}(?:{{([^}}]*)}})? (\S+)$", text, re.M):
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(m.group(2))
    return total
