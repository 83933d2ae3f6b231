"""Programs built when first asked for (issue 21: a command compiles only the
programs it needs).

``LazyPrograms`` is the ``Policy.programs`` mapping of a load the cache knows
checked without a problem (``loader.load_policy``): its keys, in the policy's
order, are known at once; a program is read, checked and compiled the first
time it is looked up (``policy[id]``, ``get``, ``values()`` ...), once, under a
lock (the web service decides on several threads). Asking for every program
builds every program: the same objects a full load makes.
"""

from __future__ import annotations

import _thread  # threading's Lock, without importing threading (a start-up pays for it)
from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Clause, Program


class LazyPrograms(MutableMapping):
    def __init__(
        self,
        order: list[tuple[str, str]],
        build: Callable[[str, str], Program],
        done: Callable[[], None] | None = None,
    ):
        self._files = dict(order)  # program id → its file, in the policy's order
        self._build = build
        # called once every program is built (what building needed is let go)
        self._done = done
        self._built: dict[str, Program] = {}
        self._attached: dict[str, list[Clause]] = {}
        self._lock = _thread.allocate_lock()

    def attach(self, pid: str, clause: Clause) -> None:
        """A clause the program gets when built (a real-name check's)."""
        self._attached.setdefault(pid, []).append(clause)

    def __getitem__(self, pid: str) -> Program:
        got = self._built.get(pid)
        if got is not None:
            return got
        if pid not in self._files:
            raise KeyError(pid)
        with self._lock:
            got = self._built.get(pid)
            if got is None:
                got = self._build(pid, self._files[pid])
                got.clauses.extend(self._attached.get(pid, ()))
                self._built[pid] = got
                if self._done is not None and len(self._built) == len(self._files):
                    done, self._done = self._done, None
                    done()
        return got

    def __setitem__(self, pid: str, program: Program) -> None:
        with self._lock:
            self._files.setdefault(pid, program.source)
            self._built[pid] = program

    def __delitem__(self, pid: str) -> None:
        with self._lock:
            del self._files[pid]
            self._built.pop(pid, None)

    def __contains__(self, pid: object) -> bool:
        return pid in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._files))

    def __len__(self) -> int:
        return len(self._files)

    def built(self) -> list[str]:
        """The ids of the programs built so far (for tests and measurements)."""
        return [pid for pid in self._files if pid in self._built]

    def __repr__(self) -> str:
        return f"LazyPrograms({list(self._files)!r}, built={self.built()!r})"
