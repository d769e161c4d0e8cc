"""The migrations users run build exactly the schema the models declare, on both backends."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session

from core.db import upgrade
from models.tables import metadata
from tests.conftest import Database, empty_postgres_schema

NOW = "2026-11-25 10:00:00"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def postgres_or_sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, nothing migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with empty_postgres_schema("isa_migrate") as url:
        yield url


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_audit_chain_starts_at_the_genesis_head(db: Database) -> None:
    assert db.count("audit_head", "seq = 0 AND hash = '" + "0" * 64 + "'") == 1
    assert db.count("audit_event") == 0


def _populate_at_first_revision(url: str) -> None:
    from core.db import make_engine

    upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agency (id, name, status, created_at) VALUES (1, 'A', 'member', :t), (2, 'B', 'member', :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO contact (id, agency_id, email, name, created_at) VALUES (1, 1, 'a@a.example', 'A', :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO arrangement (id, reference, title, purposes, lawful_basis, retention_months, "
                "review_interval_months, version, status, next_review_due, drafted_by, created_at, updated_at) "
                "VALUES (1, 'ISA-2026-0001', 'T', '[\"p\"]', 'Public task', 12, 12, 1, 'active', '2027-11-25', 'a@a.example', :t, :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO arrangement_party (arrangement_id, agency_id, role) VALUES (1, 1, 'discloser'), (1, 2, 'recipient')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO review (arrangement_id, due_on, status) VALUES (1, '2027-11-25', 'scheduled')"
            )
        )
        # B withdrew and A is suspended before the flows that carry them out existed
        conn.execute(text("UPDATE agency SET status = 'withdrawn' WHERE id = 2"))
        conn.execute(text("UPDATE agency SET status = 'suspended' WHERE id = 1"))
        conn.execute(
            text(
                "INSERT INTO withdrawal (reference, agency_id, reason, raised_by, noticed_at, "
                "effective_on, status) VALUES ('WDR-2026-0001', 2, 'Merged', 'b@b.example', :t, "
                "'2026-11-25', 'notified')"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO suspension (reference, agency_id, reason, raised_by, raised_at, "
                "meeting_deadline, ends_at, status) VALUES ('SUS-2026-0001', 1, 'Breach', "
                "'a@a.example', :t, :d, :e, 'raised')"
            ),
            {"t": NOW, "d": "2026-12-09T23:59:59+00:00", "e": "2026-12-25T10:00:00+00:00"},
        )
    engine.dispose()


def test_a_populated_register_upgrades_from_the_first_migration_to_the_latest(
    postgres_or_sqlite_url: str,
) -> None:
    from core.db import make_engine

    _populate_at_first_revision(postgres_or_sqlite_url)
    upgrade(postgres_or_sqlite_url)
    engine = make_engine(postgres_or_sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT reference, status, approval_chase FROM arrangement")
        ).all() == [("ISA-2026-0001", "active", 0)]
        assert conn.execute(text("SELECT due_on, escalation, reminded_rung FROM review")).all()[0][
            1:
        ] == (0, None)
        assert conn.execute(text("SELECT count(*) FROM arrangement_party")).scalar() == 2
        # the old notice took effect when given; the open suspension's flow is still to start,
        # so the event that starts it waits in the event outbox (0010)
        assert conn.execute(
            text("SELECT status, completed_at IS NOT NULL FROM withdrawal")
        ).one() == ("completed", True)
        assert conn.execute(
            text("SELECT event, cause, reference, published_at FROM event_outbox")
        ).all() == [("isa.suspension.raised", "suspension.raised", "SUS-2026-0001", None)]
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    engine.dispose()
    assert differences == []


def _old_chain(url: str, events: int) -> None:
    """An audit log as the versions before 0008 wrote it: hashed with plain SHA-256."""
    import hashlib
    import json

    from core.db import make_engine

    upgrade(url, "0007")
    engine = make_engine(url)
    previous = "0" * 64
    with engine.begin() as conn:
        for seq in range(1, events + 1):
            row = {
                "seq": seq,
                "occurred_at": "2026-11-25T10:00:00.000000Z",
                "actor": "cli:admin" if seq % 2 else "system:prefect",
                "action": "chair.add",
                "outcome": "done",
                "subject_type": "chair",
                "subject_ref": f"chair{seq}@group.example",
                "before": None,
                "after": {"name": f"Chair {seq}"},
                "detail": None,
                "prev_hash": previous,
            }
            digest = hashlib.sha256(
                json.dumps(row, sort_keys=True, separators=(",", ":")).encode()
            ).hexdigest()
            conn.execute(
                text(
                    "INSERT INTO audit_event (seq, occurred_at, actor, action, outcome, "
                    "subject_type, subject_ref, before, after, detail, prev_hash, hash) VALUES "
                    "(:seq, :t, :actor, :action, :outcome, :subject_type, :subject_ref, NULL, "
                    ":after, NULL, :prev_hash, :hash)"
                ),
                {**row, "t": NOW, "after": json.dumps(row["after"]), "hash": digest},
            )
            previous = digest
        conn.execute(
            text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": events, "h": previous}
        )
    engine.dispose()


def test_migration_0008_seals_an_intact_old_chain_with_the_audit_key(
    postgres_or_sqlite_url: str,
) -> None:
    from sqlalchemy.exc import DBAPIError

    from tasks.audit import verify_audit
    from tests.conftest import TEST_AUDIT_KEY, sealed_engine

    url = postgres_or_sqlite_url
    _old_chain(url, 5)
    upgrade(url, audit_key=TEST_AUDIT_KEY.encode())
    engine = sealed_engine(url)
    with Session(engine) as session:
        verified = verify_audit(session)
    assert (verified.events, verified.broken) == (5, None)
    with engine.connect() as conn:
        channels = conn.execute(text("SELECT channel FROM audit_event ORDER BY seq")).scalars()
        assert list(channels) == ["cli", "prefect", "cli", "prefect", "cli"]
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'x' WHERE seq = 1"))
    engine.dispose()


@pytest.mark.parametrize("broken", [True, False])
def test_migration_0008_refuses_to_seal_a_broken_chain_or_to_run_without_the_key(
    postgres_or_sqlite_url: str, broken: bool
) -> None:
    from core.db import make_engine
    from models.errors import IsaError
    from tests.conftest import TEST_AUDIT_KEY

    url = postgres_or_sqlite_url
    _old_chain(url, 4)
    if broken:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2"))
        engine.dispose()
        with pytest.raises(IsaError, match="the audit chain is broken at event #2"):
            upgrade(url, audit_key=TEST_AUDIT_KEY.encode())
    else:
        with pytest.raises(IsaError, match="run `isa db upgrade`"):
            upgrade(url)


def _agencies_at_0008(url: str, names: list[str]) -> None:
    from core.db import make_engine

    upgrade(url, "0008")
    engine = make_engine(url)
    with engine.begin() as conn:
        for name in names:
            conn.execute(
                text("INSERT INTO agency (name, status, created_at) VALUES (:n, 'member', :t)"),
                {"n": name, "t": NOW},
            )
    engine.dispose()


def test_migration_0009_keys_each_agency_s_name_places_it_and_identifies_the_register(
    postgres_or_sqlite_url: str,
) -> None:
    from core.db import make_engine

    url = postgres_or_sqlite_url
    _agencies_at_0008(url, ["Ysbyty Ó Dálaigh NHS Trust", "Northshire  Police"])
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, name_key, nation FROM agency ORDER BY id")).all()
        (identifier,) = conn.execute(text("SELECT identifier FROM installation")).one()
    engine.dispose()
    assert rows == [
        ("Ysbyty Ó Dálaigh NHS Trust", "ysbyty ó dálaigh nhs trust", "england_and_wales"),
        ("Northshire  Police", "northshire police", "england_and_wales"),
    ]
    assert len(identifier) == 16 and identifier.isalnum()


def test_migration_0009_refuses_agencies_that_differ_only_in_case_or_spacing(
    postgres_or_sqlite_url: str,
) -> None:
    from models.errors import IsaError

    _agencies_at_0008(postgres_or_sqlite_url, ["Northshire Police", "NORTHSHIRE  police"])
    with pytest.raises(IsaError, match="agencies 'Northshire Police' and 'NORTHSHIRE  police'"):
        upgrade(postgres_or_sqlite_url)


def test_migration_0010_keeps_the_meeting_s_sequence_and_organizer_on_the_suspension(
    postgres_or_sqlite_url: str,
) -> None:
    """Counted once from the audit log: a meeting set twice (and once refused) is at SEQUENCE 1,
    organised by the chair who moved it; a suspension whose meeting was never set has none."""
    from core.db import make_engine

    url = postgres_or_sqlite_url
    _agencies_at_0008(url, ["Trust", "Police"])
    upgrade(url, "0009")
    engine = make_engine(url)
    with engine.begin() as conn:
        for ref, agency in (("SUS-2026-0001", 1), ("SUS-2026-0002", 2)):
            conn.execute(
                text(
                    "INSERT INTO suspension (reference, agency_id, reason, raised_by, raised_at, "
                    "meeting_deadline, ends_at, status) VALUES (:ref, :a, 'Breach', "
                    "'s@trust.example', :t, :deadline, :ends, 'raised')"
                ),
                {
                    "ref": ref,
                    "a": agency,
                    "t": NOW,
                    "deadline": "2026-12-09 23:59:59",
                    "ends": "2026-12-25 10:00:00",
                },
            )
        for seq, (actor, outcome) in enumerate(
            (("a@chairs.example", "done"), ("b@chairs.example", "done"), ("c@x", "refused")),
            start=1,
        ):
            conn.execute(
                text(
                    "INSERT INTO audit_event (seq, occurred_at, actor, channel, action, outcome, "
                    "subject_type, subject_ref, prev_hash, hash) VALUES (:seq, :t, :actor, "
                    "'cli', 'suspension.schedule_meeting', :outcome, 'suspension', "
                    "'SUS-2026-0001', 'x', :hash)"
                ),
                {"seq": seq, "t": NOW, "actor": actor, "outcome": outcome, "hash": f"h{seq}"},
            )
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT reference, meeting_sequence, meeting_set_by FROM suspension ORDER BY id")
        ).all()
    engine.dispose()
    assert rows == [("SUS-2026-0001", 1, "b@chairs.example"), ("SUS-2026-0002", None, None)]


def _signed_before_0019(url: str) -> None:
    """A register as the versions before 0019 left it: an arrangement signed by both parties
    (no hash recorded), one awaiting approval and one draft."""
    from core.db import make_engine

    upgrade(url, "0018")
    engine = make_engine(url)
    with engine.begin() as conn:
        for agency_id, name in ((1, "Council"), (2, "Trust")):
            conn.execute(
                text(
                    "INSERT INTO agency (id, name, name_key, nation, status, created_at) "
                    "VALUES (:i, :n, lower(:n), 'england_and_wales', 'member', :t)"
                ),
                {"i": agency_id, "n": name, "t": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO contact (id, agency_id, email, name, created_at) "
                    "VALUES (:i, :i, :e, :n, :t)"
                ),
                {"i": agency_id, "e": f"sign@{name.lower()}.example", "n": name, "t": NOW},
            )
        for arrangement_id, status, review in (
            (1, "active", "2027-11-25"),
            (2, "awaiting_approval", None),
            (3, "draft", None),
        ):
            conn.execute(
                text(
                    "INSERT INTO arrangement (id, reference, title, purposes, lawful_basis, "
                    "retention_months, retention_rule, disposal_method, review_interval_months, "
                    "version, status, next_review_due, drafted_by, created_at, updated_at, "
                    "submitted_at, approval_chase) VALUES (:i, :r, :title, '[\"Early help\"]', "
                    "'Public task', 24, 'Two years', 'Shredding', 12, 1, :s, :due, "
                    "'sign@council.example', :t, :t, :t, 0)"
                ),
                {
                    "i": arrangement_id,
                    "r": f"ISA-2026-000{arrangement_id}",
                    "title": f"Arrangement {arrangement_id}",
                    "s": status,
                    "due": review,
                    "t": NOW,
                },
            )
            conn.execute(
                text(
                    "INSERT INTO arrangement_party (arrangement_id, agency_id, role) "
                    "VALUES (:i, 1, 'discloser'), (:i, 2, 'recipient')"
                ),
                {"i": arrangement_id},
            )
            conn.execute(
                text(
                    "INSERT INTO data_item (arrangement_id, name, protective_marking, "
                    "personal_data, special_category) VALUES (:i, 'Referral', 'official', "
                    ":yes, :no)"
                ),
                {"i": arrangement_id, "yes": True, "no": False},
            )
        for agency_id in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO sign_off (arrangement_id, version, agency_id, contact_id, "
                    "decision, decided_at) VALUES (1, 1, :a, :a, 'approved', :t)"
                ),
                {"a": agency_id, "t": NOW},
            )
    engine.dispose()


def test_migration_0019_snapshots_each_submitted_version_and_old_sign_offs_have_no_hash(
    postgres_or_sqlite_url: str,
) -> None:
    from sqlalchemy.exc import DBAPIError

    from core.db import make_engine
    from models.versions import HASH_NOT_RECORDED, TEMPLATE_VERSION, version_hash
    from tasks.listings.arrangements import arrangement_version_list

    url = postgres_or_sqlite_url
    _signed_before_0019(url)
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        signed = arrangement_version_list(conn, "ISA-2026-0001")
        awaiting = arrangement_version_list(conn, "ISA-2026-0002")
        draft = arrangement_version_list(conn, "ISA-2026-0003")
        in_force = conn.execute(
            text("SELECT reference, in_force_version FROM arrangement ORDER BY id")
        ).all()
    # the signed version and the one awaiting approval are kept as they stand; a draft was
    # never submitted, so it has no version yet
    assert [len(signed), len(awaiting), draft] == [1, 1, []]
    (v1,) = signed
    assert v1["content"]["title"] == "Arrangement 1"
    assert v1["content"]["parties"] == [
        {"agency": "Council", "role": "discloser"},
        {"agency": "Trust", "role": "recipient"},
    ]
    assert v1["content"]["retention"]["period_months"] == 24
    assert v1["content_hash"] == version_hash("ISA-2026-0001", 1, TEMPLATE_VERSION, v1["content"])
    assert v1["in_force"] is True and awaiting[0]["in_force"] is False
    assert [(s["signatory"], s["content_hash"]) for s in v1["sign_offs"]] == [
        ("sign@council.example", HASH_NOT_RECORDED),
        ("sign@trust.example", HASH_NOT_RECORDED),
    ]
    assert in_force == [("ISA-2026-0001", 1), ("ISA-2026-0002", None), ("ISA-2026-0003", None)]
    # and the versions it kept are append-only from the start
    for statement in (
        "UPDATE arrangement_version SET version = 9",
        "DELETE FROM arrangement_version",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
