"""Values as JSON keeps them (enums as their values, instants as UTC ISO text, dates as ISO
text, tuples as lists), so what is stored reads back equal: an audit event hashes the same
before and after storage, and an email's context renders the same from the outbox."""

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

import pendulum


def plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return pendulum.instance(value).in_timezone("UTC").isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} has no JSON form here: {value!r}")
