"""Who a case is about, as people are shown it (interpreter.who): document.yaml's
case_name and case_id, the id masked by the format its fact declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from interpreter import who
from tests.helpers import load_policy, policy_copy

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = next(ROOT.glob("examples/policies/*/document.yaml")).parent
FACTS = {"applicant": {"id": "370405199001010066", "name": "张三"}}


@pytest.mark.parametrize("root", [None, NATIONAL], ids=["bundled", "second"])
def test_name_and_masked_id_from_the_policys_own_declarations(root):
    policy = load_policy(root)
    assert who.fact_path(policy.case_id) == "applicant.id"
    assert who.from_facts(policy, FACTS) == "张三 3704**********0066"
    assert who.shown_id(policy, "370405199001010066") == "3704**********0066"
    assert who.shown_id(policy, None) is None


def test_a_case_without_them_shows_nothing():
    assert who.from_facts(load_policy(), {"applicant": {}}) == ""


def _with(tmp_path: Path, old: str, new: str):
    root = policy_copy(tmp_path / "p")
    doc = root / "document.yaml"
    text = doc.read_text(encoding="utf-8")
    assert old in text
    doc.write_text(text.replace(old, new), encoding="utf-8")
    return load_policy(root)


def test_no_case_name_shows_the_masked_id_alone(tmp_path):
    policy = _with(tmp_path, "case_name: applicant.name\n", "")
    assert policy.case_name is None
    assert who.from_facts(policy, FACTS) == "3704**********0066"


def test_an_id_without_a_masking_format_is_shown_as_written(tmp_path):
    # a case id that is an expression, not a fact with a format: nothing to mask
    # by, and a view of a decision file does not run the evaluator: left out
    policy = _with(
        tmp_path,
        "case_id: applicant.id\n",
        "case_id: if present(applicant.id) then applicant.id else applicant.name\n",
    )
    assert who.fact_path(policy.case_id) is None
    assert who.shown_id(policy, "370405199001010066") == "370405199001010066"
    assert who.from_facts(policy, FACTS) == "张三"
