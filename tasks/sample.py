"""A clearly labelled sample register that `isa up` loads into an empty database, so a new user
sees runs, artifacts and emails within a minute: agencies, contacts, chairs, and arrangements at
different stages, with reviews and sign-offs coming due. Built through the real use cases."""

from typing import Any

import pendulum
from sqlmodel import Session, select

from models.appendix_j import ArrangementDraft, template_with
from models.enums import ContactRole, ReviewOutcome, SecurityStandard
from models.tables import Agency
from tasks.protocol.access import grant_access, mark_leaver, record_training
from tasks.protocol.approvals import approve_arrangement
from tasks.protocol.arrangements import draft_arrangement, submit_arrangement
from tasks.protocol.register import add_chair, add_contact, register_agency
from tasks.protocol.reviews import complete_review

LOADER = "system:sample-loader"
PREFIX = "Sample: "
AGENCIES = {
    "council": (f"{PREFIX}Northshire County Council", SecurityStandard.ISO27001),
    "trust": (f"{PREFIX}Northshire NHS Trust", SecurityStandard.DSPT),
    "police": (f"{PREFIX}Northshire Police", SecurityStandard.ISO27001),
    "schools": (f"{PREFIX}Northshire Schools Partnership", SecurityStandard.OTHER),
}
ROLES = {
    "signatory": ContactRole.SIGNATORY,
    "ig": ContactRole.NOMINATED_REPRESENTATIVE,
    "contact": ContactRole.POINT_OF_CONTACT,
    "dpo": ContactRole.DPO,
}


def email(agency: str, who: str) -> str:
    return f"{who}@{agency}.sample.example"


def is_empty(session: Session) -> bool:
    return session.exec(select(Agency.id).limit(1)).first() is None


def _form(title: str, parties: list[tuple[str, str]], **changes: Any) -> ArrangementDraft:
    return template_with(
        "sample register",
        title=f"{PREFIX}{title}",
        parties=[{"agency": AGENCIES[a][0], "role": role} for a, role in parties],
        **changes,
    )


def load_sample_register(session: Session, *, now: pendulum.DateTime) -> list[str]:
    """Load the sample register; returns the references of its arrangements."""
    at = now.subtract(years=2)
    for number, (key, (name, standard)) in enumerate(AGENCIES.items(), start=1):
        register_agency(
            session,
            name=name,
            ico_registration=f"ZS{number:06d}",
            security_standard=standard,
            actor=LOADER,
            now=at,
        )
        for who, role in ROLES.items():
            add_contact(
                session,
                agency=name,
                email=email(key, who),
                name=f"{who.title()} ({name.removeprefix(PREFIX)})",
                roles=[role],
                actor=LOADER,
                now=at,
            )
        add_contact(
            session,
            agency=name,
            email=email(key, "caseworker"),
            name=f"Caseworker ({name.removeprefix(PREFIX)})",
            roles=[],
            actor=LOADER,
            now=at,
        )
    add_chair(
        session,
        email="chair@monitoring-group.sample.example",
        name="Sample Chair",
        actor=LOADER,
        now=at,
    )
    add_chair(
        session,
        email="vice-chair@monitoring-group.sample.example",
        name="Sample Vice-Chair",
        actor=LOADER,
        now=at,
    )

    def arrange(
        title: str,
        parties: list[tuple[str, str]],
        activated: pendulum.DateTime | None,
        submitted: pendulum.DateTime | None = None,
        approvers: list[str] | None = None,
        **changes: Any,
    ) -> str:
        drafted_at = (activated or submitted or now).subtract(days=10)
        lead = parties[0][0]
        events = draft_arrangement(
            session,
            draft=_form(title, parties, **changes),
            actor=email(lead, "contact"),
            now=drafted_at,
        )
        ref = str(events[0].as_dict()["arrangement"])
        if activated is None and submitted is None:
            return ref
        submit_at = submitted or (activated or now).subtract(days=2)
        submit_arrangement(session, reference=ref, actor=email(lead, "contact"), now=submit_at)
        for agency in approvers if approvers is not None else [a for a, _ in parties]:
            approve_arrangement(
                session,
                reference=ref,
                actor=email(agency, "signatory"),
                now=activated or submitted or now,
            )
        return ref

    year_ago = now.subtract(years=1)
    refs = [
        # review due in 7 days: the sweep sends the 7-day reminder
        arrange(
            "Early help referrals",
            [("council", "discloser"), ("trust", "recipient")],
            activated=year_ago.add(days=7),
        ),
        # review due today: the sweep opens it
        arrange(
            "Domestic abuse MARAC information",
            [("police", "discloser"), ("council", "recipient"), ("trust", "recipient")],
            activated=year_ago,
        ),
        # review 40 days overdue: opened and escalated to the chairs
        arrange(
            "School attendance data",
            [("schools", "discloser"), ("council", "recipient")],
            activated=year_ago.subtract(days=40),
        ),
        # reviewed six-monthly, due in 30 days: the 30-day reminder
        arrange(
            "Missing children notifications",
            [("police", "both"), ("council", "both")],
            activated=now.subtract(months=6).add(days=30),
            review_interval_months=6,
        ),
        # submitted 8 days ago, the trust has not signed: the day-7 reminder
        arrange(
            "Hospital discharge planning",
            [("trust", "discloser"), ("council", "recipient")],
            activated=None,
            submitted=now.subtract(days=8),
            approvers=["council"],
        ),
        # a draft still missing its lawful basis (§6): it cannot be submitted yet
        arrange(
            "Youth offending referrals (draft)",
            [("police", "discloser"), ("schools", "recipient")],
            activated=None,
            lawful_basis=None,
        ),
    ]
    # a three-month pilot whose review, due today, ended it, its data kept no longer: the first
    # disposal sweep makes the recipient's disposal task, due today
    ended = arrange(
        "Holiday activities pilot (ended)",
        [("council", "discloser"), ("schools", "recipient")],
        activated=now.subtract(months=3),
        review_interval_months=3,
        retention={
            "period_months": 0,
            "rule": "Destroy when the pilot ends",
            "disposal_method": "Secure deletion; paper cross-cut shredded",
        },
    )
    complete_review(
        session,
        reference=ended,
        outcome=ReviewOutcome.TERMINATE,
        actor=email("council", "signatory"),
        now=now,
    )
    refs.append(ended)
    _grant_sample_access(session, refs[0], now)
    return refs


def _grant_sample_access(session: Session, ref: str, now: pendulum.DateTime) -> None:
    today = now.in_timezone("Europe/London").date()
    staff = email("trust", "caseworker")
    record_training(
        session,
        email=staff,
        course="Protocol e-learning (§38)",
        completed_on=today.subtract(months=11),
        expires_on=today.add(months=1),
        actor=LOADER,
        now=now,
    )
    grant_access(
        session,
        arrangement=ref,
        email=staff,
        justification="Early help caseworker for the families referred",
        expires_on=today.add(days=3),
        actor=email("trust", "ig"),
        now=now,
    )
    # a caseworker who has since left: the first access sweep revokes their access
    leaver = email("trust", "former-caseworker")
    add_contact(
        session,
        agency=AGENCIES["trust"][0],
        email=leaver,
        name="Former caseworker (Northshire NHS Trust)",
        roles=[],
        actor=LOADER,
        now=now,
    )
    record_training(
        session,
        email=leaver,
        course="Protocol e-learning (§38)",
        completed_on=today.subtract(months=2),
        expires_on=today.add(months=10),
        actor=LOADER,
        now=now,
    )
    grant_access(
        session,
        arrangement=ref,
        email=leaver,
        justification="Early help caseworker",
        expires_on=None,
        actor=email("trust", "ig"),
        now=now,
    )
    mark_leaver(session, email=leaver, actor=email("trust", "contact"), now=now)
