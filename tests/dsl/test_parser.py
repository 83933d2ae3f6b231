"""The parser: the trees it builds, and parse errors an officer can act on —
exact messages, exact positions, a caret under the right character, and never
a word of Lark's internals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dsl import ParseError, PolicyError, lalr, larkparse, parse
from dsl import ast as A
from dsl.operators import KEYWORDS
from dsl.parser import GRAMMAR, MAX_DEPTH, MAX_LENGTH


@pytest.fixture(autouse=True, params=["shipped tables", "built from the grammar"], scope="module")
def _lalr_parser(request):
    """Every test of this file runs over both ways of making the parser: the
    LALR tables shipped with the package (what a run uses) and the parser
    built from grammar.lark (what it falls back on when they do not match)."""
    if request.param == "shipped tables":
        assert larkparse._parser().source_path == "<deserialized>"
        yield
        return
    built = lalr.build(GRAMMAR.read_text(encoding="utf-8"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(larkparse, "_parser", lambda: built)
        larkparse._terminal_words.cache_clear()
        yield
    larkparse._terminal_words.cache_clear()


LARK_WORDS = (
    "__ANON",
    "$END",
    "LPAR",
    "RPAR",
    "LSQB",
    "RSQB",
    "Token(",
    "Tree(",
    "MORETHAN",
    "LESSTHAN",
    "EQUAL",
    "lark",
    "Lark",
    "Unexpected",
    "Traceback",
    "NAME",
    "NUMBER",
    "STRING",
    "PERCENT",
    "DATE",
)


def error_of(text: str, source: str | None = None) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(text, source)
    return info.value


def caret_line(err: ParseError) -> str:
    return err.render().splitlines()[2]


# --- friendly messages: exact text and position ----------------------------------

MESSAGES = [
    # (text, message, line, column)
    ("applicant.insured_months >=", "expected a value after '>='", 1, 28),
    ("applicant.insured_months >= ", "expected a value after '>='", 1, 28),
    ("1 +", "expected a value after '+'", 1, 4),
    ("not", "expected a value after 'not'", 1, 4),
    ("not not", "expected a value after 'not'", 1, 8),
    ("a not in", "expected a value after 'not in'", 1, 9),
    ("if a then b else", "expected a value after 'else'", 1, 17),
    ("(1 + 2", "expected ')' to close the '('", 1, 7),
    ("min(1, 2", "expected ')' to close the '('", 1, 9),
    ("(standards.skill_upgrade[certificate.level]", "expected ')' to close the '('", 1, 44),
    ("[1, 2", "expected ']' to close the '['", 1, 6),
    ("standards.skill_upgrade[certificate.level", "expected ']' to close the '['", 1, 42),
    ('"abc', "this string is not closed: add the closing '\"'", 1, 1),
    ('certificate.level == "中级', "this string is not closed: add the closing '\"'", 1, 22),
    ('"中级\n"', "this string is not closed: add the closing '\"'", 1, 1),
    ("a = 1", "'=' alone is not an operator: write '==' to compare", 1, 3),
    ('"中级" = certificate.level', "'=' alone is not an operator: write '==' to compare", 1, 6),
    ("count(history, h => h.x)", "'=' alone is not an operator: write '==' to compare", 1, 18),
    (
        "min(1，2)",
        (
            "'，' is not allowed here (a full-width Chinese punctuation mark; "
            'use , ( ) " : instead)'
        ),
        1,
        6,
    ),
    (
        "（1 + 2）",
        (
            "'（' is not allowed here (a full-width Chinese punctuation mark; "
            'use , ( ) " : instead)'
        ),
        1,
        1,
    ),
    (
        "certificate.level == “中级”",
        ("'“' is not allowed here (a full-width Chinese punctuation mark; use , ( ) \" : instead)"),
        1,
        22,
    ),
    (
        "1 < 2 < 3",
        ("'<' cannot follow a comparison: comparisons do not chain; join them with 'and'"),
        1,
        7,
    ),
    (
        "applicant.insured_months >= 12 <= 24",
        ("'<=' cannot follow a comparison: comparisons do not chain; join them with 'and'"),
        1,
        32,
    ),
    (
        "a == b == c",
        ("'==' cannot follow a comparison: comparisons do not chain; join them with 'and'"),
        1,
        8,
    ),
    (
        "a in b in c",
        ("'in' cannot follow a comparison: comparisons do not chain; join them with 'and'"),
        1,
        8,
    ),
    ("1 2", "unexpected '2'; expected an operator or the end of the expression", 1, 3),
    ("true false", "unexpected 'false'; expected an operator or the end of the expression", 1, 6),
    ("1 + 2)", "unexpected ')'; expected the end of the expression", 1, 6),
    ("a[1]]", "unexpected ']'; expected the end of the expression", 1, 5),
    ("a & b", "'&' is not allowed here; expected an operator or the end of the expression", 1, 3),
    ("a == &", "'&' is not allowed here; expected a value", 1, 6),
    ("#1", "'#' is not allowed here; expected a value", 1, 1),
    ("certificate.level == 中级", "'中' is not allowed here; expected a value", 1, 22),
    ("a.&", "'&' is not allowed here; expected a name", 1, 3),
    ("60%%", "'%' is not allowed here; expected an operator or the end of the expression", 1, 4),
    ("", "the expression is empty", 1, 1),
    ("   \n\t ", "the expression is empty", 1, 1),
    ("2020-13-01", "'2020-13-01' is not a real date", 1, 1),
    ("as_of >= 2020-13-01", "'2020-13-01' is not a real date", 1, 10),
    ("2021-02-29", "'2021-02-29' is not a real date", 1, 1),
    ("if a then b", "the expression ends too early; expected 'else'", 1, 12),
    ("x.1", "unexpected '1'; expected a name", 1, 3),
    ("a..b", "unexpected '.'; expected a name", 1, 3),
    ("a[]", "expected a value after '[', found ']'", 1, 3),
    ("()", "expected a value after '(', found ')'", 1, 2),
    ("[1,]", "expected a value after ',', found ']'", 1, 4),
    ("f(1,)", "expected a value after ',', found ')'", 1, 5),
    ("1 +* 2", "expected a value after '+', found '*'", 1, 4),
    ("a and or b", "expected a value after 'and', found 'or'", 1, 7),
    ("1 + if a then 1 else 2", "expected a value after '+', found 'if'", 1, 5),
    ("then", "expected a value, found 'then'", 1, 1),
    ("h -> h.amount", "unexpected '->'; expected an operator or the end of the expression", 1, 3),
    # several lines (a YAML block scalar): the position is in the expression
    ("a and\n  (b or", "expected a value after 'or'", 2, 8),
    ("min(1,\n  2", "expected ')' to close the '('", 2, 4),
    ("a\n  == = b", "'=' alone is not an operator: write '==' to compare", 2, 6),
    ("x >=\n  ", "expected a value after '>='", 1, 5),
    ("x >=\n\n", "expected a value after '>='", 1, 5),
]


@pytest.mark.parametrize(
    "text, message, line, column", MESSAGES, ids=[repr(m[0])[:40] for m in MESSAGES]
)
def test_parse_error_message_and_position(text, message, line, column):
    err = error_of(text)
    assert err.message == message
    assert (err.position.line, err.position.column) == (line, column)
    for word in LARK_WORDS:
        assert word not in err.message
        assert word not in err.render()


def test_the_rendered_error_puts_the_caret_after_the_operator():
    err = error_of("applicant.insured_months >=", "policy/programs/skill_upgrade.yaml")
    assert err.render() == (
        "policy/programs/skill_upgrade.yaml:1:28: expected a value after '>='\n"
        "  applicant.insured_months >=\n"
        "                             ^"
    )
    assert str(err) == err.render()
    assert err.kind == "parse" and isinstance(err, PolicyError)
    assert err.to_json() == {
        "kind": "parse",
        "file": "policy/programs/skill_upgrade.yaml",
        "line": 1,
        "column": 28,
        "context": None,
        "message": "expected a value after '>='",
        "hint": None,
        "severity": "error",
        "code": None,
    }


@pytest.mark.parametrize(
    "text, caret",
    [
        ("(1 + 2", "        ^"),
        ("a = 1", "    ^"),
        ("1 < 2 < 3", "        ^"),
        ('"abc', "  ^"),
        ("2020-13-01", "  ^"),
        # Chinese characters take two columns on a terminal: the caret stays under '中'
        (
            'certificate.level == "中级" and 中级',
            "  " + " " * (len('certificate.level == "') + 4 + len('" and ')) + "^",
        ),
        ("min(1，2)", "       ^"),
    ],
)
def test_the_caret_is_under_the_offending_character(text, caret):
    assert caret_line(error_of(text)) == caret


def test_a_multi_line_expression_shows_the_line_of_the_error():
    err = error_of("a and\n  (b or", "p.yaml")
    assert err.render().splitlines() == [
        "p.yaml:2:8: expected a value after 'or'",
        "    (b or",
        "         ^",
    ]


def test_an_invalid_date_error_carries_its_source_and_snippet():
    err = error_of("as_of >= 2020-13-01", "policy/definitions.yaml")
    assert err.position.source == "policy/definitions.yaml"
    assert err.snippet == "as_of >= 2020-13-01"
    assert caret_line(err) == "  " + " " * 9 + "^"


LARK_PROBES = [
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "->",
    "==",
    "not in",
    "in",
    "and",
    "or",
    "if",
    "else",
    "1 +",
    "a.",
    "a[",
    "f(",
    "f(,",
    "f(1 2)",
    "[1 2]",
    "a b c",
    "if then else",
    "count(history, h ->)",
    "count(history, -> 1)",
    "a -> b",
    "1 not 2",
    "not in [1]",
    "a[1 2]",
    "((1)",
    "(1))",
    "[[1]",
    '"\\',
    "'x'",
    "`x`",
    "a ? b : c",
    "a ; b",
    "x\ty\nz",
    "1..2",
    "1.2.3",
    "60%.5",
    "2020-01-01x",
    "\x00",
    "\u3000",
    "中级",
    'certificate.level = = "中级"',
    "if a then b else c else d",
    "a == b !=",
]


@pytest.mark.parametrize("text", LARK_PROBES, ids=[repr(t) for t in LARK_PROBES])
def test_no_message_speaks_lark(text):
    err = error_of(text)
    rendered = err.render()
    for word in LARK_WORDS:
        assert word not in rendered, (word, rendered)
    assert err.position.line is not None and err.position.column is not None


# --- limits ------------------------------------------------------------------------------


def test_limits_are_the_documented_ones():
    assert (MAX_LENGTH, MAX_DEPTH) == (4000, 60)


def test_200_nested_parentheses_are_refused_with_the_limit():
    err = error_of("(" * 200 + "1" + ")" * 200)
    assert err.message == "the expression nests 200 levels deep; the limit is 60"


def test_nesting_up_to_the_limit_parses():
    assert parse("(" * 60 + "1" + ")" * 60) == A.Number(Decimal(1))
    assert parse("[" * 60 + "]" * 60) is not None
    tree = parse("-" * 59 + "1")
    depth = 0
    while isinstance(tree, A.Unary):
        tree, depth = tree.operand, depth + 1
    assert depth == 59


@pytest.mark.parametrize(
    "text, message",
    [
        ("(" * 61 + "1" + ")" * 61, "the expression nests 61 levels deep; the limit is 60"),
        ("[" * 3000, "the expression nests 3000 levels deep; the limit is 60"),
        ("-" * 60 + "1", "the expression nests more than 60 levels deep"),
        ("1" + " + 1" * 70, "the expression nests more than 60 levels deep"),
        ("-" * 3999 + "1", "the expression nests too deeply"),
        ("not " * 999 + "true", "the expression nests too deeply"),
    ],
)
def test_deep_nesting_is_a_parse_error_not_a_crash(text, message):
    err = error_of(text)
    assert err.message == message
    assert (err.position.line, err.position.column) == (1, 1)


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert parse('"' + "(" * 61 + '"') == A.String("(" * 61)
    assert parse('["\\"((((", 1]') == A.ListLit((A.String('"(((('), A.Number(Decimal(1))))
    assert error_of('"a\\"' + "(" * 61).message == "this string is not closed: add the closing '\"'"


def test_length_limit():
    assert parse("1" + " " * (MAX_LENGTH - 1)) == A.Number(Decimal(1))
    err = error_of("1" + " " * MAX_LENGTH)
    assert err.message == "the expression is 4001 characters long; the limit is 4000"
    err = error_of("a" * 10_000)
    assert err.message == "the expression is 10000 characters long; the limit is 4000"


def test_text_that_is_not_a_string_is_a_parse_error():
    for value in (None, 12, b"1 + 2", ["1"]):
        with pytest.raises(ParseError, match="an expression must be text"):
            parse(value)


# --- keywords are not names -------------------------------------------------------------


@pytest.mark.parametrize("kw", sorted(KEYWORDS))
def test_a_keyword_cannot_be_a_field_a_lambda_name_or_a_function(kw):
    with pytest.raises(ParseError):
        parse(f"certificate.{kw}")
    with pytest.raises(ParseError):
        parse(f"count(history, {kw} -> true)")
    if kw in ("true", "false"):
        assert parse(f"{kw} + 1").left == A.Bool(kw == "true")  # a literal, not a name
    else:
        with pytest.raises(ParseError):
            parse(f"{kw} + 1")
    try:
        tree = parse(f"{kw}(1)")
    except ParseError:
        return
    assert kw == "not" and tree == A.Unary("not", A.Number(Decimal(1)))  # not(1) is not a call


@pytest.mark.parametrize(
    "name",
    [
        "ifx",
        "iff",
        "android",
        "notable",
        "inx",
        "index",
        "thenx",
        "orr",
        "order",
        "elsewhere",
        "true_value",
        "falsey",
        "_if",
        "IF",
        "True",
        "And",
    ],
)
def test_a_name_may_start_with_a_keyword(name):
    assert parse(name) == A.Name(name)
    assert parse(f"a.{name}") == A.Attr(A.Name("a"), name)


# --- the trees ---------------------------------------------------------------------------

N = lambda v: A.Number(Decimal(v))  # noqa: E731


@pytest.mark.parametrize(
    "text, tree",
    [
        ("1500.00", N("1500.00")),
        ("60%", A.Number(Decimal("0.6"), percent=True)),
        ("0.5%", A.Number(Decimal("0.005"), percent=True)),
        ('"台政办发〔2020〕4号"', A.String("台政办发〔2020〕4号")),
        (r'"a\"b\\c\nd\te"', A.String('a"b\\c\nd\te')),
        ("2020-06-01", A.Date(dt.date(2020, 6, 1))),
        ("true", A.Bool(True)),
        ("[]", A.ListLit(())),
        ('[1, "中级"]', A.ListLit((N(1), A.String("中级")))),
        ("-2 * 3", A.Binary("*", A.Unary("-", N(2)), N(3))),
        ("1 + 2 * 3", A.Binary("+", N(1), A.Binary("*", N(2), N(3)))),
        ("10 - 4 - 3", A.Binary("-", A.Binary("-", N(10), N(4)), N(3))),
        ("not a and b", A.Binary("and", A.Unary("not", A.Name("a")), A.Name("b"))),
        ("a or b and c", A.Binary("or", A.Name("a"), A.Binary("and", A.Name("b"), A.Name("c")))),
        ("not a in b", A.Unary("not", A.Binary("in", A.Name("a"), A.Name("b")))),
        ("a not in b", A.Binary("not in", A.Name("a"), A.Name("b"))),
        ("if a then 1 else 2 + 3", A.If(A.Name("a"), N(1), A.Binary("+", N(2), N(3)))),
        (
            "standards.t[certificate.level]",
            A.Index(A.Attr(A.Name("standards"), "t"), A.Attr(A.Name("certificate"), "level")),
        ),
        (
            "count(history, h -> h.amount > 0)",
            A.Call(
                "count",
                (
                    A.Name("history"),
                    A.Lambda("h", A.Binary(">", A.Attr(A.Name("h"), "amount"), N(0))),
                ),
            ),
        ),
        ("f()", A.Call("f", ())),
        (
            '-standards.t["初级"]',
            A.Unary("-", A.Index(A.Attr(A.Name("standards"), "t"), A.String("初级"))),
        ),
        ("2020 - 1 - 1", A.Binary("-", A.Binary("-", N(2020), N(1)), N(1))),
    ],
)
def test_trees(text, tree):
    assert parse(text) == tree


def test_positions_are_recorded_but_not_compared():
    tree = parse('certificate.level == "中级"')
    assert tree.pos == A.Span(1, 1, 1, 26)
    assert tree.left.pos == A.Span(1, 1, 1, 18)
    assert tree.right.pos == A.Span(1, 22, 1, 26)
    assert parse('certificate.level  ==  "中级"') == tree
    inner = parse("a and\n  b").right
    assert (inner.pos.line, inner.pos.column) == (2, 3)
