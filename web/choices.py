"""Which facts are catalogue codes, and the codes to offer for them: read from
the policy's own rules, not from a list kept here.

A text fact is a catalogue code when a rule compares it with a catalogue, as
the catalogue views the engine exposes (``catalog.NAME``) let rules do::

    training.course in catalog.listed_courses                # a list of codes
    any(catalog.institution_status, s -> s.institution == training.institution …)

so the form offers, for ``training.course``, the codes of
``catalog.listed_courses`` (and of every other list it is compared with), and
for ``training.institution`` the ``institution`` values of
``catalog.institution_status``. A new catalogue, a new rule or a fact a
revision adds is offered with no change here. Each code is labelled with the
``name`` of a catalogue row that carries it, when there is one.

Offered, not imposed: the form shows the codes as suggestions (a datalist),
and a code outside them is still typed and decided as the rules say (an
institution not in the catalogue is entered as it is, and refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from dsl import ast


@dataclass(frozen=True)
class Choice:
    value: str
    label: str | None


def catalogue_choices(policy) -> dict[str, list[Choice]]:
    """fact path → the codes the rules compare it with, in catalogue order."""
    catalogs = policy.catalog_values or {}
    found: dict[str, list[str]] = {}

    def add(path: tuple[str, ...], values) -> None:
        dotted = ".".join(path)
        decl = policy.fact(dotted)
        if decl is None or decl.type != "string":
            return
        seen = found.setdefault(dotted, [])
        for v in values:
            if isinstance(v, str) and v not in seen:
                seen.append(v)

    def fact_path(node, scope) -> tuple[str, ...] | None:
        path = ast.path_of(node)
        if path is None or len(path) < 2 or path[0] in scope or path[0] not in policy.facts:
            return None
        return path

    def catalogue(node) -> str | None:
        path = ast.path_of(node)
        if path and len(path) == 2 and path[0] == "catalog" and path[1] in catalogs:
            return path[1]
        return None

    def visit(node, scope: dict) -> None:
        if isinstance(node, ast.Call):
            name = catalogue(node.args[0]) if node.args else None
            for arg in node.args:
                if isinstance(arg, ast.Lambda):
                    # the lambda's parameter is a row of the catalogue (or anything else)
                    visit(arg.body, {**scope, arg.param: name})
                else:
                    visit(arg, scope)
            return
        if isinstance(node, ast.Lambda):
            visit(node.body, {**scope, node.param: None})
            return
        if isinstance(node, ast.Binary):
            if node.op in ("==", "!="):
                for a, b in ((node.left, node.right), (node.right, node.left)):
                    fact = fact_path(a, scope)
                    row = (
                        b.obj.id
                        if (isinstance(b, ast.Attr) and isinstance(b.obj, ast.Name))
                        else None
                    )
                    table = scope.get(row) if row is not None else None
                    if fact is not None and table is not None:
                        # a table is found only when b is row.field
                        field = cast(ast.Attr, b).name
                        add(fact, [r.get(field) for r in catalogs[table] if isinstance(r, dict)])
            elif node.op in ("in", "not in"):
                fact = fact_path(node.left, scope)
                table = catalogue(node.right)
                if fact is not None and table is not None and isinstance(catalogs[table], list):
                    add(fact, catalogs[table])
        if isinstance(node, ast.Index):
            table = catalogue(node.obj)
            fact = fact_path(node.key, scope)
            if fact is not None and table is not None and isinstance(catalogs[table], dict):
                add(fact, list(catalogs[table]))
        for child in node.children():
            visit(child, scope)

    for rule in _rules(policy):
        node = getattr(getattr(rule, "expression", None), "node", None)
        if node is not None:
            visit(node, {})
    names = _names(catalogs)
    return {path: [Choice(v, names.get(v)) for v in values] for path, values in found.items()}


def _rules(policy):
    for d in policy.definitions.values():
        yield d.rule
    for program in policy.programs.values():
        for c in program.clauses:
            yield c.rule
        amount = program.amount
        yield amount.rule
        if amount.cap is not None:
            yield amount.cap
        for i in amount.installments:
            for r in (i.share, i.amount, i.when):
                if r is not None:
                    yield r


def _names(catalogs: dict) -> dict[str, str]:
    """code → the ``name`` of the first catalogue row that carries it."""
    out: dict[str, str] = {}
    for rows in catalogs.values():
        if not isinstance(rows, list):
            continue
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("name"), str):
                continue
            for key, value in row.items():
                if key != "name" and isinstance(value, str) and value not in out:
                    out[value] = row["name"]
    return out
