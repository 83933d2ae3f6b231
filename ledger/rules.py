"""What the policy says about the ledger, read from its data (document.yaml
``ledger`` and ``real_name_checks``); no program, fact or amount is named here.

    ledger:
      person: {id: applicant.id, name: applicant.name}
      derived:
        - fact: history
          item: {program: $program, date: $decision_date, amount: $amount,
                 occupation: certificate.occupation, level: level_key}
      publicity:
        - {id: occupation, label: 职业（工种）, expr: certificate.occupation}

- ``person.id`` is the fact naming whom a claim is about; the format it
  declares in facts.yaml (``format: cn_resident_id``) normalises, validates
  and masks it (``interpreter.formats``).
- each ``derived`` fact is a list the ledger fills with one item per grant the
  person holds; a field is ``$program``, ``$decision_date`` or ``$amount``
  (values of the grant) or an expression over the claim that was granted,
  evaluated at that claim's decision date.
- ``publicity`` columns are expressions over a granted claim.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from dsl import Context, Unknown
from dsl.environment import diagnostic_error
from dsl.errors import (
    CheckError,
    ErrorList,
    ParseError,
    PolicyError,
    PolicyFileError,
    Position,
)
from interpreter.formats import FormatError, get_format, mask_name
from interpreter.masks import mask_of
from interpreter.model import Policy

from .errors import Invalid

GRANT_VALUES = ("program", "decision_date", "amount")


@dataclass(frozen=True)
class Compiled:
    """An expression of the ledger section, compiled in the policy's scope."""

    text: str
    expression: object  # dsl Expression


@dataclass(frozen=True)
class DerivedFact:
    fact: str  # dotted path of a list fact
    item: tuple[tuple[str, str | Compiled], ...]  # field → grant value name or expression


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    label_en: str
    expr: Compiled


class Person:
    """Who a claim is about: the fact, and its declared format; the masks its
    ID and name facts declare (facts.yaml ``mask``, else the ID's format's),
    if any."""

    def __init__(
        self, id_path: str | None, name_path: str | None, fmt, name_mask=None, id_mask=None
    ):
        self.id_path = id_path
        self.name_path = name_path
        self.format = fmt
        # how the ID number is shown masked: as the fact's values are
        # (interpreter.masks.mask_of: its declared mask, else its format's)
        self.id_mask = id_mask
        # how a name is shown to one who may not see it whole (the read-only
        # role); None: to them as to everyone
        self.name_mask = name_mask

    def normalise(self, value, where: str) -> str:
        if not isinstance(value, str):
            raise Invalid(
                f"expected the ID number as text, found {value!r}",
                position=Position(where),
                context=f"field {self.id_path}",
            )
        if self.format is None:
            text = value.strip()
            if not text:
                raise Invalid(
                    "the ID number is empty",
                    position=Position(where),
                    context=f"field {self.id_path}",
                )
            return text
        try:
            return self.format.normalise(value)
        except FormatError as exc:
            raise Invalid(
                exc.message,
                position=Position(where),
                context=f"field {self.id_path}",
                hint=exc.hint,
            ) from None

    def mask(self, number: str) -> str:
        if self.id_mask is not None:
            return self.id_mask(number)
        if self.format is not None:
            return self.format.mask(number)
        return number[:1] + "*" * max(len(number) - 2, 0) + number[-1:]

    def published_name(self, name: str | None) -> str | None:
        """A name as the publicity list (公示) shows it: always masked, by the
        name fact's declared mask, else as 公示 practice does (张*三)."""
        if not name:
            return None
        return self.name_mask(name) if self.name_mask is not None else mask_name(name)


class LedgerRules:
    """The ledger section of a policy, checked and compiled."""

    def __init__(self, policy: Policy):
        self.policy = policy
        raw = policy.document.raw.get("ledger") or {}
        self._src = None
        person = raw.get("person") or {}
        errors: list[PolicyError] = []
        id_path, name_path = person.get("id"), person.get("name")
        fmt = name_mask = id_mask = None
        for key, path in (("id", id_path), ("name", name_path)):
            if path is None:
                continue
            decl = policy.fact(path)
            if decl is None or decl.type != "string":
                errors.append(
                    self._error(
                        ("ledger", "person", key), f"'{path}' is not a text fact of facts.yaml"
                    )
                )
            elif key == "id":
                if decl.format is not None:
                    try:
                        fmt = get_format(decl.format)
                    except KeyError as exc:
                        errors.append(self._error(("ledger", "person", key), str(exc.args[0])))
                        continue
                id_mask = mask_of(decl)
            elif key == "name":
                name_mask = mask_of(decl)
        self.person = Person(id_path, name_path, fmt, name_mask, id_mask)

        self.derived: list[DerivedFact] = []
        for i, d in enumerate(raw.get("derived") or []):
            at = ("ledger", "derived", i)
            decl = policy.fact(d["fact"])
            if (
                decl is None
                or decl.type != "list"
                or decl.items is None
                or decl.items.type != "record"
            ):
                errors.append(
                    self._error(
                        at + ("fact",),
                        f"'{d['fact']}' is not a list of records declared in facts.yaml",
                    )
                )
                continue
            item = []
            for name, spec in d["item"].items():
                if name not in decl.items.fields:
                    errors.append(
                        self._error(
                            at + ("item", name),
                            f"the items of {d['fact']} have no field '{name}'",
                            hint="fields: " + ", ".join(decl.items.fields),
                        )
                    )
                    continue
                if spec.startswith("$"):
                    if spec[1:] not in GRANT_VALUES:
                        errors.append(
                            self._error(
                                at + ("item", name),
                                f"no value '{spec}' of a grant",
                                hint="values of a grant: "
                                + ", ".join("$" + v for v in GRANT_VALUES),
                            )
                        )
                        continue
                    item.append((name, spec[1:]))
                else:
                    compiled = self._compile(
                        at + ("item", name), spec, f"ledger derived {d['fact']}.{name}", errors
                    )
                    if compiled is not None:
                        item.append((name, compiled))
            self.derived.append(DerivedFact(d["fact"], tuple(item)))

        self.publicity: list[Column] = []
        for i, c in enumerate(raw.get("publicity") or []):
            compiled = self._compile(
                ("ledger", "publicity", i, "expr"), c["expr"], f"ledger publicity {c['id']}", errors
            )
            if compiled is not None:
                self.publicity.append(
                    Column(c["id"], c["label"], c.get("label_en") or c["label"], compiled)
                )
        if errors:
            raise ErrorList(errors)
        self._standards: dict[_dt.date, dict] = {}

    # -- reading the policy's file for positions ------------------------------------------
    def _source(self):
        if self._src is None:
            from interpreter.yamlsource import load_yaml

            path = Path(self.policy.root) / "document.yaml"
            name = f"{Path(self.policy.root).name}/document.yaml"
            self._src = load_yaml(path, display_name=name)
        return self._src

    def _error(self, path: tuple, message: str, hint: str | None = None) -> PolicyFileError:
        return self._source().error(path, message, hint=hint)

    def _compile(self, path: tuple, text: str, context: str, errors: list) -> Compiled | None:
        env = self.policy.env
        try:
            from dsl import parse

            node = parse(text)
        except ParseError as exc:
            src = self._source()
            locate = src.expression_locator(path)
            line, col = locate(exc.position.line or 1, exc.position.column or 1)
            exc.position = Position(src.name, line, col)
            exc.context = context
            errors.append(exc)
            return None
        result = env.check(node)
        if result.errors:
            src = self._source()
            locate = src.expression_locator(path)
            errors.extend(
                diagnostic_error(d, text, src.name, locate, context) for d in result.errors
            )
            return None
        try:
            fn = env.compile_node(node)
        except CheckError as exc:
            errors.append(exc.with_context(position=self._source().position(path), context=context))
            return None
        from dsl import Expression

        return Compiled(text, Expression(text, node, result, fn))

    # -- evaluating ------------------------------------------------------------------------
    def standards_at(self, day: _dt.date | None) -> dict:
        if day is None:
            return {}
        got = self._standards.get(day)
        if got is None:
            got = {}
            for sid, std in self.policy.standards.items():
                v = std.at(day)
                if v is not None:
                    got[sid] = v.value
            self._standards[day] = got
        return got

    def evaluate(self, compiled: Compiled, facts: dict, as_of: _dt.date | None):
        """The value of an expression over a claim's facts (None when unknown)."""
        return self._value(compiled.expression, facts, as_of)

    def evaluate_rule(self, rule, facts: dict, as_of: _dt.date | None):
        """The value of one of the policy's compiled rules (a program's
        ``level``, the document's ``report_level``) over a claim's facts."""
        return self._value(rule.expression, facts, as_of)

    def _value(self, expression, facts: dict, as_of: _dt.date | None):
        ctx = Context(
            facts,
            as_of=as_of,
            standards=self.standards_at(as_of),
            catalogs=self.policy.catalog_values,
        )
        try:
            value = expression.evaluate(ctx)
        except PolicyError:
            return None
        return None if type(value) is Unknown else value


def plain(value):
    """A runtime value as case JSON (dates as text, numbers as Decimal)."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value
