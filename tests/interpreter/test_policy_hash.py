"""Policy.hash is remembered between decisions, never stale: it is the hash of
the file digests it was made from, and a changed ``files`` gives a new one."""

from __future__ import annotations

import hashlib

from tests.helpers import load_policy


def _hash_of(files: dict) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\n")
    return "sha256:" + h.hexdigest()


def test_remembered_and_never_stale():
    policy = load_policy()
    first = policy.hash
    assert first == _hash_of(policy.files) and policy.hash == first
    policy.files["programs/extra.yaml"] = "0" * 64
    changed = policy.hash
    assert changed != first and changed == _hash_of(policy.files)
    policy.files["programs/extra.yaml"] = "1" * 64  # same names, another digest
    assert policy.hash not in (first, changed)
    del policy.files["programs/extra.yaml"]
    assert policy.hash == first
