"""Which policy an output was made under, and refusing to read it under another.

Every output names the policy it was made under: a decision (``policy`` with
``id``, ``number`` and ``hash``), a batch line (``policy_id`` and ``policy``,
the hash), a batch summary, a report, a what-if. A command that reads such an
output (`report`, `eval --replay`, `diff --against`, `batch --history`)
refuses one made under another policy (exit 2): counting one policy's
decisions against another's targets, or replaying them under another's
clauses, gives numbers that mean nothing. ``--other-policy`` says it is meant.

A different *hash* under the same id is a revised version of the same policy
and is not refused: the commands say which versions they read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from dsl.errors import CaseError, Position

if TYPE_CHECKING:
    from .model import Policy

OTHER_POLICY_OPTION = click.option(
    "--other-policy",
    "other_policy",
    is_flag=True,
    default=False,
    help="Read outputs made under another policy than the one used (by default they are "
    "refused, exit 2).",
)


class OtherPolicyError(CaseError):
    """An output made under another policy than the one used (exit 2)."""


def made_under(
    policy: Policy, made_id: object, where: Position, what: str, allow: bool = False
) -> None:
    """Refuse ``what`` (at ``where``) when it names a policy id other than
    ``policy``'s, unless ``allow``. An output that names no policy id (written
    before outputs carried one) is read."""
    if allow or not made_id or made_id == policy.document.id:
        return
    raise OtherPolicyError(
        f"this {what} was made under the policy '{made_id}', but the policy used is "
        f"'{policy.document.id}' ({policy.document.number}); its decisions cannot be read "
        "against this policy's programs, clauses and targets",
        position=where,
        hint=f"give --policy DIR, the folder of policy '{made_id}'; or --other-policy "
        "to read it under this one anyway",
    )
