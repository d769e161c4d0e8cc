"""Column types shared by the tables: UTC timestamps that come back timezone-aware, and enums
stored as their values behind a CHECK constraint, the same on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pendulum
from sqlalchemy import Column, DateTime, Enum, TypeDecorator
from sqlalchemy.engine import Dialect

# More rows than any table holds, and the most a SQL LIMIT takes on every backend (a signed
# 64-bit integer): a listing's limit or a sweep's batch size beyond it means all of them.
MAX_ROWS = 2**63 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """Stores an aware datetime as UTC; loads it as an aware pendulum DateTime in UTC.

    SQLite has no time zones, so a naive value would silently change meaning; refusing naive
    datetimes at bind time keeps every stored instant unambiguous.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware instants only")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return pendulum.instance(value).in_timezone("UTC")


def utc_column(*, nullable: bool = True, **kwargs: Any) -> Any:
    return Column(UTCDateTime(), nullable=nullable, **kwargs)


def enum_column(enum: type[StrEnum], *, nullable: bool = False, **kwargs: Any) -> Any:
    """A VARCHAR column with a named CHECK constraint listing the enum's values."""
    return Column(
        Enum(
            enum,
            name=enum.__name__.lower(),
            native_enum=False,
            create_constraint=True,
            length=max(len(m.value) for m in enum),
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        nullable=nullable,
        **kwargs,
    )
