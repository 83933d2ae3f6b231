"""catalog_views: the plain data the rule language sees as `catalog`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from catalogs import active_institutions, catalog_views, institution_status, load_catalogs

VALID = Path(__file__).parent / "fixtures" / "valid"


@pytest.fixture(scope="module")
def cats():
    return load_catalogs(VALID)


def test_course_code_lists_support_membership(cats):
    view = catalog_views(cats)
    assert view["key_industry"] == ["ZD-001", "ZD-002", "ZD-003", "ZD-004"]
    assert view["general"] == ["YB-001", "YB-002", "YB-003"]
    assert "ZD-002" in view["key_industry"] and "ZD-002" not in view["general"]


def test_courses_by_code(cats):
    courses = catalog_views(cats)["courses"]
    assert list(courses) == ["ZD-001", "ZD-002", "ZD-003", "ZD-004", "YB-001", "YB-002", "YB-003"]
    assert courses["ZD-002"] == {
        "code": "ZD-002",
        "name": "危险化学品安全作业",
        "catalogue": "key_industry",
        "occupation_code": None,
        "levels": ["专项"],
        "hours": 48,
        "industry": "化工",
        "high_risk": True,
        "sample": True,
    }
    assert courses["YB-001"]["occupation_code"] == "4-10-01-05"
    assert courses["YB-002"]["industry"] is None


def test_institution_view(cats):
    inst = catalog_views(cats)["institutions"]["JG-101"]
    assert inst["ownership"] == "民办"
    assert inst["courses"] == {"ZD-001": ["初级", "中级"], "ZD-002": ["专项"]}
    assert inst["course_codes"] == ["ZD-001", "ZD-002"]
    assert inst["status"][1] == {
        "status": "suspended",
        "from": dt.date(2021, 3, 1),
        "until": dt.date(2021, 5, 31),
        "reason": "评估不合格",
    }
    assert inst["status"][2]["until"] is None


@pytest.mark.parametrize(
    "day, expected",
    [
        (dt.date(2020, 3, 22), []),
        (dt.date(2020, 5, 1), ["JG-001", "JG-101"]),
        (dt.date(2021, 2, 28), ["JG-001", "JG-101", "JG-102"]),
        (dt.date(2021, 3, 1), ["JG-001", "JG-102"]),  # JG-101 suspended
        (dt.date(2021, 6, 30), ["JG-001", "JG-101", "JG-102"]),
        (dt.date(2021, 7, 1), ["JG-001", "JG-101"]),  # JG-102 exited
    ],
)
def test_active_institutions_on_a_day(cats, day, expected):
    assert catalog_views(cats, as_of=day)["active_institutions"] == expected
    assert active_institutions(cats, day) == expected


def test_active_institutions_without_a_day_is_the_current_state(cats):
    assert catalog_views(cats)["active_institutions"] == ["JG-001", "JG-101"]


def test_institution_status(cats):
    assert institution_status(cats, "JG-101", dt.date(2021, 4, 1)) == "suspended"
    assert institution_status(cats, "JG-102", dt.date(2022, 1, 1)) == "exited"
    assert institution_status(cats, "JG-102", dt.date(2020, 1, 1)) is None
    assert institution_status(cats, "JG-999", dt.date(2021, 4, 1)) is None
    inst = cats.institution("JG-101")
    assert inst.teaches("ZD-001", "中级") and not inst.teaches("ZD-001", "高级")
    assert not inst.teaches("YB-001")


def test_demand_and_editions(cats):
    view = catalog_views(cats)
    assert [d["code"] for d in view["demand"]] == ["XQ-0001", "XQ-0002", "XQ-0003"]
    assert view["demand"][1] == {
        "code": "XQ-0002",
        "submitted_by": "enterprise",
        "submitter": "示例化工企业",
        "occupation": "ZD-002",
        "level": "专项",
        "headcount": 40,
        "date": dt.date(2020, 5, 10),
        "sample": True,
    }
    assert view["editions"]["demand"]["issued"] == dt.date(2020, 8, 31)


def _walk(value):
    yield value
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str)
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def test_views_hold_only_plain_data():
    view = catalog_views(load_catalogs(), as_of=dt.date(2021, 1, 1))
    allowed = (str, int, bool, dt.date, type(None), list, dict)
    kinds = {type(v) for v in _walk(view)}
    assert kinds <= set(allowed), kinds
    assert set(view) == {
        "key_industry",
        "general",
        "courses",
        "institutions",
        "active_institutions",
        "demand",
        "editions",
    }
