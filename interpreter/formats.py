"""Declared formats of string facts: how a value is normalised, validated,
masked for publication and generated for synthetic cases.

A fact declares its format in facts.yaml (``format: cn_resident_id``); the
code here knows formats in general terms, never a field of one policy. The
same functions serve the case reader, the real-name checks, the ledger (a
person is stored under the normalised number) and the publicity lists (the
masked form), so two spellings of one person can never be two people.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

from dsl.records import Record

if TYPE_CHECKING:  # the generators are handed a Random; deciding needs none
    import random


class FormatError(ValueError):
    """A value that is not of its declared format; the message is plain words
    an officer can act on (it is shown after the field's path)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


@functools.cache
def _invisible() -> re.Pattern[str]:
    """Characters that carry no meaning in a typed or pasted number: every
    kind of space and the zero-width and direction marks a copy from a web
    page brings. Compiled when a number is first read, not at every start-up."""
    return re.compile(r"[\s\u00ad\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]+")


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_BIRTHS_SEEN: set[str] = set()  # the valid dates of birth met (they recur across cases)


def resident_id_check_digit(first17: str) -> str:
    """The check character of GB 11643-1999 (ISO 7064 MOD 11-2)."""
    if first17.isascii() and first17.isdigit():
        return _CHECK[_weighted(first17)]
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def _weighted(digits: str) -> int:
    """The weighted sum of 17 ASCII digits mod 11, computed by one int() in
    C (a batch checks one number per case). The weights are 2^17, 2^16 ...
    2^1 mod 11 (_WEIGHTS), so the sum is 2 * P(2) mod 11 where P is the
    polynomial whose coefficients are the digits; and P(13), which is
    int(digits, 13), is P(2) mod 11, since 13 is 2 mod 11."""
    return 2 * int(digits, 13) % 11


def normalise_resident_id(text: str) -> str:
    """The canonical 18-character form of a 居民身份证号码.

    Full-width digits and letters, spaces, zero-width characters and a
    lower-case x are read as what they stand for; the old 15-digit number is
    upgraded to 18 digits (its year is 19YY and the check digit is computed).
    Raises FormatError when the result is not a valid number: wrong length,
    a non-digit, an impossible date of birth or a wrong check digit.
    """
    if not isinstance(text, str):
        raise FormatError("expected an ID number as text")
    if text.isascii() and text.isalnum():
        # the common case: no full-width or invisible character to read, so
        # NFKC and the invisible-character filter would leave it as it is
        s = text.upper()
    else:
        s = _invisible().sub("", unicodedata.normalize("NFKC", text)).upper()
    if len(s) == 15:
        if not s.isascii() or not s.isdigit():
            raise FormatError("a 15-digit ID number has digits only")
        s = s[:6] + "19" + s[6:]
        s += resident_id_check_digit(s)
    if len(s) != 18:
        raise FormatError(
            f"an ID number has 18 characters (or 15 in the old form), this one has {len(s)}"
        )
    body, check = s[:17], s[17]
    if not (body.isascii() and body.isdigit()) or not (check.isdigit() or check == "X"):
        raise FormatError("an ID number is 17 digits followed by a digit or X")
    born = s[6:14]
    if born not in _BIRTHS_SEEN:
        problem = _birth_problem(born)
        if problem is not None:
            raise FormatError(problem)
    expected = resident_id_check_digit(body)
    if check != expected:
        raise FormatError(
            "the check digit of the ID number is wrong (a digit was mistyped?)",
            hint="check every digit against the ID card",
        )
    return s


def _birth_problem(born: str) -> str | None:
    """What is wrong with the date of birth ``born`` (YYYYMMDD digits) of an
    ID number, or None; a valid one is remembered in _BIRTHS_SEEN."""
    try:
        birth = _dt.date(int(born[:4]), int(born[4:6]), int(born[6:8]))
    except ValueError:
        return f"the date of birth in the ID number ({born}) is not a date"
    if not (_dt.date(1900, 1, 1) <= birth <= _dt.date(2100, 12, 31)):
        return f"the date of birth in the ID number ({born}) is out of range"
    if len(_BIRTHS_SEEN) < 1 << 16:  # every day of 1900-2100 fits
        _BIRTHS_SEEN.add(born)
    return None


def canonical_resident_id(text: str) -> str | None:
    """``text`` when it is already the canonical form of a valid number (18
    ASCII characters, 17 digits and a check digit or X that holds, a date of
    birth that exists, in 1900-2100), else None: then ``normalise_resident_id`` reads it
    (a small x, the old 15 digits, a full-width digit, a space) or says what
    is wrong. Whatever it gives, ``normalise_resident_id`` gives too, without
    an exception or a new string (a batch reads one number per case)."""
    if len(text) != 18:
        return None
    body = text[:17]
    if (
        body.isascii()  # isdigit() alone takes full-width and other digits
        and body.isdigit()
        and (text[6:14] in _BIRTHS_SEEN or _birth_problem(text[6:14]) is None)
        and _CHECK[2 * int(body, 13) % 11] == text[17]  # _weighted(body), without a call
    ):
        return text
    return None


def mask_resident_id(number: str) -> str:
    """3704**********4417: the first four and the last four characters."""
    return (
        number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)
    )


def generate_resident_id(
    rng: random.Random, area: str = "370405", born_from: int = 1960, born_until: int = 2002
) -> str:
    """A valid (check digit included) number for a synthetic case."""
    start = _dt.date(born_from, 1, 1).toordinal()
    end = _dt.date(born_until, 12, 31).toordinal()
    birth = _dt.date.fromordinal(rng.randint(start, end))
    body = f"{area}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_digit(body)


def mask_name(name: str) -> str:
    """张*三 for three characters, 张* for two, 欧**明 for four: the first and
    (from three characters on) the last are kept, as publicity lists show."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


class Format(Record, frozen=True):
    """A declared format: ``normalise`` returns the canonical text or raises
    FormatError; ``mask`` gives the form safe to publish; ``generate`` a
    valid value for synthetic cases."""

    name: str
    label: str  # what an officer calls it, in messages
    description: str
    normalise: Callable[[str], str]
    mask: Callable[[str], str]
    generate: Callable[[random.Random], str]
    # the text when it is its own canonical form and valid, else None (a
    # short cut only: ``normalise`` reads every value, and agrees)
    canonical: Callable[[str], str | None] | None = None


FORMATS: dict[str, Format] = {
    "cn_resident_id": Format(
        name="cn_resident_id",
        label="居民身份证号码 (resident ID number)",
        description="居民身份证号码 (GB 11643): 18 characters with a check digit, or the old 15-digit form",
        normalise=normalise_resident_id,
        mask=mask_resident_id,
        generate=generate_resident_id,
        canonical=canonical_resident_id,
    ),
}


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}") from None
