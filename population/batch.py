"""Batch decisions: stream a population of cases through the policy.

A case file is JSON Lines (one case object per line) or CSV (a header row of
dotted fact paths, one case per row; see docs/batch.md for the mapping). It is
read one record at a time, each record is decided and written out as one line
of JSON, so memory stays flat however many cases there are. A record that
cannot be decided (bad JSON, a field the policy does not declare, a value of
the wrong type) is *rejected*: reported with its line number and written to
the rejects file, never dropped and never fatal to the rest.

With ``jobs > 1`` the records go in chunks to a pool of worker processes; each
worker loads and compiles the policy once (in its initializer, or inherits it
from the parent when the platform forks) and the results are written in input
order, so the output does not depend on the number of jobs. A chunk of JSON
Lines goes as the file's bytes, and comes back rendered and tallied
(``pack``): the parent does almost nothing per case, so two workers on two
CPUs are not held up by it.

Public API:
  open_cases(path, fmt)        -> CaseFile (iterate .records())
  CsvLayout(policy, header)    the CSV header checked against facts.yaml
  record_case(record, layout, source) -> the case as parsed JSON values
  decision_level(policy, decision, facts, as_of) -> the level a decision is counted under
  BatchSpec, Worker            decide records (one process)
  decide_stream(spec, records) -> Outcomes, one per record (one process)
  run_batch(...)               -> Summary (the whole streaming loop, --jobs included)
  load_policy_with(policy_dir, revisions, catalogs)
  csv_columns(policy), case_to_row(case, columns)   cases as CSV rows
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import hashlib
import itertools
import json
import os
import sys
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, cast

from dsl.errors import CaseError, PolicyError, Position

from .pool import InternalError, ignore_interrupts, in_order

JSONL, CSV = "jsonl", "csv"
LIST_SEPARATOR = "|"
CHUNK_SIZE = 1000  # records per task sent to a worker (fewer tasks: less work for the parent)
# whether a batch line may take the short path (population.batchline): the
# tests turn it off to run the same suite over the general path alone
SHORT_PATH = True
TRUE_WORDS = {"true", "yes", "y", "1", "是", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "f"}
NO_LEVEL = "—"  # a decision with no level (none given, none applies)
# what each output line keeps of result_json's "case" (with --explain: the facts too)
CASE_KEYS = ("as_of", "as_of_source", "as_of_missing")
CASE_KEYS_EXPLAINED = CASE_KEYS + ("facts",)


# -- loading ---------------------------------------------------------------------------


def load_policy_with(policy_dir=None, revisions: Iterable[str] = (), catalogs=None):
    """The policy of ``policy_dir`` (default: bundled) plus ``revisions``, with
    the catalogue source the command line hands down (see load_policy); the
    one way the population commands and batch workers load a policy."""
    from interpreter.loader import load_policy

    return load_policy(policy_dir, catalogs=catalogs, revisions=[str(r) for r in revisions])


# -- reading case files -----------------------------------------------------------------


@dataclass(slots=True)  # one per line: made and read a little faster with slots
class Record:
    """One case as read from the file, before it is parsed or checked."""

    line: int  # line of the file where the case starts (1-based)
    text: str  # the raw text of the case (no line ending)
    cells: list[str] | None = None  # CSV: the cells of the row
    error: str | None = None  # a problem found while reading (encoding, cell count)


def detect_format(path: str, head: bytes) -> str:
    """jsonl or csv, from the file name, else from the first non-blank byte."""
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return JSONL
    if suffix in (".csv", ".tsv"):
        return CSV
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return JSONL if first == b"{" else CSV


class CaseFile:
    """A case file opened for streaming. Use as a context manager.

    ``records()`` yields Records one at a time; blank lines (and CSV rows
    whose cells are all empty) are skipped, not counted as cases.
    ``header`` is the CSV header row (None for JSON Lines); ``progress()`` is
    the fraction of the file read so far (None when reading a pipe).
    """

    def __init__(self, path: str, fmt: str = "auto"):
        self.path = str(path)
        self.name = "<stdin>" if self.path == "-" else self.path
        try:
            if self.path == "-":
                self._f = sys.stdin.buffer
                self.size = None
            else:
                self._f = open(self.path, "rb")  # noqa: SIM115 - closed by __exit__
                self.size = os.fstat(self._f.fileno()).st_size
        except OSError as exc:
            raise CaseError(
                f"cannot read the case file: {exc.strerror}", position=Position(self.name)
            ) from None
        if fmt == "auto":
            head = self._f.peek(4096)[:4096] if hasattr(self._f, "peek") else b""
            fmt = detect_format(self.path, head)
        if fmt not in (JSONL, CSV):
            raise CaseError(
                f"unknown case file format '{fmt}' (jsonl or csv)", position=Position(self.name)
            )
        self.format = fmt
        self.header: list[str] | None = None
        self.header_line = 0
        # the next physical line to read (with the file's offset, where a
        # chunk ends: recorded so that a batch can go on from there)
        self.next_line = 1
        self._lines = self._physical_lines()
        self._csv_rows: Iterator[list[str]] | None = None  # CSV: csv.reader over the lines
        self._consumed: list[tuple[int, str, str | None]] = []  # (line, text, problem)
        if fmt == CSV:
            self._csv_rows = csv.reader(self._csv_feed())
            self._read_header()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self._f is not sys.stdin.buffer:
            self._f.close()

    def progress(self) -> float | None:
        if not self.size:
            return None
        try:
            return min(1.0, self._f.tell() / self.size)
        except (OSError, ValueError):
            return None

    def start_at(self, offset: int, line: int) -> None:
        """Go on reading at byte ``offset`` of the file, the start of physical
        line ``line`` (where a resumed batch stopped; after a CSV header)."""
        if self.path == "-":
            raise CaseError(
                "standard input cannot be read from the middle", position=Position(self.name)
            )
        self._f.seek(offset)
        self.next_line = line
        self._lines = self._physical_lines()
        if self.format == CSV:
            self._consumed = []
            self._csv_rows = csv.reader(self._csv_feed())

    def position(self) -> tuple[int | None, int]:
        """Where reading stands: (byte offset in the file, next physical
        line); the offset is None for standard input. At the end of a chunk,
        where a resumed batch goes on."""
        try:
            offset = self._f.tell() if self.path != "-" else None
        except (OSError, ValueError):
            offset = None
        return offset, self.next_line

    # physical lines: (number, text without line ending, problem or None, raw ending)
    def _physical_lines(self) -> Iterator[tuple[int, str, str | None, str]]:
        n = self.next_line - 1
        try:
            for raw in bounded_lines(self._f):
                n += 1
                self.next_line = n + 1
                if isinstance(raw, LongLine):
                    # never held whole: its first characters, for the rejects file
                    yield n, raw.prefix, raw.problem(), "\n"
                    continue
                if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                body = raw.rstrip(b"\r\n")
                ending = raw[len(body) :].decode("ascii")
                try:
                    yield n, body.decode("utf-8"), None, ending
                except UnicodeDecodeError:
                    yield (
                        n,
                        body.decode("utf-8", errors="replace"),
                        "the line is not UTF-8 text",
                        ending,
                    )
        except OSError as exc:
            raise CaseError(
                f"cannot read the case file: {exc.strerror}", position=Position(self.name, n + 1)
            ) from None

    def _csv_feed(self) -> Iterator[str]:
        for n, text, problem, ending in self._lines:
            self._consumed.append((n, text, problem))
            # a line over the limit reaches the CSV reader empty (its row is rejected)
            yield (text if problem is None or not problem.startswith(LONG) else "") + (
                ending or "\n"
            )

    def _read_header(self):
        for rec in self._csv_rows_raw():
            if rec.error:
                raise CaseError(
                    f"the header row of the CSV file is unreadable: {rec.error}",
                    position=Position(self.name, rec.line),
                )
            if not any(c.strip() for c in rec.cells):
                continue
            self.header = [c.strip() for c in rec.cells]
            self.header_line = rec.line
            return

    def _csv_rows_raw(self) -> Iterator[Record]:
        while True:
            try:
                cells = next(cast("Iterator[list[str]]", self._csv_rows))  # a CSV file
            except StopIteration:
                return
            except csv.Error as exc:
                consumed, self._consumed = self._consumed, []
                line = consumed[0][0] if consumed else 0
                yield Record(
                    line,
                    "\n".join(t for _, t, _ in consumed),
                    [],
                    error=f"not a valid CSV row: {exc}",
                )
                continue
            consumed, self._consumed = self._consumed, []
            if not consumed:  # pragma: no cover - csv always reads a line
                continue
            line = consumed[0][0]
            text = "\n".join(t for _, t, _ in consumed)
            problems = [p for _, _, p in consumed if p is not None]
            error = (
                None
                if not problems
                else (problems[0] if problems[0].startswith(LONG) else "the row is not UTF-8 text")
            )
            yield Record(line, text, cells, error)

    def raw_blocks(self, lines: int) -> Iterator[tuple[int, bytes]]:
        """JSON Lines in blocks of ``lines`` lines, as bytes: (number of the
        block's first line, the lines). What the parent of ``--jobs`` workers
        sends them: they split, decode and skip blank lines (``block_records``),
        so the parent does no work per line."""
        assert self.format == JSONL
        n = self.next_line
        reader = bounded_lines(self._f)
        try:
            while True:
                got = list(itertools.islice(reader, lines))
                if not got:
                    return
                self.next_line = n + len(got)
                if (
                    n == 1
                    and not isinstance(got[0], LongLine)
                    and got[0].startswith(b"\xef\xbb\xbf")
                ):
                    got[0] = got[0][3:]
                long = {
                    i: (g.prefix, g.length) for i, g in enumerate(got) if isinstance(g, LongLine)
                }
                if long:
                    # an empty line in its place keeps the numbering; the block
                    # says which lines were over the limit (Block.long_lines)
                    block = Block(
                        b"".join(b"\n" if i in long else cast(bytes, g) for i, g in enumerate(got))
                    )
                    block.long_lines = long
                    yield n, block
                else:
                    yield n, b"".join(cast("list[bytes]", got))  # no line over the limit
                n += len(got)
        except OSError as exc:
            raise CaseError(
                f"cannot read the case file: {exc.strerror}", position=Position(self.name, n)
            ) from None

    def records(self) -> Iterator[Record]:
        if self.format == JSONL:
            for n, text, problem, _ending in self._lines:
                if not text.strip() and problem is None:
                    continue
                yield Record(n, text, None, problem)
            return
        width = len(self.header or ())
        for rec in self._csv_rows_raw():
            cells = cast("list[str]", rec.cells)  # a CSV record has its cells
            if rec.error is None and not any(c.strip() for c in cells):
                continue
            if rec.error is None and len(cells) != width:
                rec.error = f"the row has {len(cells)} cells, the header has {width}"
            yield rec


# -- lines of bounded length ----------------------------------------------------------

MAX_LINE_BYTES = 1024 * 1024  # a batch line is a case: the limit of a case file
LONG_PREFIX_CHARS = 1000  # what the rejects file keeps of a line over the limit
LONG = "the line is "  # how the message of a line over the limit starts


class LongLine:
    """A line longer than MAX_LINE_BYTES: its length and first characters only."""

    __slots__ = ("length", "prefix")

    def __init__(self, head: bytes, length: int):
        self.prefix = (
            head[: LONG_PREFIX_CHARS * 4].decode("utf-8", errors="replace")[:LONG_PREFIX_CHARS]
            + "…"
        )
        self.length = length

    def problem(self) -> str:
        return f"{LONG}{self.length} bytes long; the limit is {MAX_LINE_BYTES} (a case)"


class Block(bytes):
    """A block of JSON Lines (``raw_blocks``) with the lines that were over the
    limit: index in the block → (first characters, length)."""

    long_lines: dict = {}  # noqa: RUF012 - read-only default; a block with long lines sets its own


def bounded_lines(f, limit: int = MAX_LINE_BYTES) -> Iterator[bytes | LongLine]:
    """The lines of a binary file (with their endings), never more than
    ``limit`` bytes of one in memory: a longer line is read through in pieces
    and given as a LongLine (a 99 MB line once took 1.15 GB)."""
    while True:
        raw = f.readline(limit + 1)
        if not raw:
            return
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw
            continue
        head, length = raw, len(raw)
        while not raw.endswith(b"\n"):
            raw = f.readline(1 << 20)
            if not raw:
                break
            length += len(raw)
        yield LongLine(head, length - (1 if raw.endswith(b"\n") else 0))


def open_cases(path: str, fmt: str = "auto") -> CaseFile:
    """Open a JSON Lines or CSV case file for streaming (``fmt``: auto, jsonl, csv)."""
    return CaseFile(path, fmt)


# -- CSV columns ---------------------------------------------------------------------

SCALAR, LIST, JSON_CELL, IGNORED = "scalar", "list", "json", "ignored"


@dataclass
class Column:
    index: int
    path: str
    parts: tuple[str, ...]
    mode: str  # scalar | list | json | ignored
    type: str | None  # the declared type of the leaf (or of the list items)


class CsvLayout:
    """The header of a CSV case file, checked against the policy's facts.

    Each column is a dotted fact path. A leaf fact (text, number, money,
    boolean, date, enum) is one cell; a list of leaves is one cell with the
    values separated by ``|`` (or a JSON array); a record or a list of records
    (``history``) is one cell holding JSON. Columns starting with ``_`` or
    ``$`` are notes and are ignored. An unknown column is an error for the
    whole file (raised here, before any case is read).
    """

    def __init__(self, policy, header: list[str], source: str = "<csv>", line: int = 1):
        self.header = list(header)
        self.columns: list[Column] = []
        seen: dict[str, int] = {}
        for i, name in enumerate(self.header):
            where = Position(source, line)
            if not name:
                raise CaseError(
                    f"column {i + 1} of the header has no name",
                    position=where,
                    hint="every column is a fact path such as certificate.level",
                )
            if name.startswith(("_", "$")):
                self.columns.append(Column(i, name, (), IGNORED, None))
                continue
            if name in seen:
                raise CaseError(
                    f"the column '{name}' is given twice (columns {seen[name] + 1} and {i + 1})",
                    position=where,
                )
            seen[name] = i
            if "[" in name:
                raise CaseError(
                    f"column '{name}': a field inside a list cannot be a column",
                    position=where,
                    hint=f"give the list '{name.split('[')[0]}' as one JSON column",
                )
            decl = policy.fact(name)
            if decl is None:
                raise CaseError(
                    f"column '{name}': the policy declares no fact '{name}'",
                    position=where,
                    hint=_close_fact(policy, name),
                )
            parts = tuple(name.split("."))
            if decl.type == "record" or (
                decl.type == "list"
                and decl.items is not None
                and decl.items.type in ("record", "list")
            ):
                mode, typ = JSON_CELL, decl.type
            elif decl.type == "list":
                mode, typ = LIST, decl.items.type if decl.items is not None else "string"
            else:
                mode, typ = SCALAR, decl.type
            self.columns.append(Column(i, name, parts, mode, typ))
        paths = [c.path for c in self.columns if c.mode != IGNORED]
        for p in paths:
            for q in paths:
                if q.startswith(p + "."):
                    raise CaseError(
                        f"the columns '{p}' and '{q}' overlap: give one or the other",
                        position=Position(source, line),
                    )

    def to_case(self, cells: list[str], name: str = "<row>") -> dict:
        """The case of one row, as parsed JSON values (Decimal numbers, strings
        for dates); CaseReader.convert checks it like a JSON case."""
        case: dict = {}
        for col in self.columns:
            if col.mode == IGNORED:
                continue
            cell = cells[col.index]
            if not cell.strip():
                continue  # empty cell: a missing fact
            value = self._value(col, cell, name)
            node = case
            for p in col.parts[:-1]:
                node = node.setdefault(p, {})
            node[col.parts[-1]] = value
        return case

    def _value(self, col: Column, cell: str, name: str):
        if (
            col.mode == JSON_CELL
            or (col.mode == LIST and cell.lstrip().startswith("["))
            or (cell.lstrip().startswith("{"))
        ):  # {"none": true}: stated none
            from interpreter.cases import parse_json_text

            try:
                return parse_json_text(cell, name)
            except CaseError as err:
                raise CaseError(
                    f"the cell is not valid JSON ({err.message})",
                    position=Position(name),
                    context=f"field {col.path}",
                    hint="a record or a list of records is written as JSON in one "
                    'cell, e.g. [{"program": "PROGRAM", "date": "2019-07-20"}]',
                ) from None
        if col.mode == LIST:
            return [_scalar(col.type, v.strip()) for v in cell.split(LIST_SEPARATOR) if v.strip()]
        return _scalar(col.type, cell.strip())


def _scalar(typ: str | None, text: str):
    """A cell as the JSON value it stands for; a cell that does not fit its
    type is passed on as text so the case reader names the problem."""
    if typ in ("number", "money"):
        from interpreter.cases import number_problem

        if number_problem(text) is not None:
            return text  # the reader says why (no Decimal made of it)
        try:
            return Decimal(text)
        except InvalidOperation:
            return text
    if typ == "boolean":
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        return text
    return text


def _close_fact(policy, name: str) -> str | None:
    import difflib

    paths = list(_leaf_paths(policy.facts))
    m = difflib.get_close_matches(name, paths, n=1, cutoff=0.6)
    return f"did you mean '{m[0]}'?" if m else None


def _leaf_paths(facts: dict, prefix: str = ""):
    for name, decl in facts.items():
        path = f"{prefix}{name}"
        if decl.type == "record":
            yield from _leaf_paths(decl.fields, path + ".")
        else:
            yield path


def csv_columns(policy) -> list[str]:
    """Every column a CSV case file for this policy can have, in facts.yaml order."""
    return list(_leaf_paths(policy.facts))


def case_to_row(case: dict, columns: list[str]) -> list[str]:
    """A case (JSON values) as CSV cells for ``columns`` (the inverse of CsvLayout)."""
    row = []
    for col in columns:
        v: Any = case
        for p in col.split("."):
            v = v.get(p) if isinstance(v, dict) else None
        row.append(_cell(v))
    return row


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list) and all(isinstance(x, str) and LIST_SEPARATOR not in x for x in v):
        return LIST_SEPARATOR.join(v) if v else "[]"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _json_default(v):
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    raise TypeError(f"{type(v).__name__} is not JSON")


def record_case(record: Record, layout: CsvLayout | None, source: str) -> dict:
    """The case of a record as parsed JSON values; CaseError when it is unreadable."""
    from interpreter.cases import parse_json_text

    name = f"{source}:{record.line}"
    if record.error:
        raise CaseError(record.error, position=Position(name))
    if layout is not None:
        return layout.to_case(cast("list[str]", record.cells), name)  # a CSV record
    return cast(dict, parse_json_text(record.text, name))


# -- levels --------------------------------------------------------------------------


def decision_level(
    policy, decision, facts: dict, as_of, standards_cache: dict | None = None
) -> str:
    """The level a decision is counted under in summaries, diffs and reports:
    the program's ``level`` expression, else the document's ``report_level``
    (both data in the policy), else "—"."""
    rule = decision.program.level or policy.report_level
    if rule is None:
        return NO_LEVEL
    value = rule_value(policy, rule, facts, as_of, standards_cache, decision.program)
    return value if isinstance(value, str) else NO_LEVEL


def case_id(policy, facts: dict):
    """Who the case is about (document.yaml ``case_id``), or None."""
    if policy.case_id is None:
        return None
    value = rule_value(policy, policy.case_id, facts, None, None)
    return value if isinstance(value, str) else None


def rule_value(policy, rule, facts, as_of, standards_cache, program=None):
    """One compiled rule evaluated on a case's facts (no trace)."""
    from dsl import Context

    cache = standards_cache if standards_cache is not None else {}
    standards = cache.get(as_of) if as_of is not None else {}
    if standards is None:
        standards = {}
        for sid, std in policy.standards.items():
            v = std.at(as_of)
            if v is not None:
                standards[sid] = v.value
        cache[as_of] = standards
    try:
        return rule.expression.fn(
            Context(
                facts,
                as_of=as_of,
                standards=standards,
                catalogs=getattr(policy, "catalog_values", None),
            )
        )
    except PolicyError:
        return None


class LineValues:
    """The case id and each decision's level, as a batch line needs them:
    from code generated once from the rules (as the programs are), not by
    the rules' closures per case. The same values as ``case_id`` and
    ``decision_level``: a rule that would read the decision date or the
    standards where those pass none (the case id; a level when the date is
    unknown) is left to them."""

    def __init__(self, policy, evaluator):
        from interpreter.evaluate import _reads_date

        self.policy, self.evaluator = policy, evaluator
        self.catalogs = getattr(policy, "catalog_values", None)
        rule = policy.case_id
        self._case_id = None
        if rule is not None and not _reads_date(rule.expression.node, policy):
            self._case_id = _generated(policy, rule, None)
        self._levels: dict = {}  # program id -> generated function, or None
        self._standards: dict = {}

    def case_id(self, facts: dict):
        fn = self._case_id
        if fn is None:
            return case_id(self.policy, facts)
        try:
            value = fn(facts, None, _NO_STANDARDS, self.catalogs)[0]
        except PolicyError:
            return None
        return value if isinstance(value, str) else None

    def level(self, decision, facts: dict, as_of) -> str:
        program = decision.program
        fn = self._levels.get(program.id, _UNSET)
        if fn is _UNSET:
            rule = program.level or self.policy.report_level
            fn = self._levels[program.id] = (
                None
                if rule is None
                else _generated(self.policy, rule, program if program.level else None)
            )
        if fn is None:
            return NO_LEVEL
        if as_of is None:  # the closures see no standards then
            return decision_level(self.policy, decision, facts, as_of, self._standards)
        standards = self.evaluator._standards_at(as_of)[0]
        try:
            value = fn(facts, as_of, standards, self.catalogs)[0]
        except PolicyError:
            return NO_LEVEL
        return value if isinstance(value, str) else NO_LEVEL


_UNSET = object()
_NO_STANDARDS: dict = {}


def _generated(policy, rule, program):
    """The generated function of one rule (with the program's lets, for a
    program's own rule)."""
    from dsl.codegen import generate_function

    lets = {d.id: d.rule.expression.node for d in program.lets} if program else None
    return generate_function(policy.env, [rule.expression.node], lets, compiled=policy.compiled)[0]


# -- deciding records ------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSpec:
    """Everything a worker needs to decide records the same way as the parent."""

    policy_dir: str | None = None
    revisions: tuple[str, ...] = ()
    catalogs: object = None  # the catalogue source (picklable)
    as_of: _dt.date | None = None
    explain: bool = False
    header: tuple[str, ...] | None = None  # CSV header; None for JSON Lines
    header_line: int = 1
    source: str = "<cases>"  # the case file's name, for messages


@dataclass(slots=True)  # one per line, as Record
class Outcome:
    """What came of one record: an output line, or a reject line and its message."""

    line: int
    ok: bool
    text: str  # the JSON line to write
    tally: tuple = ()  # ok: ((program, outcome, amount, level), ...)
    message: str = ""  # reject: for stderr
    claims: tuple = ()  # ok: real-name claims (population.realname)


class Worker:
    """Decides records with a policy loaded once."""

    def __init__(self, spec: BatchSpec, policy=None):
        from interpreter.evaluate import Evaluator

        self.spec = spec
        self.policy = (
            policy
            if policy is not None
            else load_policy_with(spec.policy_dir, spec.revisions, spec.catalogs)
        )
        self.evaluator = Evaluator(self.policy)
        self.hash = self.policy.hash
        self.layout = (
            CsvLayout(self.policy, list(spec.header), spec.source, spec.header_line)
            if spec.header is not None
            else None
        )
        self._standards: dict = {}
        self.line_values = LineValues(self.policy, self.evaluator)
        from interpreter.render import JSON_FORMAT_VERSION, decision_json, result_json

        from .realname import checks_of, claims, compiled_checks

        self.checks = checks_of(self.policy)
        self._compiled_checks = compiled_checks(self.policy, self.checks)
        # imported once, not per case
        self._claims = claims
        self._render = (JSON_FORMAT_VERSION, decision_json, result_json)
        # a line without explanations is written from parts (LineParts): the
        # same bytes as compact() of its dict, most of them made once
        self._parts = LineParts(self.policy, JSON_FORMAT_VERSION, decision_json)
        from interpreter.cases import parse_json_text

        self._parse = parse_json_text
        # the short path of a line (population.batchline): built for the
        # second record, then None when the batch cannot take it
        self._line: Any = _UNSET
        self._records = 0
        _freeze_once()

    def run(self, records: list[Record]) -> list[Outcome]:
        return [self.decide(r) for r in records]

    def decide(self, record: Record) -> Outcome:
        line = self._line
        if line is not None:
            if line is _UNSET:
                line = self._short_path()
            if line is not None:
                try:
                    got = line.line(record)
                except Exception as exc:
                    self.short_path_failed(record.line, exc)
                    raise  # pragma: no cover - short_path_failed raises
                if got is not None:
                    return got
        return self.decide_general(record)

    def short_path_failed(self, line: int, exc: Exception) -> NoReturn:
        """An exception from the short path: a bug, not a bad line (those
        go back to the general path), so the batch stops (exit 3)."""
        if os.environ.get("POLICY_DEBUG"):
            raise exc
        raise InternalError(
            f"while deciding {self.spec.source}:{line}: {type(exc).__name__}: {exc}"
        ) from None

    def block(self, first: int, block: bytes, numbered: list | None = None) -> tuple:
        """A block of JSON Lines decided and packed (``decide_block``): by
        the short path's block (population.batchline) when this worker's
        lines take it and the block holds more than one line, else record
        by record. ``numbered``: given a list, each output line's (line number,
        tally) is added to it, in output order."""
        line = self._line
        if line is _UNSET and block.count(b"\n") > 1:
            line = self._short_path(lines=2)
        if line is not None and line is not _UNSET:
            got = line.block(first, block, numbered)
            if got is not None:
                return got
        outcomes = self.run(block_records(first, block))
        if numbered is not None:
            numbered.extend((o.line, o.tally) for o in outcomes if o.ok)
        return pack(outcomes)

    def _short_path(self, lines: int = 1):
        """The short path of a line (population.batchline), from the second
        record on (one record, such as a request's, does not pay for
        generating it), when the batch can take it; None: every line takes
        the general path. ``lines``: the records about to be decided."""
        from .batchline import BatchLine

        self._records += lines
        if self._records < 2:
            return None
        if not SHORT_PATH or not BatchLine.usable(self):
            self._line = None
            return None
        line = self._line = BatchLine(self)
        return line

    def decide_general(self, record: Record) -> Outcome:
        """The general path of a record: what any record, bad ones included,
        is decided by (``decide`` tries the short path first)."""
        spec = self.spec
        name = f"{spec.source}:{record.line}"
        try:
            case = (
                cast(dict, self._parse(record.text, name))  # a JSON line (the common case)
                if self.layout is None and not record.error
                else record_case(record, self.layout, spec.source)
            )
            res = self.evaluator.decide(
                case, as_of=spec.as_of, explain=spec.explain, case_name=name
            )
            data = self._json(res) if spec.explain else None
        except PolicyError as err:
            return self.reject(record, err)
        except Exception as exc:
            # not a bad line but a bug: stop (exit 3) rather than reject every line
            if os.environ.get("POLICY_DEBUG"):
                raise
            raise InternalError(f"while deciding {name}: {type(exc).__name__}: {exc}") from None
        found = ()
        if self.checks:
            found = self._claims(
                self.checks, res, self.policy.catalog_values, self._compiled_checks
            )
        values = self.line_values
        if data is None:
            text, counted = self._parts.line(record, res, values)
            return Outcome(record.line, True, text, counted, claims=found)
        tally = []
        for d, dj in zip(res.decisions, data["decisions"]):
            level = values.level(d, cast(dict, res.facts), res.as_of)
            dj["level"] = level
            tally.append((d.program.id, d.outcome, dj["amount"], level))
        case_info = data["case"]
        case_info["sha256"] = "sha256:" + hashlib.sha256(record.text.encode("utf-8")).hexdigest()
        out = {
            "format": data["format"],
            "line": record.line,
            "id": values.case_id(cast(dict, res.facts)),
            "policy": self.hash,
            "policy_id": self.policy.document.id,
            "case": case_info,
            "decisions": data["decisions"],
        }
        return Outcome(record.line, True, compact(out), tuple(tally), claims=found)

    def _json(self, res) -> dict:
        """The "format", "case" and "decisions" of render.result_json: with
        --explain result_json itself (the facts as read included); without,
        the same decision_json entries and case keys, skipping the policy
        block (its files and hash, the same on every line) and the facts."""
        JSON_FORMAT_VERSION, decision_json, result_json = self._render

        if self.spec.explain:
            data = result_json(self.policy, res, explain=True)
            data["case"] = {k: v for k, v in data["case"].items() if k in CASE_KEYS_EXPLAINED}
            return data
        return {
            "format": JSON_FORMAT_VERSION,
            "case": {
                "as_of": res.as_of.isoformat() if res.as_of else None,
                "as_of_source": res.as_of_source,
                "as_of_missing": list(res.as_of_missing),
            },
            "decisions": [decision_json(self.policy, d, False, res.as_of) for d in res.decisions],
        }

    def reject(self, record: Record, err: PolicyError) -> Outcome:
        column = None
        pos = err.position
        if (
            pos is not None
            and pos.line == 1
            and pos.column
            and self.layout is None
            and err.message.startswith("not valid JSON")
        ):
            column = pos.column
        where = f"{self.spec.source}:{record.line}" + (f":{column}" if column else "")
        head = where + (f" {err.context}" if err.context else "") + f": {err.message}"
        if err.hint:
            head += f" (hint: {err.hint})"
        line = {
            "line": record.line,
            "column": column,
            "context": err.context,
            "error": err.message,
            "hint": err.hint,
            "text": record.text,
        }
        return Outcome(record.line, False, compact(line), (), head)


class LineParts:
    """A batch line without explanations, written as ``compact()`` writes the
    line's dict (sorted keys, no spaces), from parts: what every line of the
    policy shares made once; the line's head (its decision date) and each
    decision's JSON (its program, outcome, amount, failing and missing
    clauses, level) remembered, as the same few recur across cases; only the
    case's hash, id and line number made per line. A decision with
    installments (their labels name standards as in force on the day) is
    rendered as it is, by ``decision_json``. tests/population/test_batch_lines.py
    checks every line against the general path's."""

    LIMIT = 1 << 14  # remembered heads and decisions, each

    def __init__(self, policy, format_version, decision_json):
        self.policy, self.decision_json = policy, decision_json
        enc = _COMPACT
        # the keys of the line in their sorted order: case, decisions, format,
        # id, line, policy, policy_id (the case's: as_of, as_of_missing,
        # as_of_source, sha256)
        self.middle = '"},"decisions":['
        self.after_decisions = '],"format":' + enc(format_version) + ',"id":'
        self.end = ',"policy":' + enc(policy.hash) + ',"policy_id":' + enc(policy.document.id) + "}"
        self.heads: dict = {}
        self.decisions: dict = {}
        self._dated: tuple[str, str] | None = None  # dated_head's two parts

    def head(self, res) -> str:
        key = (res.as_of, res.as_of_source, res.as_of_missing)
        got = self.heads.get(key)
        if got is None:
            enc = _COMPACT
            got = (
                '{"case":{"as_of":'
                + enc(res.as_of.isoformat() if res.as_of else None)
                + ',"as_of_missing":'
                + enc(list(res.as_of_missing))
                + ',"as_of_source":'
                + enc(res.as_of_source)
                + ',"sha256":"sha256:'
            )
            if len(self.heads) < self.LIMIT:
                self.heads[key] = got
        return got

    def dated_head(self, day: _dt.date) -> str:
        """``head`` of a line decided on the decision date ``day`` from the
        case (nothing missing): the same text, made without the encoder (the
        JSON of an ISO date is itself, quoted)."""
        parts = self._dated
        if parts is None:
            enc = _COMPACT
            parts = self._dated = (
                '{"case":{"as_of":"',
                '","as_of_missing":'
                + enc([])
                + ',"as_of_source":'
                + enc("decision_date")
                + ',"sha256":"sha256:',
            )
        return parts[0] + day.isoformat() + parts[1]

    def decision(self, d, level: str | None, day) -> tuple[str, str | None]:
        """The decision's JSON (its level in it) and its amount as text. A
        level of None: the decision's JSON as `policy eval --format json`
        writes it, without a level (the service's lean answer, service.answer)."""
        if d.installments:
            dj = self.decision_json(self.policy, d, False, day)
            if level is not None:
                dj["level"] = level
            return _COMPACT(dj), dj["amount"]
        # by the failing clauses' ids, not the clauses' values: an unknown
        # value's hash is a Python call
        amounts = (d.amount, d.formula_amount, d.capped_at, d.floored_at)
        if 0 in amounts:
            # Decimal 0 and -0 are equal keys, but -0.00 is written as it is:
            # a zero is remembered under its sign too
            amounts += tuple(str(v) for v in amounts)
        key = (
            d.program.id,
            d.outcome,
            tuple(d.failing),
            tuple(d.missing),
            level,
            amounts,
        )
        got = self.decisions.get(key)
        if got is None:
            dj = self.decision_json(self.policy, d, False, day)
            if level is not None:
                dj["level"] = level
            got = (_COMPACT(dj), dj["amount"])
            if len(self.decisions) < self.LIMIT:
                self.decisions[key] = got
        return got

    def line(self, record: Record, res, values: LineValues) -> tuple[str, tuple]:
        """The line's text and its tally: ((program, outcome, amount, level), ...)."""
        facts = cast(dict, res.facts)
        day = res.as_of
        parts, tally = [], []
        for d in res.decisions:
            level = values.level(d, facts, day)
            text, amount = self.decision(d, level, day)
            parts.append(text)
            tally.append((d.program.id, d.outcome, amount, level))
        return (
            self.head(res)
            + hashlib.sha256(record.text.encode("utf-8")).hexdigest()
            + self.middle
            + ",".join(parts)
            + self.after_decisions
            + _COMPACT(values.case_id(facts))
            + ',"line":'
            + str(record.line)
            + self.end
        ), tuple(tally)


# built once: json.dumps with arguments builds an encoder per call
_COMPACT = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_default
).encode


_FROZEN = False


def _freeze_once() -> None:
    """The policy, its compiled code and catalogues live as long as the
    process: moved out of the garbage collector's way (once per process), so
    that its collections, every few thousand objects the cases allocate, do
    not walk them again and again."""
    global _FROZEN
    if not _FROZEN:
        import gc

        gc.freeze()
        _FROZEN = True


def compact(data) -> str:
    """One JSON line: sorted keys, no spaces, UTF-8 text as is."""
    return _COMPACT(data)


# -- worker processes --------------------------------------------------------------------

_WORKER: Worker | None = None
_WORKER_ERROR: BaseException | None = None


def _init_worker(spec: BatchSpec) -> None:
    """Pool initializer: load and compile the policy once per process (a forked
    worker that inherited the parent's Worker for the same spec reuses it)."""
    global _WORKER, _WORKER_ERROR
    ignore_interrupts()
    if _WORKER is not None and _WORKER.spec == spec:
        return
    try:
        _WORKER = Worker(spec)
    except BaseException as exc:  # noqa: BLE001 - reported by the first task
        _WORKER_ERROR = exc


def block_records(first: int, block: bytes) -> list[Record]:
    """The Records of a block of JSON Lines (CaseFile.raw_blocks), as
    CaseFile.records() reads them: numbered, decoded, blank lines skipped."""
    long = getattr(block, "long_lines", None)
    if not long:
        # the common block: UTF-8 text throughout, decoded at once (a line
        # not UTF-8 sends the block line by line, to say which)
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            texts = text.split("\n")
            if texts and not texts[-1]:
                texts.pop()  # the block ends with a line ending
            if "\r" in text:
                texts = [t.rstrip("\r") for t in texts]
            return [Record(first + i, t) for i, t in enumerate(texts) if t.strip()]
    lines = block.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the block ends with a line ending
    out = []
    long = getattr(block, "long_lines", None) or {}
    for i, raw in enumerate(lines):
        if i in long:
            prefix, length = long[i]
            line = LongLine(b"", length)
            out.append(Record(first + i, prefix, None, line.problem()))
            continue
        body = raw.rstrip(b"\r")
        try:
            record = Record(first + i, body.decode("utf-8"))
        except UnicodeDecodeError:
            record = Record(
                first + i,
                body.decode("utf-8", errors="replace"),
                None,
                "the line is not UTF-8 text",
            )
        if record.text.strip():
            out.append(record)
    return out


def pack(outcomes: list[Outcome]) -> tuple:
    """A chunk's outcomes as the parent needs them, in plain data (cheap to
    send between processes): (cases, output lines, rejects as (line, text,
    message), claims as (index in the output lines, line, claims), tallies
    as {(program, outcome): [count, total amount]})."""
    ok: list[str] = []
    rejects, claims = [], []
    tallies: dict = {}
    for o in outcomes:
        if not o.ok:
            rejects.append((o.line, o.text, o.message))
            continue
        if o.claims:
            claims.append((len(ok), o.line, o.claims))
        ok.append(o.text)
        for program, result, amount, _level in o.tally:
            t = tallies.get((program, result))
            if t is None:
                t = tallies[(program, result)] = [0, Decimal(0)]
            t[0] += 1
            if result == "eligible" and amount is not None:
                t[1] += Decimal(amount)
    return len(outcomes), ok, rejects, claims, tallies


def decide_block(worker: Worker, first: int, block: bytes) -> tuple:
    """The chunk function for JSON Lines: a block of the file's lines (its
    first line's number, the bytes) decided and packed (``pack``). The same
    code decides a chunk in this process, in a ``--jobs`` worker and in a
    partition of the distributed engine (population.distributed)."""
    return worker.block(first, block)


def decide_rows(worker: Worker, rows: list[tuple]) -> tuple:
    """The chunk function for CSV: rows as (line, text, cells, error) tuples
    (plain tuples both ways: pickling dataclasses cost more than deciding)."""
    return pack(worker.run([Record(*r) for r in rows]))


def _run(fn, *args) -> tuple:
    """A chunk function run in a ``--jobs`` worker, with its Worker."""
    if _WORKER is None:
        raise RuntimeError(f"the worker could not load the policy: {_WORKER_ERROR}")
    return fn(_WORKER, *args)


def chunk_tasks(cases: CaseFile, chunk_size: int) -> Iterator[tuple]:
    """The chunks of a case file, from where it stands, as (chunk function,
    its arguments, where the file stands after the chunk: (offset, line)).
    JSON Lines go as blocks of the file's bytes, CSV as parsed rows."""
    if cases.format == JSONL:
        for first, block in cases.raw_blocks(chunk_size):
            yield decide_block, (first, block), cases.position()
        return
    for chunk in _chunks(cases.records(), chunk_size):
        yield (
            decide_rows,
            ([(r.line, r.text, r.cells, r.error) for r in chunk],),
            cases.position(),
        )


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for r in records:
        chunk.append(r)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def decide_stream(
    spec: BatchSpec, records: Iterable[Record], policy=None, chunk_size: int | None = None
) -> Iterator[Outcome]:
    """Outcomes in input order, in this process, reading ``chunk_size`` records
    (default CHUNK_SIZE) ahead at most."""
    worker = Worker(spec, policy)
    for chunk in _chunks(records, chunk_size or CHUNK_SIZE):
        yield from worker.run(chunk)


def decide_chunks(
    spec: BatchSpec, cases: CaseFile, jobs: int = 1, policy=None, chunk_size: int | None = None
) -> Generator[tuple, None, None]:
    """(packed outcomes (``pack``), where the case file stands after them)
    chunk by chunk, in input order, whatever ``jobs``. With ``--jobs`` the
    workers read, decide and render whole chunks, and the parent only merges
    them: at most a few chunks per job are in flight (population.pool)."""
    global _WORKER
    chunk_size = chunk_size or CHUNK_SIZE
    worker = Worker(spec, policy)
    tasks = chunk_tasks(cases, chunk_size)
    if jobs <= 1:
        for fn, args, position in tasks:
            yield fn(worker, *args), position
        return
    _WORKER = worker  # inherited by forked workers: no second load
    try:
        yield from in_order(
            ((_run, (fn, *args), position) for fn, args, position in tasks),
            jobs,
            _init_worker,
            (spec,),
        )
    finally:
        _WORKER = None


# -- summary ---------------------------------------------------------------------------

OUTCOMES = ("eligible", "ineligible", "undetermined")


@dataclass
class ProgramTally:
    eligible: int = 0
    ineligible: int = 0
    undetermined: int = 0
    amount: Decimal = Decimal(0)

    def to_json(self) -> dict:
        from interpreter.render import money

        return {
            "eligible": self.eligible,
            "ineligible": self.ineligible,
            "undetermined": self.undetermined,
            "amount": money(self.amount),
        }


@dataclass
class Summary:
    """Counts of a batch: cases read, decided, rejected; outcomes and amounts
    (of eligible decisions) per program."""

    cases: int = 0
    decided: int = 0
    rejected: int = 0
    programs: dict[str, ProgramTally] = field(default_factory=dict)
    policy_hash: str | None = None
    policy_id: str | None = None
    program_order: tuple[str, ...] = ()
    flagged: int = 0  # lines flagged by a real-name check

    def add(self, outcome: Outcome) -> None:
        self.cases += 1
        if not outcome.ok:
            self.rejected += 1
            return
        self.decided += 1
        for program, result, amount, _level in outcome.tally:
            t = self.programs.get(program)
            if t is None:
                t = self.programs[program] = ProgramTally()
            setattr(t, result, getattr(t, result) + 1)
            if result == "eligible" and amount is not None:
                t.amount += Decimal(amount)

    def merge(self, cases: int, decided: int, tallies: dict) -> None:
        """Add a packed chunk (``pack``): its counts and per-program tallies."""
        self.cases += cases
        self.decided += decided
        self.rejected += cases - decided
        for (program, result), (count, amount) in tallies.items():
            t = self.programs.get(program)
            if t is None:
                t = self.programs[program] = ProgramTally()
            setattr(t, result, getattr(t, result) + count)
            t.amount += amount

    def state(self) -> dict:
        """The counts as plain JSON, exactly (amounts as decimal text): what a
        resumed batch starts from (``restore``)."""
        return {
            "cases": self.cases,
            "decided": self.decided,
            "rejected": self.rejected,
            "flagged": self.flagged,
            "programs": {
                k: [t.eligible, t.ineligible, t.undetermined, str(t.amount)]
                for k, t in self.programs.items()
            },
        }

    def restore(self, state: dict) -> None:
        self.cases, self.decided = int(state["cases"]), int(state["decided"])
        self.rejected, self.flagged = int(state["rejected"]), int(state["flagged"])
        self.programs = {
            k: ProgramTally(int(e), int(i), int(u), Decimal(a))
            for k, (e, i, u, a) in state["programs"].items()
        }

    def ordered(self) -> list[tuple[str, ProgramTally]]:
        order = {p: i for i, p in enumerate(self.program_order)}
        keys = sorted(self.programs, key=lambda p: (order.get(p, len(order)), p))
        return [(k, self.programs[k]) for k in keys]

    def total_amount(self) -> Decimal:
        return sum((t.amount for t in self.programs.values()), Decimal(0))

    def to_json(self) -> dict:
        from interpreter.render import money

        return {
            "cases": self.cases,
            "decided": self.decided,
            "rejected": self.rejected,
            "flagged": self.flagged,
            "policy": self.policy_hash,
            "policy_id": self.policy_id,
            "programs": {k: t.to_json() for k, t in self.ordered()},
            "amount": money(self.total_amount()),
        }

    def render(self) -> str:
        from interpreter.render import money

        lines = [
            f"{self.cases} case(s): {self.decided} decided, {self.rejected} rejected"
            + (f", {self.flagged} flagged by real-name checks" if self.flagged else "")
        ]
        if self.programs:
            w = max(len("program"), *(len(k) for k in self.programs))
            lines.append(
                f"  {'program':<{w}}  {'eligible':>9} {'ineligible':>10} "
                f"{'undetermined':>12} {'amount':>14}"
            )
            for k, t in self.ordered():
                lines.append(
                    f"  {k:<{w}}  {t.eligible:>9} {t.ineligible:>10} "
                    f"{t.undetermined:>12} {money(t.amount):>14}"
                )
            lines.append(
                f"  {'total':<{w}}  {sum(t.eligible for t in self.programs.values()):>9} "
                f"{sum(t.ineligible for t in self.programs.values()):>10} "
                f"{sum(t.undetermined for t in self.programs.values()):>12} "
                f"{money(self.total_amount()):>14}"
            )
        return "\n".join(lines)


# -- the whole batch ---------------------------------------------------------------------


def default_rejects_path(out: str) -> str | None:
    """DECISIONS.jsonl -> DECISIONS.rejects.jsonl, beside a real output file;
    None (no rejects file: they are reported on stderr) when the decisions go
    to standard output (``-``) or to a device, a pipe or anything but a file,
    such as /dev/null."""
    if out == "-" or (os.path.exists(out) and not os.path.isfile(out)):
        return None
    p = Path(out)
    stem = p.name[: -len(".jsonl")] if p.name.endswith(".jsonl") else p.name
    return str(p.with_name(stem + ".rejects.jsonl"))


def run_batch(
    cases: CaseFile,
    out,
    rejects,
    *,
    spec: BatchSpec,
    policy=None,
    jobs: int = 1,
    on_reject: Callable[[str], None] | None = None,
    on_progress: Callable[[Summary, CaseFile], None] | None = None,
    chunk_size: int | None = None,
    history: str | None = None,
    resume=None,
    on_chunk: Callable[[tuple, dict, bytes], None] | None = None,
    other_policy: bool = False,
) -> Summary:
    """Decide every record of ``cases``; write output lines to ``out`` and
    rejects to ``rejects`` (text streams), in input order. Returns the Summary.

    The real-name checks of the policy (population.realname) run here, in
    input order, against ``history`` (earlier claims) and the lines before:
    a flagged line gets "flags" naming the lines it conflicts with.

    ``on_chunk(position, summary state, claims)`` is called once a chunk's
    lines are written: where the case file stands after it, the counts so
    far (``Summary.state``) and the chunk's claims as registry journal bytes;
    ``resume`` (population.resume.Resumed) goes on from such a record."""
    from .realname import Registry, checks_of

    if policy is None:
        policy = load_policy_with(spec.policy_dir, spec.revisions, spec.catalogs)
    summary = Summary(
        policy_hash=policy.hash, policy_id=policy.document.id, program_order=tuple(policy.programs)
    )
    registry = Registry(checks_of(policy))
    # its file, if the claims went on in one, is removed whatever happens
    with contextlib.closing(registry):
        if history is not None:
            registry.load_history(history, policy, other_policy)
        registry.source_index(cases.name)  # after the history files, as in every run
        if on_chunk is not None:
            registry.journal = []
        if resume is not None:
            summary.restore(resume.summary)
            registry.replay(resume.claims)
            cases.start_at(resume.offset, resume.line)
        chunks = decide_chunks(spec, cases, jobs, policy, chunk_size)
        try:
            for packed, position in chunks:
                _write_chunk(packed, cases.name, registry, summary, out, rejects, on_reject)
                if on_chunk is not None:
                    journal_parts = cast("list[bytes]", registry.journal)  # set above
                    journal = b"".join(journal_parts)
                    journal_parts.clear()
                    on_chunk(position, summary.state(), journal)
                if on_progress is not None:
                    on_progress(summary, cases)
        finally:
            chunks.close()  # a --jobs pool stops here, whatever happened
    return summary


def _write_chunk(
    packed: tuple, source: str, registry, summary: Summary, out, rejects, on_reject
) -> None:
    """A packed chunk (``pack``) written: real-name flags added in input
    order, the counts merged, the lines and the rejects written."""
    cases_n, ok, rejected, claims, tallies = packed
    for index, line, found in claims:  # in input order
        flags = registry.add(source, line, found)
        if flags:
            data = json.loads(ok[index])
            data["flags"] = flags
            ok[index] = compact(data)
            summary.flagged += 1
    summary.merge(cases_n, len(ok), tallies)
    if ok:
        out.write("\n".join(ok) + "\n")
    for _line, text, message in rejected:
        rejects.write(text + "\n")
        if on_reject is not None:
            on_reject(message)


def spec_for(
    cases: CaseFile,
    policy,
    *,
    policy_dir=None,
    revisions=(),
    catalogs=None,
    as_of=None,
    explain=False,
) -> BatchSpec:
    """The BatchSpec for an open case file; checks a CSV header against the policy."""
    header = tuple(cases.header) if cases.header is not None else None
    if cases.format == CSV and header is not None:
        CsvLayout(policy, list(header), cases.name, cases.header_line)  # fail early
    return BatchSpec(
        policy_dir=str(policy_dir) if policy_dir is not None else None,
        revisions=tuple(str(r) for r in revisions),
        catalogs=catalogs,
        as_of=as_of,
        explain=explain,
        header=header,
        header_line=cases.header_line or 1,
        source=cases.name,
    )
