"""Finding the record a link is about by its reference, as the link stores it (the page views
and the moved-on checks of the table of link acts)."""

from typing import Protocol, TypeVar

from sqlmodel import Session, col, select

from models.errors import NotFound


class _Referenced(Protocol):
    reference: str


Record = TypeVar("Record", bound=_Referenced)


def find_record(session: Session, table: type[Record], reference: str) -> Record | None:
    """The record of this table with this reference, if it is in the register."""
    return session.exec(select(table).where(col(table.reference) == reference)).first()


def the_record(session: Session, table: type[Record], reference: str, what: str) -> Record:
    """The record of this table with this reference; NotFound ("no <what> 'REF'") if none."""
    found = find_record(session, table, reference)
    if found is None:
        raise NotFound(f"no {what} {reference!r}")
    return found
