"""`isa db`: create or upgrade the register's database."""

import json

from core.db import head_revision, upgrade
from core.keys import audit_key
from isa.cli.apps import Json
from isa.cli.common import Context
from isa.cli.progress import on_terminal, waiting

# --- db ---------------------------------------------------------------------------------------


def db_upgrade(*, json_: Json = False) -> None:
    """Create the register, or apply the migrations it lacks (creates the SQLite file if needed)."""
    ctx = Context()
    with waiting(on_terminal(json_), "applying the register's migrations"):
        before = upgrade(ctx.settings.database_url, audit_key=audit_key(ctx.settings))
    after = head_revision()
    where = ctx.settings.sqlite_path() or "the database at ISA_DATABASE_URL"
    if json_:
        print(json.dumps({"created": before is None, "from": before, "to": after}))
    elif before is None:
        print(f"created the register in {where} (revision {after})")
    elif before != after:
        print(f"upgraded the register in {where} from revision {before} to {after}")
    else:
        print(f"the register in {where} is up to date (revision {after})")
