"""The floor: 职业培训补贴 (program ``vocational_training``) written by hand in
plain Python, for the benchmark only.

It is what a programmer would write without ``policy``: the clauses of
policy/programs/vocational_training.yaml (with the shared definitions of
policy/definitions.yaml they use) as ``if``s over the converted facts, the
standards of policy/standards.yaml as constants, and the catalogues indexed
once into sets and dicts. It decides like the policy, including for missing
facts: a clause is True, False or None (unknown, Kleene's three-valued logic
as in the rule language), and

- any clause False          -> "ineligible" (the failing clauses are listed),
- else any clause unknown   -> "undetermined",
- else                      -> "eligible", amount = the standard of its tier.

It does not name the missing facts (the policy does, with ``explain=False``
too); it does list the failing clauses, which the policy's fast path also
returns. ``benchmarks/run.py`` and ``tests/benchmarks/test_equivalence.py``
check that it agrees with ``Evaluator.decide`` on every case (outcome, amount
and failing clauses).

Input: the facts as ``CaseReader.convert`` returns them (dates as
``datetime.date``, numbers as ``Decimal``, missing facts absent).
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

PROGRAM = "vocational_training"

# The clauses, in the order of the program file. run.py refuses to time a
# floor whose clause list differs from the program's (the program changed).
CLAUSES = (
    "in_force",
    "trained_in_district",
    "training_kind",
    "not_project_based",
    "course_in_catalogue",
    "institution_active",
    "institution_approved",
    "certificate_obtained",
    "certificate_level",
    "no_monthly_pension",
    "yearly_limit",
    "not_repeated",
    # added by the loader from document.yaml real_name_checks: the facts the
    # checks compare must be known (true or unknown, never false)
    "real_name_same_occupation_level",
    "real_name_three_per_year",
)

# policy/definitions.yaml in_force; document.yaml period
PERIOD_START = _dt.date(2019, 1, 1)
PERIOD_END = _dt.date(2021, 12, 31)
# policy/standards.yaml: every value in force from 2019-01-01, open-ended
STANDARDS_FROM = _dt.date(2019, 1, 1)
STANDARD = {
    "初级": Decimal(1000),
    "中级": Decimal(1500),
    "高级": Decimal(2000),
    "创业培训": Decimal(1600),
}
MAX_PER_YEAR = 3

TRAINING_KINDS = frozenset(("就业技能培训", "岗位技能提升培训", "创业培训"))
CERTIFICATE_KINDS = frozenset(
    ("职业资格证书", "职业技能等级证书", "专项职业能力证书", "特种作业操作证书", "培训合格证书")
)
LEVELLED_KINDS = frozenset(("职业资格证书", "职业技能等级证书"))
UNLEVELLED_KINDS = frozenset(("专项职业能力证书", "特种作业操作证书", "培训合格证书"))
BASIC_LEVELS = frozenset(("初级", "中级", "高级"))
ENTREPRENEURSHIP = "创业培训"

_EMPTY: dict = {}


def count_in_year(history: list, year: int):
    """This program's subsidies in the history in ``year``; None when a
    missing program or date leaves it unknown."""
    n = 0
    for h in history:
        p = h.get("program")
        d = h.get("date")
        if p is not None and p != PROGRAM:
            continue
        if d is not None and d.year != year:
            continue
        if p is None or d is None:
            return None
        n += 1
    return n


def subsidised_before(history: list, occupation, level_key: str | None):
    """Whether the history holds this program for the occupation and level:
    True, False, or None when missing facts leave it unknown (``level_key``
    None: the certificate's level is unknown)."""
    found = False
    for h in history:
        p = h.get("program")
        o = h.get("occupation")
        lv = h.get("level")
        if p is not None and p != PROGRAM:
            continue
        if o is not None and occupation is not None and o != occupation:
            continue
        if lv is not None and level_key is not None and lv != level_key:
            continue
        if p is None or o is None or occupation is None or lv is None or level_key is None:
            found = None
        else:
            return True
    return found


class Floor:
    """``Floor(policy.catalog_values).decide(facts) -> (outcome, amount, failing)``."""

    clauses = CLAUSES

    def __init__(self, catalog: dict):
        self.courses = frozenset(catalog.get("course_codes", ()))
        rows = catalog.get("courses", ())
        self.zx_courses = frozenset(c["code"] for c in rows if "专项" in c["levels"])
        self.any_zx = bool(self.zx_courses)
        # institution -> [(from, until)] of its active periods
        self.active: dict[str, list] = {}
        for s in catalog.get("institution_status", ()):
            if s["status"] == "active":
                self.active.setdefault(s["institution"], []).append((s["from"], s["until"]))
        self.active_rows = [p for periods in self.active.values() for p in periods]
        # approvals (institution, course, level) and their projections, for
        # the answer when some of the three are unknown
        triples = [
            (a["institution"], a["course"], a["level"]) for a in catalog.get("approvals", ())
        ]
        self.approvals = frozenset(triples)
        self.approval_rows = triples

    # -- pieces ----------------------------------------------------------------------
    def _institution_active(self, training: dict):
        inst = training.get("institution")
        start = training.get("start_date")
        end = training.get("end_date")
        if inst is not None and start is not None and end is not None:
            return any(f <= start and end <= u for f, u in self.active.get(inst, ()))
        # some fact missing: never true; unknown if a period could still hold
        rows = self.active.get(inst, ()) if inst is not None else self.active_rows
        for f, u in rows:
            if (start is None or f <= start) and (end is None or end <= u):
                return None
        return False

    def _training_level(self, training: dict, certificate: dict, project: dict):
        pb = training.get("project_based")
        if pb is None:
            return None
        if pb is True:
            return project.get("level")
        kind = training.get("kind")
        if kind is None:
            return None
        if kind == ENTREPRENEURSHIP:
            return ENTREPRENEURSHIP
        ck = certificate.get("kind")
        if ck is None:
            return None
        if ck in LEVELLED_KINDS:
            return certificate.get("level")
        course = training.get("course")
        if course is None:
            return None if self.any_zx else "初级"
        return "专项" if course in self.zx_courses else "初级"

    def _approved(self, inst, course, level):
        if inst is not None and course is not None and level is not None:
            return (inst, course, level) in self.approvals
        for i, c, lv in self.approval_rows:
            if (
                (inst is None or i == inst)
                and (course is None or c == course)
                and (level is None or lv == level)
            ):
                return None
        return False

    # -- the decision ---------------------------------------------------------------------
    def clause_values(self, facts: dict) -> tuple:
        """True / False / None (unknown) for each clause of CLAUSES."""
        training = facts.get("training") or _EMPTY
        certificate = facts.get("certificate") or _EMPTY
        applicant = facts.get("applicant") or _EMPTY
        application = facts.get("application") or _EMPTY
        history = facts.get("history")

        as_of = application.get("date")
        if as_of is None:
            as_of = certificate.get("date")

        in_force = None if as_of is None else PERIOD_START <= as_of <= PERIOD_END

        v = training.get("in_district")
        in_district = None if v is None else v is True
        kind = training.get("kind")
        kind_ok = None if kind is None else kind in TRAINING_KINDS
        pb = training.get("project_based")
        not_project = None if pb is None else pb is False
        course = training.get("course")
        in_catalogue = None if course is None else course in self.courses
        active = self._institution_active(training)
        level = self._training_level(training, certificate, facts.get("project") or _EMPTY)
        approved = self._approved(training.get("institution"), course, level)

        ck = certificate.get("kind")
        obtained = None if ck is None else ck in CERTIFICATE_KINDS
        # definitions.yaml certificate_level: the stated level of a levelled
        # kind, 初级 for any other kind
        cl = None if ck is None else (certificate.get("level") if ck in LEVELLED_KINDS else "初级")
        level_ok = None if cl is None else cl in BASIC_LEVELS

        pe = applicant.get("pension_eligible")
        no_pension = None if pe is None else pe is False

        # count(history, vt and year(date) == year(as_of)) < max per year
        if history is None or as_of is None or as_of < STANDARDS_FROM:
            yearly = None
        else:
            n = count_in_year(history, as_of.year)
            yearly = None if n is None else n < MAX_PER_YEAR

        # not any(history, vt and same occupation and same level)
        if history is None:
            not_repeated = None
        else:
            found = subsidised_before(history, certificate.get("occupation"), cl)
            not_repeated = None if found is None else not found

        # known(applicant.id) and known(certificate.occupation) and known(certificate_level)
        identified = applicant.get("id") is not None
        same_key = (
            True
            if identified and certificate.get("occupation") is not None and cl is not None
            else None
        )
        per_year = True if identified else None

        return (
            in_force,
            in_district,
            kind_ok,
            not_project,
            in_catalogue,
            active,
            approved,
            obtained,
            level_ok,
            no_pension,
            yearly,
            not_repeated,
            same_key,
            per_year,
        )

    def decide(self, facts: dict):
        """(outcome, amount or None, failing clause ids)."""
        values = self.clause_values(facts)
        if False in values:
            return "ineligible", None, tuple(c for c, v in zip(CLAUSES, values) if v is False)
        if None in values:
            return "undetermined", None, ()
        training = facts["training"]
        certificate = facts["certificate"]
        if training["kind"] == ENTREPRENEURSHIP:
            key = ENTREPRENEURSHIP
        elif certificate["kind"] in LEVELLED_KINDS:
            key = certificate["level"]
        else:
            key = "初级"
        return "eligible", STANDARD[key], ()


def policy_result(decision) -> tuple:
    """The same triple from a policy ``Decision``."""
    return decision.outcome, decision.amount, tuple(decision.failing)
