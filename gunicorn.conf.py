"""gunicorn settings, read by every `gunicorn` started in this directory.

The Dockerfile, docker-compose.yml, `make run` and the form_post benchmark all
start gunicorn here, so they share this file; command-line flags override it.

Threaded workers: a sync worker is killed when one request outlasts
``timeout`` (it cannot report in while it serves), and the admin streams
recording downloads and takes uploads that can last minutes. A gthread
worker's main loop keeps reporting while its threads serve, and one slow
download occupies a thread, not a whole worker that the public form needs.
"""

import os

wsgi_app = "privacyportal.wsgi"
worker_class = "gthread"
# WEB_CONCURRENCY (processes) and WEB_THREADS, as on most hosting platforms.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# A request that does not finish in this long is stuck, not slow.
timeout = 120
graceful_timeout = 30
keepalive = 5
# The access log's request lines and referrers carry secret link tokens.
logger_class = "privacyportal.logredact.GunicornLogger"
