"""Explanation texts that stay true after a revision.

An explanation (a clause's ``explain`` and ``interpretation``, an amount's,
an installment's label, a computed value's label, the payee) does not write
a standard's number; it names the standard, and the value in force on the
decision date is put in when the decision is shown::

    explain:
      zh: 按证书等级：初级{standards.upgrade[初级]}元、中级{standards.upgrade[中级]}元
      en: junior {standards.upgrade[初级]} yuan, intermediate {standards.upgrade[中级]}

``{standards.NAME}`` is a standard of one value, ``{standards.NAME[KEY]}`` a
row of a table, and a trailing ``%`` (``{standards.project_advance_share%}``)
shows a share as a percentage (0.6 → 60%). The loader checks every
placeholder; ``policy check`` warns about a number written in an explanation
that equals a standard's value (it would not follow a revision), except in
words quoted from the source text (between “ ” or 「 」).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import overload

PLACEHOLDER = re.compile(r"\{standards\.([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]{}]+)\])?(%)?\}")
# a number in running text: 12, 1500, 0.6, 85% (not inside a longer word)
_NUMBER = re.compile(r"(?<![0-9A-Za-z_.])([0-9]+(?:\.[0-9]+)?)(%?)(?![0-9A-Za-z_])")
# words quoted from the source text keep their numbers, and so do dates
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|\"[^\"]*\"")
_DATES = re.compile(
    r"[0-9]{4}年(?:[0-9]{1,2}月(?:[0-9]{1,2}日)?)?|[0-9]{4}[-—–][0-9]{4}年?|"
    r"[0-9]{1,2} (?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December) [0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}"
)


def placeholders(text: str) -> Iterator[tuple[str, str | None, bool, tuple[int, int]]]:
    """(standard id, key or None, as a percentage, (start, end)) for each."""
    for m in PLACEHOLDER.finditer(text or ""):
        yield m.group(1), m.group(2), bool(m.group(3)), m.span()


def _close(word: str, options: list[str], cutoff: float) -> list[str]:
    import difflib  # only when a placeholder is wrong: a start-up checks every text

    return difflib.get_close_matches(word, options, n=1, cutoff=cutoff)


def problems(text: str, standards: dict) -> list[tuple[str, str | None]]:
    """What is wrong with the placeholders of ``text`` — a standard that does
    not exist, a row it does not have, a row for a standard of one value —
    as (message, the closest right name or None)."""
    out = []
    for sid, key, _pct, _span in placeholders(text):
        std = standards.get(sid)
        if std is None:
            close = _close(sid, list(standards), 0.6)
            out.append(
                (
                    f"{{standards.{sid}}}: no standard '{sid}'",
                    f"{{standards.{close[0]}}}" if close else None,
                )
            )
        elif key is None and std.key is not None:
            out.append(
                (
                    (
                        f"{{standards.{sid}}}: standard {sid} is a table by {std.key}: "
                        f"name its row, e.g. {{standards.{sid}[…]}}"
                    ),
                    None,
                )
            )
        elif key is not None and std.key is None:
            out.append(
                (
                    f"{{standards.{sid}[{key}]}}: standard {sid} has one value, no rows",
                    f"{{standards.{sid}}}",
                )
            )
        elif key is not None and not any(key in v.value for v in std.versions):
            rows = sorted({k for v in std.versions for k in v.value})
            close = _close(key, rows, 0.3)
            out.append(
                (
                    f"{{standards.{sid}[{key}]}}: standard {sid} has no row '{key}'",
                    f"{{standards.{sid}[{close[0]}]}}" if close else None,
                )
            )
    return out


@overload
def fill(text: str, standards: dict, day: _dt.date | None) -> str: ...
@overload
def fill(text: str | None, standards: dict, day: _dt.date | None) -> str | None: ...
def fill(text: str | None, standards: dict, day: _dt.date | None) -> str | None:
    """The text with each placeholder replaced by the value in force on
    ``day`` (with the date unknown, or no value in force, the standard's
    name in brackets)."""
    if not text or "{standards." not in text:
        return text

    def value(m: re.Match[str]) -> str:
        sid, key, pct = m.group(1), m.group(2), bool(m.group(3))
        std = standards.get(sid)
        version = std.at(day) if std is not None and day is not None else None
        v = version.value if version is not None else None
        if isinstance(v, dict):
            v = v.get(key)
        if v is None:
            return f"[{(std.label if std else None) or sid}{f'[{key}]' if key else ''}]"
        return _plain(v * 100) + "%" if pct else _plain(v)

    return PLACEHOLDER.sub(value, text)


def _plain(v: Decimal) -> str:
    """1500, 0.6, 1234.5: as a person writes a number."""
    if v == v.to_integral_value():
        return str(int(v))
    return format(v.normalize(), "f")


def standard_numbers(text: str, values: set) -> list[str]:
    """The numbers written in ``text`` (outside placeholders and quoted source
    words) that equal a standard's value: they would not follow a revision."""
    if not text:
        return []
    text = _DATES.sub(" ", PLACEHOLDER.sub(" ", _QUOTED.sub(" ", text)))
    found = []
    for m in _NUMBER.finditer(text):
        n = Decimal(m.group(1))
        if m.group(2):
            n = n / 100
        if n in values and m.group() not in found:
            found.append(m.group())
    return found
