"""Output files that never lose data: one place for every command that writes.

A command names its inputs and its outputs, and everything is checked
*before* anything is written:

- an output that is the same file as an input, or as another output, is
  refused (compared by device and inode, so a second name — a hard link, a
  symbolic link, ``./x`` against ``x``, standard input redirected from the
  file — is the same file; an output that does not exist yet is compared by
  its resolved path);
- an output that exists is not replaced without ``force`` (``--force``);
- each output is written to a temporary file in the same folder and renamed
  over the final name only when the command has finished, so a failure (a
  full disk, a bad line, Ctrl-C) leaves no partial file under that name and
  the old file, if any, as it was;
- a write error is one line naming the file and the reason (``OutputError``,
  exit 2), never a traceback.

A device or a pipe (``/dev/null``, ``/dev/stdout``, a FIFO) is written
directly: it cannot be renamed over and holds nothing to lose. ``-`` is
standard output.

An output that a long command may have to resume (`policy batch --resume`)
is opened with ``open_partial``: it is written under a stable name
(``NAME.partial``) instead of a random temporary one, locked against a second
writer, and ``keep()`` leaves it there (an interruption) so that a later run
opens it again at the length a manifest recorded (``resume_at``) and goes on.
It is renamed over NAME, like the others, when the command completes.

    with Outputs(inputs=[cases], force=force) as outs:
        out = outs.open(out_path, "decisions file")
        rejects = outs.open(rejects_path, "rejects file")
        ...                         # write; on an exception nothing is kept
    # here every output is complete under its final name
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Literal

from dsl.errors import PolicyError, Position


class OutputError(PolicyError):
    """An output cannot be written, or would destroy data (exit 2)."""

    kind = "output"
    exit_code = 2


def _identity(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


# The files a policy was read from in this process: ``yamlsource.read_bytes``
# notes each as it reads it (path -> device and inode). They are inputs of the
# command as much as the files it names, though no command names them:
# `policy batch c.jsonl --out policy/standards.yaml --force` replaced the
# standards with decisions, and `policy batch --engine dask --policy P --out P
# --force` the whole policy folder with part files. A file noted here counts
# only while its name still gives the same file (one removed since, whose
# inode a new file may have taken, does not).
_POLICY_FILES: dict[str, tuple[int, int]] = {}


def note_policy_file(path: str | os.PathLike[str], st: os.stat_result) -> None:
    """Record that a policy file was read (``st``: its stat when read)."""
    _POLICY_FILES[os.path.abspath(path)] = _identity(st)


def _policy_files() -> Iterator[tuple[str, tuple[int, int]]]:
    """(path, identity) of each policy file read that is still that file."""
    for path, ident in list(_POLICY_FILES.items()):
        st = _stat(path)
        if st is not None and _identity(st) == ident:
            yield path, ident


def _policy_file(ident: tuple[int, int]) -> str | None:
    return next((path for path, known in _policy_files() if known == ident), None)


def _fd_stat(fd: int) -> os.stat_result | None:
    try:
        return os.fstat(fd)
    except (OSError, ValueError):
        return None


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno == errno.EFBIG:
        return "the file is larger than this system allows (file size limit)"
    return exc.strerror or str(exc)


WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS)


def write_error(exc: OSError, what: str, path: str, partial: bool = False) -> OutputError:
    """An OSError met while writing, as one line for the officer. ``partial``:
    written straight to its destination (standard output, a device), so part
    of it may have arrived; otherwise nothing is left under its name."""
    tail = "" if partial else "; nothing was written under that name"
    return OutputError(f"cannot write the {what}: {_reason(exc)}{tail}", position=Position(path))


def silence_stdout() -> None:
    """After a write error on standard output: point it at the null device, so
    Python's own flush at exit does not fail a second time with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back for a moment and acted on right after: a
    temporary file is created and recorded, or a record of progress written,
    whole — an interruption in between would leave a file nobody removes.

    Held at Python's level (the handlers replaced for the moment): the
    system may deliver a signal to any thread of the process, and Python
    runs its handler in the main thread wherever that thread is, so masking
    the signal in this thread alone would not hold it back. Outside the main
    thread, where handlers cannot be set, nothing is held."""
    import signal  # here: `policy eval` to standard output holds nothing back

    got: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        got.append(signum)

    held = (signal.SIGINT, signal.SIGTERM)
    try:
        old: list[tuple[int, Any]] = [(s, signal.signal(s, hold)) for s in held]
    except ValueError:
        old = []
    try:
        yield
    finally:
        for s, h in old:
            signal.signal(s, h)
        if got and old:
            handler = dict(old)[got[0]]
            if callable(handler):
                handler(got[0], None)  # e.g. raises KeyboardInterrupt
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), got[0])  # what the signal would have done


_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def atomic_write_bytes(
    path: str | Path, data: bytes, mode: int | None = None, dir_fd: int | None = None
) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder
    and a rename: a reader sees the old file or the new one, never half of
    one. ``mode`` defaults to the old file's, else 0666 less the umask.
    ``dir_fd``: ``path`` is a name in this open folder (the cache uses it so
    that the folder it checked is the folder it writes). Raises OSError (the
    temporary file is removed)."""
    path = str(path)
    folder = "" if dir_fd is not None else os.path.dirname(os.path.abspath(path))
    import secrets  # here, not at the top: `policy eval` to standard output needs neither

    tmp = os.path.join(folder, "." + os.path.basename(path) + "." + secrets.token_hex(8) + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if mode is None:
                try:
                    old = os.stat(path, dir_fd=dir_fd)
                    mode = stat.S_IMODE(old.st_mode)
                except OSError:
                    mode = 0o666 & ~_umask()
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, path, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


class Output:
    """One output being written: a text stream (``write``, ``flush``).

    Writes go to a temporary file (or straight to a device, a pipe, standard
    output); an OSError becomes an OutputError naming the file."""

    def __init__(self, path: str, what: str, direct: bool, mode: int | None):
        self.path = path
        self.what = what
        self.name = "<stdout>" if path == "-" else path
        self.tmp: str | None = None
        self._mode = mode
        self._direct = direct
        try:
            if path == "-":
                sys.stdout.flush()
                # bytes to stdout's buffer, or text where it has none (a StringIO)
                self._f: Any = getattr(sys.stdout, "buffer", None)
                self._text = self._f is None
                if self._text:
                    self._f = sys.stdout
            elif direct:
                self._f = open(path, "wb")  # noqa: SIM115 - closed by close()
                self._text = False
            else:
                folder = os.path.dirname(os.path.abspath(path))
                import tempfile  # here, not at the top: `policy eval` to standard output needs neither

                fd, self.tmp = tempfile.mkstemp(
                    dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp"
                )
                self._f = os.fdopen(fd, "wb")
                self._text = False
        except OSError as exc:
            raise OutputError(
                f"cannot write the {what}: {_reason(exc)}", position=Position(self.name)
            ) from None

    def write(self, text: str) -> None:
        try:
            if self._text:
                self._f.write(text)
            else:
                try:
                    data = text.encode("utf-8")
                except UnicodeEncodeError:
                    # a lone surrogate (a case's "\ud800") is no character and
                    # has no UTF-8: written as the escape it came as, which is
                    # also valid JSON, rather than failing the whole output
                    data = text.encode("utf-8", "backslashreplace")
                self._f.write(data)
        except OSError as exc:
            raise write_error(exc, self.what, self.name, self._direct) from None

    def write_bytes(self, data: bytes) -> None:
        try:
            if self._text:
                self._f.write(data.decode("utf-8"))
            else:
                self._f.write(data)
        except OSError as exc:
            raise write_error(exc, self.what, self.name, self._direct) from None

    def flush(self) -> None:
        try:
            self._f.flush()
        except OSError as exc:
            raise write_error(exc, self.what, self.name, self._direct) from None

    def close(self) -> None:
        """Standard output is flushed, never closed."""
        self.flush()

    def _finish(self) -> None:
        """Complete the file under its final name."""
        if self.path == "-":
            self.flush()
            return
        try:
            self._f.flush()
            if self.tmp is not None:
                os.fsync(self._f.fileno())
                mode = self._mode if self._mode is not None else 0o666 & ~_umask()
                os.fchmod(self._f.fileno(), mode)
            self._f.close()
            if self.tmp is not None:
                os.replace(self.tmp, self.path)
                self.tmp = None
        except OSError as exc:
            self._discard()
            raise write_error(exc, self.what, self.name, self._direct) from None

    def _discard(self) -> None:
        if self.path != "-":
            with contextlib.suppress(OSError):
                self._f.close()
        if self.tmp is not None:
            _unlink(self.tmp)
            self.tmp = None


class PartialOutput(Output):
    """An output written under a stable partial name that an interruption
    leaves in place (``keep``), so that a later run can go on from a length
    it recorded. Locked (``flock``) while open: two runs never write it."""

    def __init__(self, path: str, what: str, partial: str, mode: int | None, resume_at: int | None):
        self.path = path
        self.what = what
        self.name = path
        self.tmp = partial
        self._mode = mode
        self._direct = False
        self._text = False
        # what an earlier run left and this one goes on with is never removed
        # by a failure (set by the caller once this run has work worth keeping)
        self.precious = bool(resume_at)
        flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0)
        if not resume_at:
            flags |= os.O_CREAT
        try:
            fd = os.open(partial, flags, 0o600)
        except OSError as exc:
            self.tmp = None  # not ours: never removed
            raise OutputError(
                f"cannot write the {what}: {_reason(exc)}", position=Position(partial)
            ) from None
        self._f = os.fdopen(fd, "r+b")
        try:
            _lock(fd)
        except BlockingIOError:
            self._f.close()
            self.tmp = None
            raise OutputError(
                f"another command is writing the {what} right now",
                position=Position(partial),
                hint="wait for it to finish, or write to another file",
            ) from None
        try:
            size = os.fstat(fd).st_size
            if resume_at is not None and size < resume_at:
                self._f.close()
                self.tmp = None
                raise OutputError(
                    f"the {what} so far is shorter ({size} bytes) than the "
                    f"{resume_at} bytes recorded: it was changed or cut",
                    position=Position(partial),
                    hint="start again with --force",
                )
            self._f.truncate(resume_at or 0)
            self._f.seek(resume_at or 0)
        except OSError as exc:
            self._discard()
            raise OutputError(
                f"cannot write the {what}: {_reason(exc)}", position=Position(partial)
            ) from None

    def length(self) -> int:
        """Bytes written so far (flushed to the system)."""
        self.flush()
        return self._f.tell()

    def cut(self, length: int) -> None:
        """Drop what was written after ``length`` bytes (an unfinished chunk)."""
        try:
            self._f.flush()
            self._f.truncate(length)
            self._f.seek(length)
        except OSError as exc:
            raise write_error(exc, self.what, self.tmp or self.name) from None

    def keep(self) -> None:
        """Close the partial file and leave it for a later run (it is no longer
        completed nor discarded by Outputs)."""
        if getattr(self, "_kept", False):
            return
        try:
            self._f.flush()
            os.fsync(self._f.fileno())
        except OSError:
            pass
        finally:
            self._f.close()
            self.tmp = None
            self._kept = True

    def _finish(self) -> None:
        if getattr(self, "_kept", False):
            return
        super()._finish()

    def _discard(self) -> None:
        if self.precious:
            self.keep()  # an earlier run's work: only --force replaces it
        else:
            super()._discard()


def _lock(fd: int) -> None:
    """An exclusive lock held while the file is open (BlockingIOError when
    another process holds it)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


class PartialFolder:
    """An output folder (`policy batch --engine dask`): its files are written
    (each through a temporary file and a rename) into ``NAME.partial/``,
    which is renamed to NAME when the command completes. The partial folder
    is locked while a command writes it; it is kept for a later run when the
    command is interrupted, or when it failed after ``precious`` was set
    (work worth resuming), and removed otherwise."""

    def __init__(self, path: str, what: str, partial: str, replace: bool):
        self.path = path
        self.what = what
        self.partial = partial
        self.replace = replace  # NAME exists and --force: replaced at the end
        self.precious = False
        self._lock = None
        try:
            os.makedirs(partial, exist_ok=True)
            fd = os.open(os.path.join(partial, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise OutputError(
                f"cannot write the {what}: {_reason(exc)}", position=Position(partial)
            ) from None
        try:
            _lock(fd)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(
                f"another command is writing the {what} right now",
                position=Position(partial),
                hint="wait for it to finish, or write to another folder",
            ) from None
        self._lock = fd

    def names(self) -> list[str]:
        return sorted(n for n in os.listdir(self.partial) if not n.startswith("."))

    def write(self, name: str, data: bytes) -> None:
        try:
            atomic_write_bytes(os.path.join(self.partial, name), data)
        except OSError as exc:
            raise write_error(exc, self.what, os.path.join(self.partial, name)) from None

    def read(self, name: str) -> bytes:
        with open(os.path.join(self.partial, name), "rb") as f:
            return f.read()

    def remove(self, name: str) -> None:
        _unlink(os.path.join(self.partial, name))

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _finish(self) -> None:
        import shutil

        try:
            _unlink(os.path.join(self.partial, ".lock"))
            self._unlock()
            old = None
            if self.replace and os.path.lexists(self.path):
                import secrets  # here, not at the top: `policy eval` to standard output needs neither

                old = f"{self.path}.old-{secrets.token_hex(4)}"
                os.rename(self.path, old)
            os.rename(self.partial, self.path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            raise write_error(exc, self.what, self.path) from None

    def _discard(self) -> None:
        import shutil

        self._unlock()
        if not self.precious:
            shutil.rmtree(self.partial, ignore_errors=True)

    def keep(self) -> None:
        self.precious = True
        self._unlock()


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _against_policy(ident: tuple[int, int], shown: str, what: str) -> None:
    read = _policy_file(ident)
    if read is not None:
        raise OutputError(
            f"the {what} is the same file as the policy file {read}, which this "
            "command reads; it would be overwritten and the policy lost",
            position=Position(shown),
            hint="write to another file",
        )


def _folder_against_policy(path: str, what: str) -> None:
    """Refuse an output folder (replaced whole) that holds a policy file read."""
    real = os.path.realpath(path)
    for read, _ in _policy_files():
        if os.path.realpath(read).startswith(real + os.sep):
            raise OutputError(
                f"the {what} holds the policy file {read}, which this command reads; "
                "it would be lost",
                position=Position(path),
                hint="write to another folder",
            )


def partial_name(path: str) -> str:
    """Where a resumable output is written until it is complete."""
    return str(path) + ".partial"


class Outputs:
    """The inputs and outputs of one command, checked against each other.

    ``inputs``: paths the command reads (``-`` is standard input); give every
    file, including ones read later (history, revisions). ``force``: replace
    existing outputs. Use as a context manager: outputs are completed when the
    block ends normally and discarded when it raises."""

    def __init__(self, inputs: Iterable[str | os.PathLike[str] | None] = (), force: bool = False):
        self.force = force
        self._inputs: dict[tuple[int, int], str] = {}
        self._outputs: list[Output | PartialFolder] = []
        self._claimed: dict[object, str] = {}  # identity or resolved path -> shown name
        for p in inputs:
            if p is not None:
                self.add_input(p)

    def add_input(self, path: str | os.PathLike[str]) -> None:
        path = str(path)
        st = _fd_stat(0) if path == "-" else _stat(path)
        if st is not None and stat.S_ISREG(st.st_mode):
            self._inputs.setdefault(_identity(st), "<stdin>" if path == "-" else path)

    def check(self, path: str | os.PathLike[str], what: str) -> tuple[bool, int | None]:
        """Refuse an output that would destroy data; (written directly, mode)."""
        path = str(path)
        if path == "-":
            st = _fd_stat(1)
            if st is not None and stat.S_ISREG(st.st_mode):
                self._against_inputs(_identity(st), "<stdout>", what)
                self._claim(_identity(st), "<stdout>", what)
            return True, None
        try:
            lst = os.lstat(path)
        except FileNotFoundError:
            lst = None
        except OSError as exc:
            raise OutputError(
                f"cannot write the {what}: {_reason(exc)}", position=Position(path)
            ) from None
        if lst is None:
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise OutputError(
                    f"cannot write the {what}: the folder {folder} does not exist",
                    position=Position(path),
                )
            key = os.path.join(os.path.realpath(folder), os.path.basename(path))
            self._claim(key, path, what)
            return False, None
        st = _stat(path)  # what a symbolic link points to
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise OutputError(f"cannot write the {what}: it is a folder", position=Position(path))
        if st is not None and not stat.S_ISREG(st.st_mode):
            return True, None  # a device or a pipe: nothing to lose, nothing to rename
        if st is not None:
            self._against_inputs(_identity(st), path, what)
            self._claim(_identity(st), path, what)
        if not self.force:
            raise OutputError(
                f"the {what} already exists; it would be replaced",
                position=Position(path),
                hint="give --force to replace it, or choose another name",
            )
        return False, stat.S_IMODE(st.st_mode) if st is not None else None

    def _against_inputs(self, ident: tuple[int, int], shown: str, what: str) -> None:
        if ident in self._inputs:
            raise OutputError(
                f"the {what} is the same file as the input "
                f"{self._inputs[ident]}; it would be overwritten and the input lost",
                position=Position(shown),
                hint="write to another file",
            )
        _against_policy(ident, shown, what)

    def _claim(self, key: object, shown: str, what: str) -> None:
        if key in self._claimed:
            raise OutputError(
                f"the {what} is the same file as the {self._claimed[key]}",
                position=Position(shown),
                hint="give each output its own file",
            )
        self._claimed[key] = f"{what} {shown}"

    def open(self, path: str | os.PathLike[str], what: str) -> Output:
        """Check ``path`` (see ``check``) and start writing it."""
        direct, mode = self.check(path, what)
        if direct:  # no temporary file to record: nothing to hold signals back for
            out = Output(str(path), what, direct, mode)
            self._outputs.append(out)
            return out
        with signals_deferred():
            out = Output(str(path), what, direct, mode)
            self._outputs.append(out)
        return out

    def open_folder(
        self, path: str | os.PathLike[str], what: str, *, resume: bool
    ) -> PartialFolder:
        """An output folder written as ``NAME.partial/`` and renamed when
        complete. Refused (exit 2, before anything is written) when NAME is a
        file, holds an input, or exists without ``force``; a partial folder
        left by an interrupted run is gone on with only with ``resume``, and
        replaced only with ``force``."""
        import shutil

        path = str(path).rstrip("/") or "/"
        partial = partial_name(path)
        real = os.path.realpath(path)
        for shown in self._inputs.values():
            if shown == "<stdin>":
                continue
            where = os.path.realpath(shown)
            if where.startswith((real + os.sep, os.path.realpath(partial) + os.sep)):
                raise OutputError(
                    f"the {what} holds the input {shown}; it would be lost",
                    position=Position(path),
                    hint="write to another folder",
                )
        _folder_against_policy(path, what)
        if os.path.lexists(path):
            if not os.path.isdir(path):
                raise OutputError(
                    f"the {what} is a file, not a folder",
                    position=Position(path),
                    hint="give the name of a folder to create",
                )
            if not self.force:
                raise OutputError(
                    f"the {what} already exists; it would be replaced",
                    position=Position(path),
                    hint="give --force to replace it, or choose another name",
                )
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise OutputError(
                f"cannot write the {what}: the folder {folder} does not exist",
                position=Position(path),
            )
        if os.path.lexists(partial) and not resume:
            if not self.force:
                raise OutputError(
                    f"an interrupted batch left {partial}",
                    position=Position(path),
                    hint="give --resume to go on from there, or --force to start again",
                )
            shutil.rmtree(partial)
        earlier = os.path.lexists(partial)
        self._claim(real, path, what)
        with signals_deferred():
            out = PartialFolder(path, what, partial, replace=os.path.lexists(path))
            out.precious = earlier  # an earlier run's work: only --force removes it
            self._outputs.append(out)
        return out

    def open_partial(
        self, path: str | os.PathLike[str], what: str, resume_at: int | None = None
    ) -> PartialOutput:
        """Check ``path`` (a regular file, see ``check``) and write it under its
        partial name (``partial_name``); ``resume_at``: go on from that many
        bytes of the partial file an earlier run left (None: start afresh,
        replacing a partial file that is there). The caller decides whether
        an existing partial file may be replaced or resumed."""
        path = str(path)
        direct, mode = self.check(path, what)
        if direct:
            raise OutputError(
                f"the {what} cannot be resumed: it is not a regular file", position=Position(path)
            )
        partial = partial_name(path)
        st = _stat(partial)
        if st is not None:
            if not stat.S_ISREG(st.st_mode):
                raise OutputError(
                    f"cannot write the {what}: {partial} is not a regular file",
                    position=Position(partial),
                )
            self._against_inputs(_identity(st), partial, what)
        self._claim(
            os.path.join(
                os.path.realpath(os.path.dirname(os.path.abspath(partial))),
                os.path.basename(partial),
            ),
            partial,
            what,
        )
        with signals_deferred():
            out = PartialOutput(path, what, partial, mode, resume_at)
            self._outputs.append(out)
        return out

    def commit(self) -> None:
        outputs, self._outputs = self._outputs, []
        # all put in place, or none: a Ctrl-C between two renames left some
        # outputs new and the rest as they were (a catalogue site of 22 files,
        # one published; a batch's decisions without its rejects), exit 130
        # (standard output, a device or a pipe is not renamed: nothing to hold,
        # and `policy eval` to standard output does not import signal)
        if any(isinstance(o, PartialFolder) or o.tmp is not None for o in outputs):
            with signals_deferred():
                self._commit(outputs)
        else:
            self._commit(outputs)

    def _commit(self, outputs: list) -> None:
        try:
            # the policy may have been read after an output was opened: none
            # is put in place over it (its temporary file is discarded)
            for o in outputs:
                if isinstance(o, PartialFolder):
                    _folder_against_policy(o.path, o.what)
                elif o.path != "-" and not o._direct:
                    st = _lstat(o.path)  # the rename replaces a link, not its target
                    if st is not None and stat.S_ISREG(st.st_mode):
                        _against_policy(_identity(st), o.path, o.what)
            for o in outputs:
                o._finish()
        except BaseException:
            for o in outputs:
                o._discard()
            raise

    def discard(self) -> None:
        outputs, self._outputs = self._outputs, []
        for o in outputs:
            o._discard()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if exc_type is None:
            self.commit()
        else:
            if exc_type is KeyboardInterrupt:
                # an interruption loses no resumable work, even one that
                # came before the command could record where it stood
                for o in self._outputs:
                    if isinstance(o, (PartialOutput, PartialFolder)):
                        o.keep()
            self.discard()
        return False
