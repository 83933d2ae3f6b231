"""A loaded policy lets go of its cache: no open folder, and in memory only
what a later use reads (the compiled code; a lazy load's program files until
every program is built). The cache still works: a second load is warm, and
code compiled after the load is merged into the file as it then is."""

from __future__ import annotations

import contextlib
import gc
import json
import marshal
import os
import weakref
from decimal import Decimal
from pathlib import Path
from types import CodeType

from interpreter import loader as loader_module
from interpreter.cache import Cache
from interpreter.evaluate import Evaluator
from interpreter.lazyprograms import LazyPrograms
from interpreter.loader import load_policy
from tests.helpers import ROOT

CASE = ROOT / "examples" / "skill_upgrade_senior.json"


def open_files() -> list[str]:
    """What this process's descriptors point at."""
    out = []
    for n in os.listdir("/proc/self/fd"):
        # (the descriptor listdir itself used is closed since)
        with contextlib.suppress(OSError):
            out.append(os.readlink(f"/proc/self/fd/{n}"))
    return sorted(out)


def decide(policy) -> str:
    case = json.loads(CASE.read_text(encoding="utf-8"), parse_float=Decimal, parse_int=Decimal)
    (d,) = Evaluator(policy).decide(case, programs=["skill_upgrade"]).decisions
    return f"{d.outcome} {d.amount}"


def test_a_loaded_policy_holds_no_folder_open_and_a_second_load_is_warm(
    policy_copy, monkeypatch, tmp_path
):
    folder = tmp_path / "cache"
    monkeypatch.setenv("POLICY_CACHE_DIR", str(folder))
    before = open_files()
    cold = load_policy(policy_copy)
    assert not isinstance(cold.programs, LazyPrograms)  # nothing known yet: a full load
    assert open_files() == before
    assert str(folder) not in open_files()
    # all it keeps in memory is the compiled code: the parsed files are in the file
    cache = cold.compiled._cache
    assert cache.released and set(cache.data) <= {"code"}
    on_disk = next(folder.glob("*.cache")).stat().st_size
    assert on_disk > 200_000 and len(marshal.dumps(cache.data)) < 20_000

    # warm: the cache knew these files, each program is built when asked for
    read = []
    real = loader_module._Loader.load_path

    def load_path(self, path, schema, raw=None):
        src = real(self, path, schema, raw)
        if src is not None:
            read.append((schema, weakref.ref(src)))
        return src

    monkeypatch.setattr(loader_module._Loader, "load_path", load_path)
    warm = load_policy(policy_copy, lazy=True)
    assert isinstance(warm.programs, LazyPrograms) and warm.programs.built() == []
    assert open_files() == before
    # the builds to come keep the loader, not the files it read
    gc.collect()
    assert {schema for schema, _ref in read} >= {"facts", "clauses", "catalogs"}
    assert [schema for schema, ref in read if ref() is not None] == []
    kept = warm.compiled._cache.data
    assert {name.split("\0")[0] for name in kept.get("sources", {})} == {"program"}
    assert decide(warm) == decide(cold) == "eligible 2000.00"
    assert open_files() == before
    # every program built: the program files are let go too
    assert len(list(warm.programs.values())) == len(cold.programs)
    assert set(warm.compiled._cache.data) <= {"code"}
    assert open_files() == before


def test_code_compiled_after_the_load_is_merged_into_the_file(policy_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path / "cache"))
    policy = load_policy(policy_copy)
    scope = str(Path(policy_copy).resolve())
    # meanwhile another process adds to the same file
    other = Cache.open(scope)
    assert other.checked and other.data["sources"]
    other.store_expression("1 + 1", other.expression("1 + 1") or _parse("1 + 1"))
    other.save()
    other.close()

    decide(policy)  # compiles the program's code: stored, the file merged
    compiled = list(policy.compiled)
    assert compiled
    fresh = Cache.open(scope)
    try:
        for key in compiled:
            assert isinstance(fresh.code(key), CodeType)
        assert "1 + 1" in fresh.data["asts"]  # the other process's entry kept
        assert fresh.data["sources"] and fresh.data["checked"]  # nothing of the load lost
    finally:
        fresh.close()
    # and the next load runs the code it compiled
    again = load_policy(policy_copy, lazy=True)
    assert isinstance(again.programs, LazyPrograms)
    assert decide(again) == "eligible 2000.00"
    assert sorted(again.compiled) == sorted(compiled)


def _parse(text: str):
    from dsl import parse

    return parse(text)
