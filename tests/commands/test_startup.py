"""What `policy eval` imports (issue 21, point 3): with a warm cache, only
what the decision needs — not Lark (every syntax tree comes from the cache),
not jsonschema (every file's validation does), not the YAML parser (every
policy file comes parsed), not click (a plain `policy eval CASE.json` is read
without it: commands/quickeval.py) — and the same output either way."""

import os
import subprocess
import sys

from tests.helpers import ROOT

EXAMPLE = ROOT / "examples" / "skill_upgrade_senior.json"
HEAVY = ("lark", "jsonschema", "yaml")
# what no `policy eval` of these plain shapes imports, warm or cold
NEVER = ("click",)
# what a warm one does not import either: the engine's classes are records
# (dsl/records.py), not dataclasses (which import inspect), its lazy programs
# lock with _thread, and writing to standard output holds back no signal
LEAN = ("dataclasses", "inspect", "threading", "signal")

# the command as the console script runs it, then the heavy modules it loaded
CODE = f"""
import sys
sys.argv = ["policy", *sys.argv[1:]]
from cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY + NEVER + LEAN!r}))
sys.stderr.write("LOADED " + ",".join(loaded) + "\\n")
sys.exit(code)
"""


def run_eval(cache, *args):
    env = dict(os.environ, POLICY_CACHE_DIR=str(cache))
    r = subprocess.run(
        [sys.executable, "-c", CODE, "eval", str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
    )
    assert r.returncode == 0, r.stderr
    loaded = [line for line in r.stderr.splitlines() if line.startswith("LOADED ")]
    return r.stdout, loaded[-1][len("LOADED ") :].split(",") if loaded[-1] != "LOADED " else []


def test_a_warm_eval_imports_no_parser_no_schema_validator_and_no_click(tmp_path):
    cache = tmp_path / "cache"
    cold_out, cold = run_eval(cache)
    # the control: a cold start needs them all (and what they import), never click
    assert set(HEAVY) <= set(cold) and not set(NEVER) & set(cold)
    for args in ((), ("--full",), ("--format", "json")):
        warm_out, warm = run_eval(cache, *args)
        assert warm == [], args
        if not args:
            assert warm_out == cold_out
    # another case file needs nothing more
    _out, warm = run_eval(cache, "--lang", "en")
    assert warm == []


def test_without_a_cache_every_part_is_used_and_the_output_is_the_same(tmp_path):
    warm_cache = tmp_path / "cache"
    run_eval(warm_cache)
    warm_out, _ = run_eval(warm_cache)
    off_out, loaded = run_eval("off")
    assert set(HEAVY) <= set(loaded) and not set(NEVER) & set(loaded)
    assert off_out == warm_out
