"""Kill points for the crash drills (tests/drills/test_crash_*.py): armed in a child process
before it does any work, they count the boundaries of that work and SIGKILL the process at the
chosen one, with no change to the product code.

A boundary is one of:

- a commit to the register's database (SQLAlchemy's `Connection._commit_impl`, the one path
  every Session and Connection commit takes): `before-commit N` dies with the N-th
  transaction's statements executed but not committed (inside a step: neither the change nor its
  emails may be left), `after-commit N` dies once the database has committed it (between two
  steps, two batches of a sweep, or a delivery's claim and its sends);
- an SMTP message accepted by the relay (`aiosmtplib.SMTP.sendmail` returned): `after-send N`
  dies before the outbox row of the N-th message is marked sent.

Each commit is labelled by what its transaction wrote (`change`: a use case's unit of work,
with its audit event, its emails and the Prefect events it owes; `claim`, `record`, `renew`:
delivery; `publish`: the event outbox; `nothing`: an empty batch or a read), so a drill can
show it tried every kind. In a clean pass (`trace`) the module appends one JSON line per
boundary to a file, with, after each commit, what the register then holds (`crash_checks`'
snapshot); a killed process writes its last words (the boundary, and how many commits it had
made) to a file just before it dies.
"""

import json
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

When = Literal["before-commit", "after-commit", "after-send"]


@dataclass(frozen=True)
class KillPoint:
    when: When
    number: int

    def __str__(self) -> str:
        return f"{self.when} #{self.number}"


@dataclass(frozen=True)
class Arming:
    """What a child is armed with: the database whose commits count, where its clean pass traces
    its boundaries (None: no trace), where to kill it (None: nowhere), and where it writes its
    last words."""

    url: str
    words: str
    trace: str | None = None
    kill: KillPoint | None = None


_WRITES = ("INSERT", "UPDATE", "DELETE", "WITH")


def _claims(statement: str) -> bool:
    # notifications.delivery.claim_due: the only statement that sets claimed_at
    return "update outbox" in statement and "claimed_at" in statement


def _is_cte_write(statement: str) -> bool:
    text = " ".join(statement.split()).lower()
    return text.startswith("with") and any(f" {w} " in text for w in ("update", "insert", "delete"))


def label(statements: list[tuple[str, int]]) -> str:
    """What a transaction was, from its statements (the SQL and the rows each touched)."""
    written = [(sql, rows) for sql, rows in statements if sql.lstrip().upper().startswith(_WRITES)]
    texts = [" ".join(sql.split()).lower() for sql, _ in written]
    if any(t.startswith("insert into audit_event") for t in texts):
        return "change"
    claims = [rows for (_, rows), t in zip(written, texts, strict=True) if _claims(t)]
    if claims:
        # a claim of no rows writes nothing; one whose count is unknown (-1) may have
        return "claim" if sum(claims) > 0 or min(claims) < 0 else "empty claim"
    if any(t.startswith("update outbox") and "sent_at" in t for t in texts):
        return "record"
    if any(t.startswith("update outbox") for t in texts):
        return "renew"
    if any("event_outbox" in t for t in texts):
        return "publish"
    if texts:
        return "other write"
    return "nothing"


class _Armed:
    def __init__(self, arming: Arming, snapshot: Callable[[], dict[str, Any]] | None) -> None:
        from sqlalchemy import make_url

        self.arming = arming
        self.url = make_url(arming.url)
        self.snapshot = snapshot
        self.commits = 0
        self.sends = 0
        self.lock = threading.RLock()

    def watched(self, conn: Any) -> bool:
        return conn.engine.url == self.url and not getattr(conn.dialect, _IGNORED, False)

    def write(self, path: str | None, entry: dict[str, Any]) -> None:
        say(path, entry)

    def die(self, point: KillPoint, kind: str) -> None:
        # the last words go to a file (the process's own output may be anyone's), then SIGKILL:
        # no finally block, no atexit, no rollback, no SMTP QUIT runs
        say(
            self.arming.words,
            {"killed": str(point), "kind": kind, "commits": self.commits, "sends": self.sends},
        )
        os.kill(os.getpid(), signal.SIGKILL)

    def commit(self, conn: Any, commit: Callable[[], None]) -> None:
        if not self.watched(conn):
            commit()
            return
        with self.lock:
            number = self.commits + 1
            kind = label(conn.info.pop("drill_statements", []))
            kill = self.arming.kill
            if kill == KillPoint("before-commit", number):
                self.die(kill, kind)
            commit()
            self.commits = number
            entry: dict[str, Any] = {"boundary": "commit", "number": number, "kind": kind}
            if self.arming.trace is not None and self.snapshot is not None:
                entry["sends"] = self.sends
                entry["state"] = self.snapshot()
            self.write(self.arming.trace, entry)
            if kill == KillPoint("after-commit", number):
                self.die(kill, kind)

    def sent(self) -> None:
        with self.lock:
            self.sends += 1
            self.write(
                self.arming.trace,
                {"boundary": "send", "number": self.sends, "commits": self.commits},
            )
            kill = self.arming.kill
            if kill == KillPoint("after-send", self.sends):
                self.die(kill, "send")


_armed: _Armed | None = None
_IGNORED = "_drill_not_counted"


def ignore(engine: Any) -> None:
    """Leave this engine's commits uncounted (the clean pass's own reads of the register)."""
    setattr(engine.dialect, _IGNORED, True)


def say(path: str | None, entry: dict[str, Any]) -> None:
    """Append one JSON line to `path`, on disk before this returns (the writer may die next)."""
    if path is None:
        return
    with open(path, "a", encoding="utf-8") as out:
        # written before SIGKILL is in the kernel's hands: it survives the process
        out.write(json.dumps(entry, default=str) + "\n")


def counts() -> dict[str, int]:
    """How many commits and sends this process has made so far."""
    assert _armed is not None
    return {"commits": _armed.commits, "sends": _armed.sends}


def arm(arming: Arming, snapshot: Callable[[], dict[str, Any]] | None = None) -> None:
    """Hook the commits and SMTP sends of this process; call before any work."""
    global _armed
    import aiosmtplib
    from sqlalchemy import event
    from sqlalchemy.engine import Connection, Engine

    assert _armed is None, "armed twice"
    _armed = armed = _Armed(arming, snapshot)

    @event.listens_for(Engine, "after_cursor_execute")
    def _statement(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if armed.watched(conn):
            rows = cursor.rowcount if cursor.rowcount is not None else -1
            if rows == -1 and conn.dialect.name == "sqlite" and _is_cte_write(statement):
                # Python's sqlite3 gives no rowcount for a statement that starts with WITH
                # (delivery's claim): ask SQLite how many rows it changed
                rows = int(cursor.connection.execute("SELECT changes()").fetchone()[0])
            conn.info.setdefault("drill_statements", []).append((statement, rows))

    original_commit = Connection._commit_impl

    def _commit_impl(self: Connection) -> None:
        armed.commit(self, lambda: original_commit(self))

    Connection._commit_impl = _commit_impl  # type: ignore[method-assign]

    original_rollback = Connection._rollback_impl

    def _rollback_impl(self: Connection) -> None:
        # a rolled-back transaction's statements are not the next one's
        if not self.invalidated and not self.closed:
            self.info.pop("drill_statements", None)
        original_rollback(self)

    Connection._rollback_impl = _rollback_impl  # type: ignore[method-assign]

    original_sendmail = aiosmtplib.SMTP.sendmail

    async def sendmail(self: aiosmtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
        result = await original_sendmail(self, *args, **kwargs)
        armed.sent()
        return result

    aiosmtplib.SMTP.sendmail = sendmail  # type: ignore[method-assign]


def read_lines(path: str | Path) -> list[dict[str, Any]]:
    """The JSON lines a child wrote (its trace, or its last words)."""
    file = Path(path)
    if not file.exists():
        return []
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line]


def last_words(path: str | Path) -> dict[str, Any] | None:
    lines = read_lines(path)
    return lines[-1] if lines else None
