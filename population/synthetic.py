"""Seeded synthetic case populations for tests, demos and benchmarks.

``generate(n, seed, catalog=policy.catalog_values)`` yields ``n`` cases for
the bundled policy (台政办发〔2020〕4号), as JSON-ready dicts (numbers as int or
float, dates as "YYYY-MM-DD"), the way an officer would fill them in. The
same seed (and the same catalogues) gives the same cases, byte for byte, on
every platform: only ``random.Random(seed)`` is used, never the global
generator, sets or hashes.

Distributions (documented here and in docs/batch.md; "≈" because they are
random draws):

- the scenario a case applies for: vocational_training 36%, skill_upgrade 18%,
  pre_job_training 10%, apprenticeship 8%, living_allowance 8%,
  technician_training 6%, project_training 4%, and 10% an enterprise employee
  applying for both vocational_training and skill_upgrade;
- the decision date (``application.date``): uniform over 2019-01-01 …
  2021-12-31, except ``late_share`` (3%) in 2022-01-01 … 2022-03-31, after the
  plan's period (ineligible: ``in_force``);
- levels of basic certificates: 初级 45%, 中级 35%, 高级 17%, and 3% 技师
  where only 初/中/高 are subsidised; technician certificates: 技师 after a 高级,
  高级技师 after a 技师;
- kinds of training for vocational_training: 就业技能培训 55%, 岗位技能提升培训 30%,
  创业培训 12% (with a 培训合格证书), 岗前培训 3% (not this program); project-based
  5% (not this program);
- kinds of certificate for vocational_training: 职业技能等级证书 50%, 职业资格证书
  20%, 专项职业能力证书 15%, 特种作业操作证书 8%, 培训合格证书 7%;
- training in the district (``training.in_district``): 92%; the applicant's ID
  is registered in 台儿庄区 (370405) for 85%, elsewhere in 枣庄 otherwise;
- with the catalogues (``catalog``): each training is an approval of the
  institution catalogue (institution, course, level) at the certificate's
  level (a 专项 course for a certificate without a level), of an institution
  active over the training dates; except 4% at an institution not in the
  catalogue, 2% for a course in neither training catalogue, 3% whatever the
  institution's status; project-based trainings carry ``project.level``
  (初级 50%, 中级 30%, 高级 10%, 专项 10%). Without catalogues, institutions
  are named and no course is given;
- prior subsidies (``history``): 0 for 60%, 1 for 22%, 2 for 10%, 3 for 8%,
  each in the same year as the application or the year before (half and
  half), at the standard amount of its level; 6% of those with a history have
  one record for the same occupation and level as the new certificate (a
  repeat: ineligible); 3% of cases give no ``history`` at all (missing);
- a monthly pension: 4% (ineligible for vocational_training);
- months of unemployment insurance (skill_upgrade): 1–11 for 18%, exactly 12
  for 4%, 13–180 for 78%; enterprise employees 95%;
- apprenticeship fees: 3000–12000 yuan in steps of 10, a fifth with 50 fen;
  invoice 94%; periods of 6–24 months, 5% of 25–30 months;
- project training: 20–80 trainees × 1000 or 1500 yuan; employment rate
  0.85–0.98 for 60%, 0.55–0.84 for 40%; 3% of projects not finished yet;
- living allowance: 1–20 days of training; poverty-registered 90%,
  project-based and free 95% each; 20% already received an allowance for an
  earlier training (50–450 yuan, or the whole 500 for a fifth of them);
- missing facts: ``missing_share`` (5%) of the cases lose one fact chosen at
  random among those they carry (never ``application.programs``).

Every generated case passes the case reader (``CaseReader.convert`` after
``parse_json_text``); tests/population/test_synthetic.py checks it.

Public API:
  generate(n, seed=0, *, missing_share=0.05, late_share=0.03) -> iterator of dicts
  dumps_case(case) -> one compact JSON line
  write_jsonl(cases, out), write_csv(cases, out, columns)
  resident_id(rng, region, birth) -> an 18-digit ID with a valid check digit
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import random
from collections.abc import Iterable, Iterator
from typing import TextIO

PERIOD_START = _dt.date(2019, 1, 1)
PERIOD_END = _dt.date(2021, 12, 31)
LATE_END = _dt.date(2022, 3, 31)

SCENARIOS = (
    (36, "vocational_training"),
    (18, "skill_upgrade"),
    (10, "pre_job_training"),
    (8, "apprenticeship"),
    (8, "living_allowance"),
    (6, "technician_training"),
    (4, "project_training"),
    (10, "vocational_training+skill_upgrade"),
)

BASIC_LEVELS = ((45, "初级"), (35, "中级"), (17, "高级"), (3, "技师"))
PROJECT_LEVELS = ((50, "初级"), (30, "中级"), (10, "高级"), (10, "专项"))
STANDARD = {"初级": 1000, "中级": 1500, "高级": 2000}
VT_KINDS = ((55, "就业技能培训"), (30, "岗位技能提升培训"), (12, "创业培训"), (3, "岗前培训"))
VT_CERTS = (
    (50, "职业技能等级证书"),
    (20, "职业资格证书"),
    (15, "专项职业能力证书"),
    (8, "特种作业操作证书"),
    (7, "培训合格证书"),
)
HISTORY_COUNTS = ((60, 0), (22, 1), (10, 2), (8, 3))
REGIONS = ((85, "370405"), (4, "370402"), (4, "370403"), (4, "370404"), (3, "370481"))

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国海燕红玉梅志文斌宁浩鹏"
OCCUPATIONS = (
    "电工",
    "焊工",
    "家政服务员",
    "育婴员",
    "养老护理员",
    "中式烹调师",
    "中式面点师",
    "美容师",
    "汽车维修工",
    "电子商务师",
    "农艺工",
    "车工",
    "钳工",
    "保育员",
    "茶艺师",
    "维修电工",
    "叉车司机",
    "保安员",
)
SPECIAL_ABILITIES = ("鲁绣制作", "面点制作", "手工编织", "盆景制作", "电子商务运营")
SPECIAL_OPERATIONS = ("低压电工作业", "焊接与热切割作业", "高处作业")
INSTITUTIONS = (
    "台儿庄区就业训练中心",
    "台儿庄区职业中专",
    "台儿庄区农广校",
    "台儿庄区农业机械化学校",
    "台儿庄区运河职业培训学校",
)
ENTERPRISES = (
    "枣庄市台儿庄区鲁南水泥有限公司",
    "台儿庄古城旅游发展有限公司",
    "山东运河机械制造有限公司",
    "台儿庄区恒信纺织有限公司",
)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def _pick(rng: random.Random, table):
    total = sum(w for w, _ in table)
    x = rng.random() * total
    for w, v in table:
        x -= w
        if x < 0:
            return v
    return table[-1][1]


def _chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def _day(rng: random.Random, start: _dt.date, end: _dt.date) -> _dt.date:
    return start + _dt.timedelta(days=rng.randint(0, (end - start).days))


def _iso(d: _dt.date) -> str:
    return d.isoformat()


def resident_id(rng: random.Random, region: str, birth: _dt.date) -> str:
    """An 18-digit resident ID number (GB 11643) with a valid check digit."""
    body = region + birth.strftime("%Y%m%d") + f"{rng.randint(0, 999):03d}"
    total = sum(int(c) * w for c, w in zip(body, ID_WEIGHTS))
    return body + ID_CHECK[total % 11]


UNLISTED_INSTITUTIONS = (
    "台儿庄区明远职业培训学校",
    "枣庄市鲁南技工培训中心",
    "峄城区新华职业培训学校",
)
UNLISTED_COURSES = ("QT-001", "QT-002", "QT-003")


class Catalog:
    """The training catalogues as the rules read them (``policy.catalog_values``):
    courses, institutions and the approvals (institution, course, level) the
    generator draws trainings from, so that trained cases pass the catalogue
    clauses as often as real ones would."""

    def __init__(self, views: dict | None):
        views = views or {}
        self.courses = {c["code"]: c for c in views.get("courses") or ()}
        self.approvals = [
            (a["institution"], a["course"], a["level"]) for a in views.get("approvals") or ()
        ]
        self.active: dict[str, list] = {}
        for st in views.get("institution_status") or ():
            if st.get("status") == "active":
                self.active.setdefault(st["institution"], []).append((st["from"], st["until"]))
        self._by_level: dict = {}

    def active_over(self, institution: str, start: _dt.date, end: _dt.date) -> bool:
        return any(f <= start and end <= u for f, u in self.active.get(institution, ()))

    def __bool__(self) -> bool:
        return bool(self.approvals and self.courses)

    def candidates(self, level: str | None) -> list:
        """Approvals at ``level``; for a certificate without a level (None): a
        专项 course, else the 初级 of a course without 专项 (the catalogue level
        such a training is checked at)."""
        if level not in self._by_level:
            if level is None:
                found = [a for a in self.approvals if a[2] == "专项"] + [
                    a
                    for a in self.approvals
                    if a[2] == "初级" and "专项" not in self.courses.get(a[1], {}).get("levels", ())
                ]
            else:
                found = [a for a in self.approvals if a[2] == level]
            self._by_level[level] = found or list(self.approvals)
        return self._by_level[level]

    def name(self, course: str) -> str | None:
        c = self.courses.get(course)
        return c["name"] if c else None


class _Case:
    """Builds one case."""

    def __init__(self, rng: random.Random, late_share: float, catalog: Catalog):
        self.rng = rng
        self.catalog = catalog
        if _chance(rng, late_share):
            self.as_of = _day(rng, _dt.date(2022, 1, 1), LATE_END)
        else:
            self.as_of = _day(rng, PERIOD_START, PERIOD_END)
        self.case: dict = {}

    # -- common parts ---------------------------------------------------------------
    def applicant(self, **extra) -> dict:
        rng = self.rng
        birth = _day(rng, _dt.date(1962, 1, 1), _dt.date(2001, 12, 31))
        a = {
            "id": resident_id(rng, _pick(rng, REGIONS), birth),
            "name": rng.choice(SURNAMES)
            + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
        }
        a.update(extra)
        self.case["applicant"] = a
        return a

    def dates(self, days: int) -> tuple[_dt.date, _dt.date, _dt.date]:
        """certificate date, training start, training end, before the application."""
        rng = self.rng
        cert = self.as_of - _dt.timedelta(days=rng.randint(3, 45))
        end = cert - _dt.timedelta(days=rng.randint(0, 20))
        start = end - _dt.timedelta(days=max(1, days) + rng.randint(0, days // 2 + 1))
        return cert, start, end

    def course(
        self,
        level: str | None,
        occupation: str | None = None,
        period: tuple[_dt.date, _dt.date] | None = None,
    ) -> tuple[str | None, str, str]:
        """(course code, institution, occupation) of a training at ``level``
        (as the catalogues write it; None for a certificate without a level).
        With catalogues: an approved (institution, course, level) of an
        institution active over the training ``period``, except 4% at an
        institution not in the catalogue, 2% for a course outside both
        training catalogues and 3% at an approved institution whatever its
        status (suspended, exited or not yet listed then)."""
        rng = self.rng
        if not self.catalog:
            return None, rng.choice(INSTITUTIONS), occupation or rng.choice(OCCUPATIONS)
        candidates = self.catalog.candidates(level)
        x = rng.random()
        if period is not None and x >= 0.09:
            active = [a for a in candidates if self.catalog.active_over(a[0], *period)]
            candidates = active or candidates
        institution, course, _lv = rng.choice(candidates)
        if x < 0.04:
            institution = rng.choice(UNLISTED_INSTITUTIONS)
        elif x < 0.06:
            course = rng.choice(UNLISTED_COURSES)
        return (
            course,
            institution,
            (self.catalog.name(course) or occupation or rng.choice(OCCUPATIONS)),
        )

    def training(
        self,
        kind: str,
        days: int,
        *,
        level: str | None = None,
        in_district: bool | None = None,
        project_based: bool = False,
        free: bool = False,
        occupation: str | None = None,
    ) -> tuple[_dt.date, str]:
        """The training record; returns (certificate date, occupation)."""
        rng = self.rng
        cert, start, end = self.dates(days)
        course, institution, occupation = self.course(level, occupation, (start, end))
        t = {
            "in_district": _chance(rng, 0.92) if in_district is None else in_district,
            "kind": kind,
            "project_based": project_based,
            "free": free,
            "days": days,
            "occupation": occupation,
        }
        if course is not None:
            t["course"] = course
        t.update(institution=institution, start_date=_iso(start), end_date=_iso(end))
        self.case["training"] = t
        return cert, occupation

    def certificate(self, kind: str, level: str | None, occupation: str, date: _dt.date):
        c = {"kind": kind}
        if level is not None:
            c["level"] = level
        c["occupation"] = occupation
        c["date"] = _iso(date)
        self.case["certificate"] = c

    def history(self, occupation: str | None, level: str | None):
        rng = self.rng
        n = _pick(rng, HISTORY_COUNTS)
        records = []
        for _ in range(n):
            year = self.as_of.year if _chance(rng, 0.5) else self.as_of.year - 1
            start = _dt.date(year, 1, 1)
            end = min(_dt.date(year, 12, 31), self.as_of - _dt.timedelta(days=1))
            if end < start:
                end = start
            lv = _pick(rng, BASIC_LEVELS[:3])
            occ = (
                self.catalog.name(rng.choice(self.catalog.candidates(lv))[1])
                if self.catalog
                else None
            ) or rng.choice(OCCUPATIONS)
            records.append(
                {
                    "program": "vocational_training",
                    "occupation": occ,
                    "level": lv,
                    "date": _iso(_day(rng, start, end)),
                    "amount": STANDARD[lv],
                }
            )
        if records and occupation and level and _chance(rng, 0.06):
            records[0]["occupation"] = occupation
            records[0]["level"] = level
            records[0]["amount"] = STANDARD.get(level, 1000)
        records.sort(key=lambda r: r["date"])
        self.case["history"] = records

    def application(self, programs: list[str], **extra):
        a = {"date": _iso(self.as_of)}
        a.update(extra)
        a["programs"] = programs
        self.case["application"] = a

    def insured_months(self) -> int:
        rng = self.rng
        x = rng.random()
        if x < 0.18:
            return rng.randint(1, 11)
        if x < 0.22:
            return 12
        return rng.randint(13, 180)

    # -- scenarios -------------------------------------------------------------------
    def vocational_training(self):
        rng = self.rng
        kind = _pick(rng, VT_KINDS)
        if kind == "创业培训":
            cert_kind, level, occ, at = "培训合格证书", None, "创业培训", "创业培训"
        else:
            cert_kind = _pick(rng, VT_CERTS)
            if cert_kind in ("职业技能等级证书", "职业资格证书"):
                level, occ = _pick(rng, BASIC_LEVELS), None
                at = level
            elif cert_kind == "专项职业能力证书":
                level, occ, at = None, rng.choice(SPECIAL_ABILITIES), None
            elif cert_kind == "特种作业操作证书":
                level, occ, at = None, rng.choice(SPECIAL_OPERATIONS), None
            else:
                level, occ, at = None, None, None
        self.applicant(pension_eligible=_chance(rng, 0.04))
        cert, occ = self.training(
            kind, rng.randint(5, 40), level=at, project_based=_chance(rng, 0.05), occupation=occ
        )
        self.certificate(cert_kind, level, occ, cert)
        self.history(occ, level or "初级")
        self.application(["vocational_training"])

    def skill_upgrade(self):
        rng = self.rng
        self.applicant(enterprise_employee=_chance(rng, 0.95), insured_months=self.insured_months())
        cert_kind = _pick(
            rng, ((40, "职业资格证书"), (55, "职业技能等级证书"), (5, "专项职业能力证书"))
        )
        level = _pick(rng, ((40, "初级"), (38, "中级"), (22, "高级")))
        cert, occ = self.training("岗位技能提升培训", rng.randint(5, 30), level=level)
        self.certificate(cert_kind, None if cert_kind == "专项职业能力证书" else level, occ, cert)
        self.application(["skill_upgrade"])

    def both(self):
        rng = self.rng
        self.applicant(
            pension_eligible=False, enterprise_employee=True, insured_months=self.insured_months()
        )
        level = _pick(rng, BASIC_LEVELS[:3])
        cert, occ = self.training("岗位技能提升培训", rng.randint(5, 30), level=level)
        self.certificate("职业技能等级证书", level, occ, cert)
        self.history(occ, level)
        self.application(["vocational_training", "skill_upgrade"])

    def pre_job_training(self):
        rng = self.rng
        self.applicant(newly_hired=_chance(rng, 0.95))
        kind = _pick(
            rng, ((60, "职业技能等级证书"), (30, "专项职业能力证书"), (10, "培训合格证书"))
        )
        occ = rng.choice(SPECIAL_ABILITIES) if kind == "专项职业能力证书" else None
        level = _pick(rng, BASIC_LEVELS[:3]) if kind == "职业技能等级证书" else None
        cert, occ = self.training("岗前培训", rng.randint(3, 20), level=level, occupation=occ)
        self.certificate(kind, level, occ, cert)
        self.application(["pre_job_training"], payee="企业" if _chance(rng, 0.6) else "个人")

    def living_allowance(self):
        rng = self.rng
        self.applicant(poverty_registered=_chance(rng, 0.9))
        level = _pick(rng, PROJECT_LEVELS)
        self.training(
            "就业技能培训",
            rng.randint(1, 20),
            level=level,
            in_district=True,
            project_based=_chance(rng, 0.95),
            free=_chance(rng, 0.95),
        )
        if self.catalog:
            self.case["project"] = {"level": level}
        history = []
        x = rng.random()
        if x < 0.2:  # an allowance already received for an earlier training
            before = self.as_of - _dt.timedelta(days=rng.randint(60, 400))
            amount = 500 if x < 0.04 else 50 * rng.randint(1, 9)
            history.append({"program": "living_allowance", "date": _iso(before), "amount": amount})
        self.case["history"] = history
        self.application(["living_allowance"])

    def project_training(self):
        rng = self.rng
        level = _pick(rng, PROJECT_LEVELS)
        self.training(
            "就业技能培训",
            rng.randint(10, 60),
            level=level,
            in_district=True,
            project_based=True,
            free=True,
        )
        if _chance(rng, 0.03):  # not finished on the decision date
            t = self.case["training"]
            t["end_date"] = _iso(self.as_of + _dt.timedelta(days=rng.randint(1, 30)))
        rate = (rng.randint(85, 98) if _chance(rng, 0.6) else rng.randint(55, 84)) / 100
        project = {"subsidy_total": rng.randint(20, 80) * STANDARD.get(level, 1000)}
        if self.catalog:
            project["level"] = level
        project["employment_rate"] = rate
        self.case["project"] = project
        self.application(["project_training"])

    def technician_training(self):
        rng = self.rng
        prior = _pick(rng, ((60, "高级"), (30, "技师"), (10, "中级")))
        self.applicant(prior_level=prior)
        level = "高级技师" if prior == "技师" else "技师"
        cert, occ = self.training("技师培训", rng.randint(20, 90), level=level)
        self.certificate(
            _pick(rng, ((70, "职业技能等级证书"), (30, "职业资格证书"))), level, occ, cert
        )
        self.application(["technician_training"])

    def apprenticeship(self):
        rng = self.rng
        self.applicant(enterprise_employee=_chance(rng, 0.97))
        months = rng.randint(25, 30) if _chance(rng, 0.05) else rng.randint(6, 24)
        end = self.as_of - _dt.timedelta(days=rng.randint(5, 60))
        y, m = divmod(end.month - 1 - months, 12)
        start = _dt.date(end.year + y, m + 1, 1)
        fee = rng.randint(300, 1200) * 10 + (0.5 if _chance(rng, 0.2) else 0)
        course, institution, occ = self.course(_pick(rng, BASIC_LEVELS[:3]))
        t = {"kind": "企业新型学徒制", "occupation": occ}
        if course is not None:
            t["course"] = course
        t["institution"] = institution
        self.case["training"] = t
        self.case["apprenticeship"] = {
            "fee_paid": fee,
            "invoice": _chance(rng, 0.94),
            "start_date": _iso(start),
            "end_date": _iso(end),
        }
        self.application(["apprenticeship"], payee="企业")

    # -- missing facts -----------------------------------------------------------------
    def drop_one(self):
        leaves = [path for path in _leaves(self.case, ()) if path != ("application", "programs")]
        if not leaves:
            return
        path = self.rng.choice(leaves)
        node = self.case
        for p in path[:-1]:
            node = node[p]
        del node[path[-1]]


def _leaves(d: dict, prefix: tuple):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _leaves(v, prefix + (k,))
        else:
            yield prefix + (k,)


_BUILDERS = {
    "vocational_training": _Case.vocational_training,
    "skill_upgrade": _Case.skill_upgrade,
    "pre_job_training": _Case.pre_job_training,
    "apprenticeship": _Case.apprenticeship,
    "living_allowance": _Case.living_allowance,
    "technician_training": _Case.technician_training,
    "project_training": _Case.project_training,
    "vocational_training+skill_upgrade": _Case.both,
}


def generate(
    n: int,
    seed: int = 0,
    *,
    catalog: dict | None = None,
    missing_share: float = 0.05,
    late_share: float = 0.03,
) -> Iterator[dict]:
    """``n`` synthetic cases, reproducibly from ``seed`` (see the module doc).

    ``catalog``: the catalogues as the rules read them (``policy.catalog_values``);
    with them, trainings name an approved institution and course (fact
    ``training.course``, and ``project.level`` for project-based training);
    without, institutions are named and no course is given. The same seed and
    the same catalogues give the same cases.
    """
    rng = random.Random(seed)
    cat = Catalog(catalog)
    for _ in range(n):
        c = _Case(rng, late_share, cat)
        _BUILDERS[_pick(rng, SCENARIOS)](c)
        if "history" in c.case and _chance(rng, 0.03):
            del c.case["history"]
        if _chance(rng, missing_share):
            c.drop_one()
        yield c.case


def dumps_case(case: dict) -> str:
    """One case as a compact JSON line (keys in the order they were built)."""
    return json.dumps(case, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(cases: Iterable[dict], out: TextIO) -> int:
    n = 0
    for case in cases:
        out.write(dumps_case(case) + "\n")
        n += 1
    return n


def write_csv(cases: Iterable[dict], out: TextIO, columns: list[str]) -> int:
    """Cases as CSV rows (header = ``columns``, dotted fact paths); see docs/batch.md."""
    from .batch import case_to_row

    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    n = 0
    for case in cases:
        w.writerow(case_to_row(case, columns))
        n += 1
    return n
