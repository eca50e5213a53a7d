"""The API's one parser: JSON, with every failure a 400."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, *args: Any, **kwargs: Any) -> Any:
        # DRF turns ValueError into a 400; a body of 30,000 nested brackets
        # (well under the size limit) exhausts the decoder's recursion instead.
        try:
            return super().parse(*args, **kwargs)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
