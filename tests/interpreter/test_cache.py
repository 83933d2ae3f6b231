"""The on-disk cache: used when the files are the same, never when they changed."""

from pathlib import Path

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
    assert list((tmp_path / "cache").glob("*.cache"))
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


def test_a_warm_load_reads_no_yaml_and_an_edited_file_is_parsed_again(
    policy_copy, monkeypatch, tmp_path
):
    """The cache keeps each policy file parsed: a second load parses no YAML
    (and imports no parser: tests/commands/test_startup.py); an edit to one file
    parses that file again, and only it."""
    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path / "cache"))
    read = []
    real = loader_module.load_yaml
    monkeypatch.setattr(
        loader_module,
        "load_yaml",
        lambda path, **kw: read.append(kw["display_name"]) or real(path, **kw),
    )
    first = load_policy(policy_copy)
    assert len(read) >= 13
    read.clear()
    second = load_policy(policy_copy)
    assert read == []
    assert second.hash == first.hash
    assert second.standards["apprenticeship_cap"].versions[0].value == 6000
    # the edit gives the file other bytes: another key, never the old entry
    std = policy_copy / "standards.yaml"
    std.write_text(
        std.read_text(encoding="utf-8").replace("value: 6000", "value: 5000"), encoding="utf-8"
    )
    third = load_policy(policy_copy)
    assert [Path(r).name for r in read] == ["standards.yaml"]
    assert third.standards["apprenticeship_cap"].versions[0].value == 5000
    assert third.hash != first.hash


def test_a_parsed_file_round_trips_through_the_cache_format():
    """What the cache keeps of a parsed file gives back its values, every
    position and, for every scalar, the same file positions for a place inside
    it (where an error in an expression is shown)."""
    import marshal

    from interpreter.yamlsource import load_yaml, source_from_data, source_to_data

    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "policy").rglob("*.yaml")) + sorted(
        (root / "catalogs" / "data").glob("*.yaml")
    )
    assert len(files) > 13
    for f in files:
        src = load_yaml(f)
        back = source_from_data(
            src.name, src.text, src.sha256, marshal.loads(marshal.dumps(source_to_data(src)))
        )
        assert back.data == src.data, f
        assert back.positions == src.positions, f
        assert set(back.nodes) == set(src.nodes), f
        for path in src.nodes:
            for line, col in ((1, 1), (1, 4), (2, 3)):
                assert back.expression_locator(path)(line, col) == src.expression_locator(path)(
                    line, col
                ), (f, path)


def test_each_policy_folder_has_a_cache_file_of_its_own(policy_copy, monkeypatch, tmp_path):
    """Loading one policy never reads (nor rewrites) the entries of another:
    a start-up pays for decoding its cache file."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("POLICY_CACHE_DIR", str(folder))
    load_policy()
    (bundled,) = folder.glob("*.cache")
    before = bundled.read_bytes()
    load_policy(policy_copy)
    files = set(folder.glob("*.cache"))
    assert len(files) == 2 and bundled in files
    assert bundled.read_bytes() == before
    (other,) = files - {bundled}
    assert other.stat().st_size > 0
    # warm, each reads its own
    assert load_policy(policy_copy).hash == load_policy(policy_copy).hash
    assert set(folder.glob("*.cache")) == files
