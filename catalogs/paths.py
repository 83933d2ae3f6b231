"""Where the bundled catalogues and their schemas are: a module of its own,
so that finding them (as ``policy eval`` does to key its cache) imports
neither the loader nor its JSON Schema validator."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR.parent / "policy" / "catalogs"
SCHEMA_DIR = PACKAGE_DIR / "schemas"


def default_dir() -> Path:
    """The bundled policy's catalogue files (``policy/catalogs``, which its
    catalogs.yaml declares)."""
    return DATA_DIR


def display_path(path: Path | str) -> str:
    """A path as the officer should see it: relative to the cwd when inside it."""
    import os

    path = Path(path)
    cwd = Path.cwd()
    if cwd == Path(cwd.anchor):  # at the root, relative paths read oddly
        return str(path)
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel
