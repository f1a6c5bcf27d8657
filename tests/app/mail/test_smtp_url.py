"""``BADGES_SMTP_URL``: the three ways to reach a server, and every refusal names its reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import InsecureSettingsError, Settings
from app.core.smtp_url import SmtpConfig, SmtpUrlError, parse_smtp_url


def test_implicit_tls_with_auth() -> None:
    config = parse_smtp_url("smtps://mailer:s%40cret%2Fx@smtp.uni.example")
    assert config == SmtpConfig(
        host="smtp.uni.example", port=465, security="tls", username="mailer", password="s@cret/x"
    )
    assert config.authenticates
    assert "s@cret" not in repr(config)


def test_starttls_with_auth_on_the_submission_port() -> None:
    config = parse_smtp_url("smtp://user%40uni.example:pw@smtp.uni.example:587?starttls=true")
    assert (config.security, config.port, config.username, config.password) == (
        "starttls",
        587,
        "user@uni.example",
        "pw",
    )
    assert parse_smtp_url("smtp://u:p@relay.example?starttls=true").port == 587


def test_plain_relay_defaults_to_port_25() -> None:
    config = parse_smtp_url("smtp://relay.internal")
    assert (config.security, config.port, config.username, config.timeout) == (
        "none",
        25,
        None,
        10.0,
    )
    assert parse_smtp_url("smtp://relay.internal:2525?starttls=false").port == 2525
    assert parse_smtp_url("smtp://[::1]:1025").host == "::1"


def test_a_password_in_clear_only_to_this_machine() -> None:
    with pytest.raises(SmtpUrlError, match="in clear") as raised:
        parse_smtp_url("smtp://user:hunter2@relay.example:25")
    assert "hunter2" not in str(raised.value)
    assert parse_smtp_url("smtp://user:pw@127.0.0.1:1025").authenticates
    assert parse_smtp_url("smtp://user:pw@localhost:1025").authenticates


def test_timeout_and_cafile(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    config = parse_smtp_url(f"smtps://relay.example?timeout=30&cafile={ca}")
    assert (config.timeout, config.cafile) == (30.0, ca)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://relay.example", "must start with smtp:// or smtps://"),
        ("smtp://", "names no host"),
        ("smtp://relay.example:99999", "valid port"),
        ("smtp://relay.example/path", "no path"),
        ("smtp://relay.example?tls=on", "unknown parameter 'tls'"),
        ("smtp://relay.example?starttls=maybe", "starttls must be true or false"),
        ("smtps://relay.example?starttls=true", "starttls applies to smtp:// only"),
        ("smtp://:pw@relay.example?starttls=true", "password without a user"),
        ("smtp://relay.example?timeout=0", "between 1 and 120"),
        ("smtp://relay.example?timeout=soon", "number of seconds"),
        ("smtps://relay.example?cafile=/nonexistent.pem", "cafile must name a readable PEM"),
        ("smtp://relay.example?cafile=/etc/hostname", "cafile must name a readable PEM"),
    ],
)
def test_refusals_name_the_reason(url: str, reason: str) -> None:
    with pytest.raises(SmtpUrlError, match=reason.replace("(", r"\(")):
        parse_smtp_url(url)


def test_settings_refuse_a_bad_url_at_start_up_without_echoing_it() -> None:
    with pytest.raises(InsecureSettingsError) as raised:
        Settings(smtp_url="smtp://user:topsecret@relay.example")
    assert "in clear" in str(raised.value)
    assert "topsecret" not in str(raised.value)
    assert raised.value.__suppress_context__  # no traceback chain quoting the URL
    assert Settings(smtp_url="").smtp_url is None
    settings = Settings(smtp_url="smtps://u:p@relay.example", mail_from="badges@uni.example")
    assert settings.smtp_url is not None
    assert settings.mail_from == "badges@uni.example"
    with pytest.raises(ValidationError, match="BADGES_MAIL_FROM"):
        Settings(mail_from="Badges <badges@uni.example>")
