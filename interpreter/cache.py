"""An on-disk cache of the work that makes loading a policy slow — data only.

A command such as `policy eval case.json` loads the policy every time. What
costs most is the same for the same text: parsing each YAML file, JSON
Schema validation of each file, parsing each expression, loading the
catalogues. The cache keeps each policy file as it was parsed and validated
(by its schema, name and the SHA-256 of its bytes), the parsed syntax tree of
each expression text, the (file, SHA-256 of its bytes) pairs that passed
their schema, and the catalogues' rule views by the digest of their files —
so an edit to one file re-does only the work for that file, and a warm start
imports neither the YAML parser, nor the schema validator, nor Lark. It also
keeps which policies (by the SHA-256 of every file) loaded without an error,
with their programs in order: a command that decides then checks and
compiles only the programs it needs (``loader.load_policy(lazy=True)``).

What it trusts, and why nothing in it can run or lie (docs/security.md):

- **Data only.** The file is a line of JSON (format, key, HMAC) and then the
  entries as plain values — lists, dicts, text, numbers, booleans, in the
  forms of ``dsl.serial`` — written with ``marshal`` (several times quicker
  to read than the same values as JSON text: a start-up reads the whole
  file), and read only once their HMAC holds; reading builds syntax trees,
  types and plain values, never objects named by the file, and a value of
  any other type is refused as damage. No pickle.
- **Keyed by everything that shapes a result.** Every entry is keyed by
  content (the expression's text, the file's digest); the cache file itself
  by the policy folder's path and a fingerprint of the tool: the grammar,
  every source file of the engine, the language and the catalogues, every
  JSON Schema, and the installed versions of the tool and of the libraries
  whose results it keeps. An edit
  or an upgrade of any of them is a different cache file.
- **A per-user folder.** ``$POLICY_CACHE_DIR``, else ``$XDG_CACHE_HOME/policy``,
  else ``~/.cache/policy``; created 0700. A folder owned by another user, or
  writable by others, is not used (one warning on stderr), nor is a cache
  file that is not a regular file of the user's. The folder is opened once
  and every file is read and written through that open folder, so it cannot
  be swapped for another between the check and the use.
- **Verified.** Each file carries an HMAC-SHA256 of its content under a
  per-user key (``secret`` in the folder, 0600, made on first use): an entry
  that was truncated, damaged or written by anyone without the key is
  discarded and rebuilt — never trusted, never fatal. The same key
  authenticates the compiled code it keeps: the code object compiled from
  each program's generated Python, by the SHA-256 of that source
  (``CompiledCode``), so a warm start compiles none; it is run only from a
  file whose HMAC held, and an entry that is not a code object is dropped.
- **Atomic.** Written to a temporary file in the folder and renamed.
- **Released after a load.** Once a policy is loaded, its cache keeps no
  open folder and, in memory, only what a later use reads (``release``):
  the compiled code, and for a lazy load the program files and expressions
  until every program is built. A later write (a program compiled for the
  first time) opens the folder again, checks it as at first, and merges into
  the file as it then is. A `policy serve` worker or a batch worker keeps its
  policy for hours: not the ~0.5 MB of parsed files nor a descriptor.

``POLICY_CACHE_DIR=off`` disables it. A cache that cannot be read or written
is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import marshal
import os
import stat
import sys
from collections.abc import Iterator, MutableMapping
from functools import lru_cache
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any, cast

from dsl import serial

if TYPE_CHECKING:
    from dsl import ast

    from .yamlsource import Source

FORMAT = 7  # 7: the entries in marshal's format (6: JSON text)
MAX_EXPRESSIONS = 5000  # a cache that grows past this starts afresh
MAX_SOURCES = 1000  # parsed files kept (a cache that grows past this starts afresh)
MAX_VIEWS = 4  # catalogue views kept (the latest)
MAX_CHECKED = 8  # policies known to load without a problem (the latest)
MAX_CODE = 500  # compiled programs kept (a cache that grows past this starts afresh)
MAX_FILE_BYTES = 64 * 1024 * 1024
SECTIONS = ("validated", "asts", "views", "sources", "checked", "code")
# the most entries a section keeps (a cache that grows past this starts afresh)
LIMITS = {"asts": MAX_EXPRESSIONS, "sources": MAX_SOURCES, "code": MAX_CODE}
SECRET = "secret"
SUFFIX = ".cache"

_warned: set[str] = set()


def cache_dir() -> Path | None:
    setting = os.environ.get("POLICY_CACHE_DIR")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "policy"


def _warn(folder: Path, why: str) -> None:
    if str(folder) in _warned:
        return
    _warned.add(str(folder))
    sys.stderr.write(f"warning: the cache folder {folder} is not used: {why}\n")


def _refusal(st: os.stat_result) -> str | None:
    """Why a folder or file of the cache must not be trusted, or None."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return f"it belongs to another user (uid {st.st_uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "others may write to it (it should be 0700)"
    return None


def open_dir(folder: Path) -> int | None:
    """The cache folder opened (a descriptor), created 0700 when missing;
    None (and one warning) when it must not be used."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        _warn(folder, exc.strerror or str(exc))
        return None
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError as exc:
        _warn(folder, exc.strerror or str(exc))
        return None
    try:
        st = os.fstat(fd)
        why = None if stat.S_ISDIR(st.st_mode) else "it is not a folder"
        why = why or _refusal(st)
    except OSError as exc:
        why = exc.strerror or str(exc)
    if why is not None:
        os.close(fd)
        _warn(folder, why)
        return None
    return fd


def _read(name: str, dir_fd: int, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """A regular file of the user's in the cache folder; None otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or _refusal(st) is not None or st.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def _secret(dir_fd: int) -> bytes | None:
    """The per-user key of this cache folder, made on first use."""
    got = _read(SECRET, dir_fd, 1024)
    if got is not None and len(got) == 32:
        return got
    from .outputs import atomic_write_bytes

    try:
        atomic_write_bytes(SECRET, os.urandom(32), mode=0o600, dir_fd=dir_fd)
    except OSError:
        return None
    got = _read(SECRET, dir_fd, 1024)  # another process may have won the race
    return got if got is not None and len(got) == 32 else None


def _mac(secret: bytes, key: str, payload: bytes) -> str:
    return hmac.new(secret, key.encode() + b"\0" + payload, hashlib.sha256).hexdigest()


_VERSIONED = ("policy", "jsonschema", "lark", "pyyaml", "referencing", "rpds_py")


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """Changes whenever the code or the schemas that shape a cached value change.

    Each source file counts by its name, size, modification and change times
    (in nanoseconds) and inode, not by its bytes: what the system changes on
    any write to it — the test Python's own bytecode cache makes, and a
    stricter one, since a change time cannot be set back. Reading and
    hashing the ~700 KB of the engine's sources cost every start-up ~2 ms;
    their metadata, a tenth of that."""
    import importlib.util

    import dsl

    h = hashlib.sha256(f"policy-cache {FORMAT} {sys.version_info[:2]}".encode())
    roots = [Path(dsl.__file__).parent, Path(__file__).parent]
    # found, not imported: importing the catalogues costs more than reading them
    for package, sub in (("policy", "schemas"), ("catalogs", "")):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            roots.append(Path(next(iter(spec.submodule_search_locations))) / sub)
    # the versions of the tool and of the libraries whose results are cached
    # (the schema validator, the parser, the YAML reader): their installed
    # distributions' names, found beside the validator, not imported
    spec = importlib.util.find_spec("jsonschema")
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        try:
            names = sorted(
                n
                for n in os.listdir(site)
                if n.lower().endswith((".dist-info", ".egg-info"))
                and n.lower().split("-")[0] in _VERSIONED
            )
        except OSError:
            names = []
        h.update("\0".join(names).encode())
    for root in roots:
        for rel in _source_files(str(root)):
            try:
                st = os.stat(os.path.join(root, rel))
                seen = f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"
            except OSError:
                seen = "unreadable"
            h.update(f"{rel}\0{seen}\0".encode())
    return h.hexdigest()[:32]


def _source_files(root: str) -> list[str]:
    """The .py, .lark and .json files under ``root`` (relative, sorted), not
    descending into __pycache__ (``os.walk``: a start-up pays for this walk,
    and pathlib's rglob costs several times as much)."""
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel = os.path.relpath(folder, root)
        for name in files:
            if name.endswith((".py", ".lark", ".json")):
                out.append(name if rel == "." else os.path.join(rel, name))
    return sorted(out, key=lambda r: Path(r).parts)


class Cache:
    """The cache of one tool fingerprint (``Cache.open()``), or none (``Cache(None)``)."""

    def __init__(self, key: str | None):
        self.key = key
        self.data: dict = {}
        self.dirty = False
        self.path: Path | None = None
        self._dir_fd: int | None = None
        self._secret: bytes | None = None
        # released (``release``): the folder closed, only some sections kept
        self.released = False
        folder = cache_dir()
        if key is None or folder is None:
            return
        fd = open_dir(folder)
        if fd is None:
            return
        secret = _secret(fd)
        if secret is None:
            os.close(fd)
            return
        self._dir_fd, self._secret = fd, secret
        self.path = folder / (key + SUFFIX)
        raw = _read(key + SUFFIX, fd)
        if raw is None:
            return
        data = self._verify(raw)
        if data is None:
            self.dirty = True  # damaged or forged: rebuilt and written again
        else:
            self.data = data

    def _verify(self, raw: bytes, secret: bytes | None = None) -> dict | None:
        # read only from an opened cache folder: the key and secret are set
        secret = secret if secret is not None else self._secret
        assert secret is not None and self.key is not None
        head, sep, payload = raw.partition(b"\n")
        try:
            header = json.loads(head)
            if not (
                sep
                and isinstance(header, dict)
                and header.get("format") == FORMAT
                and header.get("key") == self.key
                and isinstance(header.get("mac"), str)
            ):
                return None
            if not hmac.compare_digest(header["mac"], _mac(secret, self.key, payload)):
                return None
            # authenticated: only this user's own process wrote these bytes
            data = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return None
        if not isinstance(data, dict):
            return None
        out: dict[str, Any] = {
            "validated": set(),
            "asts": {},
            "views": {},
            "sources": {},
            "checked": {},
            "code": {},
        }
        validated = data.get("validated")
        asts = data.get("asts")
        views = data.get("views")
        sources = data.get("sources")
        checked = data.get("checked")
        code = data.get("code", {})
        if not (
            isinstance(code, dict)
            and isinstance(validated, list)
            and isinstance(asts, dict)
            and isinstance(views, dict)
            and isinstance(sources, dict)
            and isinstance(checked, dict)
        ):
            return None
        out["code"] = code  # unmarshalled one by one, when asked for
        for pair in validated:
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair):
                out["validated"].add(tuple(pair))
        out["asts"] = asts  # decoded one by one, when asked for
        out["views"] = views
        out["sources"] = sources  # decoded one by one, when asked for
        out["checked"] = checked  # read by checked(), which checks its shape
        return out

    @classmethod
    def open(cls, scope: str | None = None) -> Cache:
        """The cache of this tool's fingerprint and of ``scope`` (the policy
        folder): each policy folder has a file of its own, so loading one
        policy never decodes the entries of another (an officer with several
        policies; a start-up pays for reading its cache file)."""
        key = tool_fingerprint()
        if scope is not None:
            key = hashlib.sha256(f"{key}\0{scope}".encode()).hexdigest()[:32]
        return cls(key)

    # -- what is cached ---------------------------------------------------------------
    def validated(self, name: str, digest: str) -> bool:
        return (name, digest) in self.data.get("validated", ())

    def mark_validated(self, name: str, digest: str) -> None:
        self.data.setdefault("validated", set()).add((name, digest))
        self.dirty = True

    def expression(self, text: str) -> ast.Node | None:
        """The syntax tree of ``text``, or None; a damaged entry is dropped."""
        got = self.data.get("asts", {}).get(text)
        if got is None:
            return None
        try:
            return serial.from_data(got)
        except Exception:  # noqa: BLE001 - a damaged entry is rebuilt, never fatal
            del self.data["asts"][text]
            self.dirty = True
            return None

    def store_expression(self, text: str, node: ast.Node) -> None:
        asts = self.data.setdefault("asts", {})
        if len(asts) >= MAX_EXPRESSIONS:
            asts.clear()
        asts[text] = serial.to_data(node)
        self.dirty = True

    @staticmethod
    def _source_key(schema: str, name: str, digest: str) -> str:
        return f"{schema}\0{name}\0{digest}"

    def source(self, schema: str, name: str, digest: str, text: str) -> Source | None:
        """The parsed file ``name`` (a ``yamlsource.Source``) whose bytes have the
        SHA-256 ``digest`` and the text ``text``, as it was once read, validated
        against ``schema`` and its dates read; None when not cached (a damaged
        entry is dropped). A file of other bytes is another key: never this one."""
        key = self._source_key(schema, name, digest)
        got = self.data.get("sources", {}).get(key)
        if got is None:
            return None
        from .yamlsource import source_from_data

        try:
            # kept as bytes of its own: only the files a command reads are
            # decoded (a lazy load reads no program it does not build)
            if not isinstance(got, bytes):
                raise ValueError("not a parsed file")
            return source_from_data(name, text, digest, marshal.loads(got))
        except Exception:  # noqa: BLE001 - a damaged entry is rebuilt, never fatal
            del self.data["sources"][key]
            self.dirty = True
            return None

    def store_source(self, schema: str, src: Source) -> None:
        """Keep ``src`` (a file read from its bytes, validated, dates read)."""
        from .yamlsource import source_to_data

        try:
            entry = marshal.dumps(source_to_data(src))
        except (TypeError, ValueError):
            return  # something with no plain form: not cached
        sources = self.data.setdefault("sources", {})
        if len(sources) >= MAX_SOURCES:
            sources.clear()
        digest = cast(str, src.sha256)  # a file read from its bytes has their hash
        sources[self._source_key(schema, src.name, digest)] = entry
        self.dirty = True

    def has_source(self, schema: str, name: str, digest: str) -> bool:
        """Whether the file ``name`` of these bytes is kept parsed (not decoded)."""
        return self._source_key(schema, name, digest) in self.data.get("sources", {})

    def checked(self, key: str) -> dict | None:
        """What a load of the policy files ``key`` names (``loader.checked_key``)
        found when it checked every file and expression without a problem: the
        digests of every file it read (the catalogues' too) and its programs in
        order, ``{"files": {name: sha256}, "programs": [[id, file name], ...]}``;
        None when unknown or damaged."""
        got = self.data.get("checked", {}).get(key)
        if got is None:
            return None
        files, programs = (
            (got.get("files"), got.get("programs")) if isinstance(got, dict) else (0, 0)
        )
        if (
            isinstance(files, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
            and isinstance(programs, list)
            and all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
                for p in programs
            )
        ):
            return {"files": files, "programs": programs}
        del self.data["checked"][key]
        self.dirty = True
        return None

    def store_checked(self, key: str, files: dict[str, str], programs: list) -> None:
        checked = self.data.setdefault("checked", {})
        checked.pop(key, None)
        while len(checked) >= MAX_CHECKED:
            checked.pop(next(iter(checked)))
        checked[key] = {"files": dict(files), "programs": [list(p) for p in programs]}
        self.dirty = True

    def code(self, key: str) -> CodeType | None:
        """The code object compiled from the generated source whose SHA-256 is
        ``key`` (``dsl.codegen.generate_function``), or None; an entry that is
        not a code object is dropped. Read only from a file whose HMAC held:
        the code a program runs is what this user's own process compiled."""
        got = self.data.get("code", {}).get(key)
        if got is None:
            return None
        try:
            code = marshal.loads(got) if isinstance(got, bytes) else None
        except (ValueError, EOFError, TypeError):
            code = None
        if not isinstance(code, CodeType):
            del self.data["code"][key]
            self.dirty = True
            return None
        return code

    def store_code(self, key: str, code: CodeType) -> None:
        entries = self.data.setdefault("code", {})
        if len(entries) >= MAX_CODE:
            entries.clear()
        entries[key] = marshal.dumps(code)
        self.dirty = True

    def views(self, key: str) -> tuple[dict, dict, dict] | None:
        """(types, values, file digests) of the catalogues stored under ``key``, or None."""
        got = self.data.get("views", {}).get(key)
        if got is None:
            return None
        try:
            types = {k: serial.type_from_data(v) for k, v in got["types"].items()}
            values = {k: serial.value_from_data(v) for k, v in got["values"].items()}
            hashes = dict(got["hashes"])
            if set(types) != set(values) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in hashes.items()
            ):
                raise ValueError("inconsistent")
            return types, values, hashes
        except Exception:  # noqa: BLE001 - a damaged entry is rebuilt, never fatal
            del self.data["views"][key]
            self.dirty = True
            return None

    def store_views(self, key: str, types: dict, values: dict, hashes: dict) -> None:
        try:
            entry = {
                "types": {k: serial.type_to_data(v) for k, v in types.items()},
                "values": {k: serial.value_to_data(v) for k, v in values.items()},
                "hashes": dict(hashes),
            }
        except TypeError:
            return  # something with no JSON form: not cached
        views = self.data.setdefault("views", {})
        views.pop(key, None)
        while len(views) >= MAX_VIEWS:
            views.pop(next(iter(views)))
        views[key] = entry
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        if self._dir_fd is None:
            if self.released:
                self._merge()
            return
        # the folder is open: the key and secret were set with it
        assert self._secret is not None and self.key is not None
        self.dirty = False
        self._write(self._dir_fd, self._secret, self.data)

    def _write(self, dir_fd: int, secret: bytes, data: dict) -> None:
        assert self.key is not None
        from .outputs import atomic_write_bytes

        try:
            payload = marshal.dumps(
                {
                    "validated": [list(p) for p in sorted(data.get("validated", ()))],
                    "asts": data.get("asts", {}),
                    "views": data.get("views", {}),
                    "sources": data.get("sources", {}),
                    "checked": data.get("checked", {}),
                    "code": data.get("code", {}),
                }
            )
        except (TypeError, ValueError):
            return
        header = json.dumps(
            {"format": FORMAT, "key": self.key, "mac": _mac(secret, self.key, payload)}
        ).encode()
        with contextlib.suppress(OSError):
            atomic_write_bytes(
                self.key + SUFFIX, header + b"\n" + payload, mode=0o600, dir_fd=dir_fd
            )

    def release(self, keep: tuple[str, ...] = ("code",), schema: str | None = None) -> None:
        """Once a load is done: what it added saved, the folder closed, and
        only the sections ``keep`` names kept in memory (what a later use
        reads) — of the parsed files, with ``schema``, only those of that
        schema (a lazy load's programs). The rest is read from the file again
        by the next load."""
        if self.path is None:
            return
        self.save()
        self.close()
        self._secret = None
        self.data = {k: v for k, v in self.data.items() if k in keep}
        if schema is not None and "sources" in self.data:
            mine = schema + "\0"
            self.data["sources"] = {
                k: v for k, v in self.data["sources"].items() if k.startswith(mine)
            }
        self.released = True

    def _merge(self) -> None:
        """Save a released cache: the folder opened and checked again (as
        ``Cache`` does), the file as it now is read and verified, what this
        process added merged into it, written, the folder closed again."""
        assert self.path is not None and self.key is not None
        fd = open_dir(self.path.parent)
        if fd is None:
            return
        try:
            secret = _secret(fd)
            if secret is None:
                return
            raw = _read(self.key + SUFFIX, fd)
            disk = (self._verify(raw, secret) if raw is not None else None) or {}
            merged: dict[str, Any] = {}
            for section in SECTIONS:
                theirs, mine = disk.get(section), self.data.get(section)
                if section == "validated":
                    merged[section] = set(theirs or ()) | set(mine or ())
                    continue
                both = {**(theirs or {}), **(mine or {})}
                if len(both) > LIMITS.get(section, len(both)):
                    both = dict(mine or {})
                merged[section] = both
            self.dirty = False
            self._write(fd, secret, merged)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None

    def __del__(self) -> None:
        # never an error while collecting garbage — nor at exit, once the
        # modules are torn down: a released cache looks up no global at all
        if getattr(self, "_dir_fd", None) is None:
            return
        try:
            self.close()
        except Exception:  # noqa: BLE001 - the folder is closed at exit anyway
            return

    @staticmethod
    def files_key(files: list[Path]) -> str | None:
        """A digest of the names and bytes of ``files`` (None: one is unreadable)."""
        h = hashlib.sha256()
        try:
            for f in sorted(files):
                h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
        except OSError:
            return None
        return h.hexdigest()


class CompiledCode(MutableMapping):
    """``Policy.compiled`` of a policy loaded with a cache: the code objects of
    its generated programs by the SHA-256 of their source, read from the
    cache and written to it (saved at once: a program is compiled once per
    process, after the load has saved the cache). A warm `policy eval` then
    compiles no program source."""

    def __init__(self, cache: Cache):
        self._cache = cache
        self._here: dict[str, CodeType] = {}

    def __getitem__(self, key: str) -> CodeType:
        got = self._here.get(key)
        if got is None:
            got = self._cache.code(key)
            if got is None:
                raise KeyError(key)
            self._here[key] = got
        return got

    def __setitem__(self, key: str, code: CodeType) -> None:
        self._here[key] = code
        self._cache.store_code(key, code)
        self._cache.save()

    def __delitem__(self, key: str) -> None:
        del self._here[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._here))

    def __len__(self) -> int:
        return len(self._here)
