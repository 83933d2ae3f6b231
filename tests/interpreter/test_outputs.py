"""No silent loss, attacked (issue 12, 3): an output that is an input, or another
output, is refused before anything is written; an existing file is replaced
only with --force; a full disk or a file-size limit gives one line, exit 2,
and no partial file under the final name. Every command that writes a file
goes through interpreter/outputs.py; these tests drive the real commands."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

EXAMPLE = ROOT / "examples" / "skill_upgrade_senior.json"


def policy(*args, stdin=None, fsize: int | None = None, cwd=None):
    """The real command in a process of its own (standard input and output are
    real files, and a file-size limit can be set on it)."""

    def limit():
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", *map(str, args)],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        cwd=cwd or ROOT,
        timeout=300,
    )


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cases")
    f = folder / "c.jsonl"
    r = policy("generate", 50, "--seed", 3, "--out", f)
    assert r.returncode == 0, r.stderr
    return f


def fresh(cases, tmp_path, name="c.jsonl") -> Path:
    f = tmp_path / name
    f.write_bytes(cases.read_bytes())
    return f


def one_line(stderr: str) -> str:
    lines = [x for x in stderr.splitlines() if x.strip() and not x.startswith("  hint:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    return lines[0]


# -- an output that is an input ------------------------------------------------------------


def test_batch_from_stdin_onto_the_same_file_loses_nothing(cases, tmp_path):
    """`policy batch - --out c.jsonl < c.jsonl` lost 43 of 50 cases with exit 0."""
    c = fresh(cases, tmp_path)
    before = c.read_bytes()
    with open(c, "rb") as stdin:
        r = policy("batch", "-", "--out", c, "--force", stdin=stdin)
    assert r.returncode == 2
    assert "the same file as the input <stdin>" in one_line(r.stderr)
    assert c.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


@pytest.mark.parametrize("how", ["--out", "--rejects", "--summary-json", "--history"])
def test_batch_refuses_every_output_that_is_an_input_or_another_output(cases, tmp_path, how):
    c = fresh(cases, tmp_path)
    before = c.read_bytes()
    out = tmp_path / "d.jsonl"
    if how == "--out":
        args = ["--out", c]
    elif how == "--rejects":
        args = ["--out", out, "--rejects", c]
    elif how == "--summary-json":
        args = ["--out", out, "--summary-json", c]
    else:  # the history is an input too
        history = tmp_path / "h.jsonl"
        history.write_text("", encoding="utf-8")
        args = ["--out", history, "--history", history]
    r = policy("batch", c, *args, "--force")
    assert r.returncode == 2
    assert "it would be overwritten and the input lost" in one_line(r.stderr)
    assert c.read_bytes() == before and not out.exists()

    # two outputs on one file
    for clash in (["--summary-json", out], ["--rejects", out]):
        r = policy("batch", c, "--out", out, *clash)
        assert r.returncode == 2 and "is the same file as the decisions file" in r.stderr
        assert not out.exists()


@pytest.mark.parametrize("alias", ["hardlink", "symlink", "dotted"])
def test_another_name_for_the_input_is_the_same_file(cases, tmp_path, alias):
    c = fresh(cases, tmp_path)
    before = c.read_bytes()
    other = tmp_path / "other.jsonl"
    if alias == "hardlink":
        os.link(c, other)
    elif alias == "symlink":
        other.symlink_to(c)
    else:
        other = Path(str(tmp_path) + "/./sub/../c.jsonl")
        (tmp_path / "sub").mkdir()
    r = policy("batch", c, "--out", other, "--force")
    assert r.returncode == 2 and "would be overwritten" in r.stderr
    assert c.read_bytes() == before


def test_report_onto_its_decisions_is_refused(cases, tmp_path):
    c = fresh(cases, tmp_path)
    d = tmp_path / "d.jsonl"
    assert policy("batch", c, "--out", d).returncode == 0
    before = d.read_bytes()
    r = policy("report", d, "--out", d, "--force")
    assert r.returncode == 2 and "would be overwritten" in one_line(r.stderr)
    assert d.read_bytes() == before


def test_eval_diff_and_notice_refuse_their_input_as_output(tmp_path):
    case = tmp_path / "case.json"
    case.write_bytes(EXAMPLE.read_bytes())
    before = case.read_bytes()
    for args in (
        ["eval", case, "--out", case, "--force"],
        [
            "eval",
            case,
            "--revision",
            ROOT / "examples/revisions/raise-junior-2021.yaml",
            "--out",
            ROOT / "examples/revisions/raise-junior-2021.yaml",
            "--force",
        ],
        ["notice", case, "--out", case, "--force"],
    ):
        r = policy(*args)
        assert r.returncode == 2 and "would be overwritten" in r.stderr, (args, r.stderr)
        assert case.read_bytes() == before
    c = tmp_path / "c.jsonl"
    assert policy("generate", 5, "--out", c).returncode == 0
    before = c.read_bytes()
    r = policy(
        "diff",
        c,
        "--revision",
        ROOT / "examples/revisions/raise-junior-2021.yaml",
        "--out",
        c,
        "--force",
    )
    assert r.returncode == 2 and c.read_bytes() == before


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "args",
    [
        ["batch", "{cases}", "--out", "{policy}/standards.yaml"],
        ["batch", "{cases}", "--out", "{tmp}/o.jsonl", "--rejects", "{policy}/programs/{program}"],
        ["eval", str(EXAMPLE), "--out", "{policy}/facts.yaml"],
        ["report", "{decisions}", "--out", "{policy}/clauses.yaml"],
        ["diff", "{cases}", "--revision", "{revision}", "--out", "{policy}/facts.yaml"],
        ["generate", "5", "--out", "{policy}/population.yaml"],
    ],
    ids=["batch", "rejects", "eval", "report", "diff", "generate"],
)
def test_no_output_is_written_over_a_policy_file(cases, tmp_path, policy_copy, args):
    """The policy's own files are inputs of every command that reads them,
    though none names them: with --force, `policy batch c.jsonl --out
    policy/standards.yaml` replaced the standards with decisions (exit 0)."""
    c = fresh(cases, tmp_path)
    decisions = tmp_path / "d.jsonl"
    assert policy("batch", c, "--out", decisions, "--policy", policy_copy).returncode == 0
    before = _tree(policy_copy)
    values = {
        "cases": c,
        "policy": policy_copy,
        "decisions": decisions,
        "revision": ROOT / "examples/revisions/raise-junior-2021.yaml",
        "tmp": tmp_path,
        "program": sorted(p.name for p in (policy_copy / "programs").glob("*.yaml"))[0],
    }
    args = [a.format(**values) for a in args]
    r = policy(*args, "--policy", policy_copy, "--force")
    assert r.returncode == 2, (args, r.stderr)
    line = one_line(r.stderr)
    assert "which this command reads; it would be overwritten and the policy lost" in line
    assert _tree(policy_copy) == before
    assert not list(policy_copy.rglob(".*.tmp"))


def test_no_output_folder_replaces_a_folder_that_holds_the_policy(cases, tmp_path, policy_copy):
    """`policy batch --engine dask --policy P --out P --force` replaced the
    whole policy folder with its part files (exit 0)."""
    c = fresh(cases, tmp_path)
    before = _tree(policy_copy)
    for out in (policy_copy, policy_copy / "catalogs"):
        r = policy("batch", c, "--engine", "dask", "--policy", policy_copy, "--out", out, "--force")
        assert r.returncode == 2, r.stderr
        assert "holds the policy file" in one_line(r.stderr)
        assert _tree(policy_copy) == before


# -- an existing file is replaced only with --force ----------------------------------------


@pytest.mark.parametrize("command", ["batch", "generate", "report", "eval", "diff"])
def test_an_existing_file_is_not_replaced_without_force(cases, tmp_path, command):
    c = fresh(cases, tmp_path)
    target = tmp_path / "precious.txt"
    target.write_text("precious\n", encoding="utf-8")
    d = tmp_path / "d.jsonl"
    if command == "report":
        assert policy("batch", c, "--out", d).returncode == 0
    args = {
        "batch": ["batch", c, "--out", target],
        "generate": ["generate", 3, "--out", target],
        "report": ["report", d, "--out", target],
        "eval": ["eval", EXAMPLE, "--out", target],
        "diff": [
            "diff",
            c,
            "--revision",
            ROOT / "examples/revisions/raise-junior-2021.yaml",
            "--out",
            target,
        ],
    }[command]
    r = policy(*args)
    assert r.returncode == 2
    assert "already exists; it would be replaced" in one_line(r.stderr)
    assert "--force" in r.stderr
    assert target.read_text(encoding="utf-8") == "precious\n"
    r = policy(*args, "--force")
    assert r.returncode == 0, r.stderr
    assert target.read_text(encoding="utf-8") != "precious\n"


def test_catalog_publish_twice_needs_force(tmp_path):
    site = tmp_path / "site"
    assert policy("catalog", "publish", "--out", site).returncode == 0
    index = (site / "index.html").read_bytes()
    (site / "index.html").write_text("edited by hand", encoding="utf-8")
    r = policy("catalog", "publish", "--out", site)
    assert r.returncode == 2 and "already exists" in r.stderr
    assert (site / "index.html").read_text(encoding="utf-8") == "edited by hand"
    r = policy("catalog", "publish", "--out", site, "--force")
    assert r.returncode == 0 and (site / "index.html").read_bytes() == index


# the real command, with a Ctrl-C (a real SIGINT to itself) right after its
# Nth rename: where an interruption of the final renames lands
_CTRL_C_AFTER_RENAME = """
import os, signal, sys
real, n = os.replace, [0]
def replace(a, b, *args, **kwargs):
    real(a, b, *args, **kwargs)
    n[0] += 1
    if n[0] == int(os.environ["RENAMES"]):
        os.kill(os.getpid(), signal.SIGINT)
os.replace = replace
import cli
sys.argv[0] = "policy"
cli.main()
"""


def test_a_ctrl_c_among_the_final_renames_leaves_all_outputs_or_none(cases, tmp_path):
    """The outputs are put in place together: a Ctrl-C after the first of the
    final renames left a catalogue site with one file new and 21 as they were,
    and a batch's decisions file without its rejects file (exit 130 both)."""

    def run(renames: int, *args):
        return subprocess.run(
            [sys.executable, "-c", _CTRL_C_AFTER_RENAME, *map(str, args)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
            env={**os.environ, "RENAMES": str(renames), "POLICY_CACHE_DIR": "off"},
        )

    site = tmp_path / "site"
    assert policy("catalog", "publish", "--out", site).returncode == 0
    new = {p.name: p.read_bytes() for p in site.iterdir()}
    for p in site.iterdir():
        p.write_text("published before", encoding="utf-8")
    r = run(1, "catalog", "publish", "--out", site, "--force")
    assert r.returncode == 130 and "interrupted" in r.stderr, r.stderr
    assert {p.name: p.read_bytes() for p in site.iterdir()} == new
    # a batch writes its manifest twice (renamed) before its two outputs
    c = fresh(cases, tmp_path)
    out, rejects = tmp_path / "d.jsonl", tmp_path / "r.jsonl"
    r = run(3, "batch", c, "--out", out, "--rejects", rejects)
    assert r.returncode == 130, r.stderr
    assert out.exists() and rejects.exists()


def test_devices_and_pipes_are_written_directly(cases, tmp_path):
    r = policy(
        "batch", fresh(cases, tmp_path), "--out", os.devnull, "--rejects", tmp_path / "r.jsonl"
    )
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.devnull) and not Path(os.devnull).is_file()


# -- a full disk, a file-size limit -----------------------------------------------------------


def test_a_file_size_limit_leaves_no_partial_file_and_the_old_one_intact(cases, tmp_path):
    c = fresh(cases, tmp_path)
    out = tmp_path / "d.jsonl"
    out.write_text("the decisions of yesterday\n", encoding="utf-8")
    r = policy("batch", c, "--out", out, "--force", fsize=4096)
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert "cannot write the decisions file" in line and "file size limit" in line
    assert out.read_text(encoding="utf-8") == "the decisions of yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "d.jsonl"]  # no temp


def test_a_file_size_limit_on_every_writing_command(cases, tmp_path):
    c = fresh(cases, tmp_path)
    d = tmp_path / "d.jsonl"
    assert policy("batch", c, "--out", d).returncode == 0
    for args in (
        ["generate", 500, "--out", tmp_path / "g.jsonl"],
        ["report", d, "--format", "html", "--out", tmp_path / "r.html"],
        ["catalog", "publish", "--out", tmp_path / "site"],
        ["eval", EXAMPLE, "--format", "json", "--out", tmp_path / "e.json"],
    ):
        r = policy(*args, fsize=2048)
        assert r.returncode == 2, (args, r.stderr)
        assert "file size limit" in r.stderr and "Traceback" not in r.stderr
        made = {p.name for p in tmp_path.iterdir()} - {
            "c.jsonl",
            "d.jsonl",
            "d.rejects.jsonl",
            "site",
        }
        assert made == set(), (args, made)
        assert not any((tmp_path / "site").glob("*")) if (tmp_path / "site").exists() else True


def test_fmt_rewrites_whole_or_not_at_all(tmp_path):
    (tmp_path / "programs").mkdir()
    prog = tmp_path / "programs" / "p.yaml"
    text = (ROOT / "policy" / "programs" / "skill_upgrade.yaml").read_text(encoding="utf-8")
    prog.write_text(
        text.replace("applicant.insured_months >= standards", "applicant.insured_months>=standards")
        + "#" * 8000
        + "\n",
        encoding="utf-8",
    )
    prog.chmod(0o640)
    before = prog.read_bytes()
    r = policy("fmt", prog, fsize=4096)
    assert r.returncode == 2 and "file size limit" in r.stderr
    assert prog.read_bytes() == before
    r = policy("fmt", prog)
    assert r.returncode == 0, r.stderr
    assert b"applicant.insured_months >= standards" in prog.read_bytes()
    assert (prog.stat().st_mode & 0o777) == 0o640  # the file's mode is kept
    assert sorted(p.name for p in prog.parent.iterdir()) == ["p.yaml"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ["eval", EXAMPLE],
        ["check"],
        ["schema"],
        ["generate", 20],
        ["eval", EXAMPLE, "--format", "json"],
    ],
)
def test_a_full_disk_on_standard_output_is_one_line_exit_2(args):
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [sys.executable, "-c", "import cli; cli.main()", *map(str, args)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert r.returncode == 2, r.stderr
    assert "the disk is full" in one_line(r.stderr)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_disk_as_the_output_file(cases, tmp_path):
    r = policy(
        "batch", fresh(cases, tmp_path), "--out", "/dev/full", "--rejects", tmp_path / "r.jsonl"
    )
    assert r.returncode == 2
    assert "cannot write the decisions file: the disk is full" in one_line(r.stderr)
    assert not (tmp_path / "r.jsonl").exists()  # the batch failed: no rejects file either
