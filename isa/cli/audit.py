"""`isa audit`: read the hash-chained audit log, verify it, and take its checkpoint."""

import json
from typing import Annotated

import pendulum
from cyclopts import Parameter
from sqlalchemy import Engine

from isa.cli.common import Context, Json, at_least, default_actor, session_scope
from models.errors import IsaError
from notifications.delivery import deliver_outbox_sync
from tasks.audit import (
    audit_events,
    checkpoints_to_check,
    save_checkpoint,
    take_checkpoint,
    verify_audit,
)

# --- audit ------------------------------------------------------------------------------------


def printable(value: object) -> str:
    """Text from the log as one line: a control character shows as its escape, so no stored
    value can print a line that looks like another event."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))


def _evidence(evidence: dict[str, object]) -> str:
    """The web's evidence in one line: link, client, user agent, typed name, hash shown."""
    words = {
        "link": "link",
        "client": "from",
        "user_agent": "agent",
        "typed_name": "typed",
        "content_hash": "hash shown",
    }
    return "; ".join(
        f"{label} {evidence[key]!r}"
        if key in ("typed_name", "user_agent")
        else f"{label} {evidence[key]}"
        for key, label in words.items()
        if evidence.get(key) not in (None, "")
    )


def audit_log(*, limit: int | None = None, json_: Json = False) -> None:
    """Print the audit log, oldest first (the newest --limit events)."""
    at_least("--limit", limit)
    ctx = Context()
    with session_scope(ctx) as session:
        rows = [
            {
                "seq": e.seq,
                "occurred_at": e.occurred_at.isoformat(),
                "actor": e.actor,
                "channel": e.channel,
                "os_user": e.os_user,
                "action": e.action,
                "outcome": e.outcome.value,
                "subject": e.subject_ref,
                "before": e.before,
                "after": e.after,
                "detail": e.detail,
                "evidence": e.evidence,
                "hash": e.hash,
            }
            for e in audit_events(session, limit=limit)
        ]
    if json_:
        print(json.dumps(rows))
        return
    for row in rows:
        at = pendulum.parse(str(row["occurred_at"])).in_timezone("Europe/London")  # type: ignore[union-attr]
        extra = f"  ({printable(row['detail'])})" if row["detail"] else ""
        evidence = row["evidence"]
        if isinstance(evidence, dict) and evidence:
            extra += "  {" + printable(_evidence(evidence)) + "}"
        via = f"{row['channel']}, os user {row['os_user']}" if row["os_user"] else row["channel"]
        print(
            f"#{row['seq']:<5} {at.to_datetime_string()}  {row['outcome']:<7} "
            f"{printable(row['action']):<26} {printable(row['subject'] or '-'):<22} "
            f"{printable(row['actor'])} [{printable(via)}]{extra}"
        )


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
    with session_scope(ctx) as session:
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
