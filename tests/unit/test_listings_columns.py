"""The read side declares the register's tables a second time, on SQLAlchemy Core
(tasks/listings/tables.py), so that the commands that only read start without the ORM. The two
declarations must not drift apart: every table a listing module names must be one of
models/tables.py (or notifications/tables.py) of the same name, and each column it names one of
that table's, read with the type that turns what is stored into what the ORM reads (UTC
instants, dates, JSON, booleans)."""

import pkgutil
from importlib import import_module

from sqlalchemy import JSON, Boolean, Date, TableClause, column, table
from sqlalchemy.sql.sqltypes import NullType

import tasks.listings
from models.tables import metadata
from models.types import UTCDateTime
from notifications import tables as _outbox_tables  # noqa: F401  (the outbox's table)

CONVERTED = (UTCDateTime, Date, JSON, Boolean)


def _kind(column_type: object) -> type | None:
    return next((kind for kind in CONVERTED if isinstance(column_type, kind)), None)


def _declared() -> dict[str, list[TableClause]]:
    """Every Core table any module of the read side holds, by table name (the same table
    imported into several modules counted once)."""
    modules = [tasks.listings] + [
        import_module(f"tasks.listings.{info.name}")
        for info in pkgutil.iter_modules(tasks.listings.__path__)
    ]
    found: dict[int, TableClause] = {}
    for module in modules:
        for value in vars(module).values():
            # a Core table exactly (an ORM Table is a TableClause too)
            if type(value) is TableClause:
                found[id(value)] = value
    by_name: dict[str, list[TableClause]] = {}
    for light in found.values():
        by_name.setdefault(light.name, []).append(light)
    return by_name


def _problems(light: TableClause) -> list[str]:
    """How a Core table differs from the register's table of its name: a table or column the
    register does not have, or a column read without its conversion."""
    real = metadata.tables.get(light.name)
    if real is None:
        return [f"{light.name}: no such table in models/tables.py or notifications/tables.py"]
    problems = []
    for named in light.columns:
        if named.name not in real.columns:
            problems.append(f"{light.name}.{named.name}: no such column")
            continue
        wanted = _kind(real.columns[named.name].type)
        got = _kind(named.type)
        if wanted is not got and not (wanted is None and isinstance(named.type, NullType)):
            problems.append(f"{light.name}.{named.name}: read as {got}, stored as {wanted}")
    return problems


def test_every_column_a_listing_reads_is_in_the_register_with_its_conversion() -> None:
    declared = _declared()
    assert {"agency", "arrangement_version", "suspension", "outbox"} <= set(declared)
    problems = [
        issue for lights in declared.values() for light in lights for issue in _problems(light)
    ]
    assert problems == []


def test_each_table_is_declared_once_on_the_read_side() -> None:
    twice = {name: len(lights) for name, lights in _declared().items() if len(lights) > 1}
    assert twice == {}, "declare each table once, in tasks/listings/tables.py"


def test_the_check_sees_a_column_the_register_does_not_have() -> None:
    assert _problems(table("outbox", column("sent_at", UTCDateTime()), column("sent_to"))) == [
        "outbox.sent_to: no such column"
    ]
    assert _problems(table("out_box", column("id"))) == [
        "out_box: no such table in models/tables.py or notifications/tables.py"
    ]


def test_the_check_sees_a_column_read_without_its_conversion() -> None:
    real = metadata.tables["outbox"]
    light = table("outbox", column("sent_at"))
    assert _kind(real.columns["sent_at"].type) is UTCDateTime
    assert _kind(light.columns["sent_at"].type) is None
    assert _problems(light) == [f"outbox.sent_at: read as None, stored as {UTCDateTime}"]
