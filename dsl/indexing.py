"""Looking items of a catalogue up instead of scanning them.

``any(catalog.approvals, a -> a.institution == training.institution and ...)``
scans the whole catalogue for every case. The conjuncts ``item.field == key``
of the condition (key not depending on the item) say which items can possibly
hold: an item whose field differs makes that conjunct, hence the condition,
false under Kleene ``and``, so any() and count() give the same result over the
candidates only. Both compilers use this for lists rooted at ``catalog``,
which are the same for every case, so each index is built once.

A ``Site`` is one such any() of the generated code: its index, the items
matching each key when there is exactly one, and, for conditions that read
nothing but the item and the keys, the results by key (a catalogue has few
distinct keys). ``Evaluator.forget()`` empties what the sites remember.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from . import ast
from .values import Unknown, merge
from .visitor import mentions

# (field, the key expression) of a conjunct ``x.field == key``
Probe = tuple[str, ast.Node]
# the items (a catalogue's rows), an index of them by their fields' values,
# and those lacking a field
Entry = tuple[list[Any], dict[tuple[Any, ...], list[Any]], list[Any]]
# the generated code's any(items, condition), three-valued
AnyOf = Callable[[Any, Callable[[Any], Any]], Any]
# a made-once condition of the generated code: (item, keys, the other values read)
Condition = Callable[[Any, tuple[Any, ...], tuple[Any, ...]], Any]


def equality_probes(lam: ast.Lambda) -> list[Probe]:
    """[(field, key expression)] of the top-level conjuncts ``x.field == key`` of
    the condition, where key does not mention x.

    An item whose field differs from key makes that conjunct, hence the whole
    condition, false (Kleene ``and``), so any() and count() may skip it."""
    return split_condition(lam)[0]


def split_condition(lam: ast.Lambda) -> tuple[list[Probe], list[ast.Node]]:
    """(probes, the other conjuncts): for an item found by the probes' index,
    every probe conjunct is true, so the condition is the other conjuncts."""
    out: list[Probe] = []
    rest: list[ast.Node] = []
    stack = [lam.body]
    while stack:
        n = stack.pop(0)
        if isinstance(n, ast.Binary) and n.op == "and":
            stack[:0] = [n.left, n.right]
            continue
        used = False
        if isinstance(n, ast.Binary) and n.op == "==":
            for a, b in ((n.left, n.right), (n.right, n.left)):
                if (
                    isinstance(a, ast.Attr)
                    and isinstance(a.obj, ast.Name)
                    and a.obj.id == lam.param
                    and not mentions(b, lam.param)
                    and a.name not in {f for f, _k in out}
                ):
                    out.append((a.name, b))
                    used = True
                    break
        if not used:
            rest.append(n)
    return out, rest


_INDEXES: dict[tuple[int, tuple[str, ...]], Entry] = {}


def _entry(items: list[Any], fields: tuple[str, ...]) -> Entry:
    entry = _INDEXES.get((id(items), fields))
    if entry is None or entry[0] is not items:
        index: dict[tuple[Any, ...], list[Any]] = {}
        loose: list[Any] = []
        for item in items:
            values = tuple(item.get(f) for f in fields) if item.__class__ is dict else (None,)
            if None in values:
                loose.append(item)
                continue
            try:
                index.setdefault(values, []).append(item)
            except TypeError:  # an unhashable value: always a candidate
                loose.append(item)
        entry = (items, index, loose)
        if len(_INDEXES) > 256:
            _INDEXES.clear()
        _INDEXES[(id(items), fields)] = entry
    return entry


def _narrow(
    items: Any, fields: tuple[str, ...], keys: tuple[Any, ...]
) -> tuple[tuple[str, ...], tuple[Any, ...]] | None:
    """(fields, keys) reduced to the keys that are known; None if none is."""
    known = [i for i, k in enumerate(keys) if k.__class__ is not Unknown]
    if not known:
        return None
    return tuple(fields[i] for i in known), tuple(keys[i] for i in known)


class Site:
    """One ``any(catalog.X, x -> x.f == key and ...)`` of the generated code:
    the index of its fields, kept with the list it was built from (the same
    catalogue for every case, so it is built once)."""

    __slots__ = ("fields", "index", "items", "loose", "memo", "one")

    # results kept per site for conditions that read nothing but the item
    MEMO_LIMIT = 4096

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.items: list[Any] | None = None
        self.memo: dict[Any, Any] = {}
        # keys -> the one item that has them, when no item lacks a field: the
        # generated code tests that item in place, without a call
        self.one: dict[tuple[Any, ...], Any] = {}

    def _load(self, items: list[Any]) -> None:
        _items, index, loose = _entry(items, self.fields)
        self.index: dict[tuple[Any, ...], list[Any]] = index
        self.loose: list[Any] = loose
        self.memo = {}
        self.one = {} if loose else {k: v[0] for k, v in index.items() if len(v) == 1}
        self.items = items  # last: another thread sees a whole entry

    def any_memo(
        self,
        items: Any,
        keys: tuple[Any, ...],
        rest: Condition | None,
        full: Condition,
        any_of: AnyOf,
    ) -> Any:
        """any() for a condition that reads nothing but the item and the keys:
        its result depends on the keys alone, so it is remembered (a
        catalogue has few distinct keys: most cases find theirs)."""
        if items is self.items:
            try:
                return self.memo[keys]
            except KeyError:
                pass
            except TypeError:  # an unhashable key: not remembered
                return self.any_ex(items, keys, (), rest, full, any_of)
        found = self.any_ex(items, keys, (), rest, full, any_of)
        if items is self.items:
            self._remember(keys, found)
        return found

    def _remember(self, key: Any, found: Any) -> None:
        if len(self.memo) >= self.MEMO_LIMIT:
            self.memo.clear()
        with contextlib.suppress(TypeError):  # an unhashable key: not remembered
            self.memo[key] = found

    def any_ex(
        self,
        items: Any,
        keys: tuple[Any, ...],
        ex: tuple[Any, ...],
        rest: Condition | None,
        full: Condition,
        any_of: AnyOf,
    ) -> Any:
        """any() with made-once lambdas: ``rest(item, keys, ex)``, the
        conjuncts other than the probes (None: there are none), and
        ``full(item, keys, ex)``, the whole condition; ``ex``: the other
        values the condition reads. An unknown key is remembered (see
        _unknown_key); otherwise as ``any``."""
        if items is not self.items:
            if items.__class__ is not list:
                return any_of(items, lambda x: full(x, keys, ex))
            self._load(items)
        for k in keys:
            if k.__class__ is Unknown:
                return self._unknown_key(items, keys, ex, full, any_of)
        return self.any(
            items,
            keys,
            None if rest is None else (lambda x: rest(x, keys, ex)),
            lambda x: full(x, keys, ex),
            any_of,
        )

    def _unknown_key(
        self,
        items: Any,
        keys: tuple[Any, ...],
        ex: tuple[Any, ...],
        full: Condition,
        any_of: AnyOf,
    ) -> Any:
        """With a key unknown, every candidate is evaluated (no item can make
        the condition true, but each adds the facts it misses): the slow path
        of every case that lacks the facts, so it is remembered by (keys, ex)."""
        memo_key = ("?", keys, ex)
        try:
            return self.memo[memo_key]
        except (KeyError, TypeError):  # not yet, or an unhashable value
            pass
        narrowed = _narrow(items, self.fields, keys)
        found = items if narrowed is None else candidates(items, *narrowed)
        found = any_of(found, lambda x: full(x, keys, ex))
        self._remember(memo_key, found)
        return found

    def any(
        self,
        items: Any,
        keys: tuple[Any, ...],
        rest: Callable[[Any], Any] | None,
        full: Callable[[Any], Any],
        any_of: AnyOf,
    ) -> Any:
        """any(items, full) from the index: the items matching ``keys`` on the
        fields need only ``rest`` (the other conjuncts; None when there are
        none), the items lacking a field need ``full``; the others are false.
        With a key unknown, only the items matching the known keys are
        evaluated, with the whole condition."""
        if items is not self.items:
            if items.__class__ is not list:
                return any_of(items, full)
            self._load(items)
        for k in keys:
            if k.__class__ is Unknown:
                narrowed = _narrow(items, self.fields, keys)
                if narrowed is None:
                    return any_of(items, full)
                return any_of(candidates(items, *narrowed), full)
        try:
            hit = self.index.get(keys, ())
        except TypeError:
            return any_of(items, full)
        found = (bool(hit)) if rest is None else any_of(hit, rest)
        if found is True or not self.loose:
            return found
        other = any_of(self.loose, full)
        if other is True:
            return True
        if found is False:
            return other
        return found if other is False else merge(found, other)


def candidates(items: Any, fields: tuple[str, ...], keys: tuple[Any, ...]) -> Any:
    """The items whose ``fields`` may equal ``keys``: equal, or lacking a field.
    Unknown keys match every item (only the known ones narrow the search)."""
    if items.__class__ is not list:
        return items
    for k in keys:
        if k.__class__ is Unknown:
            narrowed = _narrow(items, fields, keys)
            if narrowed is None:
                return items
            fields, keys = narrowed
            break
    _items, index, loose = _entry(items, fields)
    try:
        hit = index.get(keys, ())
    except TypeError:
        return items
    return list(hit) + loose if loose else hit
