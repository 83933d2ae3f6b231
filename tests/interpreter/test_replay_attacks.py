"""`policy eval --replay`, attacked: it verifies, it does not trust (issue 12, 4).

A decision file is data from outside. Replay evaluates its facts under the
policy and revisions the caller names (or the bundled ones), compares the
hashes the decision records with them, and never opens a file because the
decision names it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from tests.helpers import ROOT

EXAMPLE = ROOT / "examples" / "vocational_training_special_ability.json"  # 1000.00 (初级)
RAISE = ROOT / "examples" / "revisions" / "raise-junior-2021.yaml"  # 1200.00 from 2021


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    return r.exit_code, r.output


def decide(tmp_path, *extra) -> dict:
    code, out = run("eval", EXAMPLE, "--format", "json", "--as-of", "2021-02-01", *extra)
    assert code == 0, out
    return json.loads(out)


def store(tmp_path, data: dict, name="decision.json") -> Path:
    f = tmp_path / name
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return f


def test_an_honest_decision_holds_under_the_policy_it_was_made_with(tmp_path):
    f = store(tmp_path, decide(tmp_path, "--revision", RAISE))
    code, out = run("eval", "--replay", f, "--revision", RAISE)
    assert code == 0 and out.strip().endswith("the decision still holds"), out


def test_a_forged_decision_with_a_revision_of_its_own_does_not_hold(tmp_path):
    """The attack of the issue: an amount of 9999.00 and a revision, written by
    the forger, that raises the standard to 9999 — consistent hashes and all."""
    forged_rev = tmp_path / "forged-revision.yaml"
    text = (
        RAISE.read_text(encoding="utf-8")
        .replace("1200", "9999")
        .replace("raise-junior-2021", "forged")
    )
    forged_rev.write_text(text, encoding="utf-8")
    # the forger's own decision under the forged revision: every hash consistent
    data = decide(tmp_path, "--revision", forged_rev)
    vt = next(d for d in data["decisions"] if d["program"] == "vocational_training")
    assert vt["amount"] == "9999.00"
    f = store(tmp_path, data)
    before = forged_rev.stat().st_atime_ns

    code, out = run("eval", "--replay", f)
    assert code == 1, out
    assert "differs: vocational_training: amount stored '9999.00', now '1000.00'" in out
    assert "which is not applied now" in out and "the decision no longer holds" in out
    # and the forged file was never opened: make it unreadable garbage and replay again
    forged_rev.write_text("::: not yaml :::", encoding="utf-8")
    code2, out2 = run("eval", "--replay", f)
    assert (code2, out2) == (code, out)
    assert "not yaml" not in out2
    del before


def test_a_decision_naming_a_system_file_as_its_revision_prints_nothing_of_it(tmp_path):
    data = decide(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:SECRET-LINE:0:0\n", encoding="utf-8")
    for target in (secret, Path("/etc/passwd")):
        data["policy"]["revisions"] = [
            {
                "id": "x",
                "number": None,
                "title": None,
                "issued": "2021-01-01",
                "file": str(target),
                "sha256": "0" * 64,
            }
        ]
        f = store(tmp_path, data)
        code, out = run("eval", "--replay", f)
        assert "SECRET-LINE" not in out and "root:" not in out
        assert code == 1 and "the record was altered" in out
        assert "which is not applied now" in out
        # listed among the files too, consistently: still never opened
        data["policy"]["files"][str(target)] = "sha256:" + "0" * 64
        from interpreter.replay import files_hash

        data["policy"]["hash"] = files_hash(data["policy"]["files"])
        code, out = run("eval", "--replay", store(tmp_path, data))
        assert "SECRET-LINE" not in out and "root:" not in out
        assert f"policy file changed since the decision: {target}" in out
        assert "which is not applied now" in out and "altered" not in out
        del data["policy"]["files"][str(target)]


def test_an_edited_amount_or_hash_does_not_hold(tmp_path):
    data = decide(tmp_path)
    vt = next(d for d in data["decisions"] if d["program"] == "vocational_training")
    vt["amount"] = "9999.00"
    code, out = run("eval", "--replay", store(tmp_path, data))
    assert code == 1 and "amount stored '9999.00', now '1000.00'" in out

    # files edited to match a policy the forger made, the hash left as it was
    data = decide(tmp_path)
    name = next(iter(data["policy"]["files"]))
    data["policy"]["files"][name] = "sha256:" + "1" * 64
    code, out = run("eval", "--replay", store(tmp_path, data), "--format", "json")
    assert code == 1
    r = json.loads(out)
    assert not r["holds"] and any("the record was altered" in d for d in r["differences"])
    assert r["changed_files"] == [name]


def test_the_same_revision_gives_the_same_hash_however_its_path_is_typed(tmp_path, monkeypatch):
    link = tmp_path / "linked"
    link.symlink_to(RAISE.parent, target_is_directory=True)
    copies = [
        RAISE,
        Path(os.path.relpath(RAISE, ROOT)),
        Path("./" + os.path.relpath(RAISE, ROOT)),
        link / RAISE.name,
        Path(os.path.relpath(link / RAISE.name, ROOT)),
    ]
    monkeypatch.chdir(ROOT)
    seen = set()
    for p in copies:
        data = decide(tmp_path, "--revision", p)
        seen.add((data["policy"]["hash"], json.dumps(data["policy"]["revisions"])))
        assert data["policy"]["revisions"][0]["file"] == "examples/revisions/raise-junior-2021.yaml"
    assert len(seen) == 1
    # and from another folder
    monkeypatch.chdir(tmp_path)
    data = decide(tmp_path, "--revision", os.path.relpath(RAISE, tmp_path))
    assert (data["policy"]["hash"], json.dumps(data["policy"]["revisions"])) in seen


def test_a_decision_about_a_program_the_policy_lacks_does_not_hold(tmp_path):
    data = decide(tmp_path)
    data["decisions"][0]["program"] = "no_such_program"
    code, out = run("eval", "--replay", store(tmp_path, data))
    assert (
        code == 1 and "no_such_program: the policy used for the replay has no such program" in out
    )


def test_replay_of_a_copy_of_the_policy_names_it(tmp_path):
    policy = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", policy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    f = store(tmp_path, decide(tmp_path))
    code, out = run("eval", "--replay", f, "--policy", policy)
    assert code == 0, out  # the same files under the same names: the same hash
    assert "changed" not in out
