"""The synthetic case generator: reproducible, realistic, and always readable."""

import csv
import datetime as dt
import io
from collections import Counter

import pytest
from click.testing import CliRunner

from commands.population import generate as generate_cmd
from interpreter.cases import CaseReader, parse_json_text
from population.batch import CsvLayout, csv_columns
from population.synthetic import ID_CHECK, ID_WEIGHTS, dumps_case, generate, write_csv, write_jsonl

pytestmark = pytest.mark.usefixtures("reuse_bundled_policy")


def jsonl(n, seed, policy, **kw):
    out = io.StringIO()
    write_jsonl(generate(n, seed, policy=policy, **kw), out)
    return out.getvalue().encode("utf-8")


def test_same_seed_same_bytes_different_seed_different(bundled_policy):
    p = bundled_policy
    a = jsonl(300, 42, p)
    assert a == jsonl(300, 42, p)
    assert a != jsonl(300, 43, p)
    assert jsonl(10, 42, p) == b"".join(a.splitlines(keepends=True)[:10])  # a prefix is stable


def test_csv_is_reproducible_too(bundled_policy):
    cols = csv_columns(bundled_policy)

    def text(seed):
        out = io.StringIO()
        write_csv(generate(100, seed, policy=bundled_policy), out, cols)
        return out.getvalue()

    assert text(1) == text(1) and text(1) != text(2)


@pytest.fixture(scope="module")
def catalog(bundled_policy):
    return getattr(bundled_policy, "catalog_values", None)


@pytest.fixture(scope="module")
def population(catalog, bundled_policy):
    return list(generate(1500, seed=2024, policy=bundled_policy, catalog=catalog))


def test_every_case_passes_the_case_reader(population, bundled_policy):
    reader = CaseReader(bundled_policy)
    for i, case in enumerate(population):
        reader.convert(parse_json_text(dumps_case(case), f"case {i}"), f"case {i}")
    # without catalogues too (no course, institutions by name)
    for i, case in enumerate(generate(500, seed=2024, policy=bundled_policy)):
        assert "course" not in case.get("training", {})
        reader.convert(parse_json_text(dumps_case(case), f"case {i}"), f"case {i}")


def test_trainings_come_from_the_catalogues(population, catalog):
    if not catalog:
        pytest.skip("this policy reads no catalogues")
    approved = {(a["institution"], a["course"]) for a in catalog["approvals"]}
    trained = [
        c["training"]
        for c in population
        if "course" in c.get("training", {}) and "institution" in c["training"]
    ]
    share = sum((t["institution"], t["course"]) in approved for t in trained) / len(trained)
    assert 0.88 < share < 0.98  # 4% + 2% outside on purpose


def test_every_csv_row_passes_the_case_reader(population, bundled_policy):
    reader = CaseReader(bundled_policy)
    cols = csv_columns(bundled_policy)
    out = io.StringIO()
    write_csv(population[:400], out, cols)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    layout = CsvLayout(bundled_policy, rows[0])
    for i, (row, case) in enumerate(zip(rows[1:], population)):
        from_csv = reader.convert(layout.to_case(row), f"row {i}")
        assert from_csv == reader.convert(parse_json_text(dumps_case(case), "x"))


def test_distributions_are_as_documented(population, evaluator):
    n = len(population)
    programs = Counter(tuple(c["application"]["programs"]) for c in population)
    assert 0.30 < programs[("vocational_training",)] / n < 0.42  # 36%
    assert 0.14 < programs[("skill_upgrade",)] / n < 0.22  # 18%
    assert 0.07 < programs[("vocational_training", "skill_upgrade")] / n < 0.13  # 10%
    assert len(programs) == 8
    dates = [
        dt.date.fromisoformat(c["application"]["date"])
        for c in population
        if "date" in c.get("application", {})
    ]
    assert min(dates) >= dt.date(2019, 1, 1) and max(dates) <= dt.date(2022, 3, 31)
    late = sum(d.year == 2022 for d in dates) / len(dates)
    assert 0.01 < late < 0.06  # 3%
    assert {d.year for d in dates} == {2019, 2020, 2021, 2022}
    levels = Counter(c["certificate"].get("level") for c in population if "certificate" in c)
    assert levels["初级"] > levels["中级"] > levels["高级"] > levels["技师"] > 0
    in_district = [
        c["training"]["in_district"] for c in population if "in_district" in c.get("training", {})
    ]
    assert 0.85 < sum(in_district) / len(in_district) < 0.97  # 92%
    assert any(len(c.get("history", [])) == 3 for c in population)
    assert sum("history" not in c for c in population) > 0  # some missing
    outcomes = Counter()
    for c in population:
        for d in evaluator.decide(parse_json_text(dumps_case(c), "x"), explain=False).decisions:
            outcomes[(d.program.id, d.outcome)] += 1
    total = sum(outcomes.values())
    eligible = sum(v for (p, o), v in outcomes.items() if o == "eligible")
    assert 0.6 < eligible / total < 0.85
    for program in (
        "vocational_training",
        "skill_upgrade",
        "pre_job_training",
        "living_allowance",
        "project_training",
        "technician_training",
        "apprenticeship",
    ):
        assert outcomes[(program, "eligible")] > 0
        assert outcomes[(program, "ineligible")] > 0
    assert sum(v for (p, o), v in outcomes.items() if o == "undetermined") > 0


def test_resident_ids_have_valid_check_digits(population):
    for c in population[:300]:
        rid = c.get("applicant", {}).get("id")
        if rid is None:
            continue
        assert len(rid) == 18 and rid[:6] in {"370405", "370402", "370403", "370404", "370481"}
        total = sum(int(x) * w for x, w in zip(rid[:17], ID_WEIGHTS))
        assert rid[17] == ID_CHECK[total % 11]


def test_generate_command_streams_jsonl_and_csv(tmp_path, bundled_policy):
    r = CliRunner().invoke(generate_cmd, ["25", "--seed", "3"])
    assert r.exit_code == 0, r.output
    assert r.stdout.encode("utf-8") == jsonl(
        25, 3, bundled_policy, catalog=getattr(bundled_policy, "catalog_values", None)
    )
    out = tmp_path / "cases.csv"
    r = CliRunner().invoke(generate_cmd, ["5", "--seed", "3", "--format", "csv", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == csv_columns(bundled_policy) and len(rows) == 6
    assert "5 case(s) written" in r.stderr


def test_the_bundled_policy_is_the_default(bundled_policy, catalog):
    """A caller that hands only the catalogue views gets the bundled
    policy's cases, the same bytes as with policy= given."""
    assert [dumps_case(c) for c in generate(200, 5, catalog=catalog)] == [
        dumps_case(c) for c in generate(200, 5, policy=bundled_policy, catalog=catalog)
    ]
