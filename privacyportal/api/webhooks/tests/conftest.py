"""A real HTTP receiver on a local port, and a subscription pointing at it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from privacyportal.api.webhooks.services import subscription_create
from privacyportal.audit.services import Actor


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """Answers each POST with the next code of ``answers`` (then 200)."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if receiver.delay:
                threading.Event().wait(receiver.delay)
            with receiver.lock:
                code = receiver.answers.pop(0) if receiver.answers else 200
                receiver.received.append(Received(dict(self.headers), body, code))
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    box = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks/portal")
    server.RequestHandlerClass = _handler(box)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


ALL_TYPES = [
    "request.verified",
    "request.completed",
    "request.erasure_completed",
    "consent.changed",
    "recording.deleted",
    "subject.erased",
]


@pytest.fixture
def subscription(receiver):
    sub, secret = subscription_create(
        actor=Actor.system("test"),
        name="CRM",
        url=receiver.url,
        event_types=ALL_TYPES,
    )
    sub.raw_secret = secret
    return sub
