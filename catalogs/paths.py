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
