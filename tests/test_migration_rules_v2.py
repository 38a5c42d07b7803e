"""Migration 0005 forward on a database with rule set v1, a clinic's v1 overrides and v1
findings: v2 is seeded, the overrides are carried onto it as the clinic's new version, and
the old findings keep the rules that produced them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migration_states import V1_DEFAULTS

BEFORE = [("diary", "0004_default_rule_set"), ("notifications", "0002_alerts")]
AFTER = [("diary", "0005_rules_v2_windows"), ("notifications", "0003_alert_pages_proceduralist")]
BLOCK = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest_schema_after():
    """Leave the database at the newest migrations: later tests on this worker need them."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_v1_overrides_are_carried_onto_v2_and_v1_findings_keep_their_rules(latest_schema_after):
    old = migrate(BEFORE)
    Clinic = old.get_model("diary", "Clinic")
    Patient = old.get_model("diary", "Patient")
    Protocol = old.get_model("diary", "Protocol")
    Procedure = old.get_model("diary", "Procedure")
    CheckIn = old.get_model("diary", "CheckIn")
    DiaryEntry = old.get_model("diary", "DiaryEntry")
    RuleSet = old.get_model("diary", "RuleSet")
    Finding = old.get_model("diary", "Finding")

    north = Clinic.objects.create(name="North", timezone="Europe/London")
    south = Clinic.objects.create(name="South", timezone="Europe/London")
    # The database as version 1 left it, whatever earlier tests flushed or seeded: migrating
    # back keeps rows seeded later (their reverse is a no-op).
    RuleSet.objects.all().delete()
    v1 = RuleSet.objects.create(clinic=None, version=1, values=V1_DEFAULTS)
    protocol, _ = Protocol.objects.get_or_create(name="Migration test protocol")
    ProtocolStep = old.get_model("diary", "ProtocolStep")
    ProtocolStep.objects.create(
        protocol=protocol, key="m30", kind="after_block", offset_minutes=30, window_minutes=15
    )
    ProtocolStep.objects.create(protocol=protocol, key="d1", kind="daily", day=1, window_minutes=60)
    v1_values = dict(v1.values)
    north_v1 = RuleSet.objects.create(
        clinic=north,
        version=1,
        values={**v1_values, "fever_celsius": 38.5},
        overrides={"fever_celsius": 38.5},
    )
    north_v2 = RuleSet.objects.create(
        clinic=north,
        version=2,
        values={**v1_values, "fever_celsius": 38.3, "positive_relief_percent": 50},
        overrides={"fever_celsius": 38.3, "positive_relief_percent": 50},
    )
    ana = Patient.objects.create(clinic=north, display_name="Ana", timezone="Europe/London")
    block = Procedure.objects.create(
        patient=ana,
        protocol=protocol,
        kind="diagnostic_mbb",
        levels="L4-L5",
        side="left",
        anesthetic="lidocaine",
        concentration_percent=2,
        volume_ml_per_level=0.5,
        performed_at=BLOCK,
        baseline_pain=8,
        status="performed",
    )
    for key, kind, due in (
        ("m30", "after_block", BLOCK + timedelta(minutes=30)),
        ("d1", "daily", BLOCK + timedelta(days=1)),
        ("followup", "after_block", BLOCK + timedelta(hours=4)),
    ):
        CheckIn.objects.create(
            procedure=block,
            key=key,
            kind=kind,
            due_at=due,
            closes_at=due + timedelta(minutes=30),
            label=key,
        )
    entry = DiaryEntry.objects.create(
        client_id="00000000-0000-0000-0000-000000000001",
        patient=ana,
        procedure=block,
        recorded_at=BLOCK + timedelta(hours=5),
        pain_score=3,
        numbness="left_leg",
        fingerprint="x",
    )
    old_finding = Finding.objects.create(
        procedure=block,
        entry=entry,
        rule="numbness_persisting",
        severity="emergency",
        reason="Numbness of the left leg 5 h 00 min after the block.",
        rule_set=north_v2,
    )

    new = migrate(AFTER)
    RuleSet = new.get_model("diary", "RuleSet")
    Finding = new.get_model("diary", "Finding")
    CheckIn = new.get_model("diary", "CheckIn")
    ProtocolStep = new.get_model("diary", "ProtocolStep")
    DiaryEntry = new.get_model("diary", "DiaryEntry")

    default_v2 = RuleSet.objects.get(clinic=None, version=2)
    assert default_v2.clinical_version == 2
    assert default_v2.values["onset_minutes"] == 30
    assert RuleSet.objects.get(pk=v1.pk).clinical_version == 1
    north_v3 = RuleSet.objects.get(clinic_id=north.pk, version=3)
    assert north_v3.clinical_version == 2
    assert north_v3.overrides == {"fever_celsius": 38.3, "positive_relief_percent": 50}
    assert north_v3.values == {
        **default_v2.values,
        "fever_celsius": 38.3,
        "positive_relief_percent": 50,
    }
    assert RuleSet.objects.get(pk=north_v1.pk).values["fever_celsius"] == 38.5  # untouched
    assert not RuleSet.objects.filter(clinic_id=south.pk).exists()  # no overrides: defaults

    kept = Finding.objects.get(pk=old_finding.pk)
    assert (kept.rule_set_id, kept.pages_proceduralist) == (north_v2.pk, True)

    opens = dict(CheckIn.objects.values_list("key", "opens_at"))
    assert opens["m30"] == BLOCK + timedelta(minutes=25)
    assert opens["d1"] == BLOCK + timedelta(days=1) - timedelta(minutes=60)
    assert opens["followup"] == BLOCK + timedelta(hours=4) - timedelta(minutes=5)
    steps = ProtocolStep.objects.filter(protocol_id=protocol.pk)
    assert set(steps.values_list("kind", "opens_before_minutes")) == {
        ("after_block", 5),
        ("daily", 60),
    }
    # What the old entry said is kept: its "no"s stay "no" (nobody can tell now if asked).
    assert DiaryEntry.objects.get(pk=entry.pk).saddle_numbness is False
