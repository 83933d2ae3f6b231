"""The application form (网上申报), generated from the policy's fact
declarations — the same source as `policy schema` (facts.yaml and the facts a
revision adds): a fact issued tomorrow appears in the form with no code
change.

Each declared fact becomes a field named by its path
(``applicant.insured_months``; ``list[0].field`` inside a list):

  record         a fieldset under its label; "none" (未取得证书) when the
                 policy lets it be stated none
  boolean        是 / 否 / not given (missing is not false)
  enum           a choice of its values (programs by their titles), and the
                 policy's "none" wording when it may be stated none
  number, money  text with a numeric keyboard, its bounds and "whole number"
                 said beside it
  date           a date input (YYYY-MM-DD)
  string         text; a catalogue code gets the catalogue's codes offered
                 (web.choices), a formatted one (身份证号) the format's words
  list of enums  check boxes (the programs applied for)
  other lists    rows, one more added by a button (no JavaScript needed)

The facts the ledger derives from its grants (``history``) are not in the
form: they come from the ledger.

Read back, a field is text: numbers that parse become exact decimals, and
anything else is passed on as typed, so that the case reader — the code
`policy eval` runs — says what is wrong in the command line's words; its
errors are shown beside the field they name.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from dsl.errors import CaseError
from interpreter.cases import CaseReader, number_problem

from .choices import Choice, catalogue_choices

NONE = "__none__"  # the value of a choice "stated none"
NONE_SUFFIX = "/none"  # the check box of a record or list stated none
ROWS_SUFFIX = "/rows"  # how many rows a list of records shows
MAX_ROWS = 50  # rows of one list a form may ask for
# a row's index in a field's name: no more digits than a row count can have (a
# forged name with thousands of digits made int() raise: a 500 for the page)
_INDEX = re.compile(r"\[(\d{1,6})\]")


@dataclass
class Widget:
    """One field of the form as the template draws it."""

    kind: str  # group | boolean | enum | number | date | string | checks | rows
    name: str  # the concrete path (history[0].program)
    label: str
    help: str | None = None
    notes: list[str] = field(default_factory=list)  # bounds, whole number, format
    value: str = ""
    values: list[str] = field(default_factory=list)  # checks: the chosen ones
    options: list[tuple[str, str]] = field(default_factory=list)
    datalist: list[Choice] = field(default_factory=list)
    inputmode: str | None = None
    none_label: str | None = None  # group/rows/checks: may be stated none
    none_checked: bool = False
    children: list[Widget] = field(default_factory=list)
    rows: list[list[Widget]] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None


class FormSpec:
    """The form of one policy: built once per worker, drawn per request."""

    def __init__(self, policy, derived: set[str] | frozenset = frozenset()):
        self.policy = policy
        self.derived = set(derived)
        self.choices = catalogue_choices(policy)
        self.reader = CaseReader(policy)

    # -- drawing ---------------------------------------------------------------------
    def widgets(
        self, form: dict[str, list[str]], errors: dict[str, CaseError], lang: str, words: dict
    ) -> list[Widget]:
        out = []
        for name, decl in self.policy.facts.items():
            if name in self.derived:
                continue
            out.append(self._widget(decl, name, form, errors, lang, words))
        return out

    def _widget(self, decl, name: str, form, errors, lang: str, words: dict) -> Widget:
        label = decl.label_for(lang) if hasattr(decl, "label_for") else (decl.label or name)
        help_ = (decl.description_en if lang == "en" else decl.description) or None
        w = Widget(kind=decl.type, name=name, label=label or name, help=help_)
        err = errors.get(name)
        if err is not None:
            w.error, w.hint = err.message, err.hint
        none = (
            decl.none.en
            if (decl.none is not None and lang == "en")
            else (decl.none.zh if decl.none is not None else None)
        )
        t = decl.type
        if t == "record":
            w.kind = "group"
            w.none_label = none
            w.none_checked = _first(form, name + NONE_SUFFIX) == "1"
            w.children = [
                self._widget(f, f"{name}.{k}", form, errors, lang, words)
                for k, f in decl.fields.items()
            ]
            return w
        if t == "list":
            item = decl.items
            w.none_label = none
            w.none_checked = _first(form, name + NONE_SUFFIX) == "1"
            if item is not None and item.type == "enum":
                w.kind = "checks"
                w.options = self._enum_options(item, lang)
                w.values = list(form.get(name, []))
                return w
            w.kind = "rows"
            count = self.row_count(form, name)
            for i in range(count):
                row_name = f"{name}[{i}]"
                if item is None:
                    continue
                if item.type == "record":
                    row = [
                        self._widget(f, f"{row_name}.{k}", form, errors, lang, words)
                        for k, f in item.fields.items()
                    ]
                else:
                    row = [self._widget(item, row_name, form, errors, lang, words)]
                for r in row:
                    if f"{row_name}" in errors and r.error is None:
                        e = errors[row_name]
                        r.error, r.hint = e.message, e.hint
                w.rows.append(row)
            return w
        w.value = _first(form, name)
        if t == "boolean":
            w.options = [("", words["not_given"]), ("true", words["yes"]), ("false", words["no"])]
        elif t == "enum":
            w.options = [("", words["not_given"])] + self._enum_options(decl, lang)
        elif t in ("number", "money"):
            w.kind = "number"
            w.inputmode = "numeric" if (decl.integer and (decl.minimum or 0) >= 0) else "decimal"
            w.notes = self._bounds(decl, words)
        elif t == "string":
            w.datalist = self.choices.get(decl.path.replace("[]", ""), [])
            if decl.format is not None:
                from interpreter.formats import get_format

                fmt = get_format(decl.format)
                w.notes = [fmt.description]
        if none is not None:
            if t in ("enum", "boolean"):
                w.options.append((NONE, none))  # one more choice
            else:
                w.none_label = none  # a check box beside the field
                w.none_checked = _first(form, name + NONE_SUFFIX) == "1"
        return w

    def _enum_options(self, decl, lang: str) -> list[tuple[str, str]]:
        values = self.policy.enums[decl.enum].values
        programs = self.policy.programs
        if values and all(v in programs for v in values):
            # an enum of the policy's programs is shown by their titles
            return [
                (v, programs[v].title_en if lang == "en" else programs[v].title) for v in values
            ]
        return [(v, v) for v in values]

    @staticmethod
    def _bounds(decl, words: dict) -> list[str]:
        notes = []
        low, high = decl.minimum, decl.maximum
        if decl.type == "money" and low is None:
            low = Decimal(0)
        if low is not None and high is not None:
            notes.append(words["between"].format(low=_plain(low), high=_plain(high)))
        elif low is not None:
            notes.append(words["at_least"].format(low=_plain(low)))
        elif high is not None:
            notes.append(words["at_most"].format(high=_plain(high)))
        if decl.integer:
            notes.append(words["whole"])
        if decl.type == "money":
            notes.append(words["yuan"])
        return notes

    def row_count(self, form: dict[str, list[str]], name: str) -> int:
        """Rows of a list of records: as many as the form holds (and at least
        one, to type into), one more when its "add a row" button was pressed."""
        given = 0
        prefix = name + "["
        for key in form:
            if key.startswith(prefix):
                m = _INDEX.match(key, len(name))
                if m:
                    given = max(given, int(m.group(1)) + 1)
        try:
            shown = int(_first(form, name + ROWS_SUFFIX) or 0)
        except ValueError:
            shown = 0
        count = max(given, shown, 1)
        if _first(form, "add") == name:
            count += 1
        return min(count, MAX_ROWS)

    # -- reading back ----------------------------------------------------------------
    def case(self, form: dict[str, list[str]]) -> dict:
        """The case the form holds, as JSON values (exact decimals); an empty
        field is a missing fact."""
        case: dict = {}
        for name, decl in self.policy.facts.items():
            if name in self.derived:
                continue
            value = self._read(decl, name, form)
            if value is not None:
                case[name] = value
        return case

    def _read(self, decl, name: str, form):
        t = decl.type
        if decl.none is not None and _first(form, name + NONE_SUFFIX) == "1":
            return {"none": True}
        if t == "record":
            out = {}
            for k, f in decl.fields.items():
                v = self._read(f, f"{name}.{k}", form)
                if v is not None:
                    out[k] = v
            return out or None
        if t == "list":
            item = decl.items
            if item is not None and item.type == "enum":
                chosen = [v for v in form.get(name, []) if v]
                return chosen or None
            rows = []
            for i in range(self.row_count({k: v for k, v in form.items() if k != "add"}, name)):
                if item is None:
                    break
                v = self._read(item, f"{name}[{i}]", form)
                if v is not None:
                    rows.append(v)
            return rows or None
        text = _first(form, name).strip()
        if not text:
            return None
        if text == NONE and decl.none is not None:
            return {"none": True}
        if t in ("number", "money"):
            return _number(text)
        if t == "boolean":
            return {"true": True, "false": False}.get(text, text)
        return text

    def errors(self, case: dict, source: str = "form") -> dict[str, CaseError]:
        """Every problem of the case, each as the case reader words it, by the
        field it names. The reader stops at the first problem, so the field
        it names is taken out and the case read again, until it reads."""
        found: dict[str, CaseError] = {}
        work = copy.deepcopy(case)
        for _ in range(200):
            try:
                self.reader.convert(work, source)
                break
            except CaseError as err:
                path = _field(err)
                if path is None or path in found or not _remove(work, path):
                    found.setdefault(path or "", err)
                    break
                found[path] = err
        return found


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")


def _number(text: str):
    """Typed digits as an exact decimal; anything else as typed, for the case
    reader to name (as a CSV cell of `policy batch` is read)."""
    cleaned = text.replace(",", "").replace("，", "")
    if number_problem(cleaned) is not None:
        return cleaned
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return text
    return value if value.is_finite() else text


def _field(err: CaseError) -> str | None:
    context = err.context or ""
    return context[len("field ") :] if context.startswith("field ") else None


def _remove(case: dict, path: str) -> bool:
    """Take the fact at ``path`` (``a.b``, ``list[2].c``) out of the case."""
    parts: list = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        parts.append(name)
        for index in re.findall(r"(\d+)\]", "[" + rest if rest else ""):
            parts.append(int(index))
    node = case
    for p in parts[:-1]:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            return False
    try:
        del node[parts[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    return True
