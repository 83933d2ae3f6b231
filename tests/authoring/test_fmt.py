"""`policy fmt`: canonical expressions, comments and key order kept."""

from click.testing import CliRunner

from cli import cli


def test_fmt_rewrites_expressions_and_keeps_comments(policy_copy):
    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    messy = text.replace(
        "expr: applicant.insured_months >= standards.skill_upgrade_min_months",
        "expr: (applicant.insured_months)>=standards.skill_upgrade_min_months   # 12个月以上",
    )
    messy = messy.replace("id: skill_upgrade\n", "# 一个注释，保持不变\nid: skill_upgrade\n", 1)
    assert messy != text
    prog.write_text(messy, encoding="utf-8")

    r = CliRunner().invoke(cli, ["fmt", "--check", str(policy_copy)])
    assert r.exit_code == 1
    assert "- (applicant.insured_months)>=standards.skill_upgrade_min_months" in r.output
    assert "+ applicant.insured_months >= standards.skill_upgrade_min_months" in r.output
    assert prog.read_text(encoding="utf-8") == messy  # --check changes nothing

    r = CliRunner().invoke(cli, ["fmt", str(policy_copy)])
    assert r.exit_code == 0 and "1 expression(s) reformatted" in r.output
    out = prog.read_text(encoding="utf-8")
    assert "# 一个注释，保持不变\nid: skill_upgrade\n" in out
    assert (
        "expr: applicant.insured_months >= standards.skill_upgrade_min_months   # 12个月以上" in out
    )
    assert out == text.replace(
        "expr: applicant.insured_months >= standards.skill_upgrade_min_months",
        "expr: applicant.insured_months >= standards.skill_upgrade_min_months   # 12个月以上",
    ).replace("id: skill_upgrade\n", "# 一个注释，保持不变\nid: skill_upgrade\n", 1)

    r = CliRunner().invoke(cli, ["fmt", "--check", str(policy_copy)])
    assert r.exit_code == 0 and "0 expression(s)" in r.output


def test_fmt_quotes_when_plain_yaml_would_change_the_text(policy_copy):
    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    import re

    m = re.search(r"expr: '(certificate\.kind in \[.*?\])'", text)
    assert m, "skill_upgrade has a quoted certificate.kind clause"
    messy = text.replace(m.group(0), "expr: '" + m.group(1).replace(", ", ",") + "'")
    prog.write_text(messy, encoding="utf-8")
    r = CliRunner().invoke(cli, ["fmt", str(policy_copy)])
    assert r.exit_code == 0
    assert prog.read_text(encoding="utf-8") == text


def test_bundled_policy_is_formatted():
    r = CliRunner().invoke(cli, ["fmt", "--check"])
    assert r.exit_code == 0, r.output
