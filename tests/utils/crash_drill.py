"""Running a crash drill: a clean pass of some work over a register, to learn its boundaries;
then, for each kill point, the same work on an identical copy of the register in a child
process that SIGKILLs itself there, a look at what the kill left, and a rerun of the whole work
to completion in a fresh process; then the drilled register, and the mail a real SMTP server
received, are checked against the clean pass.

What is checked, at each kill point:

- at the kill, the register holds exactly what the clean pass had committed by then (its
  snapshot after that many commits): every change with all its emails and the Prefect events it
  owes, or none of it; a kill before a commit leaves the state before it. At a change's own
  commit this is shown outright: killed just before it, none of its audit events, emails or
  events are in; just after it, all of them are;
- after the rerun, the register is row for row the clean pass's (no change lost, none made
  twice, the audit chain the same event for event), every email queued once (by its dedupe key)
  and sent (or withdrawn, as in the clean pass), every record's path through its lifecycle one
  its transition table allows, and `isa audit verify` finds nothing;
- the SMTP server received every email the clean pass sent, and nothing else; an email received
  twice is one the killed process had handed to the server but not yet marked sent, and its two
  copies are the same message, with the same Message-ID.

Which kill points are tried is the drill's choice (`distinct_states`): every kill point that
leaves a register and mail no other leaves (a kill on either side of a transaction that wrote
nothing, or just before a commit, leaves what a kill just after the commit before it leaves),
both sides of every change's commit, and of the after-send points a sample; the report says how
many of how many. A kill that leaves the register, its outbox and the mail accepted exactly as
an earlier kill did is checked at the kill but not rerun: the rerun starts from nothing else.
"""

import multiprocessing
import multiprocessing.context
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
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
    """What a drill tried: its kill points by kind, of those it could have tried, and what it
    saw."""

    name: str
    boundaries: Counter[str] = field(default_factory=Counter)
    possible: Counter[str] = field(default_factory=Counter)
    tried: Counter[str] = field(default_factory=Counter)
    # kill points not tried: they leave the register and the mail as one tried does, or they
    # are after-send points left out of the sample
    alike: int = 0
    unsampled: int = 0
    commits: int = 0
    sends: int = 0
    emails: int = 0
    changes: int = 0
    # changes that queued emails, and of those, how many were killed just before their commit
    # (none of the change, none of its emails) and just after it (all of it, all of them)
    mailing: int = 0
    whole: int = 0
    # reruns made; a kill that left the register and the mail exactly as an earlier kill did is
    # not rerun (the rerun starts from nothing else)
    reruns: int = 0
    resent: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.tried.values())

    def gaps(self) -> list[str]:
        """What the drill left untried that it should have: a kill point leaving what none
        tried leaves, other than an after-send one out of the sample; a side of a change's
        commit."""
        gaps = []
        if self.total + self.alike + self.unsampled != sum(self.possible.values()):
            gaps.append("kill points neither tried nor alike to one tried, nor out of the sample")
        for when in ("before-commit", "after-commit"):
            if self.tried[f"{when} (change)"] != self.boundaries["change"]:
                gaps.append(f"{when} of some change untried")
        if self.whole != self.mailing:
            gaps.append("a change that queued emails not killed on both sides of its commit")
        return gaps

    def line(self) -> str:
        kinds = ", ".join(
            f"{kind} {self.tried[kind]}"
            + (f" of {self.possible[kind]}" if self.tried[kind] != self.possible[kind] else "")
            for kind in sorted(self.possible)
        )
        skipped = []
        if self.alike:
            skipped.append(f"{self.alike} leave the register and the mail as one tried does")
        if self.unsampled:
            skipped.append(f"{self.unsampled} after-send ones are out of the sample")
        whole = (
            f"{self.whole} of the {self.mailing} changes that queued emails were killed just "
            "before and just after their commit: the register held each with all its emails or "
            "none of it; "
            if self.mailing
            else ""
        )
        return (
            f"{self.name}: {self.total} of {sum(self.possible.values())} kill points tried "
            f"({kinds}){'; of the others, ' + ' and '.join(skipped) if skipped else ''}; "
            f"{self.reruns} reruns; the clean pass made {self.commits} commits ({self.changes} "
            f"changes) and sent {self.emails} emails; {whole}{self.resent} emails were received "
            f"twice, each as one message with one Message-ID; {self.seconds:.0f} s"
        )


# which kill points to try, of all a clean pass shows (in its order), given its trace
Choose = Callable[[list[KillPoint], list[dict[str, Any]]], list[KillPoint]]
# a transaction of these kinds writes nothing: a kill on either side of it leaves what a kill
# just after the commit before it leaves
WRITES_NOTHING = {"nothing", "empty claim"}


def left_behind(trace: list[dict[str, Any]]) -> dict[KillPoint, tuple[int, int]]:
    """What each kill point of a clean pass leaves, by its trace: how many of its transactions
    that wrote something are committed, and how many messages the SMTP server has accepted.
    Two kill points with the same leave the same register and the same mail (a kill just before
    a commit leaves the state just after the one before; one on either side of a transaction
    that wrote nothing, the state before it)."""
    out: dict[KillPoint, tuple[int, int]] = {}
    written = 0
    for line in trace:
        if line["boundary"] == "commit":
            out[KillPoint("before-commit", line["number"])] = (written, line["sends"])
            if line["kind"] not in WRITES_NOTHING:
                written += 1
            out[KillPoint("after-commit", line["number"])] = (written, line["sends"])
        else:
            out[KillPoint("after-send", line["number"])] = (written, line["number"])
    return out


def distinct_states(sends_every: int = 1) -> Choose:
    """Every kill point that leaves what no earlier one leaves, and both sides of every change's
    commit (the change with all its emails or none of it); of the after-send points, every
    `sends_every`-th, the first and the last always among them (the same each run: an
    after-send kill differs from its neighbours only in which message is in doubt)."""

    def choose(points: list[KillPoint], trace: list[dict[str, Any]]) -> list[KillPoint]:
        leaves = left_behind(trace)
        changes = {
            line["number"]
            for line in trace
            if line["boundary"] == "commit" and line["kind"] == "change"
        }
        sends = [p for p in points if p.when == "after-send"]
        sampled = {p for i, p in enumerate(sends) if i % sends_every == 0 or i == len(sends) - 1}
        seen: set[tuple[int, int]] = set()
        chosen: list[KillPoint] = []
        for point in points:
            if point.when == "after-send" and point not in sampled:
                continue
            if leaves[point] in seen and not (
                point.when != "after-send" and point.number in changes
            ):
                continue
            seen.add(leaves[point])
            chosen.append(point)
        return chosen

    return choose


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
        # the commits (of changes that queued emails) killed at, and on which side of them
        self.split_checked: dict[int, set[str]] = {}
        # what each kill rerun left behind (the register, its outbox, the mail accepted)
        self.rerun_from: set[tuple[Any, ...]] = set()
        # the start's last audit event: the work's moves are those after it
        self.since = 0

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
        if process.exitcode != 0:
            # a message the server was still taking when its client died is not one it
            # accepted: let it finish with it (a child that ended well had every reply)
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

    def run(self, choose: Choose | None = None) -> DrillReport:
        """The clean pass, then a kill and a rerun at each kill point `choose` picks (all of
        them if None)."""
        began = time.perf_counter()
        start_url = self.register("start")
        with self.engine(start_url) as engine:
            start = crash_checks.snapshot(engine)
            start_statuses = crash_checks.statuses(engine)
            start_emails = crash_checks.outbox_emails(engine)
            self.since = crash_checks.last_seq(engine)
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
            problems = crash_checks.lifecycle_problems(engine, start_statuses, self.since)
            verified = crash_checks.audit_verified(engine)
        # the clean pass itself keeps the promises
        assert problems == [], problems
        assert verified[0] is None, verified
        # every email sent, but those a change withdrew while still pending (a reminder about
        # what has been done meanwhile)
        assert {status for status, _, _ in emails.values()} <= {"sent", "cancelled"}, emails
        # the emails the work owes: all those sent but those sent before it began
        owed = {
            k
            for k, (status, _, _) in emails.items()
            if status == "sent" and start_emails.get(k, ("",))[0] != "sent"
        }
        ids = Counter(message_id(r) for r in clean.received)
        assert ids == Counter(emails[k][1] for k in owed), "clean pass: mail != outbox"
        report = self.report
        report.commits, report.sends = len(commits), clean.words["sends"]
        report.emails = len(owed)
        report.changes = sum(1 for c in commits if c["kind"] == "change")
        report.mailing = sum(
            1
            for c in commits
            if c["kind"] == "change"
            and set(states[c["number"]]["emails"]) - set(states[c["number"] - 1]["emails"])
        )
        report.boundaries = Counter(c["kind"] for c in commits)
        # every kill point, in the order the clean pass met them
        points = [
            point
            for line in trace
            for point in (
                [
                    KillPoint("before-commit", line["number"]),
                    KillPoint("after-commit", line["number"]),
                ]
                if line["boundary"] == "commit"
                else [KillPoint("after-send", line["number"])]
            )
        ]
        assert sum(p.when == "after-send" for p in points) == report.sends, "sends untraced"

        def kind_of(point: KillPoint) -> str:
            return "send" if point.when == "after-send" else str(commits[point.number - 1]["kind"])

        report.possible = Counter(f"{p.when} ({kind_of(p)})" for p in points)
        chosen = choose(points, trace) if choose else points
        if choose is not None:
            leaves = left_behind(trace)
            tried = {leaves[p] for p in chosen}
            left_out = [p for p in points if p not in set(chosen)]
            report.alike = sum(1 for p in left_out if leaves[p] in tried)
            report.unsampled = sum(
                1 for p in left_out if leaves[p] not in tried and p.when == "after-send"
            )
        for point in chosen:
            kind = kind_of(point)
            self.kill_and_rerun(
                point, kind, states, start_statuses, expected, emails, owed, verified[1]
            )
            report.tried[f"{point.when} ({kind})"] += 1
        report.whole = sum(1 for sides in self.split_checked.values() if len(sides) == 2)
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
        owed: set[str],
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
        elif point.when == "after-commit":
            assert done == point.number, where
        if kind == "change":
            # a change and its emails cannot be split: none of it before its commit, all after
            before, after = states[point.number - 1], states[point.number]
            committed = point.when == "after-commit"
            if _all_or_nothing(where, left, before, after, committed=committed):
                self.split_checked.setdefault(point.number, set()).add(point.when)
        # handed to the server, and not yet marked sent: what may arrive twice
        accepted = {message_id(r) for r in killed.received}
        in_doubt = {mid for status, mid, _ in held.values() if status == "sending"} & accepted
        with self.engine(url) as engine:
            delivery = crash_checks.delivery_state(engine)
        # all a rerun starts from: the register, where its deliveries stand, the mail accepted
        leaves = (left["register"], left["audit"], tuple(left["emails"]), tuple(left["events"]))
        handed = frozenset(key for key, (_, mid, _) in held.items() if mid in accepted)
        assert len(handed) == len(accepted), f"{where}: the server took mail not in the outbox"
        if (begins := (*leaves, delivery, handed)) in self.rerun_from:
            return
        self.rerun_from.add(begins)
        self.report.reruns += 1
        rerun = self.child(url)
        assert rerun.exitcode == 0 and rerun.words and rerun.words.get("done"), (
            f"{where}: the rerun failed: {rerun.why()}"
        )
        with self.engine(url) as engine:
            after = crash_checks.content(engine)
            now_held = crash_checks.outbox_emails(engine)
            problems = crash_checks.lifecycle_problems(engine, start_statuses, self.since)
            verified = crash_checks.audit_verified(engine)
        differs = sorted(t for t in expected if after.get(t) != expected[t])
        assert differs == [], f"{where}: after the rerun these tables differ: {differs}" + "".join(
            f"\n  {t}: extra {list((after[t] - expected[t]).elements())[:3]}, "
            f"missing {list((expected[t] - after[t]).elements())[:3]}"
            for t in differs
        )
        # every email queued once, and sent (or withdrawn) as in the clean pass
        assert set(now_held) == set(emails), f"{where}: the outbox holds other emails"
        unsent = {k: v for k, v in now_held.items() if v[0] != emails[k][0]}
        assert unsent == {}, (
            f"{where}: emails not sent (or withdrawn) as in the clean pass: {unsent}"
        )
        assert problems == [], f"{where}: {problems}"
        assert verified == (None, events), f"{where}: audit verify: {verified}"
        # the mail: every email arrived; a duplicate is one in doubt at the kill, the same message
        mail = killed.received + rerun.received
        got = Counter(message_id(r) for r in mail)
        wanted = {emails[k][1] for k in owed}
        assert set(got) == wanted, (
            f"{where}: lost {sorted(wanted - set(got))[:3]}, unexpected {sorted(set(got) - wanted)[:3]}"
        )
        twice = {mid for mid, n in got.items() if n > 1}
        assert all(got[mid] == 2 for mid in twice), f"{where}: received more than twice: {got}"
        assert twice <= in_doubt, f"{where}: sent twice though marked sent: {twice - in_doubt}"
        for mid in twice:
            copies = {(tuple(r.rcpt_tos), r.data) for r in mail if message_id(r) == mid}
            assert len(copies) == 1, f"{where}: {mid} was received twice as different messages"
        self.report.resent += len(twice)


_HEADERS = BytesHeaderParser(policy=compat32)


def message_id(received: Received) -> str:
    """A received message's Message-ID, from its headers alone (`Received.message_id` parses
    the whole message, which for every message of every kill point costs seconds)."""
    head = received.data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    value = _HEADERS.parsebytes(head)["Message-ID"]
    assert value is not None, f"a message with no Message-ID: {received.data[:300]!r}"
    return " ".join(str(value).split())


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
    where: str,
    left: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    committed: bool,
) -> bool:
    """Killed just before a change's commit: none of its audit events, its emails, its events;
    just after it: all of them. Returns whether the change queued emails."""
    its_emails = set(after["emails"]) - set(before["emails"])
    its_events = Counter(after["events"]) - Counter(before["events"])
    held_emails, held_events = set(left["emails"]), Counter(left["events"])
    assert after["audit"] > before["audit"], f"{where}: a change with no audit event"
    if committed:
        assert left["audit"] == after["audit"], f"{where}: its audit events are not all in"
        assert its_emails <= held_emails, f"{where}: emails of the change were not queued"
        assert not its_events - held_events, f"{where}: events the change owes are missing"
    else:
        assert left["audit"] == before["audit"], f"{where}: some of its audit events are in"
        assert not its_emails & held_emails, f"{where}: some of its emails are queued"
        assert not its_events & (held_events - Counter(before["events"])), (
            f"{where}: some of the events it owes are in"
        )
    return bool(its_emails)


def count_rows(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
