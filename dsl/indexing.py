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
from .values import Unknown, merge


def equality_probes(lam: ast.Lambda) -> list:
    """[(field, key expression)] of the top-level conjuncts ``x.field == key`` of
    the condition, where key does not mention x.

    An item whose field differs from key makes that conjunct, hence the whole
    condition, false (Kleene ``and``), so any() and count() may skip it."""
    return split_condition(lam)[0]


def split_condition(lam: ast.Lambda):
    """(probes, the other conjuncts): for an item found by the probes' index,
    every probe conjunct is true, so the condition is the other conjuncts."""
    out, rest, stack = [], [], [lam.body]
    while stack:
        n = stack.pop(0)
        if isinstance(n, ast.Binary) and n.op == "and":
            stack[:0] = [n.left, n.right]
            continue
        used = False
        if isinstance(n, ast.Binary) and n.op == "==":
            for a, b in ((n.left, n.right), (n.right, n.left)):
                if (isinstance(a, ast.Attr) and isinstance(a.obj, ast.Name)
                        and a.obj.id == lam.param and not _mentions(b, lam.param)
                        and a.name not in {f for f, _k in out}):
                    out.append((a.name, b))
                    used = True
                    break
        if not used:
            rest.append(n)
    return out, rest


def _mentions(node: ast.Node, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


_INDEXES: dict = {}


def _entry(items, fields):
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
    return entry


def any_by_index(items, fields, keys, rest, full, any_of):
    """any(items, full) computed from the index: the items matching ``keys`` on
    ``fields`` need only ``rest`` (the other conjuncts; None when there are
    none), the items lacking a field need ``full``; the others are false."""
    if items.__class__ is not list:
        return any_of(items, full)
    for k in keys:
        if k.__class__ is Unknown:
            return any_of(items, full)
    _items, index, loose = _entry(items, fields)
    try:
        hit = index.get(keys, ())
    except TypeError:
        return any_of(items, full)
    if rest is None:
        found = True if hit else False
    else:
        found = any_of(hit, rest)
    if found is True or not loose:
        return found
    other = any_of(loose, full)
    if other is True:
        return True
    if found is False:
        return other
    return found if other is False else merge(found, other)


def candidates(items, fields, keys):
    """The items whose ``fields`` may equal ``keys``: equal, or lacking a field."""
    if items.__class__ is not list:
        return items
    for k in keys:
        if k.__class__ is Unknown:
            return items
    _items, index, loose = _entry(items, fields)
    try:
        hit = index.get(keys, ())
    except TypeError:
        return items
    return list(hit) + loose if loose else hit
