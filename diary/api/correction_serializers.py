"""The body of a correction as the schema declares it (the view validates with
``EntrySerializer``, the block and time filled in from the entry corrected)."""

from diary.api.diary_serializers import EntrySerializer
from diary.services.corrections import TAKEN_FROM_THE_ORIGINAL


class EntryCorrectionSerializer(EntrySerializer):
    """An entry's answers as they should be, with a new client_id: the block, the check-in
    and the times are the corrected entry's, and sending them is a 400."""

    # None removes the field EntrySerializer declares: without this the schema required
    # procedure and recorded_at, which the view then refuses, so no client could comply.
    procedure = None
    checkin = None
    recorded_at = None
    sent_at = None

    class Meta(EntrySerializer.Meta):
        fields = [f for f in EntrySerializer.Meta.fields if f not in TAKEN_FROM_THE_ORIGINAL]
