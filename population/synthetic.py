"""Seeded synthetic case populations for tests, demos and benchmarks.

``generate(n, seed, policy=..., catalog=policy.catalog_values)`` yields ``n``
cases of a policy, as JSON-ready dicts (numbers as int or float, dates as
"YYYY-MM-DD"), the way an officer would fill them in. What the cases look
like is the policy's data: its ``population.yaml`` (read and checked by
``population.distributions``; the format and the bundled policy's
distributions are in docs/batch.md), drawn against its facts.yaml, its
standards and the catalogues the rules read. Nothing here knows a program.

The same seed (and the same policy and catalogues) gives the same cases, byte
for byte, on every platform: only ``random.Random(seed)`` is used, never the
global generator, sets or hashes.

Every generated case passes the case reader (``CaseReader.convert`` after
``parse_json_text``); tests/population/test_synthetic.py checks it for every
policy in the repository.

Public API:
  generate(n, seed=0, *, policy=None, catalog=None, missing_share=None,
           late_share=None) -> iterator of dicts
  dumps_case(case) -> one compact JSON line
  write_jsonl(cases, out), write_csv(cases, out, columns)
  resident_id(rng, region, birth) -> an 18-digit ID with a valid check digit
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import random
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO, cast

from .distributions import Env, Population, Scenario, load_population

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def resident_id(rng: random.Random, region: str, birth: _dt.date) -> str:
    """An 18-digit resident ID number (GB 11643) with a valid check digit."""
    body = region + birth.strftime("%Y%m%d") + f"{rng.randint(0, 999):03d}"
    total = sum(int(c) * w for c, w in zip(body, ID_WEIGHTS))
    return body + ID_CHECK[total % 11]


_BUNDLED: dict = {}


def _bundled(catalog: dict | None):
    """The bundled policy, loaded once, for callers that do not hand one.
    Should its rules read catalogues it does not declare, the views given
    (``catalog``) stand in for them, loosely typed: only the policy's
    declarations (facts, standards, programs) are drawn from, never its
    rules run."""
    from dsl.errors import PolicyError
    from interpreter.loader import load_policy

    key = tuple(sorted(catalog or ()))
    if key not in _BUNDLED:
        try:
            _BUNDLED[key] = load_policy()
        except PolicyError:
            if not catalog:
                raise
            from dsl import types as T

            _BUNDLED[key] = load_policy(catalogs={k: (T.ANY, v) for k, v in catalog.items()})
    return _BUNDLED[key]


def _pick(rng: random.Random, scenarios: Sequence[Scenario]) -> Scenario:
    total = sum(s.share for s in scenarios)
    x = rng.random() * total
    for s in scenarios:
        x -= s.share
        if x < 0:
            return s
    return scenarios[-1]


def _day(rng: random.Random, start: _dt.date, end: _dt.date) -> _dt.date:
    return start + _dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _leaves(d: dict, prefix: tuple):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _leaves(v, prefix + (k,))
        else:
            yield prefix + (k,)


def _drop_one(rng: random.Random, case: dict, keep) -> None:
    leaves = [path for path in _leaves(case, ()) if path not in keep]
    if not leaves:
        return
    path = rng.choice(leaves)
    node = case
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]


def _omit(case: dict, dotted: str) -> bool:
    *parents, last = dotted.split(".")
    node: Any = case
    for p in parents:
        node = node.get(p) if isinstance(node, dict) else None
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    return False


def _has(case: dict, dotted: str) -> bool:
    node: object = case
    for p in dotted.split("."):
        if not isinstance(node, dict) or p not in node:
            return False
        node = node[p]
    return True


def generate(
    n: int,
    seed: int = 0,
    *,
    policy=None,
    catalog: dict | None = None,
    missing_share: float | None = None,
    late_share: float | None = None,
    population: Population | None = None,
) -> Iterator[dict]:
    """``n`` synthetic cases of ``policy`` (a loaded policy; None: the bundled
    one, when it loads by itself, i.e. declares the catalogues its rules
    read), reproducibly from ``seed``, as its population.yaml describes them.

    ``catalog``: the catalogues as the rules read them (``policy.catalog_values``);
    with them, trainings name an entry of the catalogue; without, what
    population.yaml draws instead. ``missing_share`` and ``late_share``
    override the file's. The same seed and the same catalogues give the same
    cases.
    """
    if policy is None:
        policy = _bundled(catalog)
    pop = population or load_population(policy, catalog)
    missing = pop.missing_share if missing_share is None else missing_share
    late = pop.late_share if late_share is None else late_share
    rng = random.Random(seed)
    cat = catalog or {}
    start, until = pop.period
    for _ in range(n):
        if pop.late_period is not None and rng.random() < late:
            as_of = _day(rng, *pop.late_period)
        else:
            as_of = _day(rng, start, until)
        env = Env(rng, {"as_of": as_of}, cat)
        for name, draw in pop.lets:
            env.vars[name] = draw(env)
        scenario = _pick(rng, pop.scenarios)
        for name, draw in scenario.lets:
            env.vars[name] = draw(env)
        case = cast(dict, scenario.case(env))  # a scenario's case: the case's object
        for fact, share in pop.omit:
            if _has(case, fact) and rng.random() < share:
                _omit(case, fact)
        if rng.random() < missing:
            _drop_one(rng, case, pop.keep)
        yield case


def dumps_case(case: dict) -> str:
    """One case as a compact JSON line (keys in the order they were built)."""
    return json.dumps(case, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(cases: Iterable[dict], out: TextIO) -> int:
    n = 0
    for case in cases:
        out.write(dumps_case(case) + "\n")
        n += 1
    return n


def write_csv(cases: Iterable[dict], out: TextIO, columns: list[str]) -> int:
    """Cases as CSV rows (header = ``columns``, dotted fact paths); see docs/batch.md."""
    from .batch import case_to_row

    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    n = 0
    for case in cases:
        w.writerow(case_to_row(case, columns))
        n += 1
    return n
