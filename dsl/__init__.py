"""The rule language of `policy`: parse, check, compile, print.

>>> from dsl import Environment, Context, types as T
>>> env = Environment(facts={"applicant": T.RecordType("applicant",
...     (("insured_months", T.NUMBER),))})
>>> expr = env.compile("applicant.insured_months >= 12")
>>> expr.evaluate(Context({"applicant": {"insured_months": Decimal(14)}}))
True
"""

from decimal import Decimal  # noqa: F401  (used by the doctest above)

from . import ast, types
from .compiler import Context
from .environment import Environment, Expression, diagnostic_error, memoised
from .errors import (
    CaseError,
    CheckError,
    ErrorList,
    EvaluationError,
    ParseError,
    PolicyError,
    PolicyFileError,
    Position,
)
from .functions import FUNCTIONS
from .parser import parse
from .printer import format_expression, to_text
from .values import Unknown

format = format_expression

__all__ = [
    "FUNCTIONS",
    "CaseError",
    "CheckError",
    "Context",
    "Environment",
    "ErrorList",
    "EvaluationError",
    "Expression",
    "ParseError",
    "PolicyError",
    "PolicyFileError",
    "Position",
    "Unknown",
    "ast",
    "diagnostic_error",
    "format",
    "format_expression",
    "memoised",
    "parse",
    "to_text",
    "types",
]
