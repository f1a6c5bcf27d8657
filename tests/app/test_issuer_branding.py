"""Issuer branding (issue 14 item 2, issue 15 item 1): colours checked for contrast, an
uploaded logo checked by content and served at ``/issuers/{id}/logo``."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_issuer
from branding_support import SVG, png
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.issuers.colors import contrast_with_white
from app.models import AuditEvent


def _patch(client: TestClient, issuer: IssuerHandle, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1/issuers/{issuer.id}", json=body, headers=issuer.headers)


def _put_logo(
    client: TestClient, issuer: IssuerHandle, data: bytes, content_type: str, headers: Any = None
) -> Any:
    return client.put(
        f"/api/v1/issuers/{issuer.id}/logo",
        content=data,
        headers={**(headers or issuer.headers), "Content-Type": content_type},
    )


def _actions(engine: Engine, issuer_id: str) -> list[str]:
    with Session(engine) as session:
        rows = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_id == issuer_id)
            .order_by(AuditEvent.created_at)
        )
        return list(rows)


def test_contrast_ratios_follow_wcag() -> None:
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#1d4ed8") == pytest.approx(6.70, abs=0.02)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)  # the AA grey


def test_colours_are_set_lower_cased_and_cleared(client: TestClient, issuer: IssuerHandle) -> None:
    response = _patch(client, issuer, {"brandColor": "#1D4ED8", "accentColor": "#B45309"})
    assert response.status_code == 200, response.text
    assert response.json()["brandColor"] == "#1d4ed8"
    assert response.json()["accentColor"] == "#b45309"
    assert client.get("/api/v1/issuer", headers=issuer.headers).json()["brandColor"] == "#1d4ed8"
    # merge patch: left out stays, null clears
    kept = _patch(client, issuer, {"url": "https://u.example"}).json()
    assert kept["brandColor"] == "#1d4ed8"
    cleared = _patch(client, issuer, {"brandColor": None}).json()
    assert cleared["brandColor"] is None
    assert cleared["accentColor"] == "#b45309"


def test_colours_on_creation(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = {"name": {"en": "Branded U"}, "brandColor": "#7C2D12"}
    response = client.post("/api/v1/issuers", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    assert response.json()["brandColor"] == "#7c2d12"
    assert response.json()["accentColor"] is None
    refused = client.post(
        "/api/v1/issuers",
        json={"name": {"en": "Pale U"}, "brandColor": "#ffff00"},
        headers=admin_headers,
    )
    assert refused.status_code == 422
    assert "brandColor" in refused.text


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"brandColor": "#ffff00"}, "brandColor", "1.07:1"),
        ({"brandColor": "#3b82f6"}, "brandColor", "3.68:1"),
        ({"accentColor": "#f0f0f0"}, "accentColor", ":1"),
        ({"brandColor": "blue"}, "brandColor", "#rrggbb"),
        ({"brandColor": "#12345"}, "brandColor", "#rrggbb"),
        ({"accentColor": "#1234567"}, "accentColor", "#rrggbb"),
        ({"brandColor": 123}, "brandColor", ""),
    ],
)
def test_bad_colours_are_422_naming_the_field(
    client: TestClient, issuer: IssuerHandle, body: dict[str, Any], field: str, words: str
) -> None:
    response = _patch(client, issuer, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert any(field in str(error.get("field", "")) for error in problem["errors"]), problem
    assert words in response.text


def test_accepted_brand_colour(client: TestClient, issuer: IssuerHandle) -> None:
    assert _patch(client, issuer, {"brandColor": "#1d4ed8"}).status_code == 200
    assert _patch(client, issuer, {"accentColor": "#1d4ed8"}).status_code == 200
    assert _patch(client, issuer, {"accentColor": "#949494"}).status_code == 200  # 3.03:1


@pytest.mark.parametrize(("data", "content_type"), [(png(), "image/png"), (SVG, "image/svg+xml")])
def test_logo_upload_is_served_and_becomes_the_image(
    client: TestClient,
    admin_headers: dict[str, str],
    engine: Engine,
    data: bytes,
    content_type: str,
) -> None:
    issuer = make_issuer(client, admin_headers)
    response = _put_logo(client, issuer, data, content_type)
    assert response.status_code == 200, response.text
    logo_url = response.json()["logoUrl"]
    assert logo_url.endswith(f"/issuers/{issuer.id}/logo")
    assert response.json()["image"] is None  # the URL member stays what was set

    served = client.get(f"/issuers/{issuer.id}/logo")
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"].startswith(content_type)
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "public" in served.headers["cache-control"]
    if content_type == "image/svg+xml":
        assert served.headers["content-security-policy"] == (
            "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
        )
    again = client.get(
        f"/issuers/{issuer.id}/logo", headers={"If-None-Match": served.headers["etag"]}
    )
    assert again.status_code == 304

    # no image URL: the profile and new credentials point at the logo, never embed it
    profile = client.get(f"/issuers/{issuer.id}").json()
    assert profile["image"] == {"id": logo_url, "type": "Image"}
    achievement = client.post(
        "/api/v1/achievements",
        json={"name": "Logo", "description": "d", "criteria": {"narrative": "c"}},
        headers=issuer.headers,
    ).json()
    credential = issue(client, issuer, achievement["id"])["credential"]
    assert credential["issuer"]["image"] == {"id": logo_url, "type": "Image"}
    assert "data:" not in str(credential["issuer"])

    # an image URL, once set, wins
    _patch(client, issuer, {"image": "https://u.example/logo.png"})
    assert client.get(f"/issuers/{issuer.id}").json()["image"]["id"] == (
        "https://u.example/logo.png"
    )

    removed = client.delete(f"/api/v1/issuers/{issuer.id}/logo", headers=issuer.headers)
    assert removed.status_code == 204
    assert client.get(f"/issuers/{issuer.id}/logo").status_code == 404
    assert client.get("/api/v1/issuer", headers=issuer.headers).json()["logoUrl"] is None
    assert _actions(engine, issuer.id).count("issuer.logo.set") == 1
    assert "issuer.logo.remove" in _actions(engine, issuer.id)


@pytest.mark.parametrize(
    ("data", "content_type", "status", "words"),
    [
        (b"<svg", "image/svg+xml", 422, "well-formed"),
        (png(), "image/svg+xml", 422, "does not match"),
        (SVG, "image/png", 422, "does not match"),
        (b"GIF89a....", "image/png", 422, "PNG and SVG"),
        (png(), "image/gif", 415, "image/png"),
        (png(), "application/octet-stream", 415, "image/png"),
        (b"", "image/png", 422, "empty"),
        (png(pad=260 * 1024), "image/png", 413, "256 KB"),
        (png(pad=400 * 1024), "image/png", 413, "larger than"),
        (png(width=4097, height=1), "image/png", 422, ""),  # too many pixels to decode
    ],
)
def test_bad_logos_are_refused(
    client: TestClient,
    issuer: IssuerHandle,
    data: bytes,
    content_type: str,
    status: int,
    words: str,
) -> None:
    response = _put_logo(client, issuer, data, content_type)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert client.get(f"/issuers/{issuer.id}/logo").status_code == 404


@pytest.mark.parametrize(
    ("data", "bad"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', b"alert"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<image xlink:href="https://evil.example/x.png"/></svg>',
            b"evil.example",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', b"onload"),
    ],
)
def test_a_logo_svg_is_kept_with_its_dangers_removed(
    client: TestClient, issuer: IssuerHandle, data: bytes, bad: bytes
) -> None:
    """Scripts, handlers and outside references are cut out (app.core.images.sanitize_svg)."""
    response = _put_logo(client, issuer, data, "image/svg+xml")
    assert response.status_code == 200, response.text
    served = client.get(f"/issuers/{issuer.id}/logo")
    assert served.status_code == 200
    assert b"<svg" in served.content
    assert bad not in served.content


def test_another_issuers_key_cannot_touch_the_logo(
    client: TestClient,
    issuer: IssuerHandle,
    other_issuer: IssuerHandle,
    admin_headers: dict[str, str],
) -> None:
    assert _put_logo(client, issuer, SVG, "image/svg+xml", other_issuer.headers).status_code == 404
    response = client.delete(f"/api/v1/issuers/{issuer.id}/logo", headers=other_issuer.headers)
    assert response.status_code == 404
    assert client.get(f"/issuers/{issuer.id}/logo").status_code == 404
    # the admin may, for any issuer
    assert _put_logo(client, issuer, SVG, "image/svg+xml", admin_headers).status_code == 200
    assert client.get(f"/issuers/{issuer.id}/logo").content == SVG
    assert _patch(client, other_issuer, {"brandColor": "#1d4ed8"}).status_code == 200
    hidden = client.patch(
        f"/api/v1/issuers/{issuer.id}", json={"brandColor": "#1d4ed8"}, headers=other_issuer.headers
    )
    assert hidden.status_code == 404


def test_colour_changes_are_audited(
    client: TestClient, issuer: IssuerHandle, engine: Engine
) -> None:
    assert _patch(client, issuer, {"brandColor": "#1d4ed8"}).status_code == 200
    with Session(engine) as session:
        entry = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id == issuer.id, AuditEvent.action == "issuer.update")
            .order_by(AuditEvent.created_at.desc())
        ).first()
        assert entry is not None
        assert entry.details == {"changed": ["brand_color"]}
