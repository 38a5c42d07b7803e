"""Triage as it happens in the database: gather the facts, store the findings, hand them on.

``diary.triage`` decides; this module feeds it and keeps what it says. It runs inside the
transaction that stores the entry, so an entry and the alert it raises commit together.
Findings go to the one handler named by ``settings.DIARY_FINDINGS_HANDLER`` (the
notifications app), so the diary never imports the app that pages people.
"""

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils.module_loading import import_string

from backend import metrics
from diary import advice, labels, rulesets, schedule, triage
from diary.models import (
    CheckIn,
    CheckInStatus,
    DiaryEntry,
    Finding,
    Limb,
    PatientStatus,
    Procedure,
    ProcedureStatus,
)

FOLLOWUP_KEY = "followup"
FOLLOWUP_LABEL = labels.FOLLOWUP
FOLLOWUP_WINDOW = timedelta(minutes=30)
# Opens as the other steps of the first 8 h do (CLINICAL.md v2, "Check-in windows").
FOLLOWUP_OPENS_BEFORE = timedelta(minutes=schedule.OPENS_BEFORE_MINUTES[schedule.AFTER_BLOCK])


@dataclass(frozen=True)
class Outcome:
    """What the phone is told about an entry: the advice, the alert it raised, and the
    findings (``diary.models.Finding`` rows) triage made of it."""

    advice: advice.Advice
    alert: dict | None = None  # {"id", "severity"}
    findings: list = field(default_factory=list)


@functools.cache
def routine(language: str) -> Outcome:
    """The outcome of an entry with nothing of concern, in the patient's language."""
    return Outcome(advice.advice([], language=language))


_FACT_FIELDS = [
    name for name in triage.EntryFacts.__dataclass_fields__ if name not in ("recorded_at",)
]


def facts_of(values) -> triage.EntryFacts:
    """EntryFacts from a validated payload (dict) or a stored entry (object); an answer
    left out stays None (not asked)."""
    get = values.get if isinstance(values, dict) else functools.partial(getattr, values)
    return triage.EntryFacts(
        recorded_at=get("recorded_at"), **{name: get(name, None) for name in _FACT_FIELDS}
    )


@functools.cache
def _handler():
    return import_string(settings.DIARY_FINDINGS_HANDLER)


def triage_entry(entry: DiaryEntry, procedure: Procedure) -> Outcome:
    """Run the rules on a just-stored entry; store findings, plan a follow-up, alert.

    Call inside the entry's transaction. The block's row is locked first so that two
    entries of one block arriving together are triaged one after the other (each sees the
    other as its previous entry, and they join one alert instead of racing for two).
    """
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    patient = procedure.patient
    rule_set = rulesets.active_rule_set(patient.clinic_id)
    facts = facts_of(entry)
    context = triage.Context(
        performed_at=procedure.performed_at,
        side=procedure.side,
        on_anticoagulants=patient.on_anticoagulants,
        rules=rulesets.rules_of(rule_set),
        previous=_previous_facts(entry),
    )
    found = triage.triage(facts, context)
    stored = Finding.objects.bulk_create(
        _finding(f, procedure, rule_set, entry=entry) for f in found
    )
    for finding in stored:
        metrics.findings.labels(finding.severity).inc()
    if triage.needs_followup(facts, context):
        plan_followup(procedure, context.rules.followup_hours)
    told = advice.advice(found, patient.clinic.phone, patient.language)
    # Stored before the handler runs, so that the alert it raises can name what the
    # patient was told.
    entry.advice_level, entry.advice_message = told.level, told.message
    DiaryEntry.objects.filter(pk=entry.pk).update(
        advice_level=told.level, advice_message=told.message
    )
    raised = _handler()(procedure, stored) if stored else None
    return Outcome(told, _alert_of(raised) if raised else None, stored)


def _alert_of(alert) -> dict:
    """What an entry's outcome keeps of its alert (an Alert, or what the handler raised):
    for the phone, and for "has the clinic seen my report?"."""
    return {
        "id": alert.pk if hasattr(alert, "pk") else alert.id,
        "severity": alert.severity,
        "state": alert.state,
        "acknowledged_at": alert.acknowledged_at,
        "resolved_at": alert.resolved_at,
    }


def _finding(found: triage.Finding, procedure, rule_set, **source) -> Finding:
    """The row of a finding (unsaved), with the entry or check-in it came from."""
    return Finding(
        procedure=procedure,
        rule=found.rule,
        severity=found.severity,
        priority=found.priority,
        reason=found.reason,
        pages_proceduralist=found.pages_proceduralist,
        rule_set=rule_set,
        **source,
    )


def _previous_facts(entry: DiaryEntry) -> triage.EntryFacts | None:
    previous = (
        DiaryEntry.objects.current()
        .filter(procedure_id=entry.procedure_id, recorded_at__lte=entry.recorded_at)
        .exclude(pk=entry.pk)
        .order_by("-recorded_at", "-id")
        .first()
    )
    return facts_of(previous) if previous else None


def followup_plan(procedure: Procedure, hours: float | None = None) -> schedule.PlannedCheckIn:
    """When the "still numb?" check-in of a block falls: ``hours`` after it, by default the
    clinic's current ``followup_hours``."""
    if hours is None:
        rules = rulesets.rules_of(rulesets.active_rule_set(procedure.patient.clinic_id))
        hours = rules.followup_hours
    at = procedure.performed_at + timedelta(hours=hours)
    return schedule.PlannedCheckIn(
        key=FOLLOWUP_KEY,
        kind=schedule.AFTER_BLOCK,
        opens_at=at - FOLLOWUP_OPENS_BEFORE,
        due_at=at,
        closes_at=at + FOLLOWUP_WINDOW,
        label=FOLLOWUP_LABEL,
        remind_at=at,
    )


def plan_followup(procedure: Procedure, hours: float) -> None:
    """Ask "is your leg still numb or weak?" at ``hours`` after the block.

    The check-in already open then carries the question when there is one (the default
    protocol's 4 h reading); otherwise a check-in of its own is added, once.
    """
    planned = followup_plan(procedure, hours)
    at = planned.due_at
    existing = procedure.checkins.filter(due_at__lte=at, closes_at__gt=at).exclude(
        status=CheckInStatus.CANCELLED
    )
    if existing.update(follow_up=True):
        return
    if procedure.checkins.filter(key=FOLLOWUP_KEY).exists():
        return
    CheckIn.objects.create(
        procedure=procedure,
        key=planned.key,
        kind=planned.kind,
        opens_at=planned.opens_at,
        due_at=planned.due_at,
        closes_at=planned.closes_at,
        label=planned.label,
        remind_at=planned.remind_at,
        follow_up=True,
    )


def stored_outcome(entry: DiaryEntry) -> Outcome:
    """The outcome of an entry stored earlier (a retried POST, or a read): the advice as it
    was shown, and its findings."""
    findings = list(entry.findings.all())
    told = stored_advice(entry, findings)
    if not findings:
        return Outcome(told)
    alerts = [
        event.alert
        for finding in findings
        for event in finding.alert_events.all()
        if event.kind in ("triggered", "repeated", "raised")
    ]
    top = max(alerts, key=lambda a: triage.SEVERITY_ORDER[a.severity], default=None)
    return Outcome(told, _alert_of(top) if top else None, findings)


def stored_advice(entry: DiaryEntry, findings: list[Finding]) -> advice.Advice:
    """What the patient was told about a stored entry. Entries stored before the advice was
    kept with them get it rebuilt from their findings, as the service would have said it."""
    if entry.advice_message:
        return advice.Advice(entry.advice_level, entry.advice_message)
    if not findings:
        return routine(entry.procedure.patient.language).advice
    as_found = [triage.Finding(f.rule, f.severity, f.reason, f.priority) for f in findings]
    patient = entry.procedure.patient
    return advice.advice(as_found, patient.clinic.phone, patient.language)


# --- Silence after a symptom ------------------------------------------------------------


def unresponsive_after_symptom(missed_ids: list[int]) -> int:
    """Alert on each just-missed check-in that was the first one after an entry reporting
    numbness, weakness or a heel that could not be lifted, with no entry since: silence
    after a symptom is not reassurance.

    Safe to run twice: a check-in's finding is unique (``finding_once_per_checkin``).
    """
    latest = (
        DiaryEntry.objects.current()
        .filter(procedure_id=OuterRef("procedure_id"))
        .order_by("-recorded_at", "-id")
    )
    missed = (
        CheckIn.objects.filter(pk__in=missed_ids, status=CheckInStatus.MISSED)
        .exclude(procedure__status=ProcedureStatus.CANCELLED)
        .filter(procedure__patient__status=PatientStatus.ACTIVE)
        .annotate(
            last_at=Subquery(latest.values("recorded_at")[:1]),
            last_numbness=Subquery(latest.values("numbness")[:1]),
            last_weakness=Subquery(latest.values("weakness")[:1]),
            last_heel=Subquery(latest.values("can_lift_heel")[:1]),
        )
        .select_related("procedure__patient")
    )
    raised = 0
    for checkin in missed:
        heel_failed = checkin.last_heel is not None and not checkin.last_heel
        symptom = heel_failed or any(
            value not in (None, Limb.NONE)
            for value in (checkin.last_numbness, checkin.last_weakness)
        )
        if checkin.last_at is None or not symptom or checkin.last_at >= checkin.due_at:
            continue
        if _first_checkin_after(checkin, checkin.last_at):
            raised += _raise_unresponsive(checkin)
    return raised


def _first_checkin_after(checkin: CheckIn, since: datetime) -> bool:
    earlier = CheckIn.objects.filter(
        procedure_id=checkin.procedure_id, due_at__gt=since, due_at__lt=checkin.due_at
    ).exclude(status=CheckInStatus.CANCELLED)
    return not earlier.exists()


def _raise_unresponsive(checkin: CheckIn) -> int:
    procedure = checkin.procedure
    rule_set = rulesets.active_rule_set(procedure.patient.clinic_id)
    found = triage.unresponsive_after_symptom(rulesets.rules_of(rule_set), checkin.label)
    try:
        with transaction.atomic():
            finding = _finding(found, procedure, rule_set, checkin=checkin)
            finding.save()
            _handler()(procedure, [finding])
    except IntegrityError:
        return 0  # another tick raised it first
    return 1
