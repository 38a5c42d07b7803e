from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json


class BoundedJSONParser(JSONParser):
    """JSON with a size limit, and no key given twice in an object.

    Why the limit: DRF reads the request stream itself, past Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` check, so an oversized body would otherwise be
    read whole into memory.

    Why refuse a duplicate key: Python keeps the last value and other parsers the
    first, so ``"bowel_bladder_change": true, "bowel_bladder_change": false`` was
    stored as routine and a red flag dropped without a word.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise ParseError(f"Request body is larger than {limit} bytes.")
        encoding = get_encoding(parser_context or {})
        # As JSONParser.parse, which has no way to pass object_pairs_hook.
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(
                body.decode(encoding),
                parse_constant=parse_constant,
                object_pairs_hook=_object_without_duplicate_keys,
            )
        except ValueError as exc:  # a decoding error is one too
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            # "[[[[..." a few thousand deep fits in the size limit and exhausts the
            # decoder's recursion limit instead.
            raise ParseError("JSON parse error - nested too deeply.") from None


def _object_without_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) < len(pairs):
        seen = set()
        for key, _value in pairs:
            if key in seen:
                raise ParseError(f'JSON parse error - the key "{key}" is given twice.')
            seen.add(key)
    return result
