"""Declared formats of facts (facts.yaml ``format:``) and the real-name checks
that rely on them (issue 13, point 5): one person however the number is
typed, a wrong check digit refused with the field named, and a claim that
cannot be checked never paid unchecked."""

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from interpreter.cases import case_schema
from tests.helpers import ROOT

BASE = json.loads(
    (ROOT / "examples" / "vocational_training_intermediate.json").read_text(encoding="utf-8")
)
PERSON = BASE["applicant"]["id"]

pytestmark = pytest.mark.usefixtures("reuse_bundled_policy")


def spellings(number: str) -> list[str]:
    """The same 居民身份证号码 as people type it."""
    full = "".join(chr(ord(c) + 0xFEE0) for c in number)
    return [
        number.lower(),
        full,
        f" {number[:6]} {number[6:14]} {number[14:]} ",
        number[:9] + "\u200b" + number[9:],
        number[:6] + "\u3000" + number[6:],
    ]


def case(person=PERSON, **certificate):
    c = copy.deepcopy(BASE)
    if person is None:
        del c["applicant"]["id"]
    else:
        c["applicant"]["id"] = person
    c["certificate"].update(certificate)
    c["history"] = []
    return c


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_the_bundled_policy_declares_the_id_format(bundled_policy):
    assert bundled_policy.fact("applicant.id").format == "cn_resident_id"
    schema = case_schema(bundled_policy)["properties"]["applicant"]["properties"]["id"]
    assert schema["format"] == "cn_resident_id"
    assert "GB 11643" in schema["description"]
    programs = case_schema(bundled_policy)["properties"]["application"]["properties"]["programs"]
    assert programs["minItems"] == 1


@pytest.mark.parametrize("typed", spellings("37040519780816442X") + ["370405780816442"])
def test_every_spelling_reads_as_the_canonical_number(typed, evaluator):
    c = case("37040519780816442X")
    c["applicant"]["id"] = typed
    res = evaluator.decide(c, case_name="c.json")
    assert res.facts["applicant"]["id"] == "37040519780816442X"
    assert [d.outcome for d in res.decisions] == ["eligible"]


def test_the_json_output_records_the_canonical_number(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps(case(PERSON.lower())), encoding="utf-8")
    r = run("eval", p, "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["case"]["facts"]["applicant"]["id"] == PERSON.upper()


def test_a_wrong_check_digit_is_exit_2_naming_the_field(tmp_path):
    bad = PERSON[:17] + ("0" if PERSON[17] != "0" else "1")
    p = tmp_path / "c.json"
    p.write_text(json.dumps(case(bad)), encoding="utf-8")
    r = run("eval", p)
    assert r.exit_code == 2
    assert f'c.json field applicant.id: "{bad}" is not a valid 居民身份证号码' in r.output
    assert "check digit" in r.output and "元" not in r.output


def lines_of(path):
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines()]


def test_batch_rejects_a_bad_number_and_flags_one_person_typed_two_ways(tmp_path):
    src = tmp_path / "cases.jsonl"
    bad = PERSON[:16] + "00"
    cases = [case(PERSON), case(bad), case(spellings(PERSON)[1])]
    src.write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    r = run("batch", src, "--out", out)
    assert r.exit_code == 0, r.output
    decided = lines_of(out)
    assert [x["line"] for x in decided] == [1, 3]
    assert [x["id"] for x in decided] == [PERSON, PERSON]
    (flag,) = decided[1]["flags"]
    assert flag["check"] == "same_occupation_level" and flag["conflicts_with"] == [f"{src}:1"]
    (rej,) = lines_of(tmp_path / "out.rejects.jsonl")
    assert rej["line"] == 2 and rej["context"] == "field applicant.id"
    assert "check digit" in rej["error"]


def test_history_numbers_are_normalised_and_checked(tmp_path):
    src = tmp_path / "cases.jsonl"
    src.write_text(json.dumps(case(PERSON), ensure_ascii=False) + "\n", encoding="utf-8")
    history = tmp_path / "history.jsonl"
    level = BASE["certificate"]["level"]
    occupation = BASE["certificate"]["occupation"]
    record = {
        "id": spellings(PERSON)[2],
        "program": "vocational_training",
        "date": "2019-05-01",
        "occupation": occupation,
        "level": level,
    }
    history.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    r = run("batch", src, "--out", tmp_path / "out.jsonl", "--history", history)
    assert r.exit_code == 0, r.output
    (line,) = lines_of(tmp_path / "out.jsonl")
    assert line["flags"][0]["conflicts_with"] == [f"{history}:1"]
    record["id"] = PERSON[:16] + "00"
    history.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    r = run("batch", src, "--out", tmp_path / "out2.jsonl", "--history", history)
    assert r.exit_code == 2
    assert f"{history}:1" in r.output and "check digit" in r.output


@pytest.mark.parametrize("missing", ["applicant.id", "certificate.occupation"])
def test_a_claim_that_cannot_be_checked_is_never_paid_unchecked(tmp_path, missing):
    """Three claims of one person and occupation at one level, the person or
    the occupation left out: today each was paid 1500 with no flag."""
    c = case()
    root, leaf = missing.split(".")
    del c[root][leaf]
    src = tmp_path / "cases.jsonl"
    src.write_text((json.dumps(c, ensure_ascii=False) + "\n") * 3, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run("batch", src, "--out", out)
    assert r.exit_code == 0, r.output
    for line in lines_of(out):
        (d,) = line["decisions"]
        assert (d["outcome"], d["amount"], d["missing"]) == ("undetermined", None, [missing])
        assert "flags" not in line


def test_an_empty_list_of_programs_decides_nothing_under_a_policy_that_allows_it(evaluator):
    """Without min_items (a policy that does not declare it) an empty
    application.programs applies for nothing: never for every program."""
    facts = evaluator.reader.convert({"application": {"date": "2020-10-09"}})
    facts["application"]["programs"] = []
    res = evaluator.decide(facts, converted=True)
    assert res.decisions == []
