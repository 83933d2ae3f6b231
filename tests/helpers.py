"""What several test modules share (imported as ``tests.helpers``; no test
module imports another)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_policy(root=None, revisions=(), catalogs_dir=None):
    """The engine's load_policy with the catalogues handed to it, as the
    command line does (``catalogs_dir``: another catalogue folder)."""
    from catalogs.rules import RuleCatalogs
    from interpreter.loader import load_policy as load
    return load(root, catalogs=RuleCatalogs(str(catalogs_dir) if catalogs_dir else None),
                revisions=list(revisions))
