"""Checks on values people type: emails, names, free text, registrations. Pure, so the CLI, the
web and the use cases agree. A value that would print as something else (a name that draws a
second row in a listing, an escape sequence that repaints a terminal) is refused, not cleaned."""

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from models.errors import InvalidInput

# One line: a name, a title, a course. Free text: a reason, a justification, a risk assessment.
MAX_NAME = 200
MAX_TEXT = 4000

# Line and paragraph separators end a line on a terminal or a page as LF does; the bidirectional
# embeddings, overrides and isolates reorder what is shown ("Chris \u202eriahC" shows otherwise).
_BREAKS_A_LINE = {
    "\u2028",
    "\u2029",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
}


def control_character(value: str, *, allow: str = "") -> str | None:
    """The first character of `value` that is a control character (Unicode Cc), a line or
    paragraph separator or a bidirectional override, unless in `allow`; else None."""
    for c in value:
        if c in allow:
            continue
        if unicodedata.category(c) == "Cc" or c in _BREAKS_A_LINE:
            return c
    return None


def one_line(value: str, *, limit: int = MAX_NAME) -> str:
    """Why a one-line value (a name, a title) is refused, as a phrase; '' when it is not."""
    if control_character(value) is not None:
        return "must be one line without control characters"
    if len(value) > limit:
        return f"is longer than {limit} characters"
    return ""


def paragraphs(value: str, *, limit: int = MAX_TEXT) -> str:
    """Why free text (tabs and newlines allowed) is refused, as a phrase; '' when it is not."""
    if control_character(value, allow="\t\n") is not None:
        return "must not contain control characters (other than tab and newline)"
    if len(value) > limit:
        return f"is longer than {limit} characters"
    return ""


def name_key(name: str) -> str:
    """A name as the register compares it: Unicode NFKC, case-folded, surrounding and repeated
    whitespace collapsed. "YSBYTY Ó DÁLAIGH  NHS Trust" and "ysbyty ó dálaigh nhs trust" are one
    key, as are a full-width and an ordinary letter; SQL's lower() folds ASCII only on SQLite."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def normalise_email(value: str) -> str:
    """The canonical lower-case form of an email address, or `InvalidInput` saying why not."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"not a valid email address: {value!r} ({exc})") from None
    if not checked.local_part.isascii():
        raise InvalidInput(f"{value.strip()!r}: {NON_ASCII_MAILBOX}")
    return checked.normalized.lower()


# A mailbox name outside ASCII travels only over SMTPUTF8, which relays cannot be relied on to
# offer; an address with one could be recorded and then never reached.
NON_ASCII_MAILBOX = (
    "the mailbox name (before the @) is not ASCII, which only relays offering SMTPUTF8 "
    "deliver: record the person's ASCII address"
)


def required_name(
    value: str | None, what: str, *, limit: int = MAX_NAME, field: str | None = None
) -> str:
    """A name or other one-line value the register shows in listings: non-blank, one line.
    `field`: the use case's parameter, so each way in names it its own way (IsaError)."""
    return _required(value, what, one_line(_stripped(value), limit=limit), field)


def required_text(
    value: str | None, what: str, *, limit: int = MAX_TEXT, field: str | None = None
) -> str:
    """Free text the protocol requires (a reason, a justification): non-blank, printable."""
    return _required(value, what, paragraphs(_stripped(value), limit=limit), field)


def _stripped(value: str | None) -> str:
    return (value or "").strip()


def _required(value: str | None, what: str, problem: str, field: str | None) -> str:
    text = _stripped(value)
    named, inputs = (f"{{{field}}}", {field: what}) if field else (what, None)
    if not text:
        raise InvalidInput(f"{named} is required", inputs=inputs)
    if problem:
        raise InvalidInput(f"{named} {problem}", inputs=inputs)
    return text


# A data subject's reference in the agency's own records: a case or record number, never a name.
_SUBJECT_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}")


def subject_reference(value: str | None) -> str:
    """The agency's own reference for a data subject (§9, §18): letters, digits and / . _ -,
    at least one digit, up to 64 characters. Anything that could carry personal detail (a
    space, an @, a name without a number) is refused: emails carry the reference alone."""
    return case_reference(
        value, field="subject_ref", what="the data subject reference", of="for the data subject"
    )


def case_reference(value: str | None, *, field: str, what: str, of: str = "") -> str:
    """An agency's own case or record number (a data subject's, §9; a request's, §7), checked as
    subject_reference is: letters, digits and / . _ -, at least one digit, up to 64 characters,
    so no name or other personal detail rides in an email on it."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{{{field}}} is required", inputs={field: what})
    if not _SUBJECT_REF.fullmatch(text) or not any(c.isdigit() for c in text):
        raise InvalidInput(
            f"{{{field}}} must be your agency's case or record number{' ' + of if of else ''} "
            "(letters, digits and / . _ -, with at least one digit, up to 64 characters): "
            "no name, address or other personal detail",
            inputs={field: what},
        )
    return text


# The ICO's register of data protection fees: Z and seven digits, or Z, a letter and six digits.
_ICO_REGISTRATION = re.compile(r"Z(?:\d{7}|[A-Z]\d{6})")


def ico_registration(value: str | None) -> str | None:
    """An ICO registration number in its canonical upper-case form, None if blank."""
    text = (value or "").strip().upper()
    if not text:
        return None
    if not _ICO_REGISTRATION.fullmatch(text):
        shown = value if len(value or "") <= 12 else f"{(value or '')[:11]}…"
        raise InvalidInput(
            f"{{ico_registration}} {shown!r} is not an ICO registration number "
            "(Z and 7 digits, or Z, a letter and 6 digits: e.g. Z1234567, ZA123456)",
            inputs={"ico_registration": "the ICO registration number"},
        )
    return text
