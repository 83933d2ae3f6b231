"""An on-disk cache of the work that makes loading a policy slow.

A command such as `policy eval case.json` loads the policy every time. What
costs most is the same for the same text: JSON Schema validation of each
file, parsing each expression, loading the catalogues. The cache keeps the
parsed AST of each expression text, the (file, SHA-256 of its bytes) pairs
that passed their schema, and the catalogues' rule views by the SHA-256 of
their files — so an edit to one file re-does only the work for that file.
Everything is keyed by content, and the cache file itself by the version of
the tool and the grammar: nothing stale is ever served. Type checking and
compilation always run.

Location: ``$POLICY_CACHE_DIR``, else ``$XDG_CACHE_HOME/policy``, else
``~/.cache/policy``. ``POLICY_CACHE_DIR=off`` disables it. A cache that cannot
be read or written is ignored.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

FORMAT = 2


def cache_dir() -> Path | None:
    setting = os.environ.get("POLICY_CACHE_DIR")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "policy"


def _tool_fingerprint() -> str:
    """Changes whenever the code that produces cached values changes."""
    h = hashlib.sha256(str(FORMAT).encode())
    here = Path(__file__).resolve().parent.parent
    for rel in ("dsl/grammar.lark", "dsl/ast.py", "dsl/parser.py"):
        f = here / rel
        if f.exists():
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


MAX_EXPRESSIONS = 20000      # a cache that grows past this starts afresh


class Cache:
    def __init__(self, key: str | None):
        self.key = key
        self.data: dict = {}
        self.dirty = False
        self.path = None
        d = cache_dir()
        if key is None or d is None:
            return
        self.path = d / f"{key}.pickle"
        try:
            with open(self.path, "rb") as f:
                data = pickle.load(f)
            if isinstance(data, dict) and data.get("format") == FORMAT:
                self.data = data
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
                TypeError, ValueError):
            self.data = {}

    @classmethod
    def open(cls) -> "Cache":
        return cls(_tool_fingerprint())

    @staticmethod
    def files_key(files: list[Path]) -> str | None:
        h = hashlib.sha256()
        try:
            for f in sorted(files):
                h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
        except OSError:
            return None
        return h.hexdigest()

    # -- what is cached ---------------------------------------------------------------
    def validated(self, name: str, digest: str) -> bool:
        return (name, digest) in self.data.get("validated", set())

    def mark_validated(self, name: str, digest: str) -> None:
        self.data.setdefault("validated", set()).add((name, digest))
        self.dirty = True

    def expression(self, text: str):
        return self.data.get("asts", {}).get(text)

    def store_expression(self, text: str, node) -> None:
        asts = self.data.setdefault("asts", {})
        if len(asts) >= MAX_EXPRESSIONS:
            asts.clear()
        asts[text] = node
        self.dirty = True

    def get(self, name: str):
        return self.data.get(name)

    def put(self, name: str, value) -> None:
        self.data[name] = value
        self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        self.data["format"] = FORMAT
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(self.data, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)       # atomic: a reader never sees half a file
        except (OSError, pickle.PicklingError):
            pass
        self.dirty = False
