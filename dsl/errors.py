"""One exception root for everything an officer or caseworker can get wrong.

Every error carries where it happened (source name, line, column), the clause
or field it concerns, and renders as the officer sees it::

    policy/programs/upgrade.yaml:42:31 clause upgrade.insured: expected a value after '>='
      applicant.insured_months >=
                                  ^
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .records import Record

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11


class Position(Record, frozen=True):
    """A place in a source file: 1-based line and column."""

    source: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.source or "<expression>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class PolicyError(Exception):
    """Root of every error the tool reports without a traceback.

    ``exit_code`` is the CLI exit status for this kind of error.
    """

    exit_code = 1
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        position: Position | None = None,
        context: str | None = None,
        snippet: str | None = None,
        hint: str | None = None,
        caret_column: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.position = position or Position()
        self.context = context  # e.g. "clause upgrade.insured"
        self.snippet = snippet  # the source line, for the caret
        self.hint = hint
        # where the caret goes under ``snippet`` when the snippet is the
        # expression rather than the file line (then it differs from column)
        self.caret_column = caret_column
        self.severity = "error"
        self.code: str | None = None

    def with_context(
        self,
        *,
        position: Position | None = None,
        context: str | None = None,
        snippet: str | None = None,
    ) -> Self:
        """Attach where the error happened, where that is first known."""
        if position is not None and self.position.source is None:
            self.position = position
        if context and not self.context:
            self.context = context
        if snippet and not self.snippet:
            self.snippet = snippet
        return self

    def headline(self) -> str:
        head = str(self.position)
        if self.context:
            head += f" {self.context}"
        return f"{head}: {self.message}"

    def render(self) -> str:
        # every part may quote a case or a file: control characters, bidi
        # overrides and newlines are shown escaped, never acted on (dsl.visible)
        from .visible import visible

        lines = [visible(self.headline())]
        if self.snippet is not None:
            lines.append("  " + visible(self.snippet))
            col = self.caret_column or self.position.column
            if col is not None:
                # Chinese characters take two terminal cells.
                prefix = visible(self.snippet[: max(col - 1, 0)])
                width = sum(2 if _wide(ch) else 1 for ch in prefix)
                lines.append("  " + " " * width + "^")
        if self.hint:
            lines.append(f"  hint: {visible(self.hint)}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.position.source,
            "line": self.position.line,
            "column": self.position.column,
            "context": self.context,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity,
            "code": self.code,
        }

    def __str__(self) -> str:
        return self.render()


def _wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")


class ParseError(PolicyError):
    """The text of an expression is not in the rule language."""

    kind = "parse"


class CheckError(PolicyError):
    """An expression parses but cannot be right: unknown name, wrong type..."""

    kind = "check"


class EvaluationError(PolicyError):
    """Evaluation met something the checker could not rule out (division by zero...)."""

    kind = "evaluation"


class PolicyFileError(PolicyError):
    """A policy or catalogue file is malformed (YAML, schema, references)."""

    kind = "policy"


class CaseError(PolicyError):
    """A case file is malformed: bad JSON, wrong type, undeclared enum value..."""

    kind = "case"
    exit_code = 2


class ErrorList(PolicyError):
    """Several errors reported at once (the checker never stops at the first)."""

    def __init__(self, errors: Iterable[PolicyError]):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} error(s)")
        if self.errors:
            self.exit_code = self.errors[0].exit_code
            self.kind = self.errors[0].kind

    def render(self) -> str:
        return "\n".join(e.render() for e in self.errors)

    def to_json(self) -> dict[str, Any]:
        return {"errors": [e.to_json() for e in self.errors]}
