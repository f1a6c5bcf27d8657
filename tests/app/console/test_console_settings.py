"""The owner's settings pages: profile, signing keys, API keys, webhooks and their deliveries,
e-mail settings and previews; each change through the API's own services, visible in the API
and in the audit log with the staff member as actor; who may read and change what; CSRF."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement
from console_support import csrf_of, make_staff, post_form, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.models import AuditEvent, Delivery
from app.outbox import service as outbox
from app.webhooks import service as webhook_service


def _audit(app: FastAPI, issuer_id: str, action: str) -> list[AuditEvent]:
    with app.state.sessionmaker() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.issuer_id == uuid.UUID(issuer_id), AuditEvent.action == action)
                .order_by(AuditEvent.created_at)
            )
        )


def _owner(app: FastAPI, issuer: IssuerHandle, role: str = "owner") -> tuple[TestClient, str]:
    email, user_id = make_staff(app, issuer_id=issuer.id, role=role)
    return signed_in(app, email), f"staff:{user_id}"


def _settings(issuer: IssuerHandle, path: str = "") -> str:
    return f"/console/{issuer.id}/settings{path}"


PROFILE = {
    "name_en": "Riverside University",
    "name_zh": "河畔大学",
    "description_en": "A public university by the river.",
    "description_zh": "一所河边的公立大学。",
    "url": "https://riverside.example",
    "email": "Registry@Riverside.example",
    "image": "https://riverside.example/logo.svg",
    "default_language": "zh-CN",
    "suspension_enabled": "1",
}


# --- profile ---------------------------------------------------------------------------------


def test_the_owner_edits_the_profile_and_the_api_and_audit_log_show_it(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    staff, actor = _owner(app, issuer)
    page = staff.get(_settings(issuer))
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'name="name_zh"' in page.text
    saved = post_form(staff, _settings(issuer), _settings(issuer, "/profile"), PROFILE)
    assert saved.status_code == 303, saved.text  # type: ignore[attr-defined]
    assert saved.headers["location"].endswith("/settings?notice=saved")  # type: ignore[attr-defined]

    own = client.get("/api/v1/issuer", headers=issuer.headers).json()
    assert own["name"] == {"en": "Riverside University", "zh-CN": "河畔大学"}
    assert own["description"]["zh-CN"] == "一所河边的公立大学。"
    assert own["url"] == "https://riverside.example"
    assert own["email"] == "registry@riverside.example"
    assert own["image"] == "https://riverside.example/logo.svg"
    assert own["defaultLanguage"] == "zh-CN"
    assert own["suspensionEnabled"] is True
    public = client.get(f"/issuers/{issuer.id}", headers={"Accept": "application/ld+json"})
    assert public.json()["name"] == "河畔大学"  # the default language's name
    [row] = _audit(app, issuer.id, "issuer.update")
    assert row.actor == actor
    assert "name" in row.details["changed"]
    # the page shows the saved values, and blank clears an optional field
    again = staff.get(_settings(issuer) + "?lang=en")
    assert 'value="https://riverside.example"' in again.text
    cleared = post_form(
        staff,
        _settings(issuer),
        _settings(issuer, "/profile"),
        {**PROFILE, "description_zh": "", "url": "", "suspension_enabled": ""},
    )
    assert cleared.status_code == 303  # type: ignore[attr-defined]
    own = client.get("/api/v1/issuer", headers=issuer.headers).json()
    assert own["url"] is None
    assert "zh-CN" not in own["description"]
    assert own["suspensionEnabled"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://riverside.example"}, "url"),
        ({"email": "not an address"}, "email"),
        ({"image": "data:image/svg+xml;base64,PHN2Zz48c2NyaXB0Lz48L3N2Zz4="}, "image"),
        ({"image": "javascript:alert(1)"}, "image"),
        ({"name_en": "", "name_zh": ""}, "name_en"),
        ({"name_zh": "", "default_language": "zh-CN"}, "default_language"),
        ({"name_en": "x" * 501}, "name_en"),
    ],
)
def test_a_refused_profile_value_is_shown_next_to_its_field_and_nothing_changes(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    change: dict[str, str],
    field: str,
) -> None:
    staff, _ = _owner(app, issuer)
    before = client.get("/api/v1/issuer", headers=issuer.headers).json()
    refused = post_form(
        staff, _settings(issuer), _settings(issuer, "/profile"), {**PROFILE, **change}
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    html = refused.text  # type: ignore[attr-defined]
    assert f'id="e-{field}"' in html
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', html)
    assert 'role="alert"' in html
    assert client.get("/api/v1/issuer", headers=issuer.headers).json() == before
    assert _audit(app, issuer.id, "issuer.update") == []


# --- who may do what -------------------------------------------------------------------------

READABLE_BY_VIEWERS = ["", "/keys", "/mail", "/mail/issued/en", "/mail/revoked/zh-CN/html"]
OWNER_ONLY_PAGES = ["/api-keys", "/webhooks", "/keys/rotate"]


def _post_routes(issuer: IssuerHandle) -> list[str]:
    hook, delivery = uuid.uuid4(), uuid.uuid4()
    return [
        _settings(issuer, path)
        for path in (
            "/profile",
            "/mail",
            "/keys/rotate",
            "/api-keys",
            f"/api-keys/{uuid.uuid4()}/revoke",
            "/webhooks",
            f"/webhooks/{hook}",
            f"/webhooks/{hook}/rotate-secret",
            f"/webhooks/{hook}/delete",
            f"/webhooks/{hook}/deliveries/{delivery}/redeliver",
        )
    ]


@pytest.mark.parametrize("role", ["viewer", "issuer"])
def test_issuers_and_viewers_read_the_harmless_pages_and_change_nothing(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, role: str
) -> None:
    staff, _ = _owner(app, issuer, role)
    for path in READABLE_BY_VIEWERS:
        assert staff.get(_settings(issuer, path)).status_code == 200, path
    profile = staff.get(_settings(issuer))
    assert '<fieldset class="ca-section" disabled>' in profile.text
    assert 'type="submit" class="button">' not in profile.text.split('id="profile-form"')[1]
    assert "Rotate keys" not in staff.get(_settings(issuer, "/keys")).text
    for path in OWNER_ONLY_PAGES:
        assert staff.get(_settings(issuer, path)).status_code == 403, path
    csrf = csrf_of(profile.text)
    for action in _post_routes(issuer):
        refused = staff.post(action, data={**PROFILE, "csrf": csrf, "name": "x"})
        assert refused.status_code == 403, action
    assert _audit(app, issuer.id, "issuer.update") == []
    assert client.get("/api/v1/issuer", headers=issuer.headers).json()["url"] is None


def test_an_assessor_is_refused_every_settings_page(app: FastAPI, issuer: IssuerHandle) -> None:
    staff, _ = _owner(app, issuer, "assessor")
    for path in READABLE_BY_VIEWERS + OWNER_ONLY_PAGES:
        assert staff.get(_settings(issuer, path)).status_code == 403, path
    refused = staff.get(_settings(issuer), headers={"Accept": "text/html"})
    assert "console-nav" not in refused.text or "/settings/api-keys" not in refused.text


def test_staff_of_another_issuer_get_404(
    app: FastAPI, issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    staff, _ = _owner(app, other_issuer)
    csrf = csrf_of(staff.get(_settings(other_issuer)).text)
    for path in READABLE_BY_VIEWERS + OWNER_ONLY_PAGES:
        assert staff.get(_settings(issuer, path)).status_code == 404, path
    for action in _post_routes(issuer):
        assert staff.post(action, data={"csrf": csrf}).status_code == 404, action


def test_every_post_needs_the_session_csrf_token(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    staff, _ = _owner(app, issuer)
    for action in _post_routes(issuer):
        for token in ("", "forged-token"):
            refused = staff.post(action, data={**PROFILE, "csrf": token})
            assert refused.status_code == 403, action
    assert _audit(app, issuer.id, "issuer.update") == []
    assert client.get("/api/v1/issuer", headers=issuer.headers).json()["url"] is None


def test_the_settings_link_shows_to_members_who_may_open_it(
    app: FastAPI, issuer: IssuerHandle
) -> None:
    owner, _ = _owner(app, issuer)
    dashboard = owner.get(f"/console/{issuer.id}")
    assert f'href="/console/{issuer.id}/settings"' in dashboard.text
    settings = owner.get(_settings(issuer)).text
    for path in ("/keys", "/api-keys", "/webhooks", "/mail"):
        assert f'href="/console/{issuer.id}/settings{path}"' in settings
    viewer, _ = _owner(app, issuer, "viewer")
    shown = viewer.get(_settings(issuer)).text
    assert "/settings/api-keys" not in shown
    assert "/settings/webhooks" not in shown


# --- signing keys ----------------------------------------------------------------------------


def test_the_owner_rotates_the_signing_keys_after_confirming(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    staff, actor = _owner(app, issuer)
    before = client.get("/api/v1/keys", headers=issuer.headers).json()
    listing = staff.get(_settings(issuer, "/keys"))
    for key in before:
        assert key["verificationMethod"] in listing.text
    confirm = staff.get(_settings(issuer, "/keys/rotate"))
    assert confirm.status_code == 200
    assert 'name="purposes" type="checkbox" value="jwt" checked' in confirm.text
    rotated = staff.post(
        _settings(issuer, "/keys/rotate"),
        data={"purposes": ["jwt"], "jwt_key_type": "P-256", "csrf": csrf_of(confirm.text)},
    )
    assert rotated.status_code == 303
    assert rotated.headers["location"].endswith("/settings/keys?notice=rotated")
    after = client.get("/api/v1/keys", headers=issuer.headers).json()
    assert len(after) == len(before) + 1
    active = {k["purpose"]: k for k in after if k["state"] == "active"}
    assert active["jwt"]["keyType"] == "P-256"
    assert active["data-integrity"]["id"] in {k["id"] for k in before}  # not chosen: kept
    [row] = _audit(app, issuer.id, "key.rotate")
    assert row.actor == actor
    shown = staff.get(_settings(issuer, "/keys")).text
    assert 'data-state="retired"' in shown
    assert active["jwt"]["verificationMethod"] in shown
    # nothing chosen: nothing rotated, the confirmation page says why
    none = staff.post(_settings(issuer, "/keys/rotate"), data={"csrf": csrf_of(confirm.text)})
    assert none.headers["location"].endswith("/keys/rotate?error=no_purpose")
    assert len(_audit(app, issuer.id, "key.rotate")) == 1


# --- API keys --------------------------------------------------------------------------------


def test_an_api_key_token_is_shown_once_works_and_stops_when_revoked(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    staff, actor = _owner(app, issuer)
    with caplog.at_level("DEBUG"):
        created = post_form(
            staff,
            _settings(issuer, "/api-keys"),
            _settings(issuer, "/api-keys"),
            {"name": "Student records sync"},
        )
    assert created.status_code == 200  # type: ignore[attr-defined]
    match = re.search(r'id="new-token"[^>]*value="([^"]+)"', created.text)  # type: ignore[attr-defined]
    assert match
    token = match.group(1)
    assert created.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    assert token not in caplog.text
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/issuer", headers=headers).json()["id"] == issuer.id
    listing = staff.get(_settings(issuer, "/api-keys"))
    assert token not in listing.text  # never again
    assert "Student records sync" in listing.text
    [row] = [r for r in _audit(app, issuer.id, "api_key.create") if r.actor == actor]
    key_id = str(row.subject_id)

    revoked = staff.post(
        _settings(issuer, f"/api-keys/{key_id}/revoke"), data={"csrf": csrf_of(listing.text)}
    )
    assert revoked.status_code == 303
    assert client.get("/api/v1/issuer", headers=headers).status_code == 401
    assert client.get("/api/v1/issuer", headers=issuer.headers).status_code == 200
    [gone] = _audit(app, issuer.id, "api_key.revoke")
    assert gone.actor == actor
    assert token not in staff.get(_settings(issuer, "/api-keys")).text


def test_an_owner_cannot_revoke_another_issuers_key(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    staff, _ = _owner(app, issuer)
    with app.state.sessionmaker() as session:
        [other_key] = session.scalars(
            select(AuditEvent.subject_id).where(
                AuditEvent.issuer_id == uuid.UUID(other_issuer.id),
                AuditEvent.action == "api_key.create",
            )
        ).all()
    csrf = csrf_of(staff.get(_settings(issuer, "/api-keys")).text)
    refused = staff.post(_settings(issuer, f"/api-keys/{other_key}/revoke"), data={"csrf": csrf})
    assert refused.status_code == 404
    assert client.get("/api/v1/issuer", headers=other_issuer.headers).status_code == 200


# --- webhooks --------------------------------------------------------------------------------


@pytest.fixture
def any_receiver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registration without DNS (the URL rules have their own tests in tests/app/webhooks)."""
    monkeypatch.setattr(webhook_service, "check_url", lambda _context, _url: None)


def _secret(html: str) -> str:
    match = re.search(r'id="new-secret"[^>]*value="([^"]+)"', html)
    assert match, html
    return match.group(1)


@pytest.mark.usefixtures("any_receiver", "quiet_outbox")
def test_webhooks_created_edited_redelivered_and_deleted_from_the_console(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    staff, actor = _owner(app, issuer)
    page = _settings(issuer, "/webhooks")
    listing = staff.get(page)
    assert 'value="credential.revoked"' in listing.text
    created = staff.post(
        page,
        data={
            "url": "https://127.0.0.1/hook",
            "description": "Registry system",
            "events": ["credential.issued", "credential.revoked"],
            "enabled": "1",
            "csrf": csrf_of(listing.text),
        },
    )
    assert created.status_code == 200, created.text
    secret = _secret(created.text)
    assert secret.startswith("whsec_")
    [hook] = client.get("/api/v1/webhooks", headers=issuer.headers).json()
    assert hook["events"] == ["credential.issued", "credential.revoked"]
    assert hook["description"] == "Registry system"
    assert secret not in staff.get(page).text
    endpoint = f"{page}/{hook['id']}"
    shown = staff.get(endpoint)
    assert shown.status_code == 200
    assert secret not in shown.text
    [row] = _audit(app, issuer.id, "webhook.create")
    assert row.actor == actor

    # a delivery: issue, let the relay try (the loopback address is refused at sending)
    issue(client, issuer, make_achievement(client, issuer)["id"])
    outbox.run_once(app.state.sessionmaker, app.state.context)
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.target_id == uuid.UUID(hook["id"]))
            .values(state="failed")
        )
    log = staff.get(endpoint)
    [delivery_id] = re.findall(r'data-delivery="([^"]+)"', log.text)
    assert "credential.issued" in log.text
    again = staff.post(
        f"{endpoint}/deliveries/{delivery_id}/redeliver", data={"csrf": csrf_of(log.text)}
    )
    assert again.headers["location"].endswith("?notice=redelivered")
    assert len(re.findall(r'data-delivery="', staff.get(endpoint).text)) == 2
    [redelivered] = _audit(app, issuer.id, "webhook.redeliver")
    assert redelivered.actor == actor

    # edit: fewer events, switched off
    edited = post_form(
        staff, endpoint, endpoint, {"events": "credential.revoked", "description": "Registry"}
    )
    assert edited.status_code == 303  # type: ignore[attr-defined]
    [hook] = client.get("/api/v1/webhooks", headers=issuer.headers).json()
    assert (hook["events"], hook["enabled"], hook["description"]) == (
        ["credential.revoked"],
        False,
        "Registry",
    )
    no_events = post_form(staff, endpoint, endpoint, {"events": "", "enabled": "1"})
    assert no_events.status_code == 422  # type: ignore[attr-defined]
    assert 'id="e-events"' in no_events.text  # type: ignore[attr-defined]

    # a new secret, shown once
    rotated = post_form(staff, endpoint, f"{endpoint}/rotate-secret", {})
    assert rotated.status_code == 200  # type: ignore[attr-defined]
    new_secret = _secret(rotated.text)  # type: ignore[attr-defined]
    assert new_secret != secret
    assert new_secret not in staff.get(endpoint).text
    [rotation] = _audit(app, issuer.id, "webhook.rotate_secret")
    assert rotation.actor == actor

    # delete: the confirmation first
    unconfirmed = post_form(staff, endpoint, f"{endpoint}/delete", {})
    assert unconfirmed.headers["location"].endswith("?error=confirm_delete")  # type: ignore[attr-defined]
    assert len(client.get("/api/v1/webhooks", headers=issuer.headers).json()) == 1
    deleted = post_form(staff, endpoint, f"{endpoint}/delete", {"confirm": "1"})
    assert deleted.headers["location"].endswith("/webhooks?notice=deleted")  # type: ignore[attr-defined]
    assert client.get("/api/v1/webhooks", headers=issuer.headers).json() == []
    [removed] = _audit(app, issuer.id, "webhook.delete")
    assert removed.actor == actor
    assert staff.get(endpoint).status_code == 404


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"url": "not a url", "events": ["credential.issued"]}, "url"),
        ({"url": "https://hooks.example.org/x"}, "events"),
        ({"url": "https://hooks.example.org/x", "events": ["credential.exploded"]}, "events"),
    ],
)
def test_a_refused_webhook_is_shown_with_its_field(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, form: dict[str, Any], field: str
) -> None:
    staff, _ = _owner(app, issuer)
    page = _settings(issuer, "/webhooks")
    refused = staff.post(page, data={**form, "csrf": csrf_of(staff.get(page).text)})
    assert refused.status_code == 422
    assert f'id="e-{field}"' in refused.text
    assert "new-secret" not in refused.text
    assert client.get("/api/v1/webhooks", headers=issuer.headers).json() == []


def test_a_loopback_receiver_is_refused_by_the_services_ssrf_rules(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    staff, _ = _owner(app, issuer)
    page = _settings(issuer, "/webhooks")
    refused = staff.post(
        page,
        data={
            "url": "https://127.0.0.1/hook",
            "events": ["credential.issued"],
            "csrf": csrf_of(staff.get(page).text),
        },
    )
    assert refused.status_code == 422
    assert 'id="e-url"' in refused.text
    assert client.get("/api/v1/webhooks", headers=issuer.headers).json() == []


# --- e-mail ----------------------------------------------------------------------------------


def test_the_owner_sets_the_mail_settings_and_quota_stays_the_admins(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    staff, actor = _owner(app, issuer)
    page = _settings(issuer, "/mail")
    shown = staff.get(page)
    assert shown.status_code == 200
    assert 'name="mail_daily_quota"' not in shown.text
    saved = post_form(
        staff,
        page,
        page,
        {
            "mail_sender_name": "Registry 教务处",
            "mail_reply_to": "registry@riverside.example",
            "notify_on_revocation": "1",
            "mail_daily_quota": "999999",  # not a field of the form: ignored
        },
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    own = client.get("/api/v1/issuer", headers=issuer.headers).json()
    assert own["mailSenderName"] == "Registry 教务处"
    assert own["mailReplyTo"] == "registry@riverside.example"
    assert own["notifyOnRevocation"] is True
    assert own["mailDailyQuota"] is None
    [row] = _audit(app, issuer.id, "issuer.update")
    assert row.actor == actor
    assert set(row.details["changed"]) == {
        "mail_sender_name",
        "mail_reply_to",
        "notify_on_revocation",
    }
    refused = post_form(staff, page, page, {"mail_reply_to": "nobody"})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert 'id="e-mail_reply_to"' in refused.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
@pytest.mark.parametrize(
    "template", ["issued", "program_completed", "revoked", "wallet_code", "push_request"]
)
def test_each_email_previews_in_both_languages_sandboxed(
    app: FastAPI, issuer: IssuerHandle, template: str, language: str
) -> None:
    staff, _ = _owner(app, issuer, "viewer")
    preview = staff.get(_settings(issuer, f"/mail/{template}/{language}"))
    assert preview.status_code == 200
    assert 'id="mail-subject"' in preview.text
    assert "<iframe" in preview.text
    assert " sandbox " in preview.text
    assert "script-src 'self'" in preview.headers["content-security-policy"]
    expected = "李伟" if language == "zh-CN" else "Li Wei"
    assert expected in preview.text  # the made-up learner, in the e-mail's language
    html = staff.get(_settings(issuer, f"/mail/{template}/{language}/html"))
    assert html.status_code == 200
    policy = html.headers["content-security-policy"]
    assert policy.startswith("sandbox;")
    assert "script-src" not in policy
    assert "default-src 'none'" in policy
    assert f'lang="{language}"' in html.text
    if template == "wallet_code":
        assert "K7QM-4TZP" in html.text


def test_an_unknown_template_or_language_is_404(app: FastAPI, issuer: IssuerHandle) -> None:
    staff, _ = _owner(app, issuer)
    for path in ("/mail/sign_in/en", "/mail/issued/fr", "/mail/staff_invite/en/html"):
        assert staff.get(_settings(issuer, path)).status_code == 404, path


def test_the_pages_follow_the_language(app: FastAPI, issuer: IssuerHandle) -> None:
    staff, _ = _owner(app, issuer)
    zh = staff.get(_settings(issuer, "/keys"), headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN"' in zh.text
    assert "签名密钥" in zh.text
    en = staff.get(_settings(issuer, "/keys") + "?lang=en")
    assert "Signing keys" in en.text
