"""`policy eval` read without click (commands/quickeval.py) against the click
command: for every example and format the same output byte for byte, and for
broken inputs the same message and exit code; every other command line is
left to click (issue 21, point 3)."""

import gc
import os
import subprocess
import sys

import pytest

from commands import quickeval
from tests.helpers import ROOT

EXAMPLES = ROOT / "examples"
CASES = sorted(EXAMPLES.glob("*.json"))
SENIOR = EXAMPLES / "skill_upgrade_senior.json"

# the quick path (the console script's main) and the click group, each in a process of its own
QUICK = "import cli; cli.main()"
CLICK = "from cli import cli; cli(prog_name='policy')"
# the quick path, then whether click was imported
PROBE = """
import sys, cli
try:
    cli.main()
except SystemExit:
    pass
sys.stderr.write("CLICK %s" % ("click" in sys.modules))
"""


def both(cache, *args, stdout=subprocess.PIPE):
    env = dict(os.environ, POLICY_CACHE_DIR=str(cache))
    out = []
    for code in (QUICK, CLICK):
        r = subprocess.run(
            [sys.executable, "-c", code, "eval", *map(str, args)],
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=env,
            cwd=str(ROOT),
        )
        out.append((r.returncode, r.stdout, r.stderr))
    return out


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    both(folder, SENIOR)  # warm: the quick path decides lazily
    return folder


@pytest.mark.parametrize("fmt", [(), ("--format", "json"), ("--full",), ("--lang", "en")])
def test_every_example_the_same_either_way(cache, fmt, monkeypatch, capfd):
    """In this process: cli.main (the quick path) and the click group over every example."""
    import cli

    monkeypatch.setenv("POLICY_CACHE_DIR", str(cache))
    for case in CASES:
        got = []
        for call in (lambda a: _main(cli.main, a), lambda a: _group(cli.cli, a)):
            code = call(["eval", str(case), *fmt])
            out, err = capfd.readouterr()
            got.append((code, out, err))
        assert got[0] == got[1], case.name
        assert got[0][0] == 0 and got[0][1], case.name


def _main(main, args):
    saved = sys.argv
    sys.argv = ["policy", *args]
    try:
        main()
    except SystemExit as exc:
        return exc.code
    finally:
        sys.argv = saved
        # main is the process's entry: it freezes the policy it keeps to the
        # end of the process (load_policy(keep=True)); this process goes on
        gc.unfreeze()
    return 0


def _group(group, args):
    try:
        group.main(args, prog_name="policy")
    except SystemExit as exc:
        return exc.code
    return 0


def test_a_quick_eval_imports_no_click(cache):
    env = dict(os.environ, POLICY_CACHE_DIR=str(cache))
    for args in ((SENIOR,), (SENIOR, "--format=json", "--program", "skill_upgrade")):
        r = subprocess.run(
            [
                sys.executable,
                "-c",
                PROBE,
                "eval",
                *map(str, args),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=str(ROOT),
        )
        assert r.returncode == 0 and r.stdout, r.stderr
        assert r.stderr.endswith("CLICK False"), r.stderr
    # and --help is click's
    r = subprocess.run(
        [sys.executable, "-c", QUICK, "eval", "--help"], capture_output=True, text=True, env=env
    )
    assert r.returncode == 0 and "Usage: policy eval" in r.stdout


def test_broken_inputs_read_the_same(cache, tmp_path, policy_copy):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"applicant": ', encoding="utf-8")
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes('{"applicant": {"name": "张三"}}'.encode("gbk"))
    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    prog.write_text(
        text.replace(
            "expr: applicant.insured_months >= standards.skill_upgrade_min_months",
            "expr: applicant.insured_months >=",
        ),
        encoding="utf-8",
    )
    for args, code in (
        ((bad_json,), 2),
        ((gbk,), 2),
        ((SENIOR, "--program", "no_such_program"), 2),
        ((SENIOR, "--policy", policy_copy), 1),
    ):
        quick, click = both(cache, *args)
        assert quick == click, args
        assert quick[0] == code and quick[2] and b"Traceback" not in quick[2], (args, quick)


def test_a_full_disk_reads_the_same(cache):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with open("/dev/full", "wb") as full:
        quick, click = both(cache, SENIOR, stdout=full)
    assert quick == click
    assert quick[0] == 2 and b"the disk is full" in quick[2]


def test_a_closed_pipe_reads_the_same(cache):
    env = dict(os.environ, POLICY_CACHE_DIR=str(cache))
    got = []
    for code in (QUICK, CLICK):
        p = subprocess.Popen(
            [sys.executable, "-c", code, "eval", str(SENIOR), "--full"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=str(ROOT),
        )
        p.stdout.close()  # the reader is gone before anything is written
        err = p.stderr.read()
        got.append((p.wait(), err))
    assert got[0] == got[1]
    assert got[0][0] == 2 and b"Broken pipe" in got[0][1] and b"Traceback" not in got[0][1]


def test_the_plain_shapes_are_read(tmp_path):
    got = quickeval.parse([str(SENIOR)])
    assert got == {"case_file": str(SENIOR), "programs": []}
    folder = str(ROOT / "policy")
    got = quickeval.parse(
        [
            "--format=json",
            str(SENIOR),
            "--lang",
            "en",
            "--full",
            "--program",
            "a",
            "--program=b",
            "--policy",
            folder,
        ]
    )
    assert got == {
        "case_file": str(SENIOR),
        "fmt": "json",
        "lang": "en",
        "full": True,
        "programs": ["a", "b"],
        "policy_dir": folder,
    }


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["-h", str(SENIOR)],
        ["-"],
        ["--", str(SENIOR)],
        [str(SENIOR), str(SENIOR)],
        [str(SENIOR), "--out", "x.txt"],
        [str(SENIOR), "--as-of", "2021-01-01"],
        [str(SENIOR), "--replay", str(SENIOR)],
        [str(SENIOR), "--revision", str(SENIOR)],
        [str(SENIOR), "--force"],
        [str(SENIOR), "--other-policy"],
        [str(SENIOR), "--format", "html"],
        [str(SENIOR), "--format=JSON"],
        [str(SENIOR), "--format"],
        [str(SENIOR), "--format", "--lang", "en"],
        [str(SENIOR), "--lang", "fr"],
        [str(SENIOR), "--lang", "zh", "--lang", "en"],
        [str(SENIOR), "--full", "--full"],
        [str(SENIOR), "--program", "-x"],
        [str(SENIOR), "--policy", "/no/such/folder"],
        [str(SENIOR), "--policy", str(SENIOR)],
        [str(ROOT / "no-such-case.json")],
        [str(EXAMPLES)],
    ],
)
def test_everything_else_is_left_to_click(args):
    assert quickeval.parse(args) is None
    assert quickeval.run(args) is None


def test_shell_completion_is_left_to_click(monkeypatch):
    monkeypatch.setenv("_POLICY_COMPLETE", "bash_complete")
    assert quickeval.parse([str(SENIOR)]) is None
