"""The bundled policy's catalogues are declarations (policy/catalogs.yaml):
nested records, the periods of a list, checks between catalogues and the
derived tables, each error at its file:line:col; the docs show them."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.helpers import ROOT, policy_copy

DOCS = (ROOT / "docs" / "policy-format.md").read_text(encoding="utf-8")
DECLARED = (ROOT / "policy" / "catalogs.yaml").read_text(encoding="utf-8")


def check(folder):
    return subprocess.run(
        [sys.executable, "-m", "cli", "check", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_docs_show_the_bundled_declarations_word_for_word():
    (tables,) = re.findall(r"```yaml tables\n(.*?)```", DOCS, re.S)
    assert tables in DECLARED
    blocks = re.findall(r"```yaml (?:declared|catalogs-check)\n(.*?)```", DOCS, re.S)
    assert len(blocks) == 3
    for block in blocks:
        assert block in DECLARED, block


@pytest.mark.parametrize(
    "old, new, message",
    [
        (  # 四（三）: the periods of an institution must not overlap
            "{status: active, from: 2020-05-01, until: 2021-02-28,",
            "{status: active, from: 2020-05-01, until: 2021-03-31,",
            (
                "the period from 2021-03-01 overlaps the period from 2020-05-01 (line {prev}), "
                "which runs until 2021-03-31"
            ),
        ),
        (
            "{status: active, from: 2020-05-01, until: 2021-02-28,",
            "{status: active, from: 2020-05-01, until: 2020-04-28,",
            "the period ends (2020-04-28) before it starts (2020-05-01)",
        ),
        (
            "{status: active, from: 2020-05-01, until: 2021-02-28,",
            "{status: aktive, from: 2020-05-01, until: 2021-02-28,",
            'expected one of active、suspended、exited, found "aktive"',
        ),
        (  # an institution teaches only at the levels its course offers
            "      - {course: ZD-001, levels: [初级, 中级]}\n",
            "      - {course: ZD-001, levels: [初级, 高级技师]}\n",
            "机构只能在该项目所列的等级上开展培训",
        ),
    ],
    ids=["overlap", "ends-before-start", "unknown-status", "level-not-offered"],
)
def test_an_institution_error_is_reported_at_its_line(tmp_path, old, new, message):
    folder = policy_copy(tmp_path / "policy")
    data = folder / "catalogs" / "institutions.yaml"
    text = data.read_text(encoding="utf-8")
    assert text.count(old) == 1
    line = text[: text.index(old)].count("\n") + 1
    data.write_text(text.replace(old, new), encoding="utf-8")
    r = check(folder)
    assert r.returncode == 1, r.stdout + r.stderr
    assert message.format(prev=line) in r.stderr, r.stderr
    assert re.search(r"policy/catalogs/institutions\.yaml:\d+:\d+", r.stderr), r.stderr
    assert "Traceback" not in r.stderr


def test_a_derived_table_naming_a_missing_field_is_an_error(tmp_path):
    folder = policy_copy(tmp_path / "policy")
    path = folder / "catalogs.yaml"
    path.write_text(
        DECLARED.replace(
            "    parent: {institution: code}\n    fields: [institution, status,",
            "    parent: {institution: kode}\n    fields: [institution, status,",
        ),
        encoding="utf-8",
    )
    r = check(folder)
    assert r.returncode == 1
    assert "institutions has no field 'kode'" in r.stderr
    assert "catalogs.yaml:" in r.stderr


def test_the_site_title_and_preamble_are_the_policys_data(tmp_path):
    """`site:` of catalogs.yaml titles the published site, whether the data
    files are the policy's own or another folder's (--catalogs)."""
    from catalogs.site import render_index
    from tests.helpers import catalogue_site

    folder = policy_copy(tmp_path / "policy")
    path = folder / "catalogs.yaml"
    path.write_text(
        DECLARED.replace(
            "  title: 台儿庄区职业技能培训“四个目录”", "  title: 某区培训目录（测试）"
        ),
        encoding="utf-8",
    )
    for extra in ([], ["--catalogs", ROOT / "tests" / "catalogs" / "fixtures" / "valid"]):
        out = tmp_path / f"site{len(extra)}"
        r = subprocess.run(
            [sys.executable, "-m", "cli", "catalog", "publish", "--policy", folder, "--out", out]
            + extra,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr
        index = (out / "index.html").read_text(encoding="utf-8")
        assert "<h1>某区培训目录（测试）</h1>" in index
        assert "方便和指导劳动者按需选择" in index  # the preamble, from the data
    bundled = render_index(catalogue_site()).decode("utf-8")
    assert "<h1>台儿庄区职业技能培训“四个目录”</h1>" in bundled


def test_the_declared_diff_of_a_bundled_catalogue_shows_records_as_text(tmp_path):
    """`policy catalog diff --policy policy`: a changed status period of an
    institution, shown as the pages show it (no Python record in sight)."""
    old = ROOT / "policy" / "catalogs" / "institutions.yaml"
    new = tmp_path / "institutions.yaml"
    line = "      - {status: active, from: 2021-06-01, reason: 整改后复评合格（示例）}"
    text = old.read_text(encoding="utf-8")
    assert text.count(line) == 1
    new.write_text(
        text.replace(line, line.replace("2021-06-01,", "2021-06-01, until: 2021-12-31,")),
        encoding="utf-8",
    )
    r = subprocess.run(
        [sys.executable, "-m", "cli", "catalog", "diff", old, new, "--policy", ROOT / "policy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "added (0):\nremoved (0):\nchanged (1):\n  ~ JG-101 " in r.stdout
    # the periods as the pages show them: the enum's labels, from and until as one
    assert "      status: 在册（2020-05-01至2021-02-28，" in r.stdout
    assert "；在册（2021-06-01起，整改后复评合格（示例）） -> " in r.stdout
    assert "；在册（2021-06-01至2021-12-31，整改后复评合格（示例））\n" in r.stdout
    assert "{'" not in r.stdout


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "    union: [key_industry, general]\n",
            "    union: [key_industry, demand]\n",
            "the catalogues of a union must declare the same fields",
        ),
        (
            "    union: [key_industry, general]\n",
            "    union: [key_industry, generals]\n",
            "no catalogue or table 'generals' before this one",
        ),
        (
            "    spread: {levels: level}\n",
            "    spread: {course: level}\n",
            "'course' is not a list field here",
        ),
        (
            "    from: courses\n    column: code\n",
            "    from: courses\n    column: kode\n",
            "courses has no field 'kode'",
        ),
        (
            "    unnest: status\n",
            "    unnest: reason\n",
            "'reason' is not a list of records of institutions",
        ),
        ("  - id: approvals\n", "  - id: courses\n", "'courses' is already a catalogue or table"),
        (
            "      - {list: status, from: from, until: until}\n",
            "      - {list: statuses, from: from, until: until}\n",
            "the period names no list of records 'statuses'",
        ),
        (
            "occupation: {type: string, ref: {table: courses,",
            "occupation: {type: string, ref: {table: course,",
            "no catalogue or table 'course'",
        ),
        (
            "course: {type: string, ref: {table: courses, key: code, show: name}",
            "course: {type: string, ref: {table: courses, key: code, show: nam}",
            "courses has no field 'nam'",
        ),
        (
            "labels: {active: 在册, suspended: 暂停, exited: 退出}",
            "labels: {active: 在册, suspendid: 暂停, exited: 退出}",
            "'suspendid' is not a value of this enum",
        ),
        (
            "      sample_fields:\n        type: list\n        optional: true\n        role: sample_fields\n",
            "      sample_fields:\n        type: list\n        optional: true\n        role: sample\n",
            "the field of role sample must be of type boolean",
        ),
        (
            "        each: courses\n        at: levels\n",
            "        each: course\n        at: levels\n",
            "'course' is not a list field of institutions",
        ),
    ],
    ids=[
        "union-shapes",
        "union-unknown",
        "spread",
        "column",
        "unnest",
        "twice",
        "period-list",
        "ref-table",
        "ref-show",
        "enum-labels",
        "role-type",
        "check-each",
    ],
)
def test_a_wrong_declaration_is_an_error_at_its_line(tmp_path, old, new, message):
    folder = policy_copy(tmp_path / "policy")
    assert DECLARED.count(old) == 1, old
    (folder / "catalogs.yaml").write_text(DECLARED.replace(old, new), encoding="utf-8")
    r = check(folder)
    assert r.returncode == 1, r.stdout + r.stderr
    assert message in r.stderr, r.stderr
    assert re.search(r"policy/catalogs\.yaml:\d+:\d+", r.stderr), r.stderr
    assert "Traceback" not in r.stderr
