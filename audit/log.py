"""Writing audit rows: ``record(action, ...)``, one INSERT, in the caller's transaction.

Who and from where come from the request being answered (``AuditMiddleware`` keeps it in a
context variable, so a service several calls down needs no extra argument); outside a
request (a Celery task, a management command) the actor is the system.
"""

import contextvars
from collections.abc import Iterable

from django.conf import settings
from django.utils.module_loading import import_string

from audit.models import Action, ActorKind, AuditEvent
from backend import rows
from backend.routes import route_of

_request = contextvars.ContextVar("audit_request", default=None)
PATIENT_MODEL = "diary.Patient"
SECRET_FIELDS = {"key_hash", "code_hash", "password", "fingerprint", "token"}


def bind(request):
    """Make ``request`` the one rows are attributed to; returns the token to ``unbind``."""
    return _request.set(request)


def unbind(token) -> None:
    _request.reset(token)


def current_request():
    return _request.get()


def act_as_patient(request, patient) -> None:
    """The web check-in's caller is the patient whose link opened it (no Django login)."""
    request.audit_patient = patient


def _address(request) -> str | None:
    # The address as the throttles and the lockout count it (behind TRUSTED_PROXIES).
    return import_string(settings.AXES_CLIENT_IP_CALLABLE)(request)


def _via(request) -> str:
    match = getattr(request, "resolver_match", None)
    route = f"/{route_of(match)}" if match and match.route else request.path
    return f"{request.method} {route}"[:200]


def actor_fields(request) -> dict:
    """Who is asking: staff user, patient, or (no request) the system."""
    if request is None:
        return {"actor_kind": ActorKind.SYSTEM, "actor_label": "system"}
    fields = {
        "address": _address(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        "via": _via(request),
    }
    patient = getattr(request, "audit_patient", None)
    user = getattr(request, "user", None)
    if patient is None and getattr(user, "_meta", None) and user._meta.label == PATIENT_MODEL:
        patient = user
    if patient is not None:
        return {
            **fields,
            "actor_kind": ActorKind.PATIENT,
            "actor_patient_id": patient.pk,
            "clinic_id": patient.clinic_id,
        }
    if user is not None and user.is_authenticated:
        membership = getattr(user, "membership", None)
        return {
            **fields,
            "actor_kind": ActorKind.STAFF,
            "staff_user_id": user.pk,
            "actor_label": user.get_username(),
            "clinic_id": membership.clinic_id if membership else None,
        }
    return {**fields, "actor_kind": ActorKind.ANONYMOUS}


def staff_actor(user) -> dict:
    membership = getattr(user, "membership", None)
    return {
        "actor_kind": ActorKind.STAFF,
        "staff_user_id": user.pk,
        "actor_label": user.get_username(),
        "clinic_id": membership.clinic_id if membership else None,
    }


def patient_ids_text(patient_ids: Iterable[int]) -> str:
    ids = sorted({int(p) for p in patient_ids if p is not None})
    return f",{','.join(map(str, ids))}," if ids else ""


def record(action: str, kind: str = "", object_ids: Iterable[int] = (), **options) -> AuditEvent:
    """One audit row, written now; ``options`` as for ``event``."""
    row = event(action, kind, object_ids, **options)
    rows.insert(row)  # one INSERT built once: a row is written for every page read
    return row


def event(
    action: str,
    kind: str = "",
    object_ids: Iterable[int] = (),
    *,
    patient_ids: Iterable[int] = (),
    changes: dict | None = None,
    clinic_id: int | None = None,
    request=None,
    **actor,
) -> AuditEvent:
    """One audit row, unsaved (``record`` writes it; the diary's hot path writes it in the
    entry's own statement). ``actor`` overrides who (e.g. the name tried at a failed sign-in)."""
    fields = actor_fields(request if request is not None else current_request())
    if clinic_id is not None:
        fields["clinic_id"] = clinic_id
    fields.update(actor)
    return AuditEvent(
        action=action,
        object_kind=kind,
        # An object deleted without its id kept has none left to name (the kind still says).
        object_ids=[pk for pk in object_ids if pk is not None],
        patient_ids=patient_ids_text(patient_ids),
        changes=changes or {},
        **fields,
    )


def patient_id_of(obj) -> int | None:
    if obj._meta.label == PATIENT_MODEL:
        return obj.pk
    if hasattr(obj, "patient_id"):
        return obj.patient_id
    procedure = getattr(obj, "procedure", None)
    return procedure.patient_id if procedure is not None else None


def note(*objects) -> None:
    """Count these among what the current page shows or changes (``record_noted`` writes
    them). The dashboard's queries call it, so every page that loads a patient says so."""
    request = current_request()
    if request is not None:
        request.__dict__.setdefault("audit_noted", []).extend(o for o in objects if o is not None)


def record_noted(request, action: str) -> None:
    """One row per kind of object the page noted; a page that noted none leaves none (the
    rota, the clinic's settings: not patient data)."""
    groups: dict[str, dict] = {}
    for obj in request.__dict__.pop("audit_noted", []):
        groups.setdefault(obj._meta.model_name, {})[obj.pk] = obj
    patients = {
        kind: [patient_id_of(o) for o in objects.values()] for kind, objects in groups.items()
    }
    covered = {p for kind, ids in patients.items() if kind != "patient" for p in ids}
    for kind, objects in groups.items():
        if kind == "patient" and covered.issuperset(objects):
            continue  # the patient's check-in or block was noted: one row says both
        record(action, kind, list(objects), patient_ids=patients[kind], request=request)


def changed_fields(instance, before: dict) -> dict:
    """``{field: [old, new]}`` for the fields of ``before`` whose value is now different."""
    after = snapshot(instance, before)
    return {name: [before[name], after[name]] for name in before if before[name] != after[name]}


def column_names(instance) -> list[str]:
    # Hashes and secrets are left out: the trail must not become a copy of the keys.
    return [f.name for f in instance._meta.concrete_fields if f.name not in SECRET_FIELDS]


def snapshot(instance, names: Iterable[str]) -> dict:
    """The values of those of ``names`` that are columns of ``instance``."""
    columns = {f.name: f.attname for f in instance._meta.concrete_fields}
    return {name: getattr(instance, columns[name]) for name in names if name in columns}


__all__ = ["Action", "ActorKind", "act_as_patient", "bind", "record", "unbind"]
