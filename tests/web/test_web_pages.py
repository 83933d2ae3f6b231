"""The officer pages over real HTTP, against a real `policy serve` on SQLite
and PostgreSQL: signing in (password or token), the session cookie, CSRF,
each step for its role only (a POST a role may not make is refused and
changes nothing), the separation of duties, recording a fact and paying, the
notice, and a form that follows a revision with no code change."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import PASSWORDS, Officer, pid, policy_cmd, signed_in, submitted

HERE = Path(__file__).parent
PERSON = "370405199003152316"
VOCATIONAL = {
    "applicant.id": PERSON,
    "applicant.name": "李明",
    "applicant.pension_eligible": "false",
    "training.in_district": "true",
    "training.kind": "就业技能培训",
    "training.project_based": "false",
    "training.free": "false",
    "training.occupation": "电工",
    "training.course": "ZD-006",
    "training.institution": "JG-002",
    "training.start_date": "2020-04-07",
    "training.end_date": "2020-05-15",
    "certificate.kind": "职业技能等级证书",
    "certificate.level": "中级",
    "certificate.occupation": "电工",
    "certificate.date": "2020-05-28",
    "application.date": "2020-06-10",
    "application.programs": "vocational_training",
}
PROJECT = {
    "training.in_district": "true",
    "training.kind": "就业技能培训",
    "training.project_based": "true",
    "training.free": "true",
    "training.occupation": "养老护理员",
    "training.course": "YB-001",
    "training.institution": "JG-001",
    "training.start_date": "2021-04-06",
    "training.end_date": "2021-05-28",
    "project.level": "初级",
    "project.subsidy_total": "45000",
    "application.date": "2021-06-15",
    "application.programs": "project_training",
}


def _applications(db: str) -> dict[int, str]:
    """application id → status, read from the database itself."""
    from sqlalchemy import create_engine, select

    from ledger.db import resolve_url
    from ledger.schema import applications

    engine = create_engine(resolve_url(db))
    try:
        with engine.connect() as c:
            return dict(c.execute(select(applications.c.id, applications.c.status)).all())
    finally:
        engine.dispose()


def status_of(office, app_id: int) -> str:
    return _applications(office.db)[app_id]


def count(office) -> int:
    return len(_applications(office.db))


@pytest.fixture(scope="module")
def desks(office):
    """One signed-in officer per role, for the module."""
    signed = {desk: signed_in(office, user) for desk, user in DESKS.items()}
    yield signed
    for o in signed.values():
        o.close()


# -- signing in ----------------------------------------------------------------------------


def test_a_session_cookie_is_httponly_and_samesite(office):
    o = Officer(office.url)
    r = o.sign_in("alice")
    assert r.status_code == 303 and r.headers["location"] == "/ui/applications"
    cookie = [c for c in r.headers.get_list("set-cookie") if c.startswith("policy_session=")]
    assert len(cookie) == 1
    flags = cookie[0].lower()
    assert "httponly" in flags and "samesite=strict" in flags and "path=/ui" in flags
    # only the secret's hash is stored, never the secret
    secret = o.http.cookies["policy_session"]
    from sqlalchemy import create_engine, select

    from ledger.db import resolve_url
    from ledger.schema import web_sessions

    engine = create_engine(resolve_url(office.db))
    with engine.connect() as c:
        digests = [r.digest for r in c.execute(select(web_sessions))]
    engine.dispose()
    assert secret not in digests and all(d.startswith("sha256:") for d in digests)
    page = o.get("/ui/applications")
    assert page.status_code == 200 and "alice" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    o.close()


def test_every_cookie_is_httponly_and_samesite(office):
    """The sign-in form's CSRF cookie, the session's and the language's: none
    readable by a script, none sent from another site's page, none beyond /ui."""
    o = Officer(office.url)
    made = {}
    for step in (
        lambda: o.get("/ui/signin"),
        lambda: o.sign_in("alice"),
        lambda: o.get("/ui/lang/en?next=/ui/applications"),
    ):
        for c in step().headers.get_list("set-cookie"):
            made.setdefault(c.split("=", 1)[0], c.lower())
    assert set(made) == {"policy_signin", "policy_session", "policy_lang"}
    for name, flags in made.items():
        parts = {p.strip() for p in flags.split(";")}
        assert {"httponly", "samesite=strict", "path=/ui"} <= parts, (name, flags)
    o.close()


def test_a_session_holds_on_every_worker(office):
    """The server runs two worker processes; each new connection may be
    taken by either, and every one of them knows the session (it is in the
    database, not in a process)."""
    o = signed_in(office, "rita")
    cookie = {"policy_session": o.http.cookies["policy_session"]}
    for _ in range(12):
        with httpx.Client(
            base_url=office.url, cookies=cookie, headers={"Connection": "close"}
        ) as fresh:
            r = fresh.get("/ui/applications", follow_redirects=False)
            assert r.status_code == 200 and "rita" in r.text
    o.close()


def test_a_wrong_password_signs_no_one_in(office):
    for user, password in (("alice", "wrong password"), ("nobody", "alice-pass-1"), ("alice", "")):
        o = Officer(office.url)
        r = o.sign_in(user, password=password)
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
        assert "policy_session" not in o.http.cookies
        assert o.get("/ui/applications").status_code == 303
        o.close()


def test_the_sign_in_form_needs_its_own_csrf_cookie(office):
    o = Officer(office.url)
    o.get("/ui/signin")
    o.http.cookies.delete("policy_signin")
    r = o.post("/ui/signin", {"user": "alice", "password": PASSWORDS["alice"]})
    assert r.status_code == 403 and "policy_session" not in o.http.cookies
    r = o.post(
        "/ui/signin",
        {"user": "alice", "password": PASSWORDS["alice"]},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 403
    o.close()


def test_a_user_of_several_roles_chooses_a_desk(office):
    o = Officer(office.url)
    r = o.sign_in("ben")
    assert r.status_code == 400 and "多个岗位" in r.text
    r = o.sign_in("ben", role="finance")
    assert r.status_code == 403 and "没有岗位" in r.text
    r = o.sign_in("ben", role="reviewer")
    assert r.status_code == 303
    assert "（审核）" in o.get("/ui/applications").text
    o.close()


def test_signing_in_with_a_token(office):
    o = Officer(office.url)
    r = o.sign_in("", password="", token=office.tokens["bob"])
    assert r.status_code == 303
    assert "bob" in o.get("/ui/applications").text
    r = Officer(office.url).sign_in("", password="", token="pol_not-a-token")
    assert r.status_code == 401 and "令牌无效" in r.text
    o.close()


def test_signing_out_ends_the_session_everywhere(office):
    o = signed_in(office, "rita")
    stolen = o.http.cookies["policy_session"]
    o.get("/ui/applications")
    r = o.post("/ui/signout", {})
    assert r.status_code == 303 and r.headers["location"] == "/ui/signin"
    thief = httpx.Client(base_url=office.url, cookies={"policy_session": stolen})
    r = thief.get("/ui/applications", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/signin")
    thief.close()
    o.close()


def test_every_page_needs_a_session(office):
    anonymous = Officer(office.url)
    for path in (
        "/ui/",
        "/ui/apply",
        "/ui/applications",
        "/ui/applications/1",
        "/ui/publicity",
        "/ui/applications/1/notice",
    ):
        r = anonymous.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/ui/signin?next="), path
    for path in (
        "/ui/apply",
        "/ui/applications/1/review",
        "/ui/applications/1/facts",
        "/ui/applications/1/payments",
    ):
        r = anonymous.post(path, {"decision": "approve"}, csrf="x")
        assert r.status_code == 303, path
    anonymous.close()


# -- forms: CSRF, roles, the separation of duties -------------------------------------------


def test_a_form_without_its_csrf_token_changes_nothing(office):
    o = signed_in(office, "alice")
    o.get("/ui/apply")
    before = count(office)
    for csrf, headers in (("", None), ("forged", None), (None, {"Origin": "http://evil.example"})):
        r = o.post("/ui/apply", VOCATIONAL, csrf=csrf, headers=headers)
        assert r.status_code == 403 and "CSRF" in r.text
    assert count(office) == before
    o.close()


def _trail(o: Officer, app_id: int) -> list[str]:
    return re.findall(r'<tr data-action="(\w+)">', o.get(f"/ui/applications/{app_id}").text)


def test_no_step_is_taken_without_its_csrf_token(office):
    """Review, record, pay and sign out, each by the role that may: with no
    token, a forged one, or from another site's page, refused (403) and
    nothing changes; with the page's token, taken."""
    alice, bob, fay = (signed_in(office, u) for u in ("alice", "bob", "fay"))
    app_id = submitted(alice, {**VOCATIONAL, "applicant.id": pid(20), "applicant.name": "孙丽"})
    steps = [
        (bob, f"/ui/applications/{app_id}/review", {"decision": "approve"}, "approved"),
        (
            alice,
            f"/ui/applications/{app_id}/facts",
            {"path": "applicant.name", "value": "孙莉"},
            None,
        ),
        (fay, f"/ui/applications/{app_id}/payments", {"reference": "PAY-20"}, None),
    ]
    for o, path, form, after in steps:
        o.get(f"/ui/applications/{app_id}")
        before = (status_of(office, app_id), _trail(o, app_id))
        for csrf, headers in (
            ("", None),
            ("forged", None),
            (None, {"Origin": "http://evil.example"}),
        ):
            r = o.post(path, form, csrf=csrf, headers=headers)
            assert r.status_code == 403 and "CSRF" in r.text, (path, csrf, r.text)
            assert (status_of(office, app_id), _trail(o, app_id)) == before, path
        r = o.post(path, form)
        assert r.status_code == 303, (path, r.text)
        assert len(_trail(o, app_id)) == len(before[1]) + 1
        if after:
            assert status_of(office, app_id) == after
    # signing out: refused without the token, and the session still holds
    for csrf in ("", "forged"):
        assert alice.post("/ui/signout", {}, csrf=csrf).status_code == 403
        assert alice.get("/ui/applications").status_code == 200
    alice.get("/ui/applications")
    assert alice.post("/ui/signout", {}).status_code == 303
    assert alice.get("/ui/applications").status_code == 303
    for o in (alice, bob, fay):
        o.close()


class _Forms(HTMLParser):
    """The forms of a page (method, action, the names and values of their
    inputs) and every resource it loads (scripts, style sheets, images, icons)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"method": (a.get("method") or "get").lower(), "action": a.get("action"), "in": {}}
            )
        elif tag in ("input", "textarea", "select", "button") and self.forms and a.get("name"):
            self.forms[-1]["in"].setdefault(a["name"], []).append(a.get("value"))
        if tag in ("script", "img", "iframe", "source", "audio", "video") and a.get("src"):
            self.loads.append(a["src"])
        if tag == "link" and a.get("href"):
            self.loads.append(a["href"])
        for k in ("style", "srcset"):
            if k in a and "url(" in (a[k] or ""):
                self.loads.append(a[k])


def _every_page(office, seed: int) -> list[tuple[Officer, str]]:
    """Every page of every desk, on a claim where each desk has its form:
    signing in, the form, the queue, a submitted claim (the reviewer's form,
    the caseworker's), an approved one (finance's), the publicity list."""
    alice, bob, fay, rita = (signed_in(office, u) for u in ("alice", "bob", "fay", "rita"))
    waiting = submitted(alice, {**VOCATIONAL, "applicant.id": pid(seed), "applicant.name": "周平"})
    approved = submitted(
        alice, {**VOCATIONAL, "applicant.id": pid(seed + 1), "applicant.name": "吴军"}
    )
    bob.get(f"/ui/applications/{approved}")
    assert (
        bob.post(f"/ui/applications/{approved}/review", {"decision": "approve"}).status_code == 303
    )
    anonymous = Officer(office.url)
    pages = [(anonymous, "/ui/signin")]
    for o in (alice, bob, fay, rita):
        pages += [
            (o, "/ui/applications"),
            (o, "/ui/applications?status=submitted&q=周平"),
            (o, f"/ui/applications/{waiting}"),
            (o, f"/ui/applications/{approved}"),
            (o, "/ui/publicity"),
        ]
    pages.append((alice, "/ui/apply"))
    return pages


def test_every_form_that_changes_something_carries_the_csrf_token(office):
    """Each page of each desk: every POST form sends the session's token (the
    sign-in form its own); each desk's forms are there to check (review,
    record, pay, apply, sign out, sign in)."""
    seen = set()
    pages = _every_page(office, 21)
    for o, path in pages:
        r = o.get(path)
        assert r.status_code == 200, (path, r.text)
        forms = _Forms()
        forms.feed(r.text)
        for f in forms.forms:
            if f["method"] != "post":
                continue
            tokens = f["in"].get("csrf")
            assert tokens and len(tokens) == 1 and tokens[0], (path, f["action"])
            if f["action"] != "/ui/signin":
                assert tokens[0] == o.csrf
            seen.add(re.sub(r"/\d+/", "/{id}/", f["action"]))
    assert seen == {
        "/ui/signin",
        "/ui/signout",
        "/ui/apply",
        "/ui/applications/{id}/review",
        "/ui/applications/{id}/facts",
        "/ui/applications/{id}/payments",
    }
    for o in {id(o): o for o, _ in pages}.values():
        o.close()


def test_every_asset_is_served_by_the_package(office):
    """No CDN, nothing from another site: every script, style sheet and image
    a page loads is a path of this server, answered with the very bytes of a
    file of the package (web/static), and the pages' Content-Security-Policy
    lets the browser load nothing from anywhere else."""
    from importlib.resources import files

    static = files("web") / "static"
    pages = _every_page(office, 23)
    loaded = set()
    for o, path in pages:
        r = o.get(path)
        policy = r.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "http" not in policy and "*" not in policy  # no other origin allowed
        forms = _Forms()
        forms.feed(r.text)
        assert forms.loads, path
        for url in forms.loads:
            assert url.startswith("/ui/static/"), (path, url)
            loaded.add(url)
    for url in sorted(loaded):
        r = pages[0][0].http.get(url)
        name = url.removeprefix("/ui/static/").split("?")[0]
        assert r.status_code == 200, url
        assert r.content == (static / name).read_bytes(), url
    assert {u.split("?")[0] for u in loaded} == {"/ui/static/web.css", "/ui/static/web.js"}
    css = (static / "web.css").read_text(encoding="utf-8")
    assert "@import" not in css
    assert all(u.strip("'\" ").startswith("data:") for u in re.findall(r"url\(([^)]*)\)", css))
    # the applicant's notice (the documents room's HTML): its images inline, nothing fetched
    o = pages[1][0]
    app_id = re.search(r"/ui/applications/(\d+)", pages[3][1]).group(1)
    r = o.get(f"/ui/applications/{app_id}/notice")
    assert r.status_code == 200 and "http" not in r.headers["content-security-policy"]
    forms = _Forms()
    forms.feed(r.text)
    assert all(u.startswith("data:") for u in forms.loads), forms.loads
    for o in {id(o): o for o, _ in pages}.values():
        o.close()


STEPS = {  # step → (the path of a POST on claim {id}, its form, the role it takes)
    "apply": ("/ui/apply", VOCATIONAL, "caseworker"),
    "review": ("/ui/applications/{id}/review", {"decision": "approve"}, "reviewer"),
    "record": (
        "/ui/applications/{id}/facts",
        {"path": "applicant.name", "value": "李明"},
        "caseworker",
    ),
    "pay": ("/ui/applications/{id}/payments", {"reference": "X"}, "finance"),
}
DESKS = {
    "caseworker": "alice",
    "reviewer": "bob",
    "finance": "fay",
    "auditor": "dora",
    "read-only": "rita",
    "admin": "admin",
}


@pytest.mark.parametrize("step", list(STEPS))
def test_each_step_is_refused_to_every_other_role(office, desks, step):
    """The page offers no button and the POST is refused (403), with the
    claim unchanged, for every role the step does not take."""
    app_id = submitted(
        desks["caseworker"],
        {**VOCATIONAL, "applicant.name": "王芳", "applicant.id": pid(10 + list(STEPS).index(step))},
    )
    path, form, role = STEPS[step]
    buttons = {
        "review": 'id="approve"',
        "record": 'id="record-button"',
        "pay": 'class="pay-form"',
        "apply": 'id="submit"',
    }
    for desk, o in desks.items():
        if desk == role:
            continue
        page = o.get(f"/ui/applications/{app_id}" if step != "apply" else "/ui/apply")
        assert buttons[step] not in page.text, (step, desk)
        before = count(office)
        r = o.post(path.format(id=app_id), form)
        assert r.status_code == 403, (step, desk, r.text)
        assert "不能进行此操作" in r.text
        assert status_of(office, app_id) == "submitted" and count(office) == before


def test_a_read_only_user_sees_no_approve_button_and_cannot_approve(office):
    alice = signed_in(office, "alice")
    app_id = submitted(alice, {**VOCATIONAL, "applicant.id": pid(2)})
    rita = signed_in(office, "rita")
    page = rita.get(f"/ui/applications/{app_id}")
    assert page.status_code == 200 and 'id="approve"' not in page.text
    assert 'id="review-form"' not in page.text
    r = rita.post(f"/ui/applications/{app_id}/review", {"decision": "approve"})
    assert r.status_code == 403 and "只读" in r.text
    assert status_of(office, app_id) == "submitted"
    alice.close()
    rita.close()


def test_a_reviewer_cannot_approve_their_own_submission(office):
    """ben holds both desks: as caseworker he submits, as reviewer he gets no
    buttons on his own claim, and the ledger refuses a POST made anyway."""
    ben = signed_in(office, "ben", role="caseworker")
    app_id = submitted(ben, {**VOCATIONAL, "applicant.id": pid(3), "applicant.name": "赵强"})
    ben.close()
    ben = signed_in(office, "ben", role="reviewer")
    page = ben.get(f"/ui/applications/{app_id}")
    assert 'id="own-claim"' in page.text and 'id="approve"' not in page.text
    r = ben.post(f"/ui/applications/{app_id}/review", {"decision": "approve"})
    assert r.status_code == 403
    assert "经办 and 审核 are done by different people" in r.text
    assert status_of(office, app_id) == "submitted"
    bob = signed_in(office, "bob")
    bob.get(f"/ui/applications/{app_id}")
    r = bob.post(f"/ui/applications/{app_id}/review", {"decision": "reject"})
    assert r.status_code == 422 and "a rejection needs a reason" in r.text  # the ledger's words
    r = bob.post(
        f"/ui/applications/{app_id}/review", {"decision": "reject", "reason": "证书复印件不清"}
    )
    assert r.status_code == 303 and status_of(office, app_id) == "rejected"
    page = bob.get(f"/ui/applications/{app_id}")
    assert "证书复印件不清" in page.text and 'id="approve"' not in page.text
    ben.close()
    bob.close()


def test_a_project_paid_in_installments_through_the_pages(office):
    """项目制培训: the advance payable on approval, the balance once the
    caseworker records an employment rate of 85% or more; finance pays each."""

    def installments(page: str) -> list[tuple[str, str]]:
        return re.findall(r'data-installment="(\w+)" data-status="(\w+)"', page)

    alice = signed_in(office, "alice")
    app_id = submitted(alice, PROJECT)
    page = alice.get(f"/ui/applications/{app_id}").text
    assert 'data-program="project_training" data-outcome="eligible"' in page
    assert installments(page) == [("advance", "payable"), ("balance", "pending")]
    assert "等待：培训后就业率" in page  # the fact it waits for, by its label
    bob = signed_in(office, "bob")
    bob.get(f"/ui/applications/{app_id}")
    assert bob.post(f"/ui/applications/{app_id}/review", {"decision": "approve"}).status_code == 303
    fay = signed_in(office, "fay")
    page = fay.get(f"/ui/applications/{app_id}").text
    assert page.count('class="pay-form"') == 1  # the advance only
    r = fay.post(
        f"/ui/applications/{app_id}/payments",
        {"program": "project_training", "installment": "balance"},
    )
    assert r.status_code == 409 and "pending" in r.text  # the ledger's refusal, in words
    r = fay.post(
        f"/ui/applications/{app_id}/payments",
        {"program": "project_training", "installment": "advance", "reference": "PAY-1"},
    )
    assert r.status_code == 303
    alice.get(f"/ui/applications/{app_id}")
    r = alice.post(
        f"/ui/applications/{app_id}/facts",
        {"path": "project.employment_rate", "value": "百分之九十"},
    )
    assert r.status_code == 422 and "is not a value of this fact" in r.text
    r = alice.post(
        f"/ui/applications/{app_id}/facts", {"path": "project.employment_rate", "value": "0.87"}
    )
    assert r.status_code == 303
    page = fay.get(f"/ui/applications/{app_id}").text
    assert installments(page) == [("advance", "paid"), ("balance", "payable")]
    r = fay.post(
        f"/ui/applications/{app_id}/payments",
        {"program": "project_training", "installment": "balance", "reference": "PAY-2"},
    )
    assert r.status_code == 303
    page = fay.get(f"/ui/applications/{app_id}").text
    assert 'class="pay-form"' not in page
    assert installments(page) == [("advance", "paid"), ("balance", "paid")]
    assert re.findall(r'<tr data-action="(\w+)">', page) == [
        "submit",
        "approve",
        "pay",
        "record",
        "pay",
    ]
    assert "PAY-2" in page
    r = fay.get(f"/ui/applications/{app_id}/notice?format=pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    r = fay.get(f"/ui/applications/{app_id}/notice")
    assert r.status_code == 200 and f"{app_id:06d}" in r.text  # numbered once reviewed
    for o in (alice, bob, fay):
        o.close()


def test_the_queue_by_status_program_and_date_with_search(office):
    """网上审核's queue: each filter keeps exactly the claims it names (the
    claims of this test among the module's), the search finds a claim by its
    number, its ID number in another spelling, part of the name, the caseworker."""
    import datetime as dt

    def listed(o: Officer, **params) -> dict[int, str]:
        r = o.get("/ui/applications", params=params)
        assert r.status_code == 200, r.text
        return {
            int(i): st for i, st in re.findall(r'<tr data-id="(\d+)" data-status="(\w+)">', r.text)
        }

    alice, carl, bob = (signed_in(office, u) for u in ("alice", "carl", "bob"))
    person = pid(40)
    training = submitted(alice, {**VOCATIONAL, "applicant.id": person, "applicant.name": "欧阳晓"})
    project = submitted(carl, PROJECT)
    rejected = submitted(carl, {**VOCATIONAL, "applicant.id": pid(41), "applicant.name": "欧阳明"})
    bob.get(f"/ui/applications/{rejected}")
    r = bob.post(
        f"/ui/applications/{rejected}/review", {"decision": "reject", "reason": "材料不全"}
    )
    assert r.status_code == 303
    mine = {training, project, rejected}

    everything = listed(bob)
    assert mine <= set(everything)
    by_status = listed(bob, status="rejected")
    assert rejected in by_status and set(by_status.values()) == {"rejected"}
    assert not {training, project} & set(by_status)
    assert {training, project} <= set(listed(bob, status="submitted"))
    by_program = set(listed(bob, program="project_training")) & mine
    assert by_program == {project}
    assert set(listed(bob, program="vocational_training")) & mine == {training, rejected}
    today = dt.date.today()
    assert mine <= set(listed(bob, start=str(today), until=str(today)))
    assert not set(listed(bob, start=str(today + dt.timedelta(days=1))))
    assert not set(listed(bob, until=str(today - dt.timedelta(days=1)))) & mine
    # the search
    assert set(listed(bob, q=str(project))) & mine == {project}
    spaced = f"{person[:6]} {person[6:14]} {person[14:].lower()}"
    assert set(listed(bob, q=spaced)) & mine == {training}
    assert set(listed(bob, q="欧阳")) & mine == {training, rejected}
    assert set(listed(bob, q="carl")) & mine == {project, rejected}
    assert set(listed(bob, q="欧阳", status="rejected")) & mine == {rejected}
    for o in (alice, carl, bob):
        o.close()


def test_every_error_is_a_page_never_a_traceback(office):
    o = signed_in(office, "rita")
    for path, status in (
        ("/ui/applications/999999", 404),
        ("/ui/applications?start=2020-13-01", 400),
        ("/ui/publicity?until=yesterday", 400),
        ("/ui/lang/xx?next=//evil.example/", 303),
    ):
        r = o.get(path)
        assert r.status_code == status, (path, r.text)
        assert "Traceback" not in r.text
        if status == 303:
            assert r.headers["location"] == "/ui/"  # no redirect off the site
        else:
            assert r.headers["content-type"].startswith("text/html")
    o.close()


# -- the form follows the policy --------------------------------------------------------------


def test_the_form_follows_a_revision_with_no_code_change(tmp_path):
    """A revision adds a program, an enum fact, a code the rules compare with
    a catalogue and a list of records: the form draws them all, and a claim
    made with them is decided by the new program."""
    from tests.service.server import Server
    from tests.web.conftest import staff

    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    staff(db)
    server = Server("--db", db, "--revision", str(HERE / "revision_web_form.yaml"), tmp=tmp_path)
    try:
        o = signed_in(server, "alice")
        page = o.get("/ui/apply").text
        assert 'id="f-application.programs-safety_training"' in page
        assert re.search(r'<select id="f-applicant.industry".*?<option value="矿山"', page, re.S)
        assert 'list="dl-applicant.safety_trainer"' in page
        assert re.search(
            r'<datalist id="dl-applicant.safety_trainer">\s*<option '
            r'value="JG-001" label="台儿庄区就业训练中心">',
            page,
        )
        assert 'name="applicant.courses_taken[0].code"' in page
        assert 'name="applicant.courses_taken[1].code"' not in page
        claim = {
            "applicant.id": pid(4),
            "applicant.name": "王芳",
            "applicant.industry": "化工",
            "applicant.insured_months": "8",
            "applicant.safety_trainer": "JG-001",
            "certificate.kind": "特种作业操作证书",
            "certificate.date": "2021-03-01",
            "application.date": "2021-03-10",
            "application.programs": "safety_training",
            "applicant.courses_taken[0].code": "S-1",
            "applicant.courses_taken[0].hours": "16",
        }
        # one more row, without JavaScript: the form comes back with two, nothing sent
        r = o.post("/ui/apply", {**claim, "add": "applicant.courses_taken"})
        assert r.status_code == 200 and count_apps(db) == 0
        assert 'name="applicant.courses_taken[1].code"' in r.text
        assert 'value="S-1"' in r.text
        # a bad row is refused beside its field, in the reader's words
        r = o.post(
            "/ui/apply",
            {
                **claim,
                "applicant.courses_taken[1].code": "S-2",
                "applicant.courses_taken[1].hours": "2.5",
            },
        )
        assert r.status_code == 422
        assert re.search(
            r'id="e-applicant.courses_taken\[1\].hours">.*?expected a whole '
            r"number, found 2.5",
            r.text,
            re.S,
        )
        r = o.post(
            "/ui/apply",
            {
                **claim,
                "applicant.courses_taken[1].code": "S-2",
                "applicant.courses_taken[1].hours": "8",
            },
        )
        assert r.status_code == 303
        page = o.get(r.headers["location"]).text
        assert 'data-program="safety_training" data-outcome="eligible"' in page
        assert "800.00" in page and "台人社字〔2021〕示例2号" in page
        o.close()
    finally:
        server.stop()


def count_apps(db: str) -> int:
    import json

    r = policy_cmd("ledger", "list", "--format", "json", "--user", "admin", db=db)
    return len(json.loads(r.stdout))


def test_without_a_ledger_the_pages_say_so(tmp_path):
    from tests.service.server import Server

    server = Server("--anonymous-decisions", tmp=tmp_path)
    try:
        r = server.client.get("/ui/signin")
        assert r.status_code == 503 and "未配置台账" in r.text
        r = server.client.get("/ui/static/web.css")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    finally:
        server.stop()


def test_a_name_cannot_forge_what_the_page_shows(office, desks):
    """Markup is escaped, and a bidi override or a zero-width character is
    shown as its escape (dsl.visible), in the claim's page and the queue."""
    name = "李\u202e明<script>alert(1)</script>\u200b"
    app_id = submitted(
        desks["caseworker"], {**VOCATIONAL, "applicant.id": pid(5), "applicant.name": name}
    )
    for path in (f"/ui/applications/{app_id}", f"/ui/applications?q={pid(5)}"):
        page = desks["auditor"].get(path).text
        assert "<script>alert" not in page and "\u202e" not in page and "\u200b" not in page
        assert "李\\u202e明&lt;script&gt;alert(1)&lt;/script&gt;\\u200b" in page, path
        # a read-only user's masked name keeps its last character: escaped too
        page = desks["read-only"].get(path).text
        assert "<script>alert" not in page and "\u202e" not in page and "\u200b" not in page
        assert "李" + "*" * (len(name) - 2) + "\\u200b" in page, path


def test_a_read_only_user_sees_id_numbers_masked(office, desks):
    """The claim's page shows the applicant's ID number and name whole to
    those who check, pay or audit it, and masked (the number by the format
    facts.yaml declares, the name by the mask it declares: 欧*明) to a
    read-only user — in the heading, in the table of facts and in the queue."""
    from interpreter.formats import mask_resident_id

    number, name = pid(41), "欧阳晓明"
    app_id = submitted(
        desks["caseworker"], {**VOCATIONAL, "applicant.id": number, "applicant.name": name}
    )
    masked = mask_resident_id(number)
    assert masked != number and "*" in masked
    page = desks["read-only"].get(f"/ui/applications/{app_id}").text
    assert number not in page and name not in page
    person = re.search(r'<dd id="person">(.*?)</dd>', page, re.S).group(1)
    assert masked in person and "欧**明" in person
    facts = re.search(r'<table class="facts" id="facts">(.*?)</table>', page, re.S).group(1)
    assert masked in facts and "欧**明" in facts
    queue = desks["read-only"].get(f"/ui/applications?q={number}").text
    assert name not in queue and "欧**明" in queue
    for desk in ("caseworker", "reviewer", "finance", "auditor"):
        page = desks[desk].get(f"/ui/applications/{app_id}").text
        assert number in page and name in page, desk
        person = re.search(r'<dd id="person">(.*?)</dd>', page, re.S).group(1)
        assert name in person, desk
        queue = desks[desk].get(f"/ui/applications?q={number}").text
        assert name in queue and "欧**明" not in queue, desk


def test_a_read_only_user_sees_the_notice_masked(office, desks):
    """The applicant's notice, as the officer pages show it, follows the
    claim page's rule: a read-only user sees the name masked as facts.yaml
    declares it (欧**明, in the greeting and the header) and the ID number by
    its format, in the explanations too; every other role sees the name
    whole (the header's ID number masked for everyone, as notice.yaml says)."""
    from interpreter.formats import mask_resident_id

    number, name = pid(43), "欧阳晓明"
    app_id = submitted(
        desks["caseworker"], {**VOCATIONAL, "applicant.id": number, "applicant.name": name}
    )
    masked = mask_resident_id(number)
    r = desks["read-only"].get(f"/ui/applications/{app_id}/notice")
    assert r.status_code == 200
    assert name not in r.text and number not in r.text
    assert "欧**明：" in r.text and masked in r.text
    header = re.search(r"<table[^>]*>(.*?)</table>", r.text, re.S).group(1)
    assert "欧**明" in header and masked in header
    for desk in ("caseworker", "reviewer", "finance", "auditor"):
        r = desks[desk].get(f"/ui/applications/{app_id}/notice")
        assert r.status_code == 200, desk
        assert f"{name}：" in r.text and "欧**明" not in r.text, desk
        header = re.search(r"<table[^>]*>(.*?)</table>", r.text, re.S).group(1)
        assert name in header and masked in header and number not in header, desk
