"""Who sees an applicant's ID number whole, and what everyone else is shown.

One rule for the officer pages (``web.pages``: a claim's page, through
``interpreter.plain.Plain(masked=True)``) and for the service's ledger JSON
(``service.applications``: GET /v1/applications and /v1/applications/{id}):
the roles in ``WHOLE_IDS`` see an ID number as the ledger holds it; any other
role (read-only) sees it masked by the format the policy declares for the fact
(facts.yaml ``format:``, e.g. cn_resident_id → 3704**********441X), as the
publicity list shows it. The ledger's ``person`` is masked by the ledger's own
rule (``ledger.rules.person.mask``: the same format when it declares one).
"""

from __future__ import annotations

import contextlib
from typing import Any

from interpreter.formats import FORMATS, FormatError

# who sees an applicant's ID number whole: those who check it against the
# person (caseworker, reviewer), pay them (finance), reproduce a decision
# (auditor) or administer the system; a read-only user, like the public
# list, sees it masked by the format the policy declares for it
WHOLE_IDS = ("admin", "caseworker", "reviewer", "finance", "auditor")
# a number is looked for inside longer strings only from this length on
MIN_INSIDE = 6


def sees_whole_ids(role: str) -> bool:
    return role in WHOLE_IDS


def format_paths(policy) -> dict[str, Any]:
    """Fact path (``a.b``; a list's items ``a[].b``) → the Format of every fact
    declared with a known format that masks (an ID number)."""
    out: dict[str, Any] = {}

    def walk(decls: dict, prefix: str) -> None:
        for name, d in decls.items():
            path = f"{prefix}{name}"
            fmt = getattr(d, "format", None)
            if fmt and fmt in FORMATS:
                out[path] = FORMATS[fmt]
            elif d.type == "record":
                walk(d.fields, path + ".")
            elif d.type == "list" and d.items is not None and d.items.type == "record":
                walk(d.items.fields, path + "[].")

    walk(policy.facts, "")
    return out


class IdMask:
    """Masks the ID numbers of one policy's facts wherever they appear in a
    JSON document: built once (per worker), used per response."""

    def __init__(self, policy, person_mask=None):
        self.paths = format_paths(policy)
        # the ledger's person (the claim's ID number): its own mask
        self.person_mask = person_mask

    def numbers(self, facts: Any, found: dict[str, str] | None = None) -> dict[str, str]:
        """whole → masked, for every value of the facts (a case as JSON) at a
        path with a masking format; the number as written and normalised."""
        found = {} if found is None else found
        for path, fmt in self.paths.items():
            for value in _at(facts, path.split(".")):
                self.add(found, value, fmt.normalise, fmt.mask)
        return found

    def add(self, found: dict[str, str], value: Any, normalise, mask) -> None:
        if not isinstance(value, str) or not value.strip():
            return
        whole = value
        if normalise is not None:
            with contextlib.suppress(FormatError):
                whole = normalise(value)
        masked = mask(whole)
        found[value] = masked
        found[whole] = masked

    def application(self, data: dict) -> dict:
        """An application's JSON (``ledger.model.Application.to_json``, or a
        summary of one) with its ID numbers masked: the person, the claim as
        submitted, the facts its decision read, the facts recorded since, and
        the same numbers anywhere else in it (an explanation's values)."""
        found: dict[str, str] = {}
        person = data.get("person")
        if person and self.person_mask is not None:
            self.add(found, person, None, self.person_mask)
        if isinstance(data.get("case"), dict):
            self.numbers(data["case"], found)
        decision = data.get("decision")
        if isinstance(decision, dict):
            self.numbers((decision.get("case") or {}).get("facts") or {}, found)
        for f in data.get("facts_recorded") or []:
            fmt = self.paths.get(str(f.get("path", "")).replace("[]", ""))
            if fmt is not None:
                self.add(found, f.get("value"), fmt.normalise, fmt.mask)
        return replace(data, found) if found else data


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
