"""What a read-only user can reach, walked end to end: the officer pages (the
queue, a claim's page with its trail, the notice in HTML and PDF, the
publicity list), the service's JSON and the `policy ledger` commands (list,
show, show --decision, export, publicity, notice), over a real server and a
real ledger on SQLite and PostgreSQL. A claim whose applicant's name and ID
number are known was rejected with a reason that quotes both, another was
approved and paid with a reference that quotes the number: the whole name
and the whole number (as typed, with a small x, and normalised) appear
nowhere a read-only user looks, and each surface shows them masked
(ledger.masking, the one rule). A caseworker, who sees them whole, is shown
them: the walk can fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import pdf_pages
from tests.web.conftest import pid, policy_cmd, signed_in

ROOT = Path(__file__).resolve().parents[2]
NAME = "欧阳小明"
MASKED_NAME = "欧**明"  # facts.yaml: applicant.name mask {keep_first: 1, keep_last: 1}


def _number() -> str:
    """A valid 身份证号 whose check character is X (typed below with a small x)."""
    return next(n for n in (pid(s) for s in range(100, 2000)) if n.endswith("X"))


NUMBER = _number()
MASKED_NUMBER = NUMBER[:4] + "*" * 10 + NUMBER[-4:]  # the cn_resident_id format's mask
WHOLE = (NAME, NUMBER, NUMBER.lower())
REASON = f"申请人{NAME}（身份证号{NUMBER}，复印件写作{NUMBER.lower()}）的证书与原件不符"


def _case(example: str) -> dict:
    case = json.loads((ROOT / "examples" / example).read_text(encoding="utf-8"))
    case.pop("history", None)  # the ledger derives it from the grants it holds
    case["applicant"]["name"] = NAME
    case["applicant"]["id"] = NUMBER.lower()  # as typed: the ledger normalises it
    return case


@pytest.fixture(scope="module")
def claims(office, tmp_path_factory):
    """(rejected, paid): two claims of the same person, made on the command
    line by the caseworker, the reviewer and finance; and a token of rita's."""
    folder = tmp_path_factory.mktemp("read-only-walk")
    ids = []
    for example in ("vocational_training_intermediate.json", "skill_upgrade_senior.json"):
        path = folder / example
        path.write_text(json.dumps(_case(example), ensure_ascii=False), encoding="utf-8")
        r = policy_cmd(
            "ledger", "submit", str(path), "--user", "alice", "--format", "json", db=office.db
        )
        ids.append(json.loads(r.stdout)["id"])
    rejected, paid = ids
    policy_cmd(
        "ledger", "review", str(rejected), "--reject", "--reason", REASON, "--user", "bob",
        db=office.db,
    )  # fmt: skip
    policy_cmd("ledger", "review", str(paid), "--approve", "--user", "bob", db=office.db)
    policy_cmd(
        "ledger", "pay", str(paid), "--reference", f"凭证 {NUMBER} {NAME}", "--user", "fay",
        db=office.db,
    )  # fmt: skip
    token = policy_cmd(
        "serve", "token", "add", "rita", "--role", "read-only", "--by", "admin", db=office.db
    ).stdout.strip()
    return rejected, paid, token


def _text(body: bytes | str, kind: str) -> str:
    if kind == "pdf":
        return "\n".join(pdf_pages(body if isinstance(body, bytes) else body.encode()))
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if kind == "json":
        # every JSON as one text with its characters as themselves (no \\u escapes)
        try:
            docs = [json.loads(text)]
        except json.JSONDecodeError:  # JSON Lines
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        return json.dumps(docs, ensure_ascii=False)
    return text


def surfaces(office, claims, user: str, token: str | None, tmp: Path):
    """(where, text) of every surface ``user`` reads the two claims on."""
    rejected, paid, _ = claims
    out = []
    o = signed_in(office, user)
    for path, kind in (
        ("/ui/applications", "html"),
        (f"/ui/applications?q={NUMBER}", "html"),
        (f"/ui/applications/{rejected}", "html"),
        (f"/ui/applications/{paid}", "html"),
        (f"/ui/applications/{rejected}/notice", "html"),
        (f"/ui/applications/{rejected}/notice?format=pdf", "pdf"),
        (f"/ui/applications/{paid}/notice?lang=en", "html"),
        ("/ui/publicity", "html"),
    ):
        r = o.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        # the search box, and the link to the page in the other language,
        # keep what the user typed: their own words, not the ledger's
        text = (
            _text(r.content, kind)
            .replace(f'name="q" value="{NUMBER}"', "")
            .replace(f"%3Fq%3D{NUMBER}", "")
        )
        out.append((path, text))
    o.close()
    if token is not None:
        import httpx

        with httpx.Client(
            base_url=office.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as http:
            for path, kind in (
                ("/v1/applications", "json"),
                (f"/v1/applications?person={NUMBER.lower()}", "json"),
                (f"/v1/applications/{rejected}", "json"),
                (f"/v1/applications/{paid}", "json"),
                ("/v1/publicity", "json"),
                ("/v1/publicity?format=csv", "csv"),
                ("/v1/publicity?format=html", "html"),
            ):
                r = http.get(path)
                assert r.status_code == 200, (path, r.text[:500])
                out.append((path, _text(r.content, kind)))
    pdf = tmp / f"notice-{user}.pdf"
    for args, kind in (
        (["list"], "text"),
        (["list", "--format", "json"], "json"),
        (["list", "--person", NUMBER], "text"),
        (["show", str(rejected)], "text"),
        (["show", str(rejected), "--format", "json"], "json"),
        (["show", str(paid)], "text"),
        (["show", str(paid), "--format", "json"], "json"),
        (["show", str(rejected), "--decision"], "json"),
        (["show", str(paid), "--decision", "--seq", "1"], "json"),
        (["export"], "json"),
        (["publicity"], "html"),
        (["publicity", "--format", "csv"], "csv"),
        (["publicity", "--format", "json"], "json"),
        (["notice", str(rejected)], "html"),
        (["notice", str(paid), "--lang", "en"], "html"),
    ):
        r = policy_cmd("ledger", *args, "--user", user, db=office.db)
        out.append(("policy ledger " + " ".join(args), _text(r.stdout, kind)))
    policy_cmd(
        "ledger", "notice", str(rejected), "--format", "pdf", "--out", str(pdf), "--force",
        "--user", user, db=office.db,
    )  # fmt: skip
    out.append(("policy ledger notice --format pdf", _text(pdf.read_bytes(), "pdf")))
    return out


def test_a_read_only_user_never_sees_the_name_or_the_id_number_whole(office, claims, tmp_path):
    seen = surfaces(office, claims, "rita", claims[2], tmp_path)
    leaks = [
        (where, text[max(text.index(w) - 80, 0) : text.index(w) + 40])
        for where, text in seen
        for w in WHOLE
        if w in text
    ]
    assert leaks == []
    # and each surface is about this person: it shows them, masked
    blind = [where for where, text in seen if MASKED_NAME not in text and MASKED_NUMBER not in text]
    assert blind == []
    # the reviewer's reason is there, with the name and the number masked
    reason = f"申请人{MASKED_NAME}（身份证号{MASKED_NUMBER}，复印件写作{MASKED_NUMBER}）"
    shown = [where for where, text in seen if reason in text]
    assert "policy ledger show 1" in shown or f"policy ledger show {claims[0]}" in shown
    assert f"/ui/applications/{claims[0]}" in shown
    assert f"/ui/applications/{claims[0]}/notice" in shown
    assert f"/v1/applications/{claims[0]}" in shown


def test_a_caseworker_sees_them_whole(office, claims, tmp_path):
    seen = dict(surfaces(office, claims, "alice", None, tmp_path))
    rejected = claims[0]
    for where in (f"/ui/applications/{rejected}", f"policy ledger show {rejected}"):
        assert NAME in seen[where] and NUMBER in seen[where] and REASON in seen[where]
    # the publicity list is public: masked for everyone
    assert NAME not in seen["/ui/publicity"] and MASKED_NAME in seen["/ui/publicity"]


def test_the_notice_masks_what_its_header_masks_everywhere(office, claims):
    """notice.yaml masks the ID number in the header (`mask: true`): for a
    caseworker too, no explanation of the notice shows it whole."""
    r = policy_cmd("ledger", "notice", str(claims[0]), "--user", "alice", db=office.db)
    assert NUMBER not in r.stdout and NUMBER.lower() not in r.stdout
    assert r.stdout.count(MASKED_NUMBER) >= 2  # the header and an explanation's values
    assert NAME in r.stdout  # the name is not masked by the header: shown whole
