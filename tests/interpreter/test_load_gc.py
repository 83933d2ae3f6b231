"""A policy loads without the garbage collector walking what it builds
(issue 21, point 3: everything a load makes lives as long as the policy, so a
collection in the middle frees nothing; a cold load passed the threshold
about 90 times). The collector is on again afterwards, whatever happens, and
stays off for a caller that had turned it off."""

from __future__ import annotations

import gc

import pytest

from dsl.errors import ErrorList
from interpreter import schemas
from interpreter.loader import load_policy
from tests.helpers import policy_copy


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


@pytest.fixture
def cold(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path / "cache"))


def test_no_collection_while_a_policy_loads(cold, collections_seen):
    collections_seen.clear()
    policy = load_policy()
    during = len(collections_seen)  # (what follows allocates, and collects)
    assert during == 0
    assert gc.isenabled()
    assert len(policy.programs) == 7
    [object() for _ in range(10)]  # on again: it collects
    assert collections_seen


def test_on_again_after_a_policy_with_errors(tmp_path, cold, monkeypatch):
    folder = policy_copy(tmp_path / "policy")
    clauses = folder / "clauses.yaml"
    clauses.write_text(clauses.read_text(encoding="utf-8") + "\nnot: [valid\n", encoding="utf-8")
    collecting = []
    validate = schemas.validate

    def noting(*args, **kwargs):
        collecting.append(gc.isenabled())
        return validate(*args, **kwargs)

    monkeypatch.setattr(schemas, "validate", noting)
    with pytest.raises(ErrorList):
        load_policy(folder)
    assert collecting and not any(collecting)  # off while it loaded
    assert gc.isenabled()


def test_left_off_for_a_caller_that_turned_it_off(cold):
    gc.disable()
    try:
        load_policy()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_load_leaves_no_cycle_holding_the_files_it_read(cold):
    # what the load read (the loader, every file parsed with its YAML nodes)
    # is freed when it returns, not left for the collector to find: a
    # function that called itself through its closure held them in a cycle
    from interpreter.yamlsource import Source

    gc.collect()
    policy = load_policy()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, Source) or type(o).__name__ == "_Loader"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
    assert len(policy.programs) == 7


def test_a_policy_kept_to_the_end_is_frozen_out_of_the_collectors_way(cold):
    # `policy eval` from the shell keeps its policy until the process ends:
    # what the load built is not walked by the next collection
    before = gc.get_freeze_count()
    try:
        policy = load_policy(keep=True)
        assert gc.isenabled()
        assert gc.get_freeze_count() > before + 10_000
        assert sum(gc.get_count()) < 1_000  # nothing young left to walk
        assert len(policy.programs) == 7
    finally:
        gc.unfreeze()


def test_a_policy_not_kept_is_not_frozen(cold):
    before = gc.get_freeze_count()
    load_policy()
    assert gc.get_freeze_count() == before
