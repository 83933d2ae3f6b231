"""Operators as data: symbol, grammar rule, precedence, and how to print them.

The grammar (grammar.lark) gives each operator its own rule; this table maps
rules to the symbols the AST uses, and gives the printer the precedence it
needs to put parentheses exactly where they are required.
"""

from __future__ import annotations

# Precedence, loosest first. Comparisons are not associative (a < b < c is a
# syntax error), so both sides bind tighter than the comparison itself.
PREC_IF = 1
PREC_OR = 2
PREC_AND = 3
PREC_NOT = 4
PREC_CMP = 5
PREC_SUM = 6
PREC_PRODUCT = 7
PREC_UNARY = 8
PREC_POSTFIX = 9
PREC_ATOM = 10

# rule name in grammar.lark -> (symbol, precedence, associativity)
BINARY_RULES = {
    "or_op": ("or", PREC_OR, "left"),
    "and_op": ("and", PREC_AND, "left"),
    "eq": ("==", PREC_CMP, "none"),
    "ne": ("!=", PREC_CMP, "none"),
    "lt": ("<", PREC_CMP, "none"),
    "le": ("<=", PREC_CMP, "none"),
    "gt": (">", PREC_CMP, "none"),
    "ge": (">=", PREC_CMP, "none"),
    "in_op": ("in", PREC_CMP, "none"),
    "not_in": ("not in", PREC_CMP, "none"),
    "add": ("+", PREC_SUM, "left"),
    "sub": ("-", PREC_SUM, "left"),
    "mul": ("*", PREC_PRODUCT, "left"),
    "div": ("/", PREC_PRODUCT, "left"),
}

BINARY = {sym: (prec, assoc) for sym, prec, assoc in BINARY_RULES.values()}

UNARY = {"-": PREC_UNARY, "not": PREC_NOT}

ARITHMETIC = {"+", "-", "*", "/"}
ORDERING = {"<", "<=", ">", ">="}
EQUALITY = {"==", "!="}
MEMBERSHIP = {"in", "not in"}
LOGICAL = {"and", "or"}

# Words of the language; a name may not be one of them.
KEYWORDS = {"if", "then", "else", "and", "or", "not", "in", "true", "false"}
