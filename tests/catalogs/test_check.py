"""catalog check: schema errors with positions, duplicates, references, periods."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from catalogs import DATA_DIR, SCHEMA_DIR, CatalogueUsageError, check_directory, load_catalogs
from dsl.errors import ErrorList, PolicyError

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"
SOURCE_TEXT = Path(__file__).resolve().parents[3] / "shared" / "source" / "taierzhuang-2020-4.txt"


def make_dir(tmp_path: Path, **replace: str) -> Path:
    """The valid fixture folder, with KIND.yaml replaced by broken/NAME.yaml."""
    out = tmp_path / "cats"
    shutil.copytree(VALID, out)
    for kind, name in replace.items():
        shutil.copy(BROKEN / f"{name}.yaml", out / f"{kind}.yaml")
    return out


def line_of(path: Path, needle: str) -> int:
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return no
    raise AssertionError(f"{needle!r} not in {path}")


def where(err: PolicyError) -> tuple[str, int, int]:
    p = err.position
    return Path(p.source).name, p.line, p.column


# ------------------------------------------------------------- bundled data


def test_bundled_catalogues_pass_check():
    catalogs, errors = check_directory()
    assert [e.render() for e in errors] == []
    assert {c.kind: len(c.entries) for c in catalogs.present()} == {
        "key_industry": 12,
        "general": 10,
        "institutions": 8,
        "demand": 9,
    }


def test_bundled_institutions_include_the_four_named_in_the_text():
    inst = load_catalogs().institutions.by_code()
    named = {
        code: (i.name, i.ownership, i.cite.clause, i.cite.quote, i.sample)
        for code, i in inst.items()
        if i.cite is not None
    }
    assert named == {
        "JG-001": ("台儿庄区就业训练中心", "公办", "二", "区就业训练中心", False),
        "JG-002": ("台儿庄区职业中专", "公办", "二", "区职业中专", False),
        "JG-003": ("台儿庄区农广校", "公办", "二", "区农广校", False),
        "JG-004": ("台儿庄区农业机械化学校", "公办", "二", "区农业机械化学校", False),
    }
    # what the text does not say about them is marked as sample
    assert all(inst[c].sample_fields == ("courses", "status") for c in named)
    assert all(i.sample for c, i in inst.items() if c not in named)


def test_bundled_entries_are_either_cited_or_sample_and_notes_say_so():
    catalogs = load_catalogs()
    for cat in catalogs.present():
        assert cat.sample is True, cat.kind
        assert "示例" in cat.note and "不是官方数据" in cat.note, cat.kind
        for entry in cat.entries:
            assert entry.sample or entry.cite is not None, entry.code


def test_bundled_key_industries_cover_chemicals_and_mining_safety():
    ki = load_catalogs().key_industry
    high_risk = {e.industry for e in ki.entries if e.high_risk}
    assert high_risk == {"化工", "矿山"}


@pytest.mark.skipif(not SOURCE_TEXT.is_file(), reason="shared/source not beside the repo")
def test_cited_quotes_are_in_the_source_text():
    text = re.sub(r"\s", "", SOURCE_TEXT.read_text(encoding="utf-8"))
    cited = [e for c in load_catalogs().present() for e in c.entries if e.cite]
    assert len(cited) == 4
    for entry in cited:
        assert re.sub(r"\s", "", entry.cite.quote) in text, entry.code


def test_bundled_yaml_first_line_names_its_schema():
    # the data files of a declared catalogue (policy/catalogs.yaml)
    for kind in ("key_industry", "general", "institutions", "demand"):
        first = (DATA_DIR / f"{kind}.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/catalog-data.schema.json"
        assert (DATA_DIR / "../schemas/catalog-data.schema.json").resolve().is_file()


def _objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for v in node.values():
            yield from _objects(v)
    elif isinstance(node, list):
        for v in node:
            yield from _objects(v)


def test_schemas_are_draft_2020_12_and_closed():
    for kind in ("key_industry", "general", "institutions", "demand"):
        schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        objects = list(_objects(schema))
        assert len(objects) >= 2
        assert all(o.get("additionalProperties") is False for o in objects), kind


# -------------------------------------------------------------- schema errors


def test_every_schema_error_is_reported_with_its_position(tmp_path):
    folder = make_dir(tmp_path, key_industry="key_industry_schema")
    path = folder / "key_industry.yaml"
    _, errors = check_directory(folder)
    got = [(where(e), e.context, e.message) for e in errors]
    assert [g[0] for g in got] == [
        ("key_industry.yaml", line_of(path, "issued: 2020/04/30"), 9),
        ("key_industry.yaml", line_of(path, "hours: 很多"), 12),
        ("key_industry.yaml", line_of(path, "[专项, 特级]"), 18),
        ("key_industry.yaml", line_of(path, "code: ZD-003"), 5),
        ("key_industry.yaml", line_of(path, "colour: 红"), 13),
        ("key_industry.yaml", line_of(path, "code: zd-5"), 11),
    ]
    assert [g[0][1] for g in got] == [5, 13, 18, 22, 32, 34]
    messages = [g[2] for g in got]
    assert "is not a date of the form YYYY-MM-DD" in messages[0]
    assert messages[1] == "expected a whole number, got text '很多'"
    assert messages[2].startswith("'特级' is not one of: 初级, 中级")
    assert messages[3] == "missing field 'name'"
    assert messages[4].startswith("unknown field 'colour'")
    assert "'zd-5' does not have the required form" in messages[5]
    assert [g[1] for g in got][1:] == [
        "key_industry ZD-001",
        "key_industry ZD-002",
        "key_industry ZD-003",
        "key_industry ZD-004",
        "key_industry zd-5",
    ]
    # invalid entries are not also reported as dangling by the institutions
    # that teach them (JG-101 teaches ZD-001 and ZD-002)
    assert not any("neither" in m for m in messages)


def test_render_shows_file_line_col_and_a_caret(tmp_path):
    folder = make_dir(tmp_path, key_industry="key_industry_schema")
    _, errors = check_directory(folder)
    text = errors[1].render().splitlines()
    assert re.fullmatch(
        r".*key_industry\.yaml:13:12 key_industry ZD-001: "
        r"expected a whole number, got text '很多'",
        text[0],
    )
    assert text[1] == "      hours: 很多"
    assert text[2] == "  " + " " * 11 + "^"


def test_yaml_syntax_error_is_reported_and_other_files_still_checked(tmp_path):
    folder = make_dir(
        tmp_path,
        key_industry="key_industry_syntax",
        general="general_duplicates",
        demand="demand_dangling",
    )
    catalogs, errors = check_directory(folder)
    assert catalogs.key_industry is None
    assert [where(e)[:2] for e in errors] == [
        ("key_industry.yaml", 6),
        ("general.yaml", 13),
        ("general.yaml", 14),
    ]
    assert errors[0].message.startswith("YAML syntax: ")
    # while key_industry.yaml is unreadable nobody can tell whether a code is
    # dangling, so demand.yaml's YB-777 and ZD-004 are not reported


def test_missing_catalogue_file_is_an_error(tmp_path):
    folder = make_dir(tmp_path)
    (folder / "demand.yaml").unlink()
    _, errors = check_directory(folder)
    assert len(errors) == 1
    assert errors[0].message == "missing catalogue file demand.yaml (劳动者培训需求目录)"


def test_folder_without_any_catalogue_is_a_usage_error(tmp_path):
    with pytest.raises(CatalogueUsageError) as info:
        check_directory(tmp_path)
    assert info.value.exit_code == 2
    assert "none of the catalogue files" in info.value.message


def test_wrong_catalogue_kind_in_a_file_is_one_error(tmp_path):
    folder = make_dir(tmp_path)
    shutil.copy(VALID / "general.yaml", folder / "key_industry.yaml")
    catalogs, errors = check_directory(folder)
    assert catalogs.key_industry is None
    assert [(where(e), e.message) for e in errors] == [
        (
            ("key_industry.yaml", 2, 12),
            (
                "this file is the general catalogue (一般性职业技能培训目录), but it should be "
                "the key_industry catalogue (重点产业职业技能培训指导目录)"
            ),
        )
    ]


# ------------------------------------------------------------- cross checks


def test_duplicate_codes_and_unmarked_entries(tmp_path):
    folder = make_dir(tmp_path, general="general_duplicates")
    path = folder / "general.yaml"
    _, errors = check_directory(folder)
    assert [(where(e), e.message) for e in errors] == [
        (
            ("general.yaml", line_of(path, "YB-002, name: 育婴员"), 12),
            f"duplicate code 'YB-002' (first used on line {line_of(path, 'YB-002, name: 家政')})",
        ),
        (
            ("general.yaml", line_of(path, "YB-004"), 5),
            (
                "an entry not taken from the source text must say 'sample: true' "
                "(or cite the clause it comes from with 'cite: {clause: ..., quote: ...}')"
            ),
        ),
    ]
    assert errors[0].context == "general YB-002"


def test_note_must_say_sample_entries_are_not_official(tmp_path):
    folder = make_dir(tmp_path, general="general_note")
    _, errors = check_directory(folder)
    assert [where(e) for e in errors] == [("general.yaml", 7, 7)]
    assert "不是官方数据" in errors[0].message


def test_dangling_courses_levels_and_repeated_courses_of_institutions(tmp_path):
    folder = make_dir(tmp_path, institutions="institutions_dangling")
    path = folder / "institutions.yaml"
    _, errors = check_directory(folder)
    assert [(where(e)[1], e.message) for e in errors] == [
        (
            line_of(path, "ZD-001, levels: [初级, 技师]"),
            (
                "teaches ZD-001 化工总控工 at 技师, which the course does not offer "
                "(it offers 初级、中级、高级)"
            ),
        ),
        (
            line_of(path, "ZD-099"),
            "approved for course ZD-099, which is in neither key_industry.yaml nor general.yaml",
        ),
        (
            line_of(path, "ZD-001, levels: [中级]"),
            f"course ZD-001 is listed twice (first on line {line_of(path, '技师')})",
        ),
    ]
    assert all(e.context == "institutions JG-101" for e in errors)


def test_status_periods_overlapping_out_of_order_or_reversed(tmp_path):
    folder = make_dir(tmp_path, institutions="institutions_periods")
    path = folder / "institutions.yaml"
    _, errors = check_directory(folder)
    got = [(e.context, where(e)[1], e.message) for e in errors]
    assert got == [
        (
            "institutions JG-101",
            19,
            (
                "status period suspended from 2021-03-01 overlaps the period active from "
                "2020-05-01 (line 18), which runs until 2021-03-31"
            ),
        ),
        (
            "institutions JG-102",
            line_of(path, "exited, from: 2021-07-01"),
            (
                "status period exited from 2021-07-01 overlaps the period active from "
                "2020-05-01 (line 28), which is open-ended"
            ),
        ),
        (
            "institutions JG-103",
            39,
            (
                "status periods out of order: this one starts 2020-05-01, before the previous "
                "one (line 38) starts 2021-03-01; list them oldest first"
            ),
        ),
        (
            "institutions JG-104",
            line_of(path, "until: 2020-04-01"),
            "the period ends (2020-04-01) before it starts (2020-05-01)",
        ),
    ]
    # JG-105 (closed period, then an open one) is fine
    assert not any("JG-105" in c for c, _, _ in got)


def test_demand_for_unknown_course_or_level(tmp_path):
    folder = make_dir(tmp_path, demand="demand_dangling")
    _, errors = check_directory(folder)
    assert [(where(e), e.message) for e in errors] == [
        (
            ("demand.yaml", 11, 76),
            "demand for occupation YB-777, which is in neither key_industry.yaml nor general.yaml",
        ),
        (
            ("demand.yaml", 12, 93),
            "level 高级 is not offered by ZD-004 矿井通风工 (it offers 初级、中级)",
        ),
    ]


def test_load_catalogs_raises_every_error_at_once(tmp_path):
    folder = make_dir(tmp_path, institutions="institutions_periods", demand="demand_dangling")
    with pytest.raises(ErrorList) as info:
        load_catalogs(folder)
    assert len(info.value.errors) == 6
    assert info.value.render().count("\n  ") >= 6  # snippets with carets
