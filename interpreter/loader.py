"""Load a policy folder once: validate every file, check and compile every
expression, and report all problems together with file:line:col.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import hashlib
import itertools
import os
from collections.abc import Iterable, Iterator, MutableMapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, overload

from dsl import Environment, Expression, ParseError, PolicyError, parse
from dsl import types as T
from dsl.environment import diagnostic_error, memoised
from dsl.errors import CheckError, ErrorList, EvaluationError, PolicyFileError, Position
from dsl.records import replace
from dsl.visitor import names_in

from . import catalogues, schemas, sizes
from . import changes as revision_changes
from .formats import FORMATS
from .lazyprograms import LazyPrograms
from .masks import Mask, mask_of
from .model import (
    Amount,
    Citation,
    Clause,
    Constraint,
    Definition,
    Document,
    EnumDecl,
    FactDecl,
    Installment,
    Money,
    Policy,
    Program,
    RealNameCheck,
    Rule,
    SourceClause,
    Standard,
    StandardVersion,
    Text,
    clause_key,
)
from .yamlsource import Source, decode, load_yaml, read_bytes

RESERVED_ROOTS = {"standards", "catalog", "as_of"}


def bundled_policy_dir() -> Path:
    import policy

    return Path(policy.__file__).parent


if TYPE_CHECKING:
    from dsl import ast

    from .cache import Cache


class _Loader:
    def __init__(self, root: Path, cache: Cache | None = None):
        from .cache import Cache

        self.root = root
        self.errors: list[PolicyError] = []
        self.warnings: list[PolicyError] = []
        self.files: dict[str, str] = {}
        self.sources: dict[str, Source] = {}
        self.kinds: list[tuple[Source, str]] = []  # every file read, with its schema
        self.cache = cache if cache is not None else Cache(None)
        # program id → (let types, let functions), for a revision's clauses
        self.program_locals: dict = {}
        # these very files once loaded without an error (the cache says so,
        # known_programs): the checks that can only report an error are not
        # run again (a catalogue file that differs is found after and makes
        # it a full load)
        self.checked_before = False
        self.pending_constraints: list = []  # (source, path, record) to compile
        self.money = Money()  # the document's, once it is read

    def parse(self, text: str) -> ast.Node:
        """An expression's AST, from the cache when these files were seen before."""
        node = self.cache.expression(text)
        if node is None:
            node = parse(text)
            self.cache.store_expression(text, node)
        return node

    # -- files ------------------------------------------------------------------
    def display(self, path: Path) -> str:
        """The name a file is recorded under (in messages, in decisions and in
        the policy hash): relative to the policy folder's parent, whatever path
        was typed, so the same files always give the same hash."""
        resolved = Path(path).resolve()
        try:
            rel = Path(os.path.relpath(resolved, self.root.parent)).as_posix()
        except ValueError:  # another drive
            return resolved.as_posix()
        # a file outside the folder that holds the policy (a revision in a
        # temporary folder, say) is named by its absolute path: a chain of
        # '..' would depend on where the policy happens to be installed
        return resolved.as_posix() if rel.startswith("../") else rel

    def load(self, rel: str, schema: str, required: bool = True) -> Source | None:
        path = self.root / rel
        if not path.exists():
            if required:
                self.errors.append(
                    PolicyFileError(
                        f"the policy needs this file ({schema} definitions)",
                        position=Position(self.display(path)),
                    )
                )
            return None
        return self.load_path(path, schema)

    def load_path(self, path: Path, schema: str, raw: bytes | None = None) -> Source | None:
        name = self.display(path)
        try:
            # the bytes are read once: the hash recorded is of the text parsed
            if raw is None:
                raw = read_bytes(path, name=name)
            digest = hashlib.sha256(raw).hexdigest()
            text = decode(raw, name)
            # a file read before (these very bytes, under this schema) is taken
            # parsed, validated and with its dates read from the cache: no YAML
            # parser, no schema validator
            src = self.cache.source(schema, name, digest, text)
            fresh = src is None
            if src is None:
                src = load_yaml(path, display_name=name, text=text)
                src.sha256 = digest
        except PolicyError as exc:
            self.errors.append(exc)
            return None
        too_many = sizes.file_problems(src, schema)
        if too_many:  # before the schema: validating a huge file is the cost
            self.errors.extend(too_many)
            return None
        self.kinds.append((src, schema))
        self.files[name] = digest
        if fresh:
            if not self.cache.validated(name, digest):
                problems = schemas.validate(src, schema)
                if problems:
                    self.errors.extend(problems)
                    return None
                self.cache.mark_validated(name, digest)
            schemas.read_dates(src, schema)
            self.cache.store_source(schema, src)
        self.sources[name] = src
        return src

    def known_programs(self, paths: list[Path]) -> tuple[dict, dict] | None:
        """The program files ``paths`` read as bytes only, when a load of these
        very files (and of the files read before them) is known from the cache
        to have checked without a problem: (what that load found, as
        ``Cache.checked`` gives it; file name → (path, bytes, sha256)). Each
        program is then parsed, checked and compiled when first asked for
        (``lazyprograms.LazyPrograms``). None: load them all now."""
        if self.cache.path is None or self.errors:
            return None
        read: dict[str, tuple[Path, bytes, str]] = {}
        try:
            for path in paths:
                name = self.display(path)
                raw = read_bytes(path, name=name)
                read[name] = (path, raw, hashlib.sha256(raw).hexdigest())
        except PolicyError:
            return None  # reported by the load that follows
        files = {**self.files, **{name: digest for name, (_p, _r, digest) in read.items()}}
        known = self.cache.checked(checked_key(files))
        if known is None or sorted(name for _pid, name in known["programs"]) != sorted(read):
            return None
        if not all(self.cache.has_source("program", n, d) for n, (_p, _r, d) in read.items()):
            return None
        self.files.update({name: digest for name, (_p, _r, digest) in read.items()})
        self.checked_before = True
        return known, read

    def validate_parts(self, src: Source) -> None:
        """A revision's sections, each against the schema of the file it amends."""
        for key, schema in (("clauses", "clauses"), ("definitions", "definitions")):
            if key in src.data:
                self.errors.extend(schemas.validate(src.only((key,)), schema))
        if "facts" in src.data or "enums" in src.data:
            part = src.only(("enums", "facts"))
            part.data.setdefault("enums", {})
            part.data.setdefault("facts", {})
            self.errors.extend(schemas.validate(part, "facts"))
        for i in range(len(src.data.get("programs") or [])):
            self.errors.extend(schemas.validate(src.view(("programs", i)), "program"))

    # -- expressions -------------------------------------------------------------
    def rule(
        self,
        src: Source,
        path: tuple,
        env: Environment,
        context: str,
        local_types: dict[str, T.Type] | None = None,
        local_defs: dict[str, Any] | None = None,
        want: T.Type | None = None,
    ) -> Rule | None:
        value = src.data
        for p in path:
            value = value[p]
        text = value if isinstance(value, str) else _literal_text(value)
        locate = src.expression_locator(path)
        try:
            node = self.parse(text)
        except ParseError as exc:
            line, col = exc.position.line or 1, exc.position.column or 1
            fline, fcol = locate(line, col)
            exc.position = Position(src.name, fline, fcol)
            exc.context = context
            exc.caret_column = col
            lines = text.splitlines() or [""]
            exc.snippet = lines[line - 1] if line <= len(lines) else lines[-1]
            self.errors.append(exc)
            return None
        cycles_before = len(env.cycles)
        result = env.check(node, local_types)
        if len(env.cycles) > cycles_before:
            return None  # the cycle itself is reported at its definition
        for d in result.diagnostics:
            err = diagnostic_error(d, text, src.name, locate, context)
            (self.errors if d.severity == "error" else self.warnings).append(err)  # + notes
        if result.errors:
            return None
        if (
            want is not None
            and result.type not in (want, T.ANY)
            and not (want in T.NUMERIC and result.type in T.NUMERIC)
            and not (want == T.STRING and T.is_stringlike(result.type))
        ):
            fline, fcol = locate(1, 1)
            self.errors.append(
                PolicyFileError(
                    f"this expression must give {_kind(want)}, it gives {_kind(result.type)}",
                    position=Position(src.name, fline, fcol),
                    context=context,
                    snippet=(text.splitlines() or [""])[0],
                    caret_column=1,
                )
            )
            return None
        try:
            fn = env.compile_node(node, local_defs)
        except (CheckError, EvaluationError) as exc:
            if env.cycles:
                return None  # a definition cycle: reported at the definition
            if self.errors:
                # it reads a definition or let that has an error of its own,
                # reported where it is written: not this rule's mistake
                return None
            fline, fcol = locate(1, 1)
            self.errors.append(
                PolicyFileError(
                    f"this expression cannot be compiled: {exc.message}",
                    position=Position(src.name, fline, fcol),
                    context=context,
                    snippet=(text.splitlines() or [""])[0],
                    caret_column=1,
                )
            )
            return None
        pos = Position(src.name, *locate(1, 1))
        return Rule(text, Expression(text, node, result, fn), pos, src.name)


def _literal_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _kind(t: T.Type) -> str:
    return {
        "boolean": "true or false",
        "money": "an amount of money",
        "number": "a number",
        "date": "a date",
    }.get(str(t), str(t))


@overload
def _text(d: None, position: Position | None = None) -> None: ...
@overload
def _text(d: Any, position: Position | None = None) -> Text: ...
def _text(d: Any, position: Position | None = None) -> Text | None:
    # None for an optional text left out; the texts the schemas require are there
    return Text(d["zh"], d["en"], position) if d else None


def _cites(items: Any) -> tuple[Citation, ...]:
    return tuple(Citation(c["clause"], c.get("quote"), c.get("document")) for c in (items or ()))


def checked_key(files: dict[str, str]) -> str:
    """The key a load that checked without a problem is kept under: the names
    and SHA-256 of the files read up to the programs, the programs' included."""
    h = hashlib.sha256(b"checked\n")
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\n")
    return h.hexdigest()


def load_policy(
    root: str | Path | None = None,
    catalogs: dict | None = None,
    revisions: list | tuple = (),
    *,
    lazy: bool = False,
    keep: bool = False,
) -> Policy:
    """Load, validate, check and compile the policy in ``root`` (default: bundled).

    Revisions are amendments issued as data: every ``revisions/*.yaml`` of the
    policy folder, then the files given in ``revisions``, applied in order of
    their issue date. The catalogues expressions read as ``catalog.NAME`` are
    the ones the policy declares (catalogs.yaml); a policy that declares none
    reads ``catalogs`` (name → (type, value)), by default none: it never falls
    back on another policy's catalogues.

    ``lazy``: when the cache knows that these very files once loaded without
    an error (no revisions, no catalogues handed in), each program is read,
    checked and compiled only when first asked for (``Policy.programs`` is
    then an ``interpreter.lazyprograms.LazyPrograms``; what else a command
    needs is loaded as always), and ``Policy.warnings`` holds the warnings of
    what has been built so far: for a command that decides, not for one that
    reports warnings (``policy check`` loads in full). The cache keeps that
    knowledge by the SHA-256 of every file read, under the same authentication
    as every other entry: another byte anywhere is a full load, which reports
    what it finds.

    ``keep``: the caller keeps the policy until its process ends (a `policy`
    command run from the shell, ``cli.main``). What the load built is then
    moved out of the garbage collector's way (``gc.freeze``, as `policy
    batch` does with its policy) instead of being walked by the next
    collection: some 9 ms after a cold load (issue 21). Not for a process
    that loads policies again and again (the service, the tests): a frozen
    object is never collected.
    """
    # A load builds tens of thousands of objects (parsed files, syntax trees,
    # checked types, compiled code) that all live as long as the policy, so a
    # collection in the middle of it frees next to nothing: it walks and ages
    # them. A cold load passed the collector's threshold about 90 times, some
    # 35 ms of a 370 ms `policy eval` (issue 21). Not collecting while it
    # runs; on again in any case, unless it was off before.
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        policy = _load_policy(root, catalogs, revisions, lazy)
        if keep:
            gc.freeze()
        return policy
    finally:
        if collecting:
            gc.enable()


def _load_policy(
    root: str | Path | None, catalogs: dict | None, revisions: list | tuple, lazy: bool
) -> Policy:
    root = Path(root) if root is not None else bundled_policy_dir()
    if not root.is_dir():
        raise PolicyFileError("no such policy folder", position=Position(str(root)))
    from .cache import Cache, CompiledCode

    ld = _Loader(root.resolve(), Cache.open(str(root.resolve())))
    doc_src = ld.load("document.yaml", "document")
    clauses_src = ld.load("clauses.yaml", "clauses")
    facts_src = ld.load("facts.yaml", "facts")
    std_src = ld.load("standards.yaml", "standards")
    defs_src = ld.load("definitions.yaml", "definitions", required=False)
    notice_src = ld.load("notice.yaml", "notice", required=False)
    program_paths = sorted((ld.root / "programs").glob("*.yaml"))
    rev_paths = sorted((ld.root / "revisions").glob("*.yaml")) + [Path(r) for r in revisions]
    # a load that may be kept as checked, or that may use what one found
    keepable = catalogs is None and not rev_paths
    known = ld.known_programs(program_paths) if lazy and keepable else None
    program_srcs = (
        [s for s in (ld.load_path(p, "program") for p in program_paths) if s is not None]
        if known is None
        else []
    )
    read_before_programs = dict(ld.files)
    if not (ld.root / "programs").is_dir():
        ld.errors.append(
            PolicyFileError(
                "the policy needs a programs/ folder",
                position=Position(ld.display(ld.root / "programs")),
            )
        )
    rev_srcs = [s for s in (ld.load_path(p, "revision") for p in rev_paths) if s is not None]
    ld.errors.extend(sizes.total_problems(ld.kinds, Position(ld.display(ld.root))))
    for r in rev_srcs:
        ld.validate_parts(r)
    if ld.errors:
        raise ErrorList(ld.errors)
    # no errors: every required file was read
    assert doc_src is not None and clauses_src is not None
    assert facts_src is not None and std_src is not None
    rev_srcs.sort(key=lambda r: (r.data["revision"]["issued"], r.name))

    document = _document(doc_src.data)
    ld.money = document.money
    if any(r.data["revision"]["amends"] != document.id for r in rev_srcs):
        for r in rev_srcs:
            if r.data["revision"]["amends"] != document.id:
                ld.errors.append(
                    r.error(
                        ("revision", "amends"),
                        f"this revision amends '{r.data['revision']['amends']}', "
                        f"but the policy is '{document.id}'",
                    )
                )
        raise ErrorList(ld.errors)
    changes = revision_changes.validate(revision_changes.collect(rev_srcs, ld.errors), ld.errors)
    documents = _documents(doc_src, ld)
    clauses = _clauses(clauses_src, ld, documents=documents)
    enums, facts = _facts(facts_src, ld)
    standards = _standards(std_src, enums, ld)
    revision_info = []
    for r in rev_srcs:
        meta = r.data["revision"]
        label = meta.get("number") or meta["id"]
        revision_info.append(
            {
                "id": meta["id"],
                "number": meta.get("number"),
                "title": meta.get("title"),
                "issued": meta["issued"].isoformat(),
                "file": r.name,
                "sha256": ld.files[r.name],
            }
        )
        if "clauses" in r.data:
            _clauses(r, ld, into=clauses, document=label)
        if "enums" in r.data or "facts" in r.data:
            _facts(r, ld, enums=enums, facts=facts)
        if "standards" in r.data:
            _legacy_standards(r, standards, ld)
            _standards(r, enums, ld, into=standards, revision=label)
    revision_changes.apply_facts(changes, ld, enums, facts)
    revision_changes.apply_standards(changes, ld, enums, standards)
    _constraints(ld, enums)
    _periods(ld, standards)
    if ld.errors:
        raise ErrorList(ld.errors)

    # catalogues the policy declares and ships (catalogs.yaml) are its own:
    # the ones handed in by a test are then not read at all
    own = catalogues.load(ld, enums, changes)
    if ld.errors:
        raise ErrorList(ld.errors)
    if known is not None and ld.files != known[0]["files"]:
        # a catalogue file changed since: not the load the cache knows (its
        # folder closed now, not whenever this loader is collected)
        ld.cache.close()
        return _load_policy(root, catalogs, revisions, False)
    catalogue_decls: list = []
    if own is not None:
        catalogue_decls, types, values = own
        catalogs = {name: (types[name], values[name]) for name in types}
    elif catalogs is None:
        catalogs = {}
    env = Environment(
        facts={name: _fact_type(d, enums) for name, d in facts.items()},
        standards={sid: _standard_type(s, enums) for sid, s in standards.items()},
        catalogs={name: t for name, (t, _v) in catalogs.items()},
    )

    # shared definitions: declared first so they can refer to one another;
    # a revision's definition replaces the base one of the same id
    definitions: dict[str, Definition] = {}
    declared: dict[str, tuple[Source, int]] = {}
    for src in ([defs_src] if defs_src is not None else []) + [
        r for r in rev_srcs if "definitions" in r.data
    ]:
        for i, d in enumerate(src.data.get("definitions", [])):
            name = d["id"]
            if name in env.facts or name in RESERVED_ROOTS:
                ld.errors.append(
                    src.error(("definitions", i, "id"), f"'{name}' is already the name of a fact")
                )
                continue
            with contextlib.suppress(ParseError):  # reported with its position below
                env.define(
                    name,
                    ld.parse(d["expr"] if isinstance(d["expr"], str) else _literal_text(d["expr"])),
                )
            declared[name] = (src, i)
    revision_changes.apply_definitions(changes, ld, env, declared, RESERVED_ROOTS)
    too_deep = sizes.nesting_problems(env.definitions, declared)
    ld.errors.extend(too_deep)
    for name, (src, i) in declared.items():
        if too_deep:
            break  # checking would recurse as deep: reported above
        d = src.data["definitions"][i]
        rule = ld.rule(src, ("definitions", i, "expr"), env, f"definition {name}")
        if rule is not None:
            definitions[name] = Definition(name, rule, _label(d))
    reported = set()
    for name, cycle in env.cycles:
        if name in reported:
            continue
        reported.add(name)
        # a name in a cycle was declared (in a file or a revision), or the
        # shared definitions file exists
        src, i = declared.get(name) or (cast(Source, defs_src), 0)
        err = src.error(
            ("definitions", i, "expr"),
            "a definition may not refer to itself: " + " → ".join(cycle),
            context=f"definition {name}",
        )
        ld.errors.append(err)

    decision_date = None
    if "decision_date" in doc_src.data:
        decision_date = ld.rule(doc_src, ("decision_date",), env, "decision_date", want=T.DATE)
    for c in revision_changes.of(changes, "replace_decision_date"):
        decision_date = ld.rule(c.src, c.at, env, "decision_date", want=T.DATE)
    programs_applied = None
    if "programs_applied" in doc_src.data:
        programs_applied = ld.rule(doc_src, ("programs_applied",), env, "programs_applied")
    case_id = case_name = report_level = None
    if "case_id" in doc_src.data:
        case_id = ld.rule(doc_src, ("case_id",), env, "case_id", want=T.STRING)
    if "case_name" in doc_src.data:
        case_name = ld.rule(doc_src, ("case_name",), env, "case_name", want=T.STRING)
    if "report_level" in doc_src.data:
        report_level = ld.rule(doc_src, ("report_level",), env, "report_level", want=T.STRING)

    programs: MutableMapping[str, Program] = {}
    if known is not None:
        # no revision (so no change to a program), no error
        programs = _lazy_programs(ld, known, env, document.money)
        program_ids = set(programs)
    program_views = [(s, None) for s in program_srcs] + [
        (r.view(("programs", i)), r.data["revision"].get("number") or r.data["revision"]["id"])
        for r in rev_srcs
        for i in range(len(r.data.get("programs") or []))
    ]
    revision_changes.program_views(changes, program_views, ld.errors)
    for src, revision in program_views:
        program = _program(src, env, ld, document.money)
        if program is None:
            continue
        program.revision = revision
        if program.id in programs and revision is None:
            ld.errors.append(
                src.error(
                    ("id",),
                    f"program id '{program.id}' is used twice "
                    f"(also in {programs[program.id].source})",
                )
            )
            continue
        programs[program.id] = program  # a revision replaces a program of the same id
    if known is None:
        # a program with errors of its own is still a program id (one error, not two)
        program_ids = {src.data["id"] for src, _r in program_views}
    revision_changes.apply_clauses(changes, ld, env, programs, ld.program_locals, _clause)
    checks = revision_changes.listed(
        doc_src, "real_name_checks", changes, "real_name_check", ld.errors
    )
    real_name_checks = _real_name_checks(checks, env, ld, programs, program_ids)
    targets = revision_changes.listed(doc_src, "targets", changes, "target", ld.errors)
    _check_targets(targets, ld, program_ids)
    if revision_changes.of(changes, "add_target", "replace_target"):
        document.raw = {**document.raw, "targets": [t for _s, _a, t in targets]}
    if not ld.checked_before:
        _check_texts(ld, standards)
    notice = _notice(notice_src, ld, facts, catalogs) if notice_src is not None else None
    if not ld.checked_before:
        _check_citations(ld, clauses, documents, document.id)
    if ld.errors:
        raise ErrorList(ld.errors)
    if known is None and keepable:
        ld.cache.store_checked(
            checked_key(read_before_programs),
            ld.files,
            [[pid, program.source] for pid, program in programs.items()],
        )
    # the load is done: the cache keeps no open folder and only what a later
    # use reads — the compiled code, and the files and expressions of the
    # programs a lazy load builds when asked for (until every one is built)
    if known is None:
        ld.cache.release(("code",))
    else:
        ld.cache.release(("code", "sources", "asts", "validated"), schema="program")
        # the lazy builds keep the loader: not the files it read (their
        # checks are done; each program is read from the bytes it hashed)
        _let_go(ld)
    return Policy(
        root=str(root),
        document=document,
        clauses=clauses,
        enums=enums,
        facts=facts,
        standards=standards,
        definitions=definitions,
        programs=programs,
        env=env,
        decision_date=decision_date,
        programs_applied=programs_applied,
        files=ld.files,
        revisions=revision_info,
        warnings=ld.warnings,
        catalog_values={name: v for name, (_t, v) in catalogs.items()},
        case_id=case_id,
        case_name=case_name,
        report_level=report_level,
        real_name_checks=real_name_checks,
        notice=notice,
        documents=documents,
        catalogues=catalogue_decls,
        catalogue_changes=revision_changes.of(
            changes, "add_catalogue_entry", "replace_catalogue_entry"
        ),
        # the programs' compiled code kept with the rest of the cache
        compiled=CompiledCode(ld.cache) if ld.cache.path is not None else {},
    )


def _real_name_checks(
    items: list,
    env: Environment,
    ld: _Loader,
    programs: MutableMapping[str, Program],
    program_ids: set,
) -> list[RealNameCheck]:
    """The real-name checks of document.yaml, their person and key checked as
    expressions (a typo in a fact path or a program id is an error here, not
    a check silently turned off). Each program a check covers gets a clause
    that needs the facts the check compares: without them the claim cannot
    be checked, so the decision is undetermined, never eligible unchecked."""
    out = []
    for src, at, c in items:  # document.yaml's, after a revision's changes
        context = f"real-name check {c['id']}"
        n_errors = len(ld.errors)
        person = ld.rule(src, at + ("person",), env, context, want=T.STRING)
        key = tuple(
            (name, ld.rule(src, at + ("key", name), env, context)) for name in (c.get("key") or {})
        )
        for j, pid in enumerate(c["programs"]):
            if pid not in program_ids:
                ld.errors.append(
                    src.error(
                        at + ("programs", j),
                        f"no program '{pid}' in this policy",
                        context=context,
                        hint=_close(pid, program_ids),
                    )
                )
        if len(ld.errors) > n_errors:
            continue
        # no new error: every rule above compiled
        assert person is not None
        key_rules = cast("tuple[tuple[str, Rule], ...]", key)
        label = c.get("label") or c["id"]
        check = RealNameCheck(
            c["id"],
            label,
            c.get("label_en"),
            person,
            tuple(c["programs"]),
            key_rules,
            int(c.get("max", 1)),
            c.get("per", "ever"),
            _cites(c.get("cite")),
            src.position(at),
        )
        out.append(check)
        text = " and ".join(
            f"known({r.text.strip()})" for r in (person, *(r for _n, r in key_rules))
        )
        node = ld.parse(text)
        checked = env.check(node)
        rule = Rule(
            text,
            Expression(text, node, checked, env.compile_node(node)),
            src.position(at),
            src.name,
        )
        clause_id = f"real_name_{check.id}"
        explain = Text(
            f"实名制核验所需的事实齐全（{label}）",
            f"the facts the real-name check compares are given ({check.label_en or check.id})",
        )
        why = Text(
            "缺少这些事实时无法核验是否重复享受，判定待定，不予发放。",
            "Without these facts the claim cannot be checked against the person's "
            "other claims, so the decision stays undetermined and nothing is paid.",
        )
        for pid in check.programs:
            if isinstance(programs, LazyPrograms):  # checked already: given when built
                programs.attach(
                    pid, Clause(clause_id, pid, rule, check.cite, explain, why, requirement=True)
                )
                continue
            program = programs.get(pid)
            if program is None:
                continue  # its own errors are reported
            if any(cl.id == clause_id for cl in program.clauses):
                ld.errors.append(
                    src.error(
                        at + ("id",),
                        f"program {pid} already has a clause '{clause_id}'",
                        context=context,
                    )
                )
                continue
            program.clauses.append(
                Clause(clause_id, pid, rule, check.cite, explain, why, requirement=True)
            )
    return out


def _check_targets(items: list, ld: _Loader, programs: set) -> None:
    """The plan's targets (document.yaml's, after a revision's changes) name
    programs of this policy and a real period."""
    for src, at, t in items:
        for j, pid in enumerate(t.get("programs") or ()):
            if pid not in programs:
                ld.errors.append(
                    src.error(
                        at + ("programs", j),
                        f"no program '{pid}' in this policy",
                        context=f"target {t['id']}",
                        hint=_close(pid, programs),
                    )
                )
        if t.get("from") is not None and t.get("until") is not None and t["until"] < t["from"]:
            ld.errors.append(
                src.error(
                    at + ("until",),
                    "the end date is before the start date",
                    context=f"target {t['id']}",
                )
            )


def _notice(src: Source, ld: _Loader, facts: dict, catalogs: dict) -> dict:
    """The words of the decision notice (notice.yaml), with the facts it
    reads, their formats where it masks them and the catalogue tables it
    names checked against the policy."""

    def decl(path: str) -> FactDecl | None:
        parts = path.split(".")
        found = facts.get(parts[0])
        for p in parts[1:]:
            if found is None:
                return None
            found = found.fields.get(p)
        return found

    d = src.data
    lines = [(("addressee", i), a) for i, a in enumerate(d["addressee"])] + [
        (("header", i), h) for i, h in enumerate(d["header"])
    ]
    places: list[tuple[tuple, Any]] = [(at + ("fact",), line["fact"]) for at, line in lines]
    if d.get("application_date"):
        places.append((("application_date",), d["application_date"]))
    for at, path in places:
        if decl(path) is None:
            ld.errors.append(src.error(at, f"no fact '{path}' in facts.yaml"))
    for at, line in lines:
        found = decl(line["fact"])
        if line.get("mask") and found is not None and mask_of(found) is None:
            ld.errors.append(
                src.error(
                    at + ("mask",),
                    f"the fact {line['fact']} declares no mask or format to mask it with",
                    hint="give it a `mask` in facts.yaml (e.g. {keep_first: 1, keep_last: 1}) "
                    "or a `format` that masks (e.g. cn_resident_id)",
                )
            )
        table = (line.get("catalog") or {}).get("table")
        if table is not None and table not in catalogs:
            ld.errors.append(
                src.error(
                    at + ("catalog", "table"),
                    f"no catalogue table '{table}' (catalog.{table})",
                    hint=_close(table, catalogs),
                )
            )
    return to_plain(d)


def to_plain(data: Any) -> Any:
    """A YAML source's data as plain dicts and lists."""
    if isinstance(data, dict):
        return {str(k): to_plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [to_plain(v) for v in data]
    return data


def _documents(src: Source, ld: _Loader) -> dict:
    """The further source documents of document.yaml, by id (the policy's own
    id may not be reused)."""
    out: dict = {}
    for i, d in enumerate(src.data.get("documents") or []):
        if d["id"] in out or d["id"] == src.data["id"]:
            ld.errors.append(
                src.error(("documents", i, "id"), f"document id '{d['id']}' is used twice")
            )
            continue
        out[d["id"]] = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in d.items()}
    return out


def _label(d: Any) -> Text | None:
    if d.get("label") or d.get("label_en"):
        return Text(d.get("label") or d.get("label_en"), d.get("label_en") or d.get("label"))
    return None


def _document(d: dict) -> Document:
    period = d.get("period") or {}
    money = d.get("money") or {}
    return Document(
        id=d["id"],
        number=d["number"],
        title=d["title"],
        title_en=d.get("title_en"),
        issuer=d["issuer"],
        issued=d["issued"],
        period_from=period.get("from"),
        period_until=period.get("until"),
        jurisdiction=d["jurisdiction"],
        raw=d,
        money=Money(int(money.get("places", 2)), money.get("rounding", "half_up")),
    )


def _clauses(
    src: Source,
    ld: _Loader,
    into: dict | None = None,
    document: str | None = None,
    documents: dict | None = None,
) -> dict[str, SourceClause]:
    """Clauses keyed by id (``document:id`` for a clause of another source
    document, see ``model.clause_key``); ``document``: the number of the
    issuing document of every clause of ``src`` (a revision's own)."""
    out: dict[str, SourceClause] = {} if into is None else into
    documents = documents or {}
    for i, c in enumerate(src.data["clauses"]):
        doc_id, number = c.get("document"), document
        if doc_id is not None:
            if doc_id not in documents:
                ld.errors.append(
                    src.error(
                        ("clauses", i, "document"),
                        f"no document '{doc_id}' in document.yaml documents",
                        hint=_close(doc_id, documents),
                    )
                )
                continue
            number = documents[doc_id]["number"]
        key = clause_key(doc_id, c["id"])
        if key in out:
            ld.errors.append(
                src.error(
                    ("clauses", i, "id"),
                    f"clause id '{c['id']}' is used twice"
                    + (f" in document {doc_id}" if doc_id else ""),
                )
            )
            continue
        out[key] = SourceClause(
            c["id"],
            c.get("title"),
            c.get("title_en"),
            c["text"],
            src.position(("clauses", i)),
            number,
            c.get("responsible"),
            doc_id,
        )
    return out


def _check_citations(
    ld: _Loader,
    clauses: dict[str, SourceClause],
    documents: dict | None = None,
    document_id: str | None = None,
) -> None:
    """Every cite names a clause of clauses.yaml (of the document it names)
    and quotes its words exactly."""
    documents = documents or {}
    for src in list(ld.sources.values()):
        if src.name.endswith("clauses.yaml"):
            continue
        for path, cite in _find_cites(src.data, ()):
            doc_id = cite.get("document")
            if doc_id is not None and doc_id not in documents:
                ld.errors.append(
                    src.error(
                        path + ("document",),
                        f"no document '{doc_id}' in document.yaml documents",
                        hint=_close(doc_id, documents),
                    )
                )
                continue
            clause = clauses.get(clause_key(doc_id, str(cite.get("clause"))))
            if clause is None:
                in_doc = [c.id for c in clauses.values() if c.document_id == doc_id]
                where = f" of document {doc_id}" if doc_id else ""
                # the policy's own id is given (load_policy), so none is None
                elsewhere: list[str] = sorted(
                    {
                        cast(str, c.document_id or document_id)
                        for c in clauses.values()
                        if c.id == str(cite.get("clause"))
                    }
                )
                hint = (
                    f"clause {cite.get('clause')} is in document {elsewhere[0]}: "
                    f"write {{document: {elsewhere[0]}, clause: {cite.get('clause')}}}"
                    if elsewhere
                    else _close(cite.get("clause"), in_doc)
                )
                ld.errors.append(
                    src.error(
                        path + ("clause",),
                        f"no clause '{cite.get('clause')}'{where} in clauses.yaml",
                        hint=hint,
                    )
                )
            elif cite.get("quote") and cite["quote"] not in clause.text:
                ld.errors.append(
                    src.error(
                        path + ("quote",),
                        f"the quote is not in the text of clause {clause.id}",
                        hint="copy the words exactly from clauses.yaml",
                    )
                )


_TEXT_KEYS = {"zh", "en", "label", "label_en"}


def _check_texts(ld: _Loader, standards: dict) -> None:
    """Every placeholder of an explanation (``{standards.NAME[KEY]}``) names
    a standard, and a row it has (interpreter/texts.py)."""
    from .texts import problems

    for src in list(ld.sources.values()):
        if not (
            "programs/" in src.name
            or src.name.endswith("definitions.yaml")
            or "revisions/" in src.name
            or src.name.startswith("revisions")
        ):
            continue
        for path, text in _texts(src.data, ()):
            for message, close in problems(text, standards):
                ld.errors.append(
                    src.error(
                        path,
                        message,
                        hint=f"did you mean {close}?"
                        if close
                        else "write {standards.NAME} or {standards.NAME[ROW]}; "
                        "the standards are in standards.yaml",
                    )
                )


def _texts(data: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "cite":
                continue  # quotes of the source text, word for word
            if k in _TEXT_KEYS and isinstance(v, str):
                yield path + (k,), v
            else:
                yield from _texts(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _texts(v, path + (i,))


def _close(word: object, options: Iterable[str]) -> str | None:
    import difflib

    m = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.5)
    return f"did you mean '{m[0]}'?" if m else None


def _find_cites(data: Any, path: tuple) -> Iterator[tuple[tuple, dict]]:
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "cite" and isinstance(v, list):
                for i, c in enumerate(v):
                    if isinstance(c, dict):
                        yield path + (k, i), c
            else:
                yield from _find_cites(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _find_cites(v, path + (i,))


def _fact_decl(src: Source, ld: _Loader, enums: dict, path: str, d: dict, at: tuple) -> FactDecl:
    """One fact's declaration (``d``, at ``at`` in ``src``), its fields' and
    items' with it. Not a closure of ``_facts``: a function that calls itself
    through its closure is a reference cycle, which kept the loader, every
    file it read and their YAML nodes alive until the garbage collector found
    them (issue 21: that collection was ~13 ms of a cold start)."""
    f = FactDecl(
        path=path,
        type=d["type"],
        label=d.get("label"),
        label_en=d.get("label_en"),
        description=d.get("description"),
        description_en=d.get("description_en"),
        enum=d.get("enum"),
        minimum=_dec(d.get("minimum")),
        maximum=_dec(d.get("maximum")),
        example=d.get("example"),
        position=src.position(at),
        informational=bool(d.get("informational", False)),
        format=d.get("format"),
        mask=Mask.declared(d.get("mask")),
        min_items=d.get("min_items"),
        display=d.get("display"),
        max_items=d.get("max_items"),
        integer=bool(d.get("integer", False)),
        none=(Text(d["none"]["label"], d["none"]["label_en"]) if d.get("none") else None),
    )
    for name in ("minimum", "maximum"):
        bound = getattr(f, name)
        if f.integer and bound is not None and bound != bound.to_integral_value():
            ld.errors.append(
                src.error(
                    at + (name,), f"the {name} of a whole number is a whole number, not {bound}"
                )
            )
    if f.minimum is not None and f.maximum is not None and f.maximum < f.minimum:
        ld.errors.append(src.error(at + ("maximum",), "the maximum is below the minimum"))
    if f.min_items is not None and f.max_items is not None and f.max_items < f.min_items:
        ld.errors.append(src.error(at + ("max_items",), "max_items is below min_items"))
    if f.format is not None and f.format not in FORMATS:
        ld.errors.append(
            src.error(
                at + ("format",),
                f"no format '{f.format}'; formats: " + ", ".join(sorted(FORMATS)),
                hint=_close(f.format, FORMATS),
            )
        )
    if f.type == "enum" and f.enum not in enums:
        ld.errors.append(
            src.error(at + ("enum",), f"no enum '{f.enum}' in enums", hint=_close(f.enum, enums))
        )
    if f.type == "record":
        f.fields = {
            k: _fact_decl(src, ld, enums, f"{path}.{k}", v, at + ("fields", k))
            for k, v in (d.get("fields") or {}).items()
        }
        if f.none is not None and "none" in f.fields:
            ld.errors.append(
                src.error(
                    at + ("fields", "none"),
                    "a record that may be "
                    'stated none ({"none": true}) cannot have a field '
                    "named 'none'",
                )
            )
        if d.get("constraints"):
            # checked once every fact is declared (a revision may add fields)
            ld.pending_constraints.append((src, at, f))
    if f.type == "list":
        if "items" not in d:
            ld.errors.append(src.error(at, "a list fact needs 'items'"))
        else:
            f.items = _fact_decl(src, ld, enums, f"{path}[]", d["items"], at + ("items",))
    return f


def _facts(
    src: Source, ld: _Loader, enums: dict | None = None, facts: dict | None = None
) -> tuple[dict[str, EnumDecl], dict[str, FactDecl]]:
    """Enums and fact declarations; with ``enums``/``facts`` given, a revision's
    additions are merged in (new enums, new values, new facts, new fields)."""
    enums = {} if enums is None else enums
    for name, e in (src.data.get("enums") or {}).items():
        if name in enums:
            old = enums[name]
            added = tuple(str(v) for v in e["values"] if str(v) not in old.values)
            enums[name] = EnumDecl(
                name,
                old.values + added,
                e.get("label") or old.label,
                e.get("label_en") or old.label_en,
            )
            continue
        values = tuple(str(v) for v in e["values"])
        if len(set(values)) != len(values):
            ld.errors.append(
                src.error(("enums", name, "values"), f"enum {name} lists a value twice")
            )
        enums[name] = EnumDecl(name, values, e.get("label"), e.get("label_en"))

    facts = {} if facts is None else facts
    for name, d in (src.data.get("facts") or {}).items():
        if name in RESERVED_ROOTS:
            ld.errors.append(src.error(("facts", name), f"'{name}' is a reserved name"))
            continue
        old = facts.get(name)
        if old is None:
            facts[name] = _fact_decl(src, ld, enums, name, d, ("facts", name))
        elif old.type == "record" and d["type"] == "record":
            new = _fact_decl(src, ld, enums, name, d, ("facts", name))
            # the revision's constraints are the record's (over all its fields)
            ld.pending_constraints = [
                (s, a, old if r is new else r) for s, a, r in ld.pending_constraints
            ]
            for k, field_decl in new.fields.items():
                if k in old.fields:
                    ld.errors.append(
                        src.error(
                            ("facts", name, "fields", k), f"the fact {name}.{k} is already declared"
                        )
                    )
                old.fields[k] = field_decl
        else:
            ld.errors.append(src.error(("facts", name), f"the fact '{name}' is already declared"))
    return enums, facts


def _constraints(ld: _Loader, enums: dict[str, EnumDecl]) -> None:
    """Compile each record's constraints: expressions over the record's own
    fields (by their bare names), which must give true or false."""

    for src, at, record in ld.pending_constraints:
        env = Environment(facts={k: _fact_type(v, enums) for k, v in record.fields.items()})
        raw = src.data
        for p in at:
            raw = raw[p]
        for i, c in enumerate(raw["constraints"]):
            where = at + ("constraints", i)
            context = f"constraint of {record.path}"
            rule = ld.rule(src, where + ("expr",), env, context, want=T.BOOLEAN)
            if rule is None:
                continue
            reads = [n for n in names_in(rule.expression.node) if n in record.fields]
            field_name = c.get("field") or (reads[0] if reads else None)
            if field_name is None or field_name not in record.fields:
                ld.errors.append(
                    src.error(
                        where + ("field",) if c.get("field") else where,
                        f"the constraint names no field of {record.path}",
                        context=context,
                        hint=_close(c.get("field"), record.fields),
                    )
                )
                continue
            record.constraints.append(
                Constraint(rule, field_name, tuple(reads), _text(c["message"]))
            )


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def _fact_type(d: FactDecl, enums: dict[str, EnumDecl]) -> T.Type:
    if d.type == "record":
        return T.RecordType(d.path, tuple((k, _fact_type(v, enums)) for k, v in d.fields.items()))
    if d.type == "list":
        return T.ListType("list", _fact_type(d.items, enums) if d.items else T.ANY)
    if d.type == "enum":
        name = cast(str, d.enum)  # an enum fact names its enum (the schema requires it)
        e = enums.get(name)
        return T.EnumType(name, frozenset(e.values)) if e else T.ANY
    return T.parse_declared(d.type)


def _periods(ld: _Loader, standards: dict[str, Standard]) -> None:
    """The dated values of each standard, one per day.

    Within one file two values of a standard may not cover the same day: the
    later one used to win silently; it is an error naming both. A revision's
    value supersedes, from its start to its end, the values issued before it
    (the base file's, an earlier revision's): those are cut to the days it
    leaves them, so an explanation shows the period each value really had."""
    day = _dt.timedelta(days=1)
    for s in standards.values():
        by_source: dict[str, list[StandardVersion]] = {}
        for v in s.versions:
            by_source.setdefault(v.source, []).append(v)
        for versions in by_source.values():
            versions.sort(key=lambda v: v.start)
            for a, b in itertools.pairwise(versions):
                if a.until is None or a.until >= b.start:
                    where = b.position or s.position
                    src = ld.sources.get(cast(str, where.source)) if where is not None else None
                    ld.errors.append(
                        PolicyFileError(
                            f"standard {s.id}: the value from {b.start} overlaps the value from "
                            f"{a.start} ({'open-ended' if a.until is None else f'until {a.until}'}):"
                            " two values would apply on the same days",
                            position=where,
                            snippet=src.line_text(where.line) if src and where else None,
                            hint=f"end the earlier value the day before: until: {b.start - day}",
                        )
                    )
        kept: list[StandardVersion] = []
        for source in dict.fromkeys(v.source for v in s.versions):  # in the order applied
            new = by_source[source]
            for n in new:
                pieces = []
                for e in kept:
                    if (n.until is not None and e.start > n.until) or (
                        e.until is not None and e.until < n.start
                    ):
                        pieces.append(e)  # no day in common
                        continue
                    if e.start < n.start:
                        pieces.append(replace(e, until=n.start - day))
                    if n.until is not None and (e.until is None or e.until > n.until):
                        pieces.append(replace(e, start=n.until + day))
                kept = pieces
            kept += new
        s.versions = sorted(kept, key=lambda v: v.start)


def _money_value(ld: _Loader, src: Source, at: tuple, x: Decimal) -> None:
    """A money standard: not negative, and no finer than the money is paid."""
    if x < 0:
        ld.errors.append(src.error(at, f"an amount of money cannot be negative ({x})"))
    elif x != x.quantize(Decimal(1).scaleb(-ld.money.places), rounding="ROUND_DOWN"):
        ld.errors.append(
            src.error(
                at,
                f"{x} has more decimal places than money is paid in "
                f"({ld.money.places}: document.yaml money.places)",
            )
        )


def _standards(
    src: Source,
    enums: dict[str, EnumDecl],
    ld: _Loader,
    into: dict | None = None,
    revision: str | None = None,
) -> dict[str, Standard]:
    """Standards; with ``into``, a revision's new dated values are appended to
    the standards it names (a later value wins from its start date) and new
    standards are added."""
    out = {} if into is None else into
    for sid, s in src.data["standards"].items():
        existing = out.get(sid)
        if existing is not None and revision is not None:
            s = {"type": existing.type, "key": existing.key, **s}
        key = s.get("key")
        if key is not None and key not in enums:
            ld.errors.append(
                src.error(
                    ("standards", sid, "key"),
                    f"no enum '{key}' in facts.yaml",
                    hint=_close(key, enums),
                )
            )
            continue
        versions = []
        for i, v in enumerate(s["values"]):
            at = ("standards", sid, "values", i)
            value = v["value"]
            if key is not None:
                if not isinstance(value, dict):
                    ld.errors.append(
                        src.error(
                            at + ("value",),
                            f"standard {sid} is a table by {key}: give a value for each row",
                        )
                    )
                    continue
                bad = [k for k in value if k not in enums[key].values]
                for k in bad:
                    ld.errors.append(
                        src.error(
                            at + ("value", k),
                            f"'{k}' is not a value of enum {key}",
                            hint=_close(k, enums[key].values),
                        )
                    )
                value = {str(k): Decimal(str(x)) for k, x in value.items()}
                for k, x in value.items():
                    if s.get("type", "money") == "money":
                        _money_value(ld, src, at + ("value", k), x)
            else:
                if isinstance(value, dict):
                    ld.errors.append(
                        src.error(
                            at + ("value",), f"standard {sid} has no key: give a single value"
                        )
                    )
                    continue
                value = Decimal(str(value))
                if s.get("type", "money") == "money":
                    _money_value(ld, src, at + ("value",), value)
            if v.get("until") is not None and v["until"] < v["from"]:
                ld.errors.append(
                    src.error(at + ("until",), "the end date is before the start date")
                )
            versions.append(
                StandardVersion(
                    v["from"], v.get("until"), value, src.name, src.position(at), revision
                )
            )
        if existing is not None and revision is not None:
            existing.versions.extend(versions)
            continue
        out[sid] = Standard(
            sid,
            s.get("label"),
            s.get("label_en"),
            s.get("type", "money"),
            key,
            _cites(s.get("cite")),
            versions,
            src.position(("standards", sid)),
            display=s.get("display"),
        )
    return out


def _standard_type(s: Standard, enums: dict[str, EnumDecl]) -> T.Type:
    value = T.MONEY if s.type == "money" else T.NUMBER
    if s.key is None:
        return value
    return T.TableType(
        f"standards.{s.id}", T.EnumType(s.key, frozenset(enums[s.key].values)), value
    )


def _clause(
    src: Source,
    at: tuple,
    c: dict,
    pid: str,
    env: Environment,
    ld: _Loader,
    local_types: dict,
    local_defs: dict,
) -> Clause | None:
    """One clause of program ``pid`` (at ``at`` of ``src``: a program file or
    a revision's change), compiled with the program's let names."""
    rule = ld.rule(
        src, at + ("expr",), env, f"clause {pid}.{c['id']}", local_types, local_defs, want=T.BOOLEAN
    )
    if rule is None:
        return None
    return Clause(
        c["id"],
        pid,
        rule,
        _cites(c.get("cite")),
        _text(c["explain"], src.position(at + ("explain",))),
        _text(c.get("interpretation"), src.position(at + ("interpretation",))),
    )


def _legacy_standards(r: Source, standards: dict, ld: _Loader) -> None:
    """The older form of a revision (``standards:`` by id) adds dated values
    to a standard that exists, or a whole new standard: an entry naming no
    existing standard and carrying only values is a misspelt id, an error."""
    for sid, s in list(r.data["standards"].items()):
        if sid not in standards and not ({"type", "label"} & set(s)):
            ld.errors.append(
                r.error(
                    ("standards", sid),
                    f"no standard '{sid}' in standards.yaml to add values to",
                    hint=_close(sid, standards)
                    or "a new standard needs type and label (or write add_standard under changes:)",
                )
            )
            del r.data["standards"][sid]


def _lazy_programs(
    ld: _Loader, known: tuple[dict, dict], env: Environment, money: Money
) -> LazyPrograms:
    """The programs of a load the cache knows checked without a problem, each
    read from the bytes hashed (never read again), checked and compiled when
    first asked for, as a full load does it."""
    found, read = known

    def build(pid: str, name: str) -> Program:
        path, raw, _digest = read[name]
        n_errors = len(ld.errors)
        src = ld.load_path(path, "program", raw=raw)
        program = _program(src, env, ld, money) if src is not None else None
        if program is None or len(ld.errors) > n_errors:
            raise ErrorList(ld.errors[n_errors:])
        if program.id != pid:
            raise PolicyFileError(
                f"this file holds program '{program.id}', the cache expected '{pid}'",
                position=program.position,
            )
        # what this build had to parse again (an entry found damaged, say) is
        # kept for the next run too: the load saved the cache before it
        ld.cache.save()
        return program

    return LazyPrograms(
        [(pid, name) for pid, name in found["programs"]],
        build,
        done=lambda: _built_all(ld),
    )


def _built_all(ld: _Loader) -> None:
    """Every program of a lazy load built: its files are not read again."""
    ld.cache.release(("code",))
    _let_go(ld)


def _let_go(ld: _Loader) -> None:
    """The files a loader read (their checks done), which a loader kept for
    the lazy builds would otherwise keep for the life of the policy."""
    ld.sources.clear()
    ld.kinds.clear()
    ld.pending_constraints.clear()


def _program(src: Source, env: Environment, ld: _Loader, money: Money) -> Program | None:
    d = src.data
    pid = d["id"]
    n_errors = len(ld.errors)
    local_types: dict[str, T.Type] = {}
    local_defs: dict = {}
    lets = []
    for i, let in enumerate(d.get("let") or []):
        name = let["id"]
        if name in local_types or name in env.facts or name in RESERVED_ROOTS:
            ld.errors.append(
                src.error(("let", i, "id"), f"'{name}' is already a name in this policy")
            )
            continue
        rule = ld.rule(
            src,
            ("let", i, "expr"),
            env,
            f"let {pid}.{name}",
            local_types=dict(local_types),
            local_defs=dict(local_defs),
        )
        if rule is None:
            local_types[name] = T.ANY
            continue
        local_types[name] = rule.expression.type
        local_defs[name] = memoised(("let", pid, name), rule.expression.fn)
        lets.append(Definition(name, rule, _label(let)))
    ld.program_locals[pid] = (local_types, local_defs)
    clauses = []
    seen = set()
    for i, c in enumerate(d["clauses"]):
        if c["id"] in seen:
            ld.errors.append(
                src.error(("clauses", i, "id"), f"clause id '{c['id']}' is used twice")
            )
            continue
        seen.add(c["id"])
        clause = _clause(src, ("clauses", i), c, pid, env, ld, local_types, local_defs)
        if clause is not None:
            clauses.append(clause)
    a = d["amount"]
    amount_rule = ld.rule(
        src, ("amount", "expr"), env, f"amount of {pid}", local_types, local_defs, want=T.MONEY
    )
    cap = floor = None
    if a.get("cap") is not None:
        cap = ld.rule(
            src, ("amount", "cap"), env, f"cap of {pid}", local_types, local_defs, want=T.MONEY
        )
    if a.get("floor") is not None:
        floor = ld.rule(
            src, ("amount", "floor"), env, f"floor of {pid}", local_types, local_defs, want=T.MONEY
        )
    installments = []
    for i, inst in enumerate(a.get("installments") or []):
        at = ("amount", "installments", i)
        ctx = f"installment {pid}.{inst['id']}"
        share = (
            ld.rule(src, at + ("share",), env, ctx, local_types, local_defs, want=T.NUMBER)
            if inst.get("share") is not None
            else None
        )
        amt = (
            ld.rule(src, at + ("amount",), env, ctx, local_types, local_defs, want=T.MONEY)
            if inst.get("amount") is not None
            else None
        )
        when = (
            ld.rule(src, at + ("when",), env, ctx, local_types, local_defs, want=T.BOOLEAN)
            if inst.get("when") is not None
            else None
        )
        if share is None and amt is None and len(ld.errors) == n_errors:
            ld.errors.append(src.error(at, "an installment needs a 'share' or an 'amount'"))
        installments.append(
            Installment(
                inst["id"],
                _text(inst["label"], src.position(at + ("label",))),
                share,
                amt,
                when,
                _cites(inst.get("cite")),
            )
        )
    level = None
    if d.get("level") is not None:
        level = ld.rule(
            src, ("level",), env, f"level of {pid}", local_types, local_defs, want=T.STRING
        )
    if len(ld.errors) > n_errors:
        return None
    assert amount_rule is not None  # no new error: it compiled
    rounding = a.get("round")
    amount = Amount(
        amount_rule,
        cap,
        rounding if isinstance(rounding, str) else money.rounding,
        _text(a.get("explain"), src.position(("amount", "explain"))),
        _cites(a.get("cite")),
        installments,
        _text(a.get("interpretation"), src.position(("amount", "interpretation"))),
        floor,
    )
    return Program(
        id=pid,
        title=d["title"],
        title_en=d["title_en"],
        cite=_cites(d.get("cite")),
        payee=_text(d["payee"], src.position(("payee",))),
        responsible=tuple(d["responsible"]),
        lets=lets,
        clauses=clauses,
        amount=amount,
        source=src.name,
        position=src.position(()),
        interpretation=_text(d.get("interpretation"), src.position(("interpretation",))),
        level=level,
    )
