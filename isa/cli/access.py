"""`isa training`, `isa access`, `isa staff`: staff training, need-to-know access to shared data
and its re-attestation, and leavers (§10, §12)."""

from isa.cli.apps import As, Json, OptionalAs
from isa.cli.common import act, default_actor, option_date, report
from tasks.protocol.access import (
    attest_access,
    grant_access,
    mark_leaver,
    record_training,
    revoke_access,
)

# --- training, access, staff ---


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
    completed_on = option_date(completed, "--completed")
    expires_on = option_date(expires, "--expires")
    assert completed_on is not None
    _ctx, events = act(
        record_training,
        email=email,
        course=course,
        completed_on=completed_on,
        expires_on=expires_on,
        actor=default_actor(as_),
    )
    report(events, json_, [f"training recorded for {email.strip().lower()}: {course}"])


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
    expires_on = option_date(expires, "--expires")
    _ctx, events = act(
        grant_access,
        arrangement=arrangement,
        email=email,
        justification=justification,
        expires_on=expires_on,
        actor=as_,
    )
    grant = events[0].as_dict()["grant"]
    report(events, json_, [f"granted {grant}: {email.strip().lower()} on {arrangement.upper()}"])


def access_revoke(grant: str, *, reason: str, as_: As, json_: Json = False) -> None:
    """Revoke an access grant, with the reason."""
    _ctx, events = act(revoke_access, grant=grant, reason=reason, actor=as_)
    report(events, json_, [f"revoked {grant.upper()}"])


def access_attest(grant: str, *, as_: As, json_: Json = False) -> None:
    """Confirm a grant is still needed (the point of contact of the staff member's agency)."""
    _ctx, events = act(attest_access, grant=grant, actor=as_)
    report(events, json_, [f"need to know for {grant.upper()} attested"])


def staff_leaver(email: str, *, as_: As, json_: Json = False) -> None:
    """Record that a staff member has left; the access sweep revokes their access."""
    _ctx, events = act(mark_leaver, email=email, actor=as_)
    report(
        events,
        json_,
        [f"{email.strip().lower()} recorded as a leaver: the access sweep revokes their access"],
    )
