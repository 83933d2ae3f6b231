"""The benchmark's cases: ``population.synthetic`` when it is there (the
generator behind ``policy generate``), else a small seeded generator of
vocational-training applications kept here, so the benchmark runs either way.

``generate(n, seed, catalog) -> (source, list of JSON-ready case dicts)``.
"""

from __future__ import annotations

import datetime as _dt
import random


def generate(n: int, seed: int, catalog: dict | None) -> tuple[str, list[dict]]:
    try:
        from population import synthetic
    except ImportError:
        return "benchmarks/cases.py (population.synthetic not found)", list(
            _fallback(n, seed, catalog or {})
        )
    from commands.conventions import load

    return (
        f"population.synthetic.generate(n, seed={seed}, catalog=policy.catalog_values)",
        list(synthetic.generate(n, seed, policy=load(None), catalog=catalog)),
    )


# -- the fallback ---------------------------------------------------------------------------

KINDS = (("就业技能培训", 55), ("岗位技能提升培训", 30), ("创业培训", 12), ("岗前培训", 3))
CERTS = (
    ("职业技能等级证书", 50),
    ("职业资格证书", 20),
    ("专项职业能力证书", 15),
    ("特种作业操作证书", 8),
    ("培训合格证书", 7),
)
LEVELS = (("初级", 45), ("中级", 35), ("高级", 17), ("技师", 3))
STANDARD = {"初级": 1000, "中级": 1500, "高级": 2000}


def _pick(rng, table):
    x = rng.random() * sum(w for _, w in table)
    for v, w in table:
        x -= w
        if x < 0:
            return v
    return table[-1][0]


def _fallback(n: int, seed: int, catalog: dict):
    rng = random.Random(seed)
    approvals = [(a["institution"], a["course"], a["level"]) for a in catalog.get("approvals", ())]
    start = _dt.date(2019, 1, 1)
    for _ in range(n):
        as_of = start + _dt.timedelta(days=rng.randint(0, 3 * 365 + 60))
        kind = _pick(rng, KINDS)
        cert = "培训合格证书" if kind == "创业培训" else _pick(rng, CERTS)
        level = _pick(rng, LEVELS) if cert in ("职业技能等级证书", "职业资格证书") else None
        want = "创业培训" if kind == "创业培训" else (level or "专项")
        fits = [a for a in approvals if a[2] == want] or approvals or [("JG-000", "QT-000", "初级")]
        inst, course, _lv = rng.choice(fits)
        if rng.random() < 0.05:
            inst = "JG-999"
        end = as_of - _dt.timedelta(days=rng.randint(3, 60))
        begin = end - _dt.timedelta(days=rng.randint(5, 40))
        occupation = f"工种{rng.randint(1, 12)}"
        history = []
        for _h in range(_pick(rng, ((0, 60), (1, 22), (2, 10), (3, 8)))):
            lv = _pick(rng, LEVELS[:3])
            year = as_of.year - rng.randint(0, 1)
            day = _dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
            history.append(
                {
                    "program": "vocational_training",
                    "level": lv,
                    "amount": STANDARD[lv],
                    "occupation": f"工种{rng.randint(1, 12)}",
                    "date": min(day, as_of).isoformat(),
                }
            )
        case = {
            "applicant": {"pension_eligible": rng.random() < 0.04},
            "training": {
                "in_district": rng.random() < 0.92,
                "kind": kind,
                "project_based": rng.random() < 0.05,
                "course": course,
                "institution": inst,
                "start_date": begin.isoformat(),
                "end_date": end.isoformat(),
            },
            "certificate": {
                "kind": cert,
                "occupation": occupation,
                "date": (end + _dt.timedelta(days=2)).isoformat(),
            },
            "history": history,
            "application": {"date": as_of.isoformat(), "programs": ["vocational_training"]},
        }
        if level is not None:
            case["certificate"]["level"] = level
        if rng.random() < 0.05:  # a missing fact
            part = rng.choice(("applicant", "training", "certificate"))
            key = rng.choice(sorted(case[part]))
            del case[part][key]
        yield case
