"""Impossible facts refused as the policy declares them (issue 13, point 3):
whole-number facts, bounds and constraints between fields, in facts.yaml,
enforced by the case reader (exit 2, the field named; a reject line in a
batch) and shown in the case schema."""

import json

import pytest
from click.testing import CliRunner

from cli import cli
from interpreter.cases import case_schema
from tests.helpers import ROOT

APPRENTICE = json.loads(
    (ROOT / "examples" / "apprenticeship_typical.json").read_text(encoding="utf-8")
)

pytestmark = pytest.mark.usefixtures("reuse_bundled_policy")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_the_schema_shows_whole_numbers_and_constraints(bundled_policy):
    props = case_schema(bundled_policy)["properties"]
    assert props["applicant"]["properties"]["insured_months"]["type"] == ["integer", "null"]
    assert props["training"]["properties"]["days"]["type"] == ["integer", "null"]
    assert props["project"]["properties"]["employment_rate"]["type"] == ["number", "null"]
    (c,) = props["apprenticeship"]["x-constraints"]
    assert c["expr"] == "end_date >= start_date" and c["field"] == "end_date"
    assert "end_date >= start_date" in props["apprenticeship"]["description"]


def test_the_apprenticeship_that_ended_before_it_started_is_refused(tmp_path):
    """It was eligible: months_between = -23 passed "at most 24 months" and
    paid 4399.80."""
    case = json.loads(json.dumps(APPRENTICE))
    case["apprenticeship"].update(start_date="2021-08-31", end_date="2019-09-01")
    p = tmp_path / "c.json"
    p.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    r = run("eval", p, "--format", "json")
    assert r.exit_code == 2 and r.stdout == ""
    assert "c.json field apprenticeship.end_date: 学徒培训结束日期早于开始日期" in r.stderr
    case["apprenticeship"].update(start_date="2019-09-01", end_date="2019-09-01")
    p.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    assert run("eval", p).exit_code == 0  # a one-day period is a period


def test_whole_numbers(evaluator):
    from dsl.errors import CaseError

    read = evaluator.reader.convert
    assert (
        read(
            {
                "applicant": {
                    "insured_months": json.loads("12.0", parse_float=__import__("decimal").Decimal)
                }
            }
        )["applicant"]["insured_months"]
        == 12
    )
    for bad in ("12.5", "1e-400", "0.000001"):
        from decimal import Decimal

        with pytest.raises(CaseError) as err:
            read({"applicant": {"insured_months": Decimal(bad)}}, "c.json")
        assert err.value.context == "field applicant.insured_months"
        assert "whole number" in err.value.message


def test_a_batch_rejects_the_impossible_lines_and_decides_the_rest(tmp_path):
    good = json.loads(json.dumps(APPRENTICE))
    backwards = json.loads(json.dumps(APPRENTICE))
    backwards["apprenticeship"].update(start_date="2021-08-31", end_date="2019-09-01")
    src = tmp_path / "cases.jsonl"
    src.write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in (good, backwards, good)),
        encoding="utf-8",
    )
    r = run("batch", src, "--out", tmp_path / "out.jsonl")
    assert r.exit_code == 0, r.output
    decided = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [x["line"] for x in decided] == [1, 3]
    (rej,) = [json.loads(x) for x in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert rej["line"] == 2 and rej["context"] == "field apprenticeship.end_date"
