"""`isa`: the command line over the register's use cases. A thin layer: it parses, reads the clock
once, calls one use case and prints what happened; any refusal is one line on stderr, exit 1."""

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pendulum
from cyclopts import App, Parameter
from cyclopts.exceptions import CycloptsError
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, col, select

from core.settings import Settings, setting_problem
from models.appendix_j import MAX_FORM_BYTES, TEMPLATE, parse_arrangement_draft
from models.clocks import local_date, parse_date, parse_datetime
from models.enums import (
    ArrangementStatus,
    ContactRole,
    MeetingOutcome,
    Nation,
    SecurityStandard,
)
from models.errors import InvalidInput, IsaError
from models.events import DomainEvent
from models.inputs import normalise_email

if TYPE_CHECKING:
    from notifications.publication import Publication

app = App(
    name="isa",
    help="Run the register of Information Sharing Arrangements under the Protocol.",
    version_flags=[],
)
db_app = App(name="db", help="The register's database.")
agency_app = App(name="agency", help="Partner agencies.")
contact_app = App(name="contact", help="People at partner agencies and their roles.")
chair_app = App(name="chair", help="Chairs of the Information Governance Monitoring Group.")
arrangement_app = App(name="arrangement", help="Information Sharing Arrangements (Appendix J).")
review_app = App(name="review", help="Periodic reviews of arrangements (§31).")
training_app = App(name="training", help="Staff training records (§12, §38).")
access_app = App(name="access", help="Need-to-know access to shared data (§10).")
meeting_app = App(
    name="meeting", help="A suspension's risk assessment and resolution meeting (§41)."
)
audit_app = App(name="audit", help="The hash-chained audit log.")
staff_app = App(name="staff", help="Staff members who handle shared data.")
disposal_app = App(
    name="disposal", help="Destroying shared data when an arrangement ends (§35-§37)."
)
for sub in (
    db_app,
    agency_app,
    contact_app,
    chair_app,
    arrangement_app,
    review_app,
    training_app,
    access_app,
    meeting_app,
    audit_app,
    staff_app,
    disposal_app,
):
    app.command(sub)

As = Annotated[str, Parameter(name="--as", help="Email of the person acting.")]
OptionalAs = Annotated[str | None, Parameter(name="--as", help="Email of the person acting.")]
Json = Annotated[bool, Parameter(name="--json", negative="", help="Print JSON.")]


class Context:
    """What one command needs: settings, the one clock reading, and a session."""

    def __init__(self) -> None:
        try:
            self.settings = Settings()
        except ValidationError as exc:
            raise InvalidInput(setting_problem(exc.errors()[0])) from None
        self.now = self.settings.current_time()
        # what publishing the command's Prefect events did (set as its session closes)
        self.publication: Publication | None = None

    def published(self, event: str, reference: str) -> bool:
        """Whether the server took the Prefect event this command's change published."""
        return self.publication is not None and self.publication.took(event, reference)


@contextmanager
def session_scope(ctx: Context) -> Iterator[Session]:
    from core.db import EVENTS_STAGED, check_connection, make_engine
    from core.keys import audit_seal

    engine = make_engine(
        ctx.settings.database_url,
        audit=audit_seal(ctx.settings, "cli"),
        mailbox=ctx.settings.mail_from,
    )
    try:
        check_connection(engine)
        with Session(engine, expire_on_commit=False) as session:
            try:
                current = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except (OperationalError, ProgrammingError):
                session.rollback()
                raise IsaError(
                    "the register's database is not set up: run `isa db upgrade`"
                ) from None
            session.rollback()
            from core.db import head_revision

            if current != head_revision():
                raise IsaError(
                    f"the register's database is at revision {current}, this version needs "
                    f"{head_revision()}: run `isa db upgrade`"
                )
            yield session
            if session.info.get(EVENTS_STAGED):
                # the change is committed: the events that start its flows go out now
                from notifications.publication import publish_pending

                ctx.publication = publish_pending(
                    session, api_url=ctx.settings.prefect_api_url, now=ctx.now
                )
    finally:
        engine.dispose()


def at_least(option: str, value: int | None, least: int = 1) -> None:
    """A count the command line takes (a limit, a batch size) is refused below `least`."""
    if value is not None and value < least:
        raise InvalidInput(f"{option} must be at least {least}, not {value}")


def default_actor(as_: str | None) -> str:
    """On whose behalf: the `--as` given, which must be an email address (the use case checks
    it is a registered one), else the operator, named by their operating-system user."""
    if as_ is None:
        from core.keys import os_user

        return f"cli:{os_user()}"
    try:
        return normalise_email(as_)
    except InvalidInput:
        raise InvalidInput(f"--as {as_!r} is not an email address") from None


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise InvalidInput(f"{option}: {exc}") from None


def report(events: Sequence[DomainEvent], as_json: bool, lines: Sequence[str]) -> None:
    if as_json:
        print(json.dumps({"events": [e.as_dict() for e in events]}, default=str))
    else:
        for line in lines:
            print(line)


def _events_of(events: Sequence[DomainEvent], name: str) -> list[DomainEvent]:
    return [e for e in events if e.name == name]


def announce_raised(ctx: "Context", events: Sequence[DomainEvent]) -> list[str]:
    """Say whether the flow of a suspension or withdrawal just raised is starting: its event
    went out with the commit, or, with the server down, waits in the event outbox until the
    next delivery run or `isa up` publishes it (nothing is lost)."""
    lines: list[str] = []
    for name, field in (("suspension.raised", "suspension"), ("withdrawal.noticed", "withdrawal")):
        for event in _events_of(events, name):
            ref = str(event.as_dict()[field])
            if ctx.published(f"isa.{field}.raised", ref):
                lines.append(f"the {field} flow for {ref} is starting (see the Prefect UI)")
            else:
                lines.append(
                    f"the Prefect server is not reachable: {ref} is recorded, and its flow "
                    "starts when the server is back (at `isa up`, or the next delivery run)"
                )
    return lines


def announce_ended(ctx: "Context", events: Sequence[DomainEvent]) -> list[str]:
    """Tell Prefect which arrangements were terminated (see `announce_arrangements_ended`)."""
    ended = [str(e.as_dict()["arrangement"]) for e in _events_of(events, "arrangement.terminated")]
    return announce_arrangements_ended(ctx, ended)


def announce_arrangements_ended(ctx: "Context", references: Sequence[str]) -> list[str]:
    """Whether the disposal flow heard at once that these arrangements ended; if the server is
    down, the event waits in the outbox and the daily disposal sweep acts anyway."""
    if any(not ctx.published("isa.arrangement.ended", ref) for ref in references):
        return [
            "the Prefect server is not reachable: the daily disposal sweep schedules the "
            "destruction of the data, or its flow does once the server is back"
        ]
    return []


# --- db ---------------------------------------------------------------------------------------


@db_app.command(name="upgrade")
def db_upgrade(*, json_: Json = False) -> None:
    """Create the register, or apply the migrations it lacks (creates the SQLite file if needed)."""
    from core.db import head_revision, upgrade
    from core.keys import audit_key

    ctx = Context()
    before = upgrade(ctx.settings.database_url, audit_key=audit_key(ctx.settings))
    after = head_revision()
    where = ctx.settings.sqlite_path() or "the database at ISA_DATABASE_URL"
    if json_:
        print(json.dumps({"created": before is None, "from": before, "to": after}))
    elif before is None:
        print(f"created the register in {where} (revision {after})")
    elif before != after:
        print(f"upgraded the register in {where} from revision {before} to {after}")
    else:
        print(f"the register in {where} is up to date (revision {after})")


# --- agencies, contacts, chairs ---------------------------------------------------------------


@agency_app.command(name="add")
def agency_add(
    name: str,
    *,
    ico_registration: str | None = None,
    security_standard: SecurityStandard | None = None,
    nation: Annotated[
        Nation,
        Parameter(help="Whose public holidays its subject access deadlines skip."),
    ] = Nation.ENGLAND_AND_WALES,
    as_: OptionalAs = None,
    json_: Json = False,
) -> None:
    """Register a partner agency that has signed the Protocol."""
    from tasks.register import register_agency

    ctx = Context()
    with session_scope(ctx) as session:
        events = register_agency(
            session,
            name=name,
            ico_registration=ico_registration,
            security_standard=security_standard,
            nation=nation,
            actor=default_actor(as_),
            now=ctx.now,
        )
    report(events, json_, [f"registered agency {name.strip()}"])


@agency_app.command(name="list")
def agency_list(*, json_: Json = False) -> None:
    """List the partner agencies and their membership status."""
    from models.tables import Agency

    ctx = Context()
    with session_scope(ctx) as session:
        agencies = session.exec(select(Agency).order_by(col(Agency.name))).all()
        rows: list[dict[str, Any]] = [
            {
                "name": a.name,
                "status": a.status.value,
                "ico_registration": a.ico_registration,
                "security_standard": a.security_standard.value if a.security_standard else None,
                "nation": a.nation.value,
            }
            for a in agencies
        ]
    if json_:
        print(json.dumps(rows))
        return
    for row in rows:
        print(
            f"{row['name']}  [{row['status']}]  ICO {row['ico_registration'] or '-'}  "
            f"{row['security_standard'] or '-'}  {row['nation'].replace('_', ' ')}"
        )


@contact_app.command(name="add")
def contact_add(
    agency: str,
    email: str,
    *,
    name: str,
    role: Annotated[list[ContactRole] | None, Parameter(name="--role")] = None,
    as_: OptionalAs = None,
    json_: Json = False,
) -> None:
    """Add a person at an agency with roles; with no --role, a staff member."""
    from tasks.register import add_contact

    ctx = Context()
    with session_scope(ctx) as session:
        events = add_contact(
            session,
            agency=agency,
            email=email,
            name=name,
            roles=list(role or []),
            actor=default_actor(as_),
            now=ctx.now,
        )
    roles = ", ".join(r.value for r in role or []) or "staff member"
    report(events, json_, [f"{email.strip().lower()} at {agency}: {roles}"])


@contact_app.command(name="list")
def contact_list(agency: str | None = None, *, json_: Json = False) -> None:
    """List the people at every agency, or at AGENCY, with their roles."""
    from models.tables import Agency, Contact, ContactRoleAssignment
    from tasks.lookup import agency_by_name

    ctx = Context()
    with session_scope(ctx) as session:
        stmt = (
            select(Contact, Agency)
            .join(Agency, col(Agency.id) == Contact.agency_id)
            .order_by(col(Agency.name), col(Contact.name), col(Contact.email))
        )
        if agency is not None:
            stmt = stmt.where(Contact.agency_id == agency_by_name(session, agency).id)
        people = session.exec(stmt).all()
        roles: dict[int, list[str]] = {}
        for contact_id, role in session.exec(
            select(ContactRoleAssignment.contact_id, ContactRoleAssignment.role)
        ).all():
            roles.setdefault(contact_id, []).append(str(role))
        rows: list[dict[str, Any]] = [
            {
                "agency": home.name,
                "email": person.email,
                "name": person.name,
                "roles": sorted(roles.get(person.id or 0, [])),
                "left": person.left_at is not None,
            }
            for person, home in people
        ]
    if json_:
        print(json.dumps(rows))
        return
    for row in rows:
        what = ", ".join(row["roles"]) or "staff member"
        left = " (left)" if row["left"] else ""
        print(f"{row['agency']}  {row['name']} <{row['email']}>  {what}{left}")


@chair_app.command(name="add")
def chair_add(email: str, *, name: str, as_: OptionalAs = None, json_: Json = False) -> None:
    """Add a chair of the Information Governance Monitoring Group."""
    from tasks.register import add_chair

    ctx = Context()
    with session_scope(ctx) as session:
        events = add_chair(session, email=email, name=name, actor=default_actor(as_), now=ctx.now)
    report(events, json_, [f"{email.strip().lower()} is a chair"])


# --- arrangements -----------------------------------------------------------------------------


@arrangement_app.command(name="template")
def arrangement_template() -> None:
    """Print a commented Appendix J form with every field, to fill in and draft from."""
    print(TEMPLATE, end="")


def _read_form(path: Path) -> Any:
    # one byte past the limit is enough to refuse it: /dev/zero is not read to the end
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_FORM_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_arrangement_draft(str(path), content)


@arrangement_app.command(name="draft")
def arrangement_draft(file: Path, *, as_: As, json_: Json = False) -> None:
    """Draft an arrangement from an Appendix J file."""
    from tasks.arrangements import draft_arrangement

    form = _read_form(file)
    ctx = Context()
    with session_scope(ctx) as session:
        events = draft_arrangement(session, draft=form, actor=as_, now=ctx.now)
    ref = events[0].as_dict()["arrangement"]
    report(
        events,
        json_,
        [f"drafted {ref} (version 1): submit it with `isa arrangement submit {ref} --as EMAIL`"],
    )


@arrangement_app.command(name="revise")
def arrangement_revise(id: str, file: Path, *, as_: As, json_: Json = False) -> None:
    """Replace a draft's content from a revised Appendix J file."""
    from tasks.arrangements import revise_draft

    form = _read_form(file)
    ctx = Context()
    with session_scope(ctx) as session:
        events = revise_draft(session, reference=id, draft=form, actor=as_, now=ctx.now)
    report(events, json_, [f"revised draft {id.upper()}"])


@arrangement_app.command(name="submit")
def arrangement_submit(id: str, *, as_: As, json_: Json = False) -> None:
    """Submit a draft for approval by every party's signatory."""
    from tasks.arrangements import submit_arrangement

    ctx = Context()
    with session_scope(ctx) as session:
        events = submit_arrangement(session, reference=id, actor=as_, now=ctx.now)
    ref = id.strip().upper()
    lines = [f"submitted {ref}: awaiting approval by every party's signatory"]
    # the register is already written; the event only starts the approval flow sooner
    if not ctx.published("isa.arrangement.submitted", ref):
        lines.append(
            "the Prefect server is not reachable: the approval requests wait in the outbox and "
            "the daily review sweep chases the sign-offs"
        )
    report(events, json_, lines)


@arrangement_app.command(name="approve")
def arrangement_approve(id: str, *, as_: As, json_: Json = False) -> None:
    """Approve the current version for your agency (a signatory of a party)."""
    from tasks.arrangements import approve_arrangement

    ctx = Context()
    with session_scope(ctx) as session:
        events = approve_arrangement(session, reference=id, actor=as_, now=ctx.now)
    lines = []
    for event in events:
        data = event.as_dict()
        if event.name == "arrangement.approved":
            waiting = ", ".join(data["awaiting"]) or "nobody"
            lines.append(
                f"{data['agency']} approved {data['arrangement']} version "
                f"{data['version']}; awaiting: {waiting}"
            )
        if event.name == "arrangement.activated":
            lines.append(
                f"{data['arrangement']} is active; next review due {data['next_review_due']}"
            )
    report(events, json_, lines)


@arrangement_app.command(name="reject")
def arrangement_reject(id: str, *, reason: str, as_: As, json_: Json = False) -> None:
    """Reject the current version; the arrangement returns to draft at a new version."""
    from tasks.arrangements import reject_arrangement

    ctx = Context()
    with session_scope(ctx) as session:
        events = reject_arrangement(session, reference=id, reason=reason, actor=as_, now=ctx.now)
    report(events, json_, [f"rejected {id.upper()}: it is a draft again"])


@arrangement_app.command(name="show")
def arrangement_show(id: str, *, json_: Json = False) -> None:
    """Show an arrangement: parties, sign-offs of the current version, data, review date."""
    from tasks.queries import arrangement_detail

    ctx = Context()
    with session_scope(ctx) as session:
        detail = arrangement_detail(session, id)
    if json_:
        print(json.dumps(detail, default=str))
        return
    print(f"{detail['reference']}  {detail['title']}")
    print(
        f"  status: {detail['status']}   version: {detail['version']}   "
        f"next review due: {detail['next_review_due'] or '-'}"
    )
    print(f"  lawful basis: {detail['lawful_basis'] or '(none recorded)'}")
    print("  purposes: " + "; ".join(detail["purposes"]))
    for party in detail["parties"]:
        signed = party["sign_off"] or "awaiting sign-off"
        left = f" (left {party['left_at']})" if party["left_at"] else ""
        print(f"  party: {party['agency']} ({party['role']}){left}: {signed}")
    for item in detail["data_items"]:
        print(f"  data: {item['name']} [{item['protective_marking']}]")
    for transfer in detail["transfers_outside_eea"]:
        print(f"  transfer outside EEA: {transfer['country']} (adequacy: {transfer['adequacy']})")
    print(
        f"  retention: {detail['retention_months']} months; {detail['retention_rule'] or '-'}; "
        f"disposal: {detail['disposal_method'] or '-'}"
    )


@arrangement_app.command(name="list")
def arrangement_list(*, status: ArrangementStatus | None = None, json_: Json = False) -> None:
    """List arrangements, optionally only those in one status."""
    from models.tables import Arrangement

    ctx = Context()
    with session_scope(ctx) as session:
        stmt = select(Arrangement).order_by(col(Arrangement.reference))
        if status is not None:
            stmt = stmt.where(Arrangement.status == status)
        rows = [
            {
                "reference": a.reference,
                "title": a.title,
                "status": a.status.value,
                "version": a.version,
                "next_review_due": a.next_review_due.isoformat() if a.next_review_due else None,
            }
            for a in session.exec(stmt).all()
        ]
    if json_:
        print(json.dumps(rows))
        return
    for row in rows:
        print(
            f"{row['reference']}  {row['status']:<17} v{row['version']}  "
            f"review {row['next_review_due'] or '-':<10}  {row['title']}"
        )


# --- reviews, training, access ----------------------------------------------------------------


@review_app.command(name="complete")
def review_complete(id: str, *, outcome: str, as_: As, json_: Json = False) -> None:
    """Record a review's outcome: renew, amend or terminate."""
    from tasks.arrangements import complete_review, parse_outcome

    chosen = parse_outcome(outcome)
    ctx = Context()
    with session_scope(ctx) as session:
        events = complete_review(session, reference=id, outcome=chosen, actor=as_, now=ctx.now)
    done = _events_of(events, "review.completed")[0].as_dict()
    tail = f"; next review due {done['next_review_due']}" if done["next_review_due"] else ""
    lines = [f"review of {id.upper()} completed: {chosen.value}{tail}"]
    report(events, json_, lines + announce_ended(ctx, events))


@training_app.command(name="record")
def training_record(
    email: str,
    *,
    course: str,
    completed: str,
    expires: str | None = None,
    as_: OptionalAs = None,
    json_: Json = False,
) -> None:
    """Record training a staff member completed."""
    from tasks.access import record_training

    completed_on = _date(completed, "--completed")
    expires_on = _date(expires, "--expires")
    assert completed_on is not None
    ctx = Context()
    with session_scope(ctx) as session:
        events = record_training(
            session,
            email=email,
            course=course,
            completed_on=completed_on,
            expires_on=expires_on,
            actor=default_actor(as_),
            now=ctx.now,
        )
    report(events, json_, [f"training recorded for {email.strip().lower()}: {course}"])


@access_app.command(name="grant")
def access_grant(
    arrangement: str,
    email: str,
    *,
    justification: str,
    as_: As,
    expires: str | None = None,
    json_: Json = False,
) -> None:
    """Grant a trained staff member need-to-know access to an arrangement's data."""
    from tasks.access import grant_access

    expires_on = _date(expires, "--expires")
    ctx = Context()
    with session_scope(ctx) as session:
        events = grant_access(
            session,
            arrangement=arrangement,
            email=email,
            justification=justification,
            expires_on=expires_on,
            actor=as_,
            now=ctx.now,
        )
    grant = events[0].as_dict()["grant"]
    report(events, json_, [f"granted {grant}: {email.strip().lower()} on {arrangement.upper()}"])


@access_app.command(name="revoke")
def access_revoke(grant: str, *, reason: str, as_: As, json_: Json = False) -> None:
    """Revoke an access grant, with the reason."""
    from tasks.access import revoke_access

    ctx = Context()
    with session_scope(ctx) as session:
        events = revoke_access(session, grant=grant, reason=reason, actor=as_, now=ctx.now)
    report(events, json_, [f"revoked {grant.upper()}"])


@access_app.command(name="attest")
def access_attest(grant: str, *, as_: As, json_: Json = False) -> None:
    """Confirm a grant is still needed (the point of contact of the staff member's agency)."""
    from tasks.access import attest_access

    ctx = Context()
    with session_scope(ctx) as session:
        events = attest_access(session, grant=grant, actor=as_, now=ctx.now)
    report(events, json_, [f"need to know for {grant.upper()} attested"])


@staff_app.command(name="leaver")
def staff_leaver(email: str, *, as_: As, json_: Json = False) -> None:
    """Record that a staff member has left; the access sweep revokes their access."""
    from tasks.access import mark_leaver

    ctx = Context()
    with session_scope(ctx) as session:
        events = mark_leaver(session, email=email, actor=as_, now=ctx.now)
    report(
        events,
        json_,
        [f"{email.strip().lower()} recorded as a leaver: the access sweep revokes their access"],
    )


@disposal_app.command(name="confirm")
def disposal_confirm(
    task: str, *, method: str, certificate: str, as_: As, json_: Json = False
) -> None:
    """Record the destruction of the data (a nominated representative of that agency)."""
    from tasks.disposal import confirm_disposal

    ctx = Context()
    with session_scope(ctx) as session:
        events = confirm_disposal(
            session, task=task, method=method, certificate=certificate, actor=as_, now=ctx.now
        )
    lines = [f"disposal {task.upper()} confirmed"]
    lines += [
        f"{e.as_dict()['arrangement']} is closed" for e in _events_of(events, "arrangement.closed")
    ]
    report(events, json_, lines)


@disposal_app.command(name="list")
def disposal_list(*, overdue: bool = False, json_: Json = False) -> None:
    """List disposal tasks, or only those past their due date and not confirmed."""
    from models.tables import Agency, Arrangement, DisposalTask

    ctx = Context()
    today = local_date(ctx.now)
    with session_scope(ctx) as session:
        stmt = (
            select(DisposalTask, Arrangement.reference, Agency.name)
            .join(Arrangement, col(Arrangement.id) == DisposalTask.arrangement_id)
            .join(Agency, col(Agency.id) == DisposalTask.agency_id)
            .order_by(col(DisposalTask.due_on), col(DisposalTask.id))
        )
        if overdue:
            stmt = stmt.where(DisposalTask.status == "pending").where(DisposalTask.due_on < today)
        rows = [
            {
                "task": t.reference,
                "arrangement": ref,
                "agency": agency,
                "due_on": t.due_on.isoformat(),
                "status": t.status.value,
                "certificate": t.certificate,
            }
            for t, ref, agency in session.exec(stmt).all()
        ]
    if json_:
        print(json.dumps(rows))
        return
    for row in rows:
        print(
            f"{row['task']}  {row['arrangement']}  due {row['due_on']}  {row['status']:<9} "
            f"{row['agency']}"
        )


# --- suspension and withdrawal ----------------------------------------------------------------


@app.command(name="suspend")
def suspend(agency: str, *, reason: str, as_: As, json_: Json = False) -> None:
    """Suspend your agency's obligations for 30 days (§41; a signatory of that agency)."""
    from tasks.suspensions import raise_suspension

    ctx = Context()
    with session_scope(ctx) as session:
        events = raise_suspension(session, agency=agency, reason=reason, actor=as_, now=ctx.now)
    raised = _events_of(events, "suspension.raised")[0].as_dict()
    deadline = local_date(pendulum.parse(raised["meeting_deadline"]))  # type: ignore[arg-type]
    ends = local_date(pendulum.parse(raised["ends_at"]))  # type: ignore[arg-type]
    report(
        events,
        json_,
        [
            f"{raised['suspension']}: {raised['agency']} suspended; the resolution meeting must be "
            f"held by {deadline.to_date_string()}; the suspension ends {ends.to_date_string()}",
            *announce_raised(ctx, events),
        ],
    )


@meeting_app.command(name="schedule")
def meeting_schedule(suspension: str, *, at: str, as_: As, json_: Json = False) -> None:
    """Schedule (or move) the resolution meeting; it must fall on or before day 14."""
    from tasks.suspensions import schedule_meeting

    try:
        when = parse_datetime(at)
    except ValueError as exc:
        raise InvalidInput(f"--at: {exc}") from None
    ctx = Context()
    with session_scope(ctx) as session:
        events = schedule_meeting(session, suspension=suspension, at=when, actor=as_, now=ctx.now)
    report(
        events,
        json_,
        [
            f"meeting for {suspension.upper()} scheduled at "
            f"{when.in_timezone('Europe/London').to_datetime_string()} (London)"
        ],
    )


@meeting_app.command(name="record")
def meeting_record(
    suspension: str,
    *,
    outcome: MeetingOutcome,
    attendee: Annotated[list[str], Parameter(name="--attendee", consume_multiple=True)],
    risk_assessment: str,
    as_: As,
    json_: Json = False,
) -> None:
    """Record the meeting held: attendees, risk assessment, outcome (a chair)."""
    from notifications.render import long_datetime
    from tasks.lookup import suspension_by_ref
    from tasks.suspensions import record_meeting

    ctx = Context()
    with session_scope(ctx) as session:
        events = record_meeting(
            session,
            suspension=suspension,
            outcome=outcome,
            attendees=attendee,
            risk_assessment=risk_assessment,
            actor=as_,
            now=ctx.now,
        )
        invited = suspension_by_ref(session, suspension).meeting_at
    lines = [f"meeting for {suspension.upper()} recorded: {outcome.value}"]
    if invited is not None and ctx.now < invited:
        # recorded as held now, so not at the time invited: the invitation is withdrawn
        lines.append(
            f"recorded as held on {long_datetime(ctx.now)}, before the time invited "
            f"({long_datetime(invited)}): the invitation is cancelled in every calendar"
        )
    report(events, json_, lines + announce_raised(ctx, events) + announce_ended(ctx, events))


@app.command(name="withdraw")
def withdraw(
    agency: str, *, reason: str, as_: As, effective: str | None = None, json_: Json = False
) -> None:
    """Withdraw your agency from the Protocol by notice to the chairs (§42; a signatory)."""
    from tasks.withdrawals import withdraw_agency

    effective_on = _date(effective, "--effective")
    ctx = Context()
    with session_scope(ctx) as session:
        events = withdraw_agency(
            session, agency=agency, reason=reason, actor=as_, now=ctx.now, effective_on=effective_on
        )
    notice = _events_of(events, "withdrawal.noticed")[0].as_dict()
    lines = [
        f"{notice['withdrawal']}: {notice['agency']} has withdrawn"
        if _events_of(events, "withdrawal.completed")
        else f"{notice['withdrawal']}: {notice['agency']} has given notice of withdrawal, "
        f"effective {notice['effective_on']}"
    ]
    report(events, json_, lines + announce_raised(ctx, events) + announce_ended(ctx, events))


# --- audit ------------------------------------------------------------------------------------


def _printable(value: object) -> str:
    """Text from the log as one line: a control character shows as its escape, so no stored
    value can print a line that looks like another event."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))


@audit_app.command(name="log")
def audit_log(*, limit: int | None = None, json_: Json = False) -> None:
    """Print the audit log, oldest first (the newest --limit events)."""
    from tasks.audit import audit_events

    at_least("--limit", limit)
    ctx = Context()
    with session_scope(ctx) as session:
        rows = [
            {
                "seq": e.seq,
                "occurred_at": e.occurred_at.isoformat(),
                "actor": e.actor,
                "channel": e.channel,
                "os_user": e.os_user,
                "action": e.action,
                "outcome": e.outcome.value,
                "subject": e.subject_ref,
                "before": e.before,
                "after": e.after,
                "detail": e.detail,
                "hash": e.hash,
            }
            for e in audit_events(session, limit=limit)
        ]
    if json_:
        print(json.dumps(rows))
        return
    for row in rows:
        at = pendulum.parse(str(row["occurred_at"])).in_timezone("Europe/London")  # type: ignore[union-attr]
        extra = f"  ({_printable(row['detail'])})" if row["detail"] else ""
        via = f"{row['channel']}, os user {row['os_user']}" if row["os_user"] else row["channel"]
        print(
            f"#{row['seq']:<5} {at.to_datetime_string()}  {row['outcome']:<7} "
            f"{_printable(row['action']):<26} {_printable(row['subject'] or '-'):<22} "
            f"{_printable(row['actor'])} [{_printable(via)}]{extra}"
        )


@audit_app.command(name="verify")
def audit_verify(
    *,
    checkpoint: Annotated[
        str | None,
        Parameter(
            name="--checkpoint",
            help="A checkpoint file (one a chair kept), or `latest`; default: every checkpoint "
            "kept in ISA_CHECKPOINT_DIR.",
        ),
    ] = None,
    json_: Json = False,
) -> None:
    """Prove the audit log whole: the keyed chain, its head, the checkpoints published of it,
    and the register's state against a replay of the log. Fails naming the first problem."""
    from tasks.audit import checkpoints_to_check, verify_audit

    ctx = Context()
    against = checkpoints_to_check(checkpoint, ctx.settings.checkpoint_dir)
    with session_scope(ctx) as session:
        result = verify_audit(session, against)
    if json_:
        print(
            json.dumps(
                {
                    "verified": result.events,
                    "checkpoints": result.checkpoints,
                    "records": result.records,
                    "broken": result.broken,
                    "differences": [str(d) for d in result.differences],
                }
            )
        )
    if result.broken is not None:
        raise IsaError(result.broken)
    if not json_:
        latest = max((c.seq for _, c in against), default=None)
        kept = (
            f"extends {len(against)} checkpoint{'s' if len(against) != 1 else ''} "
            f"(the latest of event #{latest})"
            if against
            else "no checkpoint to check against yet (`isa audit checkpoint`)"
        )
        print(
            f"audit chain intact: {result.events} events verified, {kept}; "
            f"the register's {result.records} records match the log"
        )


@audit_app.command(name="checkpoint")
def audit_checkpoint(*, json_: Json = False) -> None:
    """Sign the audit log's head, keep it in ISA_CHECKPOINT_DIR and email it to the chairs (the
    daily `audit-checkpoint` deployment does this each morning)."""
    from notifications.delivery import deliver_outbox_sync
    from tasks.audit import save_checkpoint, take_checkpoint

    ctx = Context()
    with session_scope(ctx) as session:
        taken = take_checkpoint(session, actor=default_actor(None), now=ctx.now)
        path = save_checkpoint(taken, ctx.settings.checkpoint_dir)
        bind = session.get_bind()
        assert isinstance(bind, Engine)
        delivery = deliver_outbox_sync(bind, ctx.settings, ctx.now)
    if json_:
        print(json.dumps({**taken.as_dict(), "file": str(path), "sent": delivery.sent}))
        return
    print(f"checkpoint of audit event #{taken.seq} kept in {path}; emailed to the chairs")
    print(taken.to_json(), end="")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one line on stderr and exit 1 for anything refused or malformed."""
    try:
        app(
            list(argv) if argv is not None else None,
            exit_on_error=False,
            print_error=False,
            help_on_error=False,
            result_action="return_value",
        )
    except CycloptsError as exc:
        message = " ".join(str(exc).split())
        print(f"isa: error: {message}", file=sys.stderr)
        sys.exit(1)
    except IsaError as exc:
        print(f"isa: error: {exc}", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)


import isa.cli_flows  # noqa: E402
import isa.cli_mail  # noqa: E402, F401

if __name__ == "__main__":
    main()
