"""The `policy` group (``cli.main`` runs it): the sub-commands of
``commands/`` mounted by name and imported only when they are run (or listed
in --help), so `policy --help` is quick and `policy eval` does not pay for
`policy catalog`.
"""

from __future__ import annotations

import importlib
import sys
from typing import ClassVar, NoReturn

import click


class LazyGroup(click.Group):
    """Commands from other modules, imported only when they are run (or listed
    in --help)."""

    lazy: ClassVar[dict[str, str]] = {
        "eval": "commands.decide:eval_cmd",
        "schema": "commands.decide:schema_cmd",
        "check": "commands.authoring:check_cmd",
        "test": "commands.authoring:test_cmd",
        "fmt": "commands.authoring:fmt_cmd",
        "catalog": "commands.catalog:catalog",
        "batch": "commands.population:batch",
        "diff": "commands.population:diff",
        "generate": "commands.population:generate",
        "report": "commands.population:report",
        "notice": "commands.notice:notice",
        "serve": "commands.serve:serve",
        "ledger": "commands.ledger:ledger",
    }

    # a Ctrl-C while click reads the command line or imports a command, before
    # the command's own handling (``conventions.guarded``), is reported as that
    # handling reports it: one line and 130 — click's "Aborted!" exits with 1,
    # which here means a broken policy
    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            _interrupted()

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            _interrupted()

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def format_epilog(self, ctx, formatter):
        """The bundled policy by its own number and title, read from its
        document.yaml (the help text names no document of its own)."""
        super().format_epilog(ctx, formatter)
        if ctx.parent is not None:
            return
        try:
            import yaml

            from interpreter.loader import bundled_policy_dir

            doc = yaml.safe_load(
                (bundled_policy_dir() / "document.yaml").read_text(encoding="utf-8")
            )
            line = f"The bundled policy: {doc['number']} {doc['title']}."
        except Exception:  # noqa: BLE001 - help is shown whatever the policy's state
            return
        with formatter.section("Policy"):
            formatter.write_text(line + " Another: --policy DIR.")

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            module, attr = self.lazy[name].split(":")
            try:
                cmd = getattr(importlib.import_module(module), attr)
            except ImportError:  # an optional part that is not installed
                return None
            self.add_command(cmd, name)
        return super().get_command(ctx, name)


def _interrupted() -> NoReturn:
    from .guard import EXIT_INTERRUPTED, echo_err

    echo_err("interrupted")
    sys.exit(EXIT_INTERRUPTED)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy", prog_name="policy")
def cli():
    """Vocational-training subsidies as data: evaluate cases and explain the
    decisions, citing the clauses of the policy's source document (`policy
    eval --full` names it; without --policy, the bundled policy).

    \b
    Examples:
      policy eval examples/skill_upgrade_senior.json
      policy eval case.json --format json --lang en
      policy check
      policy schema > case.schema.json
    """
