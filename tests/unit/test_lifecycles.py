"""The transition tables are well-formed: one initial state, every state reachable, no traps."""

from collections import deque

import pytest

from models.enums import AmendmentStatus, ArrangementStatus
from models.errors import IllegalTransition
from models.lifecycles import ALL, AMENDMENT, ARRANGEMENT, Lifecycle

IDS = [lc.name for lc in ALL]


def _reachable(lc: Lifecycle) -> set:  # type: ignore[type-arg]
    seen = {lc.initial}
    queue = deque([lc.initial])
    while queue:
        state = queue.popleft()
        for (src, _event), dst in lc.transitions.items():
            if src == state and dst not in seen:
                seen.add(dst)
                queue.append(dst)
    return seen


@pytest.mark.parametrize("lc", ALL, ids=IDS)
def test_each_lifecycle_has_exactly_one_initial_state_that_no_move_leads_back_to(lc) -> None:
    targets = set(lc.transitions.values())
    sources = {src for (src, _) in lc.transitions}
    entry_points = [s for s in lc.states if s in sources and s not in targets]
    assert lc.initial in set(lc.states)
    # the initial state is the only state nothing leads into (for arrangements, a rejection
    # or amendment leads back to draft, so draft is allowed to be a target as well)
    assert all(s == lc.initial for s in entry_points)
    assert [s for s in lc.states if s not in targets and s != lc.initial] == []


@pytest.mark.parametrize("lc", ALL, ids=IDS)
def test_every_state_is_reachable_from_the_initial_state(lc) -> None:
    assert _reachable(lc) == set(lc.states)


@pytest.mark.parametrize("lc", ALL, ids=IDS)
def test_no_state_is_a_trap_only_final_states_have_no_way_out(lc) -> None:
    with_exit = {src for (src, _event), dst in lc.transitions.items() if dst != src}
    traps = set(lc.states) - with_exit - set(lc.final)
    assert traps == set()
    assert lc.final, "a lifecycle must end somewhere"
    assert not (with_exit & set(lc.final)), "a final state must have no way out"


@pytest.mark.parametrize("lc", ALL, ids=IDS)
def test_every_state_can_still_reach_a_final_state(lc) -> None:
    for state in lc.states:
        seen, queue = {state}, deque([state])
        while queue:
            current = queue.popleft()
            for (src, _event), dst in lc.transitions.items():
                if src == current and dst not in seen:
                    seen.add(dst)
                    queue.append(dst)
        assert seen & set(lc.final), f"{state} cannot reach an end"


def test_an_illegal_move_names_the_lifecycle_the_state_and_the_move() -> None:
    with pytest.raises(IllegalTransition) as refusal:
        ARRANGEMENT.fire(ArrangementStatus.CLOSED, "submit", "ISA-2026-0001")
    assert str(refusal.value) == "cannot submit arrangement ISA-2026-0001: it is closed"


def test_a_draft_cannot_be_activated_without_submission() -> None:
    with pytest.raises(IllegalTransition, match="cannot activate arrangement: it is draft"):
        ARRANGEMENT.fire("draft", "activate")


def test_a_rejection_returns_an_arrangement_to_draft_an_amendment_keeps_it_in_force() -> None:
    assert ARRANGEMENT.fire("awaiting_approval", "reject") == ArrangementStatus.DRAFT
    # in force under its last approved version while the amendment is drafted and signed
    assert ARRANGEMENT.fire("under_review", "amend") == ArrangementStatus.ACTIVE


def test_an_amendment_is_adopted_only_from_awaiting_approval_and_a_rejection_redrafts_it() -> None:
    assert AMENDMENT.fire("drafting", "submit") == AmendmentStatus.AWAITING_APPROVAL
    assert AMENDMENT.fire("awaiting_approval", "adopt") == AmendmentStatus.ADOPTED
    assert AMENDMENT.fire("awaiting_approval", "reject") == AmendmentStatus.DRAFTING
    with pytest.raises(IllegalTransition, match="cannot adopt amendment: it is drafting"):
        AMENDMENT.fire("drafting", "adopt")


def test_a_suspended_arrangement_resumes_to_active_or_is_terminated() -> None:
    assert ARRANGEMENT.fire("active", "suspend") == ArrangementStatus.SUSPENDED
    assert ARRANGEMENT.fire("suspended", "resume") == ArrangementStatus.ACTIVE
    assert ARRANGEMENT.fire("suspended", "terminate") == ArrangementStatus.TERMINATED
