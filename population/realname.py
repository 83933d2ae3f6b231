"""Real-name checks over a batch (七（三） 实行培训人员实名制管理).

A single case cannot see that the same person claims twice in one batch, or
already claimed in another. The checks are data, in document.yaml::

    real_name_checks:
      - id: same_occupation_level
        label: 同一职业同一等级不可重复享受
        person: applicant.id              # who: an expression (a fact with a format
                                          # is compared in its normalised form)
        programs: [training]              # eligible decisions of these count
        key: {occupation: certificate.occupation, level: certificate_level}   # expressions
        max: 1                            # at most this many per person and key
        per: ever                         # or: year (calendar year of the decision date)
        cite: {clause: 六（一）, quote: 同一职业同一等级不可重复享受}

The loader checks the expressions and the program ids, and gives each
program a check covers a clause that needs the person and the key: a case
without them cannot be checked, so it is undetermined, never paid unchecked.
The batch flags a decision whose claim goes over ``max`` and names the lines
(or history records) it conflicts with. A history file (JSON Lines, one
earlier claim per line: ``{"id": ..., "program": ..., "date": "YYYY-MM-DD",
KEY: value, ...}`` with the key names of the checks) brings earlier batches in.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import struct
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsl.compiler import Context
from dsl.errors import CaseError, PolicyError, Position


@dataclass(frozen=True)
class Check:
    id: str
    label: str
    person: object  # the person's expression (a Rule)
    programs: tuple[str, ...]
    key: tuple[tuple[str, object], ...]  # (name, expression)
    max: int
    per: str  # "ever" | "year"
    cite: list | None = None
    # the declared formats (facts.yaml ``format:``) of the person and of each
    # key value, by the name a history record gives them: a history file's
    # "37040519870228441x" is the same person as a case's "37040519870228441X"
    formats: tuple[tuple[str, str], ...] = ()


def checks_of(policy) -> list[Check]:
    """The policy's real-name checks (document.yaml, checked at load time)."""
    out = []
    for c in policy.real_name_checks:
        formats = []
        for name, rule in (("id", c.person), *c.key):
            fmt = _format_of(policy, rule)
            if fmt is not None:
                formats.append((name, fmt))
        out.append(
            Check(
                c.id,
                c.label,
                c.person,
                c.programs,
                c.key,
                c.max,
                c.per,
                [{"clause": x.clause, **({"quote": x.quote} if x.quote else {})} for x in c.cite]
                or None,
                tuple(formats),
            )
        )
    return out


def _format_of(policy, rule) -> str | None:
    """The declared format of the fact an expression reads, when it is a
    bare fact path (``applicant.id``)."""
    from dsl import ast

    path = ast.path_of(rule.expression.node)
    decl = policy.fact(".".join(path)) if path else None
    return decl.format if decl is not None else None


def compiled_checks(policy, checks: list[Check]) -> dict:
    """Check id -> one function generated from its person and key rules (as
    the programs are: dsl.codegen), giving their values in one call; not for
    a check whose rules read the decision date or the standards (``claims``
    passes none: the closures say what that gives)."""
    from dsl.codegen import generate_function
    from interpreter.evaluate import _reads_date

    out = {}
    for check in checks:
        rules: list[Any] = [check.person] + [rule for _name, rule in check.key]
        if any(_reads_date(r.expression.node, policy) for r in rules):
            continue
        out[check.id] = generate_function(
            policy.env, [r.expression.node for r in rules], compiled=policy.compiled
        )[0]
    return out


_NO_STANDARDS: dict = {}


def claims(checks: list[Check], res, catalogs=None, compiled: dict | None = None) -> tuple:
    """(check id, person, key values, period) for each eligible decision that
    counts. An eligible decision has its person and key values: each program
    a check covers needs them (a clause the loader adds), so a case without
    them is undetermined and claims nothing. ``compiled``: the checks'
    generated functions (``compiled_checks``); the same values as the
    closures, which evaluate a check that has none, or whose function fails."""
    out = []
    eligible = {d.program.id for d in res.decisions if d.outcome == "eligible"}
    for check in checks:
        hit = [p for p in check.programs if p in eligible]
        if not hit:
            continue
        fn = compiled.get(check.id) if compiled else None
        got = None
        if fn is not None:
            try:
                got = fn(res.facts, res.as_of, _NO_STANDARDS, catalogs)
            except PolicyError:
                got = None
        if got is not None:
            person = _plain(got[0])
            values = tuple(_plain(v) for v in got[1:])
        else:
            person = _value(check.person, res, catalogs)
            values = None
        if not isinstance(person, str):
            continue  # pragma: no cover - the required clause made it undetermined
        if values is None:
            values = tuple(_value(rule, res, catalogs) for _name, rule in check.key)
        if any(v is None for v in values):
            continue  # pragma: no cover - as above
        period = res.as_of.year if check.per == "year" and res.as_of else None
        if check.per == "year" and period is None:
            continue
        for program in hit:
            out.append((check.id, person, values, period, program))
    return tuple(out)


def _value(rule, res, catalogs):
    try:
        v = rule.expression.fn(Context(res.facts, as_of=res.as_of, standards={}, catalogs=catalogs))
    except PolicyError:
        return None
    return _plain(v)


def _plain(v):
    if v is None or type(v).__name__ == "Unknown":
        return None
    return v.isoformat() if isinstance(v, _dt.date) else str(v)


class _Places:
    """Claim (as a 16-byte digest) -> the place it was first seen (an int),
    in flat arrays (open addressing): 24 bytes a slot, at most three quarters
    used, where a dict of tuples took close to 400 bytes a claim (a batch of a
    million cases holds some 600,000 claims)."""

    def __init__(self):
        self._size(1 << 12)

    def _size(self, capacity: int) -> None:
        self.mask = capacity - 1
        self.hi = array("Q", bytes(8 * capacity))
        self.lo = array("Q", bytes(8 * capacity))
        self.at = array("q", bytes(8 * capacity))
        self.used = 0

    def first(self, digest: bytes, place: int) -> int | None:
        """The place of the claim's first sighting; None (and ``place``
        remembered) if this is the first."""
        hi = int.from_bytes(digest[:8], "little")
        lo = int.from_bytes(digest[8:], "little") or 1  # (0, 0) marks a free slot
        mask, his, los = self.mask, self.hi, self.lo
        i = hi & mask
        while his[i] or los[i]:
            if his[i] == hi and los[i] == lo:
                return self.at[i]
            i = (i + 1) & mask
        his[i], los[i], self.at[i] = hi, lo, place
        self.used += 1
        if self.used * 4 > mask * 3:  # three quarters full
            self._grow()
        return None

    def _grow(self) -> None:
        old_hi, old_lo, old_at = self.hi, self.lo, self.at
        used = self.used
        self._size((self.mask + 1) * 2)
        mask, his, los, at = self.mask, self.hi, self.lo, self.at
        for j in range(len(old_hi)):
            hi, lo = old_hi[j], old_lo[j]
            if hi or lo:
                i = hi & mask
                while his[i] or los[i]:
                    i = (i + 1) & mask
                his[i], los[i], at[i] = hi, lo, old_at[j]
        self.used = used


# the registry's table in memory holds at most this many slots (24 bytes each:
# 100 MB, some 3,000,000 claims, a batch of about 5,000,000 cases); a longer
# batch goes on with its claims in a database file of its own (_DiskPlaces),
# so memory stays bounded however many cases a province sends
SPILL_SLOTS = 1 << 22
DISK_CACHE_KB = 32 * 1024  # the database's page cache


def _key(digest: bytes) -> bytes:
    """A digest as _Places tells it apart (its second half 0 is read as 1)."""
    return digest if digest[8:] != bytes(8) else digest[:8] + (1).to_bytes(8, "little")


class _DiskPlaces:
    """The registry's claims in a SQLite file (digest -> the place first seen,
    and the places after it), in a folder of this process's own (0700,
    removed by ``close``): what a batch too long for the table in memory
    goes on with. Memory is SQLite's page cache (DISK_CACHE_KB)."""

    def __init__(self):
        import sqlite3
        import tempfile

        self.folder = tempfile.mkdtemp(prefix="policy-registry-")
        self.db = sqlite3.connect(Path(self.folder) / "claims.sqlite", isolation_level=None)
        for pragma in (
            "journal_mode=OFF",  # a scratch file: nothing to recover after a crash
            "synchronous=OFF",
            "locking_mode=EXCLUSIVE",
            f"cache_size=-{DISK_CACHE_KB}",
            "temp_store=FILE",
        ):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE first (d BLOB PRIMARY KEY, at INTEGER) WITHOUT ROWID")
        self.db.execute("CREATE TABLE more (d BLOB, at INTEGER)")
        self.db.execute("CREATE INDEX more_d ON more (d)")
        self.db.execute("BEGIN")  # one transaction: never committed, the file is scratch

    def seen(self, digest: bytes, place: int) -> list[int]:
        """The earlier places of a claim (first, then the others in order);
        this one is remembered after them."""
        d = _key(digest)
        db = self.db
        row = db.execute("SELECT at FROM first WHERE d = ?", (d,)).fetchone()
        if row is None:
            db.execute("INSERT INTO first VALUES (?, ?)", (d, place))
            return []
        earlier = [row[0]] + [
            r[0] for r in db.execute("SELECT at FROM more WHERE d = ? ORDER BY rowid", (d,))
        ]
        db.execute("INSERT INTO more VALUES (?, ?)", (d, place))
        return earlier

    def take(self, places: _Places, more: dict) -> None:
        """Every claim of the table in memory (and the places after the
        first of those seen again)."""
        db = self.db
        for j in range(places.mask + 1):
            hi, lo = places.hi[j], places.lo[j]
            if hi or lo:
                d = hi.to_bytes(8, "little") + lo.to_bytes(8, "little")
                db.execute("INSERT INTO first VALUES (?, ?)", (d, places.at[j]))
        for digest, ats in more.items():
            db.executemany("INSERT INTO more VALUES (?, ?)", [(_key(digest), a) for a in ats])

    def close(self) -> None:
        import shutil

        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _normalised(rec: dict, formats, source: str, line: int) -> dict:
    """A history record with its formatted values in their canonical form."""
    if not formats:
        return rec
    from interpreter.formats import FormatError, get_format

    out = dict(rec)
    for name, fmt in formats:
        if out.get(name) is None:
            continue
        try:
            out[name] = get_format(fmt).normalise(out[name])
        except FormatError as exc:
            raise CaseError(
                f'"{name}" is not a valid {get_format(fmt).label}: {exc.message}',
                position=Position(source, line),
                hint=exc.hint,
            ) from None
    return out


# a claim as the registry keeps it: its 16-byte digest and its place
JOURNAL_RECORD = struct.Struct("<16sq")


def claim_digest(key: tuple) -> bytes:
    """The 16-byte digest (BLAKE2b) of a claim's (check id, person, key
    values, period): what the registry compares, and what a distributed batch
    shuffles (population.distributed)."""
    return hashlib.blake2b(repr(key).encode("utf-8"), digest_size=16).digest()


def flag(check: Check, claim: tuple, conflicts_with: list[str]) -> dict:
    """The flag of a claim over its check's limit: what the line gets, with
    the places (``source:line``) of the earlier claims it conflicts with."""
    _check_id, person, values, period, program = claim
    return {
        "check": check.id,
        "label": check.label,
        "program": program,
        "person": person,
        "key": {name: v for (name, _p), v in zip(check.key, values)},
        **({"year": period} if period is not None else {}),
        "max": check.max,
        "conflicts_with": conflicts_with,
        **({"cite": check.cite} if check.cite else {}),
    }


def history_claims(path: str | Path, checks: list[Check], policy=None, other_policy: bool = False):
    """The claims of a history file: (line, (check id, person, key values,
    period)) for each record and each check that covers its program, in the
    order of the file and of the checks."""
    name = str(path)
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            # the file comes from outside: a line that is not UTF-8, or nests
            # deeper than Python recurses, was an internal error (exit 3)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CaseError(
                    f"the line is not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                    position=Position(name, n),
                ) from None
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                _person, program = rec["id"], rec["program"]
                date = _dt.date.fromisoformat(rec["date"])
            except RecursionError:
                raise CaseError("the JSON nests too deeply", position=Position(name, n)) from None
            except (ValueError, KeyError, TypeError):
                raise CaseError(
                    "a history record needs id, program and date (YYYY-MM-DD)",
                    position=Position(name, n),
                ) from None
            # a program or a value of a check's key that is no text nor number
            # (a list, an object) counted for nothing, without a word
            for key in ("program", *(k for c in checks for k, _p in c.key)):
                value = rec.get(key)
                if key == "program" and not isinstance(value, str):
                    raise CaseError(
                        f'"program" is a program\'s id as text, found {json.dumps(value)[:60]}',
                        position=Position(name, n),
                    )
                if isinstance(value, (list, dict)):
                    raise CaseError(
                        f'"{key}" is a text or a number, found {json.dumps(value)[:60]}',
                        position=Position(name, n),
                    )
            if policy is not None:
                # a record naming another policy is refused (interpreter.identity)
                from interpreter.identity import made_under

                made = rec.get("policy_id")
                made_under(
                    policy,
                    made if isinstance(made, str) else None,
                    Position(name, n),
                    "history record",
                    other_policy,
                )
            for check in checks:
                if program not in check.programs:
                    continue
                rec_n = _normalised(rec, check.formats, name, n)
                values = tuple(
                    None if rec_n.get(k) is None else str(rec_n[k]) for k, _p in check.key
                )
                if any(v is None for v in values):
                    continue
                period = date.year if check.per == "year" else None
                yield n, (check.id, rec_n["id"], values, period)


class Registry:
    """What each person has claimed so far in this batch (and in the history).

    A claim is kept as a digest (BLAKE2b, 16 bytes) of (check, person, key,
    period) with the place it was first seen, so that memory stays small
    however long the batch; the places after the first are kept only for the
    claims made more than once (the flagged ones)."""

    def __init__(self, checks: list[Check], spill_slots: int | None = None):
        self.checks = {c.id: c for c in checks}
        self._first = _Places()
        self._more: dict[bytes, list[int]] = {}
        # beyond this many slots in memory, the claims go on in a file
        self.spill_slots = SPILL_SLOTS if spill_slots is None else spill_slots
        self._disk: _DiskPlaces | None = None
        self._sources: list[str] = []  # a place is line * 64 + source index
        self.flagged = 0
        # when a list: every claim seen, as JOURNAL_RECORD bytes (digest, place),
        # in the order seen; what a resumed batch replays (``replay``)
        self.journal: list[bytes] | None = None

    def replay(self, journal: bytes) -> int:
        """Remember the claims of a journal (the records ``journal`` collected
        in an earlier run, in their order): the registry is then as that run
        left it. Returns the number of claims."""
        n = 0
        for digest, place in JOURNAL_RECORD.iter_unpack(journal):
            self._seen_digest(digest, place)
            n += 1
        return n

    def source_index(self, source: str) -> int:
        """The index of a source in the places (history files first)."""
        return self._place(source, 0) % 64

    def _place(self, source: str, line: int) -> int:
        try:
            i = self._sources.index(source)
        except ValueError:
            if len(self._sources) >= 64:
                raise CaseError("too many history files (64 at most)") from None
            i = len(self._sources)
            self._sources.append(source)
        return line * 64 + i

    def _name(self, place: int) -> str:
        return f"{self._sources[place % 64]}:{place // 64}"

    def _seen(self, key: tuple, place: int) -> list[int]:
        """The earlier places of a claim; this one is remembered after them."""
        digest = claim_digest(key)
        if self.journal is not None:
            self.journal.append(JOURNAL_RECORD.pack(digest, place))
        return self._seen_digest(digest, place)

    def _seen_digest(self, digest: bytes, place: int) -> list[int]:
        if self._disk is not None:
            return self._disk.seen(digest, place)
        places = self._first
        if (places.used + 1) * 4 > places.mask * 3 and (places.mask + 1) * 2 > self.spill_slots:
            # the table would double past its bound: the claims move to a file
            self._disk = _DiskPlaces()
            self._disk.take(places, self._more)
            self._first, self._more = _Places(), {}
            return self._disk.seen(digest, place)
        first = places.first(digest, place)
        if first is None:
            return []
        more = self._more.setdefault(digest, [])
        earlier = [first, *more]
        more.append(place)
        return earlier

    @property
    def spilled(self) -> bool:
        """Whether the claims have gone on in a file (a batch past SPILL_SLOTS)."""
        return self._disk is not None

    def close(self) -> None:
        """Remove the file of the claims, if they went on in one."""
        if self._disk is not None:
            self._disk.close()
            self._disk = None

    def load_history(self, path: str | Path, policy=None, other_policy: bool = False) -> int:
        name = str(path)
        lines = set()
        for n, key in history_claims(path, list(self.checks.values()), policy, other_policy):
            self._seen(key, self._place(name, n))
            lines.add(n)
        return len(lines)

    def add(self, source: str, line: int, found: tuple) -> list[dict]:
        """Record the claims of the case at ``source:line``; the flags for
        those over the limit."""
        flags = []
        place = self._place(source, line)
        for claim in found:
            check = self.checks[claim[0]]
            earlier = self._seen(claim[:4], place)
            if len(earlier) >= check.max:
                flags.append(flag(check, claim, [self._name(p) for p in earlier]))
        if flags:
            self.flagged += 1
        return flags
