"""A submitted version of an arrangement as it was signed: its full Appendix J content in the
form's own shape, the template version it was written against, and the hash that binds every
sign-off to that content (DESIGN §3). Pure functions: the use cases, the read models, the
portal and migration 0019 all build and hash a version here, so they agree byte for byte."""

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

# The Appendix J form's version: a version records which one its content follows.
TEMPLATE_VERSION = "appendix-j/1"
HASH_NOT_RECORDED = "hash not recorded"


def version_content(
    arrangement: Mapping[str, Any],
    parties: Sequence[Mapping[str, Any]],
    data_items: Sequence[Mapping[str, Any]],
    transfers: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """An arrangement's content in the Appendix J form's shape (models.appendix_j), from its
    columns and rows: `parties` as {agency, role}, the items and transfers in their order."""
    return {
        "title": arrangement["title"],
        "purposes": list(arrangement["purposes"] or []),
        "lawful_basis": arrangement["lawful_basis"],
        "special_category_condition": arrangement["special_category_condition"],
        "consent_basis": arrangement["consent_basis"],
        "parties": [{"agency": p["agency"], "role": str(p["role"])} for p in parties],
        "data_items": [
            {
                "name": i["name"],
                "description": i["description"],
                "protective_marking": str(i["protective_marking"]),
                "statutory_restrictions": i["statutory_restrictions"],
                "personal_data": bool(i["personal_data"]),
                "special_category": bool(i["special_category"]),
            }
            for i in data_items
        ],
        "transfer_method": arrangement["transfer_method"],
        "transfers_outside_eea": [
            {"country": t["country"], "adequacy": t["adequacy"]} for t in transfers
        ],
        "security_arrangements": arrangement["security_arrangements"],
        "storage_arrangements": arrangement["storage_arrangements"],
        "access_arrangements": arrangement["access_arrangements"],
        "retention": {
            "period_months": arrangement["retention_months"],
            "rule": arrangement["retention_rule"],
            "disposal_method": arrangement["disposal_method"],
        },
        "review_interval_months": arrangement["review_interval_months"],
    }


def version_hash(
    reference: str, version: int, template_version: str, content: Mapping[str, Any]
) -> str:
    """The SHA-256 of a version: its arrangement, number, template and content, canonical JSON."""
    payload = {
        "reference": reference,
        "version": version,
        "template_version": template_version,
        "content": content,
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _text(value: Any) -> str:
    if value is None or value == "":
        return "(not given)"
    if isinstance(value, list):
        return "\n".join(f"- {v}" for v in value)
    return str(value)


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def shown_fields(content: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A version's content as the labelled fields a signatory reads, in the form's order."""
    retention = content.get("retention") or {}
    parties = [f"{p['agency']} ({str(p['role']).replace('_', ' ')})" for p in content["parties"]]
    items = [
        f"{i['name']} [{str(i['protective_marking']).replace('_', ' ')}; personal data "
        f"{_yes_no(i['personal_data'])}; special category {_yes_no(i['special_category'])}]"
        + (f": {i['description']}" if i.get("description") else "")
        + (
            f" (statutory restrictions: {i['statutory_restrictions']})"
            if i.get("statutory_restrictions")
            else ""
        )
        for i in content["data_items"]
    ]
    transfers = [
        f"{t['country']} (adequacy: {t['adequacy']})" for t in content["transfers_outside_eea"]
    ]
    return (
        ("Title", _text(content["title"])),
        ("Purposes", _text(content["purposes"])),
        ("Lawful basis", _text(content["lawful_basis"])),
        ("Special category condition", _text(content["special_category_condition"])),
        ("Consent basis", _text(content["consent_basis"])),
        ("Parties", _text(parties)),
        ("Data items", _text(items)),
        ("Transfer method", _text(content["transfer_method"])),
        ("Transfers outside the EEA", _text(transfers) if transfers else "none"),
        ("Security arrangements", _text(content["security_arrangements"])),
        ("Storage arrangements", _text(content["storage_arrangements"])),
        ("Access arrangements", _text(content["access_arrangements"])),
        ("Retention", f"{retention.get('period_months')} months"),
        ("Retention rule", _text(retention.get("rule"))),
        ("Disposal method", _text(retention.get("disposal_method"))),
        ("Review interval", f"{content['review_interval_months']} months"),
    )


def changes_between(
    earlier: Mapping[str, Any], later: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    """Field by field, what differs between two versions' content: (field, was, now)."""
    was = dict(shown_fields(earlier))
    return [(label, was[label], now) for label, now in shown_fields(later) if was[label] != now]
