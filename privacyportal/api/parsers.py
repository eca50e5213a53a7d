"""The API's one parser: JSON the database and a UTF-8 answer can hold, every
failure a 400.

JSON may spell a NUL (``\\u0000``) or an unpaired surrogate (``\\ud800``);
PostgreSQL text and jsonb refuse the first, and neither can be written as
UTF-8, so either would fail deep in a view (or while storing an idempotent
answer that names the field). Refused here, as a 400 malformed-body, anywhere
in the body: values and keys.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(data: Any) -> bool:
    if isinstance(data, str):
        return _UNSTORABLE.search(data) is not None
    if isinstance(data, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_unstorable(item) for item in data)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None):
        # DRF turns ValueError into a 400; a body of 30,000 nested brackets
        # (well under the size limit) exhausts the decoder's recursion instead.
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        if _unstorable(data):
            raise ParseError(
                "Text in the body may not contain NUL characters (\\u0000) "
                "or unpaired surrogates."
            )
        return data
