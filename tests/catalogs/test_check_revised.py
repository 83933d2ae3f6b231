"""`policy catalog check` checks the catalogues as decisions read them: with
the entries the policy's revisions add or replace applied (its revisions/
folder, and --revision FILE), to the policy's own data files and to a folder
of data files (check DIR) alike. Real policy folders (a copy of the shipped
one), the installed command, exact messages at file:line:col."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, policy_copy

HEAD = """revision:
  id: {id}
  number: 测试〔2021〕{n}号
  issued: 2021-06-01
  amends: taierzhuang-2020-4
clauses:
  - id: 测试-一
    text: 本通知所列调整自2021年6月1日起施行。
changes:
"""

# an institution teaching a course no training catalogue lists
BAD_INSTITUTION = """  - add_catalogue_entry:
      catalogue: institutions
      entry:
        code: JG-199
        name: 新设培训学校（示例）
        ownership: 民办
        licence: 民办学校办学许可证（示例）
        sample: true
        courses:
          - {course: YB-999, levels: [初级]}
        status:
          - {status: active, from: 2021-01-01, reason: 经审核列入目录（示例）}
"""

# a new course of the general catalogue
NEW_COURSE = """  - add_catalogue_entry:
      catalogue: general
      entry: {code: YB-099, name: 无人机驾驶员（示例）, levels: [初级], hours: 80, sample: true}
"""

REPLACE_COURSE = """  - replace_catalogue_entry:
      catalogue: general
      entry: {code: YB-010, name: 电商直播（示例）, levels: [专项], hours: 60, sample: true}
"""


def revision(path: Path, body: str, n: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD.format(id=f"test-{n}", n=n) + body, encoding="utf-8")
    return path


def policy(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def line_col(path: Path, needle: str) -> tuple[int, int]:
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return no, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in {path}")


def test_a_revision_entry_failing_a_check_is_an_error_at_its_line(tmp_path):
    pol = policy_copy(tmp_path / "pol")
    rev = revision(pol / "revisions" / "r1.yaml", BAD_INSTITUTION)
    line, col = line_col(rev, "YB-999")
    head = (
        f"pol/revisions/r1.yaml:{line}:{col} catalogue institutions code=JG-199: "
        "可培训项目须是重点产业职业技能培训指导目录或一般性职业技能培训目录中的项目 "
        "(check courses_in_catalogues: item.course in catalog.course_codes)"
    )
    for args in (("--policy", "pol"), ("pol/catalogs", "--policy", "pol")):
        r = policy(tmp_path, "catalog", "check", *args)
        assert r.returncode == 1, r.stderr
        lines = r.stderr.splitlines()
        assert lines[0] == head, r.stderr
        # the revision's own line, with a caret under the course
        assert lines[1].strip() == "- {course: YB-999, levels: [初级]}"
        assert lines[2].index("^") == lines[1].index("YB-999")
        assert "Traceback" not in r.stderr and r.stdout == ""


def test_check_dir_applies_the_revisions_entries(tmp_path):
    """A folder whose institution teaches the course a revision adds: right
    with the revision, wrong without it."""
    pol = policy_copy(tmp_path / "pol")
    folder = tmp_path / "next"
    shutil.copytree(pol / "catalogs", folder)
    inst = folder / "institutions.yaml"
    text = inst.read_text(encoding="utf-8")
    old = "{course: YB-009, levels: [初级, 中级]}"
    assert old in text
    inst.write_text(text.replace(old, "{course: YB-099, levels: [初级]}", 1), encoding="utf-8")
    line, col = line_col(inst, "YB-099")

    r = policy(tmp_path, "catalog", "check", "next", "--policy", "pol")
    assert r.returncode == 1
    assert r.stderr.splitlines()[0] == (
        f"next/institutions.yaml:{line}:{col} catalogue institutions code=JG-001: "
        "可培训项目须是重点产业职业技能培训指导目录或一般性职业技能培训目录中的项目 "
        "(check courses_in_catalogues: item.course in catalog.course_codes)"
    )
    assert r.stderr.splitlines()[-1] == "1 error(s) in next"

    # a what-if: the revision given on the command line
    rev = revision(tmp_path / "r1.yaml", NEW_COURSE)
    r = policy(tmp_path, "catalog", "check", "next", "--policy", "pol", "--revision", rev)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == (
        "ok: 4 catalogues, 40 entries in next, with revision r1.yaml (测试〔2021〕1号) applied\n"
    )
    # issued: in the policy's revisions/ folder
    (pol / "revisions").mkdir()
    shutil.copy(rev, pol / "revisions" / "r1.yaml")
    r = policy(tmp_path, "catalog", "check", "next", "--policy", "pol", "--format", "json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["ok"] is True and got["errors"] == []
    assert got["revisions"] == [{"file": "pol/revisions/r1.yaml", "revision": "测试〔2021〕1号"}]
    assert got["catalogues"]["general"]["entries"] == 11
    # the policy's own files, with the same revision
    r = policy(tmp_path, "catalog", "check", "--policy", "pol")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "ok: 4 catalogues, 40 entries in policy taierzhuang-2020-4, "
        "with revision pol/revisions/r1.yaml (测试〔2021〕1号) applied\n"
    )


def test_a_revision_replacing_an_entry_the_folder_lacks(tmp_path):
    """The edition in DIR dropped the entry a revision replaces: the error is
    at the revision's line and says which revision, applied to which folder."""
    pol = policy_copy(tmp_path / "pol")
    rev = revision(pol / "revisions" / "r2.yaml", REPLACE_COURSE, n=2)
    # the policy's own files have YB-010: fine
    r = policy(tmp_path, "catalog", "check", "--policy", "pol")
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "next"
    shutil.copytree(pol / "catalogs", folder)
    general = folder / "general.yaml"
    text = general.read_text(encoding="utf-8")
    general.write_text(text[: text.index("  - code: YB-010")], encoding="utf-8")
    line, col = line_col(rev, "{code: YB-010")
    r = policy(tmp_path, "catalog", "check", "next", "--policy", "pol")
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[0] == (
        f"pol/revisions/r2.yaml:{line}:{col} change replace_catalogue_entry of revision "
        "测试〔2021〕2号, applied to next: catalogue general has no entry code=YB-010 to replace"
    )
    assert lines[2].index("^") == lines[1].index("{code: YB-010")
    assert lines[-2] == (
        "1 error(s) in next, with revision pol/revisions/r2.yaml (测试〔2021〕2号) applied"
    )


def test_publish_shows_the_revisions_entries(tmp_path):
    policy_copy(tmp_path / "pol")
    rev = revision(tmp_path / "r1.yaml", NEW_COURSE)
    r = policy(
        tmp_path, "catalog", "publish", "--policy", "pol", "--revision", rev, "--out", "site"
    )
    assert r.returncode == 0, r.stderr
    rows = json.loads((tmp_path / "site" / "general.json").read_text(encoding="utf-8"))
    text = json.dumps(rows, ensure_ascii=False)
    assert "YB-099" in text and "无人机驾驶员（示例）" in text


def test_help_says_revisions_are_applied():
    r = policy(ROOT, "catalog", "check", "--help")
    assert r.returncode == 0
    assert "--revision FILE" in r.stdout
    assert "revisions/ folder" in r.stdout
