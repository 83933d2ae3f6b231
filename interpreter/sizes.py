"""How big a policy may be: counts checked as each file is read, before its
schema is validated or anything is built from it, and the size of the code
each program compiles to, which `policy check` reports (docs/limits.md).

A policy is a small thing — seven programs of 5 to 14 clauses — and the
work of loading it and of deciding a case must stay in proportion to it. A
1.8 MB revision of 600,000 empty programs once took 4 GB before failing; a
revision of 20,000 took six minutes. The limits are far above any real
policy and far below what hurts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dsl.errors import PolicyError, PolicyFileError, Position

from .yamlsource import Source

if TYPE_CHECKING:
    from .model import Policy

MAX_PROGRAMS = 200  # in the policy and its revisions together
MAX_CLAUSES = 100  # in one program
MAX_LETS = 100  # in one program
MAX_INSTALLMENTS = 20  # in one program
MAX_DEFINITIONS = 500  # in the policy and its revisions together
MAX_STANDARDS = 500  # in the policy and its revisions together
MAX_STANDARD_VALUES = 200  # dated values of one standard
MAX_SOURCE_CLAUSES = 2000  # clauses of the source text (clauses.yaml and revisions)
MAX_ENUM_VALUES = 1000  # values of one enum
MAX_FIELDS = 500  # fields of one record of facts.yaml
MAX_REVISIONS = 100  # revision files applied
MAX_DEFINITION_DEPTH = 50  # definitions using definitions using definitions...
MAX_COMPILED_CHARS = 2_000_000  # characters of Python a program compiles to


def _too_many(src: Source, path: tuple, what: str, n: int, limit: int) -> PolicyFileError:
    return src.error(
        path,
        f"{n} {what}; the limit is {limit}",
        hint="a policy this large is a mistake or an attack; see docs/limits.md",
    )


def _seq(value: Any) -> int:
    return len(value) if isinstance(value, (list, dict)) else 0


def _program(src: Source, at: tuple, p: Any) -> list[PolicyError]:
    if not isinstance(p, dict):
        return []
    out: list[PolicyError] = []
    for key, what, limit in (
        ("clauses", "clauses in the program", MAX_CLAUSES),
        ("let", "lets in the program", MAX_LETS),
    ):
        if _seq(p.get(key)) > limit:
            out.append(_too_many(src, at + (key,), what, _seq(p[key]), limit))
    amount = p.get("amount")
    if isinstance(amount, dict) and _seq(amount.get("installments")) > MAX_INSTALLMENTS:
        out.append(
            _too_many(
                src,
                at + ("amount", "installments"),
                "installments",
                _seq(amount["installments"]),
                MAX_INSTALLMENTS,
            )
        )
    return out


def file_problems(src: Source, kind: str) -> list[PolicyError]:
    """The counts of one policy or revision file (``kind``: its schema) over
    their limits, checked before the file is validated (the validation of a
    huge file is itself the expensive part)."""
    data = src.data
    if not isinstance(data, dict):
        return []
    out: list[PolicyError] = []
    if kind == "program":
        return _program(src, (), data)
    programs = data.get("programs")
    if _seq(programs) > MAX_PROGRAMS:
        out.append(_too_many(src, ("programs",), "programs", _seq(programs), MAX_PROGRAMS))
    elif isinstance(programs, list):
        for i, p in enumerate(programs):
            out += _program(src, ("programs", i), p)
    for key, what, limit in (
        ("definitions", "definitions", MAX_DEFINITIONS),
        ("standards", "standards", MAX_STANDARDS),
        ("clauses", "clauses of the source text", MAX_SOURCE_CLAUSES),
    ):
        if _seq(data.get(key)) > limit:
            out.append(_too_many(src, (key,), what, _seq(data[key]), limit))
    standards = data.get("standards")
    if isinstance(standards, dict) and len(standards) <= MAX_STANDARDS:
        for sid, s in standards.items():
            if isinstance(s, dict) and _seq(s.get("values")) > MAX_STANDARD_VALUES:
                out.append(
                    _too_many(
                        src,
                        ("standards", sid, "values"),
                        "dated values",
                        _seq(s["values"]),
                        MAX_STANDARD_VALUES,
                    )
                )
    enums = data.get("enums")
    if isinstance(enums, dict):
        for name, e in enums.items():
            if isinstance(e, dict) and _seq(e.get("values")) > MAX_ENUM_VALUES:
                out.append(
                    _too_many(
                        src,
                        ("enums", name, "values"),
                        "values in the enum",
                        _seq(e["values"]),
                        MAX_ENUM_VALUES,
                    )
                )
    facts = data.get("facts")
    if isinstance(facts, dict):
        stack: list[tuple[tuple, Any]] = [(("facts",), facts)]
        while stack:
            at, fields = stack.pop()
            if len(fields) > MAX_FIELDS:
                out.append(_too_many(src, at, "facts or fields", len(fields), MAX_FIELDS))
                continue
            for k, d in fields.items():
                if isinstance(d, dict) and isinstance(d.get("fields"), dict):
                    stack.append((at + (k, "fields"), d["fields"]))
    return out


def total_problems(sources: list[tuple[Source, str]], position: Position) -> list[PolicyError]:
    """The counts over all the files of a policy and its revisions
    (``sources``: each file with its kind, the name of its schema)."""
    n = {"programs": 0, "definitions": 0, "standards": 0, "clauses": 0, "revisions": 0}
    for src, kind in sources:
        d = src.data if isinstance(src.data, dict) else {}
        if kind == "program":
            n["programs"] += 1
            continue
        if kind == "revision":
            n["revisions"] += 1
            n["programs"] += _seq(d.get("programs"))
        n["clauses"] += _seq(d.get("clauses"))
        n["definitions"] += _seq(d.get("definitions"))
        n["standards"] += _seq(d.get("standards"))
    out: list[PolicyError] = []
    for key, what, limit in (
        ("programs", "programs", MAX_PROGRAMS),
        ("definitions", "definitions", MAX_DEFINITIONS),
        ("standards", "standards", MAX_STANDARDS),
        ("clauses", "clauses of the source text", MAX_SOURCE_CLAUSES),
        ("revisions", "revision files", MAX_REVISIONS),
    ):
        if n[key] > limit:
            out.append(
                PolicyFileError(
                    f"the policy and its revisions have {n[key]} {what}; the limit is {limit}",
                    position=position,
                    hint="see docs/limits.md",
                )
            )
    return out


def compiled_problems(policy: Policy) -> list[PolicyError]:
    """Programs whose generated code is over MAX_COMPILED_CHARS (compiled here,
    as a decision would compile them)."""
    from .evaluate import Evaluator

    evaluator = Evaluator(policy)
    out: list[PolicyError] = []
    for program in policy.programs.values():
        size = evaluator.compiled_size(program)
        if size > MAX_COMPILED_CHARS:
            out.append(
                PolicyFileError(
                    f"program {program.id} compiles to {size} characters of code; the limit is "
                    f"{MAX_COMPILED_CHARS}",
                    position=program.position,
                    hint="simplify its clauses or definitions; see docs/limits.md",
                )
            )
    return out


def nesting_problems(definitions: dict, declared: dict) -> list[PolicyError]:
    """Definitions that use definitions more than MAX_DEFINITION_DEPTH deep
    (checking and compiling a definition descends into the ones it uses).
    ``definitions``: name → syntax tree; ``declared``: name → (source, index)."""
    from dsl.visitor import names_in

    uses = {
        name: {n for n in names_in(node) if n in definitions and n != name}
        for name, node in definitions.items()
    }
    depth: dict[str, int] = {}
    for start in definitions:
        # iteratively, deepest first: no recursion however long the chain
        stack = [(start, iter(sorted(uses[start])))]
        on_stack = {start}
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_stack.discard(name)
                depth[name] = 1 + max((depth.get(c, 0) for c in uses[name]), default=0)
            elif child not in depth and child not in on_stack:  # a cycle is reported elsewhere
                stack.append((child, iter(sorted(uses[child]))))
                on_stack.add(child)
    out = []
    for name, d in depth.items():
        if (
            d > MAX_DEFINITION_DEPTH
            and name in declared
            and not any(depth.get(other, 0) > d for other in definitions if name in uses[other])
        ):
            src, i = declared[name]
            out.append(
                src.error(
                    ("definitions", i, "expr"),
                    f"definitions nest {d} deep here (a definition using one "
                    f"that uses another…); the limit is {MAX_DEFINITION_DEPTH}",
                    context=f"definition {name}",
                    hint="see docs/limits.md",
                )
            )
    return out
