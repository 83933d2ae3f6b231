"""catalog diff: entries added, removed and changed between two editions of
a declared catalogue, matched by its declared key, shown as the pages show
them; the same over the second policy package."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogs.diff import DiffUsageError, diff_catalogues, read_edition, render_md, render_text
from interpreter.loader import load_policy
from tests.helpers import ROOT

DIFF = Path(__file__).parent / "fixtures" / "diff"
VALID = Path(__file__).parent / "fixtures" / "valid"
NATIONAL = ROOT / "examples" / "policies" / "guobanfa-2019-24"


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def load(policy, path):
    decl, errors = read_edition(policy, path)
    assert errors == []
    return decl


@pytest.fixture(scope="module")
def result(policy):
    return diff_catalogues(
        load(policy, DIFF / "general_2020.yaml"), load(policy, DIFF / "general_2021.yaml")
    )


def test_added_removed_changed(result):
    assert result.catalogue == "general"
    assert result.added == (("YB-005", "电子商务（网店运营）"),)
    assert result.removed == (("YB-003", "保安员"),)
    assert [(c.key, [(f.field, f.old, f.new) for f in c.changes]) for c in result.changed] == [
        (
            "YB-001",
            [("levels", "初级、中级、高级", "初级、中级、高级、技师"), ("hours", "120", "160")],
        ),
        ("YB-004", [("note", "", "增加备注")]),
    ]
    assert [(h.field, h.old, h.new) for h in result.header] == [
        ("edition", "2020年版", "2021年版"),
        ("issued", "2020-04-30", "2021-03-01"),
    ]


def test_text_rendering(result):
    text = render_text(result)
    body = text.split("\n", 3)[3]
    assert body == (
        "header:\n"
        "  edition: 2020年版 -> 2021年版\n"
        "  issued: 2020-04-30 -> 2021-03-01\n"
        "added (1):\n"
        "  + YB-005 电子商务（网店运营）\n"
        "removed (1):\n"
        "  - YB-003 保安员\n"
        "changed (2):\n"
        "  ~ YB-001 养老护理员\n"
        "      levels: 初级、中级、高级 -> 初级、中级、高级、技师\n"
        "      hours: 120 -> 160\n"
        "  ~ YB-004 美发师\n"
        "      note: (none) -> 增加备注\n"
    )
    assert text.startswith("general (一般性职业技能培训目录): 2020年版 -> 2021年版\n")


def test_markdown_rendering(result):
    md = render_md(result)
    assert md.startswith("# 一般性职业技能培训目录变更说明\n")
    assert "- 新增 1 条，删除 1 条，变更 2 条" in md
    assert "## 新增条目\n\n| 代码 | 名称 |\n|---|---|\n| YB-005 | 电子商务（网店运营） |\n" in md
    assert "## 删除条目\n\n| 代码 | 名称 |\n|---|---|\n| YB-003 | 保安员 |\n" in md
    assert "| YB-001 | 养老护理员 | hours（标准课时） | 120 | 160 |" in md
    assert "| YB-004 | 美发师 | note（备注） |  | 增加备注 |" in md


def test_nested_fields_of_institutions_are_compared(policy, tmp_path):
    old = load(policy, VALID / "institutions.yaml")
    text = (
        (VALID / "institutions.yaml")
        .read_text("utf-8")
        .replace(
            "- {status: active, from: 2021-06-01, reason: 复评合格}",
            "- {status: active, from: 2021-06-01, until: 2021-12-31, reason: 复评合格}\n"
            "      - {status: exited, from: 2022-01-01, reason: 退出}",
        )
    )
    (tmp_path / "institutions.yaml").write_text(text, "utf-8")
    d = diff_catalogues(old, load(policy, tmp_path / "institutions.yaml"))
    assert [c.key for c in d.changed] == ["JG-101"]
    (change,) = d.changed[0].changes
    assert change.field == "status"
    # the status's label (declared `labels:`), the period as one from至until
    assert change.old.endswith("在册（2021-06-01起，复评合格）")
    assert change.new.endswith(
        "在册（2021-06-01至2021-12-31，复评合格）；退出（2022-01-01起，退出）"
    )


def test_identical_editions_have_no_changes(policy):
    cat = load(policy, DIFF / "general_2020.yaml")
    d = diff_catalogues(cat, cat)
    assert d.empty
    assert render_text(d).endswith("no changes\n")
    assert "两版之间没有变化。" in render_md(d)


def test_different_catalogues_cannot_be_compared(policy):
    with pytest.raises(ValueError, match="cannot compare a general catalogue with a demand"):
        diff_catalogues(load(policy, VALID / "general.yaml"), load(policy, VALID / "demand.yaml"))


def test_a_file_of_no_catalogue_of_the_policy_is_refused(policy, tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("catalogue: occupations\nentries: []\n", encoding="utf-8")
    with pytest.raises(DiffUsageError) as info:
        read_edition(policy, f)
    assert info.value.exit_code == 2
    assert info.value.position.line == 1
    assert "its catalogues: key_industry, general, institutions, demand" in info.value.message
    # the same file is an edition of the second package's own catalogue
    national = load_policy(NATIONAL)
    decl, errors = read_edition(national, f)
    assert decl.id == "occupations" and errors == [] and decl.entries == []
