"""Credentials in every state whose certificates the tests read back, issued through the API
(with the page tests' ``web_support``: a throw-away app, an issuer driven as a client would)."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

_APP_TESTS = Path(__file__).resolve().parents[1]
if str(_APP_TESTS / "web") not in sys.path:
    sys.path.append(str(_APP_TESTS / "web"))

from web_support import (  # noqa: E402
    Issuer,
    bilingual_achievement,
)

ISSUED_ON = datetime(2026, 3, 12, 9, 30, tzinfo=UTC)
LONG_LEARNER = "Maximiliane Konstanze Wilhelmina von Hohenzollern-Sigmaringen-Vöhringen " * 3
LONG_ACHIEVEMENT = (
    "Advanced Postgraduate Professional Certificate in Interdisciplinary Computational "
    "Methods for Large-Scale Environmental, Economic and Social Data Analysis " * 2
).strip()


@dataclass
class Credentials:
    """The ids of the credentials the tests look at."""

    valid: str
    bilingual: str
    revoked: str
    suspended: str
    expired: str
    hidden: str
    long: str


@dataclass
class CertificateSite:
    """The app, a client on it, and the issued credentials."""

    client: TestClient
    ids: Credentials
    base: str


def logo_png() -> bytes:
    """A wide PNG logo with transparency (a crest and a bar in the brand colour)."""
    image = Image.new("RGBA", (360, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, 116, 116), fill=(122, 27, 43, 255))
    draw.rectangle((136, 44, 356, 76), fill=(122, 27, 43, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _brand(issuer: Issuer) -> None:
    own = issuer.client.get("/api/v1/issuer", headers=issuer.headers)
    assert own.status_code == 200, own.text
    issuer_id = own.json()["id"]
    patched = issuer.client.patch(
        f"/api/v1/issuers/{issuer_id}",
        json={"brandColor": "#7a1b2b", "accentColor": "#a67c2e"},
        headers=issuer.headers,
    )
    assert patched.status_code == 200, patched.text
    logo = issuer.client.put(
        f"/api/v1/issuers/{issuer_id}/logo",
        content=logo_png(),
        headers={**issuer.headers, "Content-Type": "image/png"},
    )
    assert logo.status_code in (200, 204), logo.text


def _hide(client: TestClient, issuer: Issuer, credential_id: str) -> None:
    link = client.post(
        "/api/v1/learners/link", json={"email": "ada@example.org"}, headers=issuer.headers
    )
    assert link.status_code == 201, link.text
    hidden = client.put(
        f"/api/v1/learner/credentials/{credential_id}/visibility",
        params={"token": link.json()["token"]},
        json={"hidden": True},
    )
    assert hidden.status_code == 204, hidden.text


def issue_credentials(client: TestClient) -> Credentials:
    """One credential per case, issued through the API as an issuer would."""
    issuer = Issuer(client)
    _brand(issuer)
    python = issuer.achievement(
        "Data Analysis with Python",
        creditsAvailable=5,
        resultDescription=[
            {
                "id": "urn:uuid:6a2c7a8e-0000-4000-8000-0000000000c1",
                "name": "Final grade",
                "resultType": "LetterGrade",
            }
        ],
    )
    issued_on = ISSUED_ON.isoformat()
    valid = issuer.issue(
        python,
        validFrom=issued_on,
        validUntil=(datetime.now(UTC) + timedelta(days=730)).isoformat(),
        results=[
            {"resultDescription": "urn:uuid:6a2c7a8e-0000-4000-8000-0000000000c1", "value": "A"}
        ],
    )
    english, _ = bilingual_achievement(
        issuer, "Terminology Management", "术语管理", creditsAvailable=3
    )
    bilingual = issuer.issue(english, name="李娜", validFrom=issued_on)
    revoked = issuer.issue(python, name="Grace Hopper")
    issuer.change(revoked, "revoke")
    suspended = issuer.issue(python, name="Alan Turing")
    issuer.change(suspended, "suspend")
    expired = issuer.issue(
        python,
        name="Katherine Johnson",
        validFrom=(datetime.now(UTC) - timedelta(days=800)).isoformat(),
        validUntil=datetime(2025, 11, 2, 12, 0, tzinfo=UTC).isoformat(),
    )
    hidden = issuer.issue(python, name="Hedy Lamarr")
    _hide(client, issuer, hidden)
    long = issuer.issue(issuer.achievement(LONG_ACHIEVEMENT), name=LONG_LEARNER.strip())
    return Credentials(valid, bilingual, revoked, suspended, expired, hidden, long)
