"""Keep secret link tokens out of logs.

Links e-mailed to the public carry their secret in the path (status pages
live a year). Django logs the path of every 4xx and 5xx response, gunicorn
logs every request line and the path of any request that fails, and a
traceback can quote a path, so every handler of every log runs ``RedactTokens``
(Django's from settings.LOGGING, gunicorn's from ``GunicornLogger``, Celery's
from privacyportal/celery.py).
"""

from __future__ import annotations

import logging
import re

# After "privacy/" (a path, a Referer, or Django's resolver's slash-less path),
# a run of 20+ URL-safe characters starting a segment is a link token: tokens
# are token_urlsafe(32) and no route word is that long. Only the run goes, so
# a mangled link ("TOKEN>", "TOKEN%3E", "%2F" for "/") loses its secret too.
# Tokens sit within 64 characters of "privacy/" (the longest route prefix is
# "request/status/"); the bound keeps a 4 KB path of "privacy/"s cheap.
_TOKEN = re.compile(
    r"(privacy(?:/|%2F)[^\s\"'?#]{0,64}?)(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}",
    re.IGNORECASE,
)
# API keys (privacyportal/api/keys.py) travel in a header, which a custom
# access-log format could print.
_API_KEY = re.compile(r"\bck_[A-Za-z0-9_-]{20,}")


def redact(text: str) -> str:
    return _API_KEY.sub("ck_[key]", _TOKEN.sub(r"\1[token]", text))


class RedactTokens(logging.Filter):
    """Redacts the record itself, so every handler after this one is clean too.

    The message is formatted and redacted; so are the traceback text (which
    standard formatters print instead of formatting ``exc_info`` again) and
    the stack.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redact_every_handler() -> None:
    """Add RedactTokens to every handler of every logger that lacks it.

    For code that sets up its own handlers (gunicorn, Celery) after Django's
    logging configuration ran, or without it.
    """
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactTokens) for f in handler.filters):
                handler.addFilter(RedactTokens())


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only needed where it serves
    _GunicornLogger = None

if _GunicornLogger is not None:

    class GunicornLogger(_GunicornLogger):
        """gunicorn's logger, its access and error logs redacted.

        ``setup`` (re)creates the handlers at start and on every reload; the
        error log carries the path of a request that failed ("Error handling
        request GET /privacy/...") and of a malformed one, and the access log
        its request line and Referer.
        """

        def setup(self, cfg: object) -> None:
            super().setup(cfg)
            redact_every_handler()
