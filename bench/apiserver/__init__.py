"""The portal as api_consent serves it: its own URLs plus a trivial DRF view.

Only gunicorn started by bench/api_consent.py loads these settings
(``DJANGO_SETTINGS_MODULE=bench.apiserver.settings``); the trivial view is
reachable nowhere else.
"""
