"""The ledger's workflow, as one Python API that the command line and the HTTP
service both call:

    ledger = Ledger.open("sqlite:///ledger.db")             # or postgresql://…
    app = ledger.submit("alice", case)                        # 经办: decided, recorded
    ledger.review("bob", app.id, approve=True, reason="…")   # 审核 by someone else
    ledger.record_fact("alice", app.id, {"project.employment_rate": "0.87"})
    ledger.pay("carol", app.id)                               # finance marks it paid

Every step runs in one transaction: it checks the acting user's role, locks
the person the claim is about, decides (or re-decides) the claim with the
facts the ledger derives from that person's grants, writes its rows and
appends the audit events that record them; an error anywhere rolls it all
back. Errors are typed (``ledger.errors``): not found, forbidden, conflict,
invalid, unavailable.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from dsl.errors import CaseError, Position
from dsl.values import to_json
from interpreter.cases import CaseReader, parse_json_text
from interpreter.evaluate import Evaluator, lookup
from interpreter.model import Policy
from interpreter.render import result_json

from . import db
from .audit import Writer, canonical
from .errors import Conflict, Forbidden, Invalid, NotFound
from .model import (
    Application,
    ApplicationSummary,
    FactRecorded,
    Grant,
    Installment,
    Payment,
    User,
    dumps_exact,
    now_text,
    to_fen,
    yuan,
)
from .rules import LedgerRules, plain
from .schema import (
    APPROVED,
    GRANTED,
    HELD,
    NOT_PAYABLE,
    PAID,
    PAYABLE,
    PENDING,
    PROPOSED,
    REFUSED,
    REJECTED,
    ROLES,
    SUBMITTED,
    TURNED_DOWN,
    applications,
    decisions,
    facts_recorded,
    grants,
    installments,
    names_a_row,
    persons,
    users,
)

ELIGIBLE = "eligible"


def _through(day: _dt.date) -> str:
    """What every timestamp of ``day`` (ISO text: "2020-06-30T…") sorts
    before, and no timestamp of a later day: the day's date and "~", which
    sorts after "T". (The day after was used: 9999-12-31, a date a caller may
    give, has none, and `policy ledger list --until 9999-12-31` and GET
    /v1/publicity?until=9999-12-31 were an internal error, OverflowError.)"""
    return day.isoformat() + "~"


class Ledger:
    """A ledger database and the policy its claims are decided by."""

    def __init__(
        self, engine, url: str, policy: Policy, clock: Callable[[], _dt.datetime] | None = None
    ):
        self.engine = engine
        self.url = url
        self.policy = policy
        self.clock = clock
        self.rules = LedgerRules(policy)
        self.evaluator = Evaluator(policy)
        self.reader = CaseReader(policy)
        self.stored_reader = CaseReader(policy, numbers_as_text=True)
        from population.realname import checks_of

        self.checks = {c.id: c for c in checks_of(policy)}
        self._granted_facts: dict[int, dict] = {}
        from .masking import IdMask

        # what a role that may not see an ID number or a name whole is shown
        self.masking = IdMask(policy, self.rules.person.mask, self.rules.person.name_mask)

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        policy: Policy | Callable[[], Policy] | None = None,
        clock=None,
    ) -> Ledger:
        """The ledger at ``url`` (default: $POLICY_DB, else ./ledger.db),
        migrated to this version's schema if it is behind, deciding claims
        with ``policy`` (a policy, or a function loading it once the database
        is found; default: the bundled policy)."""
        url = db.resolve_url(url)
        engine = db.make_engine(url)
        db.ensure_current(engine, url)
        if policy is None:
            from interpreter.loader import load_policy

            policy = load_policy(None)
        elif callable(policy):
            policy = policy()
        return cls(engine, url, policy, clock)

    @staticmethod
    def init(url: str | None = None) -> tuple[str, bool]:
        """Create the ledger (or bring it up to date); (its URL as shown,
        whether it was created now)."""
        url = db.resolve_url(url)
        engine = db.make_engine(url)
        path = db.sqlite_path(url)
        if path is not None and not path.parent.exists():
            raise Invalid(f"no folder {path.parent} to create the ledger in")
        try:
            with db.transaction(engine, url, write=False) as conn:
                before = db.current_revision(conn)
            db.migrate(engine, url)
        finally:
            engine.dispose()
        return db.display_url(url), before is None

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Raise Unavailable unless the database answers (readiness checks)."""
        from sqlalchemy import text

        with self._read() as conn:
            conn.execute(text("SELECT 1"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- transactions --------------------------------------------------------------------
    def _now(self) -> str:
        return now_text(self.clock)

    @contextmanager
    def _write(self, user: str | None) -> Iterator[Writer]:
        with db.transaction(self.engine, self.url, write=True) as conn:
            w = Writer(conn, user, self._now())
            yield w
            w.seal()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with db.transaction(self.engine, self.url, write=False) as conn:
            yield conn

    # -- users ---------------------------------------------------------------------------
    def _actor(self, conn: Connection, name: str | None, *roles: str, doing: str = ""):
        if not name:
            raise Forbidden("name the user who acts (--user NAME or POLICY_USER)")
        row = conn.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            raise Forbidden(
                f"there is no user '{name}' in the ledger",
                hint="`policy ledger user list` shows the users",
            )
        if not row.active:
            raise Forbidden(f"the user '{name}' is disabled")
        held = row.roles.split()
        if roles and not set(roles) & set(held):
            need = " or ".join(roles)
            raise Forbidden(
                f"{name} may not {doing or 'do this'}: that needs the role {need}; "
                f"{name} has {', '.join(held) or 'no role'}"
            )
        return row

    def viewer(self, user: str | None, role: str | None = None):
        """What ``user`` is shown of the claims (``ledger.masking.Viewer``):
        in ``role`` (a session or a token acts in one role, already checked),
        else with every role the user holds (the command line). The one
        place every surface asks."""
        from .masking import Viewer, sees_whole, sees_whole_ids

        if role is not None:
            return Viewer(sees_whole_ids(role), self.masking)
        with self._read() as conn:
            row = self._actor(conn, user)
        return Viewer(sees_whole(row.roles.split()), self.masking)

    def add_user(self, actor: str | None, name: str, roles: list[str] | tuple[str, ...]) -> User:
        """A new user. Once the ledger has users, only an admin adds more; the
        first one may be added by anyone holding the database (and is usually
        the admin)."""
        name = (name or "").strip()
        # no control or format character either: a name is shown on terminals
        # and pages, and "e\x1b[31mvil" was taken, its escape sent to every
        # terminal that listed the users or a claim's trail
        if (
            not name
            or len(name) > 100
            or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in name)
        ):
            raise Invalid("a user name is 1 to 100 characters without spaces or control characters")
        bad = [r for r in roles if r not in ROLES]
        if bad or not roles:
            raise Invalid(
                f"unknown role '{bad[0]}'" if bad else "give the user a role",
                hint="roles: " + ", ".join(ROLES),
            )
        with self._write(actor) as w:
            conn = w.conn
            count = conn.execute(select(func.count()).select_from(users)).scalar_one()
            by = None
            if count:
                by = self._actor(conn, actor, "admin", doing="add users").id
            if conn.execute(select(users.c.id).where(users.c.name == name)).first():
                raise Conflict(f"there is already a user '{name}'")
            w.event("user_add", f"user:{name}", {"name": name, "roles": sorted(set(roles))})
            uid = w.insert(
                users,
                name=name,
                roles=" ".join(sorted(set(roles))),
                active=True,
                created_at=w.now,
                created_by=by,
            )
            w.events[-1].subject = f"user:{uid}"
        return self.user(name)

    def disable_user(self, actor: str | None, name: str) -> User:
        with self._write(actor) as w:
            self._actor(w.conn, actor, "admin", doing="disable users")
            row = w.conn.execute(select(users).where(users.c.name == name)).first()
            if row is None:
                raise NotFound(f"there is no user '{name}'")
            w.event("user_disable", f"user:{row.id}", {"name": name})
            w.update(users, row.id, active=False)
        return self.user(name)

    def set_password(self, actor: str | None, name: str, password: str) -> User:
        """Set ``name``'s password (for the officer pages' sign-in): an admin
        for anyone, a user for themselves. Only its scrypt hash is stored; the
        change is an audit event (without the hash)."""
        from . import passwords as pw
        from .schema import passwords

        pw.check_new(password, name)
        digest = pw.make(password)  # slow: before the write lock is taken
        with self._write(actor) as w:
            conn = w.conn
            row = conn.execute(select(users).where(users.c.name == name)).first()
            if actor == name and row is not None:
                self._actor(conn, actor)  # one's own: an active user
            else:
                self._actor(conn, actor, "admin", doing="set another user's password")
            if row is None:
                raise NotFound(f"there is no user '{name}'")
            w.event("password_set", f"user:{row.id}", {"name": name})
            old = conn.execute(select(passwords.c.id).where(passwords.c.user_id == row.id)).scalar()
            if old is None:
                w.insert(passwords, user_id=row.id, hash=digest, set_at=w.now, set_by=actor)
            else:
                w.update(passwords, old, hash=digest, set_at=w.now, set_by=actor)
        return self.user(name)

    def check_password(self, name: str, password: str) -> User | None:
        """The active user whose password this is, or None: an unknown user, a
        wrong password, a user with no password or a disabled one all look
        the same to the caller (and take about as long)."""
        from . import passwords as pw
        from .schema import passwords

        with self._read() as conn:
            row = conn.execute(
                select(users, passwords.c.hash.label("password_hash"))
                .select_from(users.outerjoin(passwords, passwords.c.user_id == users.c.id))
                .where(users.c.name == name)
            ).first()
        if row is None or row.password_hash is None:
            pw.waste_time(password)
            return None
        if not pw.matches(password, row.password_hash) or not row.active:
            return None
        return _user(row)

    def user(self, name: str) -> User:
        with self._read() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            raise NotFound(f"there is no user '{name}'")
        return _user(row)

    def users(self, actor: str | None) -> list[User]:
        with self._read() as conn:
            self._actor(conn, actor)
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.id))]

    # -- persons -------------------------------------------------------------------------
    def _person_of(self, facts: dict, where: str) -> tuple[str | None, str | None]:
        person = self.rules.person
        if person.id_path is None:
            return None, None
        value = lookup(facts, person.id_path)
        if type(value).__name__ == "Unknown":
            return None, None
        number = person.normalise(value, where)
        name = None
        if person.name_path is not None:
            n = lookup(facts, person.name_path)
            name = n.strip() if isinstance(n, str) and n.strip() else None
        return number, name

    def _lock_person(self, w: Writer, number: str, name: str | None) -> int:
        """The person's row id, created if new, locked until the transaction ends."""
        conn = w.conn
        from sqlalchemy.dialects import postgresql, sqlite

        dialect_insert: Callable = (
            postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        )
        stmt = (
            dialect_insert(persons)
            .values(id_number=number, name=name, created_at=w.now)
            .on_conflict_do_nothing(index_elements=["id_number"])
            .returning(persons.c.id)
        )
        new_id = conn.execute(stmt).scalar()
        if new_id is not None:
            w._touch(persons, new_id)
            return new_id
        row = conn.execute(
            select(persons.c.id, persons.c.name)
            .where(persons.c.id_number == number)
            .with_for_update()
        ).one()
        if name is not None and row.name != name:
            w.update(persons, row.id, name=name)
        return row.id

    def _lock_application(self, conn: Connection, app_id: int):
        if not names_a_row(app_id):
            raise NotFound(f"there is no application {app_id}")
        row = conn.execute(select(applications).where(applications.c.id == app_id)).first()
        if row is None:
            raise NotFound(f"there is no application {app_id}")
        if row.person_id is not None:
            db.lock_row(conn, persons, row.person_id)
        return conn.execute(
            select(applications).where(applications.c.id == app_id).with_for_update()
        ).one()

    # -- deciding ------------------------------------------------------------------------
    def _held(self, conn: Connection, person_id: int | None, exclude_application: int | None):
        """The grants the person holds (approved or awaiting review), other than
        those of ``exclude_application``, with the decision each came from."""
        if person_id is None:
            return []
        q = (
            select(
                grants.c.id,
                grants.c.application_id,
                grants.c.program,
                grants.c.status,
                grants.c.amount_fen,
                grants.c.decision_date,
                grants.c.claims_json,
                grants.c.decision_id,
            )
            .where(and_(grants.c.person_id == person_id, grants.c.status.in_(HELD)))
            .order_by(grants.c.decision_date, grants.c.id)
        )
        if exclude_application is not None:
            q = q.where(grants.c.application_id != exclude_application)
        return list(conn.execute(q))

    def _facts_of_decision(self, conn: Connection, decision_id: int) -> dict:
        got = self._granted_facts.get(decision_id)
        if got is None:
            text = conn.execute(
                select(decisions.c.decision_json).where(decisions.c.id == decision_id)
            ).scalar_one()
            stored = json.loads(text)["case"]["facts"]
            got = self.stored_reader.convert(stored, f"ledger decision {decision_id}")
            if len(self._granted_facts) > 10000:
                self._granted_facts.clear()
            self._granted_facts[decision_id] = got
        return got

    def _derive(self, conn: Connection, case: dict, held, where: str) -> dict:
        """The case with each derived fact filled from the person's grants; a
        derived fact the case already carries must match the ledger's."""
        out = copy.deepcopy(case)
        for d in self.rules.derived:
            items = []
            for g in held:
                facts = self._facts_of_decision(conn, g.decision_id)
                day = _dt.date.fromisoformat(g.decision_date) if g.decision_date else None
                grant_values = {
                    "program": g.program,
                    "decision_date": g.decision_date,
                    "amount": Decimal(yuan(g.amount_fen)),
                }
                item = {}
                for name, spec in d.item:
                    value = (
                        grant_values[spec]
                        if isinstance(spec, str)
                        else plain(self.rules.evaluate(spec, facts, day))
                    )
                    if value is not None:
                        item[name] = value
                items.append(item)
            given = _get(out, d.fact)
            if given is not None:
                self._compare(d.fact, given, items, where)
            _set(out, d.fact, items)
        return out

    def _compare(self, path: str, given, derived: list, where: str) -> None:
        def canon(items) -> Counter:
            facts = self.reader.convert(_nest(path, items), where)
            return Counter(canonical(to_json(_exact(i))) for i in (lookup(facts, path) or []))

        have, want = canon(given), canon(derived)
        if have == want:
            return
        extra = list((have - want).elements())
        missing = list((want - have).elements())
        parts = []
        if extra:
            parts.append("not in the ledger: " + "; ".join(extra))
        if missing:
            parts.append("in the ledger but not in the case: " + "; ".join(missing))
        raise Conflict(
            f"the {path} in the case does not match the ledger's records of this "
            "person (" + "; ".join(parts) + ")",
            position=Position(where),
            context=f"field {path}",
            hint=f"leave {path} out: the ledger fills it from the grants it holds",
        )

    def _decide(
        self,
        conn: Connection,
        app_id: int,
        case: dict,
        person_id: int | None,
        case_sha256: str,
        where: str,
    ):
        held = self._held(conn, person_id, exclude_application=app_id)
        effective = self._derive(conn, case, held, where)
        facts = self.reader.convert(effective, where)
        res = self.evaluator.decide(facts, converted=True, case_name=f"ledger application {app_id}")
        res.case_sha256 = case_sha256
        return res, result_json(self.policy, res), held

    def _store_decision(
        self, w: Writer, app_id: int, cause: str, res, data: dict, actor_id: int
    ) -> int:
        seq = (
            w.conn.execute(
                select(func.coalesce(func.max(decisions.c.seq), 0)).where(
                    decisions.c.application_id == app_id
                )
            ).scalar_one()
            + 1
        )
        return w.insert(
            decisions,
            application_id=app_id,
            seq=seq,
            cause=cause,
            policy_id=self.policy.document.id,
            policy_hash=self.policy.hash,
            as_of=res.as_of.isoformat() if res.as_of else None,
            decision_json=canonical(data),
            made_by=actor_id,
            made_at=w.now,
        )

    def _claims(self, res) -> dict[str, list]:
        """program → the real-name claims (check, key values, period) its
        eligible decision makes."""
        if not self.checks:
            return {}
        from population.realname import claims

        out: dict[str, list] = {}
        for check_id, _person, values, period, program in claims(
            list(self.checks.values()), res, self.policy.catalog_values
        ):
            out.setdefault(program, []).append([check_id, list(values), period])
        return out

    def _over_limit(self, held, made: list) -> dict | None:
        """Why the ledger refuses a claim the policy's real-name checks rule
        out against the grants already held (None when none does)."""
        flags = []
        for check_id, values, period in made:
            check = self.checks[check_id]
            earlier = [
                g.application_id
                for g in held
                if [check_id, values, period] in json.loads(g.claims_json)
            ]
            if len(earlier) >= check.max:
                flags.append(
                    {
                        "check": check_id,
                        "label": check.label,
                        "max": check.max,
                        "key": dict(zip([k for k, _p in check.key], values, strict=True)),
                        **({"year": period} if period is not None else {}),
                        "conflicts_with": [f"application {a}" for a in earlier],
                        **({"cite": check.cite} if check.cite else {}),
                    }
                )
        return {"real_name_checks": flags} if flags else None

    def _apply(
        self,
        w: Writer,
        app_id: int,
        person_id: int | None,
        res,
        data: dict,
        decision_id: int,
        held,
        approved: bool,
    ) -> None:
        """Make the grants and installments of an application what its latest
        decision says. After approval a re-decision may move installments but
        not take back or add a grant."""
        conn = w.conn
        made = self._claims(res)
        entries = {d["program"]: d for d in data["decisions"]}
        existing = {
            g.program: g
            for g in conn.execute(select(grants).where(grants.c.application_id == app_id))
        }
        for d in res.decisions:
            pid = d.program.id
            entry = entries[pid]
            old = existing.get(pid)
            refusal = None
            if d.outcome == ELIGIBLE:
                refusal = self._over_limit(held, made.get(pid, []))
            keep = d.outcome == ELIGIBLE and refusal is None
            if approved and (old is None or old.status != GRANTED):
                if keep:
                    raise Conflict(
                        f"after approval, {pid} would now be eligible: an approved "
                        "application cannot gain a grant",
                        hint="submit a new application for it",
                    )
                continue
            if approved and not keep:
                why = (
                    f"the decision would now be {d.outcome}"
                    if d.outcome != ELIGIBLE
                    else "a real-name check would now refuse it"
                )
                raise Conflict(
                    f"the grant of {pid} was approved, and {why}: recording this "
                    "fact would take back an approved grant",
                    hint="nothing was changed; check the fact",
                )
            if d.outcome != ELIGIBLE and old is None:
                continue
            parts = self._parts(entry, d)
            amount = sum(a for _i, a, s, _m in parts if s != NOT_PAYABLE)
            if not keep:
                status = REFUSED
                if refusal is None:
                    refusal = {
                        "outcome": d.outcome,
                        "failing": entry["failing"],
                        "missing": entry["missing"],
                    }
            else:
                status = old.status if old is not None and old.status == GRANTED else PROPOSED
            values = {
                "decision_id": decision_id,
                "status": status,
                "amount_fen": amount,
                "decision_date": res.as_of.isoformat() if res.as_of else None,
                "claims_json": canonical(made.get(pid, [])),
                "refusal_json": canonical(refusal) if refusal else None,
                "updated_at": w.now,
            }
            if old is None:
                gid = w.insert(
                    grants, application_id=app_id, person_id=person_id, program=pid, **values
                )
            else:
                gid = old.id
                w.update(grants, gid, **values)
            self._set_installments(w, gid, pid, parts)

    def _parts(self, entry: dict, d) -> list[tuple[str | None, int, str, list]]:
        """(installment id, fen, status, facts waited for) of a decision."""
        if entry.get("installments"):
            out = []
            for i in entry["installments"]:
                if i["amount"] is None:
                    raise Invalid(f"the installment {i['id']} of {d.program.id} has no amount")
                out.append((i["id"], to_fen(i["amount"]), i["status"], list(i["missing"])))
            return out
        if d.outcome != ELIGIBLE:
            return []
        return [(None, to_fen(entry["amount"]), PAYABLE, [])]

    def _set_installments(self, w: Writer, grant_id: int, program: str, parts) -> None:
        conn = w.conn
        old = list(
            conn.execute(
                select(installments)
                .where(installments.c.grant_id == grant_id)
                .order_by(installments.c.seq)
            )
        )
        paid = [o for o in old if o.status == PAID]
        if paid and [o.installment for o in old] != [p[0] for p in parts]:
            raise Conflict(f"the installments of {program} would change after a payment")
        for seq, (inst, fen, status, waiting) in enumerate(parts, 1):
            prev = old[seq - 1] if seq <= len(old) else None
            if prev is not None and prev.status == PAID:
                if prev.amount_fen != fen:
                    raise Conflict(
                        f"the installment {inst or 'payment'} of {program} was paid "
                        f"{yuan(prev.amount_fen)}; the decision would now make it "
                        f"{yuan(fen)}",
                        hint="nothing was changed; check the fact",
                    )
                continue
            values = {
                "installment": inst,
                "amount_fen": fen,
                "status": status,
                "waiting_json": canonical(waiting),
            }
            if prev is None:
                w.insert(installments, grant_id=grant_id, seq=seq, **values)
            elif any(getattr(prev, k) != v for k, v in values.items()):
                w.update(installments, prev.id, **values)
        for extra in old[len(parts) :]:
            w.update(installments, extra.id, status=NOT_PAYABLE, waiting_json="[]")

    # -- the steps -----------------------------------------------------------------------
    def submit(
        self, user: str | None, case, *, source: str | None = None, raw: bytes | None = None
    ) -> Application:
        """经办: record a claim and decide it under the person's lock, with the
        facts the ledger derives from the person's grants."""
        where = source or "<case>"
        facts = self.reader.convert(case, where)  # a malformed claim: nothing written
        number, name = self._person_of(facts, where)
        if number is None and self.rules.derived and self._needs_person(facts):
            raise Invalid(
                f"the claim names no person ({self.rules.person.id_path}): the "
                "ledger cannot check it against the person's earlier grants",
                position=Position(where),
                context=f"field {self.rules.person.id_path}",
            )
        text = dumps_exact(case)
        sha = "sha256:" + hashlib.sha256(raw if raw is not None else text.encode()).hexdigest()
        with self._write(user) as w:
            actor = self._actor(w.conn, user, "caseworker", doing="submit claims")
            ev = w.event("submit", "application:?")
            person_id = self._lock_person(w, number, name) if number is not None else None
            app_id = w.insert(
                applications,
                person_id=person_id,
                case_json=text,
                case_sha256=sha,
                source=source,
                status=SUBMITTED,
                submitted_by=actor.id,
                submitted_at=w.now,
            )
            ev.subject = f"application:{app_id}"
            res, data, held = self._decide(w.conn, app_id, case, person_id, sha, where)
            decision_id = self._store_decision(w, app_id, "submit", res, data, actor.id)
            self._apply(w, app_id, person_id, res, data, decision_id, held, approved=False)
            ev.details = {
                "application": app_id,
                "decision": decision_id,
                "outcomes": _outcomes(data),
            }
            view = self._view(w.conn, app_id, data)
        return view

    def _needs_person(self, facts: dict) -> bool:
        """Does a program the claim applies for read a derived fact? (Then the
        claim must name its person.)"""
        derived = [d.fact for d in self.rules.derived]
        res = self.evaluator.decide(facts, converted=True, explain=False)
        for dec in res.decisions:
            program = dec.program
            rules = [c.rule for c in program.clauses] + [program.amount.rule]
            for rule in rules:
                for path in self.evaluator.facts_read(rule, program):
                    if any(path == f or path.startswith((f + ".", f + "[")) for f in derived):
                        return True
        return False

    def review(
        self, user: str | None, app_id: int, *, approve: bool, reason: str | None = None
    ) -> Application:
        """审核: approve (the eligible grants become approved) or reject (with a
        reason). The reviewer cannot be who submitted the claim or recorded a
        fact on it."""
        reason = (reason or "").strip() or None
        if not approve and reason is None:
            raise Invalid("a rejection needs a reason (--reason TEXT)")
        with self._write(user) as w:
            conn = w.conn
            actor = self._actor(conn, user, "reviewer", doing="review claims")
            app = self._lock_application(conn, app_id)
            if app.status != SUBMITTED:
                who = _user_name(conn, app.reviewed_by)
                raise Conflict(
                    f"application {app_id} was already {app.status} by {who} on {app.reviewed_at}"
                )
            recorders = set(
                conn.execute(
                    select(facts_recorded.c.recorded_by).where(
                        facts_recorded.c.application_id == app_id
                    )
                ).scalars()
            )
            if actor.id == app.submitted_by or actor.id in recorders:
                did = "submitted it" if actor.id == app.submitted_by else "recorded facts on it"
                raise Forbidden(
                    f"{user} may not review application {app_id}: they {did}; "
                    "经办 and 审核 are done by different people"
                )
            rows = list(conn.execute(select(grants).where(grants.c.application_id == app_id)))
            if approve:
                data = json.loads(_latest(conn, app_id).decision_json)
                open_ = [d for d in data["decisions"] if d["outcome"] == "undetermined"]
                if open_:
                    missing = sorted({m for d in open_ for m in d["missing"]})
                    raise Conflict(
                        f"application {app_id} is undetermined for "
                        f"{', '.join(d['program'] for d in open_)}: record the "
                        f"missing facts first ({', '.join(missing)})",
                        hint=f"policy ledger record {app_id} --fact PATH=VALUE",
                    )
                proposed = [g for g in rows if g.status == PROPOSED]
                if not proposed:
                    raise Conflict(
                        f"application {app_id} has nothing to approve: no program "
                        "is eligible (or the ledger refused it)",
                        hint="reject it with a reason",
                    )
            w.event(
                "approve" if approve else "reject",
                f"application:{app_id}",
                {"application": app_id, "reason": reason},
            )
            for g in rows:
                if g.status == PROPOSED:
                    w.update(
                        grants, g.id, status=GRANTED if approve else TURNED_DOWN, updated_at=w.now
                    )
            w.update(
                applications,
                app_id,
                status=APPROVED if approve else REJECTED,
                reviewed_by=actor.id,
                reviewed_at=w.now,
                review_reason=reason,
            )
            view = self._view(w.conn, app_id)
        return view

    def record_fact(self, user: str | None, app_id: int, facts: dict) -> Application:
        """Add facts to a claim (e.g. ``project.employment_rate``) and decide it
        again: installments move as the policy says (the balance of a project
        becomes payable once the employment rate is recorded)."""
        if not facts:
            raise Invalid("give at least one fact (--fact PATH=VALUE)")
        parsed = {path: self._fact_value(path, value) for path, value in facts.items()}
        with self._write(user) as w:
            conn = w.conn
            actor = self._actor(conn, user, "caseworker", doing="record facts")
            app = self._lock_application(conn, app_id)
            if app.status == REJECTED:
                raise Conflict(f"application {app_id} was rejected: its facts are closed")
            shown = {
                k: str(v) if isinstance(v, Decimal) else json.loads(dumps_exact(v))
                for k, v in parsed.items()
            }
            ev = w.event("record", f"application:{app_id}", {"application": app_id, "facts": shown})
            for path, value in parsed.items():
                w.insert(
                    facts_recorded,
                    application_id=app_id,
                    path=path,
                    value_json=dumps_exact(value),
                    recorded_by=actor.id,
                    recorded_at=w.now,
                )
            case = self._effective_case(conn, app)
            where = f"ledger application {app_id}"
            res, data, held = self._decide(
                conn, app_id, case, app.person_id, app.case_sha256, where
            )
            decision_id = self._store_decision(w, app_id, "record", res, data, actor.id)
            self._apply(
                w,
                app_id,
                app.person_id,
                res,
                data,
                decision_id,
                held,
                approved=app.status == APPROVED,
            )
            ev.details["decision"] = decision_id
            ev.details["outcomes"] = _outcomes(data)
            view = self._view(w.conn, app_id, data)
        return view

    def _fact_value(self, path: str, value):
        """A recorded fact's value, read as its declaration says ("0.87" for a
        number is 0.87)."""
        decl = self.policy.fact(path)
        if decl is None or "[]" in path:
            raise Invalid(f"the policy declares no fact '{path}'", context=f"fact {path}")
        if any(path == d.fact or path.startswith(d.fact + ".") for d in self.rules.derived):
            raise Invalid(
                f"{path} is derived by the ledger from its grants; it cannot be recorded",
                context=f"fact {path}",
            )
        if path == self.rules.person.id_path:
            raise Invalid(
                f"{path} names whom the claim is about; it cannot be changed (submit a new claim)",
                context=f"fact {path}",
            )
        if not isinstance(value, str):
            return value
        if decl.type in ("number", "money", "boolean", "record", "list") or value == "null":
            try:
                return parse_json_text(value, f"fact {path}")
            except CaseError:
                raise Invalid(
                    f"'{value}' is not a value of this fact ({decl.type})", context=f"fact {path}"
                ) from None
        return value

    def _effective_case(self, conn: Connection, app) -> dict:
        case = parse_json_text(app.case_json, f"ledger application {app.id}")
        if not isinstance(case, dict):  # pragma: no cover - stored only after convert()
            raise Invalid(f"application {app.id} holds no case")
        for row in conn.execute(
            select(facts_recorded)
            .where(facts_recorded.c.application_id == app.id)
            .order_by(facts_recorded.c.id)
        ):
            value = parse_json_text(row.value_json, f"ledger fact {row.id}")
            _set(case, row.path, value)
        return case

    def pay(
        self,
        user: str | None,
        app_id: int,
        *,
        program: str | None = None,
        installment: str | None = None,
        reference: str | None = None,
    ) -> Payment:
        """Finance marks one payable installment of an approved grant as paid."""
        with self._write(user) as w:
            conn = w.conn
            actor = self._actor(conn, user, "finance", doing="record payments")
            app = self._lock_application(conn, app_id)
            if app.status == REJECTED:
                raise Conflict(f"application {app_id} was rejected: nothing is payable")
            if app.status == SUBMITTED:
                raise Conflict(
                    f"application {app_id} is awaiting review: nothing is payable "
                    "before it is approved"
                )
            q = select(grants).where(
                and_(grants.c.application_id == app_id, grants.c.status == GRANTED)
            )
            if program is not None:
                q = q.where(grants.c.program == program)
            gs = {g.id: g for g in conn.execute(q)}
            if not gs:
                raise NotFound(
                    f"application {app_id} has no approved grant"
                    + (f" of {program}" if program else "")
                )
            parts = list(
                conn.execute(
                    select(installments)
                    .where(installments.c.grant_id.in_(list(gs)))
                    .order_by(installments.c.grant_id, installments.c.seq)
                )
            )
            if installment is not None:
                parts = [p for p in parts if p.installment == installment]
                if not parts:
                    raise NotFound(f"application {app_id} has no installment '{installment}'")
            payable = [p for p in parts if p.status == PAYABLE]
            if not payable:
                raise Conflict(_why_not_payable(conn, app_id, parts, gs))
            if len(payable) > 1:
                names = ", ".join(
                    f"{gs[p.grant_id].program}/{p.installment or 'whole'}" for p in payable
                )
                raise Invalid(
                    f"several installments of application {app_id} are payable "
                    f"({names}): name one with --program and --installment"
                )
            p = payable[0]
            g = gs[p.grant_id]
            w.event(
                "pay",
                f"application:{app_id}",
                {
                    "application": app_id,
                    "program": g.program,
                    "installment": p.installment,
                    "amount": yuan(p.amount_fen),
                    "reference": reference,
                },
            )
            w.update(
                installments,
                p.id,
                status=PAID,
                paid_at=w.now,
                paid_by=actor.id,
                reference=reference,
            )
            return Payment(
                app_id, g.program, p.installment, yuan(p.amount_fen), w.now, actor.name, reference
            )

    # -- reading -------------------------------------------------------------------------
    def application(self, user: str | None, app_id: int) -> Application:
        with self._read() as conn:
            self._actor(conn, user)
            return self._view(conn, app_id)

    def trail(self, user: str | None, app_id: int) -> list[dict]:
        """The audit events of a claim, in order: who submitted, recorded,
        reviewed and paid it, when, with each event's details and hash."""
        from .schema import audit_events

        with self._read() as conn:
            self._actor(conn, user)
            if (
                not names_a_row(app_id)
                or conn.execute(
                    select(applications.c.id).where(applications.c.id == app_id)
                ).first()
                is None
            ):
                raise NotFound(f"there is no application {app_id}")
            rows = conn.execute(
                select(audit_events)
                .where(audit_events.c.subject == f"application:{app_id}")
                .order_by(audit_events.c.seq)
            )
            return [
                {
                    "seq": r.seq,
                    "at": r.at,
                    "user": r.user_name,
                    "action": r.action,
                    "details": json.loads(r.details_json),
                    "hash": r.hash,
                }
                for r in rows
            ]

    def decision(self, user: str | None, app_id: int, seq: int | None = None) -> dict:
        """A stored decision of a claim (default: the latest), the JSON of
        `policy eval --format json`: `policy eval --replay` and `policy
        notice` read it."""
        with self._read() as conn:
            self._actor(conn, user)
            q = select(decisions.c.decision_json).where(decisions.c.application_id == app_id)
            if seq is None:
                q = q.order_by(decisions.c.seq.desc()).limit(1)
            else:
                q = q.where(decisions.c.seq == seq)
            found = names_a_row(app_id) and (seq is None or names_a_row(seq))
            text = conn.execute(q).scalar() if found else None
        if text is None:
            raise NotFound(
                f"there is no application {app_id}"
                if seq is None
                else f"application {app_id} has no decision #{seq}"
            )
        return json.loads(text)

    def _view(self, conn: Connection, app_id: int, data: dict | None = None) -> Application:
        if not names_a_row(app_id):
            raise NotFound(f"there is no application {app_id}")
        app = conn.execute(select(applications).where(applications.c.id == app_id)).first()
        if app is None:
            raise NotFound(f"there is no application {app_id}")
        names = dict(conn.execute(select(users.c.id, users.c.name)).all())
        person = (
            conn.execute(select(persons).where(persons.c.id == app.person_id)).first()
            if app.person_id is not None
            else None
        )
        latest = _latest(conn, app_id)
        if data is None:
            data = json.loads(latest.decision_json)
        labels = {}
        for d in data["decisions"]:
            for i in d.get("installments") or []:
                labels[(d["program"], i["id"])] = i.get("label")
        titles = {d["program"]: d.get("title") for d in data["decisions"]}
        gviews = []
        for g in conn.execute(
            select(grants).where(grants.c.application_id == app_id).order_by(grants.c.id)
        ):
            parts = [
                Installment(
                    p.id,
                    p.installment,
                    labels.get((g.program, p.installment)),
                    yuan(p.amount_fen),
                    p.status,
                    json.loads(p.waiting_json),
                    p.paid_at,
                    names.get(p.paid_by),
                    p.reference,
                )
                for p in conn.execute(
                    select(installments)
                    .where(installments.c.grant_id == g.id)
                    .order_by(installments.c.seq)
                )
            ]
            gviews.append(
                Grant(
                    g.id,
                    g.program,
                    titles.get(g.program) or g.program,
                    g.status,
                    yuan(g.amount_fen),
                    g.decision_date,
                    json.loads(g.refusal_json) if g.refusal_json else None,
                    parts,
                )
            )
        recorded = [
            FactRecorded(r.path, json.loads(r.value_json), names[r.recorded_by], r.recorded_at)
            for r in conn.execute(
                select(facts_recorded)
                .where(facts_recorded.c.application_id == app_id)
                .order_by(facts_recorded.c.id)
            )
        ]
        return Application(
            id=app.id,
            status=app.status,
            person=person.id_number if person is not None else None,
            name=person.name if person is not None else None,
            source=app.source,
            case=json.loads(app.case_json),
            case_sha256=app.case_sha256,
            submitted_by=names[app.submitted_by],
            submitted_at=app.submitted_at,
            reviewed_by=names.get(app.reviewed_by),
            reviewed_at=app.reviewed_at,
            review_reason=app.review_reason,
            facts_recorded=recorded,
            decision_seq=latest.seq,
            decision=data,
            grants=gviews,
        )

    def applications(
        self,
        user: str | None,
        *,
        status: str | None = None,
        person: str | None = None,
        program: str | None = None,
        submitted_from: _dt.date | None = None,
        submitted_until: _dt.date | None = None,
    ) -> list[ApplicationSummary]:
        """The claims, oldest first: by status, person (any spelling of the ID
        number), a program the claim is decided for, and submission date."""
        with self._read() as conn:
            self._actor(conn, user)
            latest = (
                select(decisions.c.application_id, func.max(decisions.c.seq).label("seq"))
                .group_by(decisions.c.application_id)
                .subquery()
            )
            q = (
                select(
                    applications.c.id,
                    applications.c.status,
                    applications.c.submitted_at,
                    applications.c.submitted_by,
                    persons.c.id_number,
                    decisions.c.decision_json,
                )
                .select_from(
                    applications.outerjoin(persons, persons.c.id == applications.c.person_id)
                    .join(latest, latest.c.application_id == applications.c.id)
                    .join(
                        decisions,
                        and_(
                            decisions.c.application_id == latest.c.application_id,
                            decisions.c.seq == latest.c.seq,
                        ),
                    )
                )
                .order_by(applications.c.id)
            )
            if status is not None:
                q = q.where(applications.c.status == status)
            if person is not None:
                number = self.rules.person.normalise(person, "--person")
                q = q.where(persons.c.id_number == number)
            if submitted_from is not None:
                q = q.where(applications.c.submitted_at >= submitted_from.isoformat())
            if submitted_until is not None:
                q = q.where(applications.c.submitted_at < _through(submitted_until))
            names = dict(conn.execute(select(users.c.id, users.c.name)).all())
            status_of: dict[int, dict[str, str]] = {}
            for g in conn.execute(
                select(grants.c.application_id, grants.c.program, grants.c.status)
            ):
                status_of.setdefault(g.application_id, {})[g.program] = g.status
            out = []
            for r in conn.execute(q):
                data = json.loads(r.decision_json)
                if program is not None and not any(
                    d["program"] == program for d in data["decisions"]
                ):
                    continue
                mine = status_of.get(r.id, {})
                out.append(
                    ApplicationSummary(
                        r.id,
                        r.status,
                        r.id_number,
                        names[r.submitted_by],
                        r.submitted_at,
                        [
                            {
                                "program": d["program"],
                                "outcome": d["outcome"],
                                "amount": d["amount"],
                                "grant": mine.get(d["program"]),
                            }
                            for d in data["decisions"]
                        ],
                    )
                )
            return out

    def applicants(self, user: str | None) -> dict[int, tuple[str | None, str | None]]:
        """application id → (the person's normalised ID number, the name last
        given), for every claim (the officer pages' queue shows and searches
        them)."""
        with self._read() as conn:
            self._actor(conn, user)
            q = select(applications.c.id, persons.c.id_number, persons.c.name).select_from(
                applications.outerjoin(persons, persons.c.id == applications.c.person_id)
            )
            return {r.id: (r.id_number, r.name) for r in conn.execute(q)}

    def person_grants(self, user: str | None, id_number: str) -> list[dict]:
        """Every grant the ledger holds for a person, oldest first."""
        number = self.rules.person.normalise(id_number, "--person")
        with self._read() as conn:
            self._actor(conn, user)
            pid = conn.execute(select(persons.c.id).where(persons.c.id_number == number)).scalar()
            if pid is None:
                raise NotFound(f"the ledger has no claim for {self.rules.person.mask(number)}")
            return [
                {
                    "application": g.application_id,
                    "program": g.program,
                    "status": g.status,
                    "amount": yuan(g.amount_fen),
                    "decision_date": g.decision_date,
                }
                for g in conn.execute(
                    select(grants)
                    .where(grants.c.person_id == pid)
                    .order_by(grants.c.decision_date, grants.c.id)
                )
            ]

    # -- auditing and publishing ---------------------------------------------------------
    def verify(self, user: str | None, policies: list[Policy] | None = None):
        """Walk the audit chain, check every row against it and re-evaluate
        every stored decision (``ledger.verify``)."""
        from .verify import verify

        with self._read() as conn:
            self._actor(conn, user)
            return verify(conn, policies or [self.policy])

    def publicity(
        self, user: str | None, start: _dt.date | None = None, until: _dt.date | None = None
    ):
        """The publicity list (公示) of the grants approved from ``start``
        (default: the first) to ``until`` (default: today): names and ID
        numbers masked."""
        from .publish import PublicityList

        until = until or _dt.date.fromisoformat(self._now()[:10])
        if start is not None and until < start:
            raise Invalid(f"the period ends ({until}) before it starts ({start})")
        end = _through(until)
        first = start.isoformat() if start is not None else ""
        rows = []
        with self._read() as conn:
            self._actor(conn, user)
            q = (
                select(grants, applications.c.reviewed_at, persons.c.id_number, persons.c.name)
                .select_from(
                    grants.join(
                        applications, applications.c.id == grants.c.application_id
                    ).outerjoin(persons, persons.c.id == grants.c.person_id)
                )
                .where(
                    and_(
                        grants.c.status == GRANTED,
                        applications.c.reviewed_at >= first,
                        applications.c.reviewed_at < end,
                    )
                )
                .order_by(applications.c.reviewed_at, grants.c.application_id, grants.c.id)
            )
            for g in conn.execute(q):
                facts = self._facts_of_decision(conn, g.decision_id)
                day = _dt.date.fromisoformat(g.decision_date) if g.decision_date else None
                program = self.policy.programs.get(g.program)
                row = {
                    "application": g.application_id,
                    "approved": g.reviewed_at[:10],
                    "name": self.rules.person.published_name(g.name),
                    "id_number": self.rules.person.mask(g.id_number) if g.id_number else None,
                    "program": program.title if program else g.program,
                    "program_id": g.program,
                    "amount": yuan(g.amount_fen),
                }
                for c in self.rules.publicity:
                    v = self.rules.evaluate(c.expr, facts, day)
                    row[c.id] = None if v is None else str(plain(v))
                rows.append(row)
        doc = self.policy.document
        return PublicityList(
            start,
            until,
            {"number": doc.number, "title": doc.title, "issuer": doc.issuer},
            [(c.id, c.label, c.label_en) for c in self.rules.publicity],
            rows,
        )

    def export(
        self, user: str | None, *, status: str | None = None, granted_only: bool = False
    ) -> Iterator[dict]:
        """Each application's latest decision as a line of `policy batch`
        output (``policy report`` reads them); with ``granted_only`` only the
        decisions whose grant was approved."""
        from .publish import export_line

        with self._read() as conn:
            self._actor(conn, user)
            q = (
                select(applications, persons.c.id_number)
                .select_from(
                    applications.outerjoin(persons, persons.c.id == applications.c.person_id)
                )
                .order_by(applications.c.id)
            )
            if status is not None:
                q = q.where(applications.c.status == status)
            for app in conn.execute(q):
                latest = _latest(conn, app.id)
                data = json.loads(latest.decision_json)
                facts = self._facts_of_decision(conn, latest.id)
                day = _dt.date.fromisoformat(latest.as_of) if latest.as_of else None
                levels = {}
                for d in data["decisions"]:
                    program = self.policy.programs.get(d["program"])
                    rule = (
                        program.level if program is not None else None
                    ) or self.policy.report_level
                    if rule is not None:
                        v = self.rules.evaluate_rule(rule, facts, day)
                        if isinstance(v, str):
                            levels[d["program"]] = v
                status_of = dict(
                    conn.execute(
                        select(grants.c.program, grants.c.status).where(
                            grants.c.application_id == app.id
                        )
                    ).all()
                )
                line = export_line(app, app.id_number, data, levels, status_of, granted_only)
                if line is not None:
                    yield line


# -- helpers ----------------------------------------------------------------------------


def _user(row) -> User:
    return User(row.id, row.name, row.roles.split(), bool(row.active), row.created_at)


def _user_name(conn: Connection, uid: int | None) -> str | None:
    if uid is None:
        return None
    return conn.execute(select(users.c.name).where(users.c.id == uid)).scalar()


def _latest(conn: Connection, app_id: int):
    return conn.execute(
        select(decisions)
        .where(decisions.c.application_id == app_id)
        .order_by(decisions.c.seq.desc())
        .limit(1)
    ).one()


def _outcomes(data: dict) -> list[dict]:
    return [
        {"program": d["program"], "outcome": d["outcome"], "amount": d["amount"]}
        for d in data["decisions"]
    ]


def _why_not_payable(conn: Connection, app_id: int, parts, gs) -> str:
    if parts and all(p.status == PAID for p in parts):
        p = parts[-1]
        return (
            f"application {app_id} is already paid ({yuan(p.amount_fen)} on {p.paid_at} "
            f"by {_user_name(conn, p.paid_by)})"
        )
    pending = [p for p in parts if p.status == PENDING]
    if pending:
        p = pending[0]
        waiting = json.loads(p.waiting_json)
        return f"the installment {p.installment} of {gs[p.grant_id].program} is pending" + (
            f": waiting for {', '.join(waiting)}"
            if waiting
            else ": its condition does not hold yet"
        )
    return f"application {app_id} has no payable installment left"


def _exact(value):
    """A value with its numbers in one form (1234.5 and 1234.50 are one amount)."""
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, Decimal) and value.is_finite():
        return (
            value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
        )
    return value


def _get(data: dict, path: str):
    v: object = data
    for p in path.split("."):
        if not isinstance(v, dict):
            return None
        v = v.get(p)
    return v


def _set(data: dict, path: str, value) -> None:
    parts = path.split(".")
    v = data
    for p in parts[:-1]:
        nxt = v.get(p)
        if not isinstance(nxt, dict):
            nxt = v[p] = {}
        v = nxt
    if value is None:
        v.pop(parts[-1], None)
    else:
        v[parts[-1]] = value


def _nest(path: str, value) -> dict:
    out: dict = {}
    _set(out, path, value)
    return out
