"""What `policy serve` was asked for.

With ``--workers N`` uvicorn starts N processes, each of which builds its own
application; the settings reach them through one environment variable
(``POLICY_SERVE_SETTINGS``, JSON), so a worker needs nothing but its
environment to build the same service as its siblings.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

ENV = "POLICY_SERVE_SETTINGS"

# one case per request: the same limit as a case file (interpreter.cases)
MAX_CASE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    policy_dir: str | None = None
    revisions: tuple[str, ...] = ()
    db_url: str | None = None
    # stateless decisions without a token (the policy's own pages are always public)
    anonymous_decisions: bool = False
    # where each decision is logged as one JSON line: a file (appended), "-" for
    # standard output, "" for nowhere
    decision_log: str = "-"
    # log the case's facts too (ID numbers masked), so that a logged line is
    # itself replayable with `policy eval --replay`
    log_input: bool = False
    max_case_bytes: int = MAX_CASE_BYTES
    # a batch request: at most this many bytes, lines, and seconds
    max_batch_bytes: int = 256 * 1024 * 1024
    max_batch_lines: int = 1_000_000
    batch_seconds: float = 600.0
    extra: dict = field(default_factory=dict)

    def to_env(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_env(cls, environ=None) -> Settings:
        text = (environ if environ is not None else os.environ).get(ENV)
        if not text:
            return cls()
        data = json.loads(text)
        data["revisions"] = tuple(data.get("revisions") or ())
        return cls(**data)
