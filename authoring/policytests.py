"""Policy tests as data (policy/tests/*.yaml) and clause coverage.

Each test is a case (inline or a JSON file), an optional decision date, and
the expected outcome per program: outcome, amount, failing clause ids,
missing facts. ``policy test`` and pytest run the same files through
``collect`` and ``run_test``.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from dsl.errors import ErrorList, PolicyError
from dsl.visible import visible_lines
from interpreter import schemas
from interpreter.cases import read_case_file
from interpreter.decision import CaseResult
from interpreter.evaluate import Evaluator
from interpreter.model import Policy
from interpreter.render import TextRenderer, money
from interpreter.yamlsource import Source, load_yaml


@dataclass
class PolicyTest:
    name: str
    file: str
    line: int | None
    case: dict | None
    case_file: Path | None
    as_of: _dt.date | None
    expect: dict

    @property
    def id(self) -> str:
        return f"{Path(self.file).name}:{self.line}:{self.name}"


@dataclass
class TestOutcome:
    test: PolicyTest
    passed: bool
    problems: list[str] = field(default_factory=list)
    result: CaseResult | None = None
    error: PolicyError | None = None


def default_test_dir(policy: Policy) -> Path:
    return Path(policy.root) / "tests"


def collect(paths, pattern: str | None = None) -> list[PolicyTest]:
    """Every test in the given files or folders (folders: every *.yaml)."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        files.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    errors: list[PolicyError] = []
    tests: list[PolicyTest] = []
    for f in files:
        try:
            src = load_yaml(f)
        except PolicyError as exc:
            errors.append(exc)
            continue
        problems = schemas.validate(src, "tests")
        if problems:
            errors.extend(problems)
            continue
        schemas.read_dates(src, "tests")
        tests.extend(_tests(src, f))
    if errors:
        raise ErrorList(errors)
    if pattern:
        pat = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
        tests = [t for t in tests if fnmatch.fnmatch(t.name, pat) or fnmatch.fnmatch(t.id, pat)]
    return tests


def _tests(src: Source, path: Path):
    for i, t in enumerate(src.data["tests"]):
        case_file = None
        if t.get("case_file"):
            case_file = Path(t["case_file"])
            if not case_file.is_absolute():
                # relative to the test file, else to the working directory
                near = path.parent / case_file
                case_file = near if near.exists() else case_file
        yield PolicyTest(
            name=t["name"],
            file=src.name,
            line=src.position(("tests", i)).line,
            case=_jsonish(t["case"]) if "case" in t else None,
            case_file=case_file,
            as_of=_date(t.get("as_of")),
            expect=t["expect"],
        )


def _date(v):
    if v is None or isinstance(v, _dt.date):
        return v
    return _dt.date.fromisoformat(str(v))


def _jsonish(value):
    """YAML values as a JSON case would carry them (numbers Decimal, dates text)."""
    if isinstance(value, dict):
        return {str(k): _jsonish(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonish(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def run_test(
    evaluator: Evaluator, test: PolicyTest, coverage: Coverage | None = None
) -> TestOutcome:
    try:
        if test.case_file is not None:
            data, _raw = read_case_file(test.case_file)
            name = str(test.case_file)
        else:
            data, name = test.case, f"{test.file}:{test.line}"
        res = evaluator.decide(data, as_of=test.as_of, programs=list(test.expect), case_name=name)
    except PolicyError as exc:
        return TestOutcome(
            test, False, [f"the case could not be evaluated: {exc.headline()}"], error=exc
        )
    if coverage is not None:
        coverage.record(res)
    problems = []
    by_program = {d.program.id: d for d in res.decisions}
    for pid, want in test.expect.items():
        d = by_program[pid]
        if d.outcome != want["outcome"]:
            problems.append(f"{pid}: outcome expected {want['outcome']}, got {d.outcome}")
        if "amount" in want and want["amount"] != money(d.amount):
            problems.append(f"{pid}: amount expected {want['amount']}, got {money(d.amount)}")
        if "failing" in want and sorted(want["failing"]) != sorted(d.failing):
            problems.append(
                f"{pid}: failing clauses expected {sorted(want['failing'])}, "
                f"got {sorted(d.failing)}"
            )
        if "missing" in want and sorted(want["missing"]) != sorted(d.missing):
            problems.append(
                f"{pid}: missing facts expected {sorted(want['missing'])}, got {sorted(d.missing)}"
            )
    return TestOutcome(test, not problems, problems, res)


def explain_failure(policy: Policy, outcome: TestOutcome, lang: str = "zh") -> str:
    lines = [f"FAIL {outcome.test.file}:{outcome.test.line} {outcome.test.name}"]
    lines += [f"  {p}" for p in outcome.problems]
    if outcome.error is not None:
        lines += ["  " + x for x in outcome.error.render().split("\n")]
    if outcome.result is not None:
        renderer = TextRenderer(policy, lang)
        renderer.day = outcome.result.as_of
        for d in outcome.result.decisions:
            lines += ["    " + x for x in renderer.decision(d)]
    return visible_lines(lines)  # case values cannot forge a line


class Coverage:
    """Which clauses some test saw true, false and unknown; standards used."""

    STATES = ("true", "false", "unknown")

    def __init__(self, policy: Policy):
        self.policy = policy
        self.seen: dict[tuple[str, str], set[str]] = {
            (p.id, c.id): set() for p in policy.programs.values() for c in p.clauses
        }
        # a requirement (the facts a real-name check compares) is never false
        self.states: dict[tuple[str, str], tuple[str, ...]] = {
            (p.id, c.id): (("true", "unknown") if c.requirement else self.STATES)
            for p in policy.programs.values()
            for c in p.clauses
        }
        self.standards: dict[str, set[str]] = {sid: set() for sid in policy.standards}
        # which dated value of each standard some test used: (key, from date)
        self.dated: dict[str, set[tuple]] = {sid: set() for sid in policy.standards}

    def record(self, res: CaseResult) -> None:
        for d in res.decisions:
            for r in d.clauses:
                state = {True: "true", False: "false", None: "unknown"}[r.result]
                self.seen[(d.program.id, r.id)].add(state)
            for s in d.standards:
                self.standards[s.id].add("" if s.key is None else s.key)
                self.dated[s.id].add(("" if s.key is None else s.key, s.start))

    def rows(self):
        """(program, clause, state → seen, or None for a state the clause cannot take)."""
        for (pid, cid), states in self.seen.items():
            possible = self.states[(pid, cid)]
            yield pid, cid, {s: (s in states) if s in possible else None for s in self.STATES}

    def uncovered(self, states=STATES) -> list[str]:
        return [
            f"{pid}.{cid} never {s}"
            for (pid, cid), seen in self.seen.items()
            for s in states
            if s not in seen and s in self.states[(pid, cid)]
        ]

    def versions(self):
        """(standard id, version, keys some test used, keys none used) for
        each dated value of each standard."""
        for sid, std in self.policy.standards.items():
            for v in sorted(std.versions, key=lambda v: v.start):
                keys = sorted(v.value) if isinstance(v.value, dict) else [""]
                used = [k for k in keys if (k, v.start) in self.dated[sid]]
                yield sid, v, used, [k for k in keys if k not in used]

    def unused_standard_values(self) -> list[str]:
        """Each row of each dated value that no test used: ``sid[row]``, and
        ``(from DATE)`` when the standard has more than one dated value."""
        out = []
        for sid, v, _used, unused in self.versions():
            dated = len(self.policy.standards[sid].versions) > 1
            for k in unused:
                out.append(f"{sid}[{k}]" if k else sid)
                if dated:
                    out[-1] += f" (from {v.start.isoformat()})"
        return out

    def percent(self) -> Decimal:
        total = sum(len(s) for s in self.states.values())
        hit = sum(len(s) for s in self.seen.values())
        return (Decimal(100) * hit / total).quantize(Decimal("0.1")) if total else Decimal(100)

    def to_json(self) -> dict:
        return {
            "clauses": [
                {"program": pid, "clause": cid, **states} for pid, cid, states in self.rows()
            ],
            "standards": {sid: sorted(keys) for sid, keys in self.standards.items()},
            "standard_versions": [
                {
                    "id": sid,
                    "from": v.start.isoformat(),
                    "until": v.until.isoformat() if v.until else None,
                    "source": v.source,
                    "revision": v.revision,
                    "used": used,
                    "unused": unused,
                }
                for sid, v, used, unused in self.versions()
            ],
            "uncovered": self.uncovered(),
            "unused_standard_values": self.unused_standard_values(),
            "percent": str(self.percent()),
        }

    def render(self) -> str:
        lines = ["clause coverage (true / false / unknown):"]
        width = max((len(f"{p}.{c}") for p, c in self.seen), default=10)
        for pid, cid, states in self.rows():
            marks = "  ".join(
                ("✓" if states[s] else "·" if states[s] is False else " ")
                + " "
                + (s if states[s] is not None else " " * len(s))
                for s in self.STATES
            )
            lines.append(f"  {f'{pid}.{cid}':<{width}}  {marks}")
        lines.append("standard values used (each dated value):")
        for sid, v, used, unused in self.versions():
            since = f"from {v.start.isoformat()}" + (
                f" until {v.until.isoformat()}" if v.until else ""
            )
            where = v.revision or v.source
            shown = (", ".join(k for k in used if k) or "used") if used else "never used"
            if used and unused:
                shown += "; never " + ", ".join(unused)
            lines.append(f"  {sid} {since} ({where}): {shown}")
        lines.append(f"coverage: {self.percent()}% of clause states")
        return "\n".join(lines)
