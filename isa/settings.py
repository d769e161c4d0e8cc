"""Configuration, read once from the environment (prefix `ISA_`) and passed down."""

from pathlib import Path

import pendulum
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.clocks import parse_datetime


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISA_", extra="ignore")

    # The register's database; the embedded default is a SQLite file under ./var.
    database_url: str = "sqlite:///var/isa.db"
    # Rehearse a timeline: an ISO date-time the clock reads instead of the real time.
    now: str | None = None

    @field_validator("now")
    @classmethod
    def _now_is_a_datetime(cls, value: str | None) -> str | None:
        if value:
            parse_datetime(value)
        return value or None

    def current_time(self) -> pendulum.DateTime:
        """The one clock read of a command: `ISA_NOW` if set, else the real time, in UTC."""
        if self.now:
            return parse_datetime(self.now).in_timezone("UTC")
        return pendulum.now("UTC")

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and self.database_url != "sqlite:///:memory:":
            return Path(self.database_url.removeprefix(prefix))
        return None
