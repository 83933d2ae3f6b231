"""The typed reader, checks, publication and diff of the bundled policy's
catalogue files, behind `policy catalog` without --policy.

The rules do not read catalogues through this package: every policy,
the bundled one included, declares its catalogues in catalogs.yaml
(interpreter.catalogues), and the engine reads them from there.

    from catalogs import load_catalogs
    cats = load_catalogs()                  # the bundled policy/catalogs, checked

See docs/catalogs.md for the file formats and the commands.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Catalogs

# name → the module that defines it; each is imported on first use, so that
# a command that needs only where the files are does not import the file
# checks and their JSON Schema validator
_EXPORTS = {
    "check_catalogs": "check",
    "check_directory": "check",
    "DATA_DIR": "paths",
    "SCHEMA_DIR": "paths",
    "CatalogueUsageError": "loader",
    "default_dir": "paths",
    "load_catalogue_file": "loader",
    "load_directory": "loader",
    "KINDS": "model",
    "TITLES": "model",
    "Catalogs": "model",
    "Catalogue": "model",
    "Cite": "model",
    "Course": "model",
    "CourseApproval": "model",
    "Demand": "model",
    "Institution": "model",
    "StatusPeriod": "model",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'catalogs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def load_catalogs(directory: Path | str | None = None) -> Catalogs:
    """Load and check the four catalogues of ``directory`` (default: bundled).

    Raises ``dsl.errors.ErrorList`` (a PolicyError; ``.render()`` gives every
    error as file:line:col) when any check fails, and CatalogueUsageError when
    the folder holds no catalogue.
    """
    from dsl.errors import ErrorList

    from .check import check_directory

    catalogs, errors = check_directory(directory)
    if errors:
        raise ErrorList(errors)
    return catalogs


__all__ = [
    "DATA_DIR",
    "KINDS",
    "SCHEMA_DIR",
    "TITLES",
    "Catalogs",
    "Catalogue",
    "CatalogueUsageError",
    "Cite",
    "Course",
    "CourseApproval",
    "Demand",
    "Institution",
    "StatusPeriod",
    "active_institutions",
    "catalog_views",
    "check_catalogs",
    "check_directory",
    "default_dir",
    "institution_status",
    "load_catalogs",
    "load_catalogue_file",
    "load_directory",
]
