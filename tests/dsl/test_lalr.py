"""The LALR tables shipped with the package (dsl/lalr_tables.py): what
grammar.lark gives today, byte for byte whatever the hash seed; used only
when they match the grammar and the installed Lark, else the parser is built
from the grammar (never a stale table)."""

from __future__ import annotations

import os
import subprocess
import sys

import lark
import pytest

from dsl import lalr, larkparse
from dsl import lalr_tables as tables
from dsl.parser import GRAMMAR
from tests.helpers import ROOT, load_policy

GRAMMAR_TEXT = GRAMMAR.read_text(encoding="utf-8")

# The tables record the Lark that made them. Under another Lark (pyproject asks
# only lark>=1.1) they are not used and the parser is built from the grammar,
# which the tests below check; the tests of the tables' bytes can then only
# say "run python -m dsl.lalr", so they are skipped with that reason instead of
# failing an install that works.
same_lark = pytest.mark.skipif(
    lark.__version__ != tables.LARK_VERSION,
    reason=f"dsl/lalr_tables.py was generated with Lark {tables.LARK_VERSION}, Lark "
    f"{lark.__version__} is installed (the parser is built from the grammar): "
    "run `python -m dsl.lalr` to ship tables for it",
)


def test_the_shipped_tables_are_for_this_grammar():
    # whatever Lark is installed: a grammar changed without the tables made
    # again fails here
    assert lalr.digest(GRAMMAR_TEXT) == tables.GRAMMAR_SHA256, "run `python -m dsl.lalr`"


@same_lark
def test_the_shipped_tables_are_what_the_grammar_gives_byte_for_byte():
    assert lalr.tables_source(GRAMMAR_TEXT) == lalr.TABLES.read_text(encoding="utf-8"), (
        "dsl/lalr_tables.py is not what grammar.lark gives: run `python -m dsl.lalr`"
    )


@same_lark
@pytest.mark.parametrize("seed", ["1", "2"])
def test_the_check_passes_whatever_the_hash_seed(seed):
    # Lark numbers states as its sets iterate (the hash seed): the tables are
    # numbered again by the grammar alone, so any process writes the same bytes
    r = subprocess.run(
        [sys.executable, "-m", "dsl.lalr", "--check"],
        cwd=ROOT,
        env=dict(os.environ, PYTHONHASHSEED=seed),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def test_the_check_fails_on_a_stale_file(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "lalr_tables.py"
    stale.write_text(lalr.TABLES.read_text(encoding="utf-8").replace("1.", "9.", 1))
    monkeypatch.setattr(lalr, "TABLES", stale)
    assert lalr.main(["--check"]) == 1
    assert "python -m dsl.lalr" in capsys.readouterr().err
    assert lalr.main([]) == 0  # writes it
    assert lalr.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == lalr.TABLES.read_text(encoding="utf-8")
    assert lalr.main(["--bogus"]) == 2


@same_lark
def test_a_run_loads_the_tables():
    p = lalr.parser()
    assert p.source_path == "<deserialized>"  # not built from the grammar


def test_a_changed_grammar_is_built_not_read_from_stale_tables(tmp_path, monkeypatch):
    changed = tmp_path / "grammar.lark"
    # a new operator: the stale tables would refuse it
    changed.write_text(
        GRAMMAR_TEXT.replace('| sum "in" sum', '| sum "in" sum\n           | sum "~" sum'),
        encoding="utf-8",
    )
    monkeypatch.setattr(lalr, "GRAMMAR", changed)
    p = lalr.parser()
    assert p.source_path != "<deserialized>"
    assert p.parse("a ~ b").children[0].data == "in_op"


def test_tables_of_another_lark_are_not_used(monkeypatch):
    monkeypatch.setattr(tables, "LARK_VERSION", "0.0.1")
    assert lalr.parser().source_path != "<deserialized>"


def test_no_tables_at_all_builds_the_parser(monkeypatch):
    import dsl

    monkeypatch.setitem(sys.modules, "dsl.lalr_tables", None)  # the import fails
    monkeypatch.delattr(dsl, "lalr_tables")
    assert lalr.parser().source_path != "<deserialized>"


def test_both_parsers_build_the_same_tree_for_every_expression_of_the_policy():
    built = lalr.build(GRAMMAR_TEXT)
    loaded = lalr.parser()
    policy = load_policy()
    texts = set()
    for program in policy.programs.values():
        texts.update(clause.rule.text for clause in program.clauses)
    assert len(texts) > 30
    for text in sorted(texts):
        assert built.parse(text) == loaded.parse(text), text
        assert larkparse.tree_of(text, None) is not None
