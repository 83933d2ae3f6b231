"""How a fact's value is shown to one who may not see it whole (遮蔽): the
read-only role on the officer pages and in the service's JSON, the
publicity list (公示).

A string fact declares it in facts.yaml, in general terms:

    name:
      type: string
      mask: {keep_first: 1, keep_last: 1}   # 张*三, 张*, 欧**明

The characters kept at each end are shown, every other one is a ``*``; at
least one character is always hidden (a value no longer than what is kept
loses its last ones first: 张伟 → 张*). A fact with a declared ``format``
(an ID number) is masked by its format unless it declares a mask of its own,
on its normalised form either way. ``mask_of`` is the one rule every view
that masks asks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from dsl.records import Record

HIDDEN = "*"


class Mask(Record, frozen=True):
    """A declared mask: the characters kept at the start and at the end."""

    keep_first: int
    keep_last: int

    def __call__(self, text: str) -> str:
        text = text.strip()
        n = len(text)
        first = min(self.keep_first, max(n - 1, 0))
        last = min(self.keep_last, max(n - 1 - first, 0))
        return text[:first] + HIDDEN * (n - first - last) + (text[n - last :] if last else "")

    @classmethod
    def declared(cls, d: Any) -> Mask | None:
        """The mask of a fact's declaration (facts.yaml ``mask:``, checked
        by the schema), or None."""
        if not isinstance(d, dict):
            return None
        return cls(int(d.get("keep_first", 0)), int(d.get("keep_last", 0)))


def mask_of(decl: Any) -> Callable[[str], str] | None:
    """The function that masks the values of the fact ``decl`` (a FactDecl),
    or None when its values are shown whole to everyone: its declared mask,
    else its format's; on the value's normalised form when it has a format
    (a number typed with a small x is masked as the format writes it)."""
    if decl is None:
        return None
    from .formats import FORMATS, FormatError

    fmt = FORMATS.get(decl.format) if getattr(decl, "format", None) else None
    declared = getattr(decl, "mask", None)
    if declared is None and fmt is None:
        return None
    if fmt is None:
        return declared
    mask: Callable[[str], str] = declared if declared is not None else fmt.mask
    normalise = fmt.normalise

    def masked(value: str) -> str:
        with contextlib.suppress(FormatError):
            return mask(normalise(value))
        return mask(value)

    return masked


def mask_paths(policy: Any) -> dict[str, Callable[[str], str]]:
    """Fact path (``a.b``; a list's items ``a[].b``) → the mask of every text
    fact that declares one (a name) or has a format that masks (an ID
    number): what is masked for one who may not see it whole."""
    out: dict[str, Callable[[str], str]] = {}

    def walk(decls: dict, prefix: str) -> None:
        for name, d in decls.items():
            path = f"{prefix}{name}"
            mask = mask_of(d) if d.type == "string" else None
            if mask is not None:
                out[path] = mask
            elif d.type == "record":
                walk(d.fields, path + ".")
            elif d.type == "list" and d.items is not None and d.items.type == "record":
                walk(d.items.fields, path + "[].")

    walk(policy.facts, "")
    return out


def spellings(decl: Any, value: str) -> set[str]:
    """The ways ``value`` of the fact ``decl`` may be written in a text: as
    given, trimmed, and for a fact with a format its normalised form, with
    small letters too (a final x); what a mask looks for inside free text."""
    out = {value, value.strip()} - {""}
    from .formats import FORMATS, FormatError

    fmt = FORMATS.get(decl.format) if getattr(decl, "format", None) else None
    if fmt is not None:
        with contextlib.suppress(FormatError):
            number = fmt.normalise(value)
            out |= {number, number.lower()}
    return out


def mask_in_text(text: str, pairs: dict[str, str]) -> str:
    """``text`` with every occurrence of a whole value of ``pairs`` (whole →
    masked) replaced by its mask, the longest first."""
    for whole in sorted(pairs, key=len, reverse=True):
        if whole in text:
            text = text.replace(whole, pairs[whole])
    return text


__all__ = ["Mask", "mask_in_text", "mask_of", "mask_paths", "spellings"]
