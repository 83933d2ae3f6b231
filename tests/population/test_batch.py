"""`policy batch`: streaming decisions over JSON Lines and CSV, rejects, jobs."""

import csv
import io
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.population import batch as batch_cmd
from interpreter.cases import parse_json_text
from population import batch as B
from population.synthetic import dumps_case, generate, write_csv
from tests.helpers import ROOT

pytestmark = pytest.mark.usefixtures("reuse_bundled_policy")


BAD_JSON = '{"applicant": {"id": "370405199001011237",}'
UNKNOWN_FIELD = '{"applicant": {"insured_monthz": 24}, "application": {"date": "2020-05-01"}}'
WRONG_TYPE = '{"applicant": {"insured_months": "twenty"}, "application": {"date": "2020-05-01"}}'


def gen(n, seed, policy):
    """Generated cases whose trainings come from the policy's catalogues."""
    return generate(n, seed, policy=policy, catalog=getattr(policy, "catalog_values", None))


def run(*args):
    return CliRunner().invoke(batch_cmd, [str(a) for a in args])


def lines(path):
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, bundled_policy):
    """40 generated cases, a blank line, and 3 bad lines at known line numbers."""
    d = tmp_path_factory.mktemp("batch")
    good = [dumps_case(c) for c in gen(40, 11, bundled_policy)]
    text = (
        good[:4]
        + [BAD_JSON]
        + good[4:10]
        + [""]
        + good[10:20]
        + [UNKNOWN_FIELD]
        + good[20:39]
        + [WRONG_TYPE]
        + good[39:]
    )
    path = d / "cases.jsonl"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    bad_lines = [i + 1 for i, t in enumerate(text) if t in (BAD_JSON, UNKNOWN_FIELD, WRONG_TYPE)]
    good_lines = [i + 1 for i, t in enumerate(text) if t and i + 1 not in bad_lines]
    return path, bad_lines, good_lines, good


def test_bad_lines_go_to_the_rejects_file_and_the_rest_is_decided_in_order(mixed, tmp_path):
    path, bad_lines, good_lines, good = mixed
    assert bad_lines == [5, 23, 43]
    out = tmp_path / "decisions.jsonl"
    r = run(path, "--out", out, "--summary-json", tmp_path / "summary.json")
    assert r.exit_code == 0, r.output
    # the default rejects file sits next to --out
    rejects = lines(tmp_path / "decisions.rejects.jsonl")
    assert [x["line"] for x in rejects] == bad_lines
    assert (
        rejects[0]["error"].startswith("not valid JSON")
        and rejects[0]["column"] == BAD_JSON.index(",}") + 2
    )
    assert rejects[0]["text"] == BAD_JSON
    assert rejects[1]["context"] == "field applicant.insured_monthz"
    assert "declares no fact" in rejects[1]["error"]
    assert rejects[1]["hint"] == "did you mean 'insured_months'?"
    assert rejects[2]["context"] == "field applicant.insured_months"
    assert rejects[2]["error"] == 'expected a number, found "twenty"'
    # every bad line is reported on stderr with its line number
    err = r.stderr
    for n in bad_lines:
        assert f"cases.jsonl:{n}" in err
    decided = lines(out)
    assert [x["line"] for x in decided] == good_lines
    assert len(decided) == 40
    ids = [json.loads(g)["applicant"].get("id") for g in good]
    assert [x["id"] for x in decided] == ids
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert (summary["cases"], summary["decided"], summary["rejected"]) == (43, 40, 3)
    # the summary agrees with the decisions written
    for program, tally in summary["programs"].items():
        ds = [d for x in decided for d in x["decisions"] if d["program"] == program]
        assert tally["eligible"] == sum(d["outcome"] == "eligible" for d in ds)
        assert tally["ineligible"] == sum(d["outcome"] == "ineligible" for d in ds)
        assert Decimal(tally["amount"]) == sum(
            Decimal(d["amount"]) for d in ds if d["outcome"] == "eligible"
        )
    assert "43 case(s): 40 decided, 3 rejected" in err


def test_each_line_matches_a_single_evaluation(mixed, tmp_path, evaluator, bundled_policy):
    path, _bad, _good_lines, good = mixed
    out = tmp_path / "d.jsonl"
    assert run(path, "--out", out).exit_code == 0
    decided = lines(out)
    for text, line in zip(good, decided):
        res = evaluator.decide(parse_json_text(text, "x"), explain=False)
        assert [
            (d.program.id, d.outcome, None if d.amount is None else f"{d.amount:.2f}")
            for d in res.decisions
        ] == [(d["program"], d["outcome"], d["amount"]) for d in line["decisions"]]
        assert line["case"]["as_of"] == (res.as_of.isoformat() if res.as_of else None)
        assert line["policy"] == bundled_policy.hash
        assert line["case"]["sha256"].startswith("sha256:")
        assert "clauses" not in line["decisions"][0]  # no explanation by default


def test_jobs_2_is_byte_identical_to_jobs_1(tmp_path, monkeypatch, bundled_policy):
    monkeypatch.setattr(B, "CHUNK_SIZE", 7)  # many chunks, several in flight
    cases = tmp_path / "cases.jsonl"
    text = [dumps_case(c) for c in gen(150, 5, bundled_policy)]
    text[30] = WRONG_TYPE
    cases.write_text("\n".join(text) + "\n", encoding="utf-8")
    r1 = run(cases, "--out", tmp_path / "one.jsonl", "--jobs", "1")
    r2 = run(cases, "--out", tmp_path / "two.jsonl", "--jobs", "2")
    assert r1.exit_code == 0 and r2.exit_code == 0, r2.output
    one = (tmp_path / "one.jsonl").read_bytes()
    assert one == (tmp_path / "two.jsonl").read_bytes()
    assert one.count(b"\n") == 149
    assert (tmp_path / "one.rejects.jsonl").read_bytes() == (
        tmp_path / "two.rejects.jsonl"
    ).read_bytes()


@pytest.mark.parametrize("chunk", [1, 3, 200])
def test_jobs_2_reads_the_bytes_as_jobs_1_reads_the_lines(
    tmp_path, monkeypatch, bundled_policy, chunk
):
    """The workers of --jobs split and decode the file's bytes themselves: a
    byte-order mark, CRLF endings, blank lines (one of an ideographic space),
    a line that is not UTF-8 and a last line without an ending are read as
    with --jobs 1 (same line numbers, same rejects, same output)."""
    monkeypatch.setattr(B, "CHUNK_SIZE", chunk)
    good = [dumps_case(c).encode("utf-8") for c in gen(12, 9, bundled_policy)]
    raw = (
        b"\xef\xbb\xbf"
        + good[0]
        + b"\r\n"
        + good[1]
        + b"\n\n"
        + "\u3000".encode("utf-8")
        + b"\n"
        + good[2]
        + b"\r\n"
        + b'{"applicant": "\xff\xfe"}\n'
        + b"\n".join(good[3:11])
        + b"\n   \n"
        + good[11]
    )
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(raw)
    r1 = run(cases, "--out", tmp_path / "one.jsonl", "--jobs", "1")
    r2 = run(cases, "--out", tmp_path / "two.jsonl", "--jobs", "2")
    assert r1.exit_code == r2.exit_code == 0
    assert r1.output.replace("one.", "two.") == r2.output
    one = (tmp_path / "one.jsonl").read_bytes()
    assert one == (tmp_path / "two.jsonl").read_bytes()
    assert [json.loads(x)["line"] for x in one.splitlines()] == [1, 2, 5, *range(7, 15), 16]
    rejects = (tmp_path / "one.rejects.jsonl").read_bytes()
    assert rejects == (tmp_path / "two.rejects.jsonl").read_bytes()
    assert [json.loads(x)["line"] for x in rejects.splitlines()] == [6]


def test_streaming_reads_only_a_chunk_ahead(bundled_policy):
    pulled = []

    def records():
        for i, c in enumerate(generate(1000, seed=2, policy=bundled_policy), 1):
            pulled.append(i)
            yield B.Record(i, dumps_case(c))

    stream = B.decide_stream(B.BatchSpec(), records(), policy=bundled_policy, chunk_size=10)
    first = next(stream)
    assert first.line == 1 and first.ok
    assert len(pulled) == 10  # not the 1000 cases


def test_explain_writes_the_explanation_and_the_facts(tmp_path):
    cases = tmp_path / "c.jsonl"
    cases.write_text(
        (ROOT / "examples" / "skill_upgrade_senior.json")
        .read_text(encoding="utf-8")
        .replace("\n", " ")
        + "\n",
        encoding="utf-8",
    )
    r = run(cases, "--out", tmp_path / "d.jsonl", "--explain")
    assert r.exit_code == 0, r.output
    (line,) = lines(tmp_path / "d.jsonl")
    (d,) = line["decisions"]
    assert (d["program"], d["outcome"], d["amount"], d["level"]) == (
        "skill_upgrade",
        "eligible",
        "2000.00",
        "高级",
    )
    assert any(c["id"] == "insured_12_months" and c["result"] is True for c in d["clauses"])
    assert line["case"]["facts"]["applicant"]["insured_months"] in ("38", 38)
    assert line["id"] == "37040519870228441X"


CSV_TEXT = """applicant.id,applicant.enterprise_employee,applicant.insured_months,certificate.kind,certificate.level,certificate.date,application.date,application.programs,history,_note
370405199001011237,true,24,职业技能等级证书,中级,2020-05-01,2020-06-01,skill_upgrade,,first
370405199001011245,是,,职业资格证书,高级,2020-05-01,2020-06-01,skill_upgrade|vocational_training,[],insured months missing
370405199001011253,true,abc,职业资格证书,高级,2020-05-01,2020-06-01,skill_upgrade,,wrong type
370405199001011261,false,30,职业资格证书,初级,2021-03-01,2021-03-10,skill_upgrade,"[{""program"": ""vocational_training"", ""date"": ""2020-07-01"", ""level"": ""初级""}]","a ""quoted"" note, with a comma"
"""


def test_csv_columns_map_to_facts(tmp_path, bundled_policy):
    cases = tmp_path / "cases.csv"
    cases.write_text(CSV_TEXT, encoding="utf-8")
    out = tmp_path / "d.jsonl"
    r = run(cases, "--out", out)
    assert r.exit_code == 0, r.output
    decided = lines(out)
    assert [x["line"] for x in decided] == [2, 3, 5]
    first, second, fourth = decided
    assert first["id"] == "370405199001011237"
    assert [(d["program"], d["outcome"], d["amount"], d["level"]) for d in first["decisions"]] == [
        ("skill_upgrade", "eligible", "1500.00", "中级")
    ]
    # an empty cell is a missing fact; '|' separates list values; 是 is true
    su, vt = second["decisions"]
    assert (su["program"], su["outcome"], su["missing"]) == (
        "skill_upgrade",
        "undetermined",
        ["applicant.insured_months"],
    )
    assert vt["program"] == "vocational_training"
    assert [(d["outcome"], d["failing"]) for d in fourth["decisions"]] == [
        ("ineligible", ["enterprise_employee"])
    ]
    (rej,) = lines(tmp_path / "d.rejects.jsonl")
    assert rej["line"] == 4 and rej["error"] == 'expected a number, found "abc"'
    assert rej["text"].startswith("370405199001011253,true,abc,")
    # the layout gives exactly the JSON case an officer would write
    layout = B.CsvLayout(bundled_policy, next(csv.reader(io.StringIO(CSV_TEXT))))
    row = list(csv.reader(io.StringIO(CSV_TEXT)))[4]
    assert layout.to_case(row) == parse_json_text(
        json.dumps(
            {
                "applicant": {
                    "id": "370405199001011261",
                    "enterprise_employee": False,
                    "insured_months": 30,
                },
                "certificate": {"kind": "职业资格证书", "level": "初级", "date": "2021-03-01"},
                "application": {"date": "2021-03-10", "programs": ["skill_upgrade"]},
                "history": [
                    {"program": "vocational_training", "date": "2020-07-01", "level": "初级"}
                ],
            },
            ensure_ascii=False,
        ),
        "x",
    )


def test_generated_csv_decides_like_generated_jsonl(tmp_path, bundled_policy):
    cases = list(gen(60, 9, bundled_policy))
    jl, cv = tmp_path / "c.jsonl", tmp_path / "c.csv"
    jl.write_text("".join(dumps_case(c) + "\n" for c in cases), encoding="utf-8")
    with open(cv, "w", encoding="utf-8", newline="") as f:
        write_csv(cases, f, B.csv_columns(bundled_policy))
    assert run(jl, "--out", tmp_path / "a.jsonl").exit_code == 0
    assert run(cv, "--out", tmp_path / "b.jsonl").exit_code == 0
    a, b = lines(tmp_path / "a.jsonl"), lines(tmp_path / "b.jsonl")
    assert len(a) == len(b) == 60
    assert [x["line"] + 1 for x in a] == [x["line"] for x in b]  # CSV: header is line 1
    assert [x["decisions"] for x in a] == [x["decisions"] for x in b]
    assert (tmp_path / "b.rejects.jsonl").read_text() == ""


def test_a_csv_header_naming_no_fact_stops_the_batch_with_exit_2(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text("applicant.insured_month,certificate.level\n12,中级\n", encoding="utf-8")
    r = run(cases, "--out", tmp_path / "d.jsonl")
    assert r.exit_code == 2
    assert (
        "applicant.insured_month" in r.output
        and "did you mean 'applicant.insured_months'" in r.output
    )


def test_exit_codes_for_unreadable_cases_and_broken_policy(tmp_path, policy_copy, bundled_policy):
    r = run(tmp_path / "nope.jsonl", "--out", tmp_path / "d.jsonl")
    assert r.exit_code == 2 and "cannot read the case file" in r.output
    cases = tmp_path / "c.jsonl"
    cases.write_text(
        dumps_case(next(generate(1, seed=1, policy=bundled_policy))) + "\n", encoding="utf-8"
    )
    r = run(cases, "--out", cases)
    assert r.exit_code == 2 and "overwritten" in r.output
    (policy_copy / "standards.yaml").write_text("standards: [\n", encoding="utf-8")
    r = run(cases, "--out", tmp_path / "d.jsonl", "--policy", policy_copy)
    assert r.exit_code == 1 and "standards.yaml" in r.output


def test_empty_file_gives_no_decisions_and_exit_0(tmp_path):
    cases = tmp_path / "empty.jsonl"
    cases.write_text("\n\n", encoding="utf-8")
    r = run(cases, "--out", tmp_path / "d.jsonl")
    assert r.exit_code == 0
    assert (tmp_path / "d.jsonl").read_text() == ""
    assert "0 case(s)" in r.stderr


def test_default_rejects_path():
    assert B.default_rejects_path("out/decisions.jsonl") == "out/decisions.rejects.jsonl"
    assert B.default_rejects_path("decisions") == "decisions.rejects.jsonl"
    assert B.default_rejects_path("-") is None
    assert B.default_rejects_path(os.devnull) is None


def test_out_to_stdout_keeps_no_rejects_file_and_reports_every_reject_on_stderr(
    mixed, tmp_path, monkeypatch
):
    path, bad_lines, good_lines, _good = mixed
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("commands.population.MAX_REJECTS_SHOWN", 1)
    r = run(path, "--out", "-", "--summary-json", "summary.json")
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["line"] for x in r.stdout.splitlines()] == good_lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]  # no rejects.jsonl
    shown = [x for x in r.stderr.splitlines() if x.startswith("rejected: ")]
    assert [int(x.split(":")[2].split()[0]) for x in shown] == bad_lines  # all, not 1
    assert "give --rejects FILE to keep them" in r.stderr
    assert json.loads((tmp_path / "summary.json").read_text())["rejects"] is None


def test_out_to_the_null_device_creates_nothing_beside_it(mixed, tmp_path):
    path, bad_lines, _good_lines, _good = mixed
    beside = Path(os.devnull + ".rejects.jsonl")
    assert not beside.exists()
    r = run(path, "--out", os.devnull)
    assert r.exit_code == 0, r.output
    assert not beside.exists()
    assert len([x for x in r.stderr.splitlines() if x.startswith("rejected: ")]) == len(bad_lines)
    # --rejects still says where they go
    r = run(path, "--out", os.devnull, "--rejects", tmp_path / "bad.jsonl")
    assert [x["line"] for x in lines(tmp_path / "bad.jsonl")] == bad_lines


def test_a_bug_stops_the_batch_with_exit_3_instead_of_rejecting_every_line(
    tmp_path, monkeypatch, bundled_policy
):
    from interpreter.evaluate import Evaluator

    def broken(self, *a, **k):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(Evaluator, "decide", broken)
    cases = tmp_path / "c.jsonl"
    cases.write_text(
        dumps_case(next(generate(1, seed=1, policy=bundled_policy))) + "\n", encoding="utf-8"
    )
    r = run(cases, "--out", tmp_path / "d.jsonl")
    assert r.exit_code == 3
    assert "internal error" in r.output and "c.jsonl:1" in r.output
    # a batch that stopped leaves no partial output (interpreter/outputs.py)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]
