"""What the diary's verbs raise when a request breaks one of its rules."""

from diary.models import DiaryEntry


class DiaryError(Exception):
    """A request that breaks a rule of the diary; ``field`` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class EntryConflict(Exception):
    """The same client id was already used for different content."""

    def __init__(self, entry: DiaryEntry):
        super().__init__("client_id already used for a different entry")
        self.entry = entry
