"""web.masking: the one rule of who sees an ID number whole, and the JSON of an
application as a read-only user reads it (the service's /v1/applications; the
officer pages follow the same rule through interpreter.plain)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interpreter.formats import mask_resident_id
from interpreter.loader import load_policy
from web.masking import WHOLE_IDS, IdMask, format_paths, sees_whole_ids

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
    paths = format_paths(policy)
    # the bundled policy declares one: applicant.id, a cn_resident_id
    assert set(paths) == {"applicant.id"}
    assert paths["applicant.id"].name == "cn_resident_id"


def test_an_application_is_masked_everywhere_the_number_appears(policy):
    mask = IdMask(policy, mask_resident_id)
    masked = "3704**********441X"
    case = json.loads((ROOT / "examples" / "skill_upgrade_senior.json").read_text())
    case["applicant"]["id"] = NUMBER.lower()  # as typed: normalised by the ledger
    data = {
        "id": 7,
        "person": NUMBER,
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
    assert out["case"]["applicant"]["id"] == masked  # the normalised number, masked
    assert out["facts_recorded"][0]["value"] == masked
    [d] = out["decision"]["decisions"]
    assert d["clauses"][0]["values"] == {"applicant.id": masked, "applicant.insured_months": 38}
    assert d["clauses"][1]["explain"]["zh"] == f"身份证号{masked}已核验"
    assert d["flags"] == {masked: [3]}
    # the rest untouched, and the input not changed in place
    assert (
        d["amount"] == "2000.00" and out["case"]["applicant"]["name"] == case["applicant"]["name"]
    )
    assert data["person"] == NUMBER


def test_a_claim_without_an_id_number_is_unchanged(policy):
    data = {"id": 1, "person": None, "case": {"project": {"trainees": 40}}, "decision": {}}
    assert IdMask(policy, mask_resident_id).application(data) == data
