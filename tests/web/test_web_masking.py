"""web.masking: the one rule of who sees an ID number and a name whole, and the
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
from web.masking import WHOLE_IDS, IdMask, mask_paths, sees_whole_ids

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
