"""Entries as records (the YAML's own field names) and as display text.

Used by ``publish`` (tables, CSV, JSON) and ``diff`` (field-level changes),
so a field reads the same in the published catalogue and in a change notice.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .model import STATUS_LABELS, SUBMITTER_LABELS, Catalogs, Catalogue, Course, Demand, Institution

# field order and Chinese labels, per kind of entry, as in the YAML files
COURSE_FIELDS = [
    "code",
    "name",
    "occupation_code",
    "levels",
    "hours",
    "industry",
    "high_risk",
    "note",
    "sample",
    "cite",
]
INSTITUTION_FIELDS = [
    "code",
    "name",
    "ownership",
    "licence",
    "courses",
    "status",
    "note",
    "sample",
    "sample_fields",
    "cite",
]
DEMAND_FIELDS = [
    "code",
    "submitted_by",
    "submitter",
    "occupation",
    "level",
    "headcount",
    "date",
    "note",
    "sample",
    "cite",
]
HEADER_FIELDS = ["catalogue", "title", "edition", "issued", "issuer", "basis", "sample", "note"]

LABELS = {
    "catalogue": "目录",
    "title": "名称",
    "edition": "版次",
    "issued": "发布日期",
    "issuer": "发布单位",
    "basis": "依据",
    "sample": "示例",
    "note": "备注",
    "code": "代码",
    "name": "名称",
    "occupation_code": "职业编码",
    "levels": "等级",
    "hours": "标准课时",
    "industry": "产业/行业",
    "high_risk": "高危行业安全培训",
    "cite": "原文出处",
    "ownership": "性质",
    "licence": "资质",
    "courses": "可培训项目及等级",
    "status": "状态记录",
    "sample_fields": "示例字段",
    "submitted_by": "提单方",
    "submitter": "提单人",
    "occupation": "职业（项目）",
    "level": "等级",
    "headcount": "人数",
    "date": "提单日期",
}


def fields_for(kind: str) -> list[str]:
    if kind in ("key_industry", "general"):
        return COURSE_FIELDS
    return INSTITUTION_FIELDS if kind == "institutions" else DEMAND_FIELDS


def entry_record(entry) -> dict:
    """The entry as its YAML would write it (dates as YYYY-MM-DD, no None)."""
    rec: dict[str, Any]
    if isinstance(entry, Course):
        rec = {
            "code": entry.code,
            "name": entry.name,
            "occupation_code": entry.occupation_code,
            "levels": list(entry.levels),
            "hours": entry.hours,
            "industry": entry.industry,
            "high_risk": entry.high_risk or None,
            "note": entry.note,
        }
    elif isinstance(entry, Institution):
        rec = {
            "code": entry.code,
            "name": entry.name,
            "ownership": entry.ownership,
            "licence": entry.licence,
            "courses": [{"course": a.course, "levels": list(a.levels)} for a in entry.courses],
            "status": [_period(p) for p in entry.status],
            "note": entry.note,
            "sample_fields": list(entry.sample_fields) or None,
        }
    elif isinstance(entry, Demand):
        rec = {
            "code": entry.code,
            "submitted_by": entry.submitted_by,
            "submitter": entry.submitter,
            "occupation": entry.occupation,
            "level": entry.level,
            "headcount": entry.headcount,
            "date": entry.date.isoformat(),
            "note": entry.note,
        }
    else:  # pragma: no cover
        raise TypeError(type(entry))
    rec["sample"] = entry.sample or None
    rec["cite"] = {"clause": entry.cite.clause, "quote": entry.cite.quote} if entry.cite else None
    order = fields_for(_kind_of(entry))
    return {k: rec[k] for k in order if rec.get(k) is not None}


def _kind_of(entry) -> str:
    if isinstance(entry, Course):
        return entry.catalogue
    return "institutions" if isinstance(entry, Institution) else "demand"


def _period(p) -> dict:
    out = {"status": p.status, "from": p.start.isoformat()}
    if p.until is not None:
        out["until"] = p.until.isoformat()
    out["reason"] = p.reason
    return out


def header_record(cat: Catalogue) -> dict:
    rec = {
        "catalogue": cat.kind,
        "title": cat.title,
        "edition": cat.edition,
        "issued": cat.issued.isoformat() if cat.issued else None,
        "issuer": cat.issuer,
        "basis": cat.basis,
        "sample": cat.sample or None,
        "note": cat.note,
    }
    return {k: v for k, v in rec.items() if v is not None}


def catalogue_record(cat: Catalogue) -> dict:
    out = header_record(cat)
    out["entries"] = [entry_record(e) for e in cat.entries]
    return out


# ------------------------------------------------------------ display text


def show(field: str, value) -> str:
    """A record value as one line of text (tables, CSV, diff)."""
    if value is None:
        return ""
    if field == "courses":
        return "；".join(f"{c['course']}（{'、'.join(c['levels'])}）" for c in value)
    if field == "status":
        return "；".join(show_period(p) for p in value)
    if field == "cite":
        return f"{value['clause']}：{value['quote']}"
    if field == "submitted_by":
        return SUBMITTER_LABELS.get(value, value)
    if field == "sample_fields":
        return "、".join(LABELS.get(f, f) for f in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def show_period(p: dict) -> str:
    label = STATUS_LABELS.get(p["status"], p["status"])
    until = p.get("until", "")
    return f"{label}（{p['status']}） {p['from']}—{until}：{p['reason']}"


def origin(entry) -> str:
    """Where an entry comes from: the text, a sample, or the text with sample fields."""
    if entry.sample:
        return "示例"
    text = f"原文 {entry.cite.clause}" if entry.cite else ""
    fields = getattr(entry, "sample_fields", ())
    if fields:
        text += "；示例字段：" + "、".join(LABELS.get(f, f) for f in fields)
    return text


def course_name(catalogs: Catalogs | None, code: str) -> str:
    if catalogs is None:
        return ""
    course = catalogs.courses().get(code)
    return course.name if course else ""
