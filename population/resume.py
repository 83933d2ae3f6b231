"""Restartable batches: what an interrupted `policy batch` leaves, and how it goes on.

A batch that writes its decisions into a file keeps, while it runs, beside
``--out DECISIONS``:

  DECISIONS.partial                 the decision lines of the chunks finished so far
  REJECTS.partial                   the rejected lines of those chunks
  DECISIONS.claims.partial          the real-name claims seen so far (the registry's
                                    16-byte digests and places, population.realname)
  DECISIONS.manifest.json           this run's identity and how far it got

The manifest is rewritten (temporary file + rename) after every chunk, once
that chunk's lines are written. It records what the output depends on — the
case file's name and SHA-256, the policy hash (as each decision line records
it), the history file's name and SHA-256, ``--as-of``, ``--explain``, the
rejects file — and where the finished chunks end: the byte offset and line
of the case file, the length of each partial file, the summary's counts.

Ctrl-C (or SIGTERM) cuts the partial files back to the last finished chunk,
so they end at a complete line, rewrites the manifest and stops (exit 130).
A run killed outright leaves the last manifest written, whose lengths say
where the complete chunks end. ``--resume`` checks that nothing the output
depends on has changed (else exit 2), cuts the partial files to the recorded
lengths, replays the claims into the real-name registry, and goes on reading
the case file at the recorded offset: the output is byte for byte that of a
run that was never interrupted. When the batch completes, the partial files
are renamed over their final names (interpreter/outputs.py) and the manifest
and the claims are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass

from dsl.errors import CaseError, PolicyError, Position
from interpreter.outputs import signals_deferred as _signals_deferred

MANIFEST_FORMAT = 1
COMMAND = "policy batch"
# the summary's counts (population.batch.Summary.state) before the first chunk
NOTHING_DONE = {"cases": 0, "decided": 0, "rejected": 0, "flagged": 0, "programs": {}}


class Interrupted(PolicyError):
    """The batch was stopped by Ctrl-C or SIGTERM (exit 130): one line."""

    kind = "interrupted"
    exit_code = 130

    def render(self) -> str:
        return self.message


class ResumeError(CaseError):
    """A resume that cannot go on: the input or the policy changed, the
    partial files are damaged, or there is a partial run and no --resume."""


def _is_device(path: str) -> bool:
    import stat

    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _length(output) -> int:
    return output.length() if hasattr(output, "length") else 0


def resumable(cases_path: str, out_path: str) -> bool:
    """Whether a batch can keep what it did for a later --resume: it reads a
    file and writes its decisions into a file (not standard input or output,
    nor a device)."""
    return (
        cases_path != "-"
        and out_path != "-"
        and not _is_device(out_path)
        and not _is_device(cases_path)
    )


def manifest_path(out_path: str) -> str:
    return str(out_path) + ".manifest.json"


def claims_path(out_path: str) -> str:
    return str(out_path) + ".claims.partial"


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    break
                h.update(block)
    except OSError as exc:
        raise CaseError(
            f"cannot read the file: {exc.strerror}", position=Position(str(path))
        ) from None
    return "sha256:" + h.hexdigest()


def identity(
    *,
    cases_name: str,
    cases_path: str,
    cases_format: str,
    policy_hash: str,
    history: str | None,
    as_of,
    explain: bool,
    rejects: str,
) -> dict:
    """What a batch's output depends on (the manifest's ``identity``)."""
    return {
        "input": {"path": cases_name, "sha256": sha256_file(cases_path), "format": cases_format},
        "policy": policy_hash,
        "history": (
            None if history is None else {"path": str(history), "sha256": sha256_file(history)}
        ),
        "as_of": as_of.isoformat() if as_of is not None else None,
        "explain": bool(explain),
        "rejects": str(rejects),
    }


# what a change of each part of the identity means, for the refusal
_CHANGED = {
    "input": "the case file has changed since the interrupted run",
    "policy": "the policy has changed since the interrupted run (its hash differs)",
    "history": "the history file has changed since the interrupted run",
    "as_of": "--as-of differs from the interrupted run's",
    "explain": "--explain differs from the interrupted run's",
    "rejects": "--rejects differs from the interrupted run's",
}


def _difference(old: dict, new: dict) -> str | None:
    for key, what in _CHANGED.items():
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "input" and isinstance(a, dict) and isinstance(b, dict):
            if a.get("path") != b.get("path"):
                return (
                    f"the case file was {a.get('path')} in the interrupted run, now {b.get('path')}"
                )
            if a.get("format") != b.get("format"):
                return f"the case file was read as {a.get('format')}, now {b.get('format')}"
            return f"{what} ({a.get('sha256')}, now {b.get('sha256')})"
        if key == "policy":
            return f"{what}: {a}, now {b}"
        if key == "history" and a and b and a.get("path") != b.get("path"):
            return (
                f"the history file was {a.get('path')} in the interrupted run, now {b.get('path')}"
            )
        return what
    return None


@dataclass
class Resumed:
    """Where a resumed batch goes on: the case file's offset and line, the
    summary so far (Summary.state()), the claims so far (journal bytes)."""

    offset: int
    line: int
    chunks: int
    summary: dict
    claims: bytes


class ResumableBatch:
    """The partial files and the manifest of one batch into ``--out FILE``.

    ``open`` checks what an earlier run left: with ``resume``, a manifest is
    continued (or, when there is none, the batch starts afresh); without, a
    partial run is refused unless ``force`` (then it is started again).
    ``commit`` records a finished chunk, ``suspend`` stops at the last one,
    ``finish`` removes what only a resume needs once the outputs are complete.
    """

    def __init__(
        self, outs, out_path: str, rejects_path: str, ident: dict, *, resume: bool, force: bool
    ):
        from interpreter.outputs import partial_name

        self.out_path = str(out_path)
        self.manifest = manifest_path(out_path)
        self.claims_file = claims_path(out_path)
        self.ident = ident
        self.resumed: Resumed | None = None
        old = self._read_manifest()
        leftovers = [
            p
            for p in (self.manifest, partial_name(out_path), self.claims_file)
            if os.path.lexists(p)
        ]
        at: dict[str, int | None] = {"decisions": None, "rejects": None, "claims": None}
        if resume and old is not None:
            why = _difference(old.get("identity", {}), ident)
            if why:
                raise ResumeError(
                    f"cannot resume: {why}",
                    position=Position(self.manifest),
                    hint="run it again from the start with --force (the partial "
                    "output is replaced)",
                )
            files, done = old["files"], old["done"]
            at = {k: int(files[k]["bytes"]) for k in at}
            self.resumed = Resumed(
                int(done["offset"]), int(done["line"]), int(done["chunks"]), old["summary"], b""
            )
        elif leftovers and not force and not resume:
            what = (
                f"an interrupted batch left {leftovers[0]}"
                if old is None
                else f"an interrupted batch into {self.out_path} stopped after line "
                f"{int(old['done']['line']) - 1} of {old['identity']['input']['path']}"
            )
            raise ResumeError(
                what,
                position=Position(self.out_path),
                hint="give --resume to go on from there, or --force to start again",
            )
        if self.resumed is None:
            # a fresh start: an old manifest must not describe the new files
            _remove(self.manifest)
        self.out = outs.open_partial(out_path, "decisions file", at["decisions"])
        if _is_device(rejects_path):  # /dev/null: nothing to keep or cut
            self.rejects = outs.open(rejects_path, "rejects file")
        else:
            self.rejects = outs.open_partial(rejects_path, "rejects file", at["rejects"])
        self._claims = self._open_claims(at["claims"])
        if self.resumed is not None:
            self._claims.seek(0)
            self.resumed.claims = self._claims.read(at["claims"])
            self._claims.seek(at["claims"])
        self.state = (
            (self.resumed.offset, self.resumed.line, self.resumed.chunks, self.resumed.summary)
            if self.resumed
            else (0, 1, 0, NOTHING_DONE)
        )
        self.lengths = (at["decisions"] or 0, at["rejects"] or 0, at["claims"] or 0)
        with _signals_deferred():
            self._write_manifest()

    def _read_manifest(self) -> dict | None:
        try:
            with open(self.manifest, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ResumeError(
                f"the manifest of the interrupted batch is unreadable: {exc}",
                position=Position(self.manifest),
                hint="start again with --force",
            ) from None
        if not (
            isinstance(data, dict)
            and data.get("format") == MANIFEST_FORMAT
            and data.get("command") == COMMAND
            and {"identity", "files", "done", "summary"} <= data.keys()
        ):
            raise ResumeError(
                "this is not the manifest of a `policy batch` this version writes",
                position=Position(self.manifest),
                hint="start again with --force",
            )
        return data

    def _open_claims(self, resume_at: int | None):
        from interpreter.outputs import OutputError

        try:
            fd = os.open(
                self.claims_file, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600
            )
            f = os.fdopen(fd, "r+b")
            size = os.fstat(fd).st_size
        except OSError as exc:
            raise OutputError(
                f"cannot write the claims of the batch: {exc.strerror}",
                position=Position(self.claims_file),
            ) from None
        if resume_at is not None and size < resume_at:
            f.close()
            raise ResumeError(
                f"the claims so far are shorter ({size} bytes) than the "
                f"{resume_at} bytes recorded: the file was changed or cut",
                position=Position(self.claims_file),
                hint="start again with --force",
            )
        f.truncate(resume_at or 0)
        f.seek(resume_at or 0)
        return f

    def _write_manifest(self) -> None:
        from interpreter.outputs import atomic_write_bytes, write_error

        offset, line, chunks, summary = self.state
        d, r, c = self.lengths
        data = {
            "format": MANIFEST_FORMAT,
            "command": COMMAND,
            "identity": self.ident,
            "files": {
                "decisions": {"path": self.out.path, "partial": self.out.tmp, "bytes": d},
                "rejects": {"path": self.rejects.path, "partial": self.rejects.tmp, "bytes": r},
                "claims": {"partial": self.claims_file, "bytes": c},
            },
            "done": {"offset": offset, "line": line, "chunks": chunks},
            "summary": summary,
        }
        try:
            atomic_write_bytes(
                self.manifest,
                (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode(
                    "utf-8"
                ),
            )
        except OSError as exc:
            raise write_error(exc, "manifest of the batch", self.manifest) from None

    def commit(self, position: tuple[int, int], summary: dict, claims: bytes) -> None:
        """A chunk is finished (its lines written): record it."""
        from interpreter.outputs import write_error

        with _signals_deferred():
            if claims:
                try:
                    self._claims.write(claims)
                    self._claims.flush()
                except OSError as exc:
                    raise write_error(exc, "claims of the batch", self.claims_file) from None
            self.lengths = (self.out.length(), _length(self.rejects), self._claims.tell())
            offset, line = position
            self.state = (offset, line, self.state[2] + 1, summary)
            self._write_manifest()

    def suspend(self) -> str:
        """Stop at the last finished chunk: the partial files cut back to it,
        kept, and the manifest written. Returns the one-line message."""
        d, r, c = self.lengths
        self.out.cut(d)
        if hasattr(self.rejects, "cut"):
            self.rejects.cut(r)
        try:
            self._claims.truncate(c)
            self._claims.close()
        except OSError:
            pass
        self._write_manifest()
        kept = self.out.tmp
        self.out.keep()
        if hasattr(self.rejects, "keep"):
            self.rejects.keep()
        _offset, line, chunks, summary = self.state
        cases = (summary or {}).get("cases", 0)
        source = self.ident["input"]["path"]
        if chunks == 0:
            return (
                "interrupted before any case was decided; run the same command with "
                "--resume to start it (or again without it)"
            )
        return (
            f"interrupted: {cases} case(s) up to line {line - 1} of {source} are kept in "
            f"{kept}; to go on, run the same command again with --resume"
        )

    def has_work(self) -> bool:
        """Whether chunks are done (in this run or an earlier one): then a
        failure keeps them (``suspend``) rather than throwing them away."""
        return self.state[2] > 0

    def abandon(self) -> None:
        """The batch failed (not interrupted): nothing is kept for a resume."""
        with contextlib.suppress(OSError):
            self._claims.close()
        for p in (self.claims_file, self.manifest):
            with contextlib.suppress(OSError):
                _remove(p)

    def finish(self) -> None:
        """The outputs are complete under their names: the resume files go."""
        self.abandon()
