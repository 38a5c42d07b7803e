"""The patient's web check-in: the link in every reminder opens it, no password and no app.

Every page is in the patient's language and time zone. A form posts to the same service
as the phone app (``EntrySerializer`` validates, ``record_entry`` stores and triages), so
the same rules, the same idempotency and the same advice apply. Plain HTML forms: nothing
here needs JavaScript.
"""

import functools
import logging
import uuid

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from audit import log as audit
from audit.models import Action
from diary import services, triaging
from diary.api.diary_serializers import EntrySerializer
from diary.clinic_status import clinic_status
from diary.models import CheckIn, DiaryEntry
from diary.services.links import LinkRefused, answerable
from web.checkin import pages
from web.checkin.forms import CheckInForm, LanguageForm
from web.checkin.throttle import refused_link_allowed

log = logging.getLogger(__name__)

# HTTP status of each refusal: an unknown link is not found; the others are gone for good
# (revoked, expired, the diary ended or the block cancelled) or for now (paused).
REFUSED_STATUS = {"unknown": 404, "paused": 403}


def _private(response):
    """Patient pages: never cached (a shared family tablet), never sent on as a referrer
    to another host (the link in the address is the patient's key), never indexed.
    same-origin, not no-referrer: with no referrer at all, browsers send "Origin: null"
    on the form's POST, which Django's CSRF check rightly refuses."""
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def with_link(view):
    """Open the link in the URL; run ``view(request, access, ...)`` in the patient's
    language and time zone, or answer with the page that says why the link does not work."""

    @functools.wraps(view)
    @never_cache
    def wrapped(request, token, **kwargs):
        try:
            access = services.open_link(token)
        except LinkRefused as refused:
            return _private(_refused(request, refused))
        patient = access.patient
        audit.act_as_patient(request, patient)
        audit.note(patient)
        with translation.override(patient.language), timezone.override(patient.timezone):
            response = view(request, access, **kwargs)
        # A POST's own service writes its audit row with it (the entry, the language).
        if request.method in ("GET", "HEAD") and response.status_code < 400:
            audit.record_noted(request, Action.READ)
        return _private(response)

    return wrapped


def _refused(request, refused: LinkRefused):
    if not refused_link_allowed(request):
        language = translation.get_language_from_request(request)
        with translation.override(language):
            return render(request, "checkin/too_many.html", status=429)
    patient = refused.patient
    language = patient.language if patient else translation.get_language_from_request(request)
    with translation.override(language):
        return render(
            request,
            "checkin/refused.html",
            {"reason": refused.reason, "clinic": patient.clinic if patient else None},
            status=REFUSED_STATUS.get(refused.reason, 410),
        )


def _context(access, **extra):
    return {
        "patient": access.patient,
        "clinic": access.patient.clinic,
        "token": access.token,
        **extra,
    }


@with_link
@require_http_methods(["GET", "HEAD"])
def home(request, access):
    """The link's landing: its check-in's form while that can be answered, otherwise the
    patient's own page."""
    now = timezone.now()
    # A check-in open now comes first (a link opened late leads to the current one); the
    # link's own check-in, closed less than the grace ago, still takes its reading.
    still_to_come = pages.coming(access.patient, now)
    open_now = still_to_come.open_now
    if access.checkin in open_now:
        return redirect("checkin:checkin", token=access.token, checkin_id=access.checkin.pk)
    if open_now:
        return redirect("checkin:checkin", token=access.token, checkin_id=open_now[0].pk)
    if access.checkin is not None and answerable(access.checkin, now):
        return redirect("checkin:checkin", token=access.token, checkin_id=access.checkin.pk)
    diary = pages.diary_of(access.patient, now, still_to_come)
    return render(request, "checkin/home.html", _context(access, diary=diary, now=now))


@with_link
@require_http_methods(["GET", "HEAD", "POST"])
def checkin(request, access, checkin_id: int):
    """One check-in's questions; posting them stores the entry once."""
    now = timezone.now()
    if access.checkin is not None and access.checkin.pk == checkin_id:
        found = access.checkin  # read with the link (and its block): the common path
    else:
        found = get_object_or_404(
            CheckIn.objects.select_related("procedure"),
            pk=checkin_id,
            procedure__patient=access.patient,
        )
    audit.note(found)
    if not answerable(found, now):
        posted = _posted_entry(request, access)
        if posted is not None:  # the form sent again after it was answered: same answer
            return _to_answer(access, posted)
        answered = found.entries.order_by("recorded_at").first()
        return render(
            request,
            "checkin/closed.html",
            _context(access, checkin=found, answered=answered),
            status=200 if answered else 410,
        )
    return _reading(request, access, found.procedure, found, follow_up=found.follow_up)


@with_link
@require_http_methods(["GET", "HEAD", "POST"])
def reading(request, access):
    """A reading outside the schedule (the patient wants to tell the clinic something)."""
    block = pages.current_block(access.patient)
    if block is None:
        raise Http404("no block yet")
    return _reading(request, access, block, None, follow_up=False)


def _reading(request, access, block, checkin, *, follow_up: bool):
    if request.method == "POST":
        form = CheckInForm(request.POST, follow_up=follow_up)
        if form.is_valid():
            entry = _record(access, form, block, checkin)
            if entry is not None:
                return _to_answer(access, entry)
        status = 400
    else:
        form = CheckInForm(initial={"client_id": uuid.uuid4()}, follow_up=follow_up)
        status = 200
    context = _context(access, form=form, block=block, checkin=checkin)
    if not form.is_bound:  # the same for every patient of a language: rendered once
        context["questions_html"] = _blank_questions(translation.get_language(), follow_up)
    return render(request, "checkin/form.html", context, status=status)


@functools.lru_cache(maxsize=16)
def _blank_questions(language: str, follow_up: bool) -> str:
    """The questions of an unanswered form, in ``language``. Why cached: they are the
    same for every patient (the client id and the CSRF token are outside them), and
    rendering 16 questions' radios was most of the form's server time (bench/checkin)."""
    form = CheckInForm(follow_up=follow_up)
    return mark_safe(render_to_string("checkin/_questions.html", {"form": form}))  # noqa: S308


def _to_answer(access, entry):
    # 303: a refresh of the answer page reads it again, it never re-posts.
    response = redirect("checkin:answer", token=access.token, client_id=entry.client_id)
    response.status_code = 303
    return response


def _posted_entry(request, access) -> DiaryEntry | None:
    """The entry a POSTed form already stored (its client id), if any."""
    if request.method != "POST":
        return None
    try:
        client_id = uuid.UUID(request.POST.get("client_id", ""))
    except ValueError:
        return None
    return DiaryEntry.objects.filter(patient=access.patient, client_id=client_id).first()


def _record(access, form, block, checkin) -> DiaryEntry | None:
    """Store the form's answers through the API's own validation and service. The form's
    client id makes a double tap, a refresh or the back button one entry."""
    patient = access.patient
    now = timezone.now()
    data = {**form.entry_answers(), "procedure": block.pk, "recorded_at": now.isoformat()}
    if checkin is not None and now < checkin.closes_at:  # after it closes: unscheduled
        data["checkin"] = checkin.pk
    serializer = EntrySerializer(data=data, context={"patient": patient, "checkin": checkin})
    if not serializer.is_valid():
        log.warning("web check-in entry refused: %s", sorted(serializer.errors))
        form.add_error(None, _("Your answers could not be saved. Please call your clinic."))
        return None
    try:
        entry, _created = services.record_entry(patient=patient, data=serializer.validated_data)
    except services.EntryConflict as conflict:
        # The same form sent again (its time of sending differs): one entry, as stored.
        entry = conflict.entry
    return entry


@with_link
@require_http_methods(["GET", "HEAD"])
def answer(request, access, client_id):
    """What the patient is told about an entry, as it was told when it was stored."""
    entry = get_object_or_404(
        DiaryEntry.objects.select_related("checkin"), patient=access.patient, client_id=client_id
    )
    audit.note(entry)
    still_to_come = pages.coming(access.patient, timezone.now())
    context = _context(
        access,
        entry=entry,
        clinic_status=_clinic_status(entry, access.patient),
        body_class=f"advice-{entry.advice_level or 'routine'}",
        next_checkin=next(iter(still_to_come.upcoming), None),
        open_now=still_to_come.open_now,
    )
    return render(request, "checkin/answer.html", context)


def _clinic_status(entry, patient) -> dict | None:
    """Whether the clinic has seen the alert this entry raised. Read only for an entry
    with a concern: a routine answer page keeps its three queries."""
    if entry.advice_level not in ("contact_clinic", "emergency"):  # no alert behind it
        return None
    entry.procedure.patient = patient
    alert = triaging.stored_outcome(entry).alert
    return clinic_status(alert, language=patient.language, zone=patient.timezone)


@with_link
@require_POST
def language(request, access):
    """The patient chooses the language of their pages and reminders."""
    form = LanguageForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            before = access.patient.language
            services.update_patient(access.patient, language=form.cleaned_data["language"])
            changes = {"language": [before, access.patient.language]}
            audit.record(Action.CHANGE, "patient", [access.patient.pk], changes=changes)
    response = redirect("checkin:home", token=access.token)
    response.status_code = 303
    return response
