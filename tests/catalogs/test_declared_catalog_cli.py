"""`policy catalog check|publish|diff --policy DIR` work from the catalogues a
policy declares (catalogs.yaml): the second package's catalogue is checked,
published as a site (titles and preamble from its data) and compared."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from tests.helpers import ROOT

NATIONAL = ROOT / "examples" / "policies" / "guobanfa-2019-24"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check(tmp_path):
    r = run("catalog", "check", "--policy", NATIONAL, "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["policy"] == "guobanfa-2019-24"
    assert out["catalogues"]["occupations"]["entries"] == 5
    bad = tmp_path / "national"
    shutil.copytree(NATIONAL, bad)
    data = bad / "catalogs" / "occupations.yaml"
    data.write_text(
        data.read_text(encoding="utf-8").replace(
            "levels: [初级], from: 2019-06-01", "levels: [], from: 2019-06-01"
        ),
        encoding="utf-8",
    )
    r = run("catalog", "check", "--policy", bad)
    assert r.returncode == 1
    assert "occupations.yaml:14:" in r.stderr and "条目须至少列出一个补贴等级" in r.stderr
    # for tools: the same error as one JSON object on stdout, not text on stderr
    r = run("catalog", "check", "--policy", bad, "--format", "json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["checked"] is False
    (err,) = out["errors"]
    assert err["file"].endswith("occupations.yaml") and err["line"] == 14
    assert "条目须至少列出一个补贴等级" in err["message"]


def test_publish_a_site_from_the_declaration(tmp_path):
    site = tmp_path / "site"
    r = run("catalog", "publish", "--policy", NATIONAL, "--out", site)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in site.iterdir()) == [
        "index.html",
        "index.json",
        "occupations.csv",
        "occupations.html",
        "occupations.json",
        "occupations.md",
        "occupations.xlsx",
    ]
    page = (site / "occupations.html").read_text(encoding="utf-8")
    # the edition's title (its data file's), its header and note, from the data
    assert "<h1>示例市补贴性职业技能培训目录（示例）</h1>" in page
    assert "2019年第1版（示例）" in page and "不是官方数据" in page
    assert '<button type="button">补贴等级</button>' in page
    assert "<td>初级、中级、高级</td>" in page
    assert 'id="sample-banner"' in page and page.count('<tr class="sample"') == 5
    assert "policy guobanfa-2019-24 · sha256:" in page
    data = json.loads((site / "occupations.json").read_text(encoding="utf-8"))
    assert data["policy"]["id"] == "guobanfa-2019-24"
    assert [e["code"] for e in data["entries"]] == [
        "GJ-001",
        "GJ-002",
        "GJ-003",
        "GJ-004",
        "GJ-005",
    ]
    assert data["entries"][0]["until"] is None and data["entries"][3]["until"] == "2020-12-31"
    assert data["policy"]["hash"].startswith("sha256:")
    again = run("catalog", "publish", "--policy", NATIONAL, "--out", site)
    assert again.returncode == 2 and "--force" in again.stderr
    assert run("catalog", "publish", "--policy", NATIONAL, "--out", site, "--force").returncode == 0


def test_diff_two_editions(tmp_path):
    old = NATIONAL / "catalogs" / "occupations.yaml"
    new = tmp_path / "occupations-2021.yaml"
    new.write_text(
        old.read_text(encoding="utf-8")
        .replace(
            "{code: GJ-003, name: 养老护理员, levels: [初级, 中级]",
            "{code: GJ-003, name: 养老护理员, levels: [初级, 中级, 高级]",
        )
        .replace(
            "  - {code: GJ-005, name: 电子商务师, levels: [中级, 高级], from: 2020-07-01, sample: true}\n",
            "",
        )
        + "  - {code: GJ-007, name: 碳排放管理员, levels: [中级], from: 2021-01-01, sample: true}\n",
        encoding="utf-8",
    )
    r = run("catalog", "diff", old, new, "--policy", NATIONAL)
    assert r.returncode == 0, r.stderr
    assert "added (1):\n  + GJ-007 碳排放管理员\n" in r.stdout
    assert "removed (1):\n  - GJ-005 电子商务师\n" in r.stdout
    assert (
        "changed (1):\n  ~ GJ-003 养老护理员\n      levels: 初级、中级 -> 初级、中级、高级\n"
        in r.stdout
    )
