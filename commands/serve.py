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
@click.option("--db", "db_url", envvar="POLICY_DB", default=None, metavar="URL",
              help="The ledger's database (sqlite:///FILE or postgresql://…; default "
                   "$POLICY_DB). Without it the ledger endpoints are off and there are no "
                   "tokens.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes, each with the policy compiled once (decisions are "
                   "CPU-bound: one per CPU).")
@click.option("--anonymous-decisions", is_flag=True,
              help="Let anyone ask for stateless decisions (POST /v1/decisions, "
                   "/v1/decisions:batch) without a token.")
@click.option("--decision-log", default="-", show_default=True, metavar="FILE",
              help="Append every decision as one JSON line to FILE ('-': standard output, "
                   "'': nowhere).")
@click.option("--log-input", is_flag=True,
              help="Log each case's facts too (ID numbers masked), so that a logged line can "
                   "be replayed with `policy eval --replay`.")
@click.option("--max-batch-lines", type=click.IntRange(1), default=1_000_000,
              show_default=True, help="The most lines one batch request may have.")
@click.option("--batch-seconds", type=click.FloatRange(min=1), default=600.0,
              show_default=True, help="A batch request stops after this long (the lines "
                                      "not decided are named in its last line).")
@click.pass_context
@guarded
def serve(ctx, policy_dir, revisions, db_url, host, port, workers, anonymous_decisions,
          decision_log, log_input, max_batch_lines, batch_seconds):
    """Serve decisions, the policy and the ledger over HTTP.

    \b
    Endpoints (the OpenAPI document is at /openapi.json, readable at /docs):
      POST /v1/decisions           one case: the JSON of `policy eval --format json`
      POST /v1/decisions:batch     JSON Lines in, JSON Lines out (`policy batch`)
      GET  /v1/policy, /v1/policy/standards, /v1/policy/programs/{id},
           /v1/schema/case, /v1/catalogs/{id}
      GET  /healthz, /readyz, /metrics
    Errors are application/problem+json. See docs/service.md.

    \b
    Examples:
      policy serve --anonymous-decisions
      curl -s --data @case.json localhost:8000/v1/decisions
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"db_url": db_url}
        return
    from service.settings import ENV, Settings

    policy = load(policy_dir, revisions)          # a broken policy stops here, exit 1
    _check_port(host, port)
    settings = Settings(policy_dir=policy_dir, revisions=tuple(str(r) for r in revisions),
                        db_url=db_url, anonymous_decisions=anonymous_decisions,
                        decision_log=decision_log, log_input=log_input,
                        max_batch_lines=max_batch_lines, batch_seconds=batch_seconds)
    if decision_log not in ("", "-"):
        try:
            with open(decision_log, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise click.UsageError(f"cannot write the decision log {decision_log}: "
                                   f"{exc.strerror}") from None
    os.environ[ENV] = settings.to_env()
    # each worker counts its metrics into files here; /metrics adds them up
    metrics_dir = tempfile.mkdtemp(prefix="policy-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    click.echo(f"policy serve: http://{host}:{port} — {policy.document.number} "
               f"({policy.hash[:19]}…), {workers} worker(s); API docs at /docs", err=True)
    import uvicorn
    try:
        uvicorn.run("service.app:create_app", factory=True, host=host, port=port,
                    workers=workers, access_log=False, log_level="warning",
                    timeout_graceful_shutdown=10)
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
    except OverflowError:       # pragma: no cover - IntRange prevents it
        sys.exit(2)
