"""The four catalogues of 台政办发〔2020〕4号 五（二） as data.

    from catalogs import load_catalogs, catalog_views
    cats = load_catalogs()                  # bundled catalogs/data, checked
    view = catalog_views(cats, as_of=date(2021, 4, 1))
    "ZD-002" in view["key_industry"]        # True

See docs/catalogs.md for the file formats, the views and the commands.
"""

from __future__ import annotations

from pathlib import Path

from dsl.errors import ErrorList

from .check import check_catalogs, check_directory
from .loader import (
    DATA_DIR,
    SCHEMA_DIR,
    CatalogueUsageError,
    default_dir,
    load_catalogue_file,
    load_directory,
)
from .model import (
    KINDS,
    TITLES,
    Catalogs,
    Catalogue,
    Cite,
    Course,
    CourseApproval,
    Demand,
    Institution,
    StatusPeriod,
)
from .views import active_institutions, catalog_views, institution_status


def load_catalogs(directory: Path | str | None = None) -> Catalogs:
    """Load and check the four catalogues of ``directory`` (default: bundled).

    Raises ``dsl.errors.ErrorList`` (a PolicyError; ``.render()`` gives every
    error as file:line:col) when any check fails, and CatalogueUsageError when
    the folder holds no catalogue.
    """
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
