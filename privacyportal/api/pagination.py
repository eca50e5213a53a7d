"""Cursor pagination for every list endpoint: stable under inserts.

A cursor the API did not give out is a 400 ``bad-cursor`` problem (DRF's own
answer is a 404, which reads as "the list is gone").
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from privacyportal.api.problems import Problem

_CURSOR = re.compile(r"[A-Za-z0-9+/]{1,300}={0,2}")
_USE_LINKS = "Use the 'next' or 'previous' link as given."


class CursorPagination(pagination.CursorPagination):
    ordering = "-pk"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Any:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        # DRF's decoder skips characters that are not base64 and reads an
        # empty cursor as the first page: a mangled cursor must not pass.
        if not _CURSOR.fullmatch(raw):
            raise Problem("bad-cursor", _USE_LINKS)
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise Problem("bad-cursor", _USE_LINKS) from exc
        if cursor.position is None and not cursor.offset and not cursor.reverse:
            raise Problem("bad-cursor", _USE_LINKS)
        return cursor
