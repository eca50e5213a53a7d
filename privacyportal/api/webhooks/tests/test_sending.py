"""The POST itself over TLS: pinned to the checked address, certificate verified."""

from __future__ import annotations

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from privacyportal.api.webhooks import sending


def _certificate(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _Ok(BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        _Ok.hosts.append(self.headers["Host"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path, settings):
    """HTTPS on 127.0.0.1 with a certificate for hooks.partner.test only."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    cert, key = _certificate(tmp_path, "hooks.partner.test")
    server = HTTPServer(("127.0.0.1", 0), _Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Ok.hosts = []
    yield server.server_port, cert
    server.shutdown()
    server.server_close()


def _trusting(monkeypatch, cert) -> None:
    real = ssl.create_default_context
    monkeypatch.setattr(
        sending.ssl, "create_default_context", lambda: real(cafile=str(cert))
    )


def _resolve_to_loopback(monkeypatch, name: str) -> None:
    import socket

    real = socket.getaddrinfo

    def lookup(host, port, *args, **kwargs):
        return real("127.0.0.1" if host == name else host, port, *args, **kwargs)

    monkeypatch.setattr(sending.netguard.socket, "getaddrinfo", lookup)


def test_tls_post_reaches_the_checked_address_and_names_the_host(
    tls_server, monkeypatch
):
    port, cert = tls_server
    _trusting(monkeypatch, cert)
    _resolve_to_loopback(monkeypatch, "hooks.partner.test")
    url = f"https://hooks.partner.test:{port}/in"
    result = sending.post(url, b"{}", {"Content-Type": "application/json"})
    assert result.ok and result.status_code == 204
    assert _Ok.hosts == [f"hooks.partner.test:{port}"]


def test_a_certificate_for_another_name_fails_the_attempt(tls_server, monkeypatch):
    port, cert = tls_server
    _trusting(monkeypatch, cert)
    _resolve_to_loopback(monkeypatch, "other.partner.test")
    result = sending.post(f"https://other.partner.test:{port}/in", b"{}", {})
    assert not result.ok and result.error.startswith("TLS error")
    assert _Ok.hosts == []


def test_an_untrusted_certificate_fails_the_attempt(tls_server, monkeypatch):
    port, _ = tls_server
    _resolve_to_loopback(monkeypatch, "hooks.partner.test")
    result = sending.post(f"https://hooks.partner.test:{port}/in", b"{}", {})
    assert not result.ok and result.error.startswith("TLS error")
    assert _Ok.hosts == []


def test_a_silent_receiver_times_out_quickly(settings):
    import socket

    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_READ_TIMEOUT = 1
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        port = silent.getsockname()[1]
        result = sending.post(f"http://127.0.0.1:{port}/", b"{}", {})
    finally:
        silent.close()
    assert result.error == "Timed out" and result.status_code is None
