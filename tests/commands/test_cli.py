"""The `policy` command end to end, through click's runner and as installed."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from tests.helpers import ROOT, squashed

EXAMPLES = ROOT / "examples"


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def test_eval_text_report_in_chinese_cites_the_source():
    r = run("eval", EXAMPLES / "skill_upgrade_senior.json", "--full")
    assert r.exit_code == 0, r.output
    assert "技能提升补贴 (skill_upgrade) — 符合条件" in r.output
    assert "补贴金额: 2,000.00 元" in r.output
    assert squashed("六（二）「累计缴纳失业保险费12个月以上") in squashed(r.output)
    assert "技能提升补贴标准[高级] = 2,000.00 元" in r.output


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_eval_asked_for_a_document_names_the_notice(fmt):
    """`policy eval --format html` was refused with only its own formats: a
    user asking for a document of the decision is sent to `policy notice`."""
    r = run("eval", EXAMPLES / "skill_upgrade_senior.json", "--format", fmt)
    assert r.exit_code == 2
    assert f"policy notice CASE.json --format {fmt} --out FILE" in r.output
    assert "Traceback" not in r.output
    r = run("eval", EXAMPLES / "skill_upgrade_senior.json", "--format", "xml")
    assert r.exit_code == 2 and "'xml' is not one of 'text', 'json'" in r.output


def test_eval_text_report_in_english():
    r = run("eval", EXAMPLES / "skill_upgrade_short_insurance.json", "--lang", "en", "--full")
    assert r.exit_code == 0
    assert "Skill" in r.output and "ineligible" in r.output
    assert "needed: applicant.insured_months >= standards.skill_upgrade_min_months" in r.output


def test_eval_json_is_stable_and_complete():
    a = run("eval", EXAMPLES / "apprenticeship_typical.json", "--format", "json")
    b = run("eval", EXAMPLES / "apprenticeship_typical.json", "--format", "json")
    assert a.exit_code == 0 and a.output == b.output
    data = json.loads(a.output)
    assert data["policy"]["id"] == "taierzhuang-2020-4"
    assert data["policy"]["hash"].startswith("sha256:")
    assert any(k.endswith("programs/apprenticeship.yaml") for k in data["policy"]["files"])
    assert data["case"]["as_of"] == "2021-09-15"
    (d,) = data["decisions"]
    assert (d["program"], d["outcome"], d["amount"]) == ("apprenticeship", "eligible", "4399.80")
    assert d["missing"] == [] and d["failing"] == []
    assert all(c["result"] is True for c in d["clauses"])
    assert {"clause", "quote", "title"} <= set(d["citations"][0])


def test_eval_as_of_overrides_the_case_date():
    r = run(
        "eval", EXAMPLES / "skill_upgrade_senior.json", "--as-of", "2022-03-01", "--format", "json"
    )
    d = json.loads(r.output)
    assert d["case"]["as_of_source"] == "--as-of"
    assert d["decisions"][0]["outcome"] == "ineligible"
    assert d["decisions"][0]["failing"] == ["in_force"]


def test_eval_undetermined_lists_missing_facts():
    r = run("eval", EXAMPLES / "skill_upgrade_missing_insurance.json", "--format", "json")
    (d,) = json.loads(r.output)["decisions"]
    assert d["outcome"] == "undetermined"
    assert d["missing"] == ["applicant.insured_months"]
    assert d["amount"] is None


@pytest.mark.parametrize(
    "content, expect",
    [
        ("{not json", "not valid JSON"),
        ("", "empty"),
        ('{"applicant": {"insured_month": 14}}', "applicant.insured_month"),
        ('{"applicant": {"insured_months": "14"}}', "expected a number"),
        ('{"certificate": {"level": "中纪"}}', "中级"),
        ('{"certificate": {"date": "2020-02-30"}}', "not a real date"),
        ('{"applicant": {"insured_months": NaN}}', "NaN"),
        ('{"applicant": {"insured_months": 1e400}}', "not a usable number"),
        ('{"applicant": {"insured_months": 900}}', "above the largest allowed value"),
        ('{"a": 1, "a": 2}', "given twice"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_bad_case_file_exit_2_one_clear_message(tmp_path, content, expect):
    case = tmp_path / "case.json"
    case.write_text(content, encoding="utf-8")
    r = run("eval", case)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert str(case) in r.output
    assert expect in r.output
    assert "元" not in r.output


def test_case_not_utf8(tmp_path):
    case = tmp_path / "case.json"
    case.write_bytes('{"applicant": {"name": "张三"}}'.encode("gbk"))
    r = run("eval", case)
    assert r.exit_code == 2 and "not UTF-8" in r.output


def test_broken_policy_exit_1_with_position_and_caret(policy_copy):
    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    assert "expr: applicant.insured_months >= standards.skill_upgrade_min_months" in text
    text = text.replace(
        "expr: applicant.insured_months >= standards.skill_upgrade_min_months",
        "expr: applicant.insured_months >=",
    )
    prog.write_text(text, encoding="utf-8")
    line = next(
        i
        for i, x in enumerate(text.splitlines(), 1)
        if x.strip() == "expr: applicant.insured_months >="
    )
    col = text.splitlines()[line - 1].index("applicant") + 1
    r = run("eval", EXAMPLES / "skill_upgrade_senior.json", "--policy", policy_copy)
    assert r.exit_code == 1
    want = (
        f"programs/skill_upgrade.yaml:{line}:{col + 27} clause skill_upgrade.insured_12_months: "
        "expected a value after '>='"
    )
    assert want in r.output
    assert "  applicant.insured_months >=\n" + " " * 29 + "^" in r.output


def test_check_lists_every_error(policy_copy):
    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    text = text.replace("applicant.insured_months >=", "applicant.insured_month >=", 1)
    text = text.replace('"高级"', '"高纪"', 1)
    prog.write_text(text, encoding="utf-8")
    r = run("check", policy_copy)
    assert r.exit_code == 1
    assert "unknown field 'insured_month' of applicant" in r.output
    assert "did you mean 'insured_months'?" in r.output
    assert '"高纪" is not a value of enum' in r.output
    assert "2 error(s)" in r.output


def test_check_bundled_policy_is_clean():
    r = run("check")
    assert r.exit_code == 0, r.output
    assert "0 error(s)" in r.output


def test_check_json_for_tools(policy_copy):
    (policy_copy / "standards.yaml").write_text(
        (policy_copy / "standards.yaml")
        .read_text(encoding="utf-8")
        .replace("standards:", "standards:\n  standards:", 1),
        encoding="utf-8",
    )
    r = run("check", policy_copy, "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert data["errors"] and all(e["line"] for e in data["errors"])


def test_schema_is_generated_and_validates_every_example():
    import jsonschema

    r = run("schema")
    assert r.exit_code == 0
    schema = json.loads(r.output)
    # the certificate and its level may be stated none: {"none": true} beside their form
    certificate, none = schema["properties"]["certificate"]["anyOf"]
    assert none["properties"] == {"none": {"const": True}}
    level = certificate["properties"]["level"]["anyOf"][0]
    assert level["enum"][:3] == ["初级", "中级", "高级"]
    for f in EXAMPLES.glob("*.json"):
        jsonschema.validate(json.loads(f.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"certificate": {"level": "中纪"}}, schema)


def test_a_revised_standard_is_data_only(policy_copy):
    """A new dated value of a standard changes decisions from its date on."""
    std = policy_copy / "standards.yaml"
    text = std.read_text(encoding="utf-8")
    import yaml

    data = yaml.safe_load(text)
    first = data["standards"]["skill_upgrade"]["values"][0]
    assert first["value"]["高级"] == 2000
    text = text.replace("  skill_upgrade:\n", "  skill_upgrade:\n", 1)
    data["standards"]["skill_upgrade"]["values"][0]["until"] = __import__("datetime").date(
        2020, 9, 30
    )
    data["standards"]["skill_upgrade"]["values"].append(
        {
            "from": __import__("datetime").date(2020, 10, 1),
            "value": {"初级": 1200, "中级": 1800, "高级": 2400},
        }
    )
    std.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    r = run(
        "eval", EXAMPLES / "skill_upgrade_senior.json", "--policy", policy_copy, "--format", "json"
    )
    (d,) = json.loads(r.output)["decisions"]
    assert d["amount"] == "2400.00"
    assert [(s["id"], s["from"]) for s in d["standards"] if s["id"] == "skill_upgrade"] == [
        ("skill_upgrade", "2020-10-01")
    ]
    r = run(
        "eval",
        EXAMPLES / "skill_upgrade_senior.json",
        "--policy",
        policy_copy,
        "--as-of",
        "2020-09-30",
        "--format",
        "json",
    )
    assert json.loads(r.output)["decisions"][0]["amount"] == "2000.00"


def test_policy_test_command_passes_and_fails(tmp_path):
    r = run("test")
    assert r.exit_code == 0, r.output[-3000:]
    assert " 0 failed" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "tests:\n"
        "  - name: wrong amount on purpose\n"
        f"    case_file: {EXAMPLES / 'skill_upgrade_senior.json'}\n"
        "    expect:\n"
        '      skill_upgrade: {outcome: eligible, amount: "1500.00"}\n',
        encoding="utf-8",
    )
    r = run("test", bad)
    assert r.exit_code == 1
    assert "amount expected 1500.00, got 2000.00" in r.output
    assert "技能提升补贴 (skill_upgrade) — 符合条件" in r.output
    assert "0 passed, 1 failed" in r.output


def test_help_texts_for_every_command():
    for cmd in ("eval", "schema", "check", "test"):
        r = run(cmd, "--help")
        assert r.exit_code == 0
        assert "Usage:" in r.output and len(r.output) > 200


def _installed_policy():
    exe = Path(sys.executable).with_name("policy")
    return str(exe) if exe.exists() else shutil.which("policy")


@pytest.mark.skipif(
    _installed_policy() is None and not os.environ.get("CI"),
    reason="the `policy` command is not installed in this environment",
)
def test_installed_command_finds_bundled_policy_from_any_directory(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(
        (EXAMPLES / "living_allowance_capped.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [_installed_policy(), "eval", "case.json", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    (d,) = json.loads(out.stdout)["decisions"]
    assert (d["program"], d["amount"]) == ("living_allowance", "500.00")


def test_ctrl_c_at_the_password_prompt_is_an_interruption(tmp_path):
    """Ctrl-C typed at `policy ledger user passwd`'s prompt, on a real
    terminal: click.prompt turns it into click's Abort, which was reported as
    "internal error: Abort … this is a bug", exit 3. Now one line, 130."""
    import pty
    import select
    import time

    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    for args in (["init"], ["user", "add", "admin", "--role", "admin"]):
        r = CliRunner().invoke(cli, ["ledger", *args], env={"POLICY_DB": db})
        assert r.exit_code == 0, r.output
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command on the terminal
        os.environ.update(POLICY_DB=db, POLICY_USER="admin")
        os.execv(sys.executable, [sys.executable, "-c", "import cli; cli.main()",
                                  "ledger", "user", "passwd", "admin"])  # fmt: skip
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while b"password for admin" not in seen and time.monotonic() < deadline:
            if select.select([fd], [], [], 1)[0]:
                seen += os.read(fd, 1024)
        assert b"password for admin" in seen, seen
        time.sleep(0.2)
        os.write(fd, b"\x03")  # the terminal's Ctrl-C
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 1)[0]:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:  # the child has gone and closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = seen.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 130, text
    assert "interrupted" in text
    assert "internal error" not in text and "Traceback" not in text
