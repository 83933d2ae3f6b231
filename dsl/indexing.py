"""Looking items of a catalogue up instead of scanning them.

``any(catalog.approvals, a -> a.institution == training.institution and ...)``
scans the whole catalogue for every case. The conjuncts ``item.field == key``
of the condition (key not depending on the item) say which items can possibly
hold: an item whose field differs makes that conjunct, hence the condition,
false under Kleene ``and``, so any() and count() give the same result over the
candidates only. Both compilers use this for lists rooted at ``catalog``,
which are the same for every case, so each index is built once.
"""
from __future__ import annotations

from . import ast
from .values import Unknown


def equality_probes(lam: ast.Lambda) -> list:
    """[(field, key expression)] of the top-level conjuncts ``x.field == key`` of
    the condition, where key does not mention x.

    An item whose field differs from key makes that conjunct, hence the whole
    condition, false (Kleene ``and``), so any() and count() may skip it."""
    out, stack = [], [lam.body]
    while stack:
        n = stack.pop(0)
        if isinstance(n, ast.Binary) and n.op == "and":
            stack[:0] = [n.left, n.right]
            continue
        if isinstance(n, ast.Binary) and n.op == "==":
            for a, b in ((n.left, n.right), (n.right, n.left)):
                if (isinstance(a, ast.Attr) and isinstance(a.obj, ast.Name)
                        and a.obj.id == lam.param and not _mentions(b, lam.param)
                        and a.name not in {f for f, _k in out}):
                    out.append((a.name, b))
                    break
    return out


def _mentions(node: ast.Node, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


_INDEXES: dict = {}


def candidates(items, fields, keys):
    """The items whose ``fields`` may equal ``keys``: equal, or lacking a field."""
    if items.__class__ is not list:
        return items
    for k in keys:
        if k.__class__ is Unknown:
            return items
    entry = _INDEXES.get((id(items), fields))
    if entry is None or entry[0] is not items:
        index: dict = {}
        loose = []
        for item in items:
            values = tuple(item.get(f) for f in fields) if item.__class__ is dict else (None,)
            if None in values:
                loose.append(item)
                continue
            try:
                index.setdefault(values, []).append(item)
            except TypeError:       # an unhashable value: always a candidate
                loose.append(item)
        entry = (items, index, loose)
        if len(_INDEXES) > 256:
            _INDEXES.clear()
        _INDEXES[(id(items), fields)] = entry
    try:
        hit = entry[1].get(keys, ())
    except TypeError:
        return items
    return list(hit) + entry[2] if entry[2] else hit
