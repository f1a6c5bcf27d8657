"""The SMTP submission itself against aiosmtpd: STARTTLS and implicit TLS with a private CA,
AUTH after TLS, wrong passwords and a server that does not offer STARTTLS."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mail_support import Inbox, free_port

from app.core.smtp_url import parse_smtp_url
from app.mail import smtp
from app.outbox.service import Outcome

USER, PASSWORD = "mailer", "p@ss word/1"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it through ``cafile``)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (USER, PASSWORD)
    return AuthResult(success=ok, handled=False)


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    """STARTTLS required before anything, AUTH required and only after TLS."""
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    yield inbox, port
    controller.stop()


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "badges@badges.test"
    message["To"] = to
    message["Subject"] = "hello"
    message.set_content("hello")
    return message


def _submit(url: str, to: str = "learner@example.org") -> Outcome:
    return smtp.submit(
        parse_smtp_url(url),
        _message(to),
        envelope_from="badges@badges.test",
        recipient=to,
        local_hostname="badges.test",
    )


def test_starttls_then_auth(
    starttls_server: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    inbox, port = starttls_server
    url = f"smtp://{USER}:p%40ss%20word%2F1@127.0.0.1:{port}?starttls=true&cafile={certificate[0]}"
    outcome = _submit(url)
    assert outcome.delivered, outcome
    assert outcome.status == 250
    assert [rcpt for _, rcpt, _ in inbox.received] == [["learner@example.org"]]


def test_a_wrong_password_is_retried_and_named(
    starttls_server: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    _, port = starttls_server
    outcome = _submit(f"smtp://{USER}:nope@127.0.0.1:{port}?starttls=true&cafile={certificate[0]}")
    assert not outcome.delivered
    assert outcome.retry
    assert outcome.status == 535
    assert outcome.error is not None
    assert "authentication failed" in outcome.error
    assert "nope" not in outcome.error


def test_an_untrusted_certificate_is_refused(starttls_server: tuple[Inbox, int]) -> None:
    _, port = starttls_server
    outcome = _submit(f"smtp://{USER}:x@127.0.0.1:{port}?starttls=true")  # system CAs only
    assert not outcome.delivered
    assert outcome.retry
    assert outcome.error is not None
    assert outcome.error.startswith("TLS with the SMTP server failed")


def test_starttls_required_but_not_offered(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server  # a plain server: no STARTTLS in its EHLO
    outcome = _submit(f"smtp://127.0.0.1:{port}?starttls=true")
    assert not outcome.delivered
    assert outcome.retry
    assert outcome.error is not None
    assert "STARTTLS" in outcome.error
    assert inbox.received == []  # nothing went in clear


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=_server_context(certificate)
    )
    controller.start()
    try:
        outcome = _submit(f"smtps://127.0.0.1:{port}?cafile={certificate[0]}")
    finally:
        controller.stop()
    assert outcome.delivered, outcome
    assert len(inbox.received) == 1
