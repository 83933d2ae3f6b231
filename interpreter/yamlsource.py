"""Strict YAML loading that remembers where every value came from.

Officers edit these files by hand, so a mistake must be reported at its line
and column. PyYAML's composer gives marks on nodes; we construct plain Python
values ourselves from the node tree and keep a map from the dotted path of
each value to its position. On the way we refuse what makes a file ambiguous
or dangerous: duplicate keys, anchors and aliases (the "billion laughs" bomb),
floats (money must be exact: numbers become Decimal), excessive size or depth.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import stat
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsl.dates import date_problem
from dsl.errors import PolicyFileError, Position
from dsl.records import Record, field

if TYPE_CHECKING:
    import yaml
    from yaml.nodes import Node, ScalarNode

# PyYAML is imported by the functions that parse, not with this module: a
# warm start takes its files' parsed contents from the policy cache
# (``Source`` below is what both give) and never loads the YAML parser

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40
# values (scalars, lists, mappings) in one file: a 1.8 MB file of 600,000
# empty programs once took 4 GB and two and a half minutes to fail; counted on
# the parser's events, before any tree is built, when the file could hold more
MAX_VALUES = 100_000
MAX_DIGITS = 15  # digits before the point of a number in a policy file
_SURROGATE = re.compile("[\ud800-\udfff]")


def _brief(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_INT = re.compile(r"^[-+]?[0-9]+$")
_DEC = re.compile(r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$")


@lru_cache(maxsize=1)
def _strict_composer() -> type[yaml.SafeLoader]:
    """A SafeLoader that refuses aliases before anything is expanded, and
    nesting deeper than MAX_DEPTH before the (recursive) Python composer
    overflows the stack on `[[[[...]]]]`."""
    import yaml
    from yaml.events import AliasEvent

    class StrictComposer(yaml.SafeLoader):
        _depth = 0

        def compose_node(self, parent: Node | None, index: int) -> Node | None:
            if self.check_event(AliasEvent):
                event = self.peek_event()
                raise yaml.MarkedYAMLError(
                    None,
                    None,
                    "anchors and aliases (&name / *name) are not allowed; "
                    "write the value out in full",
                    event.start_mark,
                )
            if self._depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    None,
                    None,
                    f"nesting deeper than {MAX_DEPTH} levels",
                    self.peek_event().start_mark,
                )
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return StrictComposer


class Source(Record):
    """A loaded YAML (or JSON) document with positions by dotted path."""

    name: str
    text: str
    # plain values as the file wrote them (dicts, lists, str, Decimal, ...):
    # their shape is checked by the JSON schemas and the loaders, not by type
    data: Any
    positions: dict[tuple, tuple[int | None, int | None]] = field(default_factory=dict)
    nodes: dict[tuple, ScalarNode] = field(default_factory=dict)
    # SHA-256 (hex) of the bytes this document was parsed from, when read from
    # a file: the bytes are read once, hashed and parsed, so a file saved while
    # it is read can never give one version's hash beside another's content
    sha256: str | None = None

    def position(self, path: tuple = ()) -> Position:
        """Position of the value at ``path``, or of its nearest ancestor."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        line, col = self.positions.get(path, (None, None))
        return Position(self.name, line, col)

    def view(self, prefix: tuple) -> Source:
        """The part of this document under ``prefix``, as a document of its own
        (positions still point into this file)."""
        n = len(prefix)
        data = self.data
        for p in prefix:
            data = data[p]
        out = Source(self.name, self.text, data)
        out.positions = {k[n:]: v for k, v in self.positions.items() if k[:n] == tuple(prefix)}
        out.nodes = {k[n:]: v for k, v in self.nodes.items() if k[:n] == tuple(prefix)}
        return out

    def only(self, keys: tuple) -> Source:
        """This document with only the top-level ``keys`` it has."""
        out = Source(self.name, self.text, {k: self.data[k] for k in keys if k in self.data})
        out.positions = {k: v for k, v in self.positions.items() if not k or k[0] in keys}
        out.nodes = {k: v for k, v in self.nodes.items() if k and k[0] in keys}
        return out

    def line_text(self, line: int | None) -> str | None:
        if line is None:
            return None
        lines = self.text.splitlines()
        if 1 <= line <= len(lines):
            return lines[line - 1]
        return None

    def error(
        self, path: tuple, message: str, *, context: str | None = None, hint: str | None = None
    ) -> PolicyFileError:
        pos = self.position(path)
        return PolicyFileError(
            message, position=pos, context=context, snippet=self.line_text(pos.line), hint=hint
        )

    def expression_locator(
        self, path: tuple
    ) -> Callable[[int, int], tuple[int | None, int | None]]:
        """Map (line, col) inside the string at ``path`` to file positions.

        Exact for plain, single-line quoted and literal block scalars, which is
        how expressions are written; otherwise the scalar's start.
        """
        node = _node(self.nodes.get(tuple(path)), self.data, tuple(path))
        if node is None:
            pos = self.position(path)
            return lambda line, col: (pos.line, pos.column)
        start = node.start_mark
        value = node.value
        raw = self.text[start.index : node.end_mark.index]
        style = node.style
        base_line, base_col = start.line + 1, start.column + 1
        if style in (None, "") and "\n" not in raw and raw == value:
            return lambda line, col: (base_line, base_col + col - 1)
        if style in ("'", '"') and "\n" not in raw and raw[1:-1] == value:
            return lambda line, col: (base_line, base_col + col)
        if style == "|":
            body = raw.split("\n")[1:]
            indent = None
            for b in body:
                if b.strip():
                    indent = len(b) - len(b.lstrip(" "))
                    break
            indent = indent or 0
            return lambda line, col: (base_line + line, indent + col)
        return lambda line, col: (base_line, base_col)


def read_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES, name: str | None = None) -> bytes:
    """A file's bytes, read once; never more than ``max_bytes`` into memory."""
    from .outputs import note_policy_file

    name = name or str(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
            st = os.fstat(f.fileno())
            size = st.st_size
    except OSError as exc:
        raise PolicyFileError(
            f"cannot read the file: {exc.strerror}", position=Position(name)
        ) from None
    if len(raw) > max_bytes:
        raise PolicyFileError(
            f"the file is {max(size, len(raw))} bytes; the limit is {max_bytes} bytes",
            position=Position(name),
        )
    if stat.S_ISREG(st.st_mode):
        note_policy_file(path, st)  # no command may write over it (outputs.py)
    return raw


def decode(raw: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark allowed), or an error naming the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyFileError(
            f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8",
            position=Position(name, line),
        ) from None


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES, name: str | None = None) -> str:
    """Read a UTF-8 file, refusing huge or non-UTF-8 files with a clear error."""
    name = name or str(path)
    return decode(read_bytes(path, max_bytes, name), name)


def load_yaml(
    path: Path | str, *, display_name: str | None = None, text: str | None = None
) -> Source:
    import yaml

    path = Path(path)
    name = display_name or str(path)
    digest = None
    if text is None:
        raw = read_bytes(path, name=name)
        digest = hashlib.sha256(raw).hexdigest()
        text = decode(raw, name)
    if not text.strip():
        raise PolicyFileError("the file is empty", position=Position(name, 1, 1))
    # libyaml's composer is several times faster; it keeps an alias as a second
    # reference to the anchored node, which _construct detects (and then the
    # Python composer is run to point at the alias itself)
    fast = getattr(yaml, "CSafeLoader", None)
    if len(text) > MAX_VALUES:  # shorter, it cannot hold more values than that
        _count_values(text, name, fast or yaml.SafeLoader)
    try:
        loader = fast(text) if fast is not None else _strict_composer()(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, name) from None
    try:
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, name) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = exc.problem or exc.context or "malformed YAML"
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        lines = text.splitlines()
        snippet = lines[line - 1] if line and line <= len(lines) else None
        cm = exc.context_mark
        if (
            exc.problem
            and exc.context
            and cm is not None
            and mark is not None
            and (cm.line, cm.column) != (mark.line, mark.column)
        ):
            # "did not find expected ',' or ']'" says little without where the list began
            msg += f" ({exc.context} that starts at line {cm.line + 1}, column {cm.column + 1})"
        hint = None
        if snippet is not None and col is not None and snippet[col - 1 : col] == "\t":
            hint = "YAML is indented with spaces; this line has a tab"
        opened = _unclosed_quote(text, mark)
        where = f"read on to line {line}, where the next quote mark is"
        if opened is None and cm is not None and "quoted scalar" in (exc.context or ""):
            # the quote never closes: the scanner ran to the end of the file
            opened = (cm.line + 1, cm.column + 1, text[cm.index : cm.index + 1] or "'")
            where = "nor anywhere after it"
        if opened is not None:
            # the parser reads on to the next quote mark and stops there, lines
            # later: the mistake is where the quoted text began
            qline, qcol, quote = opened
            raise PolicyFileError(
                f"YAML syntax: the text quoted with {quote} on this line is not closed on it "
                f"({where})",
                position=Position(name, qline, qcol),
                snippet=lines[qline - 1] if qline <= len(lines) else None,
                hint=f"add the closing {quote} at the end of the text on line {qline}",
            ) from None
        if hint is None and any(word in msg for word in _INDENTATION):
            hint = (
                "check the indentation: a key lines up with the other keys of its "
                "block, a list item's '-' with the other items, and a value that "
                "continues on the next line is indented further (spaces, not tabs)"
            )
        raise PolicyFileError(
            f"YAML syntax: {msg}", position=Position(name, line, col), snippet=snippet, hint=hint
        ) from None
    except yaml.YAMLError as exc:
        raise PolicyFileError(f"YAML syntax: {exc}", position=Position(name)) from None
    finally:
        loader.dispose()
    src = Source(name=name, text=text, data=None, sha256=digest)
    if node is None:
        raise PolicyFileError("the file is empty", position=Position(name, 1, 1))
    try:
        src.data = _construct(node, (), src, 0, set())
    except _AliasFound:
        slow = _strict_composer()(text)
        try:
            slow.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            assert mark is not None  # the parser marks where it stopped
            raise PolicyFileError(
                f"YAML syntax: {exc.problem}",
                position=Position(name, mark.line + 1, mark.column + 1),
                snippet=src.line_text(mark.line + 1),
            ) from None
        finally:
            slow.dispose()
        raise PolicyFileError(
            "YAML syntax: anchors and aliases (&name / *name) are not allowed",
            position=Position(name),
        ) from None
    return src


def _count_values(text: str, name: str, loader: type) -> None:
    """Refuse a file of more than MAX_VALUES values, from the parser's events
    (streamed: nothing is built). Syntax errors are left to the real load."""
    import yaml
    from yaml.events import MappingStartEvent, ScalarEvent, SequenceStartEvent

    n = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, (ScalarEvent, MappingStartEvent, SequenceStartEvent)):
                n += 1
                if n > MAX_VALUES:
                    mark = event.start_mark
                    assert mark is not None  # the parser marks every event
                    raise PolicyFileError(
                        f"the file holds more than {MAX_VALUES} values; the limit is {MAX_VALUES}",
                        position=Position(name, mark.line + 1, mark.column + 1),
                        hint="a policy is small: split it, or look for a runaway list",
                    )
    except yaml.YAMLError:
        return


# what PyYAML says when a line is indented wrongly
_INDENTATION = (
    "mapping values are not allowed",
    "did not find expected key",
    "expected <block end>",
    "did not find expected '-' indicator",
    "could not find expected ':'",
    "found a tab character",
    "found character that cannot start any token",
)


def _unclosed_quote(text: str, mark: yaml.Mark | None) -> tuple[int, int, str] | None:
    """(line, column, quote) of a quoted scalar that began on one line and ran
    on, past line ends, to just before the syntax error at ``mark``: a quote
    that was never closed on its line."""
    if mark is None:
        return None
    import yaml

    last = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.index >= mark.index:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"'):
                last = token
            elif not isinstance(
                token,
                (
                    yaml.ValueToken,
                    yaml.KeyToken,
                    yaml.BlockEndToken,
                    yaml.BlockEntryToken,
                    yaml.BlockMappingStartToken,
                ),
            ):
                last = (
                    None
                    if last is not None and token.start_mark.index > last.end_mark.index
                    else last
                )
    except yaml.YAMLError:
        pass
    if last is None or last.start_mark.line == last.end_mark.line:
        return None
    if mark.line - last.end_mark.line > 1:
        return None  # the error is not where the quoted text ended
    first_line = text.splitlines()[last.start_mark.line]
    rest = first_line[last.start_mark.column + 1 :]
    if last.style in rest.replace(last.style * 2, ""):
        return None  # closed on its line: a deliberate multi-line text
    return last.start_mark.line + 1, last.start_mark.column + 1, last.style


class _AliasFound(Exception):
    pass


def _reader_error(exc: yaml.reader.ReaderError, text: str, name: str) -> PolicyFileError:
    """A character YAML does not allow (NUL, another control character)."""
    import yaml

    # libyaml reports a byte offset: find the character ourselves
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    at = bad.start() if bad else (exc.position if isinstance(exc.position, int) else 0)
    exc.character = text[at] if bad else exc.character
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    lines = text.splitlines()
    return PolicyFileError(
        f"the file contains the control character U+{char:04X}, which YAML does not allow; "
        "remove it",
        position=Position(name, line, col),
        snippet=(
            yaml.reader.Reader.NON_PRINTABLE.sub("\ufffd", lines[line - 1])
            if line <= len(lines)
            else None
        ),
    )


# ``node``: a PyYAML node (its class attribute ``id``, which the stubs leave
# out, says which kind)
def _construct(node: Any, path: tuple, src: Source, depth: int, seen: set) -> Any:
    if id(node) in seen:
        raise _AliasFound()
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise src_error(src, node, f"nesting deeper than {MAX_DEPTH} levels")
    src.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    kind = node.id  # "scalar", "sequence" or "mapping" (PyYAML's node classes)
    if kind != "scalar" and node.tag not in (
        "tag:yaml.org,2002:map",
        "tag:yaml.org,2002:seq",
    ):
        # `!!python/object/apply:os.system [...]`, `!!set {...}`: never built,
        # but not silently read as a plain list or mapping either
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise src_error(src, node, f"YAML tag {tag} is not allowed")
    if kind == "mapping":
        out: dict = {}
        for knode, vnode in node.value:
            if knode.id != "scalar":
                raise src_error(src, knode, "a key must be a plain word")
            if knode.tag == "tag:yaml.org,2002:merge":
                raise src_error(src, knode, "merge keys (<<) are not allowed")
            key = _scalar(knode, src)
            if not isinstance(key, (str, int, Decimal)) or isinstance(key, bool):
                key = knode.value
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                first = src.positions.get(path + (key,), (None, None))[0]
                raise src_error(src, knode, f"duplicate key '{key}' (first given on line {first})")
            out[key] = _construct(vnode, path + (key,), src, depth + 1, seen)
            # the key's own position is more useful than the value's for messages
            # about the entry as a whole, but the value's is kept for expressions
        return out
    if kind == "sequence":
        return [
            _construct(item, path + (i,), src, depth + 1, seen) for i, item in enumerate(node.value)
        ]
    src.nodes[path] = node  # a scalar: neither a mapping nor a list, nor another tag
    return _scalar(node, src)


def src_error(src: Source, node: Node, message: str) -> PolicyFileError:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    return PolicyFileError(
        message, position=Position(src.name, line, col), snippet=src.line_text(line)
    )


def _scalar(node: ScalarNode, src: Source) -> Any:
    tag, value = node.tag, node.value
    if tag == "tag:yaml.org,2002:str":
        if _SURROGATE.search(value):
            raise src_error(
                src,
                node,
                "the text contains an invalid character (a lone "
                "\\u escape between \\ud800 and \\udfff)",
            )
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() in ("true", "yes", "on")
    if tag == "tag:yaml.org,2002:int":
        text = value.replace("_", "")
        if _INT.match(text):
            if len(text.lstrip("+-0")) > MAX_DIGITS:
                raise src_error(
                    src,
                    node,
                    f"'{_brief(value)}' is too large a number (at most {MAX_DIGITS} digits)",
                )
            return int(text)
        return value
    if tag == "tag:yaml.org,2002:float":
        text = value.replace("_", "")
        if not _DEC.match(text):
            raise src_error(src, node, f"'{value}' is not a finite decimal number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise src_error(src, node, f"'{value}' is not a decimal number") from None
        # 1.0e+999999999 is a finite Decimal, but turning it into an int or a
        # float (for schema validation) would take hours
        if number and number.adjusted() >= MAX_DIGITS:
            raise src_error(
                src,
                node,
                f"'{_brief(value)}' is too large a number "
                f"(at most {MAX_DIGITS} digits before the point)",
            )
        return number
    if tag == "tag:yaml.org,2002:timestamp":
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            message, hint = date_problem(value, f"'{value}'")
            err = src_error(src, node, message)
            err.hint = hint
            raise err from None
    if tag.startswith("tag:yaml.org,2002:"):
        raise src_error(src, node, f"YAML type {tag.rsplit(':', 1)[-1]} is not allowed here")
    raise src_error(src, node, f"YAML tag {tag} is not allowed")


def to_jsonable(value: Any) -> Any:
    """Dates and Decimals as JSON Schema sees them (for validation only)."""
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# -- a parsed file as plain data (the policy cache keeps it) -------------------------------------


class _Mark:
    """Where a scalar starts or ends, as PyYAML's marks give it (the part
    ``Source.expression_locator`` reads)."""

    __slots__ = ("column", "index", "line")

    def __init__(self, line: int, column: int, index: int):
        self.line, self.column, self.index = line, column, index


class _Scalar:
    """A scalar node as ``Source.expression_locator`` reads it, rebuilt from
    the cache without PyYAML."""

    __slots__ = ("end_mark", "start_mark", "style", "value")

    def __init__(self, start: _Mark, end: _Mark, value: str, style: str | None):
        self.start_mark, self.end_mark, self.value, self.style = start, end, value, style


def source_to_data(src: Source) -> dict:
    """What ``source_from_data`` rebuilds ``src`` from (its text is not kept:
    it is the file's, read again to be hashed). TypeError: no JSON form.

    ``at`` lists each value's path, line and column; a scalar's entry goes on
    with what ``expression_locator`` reads of its node (where it starts and
    ends in the text, its style, and its text when that is not the value's)."""
    from dsl import serial

    at = []
    for path, (line, col) in src.positions.items():
        entry = [list(path), line, col]
        n = _node(src.nodes.get(path), src.data, path)
        if n is not None:
            value = n.value if _value_at(src.data, path) != n.value else None
            entry += [n.start_mark.index, n.end_mark.index, n.style, value]
        at.append(entry)
    return {"data": serial.value_to_data(src.data), "at": at}


def source_from_data(name: str, text: str, sha256: str, d: Any) -> Source:
    """The Source ``source_to_data`` described, for the file ``name`` whose
    text is ``text``; ValueError (or TypeError) for anything else. The entry
    is authenticated by the cache, so this is a check against a damaged
    format, not an attacker: cheap, since a warm start does it for every file.
    Scalar nodes stay compact lists until ``expression_locator`` reads one."""
    from dsl import serial

    if not isinstance(d, dict):
        raise ValueError("not a source")
    src = Source(name=name, text=text, data=serial.value_from_data(d["data"]), sha256=sha256)
    positions = src.positions
    nodes = src.nodes
    for entry in d["at"]:
        path = tuple(entry[0])
        positions[path] = (entry[1], entry[2])
        if len(entry) > 3:
            nodes[path] = entry
    return src


def _value_at(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


def _node(n: Any, data: Any = None, path: tuple = ()) -> Any:
    """A scalar node, from PyYAML or as ``source_to_data`` wrote it (``data``
    and ``path``: the document's values and where the node is, for its text
    when the entry left it out as the value itself)."""
    if isinstance(n, list):
        _path, line, col, start, end, style, value = n
        if value is None:
            value = _value_at(data, path)
        return _Scalar(_Mark(line - 1, col - 1, start), _Mark(0, 0, end), value, style)
    return n
