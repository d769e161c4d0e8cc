"""The sample register `isa up` loads into an empty database, on SQLite and PostgreSQL."""

import pendulum
from sqlmodel import Session, select

from models.tables import Agency
from tasks.sample import is_empty, load_sample_register


def test_each_sample_agency_has_its_own_ico_registration(
    session: Session, now: pendulum.DateTime
) -> None:
    assert is_empty(session)
    load_sample_register(session, now=now)
    registrations = session.exec(select(Agency.ico_registration)).all()
    assert len(registrations) >= 4
    assert len(set(registrations)) == len(registrations), registrations
