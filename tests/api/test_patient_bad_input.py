"""Whatever Ana's phone sends, a bad reading gets a 400 naming what is wrong, never a 500,
and nothing already in her diary changes.

Every case starts from a valid reading recorded now, inside Ana's open 2 h check-in,
so a bad reading wrongly accepted would both add an entry and answer that check-in.
"""

import json
import uuid

import pytest

from diary.models import CheckIn, Device, DiaryEntry

ENTRIES = "/api/v1/me/entries/"
LIMIT = 64 * 1024


def with_(**changes):
    """The valid reading with some answers replaced."""
    return lambda valid: json.dumps({**valid, **changes}).encode()


def without(name):
    return lambda valid: json.dumps({k: v for k, v in valid.items() if k != name}).encode()


def raw(text):
    return lambda valid: text if isinstance(text, bytes) else text.encode()


def own_id_as(cast, name="procedure"):
    """The reading's own (valid) id for ``name`` sent as another JSON type."""
    return lambda valid: json.dumps({**valid, name: cast(valid[name])}).encode()


def with_literal(name, literal):
    """The valid reading with ``name`` set to raw JSON text ``json.dumps`` would not write."""

    def build(valid):
        rest = json.dumps({k: v for k, v in valid.items() if k != name})
        return f'{rest[:-1]}, "{name}": {literal}}}'.encode()

    return build


def red_flag_then_taken_back(valid):
    """A red flag answered yes, then no under the same key: one of them is a lie."""
    text = json.dumps({**valid, "bowel_bladder_change": True})
    return f'{text[:-1]}, "bowel_bladder_change": false}}'.encode()


def in_arabic_indic_digits(name):
    """The reading's own (valid) ``name`` written in Arabic-Indic digits."""
    digits = str.maketrans("0123456789", "".join(chr(0x0660 + n) for n in range(10)))
    return lambda valid: json.dumps({**valid, name: valid[name].translate(digits)}).encode()


def nested(depth):
    return raw(b'{"note": ' + b"[" * depth + b"]" * depth + b"}")


# (what is sent, the key the 400 must name)
CASES = {
    # The body itself
    "malformed-json": (raw('{"pain_score": 3,'), "detail"),
    "trailing-garbage": (lambda valid: json.dumps(valid).encode() + b" x", "detail"),
    "single-quotes": (raw("{'pain_score': 3}"), "detail"),
    "nan": (lambda valid: json.dumps(valid)[:-1].encode() + b', "pain_score": NaN}', "detail"),
    "infinity": (raw('{"pain_score": Infinity}'), "detail"),
    "not-utf8": (raw(b'{"note": "caf\xe9"}'), "detail"),
    "oversized-body": (with_(note="x" * (LIMIT + 1)), "detail"),
    "deeply-nested-array": (raw(b"[" * 30000 + b"]" * 30000), "detail"),
    "deeply-nested-value": (nested(20000), "detail"),
    "array-not-object": (lambda valid: json.dumps([valid]).encode(), "non_field_errors"),
    "string-not-object": (raw('"pain 3"'), "non_field_errors"),
    "null-not-object": (raw("null"), "non_field_errors"),
    "number-not-object": (raw("3"), "non_field_errors"),
    # Duplicate keys: JSON parsers disagree on which wins, so neither is taken
    "duplicate-red-flag": (red_flag_then_taken_back, "detail"),
    "duplicate-key-nested": (raw('[{"a": 1, "a": 2}]'), "detail"),
    # Unknown and read-only keys: a misspelt red flag must not be dropped
    "misspelt-red-flag": (with_(bowel_bladder=True), "bowel_bladder"),
    "wrong-case-red-flag": (with_(Fever=True), "Fever"),
    "read-only-id": (with_(id=1), "id"),
    "read-only-relief": (with_(relief_percent=100), "relief_percent"),
    "read-only-received-at": (with_(received_at="2026-01-01T00:00:00Z"), "received_at"),
    "someone-elses-patient": (with_(patient=1), "patient"),
    # client_id
    "client-id-missing": (without("client_id"), "client_id"),
    "client-id-null": (with_(client_id=None), "client_id"),
    "client-id-not-uuid": (with_(client_id="entry-1"), "client_id"),
    "client-id-number": (with_(client_id=7), "client_id"),
    "client-id-empty": (with_(client_id=""), "client_id"),
    # procedure
    "procedure-missing": (without("procedure"), "procedure"),
    "procedure-null": (with_(procedure=None), "procedure"),
    "procedure-word": (with_(procedure="mine"), "procedure"),
    "procedure-true": (with_(procedure=True), "procedure"),
    "procedure-float": (own_id_as(float), "procedure"),
    "procedure-string-number": (own_id_as(str), "procedure"),
    "procedure-list": (own_id_as(lambda pk: [pk]), "procedure"),
    "procedure-object": (own_id_as(lambda pk: {"id": pk}), "procedure"),
    "procedure-beyond-64-bits": (with_(procedure=10**30), "procedure"),
    "procedure-huge-exponent": (with_literal("procedure", "1e400"), "procedure"),
    # checkin
    "checkin-word": (with_(checkin="h2"), "checkin"),
    "checkin-beyond-64-bits": (with_(checkin=10**30), "checkin"),
    "checkin-float": (own_id_as(float, "checkin"), "checkin"),
    "checkin-huge-exponent": (with_literal("checkin", "1e400"), "checkin"),
    # recorded_at
    "recorded-at-missing": (without("recorded_at"), "recorded_at"),
    "recorded-at-null": (with_(recorded_at=None), "recorded_at"),
    "recorded-at-naive": (with_(recorded_at="2026-03-02T12:00:00"), "recorded_at"),
    "recorded-at-date-only": (with_(recorded_at="2026-03-02"), "recorded_at"),
    "recorded-at-words": (with_(recorded_at="just now"), "recorded_at"),
    "recorded-at-epoch-number": (with_(recorded_at=1772452800), "recorded_at"),
    "recorded-at-offset-25h": (with_(recorded_at="2026-03-02T12:00:00+25:00"), "recorded_at"),
    "recorded-at-year-one": (with_(recorded_at="0001-01-01T00:00:00+14:00"), "recorded_at"),
    "recorded-at-year-9999": (with_(recorded_at="9999-12-31T23:59:59-14:00"), "recorded_at"),
    "recorded-at-arabic-indic-digits": (in_arabic_indic_digits("recorded_at"), "recorded_at"),
    "recorded-at-nul": (with_(recorded_at="2026-03-02T12:00:00\x00Z"), "recorded_at"),
    # pain_score
    "pain-missing": (without("pain_score"), "pain_score"),
    "pain-null": (with_(pain_score=None), "pain_score"),
    "pain-string-number": (with_(pain_score="5"), "pain_score"),
    "pain-float": (with_(pain_score=5.0), "pain_score"),
    "pain-fraction": (with_(pain_score=5.5), "pain_score"),
    "pain-true": (with_(pain_score=True), "pain_score"),
    "pain-eleven": (with_(pain_score=11), "pain_score"),
    "pain-negative": (with_(pain_score=-1), "pain_score"),
    "pain-beyond-64-bits": (with_(pain_score=10**30), "pain_score"),
    "pain-huge-exponent": (with_literal("pain_score", "1e400"), "pain_score"),
    "pain-exponent-form": (with_literal("pain_score", "5e0"), "pain_score"),
    # reported_relief_percent
    "relief-over-100": (with_(reported_relief_percent=101), "reported_relief_percent"),
    "relief-negative": (with_(reported_relief_percent=-1), "reported_relief_percent"),
    "relief-string": (with_(reported_relief_percent="50"), "reported_relief_percent"),
    # Booleans
    "red-flag-string-true": (with_(saddle_numbness="true"), "saddle_numbness"),
    "red-flag-one": (with_(bowel_bladder_change=1), "bowel_bladder_change"),
    "red-flag-yes": (with_(site_problem="yes"), "site_problem"),
    "analgesic-zero": (with_(analgesic_taken=0), "analgesic_taken"),
    "activity-ok-string": (with_(activity_ok="false"), "activity_ok"),
    "can-lift-heel-zero": (with_(can_lift_heel=0), "can_lift_heel"),
    # Limbs
    "numbness-unknown": (with_(numbness="left"), "numbness"),
    "numbness-wrong-case": (with_(numbness="LEFT_LEG"), "numbness"),
    "numbness-number": (with_(numbness=1), "numbness"),
    "weakness-unknown": (with_(weakness="arms"), "weakness"),
    "weakness-list": (with_(weakness=["left_leg"]), "weakness"),
    # Text
    "activity-number": (with_(activity=7), "activity"),
    "activity-too-long": (with_(activity="x" * 201), "activity"),
    "activity-nul": (with_(activity="walk\x00ing"), "activity"),
    "note-number": (with_(note=7), "note"),
    "note-too-long": (with_(note="x" * 2001), "note"),
    "note-nul": (with_(note="fine\x00"), "note"),
    "note-object": (with_(note={"text": "fine"}), "note"),
}


def snapshot():
    """Everything a bad reading could disturb."""
    return (
        list(DiaryEntry.objects.order_by("id").values()),
        list(CheckIn.objects.order_by("id").values("id", "status", "answered_at")),
        Device.objects.count(),
    )


@pytest.fixture
def anas_diary(as_ana, anas_block, entry_for):
    """Ana has one stored reading (answering her 1 h check-in, sent late) and a phone."""
    h1 = anas_block.checkins.get(key="h1")
    stored = entry_for(anas_block, recorded_at=h1.due_at.isoformat(), pain_score=4)
    assert as_ana.post(ENTRIES, stored, format="json").status_code == 201
    assert as_ana.post("/api/v1/me/devices/", {"platform": "fcm", "token": "p"}).status_code == 201
    return stored


@pytest.mark.parametrize(("make_body", "field"), list(CASES.values()), ids=list(CASES))
def test_a_bad_reading_is_refused_naming_the_field_and_changes_nothing(
    as_ana, anas_block, entry_for, anas_diary, make_body, field
):
    valid = entry_for(anas_block, checkin=anas_block.checkins.get(key="h2").id)
    before = snapshot()

    response = as_ana.generic(
        "POST", ENTRIES, data=make_body(valid), content_type="application/json"
    )

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    # "detail": a body that is not JSON at all is refused as a whole, naming no field.
    reason = body["message"] if field == "detail" else body["fields"][field][0]
    assert isinstance(reason, str)
    assert reason.strip()
    assert snapshot() == before


def test_a_duplicate_key_is_named_in_the_refusal(as_ana, anas_block, entry_for):
    valid = entry_for(anas_block)

    response = as_ana.generic(
        "POST", ENTRIES, data=red_flag_then_taken_back(valid), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "message": 'JSON parse error - the key "bowel_bladder_change" is given twice.',
        "fields": {},
    }
    assert not DiaryEntry.objects.exists()


def test_a_bad_retry_of_a_stored_reading_leaves_the_stored_reading_alone(
    as_ana, anas_block, anas_diary
):
    before = snapshot()
    retry = {**anas_diary, "pain_score": "4"}

    response = as_ana.post(ENTRIES, retry, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["pain_score"]
    assert snapshot() == before


def test_every_missing_required_answer_is_named_at_once(as_ana, anas_block, anas_diary):
    response = as_ana.post(ENTRIES, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"client_id", "procedure", "recorded_at", "pain_score"}


def test_a_body_of_exactly_the_limit_is_read(as_ana, anas_block, entry_for):
    body = entry_for(anas_block)
    padding = LIMIT - len(json.dumps(body).encode())
    raw_body = json.dumps(body).encode()[:-1] + b" " * padding + b"}"
    assert len(raw_body) == LIMIT

    response = as_ana.generic("POST", ENTRIES, data=raw_body, content_type="application/json")

    assert response.status_code == 201, response.content[:300]


def test_a_form_encoded_body_is_refused_as_unsupported(as_ana, anas_block):
    form = f"procedure={anas_block.id}&pain_score=3&client_id={uuid.uuid4()}"
    response = as_ana.generic(
        "POST", ENTRIES, data=form, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not DiaryEntry.objects.exists()
