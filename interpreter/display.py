"""Values as people read them: money with thousands separators and in
Chinese capitals (大写), dates in words, percentages, yes and no.

These are the formats of documents and explanations meant for applicants
and officers (the decision notice, the plain explanation); the JSON output
keeps its machine form (``"1234.50"``, ``"2021-05-20"``). Nothing here knows
a policy: a value is formatted by its declared type.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, cast

from dsl.visible import visible  # noqa: F401 - one definition, re-exported for documents

# An open-ended period ends on this day in catalogue rows (see
# interpreter/catalog_env.py); people read it as "from ... on".
OPEN_END = _dt.date(9999, 12, 31)

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal from a Decimal, an int or the text of a number; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            d = Decimal(value)
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def money_figures(value: Any, places: int = 2) -> str:
    """1,500.00: thousands separators, two decimals (the fen); a value with
    more decimals than that keeps them all, so nothing is hidden."""
    d = to_decimal(value)
    if d is None:
        return str(value)
    # a finite number (to_decimal gives no NaN or infinity): an int exponent
    if cast(int, d.as_tuple().exponent) >= -places:
        d = d.quantize(Decimal(1).scaleb(-places))
    return f"{d:,f}"


def number_text(value: Any) -> str:
    """A plain number with thousands separators and its own decimals (38, 1,200, 0.85)."""
    d = to_decimal(value)
    if d is None:
        return str(value)
    if d == d.to_integral_value():
        d = d.quantize(Decimal(1))
    else:
        d = d.normalize()
    return f"{d:,f}"


def percent_text(value: Any) -> str:
    """A share as a percentage: 0.6 → 60%, 0.875 → 87.5%."""
    d = to_decimal(value)
    if d is None:
        return str(value)
    return number_text(d * 100) + "%"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def money_in_capitals(value: Any) -> str:
    """An amount of yuan in Chinese capitals (中文大写金额), as written on
    financial documents: 1500 → 壹仟伍佰元整, 4399.80 → 肆仟叁佰玖拾玖元捌角,
    1005.06 → 壹仟零伍元零陆分, 100000 → 壹拾万元整.

    The rules followed (《支付结算办法》附件 正确填写票据和结算凭证的基本规定):
    a run of zeros inside the number is one 零; zeros at the end of a
    four-digit group are not written; an amount of whole yuan ends with 整;
    an amount with jiao and no fen ends with the 角 (no 整); when the jiao
    is zero and there are fen, 零 stands between 元 and the fen; a leading
    ten is written 壹拾. Rounded half up to the fen first.
    """
    d = to_decimal(value)
    if d is None:
        raise ValueError(f"not an amount of money: {value!r}")
    d = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "负" if d < 0 else ""
    d = abs(d)
    fen_total = int(d * 100)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if yuan >= 10**16:
        raise ValueError(f"amount too large to write in capitals: {value!r}")
    words = _integer_capitals(yuan)
    if yuan == 0 and (jiao or fen):
        out = ""
    else:
        out = words + "元"
    if jiao == 0 and fen == 0:
        return sign + out + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return sign + out


def _integer_capitals(n: int) -> str:
    """Whole yuan in capitals: digits with their units (拾佰仟), a group mark
    (万, 亿) after each four-digit group that is not all zeros, one 零 for a
    run of zeros followed by a digit."""
    if n == 0:
        return "零"
    digits = str(n)
    out, zero = "", False
    for i, ch in enumerate(digits):
        pos = len(digits) - 1 - i
        if ch == "0":
            zero = True
        else:
            if zero:
                out += "零"
                zero = False
            out += _DIGITS[int(ch)] + _SMALL_UNITS[pos % 4]
        if pos % 4 == 0 and pos > 0 and int(digits[max(0, i - 3) : i + 1]) != 0:
            out += _BIG_UNITS[pos // 4]
    return out


def date_value(value: Any) -> _dt.date | None:
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def date_text(value: Any, lang: str = "zh") -> str:
    """2021年5月20日, or 20 May 2021 in English."""
    day = date_value(value)
    if day is None:
        return str(value)
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(start: Any, until: Any, lang: str = "zh") -> str:
    """2020年5月1日至2021年2月28日; an open end (none, or 9999-12-31) reads
    as 2021年6月1日起."""
    end = date_value(until)
    if until is None or end == OPEN_END:
        return f"from {date_text(start, lang)}" if lang == "en" else f"{date_text(start, lang)}起"
    if lang == "en":
        return f"{date_text(start, lang)} to {date_text(until, lang)}"
    return f"{date_text(start, lang)}至{date_text(until, lang)}"


YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}


def value_text(value: Any, type_: str | None, lang: str = "zh", unit: str | None = None) -> str:
    """A case or catalogue value by its declared type (money, number, date,
    boolean, enum, string); an undeclared value by its shape."""
    if value is None:
        return ""
    if isinstance(value, bool) or type_ == "boolean":
        yes, no = YES_NO.get(lang, YES_NO["zh"])
        return yes if value is True or value == "true" else no
    if type_ == "money":
        text = money_figures(value)
        return f"{text} {unit}" if unit and lang == "en" else (text + unit if unit else text)
    if type_ == "number":
        return number_text(value)
    if type_ == "date" or (type_ is None and date_value(value) is not None):
        return date_text(value, lang)
    if isinstance(value, list):
        sep = ", " if lang == "en" else "、"
        return sep.join(value_text(v, None, lang) for v in value)
    return str(value)
