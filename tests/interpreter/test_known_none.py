"""Known none, distinct from missing (issue 13, point 1): a case states that
a fact facts.yaml declares `none:` for does not exist or does not apply —
no certificate, no skill level held, no earlier subsidy — and the decisions
that read it are decided, not left undetermined asking for it."""

import copy
import json

import pytest
from click.testing import CliRunner

from cli import cli
from dsl.errors import CaseError
from dsl.values import NONE
from interpreter.cases import NONE_PATHS, facts_json, parse_json_text
from tests.helpers import ROOT, squashed

TRAINED = parse_json_text(
    (ROOT / "examples" / "vocational_training_intermediate.json").read_text(encoding="utf-8"),
    "example",
)

pytestmark = pytest.mark.usefixtures("reuse_bundled_policy")


def no_certificate():
    case = copy.deepcopy(TRAINED)
    case["certificate"] = {"none": True}
    return case


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_the_declarations(bundled_policy):
    assert bundled_policy.fact("certificate").none.zh == "未取得证书"
    assert bundled_policy.fact("applicant.prior_level").none is not None
    assert bundled_policy.fact("history").none is not None
    assert bundled_policy.fact("applicant.insured_months").none is None


def test_no_certificate_is_refused_citing_the_clause_not_left_undetermined(evaluator):
    """It came out undetermined, asking for 证书种类; 六（一） pays only 「取得证书…后」."""
    (d,) = evaluator.decide(no_certificate(), programs=["vocational_training"]).decisions
    assert (d.outcome, d.failing, d.missing, d.amount) == (
        "ineligible",
        ["certificate_obtained"],
        [],
        None,
    )
    (c,) = [c for c in d.clauses if c.id == "certificate_obtained"]
    assert c.values["certificate.kind"] is NONE
    assert any("取得证书" in (x.quote or "") for x in c.clause.cite)
    missing = copy.deepcopy(TRAINED)
    del missing["certificate"]["kind"]
    (d,) = evaluator.decide(missing, programs=["vocational_training"]).decisions
    assert (d.outcome, d.missing) == ("undetermined", ["certificate.kind"])


def test_a_record_stated_none_reads_as_none_fields(evaluator):
    facts = evaluator.reader.convert(no_certificate())
    cert = facts["certificate"]
    assert cert["kind"] is NONE and cert["level"] is NONE and cert["date"] is NONE
    assert facts[NONE_PATHS] == (("certificate",),)
    assert facts_json(facts)["certificate"] == {"none": True}
    facts = evaluator.reader.convert(
        {"history": {"none": True}, "applicant": {"prior_level": {"none": True}}}
    )
    assert facts["history"] == [] and facts["applicant"]["prior_level"] is NONE


@pytest.mark.parametrize(
    "value, words",
    [
        (
            {"applicant": {"insured_months": {"none": True}}},
            "does not let this fact be stated as none",
        ),
        ({"certificate": {"none": True, "kind": "职业资格证书"}}, "not both"),
        ({"certificate": {"none": False}}, '"none" is written {"none": true}'),
        ({"applicant": {"pension_eligible": {"none": True}}}, "does not let this fact"),
    ],
)
def test_none_where_it_cannot_be(evaluator, value, words):
    with pytest.raises(CaseError) as err:
        evaluator.reader.convert(value, "c.json")
    assert words in err.value.message


def test_eval_text_json_and_replay(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(
        (ROOT / "examples" / "vocational_training_intermediate.json")
        .read_text(encoding="utf-8")
        .replace('"certificate": {', '"certificate": {"none": true}, "_was": {'),
        encoding="utf-8",
    )
    r = run("eval", p, "--program", "vocational_training")
    assert r.exit_code == 0, r.output
    assert "证书种类：无（未取得证书）" in r.stdout  # as an applicant reads it
    r = run("eval", p, "--program", "vocational_training", "--full")
    assert r.exit_code == 0, r.output
    assert squashed("证书种类（certificate.kind） = 无（未取得证书）") in squashed(r.stdout)
    r = run("eval", p, "--program", "vocational_training", "--lang", "en", "--full")
    assert squashed("(certificate.kind) = none (no certificate was obtained)") in squashed(r.stdout)
    r = run("eval", p, "--program", "vocational_training", "--format", "json")
    out = json.loads(r.stdout)
    assert out["case"]["facts"]["certificate"] == {"none": True}
    (cl,) = [c for c in out["decisions"][0]["clauses"] if c["id"] == "certificate_obtained"]
    assert cl["values"] == {"certificate.kind": {"none": True}}
    stored = tmp_path / "decision.json"
    stored.write_text(r.stdout, encoding="utf-8")
    r = run("eval", "--replay", stored)
    assert r.exit_code == 0, r.output


def test_a_csv_cell_states_none(tmp_path):
    src = tmp_path / "c.csv"
    src.write_text(
        "applicant.id,applicant.prior_level,training.kind,certificate,"
        "application.date,application.programs\n"
        '370405198603197716,"{""none"": true}",技师培训,"{""none"": true}",'
        "2020-06-29,technician_training\n",
        encoding="utf-8",
    )
    r = run("batch", src, "--out", tmp_path / "out.jsonl")
    assert r.exit_code == 0, r.output
    (line,) = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    (d,) = line["decisions"]
    assert d["outcome"] == "ineligible"
    assert set(d["failing"]) >= {"prior_senior_or_technician", "certificate_kind"}
