import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """JSON with a size limit.

    Why: DRF reads the request stream itself, past Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` check, so an oversized body would otherwise be
    read whole into memory.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise ParseError(f"Request body is larger than {limit} bytes.")
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            # JSONParser catches only ValueError; "[[[[..." a few thousand deep fits in
            # the size limit and exhausts the decoder's recursion limit instead.
            raise ParseError("JSON parse error - nested too deeply.") from None
