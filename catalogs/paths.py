"""Where the bundled catalogues and their schemas are: a module of its own,
so that finding them (as ``policy eval`` does to key its cache) imports
neither the loader nor its JSON Schema validator."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
SCHEMA_DIR = PACKAGE_DIR / "schemas"


def default_dir() -> Path:
    """The bundled catalogues (``catalogs/data`` inside the installed package)."""
    return DATA_DIR
