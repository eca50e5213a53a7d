from __future__ import annotations

import os

import django
from django.core.handlers.wsgi import WSGIHandler

from privacyportal.middleware import PortalWSGIRequest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")


class PortalWSGIHandler(WSGIHandler):
    # Builds requests that survive any charset (see PortalWSGIRequest).
    request_class = PortalWSGIRequest


# What django.core.wsgi.get_wsgi_application() does, with our handler.
django.setup(set_prefix=False)
application = PortalWSGIHandler()
