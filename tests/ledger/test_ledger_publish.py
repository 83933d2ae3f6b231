"""The publicity list (公示) with names and ID numbers masked, and the export
that `policy report` reads."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json

from click.testing import CliRunner

from cli import cli
from ledger.publish import render
from tests.ledger.helpers import person, project, vocational


def approved_claims(ledger):
    zhang = person(50)
    a = ledger.submit("alice", vocational(zhang, "电工", name="张伟三"))
    ledger.review("bob", a.id, approve=True)
    b = ledger.submit("alice", vocational(person(51), "焊工", name="欧阳明"))
    ledger.review("bob", b.id, approve=True)
    c = ledger.submit("alice", vocational(person(52), "车工", name="李四"))
    ledger.review("bob", c.id, approve=False, reason="不符合条件")
    d = ledger.submit("alice", vocational(person(53), "钳工", name="王五"))  # not reviewed
    p = ledger.submit("alice", project())
    ledger.review("bob", p.id, approve=True)
    return zhang, a, b, c, d, p


def test_the_publicity_list_is_masked(ledger):
    zhang, a, b, _c, _d, p = approved_claims(ledger)
    today = _dt.date.fromisoformat(ledger._now()[:10])
    lst = ledger.publicity("dora", today, today)
    rows = {r["application"]: r for r in lst.rows}
    assert set(rows) == {a.id, b.id, p.id}  # approved only
    assert rows[a.id]["name"] == "张*三"
    assert rows[a.id]["id_number"] == zhang[:4] + "*" * 10 + zhang[-4:]
    assert rows[b.id]["name"] == "欧*明"
    assert (
        rows[a.id]["program"],
        rows[a.id]["occupation"],
        rows[a.id]["level"],
        rows[a.id]["amount"],
    ) == ("职业培训补贴", "电工", "中级", "1500.00")
    assert rows[p.id]["amount"] == "45000.00" and rows[p.id]["name"] is None
    for fmt in ("html", "csv", "json"):
        out = render(lst, fmt)
        assert zhang not in out and "张伟三" not in out and "欧阳明" not in out
    table = list(csv.reader(io.StringIO(render(lst, "csv"))))
    assert table[0] == [
        "申请编号",
        "审核通过日期",
        "姓名",
        "身份证号",
        "补贴项目",
        "职业（工种）",
        "等级",
        "金额（元）",
    ]
    assert len(table) == 4
    html = render(lst, "html")
    assert "张*三" in html and '<td class="num">1500.00</td>' in html
    assert "48000.00" in html  # the total
    # a period with no approval lists nothing
    assert (
        ledger.publicity("dora", today - _dt.timedelta(days=30), today - _dt.timedelta(days=1)).rows
        == []
    )


def test_the_export_is_what_policy_report_reads(ledger, tmp_path, db_url):
    approved_claims(ledger)
    out = tmp_path / "granted.jsonl"
    r = CliRunner().invoke(
        cli, ["ledger", "export", "--granted", "--out", str(out), "--db", db_url, "--user", "dora"]
    )
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["ledger"]["status"] for line in lines] == ["approved"] * 3
    # the level each is counted under, as `policy batch` writes it ("—": none)
    assert {d["level"] for line in lines for d in line["decisions"]} == {"中级", "—"}
    r = CliRunner().invoke(cli, ["report", str(out), "--format", "md"])
    assert r.exit_code == 0, r.output
    assert "2020年第2季度" in r.output and "3,000.00" in r.output  # the two 1500.00 grants
    everything = list(ledger.export("dora"))
    assert len(everything) == 5  # every claim, any state
    assert {line["ledger"]["status"] for line in everything} == {
        "approved",
        "rejected",
        "submitted",
    }


def test_publicity_from_the_command_line(ledger, db_url, tmp_path):
    approved_claims(ledger)
    out = tmp_path / "gongshi.html"
    r = CliRunner().invoke(
        cli,
        [
            "ledger",
            "publicity",
            "--format",
            "html",
            "--out",
            str(out),
            "--db",
            db_url,
            "--user",
            "rita",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "补贴公示" in out.read_text(encoding="utf-8")
    r = CliRunner().invoke(
        cli,
        [
            "ledger",
            "publicity",
            "--format",
            "json",
            "--from",
            "2030-01-02",
            "--until",
            "2030-01-01",
            "--db",
            db_url,
            "--user",
            "rita",
        ],
    )
    assert r.exit_code == 2 and "before it starts" in r.output


def test_outputs_are_never_overwritten_silently(ledger, db_url, tmp_path):
    approved_claims(ledger)
    out = tmp_path / "granted.jsonl"
    out.write_text("keep me\n", encoding="utf-8")
    args = ["ledger", "export", "--out", str(out), "--db", db_url, "--user", "dora"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2 and "--force" in r.output
    assert out.read_text(encoding="utf-8") == "keep me\n"
    r = CliRunner().invoke(cli, [*args, "--force"])
    assert r.exit_code == 0 and len(out.read_text(encoding="utf-8").splitlines()) == 5
    if db_url.startswith("sqlite:///"):
        own = db_url.removeprefix("sqlite:///")
        r = CliRunner().invoke(
            cli, ["ledger", "publicity", "--out", own, "--force", "--db", db_url, "--user", "dora"]
        )
        assert r.exit_code == 2  # never over the ledger itself
        assert ledger.verify("dora").ok
