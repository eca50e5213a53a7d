"""Keep secret link tokens out of logs.

Links e-mailed to the public carry their secret in the path (status pages
live a year). Django logs the path of every 4xx and 5xx response, and the web
server logs every request line, so both go through ``redact`` first.
"""

from __future__ import annotations

import logging
import re

# A path segment of 20+ URL-safe characters after a /privacy/... prefix: every
# public token (verify, status, export, preferences, unsubscribe) looks so.
_TOKEN = re.compile(r"(/privacy/(?:[a-z-]+/)*?)([A-Za-z0-9_-]{20,})(?=[/?#\s\"']|$)")


def redact(text: str) -> str:
    return _TOKEN.sub(r"\1[token]", text)


class RedactTokens(logging.Filter):
    """A logging filter: the formatted message, with tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only needed where it serves
    _GunicornLogger = None

if _GunicornLogger is not None:

    class GunicornLogger(_GunicornLogger):
        """gunicorn's logger with tokens redacted from access-log lines."""

        def atoms(
            self, resp: object, req: object, environ: dict, request_time: object
        ) -> dict:
            atoms = super().atoms(resp, req, environ, request_time)
            # Every text atom: the request line, path, referrer and each
            # environ variable a custom format might print.
            return {
                key: redact(value) if isinstance(value, str) else value
                for key, value in atoms.items()
            }
