"""Read-only views of the register for people: who has signed an arrangement's current version."""

from sqlmodel import Session, col, select

from models.tables import Arrangement, Contact, SignOff


def sign_offs(
    session: Session, arrangement: Arrangement
) -> dict[int | None, tuple[SignOff, Contact]]:
    """The sign-offs of the arrangement's current version, by agency id, with who decided."""
    return {
        s.agency_id: (s, c)
        for s, c in session.exec(
            select(SignOff, Contact)
            .join(Contact, col(Contact.id) == SignOff.contact_id)
            .where(SignOff.arrangement_id == arrangement.id)
            .where(SignOff.version == arrangement.version)
        ).all()
    }
