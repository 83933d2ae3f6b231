"""The on-disk cache: used when the files are the same, never when they changed."""

from click.testing import CliRunner

from cli import cli
from interpreter import loader as loader_module
from tests.helpers import load_policy


def test_second_load_parses_nothing_and_a_change_is_seen(policy_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path / "cache"))
    parsed = []
    real_parse = loader_module.parse
    monkeypatch.setattr(
        loader_module, "parse", lambda text, *a: parsed.append(text) or real_parse(text, *a)
    )

    load_policy(policy_copy)
    assert len(parsed) > 30  # every expression parsed once
    assert list((tmp_path / "cache").glob("*.json"))
    parsed.clear()
    load_policy(policy_copy)
    assert parsed == []  # all from the cache

    std = policy_copy / "standards.yaml"
    std.write_text(
        std.read_text(encoding="utf-8").replace("value: 6000", "value: 5000"), encoding="utf-8"
    )
    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    prog.write_text(
        prog.read_text(encoding="utf-8").replace(
            "applicant.insured_months >= standards", "applicant.insured_months >= 0 + standards"
        ),
        encoding="utf-8",
    )
    policy = load_policy(policy_copy)
    assert parsed == ["applicant.insured_months >= 0 + standards.skill_upgrade_min_months"]
    assert policy.standards["apprenticeship_cap"].versions[0].value == 5000


def test_cache_can_be_turned_off(policy_copy, monkeypatch, tmp_path):
    from interpreter.cache import cache_dir

    monkeypatch.setenv("POLICY_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() is None
    for _ in range(2):
        r = CliRunner().invoke(cli, ["check", str(policy_copy)])
        assert r.exit_code == 0, r.output
    assert not (tmp_path / "xdg").exists()  # nothing written where the cache would be
    monkeypatch.delenv("POLICY_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "policy"


def test_a_broken_file_is_reported_even_after_a_good_run(policy_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path / "cache"))
    assert CliRunner().invoke(cli, ["check", str(policy_copy)]).exit_code == 0
    doc = policy_copy / "document.yaml"
    doc.write_text(doc.read_text(encoding="utf-8") + "unknown_key: 1\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["check", str(policy_copy)])
    assert r.exit_code == 1 and "unknown key 'unknown_key'" in r.output
