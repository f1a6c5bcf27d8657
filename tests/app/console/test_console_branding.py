"""Settings › Profile: brand colours (checked for contrast) and the uploaded logo (issue 14)."""

from __future__ import annotations

import re
import uuid

import pytest
from api_support import IssuerHandle
from branding_support import SVG, png
from console_support import csrf_of, make_staff, post_form, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import AuditEvent

PROFILE = {
    "name_en": "Riverside University",
    "name_zh": "河畔大学",
    "default_language": "en",
}


def _settings(issuer: IssuerHandle, path: str = "") -> str:
    return f"/console/{issuer.id}/settings{path}"


def _staff(app: FastAPI, issuer: IssuerHandle, role: str = "owner") -> tuple[TestClient, str]:
    email, user_id = make_staff(app, issuer_id=issuer.id, role=role)
    return signed_in(app, email), f"staff:{user_id}"


def _audit(app: FastAPI, issuer_id: str, action: str) -> list[AuditEvent]:
    with app.state.sessionmaker() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.issuer_id == uuid.UUID(issuer_id), AuditEvent.action == action
                )
            )
        )


def _own(client: TestClient, issuer: IssuerHandle) -> dict[str, object]:
    return client.get("/api/v1/issuer", headers=issuer.headers).json()  # type: ignore[no-any-return]


def test_the_owner_sets_colours_typed_or_picked_and_sees_the_preview(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    staff, actor = _staff(app, issuer)
    page = staff.get(_settings(issuer))
    assert 'type="color"' in page.text
    assert 'name="brand_color"' in page.text
    assert "brand-preview" not in page.text  # nothing saved yet
    saved = post_form(
        staff,
        _settings(issuer),
        _settings(issuer, "/profile"),
        {**PROFILE, "brand_color": "#1D4ED8", "accent_color": ""},
    )
    assert saved.status_code == 303, saved.text  # type: ignore[attr-defined]
    assert _own(client, issuer)["brandColor"] == "#1d4ed8"
    assert _own(client, issuer)["accentColor"] is None
    [row] = _audit(app, issuer.id, "issuer.update")
    assert row.actor == actor
    assert "brand_color" in row.details["changed"]
    page = staff.get(_settings(issuer) + "?lang=en")
    assert 'fill="#1d4ed8"' in page.text  # the server-rendered preview
    assert "White text on #1d4ed8: contrast 6.7:1." in page.text
    # the picker moved, the text left as shown: the picker's colour is taken
    form = {
        **PROFILE,
        "brand_color": "#1d4ed8",
        "brand_color_was": "#1d4ed8",
        "brand_color_pick": "#7c2d12",
        "brand_color_pick_was": "#1d4ed8",
        "accent_color": "",
        "accent_color_was": "",
        "accent_color_pick": "#b45309",
        "accent_color_pick_was": "#b45309",
    }
    picked = post_form(staff, _settings(issuer), _settings(issuer, "/profile"), form)
    assert picked.status_code == 303  # type: ignore[attr-defined]
    assert _own(client, issuer)["brandColor"] == "#7c2d12"
    assert _own(client, issuer)["accentColor"] is None  # picker untouched, text blank
    # blank text clears
    cleared = post_form(
        staff, _settings(issuer), _settings(issuer, "/profile"), {**PROFILE, "brand_color": ""}
    )
    assert cleared.status_code == 303  # type: ignore[attr-defined]
    assert _own(client, issuer)["brandColor"] is None


@pytest.mark.parametrize(
    ("lang", "words"), [("en", "white text on it needs"), ("zh-CN", "对比度至少需要 4.5:1")]
)
def test_a_low_contrast_colour_is_refused_next_to_its_field_in_the_page_language(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, lang: str, words: str
) -> None:
    staff, _ = _staff(app, issuer)
    page = f"{_settings(issuer)}?lang={lang}"
    shown = staff.get(page)
    refused = staff.post(
        _settings(issuer, "/profile") + f"?lang={lang}",
        data={**PROFILE, "brand_color": "#ffff00", "csrf": csrf_of(shown.text)},
    )
    assert refused.status_code == 422
    assert 'id="e-brand_color"' in refused.text
    assert re.search(r'id="f-brand_color"[^>]*aria-invalid="true"', refused.text)
    assert words in refused.text
    assert "1.07:1" in refused.text
    assert 'value="#ffff00"' in refused.text  # the typed value is kept
    assert _own(client, issuer)["brandColor"] is None
    bad_accent = staff.post(
        _settings(issuer, "/profile"),
        data={**PROFILE, "accent_color": "teal", "csrf": csrf_of(shown.text)},
    )
    assert bad_accent.status_code == 422
    assert 'id="e-accent_color"' in bad_accent.text


def test_the_owner_uploads_and_removes_a_logo(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    staff, actor = _staff(app, issuer)
    csrf = csrf_of(staff.get(_settings(issuer)).text)
    uploaded = staff.post(
        _settings(issuer, "/logo"),
        data={"csrf": csrf},
        files={"logo": ("logo.svg", SVG, "image/svg+xml")},
    )
    assert uploaded.status_code == 303, uploaded.text
    assert uploaded.headers["location"].endswith("?notice=logo_saved")
    assert client.get(f"/issuers/{issuer.id}/logo").content == SVG
    page = staff.get(_settings(issuer))
    assert re.search(
        rf'<img class="issuer-logo" src="/issuers/{issuer.id}/logo\?v=[0-9a-f]{{12}}"', page.text
    )
    [row] = _audit(app, issuer.id, "issuer.logo.set")
    assert row.actor == actor
    # a PNG replaces it
    replaced = staff.post(
        _settings(issuer, "/logo"),
        data={"csrf": csrf},
        files={"logo": ("logo.png", png(), "image/png")},
    )
    assert replaced.status_code == 303
    assert client.get(f"/issuers/{issuer.id}/logo").headers["content-type"] == "image/png"
    removed = staff.post(_settings(issuer, "/logo/remove"), data={"csrf": csrf})
    assert removed.status_code == 303
    assert client.get(f"/issuers/{issuer.id}/logo").status_code == 404
    assert len(_audit(app, issuer.id, "issuer.logo.remove")) == 1


@pytest.mark.parametrize(
    ("name", "data", "content_type", "lang", "words"),
    [
        # an SVG's scripts are removed, not refused (app.core.images.sanitize_svg)
        ("x.svg", b"<svg", "image/svg+xml", "en", "not well-formed XML"),
        ("x.svg", b"<svg", "image/svg+xml", "zh-CN", "格式正确"),
        ("x.png", png(pad=260 * 1024), "image/png", "en", "256 KB"),
        ("x.gif", b"GIF89a....", "image/gif", "en", "Only PNG and SVG"),
        ("x.svg", png(), "image/svg+xml", "en", "does not match"),
        ("x.png", png(width=4097, height=1), "image/png", "en", "at most 4096 × 4096"),
        ("x.png", png(width=4097, height=1), "image/png", "zh-CN", "4096 像素"),
    ],
)
def test_a_refused_logo_is_shown_next_to_the_field(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    name: str,
    data: bytes,
    content_type: str,
    lang: str,
    words: str,
) -> None:
    staff, _ = _staff(app, issuer)
    csrf = csrf_of(staff.get(_settings(issuer)).text)
    refused = staff.post(
        _settings(issuer, "/logo") + f"?lang={lang}",
        data={"csrf": csrf},
        files={"logo": (name, data, content_type)},
    )
    assert refused.status_code == 422
    assert 'id="e-logo"' in refused.text
    assert words in refused.text
    assert client.get(f"/issuers/{issuer.id}/logo").status_code == 404
    assert _audit(app, issuer.id, "issuer.logo.set") == []


@pytest.mark.parametrize("role", ["viewer", "issuer"])
def test_viewers_and_issuers_cannot_change_the_branding(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, role: str
) -> None:
    staff, _ = _staff(app, issuer, role)
    page = staff.get(_settings(issuer))
    assert page.status_code == 200
    assert 'id="logo-form"' not in page.text
    csrf = csrf_of(page.text)
    assert (
        staff.post(
            _settings(issuer, "/profile"), data={**PROFILE, "brand_color": "#1d4ed8", "csrf": csrf}
        ).status_code
        == 403
    )
    assert (
        staff.post(
            _settings(issuer, "/logo"),
            data={"csrf": csrf},
            files={"logo": ("l.svg", SVG, "image/svg+xml")},
        ).status_code
        == 403
    )
    assert staff.post(_settings(issuer, "/logo/remove"), data={"csrf": csrf}).status_code == 403
    assert _own(client, issuer)["brandColor"] is None
    assert client.get(f"/issuers/{issuer.id}/logo").status_code == 404


def test_the_logo_posts_need_the_csrf_token_and_the_issuers_staff(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    staff, _ = _staff(app, issuer)
    for token in ("", "forged-token"):
        refused = staff.post(
            _settings(issuer, "/logo"),
            data={"csrf": token},
            files={"logo": ("l.svg", SVG, "image/svg+xml")},
        )
        assert refused.status_code == 403
        assert (
            staff.post(_settings(issuer, "/logo/remove"), data={"csrf": token}).status_code == 403
        )
    other, _ = _staff(app, other_issuer)
    csrf = csrf_of(other.get(_settings(other_issuer)).text)
    hidden = other.post(
        _settings(issuer, "/logo"),
        data={"csrf": csrf},
        files={"logo": ("l.svg", SVG, "image/svg+xml")},
    )
    assert hidden.status_code == 404
    assert client.get(f"/issuers/{issuer.id}/logo").status_code == 404
