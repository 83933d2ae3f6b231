"""`policy ledger notice APP`: the decision notice of a stored claim, numbered
and dated by its review, on both databases."""

from __future__ import annotations

import datetime as _dt
import json
import subprocess

from click.testing import CliRunner

from cli import cli
from tests.ledger.helpers import person, vocational


def run(args, db_url, user=None):
    env = {"POLICY_DB": db_url}
    if user:
        env["POLICY_USER"] = user
    return CliRunner().invoke(cli, ["ledger", *args], env=env)


def submit(db_url, tmp_path, seed, name="李明") -> str:
    from ledger.model import dumps_exact

    path = tmp_path / f"case{seed}.json"
    path.write_text(dumps_exact(vocational(person(seed), name=name)), encoding="utf-8")
    r = run(["submit", str(path), "--format", "json"], db_url, "alice")
    assert r.exit_code == 0, r.output
    return str(json.loads(r.output)["id"])


def visible(html: str) -> str:
    import re

    body = html.split("<body>", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_notices_of_a_draft_an_approval_and_a_rejection(db_url, tmp_path):
    today = _dt.date.today()
    draft = submit(db_url, tmp_path, 41, name="王芳")
    r = run(["notice", draft], db_url, "alice")
    assert r.exit_code == 0, r.output
    text = visible(r.output)
    assert "样稿" in text and "（未编号）" in text and "王芳" in text
    assert "壹仟伍佰元整" in text  # what the rules decided, not yet granted
    # a read-only user's: the name masked, as on the officer pages
    r = run(["notice", draft], db_url, "rita")
    assert r.exit_code == 0, r.output
    text = visible(r.output)
    assert "申请人 王* " in text and "王芳" not in text and "壹仟伍佰元整" in text

    r = run(["review", draft, "--approve"], db_url, "bob")
    assert r.exit_code == 0, r.output
    r = run(["notice", draft], db_url, "rita")
    text = visible(r.output)
    assert "样稿" not in text
    assert f"台人社培补审〔{today.year}〕{int(draft):06d}号" in text
    assert "予以补贴" in text and "¥1,500.00" in text and "壹仟伍佰元整" in text
    assert f"{today.year}年{today.month}月{today.day}日" in text  # the day of the review

    refused = submit(db_url, tmp_path, 42)
    r = run(["review", refused, "--reject", "--reason", "培训签到记录不实"], db_url, "bob")
    assert r.exit_code == 0, r.output
    r = run(["notice", refused], db_url, "rita")
    text = visible(r.output)
    assert "经复核，不予补贴。理由：培训签到记录不实" in text
    assert "¥" not in text and "元整" not in text
    assert "自收到本通知书之日起60日内" in text


def test_a_printed_notice_from_the_ledger(db_url, tmp_path):
    app = submit(db_url, tmp_path, 43)
    run(["review", app, "--approve"], db_url, "bob")
    out = tmp_path / "notice.pdf"
    r = run(["notice", app, "--format", "pdf", "--out", str(out)], db_url, "rita")
    assert r.exit_code == 0, r.output
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "壹仟伍佰元整" in text and f"{int(app):06d}号" in text
    r = run(["notice", app, "--format", "pdf", "--out", str(out)], db_url, "rita")
    assert r.exit_code == 2 and "--force" in r.output  # not replaced unasked
    r = run(["notice", "999"], db_url, "rita")
    assert r.exit_code == 2 and "no application 999" in r.output
