"""Checks across the entries of one catalogue and across the four catalogues.

The schema says what one entry may look like; these checks say what the
catalogues must be together:

* codes are unique within a catalogue;
* an entry is either cited from the source text (``cite``) or marked
  ``sample: true``; a catalogue with sample entries says so in its note;
* an institution teaches only courses of the two training catalogues, each
  once, and only at levels the course offers;
* an institution's status periods are in order, each ends after it starts,
  and they do not overlap (四（三） 评估和退出机制);
* a demand (提单) names a course of the two training catalogues at a level
  that course offers.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from dsl.errors import PolicyError, PolicyFileError, Position

from .loader import load_directory, sort_errors
from .model import COURSE_KINDS, KINDS, Catalogs, Catalogue

SAMPLE_WORD = "示例"
NOT_OFFICIAL_WORDS = ("不是官方", "非官方")


def check_directory(directory: Path | str | None = None) -> tuple[Catalogs, list[PolicyError]]:
    """Load and check the four catalogues of a folder (default: the bundled one).

    Returns the catalogues (with every entry that is valid on its own) and
    every error found, sorted by file and line. Raises CatalogueUsageError
    when the folder holds no catalogue at all.
    """
    catalogs, errors = load_directory(directory)
    errors = errors + check_catalogs(catalogs)
    return catalogs, _order(errors)


def check_catalogs(catalogs: Catalogs) -> list[PolicyError]:
    """The cross checks on loaded catalogues (schema errors are the loader's)."""
    errors: list[PolicyError] = []
    for cat in catalogs.present():
        errors += check_catalogue(cat)
    errors += _check_references(catalogs)
    return _order(errors)


def check_catalogue(cat: Catalogue) -> list[PolicyError]:
    """Checks inside one catalogue: duplicate codes, sample marking, periods."""
    errors: list[PolicyError] = []
    first: dict[str, Position] = {}
    for entry in cat.entries:
        at = entry.positions.get("code", entry.position)
        if entry.code in first:
            errors.append(
                _error(
                    cat,
                    at,
                    f"duplicate code '{entry.code}' (first used on line {first[entry.code].line})",
                    entry.code,
                )
            )
        else:
            first[entry.code] = at
        if not entry.sample and entry.cite is None:
            errors.append(
                _error(
                    cat,
                    entry.position,
                    "an entry not taken from the source text must say 'sample: true' "
                    "(or cite the clause it comes from with 'cite: {clause: ..., quote: ...}')",
                    entry.code,
                )
            )
    if cat.has_samples:
        note_at = cat.source.position(("note",)) if cat.source else cat.position
        if SAMPLE_WORD not in cat.note or not any(w in cat.note for w in NOT_OFFICIAL_WORDS):
            errors.append(
                _error(
                    cat,
                    note_at,
                    "this catalogue has sample entries, so its note must say in Chinese that "
                    "sample (示例) entries are illustrative and not official data (不是官方数据)",
                    None,
                )
            )
    if cat.kind == "institutions":
        for inst in cat.entries:
            errors += _check_periods(cat, inst)
            errors += _check_course_list(cat, inst)
    return errors


def _check_periods(cat: Catalogue, inst) -> list[PolicyError]:
    errors: list[PolicyError] = []
    periods = inst.status
    for p in periods:
        if p.until is not None and p.until < p.start:
            errors.append(
                _error(
                    cat,
                    p.position,
                    f"the period ends ({p.until}) before it starts ({p.start})",
                    inst.code,
                )
            )
    for prev, cur in itertools.pairwise(periods):
        if cur.start < prev.start:
            errors.append(
                _error(
                    cat,
                    cur.position,
                    f"status periods out of order: this one starts {cur.start}, before the "
                    f"previous one (line {prev.position.line}) starts {prev.start}; "
                    "list them oldest first",
                    inst.code,
                )
            )
    ordered = sorted(periods, key=lambda p: p.start)
    for prev, cur in itertools.pairwise(ordered):
        if prev.until is None or prev.until >= cur.start:
            later, earlier = (cur, prev) if cur.position.line >= prev.position.line else (prev, cur)
            ends = "is open-ended" if prev.until is None else f"runs until {prev.until}"
            errors.append(
                _error(
                    cat,
                    later.position,
                    f"status period {cur.status} from {cur.start} overlaps the period "
                    f"{prev.status} from {prev.start} (line {earlier.position.line}), which {ends}",
                    inst.code,
                )
            )
    return errors


def _check_course_list(cat: Catalogue, inst) -> list[PolicyError]:
    errors: list[PolicyError] = []
    seen: dict[str, int | None] = {}
    for approval in inst.courses:
        if approval.course in seen:
            errors.append(
                _error(
                    cat,
                    approval.position,
                    f"course {approval.course} is listed twice "
                    f"(first on line {seen[approval.course]})",
                    inst.code,
                )
            )
        else:
            seen[approval.course] = approval.position.line
    return errors


def _check_references(catalogs: Catalogs) -> list[PolicyError]:
    errors: list[PolicyError] = []
    courses = catalogs.courses()
    course_cats = [catalogs.get(k) for k in COURSE_KINDS]
    # With a course catalogue missing or unreadable (already an error) nobody
    # can tell whether a code is dangling: only the level checks run then.
    complete = all(c is not None for c in course_cats)
    known = set().union(*(c.all_codes for c in course_cats if c is not None))
    course_cats = [c for c in course_cats if c is not None]

    def unknown(code: str) -> bool:
        return complete and code not in known

    inst_cat = catalogs.institutions
    if inst_cat is not None:
        for inst in inst_cat.entries:
            for approval in inst.courses:
                if unknown(approval.course):
                    errors.append(
                        _error(
                            inst_cat,
                            approval.position,
                            f"approved for course {approval.course}, which is in neither "
                            f"{_names(course_cats)}",
                            inst.code,
                        )
                    )
                    continue
                course = courses.get(approval.course)
                if course is None:
                    continue  # the course itself has schema errors
                extra = [lv for lv in approval.levels if lv not in course.levels]
                if extra:
                    errors.append(
                        _error(
                            inst_cat,
                            approval.position,
                            f"teaches {approval.course} {course.name} at {'、'.join(extra)}, "
                            f"which the course does not offer (it offers {'、'.join(course.levels)})",
                            inst.code,
                        )
                    )
    demand_cat = catalogs.demand
    if demand_cat is not None:
        for d in demand_cat.entries:
            at = d.positions.get("occupation", d.position)
            if unknown(d.occupation):
                errors.append(
                    _error(
                        demand_cat,
                        at,
                        f"demand for occupation {d.occupation}, which is in neither "
                        f"{_names(course_cats)}",
                        d.code,
                    )
                )
                continue
            course = courses.get(d.occupation)
            if course is not None and d.level not in course.levels:
                errors.append(
                    _error(
                        demand_cat,
                        d.positions.get("level", d.position),
                        f"level {d.level} is not offered by {d.occupation} {course.name} "
                        f"(it offers {'、'.join(course.levels)})",
                        d.code,
                    )
                )
    return errors


def _names(cats) -> str:
    return " nor ".join(Path(c.path).name for c in cats)


def _error(cat: Catalogue, pos: Position, message: str, code: str | None) -> PolicyFileError:
    snippet = cat.source.line_text(pos.line) if cat.source is not None else None
    context = f"{cat.kind} {code}" if code else cat.kind
    return PolicyFileError(message, position=pos, context=context, snippet=snippet)


def _order(errors: list[PolicyError]) -> list[PolicyError]:
    # files in KINDS order, then by line; a stable, reproducible report
    rank: dict[str, tuple[int, str]] = {}
    for err in errors:
        src = err.position.source or ""
        stem = Path(src).stem
        rank.setdefault(src, (KINDS.index(stem) if stem in KINDS else len(KINDS), src))
    return sorted(
        sort_errors(errors),
        key=lambda e: (rank[e.position.source or ""], e.position.line or 0, e.position.column or 0),
    )
