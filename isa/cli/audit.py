"""`isa audit`: read the hash-chained audit log, verify it, and take its checkpoint."""

import json
from typing import Annotated

from cyclopts import Parameter
from sqlalchemy import Engine

from isa.cli.apps import Json
from isa.cli.common import Context, default_actor, session_scope
from models.errors import IsaError
from notifications.delivery import deliver_outbox_sync
from tasks.audit import (
    checkpoints_to_check,
    save_checkpoint,
    take_checkpoint,
    verify_audit,
)

# --- audit ------------------------------------------------------------------------------------


def audit_verify(
    *,
    checkpoint: Annotated[
        str | None,
        Parameter(
            name="--checkpoint",
            help="A checkpoint file (one a chair kept), or `latest`; default: every checkpoint "
            "kept in ISA_CHECKPOINT_DIR.",
        ),
    ] = None,
    json_: Json = False,
) -> None:
    """Prove the audit log whole: the keyed chain, its head, the checkpoints published of it,
    and the register's state against a replay of the log. Fails naming the first problem."""
    ctx = Context()
    against = checkpoints_to_check(checkpoint, ctx.settings.checkpoint_dir)
    with session_scope(ctx) as session:
        result = verify_audit(session, against)
    if json_:
        print(
            json.dumps(
                {
                    "verified": result.events,
                    "checkpoints": result.checkpoints,
                    "records": result.records,
                    "broken": result.broken,
                    "differences": [str(d) for d in result.differences],
                }
            )
        )
    if result.broken is not None:
        raise IsaError(result.broken)
    if not json_:
        latest = max((c.seq for _, c in against), default=None)
        kept = (
            f"extends {len(against)} checkpoint{'s' if len(against) != 1 else ''} "
            f"(the latest of event #{latest})"
            if against
            else "no checkpoint to check against yet (`isa audit checkpoint`)"
        )
        print(
            f"audit chain intact: {result.events} events verified, {kept}; "
            f"the register's {result.records} records match the log"
        )


def audit_checkpoint(*, json_: Json = False) -> None:
    """Sign the audit log's head, keep it in ISA_CHECKPOINT_DIR and email it to the chairs (the
    daily `audit-checkpoint` deployment does this each morning)."""
    ctx = Context()
    with session_scope(ctx, delivers=True) as session:
        taken = take_checkpoint(session, actor=default_actor(None), now=ctx.now)
        path = save_checkpoint(taken, ctx.settings.checkpoint_dir)
        bind = session.get_bind()
        assert isinstance(bind, Engine)
        delivery = deliver_outbox_sync(bind, ctx.settings, ctx.now)
    if json_:
        print(json.dumps({**taken.as_dict(), "file": str(path), "sent": delivery.sent}))
        return
    print(f"checkpoint of audit event #{taken.seq} kept in {path}; emailed to the chairs")
    print(taken.to_json(), end="")
