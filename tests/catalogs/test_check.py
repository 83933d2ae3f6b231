"""catalog check over a policy's declarations: the bundled data, and every
error of a folder of data files at its file:line:col — types, keys, periods,
the sample note, references between catalogues (at the list item that
makes them), all in plain words."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from catalogs import show
from catalogs.read import CatalogueUsageError, read
from dsl.errors import ErrorList, PolicyError
from interpreter.loader import load_policy
from tests.helpers import ROOT

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"
DATA_DIR = ROOT / "policy" / "catalogs"
SCHEMA_DIR = ROOT / "policy" / "schemas"
SOURCE_TEXT = Path(__file__).resolve().parents[3] / "shared" / "source" / "taierzhuang-2020-4.txt"


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def make_dir(tmp_path: Path, **replace: str) -> Path:
    """The valid fixture folder, with KIND.yaml replaced by broken/NAME.yaml."""
    out = tmp_path / "cats"
    shutil.copytree(VALID, out)
    for kind, name in replace.items():
        shutil.copy(BROKEN / f"{name}.yaml", out / f"{kind}.yaml")
    return out


def check(policy, folder):
    got = read(policy, folder)
    return got, got.errors


def line_of(path: Path, needle: str) -> int:
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return no
    raise AssertionError(f"{needle!r} not in {path}")


def where(err: PolicyError) -> tuple[str, int, int]:
    p = err.position
    return Path(p.source).name, p.line, p.column


def by_id(got, cid):
    return next(d for d in got.catalogues if d.id == cid)


# ------------------------------------------------------------- bundled data


def test_bundled_catalogues_pass_check(policy):
    got, errors = check(policy, None)
    assert [e.render() for e in errors] == []
    assert {d.id: len(d.entries) for d in got.catalogues} == {
        "key_industry": 12,
        "general": 10,
        "institutions": 8,
        "demand": 9,
    }
    # the same files read as a folder give the same
    again, errors = check(policy, DATA_DIR)
    assert errors == [] and again.checked
    assert [d.entries for d in again.catalogues] == [d.entries for d in got.catalogues]


def test_bundled_institutions_include_the_four_named_in_the_text(policy):
    inst = {e["code"]: e for e in by_id(read(policy), "institutions").entries}
    named = {
        code: (i["name"], i["ownership"], i["cite"]["clause"], i["cite"]["quote"], i["sample"])
        for code, i in inst.items()
        if i["cite"]["clause"]
    }
    assert named == {
        "JG-001": ("台儿庄区就业训练中心", "公办", "二", "区就业训练中心", False),
        "JG-002": ("台儿庄区职业中专", "公办", "二", "区职业中专", False),
        "JG-003": ("台儿庄区农广校", "公办", "二", "区农广校", False),
        "JG-004": ("台儿庄区农业机械化学校", "公办", "二", "区农业机械化学校", False),
    }
    # what the text does not say about them is marked as sample
    assert all(inst[c]["sample_fields"] == ["courses", "status"] for c in named)
    assert all(i["sample"] for c, i in inst.items() if c not in named)


def test_bundled_entries_are_either_cited_or_sample_and_notes_say_so(policy):
    for decl in read(policy).catalogues:
        assert decl.meta["sample"] is True, decl.id
        assert "示例" in decl.meta["note"] and "不是官方数据" in decl.meta["note"], decl.id
        for entry in decl.entries:
            assert entry["sample"] or entry["cite"]["clause"], entry["code"]
            assert show.origin(decl, entry), entry["code"]


def test_bundled_key_industries_cover_chemicals_and_mining_safety(policy):
    ki = by_id(read(policy), "key_industry")
    assert {e["industry"] for e in ki.entries if e["high_risk"]} == {"化工", "矿山"}


@pytest.mark.skipif(not SOURCE_TEXT.is_file(), reason="shared/source not beside the repo")
def test_cited_quotes_are_in_the_source_text(policy):
    text = re.sub(r"\s", "", SOURCE_TEXT.read_text(encoding="utf-8"))
    cited = [e for d in read(policy).catalogues for e in d.entries if e["cite"]["clause"]]
    assert len(cited) == 4
    for entry in cited:
        assert re.sub(r"\s", "", entry["cite"]["quote"]) in text, entry["code"]


def test_bundled_yaml_first_line_names_its_schema():
    for kind in ("key_industry", "general", "institutions", "demand"):
        first = (DATA_DIR / f"{kind}.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/catalog-data.schema.json"
        assert (DATA_DIR / "../schemas/catalog-data.schema.json").resolve().is_file()


def test_the_file_formats_are_draft_2020_12_and_closed():
    for name in ("catalogs", "catalog-data"):
        schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["additionalProperties"] is False, name


# ------------------------------------------------------ errors of the entries


def test_every_entry_error_is_reported_with_its_position(policy, tmp_path):
    folder = make_dir(tmp_path, key_industry="key_industry_schema")
    path = folder / "key_industry.yaml"
    got, errors = check(policy, folder)
    assert not got.checked  # the checks between catalogues wait for these
    found = [(where(e), e.context, e.message) for e in errors]
    assert [g[0] for g in found] == [
        ("key_industry.yaml", line_of(path, "issued: 2020/04/30"), 9),
        ("key_industry.yaml", line_of(path, "hours: 很多"), 12),
        ("key_industry.yaml", line_of(path, "[专项, 特级]"), 13),
        ("key_industry.yaml", line_of(path, "code: ZD-003"), 5),
        ("key_industry.yaml", line_of(path, "colour: 红"), 13),
        ("key_industry.yaml", line_of(path, "code: zd-5"), 11),
    ]
    messages = [g[2] for g in found]
    assert "is not a real date of the form YYYY-MM-DD" in messages[0]
    assert messages[1] == '标准课时 (hours): expected a number, found "很多"'
    assert messages[2].startswith("等级 (levels): expected a list of one of 初级、中级")
    assert messages[2].endswith('found ["专项", "特级"]')
    assert messages[3] == "the entry has no 'name' (名称)"
    assert messages[4] == "catalogue key_industry has no field 'colour'"
    assert errors[4].hint == "did you mean 'hours'?"
    # a declared check of the entry on its own (no other catalogue read) runs too
    assert messages[5].startswith("代码须为 ZD- 加三位数字（如 ZD-001） (check code_form:")
    assert [g[1] for g in found][1:] == [
        "catalogue key_industry ZD-001",
        "catalogue key_industry ZD-002",
        "catalogue key_industry ZD-003",
        "catalogue key_industry ZD-004",
        "catalogue key_industry code=zd-5",
    ]


def test_render_shows_file_line_col_and_a_caret(policy, tmp_path):
    folder = make_dir(tmp_path, key_industry="key_industry_schema")
    _, errors = check(policy, folder)
    text = errors[1].render().splitlines()
    assert re.fullmatch(
        r".*key_industry\.yaml:13:12 catalogue key_industry ZD-001: "
        r'标准课时 \(hours\): expected a number, found "很多"',
        text[0],
    )
    assert text[1] == "      hours: 很多"
    assert text[2] == "  " + " " * 11 + "^"


def test_yaml_syntax_error_is_reported_and_other_files_still_checked(policy, tmp_path):
    folder = make_dir(tmp_path, key_industry="key_industry_syntax", general="general_duplicates")
    got, errors = check(policy, folder)
    assert by_id(got, "key_industry").entries == []
    assert [where(e)[:2] for e in errors] == [
        ("key_industry.yaml", 6),
        ("general.yaml", 13),
        ("general.yaml", 14),
    ]
    assert errors[0].message.startswith("YAML syntax: ")
    assert "the key code=YB-002 is used twice (also at line 11)" in errors[1].message
    assert errors[2].message.startswith("不是取自原文的条目须标注 sample: true")


def test_missing_catalogue_file_is_an_error(policy, tmp_path):
    folder = make_dir(tmp_path)
    (folder / "demand.yaml").unlink()
    _, errors = check(policy, folder)
    assert len(errors) == 1
    assert errors[0].message == "missing catalogue file demand.yaml (劳动者培训需求目录)"


def test_folder_without_any_catalogue_is_a_usage_error(policy, tmp_path):
    with pytest.raises(CatalogueUsageError) as info:
        read(policy, tmp_path)
    assert info.value.exit_code == 2
    assert "none of the catalogue files of the policy" in info.value.message
    assert "key_industry.yaml, general.yaml, institutions.yaml, demand.yaml" in info.value.message


def test_wrong_catalogue_in_a_file_is_an_error_at_its_catalogue_line(policy, tmp_path):
    folder = make_dir(tmp_path)
    shutil.copy(VALID / "general.yaml", folder / "key_industry.yaml")
    _, errors = check(policy, folder)
    assert (where(errors[0]), errors[0].message) == (
        ("key_industry.yaml", 2, 12),
        "this file holds catalogue 'general', declared as 'key_industry'",
    )
    # its entries then fail the key-industry catalogue's own checks
    assert {e.message.split(" (check ")[1].split(":")[0] for e in errors[1:]} == {
        "code_form",
        "has_industry",
    }


# ------------------------------------------------------------- checks


def test_duplicate_keys(policy, tmp_path):
    folder = make_dir(tmp_path, general="general_duplicates")
    path = folder / "general.yaml"
    _, errors = check(policy, folder)
    assert [(where(e), e.message, e.context) for e in errors] == [
        (
            ("general.yaml", line_of(path, "YB-002, name: 育婴员"), 5),
            (
                "the key code=YB-002 is used twice "
                f"(also at line {line_of(path, 'YB-002, name: 家政')})"
            ),
            "catalogue general",
        ),
        (
            ("general.yaml", line_of(path, "YB-004"), 5),
            (
                "不是取自原文的条目须标注 sample: true（或以 cite: {clause, quote} 引用其出处条款） "
                '(check cited_or_sample: entry.sample or entry.cite.clause != "")'
            ),
            "catalogue general code=YB-004",
        ),
    ]


def test_an_entry_neither_cited_nor_sample_is_an_error(policy, tmp_path):
    folder = make_dir(tmp_path)
    path = folder / "general.yaml"
    text = path.read_text(encoding="utf-8")
    old = "{code: YB-002, name: 家政服务员, levels: [初级, 中级], hours: 80, sample: true}"
    assert old in text
    path.write_text(text.replace(old, old.replace(", sample: true", "")), encoding="utf-8")
    _, errors = check(policy, folder)
    assert [(where(e)[:2], e.context) for e in errors] == [
        (("general.yaml", line_of(path, "YB-002")), "catalogue general code=YB-002")
    ]
    assert errors[0].message.startswith("不是取自原文的条目须标注 sample: true")


def test_note_must_say_sample_entries_are_not_official(policy, tmp_path):
    folder = make_dir(tmp_path, general="general_note")
    _, errors = check(policy, folder)
    assert [where(e) for e in errors] == [("general.yaml", 7, 7)]
    assert "its note must say so: it does not say 示例、不是官方数据" in errors[0].message


def test_dangling_courses_levels_and_repeated_courses_of_institutions(policy, tmp_path):
    """Each at the line of the course in the institution's list (each: courses)."""
    folder = make_dir(tmp_path, institutions="institutions_dangling")
    path = folder / "institutions.yaml"
    _, errors = check(policy, folder)
    got = [(where(e)[1:], e.message.split(" (check ")[0]) for e in errors]
    first = line_of(path, "ZD-001, levels: [初级, 技师]")
    assert got == [
        ((first, 18), "同一项目只能列出一次"),
        ((first, 34), "机构只能在该项目所列的等级上开展培训"),
        (
            (line_of(path, "ZD-099"), 18),
            "可培训项目须是重点产业职业技能培训指导目录或一般性职业技能培训目录中的项目",
        ),
        ((line_of(path, "ZD-001, levels: [中级]"), 18), "同一项目只能列出一次"),
    ]
    assert all(e.context == "catalogue institutions code=JG-101" for e in errors)


def test_status_periods_overlapping_out_of_order_or_reversed(policy, tmp_path):
    folder = make_dir(tmp_path, institutions="institutions_periods")
    path = folder / "institutions.yaml"
    _, errors = check(policy, folder)
    got = [(e.context, where(e)[1], e.message) for e in errors]
    assert got == [
        (
            "catalogue institutions JG-101",
            19,
            (
                "the period from 2021-03-01 overlaps the period from 2020-05-01 (line 18), "
                "which runs until 2021-03-31"
            ),
        ),
        (
            "catalogue institutions JG-102",
            line_of(path, "exited, from: 2021-07-01"),
            (
                "the period from 2021-07-01 overlaps the period from 2020-05-01 (line 28), "
                "which is open-ended"
            ),
        ),
        (
            "catalogue institutions JG-103",
            39,
            (
                "periods out of order: this one starts 2020-05-01, before the previous "
                "one (line 38) starts 2021-03-01; list them oldest first"
            ),
        ),
        (
            "catalogue institutions JG-104",
            line_of(path, "until: 2020-04-01"),
            "the period ends (2020-04-01) before it starts (2020-05-01)",
        ),
    ]
    # JG-105 (closed period, then an open one) is fine
    assert not any("JG-105" in c for c, _, _ in got)


def test_demand_for_unknown_course_or_level(policy, tmp_path):
    """At the field the check names (at: occupation, at: level)."""
    folder = make_dir(tmp_path, demand="demand_dangling")
    _, errors = check(policy, folder)
    assert [(where(e), e.message.split(" (check ")[0]) for e in errors] == [
        (
            ("demand.yaml", 11, 76),
            "需求须是重点产业职业技能培训指导目录或一般性职业技能培训目录中的项目",
        ),
        (("demand.yaml", 12, 93), "需求的等级须是该项目所列的等级"),
    ]


def test_every_error_at_once_renders_with_snippets(policy, tmp_path):
    folder = make_dir(tmp_path, institutions="institutions_periods", general="general_note")
    _, errors = check(policy, folder)
    assert len(errors) == 5
    text = ErrorList(errors).render()
    assert text.count("\n  ") >= 5  # snippets with carets


def test_a_code_not_of_its_declared_form(policy, tmp_path):
    """The code pattern is a declared check (matches(), a function of the
    language), reported at the code."""
    folder = make_dir(tmp_path)
    path = folder / "key_industry.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("code: ZD-004", "code: zd-4"), encoding="utf-8"
    )
    _, errors = check(policy, folder)
    first = errors[0]
    assert where(first) == ("key_industry.yaml", line_of(path, "code: zd-4"), 11)
    assert first.context == "catalogue key_industry code=zd-4"
    assert first.message.startswith("代码须为 ZD- 加三位数字（如 ZD-001） (check code_form:")
