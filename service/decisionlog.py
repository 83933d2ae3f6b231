"""Decision logs: every decision the service makes, one JSON line.

A line names the decision (its id, also sent to the client in the
``Decision-Id`` header), when, for whom, the policy (id, hash, revisions), the
input's SHA-256 and, per program, the outcome and the amount. It has the
shape of `policy eval --format json` without the explanations, so that with
``--log-input`` (the facts as read, ID numbers and names masked as the
policy declares) a line saved to a file
is replayed with `policy eval --replay LINE.json`; without it, the input's
hash ties the line to the caller's copy of the case.

Several worker processes append to one file: each line is written with one
``write`` on a descriptor opened with O_APPEND, so lines never interleave.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import threading
import time
from typing import Any

LEAN = ("program", "outcome", "amount", "failing", "missing")
# built once: json.dumps with arguments builds an encoder per call (a fifth of
# the cost of a line)
_LINE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


# the second's text, made again when the second changes (per thread: the
# event loop and the decision thread each keep theirs)
_second = threading.local()


def now() -> str:
    """The time, UTC, to the millisecond, as
    ``datetime.now(timezone.utc).isoformat(timespec="milliseconds")`` writes
    it: the date and time to the second made once a second (a datetime and
    its isoformat, the larger part of 2 µs a decision), the milliseconds each
    time."""
    seconds, ns = divmod(time.time_ns(), 1_000_000_000)
    kept = getattr(_second, "kept", None)
    if kept is None or kept[0] != seconds:
        day = _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
        kept = _second.kept = (seconds, day.strftime("%Y-%m-%dT%H:%M:%S."))
    return f"{kept[1]}{ns // 1_000_000:03d}+00:00"


def unwritable(reason: str):
    """The problem (503) of a decision that cannot be logged: it is not given
    (a full disk was an "internal error … a bug", 500, for each decision, and
    a batch's stream was cut off without a word). ``reason`` is kept on it."""
    from .problems import Problem

    problem = Problem(
        503,
        "decision-log",
        f"the decision log cannot be written ({reason}): no decision is given "
        "without its line in the log; the server's operator must see to the log",
    )
    problem.reason = reason  # type: ignore[attr-defined]
    return problem


class DecisionLog:
    def __init__(self, destination: str, policy, log_input: bool = False):
        self.policy_ref = {
            "id": policy.document.id,
            "hash": policy.hash,
            "revisions": policy.revisions,
        }
        if log_input:
            # a replayable line lists the policy's files, as `policy eval` does:
            # the replay checks the hash against them and names what changed
            self.policy_ref["files"] = {k: "sha256:" + v for k, v in sorted(policy.files.items())}
        self.policy = policy
        self.log_input = log_input
        self._lock = threading.Lock()
        if not destination:
            self._fd = None
        elif destination == "-":
            self._fd = sys.stdout.fileno()
        else:
            self._fd = os.open(destination, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._masks = _masks(policy)

    # an entry as a line writes it (without its newline)
    encode = staticmethod(_LINE)

    @property
    def enabled(self) -> bool:
        return self._fd is not None

    def write(self, entries: list[dict]) -> None:
        if self._fd is None or not entries:
            return
        self.write_text("".join(_LINE(e) + "\n" for e in entries))

    def write_text(self, text: str) -> None:
        """Lines already written as text (each ending with a newline; as
        ``encode`` writes an entry: service.answer), in one ``write``."""
        if self._fd is None or not text:
            return
        data = text.encode()
        with self._lock:
            try:
                written = os.write(self._fd, data)
            except OSError as exc:
                raise unwritable(exc.strerror or str(exc)) from None
            if written != len(data):  # a full disk or a file-size limit, met midway
                raise unwritable("only part of the lines could be written")

    def entry(
        self,
        *,
        decision_id: str,
        user: str | None,
        endpoint: str,
        case: dict,
        decisions: list[dict],
        facts: dict | None = None,
        line: int | None = None,
        request_id: str | None = None,
        time: str | None = None,
    ) -> dict:
        """A log line. ``case``: sha256, as_of, as_of_source, as_of_missing;
        ``decisions``: the decision JSON (only the lean keys are kept);
        ``facts``: the facts as read (JSON), kept, masked, with --log-input."""
        out: dict[str, Any] = {
            "format": 1,
            "decision_id": decision_id,
            "endpoint": endpoint,
            "time": time or now(),
            "user": user,
            "policy": self.policy_ref,
            "case": dict(case),
            "decisions": [{k: d.get(k) for k in LEAN if k in d} for d in decisions],
        }
        if line is not None:
            out["line"] = line
        if request_id is not None:
            out["request_id"] = request_id
        if self.log_input and facts is not None:
            out["case"]["facts"], masked = self.mask(facts)
            if masked:
                # `policy eval --replay` leaves these out: a masked number is no number
                out["case"]["masked"] = masked
        return out

    def mask(self, facts: dict) -> tuple[dict, list[str]]:
        """The facts with every fact that declares a mask (a name) or a format
        that masks (an ID number) masked as the read-only role sees it, and
        the paths masked."""
        if not self._masks:
            return facts, []
        masked: set[str] = set()
        return _apply(facts, self._masks, "", masked), sorted(masked)


def _masks(policy) -> dict:
    """A tree of field name → mask function or subtree, for the facts that
    declare a mask (a name) or a format that masks (an ID number): the mask
    ``interpreter.masks.mask_of`` gives, the one the officer pages, the
    service's JSON and the publicity list use (a number on its normalised
    form: one typed with a small x is masked with its X)."""
    from interpreter.masks import mask_of

    def walk(decls: dict) -> dict:
        out: dict[str, Any] = {}
        for name, d in decls.items():
            mask = mask_of(d) if d.type == "string" or getattr(d, "format", None) else None
            if mask is not None:
                out[name] = mask
            elif d.type == "record":
                sub = walk(d.fields)
                if sub:
                    out[name] = sub
            elif d.type == "list" and d.items is not None and d.items.type == "record":
                sub = walk(d.items.fields)
                if sub:
                    out[name] = [sub]
        return out

    return walk(policy.facts)


def _apply(value, masks, path: str, masked: set):
    if isinstance(masks, list):
        if not isinstance(value, list):
            return value
        return [_apply(v, masks[0], path + "[]", masked) for v in value]
    if isinstance(masks, dict):
        if not isinstance(value, dict):
            return value
        return {
            k: (_apply(v, masks[k], f"{path}.{k}" if path else k, masked) if k in masks else v)
            for k, v in value.items()
        }
    if not isinstance(value, str):
        return value
    masked.add(path)
    return masks(value)
