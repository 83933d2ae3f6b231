"""Who sees an applicant's ID number and name whole, and what everyone else
is shown.

One rule for the officer pages (``web.pages``: a claim's page, through
``interpreter.plain.Plain(masked=True)``, and the queue) and for the
service's ledger JSON (``service.applications``: GET /v1/applications and
/v1/applications/{id}): the roles in ``WHOLE_IDS`` see a value as the ledger
holds it; any other role (read-only) sees every fact that declares a mask
masked as ``interpreter.masks.mask_of`` says — an ID number by its format
(facts.yaml ``format:``, e.g. cn_resident_id → 3704**********441X), a name
by its declared ``mask:`` (张*三) — as the publicity list shows them. The
ledger's ``person`` is masked by the ledger's own rule
(``ledger.rules.person.mask``: the same format when it declares one), its
``name`` by the name fact's mask.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from interpreter.formats import FORMATS, FormatError
from interpreter.masks import mask_of

# who sees an applicant's ID number and name whole: those who check it
# against the person (caseworker, reviewer), pay them (finance), reproduce a
# decision (auditor) or administer the system; a read-only user, like the
# public list, sees them masked as the policy declares
WHOLE_IDS = ("admin", "caseworker", "reviewer", "finance", "auditor")
# a number is looked for inside longer strings only from this length on
MIN_INSIDE = 6


def sees_whole_ids(role: str) -> bool:
    return role in WHOLE_IDS


def mask_paths(policy) -> dict[str, Callable[[str], str]]:
    """Fact path (``a.b``; a list's items ``a[].b``) → the mask of every fact
    that declares one (a name) or has a format that masks (an ID number)."""
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


class IdMask:
    """Masks the ID numbers of one policy's facts wherever they appear in a
    JSON document: built once (per worker), used per response."""

    def __init__(self, policy, person_mask=None, name_mask=None):
        self.paths = mask_paths(policy)
        self.normalised = {
            path: fmt.normalise for path, fmt in _formats(policy).items() if path in self.paths
        }
        # the ledger's person (the claim's ID number) and name: their own masks
        self.person_mask = person_mask
        self.name_mask = name_mask

    def numbers(self, facts: Any, found: dict[str, str] | None = None) -> dict[str, str]:
        """whole → masked, for every value of the facts (a case as JSON) at a
        path with a mask; a number as written and normalised."""
        found = {} if found is None else found
        for path, mask in self.paths.items():
            for value in _at(facts, path.split(".")):
                self.add(found, value, self.normalised.get(path), mask)
        return found

    def add(self, found: dict[str, str], value: Any, normalise, mask) -> None:
        if not isinstance(value, str) or not value.strip():
            return
        masked = mask(value)
        found[value] = masked
        if normalise is not None:
            with contextlib.suppress(FormatError):
                found[normalise(value)] = masked

    def application(self, data: dict) -> dict:
        """An application's JSON (``ledger.model.Application.to_json``, or a
        summary of one) with its ID numbers masked: the person, the claim as
        submitted, the facts its decision read, the facts recorded since, and
        the same numbers anywhere else in it (an explanation's values)."""
        found: dict[str, str] = {}
        person = data.get("person")
        if person and self.person_mask is not None:
            self.add(found, person, None, self.person_mask)
        name = data.get("name")
        if name and self.name_mask is not None:
            self.add(found, name, None, self.name_mask)
        if isinstance(data.get("case"), dict):
            self.numbers(data["case"], found)
        decision = data.get("decision")
        if isinstance(decision, dict):
            self.numbers((decision.get("case") or {}).get("facts") or {}, found)
        for f in data.get("facts_recorded") or []:
            path = str(f.get("path", "")).replace("[]", "")
            mask = self.paths.get(path)
            if mask is not None:
                self.add(found, f.get("value"), self.normalised.get(path), mask)
        return replace(data, found) if found else data


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
    """``value`` with every string that is or holds a number of ``found``
    (whole → masked) masked, in values and in keys alike."""
    if isinstance(value, str):
        masked = found.get(value)
        if masked is not None:
            return masked
        for whole, m in found.items():
            # inside a longer text (an explanation): only a number long
            # enough not to be found by chance in other words
            if len(whole) >= MIN_INSIDE and whole in value:
                value = value.replace(whole, m)
        return value
    if isinstance(value, dict):
        return {replace(k, found): replace(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [replace(v, found) for v in value]
    return value
