"""Offline sync: the entries a phone recorded without a connection, sent in one request.

Each entry is what ``POST /me/entries/`` takes and is answered on its own, as that
endpoint would answer it (201 stored, 200 already stored, 409 its client id used for
something else, 400 with its errors): one bad entry never costs the others. They are
stored in the order they were recorded, whatever the order sent, so triage compares each
with the reading before it in time, and a red flag in a late entry still alerts (marked as
reported late on the alert).
"""

from dataclasses import dataclass, field

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status

from diary import services
from diary.api.diary_serializers import EntrySerializer
from diary.api.errors import ErrorSerializer, error_body, flatten, summary
from diary.api.fields import AwareDateTimeField, StrictSerializerMixin

MAX_ENTRIES = 50


class EntryBatchSerializer(StrictSerializerMixin, serializers.Serializer):
    entries = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=MAX_ENTRIES,
        help_text=f"Up to {MAX_ENTRIES} entries, each as POST /me/entries/ takes it.",
    )
    sent_at = AwareDateTimeField(
        required=False,
        help_text="The phone's clock when it sends the batch: used as each entry's sent_at "
        "when the entry has none, to correct a phone clock that is off.",
    )


class EntryResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The entry's place in the request, from 0.")
    client_id = serializers.CharField(
        allow_null=True, help_text="The entry's client_id as sent (null if none was)."
    )
    status = serializers.IntegerField(
        help_text="What POST /me/entries/ would have answered: 201, 200, 409 or 400."
    )
    entry = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    @extend_schema_field(EntrySerializer(allow_null=True))
    def get_entry(self, result):
        return result["entry"]

    @extend_schema_field(ErrorSerializer(allow_null=True))
    def get_error(self, result):
        """For 400 and 409: the API's error body, as POST /me/entries/ would give it."""
        return result["error"]


class EntryBatchResultSerializer(serializers.Serializer):
    # Its own words: the common "results" description is a page's ("The items of this page").
    results = EntryResultSerializer(many=True, help_text="One per entry sent, in the order sent.")


@dataclass
class _Item:
    index: int
    data: dict
    serializer: EntrySerializer | None = None
    result: dict = field(default_factory=dict)


def record_batch(patient, entries: list[dict], sent_at: str | None) -> list[dict]:
    """Validate each entry, store the valid ones in recorded order, answer each in the
    order sent."""
    items = [_Item(index, data) for index, data in enumerate(entries)]
    valid = []
    for item in items:
        data = dict(item.data)
        if sent_at is not None:
            data.setdefault("sent_at", sent_at)
        item.serializer = EntrySerializer(data=data, context={"patient": patient})
        if item.serializer.is_valid():
            valid.append(item)
        else:
            fields = flatten(item.serializer.errors)
            error = error_body("invalid", summary(fields), fields)
            item.result = _answer(item, status.HTTP_400_BAD_REQUEST, error=error)
    valid.sort(key=lambda item: (item.serializer.validated_data["recorded_at"], item.index))
    for item in valid:
        item.result = _store(patient, item)
    return [item.result for item in items]


def _store(patient, item: _Item) -> dict:
    try:
        entry, created = services.record_entry(patient=patient, data=item.serializer.validated_data)
    except services.EntryConflict as conflict:
        fields = client_id_conflict(conflict)
        error = error_body("conflict", summary(fields), fields)
        return _answer(item, status.HTTP_409_CONFLICT, error=error)
    item.serializer.instance = entry
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _answer(item, code, entry=item.serializer.data)


def client_id_conflict(conflict) -> dict:
    """The error of a client id already used for another entry."""
    return {
        "client_id": [
            f"Already used for a different entry (id {conflict.entry.pk}); make a new "
            "client_id for a new entry."
        ]
    }


def _answer(item: _Item, code: int, *, entry=None, error=None) -> dict:
    client_id = item.data.get("client_id")
    return {
        "index": item.index,
        "client_id": client_id if isinstance(client_id, str) else None,
        "status": code,
        "entry": entry,
        "error": error,
    }
