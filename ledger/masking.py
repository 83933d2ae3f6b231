"""Who sees an applicant's ID number and name whole, and what everyone else
is shown: the one place that decides it for every surface of the ledger.

``Ledger.viewer(user, role)`` gives a ``Viewer``: the officer pages
(``web.pages``: the queue, a claim's page and its trail, the notice), the
service's JSON (``service.applications``) and the command line (`policy
ledger list|show|export|notice`) all show a claim through it. The roles in
``WHOLE_IDS`` see a value as the ledger holds it; any other role (read-only)
sees every fact that declares a mask masked as ``interpreter.masks.mask_of``
says — an ID number by its format (facts.yaml ``format:``, e.g.
cn_resident_id → 3704**********441X), a name by its declared ``mask:``
(张*三) — as the publicity list shows them. The ledger's ``person`` is
masked by the ledger's own rule (``ledger.rules.person.mask``: the same
format when it declares one), its ``name`` by the name fact's mask.

Masked means: wherever the value appears, as a value or inside a longer text
— an explanation, a reviewer's reason, a payment's reference, the file name
a claim came from. Inside a text, only what is written as the ledger knows
it is found: the ID number as typed in the claim or in its normalised form
(either case of a final X), the name as given (as a word, in any case,
when its edges are Latin letters; not in a mapping's keys). Free text can hold other
personal data the system cannot recognise (an address, a telephone number,
a relative's name, a number written with spaces in it): that is shown as
typed (docs/ledger.md, "What a read-only user sees").
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from interpreter.formats import FORMATS, FormatError
from interpreter.masks import mask_paths

# who sees an applicant's ID number and name whole: those who check it
# against the person (caseworker, reviewer), pay them (finance), reproduce a
# decision (auditor) or administer the system; a read-only user, like the
# public list, sees them masked as the policy declares
WHOLE_IDS = ("admin", "caseworker", "reviewer", "finance", "auditor")
# a number is looked for inside longer strings only from this length on
MIN_INSIDE = 6
# a name (a value of a fact that declares a ``mask``) from this length on: a
# one-character value would be found by chance in any text
MIN_NAME_INSIDE = 2
# a name that begins or ends with a Latin letter or digit ("li", "Wang")
# is found inside a text only as a word: not inside "eligible", "applicant"
# or a program id; a Chinese name has no such edges and is found anywhere
_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")


def sees_whole_ids(role: str) -> bool:
    return role in WHOLE_IDS


__all__ = ["WHOLE_IDS", "IdMask", "Viewer", "mask_paths", "sees_whole", "sees_whole_ids"]


def sees_whole(roles: Iterable[str]) -> bool:
    """A user who holds several roles acts, on the command line, with all of
    them: they see a value whole when one of their roles does."""
    return any(sees_whole_ids(r) for r in roles)


class Found(dict):
    """whole → masked, for the values of one claim; ``short``: the values
    looked for inside a longer text although shorter than MIN_INSIDE (names)."""

    def __init__(self) -> None:
        super().__init__()
        self.short: set[str] = set()

    def inside(self) -> list[tuple[str, str, Any]]:
        """(whole, masked, pattern) to look for inside a longer text, longest
        first (a number before any shorter value it holds); ``pattern``: how
        a name with Latin edges is found as a word, else None (a substring)."""
        pairs = [
            (w, m, _as_word(w) if w in self.short else None)
            for w, m in self.items()
            if len(w) >= MIN_INSIDE or (w in self.short and len(w) >= MIN_NAME_INSIDE)
        ]
        return sorted(pairs, key=lambda p: -len(p[0]))

    def for_keys(self) -> dict[str, str]:
        """What is masked in a mapping's keys: the numbers (a claim's flags
        are keyed by the ID number), not the names, which would mask the
        JSON's own keys ("amount", "name") in a value's place."""
        out = {w: m for w, m in self.items() if w not in self.short}
        return out


def _as_word(whole: str):
    """How a name is found in a text: as a word when its edges are Latin
    letters or digits, in any case when it has letters with a case ("LI" is
    the name "li"); None: as a plain substring (a Chinese name)."""
    left = r"(?<![A-Za-z0-9_])" if _WORD_CHAR.match(whole[0]) else ""
    right = r"(?![A-Za-z0-9_])" if _WORD_CHAR.match(whole[-1]) else ""
    cased = whole.lower() != whole.upper()
    if not (left or right or cased):
        return None
    return re.compile(left + re.escape(whole) + right, re.IGNORECASE if cased else 0)


class IdMask:
    """Masks the ID numbers and names of one policy's facts wherever they
    appear in a claim: built once (per ledger), used per claim."""

    def __init__(self, policy, person_mask=None, name_mask=None):
        self.paths = mask_paths(policy)
        self.normalised = {
            path: fmt.normalise for path, fmt in _formats(policy).items() if path in self.paths
        }
        # a fact with a declared mask and no format: a name, looked for in texts
        self.names = {
            path for path in self.paths if getattr(policy.fact(path), "mask", None) is not None
        } - set(self.normalised)
        # the ledger's person (the claim's ID number) and name: their own masks
        self.person_mask = person_mask
        self.name_mask = name_mask

    def numbers(self, facts: Any, found: Found | None = None) -> Found:
        """whole → masked, for every value of the facts (a case as JSON) at a
        path with a mask; a number as written and normalised."""
        found = Found() if found is None else found
        for path, mask in self.paths.items():
            for value in _at(facts, path.split(".")):
                self.add(found, value, self.normalised.get(path), mask, path in self.names)
        return found

    def add(self, found: Found, value: Any, normalise, mask, name: bool = False) -> None:
        if not isinstance(value, str) or not value.strip():
            return
        masked = mask(value)
        spellings = {value, value.strip()}
        if normalise is not None:
            with contextlib.suppress(FormatError):
                number = normalise(value)
                # as normalised, and with its letters small (a final x typed so)
                spellings |= {number, number.lower()}
        for s in spellings:
            found[s] = masked
            if name:
                found.short.add(s)

    def found(self, data: dict) -> Found:
        """The values to mask in an application's JSON
        (``ledger.model.Application.to_json``, or a summary of one): the
        person, the name, the claim as submitted, the facts its decision
        read, the facts recorded since."""
        found = Found()
        person = data.get("person")
        if person and self.person_mask is not None:
            self.add(found, person, None, self.person_mask)
            found.setdefault(person.lower(), found[person])  # a final x typed small
        name = data.get("name")
        if name and self.name_mask is not None:
            self.add(found, name, None, self.name_mask, name=True)
        if isinstance(data.get("case"), dict):
            self.numbers(data["case"], found)
        decision = data.get("decision")
        if isinstance(decision, dict):
            self.numbers((decision.get("case") or {}).get("facts") or {}, found)
        for f in data.get("facts_recorded") or []:
            path = str(f.get("path", "")).replace("[]", "")
            mask = self.paths.get(path)
            if mask is not None:
                self.add(found, f.get("value"), self.normalised.get(path), mask, path in self.names)
        return found

    def application(self, data: dict) -> dict:
        """An application's JSON with its ID numbers and names masked
        wherever they appear (an explanation's values, the reviewer's reason)."""
        found = self.found(data)
        return replace(data, found) if found else data


class Viewer:
    """What one user in one role is shown of the ledger's claims: as held
    (``whole``), or masked by ``mask``. Every surface shows a claim through
    one (``Ledger.viewer``)."""

    def __init__(self, whole: bool, mask: IdMask):
        self.whole = whole
        self.mask = mask

    def found(self, app) -> Found:
        return self.mask.found(app.to_json() if hasattr(app, "to_json") else app)

    def application(self, app):
        """An ``Application`` (or a summary of one) as this viewer sees it:
        the same type, its values masked wherever they appear."""
        if self.whole:
            return app
        found = self.found(app)
        return replace(app, found) if found else app

    def person(self, number: str | None, name: str | None) -> tuple[str | None, str | None]:
        """A person's ID number and name, as this viewer sees them."""
        if self.whole:
            return number, name
        found = self.mask.found({"person": number, "name": name})
        return found.get(number or "", number), found.get(name or "", name)

    def json(self, data: dict) -> dict:
        """An application's JSON (``to_json()``) as this viewer sees it."""
        return data if self.whole else self.mask.application(data)

    def related(self, value: Any, app) -> Any:
        """Anything shown with claim ``app`` (its audit trail, its stored
        decision, a line of the export) with the claim's values masked."""
        if self.whole:
            return value
        found = self.found(app)
        return replace(value, found) if found else value

    def decision(self, decision: dict, app) -> dict:
        """A stored decision of claim ``app`` (`policy ledger show
        --decision`) as this viewer sees it: masked, and naming the facts
        masked in ``case.masked``, which `policy eval --replay` leaves out
        (a masked number is no number), as a decision log does."""
        if self.whole:
            return decision
        out = self.related(decision, app)
        facts = (decision.get("case") or {}).get("facts") or {}
        masked = sorted(
            path
            for path in self.mask.paths
            if any(isinstance(v, str) and v.strip() for v in _at(facts, path.split(".")))
        )
        if masked and isinstance(out.get("case"), dict):
            out["case"]["masked"] = masked
        return out

    def facts(self, value: Any, facts: dict, person: str | None = None) -> Any:
        """``value`` with the values of ``facts`` (a case as JSON) and the
        ledger's ``person`` masked: for what has no Application at hand (a
        line of the export)."""
        if self.whole:
            return value
        found = self.mask.numbers(facts)
        if person and self.mask.person_mask is not None:
            self.mask.add(found, person, None, self.mask.person_mask)
            found.setdefault(person.lower(), found[person])
        return replace(value, found) if found else value


def _formats(policy) -> dict[str, Any]:
    """Fact path → the Format of every fact declared with a known format."""
    out: dict[str, Any] = {}

    def walk(decls: dict, prefix: str) -> None:
        for name, d in decls.items():
            path = f"{prefix}{name}"
            if getattr(d, "format", None) in FORMATS:
                out[path] = FORMATS[d.format]
            elif d.type == "record":
                walk(d.fields, path + ".")
            elif d.type == "list" and d.items is not None and d.items.type == "record":
                walk(d.items.fields, path + "[].")

    walk(policy.facts, "")
    return out


def _at(value: Any, parts: list[str]) -> list[Any]:
    """The values at a dotted path (``name[]`` walks a list's items)."""
    if not parts:
        return [value]
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not isinstance(value, dict) or key not in value:
        return []
    got = value[key]
    if not many:
        return _at(got, rest)
    if not isinstance(got, list):
        return []
    return [v for item in got for v in _at(item, rest)]


def replace(value: Any, found: dict[str, str]) -> Any:
    """``value`` with every string that is or holds a value of ``found``
    (whole → masked) masked, in values and in keys alike, in dataclasses
    (the ledger's views) as in JSON; a new value, the input unchanged."""
    if isinstance(found, Found):
        keys = found.for_keys()
        masks = _Masks(found, found.inside(), keys, _long(keys))
    else:
        masks = _Masks(found, _long(found), found, _long(found))
    return _replace(value, masks)


@dataclasses.dataclass
class _Masks:
    found: dict[str, str]  # a whole string → its mask
    inside: list  # (whole, masked, pattern or None) to find in a longer text
    keys: dict[str, str]  # the same for a mapping's keys
    keys_inside: list


def _long(found: dict[str, str]) -> list[tuple[str, str, Any]]:
    pairs = [(w, m, None) for w, m in found.items() if len(w) >= MIN_INSIDE]
    return sorted(pairs, key=lambda p: -len(p[0]))


def _text(value: str, found: dict[str, str], inside: list) -> str:
    masked = found.get(value)
    if masked is not None:
        return masked
    for whole, m, pattern in inside:
        # inside a longer text (an explanation, a reason)
        if pattern is not None:
            value = pattern.sub(lambda _match, m=m: m, value)
        elif whole in value:
            value = value.replace(whole, m)
    return value


def _replace(value: Any, masks: _Masks) -> Any:
    if isinstance(value, str):
        return _text(value, masks.found, masks.inside)
    if isinstance(value, dict):
        return {
            (_text(k, masks.keys, masks.keys_inside) if isinstance(k, str) else k): _replace(
                v, masks
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, masks) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value,
            **{
                f.name: _replace(getattr(value, f.name), masks)
                for f in dataclasses.fields(value)
                if f.init
            },
        )
    return value
