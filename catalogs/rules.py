"""The catalogues as the rule language sees them: ``catalog.NAME``.

Rules read catalogues through a few flat tables (lists of records) and code
lists, so that any condition on them is an ordinary expression, e.g.::

    training.course in catalog.key_industry or training.course in catalog.general
    any(catalog.approvals, a -> a.institution == training.institution
                                 and a.course == training.course)

Types are inferred from the data, so a new field in a catalogue is usable in
rules without code. Open-ended periods end on 9999-12-31, so a period test
needs no special case for "no end date".
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from dsl import types as T

OPEN_END = _dt.date(9999, 12, 31)


def rule_views(catalogs) -> dict:
    """name → plain value (lists of records or of codes) for ``catalog.NAME``."""
    courses = catalogs.courses()
    views: dict = {
        "key_industry": [c.code for c in courses.values() if c.catalogue == "key_industry"],
        "general": [c.code for c in courses.values() if c.catalogue == "general"],
        "courses": [
            {
                "code": c.code,
                "name": c.name,
                "catalogue": c.catalogue,
                "levels": list(c.levels),
                "hours": Decimal(c.hours),
                "industry": c.industry or "",
                "high_risk": bool(c.high_risk),
            }
            for c in courses.values()
        ],
    }
    inst = catalogs.institutions
    entries = list(inst.by_code().values()) if inst is not None else []
    views["institutions"] = [
        {"code": i.code, "name": i.name, "ownership": i.ownership} for i in entries
    ]
    views["institution_status"] = [
        {"institution": i.code, "status": p.status, "from": p.start, "until": p.until or OPEN_END}
        for i in entries
        for p in i.status
    ]
    views["approvals"] = [
        {"institution": i.code, "course": a.course, "level": level}
        for i in entries
        for a in i.courses
        for level in a.levels
    ]
    return views


def infer_type(value, name: str = "") -> T.Type:
    """The rule-language type of plain catalogue data."""
    if isinstance(value, bool):
        return T.BOOLEAN
    if isinstance(value, (int, Decimal)):
        return T.NUMBER
    if isinstance(value, _dt.date):
        return T.DATE
    if isinstance(value, str):
        return T.STRING
    if isinstance(value, dict):
        return T.RecordType(
            name, tuple((k, infer_type(v, f"{name}.{k}")) for k, v in value.items())
        )
    if isinstance(value, list):
        item: T.Type = T.STRING
        for v in value:
            t = infer_type(v, f"{name}[]")
            item = t if item == T.STRING and not isinstance(v, str) else (T.unify(item, t) or item)
        return T.ListType("list", item)
    return T.ANY


def load_for_rules(directory: Path | None = None):
    """(types, values, file hashes) of the catalogues in ``directory``; each
    hash is of the bytes the catalogue was parsed from (read once)."""
    from . import default_dir, load_catalogs
    from .model import KINDS

    directory = Path(directory) if directory is not None else default_dir()
    cats = load_catalogs(directory)
    views = rule_views(cats)
    types = {name: infer_type(v, f"catalog.{name}") for name, v in views.items()}
    hashes = {}
    for kind in KINDS:
        cat = cats.get(kind)
        if cat is None or cat.source is None:
            continue
        hashes[_shown(directory / f"{kind}.yaml", directory)] = cat.source.sha256
    return types, views, hashes


def _shown(f: Path, directory: Path) -> str:
    try:
        return str(f.relative_to(directory.parent.parent))
    except ValueError:
        return str(f)


@dataclass(frozen=True)
class RuleCatalogs:
    """The catalogues of ``directory`` (default: the bundled ones) as the
    engine's ``load_policy(catalogs=...)`` takes them: loaded only when some
    rule reads a catalogue, cached by the content of their files and of this
    module. Plain data, so a batch can hand it to its worker processes."""

    directory: str | None = None

    def _dir(self) -> Path:
        from .paths import default_dir

        return Path(self.directory) if self.directory is not None else default_dir()

    def cache_key(self) -> str | None:
        import hashlib

        directory = self._dir()
        try:
            hashes = {
                _shown(f, directory): hashlib.sha256(f.read_bytes()).hexdigest()
                for f in sorted(directory.glob("*.yaml"))
            }
        except OSError:
            return None
        return self.cache_key_of(hashes)

    def cache_key_of(self, hashes: dict) -> str | None:
        import hashlib

        h = hashlib.sha256(Path(__file__).read_bytes())
        for name in sorted(hashes):
            if hashes[name] is None:
                return None
            h.update(Path(name).name.encode() + b"\0" + hashes[name].encode() + b"\0")
        return h.hexdigest()

    def load(self) -> tuple[dict, dict, dict]:
        return load_for_rules(self._dir())
