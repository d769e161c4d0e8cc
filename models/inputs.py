"""Checks on values people type: emails and free text. Pure, so the CLI and the use cases agree."""

from email_validator import EmailNotValidError, validate_email

from models.errors import InvalidInput


def normalise_email(value: str) -> str:
    """The canonical lower-case form of an email address, or `InvalidInput` saying why not."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"not a valid email address: {value!r} ({exc})") from None
    return checked.normalized.lower()


def required_text(value: str | None, what: str) -> str:
    """Free text the protocol requires (a reason, a justification): non-blank, one paragraph."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{what} is required")
    return text
