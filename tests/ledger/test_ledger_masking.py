"""ledger.masking: the one rule of who sees an ID number and a name whole, and the
JSON of an application as a read-only user reads it (the service's
/v1/applications; the officer pages follow the same rule through
interpreter.plain); interpreter.masks: a mask declared in facts.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interpreter.formats import mask_resident_id
from interpreter.loader import load_policy
from interpreter.masks import Mask, mask_of
from ledger.masking import WHOLE_IDS, IdMask, Viewer, mask_paths, sees_whole, sees_whole_ids

ROOT = Path(__file__).resolve().parents[2]
NUMBER = "37040519870228441X"


@pytest.fixture(scope="module")
def policy():
    return load_policy(None)


def test_the_roles_that_see_id_numbers_whole():
    assert not sees_whole_ids("read-only")
    for role in ("admin", "caseworker", "reviewer", "finance", "auditor"):
        assert sees_whole_ids(role) and role in WHOLE_IDS
    assert not sees_whole_ids("no-such-role")


def test_the_paths_come_from_the_policy_declarations(policy):
    paths = mask_paths(policy)
    # the bundled policy declares two: applicant.id, a cn_resident_id, and
    # applicant.name, with mask: {keep_first: 1, keep_last: 1}
    assert set(paths) == {"applicant.id", "applicant.name"}
    assert paths["applicant.id"](NUMBER.lower()) == "3704**********441X"
    assert policy.fact("applicant.name").mask == Mask(1, 1)
    assert [paths["applicant.name"](n) for n in ("张三丰", "张伟", "欧阳小明", " 李 ")] == [
        "张*丰",
        "张*",
        "欧**明",
        "*",
    ]


@pytest.mark.parametrize(
    "first, last, text, shown",
    [
        (1, 1, "张三丰", "张*丰"),
        (1, 1, "张三", "张*"),  # at least one hidden: the last one first
        (1, 1, "张", "*"),
        (0, 1, "张三丰", "**丰"),
        (2, 0, "欧阳小明", "欧阳**"),
        (4, 4, "37040519870228441X", "3704**********441X"),  # an ID's, as data
        (4, 4, "1234567", "1234*67"),  # 7 <= 4 + 4: one hidden, from the end kept
        (1, 1, "", ""),
    ],
)
def test_a_declared_mask(first, last, text, shown):
    assert Mask(first, last)(text) == shown


def test_a_declared_mask_replaces_a_formats_on_the_normalised_form(policy):
    import copy

    decl = copy.copy(policy.fact("applicant.id"))
    decl.mask = Mask(6, 0)
    assert mask_of(decl)("37040519870228441x") == "370405************"
    assert mask_of(policy.fact("applicant.insured_months")) is None


def test_an_application_is_masked_everywhere_the_number_appears(policy):
    mask = IdMask(policy, mask_resident_id, Mask(1, 1))
    masked = "3704**********441X"
    case = json.loads((ROOT / "examples" / "skill_upgrade_senior.json").read_text())
    case["applicant"]["id"] = NUMBER.lower()  # as typed: normalised by the ledger
    name = case["applicant"]["name"]
    shown = name[0] + "*" * (len(name) - 2) + name[-1]
    data = {
        "id": 7,
        "person": NUMBER,
        "name": name,
        "case": case,
        "facts_recorded": [{"path": "applicant.id", "value": NUMBER, "recorded_by": "a"}],
        "decision": {
            "case": {"facts": {"applicant": {"id": NUMBER, "insured_months": 38}}},
            "decisions": [
                {
                    "clauses": [
                        {"values": {"applicant.id": NUMBER, "applicant.insured_months": 38}},
                        {"explain": {"zh": f"身份证号{NUMBER}已核验"}},
                    ],
                    "flags": {NUMBER: [3]},
                    "amount": "2000.00",
                }
            ],
        },
    }
    out = mask.application(data)
    text = json.dumps(out, ensure_ascii=False)
    assert NUMBER not in text and NUMBER.lower() not in text
    assert out["person"] == masked
    assert out["name"] == out["case"]["applicant"]["name"] == shown and name not in text
    assert out["case"]["applicant"]["id"] == masked  # the normalised number, masked
    assert out["facts_recorded"][0]["value"] == masked
    [d] = out["decision"]["decisions"]
    assert d["clauses"][0]["values"] == {"applicant.id": masked, "applicant.insured_months": 38}
    assert d["clauses"][1]["explain"]["zh"] == f"身份证号{masked}已核验"
    assert d["flags"] == {masked: [3]}
    # the rest untouched, and the input not changed in place
    assert d["amount"] == "2000.00"
    assert out["case"]["applicant"]["insured_months"] == case["applicant"]["insured_months"]
    assert data["person"] == NUMBER and data["name"] == name


def test_a_claim_without_an_id_number_is_unchanged(policy):
    data = {"id": 1, "person": None, "case": {"project": {"trainees": 40}}, "decision": {}}
    assert IdMask(policy, mask_resident_id).application(data) == data


def test_a_user_of_several_roles_sees_whole_when_one_of_them_does():
    assert sees_whole(["read-only", "caseworker"])
    assert not sees_whole(["read-only"]) and not sees_whole([])


def test_free_text_is_masked_where_it_quotes_the_name_or_the_number(policy):
    """A reviewer's reason, a payment's reference, the file a claim came from:
    the name (from two characters on) and the number in any spelling the
    ledger knows are masked inside them; what the system cannot recognise
    (a number written with spaces) is left as typed."""
    mask = IdMask(policy, mask_resident_id, Mask(1, 1))
    masked = "3704**********441X"
    data = {
        "person": NUMBER,
        "name": "欧阳小明",
        "source": f"欧阳小明-{NUMBER.lower()}.json",
        "review_reason": f"欧阳小明（{NUMBER}，{NUMBER.lower()}）的证书不符；370405 19870228 441X",
        "grants": [{"installments": [{"reference": f"凭证{NUMBER}"}]}],
    }
    out = mask.application(data)
    assert out["source"] == f"欧**明-{masked}.json"
    assert out["review_reason"] == f"欧**明（{masked}，{masked}）的证书不符；370405 19870228 441X"
    assert out["grants"][0]["installments"][0]["reference"] == f"凭证{masked}"


def test_a_viewer_shows_a_claim_whole_or_masked_of_the_same_type(policy):
    from ledger.model import Application, FactRecorded

    app = Application(
        id=3,
        status="rejected",
        person=NUMBER,
        name="郑海涛",
        source=None,
        case={"applicant": {"id": NUMBER.lower(), "name": "郑海涛"}},
        case_sha256="sha256:0",
        submitted_by="alice",
        submitted_at="2020-10-09",
        reviewed_by="bob",
        reviewed_at="2020-10-10",
        review_reason="郑海涛的证书不符",
        facts_recorded=[FactRecorded("applicant.id", NUMBER, "alice", "2020-10-09")],
        decision_seq=1,
        decision={"case": {"facts": {"applicant": {"id": NUMBER}}}, "decisions": []},
        grants=[],
    )
    mask = IdMask(policy, mask_resident_id, Mask(1, 1))
    assert Viewer(True, mask).application(app) is app
    seen = Viewer(False, mask).application(app)
    assert isinstance(seen, Application) and isinstance(seen.facts_recorded[0], FactRecorded)
    assert (seen.person, seen.name, seen.review_reason) == (
        "3704**********441X",
        "郑*涛",
        "郑*涛的证书不符",
    )
    assert seen.case["applicant"] == {"id": "3704**********441X", "name": "郑*涛"}
    assert seen.facts_recorded[0].value == "3704**********441X"
    assert NUMBER not in repr(seen) and "郑海涛" not in repr(seen)
    assert app.name == "郑海涛"  # the ledger's own view unchanged


def test_the_ledgers_person_is_masked_as_the_id_fact_declares(policy_copy, tmp_path):
    """An ID fact that declares a mask of its own (facts.yaml) is masked by it
    everywhere, the ledger's person and the publicity list included, not by
    its format's: one number, one mask on a page."""
    from click.testing import CliRunner

    from cli import cli

    facts = policy_copy / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    old = "        format: cn_resident_id\n"
    assert old in text
    facts.write_text(
        text.replace(old, old + "        mask: {keep_first: 6, keep_last: 0}\n", 1),
        encoding="utf-8",
    )
    case = json.loads((ROOT / "examples" / "skill_upgrade_senior.json").read_text())
    case["applicant"]["id"] = NUMBER.lower()
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'ledger.db'}"

    def run(*args, user):
        r = CliRunner().invoke(
            cli, ["ledger", *args, "--user", user, "--db", db, "--policy", str(policy_copy)]
        )
        assert r.exit_code == 0, r.output
        return r.output

    CliRunner().invoke(cli, ["ledger", "init", "--db", db])
    CliRunner().invoke(cli, ["ledger", "user", "add", "admin", "--role", "admin", "--db", db])
    for name, role in (("alice", "caseworker"), ("bob", "reviewer"), ("rita", "read-only")):
        r = CliRunner().invoke(
            cli, ["ledger", "user", "add", name, "--role", role, "--user", "admin", "--db", db]
        )
        assert r.exit_code == 0, r.output
    run("submit", str(path), user="alice")
    run("review", "1", "--approve", user="bob")
    shown = json.loads(run("show", "1", "--format", "json", user="rita"))
    masked = NUMBER[:6] + "*" * 12
    assert shown["person"] == shown["case"]["applicant"]["id"] == masked
    assert NUMBER not in json.dumps(shown) and "3704**********441X" not in json.dumps(shown)
    [row] = json.loads(run("publicity", "--format", "json", user="rita"))["rows"]
    assert row["id_number"] == masked


def test_a_short_latin_name_is_masked_as_a_word_not_inside_others(tmp_path):
    """An applicant named "li": the read-only view masks the name where it is
    written as a word, in any case (a reviewer's "LI's"), and leaves the words that hold
    the letters — the JSON's keys ("applicant"), the program ids
    ("living_allowance"), the outcome ("eligible") — as they are: the same
    keys and decisions as a caseworker is shown."""
    from click.testing import CliRunner

    from cli import cli

    case = json.loads((ROOT / "examples" / "living_allowance_capped.json").read_text())
    case["applicant"]["name"] = "li"
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'ledger.db'}"

    def run(*args, user="admin"):
        r = CliRunner().invoke(cli, ["ledger", *args, "--user", user, "--db", db])
        assert r.exit_code == 0, r.output
        return r.output

    CliRunner().invoke(cli, ["ledger", "init", "--db", db])
    CliRunner().invoke(cli, ["ledger", "user", "add", "admin", "--role", "admin", "--db", db])
    for name, role in (("alice", "caseworker"), ("bob", "reviewer"), ("rita", "read-only")):
        run("user", "add", name, "--role", role)
    run("submit", str(path), user="alice")
    run("review", "1", "--approve", "--reason", "li: eligible, LI's papers checked", user="bob")
    whole = json.loads(run("show", "1", "--format", "json", user="alice"))
    shown = json.loads(run("show", "1", "--format", "json", user="rita"))
    assert whole["name"] == "li" and shown["name"] == "l*"
    # the name written in capitals is the name too
    assert shown["review_reason"] == "l*: eligible, l*'s papers checked"
    assert shown["case"]["applicant"]["name"] == "l*"
    assert set(shown["case"]["applicant"]) == set(whole["case"]["applicant"])
    assert [(d["program"], d["outcome"]) for d in shown["decision"]["decisions"]] == [
        (d["program"], d["outcome"]) for d in whole["decision"]["decisions"]
    ]
    assert "living_allowance" in json.dumps(shown)
    # the notice reads the stored decision as rita sees it: it was "not a
    # decision" (exit 2) when the masked name had changed the decision's keys
    notice = run("notice", "1", "--lang", "en", user="rita")
    assert "l*" in notice and ">li<" not in notice
