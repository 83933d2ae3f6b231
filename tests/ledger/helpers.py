"""What the ledger tests share: claims for valid (check digit right) people,
and a snapshot of every table to show that a refused step changed nothing."""

from __future__ import annotations

import copy
import random
from decimal import Decimal

from interpreter.formats import generate_resident_id

VOCATIONAL = {
    "applicant": {"name": "李明", "pension_eligible": False},
    "training": {
        "in_district": True,
        "kind": "就业技能培训",
        "project_based": False,
        "free": False,
        "occupation": "电工",
        "course": "ZD-006",
        "institution": "JG-002",
        "start_date": "2020-04-07",
        "end_date": "2020-05-15",
    },
    "certificate": {
        "kind": "职业技能等级证书",
        "level": "中级",
        "occupation": "电工",
        "date": "2020-05-28",
    },
    "application": {"date": "2020-06-10", "programs": ["vocational_training"]},
}

PROJECT = {
    "training": {
        "in_district": True,
        "kind": "就业技能培训",
        "project_based": True,
        "free": True,
        "occupation": "养老护理员",
        "course": "YB-001",
        "institution": "JG-001",
        "start_date": "2021-04-06",
        "end_date": "2021-05-28",
    },
    "project": {"level": "初级", "subsidy_total": 45000},
    "application": {"date": "2021-06-15", "programs": ["project_training"]},
}


def person(seed: int) -> str:
    """A valid 身份证号 (check digit right), different for each seed."""
    return generate_resident_id(random.Random(seed))


def vocational(
    person_id: str, occupation: str = "电工", date: str = "2020-06-10", name: str = "李明", **extra
) -> dict:
    case = copy.deepcopy(VOCATIONAL)
    case["applicant"]["id"] = person_id
    case["applicant"]["name"] = name
    case["certificate"]["occupation"] = occupation
    case["application"]["date"] = date
    case.update(extra)
    return _decimals(case, Decimal)


def project(**changes) -> dict:
    case = copy.deepcopy(PROJECT)
    for path, value in changes.items():
        where = case
        parts = path.split("__")
        for p in parts[:-1]:
            where = where.setdefault(p, {})
        where[parts[-1]] = value
    return _decimals(case, Decimal)


def _decimals(value, Decimal):
    """Numbers as the case reader gives them (exact decimals)."""
    if isinstance(value, dict):
        return {k: _decimals(v, Decimal) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v, Decimal) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def snapshot(url: str) -> dict:
    """Every row of every ledger table (to show that a refused step changed
    nothing)."""
    from sqlalchemy import create_engine, select

    from ledger.db import resolve_url
    from ledger.schema import metadata

    engine = create_engine(resolve_url(url))
    try:
        with engine.connect() as c:
            return {
                t.name: [tuple(r) for r in c.execute(select(t).order_by(*t.primary_key))]
                for t in metadata.sorted_tables
            }
    finally:
        engine.dispose()
