"""The officer pages (七（四） 网上申报、网上审核): HTML pages served by `policy
serve` under /ui/, for the caseworkers and reviewers of the bureau.

A room between the ledger (and documents) and the service: the pages call
``ledger.api.Ledger`` — the code of `policy ledger` and of the service's
/v1/applications — as the signed-in user, and the service mounts them on its
own application (``mount``), in the same process, with the same ledger, the
same users and roles and the same API tokens. It knows the service only as
``app.state.service`` (its policy, ledger, tokens and decision log), so it
imports nothing above it.

Modules:
  pages      the routes: sign-in, the form, the queue, a claim, publicity
  sessions   signed-in sessions (cookie → hashed row), CSRF tokens
  form       the application form generated from the policy's fact declarations
  choices    which facts are catalogue codes, read from the rules
  explain    a decision as the page shows it (✓ ✗ ?, values, standards, quotes)
  words      the pages' own words, Chinese and English
  templates/ Jinja2 templates; static/ the CSS and the optional script
"""

from __future__ import annotations

from pathlib import Path

PREFIX = "/ui"


def mount(app) -> None:
    """Add the pages and their static files to the service's application."""
    from starlette.staticfiles import StaticFiles

    from .pages import router

    app.include_router(router)
    app.mount(
        PREFIX + "/static",
        StaticFiles(directory=str(Path(__file__).parent / "static")),
        name="web-static",
    )
