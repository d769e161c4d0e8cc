"""What the audit log says the register is: replaying its events gives each agency's membership,
each arrangement's status and version, and the status of each access grant, suspension and
disposal task, to compare with the register's tables. A change made to those tables without
passing through a use case (an agency set back to member by hand) then shows as a difference."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# The register's records the log accounts for, by the subject type their events carry.
RECORDS = ("agency", "arrangement", "access_grant", "suspension", "disposal_task")
WORDS = {
    "agency": "agency",
    "arrangement": "arrangement",
    "access_grant": "access grant",
    "suspension": "suspension",
    "disposal_task": "disposal task",
}
# Events that create a record whose initial state they do not spell out.
CREATED_AS = {"disposal.schedule": {"status": "pending"}}


@dataclass
class Recorded:
    """One record's state as the log tells it, and the last event that told it."""

    state: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True)
class Event:
    """The parts of an audit event the replay reads."""

    seq: int
    action: str
    outcome: str
    subject_type: str | None
    subject_ref: str | None
    after: Mapping[str, Any] | None


def _changes(event: Event) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, reference, fields it sets) for each record the event changed."""
    after = event.after or {}
    if event.subject_type in RECORDS and event.subject_ref is not None:
        state = dict(CREATED_AS.get(event.action, {}))
        if "status" in after:
            state["status"] = after["status"]
        if event.subject_type == "arrangement" and "version" in after:
            state["version"] = after["version"]
        if state:
            yield event.subject_type, event.subject_ref, state
        return
    if event.subject_type != "sweep":
        return
    # a sweep's batch names every record it touched in one event
    if event.action == "arrangement.open_review":
        for reference in after.get("opened", {}):
            yield "arrangement", reference, {"status": after["status"]}
    elif event.action == "review.escalate":
        for reference, what in after.get("overdue", {}).items():
            if what == "lapsed":
                yield "arrangement", reference, {"status": "lapsed"}
    elif event.action == "access.revoke":
        for reference in after.get("revoked", {}):
            yield "access_grant", reference, {"status": "revoked"}


def replay(events: Iterable[Event]) -> dict[str, dict[str, Recorded]]:
    """Fold the log, oldest first, into what it says each record now is."""
    told: dict[str, dict[str, Recorded]] = {kind: {} for kind in RECORDS}
    for event in events:
        if event.outcome != "done":
            continue
        for kind, reference, state in _changes(event):
            record = told[kind].setdefault(reference, Recorded())
            record.state.update(state)
            record.seq = event.seq
    return told


@dataclass(frozen=True)
class Difference:
    """A record whose state in the register is not what the log says."""

    kind: str
    reference: str
    register: dict[str, Any] | None
    log: dict[str, Any] | None
    seq: int  # the last event about it, 0 if none

    def __str__(self) -> str:
        what = f"{WORDS[self.kind]} {self.reference}"
        if self.log is None:
            return f"{what} is in the register but no audit event records it"
        if self.register is None:
            return f"{what} is in the audit log (event #{self.seq}) but not in the register"
        fields = [k for k in self.log if self.register.get(k) != self.log[k]]
        said = ", ".join(f"{k} {self.register.get(k)}" for k in fields)
        told = ", ".join(f"{k} {self.log[k]}" for k in fields)
        return f"{what}: the register says {said}, the audit log says {told} (event #{self.seq})"


def differences(
    told: Mapping[str, Mapping[str, Recorded]], register: Mapping[str, Mapping[str, dict[str, Any]]]
) -> list[Difference]:
    """Every record where the register and the log disagree, in the order the log last told of
    them; records the log never mentions come last."""
    found = []
    for kind in RECORDS:
        logged, held = told.get(kind, {}), register.get(kind, {})
        for reference in sorted(set(logged) | set(held)):
            record, state = logged.get(reference), held.get(reference)
            if record is None:
                found.append(Difference(kind, reference, state, None, 0))
            elif state is None:
                found.append(Difference(kind, reference, None, record.state, record.seq))
            elif any(state.get(k) != v for k, v in record.state.items()):
                found.append(Difference(kind, reference, state, record.state, record.seq))
    return sorted(found, key=lambda d: (d.seq == 0, d.seq, RECORDS.index(d.kind), d.reference))
