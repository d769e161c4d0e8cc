"""The read side: what the command line lists and shows, each a list of small frozen records (or
one plain dict) in the register's words, read in one or two queries. Read-only.

Written on SQLAlchemy Core over the tables of `tasks.listings.tables`, not on the ORM classes of
models/tables.py, so that a command that only reads starts lean (bench/cli_startup.py; the
third import-linter contract). By area: `register` (agencies and their people), `arrangements`
(arrangements, their signed versions and disposal tasks), `matters` (consent, data quality,
onward sharing, security incidents), `requests` (sharing decisions, information requests) and
`outbox_and_audit` (the emails queued and the audit log)."""

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from typing import Any, TypeVar

Record = TypeVar("Record")


def as_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """A listing as plain data (JSON output)."""
    return [asdict(row) for row in rows]


def iso(value: date | None) -> str | None:
    """A date or instant as ISO text, or None."""
    return value.isoformat() if value is not None else None


def records(kind: type[Record], rows: Iterable[Any]) -> list[Record]:
    """Each row read as a `kind`, its fields named by the columns (or their labels), every date
    and instant written as ISO text."""
    return [
        kind(
            **{
                name: iso(value) if isinstance(value, date) else value
                for name, value in row._mapping.items()
            }
        )
        for row in rows
    ]
