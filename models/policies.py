"""How the register chases what the Protocol asks, as values a deployment can set: the review
ladder and its escalation, the need-to-know attestation cycle, the disposal reminders, and the
approval chase. Each checks itself when made; the sweeps and flows read them from here."""

from dataclasses import dataclass

from models.clocks import DEFAULT_REMINDER_LADDER, DISPOSAL_REMINDER_DAYS

# an arrangement awaiting sign-off: each missing signatory is reminded, then escalated
APPROVAL_REMINDER_DAY = 7
APPROVAL_ESCALATION_DAY = 14


@dataclass(frozen=True)
class ReviewPolicy:
    """How reviews are chased; every field can be set on the sweep's deployment."""

    ladder: tuple[int, ...] = DEFAULT_REMINDER_LADDER
    escalate_to_chairs_after_days: int = 30
    lapse_after_days: int = 90
    batch_size: int = 1000

    def __post_init__(self) -> None:
        if (
            not self.ladder
            or any(r < 0 for r in self.ladder)
            or len(set(self.ladder)) != len(self.ladder)
        ):
            raise ValueError(f"reminder ladder {list(self.ladder)}: days must be distinct, >= 0")
        if not 0 < self.escalate_to_chairs_after_days < self.lapse_after_days:
            raise ValueError("escalation to the chairs must come after 1 day and before lapse")
        if self.batch_size < 1:
            raise ValueError("batch size must be at least 1")

    @property
    def reminder_rungs(self) -> tuple[int, ...]:
        """The rungs before the due date, nearest first; rung 0 is the review opening itself."""
        return tuple(sorted(r for r in self.ladder if r > 0))


@dataclass(frozen=True)
class AccessPolicy:
    """How need to know is kept up; every field can be set on the sweep's deployment."""

    attest_every_months: int = 6
    attestation_reminder_days: int = 14
    attestation_grace_days: int = 14
    training_reminder_days: int = 30
    batch_size: int = 1000

    def __post_init__(self) -> None:
        if self.attest_every_months < 1 or self.batch_size < 1:
            raise ValueError("attestation interval and batch size must be at least 1")
        if (
            min(
                self.attestation_reminder_days,
                self.attestation_grace_days,
                self.training_reminder_days,
            )
            < 0
        ):
            raise ValueError("reminder and grace periods cannot be negative")


@dataclass(frozen=True)
class DisposalPolicy:
    """How destruction is chased; every field can be set on the sweep's deployment."""

    reminder_days: tuple[int, ...] = DISPOSAL_REMINDER_DAYS
    escalate_to_chairs_after_days: int = 30
    batch_size: int = 1000

    def __post_init__(self) -> None:
        if any(r <= 0 for r in self.reminder_days) or len(set(self.reminder_days)) != len(
            self.reminder_days
        ):
            raise ValueError(f"disposal reminder days {list(self.reminder_days)}: distinct, > 0")
        if self.escalate_to_chairs_after_days < 1 or self.batch_size < 1:
            raise ValueError("escalation period and batch size must be at least 1")
