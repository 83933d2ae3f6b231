"""The application form, generated from the policy's fact declarations: what
it draws, the case it reads back, and its errors — the case reader's own,
worded as `policy eval` words them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from web.form import NONE, FormSpec
from web.words import WORDS

HERE = Path(__file__).parent
W = WORDS["zh"]


@pytest.fixture(scope="module")
def spec(bundled_policy):
    return FormSpec(bundled_policy, derived={"history"})


def flat(widgets):
    for w in widgets:
        yield w
        yield from flat(w.children)
        for row in w.rows:
            yield from flat(row)


def form(**fields) -> dict[str, list[str]]:
    return {k.replace("__", "."): v if isinstance(v, list) else [v] for k, v in fields.items()}


def test_every_declared_fact_but_the_derived_is_drawn(spec, bundled_policy):
    widgets = {w.name: w for w in flat(spec.widgets({}, {}, "zh", W))}
    leaves = []

    def walk(decls, prefix=""):
        for k, d in decls.items():
            path = prefix + k
            if d.type == "record":
                walk(d.fields, path + ".")
            leaves.append(path)

    walk(bundled_policy.facts)
    expected = {p for p in leaves if not p.startswith("history")}
    assert set(widgets) == expected
    assert widgets["applicant.insured_months"].label == "累计缴纳失业保险费月数"
    assert widgets["applicant.insured_months"].kind == "number"
    assert widgets["applicant.insured_months"].notes == ["0～600", "整数"]
    assert widgets["project.subsidy_total"].notes[-1] == "元"
    assert widgets["training.start_date"].kind == "date"
    assert [v for v, _l in widgets["certificate.level"].options] == [
        "",
        "初级",
        "中级",
        "高级",
        "技师",
        "高级技师",
        NONE,
    ]
    assert widgets["certificate.level"].options[-1][1] == "证书没有等级"
    assert widgets["certificate"].none_label == "未取得证书"
    assert [v for v, _l in widgets["applicant.enterprise_employee"].options] == [
        "",
        "true",
        "false",
    ]  # not given is not "no"
    programs = widgets["application.programs"]
    assert programs.kind == "checks"
    assert ("vocational_training", "职业培训补贴") in programs.options  # by title
    assert "居民身份证号码" in widgets["applicant.id"].notes[0]
    assert [c.value for c in widgets["training.course"].datalist][:2] == ["ZD-001", "ZD-002"]
    assert widgets["applicant.name"].datalist == []
    english = {w.name: w for w in flat(spec.widgets({}, {}, "en", WORDS["en"]))}
    assert (
        english["applicant.insured_months"].label
        == "Months of unemployment-insurance contributions"
    )
    assert ("vocational_training", "Vocational training subsidy") in english[
        "application.programs"
    ].options


def test_the_form_reads_back_as_a_case(spec):
    case = spec.case(
        form(
            applicant__id="37040519870228441x",
            applicant__insured_months="38",
            applicant__enterprise_employee="true",
            applicant__pension_eligible="false",
            applicant__name="",
            project__subsidy_total="45,000",
            certificate__level=NONE,
            application__programs=["skill_upgrade", "technician_training"],
            training__start_date="2020-04-07",
        )
    )
    assert case == {
        "applicant": {
            "id": "37040519870228441x",
            "insured_months": Decimal("38"),
            "enterprise_employee": True,
            "pension_eligible": False,
        },
        "training": {"start_date": "2020-04-07"},
        "certificate": {"level": {"none": True}},
        "project": {"subsidy_total": Decimal("45000")},
        "application": {"programs": ["skill_upgrade", "technician_training"]},
    }
    assert spec.case({}) == {}  # nothing typed: every fact missing
    assert spec.case(form(**{"certificate/none": "1", "certificate__kind": "职业资格证书"})) == {
        "certificate": {"none": True}
    }  # stated none: its fields are not read


def test_every_error_at_once_in_the_words_of_policy_eval(spec, tmp_path):
    case = spec.case(
        form(
            applicant__id="370405199003152317",
            applicant__insured_months="三十八",
            certificate__level="特级",
            training__start_date="2020-05-15",
            training__end_date="2020-04-07",
            application__date="2020-02-30",
        )
    )
    errors = spec.errors(case)
    assert set(errors) == {
        "applicant.id",
        "applicant.insured_months",
        "certificate.level",
        "training.end_date",
        "application.date",
    }
    assert errors["applicant.insured_months"].message == 'expected a number, found "三十八"'
    assert "is not one of: 初级、中级、高级、技师、高级技师" in errors["certificate.level"].message
    assert errors["training.end_date"].message.startswith("培训结束日期早于开始日期")
    # the same words as the command line, field by field
    from cli import cli

    for field, err in errors.items():
        path = tmp_path / "case.json"
        root, leaf = field.split(".")
        keep = {root: {leaf: case[root][leaf]}}
        if field == "training.end_date":
            keep = {"training": dict(case["training"])}
        from ledger.model import dumps_exact

        path.write_text(dumps_exact(keep), encoding="utf-8")
        r = CliRunner().invoke(cli, ["eval", str(path)])
        assert r.exit_code == 2, (field, r.output)
        assert f"field {field}: {err.message}" in r.output, (field, r.output)


def test_a_list_of_records_gets_rows(bundled_policy):
    """Where no ledger derives it, history is a list of records: rows, one
    more on "add a row", the empty ones left out."""
    spec = FormSpec(bundled_policy)
    [history] = [w for w in spec.widgets({}, {}, "zh", W) if w.name == "history"]
    assert history.kind == "rows" and len(history.rows) == 1
    assert [c.name for c in history.rows[0]] == [
        "history[0].program",
        "history[0].occupation",
        "history[0].level",
        "history[0].date",
        "history[0].amount",
    ]
    typed = form(
        **{
            "history[0].program": "vocational_training",
            "history[0].amount": "1000",
            "history/rows": "2",
            "add": "history",
        }
    )
    [history] = [w for w in spec.widgets(typed, {}, "zh", W) if w.name == "history"]
    assert len(history.rows) == 3
    case = spec.case(typed)
    assert case == {"history": [{"program": "vocational_training", "amount": Decimal("1000")}]}
    errors = spec.errors(spec.case(form(**{"history[1].amount": "-5"})))
    assert list(errors) == ["history[0].amount"]  # the empty first row is not sent
    assert "below the smallest allowed value 0" in errors["history[0].amount"].message
    assert spec.case(form(**{"history/none": "1"})) == {"history": {"none": True}}
    # a forged row index of 5000 digits is no row (int() of it raised: a 500)
    forged = form(**{"history[" + "9" * 5000 + "].program": "x", "history/rows": "9" * 5000})
    assert spec.case(forged) == {}
    [history] = [w for w in spec.widgets(forged, {}, "zh", W) if w.name == "history"]
    assert len(history.rows) == 1


def test_catalogue_codes_are_read_from_the_rules(bundled_policy):
    """A revision whose rule compares a new fact with a catalogue gets that
    catalogue's codes offered, labelled with the catalogue's names."""
    from tests.helpers import load_policy
    from web.choices import catalogue_choices

    bundled = catalogue_choices(bundled_policy)
    assert set(bundled) == {"training.course", "training.institution"}
    values = bundled_policy.catalog_values
    assert [c.value for c in bundled["training.course"]] == list(
        dict.fromkeys(values["course_codes"])
    )
    revised = catalogue_choices(load_policy(revisions=[HERE / "revision_web_form.yaml"]))
    trainer = revised["applicant.safety_trainer"]
    assert [c.value for c in trainer] == [i["code"] for i in values["institutions"]]
    assert trainer[0].label == values["institutions"][0]["name"]
