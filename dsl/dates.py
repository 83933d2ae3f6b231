"""Dates as people write them, and the one form the policy reads.

Every date in a policy file, a case and an expression is ``YYYY-MM-DD``. A
date written another way (``2021/7/1``, ``2021.7.1``, ``2021-7-1``,
``2021年7月1日``) is refused wherever it appears, with one message in plain
words and the fix spelled out: ``write 2021-07-01``. The YAML reader, the
case reader and the expression checker all ask this module, so the three
say the same thing.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(loose, ISO): compiled when first needed — only a message about a
    date, or a rule's date written another way, needs them, and compiling the
    loose one (Unicode spaces) cost every start-up about a millisecond."""
    # year, month, day separated by one of / . - (or 年 月 日), one or two digits
    loose = re.compile(
        r"\s*([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*(?:[-/.]|月)\s*"
        r"([0-9]{1,2})\s*日?\s*"
    )
    return loose, re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_form(text: str) -> str | None:
    """``2021-07-01`` for a real date written another way (``2021/7/1``);
    None when ``text`` is no date at all, or not a real day."""
    if not isinstance(text, str):
        return None
    m = _patterns()[0].fullmatch(text)
    if m is None:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def date_problem(text: str, shown: str | None = None) -> tuple[str, str | None]:
    """What is wrong with ``text`` as a date, and the fix: (message, hint).

    The message quotes the text (as ``shown``, when given); the hint, when a
    real date is written another way, is ``write 2021-07-01``."""
    shown = f'"{text}"' if shown is None else shown
    message = f"{shown} is not a real date of the form YYYY-MM-DD"
    if _patterns()[1].fullmatch(text):
        return message + " (there is no such day)", None
    fixed = iso_form(text)
    return message, (f"write {fixed}" if fixed is not None else None)
