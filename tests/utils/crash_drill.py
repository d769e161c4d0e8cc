"""Running a crash drill: a clean pass of some work over a register, to learn its boundaries;
then, for each kill point, the same work on an identical copy of the register in a child
process that SIGKILLs itself there, a look at what the kill left, and a rerun of the whole work
to completion in a fresh process; then the drilled register, and the mail a real SMTP server
received, are checked against the clean pass.

What is checked, at each kill point:

- at the kill, the register holds exactly what the clean pass had committed by then (its
  snapshot after that many commits): every change with all its emails and the Prefect events it
  owes, or none of it; a kill before a commit leaves the state before it;
- after the rerun, the register is row for row the clean pass's (no change lost, none made
  twice, the audit chain the same event for event), every email queued once (by its dedupe key)
  and sent, every record's path through its lifecycle one its transition table allows, and
  `isa audit verify` finds nothing;
- the SMTP server received every email of the clean pass, and nothing else; an email received
  twice is one the killed process had handed to the server but not yet marked sent, and its two
  copies are the same message, with the same Message-ID.
"""

import multiprocessing
import multiprocessing.context
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from tests.conftest import sealed_engine
from tests.utils import crash_checks, crash_work, kill_points
from tests.utils.kill_points import Arming, KillPoint
from tests.utils.smtp import Received, SMTPServer

# one process imports the product and Prefect once; every child is forked from it
_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload(["tests.utils.crash_work"])

CHILD_TIMEOUT = 120.0


def sqlite_copies(template: Path, directory: Path) -> Callable[[str], str]:
    """Identical copies of a SQLite register (checkpointed, so its file is the whole of it)."""
    engine = sealed_engine(f"sqlite:///{template}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()

    def copy(name: str) -> str:
        path = directory / f"{name}.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"

    return copy


@dataclass
class Pass:
    """One child's run: how it ended, what it said last, and the mail the server took."""

    url: str
    exitcode: int | None
    words: dict[str, Any] | None
    received: list[Received]
    log: Path
    trace: str | None
    seconds: float

    def why(self) -> str:
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        return f"exit {self.exitcode}, last words {self.words}; its output ends:\n{tail}"


@dataclass
class DrillReport:
    """What a drill tried: its kill points by kind, and what it saw."""

    name: str
    boundaries: Counter[str] = field(default_factory=Counter)
    tried: Counter[str] = field(default_factory=Counter)
    commits: int = 0
    sends: int = 0
    emails: int = 0
    changes: int = 0
    resent: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.tried.values())

    def line(self) -> str:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.tried.items()))
        return (
            f"{self.name}: {self.total} kill points tried ({kinds}); the clean pass made "
            f"{self.commits} commits ({self.changes} changes) and sent {self.emails} emails; "
            f"{self.resent} emails were received twice, each with one Message-ID; "
            f"{self.seconds:.0f} s"
        )


class Drill:
    """One drill: `work` (a name in crash_work.WORKS) with `params` over copies of a register."""

    def __init__(
        self,
        name: str,
        *,
        work: str,
        params: dict[str, Any],
        env: dict[str, str],
        register: Callable[[str], str],
        smtp: SMTPServer,
        directory: Path,
        engine: Callable[[str], AbstractContextManager[Engine]] | None = None,
    ) -> None:
        self.name, self.work, self.params, self.env = name, work, params, env
        self.register, self.smtp, self.directory = register, smtp, directory
        self.engine = engine or _sqlite_engine
        self.runs = 0
        self.report = DrillReport(name)

    # --- children ------------------------------------------------------------------------------

    def child(self, url: str, *, kill: KillPoint | None = None, trace: bool = False) -> Pass:
        self.runs += 1
        stem = self.directory / f"{self.name}-{self.runs:03d}"
        words = f"{stem}.words"
        arming = Arming(url=url, words=words, trace=f"{stem}.trace" if trace else None, kill=kill)
        log = Path(f"{stem}.log")
        env = {**self.env, "ISA_DATABASE_URL": url, "DRILL_LOG": str(log)}
        with self.smtp.recorder.lock:
            self.smtp.recorder.received.clear()
        began = time.perf_counter()
        process = _FORKS.Process(
            target=crash_work.child, args=(arming, self.work, self.params, env)
        )
        process.start()
        process.join(CHILD_TIMEOUT)
        if process.is_alive():
            process.kill()
            process.join(10)
            raise AssertionError(f"{self.name}: a child ({kill}) still ran after {CHILD_TIMEOUT} s")
        # a message the server was still taking when its client died is not one it accepted
        time.sleep(0.05)
        with self.smtp.recorder.lock:
            received = list(self.smtp.recorder.received)
        return Pass(
            url,
            process.exitcode,
            kill_points.last_words(words),
            received,
            log,
            arming.trace,
            time.perf_counter() - began,
        )

    # --- the drill -----------------------------------------------------------------------------

    def run(
        self,
        choose: Callable[[list[KillPoint], list[dict[str, Any]]], list[KillPoint]] | None = None,
    ) -> DrillReport:
        began = time.perf_counter()
        start_url = self.register("start")
        with self.engine(start_url) as engine:
            start = crash_checks.snapshot(engine)
            start_statuses = crash_checks.statuses(engine)
        clean_url = self.register("clean")
        clean = self.child(clean_url, trace=True)
        assert clean.exitcode == 0 and clean.words and clean.words.get("done"), clean.why()
        assert clean.trace is not None
        trace = kill_points.read_lines(clean.trace)
        commits = [line for line in trace if line["boundary"] == "commit"]
        states = [start] + [line["state"] for line in commits]
        with self.engine(clean_url) as engine:
            expected = crash_checks.content(engine)
            emails = crash_checks.outbox_emails(engine)
            problems = crash_checks.lifecycle_problems(engine, start_statuses)
            verified = crash_checks.audit_verified(engine)
        # the clean pass itself keeps the promises
        assert problems == [], problems
        assert verified[0] is None, verified
        assert {status for status, _, _ in emails.values()} <= {"sent"}, emails
        ids = Counter(r.message_id for r in clean.received)
        assert ids == Counter(mid for _, mid, _ in emails.values()), "clean pass: mail != outbox"
        report = self.report
        report.commits, report.sends = len(commits), clean.words["sends"]
        report.emails = len(emails)
        report.changes = sum(1 for c in commits if c["kind"] == "change")
        report.boundaries = Counter(c["kind"] for c in commits)
        points = (
            [KillPoint("before-commit", c["number"]) for c in commits]
            + [KillPoint("after-commit", c["number"]) for c in commits]
            + [KillPoint("after-send", n) for n in range(1, report.sends + 1)]
        )
        chosen = choose(points, commits) if choose else points
        for point in chosen:
            kind = "send" if point.when == "after-send" else commits[point.number - 1]["kind"]
            self.kill_and_rerun(point, kind, states, start_statuses, expected, emails, verified[1])
            report.tried[f"{point.when} ({kind})"] += 1
        report.seconds = time.perf_counter() - began
        return report

    def kill_and_rerun(
        self,
        point: KillPoint,
        kind: str,
        states: list[dict[str, Any]],
        start_statuses: dict[tuple[str, str], str],
        expected: dict[str, Counter[tuple[Any, ...]]],
        emails: dict[str, tuple[str, str, str]],
        events: int,
    ) -> None:
        where = f"{self.name}, killed {point} ({kind})"
        url = self.register(f"kill-{point.when}-{point.number}")
        killed = self.child(url, kill=point)
        assert killed.exitcode == -9 and killed.words, f"{where}: not killed: {killed.why()}"
        assert killed.words.get("killed") == str(point), f"{where}: {killed.why()}"
        # what the kill left: exactly what the clean pass had committed by then
        done = int(killed.words["commits"])
        with self.engine(url) as engine:
            left = crash_checks.snapshot(engine)
            held = crash_checks.outbox_emails(engine)
        _same_state(where, left, states[done])
        if point.when == "before-commit":
            assert done == point.number - 1, where
            if kind == "change":
                _all_or_nothing(where, left, states[done], states[done + 1])
        elif point.when == "after-commit":
            assert done == point.number, where
        # handed to the server, and not yet marked sent: what may arrive twice
        accepted = {r.message_id for r in killed.received}
        in_doubt = {mid for status, mid, _ in held.values() if status == "sending"} & accepted
        rerun = self.child(url)
        assert rerun.exitcode == 0 and rerun.words and rerun.words.get("done"), (
            f"{where}: the rerun failed: {rerun.why()}"
        )
        with self.engine(url) as engine:
            after = crash_checks.content(engine)
            now_held = crash_checks.outbox_emails(engine)
            problems = crash_checks.lifecycle_problems(engine, start_statuses)
            verified = crash_checks.audit_verified(engine)
        differs = sorted(t for t in expected if after.get(t) != expected[t])
        assert differs == [], f"{where}: after the rerun these tables differ: {differs}" + "".join(
            f"\n  {t}: extra {list((after[t] - expected[t]).elements())[:3]}, "
            f"missing {list((expected[t] - after[t]).elements())[:3]}"
            for t in differs
        )
        # every email queued once, and sent
        assert set(now_held) == set(emails), f"{where}: the outbox holds other emails"
        unsent = {k: v for k, v in now_held.items() if v[0] != "sent"}
        assert unsent == {}, f"{where}: emails not sent after the rerun: {unsent}"
        assert problems == [], f"{where}: {problems}"
        assert verified == (None, events), f"{where}: audit verify: {verified}"
        # the mail: every email arrived; a duplicate is one in doubt at the kill, the same message
        mail = killed.received + rerun.received
        got = Counter(r.message_id for r in mail)
        wanted = {mid for _, mid, _ in emails.values()}
        assert set(got) == wanted, (
            f"{where}: lost {sorted(wanted - set(got))[:3]}, unexpected {sorted(set(got) - wanted)[:3]}"
        )
        twice = {mid for mid, n in got.items() if n > 1}
        assert all(got[mid] == 2 for mid in twice), f"{where}: received more than twice: {got}"
        assert twice <= in_doubt, f"{where}: sent twice though marked sent: {twice - in_doubt}"
        for mid in twice:
            copies = {(tuple(r.rcpt_tos), r.data) for r in mail if r.message_id == mid}
            assert len(copies) == 1, f"{where}: {mid} was received twice as different messages"
        self.report.resent += len(twice)


def _sqlite_engine(url: str) -> AbstractContextManager[Engine]:
    @contextmanager
    def opened() -> Iterator[Engine]:
        engine = sealed_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()

    return opened()


def _same_state(where: str, left: dict[str, Any], expected: dict[str, Any]) -> None:
    if left == expected:
        return
    extra = sorted(set(left["emails"]) - set(expected["emails"]))
    missing = sorted(set(expected["emails"]) - set(left["emails"]))
    raise AssertionError(
        f"{where}: the register holds what no commit of the clean pass left: audit events "
        f"{left['audit']} (expected {expected['audit']}), records "
        f"{'the same' if left['register'] == expected['register'] else 'different'}, emails "
        f"{len(extra)} extra and {len(missing)} missing, events {left['events']} (expected "
        f"{expected['events']})"
    )


def _all_or_nothing(
    where: str, left: dict[str, Any], before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Killed just before a change's commit: none of its audit events, its emails, its events."""
    its_emails = set(after["emails"]) - set(before["emails"])
    assert after["audit"] > before["audit"], f"{where}: a change with no audit event"
    assert left["audit"] == before["audit"], where
    assert not its_emails & set(left["emails"]), f"{where}: some of its emails are queued"


def count_rows(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
