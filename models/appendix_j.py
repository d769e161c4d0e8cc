"""The Appendix J form: what a drafting officer writes to propose an arrangement, parsed and
validated from YAML text. A bad field is reported as one line naming the field."""

from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from models.enums import PartyRole, ProtectiveMarking
from models.errors import InvalidInput

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartyEntry(_Form):
    agency: Text
    role: PartyRole


class DataItemEntry(_Form):
    name: Text
    description: str | None = None
    protective_marking: ProtectiveMarking
    statutory_restrictions: str | None = None
    personal_data: bool = True
    special_category: bool = False


class OverseasTransferEntry(_Form):
    country: Text
    # §10: no transfer outside the EEA without an adequate level of protection
    adequacy: Text


class RetentionEntry(_Form):
    period_months: int = Field(ge=0, le=1200)
    rule: Text
    disposal_method: Text


class ArrangementDraft(_Form):
    """Every field of an Appendix J arrangement (DESIGN §2)."""

    title: Text
    purposes: list[Text] = Field(min_length=1)
    lawful_basis: str | None = None
    special_category_condition: str | None = None
    consent_basis: str | None = None
    parties: list[PartyEntry] = Field(min_length=2)
    data_items: list[DataItemEntry] = Field(min_length=1)
    transfer_method: str | None = None
    transfers_outside_eea: list[OverseasTransferEntry] = Field(default_factory=list)
    security_arrangements: str | None = None
    storage_arrangements: str | None = None
    access_arrangements: str | None = None
    retention: RetentionEntry
    review_interval_months: int = Field(default=12, ge=1, le=60)

    @field_validator("parties")
    @classmethod
    def _parties_distinct_and_two_way(cls, parties: list[PartyEntry]) -> list[PartyEntry]:
        names = [p.agency.casefold() for p in parties]
        if len(set(names)) != len(names):
            raise ValueError("an agency is listed more than once")
        roles = {p.role for p in parties}
        if not (roles & {PartyRole.DISCLOSER, PartyRole.BOTH}):
            raise ValueError("no party discloses data")
        if not (roles & {PartyRole.RECIPIENT, PartyRole.BOTH}):
            raise ValueError("no party receives data")
        return parties

    @property
    def special_category_shared(self) -> bool:
        return any(item.special_category for item in self.data_items)


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def parse_arrangement_draft(source: str, text: str) -> ArrangementDraft:
    """Parse Appendix J YAML; `InvalidInput` names the source and the first bad field."""
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(f"{source}: not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{source}: expected a mapping of Appendix J fields")
    try:
        draft = ArrangementDraft.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "not an Appendix J field"
        raise InvalidInput(f"{source}: {_location(err['loc'])}: {msg}") from None
    if draft.special_category_shared and not (draft.special_category_condition or "").strip():
        raise InvalidInput(
            f"{source}: special_category_condition: required when a data item is special category"
        )
    return draft


TEMPLATE = """\
# Appendix J: Partner Agency Information Sharing Arrangement
# Fill this in, then: isa arrangement draft THIS_FILE --as YOUR_EMAIL
# Every agency named under `parties` must already be registered (isa agency list).

title: "Early help referrals between Northshire Council and Northshire NHS Trust"

# §14: shared information may be used only for the purposes stated here.
purposes:
  - "Identify families who would benefit from early help"

# §6, §10: the lawful basis must be recorded before the arrangement can be submitted.
lawful_basis: "UK GDPR Article 6(1)(e) public task; Children Act 2004 s.10"
# Required when any data item is special category (UK GDPR Article 9 condition).
special_category_condition: "UK GDPR Article 9(2)(h) health or social care"
# How consent is gained or why it is not needed (§17-§23).
consent_basis: "Not relied on: statutory duty; families informed by privacy notice"

# Each party discloses, receives, or both. At least one must disclose and one receive.
parties:
  - agency: "Northshire County Council"
    role: discloser        # discloser | recipient | both
  - agency: "Northshire NHS Trust"
    role: recipient

# What is shared (§30). protective_marking:
#   unmarked | official | official_sensitive | secret | top_secret
data_items:
  - name: "Child's name, date of birth and address"
    description: "Identifiers needed to match records"
    protective_marking: official_sensitive
    statutory_restrictions: "Child protection information: share only with the named team (§16)"
    personal_data: true
    special_category: false
  - name: "Health visiting concerns"
    protective_marking: official_sensitive
    personal_data: true
    special_category: true

# How data moves between the parties.
transfer_method: "Secure email (TLS enforced) between named mailboxes"
# §10: transfers outside the EEA are refused unless adequacy is recorded; leave [] if none.
transfers_outside_eea: []
#  - country: "United States"
#    adequacy: "UK Extension to the EU-US Data Privacy Framework"

# §24-§31: how the data is secured and stored by the receiving parties, and who may access it.
security_arrangements: "Role-based access, MFA, audit logging; ISO 27001 certified"
storage_arrangements: "Case management system hosted in the UK"
access_arrangements: "Named early help practitioners only, on a need-to-know basis (§10)"

# §35-§37: how long the recipients keep the data and how they destroy it.
retention:
  period_months: 24
  rule: "Council retention schedule 4.2: early help records kept 2 years after case closure"
  disposal_method: "Secure deletion to NCSC guidance; paper cross-cut shredded"

# §31: how often the arrangement is reviewed, in months.
review_interval_months: 12
"""
