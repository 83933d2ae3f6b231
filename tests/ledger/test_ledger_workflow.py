"""The ledger's workflow against SQLite and PostgreSQL: submit (经办), review
(审核) by someone else, record a fact, pay; the history derived from the
ledger, not typed; the limits enforced against what is already granted; and
every wrong step refused with nothing changed."""

from __future__ import annotations

import copy

import pytest

from ledger.errors import Conflict, Forbidden, Invalid, NotFound
from tests.ledger.helpers import person, project, snapshot, vocational


def test_submit_review_pay(ledger):
    pid = person(1)
    app = ledger.submit("alice", vocational(pid))
    assert app.status == "submitted" and app.person == pid and app.name == "李明"
    assert app.outcomes()[0]["outcome"] == "eligible"
    assert app.outcomes()[0]["amount"] == "1500.00"
    [grant] = app.grants
    assert (grant.program, grant.status, grant.amount) == (
        "vocational_training",
        "proposed",
        "1500.00",
    )
    assert [(i.installment, i.amount, i.status) for i in grant.installments] == [
        (None, "1500.00", "payable")
    ]
    # the decision is stored whole, as `policy eval --format json` writes it
    assert app.decision["policy"]["hash"] == ledger.policy.hash
    assert app.decision["case"]["facts"]["history"] == []
    assert app.decision["decisions"][0]["clauses"]

    app = ledger.review("bob", app.id, approve=True, reason="材料齐全")
    assert (app.status, app.reviewed_by, app.review_reason) == ("approved", "bob", "材料齐全")
    assert app.grants[0].status == "approved"
    paid = ledger.pay("carol", app.id, reference="BANK-1")
    assert (paid.amount, paid.paid_by, paid.reference) == ("1500.00", "carol", "BANK-1")
    part = ledger.application("rita", app.id).grants[0].installments[0]
    assert (part.status, part.paid_by) == ("paid", "carol")


def test_history_is_derived_from_the_ledger(ledger):
    """Three subsidies in 2020 are granted; the fourth is refused by the
    yearly limit, with no history typed into any case; the same occupation
    and level again is refused as a repeat."""
    pid = person(2)
    for occupation in ("电工", "焊工", "车工"):
        app = ledger.submit("alice", vocational(pid, occupation))
        assert app.outcomes()[0]["outcome"] == "eligible", occupation
    fourth = ledger.submit("alice", vocational(pid, "钳工"))
    assert fourth.outcomes()[0]["outcome"] == "ineligible"
    assert fourth.outcomes()[0]["failing"] == ["yearly_limit"]
    assert fourth.grants == []
    history = fourth.decision["case"]["facts"]["history"]
    assert sorted(h["occupation"] for h in history) == ["焊工", "电工", "车工"]
    assert {(h["program"], h["level"], h["date"], h["amount"]) for h in history} == {
        ("vocational_training", "中级", "2020-06-10", "1500.00")
    }
    # next year the yearly limit starts again, but 电工 中级 was already granted
    again = ledger.submit("alice", vocational(pid, "电工", date="2021-03-01"))
    assert again.outcomes()[0]["failing"] == ["not_repeated"]
    other = ledger.submit("alice", vocational(pid, "钳工", date="2021-03-01"))
    assert other.outcomes()[0]["outcome"] == "eligible"


def test_a_rejected_claim_no_longer_counts(ledger):
    pid = person(3)
    first = ledger.submit("alice", vocational(pid))
    repeat = ledger.submit("alice", vocational(pid))
    assert repeat.outcomes()[0]["failing"] == ["not_repeated"]
    ledger.review("bob", first.id, approve=False, reason="证书复印件不清")
    assert ledger.application("bob", first.id).grants[0].status == "rejected"
    third = ledger.submit("alice", vocational(pid))
    assert third.outcomes()[0]["outcome"] == "eligible"


def test_the_same_person_however_the_number_is_written(ledger):
    """A lower-case x, full-width digits and spaces name the same person."""
    pid = next(p for p in (person(s) for s in range(100, 400)) if p.endswith("X"))
    ledger.submit("alice", vocational(pid))
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in pid[:6]) + pid[6:]
    for spelling in (pid.lower(), f" {pid[:6]} {pid[6:14]} {pid[14:]} ", wide):
        app = ledger.submit("alice", vocational(spelling))
        assert app.person == pid
        assert app.outcomes()[0]["failing"] == ["not_repeated"], spelling
    assert len(ledger.applications("rita", person=pid.lower())) == 4


def test_a_history_in_the_case_is_checked_not_trusted(ledger, db_url):
    pid = person(4)
    ledger.submit("alice", vocational(pid, "电工"))
    # claiming an empty history to get round 同一职业同一等级 is refused
    before = snapshot(db_url)
    with pytest.raises(Conflict) as err:
        ledger.submit("alice", vocational(pid, "电工", history=[]))
    assert "does not match the ledger" in err.value.message
    assert "电工" in err.value.message
    # so is stating it known none (no subsidy ever received)
    with pytest.raises(Conflict):
        ledger.submit("alice", vocational(pid, "电工", history={"none": True}))
    assert snapshot(db_url) == before
    # which is true of someone the ledger has never granted anything
    first = ledger.submit("alice", vocational(person(19), history={"none": True}))
    assert first.outcomes()[0]["outcome"] == "eligible"
    # a history that is the ledger's is accepted (and changes nothing)
    same = [
        {
            "program": "vocational_training",
            "occupation": "电工",
            "level": "中级",
            "date": "2020-06-10",
            "amount": 1500,
        }
    ]
    app = ledger.submit("alice", vocational(pid, "焊工", history=same))
    assert app.outcomes()[0]["outcome"] == "eligible"
    # one the ledger does not know is refused too
    with pytest.raises(Conflict):
        ledger.submit("alice", vocational(person(5), history=same))


def test_real_name_checks_are_enforced_against_the_ledger(db_url, policy_copy):
    """With the clause not_repeated taken out of the policy, the real-name
    check same_occupation_level still refuses the repeat: the ledger
    enforces the policy's real_name_checks against the grants it holds."""
    from ledger.api import Ledger
    from tests.helpers import load_policy

    path = policy_copy / "programs" / "vocational_training.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: not_repeated")
    end = text.index("\namount:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    lg = Ledger.open(db_url, policy=load_policy(policy_copy))
    pid = person(6)
    first = lg.submit("alice", vocational(pid))
    assert first.grants[0].status == "proposed"
    repeat = lg.submit("alice", vocational(pid))
    assert repeat.outcomes()[0]["outcome"] == "eligible"  # the clauses allow it
    [grant] = repeat.grants
    assert grant.status == "refused"  # the ledger does not
    [flag] = grant.refusal["real_name_checks"]
    assert flag["check"] == "same_occupation_level"
    assert flag["conflicts_with"] == [f"application {first.id}"]
    lg.close()


def test_project_installments_follow_the_employment_rate(ledger):
    app = ledger.submit("alice", project())
    [grant] = app.grants
    assert [(i.installment, i.amount, i.status, i.waiting_for) for i in grant.installments] == [
        ("advance", "27000.00", "payable", []),
        ("balance", "18000.00", "pending", ["project.employment_rate"]),
    ]
    assert app.person is None  # paid to the institution: no person
    ledger.review("bob", app.id, approve=True)
    assert ledger.pay("carol", app.id).installment == "advance"
    with pytest.raises(Conflict) as err:
        ledger.pay("carol", app.id)
    assert "pending" in err.value.message and "project.employment_rate" in err.value.message
    app = ledger.record_fact("alice", app.id, {"project.employment_rate": "0.87"})
    assert app.decision_seq == 2
    parts = app.grants[0].installments
    assert [(i.installment, i.status) for i in parts] == [
        ("advance", "paid"),
        ("balance", "payable"),
    ]
    assert ledger.pay("carol", app.id).amount == "18000.00"
    with pytest.raises(Conflict) as err:
        ledger.pay("carol", app.id)
    assert "already paid" in err.value.message


def test_a_low_employment_rate_refuses_the_balance(ledger):
    app = ledger.submit("alice", project())
    ledger.review("bob", app.id, approve=True)
    app = ledger.record_fact("alice", app.id, {"project.employment_rate": "0.72"})
    parts = app.grants[0].installments
    assert [(i.installment, i.status) for i in parts] == [
        ("advance", "payable"),
        ("balance", "refused"),
    ]
    assert app.grants[0].amount == "27000.00"
    ledger.pay("carol", app.id)
    with pytest.raises(Conflict) as err:
        ledger.pay("carol", app.id, installment="balance")
    assert "no payable installment" in err.value.message


def test_recording_a_missing_fact_decides_again(ledger):
    pid = person(7)
    case = vocational(pid)
    del case["applicant"]["pension_eligible"]
    app = ledger.submit("alice", case)
    assert app.outcomes()[0]["outcome"] == "undetermined"
    assert app.grants == []
    with pytest.raises(Conflict) as err:
        ledger.review("bob", app.id, approve=True)
    assert "applicant.pension_eligible" in err.value.message
    app = ledger.record_fact("ben", app.id, {"applicant.pension_eligible": "false"})
    assert app.outcomes()[0]["outcome"] == "eligible"
    assert app.grants[0].status == "proposed"
    assert [(f.path, f.value, f.recorded_by) for f in app.facts_recorded] == [
        ("applicant.pension_eligible", False, "ben")
    ]
    # the one who recorded a fact does not review the claim either
    with pytest.raises(Forbidden) as err:
        ledger.review("ben", app.id, approve=True)
    assert "recorded facts on it" in err.value.message
    assert ledger.review("bob", app.id, approve=True).status == "approved"


def test_separation_of_duties(ledger, db_url):
    app = ledger.submit("ben", vocational(person(8)))
    before = snapshot(db_url)
    with pytest.raises(Forbidden) as err:
        ledger.review("ben", app.id, approve=True)  # ben is a reviewer too
    assert "submitted it" in err.value.message
    with pytest.raises(Forbidden):
        ledger.review("carol", app.id, approve=True)  # finance does not review
    with pytest.raises(Forbidden):
        ledger.submit("bob", vocational(person(9)))  # a reviewer does not submit
    with pytest.raises(Forbidden):
        ledger.pay("bob", app.id)
    with pytest.raises(Forbidden) as err:
        ledger.review("mallory", app.id, approve=True)  # no such user
    assert "no user 'mallory'" in err.value.message
    with pytest.raises(Forbidden):
        ledger.submit(None, vocational(person(9)))
    assert snapshot(db_url) == before


def test_wrong_steps_change_nothing(ledger, db_url):
    app = ledger.submit("alice", vocational(person(10)))
    with pytest.raises(Conflict):
        ledger.pay("carol", app.id)  # not approved yet
    ledger.review("bob", app.id, approve=False, reason="重复申报")
    before = snapshot(db_url)
    with pytest.raises(Conflict) as err:
        ledger.pay("carol", app.id)  # paying a rejected claim
    assert "rejected" in err.value.message
    with pytest.raises(Conflict) as err:
        ledger.review("bob", app.id, approve=True)  # reviewing twice
    assert "already rejected by bob" in err.value.message
    with pytest.raises(Conflict):
        ledger.record_fact("alice", app.id, {"applicant.pension_eligible": "true"})
    with pytest.raises(NotFound):
        ledger.review("bob", 999, approve=True)
    with pytest.raises(Invalid):
        ledger.review("bob", app.id, approve=False)  # a rejection needs a reason
    assert snapshot(db_url) == before

    other = ledger.submit("alice", vocational(person(11)))
    ledger.review("bob", other.id, approve=True)
    before = snapshot(db_url)
    with pytest.raises(Conflict) as err:
        ledger.review("bob", other.id, approve=True)  # approving twice
    assert "already approved" in err.value.message
    assert snapshot(db_url) == before


def test_bad_claims_write_nothing(ledger, db_url):
    from dsl.errors import CaseError

    before = snapshot(db_url)
    bad_id = person(12)[:-1] + ("0" if person(12)[-1] != "0" else "1")
    with pytest.raises(CaseError) as err:
        ledger.submit("alice", vocational(bad_id))
    assert "check digit" in err.value.message and err.value.exit_code == 2
    case = vocational(person(12))
    case["applicant"]["insured_months"] = "14"
    with pytest.raises(CaseError):
        ledger.submit("alice", case)
    case = vocational(person(12))
    case["certificat"] = {}
    with pytest.raises(CaseError) as err:
        ledger.submit("alice", case)
    assert "certificat" in err.value.message
    with pytest.raises(CaseError):
        ledger.submit("alice", ["not", "an", "object"])
    case = vocational(person(12))
    del case["applicant"]["id"]
    with pytest.raises(Invalid) as err:  # a claim the limits need a person for
        ledger.submit("alice", case)
    assert "applicant.id" in err.value.message
    with pytest.raises(Invalid):
        ledger.record_fact("alice", 1, {"history": "[]"})
    assert snapshot(db_url) == before


def test_recording_a_fact_that_would_take_back_an_approved_grant_is_refused(ledger, db_url):
    app = ledger.submit("alice", vocational(person(13)))
    ledger.review("bob", app.id, approve=True)
    before = snapshot(db_url)
    with pytest.raises(Conflict) as err:
        ledger.record_fact("alice", app.id, {"applicant.pension_eligible": "true"})
    assert "approved" in err.value.message
    assert snapshot(db_url) == before
    with pytest.raises(Invalid):
        ledger.record_fact("alice", app.id, {"applicant.no_such_fact": "1"})
    with pytest.raises(Invalid):
        ledger.record_fact("alice", app.id, {"project.employment_rate": "high"})


def test_users(ledger):
    with pytest.raises(Forbidden):
        ledger.add_user("alice", "eve", ["admin"])  # only an admin adds users
    with pytest.raises(Invalid):
        ledger.add_user("admin", "eve", ["boss"])
    with pytest.raises(Conflict):
        ledger.add_user("admin", "alice", ["reviewer"])
    ledger.disable_user("admin", "amy")
    with pytest.raises(Forbidden) as err:
        ledger.submit("amy", vocational(person(14)))
    assert "disabled" in err.value.message
    names = {u.name: u for u in ledger.users("rita")}
    assert names["ben"].roles == ["caseworker", "reviewer"] and not names["amy"].active


def test_several_payable_installments_need_a_choice(ledger):
    app = ledger.submit("alice", project(project__employment_rate=0.9))
    ledger.review("bob", app.id, approve=True)
    with pytest.raises(Invalid) as err:
        ledger.pay("carol", app.id)
    assert "advance" in err.value.message and "balance" in err.value.message
    assert ledger.pay("carol", app.id, installment="balance").amount == "18000.00"
    assert ledger.pay("carol", app.id).installment == "advance"
    summary = ledger.applications("dora", status="approved")
    assert [(s.id, s.programs[0]["grant"]) for s in summary] == [(app.id, "approved")]


def test_the_case_is_kept_as_submitted(ledger):
    case = vocational(person(15))
    case["_note"] = "扫描件见档案"
    app = ledger.submit("alice", copy.deepcopy(case))
    assert app.case["_note"] == "扫描件见档案"
    assert app.case["certificate"] == dict(case["certificate"].items())
    assert app.case_sha256.startswith("sha256:")


def test_the_person_of_a_claim_cannot_be_changed(ledger):
    app = ledger.submit("alice", vocational(person(16)))
    with pytest.raises(Invalid) as err:
        ledger.record_fact("alice", app.id, {"applicant.id": person(17)})
    assert "submit a new claim" in err.value.message


def test_listing_filters(ledger):
    import datetime as _dt

    a = ledger.submit("alice", vocational(person(18)))
    b = ledger.submit("alice", project())
    ledger.review("bob", b.id, approve=True)
    today = _dt.date.fromisoformat(ledger._now()[:10])
    ids = lambda **kw: [s.id for s in ledger.applications("rita", **kw)]  # noqa: E731
    assert ids() == [a.id, b.id]
    assert ids(program="project_training") == [b.id]
    assert ids(status="submitted") == [a.id]
    assert ids(person=person(18)) == [a.id]
    assert ids(submitted_from=today, submitted_until=today) == [a.id, b.id]
    assert ids(submitted_until=today - _dt.timedelta(days=1)) == []
    [summary] = ledger.applications("rita", program="project_training")
    assert summary.programs == [
        {
            "program": "project_training",
            "outcome": "eligible",
            "amount": "27000.00",
            "grant": "approved",
        }
    ]
