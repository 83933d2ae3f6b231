"""An explained decision builds its objects without the garbage collector
walking them (issue 21, point 5: every one of them lives until the result is
returned, so a collection in the middle frees nothing; at 70 programs it made
explaining cost 13x the 7). The collector is on again afterwards, whatever
happens, and stays off for a caller that had turned it off."""

from __future__ import annotations

import gc

import pytest

from dsl.errors import PolicyError
from interpreter.cases import parse_json_text
from interpreter.evaluate import Evaluator
from tests.helpers import ROOT, load_policy

EXAMPLE = ROOT / "examples" / "vocational_training_entrepreneurship.json"


@pytest.fixture(scope="module")
def evaluator():
    return Evaluator(load_policy())


@pytest.fixture
def collections_seen():
    seen: list[int] = []

    def note(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    threshold = gc.get_threshold()
    gc.callbacks.append(note)
    gc.set_threshold(1)  # a collection at almost every allocation, if allowed
    try:
        yield seen
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.remove(note)


def case():
    return parse_json_text(EXAMPLE.read_text(encoding="utf-8"), EXAMPLE.name)


def test_no_collection_while_the_explanations_are_built(evaluator, collections_seen, monkeypatch):
    facts = evaluator.reader.convert(case(), EXAMPLE.name)
    every = list(evaluator.policy.programs)

    def collections(explain):
        collections_seen.clear()
        res = evaluator.decide(facts, programs=every, explain=explain, converted=True)
        assert len(res.decisions) == len(every)
        return len(collections_seen)

    collections(True), collections(False)  # the generated code compiled, both kinds
    explained, plain = collections(True), collections(False)
    assert gc.isenabled()
    # the same steps before the programs are decided may collect; building the
    # explanations, many more objects than the plain decisions, does not
    assert plain > 0
    assert explained <= plain
    # the control: with the pause taken out, explaining collects more than
    # deciding without explanations (the test can see the difference)
    import types

    from interpreter import evaluate

    monkeypatch.setattr(
        evaluate, "gc", types.SimpleNamespace(isenabled=lambda: False, disable=None, enable=None)
    )
    assert collections(True) > plain


def test_the_collector_is_on_again_after_an_error(evaluator):
    data = case()
    data["application"]["date"] = "not a date"
    with pytest.raises(PolicyError):
        evaluator.decide(data, explain=True)
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off(evaluator):
    gc.disable()
    try:
        evaluator.decide(case(), explain=True)
        assert not gc.isenabled()
    finally:
        gc.enable()
