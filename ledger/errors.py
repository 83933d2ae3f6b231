"""The ledger's errors: each says what went wrong in words a caseworker can act
on, and changes nothing (the transaction it happened in is rolled back).

They are PolicyErrors, so the command line prints them on one line and exits
2 (bad input or usage), never with a traceback; ``kind`` tells a caller such
as the HTTP service which answer to give (404, 403, 409, 422, 503).
"""

from __future__ import annotations

from dsl.errors import PolicyError


class LedgerError(PolicyError):
    """Root of the ledger's errors."""

    exit_code = 2
    kind = "ledger"

    def headline(self) -> str:
        where = self.position.source
        head = "ledger" if where is None else str(self.position)
        if self.context:
            head += f" {self.context}"
        return f"{head}: {self.message}"


class NotFound(LedgerError):
    """No such application, user, person or installment."""

    kind = "not_found"


class Forbidden(LedgerError):
    """The acting user may not do this: unknown or disabled user, a role it
    does not have, or a step the separation of duties keeps from it (approving
    one's own submission)."""

    kind = "forbidden"


class Conflict(LedgerError):
    """The step does not fit the state of the record: approving twice, paying a
    rejected claim or an installment still pending, a history that contradicts
    the ledger."""

    kind = "conflict"


class Invalid(LedgerError):
    """The input itself is wrong: a malformed claim, a bad ID number, a fact
    path the policy does not declare."""

    kind = "invalid"


class NotInitialised(LedgerError):
    """The database holds no ledger yet (run `policy ledger init`)."""

    kind = "not_initialised"


class Unavailable(LedgerError):
    """The database cannot be reached or stays busy."""

    kind = "unavailable"
