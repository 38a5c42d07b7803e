"""How a page goes out and what it says: on every working channel of the nurse, on a
queue of its own, to the clinic's webhook signed, and never naming the patient or the
symptom.

Pages go to a real local SMTP server, the webhook to a real local HTTP receiver, push and
SMS to the local receivers of conftest; Celery is driven by hand (``worker``).
"""

import hashlib
import hmac
import json

import time_machine

from diary.models import CheckIn
from notifications.models import Alert, AlertSettings, Delivery
from tests.notifications.conftest import paged

WEBHOOK_SECRET = "north-paging-secret-0123456789"


def test_no_page_names_the_patient_or_the_symptom(paging, block, report, worker, smtp_server):
    report(block, 1, bowel_bladder_change=True, note="I cannot hold my bladder")
    worker()
    for message in smtp_server.messages:
        text = message.as_string().lower()
        assert "ana" not in text and "bladder" not in text and "bowel" not in text
        assert "emergency alert for a patient of north" in text
        assert "/dashboard/alerts/" in text


def test_the_clinic_webhook_gets_each_event_signed(
    paging, north, block, report, worker, httpserver, as_nia
):
    received = []

    def handler(request):
        from werkzeug import Response

        received.append((request.get_data(), request.headers.get("X-Signature-256")))
        return Response("{}", status=200, content_type="application/json")

    httpserver.expect_request("/pager", method="POST").respond_with_handler(handler)
    AlertSettings.objects.create(
        clinic=north, webhook_url=httpserver.url_for("/pager"), webhook_secret=WEBHOOK_SECRET
    )
    report(block, 1, bowel_bladder_change=True)
    worker()
    alert = Alert.objects.get()
    as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    worker()

    events = [json.loads(body)["event"] for body, _ in received]
    assert events == ["alert.triggered", "alert.acknowledged"]
    for body, signature in received:
        expected = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signature, f"sha256={expected}")
        payload = json.loads(body)
        assert payload["alert"]["id"] == alert.pk
        assert "Ana" not in body.decode()


def test_pages_go_on_a_queue_of_their_own_so_reminders_never_delay_them(
    paging, settings, block, report, monkeypatch, beat
):
    from notifications.tasks import send_deliveries

    queues = []
    monkeypatch.setattr(
        send_deliveries._get_current_object(),
        "apply_async",
        lambda args, **options: queues.append((options.get("queue"), list(args[0]))),
    )
    report(block, 1, saddle_numbness=True)
    pages = set(Delivery.objects.filter(alert__isnull=False).values_list("pk", flat=True))
    assert queues and all(queue == settings.CELERY_ALERT_QUEUE for queue, _ in queues)
    assert {pk for _, ids in queues for pk in ids} == pages

    queues.clear()
    two_hours = CheckIn.objects.get(procedure=block, key="h2")
    with time_machine.travel(two_hours.remind_at, tick=False):
        beat()  # Ana's 2 h reminder, and the alert's escalation to Ravi
    by_queue = {queue: set(ids) for queue, ids in queues}
    reminders = set(Delivery.objects.filter(checkin=two_hours).values_list("pk", flat=True))
    escalation = set(Delivery.objects.filter(event="escalated").values_list("pk", flat=True))
    assert by_queue == {None: reminders, settings.CELERY_ALERT_QUEUE: escalation}


def test_nia_is_paged_on_every_working_channel_her_phone_app_sms_and_email(
    receivers, rota, north, nurse_nia, block, report, worker
):
    from diary.models import StaffMembership
    from notifications import oncall

    StaffMembership.objects.filter(user=nurse_nia).update(phone="+447700900555")
    oncall.register_staff_device(user=nurse_nia, platform="fcm", token="fcm:nia-phone")
    report(block, 4.5, fever=True)  # urgent: the primary only
    worker()

    [push] = receivers.accepted("pushes")
    [text] = receivers.accepted("texts")
    assert push.address == "fcm:nia-phone"
    assert text.address == "+447700900555"
    assert paged(receivers.smtp) == ["nia@north.example.org"]
    assert push.body["message"]["notification"]["body"].startswith(
        "Urgent alert for a patient of North"
    )
    assert text.body["Body"].startswith("Urgent alert for a patient of North")
    assert "numb" not in text.body["Body"].lower()


def test_a_dead_staff_push_token_is_switched_off_and_the_other_channels_still_page(
    receivers, rota, nurse_nia, block, report, worker
):
    from notifications import oncall
    from notifications.models import StaffDevice
    from tests.notifications.conftest import FCM_UNREGISTERED

    oncall.register_staff_device(user=nurse_nia, platform="fcm", token="fcm:nia-old-phone")
    receivers.script("fcm:nia-old-phone", FCM_UNREGISTERED)
    report(block, 4.5, fever=True)
    worker()

    assert StaffDevice.objects.get(token="fcm:nia-old-phone").disabled_at is not None
    assert paged(receivers.smtp) == ["nia@north.example.org"]
