"""How a path is shown to an officer: a module of its own, so that naming a
file in a message imports nothing else."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path | str) -> str:
    """A path as the officer should see it: relative to the cwd when inside it."""
    path = Path(path)
    cwd = Path.cwd()
    if cwd == Path(cwd.anchor):  # at the root, relative paths read oddly
        return str(path)
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel
