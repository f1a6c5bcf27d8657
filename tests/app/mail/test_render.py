"""Rendering: the language rule, escaping, both parts, and headers of the built message."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest

from app.mail.render import build_message, format_expiry, mail_language, render


def _payload(**overrides: Any) -> dict[str, Any]:
    return {
        "template": "issued",
        "language": "en",
        "to": "li.wei@example.org",
        "recipientName": "Li Wei 李伟",
        "credentialId": "6a3f0c8e-1d2b-4c5d-8e9f-0a1b2c3d4e5f",
        "credentialUrl": "https://badges.test/credentials/6a3f0c8e-1d2b-4c5d-8e9f-0a1b2c3d4e5f",
        "badgeImageUrl": "https://badges.test/credentials/6a3f/badge.png",
        "issuerName": "Example <University>",
        "achievementName": "Data & Analysis",
        "senderName": "示例大学 Registry",
        "replyTo": "office@uni.example",
        "claimSealed": None,
        "claimExpiresAt": "2027-01-01T09:30:00+00:00",
        **overrides,
    }


@pytest.mark.parametrize(
    ("tags", "language"),
    [
        (("zh-CN", "en"), "zh-CN"),
        (("zh-Hant-TW",), "zh-CN"),
        (("en-GB", "zh-CN"), "en"),
        ((None, "zh-CN"), "zh-CN"),
        (("fr", "de"), "en"),
        ((None, None), "en"),
        (("fr", "zh"), "zh-CN"),
    ],
)
def test_the_first_language_with_templates(tags: tuple[str | None, ...], language: str) -> None:
    assert mail_language(*tags) == language


def test_html_is_escaped_and_text_is_plain() -> None:
    rendered = render(_payload(), "https://badges.test/claim/abc", "badges.test")
    assert "Example &lt;University&gt;" in rendered.html
    assert "Data &amp; Analysis" in rendered.html
    assert "<University>" not in rendered.html
    assert (
        "Example <University> has issued you a digital credential: Data & Analysis."
        in rendered.text
    )
    assert "<" not in rendered.text.replace("<University>", "")
    assert "This link works until 1 January 2027, 09:30 UTC." in rendered.text
    assert rendered.subject == "Example <University> has awarded you “Data & Analysis”"


def test_expiry_in_chinese() -> None:
    moment = datetime(2027, 1, 1, 9, 30, tzinfo=UTC)
    assert format_expiry("zh-CN", moment) == "2027年1月1日 09:30（UTC）"


def test_without_a_claim_link_the_page_is_linked() -> None:
    rendered = render(_payload(template="program_completed"), None, "badges.test")
    assert "/claim/" not in rendered.text
    assert "View the credential" in rendered.html
    assert "You completed" in rendered.subject


def test_the_message_round_trips_with_encoded_names() -> None:
    message = build_message(
        _payload(language="zh-CN"),
        claim_url="https://badges.test/claim/tok",
        message_id="msg_0123",
        mail_from="badges@badges.test",
        base_url="https://badges.test",
        now=datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
    )
    raw = message.as_bytes(policy=policy.SMTP)
    assert max(raw) < 128  # 7-bit on the wire: names RFC 2047-encoded, bodies transfer-encoded
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["From"].addresses[0].display_name == "示例大学 Registry"
    assert parsed["To"].addresses[0].display_name == "Li Wei 李伟"
    assert parsed["Message-ID"] == "<msg_0123@badges.test>"
    assert parsed["Subject"] == "Example <University>向您颁发了“Data & Analysis”"
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize(
    ("language", "subject", "line", "until"),
    [
        (
            "en",
            "Example <University> asks you to send “Data & Analysis” to Career <Hub>",
            "Nothing is sent unless you approve it",
            "The request is open until 17 December 2026, 08:00 UTC.",
        ),
        (
            "zh-CN",
            "请您将“Data & Analysis”发送到 Career <Hub>",
            "未经您同意，不会发送任何内容",
            "2026年12月17日",
        ),
    ],
)
def test_a_push_request_links_to_the_account_requests_not_to_a_claim(
    language: str, subject: str, line: str, until: str
) -> None:
    payload = _payload(
        template="push_request",
        language=language,
        hostName="Career <Hub>",
        reviewUrl="https://badges.test/account/requests",
        requestExpiresAt="2026-12-17T08:00:00+00:00",
    )
    rendered = render(payload, None, "badges.test")
    assert subject in rendered.subject
    assert line in rendered.text
    assert until in rendered.text
    assert "https://badges.test/account/requests" in rendered.text
    assert "/claim/" not in rendered.text
    assert "Career &lt;Hub&gt;" in rendered.html
