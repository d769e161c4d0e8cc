"""The commands that only read the register: `isa agency list`, `isa contact list`, `isa
arrangement list|show|template`, `isa disposal list`, `isa decision list`, `isa onward list`,
`isa outbox list` and `isa audit log`.

People type these most, so they start lean: one connection through SQLAlchemy Core
(tasks/listings/), the database and clock read from ISA_DATABASE_URL and ISA_NOW alone, and
neither the ORM, pydantic nor Prefect loaded (tests/integration/test_cli_loading.py; the
figures in bench/cli_startup.py). So a listing checks only those two settings; a command that
changes the register goes through `isa.cli.common` instead, with every setting checked."""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import pendulum
from cyclopts import Parameter
from sqlalchemy import Connection

from core.db import DEFAULT_DATABASE_URL, check_connection, check_revision, make_engine
from isa.cli.apps import Json, at_least
from models.appendix_j_form import TEMPLATE
from models.enums import ArrangementStatus, OutboxStatus, SharingOutcome
from models.errors import InvalidInput
from tasks.listings import as_dicts
from tasks.listings.arrangements import (
    arrangement_detail,
    arrangement_version_detail,
    arrangement_version_list,
    arrangements,
    disposal_tasks,
)
from tasks.listings.matters import consents, incidents, onward_requests, quality_notices
from tasks.listings.outbox_and_audit import audit_rows, emails
from tasks.listings.register import agencies, contacts
from tasks.listings.requests import information_requests, sharing_decisions


@contextmanager
def reading() -> Iterator[Connection]:
    """One connection to the register at ISA_DATABASE_URL, refused in one line if the database
    cannot be reached or is not at this version's revision, or if ISA_NOW is set and is not a
    date-time (a rehearsal's clock is checked wherever it is set)."""
    if os.environ.get("ISA_NOW"):
        today()
    engine = make_engine(os.environ.get("ISA_DATABASE_URL", DEFAULT_DATABASE_URL))
    try:
        check_connection(engine)
        check_revision(engine)
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def today() -> date:
    """The command's date in Europe/London, from its one clock reading (ISA_NOW if set)."""
    from models.clocks import clock_reading, local_date  # only a listing by date needs them

    try:
        now = clock_reading(os.environ.get("ISA_NOW") or None)
    except ValueError as exc:
        raise InvalidInput(f"ISA_NOW: {exc}") from None
    return local_date(now)


def now_reading() -> Any:
    """The command's one clock reading, an instant in UTC (ISA_NOW if set)."""
    from models.clocks import clock_reading  # only a listing against a clock needs it

    try:
        return clock_reading(os.environ.get("ISA_NOW") or None)
    except ValueError as exc:
        raise InvalidInput(f"ISA_NOW: {exc}") from None


def printable(value: object) -> str:
    """Text from the register as one line: a control character shows as its escape, so no
    stored value can print a line that looks like another."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))


def _print_json(value: Any) -> None:
    print(json.dumps(value, default=str))


# --- agencies and contacts --------------------------------------------------------------------


def agency_list(*, json_: Json = False) -> None:
    """List the partner agencies and their membership status."""
    with reading() as conn:
        rows = as_dicts(agencies(conn))
    if json_:
        _print_json(rows)
        return
    for row in rows:
        print(
            f"{row['name']}  [{row['status']}]  ICO {row['ico_registration'] or '-'}  "
            f"{row['security_standard'] or '-'}  {row['nation'].replace('_', ' ')}"
        )


def contact_list(agency: str | None = None, *, json_: Json = False) -> None:
    """List the people at every agency, or at AGENCY, with their roles."""
    with reading() as conn:
        rows = as_dicts(contacts(conn, agency))
    if json_:
        _print_json(rows)
        return
    for row in rows:
        what = ", ".join(row["roles"]) or "staff member"
        left = " (left)" if row["left"] else ""
        print(f"{row['agency']}  {row['name']} <{row['email']}>  {what}{left}")


# --- arrangements -----------------------------------------------------------------------------


def arrangement_template() -> None:
    """Print a commented Appendix J form with every field, to fill in and draft from."""
    print(TEMPLATE, end="")


def arrangement_show(
    id: str,
    *,
    version: Annotated[
        int | None,
        Parameter(
            name="--version",
            help="Show this submitted version exactly as it was signed, with its hash.",
        ),
    ] = None,
    json_: Json = False,
) -> None:
    """Show an arrangement: parties, sign-offs of the current version, data, review date; or,
    with --version N, that version exactly as it was signed."""
    if version is not None:
        at_least("--version", version)
        _show_version(id, version, json_)
        return
    with reading() as conn:
        detail = arrangement_detail(conn, id)
    if json_:
        _print_json(detail)
        return
    print(f"{detail['reference']}  {detail['title']}")
    print(
        f"  status: {detail['status']}   version: {detail['version']}   "
        f"next review due: {detail['next_review_due'] or '-'}"
    )
    if detail["amendment"] in ("drafting", "awaiting_approval"):
        print(
            f"  in force: version {detail['in_force_version']}; amendment to version "
            f"{detail['version']} {detail['amendment'].replace('_', ' ')} (what follows is "
            "what is in force)"
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


def _sign_off_line(signed: dict[str, Any]) -> str:
    return (
        f"{signed['decision']} by {signed['signatory']} ({signed['agency']}) on "
        f"{signed['decided_at'][:10]}, hash {signed['content_hash']}"
    )


def _show_version(id: str, version: int, json_: bool) -> None:
    from models.versions import shown_fields

    with reading() as conn:
        shown = arrangement_version_detail(conn, id, version)
    if json_:
        _print_json(shown)
        return
    in_force = "  (in force)" if shown["in_force"] else ""
    print(f"{shown['reference']} version {shown['version']}{in_force}")
    print(f"  content hash: {shown['content_hash']}   template: {shown['template_version']}")
    print(f"  submitted {shown['submitted_at'][:10]} by {shown['submitted_by']}")
    for signed in shown["sign_offs"]:
        print(f"  {_sign_off_line(signed)}")
    for label, value in shown_fields(shown["content"]):
        lines = value.splitlines() or [""]
        print(f"  {label}: {printable(lines[0])}")
        for more in lines[1:]:
            print(f"    {printable(more)}")


def arrangement_versions(id: str, *, json_: Json = False) -> None:
    """List an arrangement's submitted versions: each one's content hash, whether it is in
    force, and who signed it."""
    with reading() as conn:
        rows = arrangement_version_list(conn, id)
    if json_:
        _print_json(rows)
        return
    for row in rows:
        state = "in force" if row["in_force"] else "-"
        print(f"{row['reference']} version {row['version']}  {state}  {row['content_hash']}")
        for signed in row["sign_offs"]:
            print(f"  {_sign_off_line(signed)}")
        if not row["sign_offs"]:
            print("  no sign-off yet")


def arrangement_list(*, status: ArrangementStatus | None = None, json_: Json = False) -> None:
    """List arrangements, optionally only those in one status."""
    with reading() as conn:
        rows = as_dicts(arrangements(conn, status.value if status else None))
    if json_:
        _print_json(rows)
        return
    for row in rows:
        print(
            f"{row['reference']}  {row['status']:<17} v{row['version']}  "
            f"review {row['next_review_due'] or '-':<10}  {row['title']}"
        )


# --- disposal ---------------------------------------------------------------------------------


def disposal_list(*, overdue: bool = False, json_: Json = False) -> None:
    """List disposal tasks, or only those past their due date and not confirmed."""
    overdue_on = today() if overdue else None
    with reading() as conn:
        rows = as_dicts(disposal_tasks(conn, overdue_on=overdue_on))
    if json_:
        _print_json(rows)
        return
    for row in rows:
        print(
            f"{row['task']}  {row['arrangement']}  due {row['due_on']}  {row['status']:<9} "
            f"{row['agency']}"
        )


# --- consent withdrawn ---------------------------------------------------------------------


CHASED = ("", "reminded", "reminded, DPO told", "chairs told")


def consent_list(
    *,
    open_: Annotated[
        bool, Parameter(name="--open", negative="", help="Only those not yet acknowledged.")
    ] = False,
    json_: Json = False,
) -> None:
    """List withdrawals of consent, each partner's notice and whether it has ceased processing."""
    with reading() as conn:
        rows = as_dicts(consents(conn, open_only=open_))
    if json_:
        _print_json(rows)
        return
    for row in rows:
        print(
            f"{row['consent']}  {row['status']:<6}  {row['agency']}, data subject "
            f"{row['data_subject_ref']}, raised {row['raised_at'][:10]} by {row['raised_by']}"
        )
        for notice in row["notices"]:
            chased = CHASED[notice["chased"]]
            print(
                f"  {notice['notice']}  {notice['status']:<12}  {notice['agency']}"
                + (f" (by {notice['acknowledged_by']})" if notice["acknowledged_by"] else "")
                + (f" [{chased}]" if chased and notice["status"] == "pending" else "")
            )


def quality_list(
    *,
    open_: Annotated[
        bool, Parameter(name="--open", negative="", help="Only those not yet corrected.")
    ] = False,
    json_: Json = False,
) -> None:
    """List data quality notices: who found what, whose data it is, and its correction."""
    with reading() as conn:
        rows = as_dicts(quality_notices(conn, open_only=open_))
    if json_:
        _print_json(rows)
        return
    for row in rows:
        chased = CHASED[row["chased"]]
        print(
            f"{row['notice']}  {row['status']:<9}  {row['arrangement']}  owner {row['owner']}, "
            f"found by {row['reporter']} on {row['reported_at'][:10]}"
            + (f" [{chased}]" if chased and row["status"] == "open" else "")
        )
        print(f"  found: {row['what']}")
        if row["correction"]:
            print(f"  corrected by {row['corrected_by']}: {row['correction']}")


# --- information requests --------------------------------------------------------------------


def request_list(
    *,
    open_: Annotated[
        bool, Parameter(name="--open", negative="", help="Only those with no outcome yet.")
    ] = False,
    json_: Json = False,
) -> None:
    """List FOI and subject access requests: their due dates (working days left, or days overdue,
    at ISA_NOW), the originators consulted and their replies, and the outcome."""
    # the working days left need the bank holidays: only this listing loads them
    from models.clocks import days_overdue, parse_date, working_days_left
    from models.enums import Nation

    as_of = today()
    with reading() as conn:
        rows = as_dicts(information_requests(conn, open_only=open_))
    for row in rows:
        due = parse_date(row["due_on"])
        row["as_of"] = as_of.isoformat()
        row["working_days_left"] = (
            working_days_left(as_of, due, Nation(row["nation"])) if as_of <= due else None
        )
        row["days_overdue"] = (
            days_overdue(due, parse_date(as_of.isoformat())) if row["status"] == "open" else 0
        )
    if json_:
        _print_json(rows)
        return
    for row in rows:
        if row["status"] == "open":
            when = (
                f"overdue {row['days_overdue']} day{'s' if row['days_overdue'] != 1 else ''}"
                if row["days_overdue"]
                else f"{row['working_days_left']} working days left"
            )
        else:
            when = (
                f"answered {row['closed_at'][:10]}: {row['outcome'].replace('_', ' ')}, "
                + ("within" if row["within_due"] else "after")
                + " the due date"
            )
        print(
            f"{row['request']}  {row['status']:<6}  {row['agency']} {row['kind']} "
            f"{printable(row['their_ref'])}, received {row['received_on']}, due "
            f"{row['due_on']} ({when})"
        )
        print(f"  asked for: {printable(row['summary'])}")
        for held in row["consultations"]:
            if held["status"] == "replied":
                said = "objects" if held["objection"] == "objects" else "no objection"
                reply = f"replied: {said} ({printable(held['comments'])})"
            elif held["status"] == "lapsed":
                reply = "no reply before the request was answered"
            else:
                reply = f"awaiting, reply by {held['reply_by']}"
            print(f"  {held['consultation']}  {held['agency']}: {reply}")
        if row["outcome_note"]:
            print(f"  note: {printable(row['outcome_note'])}")


def decision_list(
    *,
    outcome: Annotated[
        str | None, Parameter(name="--outcome", help="Only share, partial or refuse.")
    ] = None,
    json_: Json = False,
) -> None:
    """List sharing decisions (§9, §19): who decided what on whose request, and why."""
    if outcome is not None and outcome not in {o.value for o in SharingOutcome}:
        choices = ", ".join(o.value for o in SharingOutcome)
        raise InvalidInput(f"--outcome must be one of {choices}, not {outcome!r}")
    with reading() as conn:
        rows = as_dicts(sharing_decisions(conn, outcome=outcome))
    if json_:
        _print_json(rows)
        return
    for row in rows:
        print(
            f"{row['decision']}  {row['outcome']:<7}  {row['arrangement']}  {row['agency']} "
            f"to {row['requester']}, by {row['decided_by']} on {row['decided_at'][:10]}"
        )
        print(f"  data: {row['data']}")
        print(f"  reasoning: {row['reasoning']}")


def onward_list(
    *,
    open_: Annotated[
        bool, Parameter(name="--open", negative="", help="Only those not yet answered.")
    ] = False,
    json_: Json = False,
) -> None:
    """List requests to share data onward with a third party (§11, §15) and their answers."""
    with reading() as conn:
        rows = as_dicts(onward_requests(conn, open_only=open_))
    if json_:
        _print_json(rows)
        return
    for row in rows:
        chased = CHASED[row["chased"]]
        print(
            f"{row['request']}  {row['status']:<9}  {row['arrangement']}  {row['requester']} "
            f"asks {row['owner']} on {row['requested_at'][:10]}"
            + (f" [{chased}]" if chased and row["status"] == "open" else "")
        )
        print(f"  to: {row['third_party']}; data: {row['data']}")
        if row["answered_by"]:
            print(f"  {row['status']} by {row['answered_by']}: {row['reason']}")


def incident_list(
    *,
    open_: Annotated[
        bool, Parameter(name="--open", negative="", help="Only those not yet decided.")
    ] = False,
    json_: Json = False,
) -> None:
    """List security incidents: who reported what, hours since awareness against the 72 to
    report to the ICO, the decision and its reason, and the originator's acknowledgement."""
    now = now_reading()
    with reading() as conn:
        rows = as_dicts(incidents(conn, now=now, open_only=open_))
    if json_:
        _print_json(rows)
        return
    for row in rows:
        if row["status"] == "decided":
            told = "reported to the ICO" if row["notify_regulator"] else "not reported to the ICO"
            late = "" if row["decided_in_time"] else ", late"
            clock = f"decided at {row['hours_since_aware']} h of 72{late}: {told}"
        else:
            over = " OVERDUE" if row["hours_since_aware"] >= 72 else ""
            clock = f"{row['hours_since_aware']} h of 72 since awareness, undecided{over}"
        print(
            f"{row['incident']}  {row['arrangement']}  at {printable(row['agency'])}, originator "
            f"{printable(row['originator'])}, aware {row['aware_at'][:16]} UTC  [{clock}]"
        )
        print(f"  what: {printable(row['what'])}")
        if row["suspension"]:
            print(f"  {printable(row['agency'])} suspended with it: {row['suspension']}")
        if row["decision_reason"]:
            print(f"  decided by {row['decided_by']}: {printable(row['decision_reason'])}")
        acknowledged = (
            f"acknowledged by {row['acknowledged_by']} on {row['acknowledged_at'][:16]} UTC"
            if row["acknowledged_by"]
            else "not acknowledged by the originator"
        )
        print(f"  {acknowledged}")


# --- the outbox -------------------------------------------------------------------------------


def outbox_list(
    *,
    status: OutboxStatus | None = None,
    limit: Annotated[int, Parameter(help="How many, newest first.")] = 50,
    json_: Json = False,
) -> None:
    """List queued emails, newest first: status, attempts, the last error or the SMTP reply."""
    at_least("--limit", limit)
    with reading() as conn:
        found, total = emails(conn, status=status.value if status else None, limit=limit)
        rows = as_dicts(found)
    if json_:
        _print_json(rows)
        return
    for row in rows:
        when = row["sent_at"] or f"due {row['next_attempt_at']}"
        note = row["last_error"] if row["status"] != "sent" else row["smtp_reply"]
        print(
            f"#{row['id']:<6} {row['status']:<9} {row['attempts']} tries  {when}  {row['event']}  "
            f"{row['recipient']}  {row['subject']!r}" + (f"  ({note})" if note else "")
        )
    if total > len(rows):
        print(f"showing the newest {len(rows)} of {total} emails; --limit N shows more")


# --- the audit log ----------------------------------------------------------------------------


def _evidence(evidence: dict[str, object]) -> str:
    """The web's evidence in one line: link, client, user agent, typed name, hash shown."""
    words = {
        "way_in": "by",
        "link": "link",
        "client": "from",
        "user_agent": "agent",
        "typed_name": "typed",
        "content_hash": "hash shown",
    }
    return "; ".join(
        f"{label} {evidence[key]!r}"
        if key in ("typed_name", "user_agent")
        else f"{label} {evidence[key]}"
        for key, label in words.items()
        if evidence.get(key) not in (None, "")
    )


def audit_log(*, limit: int | None = None, json_: Json = False) -> None:
    """Print the audit log, oldest first (the newest --limit events)."""
    at_least("--limit", limit)
    with reading() as conn:
        rows = audit_rows(conn, limit=limit)
    if json_:
        _print_json(rows)
        return
    for row in rows:
        at = pendulum.parse(str(row["occurred_at"])).in_timezone("Europe/London")  # type: ignore[union-attr]
        extra = f"  ({printable(row['detail'])})" if row["detail"] else ""
        evidence = row["evidence"]
        if isinstance(evidence, dict) and evidence:
            extra += "  {" + printable(_evidence(evidence)) + "}"
        via = f"{row['channel']}, os user {row['os_user']}" if row["os_user"] else row["channel"]
        print(
            f"#{row['seq']:<5} {at.to_datetime_string()}  {row['outcome']:<7} "
            f"{printable(row['action']):<26} {printable(row['subject'] or '-'):<22} "
            f"{printable(row['actor'])} [{printable(via)}]{extra}"
        )
