"""`policy serve`: start the HTTP service (and, later, manage its API tokens)."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile

import click

from .conventions import POLICY_OPTION, REVISION_OPTION, guarded, load


@click.group("serve", invoke_without_command=True)
@POLICY_OPTION
@REVISION_OPTION
@click.option(
    "--db",
    "db_url",
    envvar="POLICY_DB",
    default=None,
    metavar="URL",
    help="The ledger's database (sqlite:///FILE or postgresql://…; default "
    "$POLICY_DB, else ./ledger.db when it exists). Without one the ledger "
    "endpoints answer 404 and there are no tokens.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (127.0.0.1: this machine only).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes, each with the policy compiled once (decisions are "
    "CPU-bound: one per CPU).",
)
@click.option(
    "--anonymous-decisions",
    is_flag=True,
    help="Let anyone ask for stateless decisions (POST /v1/decisions, "
    "/v1/decisions:batch) without a token.",
)
@click.option(
    "--decision-log",
    default="-",
    show_default=True,
    metavar="FILE",
    help="Append every decision as one JSON line to FILE ('-': standard output, '': nowhere).",
)
@click.option(
    "--log-input",
    is_flag=True,
    help="Log each case's facts too (ID numbers masked), so that a logged line can "
    "be replayed with `policy eval --replay`.",
)
@click.option(
    "--max-batch-lines",
    type=click.IntRange(1),
    default=1_000_000,
    show_default=True,
    help="The most lines one batch request may have.",
)
@click.option(
    "--batch-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    help="A batch request stops after this long (the lines "
    "not decided are named in its last line).",
)
@click.pass_context
@guarded
def serve(
    ctx,
    policy_dir,
    revisions,
    db_url,
    host,
    port,
    workers,
    anonymous_decisions,
    decision_log,
    log_input,
    max_batch_lines,
    batch_seconds,
):
    """Serve decisions, the policy and the ledger over HTTP.

    \b
    Endpoints (the OpenAPI document is at /openapi.json, readable at /docs):
      POST /v1/decisions           one case: the JSON of `policy eval --format json`
      POST /v1/decisions:batch     JSON Lines in, JSON Lines out (`policy batch`)
      GET  /v1/policy, /v1/policy/standards, /v1/policy/programs/{id},
           /v1/schema/case, /v1/catalogs/{id}
      with a ledger (--db): POST /v1/applications, GET /v1/applications[/{id}],
           POST /v1/applications/{id}/review|facts|payments, GET /v1/publicity,
           GET /v1/audit/verify (each for its role)
      with a ledger: /ui/   the officer pages (网上申报、网上审核、公示); users sign
           in with a password (`policy ledger user passwd NAME`) or a token
      GET  /healthz, /readyz, /metrics
    Requests need an API token (`policy serve token add USER --role ROLE`)
    except the policy's own pages, the health checks and, with
    --anonymous-decisions, the stateless decisions. Errors are
    application/problem+json. See docs/service.md.

    \b
    Examples:
      policy serve --anonymous-decisions --workers 2
      curl -s --data @case.json localhost:8000/v1/decisions
      policy serve --db sqlite:///ledger.db --decision-log decisions.jsonl
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"db_url": db_url}
        return
    from service.settings import ENV, Settings

    policy = load(policy_dir, revisions)  # a broken policy stops here, exit 1
    _check_port(host, port)
    db_url = _database(db_url, policy)
    settings = Settings(
        policy_dir=policy_dir,
        revisions=tuple(str(r) for r in revisions),
        db_url=db_url,
        anonymous_decisions=anonymous_decisions,
        decision_log=decision_log,
        log_input=log_input,
        max_batch_lines=max_batch_lines,
        batch_seconds=batch_seconds,
    )
    if decision_log not in ("", "-"):
        try:
            with open(decision_log, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise click.UsageError(
                f"cannot write the decision log {decision_log}: {exc.strerror}"
            ) from None
    os.environ[ENV] = settings.to_env()
    # each worker counts its metrics into files here; /metrics adds them up
    metrics_dir = tempfile.mkdtemp(prefix="policy-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    click.echo(
        f"policy serve: http://{host}:{port} — {policy.document.number} "
        f"({policy.hash[:19]}…), {workers} worker(s)"
        + (f", ledger {_shown(db_url)}" if db_url else ", no ledger")
        + "; API docs at /docs",
        err=True,
    )
    import uvicorn

    from service.protocol import uvicorn_options

    try:
        # loop stays "auto" and http is httptools': with uvicorn[standard] (a
        # dependency) that is uvloop and httptools, measured here the cheapest
        # (an empty request: 68 µs of server CPU with httptools against 128 µs
        # with h11; a lean decision 20 µs less with uvloop than with asyncio's
        # loop); httptools' protocol with a bound on a request's headers
        # (service.protocol)
        uvicorn.run(
            "service.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=10,
            **uvicorn_options(),
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _check_port(host: str, port: int) -> None:
    """A port in use is a usage error (exit 2) said in one line, before any
    worker starts."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    except OverflowError:  # pragma: no cover - IntRange prevents it
        sys.exit(2)


def _database(db_url: str | None, policy) -> str | None:
    """The ledger to serve: --db (or $POLICY_DB), else ./ledger.db when it
    exists, else none. It is opened here, once, before any worker starts: a
    ledger that is missing or unreachable stops the command (exit 2, one
    line), and one behind the code is migrated by one process only."""
    from ledger.api import Ledger
    from ledger.db import resolve_url, sqlite_path

    if db_url is None:
        default = resolve_url(None)
        path = sqlite_path(default)
        if path is None or not path.exists():
            return None
        db_url = default
    Ledger.open(db_url, policy=policy).close()
    return db_url


def _shown(url: str) -> str:
    from ledger.db import display_url

    return display_url(url)


# -- tokens ------------------------------------------------------------------------------


def _store(db_url):
    from ledger.api import Ledger
    from service.tokens import TokenStore

    return TokenStore(Ledger.open(db_url, policy=lambda: load(None)))


DB = click.option(
    "--db",
    "db_url",
    envvar="POLICY_DB",
    default=None,
    metavar="URL",
    help="The ledger's database (default: $POLICY_DB, else ./ledger.db).",
)
BY = click.option(
    "--by",
    "actor",
    envvar="POLICY_USER",
    default=None,
    metavar="NAME",
    help="Who makes the change, for the audit log (default: $POLICY_USER).",
)


@serve.group("token")
def token():
    """API tokens: each acts as one user of the ledger in one of its roles
    (caseworker, reviewer, finance, auditor, read-only, admin). Stored hashed
    in the ledger's database; every change is an event of its audit chain.

    \b
    Examples:
      policy serve token add alice --role caseworker --label "经办窗口1"
      policy serve token list
      policy serve token revoke 3
    """


@token.command("add")
@click.argument("user")
@click.option(
    "--role",
    required=True,
    metavar="ROLE",
    help="The role the token acts in: one the user holds in the ledger.",
)
@click.option("--label", default=None, metavar="TEXT", help="What the token is for.")
@BY
@DB
@guarded
def token_add(user, role, label, actor, db_url):
    """Make a token for USER acting as ROLE. The token is printed once, on
    standard output: only its hash is kept."""
    secret, info = _store(db_url).add(actor, user, role, label)
    click.echo(secret)
    click.echo(
        f"token {info.id} for {info.user} as {info.role} ({info.hint}…): keep it "
        "secret; send it as 'Authorization: Bearer TOKEN'",
        err=True,
    )


@token.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@DB
@guarded
def token_list(fmt, db_url):
    """The tokens (never the secrets): user, role, label, made and revoked when."""
    import json

    tokens = _store(db_url).list()
    if fmt == "json":
        click.echo(json.dumps([t.to_json() for t in tokens], ensure_ascii=False, indent=2))
        return
    for t in tokens:
        state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
        click.echo(
            f"{t.id:>4}  {t.hint}…  {t.user} as {t.role}  {state}"
            + (f"  {t.label}" if t.label else "")
        )


@token.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@BY
@DB
@guarded
def token_revoke(token_id, actor, db_url):
    """Revoke token ID: it stops working at once."""
    info = _store(db_url).revoke(actor, token_id)
    click.echo(f"token {info.id} ({info.user} as {info.role}) revoked")
