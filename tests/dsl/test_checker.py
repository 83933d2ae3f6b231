"""The static checker: every fault of an expression at once, in the order of
the text, each with a position, a stable code and a hint where one helps;
and what the checker records an expression reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dsl import CheckError, Context, Environment, ErrorList, PolicyError, diagnostic_error, parse
from dsl import types as T
from dsl.checker import Checker, CheckResult

LEVEL = T.EnumType("level", frozenset(["初级", "中级", "高级", "技师", "高级技师"]))
STANDARD_KEY = T.EnumType("standard_key", frozenset(["初级", "中级", "高级", "创业培训"]))
KIND = T.EnumType(
    "certificate_kind",
    frozenset(
        ["职业资格证书", "职业技能等级证书", "专项职业能力证书", "特种作业操作证书", "培训合格证书"]
    ),
)
PROGRAM = T.EnumType("program", frozenset(["vocational_training", "skill_upgrade"]))


def rec(name, **fields):
    return T.RecordType(name, tuple(fields.items()))


FACTS = {
    "applicant": rec(
        "applicant",
        insured_months=T.NUMBER,
        enterprise_employee=T.BOOLEAN,
        pension_eligible=T.BOOLEAN,
    ),
    "certificate": rec("certificate", kind=KIND, level=LEVEL, occupation=T.STRING, date=T.DATE),
    "training": rec("training", days=T.NUMBER, occupation=T.STRING, end_date=T.DATE),
    "history": T.ListType(
        "list",
        rec(
            "history[]",
            program=PROGRAM,
            occupation=T.STRING,
            level=LEVEL,
            date=T.DATE,
            amount=T.MONEY,
        ),
    ),
}
STANDARDS = {
    "vocational_training": T.TableType("standards.vocational_training", STANDARD_KEY, T.MONEY),
    "vocational_training_max_per_year": T.NUMBER,
    "living_allowance_per_day": T.MONEY,
    "living_allowance_cap": T.MONEY,
    "skill_upgrade_min_months": T.NUMBER,
}
CATALOGS = {"occupations": T.SetType("occupations")}


@pytest.fixture
def env():
    e = Environment(facts=FACTS, standards=STANDARDS, catalogs=CATALOGS)
    e.define("in_force", parse("as_of >= 2019-01-01 and as_of <= 2021-12-31"))
    e.define("insured", parse("applicant.insured_months >= standards.skill_upgrade_min_months"))
    return e


def check(env, text, local_types=None) -> CheckResult:
    return env.check(parse(text), local_types)


def diags(env, text):
    """(severity, code, column, message, hint) of every diagnostic, in order."""
    return [
        (d.severity, d.code, d.span.column, d.message, d.hint) for d in check(env, text).diagnostics
    ]


# --- all errors at once -----------------------------------------------------------------


def test_every_fault_is_reported_in_the_order_of_the_text(env):
    assert diags(env, "foo + bar + certificate.level * 2") == [
        ("error", "name", 1, "unknown name 'foo'", None),
        ("error", "name", 7, "unknown name 'bar'", None),
        (
            "error",
            "type",
            13,
            "'*' needs numbers, found enum level",
            "text (a level, a name) is not a number",
        ),
    ]


def test_an_operators_own_complaint_keeps_its_place_in_the_text(env):
    # the 'and' complains about its left side after visiting the right one;
    # the report still reads left to right
    assert [d[2] for d in diags(env, "1 and fooo")] == [1, 7]
    assert [d[3] for d in diags(env, "1 and fooo")] == [
        "'and' joins conditions (true or false), found number",
        "unknown name 'fooo'",
    ]


def test_three_kinds_of_fault_in_one_clause(env):
    text = 'certificate.level == "中纪" and certificate.kind == "职业证书" or in_forc'
    assert diags(env, text) == [
        ("error", "enum", 22, '"中纪" is not a value of enum level', "did you mean '中级'?"),
        (
            "error",
            "enum",
            51,
            '"职业证书" is not a value of enum certificate_kind',
            "did you mean '职业资格证书'?",
        ),
        ("error", "name", 61, "unknown name 'in_forc'", "did you mean 'in_force'?"),
    ]


def test_compile_raises_them_all_as_one_error_list(env):
    with pytest.raises(ErrorList) as info:
        env.compile('certificate.level == "中纪" and foo', source="p.yaml")
    err = info.value
    assert isinstance(err, PolicyError) and err.kind == "check"
    assert [e.message for e in err.errors] == [
        '"中纪" is not a value of enum level',
        "unknown name 'foo'",
    ]
    assert all(isinstance(e, CheckError) for e in err.errors)
    assert err.render() == (
        'p.yaml:1:22: "中纪" is not a value of enum level\n'
        '  certificate.level == "中纪" and foo\n'
        "                       ^\n"
        "  hint: did you mean '中级'?\n"
        "p.yaml:1:31: unknown name 'foo'\n"
        '  certificate.level == "中纪" and foo\n'
        "                                  ^"
    )
    assert [e["code"] for e in err.to_json()["errors"]] == ["enum", "name"]


def test_one_mistake_is_reported_once(env):
    # after an error the type is 'any', which satisfies everything downstream
    assert len(diags(env, "foo.bar.baz + 1")) == 1
    assert len(diags(env, "(foo + 1) * 2 > standards.living_allowance_cap")) == 1
    assert len(diags(env, "min(foo, 1) + round(foo)")) == 2


# --- names and fields -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message, hint",
    [
        ("certficate.level", "unknown name 'certficate'", "did you mean 'certificate'?"),
        ("aplicant.insured_months", "unknown name 'aplicant'", "did you mean 'applicant'?"),
        ("in_forc", "unknown name 'in_forc'", "did you mean 'in_force'?"),
        ("standard.living_allowance_cap", "unknown name 'standard'", "did you mean 'standards'?"),
        ("asof", "unknown name 'asof'", "did you mean 'as_of'?"),
        ("xyz", "unknown name 'xyz'", None),
    ],
)
def test_unknown_name_with_a_did_you_mean_hint(env, text, message, hint):
    assert diags(env, text) == [("error", "name", 1, message, hint)]


@pytest.mark.parametrize(
    "text, message, hint",
    [
        ("certificate.levle", "unknown field 'levle' of certificate", "did you mean 'level'?"),
        (
            "applicant.insured_month",
            "unknown field 'insured_month' of applicant",
            "did you mean 'insured_months'?",
        ),
        (
            "applicant.xyz",
            "unknown field 'xyz' of applicant",
            "known: insured_months, enterprise_employee, pension_eligible",
        ),
        (
            "standards.living_allowance",
            "unknown standard 'living_allowance' of standards",
            "did you mean 'living_allowance_cap'?",
        ),
        (
            "catalog.occupation",
            "unknown catalogue 'occupation' of catalog",
            "did you mean 'occupations'?",
        ),
    ],
)
def test_unknown_field_standard_or_catalogue(env, text, message, hint):
    assert diags(env, text) == [("error", "name", 1, message, hint)]


def test_unknown_field_of_a_lambda_item(env):
    assert diags(env, 'count(history, h -> h.levle == "初级")') == [
        ("error", "name", 21, "unknown field 'levle' of h", "did you mean 'level'?")
    ]


def test_a_lambda_name_exists_only_inside_its_lambda(env):
    assert diags(env, "count(history, h -> true) + h")[0][3] == "unknown name 'h'"


# --- types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, column, message",
    [
        ("certificate.level + 1", 1, "'+' needs numbers, found enum level"),
        ("1 + certificate.level", 5, "'+' needs numbers, found enum level"),
        ("-certificate.level", 2, "'-' needs a number, found enum level"),
        ("not applicant.insured_months", 5, "'not' needs true or false, found number"),
        (
            "applicant.insured_months and true",
            1,
            "'and' joins conditions (true or false), found number",
        ),
        ("certificate.date < 12", 1, "'<' compares two numbers or two dates, not date and number"),
        (
            "certificate.level == 1",
            1,
            "'==' compares values of the same kind, not enum level and number",
        ),
        (
            "if applicant.insured_months then 1 else 2",
            4,
            "the condition after 'if' must be true or false, found number",
        ),
        (
            "if true then 1 else certificate.level",
            1,
            (
                "both branches must give the same kind of value: number after 'then', "
                "enum level after 'else'"
            ),
        ),
        (
            "[1, certificate.date]",
            5,
            "a list holds values of one kind: date does not mix with number",
        ),
        (
            "standards.living_allowance_cap * standards.living_allowance_cap",
            1,
            "two amounts of money cannot be multiplied",
        ),
        (
            "1 / standards.living_allowance_cap",
            1,
            "a number cannot be divided by an amount of money",
        ),
        (
            "certificate.level.name",
            1,
            "'.name' cannot be read from enum level; only a record has fields",
        ),
        ("applicant.insured_months[0]", 1, "number cannot be indexed with [ ... ]"),
        ("history[certificate.level]", 9, "a list is indexed by a number, not enum level"),
        (
            'training.occupation in "电工"',
            24,
            "'in' needs a list, a catalogue or a table on its right, found one of \"电工\"",
        ),
        ("certificate.date in [1, 2]", 1, "'in': date cannot be among number values"),
        ("year(certificate.level)", 6, "year: expected a date, found enum level"),
    ],
)
def test_type_mismatches(env, text, column, message):
    (d,) = check(env, text).diagnostics
    assert (d.severity, d.code, d.span.column, d.message) == ("error", "type", column, message)


def test_adding_a_level_to_a_number_explains_why(env):
    (d,) = check(env, "certificate.level + 1").diagnostics
    assert d.hint == "text (a level, a name) is not a number"
    assert (d.span.line, d.span.column, d.span.end_column) == (1, 1, 18)


# --- functions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message, hint",
    [
        ("min()", "min takes at least 1 argument(s), given 0", "use min(a, b, ...)"),
        ("clamp(1, 2)", "clamp takes 3 argument(s), given 2", "use clamp(x, low, high)"),
        (
            'round(1, 2, "up", 4)',
            "round takes 1 to 3 argument(s), given 4",
            'use round(x, places = 2, mode = "half_up")',
        ),
        ("count()", "count takes 1 to 2 argument(s), given 0", "use count(list, x -> condition)"),
        ("sum(history)", "sum takes 2 argument(s), given 1", "use sum(list, x -> value)"),
        (
            "months_between(certificate.date)",
            "months_between takes 2 argument(s), given 1",
            "use months_between(a, b)",
        ),
        (
            "present(certificate.date, certificate.level)",
            "present takes 1 argument(s), given 2",
            "use present(fact)",
        ),
    ],
)
def test_wrong_arity(env, text, message, hint):
    assert diags(env, text) == [("error", "arity", 1, message, hint)]


@pytest.mark.parametrize(
    "text, message, hint",
    [
        ("rond(1)", "unknown function 'rond'", "did you mean 'round'?"),
        ("mx(1, 2)", "unknown function 'mx'", "did you mean 'max'?"),
        (
            "abs(1)",
            "unknown function 'abs'",
            (
                "functions: all, any, clamp, count, days_between, known, matches, max, min, month, "
                "months_between, present, round, sum, year"
            ),
        ),
    ],
)
def test_unknown_function(env, text, message, hint):
    assert diags(env, text) == [("error", "name", 1, message, hint)]


def test_arguments_of_an_unknown_function_are_still_checked(env):
    assert [d[3] for d in diags(env, "rond(fooo)")] == [
        "unknown function 'rond'",
        "unknown name 'fooo'",
    ]


@pytest.mark.parametrize(
    "text, column, message",
    [
        ("count(history, 1)", 16, "the argument 2 of count is a condition written 'x -> ...'"),
        ("min(h -> 1)", 5, "min takes no 'x -> ...' here"),
        (
            "sum(history, h -> h.occupation)",
            14,
            "sum: the value summed must be a number, found string",
        ),
        (
            "any(history, h -> h.amount)",
            14,
            "any: the condition must be true or false, found money",
        ),
        ("count(certificate, c -> true)", 7, "count: expected a list, found record certificate"),
        (
            'round(2.675, 2, "half-up")',
            17,
            'round: unknown rounding mode "half-up"; use one of "half_up", "half_even", "down", "up"',
        ),
        (
            "present(standards.living_allowance_cap)",
            9,
            "present(...) asks about a fact of the case, such as present(certificate.date)",
        ),
        (
            "present(1 + 1)",
            9,
            "present(...) asks about a fact of the case, such as present(certificate.date)",
        ),
    ],
)
def test_function_argument_errors(env, text, column, message):
    (d,) = check(env, text).diagnostics
    assert (d.severity, d.span.column, d.message) == ("error", column, message)


# --- enum literals -------------------------------------------------------------------------


def test_enum_typo_suggests_the_value(env):
    assert diags(env, 'certificate.level == "中纪"') == [
        ("error", "enum", 22, '"中纪" is not a value of enum level', "did you mean '中级'?")
    ]
    assert diags(env, '"中纪" != certificate.level') == [
        ("error", "enum", 1, '"中纪" is not a value of enum level', "did you mean '中级'?")
    ]


def test_an_enum_typo_with_nothing_close_lists_the_values(env):
    (d,) = check(env, 'certificate.level == "xyz"').diagnostics
    assert d.hint == "values: 中级, 初级, 技师, 高级, 高级技师"


def test_strings_in_a_list_are_checked_against_the_enum_tested_with_in(env):
    assert diags(env, 'certificate.level in ["初级", "中纪", "高纪"]') == [
        ("error", "enum", 29, '"中纪" is not a value of enum level', "did you mean '中级'?"),
        ("error", "enum", 35, '"高纪" is not a value of enum level', "did you mean '高级'?"),
    ]
    assert diags(env, 'certificate.level not in ["技师", "高级技师"]') == []
    assert (
        diags(env, '"中纪" in [certificate.level]')[0][3] == '"中纪" is not a value of enum level'
    )


def test_a_plain_string_field_takes_any_literal(env):
    assert diags(env, 'certificate.occupation == "不存在的工种"') == []


# --- tables of standards -------------------------------------------------------------------


def test_a_literal_row_that_does_not_exist_is_an_error(env):
    assert diags(env, 'standards.vocational_training["技师"]') == [
        ("error", "enum", 31, 'the table has no row "技师"', "rows: 中级, 创业培训, 初级, 高级")
    ]
    assert diags(env, 'standards.vocational_training["中纪"]') == [
        ("error", "enum", 31, 'the table has no row "中纪"', "did you mean '中级'?")
    ]


def test_a_key_whose_enum_has_rows_the_table_lacks_is_a_note(env):
    expr = env.compile("standards.vocational_training[certificate.level]")
    (d,) = expr.check.diagnostics
    assert (d.severity, d.code, d.span.column) == ("note", "table-key", 31)
    assert d.message == (
        'the table has no row for "技师", "高级技师": a case with that value '
        "stops with an error unless a clause excludes it"
    )
    assert expr.check.errors == []
    assert expr.type == T.MONEY


def test_a_table_is_looked_up_by_its_enum(env):
    (d,) = check(env, "standards.vocational_training[1]").diagnostics
    assert d.message == "a table of standards is looked up by enum standard_key, not by number"
    (d,) = check(env, 'standards.living_allowance_cap["初级"]').diagnostics
    assert d.message == "money cannot be indexed with [ ... ]"


# --- inferred types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, typ",
    [
        ("1500", "number"),
        ("60%", "number"),
        ('"初级"', 'one of "初级"'),
        ("2020-06-01", "date"),
        ("as_of", "date"),
        ("true", "boolean"),
        ("certificate.level", "enum level"),
        ("certificate", "record certificate"),
        ("history", "list of record history[]"),
        ("[1, 2]", "list of number"),
        ("standards.vocational_training", "table of money by enum standard_key"),
        ("standards.vocational_training[certificate.level]", "money"),
        ("training.days * standards.living_allowance_per_day", "money"),
        ("standards.living_allowance_cap / standards.living_allowance_per_day", "number"),
        (
            "min(training.days * standards.living_allowance_per_day, standards.living_allowance_cap)",
            "money",
        ),
        ("if true then 1 else standards.living_allowance_cap", "money"),
        ("round(standards.living_allowance_cap * 60%)", "money"),
        ("sum(history, h -> h.amount)", "money"),
        ("count(history)", "number"),
        ("months_between(certificate.date, as_of)", "number"),
        ("catalog.occupations", "set occupations"),
        ("in_force", "boolean"),
        ("insured", "boolean"),
    ],
)
def test_inferred_types(env, text, typ):
    result = check(env, text)
    assert result.errors == []
    assert str(result.type) == typ


# --- what the checker records ---------------------------------------------------------------


def test_it_records_the_fact_paths_read(env):
    r = check(env, "standards.vocational_training[certificate.level]")
    assert r.facts == {"certificate.level"}  # the path, not its record
    assert r.standards == {"vocational_training"}
    assert check(env, "certificate").facts == {"certificate"}
    r = check(env, "present(certificate.date) and applicant.insured_months >= 12")
    assert r.facts == {"certificate.date", "applicant.insured_months"}


def test_it_records_lambda_item_paths(env):
    r = check(
        env,
        'count(history, h -> h.program == "vocational_training" and '
        "year(h.date) == year(as_of)) < standards.vocational_training_max_per_year",
    )
    assert r.facts == {"history", "history[].program", "history[].date"}
    assert r.standards == {"vocational_training_max_per_year"}
    assert r.enum_literals == {("program", "vocational_training")}
    assert r.definitions == set()


def test_lambda_paths_inside_nested_lambdas(env):
    r = check(
        env,
        "any(history, h -> any(history, g -> g.date < h.date and "
        "g.occupation == certificate.occupation))",
    )
    assert r.facts == {
        "history",
        "history[].date",
        "history[].occupation",
        "certificate.occupation",
    }


def test_it_records_definitions_and_program_names(env):
    r = check(
        env,
        'in_force and insured and standard_key == "初级"',
        local_types={"standard_key": STANDARD_KEY},
    )
    assert r.definitions == {"in_force", "insured", "standard_key"}
    assert r.facts == set()  # a definition's own reads are the definition's
    assert r.errors == []


def test_it_records_catalogues_and_enum_literals(env):
    r = check(
        env,
        "training.occupation in catalog.occupations and "
        'certificate.level in ["初级", "中级"] and '
        'standards.vocational_training["创业培训"] > 0',
    )
    assert r.catalogs == {"occupations"}
    assert r.facts == {"training.occupation", "certificate.level"}
    assert r.standards == {"vocational_training"}
    assert r.enum_literals == {("level", "初级"), ("level", "中级"), ("standard_key", "创业培训")}


def test_a_program_name_hides_a_definition_of_the_same_name(env):
    r = check(env, "in_force + 1", local_types={"in_force": T.NUMBER})
    assert r.errors == [] and str(r.type) == "number"


def test_a_definition_cycle_is_recorded_and_cannot_be_compiled():
    env = Environment(facts=FACTS)
    env.define("a", parse("b + 1"))
    env.define("b", parse("a * 2"))
    env.definition_type("a")
    assert env.cycles == [("a", ["a", "b", "a"])]
    with pytest.raises(CheckError, match="refers to itself"):
        env.compile("a > 1")


# --- from diagnostics to errors --------------------------------------------------------------


def test_diagnostic_error_maps_a_position_into_the_file(env):
    text = 'applicant.insured_months >= 12 and certificate.level == "中纪"'
    (d,) = check(env, text).diagnostics
    err = diagnostic_error(
        d,
        text,
        "policy/programs/skill_upgrade.yaml",
        locate=lambda line, col: (40 + line, 10 + col),
        context="clause skill_upgrade.level",
    )
    assert (err.position.line, err.position.column) == (41, 67)
    assert err.caret_column == 57
    assert err.code == "enum" and err.severity == "error"
    assert err.render().splitlines() == [
        (
            "policy/programs/skill_upgrade.yaml:41:67 clause skill_upgrade.level: "
            '"中纪" is not a value of enum level'
        ),
        "  " + text,
        "  " + " " * 56 + "^",
        "  hint: did you mean '中级'?",
    ]


def test_a_checked_expression_evaluates(env):
    expr = env.compile("insured and in_force")
    ctx = Context(
        {"applicant": {"insured_months": Decimal(12)}},
        as_of=dt.date(2020, 6, 1),
        standards={"skill_upgrade_min_months": Decimal(12)},
    )
    assert expr.evaluate(ctx) is True
    assert Checker(env).check(parse("1")).type == T.NUMBER
