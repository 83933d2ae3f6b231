"""The caches, attacked: nothing runs from a cache, a damaged or forged entry is
rebuilt, a cache folder others control is not used, and the cache key covers
every file, schema and source file that shapes a result (issue 12, 1–2)."""

from __future__ import annotations

import json
import marshal
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from interpreter import cache as cache_module
from tests.helpers import ROOT, load_policy

EXAMPLE = ROOT / "examples" / "project_training_full_payment.json"  # 60000.00


class _Planted:
    """Unpickling this creates the marker file: proof that a pickle ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def planted_pickle(marker: Path) -> bytes:
    return pickle.dumps(_Planted(marker))


def run_policy(
    args,
    cache_dir: Path,
    tmpdir: Path | None = None,
    cwd: Path | None = None,
    extra_env: dict | None = None,
    pythonpath: Path | None = None,
):
    env = dict(os.environ)
    env["POLICY_CACHE_DIR"] = str(cache_dir)
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    env.update(extra_env or {})
    cmd = [sys.executable, "-c", "import cli; cli.main()", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=str(cwd or ROOT), timeout=120
    )


def amount(stdout: str, program: str) -> str:
    data = json.loads(stdout)
    return next(d["amount"] for d in data["decisions"] if d["program"] == program)


def cache_file(folder: Path) -> Path:
    files = list(folder.glob("*" + cache_module.SUFFIX))
    assert len(files) == 1, files
    return files[0]


# -- nothing runs from a cache -----------------------------------------------------------


def lark_cache_path(tmpdir: Path) -> Path:
    """Where `Lark(cache=True)` keeps its pickle for the tool's grammar, found by
    asking Lark itself in a process whose temporary folder is ``tmpdir``."""
    code = (
        "from lark import Lark; from dsl.parser import GRAMMAR; "
        "Lark(GRAMMAR.read_text(encoding='utf-8'), parser='lalr', lexer='basic', "
        "propagate_positions=True, maybe_placeholders=True, cache=True)"
    )
    env = dict(os.environ, TMPDIR=str(tmpdir))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=str(ROOT))
    found = list(tmpdir.glob(".lark_cache_*"))
    assert len(found) == 1, found
    return found[0]


def test_a_pickle_planted_where_lark_caches_never_runs(tmp_path):
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    marker = tmp_path / "PWNED"
    path = lark_cache_path(shared)
    head = path.read_bytes().split(b"\n", 1)[0]
    path.write_bytes(head + b"\n" + planted_pickle(marker))
    # the control: Lark's own cache would run it
    code = (
        "from lark import Lark; from dsl.parser import GRAMMAR; "
        "Lark(GRAMMAR.read_text(encoding='utf-8'), parser='lalr', lexer='basic', "
        "propagate_positions=True, maybe_placeholders=True, cache=True)"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, TMPDIR=str(shared)),
        cwd=str(ROOT),
        capture_output=True,
    )
    assert marker.exists(), "the planted pickle should run under Lark(cache=True)"
    marker.unlink()
    path.write_bytes(head + b"\n" + planted_pickle(marker))

    # the tool, from a cold policy cache (so the grammar is built), never reads it
    r = run_policy(["check"], tmp_path / "cache", tmpdir=shared)
    assert r.returncode == 0, r.stderr
    assert not marker.exists()
    r = run_policy(["eval", str(EXAMPLE)], tmp_path / "cache2", tmpdir=shared)
    assert r.returncode == 0, r.stderr
    assert not marker.exists()


def test_a_symlink_where_lark_caches_overwrites_nothing(tmp_path):
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    path = lark_cache_path(shared)
    path.unlink()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    path.symlink_to(victim)
    r = run_policy(["check"], tmp_path / "cache", tmpdir=shared)
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious\n"
    assert not [p for p in shared.iterdir() if p != path]  # nothing else written there


def test_a_pickle_planted_in_the_policy_cache_never_runs(tmp_path):
    folder = tmp_path / "cache"
    marker = tmp_path / "PWNED"
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert r.returncode == 0, r.stderr
    entry = cache_file(folder)
    # the old pickle name, the current entry, and the names a guess might try
    for name in (entry.name, entry.stem + ".pickle", "policy.pickle", cache_module.SECRET):
        (folder / name).write_bytes(planted_pickle(marker))
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert r.returncode == 0, r.stderr
    assert amount(r.stdout, "project_training") == "60000.00"
    assert not marker.exists()
    # healed: the next run reads a valid entry again
    assert cache_file(folder).read_bytes().startswith(b'{"format": %d' % cache_module.FORMAT)


# -- a damaged or forged entry is rebuilt, never trusted, never fatal ---------------------


def _warm(folder: Path) -> Path:
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert r.returncode == 0, r.stderr
    return cache_file(folder)


def test_a_poisoned_entry_doubling_an_amount_is_discarded(tmp_path):
    folder = tmp_path / "cache"
    entry = _warm(folder)
    head, payload = entry.read_bytes().split(b"\n", 1)
    data = marshal.loads(payload)
    # the attack of the issue: the amount's expression made to double
    tree = data["asts"]["project.subsidy_total"]  # the amount of project_training
    data["asts"]["project.subsidy_total"] = [
        "Binary",
        tree[1],
        "*",
        tree,
        ["Number", tree[1], "2", False],
    ]
    new_payload = marshal.dumps(data)
    # with the old header, and with a header whose digest is a plain SHA-256 of
    # the new content (what an attacker without the per-user key can compute)
    import hashlib

    forged = json.dumps(
        {
            "format": cache_module.FORMAT,
            "key": entry.stem,
            "mac": hashlib.sha256(new_payload).hexdigest(),
        }
    ).encode()
    for header in (head, forged):
        entry.write_bytes(header + b"\n" + new_payload)
        r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
        assert r.returncode == 0, r.stderr
        assert amount(r.stdout, "project_training") == "60000.00"
    # the control: signed with the user's own key, the poison is served (the
    # test does reach the entry the amount comes from)
    import hmac

    secret = (folder / cache_module.SECRET).read_bytes()
    signed = json.dumps(
        {
            "format": cache_module.FORMAT,
            "key": entry.stem,
            "mac": hmac.new(
                secret, entry.stem.encode() + b"\0" + new_payload, hashlib.sha256
            ).hexdigest(),
        }
    ).encode()
    entry.write_bytes(signed + b"\n" + new_payload)
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert amount(r.stdout, "project_training") == "120000.00"
    entry.write_bytes(forged + b"\n" + new_payload)
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert amount(r.stdout, "project_training") == "60000.00"
    # and the entry was rewritten: valid, without the poison
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert amount(r.stdout, "project_training") == "60000.00"
    _head2, payload2 = cache_file(folder).read_bytes().split(b"\n", 1)
    assert marshal.loads(payload2)["asts"]["project.subsidy_total"] == tree


def _signed(folder: Path, entry: Path, payload: bytes) -> bytes:
    """``payload`` under a header signed with the user's own key (what only the
    user's own process can write)."""
    import hashlib
    import hmac

    secret = (folder / cache_module.SECRET).read_bytes()
    mac = hmac.new(secret, entry.stem.encode() + b"\0" + payload, hashlib.sha256).hexdigest()
    return json.dumps({"format": cache_module.FORMAT, "key": entry.stem, "mac": mac}).encode()


def test_a_poisoned_parsed_policy_file_is_discarded(tmp_path):
    """The cache also keeps each policy file as it was parsed (a warm start reads
    no YAML): a program file's amount rule rewritten to double the amount is
    discarded unless signed with the user's key, like any other entry."""
    folder = tmp_path / "cache"
    entry = _warm(folder)
    head, payload = entry.read_bytes().split(b"\n", 1)
    data = marshal.loads(payload)
    (key,) = [k for k in data["sources"] if k.startswith("program\0") and "project_training" in k]
    parsed = marshal.loads(data["sources"][key])  # each file: bytes of its own
    program = parsed["data"]
    assert program["amount"]["expr"] == "project.subsidy_total"
    program["amount"]["expr"] = "project.subsidy_total * 2"
    data["sources"][key] = marshal.dumps(parsed)
    new_payload = marshal.dumps(data)
    for header in (
        head,
        b'{"format": %d, "key": "%s", "mac": "0"}'
        % (
            cache_module.FORMAT,
            entry.stem.encode(),
        ),
    ):
        entry.write_bytes(header + b"\n" + new_payload)
        r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
        assert r.returncode == 0, r.stderr
        assert amount(r.stdout, "project_training") == "60000.00"
    # the control: signed with the user's key, the parsed file is what is used
    entry = cache_file(folder)
    entry.write_bytes(_signed(folder, entry, new_payload) + b"\n" + new_payload)
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert amount(r.stdout, "project_training") == "120000.00"


def test_a_code_object_in_a_signed_entry_is_refused_never_run(tmp_path):
    """The entries are read with marshal, which can also carry code objects:
    even in an entry signed with the user's own key, a code object where a
    syntax tree or a parsed file belongs is refused as damage and rebuilt,
    and never runs (the marker file it would write is never written)."""
    folder = tmp_path / "cache"
    marker = tmp_path / "PWNED"
    entry = _warm(folder)
    _head, payload = entry.read_bytes().split(b"\n", 1)
    data = marshal.loads(payload)
    planted = compile(f"open({str(marker)!r}, 'w')", "<planted>", "exec")
    data["asts"]["project.subsidy_total"] = planted
    for key in list(data["sources"]):
        data["sources"][key] = marshal.dumps({"data": planted, "at": [planted]})
    new_payload = marshal.dumps(data)
    entry.write_bytes(_signed(folder, entry, new_payload) + b"\n" + new_payload)
    for _ in range(2):  # the planted run, then the rebuilt one
        r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
        assert r.returncode == 0, r.stderr
        assert amount(r.stdout, "project_training") == "60000.00"
    assert not marker.exists()
    _head2, payload2 = cache_file(folder).read_bytes().split(b"\n", 1)
    rebuilt = marshal.loads(payload2)["asts"]["project.subsidy_total"]
    assert isinstance(rebuilt, list) and rebuilt[0] == "Attr"  # a syntax tree again


# the warm run, counting the programs' generated sources it compiles
COUNTING = """
import builtins, sys
compiled = []
real = builtins.compile
def counting(source, filename, *args, **kwargs):
    if filename == "<policy rules>":
        compiled.append(source)
    return real(source, filename, *args, **kwargs)
builtins.compile = counting
import cli
try:
    cli.main()
finally:
    sys.stderr.write("COMPILED %d" % len(compiled))
"""


def _compiles(folder: Path) -> tuple[subprocess.CompletedProcess, int]:
    env = dict(os.environ, POLICY_CACHE_DIR=str(folder))
    r = subprocess.run(
        [sys.executable, "-c", COUNTING, "eval", str(EXAMPLE), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
        timeout=120,
    )
    return r, int(r.stderr.rsplit("COMPILED ", 1)[1])


def test_compiled_code_is_kept_and_a_rewritten_entry_never_runs(tmp_path):
    """The cache keeps the code object compiled from each program's generated
    Python (a warm `policy eval` compiles none). Code planted in those entries
    without the user's key is discarded and never runs (the marker file it
    would write never appears); an entry that is not a code object is dropped
    and compiled again."""
    folder = tmp_path / "cache"
    marker = tmp_path / "PWNED"
    r, n = _compiles(folder)
    assert r.returncode == 0 and n >= 2  # the document's rules and the program's
    r, n = _compiles(folder)
    assert r.returncode == 0 and n == 0, r.stderr  # warm: every code object from the cache
    assert amount(r.stdout, "project_training") == "60000.00"
    entry = cache_file(folder)
    head, payload = entry.read_bytes().split(b"\n", 1)
    data = marshal.loads(payload)
    assert data["code"]
    planted = marshal.dumps(compile(f"open({str(marker)!r}, 'w')", "<planted>", "exec"))
    data["code"] = dict.fromkeys(data["code"], planted)
    new_payload = marshal.dumps(data)
    import hashlib

    forged = json.dumps(
        {
            "format": cache_module.FORMAT,
            "key": entry.stem,
            "mac": hashlib.sha256(new_payload).hexdigest(),
        }
    ).encode()
    for header in (head, forged):
        entry.write_bytes(header + b"\n" + new_payload)
        r, n = _compiles(folder)
        assert r.returncode == 0, r.stderr
        assert amount(r.stdout, "project_training") == "60000.00"
        assert not marker.exists()
        assert n >= 2  # compiled afresh
    # rebuilt: the next run compiles nothing again, and runs no planted code
    r, n = _compiles(folder)
    assert (r.returncode, n) == (0, 0) and not marker.exists()
    # the control: signed with the user's own key, the planted code is what
    # runs (the test does reach the entries a program's code comes from)
    entry = cache_file(folder)
    entry.write_bytes(_signed(folder, entry, new_payload) + b"\n" + new_payload)
    _compiles(folder)
    assert marker.exists()
    # signed, but not code objects: dropped and compiled again
    marker.unlink()
    data["code"] = dict.fromkeys(data["code"], marshal.dumps("not code"))
    new_payload = marshal.dumps(data)
    entry.write_bytes(_signed(folder, entry, new_payload) + b"\n" + new_payload)
    r, n = _compiles(folder)
    assert r.returncode == 0 and n >= 2, r.stderr
    assert amount(r.stdout, "project_training") == "60000.00"
    r, n = _compiles(folder)
    assert (r.returncode, n) == (0, 0) and not marker.exists()


@pytest.mark.parametrize("cut", [0, 1, 10, 0.25, 0.5, 0.9, -1])
def test_a_truncated_entry_heals(tmp_path, cut):
    folder = tmp_path / "cache"
    entry = _warm(folder)
    raw = entry.read_bytes()
    n = int(len(raw) * cut) if isinstance(cut, float) else (cut % len(raw))
    entry.write_bytes(raw[:n])
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert r.returncode == 0, r.stderr
    assert amount(r.stdout, "project_training") == "60000.00"
    assert cache_file(folder).read_bytes() != raw[:n]  # rewritten


@pytest.mark.parametrize("damage", ["garbage", "empty", "flip", "wrong key", "folder"])
def test_each_cache_file_damaged_in_turn_heals(tmp_path, damage):
    folder = tmp_path / "cache"
    entry = _warm(folder)
    for victim in (entry, folder / cache_module.SECRET):
        raw = victim.read_bytes()
        if damage == "garbage":
            victim.write_bytes(os.urandom(len(raw)))
        elif damage == "empty":
            victim.write_bytes(b"")
        elif damage == "flip":
            victim.write_bytes(raw[:-5] + bytes([raw[-5] ^ 1]) + raw[-4:])
        elif damage == "wrong key":
            victim.write_bytes(
                os.urandom(32)
                if victim.name == cache_module.SECRET
                else raw.replace(entry.stem.encode(), b"0" * len(entry.stem), 1)
            )
        else:
            victim.unlink()
            victim.mkdir()
        for _ in range(2):  # the damaged run, then the healed one
            r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
            assert r.returncode == 0, r.stderr
            assert amount(r.stdout, "project_training") == "60000.00"
        if victim.is_dir():
            victim.rmdir()
            _warm(folder)
        entry = cache_file(folder)


# -- a cache folder others control is not used ---------------------------------------------


def test_a_cache_folder_others_may_write_is_not_used(tmp_path):
    folder = tmp_path / "shared-cache"
    folder.mkdir()
    folder.chmod(0o777)
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert r.returncode == 0
    assert "warning: the cache folder" in r.stderr and "others may write" in r.stderr
    assert amount(r.stdout, "project_training") == "60000.00"
    assert list(folder.iterdir()) == []  # nothing read, nothing written


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="giving a folder to another user needs root",
)
def test_a_cache_folder_of_another_user_is_not_used(tmp_path):
    import pwd

    nobody = pwd.getpwnam("nobody").pw_uid
    folder = tmp_path / "their-cache"
    entry = _warm(folder)
    entry.write_bytes(planted_pickle(tmp_path / "PWNED"))
    os.chown(folder, nobody, -1)
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert r.returncode == 0
    assert "belongs to another user" in r.stderr
    assert not (tmp_path / "PWNED").exists()
    assert entry.read_bytes() == planted_pickle(tmp_path / "PWNED")  # untouched
    # a file of another user's inside one's own folder is not read either
    os.chown(folder, os.getuid(), -1)
    os.chown(entry, nobody, -1)
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert r.returncode == 0, r.stderr


def test_a_new_cache_folder_is_private(tmp_path):
    folder = tmp_path / "a" / "cache"
    _warm(folder)
    assert (folder.stat().st_mode & 0o777) == 0o700
    for f in folder.iterdir():
        assert (f.stat().st_mode & 0o777) == 0o600


def test_a_cache_entry_that_is_a_symlink_is_not_followed(tmp_path):
    folder = tmp_path / "cache"
    entry = _warm(folder)
    elsewhere = tmp_path / "elsewhere.json"
    shutil.copy(entry, elsewhere)
    entry.unlink()
    entry.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert r.returncode == 0, r.stderr
    assert elsewhere.read_bytes() == before  # not written through the link


# -- the key covers everything that shapes a result ----------------------------------------


def test_the_key_covers_the_schemas_and_the_code(tmp_path):
    """A copy of the tool: warm its cache, tighten a schema of the copy, and the
    warm run finds the error a cold run finds."""
    tool = tmp_path / "tool"
    tool.mkdir()
    for item in ROOT.iterdir():
        if item.is_dir() and (item / "__init__.py").exists() and item.name != "tests":
            shutil.copytree(item, tool / item.name, ignore=shutil.ignore_patterns("__pycache__"))
        elif item.suffix == ".py":
            shutil.copy(item, tool / item.name)
    folder = tmp_path / "cache"
    r = run_policy(["check"], folder, cwd=tmp_path, pythonpath=tool)
    assert r.returncode == 0, r.stderr
    schema = tool / "policy" / "schemas" / "document.schema.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["properties"]["number"]["maxLength"] = 3
    schema.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    warm = run_policy(["check"], folder, cwd=tmp_path, pythonpath=tool)
    cold = run_policy(["check"], tmp_path / "cold", cwd=tmp_path, pythonpath=tool)
    assert cold.returncode == 1 and "number" in cold.stderr
    assert (warm.returncode, warm.stderr) == (cold.returncode, cold.stderr)

    # and the code: an edit to any source file of the engine is a new cache file
    data["properties"]["number"].pop("maxLength")
    schema.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert run_policy(["check"], folder, cwd=tmp_path, pythonpath=tool).returncode == 0
    before = set(folder.glob("*" + cache_module.SUFFIX))
    render = tool / "interpreter" / "render.py"
    render.write_text(render.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert run_policy(["check"], folder, cwd=tmp_path, pythonpath=tool).returncode == 0
    assert len(set(folder.glob("*" + cache_module.SUFFIX)) - before) == 1


def test_each_policy_file_is_read_once_and_its_hash_is_of_the_bytes_parsed(
    policy_copy, monkeypatch
):
    """An editor saving a file while it is loaded: a second read (were there
    one) sees the other version. Reads are counted, and the recorded hash is
    compared with the text the rules came from."""
    import builtins
    import hashlib
    import io

    monkeypatch.setenv("POLICY_CACHE_DIR", "off")
    std = policy_copy / "standards.yaml"
    versions = [std.read_bytes(), std.read_bytes().replace(b"value: 6000", b"value: 5000")]
    assert versions[0] != versions[1]
    reads: dict[str, int] = {}
    real_open = builtins.open

    def racing_open(file, mode="r", *args, **kwargs):
        name = os.fspath(file) if isinstance(file, (str, os.PathLike)) else None
        if name is not None and name.startswith(str(policy_copy)) and "r" in mode:
            reads[name] = reads.get(name, 0) + 1
            if Path(name) == std:  # each read of it sees the other version
                std.write_bytes(versions[(reads[name] - 1) % 2])
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", racing_open)
    monkeypatch.setattr(io, "open", racing_open)  # what pathlib calls
    try:
        policy = load_policy(policy_copy)
    finally:
        monkeypatch.setattr(builtins, "open", real_open)
        monkeypatch.setattr(io, "open", real_open)
    assert reads and all(n == 1 for n in reads.values()), reads
    assert policy.files["policy/standards.yaml"] == hashlib.sha256(versions[0]).hexdigest()
    assert policy.standards["apprenticeship_cap"].versions[0].value == 6000


def test_catalogue_data_is_read_once_and_cached_under_its_bytes(tmp_path, monkeypatch):
    """A catalogue's data file is a policy file (catalogs.yaml names it): read
    once, its hash the hash of the bytes parsed; a file saved between two
    loads is never served from the other version's cache."""
    import builtins
    import hashlib
    import io

    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", folder)
    inst = folder / "catalogs" / "institutions.yaml"
    a = inst.read_bytes()
    b = a.replace("台儿庄区就业训练中心".encode(), "某某培训中心".encode(), 1)
    inst.write_bytes(b)
    reads = {"n": 0}
    real_open = builtins.open

    def counting_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(file) == inst and "r" in mode:
            reads["n"] += 1
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    try:
        first = load_policy(folder)
    finally:
        monkeypatch.setattr(builtins, "open", real_open)
        monkeypatch.setattr(io, "open", real_open)
    assert reads["n"] == 1
    names = {i["code"]: i["name"] for i in first.catalog_values["institutions"]}
    assert names["JG-001"] == "某某培训中心"
    recorded = {k: v for k, v in first.files.items() if k.endswith("institutions.yaml")}
    assert list(recorded.values()) == [hashlib.sha256(b).hexdigest()]

    inst.write_bytes(a)
    again = load_policy(folder)
    names = {i["code"]: i["name"] for i in again.catalog_values["institutions"]}
    assert names["JG-001"] == "台儿庄区就业训练中心"
    assert hashlib.sha256(a).hexdigest() in again.files.values()


def test_the_key_covers_the_versions_of_the_tool_and_its_libraries(monkeypatch):
    """An upgrade of the schema validator may change what passes a schema."""
    real = os.listdir
    before = cache_module.tool_fingerprint.__wrapped__()

    def upgraded(path):
        return [n.replace("jsonschema-", "jsonschema-99.") for n in real(path)]

    monkeypatch.setattr(cache_module.os, "listdir", upgraded)
    assert cache_module.tool_fingerprint.__wrapped__() != before


def test_the_key_changes_with_any_write_to_the_code_even_one_that_hides(tmp_path, monkeypatch):
    """The engine's sources count by their metadata, not their bytes (a
    start-up reads none of them): an edit that keeps the file's size and sets
    its modification time back still changes the key (the change time moves
    with any write and cannot be set back)."""
    import dsl

    copy = tmp_path / "dsl"
    shutil.copytree(Path(dsl.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(dsl, "__file__", str(copy / "__init__.py"))
    before = cache_module.tool_fingerprint.__wrapped__()
    assert cache_module.tool_fingerprint.__wrapped__() == before  # stable when untouched
    victim = copy / "operators.py"
    st = victim.stat()
    text = victim.read_bytes()
    edited = text.replace(b"+", b"-", 1)
    assert edited != text and len(edited) == len(text)
    import time

    time.sleep(0.05)  # past the file system's clock tick (a few ms) since the copy
    victim.write_bytes(edited)
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert victim.stat().st_mtime_ns == st.st_mtime_ns and victim.stat().st_size == st.st_size
    assert cache_module.tool_fingerprint.__wrapped__() != before


def test_a_forged_list_of_checked_programs_is_refused_and_rebuilt(tmp_path):
    """The cache keeps which policy files once loaded without a problem, with
    their programs in order (a warm `policy eval` then compiles only the programs
    its case applies for: interpreter/lazyprograms.py). That entry rewritten to
    give project_training the file of another program is discarded unless
    signed with the user's key; and even signed, a program is built only from
    the bytes of its own file, hashed as read, never from the entry."""
    folder = tmp_path / "cache"
    _warm(folder)
    entry = _warm(folder)  # the second run is the lazy one: the entry is there
    head, payload = entry.read_bytes().split(b"\n", 1)
    data = marshal.loads(payload)
    (known,) = data["checked"].values()
    files = dict(known["programs"])
    swap = {"project_training": "skill_upgrade", "skill_upgrade": "project_training"}
    known["programs"] = [[pid, files[swap.get(pid, pid)]] for pid, _name in known["programs"]]
    new_payload = marshal.dumps(data)
    import hashlib

    forged = json.dumps(
        {
            "format": cache_module.FORMAT,
            "key": entry.stem,
            "mac": hashlib.sha256(new_payload).hexdigest(),
        }
    ).encode()
    for header in (head, forged):
        entry.write_bytes(header + b"\n" + new_payload)
        r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
        assert r.returncode == 0, r.stderr
        assert amount(r.stdout, "project_training") == "60000.00"
    # the control: signed with the user's key, the entry is read, and the
    # program built from the file it names is refused (never decided under
    # another program's id)
    entry = cache_file(folder)
    entry.write_bytes(_signed(folder, entry, new_payload) + b"\n" + new_payload)
    r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
    assert r.returncode != 0 and r.stdout == ""
    assert "holds program 'skill_upgrade', the cache expected 'project_training'" in r.stderr
    # forged again: discarded, rebuilt, and the next run is the lazy one again
    entry.write_bytes(forged + b"\n" + new_payload)
    for _ in range(2):
        r = run_policy(["eval", str(EXAMPLE), "--format", "json"], folder)
        assert r.returncode == 0, r.stderr
        assert amount(r.stdout, "project_training") == "60000.00"


def test_a_checked_entry_is_never_used_for_other_bytes(tmp_path):
    """The entry is kept by the SHA-256 of every file read: a program file
    edited after a warm run (its amount doubled) is decided from its new bytes,
    and a program broken since is reported, exit 1, whichever program the case
    applies for."""
    policy = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", policy, ignore=shutil.ignore_patterns("__pycache__"))
    folder = tmp_path / "cache"
    args = ["eval", "--policy", str(policy), str(EXAMPLE), "--format", "json"]
    for _ in range(2):
        r = run_policy(args, folder)
        assert amount(r.stdout, "project_training") == "60000.00"
    prog = policy / "programs" / "project_training.yaml"
    text = prog.read_text(encoding="utf-8")
    prog.write_text(
        text.replace("expr: project.subsidy_total\n", "expr: project.subsidy_total * 2\n")
    )
    for _ in range(2):
        r = run_policy(args, folder)
        assert amount(r.stdout, "project_training") == "120000.00"
    other = policy / "programs" / "skill_upgrade.yaml"
    other.write_text(other.read_text(encoding="utf-8").replace("clauses:", "clauses: 1\nx:", 1))
    r = run_policy(args, folder)
    assert r.returncode == 1 and "skill_upgrade.yaml" in r.stderr, r.stderr
