"""A busy register written in bulk, for the concurrency tests: on its sweep day every phase of the
review, access and disposal sweeps has work. Too large to build through the use cases in a test's
time, so it is inserted directly (setup, not behaviour under test), in the shape the use cases
leave behind."""

from collections.abc import Callable
from typing import Any

import pendulum
from sqlalchemy import Engine, insert

from models.clocks import consultation_chase_rung, request_reminder_rung
from models.enums import ContactRole, Nation
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    Chair,
    ConsentNotice,
    ConsentWithdrawal,
    Contact,
    ContactRoleAssignment,
    DataQualityNotice,
    DisposalTask,
    InformationRequest,
    OnwardRequest,
    RequestConsultation,
    Review,
    SecurityIncident,
    Suspension,
    TrainingRecord,
    Withdrawal,
)

DAY = pendulum.date(2027, 6, 1)
# 07:00 in London on the sweep day, when the review sweep's schedule runs it
NOW = pendulum.datetime(2027, 6, 1, 7, tz="Europe/London").in_timezone("UTC")
AGENCIES = 12
ROLES = (
    ContactRole.SIGNATORY,
    ContactRole.POINT_OF_CONTACT,
    ContactRole.NOMINATED_REPRESENTATIVE,
    ContactRole.DPO,
)

# What each arrangement is on the sweep day, and so which phase it gives work to.
KINDS: dict[str, Callable[[pendulum.Date], dict[str, Any]]] = {
    "sign-off reminder": lambda d: {"status": "awaiting_approval", "submitted": d.subtract(days=8)},
    "sign-off escalation": lambda d: {
        "status": "awaiting_approval",
        "submitted": d.subtract(days=15),
    },
    "90-day reminder": lambda d: {"status": "active", "due": d.add(days=80), "rung": None},
    "30-day reminder": lambda d: {"status": "active", "due": d.add(days=25), "rung": 90},
    "7-day reminder": lambda d: {"status": "active", "due": d.add(days=5), "rung": 30},
    "review opens": lambda d: {"status": "active", "due": d, "rung": 7},
    "overdue": lambda d: {"status": "under_review", "due": d.subtract(days=10), "escalation": 0},
    "overdue to the chairs": lambda d: {
        "status": "under_review",
        "due": d.subtract(days=40),
        "escalation": 1,
    },
    "lapses": lambda d: {"status": "under_review", "due": d.subtract(days=100), "escalation": 2},
    "ended, disposal to schedule": lambda d: {"status": "terminated"},
    "disposal reminder": lambda d: {"status": "disposal_pending", "task_due": d.add(days=20)},
    "disposal overdue": lambda d: {"status": "disposal_pending", "task_due": d.subtract(days=5)},
    "disposal to the chairs": lambda d: {
        "status": "disposal_pending",
        "task_due": d.subtract(days=40),
        "task_escalation": 1,
    },
}


def _morning(day: pendulum.Date) -> pendulum.DateTime:
    return pendulum.datetime(day.year, day.month, day.day, 9, tz="Europe/London").in_timezone("UTC")


# when the notices the deadline sweep chases were sent (the sweep day is Tuesday 1 June 2027;
# Monday 31 May is a bank holiday): owed a reminder, a second reminder (the DPO told), the chairs
CHASED_FROM = (
    (pendulum.date(2027, 5, 26), 0),
    (pendulum.date(2027, 5, 19), 1),
    (pendulum.date(2027, 5, 10), 2),
)


def _notices_to_chase(rows: dict[Any, list[dict[str, Any]]]) -> None:
    """On three active arrangements, a withdrawn consent's notice to the recipient, a data
    quality notice and a request to share data onward from it to the discloser, an information
    request the recipient received with its consultation of the discloser, and a security
    incident at the recipient undecided past its 72 hours and unacknowledged by the discloser,
    one at each rung of the chase."""
    active = [a["id"] for a in rows[Arrangement] if a["status"] == "active"][: len(CHASED_FROM)]
    for n, (number, (sent, chased)) in enumerate(zip(active, CHASED_FROM, strict=True), 1):
        roles = {
            p["role"]: p["agency_id"]
            for p in rows[ArrangementParty]
            if p["arrangement_id"] == number
        }
        discloser, recipient = roles["discloser"], roles["recipient"]
        at, ref = _morning(sent), f"ISA-2026-{number:05d}"
        rows[ConsentWithdrawal].append(
            {
                "id": n,
                "reference": f"CON-2027-{n:04d}",
                "agency_id": discloser,
                "subject_ref": f"BUSY/{n}",
                "arrangements": [ref],
                "raised_by": f"nominated.representative@agency{discloser}.example",
                "raised_at": at,
            }
        )
        rows[ConsentNotice].append(
            {
                "reference": f"CPN-2027-{n:04d}",
                "consent_id": n,
                "agency_id": recipient,
                "status": "pending",
                "notified_at": at,
                "chased": chased,
            }
        )
        rows[DataQualityNotice].append(
            {
                "reference": f"DQN-2027-{n:04d}",
                "arrangement_id": number,
                "reporter_id": recipient,
                "owner_id": discloser,
                "what": f"Record BUSY-{n}: the date of birth is missing",
                "reported_by": f"point.of.contact@agency{recipient}.example",
                "reported_at": at,
                "status": "open",
                "chased": chased,
            }
        )
        rows[OnwardRequest].append(
            {
                "reference": f"OSR-2027-{n:04d}",
                "arrangement_id": number,
                "requester_id": recipient,
                "owner_id": discloser,
                "third_party": f"Busy advocacy service {n}",
                "data": f"Record BUSY-{n}: referral dates",
                "purpose": "Advocacy",
                "requested_by": f"nominated.representative@agency{recipient}.example",
                "requested_at": at,
                "status": "open",
                "chased": chased,
            }
        )
        rows[SecurityIncident].append(
            {
                "reference": f"INC-2027-{n:04d}",
                "arrangement_id": number,
                "agency_id": recipient,
                "originator_id": discloser,
                "what": f"Record BUSY-{n}: sent to the wrong address",
                "aware_at": at.subtract(hours=1),
                "reported_by": f"point.of.contact@agency{recipient}.example",
                "reported_at": at,
                "status": "reported",
                # days past its 72 hours: owed the overdue rung whichever reminder it last had
                "chased": chased,
                "acknowledgement_chased": chased,
            }
        )
        due = _owing(lambda on: request_reminder_rung(on, DAY, Nation.ENGLAND_AND_WALES), n)
        rows[InformationRequest].append(
            {
                "id": n,
                "reference": f"IRQ-2027-{n:04d}",
                "agency_id": recipient,
                "kind": "foi",
                "their_ref": f"FOI/BUSY/{n}",
                "received_on": due.subtract(days=28),
                "due_on": due,
                "arrangements": [ref],
                "summary": f"Referral dates under {ref}",
                "recorded_by": f"point.of.contact@agency{recipient}.example",
                "recorded_at": _morning(due.subtract(days=28)),
                "status": "open",
                "reminded": n - 1,
            }
        )
        # a consultation owed its first or its second chase (the ladder has two rungs)
        rung = 2 - n % 2
        rows[RequestConsultation].append(
            {
                "reference": f"IRC-2027-{n:04d}",
                "request_id": n,
                "agency_id": discloser,
                "sent_at": _morning(due.subtract(days=28)),
                "reply_by": _owing(
                    lambda on: consultation_chase_rung(on, DAY, Nation.ENGLAND_AND_WALES),
                    rung,
                ),
                "status": "awaiting",
                "chased": rung - 1,
            }
        )


def _owing(rung_on: Callable[[pendulum.Date], int], rung: int) -> pendulum.Date:
    """The date nearest the sweep day on which `rung_on` owes `rung`: found through the clock
    itself, so the register keeps up with its working days and holidays."""
    for offset in range(60):
        for on in (DAY.add(days=offset), DAY.subtract(days=offset)):
            if rung_on(on) == rung:
                return on
    raise AssertionError(f"no date within 60 days of {DAY} owes rung {rung}")


def build_busy_register(engine: Engine, *, per_kind: int) -> dict[str, int]:
    """`per_kind` arrangements of every kind, their parties, reviews, disposal tasks, and staff
    with access to the active ones (a third expired, a third due to be re-attested, their
    training lapsing soon). Returns how many of each row were written."""
    rows: dict[Any, list[dict[str, Any]]] = {
        table: []
        for table in (
            Agency,
            Contact,
            ContactRoleAssignment,
            Chair,
            Arrangement,
            ArrangementParty,
            Review,
            DisposalTask,
            AccessGrant,
            TrainingRecord,
            Suspension,
            Withdrawal,
            ConsentWithdrawal,
            ConsentNotice,
            DataQualityNotice,
            OnwardRequest,
            InformationRequest,
            RequestConsultation,
            SecurityIncident,
        )
    }
    at = NOW.subtract(years=1)
    for agency in range(1, AGENCIES + 1):
        rows[Agency].append(
            {
                "id": agency,
                "name": f"Agency {agency}",
                "name_key": f"agency {agency}",
                "status": "member",
                "created_at": at,
            }
        )
        for offset, role in enumerate(ROLES):
            contact = agency * 10 + offset
            rows[Contact].append(
                {
                    "id": contact,
                    "agency_id": agency,
                    "email": f"{role.value.replace('_', '.')}@agency{agency}.example",
                    "name": f"{role.value.replace('_', ' ').title()} {agency}",
                    "created_at": at,
                }
            )
            rows[ContactRoleAssignment].append({"contact_id": contact, "role": role.value})
    rows[Chair].append({"email": "chair@group.example", "name": "Chris Chair", "created_at": at})
    # three more agencies, party to nothing, for the deadline sweep: one suspended a week ago
    # (remind the chairs), one two weeks ago (escalate), one whose withdrawal takes effect today
    for offset, (status, raised_days) in enumerate(
        (("suspended", 8), ("suspended", 15), ("member", None)), start=1
    ):
        agency = AGENCIES + offset
        rows[Agency].append(
            {
                "id": agency,
                "name": f"Agency {agency}",
                "name_key": f"agency {agency}",
                "status": status,
                "created_at": at,
            }
        )
        if raised_days is not None:
            raised = _morning(DAY.subtract(days=raised_days))
            rows[Suspension].append(
                {
                    "reference": f"SUS-2027-{offset:04d}",
                    "agency_id": agency,
                    "reason": "Laptop stolen",
                    "raised_by": f"signatory@agency{agency}.example",
                    "raised_at": raised,
                    "meeting_deadline": raised.add(days=14),
                    "ends_at": raised.add(days=30),
                    "status": "raised",
                }
            )
        else:
            rows[Withdrawal].append(
                {
                    "reference": "WDR-2027-0001",
                    "agency_id": agency,
                    "reason": "Merging",
                    "raised_by": f"signatory@agency{agency}.example",
                    "noticed_at": _morning(DAY.subtract(days=20)),
                    "effective_on": DAY,
                    "status": "notified",
                }
            )
    staff = 0
    number = 0
    for kind, shape in KINDS.items():
        for _ in range(per_kind):
            number += 1
            spec = shape(DAY)
            discloser, recipient = number % AGENCIES + 1, (number * 5 + 3) % AGENCIES + 1
            if discloser == recipient:
                recipient = recipient % AGENCIES + 1
            status = spec["status"]
            ended = status in ("terminated", "disposal_pending")
            rows[Arrangement].append(
                {
                    "id": number,
                    "reference": f"ISA-2026-{number:05d}",
                    "title": f"{kind.capitalize()} {number}",
                    "purposes": ["Early help"],
                    "lawful_basis": "Public task",
                    "retention_months": 0,
                    "retention_rule": "Destroy when the arrangement ends",
                    "disposal_method": "Secure deletion",
                    "review_interval_months": 12,
                    "version": 1,
                    "status": status,
                    "next_review_due": spec.get("due", DAY.add(months=6)),
                    "drafted_by": f"point.of.contact@agency{discloser}.example",
                    "created_at": at,
                    "updated_at": at,
                    "submitted_at": _morning(spec["submitted"]) if "submitted" in spec else at,
                    "approval_chase": 0,
                    "activated_at": None if "submitted" in spec else at,
                    "ended_at": NOW.subtract(days=60) if ended else None,
                }
            )
            for agency, role in ((discloser, "discloser"), (recipient, "recipient")):
                rows[ArrangementParty].append(
                    {"arrangement_id": number, "agency_id": agency, "role": role}
                )
            if "due" in spec:
                opened = status == "under_review"
                rows[Review].append(
                    {
                        "arrangement_id": number,
                        "due_on": spec["due"],
                        "status": "open" if opened else "scheduled",
                        "opened_at": _morning(spec["due"]) if opened else None,
                        "reminded_rung": 0 if opened else spec.get("rung"),
                        "escalation": spec.get("escalation", 0),
                    }
                )
            if "task_due" in spec:
                rows[DisposalTask].append(
                    {
                        "reference": f"DSP-2026-{number:05d}",
                        "arrangement_id": number,
                        "agency_id": recipient,
                        "due_on": spec["task_due"],
                        "method": "Secure deletion",
                        "status": "pending",
                        "reminded_rung": 7 if spec["task_due"] < DAY else None,
                        "escalation": spec.get("task_escalation", 0),
                        "created_at": NOW.subtract(days=60),
                    }
                )
            if status == "active":
                staff += 1
                contact = 10_000 + staff
                rows[Contact].append(
                    {
                        "id": contact,
                        "agency_id": recipient,
                        "email": f"staff{staff}@agency{recipient}.example",
                        "name": f"Staff member {staff}",
                        "created_at": at,
                    }
                )
                rows[TrainingRecord].append(
                    {
                        "contact_id": contact,
                        "course": "Protocol e-learning",
                        "completed_on": DAY.subtract(days=300),
                        "expires_on": DAY.add(days=10 if staff % 2 else 200),
                        "recorded_at": at,
                        "expiry_reminded": False,
                    }
                )
                # a third expired, a third due to be re-attested within 14 days, a third fine
                third = staff % 3
                rows[AccessGrant].append(
                    {
                        "reference": f"GRT-2026-{staff:05d}",
                        "arrangement_id": number,
                        "contact_id": contact,
                        "agency_id": recipient,
                        "justification": "Case worker",
                        "status": "active",
                        "granted_at": at,
                        "granted_by": f"point.of.contact@agency{recipient}.example",
                        "expires_on": DAY.subtract(days=1) if third == 0 else None,
                        # re-attestation falls due 7 days after the sweep day, or is months away
                        "attested_at": _morning(
                            DAY.subtract(months=6).add(days=7)
                            if third == 1
                            else DAY.subtract(days=30)
                        ),
                    }
                )
    _notices_to_chase(rows)
    with engine.begin() as conn:
        for table, batch in rows.items():
            if batch:
                conn.execute(insert(table.__table__), batch)
    return {table.__tablename__: len(batch) for table, batch in rows.items()}
