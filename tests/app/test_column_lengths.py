"""Column lengths and API limits agree (issue 9, item 17): one source, ``app.models.lengths``.

PostgreSQL refuses a value longer than its ``VARCHAR(n)`` where SQLite stores it, so every API
field and path parameter that lands in a ``String(n)`` column is tested at its limit (stored,
2xx, on both databases) and one character over (422 naming the field, never a 500). CJK text
checks that the limits count characters, as PostgreSQL does, not bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from api_support import IssuerHandle, make_achievement, make_issuer
from fastapi.testclient import TestClient
from sqlalchemy import String

from app.models import Base, lengths


def text(n: int) -> str:
    return "码" * n


def email(n: int) -> str:
    return "a" * (n - len("@example.com")) + "@example.com"


def url(n: int) -> str:
    return "https://example.com/" + "a" * (n - len("https://example.com/"))


def did(n: int) -> str:
    return "did:example:" + "a" * (n - len("did:example:"))


def ext_term(n: int) -> str:
    return "ext:" + "A" * (n - 4)


def language_tag(n: int) -> str:
    """A well-formed BCP 47 tag of exactly ``n`` characters."""
    tag = "en"
    while len(tag) + 9 <= n:
        tag += "-abcdefgh"
    rest = n - len(tag)
    if rest == 1:
        return "enx" + tag[2:]
    return tag + ("-" + "a" * (rest - 1) if rest else "")


@dataclass(frozen=True)
class World:
    client: TestClient
    admin: dict[str, str]
    issuer: IssuerHandle
    achievement_id: str
    program_id: str


@pytest.fixture(scope="module")
def world(app: Any) -> World:
    client = TestClient(app, raise_server_exceptions=False)
    admin = {"Authorization": f"Bearer {app.state.settings.admin_token_value()}"}
    issuer = make_issuer(client, admin)
    achievement = make_achievement(client, issuer)
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Program"},
            "description": {"en": "A program."},
            "modules": [achievement["id"]],
            "achievement": {"criteria": {"narrative": "All modules."}},
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    return World(client, admin, issuer, achievement["id"], program.json()["id"])


def _issuer(field: str) -> Callable[[World, str], httpx.Response]:
    def send(w: World, value: str) -> httpx.Response:
        body: dict[str, Any] = {"name": {"en": "Length University"}, field: value}
        if field == "defaultLanguage":
            body["name"] = {value: "Length University"}
        return w.client.post("/api/v1/issuers", json=body, headers=w.admin)

    return send


def _issuer_patch(field: str) -> Callable[[World, str], httpx.Response]:
    def send(w: World, value: str) -> httpx.Response:
        path = f"/api/v1/issuers/{w.issuer.id}"
        return w.client.patch(path, json={field: value}, headers=w.issuer.headers)

    return send


def _api_key(w: World, value: str) -> httpx.Response:
    return w.client.post(
        f"/api/v1/issuers/{w.issuer.id}/api-keys", json={"name": value}, headers=w.admin
    )


def _achievement(field: str) -> Callable[[World, str], httpx.Response]:
    def send(w: World, value: str) -> httpx.Response:
        body = {
            "name": "Lengths",
            "description": "Tests column lengths.",
            "criteria": {"narrative": "Exist."},
            field: value,
        }
        return w.client.post("/api/v1/achievements", json=body, headers=w.issuer.headers)

    return send


def _program(field: str) -> Callable[[World, str], httpx.Response]:
    def send(w: World, value: str) -> httpx.Response:
        body = {
            "name": {"en": "P"},
            "description": {"en": "P."},
            "modules": [w.achievement_id],
            "achievement": {"criteria": {"narrative": "All."}, field: value},
        }
        return w.client.post("/api/v1/programs", json=body, headers=w.issuer.headers)

    return send


def _credential(field: str) -> Callable[[World, str], httpx.Response]:
    def send(w: World, value: str) -> httpx.Response:
        recipient = {"email": "learner@example.com", field: value}
        body = {"achievementId": w.achievement_id, "recipient": recipient}
        return w.client.post("/api/v1/credentials", json=body, headers=w.issuer.headers)

    return send


def _idempotency_key(w: World, value: str) -> httpx.Response:
    body = {"achievementId": w.achievement_id, "recipient": {"email": "learner@example.com"}}
    headers = {**w.issuer.headers, "Idempotency-Key": value}
    return w.client.post("/api/v1/credentials", json=body, headers=headers)


def _learner(suffix: str) -> Callable[[World, str], httpx.Response]:
    def send(w: World, value: str) -> httpx.Response:
        path = f"/api/v1/programs/{w.program_id}/learners/{value}{suffix}"
        method = "POST" if suffix == "/evaluate" else "GET"
        return w.client.request(method, path, headers=w.issuer.headers)

    return send


CASES: list[tuple[str, Callable[[World, str], httpx.Response], Callable[[int], str], int, str]] = [
    ("issuer email", _issuer("email"), email, lengths.EMAIL, "$.email"),
    ("issuer url", _issuer("url"), url, lengths.URL, "$.url"),
    ("issuer image", _issuer("image"), url, lengths.URL, "$.image"),
    (
        "issuer defaultLanguage",
        _issuer("defaultLanguage"),
        language_tag,
        lengths.LANGUAGE_TAG,
        "$.defaultLanguage",
    ),
    (
        "issuer mailSenderName",
        _issuer_patch("mailSenderName"),
        text,
        lengths.NAME,
        "$.mailSenderName",
    ),
    ("issuer mailReplyTo", _issuer_patch("mailReplyTo"), email, lengths.EMAIL, "$.mailReplyTo"),
    ("API-key name", _api_key, text, lengths.API_KEY_NAME, "$.name"),
    ("achievement name", _achievement("name"), text, lengths.NAME, "$.name"),
    ("humanCode", _achievement("humanCode"), text, lengths.HUMAN_CODE, "$.humanCode"),
    ("fieldOfStudy", _achievement("fieldOfStudy"), text, lengths.FIELD_OF_STUDY, "$.fieldOfStudy"),
    (
        "achievementType",
        _achievement("achievementType"),
        ext_term,
        lengths.ACHIEVEMENT_TYPE,
        "$.achievementType",
    ),
    (
        "achievement inLanguage",
        _achievement("inLanguage"),
        language_tag,
        lengths.LANGUAGE_TAG,
        "$.inLanguage",
    ),
    (
        "program humanCode",
        _program("humanCode"),
        text,
        lengths.HUMAN_CODE,
        "$.achievement.humanCode",
    ),
    (
        "program fieldOfStudy",
        _program("fieldOfStudy"),
        text,
        lengths.FIELD_OF_STUDY,
        "$.achievement.fieldOfStudy",
    ),
    ("recipient email", _credential("email"), email, lengths.EMAIL, "$.recipient.email"),
    ("recipient name", _credential("name"), text, lengths.NAME, "$.recipient.name"),
    ("recipient did", _credential("did"), did, lengths.DID, "$.recipient.did"),
    (
        "Idempotency-Key",
        _idempotency_key,
        lambda n: uuid.uuid4().hex + "k" * (n - 32),
        lengths.IDEMPOTENCY_KEY,
        "header.Idempotency-Key",
    ),
    ("learner e-mail in a path", _learner(""), email, lengths.EMAIL, "path.learner"),
    ("learner DID in a path", _learner("/evaluate"), did, lengths.LEARNER, "path.learner"),
]


@pytest.mark.parametrize(
    ("send", "make", "limit", "field"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_value_at_the_column_limit_is_stored_and_one_more_character_is_a_422(
    world: World,
    send: Callable[[World, str], httpx.Response],
    make: Callable[[int], str],
    limit: int,
    field: str,
) -> None:
    at_limit = make(limit)
    assert len(at_limit) == limit
    accepted = send(world, at_limit)
    assert accepted.status_code in (200, 201), accepted.text

    refused = send(world, make(limit + 1))
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in problem["errors"]], problem


def test_a_3000_character_email_in_a_learner_path_is_a_422(world: World) -> None:
    for suffix in ("", "/evaluate", "/clr"):
        response = _learner(suffix)(world, email(3000))
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "path.learner"


API_COLUMNS = {
    "webhook_endpoints.url": lengths.URL,
    "batch_rows.row_key": lengths.ROW_KEY,
    "batches.source_name": lengths.FILE_NAME,
    "issuers.default_language": lengths.LANGUAGE_TAG,
    "issuers.url": lengths.URL,
    "issuers.email": lengths.EMAIL,
    "issuers.image": lengths.URL,
    "issuers.mail_sender_name": lengths.NAME,
    "issuers.mail_reply_to": lengths.EMAIL,
    "issuers.brand_color": lengths.HEX_COLOR,  # #rrggbb only: tests/app/test_issuer_branding.py
    "issuers.accent_color": lengths.HEX_COLOR,
    "achievements.name": lengths.NAME,
    "achievements.achievement_type": lengths.ACHIEVEMENT_TYPE,
    "achievements.in_language": lengths.LANGUAGE_TAG,
    "achievements.human_code": lengths.HUMAN_CODE,
    "achievements.field_of_study": lengths.FIELD_OF_STUDY,
    "api_keys.name": lengths.API_KEY_NAME,
    "credentials.recipient_email": lengths.EMAIL,
    "credentials.recipient_name": lengths.NAME,
    "credentials.recipient_did": lengths.DID,
    "credentials.idempotency_key": lengths.IDEMPOTENCY_KEY,
    "endorsements.language": lengths.LANGUAGE_TAG,
    "programs.default_language": lengths.LANGUAGE_TAG,
    "program_learners.learner": lengths.LEARNER,
}
"""Columns that API input lands in, each tested above (or through its shared type)."""

SERVICE_COLUMNS = {
    "batches.state": "queued, running, completed, failed, cancelled",
    "batches.proof": "data-integrity, jwt, both",
    "batches.duplicates": "skip, allow, error",
    "batches.actor": "the API key's or the CLI's actor name",
    "batch_rows.state": "pending, issued, skipped, failed, cancelled",
    "batch_rows.lease_owner": "a worker's generated id",
    "outbox_events.type": "one of outbox.EVENT_TYPES",
    "webhook_endpoints.kek_id": "a KEK fingerprint",
    "offers.token_hash": "sha256 hex",
    "offers.actor": "the API key's, the learner page's or the demo's actor name",
    "deliveries.channel": "email or webhook",
    "deliveries.state": "pending, sent, failed, cancelled",
    "deliveries.message_id": "msg_ and a uuid's hex",
    "deliveries.lease_owner": "a relay's generated name",
    "api_keys.prefix": "generated token prefix",
    "issuers.logo_digest": "sha256 hex",
    "api_keys.token_hash": "sha256 hex",
    "audit_events.actor": "admin, cli, api-key:<prefix>, learner:<learner or its digest>",
    "audit_events.action": "a fixed verb",
    "audit_events.subject_type": "a fixed noun",
    "audit_events.subject_id": "a uuid or a URL of this service",
    "credentials.proof_format": "a Literal of the schema",
    "credentials.request_hash": "sha256 hex",
    "credentials.canonical_seal": "a version, a digest and an HMAC (app.credentials.seal: 88 characters)",
    "endorsements.target_type": "a Literal of the schema",
    "endorsements.target_id": "a uuid",
    "endorsements.subject_uri": "a URL of this service",
    "programs.on_module_revoked": "a Literal of the schema",
    "signing_keys.key_type": "Ed25519, P-256 or RSA",
    "signing_keys.purpose": "data-integrity or jwt",
    "signing_keys.state": "active or retired",
    "signing_keys.verification_method": "a DID URL of this service",
    "signing_keys.public_multibase": "a multibase public key",
    "signing_keys.kek_id": "a KEK fingerprint",
    "status_allocations.purpose": "revocation or suspension",
    "status_events.kind": "a fixed word",
    "status_events.actor": "admin, cli or api-key:<prefix>",
    "status_lists.purpose": "revocation or suspension",
    "status_lists.permutation_key": "hex of a generated key",
    "mail_counters.day": "a UTC date, 2026-12-02",
    "wallet_grants.code_hash": "sha256 hex",
    "wallet_grants.tx_code_hash": "sha256 hex",
    "wallet_access_tokens.token_hash": "sha256 hex",
    "wallet_access_tokens.holder_did": "the did:key or did:jwk of a verified key proof",
    "wallet_nonces.nonce": "a generated 43-character secret",
    "wallet_exchanges.challenge": "a generated 43-character secret",
    "wallet_exchanges.holder_did": "the did:key of a verified DIDAuth presentation",
    "learner_sessions.token_hash": "sha256 hex",
    "learner_sign_in_tokens.token_hash": "sha256 hex",
    # No route writes these yet (learner accounts, issue 13): each moves to API_COLUMNS, with
    # its bounded API field, when one does.
    "learner_sign_in_tokens.email": "accounts.normalise_email: at most EMAIL, else the form's 400",
    "learner_emails.email": "copied from a sign-in token (tests/app/accounts/: 320 vs 321)",
    "learner_accounts.name": "PUT /ims/ob/v3p0/profile: at most NAME, else 400 (tests/app/obapi/)",
    "learner_accounts.language": "a page locale: en or zh-CN",
    "hosted_credentials.issuer_iri": "a verified credential's issuer.id; over URL refused (hosted.identity)",
    "hosted_credentials.credential_iri": "a verified credential's id; over URL refused (hosted.identity)",
    "hosted_credentials.source": "upload or app:<client_id>",
    "oauth_clients.client_id": "a generated UUID (app.obapi.oauth)",
    "oauth_clients.client_secret_hash": "sha256 hex",
    "oauth_codes.code_hash": "sha256 hex",
    "oauth_codes.code_challenge": "a PKCE S256 challenge: 43 characters, Authlib's pattern (43-128)",
    "oauth_tokens.access_token_hash": "sha256 hex",
    "oauth_tokens.refresh_token_hash": "sha256 hex",
    "ob_authorizations.state_hash": "sha256 hex of a generated state (app.obconsumer)",
    "ob_authorizations.session_hash": "sha256 hex of the learner's session cookie",
    # the staff console (issue 14): written from its forms, each bounded before it is stored
    "staff_users.email": "accounts.normalise_email: at most EMAIL (invitation form, CLI)",
    "staff_users.display_name": "console.invitations.accept: at most NAME, else the form's 400",
    "staff_users.password_hash": "an Argon2id PHC string (~100 characters)",
    "staff_users.totp_kek_id": "a KEK fingerprint",
    "staff_users.language": "a page locale: en or zh-CN",
    "staff_memberships.role": "one of models.staff.STAFF_ROLES",
    "staff_sessions.token_hash": "sha256 hex",
    "staff_invitations.token_hash": "sha256 hex",
    "staff_password_resets.token_hash": "sha256 hex",
    "staff_invitations.email": "accounts.normalise_email: at most EMAIL, else the form's error",
    "staff_invitations.role": "one of models.staff.STAFF_ROLES",
    "ob_push_requests.state": "pending, sent, failed, declined, cancelled",
    "ob_push_requests.actor": "the API key's actor name",
    "ob_push_requests.recipient_email": "copied from credentials.recipient_email (EMAIL)",
    "usage_counts.kind": "view, verify or linkedin (models.usage.USAGE_KINDS)",
}
"""Columns only the service writes, with what goes in them."""


def test_every_bounded_column_is_either_fed_by_a_checked_api_field_or_written_by_the_service() -> (
    None
):
    bounded = {
        f"{table.name}.{column.name}": column.type.length
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, String) and column.type.length is not None
    }
    unclassified = set(bounded) - set(API_COLUMNS) - set(SERVICE_COLUMNS)
    assert not unclassified, (
        f"classify these columns here and bound their API fields: {unclassified}"
    )
    assert {name: bounded[name] for name in API_COLUMNS} == API_COLUMNS


@pytest.mark.parametrize(
    ("kind", "make", "limit"), [("email", email, lengths.EMAIL), ("did", did, lengths.DID)]
)
def test_a_learner_at_the_column_limit_can_hide_a_credential(
    world: World, kind: str, make: Callable[[int], str], limit: int
) -> None:
    """The learner link's own actions are audited: a learner as long as its column allows
    (an e-mail of 320, a DID of 2,048 characters) must fit ``audit_events.actor`` too."""
    learner = make(limit)
    body = {"achievementId": world.achievement_id, "recipient": {kind: learner}}
    issued = world.client.post("/api/v1/credentials", json=body, headers=world.issuer.headers)
    assert issued.status_code == 201, issued.text
    link = world.client.post(
        "/api/v1/learners/link", json={kind: learner}, headers=world.issuer.headers
    )
    assert link.status_code == 201, link.text
    hide = world.client.put(
        f"/api/v1/learner/credentials/{issued.json()['id']}/visibility",
        json={"hidden": True},
        headers={"Authorization": f"Bearer {link.json()['token']}"},
    )
    assert hide.status_code == 204, hide.text


@pytest.mark.parametrize("path", ["/api/v1/achievements", "/api/v1/issuers"])
def test_an_offset_larger_than_a_database_integer_is_a_422(world: World, path: str) -> None:
    """SQLite binds at most a signed 64-bit integer and PostgreSQL's OFFSET is a bigint."""
    headers = world.admin if path == "/api/v1/issuers" else world.issuer.headers
    assert world.client.get(f"{path}?offset=2147483647", headers=headers).status_code == 200
    response = world.client.get(f"{path}?offset={2**64}", headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "query.offset"
