"""The listings read the register through SQLAlchemy Core over columns they name themselves
(tasks/listings.py); each named column must be one of models/tables.py, with the type that
turns what is stored into what the ORM reads (UTC instants, dates, JSON, booleans)."""

from sqlalchemy import JSON, Boolean, Date
from sqlalchemy.sql.sqltypes import NullType

from models.tables import metadata
from models.types import UTCDateTime
from notifications import tables as _outbox_tables  # noqa: F401  (the outbox's table)
from tasks.listings import TABLES

CONVERTED = (UTCDateTime, Date, JSON, Boolean)


def _kind(column_type: object) -> type | None:
    return next((kind for kind in CONVERTED if isinstance(column_type, kind)), None)


def test_every_column_a_listing_reads_is_in_the_register_with_its_conversion() -> None:
    problems = []
    for light in TABLES:
        real = metadata.tables.get(light.name)
        if real is None:
            problems.append(f"{light.name}: no such table")
            continue
        for column in light.columns:
            if column.name not in real.columns:
                problems.append(f"{light.name}.{column.name}: no such column")
                continue
            wanted = _kind(real.columns[column.name].type)
            got = _kind(column.type)
            if wanted is not got and not (wanted is None and isinstance(column.type, NullType)):
                problems.append(f"{light.name}.{column.name}: read as {got}, stored as {wanted}")
    assert problems == []


def test_the_check_sees_a_column_read_without_its_conversion() -> None:
    from sqlalchemy import column, table

    real = metadata.tables["outbox"]
    light = table("outbox", column("sent_at"))
    assert _kind(real.columns["sent_at"].type) is UTCDateTime
    assert _kind(light.columns["sent_at"].type) is None
