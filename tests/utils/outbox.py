"""Emails in the outbox without a use case: made-up partners' suspension emails, rendered and
queued as a use case would, for the delivery tests."""

import pendulum

from models.events import SuspensionRaised
from notifications.catalog import CATALOG
from notifications.context import Recipient, event_fields, shared_context
from notifications.outbox import draft, insert_rows
from tests.conftest import Database
from tests.utils.samples import SampleRegisterView, sample_event


def queue_many(db: Database, count: int, now: pendulum.DateTime) -> None:
    """`count` suspension emails to made-up partners, rendered and queued as a use case would."""
    notice = CATALOG["suspension.raised"]
    fields = event_fields(sample_event(SuspensionRaised))
    shared = shared_context(notice, fields, SampleRegisterView(), now)
    rows = [
        draft(
            notice,
            shared,
            Recipient(
                email=f"signatory{i}@agency{i}.example",
                name=f"Signatory {i}",
                role="signatory",
                capacity=f"signatory for Agency {i}",
                agency=f"Agency {i}",
            ),
            now,
        )
        for i in range(count)
    ]
    with db.session() as session:
        insert_rows(session, rows)
        session.commit()
