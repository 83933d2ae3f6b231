"""Who a case is about, as a person reading a listing is shown it.

document.yaml says it as data: ``case_id`` (e.g. the applicant's ID number)
and ``case_name`` (their name). Where the id is a fact declared with a
format that masks (facts.yaml ``format``, e.g. a resident ID), every view
meant for people shows the masked form; machine outputs (batch lines,
JSON) keep the value itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dsl.ast import path_of

from .formats import FORMATS, FormatError
from .model import Policy, Rule


def fact_path(rule: Rule | None) -> str | None:
    """The dotted fact path a rule reads when it is nothing but that path."""
    if rule is None:
        return None
    node = getattr(rule.expression, "node", None)
    path = path_of(node) if node is not None else None
    return ".".join(path) if path else None


def mask_for(policy: Policy, rule: Rule | None) -> Callable[[Any], str] | None:
    """The function that masks what ``rule`` gives, or None: the mask of the
    format its fact declares, when the rule is a bare fact path."""
    path = fact_path(rule)
    decl = policy.fact(path) if path else None
    fmt = FORMATS.get(getattr(decl, "format", None) or "")
    if fmt is None:
        return None

    def mask(value: Any) -> str:
        try:
            return fmt.mask(fmt.normalise(str(value)))
        except FormatError:
            return fmt.mask(str(value))

    return mask


def shown_id(policy: Policy, value: Any) -> Any:
    """A case id (document.yaml ``case_id``) as people are shown it."""
    if value is None:
        return None
    mask = mask_for(policy, policy.case_id)
    return mask(value) if mask is not None else value


def from_facts(policy: Policy, facts: dict) -> str:
    """The name and the (masked) id of the case, read from its facts as
    written, for a text about one decision; "" when the policy names neither
    as a plain fact (an expression needs the evaluator, which a view of a
    decision file does not run)."""
    parts = []
    for rule in (policy.case_name, policy.case_id):
        path = fact_path(rule)
        value = _get(facts, path) if path else None
        if value is None or isinstance(value, (dict, list)):
            continue
        mask = mask_for(policy, rule)
        parts.append(mask(value) if mask is not None else str(value))
    return " ".join(parts)


def _get(facts: dict, path: str) -> Any:
    v: Any = facts
    for part in path.split("."):
        if not isinstance(v, dict):
            return None
        v = v.get(part)
    return v
