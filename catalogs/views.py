"""Plain-data views of the catalogues for the rule language.

The interpreter exposes ``catalog_views(catalogs, as_of=...)`` to expressions
under one name (``catalog``), so a rule can say::

    training.course in catalog.key_industry
    training.course in catalog.general
    training.institution in catalog.active_institutions
    catalog.courses[training.course].hours >= 80
    training.level in catalog.institutions[training.institution].courses[training.course]
    catalog.institutions[training.institution].ownership == "民办"

Every value is plain data: str, int, bool, datetime.date, None, list, dict
(no Decimal, no dataclass, no set), so it is safe to expose, to compare and to
turn into JSON. Lists of codes are in catalogue order. See docs/catalogs.md.
"""

from __future__ import annotations

import datetime as _dt

from .model import COURSE_KINDS, Catalogs, Course, Demand, Institution


def course_view(course: Course) -> dict:
    return {
        "code": course.code,
        "name": course.name,
        "catalogue": course.catalogue,
        "occupation_code": course.occupation_code,
        "levels": list(course.levels),
        "hours": course.hours,
        "industry": course.industry,
        "high_risk": course.high_risk,
        "sample": course.sample,
    }


def institution_view(inst: Institution) -> dict:
    return {
        "code": inst.code,
        "name": inst.name,
        "ownership": inst.ownership,
        "licence": inst.licence,
        "courses": {a.course: list(a.levels) for a in inst.courses},
        "course_codes": [a.course for a in inst.courses],
        "status": [
            {"status": p.status, "from": p.start, "until": p.until, "reason": p.reason}
            for p in inst.status
        ],
        "sample": inst.sample,
    }


def demand_view(d: Demand) -> dict:
    return {
        "code": d.code,
        "submitted_by": d.submitted_by,
        "submitter": d.submitter,
        "occupation": d.occupation,
        "level": d.level,
        "headcount": d.headcount,
        "date": d.date,
        "sample": d.sample,
    }


def active_institutions(catalogs: Catalogs, on: _dt.date | None = None) -> list[str]:
    """Codes of the institutions whose status is ``active``.

    With ``on``: active on that day (inclusive ends). Without: the last listed
    period is active and open-ended (the catalogue's current state).
    """
    cat = catalogs.institutions
    if cat is None:
        return []
    out = []
    for inst in cat.by_code().values():
        if on is not None:
            if inst.is_active(on):
                out.append(inst.code)
        elif inst.status and inst.status[-1].status == "active" and inst.status[-1].until is None:
            out.append(inst.code)
    return out


def institution_status(catalogs: Catalogs, code: str, on: _dt.date) -> str | None:
    """``active``, ``suspended`` or ``exited`` on ``on``; None when the
    institution is unknown or no period covers that day."""
    inst = catalogs.institution(code)
    return None if inst is None else inst.status_on(on)


def catalog_views(catalogs: Catalogs, *, as_of: _dt.date | None = None) -> dict:
    """The catalogues as plain data for expressions (see module doc).

    Keys:
      key_industry, general   list[str]   course codes of each training catalogue
      courses                 dict[str, dict]  every course of both, by code
      institutions            dict[str, dict]  by code
      active_institutions     list[str]   active on ``as_of`` (or currently, without it)
      demand                  list[dict]  the demand entries (提单)
      editions                dict[str, dict]  {kind: {title, edition, issued, issuer}}
    """
    courses: dict[str, dict] = {}
    lists: dict[str, list[str]] = {}
    for kind in COURSE_KINDS:
        cat = catalogs.get(kind)
        codes = []
        if cat is not None:
            for code, course in cat.by_code().items():
                codes.append(code)
                courses.setdefault(code, course_view(course))
        lists[kind] = codes
    inst_cat = catalogs.institutions
    institutions = (
        {code: institution_view(i) for code, i in inst_cat.by_code().items()}
        if inst_cat is not None
        else {}
    )
    demand = (
        [demand_view(d) for d in catalogs.demand.by_code().values()]
        if catalogs.demand is not None
        else []
    )
    editions = {
        c.kind: {"title": c.title, "edition": c.edition, "issued": c.issued, "issuer": c.issuer}
        for c in catalogs.present()
    }
    return {
        "key_industry": lists["key_industry"],
        "general": lists["general"],
        "courses": courses,
        "institutions": institutions,
        "active_institutions": active_institutions(catalogs, as_of),
        "demand": demand,
        "editions": editions,
    }
