"""The portal's settings, with unhandled exceptions passed on to the web server.

DEBUG_PROPAGATE_EXCEPTIONS is how a deployment lets the WSGI server (or a
middleware around the app) handle an exception; the log tests use it to make
gunicorn's error log report a failed request on a token URL.
"""

from privacyportal.settings import *  # noqa: F403

DEBUG_PROPAGATE_EXCEPTIONS = True
