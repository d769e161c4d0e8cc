"""What a flow run's process needs once: the settings and one engine for the register."""

from datetime import date
from functools import lru_cache

import pendulum
from sqlalchemy import Engine
from sqlmodel import Session

from core.db import RUN_DELIVERS, make_engine
from core.keys import audit_seal, link_issuer
from core.settings import Settings
from models.clocks import local_date, parse_date

SYSTEM_ACTOR = "system:prefect"


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()


@lru_cache(maxsize=4)
def engine(url: str | None = None) -> Engine:
    return make_engine(
        url or settings().database_url,
        audit=audit_seal(settings(), "prefect"),
        mailbox=settings().mail_from,
        office=settings().office_mailbox(),
        links=link_issuer(settings()),
    )


def session() -> Session:
    """A session of a flow run's task: the run sends what it queued in its last task
    (`deliver_emails`), so its changes start no delivery run of their own."""
    opened = Session(engine(), expire_on_commit=False)
    opened.info[RUN_DELIVERS] = True
    return opened


def prefect_api_url() -> str:
    """The API of the Prefect server this process reports to (a flow run's own), else the
    configured one (`ISA_PREFECT_API_URL`)."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value() or settings().prefect_api_url)


def now() -> pendulum.DateTime:
    """The run's clock: `ISA_NOW` when rehearsing a timeline, else the real time."""
    return settings().current_time()


def resolve_as_of(as_of: str | date | None) -> pendulum.Date:
    """A sweep's day: the one given (ISO text from the UI form, or a date), else today in London."""
    if as_of is None or as_of == "":
        return local_date(now())
    if isinstance(as_of, str):
        return parse_date(as_of)
    return pendulum.Date(as_of.year, as_of.month, as_of.day)
