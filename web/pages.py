"""The officer pages, under /ui/: sign-in, the application form (网上申报), the
review queue and an application's page (网上审核), the publicity list (公示).

Every page calls the ledger's own code (``ledger.api.Ledger``, the one `policy
ledger` and the service's /v1/applications call) as the signed-in user: the
ledger checks again who may do what, and its refusals are shown in its words.
The pages check the session's role first, so that a step a role may not take
is neither offered (no button) nor done (a POST is refused, 403).

Plain HTML forms and links: everything reads and submits with JavaScript off;
``static/web.js`` only adds conveniences. Each response is personal data:
``Cache-Control: no-store``, and a Content-Security-Policy allowing only the
package's own files.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from dsl.errors import CaseError, PolicyError
from interpreter.display import money_figures

from .explain import decision_views
from .form import FormSpec
from .sessions import COOKIE, SIGNIN_COOKIE, Session, SessionStore, same
from .words import LANGS, WORDS

PREFIX = "/ui"
LANG_COOKIE = "policy_lang"
STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"
QUEUE_ROWS = 200  # rows of the queue shown at once
EVERYONE = ("admin", "caseworker", "reviewer", "finance", "auditor", "read-only")
# the role each step takes: the same as the service's API (service/applications.py)
ROLES = {
    "apply": ("caseworker",),
    "review": ("reviewer",),
    "record": ("caseworker",),
    "pay": ("finance",),
}
# ledger.errors kinds → status (an error of no kind: none)
STATUS: dict[str | None, int] = {
    "not_found": 404,
    "forbidden": 403,
    "conflict": 409,
    "invalid": 422,
    "not_initialised": 503,
    "unavailable": 503,
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# a decision notice is the documents room's own HTML (its style inline)
NOTICE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
DONE = ("submitted", "approved", "rejected", "recorded", "paid")

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class Refused(Exception):
    """A page answered with a message instead (403, 404, 409, 503 ...)."""

    def __init__(self, status: int, message: str, hint: str | None = None):
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


class Pages:
    """What the pages of one worker process share: the templates, the form
    of the policy, the sessions."""

    def __init__(self, service):
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        self.service = service
        self.policy = service.policy
        # every value shown goes through dsl.visible, as every text output does: a
        # bidi override or a zero-width character in a name cannot reorder or hide
        # what an officer reads (HTML escaping alone keeps markup out, not these)
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_shown,
        )
        self.env.globals["PREFIX"] = PREFIX
        self.env.filters["dump"] = lambda v: json.dumps(v, ensure_ascii=False)
        derived: set[str] = set()
        if service.ledger is not None:
            derived = {d.fact for d in service.ledger.rules.derived}
        self.derived = derived
        self.form = FormSpec(self.policy, derived)
        self.sessions = SessionStore(service.ledger) if service.ledger is not None else None
        self.static_version = _static_version()


def _shown(value):
    """A value as a page shows it: text made visible (``dsl.visible``), markup
    the templates made themselves left alone."""
    from markupsafe import Markup

    from dsl.visible import visible

    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def pages(request: Request) -> Pages:
    state = request.app.state
    found = getattr(state, "web_pages", None)
    if found is None:
        found = state.web_pages = Pages(state.service)
    return found


# -- the frame of every page -------------------------------------------------------------


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE)
    return lang if lang in LANGS else "zh"


_R = TypeVar("_R", bound=Response)


def _headers(response: _R, csp: str = CSP) -> _R:
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def render(
    request: Request, template: str, status: int = 200, session: Session | None = None, **context
) -> HTMLResponse:
    p = pages(request)
    lang = lang_of(request)
    w = WORDS[lang]
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = p.env.get_template(template).render(
        request=request,
        lang=lang,
        w=w,
        session=session,
        policy=p.policy,
        here=here,
        static=lambda name: f"{PREFIX}/static/{name}?v={p.static_version}",
        role_word=(w["roles"].get(session.role, session.role) if session else None),
        labels=lambda paths: ("、" if lang == "zh" else ", ").join(
            _label(p.policy, x, lang) for x in paths
        ),
        money=money_figures,
        **context,
    )
    return _headers(HTMLResponse(html, status_code=status))


def _label(policy, path: str, lang: str) -> str:
    decl = policy.fact(path)
    return decl.label_for(lang) if decl is not None else path


def message(
    request: Request,
    status: int,
    text: str,
    session: Session | None = None,
    hint: str | None = None,
) -> HTMLResponse:
    return render(
        request, "message.html.j2", status=status, session=session, message=text, hint=hint
    )


def redirect(url: str) -> Response:
    return _headers(RedirectResponse(url, status_code=303))


def _safe_next(target: str | None) -> str:
    """Only a path of these pages (no other site, no scheme-relative //host)."""
    if (
        target
        and target.startswith(PREFIX + "/")
        and not target.startswith("//")
        and "\\" not in target
        and "\n" not in target
        and "\r" not in target
    ):
        return target
    return PREFIX + "/"


def current(request: Request) -> Session | None:
    p = pages(request)
    if p.sessions is None:
        return None
    return p.sessions.find(request.cookies.get(COOKIE))


def signed_in(request: Request) -> Session:
    """The session, or a redirect to the sign-in page (raised)."""
    p = pages(request)
    if p.sessions is None:
        raise Refused(503, WORDS[lang_of(request)]["no_ledger"])
    s = current(request)
    if s is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise _SignIn(f"{PREFIX}/signin?next={quote(here, safe='')}")
    return s


class _SignIn(Exception):
    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def need(request: Request, session: Session, step: str) -> None:
    roles = ROLES[step]
    if session.role not in roles:
        w = WORDS[lang_of(request)]
        raise Refused(
            403,
            w["forbidden"].format(role=w["roles"].get(session.role, session.role)),
            w["need_role"].format(roles="、".join(w["roles"][r] for r in roles)),
        )


async def read_form(request: Request) -> dict[str, list[str]]:
    """An application/x-www-form-urlencoded body (what every form here sends)."""
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the form is not UTF-8") from None
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=5000)
    except ValueError:
        raise Refused(413, "the form has too many fields") from None


def _first(form: dict[str, list[str]], name: str) -> str:
    v = form.get(name)
    return v[0] if v else ""


def check_origin(request: Request) -> None:
    """A form sent from another site's page is refused (with the CSRF token,
    which another site cannot read, this is a second lock)."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise Refused(403, WORDS[lang_of(request)]["csrf"])


def check_csrf(request: Request, session: Session, form: dict) -> None:
    check_origin(request)
    if not same(_first(form, "csrf"), session.csrf):
        raise Refused(403, WORDS[lang_of(request)]["csrf"])


def guarded(fn):
    """A page's refusals and the ledger's errors shown as a page, never a
    traceback nor a JSON problem."""
    import functools
    import inspect

    def answer(request, exc):
        if isinstance(exc, _SignIn):
            return redirect(exc.url)
        if isinstance(exc, Refused):
            return message(request, exc.status, exc.message, _quiet_session(request), exc.hint)
        if isinstance(exc, PolicyError):
            status = STATUS.get(getattr(exc, "kind", None), 422)
            return message(request, status, exc.message, _quiet_session(request), exc.hint)
        raise exc

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(request: Request, *args, **kwargs):
            try:
                return await fn(request, *args, **kwargs)
            except (_SignIn, Refused, PolicyError) as exc:
                return await run_in_threadpool(answer, request, exc)

        return run_async

    @functools.wraps(fn)
    def run(request: Request, *args, **kwargs):
        try:
            return fn(request, *args, **kwargs)
        except (_SignIn, Refused, PolicyError) as exc:
            return answer(request, exc)

    return run


def _quiet_session(request: Request) -> Session | None:
    try:
        return current(request)
    except PolicyError:
        return None


def ledger_of(request: Request):
    ledger = pages(request).service.ledger
    if ledger is None:
        raise Refused(503, WORDS[lang_of(request)]["no_ledger"])
    return ledger


# -- sign-in ------------------------------------------------------------------------------


@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
@guarded
def home(request: Request):
    s = signed_in(request)
    return redirect(f"{PREFIX}/apply" if s.role == "caseworker" else f"{PREFIX}/applications")


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str | None = None):
    response = redirect(_safe_next(next))
    if code in LANGS:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 86400,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path=PREFIX,
        )
    return response


def _signin_page(
    request: Request, status: int = 200, error: str | None = None, user: str = "", role: str = ""
) -> HTMLResponse:
    import secrets

    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "signin.html.j2",
        status=status,
        error=error,
        user=user,
        role=role,
        csrf=token,
        roles=EVERYONE,
        next=_safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=PREFIX,
    )
    return response


@router.get("/signin")
@guarded
def signin_form(request: Request):
    ledger_of(request)
    return _signin_page(request)


@router.post("/signin")
@guarded
async def signin(request: Request):
    form = await read_form(request)
    return await run_in_threadpool(_signin, request, form)


def _signin(request: Request, form: dict) -> Response:
    p = pages(request)
    ledger = ledger_of(request)
    w = WORDS[lang_of(request)]
    check_origin(request)
    user, role = _first(form, "user").strip(), _first(form, "role").strip()
    if not same(_first(form, "csrf"), request.cookies.get(SIGNIN_COOKIE)):
        return _signin_page(request, 403, w["signin_expired"], user, role)
    token = _first(form, "token").strip()
    if token:
        found = p.service.tokens.lookup(token) if p.service.tokens is not None else None
        if found is None:
            return _signin_page(request, 401, w["token_failed"], user, role)
        user, role = found.user, found.role
    else:
        account = ledger.check_password(user, _first(form, "password"))
        if account is None:
            return _signin_page(request, 401, w["signin_failed"], user, role)
        if not role:
            held = list(account.roles)
            if len(held) != 1:
                return _signin_page(
                    request,
                    400,
                    w["choose_role"].format(roles="、".join(w["roles"].get(r, r) for r in held)),
                    user,
                    role,
                )
            role = held[0]
        elif role not in account.roles:
            return _signin_page(
                request,
                403,
                w["no_role"].format(user=user, role=w["roles"].get(role, role)),
                user,
                role,
            )
    secret, _session = p.sessions.open(user, role)
    response = redirect(_safe_next(_first(form, "next")))
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=PREFIX,
        max_age=int(_lifetime_seconds()),
    )
    response.delete_cookie(SIGNIN_COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


def _lifetime_seconds() -> float:
    from .sessions import LIFETIME

    return LIFETIME.total_seconds()


@router.post("/signout")
@guarded
async def signout(request: Request):
    form = await read_form(request)

    def work():
        s = signed_in(request)
        check_csrf(request, s, form)
        pages(request).sessions.close(request.cookies.get(COOKIE))
        response = redirect(f"{PREFIX}/signin")
        response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
        return response

    return await run_in_threadpool(work)


# -- 网上申报: the application form ---------------------------------------------------------


def _apply_page(
    request: Request,
    session: Session,
    form: dict,
    errors: dict | None = None,
    status: int = 200,
    general: list | None = None,
) -> HTMLResponse:
    p = pages(request)
    lang = lang_of(request)
    w = WORDS[lang]
    errors = errors or {}
    widgets = p.form.widgets(form, errors, lang, w)
    derived = [
        p.policy.fact(d).label_for(lang) for d in sorted(p.derived) if p.policy.fact(d) is not None
    ]
    listed = [(path, e) for path, e in errors.items()]
    return render(
        request,
        "apply.html.j2",
        status=status,
        session=session,
        widgets=widgets,
        errors=listed,
        general=general or [],
        derived=derived,
        rows_suffix="/rows",
        none_suffix="/none",
    )


@router.get("/apply")
@guarded
def apply_form(request: Request):
    s = signed_in(request)
    need(request, s, "apply")
    return _apply_page(request, s, {})


@router.post("/apply")
@guarded
async def apply(request: Request):
    form = await read_form(request)
    return await run_in_threadpool(_apply, request, form)


def _apply(request: Request, form: dict) -> Response:
    p = pages(request)
    s = signed_in(request)
    need(request, s, "apply")
    check_csrf(request, s, form)
    if _first(form, "add"):
        return _apply_page(request, s, form)  # one more row: nothing sent yet
    case = p.form.case(form)
    errors = p.form.errors(case)
    if errors:
        return _apply_page(request, s, form, errors, 422)
    ledger = ledger_of(request)
    try:
        app = ledger.submit(s.user, case, source="网上申报")
    except CaseError as err:
        # the ledger's refusal (no person named, a history that contradicts
        # it): beside the field it names, else above the form
        from .form import _field

        path = _field(err)
        status = STATUS.get(getattr(err, "kind", None), 422)
        if path:
            return _apply_page(request, s, form, {path: err}, status)
        return _apply_page(request, s, form, {}, status, general=[err])
    log = getattr(p.service, "log_ledger_decision", None)
    if log is not None:
        log(app, s.user, "ui/apply")
    return redirect(f"{PREFIX}/applications/{app.id}?done=submitted")


# -- 网上审核: the queue ----------------------------------------------------------------------


def _date(text: str | None, what: str) -> _dt.date | None:
    if not text:
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise Refused(400, f"{what}: '{text}' is not a date of the form YYYY-MM-DD") from None


@router.get("/applications")
@guarded
def queue(
    request: Request,
    status: str = "",
    program: str = "",
    q: str = "",
    start: str = "",
    until: str = "",
):
    s = signed_in(request)
    p = pages(request)
    ledger = ledger_of(request)
    lang = lang_of(request)
    status = status if status in ("submitted", "approved", "rejected") else ""
    program = program if program in p.policy.programs else ""
    q = q.strip()[:200]
    found = ledger.applications(
        s.user,
        status=status or None,
        program=program or None,
        submitted_from=_date(start or None, "from"),
        submitted_until=_date(until or None, "until"),
    )
    people = ledger.applicants(s.user)
    # a read-only user sees the name masked as the policy declares (ledger.masking)
    viewer = ledger.viewer(s.user, s.role)
    rows = []
    for a in found:
        number, name = people.get(a.id, (None, None))
        if q and not _matches(q, a, number, name, ledger):
            continue
        rows.append(
            {
                "summary": a,
                "name": viewer.person(None, name)[1],
                "masked": ledger.rules.person.mask(number) if number else None,
            }
        )
    total = len(rows)
    titles = {
        pid: (g.title_en if lang == "en" else g.title) for pid, g in p.policy.programs.items()
    }
    return render(
        request,
        "queue.html.j2",
        session=s,
        rows=rows[:QUEUE_ROWS],
        total=total,
        limit=QUEUE_ROWS,
        titles=titles,
        filters={"status": status, "program": program, "q": q, "start": start, "until": until},
    )


def _matches(q: str, a, number: str | None, name: str | None, ledger) -> bool:
    """The search box: an application number, an ID number (any spelling),
    part of a name, or the caseworker."""
    text = q.strip()
    if text.isdigit() and int(text) == a.id:
        return True
    if number:
        try:
            if ledger.rules.person.normalise(text, "search") == number:
                return True
        except PolicyError:
            pass
        if len(text) >= 4 and text.upper() in number:
            return True
    if name and text in name:
        return True
    return text.lower() == a.submitted_by.lower()


# -- an application's page ------------------------------------------------------------------


def _application_page(
    request: Request,
    session: Session,
    app_id: int,
    status: int = 200,
    error: PolicyError | Refused | None = None,
    done: str | None = None,
) -> HTMLResponse:
    p = pages(request)
    ledger = ledger_of(request)
    lang = lang_of(request)
    # a read-only user sees the ID numbers and names masked wherever they
    # appear: the facts, the explanations, the reviewer's reason, the trail
    viewer = ledger.viewer(session.user, session.role)
    held = ledger.application(session.user, app_id)
    app = viewer.application(held)
    trail = viewer.related(ledger.trail(session.user, app_id), held)
    whole = viewer.whole
    views = decision_views(p.policy, app.decision, lang, app.grants, p.derived, masked=not whole)
    recorders = {f.recorded_by for f in app.facts_recorded}
    own = session.user == app.submitted_by or session.user in recorders
    facts = _facts(p, app, lang, masked=not whole)
    person, name = app.person, app.name
    payable = [
        (g, i)
        for g in app.grants
        if g.status == "approved"
        for i in g.installments
        if i.status == "payable"
    ]
    recordable = _recordable(p, app, lang)
    return render(
        request,
        "application.html.j2",
        status=status,
        session=session,
        app=app,
        person=person,
        name=name,
        views=views,
        trail=trail,
        facts=facts,
        own=own,
        payable=payable,
        recordable=recordable,
        error=error,
        done=done if done in DONE else None,
        can_review=session.role in ROLES["review"] and app.status == "submitted",
        can_record=session.role in ROLES["record"] and app.status != "rejected",
        can_pay=session.role in ROLES["pay"] and app.status == "approved",
    )


def _facts(p: Pages, app, lang: str, masked: bool = False) -> list[tuple[str, str, str]]:
    """(label, value, note) of every fact the latest decision read, in the
    order facts.yaml declares them; derived and recorded ones marked;
    ``masked``: an ID number (a fact with a masking format) shown masked."""
    from interpreter.plain import Plain

    plain = Plain(p.policy, lang, masked=masked)
    facts = (app.decision.get("case") or {}).get("facts") or {}
    recorded = {f.path for f in app.facts_recorded}
    out = []

    def walk(value, path: str):
        decl = p.policy.fact(path)
        if (
            isinstance(value, dict)
            and decl is not None
            and decl.type == "record"
            and not value.get("none")
        ):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
            return
        if (
            isinstance(value, dict)
            and value.get("none")
            and decl is not None
            and decl.none is not None
        ):
            shown = decl.none.en if lang == "en" else decl.none.zh
        else:
            shown = plain.value(path, value)
        note = (
            "derived" if path.split(".")[0] in p.derived else "recorded" if path in recorded else ""
        )
        out.append((plain.label(path), shown, note, plain.order.get(path, 10**6)))

    for k, v in facts.items():
        walk(v, k)
    out.sort(key=lambda t: t[3])
    return [(a, b, c) for a, b, c, _ in out]


def _recordable(p: Pages, app, lang: str) -> list[tuple[str, str]]:
    """The facts a caseworker may record on a claim: what its decision still
    misses first, then every other declared leaf fact (not one the ledger
    derives, not whom the claim is about)."""
    missing = []
    for d in app.decision.get("decisions") or []:
        for m in d.get("missing") or []:
            if m not in missing:
                missing.append(m)
    person = p.service.ledger.rules.person.id_path
    leaves = []

    def walk(decls: dict, prefix: str):
        for k, decl in decls.items():
            path = f"{prefix}{k}"
            if decl.type == "record":
                walk(decl.fields, path + ".")
            elif decl.type != "list":
                leaves.append(path)

    walk(p.policy.facts, "")
    allowed = [x for x in leaves if x.split(".")[0] not in p.derived and x != person]
    ordered = [m for m in missing if m in allowed] + [x for x in allowed if x not in missing]
    return [(path, p.policy.fact(path).label_for(lang)) for path in ordered]


@router.get("/applications/{app_id}")
@guarded
def application(request: Request, app_id: int, done: str | None = None):
    s = signed_in(request)
    return _application_page(request, s, app_id, done=done)


def _step(request: Request, app_id: int, form: dict, step: str, act) -> Response:
    """A step on a claim (review, record, pay): role, CSRF, then the ledger;
    its refusal shown on the claim's page, in its words."""
    s = signed_in(request)
    need(request, s, step)
    check_csrf(request, s, form)
    try:
        done = act(s)
    except PolicyError as err:
        status = STATUS.get(getattr(err, "kind", None), 422)
        if status == 404:
            raise
        return _application_page(request, s, app_id, status=status, error=err)
    return redirect(f"{PREFIX}/applications/{app_id}?done={done}")


@router.post("/applications/{app_id}/review")
@guarded
async def review(request: Request, app_id: int):
    form = await read_form(request)

    def act(s: Session):
        approve = _first(form, "decision") == "approve"
        ledger_of(request).review(s.user, app_id, approve=approve, reason=_first(form, "reason"))
        return "approved" if approve else "rejected"

    return await run_in_threadpool(_step, request, app_id, form, "review", act)


@router.post("/applications/{app_id}/facts")
@guarded
async def record(request: Request, app_id: int):
    form = await read_form(request)

    def act(s: Session):
        path, value = _first(form, "path").strip(), _first(form, "value").strip()
        app = ledger_of(request).record_fact(s.user, app_id, {path: value} if path else {})
        log = getattr(pages(request).service, "log_ledger_decision", None)
        if log is not None:
            log(app, s.user, "ui/facts")
        return "recorded"

    return await run_in_threadpool(_step, request, app_id, form, "record", act)


@router.post("/applications/{app_id}/payments")
@guarded
async def pay(request: Request, app_id: int):
    form = await read_form(request)

    def act(s: Session):
        ledger_of(request).pay(
            s.user,
            app_id,
            program=_first(form, "program") or None,
            installment=_first(form, "installment") or None,
            reference=_first(form, "reference").strip() or None,
        )
        return "paid"

    return await run_in_threadpool(_step, request, app_id, form, "pay", act)


@router.get("/applications/{app_id}/notice")
@guarded
def notice(request: Request, app_id: int, format: str = "html"):
    """The applicant's decision notice (审核结果通知书), as `policy ledger
    notice` prints it."""
    from documents import render_notice

    s = signed_in(request)
    p = pages(request)
    ledger = ledger_of(request)
    viewer = ledger.viewer(s.user, s.role)
    app = viewer.application(ledger.application(s.user, app_id))
    fmt = "pdf" if format == "pdf" else "html"
    body = render_notice(
        app.decision,
        p.policy,
        lang=lang_of(request),
        format=fmt,
        name=f"application {app.id}",
        # a read-only user sees the applicant's name and ID number masked
        # here as on the claim's page (ledger.masking), the reason included
        masked=not viewer.whole,
        **app.notice_terms(),
    )
    if fmt == "pdf":
        response = Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="notice-{app.id:06d}.pdf"'},
        )
    else:
        response = HTMLResponse(body)
    return _headers(response, NOTICE_CSP)


# -- 公示 ----------------------------------------------------------------------------------


@router.get("/publicity")
@guarded
def publicity(request: Request, start: str = "", until: str = ""):
    s = signed_in(request)
    p = pages(request)
    lang = lang_of(request)
    lst = ledger_of(request).publicity(
        s.user, _date(start or None, "from"), _date(until or None, "until")
    )
    columns = [(c, en if lang == "en" else zh) for c, zh, en in lst.columns]
    titles = {
        pid: (g.title_en if lang == "en" else g.title) for pid, g in p.policy.programs.items()
    }
    from decimal import Decimal

    total = sum((Decimal(r["amount"]) for r in lst.rows), Decimal("0"))
    return render(
        request,
        "publicity.html.j2",
        session=s,
        lst=lst,
        columns=columns,
        titles=titles,
        total=money_figures(total),
        start=start,
        until=until,
    )


def _static_version() -> str:
    """A digest of the static files, so that a browser never keeps an old one."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted(STATIC.iterdir()):
        if f.is_file():
            h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]


def query(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v})
