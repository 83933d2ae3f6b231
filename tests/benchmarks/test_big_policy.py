"""The generated policy of benchmarks/big_policy.py (issue 21, point 4): each
program copied under new ids, as data; the copies decide as their originals.

benchmarks/run.py (rows g) times a policy ten times the bundled one against
the bundled one; the ratio means something only if the larger policy is the
same rules, more of them. Here with three copies (21 programs), to stay quick.
"""

from __future__ import annotations

import json

from benchmarks.big_policy import generate
from benchmarks.cases import generate as generate_cases
from interpreter.cases import parse_json_text
from interpreter.evaluate import Evaluator
from tests.helpers import ROOT, load_policy


def test_the_generated_policy_is_the_bundled_rules_copied(tmp_path):
    folder = generate(tmp_path, copies=3)
    assert folder == tmp_path / "policy"
    assert not (folder / "tests").exists()
    bundled = load_policy()
    big = load_policy(folder)
    ids = list(bundled.programs)
    assert sorted(big.programs) == sorted(ids + [f"{p}_copy{k}" for p in ids for k in (2, 3)])
    for pid in ids:
        copy = big.programs[f"{pid}_copy3"]
        original = big.programs[pid]
        assert [c.id for c in copy.clauses] == [c.id for c in original.clauses]
        assert [c.rule.text for c in copy.clauses] == [c.rule.text for c in original.clauses]
        assert copy.title.endswith("（副本3）") and copy.title_en.endswith("(copy 3)")
    # a case may apply for a copy (the program enum), and a real-name check
    # covers a copy as its original (the same clause)
    assert "vocational_training_copy2" in big.enums["program"].values
    real_name = [c.id for c in big.programs["vocational_training"].clauses if "real_name" in c.id]
    assert real_name
    assert [
        c.id for c in big.programs["vocational_training_copy2"].clauses if "real_name" in c.id
    ] == real_name


def test_every_copy_decides_every_case_as_its_original(tmp_path):
    big = load_policy(generate(tmp_path, copies=2))
    ev = Evaluator(big)
    _source, raw = generate_cases(60, 11, big.catalog_values)
    programs = list(big.programs)
    decided = 0
    for i, case in enumerate(raw):
        facts = ev.reader.convert(parse_json_text(json.dumps(case, ensure_ascii=False), "c"), "c")
        for explain in (False, True):
            res = ev.decide(facts, programs=programs, explain=explain, converted=True)
            by_id = {d.program.id: (d.outcome, d.amount) for d in res.decisions}
            for pid in (p for p in programs if "_copy" not in p):
                assert by_id[f"{pid}_copy2"] == by_id[pid], (i, pid, explain)
                decided += 1
    assert decided == 60 * 2 * 7


def test_the_script_writes_the_folder(tmp_path):
    import subprocess
    import sys

    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "big_policy.py"),
            str(tmp_path),
            "--copies",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tmp_path / "policy")
    assert len(list((tmp_path / "policy" / "programs").glob("*.yaml"))) == 14
