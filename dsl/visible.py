"""Text that cannot forge a line: every value shown in text output goes
through ``visible`` (docs/security.md).

A value from a case, a batch line, a decisions file or a revision may hold a
newline (which forged a whole line such as ``补贴金额: 99999.00 元`` in a
decision), a terminal escape (ESC [ ... which can rewrite what the terminal
shows), a bidirectional override (which reorders what is read), a zero-width
character (which makes two different words look the same), or a lone
surrogate (which is no character, and cannot even be written as UTF-8).
``visible`` writes each such character as an escape a reader sees —
``\\n``, ``\\x1b``, ``\\u202e`` — and leaves every other character, Chinese
included, as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Unicode categories Cc (controls), Cf (format: bidi marks and overrides,
# zero-width characters, the byte-order mark, tags), Cs (surrogates), Zl and
# Zp (line and paragraph separators). tests/dsl checks this class against
# unicodedata for every code point.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff"
    "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every control, format and separator character escaped."""
    if _INVISIBLE.search(text) is None:
        return text
    return _INVISIBLE.sub(_escape, text)


def visible_lines(lines: Iterable[str]) -> str:
    """Lines joined by newlines, each made visible first: however a value was
    built into a line, it cannot start another."""
    return "\n".join(visible(line) for line in lines)
