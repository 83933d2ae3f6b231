"""The `policy catalog` click group: check, publish, diff and their exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from commands.catalog import catalog

FIXTURES = Path(__file__).parent.parent / "catalogs" / "fixtures"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"
DIFF = FIXTURES / "diff"


def run(*args):
    result = CliRunner().invoke(catalog, [str(a) for a in args])
    # never a traceback: only a clean SystemExit (or none) may end a command
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def broken_dir(tmp_path, **replace):
    out = tmp_path / "cats"
    shutil.copytree(VALID, out)
    for kind, name in replace.items():
        shutil.copy(BROKEN / f"{name}.yaml", out / f"{kind}.yaml")
    return out


# ------------------------------------------------------------------- check


def test_check_bundled_catalogues():
    r = run("check")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "ok: 4 catalogues, 39 entries in policy taierzhuang-2020-4\n"
    assert r.stderr == ""


def test_check_reports_errors_with_positions_and_exits_1(tmp_path):
    folder = broken_dir(
        tmp_path, key_industry="key_industry_schema", institutions="institutions_periods"
    )
    r = run("check", folder)
    assert r.exit_code == 1
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    heads = [x for x in lines if x.startswith(str(folder))]
    assert len(heads) == 10
    assert heads[1] == (
        f"{folder}/key_industry.yaml:13:12 catalogue key_industry ZD-001: "
        '标准课时 (hours): expected a number, found "很多"'
    )
    assert any(
        h.startswith(f"{folder}/institutions.yaml:48:51 catalogue institutions JG-104: ")
        for h in heads
    )
    assert lines[-2] == f"10 error(s) in {folder}"
    # the code's form, a declared check of an entry on its own, is reported too
    assert any(h.startswith(f"{folder}/key_industry.yaml:34:11 ") for h in heads)
    # with errors in the entries, the checks reading other catalogues wait (and it says so)
    assert lines[-1].startswith("(the declared checks that read other catalogues run once")
    assert "Traceback" not in r.output


def test_check_json_for_tools(tmp_path):
    folder = broken_dir(tmp_path, demand="demand_dangling")
    r = run("check", folder, "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["ok"] is False
    assert [
        (Path(e["file"]).name, e["line"], e["column"], e["context"]) for e in data["errors"]
    ] == [
        ("demand.yaml", 11, 76, "catalogue demand code=XQ-0002"),
        ("demand.yaml", 12, 93, "catalogue demand code=XQ-0003"),
    ]
    assert data["catalogues"]["demand"]["entries"] == 3
    ok = json.loads(run("check", VALID, "--format", "json").stdout)
    assert ok["ok"] is True and ok["errors"] == []


def test_check_bad_input_exits_2(tmp_path):
    r = run("check", tmp_path / "nope")
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = run("check", tmp_path)  # a folder with no catalogue
    assert r.exit_code == 2
    assert r.stderr.startswith(
        f"{tmp_path}: none of the catalogue files of the policy is in this folder"
    )
    r = run("check", tmp_path, "--format", "json")
    assert r.exit_code == 2 and json.loads(r.stdout)["ok"] is False
    r = run("check", "--format", "xml")
    assert r.exit_code == 2


# ----------------------------------------------------------------- publish


def test_publish(tmp_path):
    r = run("publish", "--out", tmp_path / "site", "--catalogs", VALID)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip().endswith(
        f"published 22 files to {tmp_path / 'site'} (policy taierzhuang-2020-4)"
    )
    assert (tmp_path / "site" / "demand.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_publish_some_formats(tmp_path):
    r = run("publish", "--out", tmp_path, "--format", "md,json", "--catalogs", VALID)
    assert r.exit_code == 0
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json"] * 5 + [".md"] * 4


def test_publish_refuses_catalogues_with_errors(tmp_path):
    folder = broken_dir(tmp_path, general="general_duplicates")
    out = tmp_path / "site"
    r = run("publish", "--out", out, "--catalogs", folder)
    assert r.exit_code == 1
    assert "the key code=YB-002 is used twice (also at line 11)" in r.stderr
    assert r.stderr.splitlines()[-2] == f"not published: 2 error(s) in {folder}"
    assert not out.exists()


def test_publish_bad_usage_exits_2(tmp_path):
    assert run("publish", "--out", tmp_path, "--format", "pdf").exit_code == 2
    assert run("publish").exit_code == 2  # --out is required
    f = tmp_path / "file"
    f.write_text("x")
    assert run("publish", "--out", f).exit_code == 2  # not a folder
    assert run("publish", "--out", tmp_path / "o", "--catalogs", tmp_path).exit_code == 2


# -------------------------------------------------------------------- diff


def test_diff_text_and_markdown():
    r = run("diff", DIFF / "general_2020.yaml", DIFF / "general_2021.yaml")
    assert r.exit_code == 0
    assert "  + YB-005 电子商务（网店运营）\n" in r.stdout
    assert "      hours: 120 -> 160\n" in r.stdout
    r = run("diff", DIFF / "general_2020.yaml", DIFF / "general_2021.yaml", "--format", "md")
    assert r.exit_code == 0
    assert r.stdout.startswith("# 一般性职业技能培训目录变更说明\n")
    assert "| YB-003 | 保安员 |" in r.stdout


def test_diff_exit_codes(tmp_path):
    r = run("diff", VALID / "general.yaml", VALID / "demand.yaml")
    assert r.exit_code == 2 and "compare two editions of the same catalogue" in r.stderr
    r = run("diff", BROKEN / "key_industry_syntax.yaml", VALID / "key_industry.yaml")
    assert r.exit_code == 2 and "YAML syntax" in r.stderr
    r = run("diff", BROKEN / "general_duplicates.yaml", DIFF / "general_2021.yaml")
    assert r.exit_code == 1 and "general_duplicates.yaml:13:5" in r.stderr
    r = run("diff", VALID / "general.yaml", FIXTURES / "valid" / ".." / "diff" / "x.yaml")
    assert r.exit_code == 2
    other = tmp_path / "other.yaml"
    other.write_text("catalogue: generals\nentries: []\n", encoding="utf-8")
    r = run("diff", VALID / "general.yaml", other)
    assert r.exit_code == 2 and "names no catalogue of the policy" in r.stderr
    assert "its catalogues: key_industry, general, institutions, demand" in r.stderr
    assert run("diff", tmp_path / "missing.yaml", VALID / "general.yaml").exit_code == 2
    assert run("diff", VALID / "general.yaml").exit_code == 2
    assert (
        run(
            "diff", DIFF / "general_2020.yaml", DIFF / "general_2021.yaml", "--format", "html"
        ).exit_code
        == 2
    )


# -------------------------------------------------------------------- help


@pytest.mark.parametrize(
    "args, words",
    [
        ([], ["check", "publish", "diff", "catalogs.yaml", "--policy", "Exit status"]),
        (["check"], ["--format", "file:line:col", "policy catalog check"]),
        (["publish"], ["--out", "--format", "--catalogs", "BOM", "policy catalog publish"]),
        (["diff"], ["OLD", "NEW", "--format", "policy catalog diff"]),
    ],
)
def test_help_texts(args, words):
    r = run(*args, "--help")
    assert r.exit_code == 0
    for word in words:
        assert word in r.stdout, word


def test_mounted_under_a_main_group():
    main = click.Group("policy")
    main.add_command(catalog)
    r = CliRunner().invoke(main, ["catalog", "check", str(VALID)])
    assert r.exit_code == 0 and r.stdout.startswith("ok: 4 catalogues, 13 entries")
