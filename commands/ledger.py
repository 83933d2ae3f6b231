"""``policy ledger …``: the ledger from the command line, a thin layer over
``ledger.api.Ledger``: each command names the acting user (--user NAME or
POLICY_USER) and the database (--db URL or POLICY_DB, default ./ledger.db).

Exit codes as every `policy` command: 0 done; 1 `verify` found a problem;
2 bad input, a wrong step (approving twice, paying a rejected claim), an
unknown user or a database that cannot be reached; 3 a bug.
"""

from __future__ import annotations

import json
import sys

import click

from .conventions import DATE, EXIT_POLICY, FORCE_OPTION, guarded

STATUS = {"submitted": "待审核", "approved": "审核通过", "rejected": "已驳回"}
GRANT = {"proposed": "待审核", "approved": "已核准", "rejected": "已驳回", "refused": "不予补贴"}
PART = {"payable": "可拨付", "pending": "待定", "refused": "不拨付", "paid": "已拨付"}
OUTCOME = {"eligible": "符合条件", "ineligible": "不符合条件", "undetermined": "待定（缺少事实）"}


def db_option(fn):
    return click.option(
        "--db",
        "db_url",
        envvar="POLICY_DB",
        metavar="URL",
        default=None,
        help="The ledger's database: a SQLite file (path or sqlite:///path) or "
        "postgresql://user:password@host:port/db. Default: $POLICY_DB, else ./ledger.db.",
    )(fn)


def user_option(fn):
    return click.option(
        "--user",
        "user",
        envvar="POLICY_USER",
        metavar="NAME",
        default=None,
        help="The user who acts (a user of the ledger). Default: $POLICY_USER.",
    )(fn)


def policy_option(fn):
    return click.option(
        "--policy",
        "policy_dir",
        type=click.Path(file_okay=False, exists=True),
        default=None,
        metavar="DIR",
        help="Policy folder the claims are decided by (default: the bundled policy).",
    )(fn)


def format_option(fn):
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="text for people, json for machines.",
    )(fn)


def _open(db_url, policy_dir=None):
    from interpreter.loader import load_policy
    from ledger.api import Ledger

    return Ledger.open(db_url, policy=lambda: load_policy(policy_dir))


def _json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


@click.group("ledger")
def ledger():
    """The ledger: claims, decisions, grants and payments in a database, with
    the policy's limits enforced against what was already granted
    (实名制管理, 网上申报、网上审核).

    \b
    Workflow:
      policy ledger init                              create ./ledger.db (or --db URL)
      policy ledger user add admin --role admin       the first user
      policy ledger user add alice --role caseworker --user admin
      policy ledger submit case.json --user alice     经办: decided and recorded
      policy ledger review 1 --approve --user bob     审核 (not by the submitter)
      policy ledger record 1 --fact project.employment_rate=0.87 --user alice
      policy ledger pay 1 --user carol                finance marks a payment made
      policy ledger verify --user dora                the audit chain and the decisions
      policy ledger publicity --from 2020-01-01 --until 2020-12-31 --user dora
      policy ledger export --out decisions.jsonl --user dora
      policy ledger notice 1 --format pdf --out notice.pdf --user rita

    See docs/ledger.md.
    """


@ledger.command("init")
@db_option
@guarded
def init_cmd(db_url):
    """Create the ledger's database (or bring an old one up to date)."""
    from ledger.api import Ledger

    shown, created = Ledger.init(db_url)
    click.echo(f"{'created the ledger' if created else 'the ledger is up to date'}: {shown}")


# -- users ------------------------------------------------------------------------------


@ledger.group("user")
def user_group():
    """The ledger's users and their roles (admin, caseworker, reviewer, finance,
    auditor, read-only)."""


@user_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    metavar="ROLE",
    help="admin, caseworker, reviewer, finance, auditor or read-only (repeatable).",
)
@click.option(
    "--password",
    "ask_password",
    is_flag=True,
    help="Also set the user's password for the officer pages (asked twice on a "
    "terminal; else the first line of standard input).",
)
@user_option
@db_option
@format_option
@guarded
def user_add(name, roles, ask_password, user, db_url, fmt):
    """Add a user. Once the ledger has a user, only an admin (--user) adds more."""
    password = _read_password(name) if ask_password else None
    with _open(db_url) as lg:
        u = lg.add_user(user, name, list(roles))
        if password is not None:
            lg.set_password(user or name, name, password)
    if fmt == "json":
        _json(u.to_json())
    else:
        click.echo(f"user {u.name}: {', '.join(u.roles)}")


@user_group.command("list")
@user_option
@db_option
@format_option
@guarded
def user_list(user, db_url, fmt):
    """List the users."""
    with _open(db_url) as lg:
        found = lg.users(user)
    if fmt == "json":
        _json([u.to_json() for u in found])
        return
    for u in found:
        click.echo(
            f"{u.name:20} {', '.join(u.roles):30} {'' if u.active else '(disabled)'}".rstrip()
        )


@user_group.command("passwd")
@click.argument("name")
@user_option
@db_option
@guarded
def user_passwd(name, user, db_url):
    """Set NAME's password, with which they sign in to the officer pages
    (`policy serve`, /ui/). An admin sets anyone's; a user their own
    (--user NAME). Asked twice on a terminal; else read from the first line
    of standard input. Only a scrypt hash of it is stored.

    \b
    Examples:
      policy ledger user passwd alice --user admin
      printf '%s\\n' "$SECRET" | policy ledger user passwd alice --user admin
    """
    password = _read_password(name)
    with _open(db_url) as lg:
        lg.set_password(user, name, password)
    click.echo(f"password of {name} set")


def _read_password(name: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise click.UsageError("give the password on standard input (one line)")
    return line.rstrip("\r\n")


@user_group.command("disable")
@click.argument("name")
@user_option
@db_option
@guarded
def user_disable(name, user, db_url):
    """Disable a user (an admin's step); their records stay."""
    with _open(db_url) as lg:
        lg.disable_user(user, name)
    click.echo(f"user {name} disabled")


# -- the steps -------------------------------------------------------------------------


@ledger.command("submit")
@click.argument("case_file", metavar="CASE.json", type=click.Path(dir_okay=False, allow_dash=True))
@user_option
@db_option
@policy_option
@format_option
@guarded
def submit_cmd(case_file, user, db_url, policy_dir, fmt):
    """经办: record a claim and decide it, with the limits checked against the
    person's grants in the ledger (the case need not carry a history)."""
    from interpreter.cases import read_case_file

    data, raw = read_case_file(case_file)
    name = "<stdin>" if case_file == "-" else case_file
    with _open(db_url, policy_dir) as lg:
        app = lg.submit(user, data, source=name, raw=raw)
        _show(lg.viewer(user).application(app), fmt)


@ledger.command("review")
@click.argument("app_id", metavar="APP", type=int)
@click.option("--approve", "decision", flag_value="approve", help="Approve the claim.")
@click.option("--reject", "decision", flag_value="reject", help="Reject it (needs --reason).")
@click.option("--reason", default=None, metavar="TEXT", help="Why (required to reject).")
@user_option
@db_option
@policy_option
@format_option
@guarded
def review_cmd(app_id, decision, reason, user, db_url, policy_dir, fmt):
    """审核: approve or reject claim APP. Not by the user who submitted it."""
    if decision is None:
        raise click.UsageError("say --approve or --reject")
    with _open(db_url, policy_dir) as lg:
        app = lg.review(user, app_id, approve=decision == "approve", reason=reason)
        _show(lg.viewer(user).application(app), fmt)


@ledger.command("record")
@click.argument("app_id", metavar="APP", type=int)
@click.option(
    "--fact",
    "facts",
    multiple=True,
    required=True,
    metavar="PATH=VALUE",
    help="A fact to add or correct, e.g. project.employment_rate=0.87 (repeatable).",
)
@user_option
@db_option
@policy_option
@format_option
@guarded
def record_cmd(app_id, facts, user, db_url, policy_dir, fmt):
    """Record facts on claim APP and decide it again (an installment waiting
    for a fact moves as the policy says)."""
    parsed = {}
    for item in facts:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise click.UsageError(f"--fact {item}: expected PATH=VALUE")
        if path.strip() in parsed:
            # the last was recorded, the others dropped without a word
            raise click.UsageError(f"--fact {path.strip()} is given twice: give each fact once")
        parsed[path.strip()] = value.strip()
    with _open(db_url, policy_dir) as lg:
        app = lg.record_fact(user, app_id, parsed)
        _show(lg.viewer(user).application(app), fmt)


@ledger.command("pay")
@click.argument("app_id", metavar="APP", type=int)
@click.option("--program", default=None, metavar="ID", help="The program whose grant is paid.")
@click.option(
    "--installment",
    default=None,
    metavar="ID",
    help="The installment paid (e.g. advance), when several are payable.",
)
@click.option("--reference", default=None, metavar="TEXT", help="The payment's reference.")
@user_option
@db_option
@policy_option
@format_option
@guarded
def pay_cmd(app_id, program, installment, reference, user, db_url, policy_dir, fmt):
    """Finance: mark a payable installment of approved claim APP as paid."""
    with _open(db_url, policy_dir) as lg:
        p = lg.pay(user, app_id, program=program, installment=installment, reference=reference)
    if fmt == "json":
        _json(p.to_json())
    else:
        click.echo(
            f"application {p.application}: {p.program} "
            f"{p.installment or ''} {p.amount} 元 paid by {p.paid_by} at {p.paid_at}".replace(
                "  ", " "
            )
        )


# -- reading ---------------------------------------------------------------------------


@ledger.command("show")
@click.argument("app_id", metavar="APP", type=int)
@click.option(
    "--decision",
    "decision_only",
    is_flag=True,
    help="Print only the stored decision, the JSON of `policy eval --format json` "
    "(`policy eval --replay` and `policy notice` read it).",
)
@click.option(
    "--seq",
    type=int,
    default=None,
    metavar="N",
    help="With --decision: the claim's Nth decision (default: the latest).",
)
@user_option
@db_option
@policy_option
@format_option
@guarded
def show_cmd(app_id, decision_only, seq, user, db_url, policy_dir, fmt):
    """Show claim APP: its status, decision, grants and installments. A
    user who may not see ID numbers and names whole (read-only) sees them
    masked, as on the officer pages."""
    from interpreter.render import dumps

    with _open(db_url, policy_dir) as lg:
        viewer = lg.viewer(user)
        if decision_only:
            decision = lg.decision(user, app_id, seq)
            if not viewer.whole:
                decision = viewer.decision(decision, lg.application(user, app_id))
            click.echo(dumps(decision))
            return
        app = viewer.application(lg.application(user, app_id))
    _show(app, fmt)


@ledger.command("list")
@click.option(
    "--status",
    type=click.Choice(["submitted", "approved", "rejected"]),
    default=None,
    help="Only claims in this state.",
)
@click.option("--person", default=None, metavar="ID", help="Only claims for this person.")
@click.option("--program", default=None, metavar="ID", help="Only claims decided for this program.")
@click.option(
    "--from",
    "submitted_from",
    type=DATE,
    default=None,
    metavar="DATE",
    help="Only claims submitted on or after this day.",
)
@click.option(
    "--until",
    "submitted_until",
    type=DATE,
    default=None,
    metavar="DATE",
    help="Only claims submitted on or before this day.",
)
@user_option
@db_option
@policy_option
@format_option
@guarded
def list_cmd(
    status, person, program, submitted_from, submitted_until, user, db_url, policy_dir, fmt
):
    """List the claims, oldest first (ID numbers masked for a read-only user)."""
    with _open(db_url, policy_dir) as lg:
        viewer = lg.viewer(user)
        found = lg.applications(
            user,
            status=status,
            person=person,
            program=program,
            submitted_from=submitted_from,
            submitted_until=submitted_until,
        )
        found = [viewer.application(a) for a in found]
    if fmt == "json":
        _json([a.to_json() for a in found])
        return
    for a in found:
        progs = "; ".join(
            f"{p['program']} {p['outcome']}"
            + (f" {p['amount']}" if p["amount"] else "")
            + (f" [{p['grant']}]" if p["grant"] else "")
            for p in a.programs
        )
        click.echo(f"{a.id:6}  {a.status:10} {a.person or '—':20} {a.submitted_by:12} {progs}")


@ledger.command("verify")
@click.option(
    "--policy",
    "policy_dirs",
    multiple=True,
    metavar="DIR",
    type=click.Path(file_okay=False, exists=True),
    help="A policy folder the decisions may have been made with (repeatable; "
    "default: the bundled policy). A decision is re-evaluated with the one "
    "whose hash it names.",
)
@user_option
@db_option
@format_option
@guarded
def verify_cmd(policy_dirs, user, db_url, fmt):
    """Walk the audit chain, check every row against it and re-evaluate every
    stored decision. Exit 1 when something is wrong."""
    from interpreter.loader import load_policy

    policies = [load_policy(d) for d in policy_dirs or [None]]
    from ledger.api import Ledger

    with Ledger.open(db_url, policy=policies[0]) as lg:
        report = lg.verify(user, policies)
    if fmt == "json":
        _json(report.to_json())
    else:
        for p in report.problems:
            click.echo(f"{p.where}: {p.message}")
        click.echo(
            f"{report.events} audit events, {report.rows} rows, {report.decisions} "
            f"decisions checked; chain ends at {report.head}"
        )
        click.echo(
            "the ledger verifies" if report.ok else f"{len(report.problems)} problem(s) found"
        )
    if not report.ok:
        sys.exit(EXIT_POLICY)


@ledger.command("publicity")
@click.option(
    "--from",
    "start",
    type=DATE,
    default=None,
    metavar="DATE",
    help="First day of the approvals listed (default: the first).",
)
@click.option(
    "--until",
    "until",
    type=DATE,
    default=None,
    metavar="DATE",
    help="Last day of the approvals listed (default: today).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["html", "csv", "json"]), default="html", show_default=True
)
@click.option("--out", default="-", metavar="FILE", help="Write here (default: stdout).")
@FORCE_OPTION
@user_option
@db_option
@policy_option
@guarded
def publicity_cmd(start, until, fmt, out, force, user, db_url, policy_dir):
    """The publicity list (公示) of the grants approved in a period, names and
    ID numbers masked (张*三, 3704**********4417): who, which program,
    occupation and level, and how much."""
    from interpreter.outputs import Outputs
    from ledger.publish import render

    with Outputs(inputs=_ledger_file(db_url), force=force) as outs:
        target = outs.open(out, "publicity list")  # refused before anything is read
        with _open(db_url, policy_dir) as lg:
            target.write(render(lg.publicity(user, start, until), fmt))
    _wrote(out)


@ledger.command("export")
@click.option("--out", default="-", metavar="FILE", help="Write here (default: stdout).")
@FORCE_OPTION
@click.option(
    "--status",
    type=click.Choice(["submitted", "approved", "rejected"]),
    default=None,
    help="Only claims in this state.",
)
@click.option(
    "--granted",
    is_flag=True,
    help="Only approved claims, and only the decisions whose grant was approved "
    "(what `policy report` should count as subsidised).",
)
@user_option
@db_option
@policy_option
@guarded
def export_cmd(out, force, status, granted, user, db_url, policy_dir):
    """The decisions as JSON Lines, one claim a line, that `policy report`
    reads; a read-only user's with the ID numbers and names masked."""
    from interpreter.outputs import Outputs

    with Outputs(inputs=_ledger_file(db_url), force=force) as outs:
        target = outs.open(out, "decisions file")
        with _open(db_url, policy_dir) as lg:
            viewer = lg.viewer(user)
            for line in lg.export(user, status=status, granted_only=granted):
                line = viewer.facts(line, line["case"].get("facts") or {}, line.get("id"))
                target.write(
                    json.dumps(line, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                    + "\n"
                )
    _wrote(out)


@ledger.command("notice")
@click.argument("app_id", metavar="APP", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf"]),
    default="html",
    show_default=True,
    help="html for a browser, pdf to print or send.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the notice.",
)
@click.option(
    "--program",
    "programs",
    multiple=True,
    metavar="ID",
    help="The notice of this program's decision only (repeatable).",
)
@click.option("--out", default="-", metavar="FILE", help="Write here (default: stdout).")
@FORCE_OPTION
@user_option
@db_option
@policy_option
@guarded
def notice_cmd(app_id, fmt, lang, programs, out, force, user, db_url, policy_dir):
    """The decision notice (审核结果通知书) of claim APP, from the decision the
    ledger stored (what was decided then, whatever the policy says now).

    A reviewed claim's notice is numbered with the claim's number and dated
    the day of the review; a rejected claim's says so, with the reviewer's
    reason. A claim not yet reviewed gets an unnumbered draft (样稿). The
    words are the policy's (notice.yaml), as for `policy notice`. A user who
    may not see ID numbers and names whole (read-only) gets them masked
    everywhere in the notice, the reviewer's reason included.
    """
    from documents import render_notice
    from interpreter.outputs import Outputs

    if fmt == "pdf" and out == "-" and sys.stdout.isatty():
        raise click.UsageError(
            "a PDF is not for the terminal: give --out FILE (or redirect the output)"
        )
    with Outputs(inputs=_ledger_file(db_url), force=force) as outs:
        target = outs.open(out, "notice")  # refused before anything is read
        with _open(db_url, policy_dir) as lg:
            viewer = lg.viewer(user)
            app = viewer.application(lg.application(user, app_id))
            policy = lg.policy
        body = render_notice(
            app.decision,
            policy,
            lang=lang,
            format=fmt,
            programs=list(programs) or None,
            name=f"application {app.id}",
            # a read-only user sees the name and ID number masked, as on the
            # officer pages (ledger.masking)
            masked=not viewer.whole,
            **app.notice_terms(),
        )
        target.write_bytes(body)
    _wrote(out)


def _ledger_file(db_url) -> list[str]:
    """The ledger's SQLite file, which no output may overwrite."""
    from ledger.db import resolve_url, sqlite_path

    path = sqlite_path(resolve_url(db_url))
    return [str(path)] if path is not None and path.exists() else []


def _wrote(out: str) -> None:
    if out != "-":
        click.echo(f"wrote {out}", err=True)


# -- text -------------------------------------------------------------------------------


def _show(app, fmt: str) -> None:
    if fmt == "json":
        _json(app.to_json())
    else:
        click.echo(render_application(app))


def render_application(app) -> str:
    lines = [f"申请 {app.id} — {STATUS.get(app.status, app.status)} ({app.status})"]
    lines.append(
        f"  经办: {app.submitted_by}  {app.submitted_at}"
        + (f"  来源: {app.source}" if app.source else "")
    )
    if app.reviewed_by:
        lines.append(
            f"  审核: {app.reviewed_by}  {app.reviewed_at}"
            + (f"  理由: {app.review_reason}" if app.review_reason else "")
        )
    if app.person:
        lines.append(f"  申请人: {app.person}" + (f" {app.name}" if app.name else ""))
    for f in app.facts_recorded:
        lines.append(
            f"  补录事实: {f.path} = {json.dumps(f.value, ensure_ascii=False)}  "
            f"({f.recorded_by} {f.recorded_at})"
        )
    grants = {g.program: g for g in app.grants}
    lines.append(f"  决定 #{app.decision_seq} (日期 {app.decision['case'].get('as_of')}):")
    for d in app.decision["decisions"]:
        head = (
            f"  ■ {d.get('title') or d['program']} ({d['program']}) — "
            f"{OUTCOME.get(d['outcome'], d['outcome'])}"
        )
        if d.get("amount"):
            head += f"  {d['amount']} 元"
        lines.append(head)
        if d.get("failing"):
            lines.append(f"      未满足的条款: {', '.join(d['failing'])}")
        if d.get("missing"):
            lines.append(f"      缺少的事实: {', '.join(d['missing'])}")
        g = grants.get(d["program"])
        if g is None:
            continue
        lines.append(f"      补贴: {GRANT.get(g.status, g.status)} ({g.status})  {g.amount} 元")
        for flag in (g.refusal or {}).get("real_name_checks", []):
            lines.append(
                f"      实名制核查: {flag['label']} — 与 {', '.join(flag['conflicts_with'])} 重复"
            )
        for p in g.installments:
            name = p.label or p.installment or "全额"
            lines.append(
                f"      {name}: {p.amount} 元 {PART.get(p.status, p.status)}"
                + (f" (等待 {', '.join(p.waiting_for)})" if p.waiting_for else "")
                + (f" {p.paid_at} {p.paid_by}" if p.paid_at else "")
            )
    from dsl.visible import visible_lines

    return visible_lines(lines)  # a name or a reason cannot forge a line
