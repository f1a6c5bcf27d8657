"""Authorization matrix: admin / issuer A / issuer B / anonymous × every endpoint."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer, status_entries
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from app.models import ApiKey


@dataclass
class World:
    """Issuer A's objects, and the callers."""

    client: TestClient
    a: IssuerHandle
    b: IssuerHandle
    ids: dict[str, str]
    admin_token: str

    def headers(self, who: str) -> dict[str, str]:
        return {
            "admin": {"Authorization": f"Bearer {self.admin_token}"},
            "issuer_a": self.a.headers,
            "issuer_b": self.b.headers,
            "anonymous": {},
        }[who]


@pytest.fixture(scope="module")
def world(app: FastAPI) -> World:
    client = TestClient(app, raise_server_exceptions=False)
    token = app.state.settings.admin_token_value()
    admin = {"Authorization": f"Bearer {token}"}
    # A has suspension on: the matrix suspends and unsuspends its credential.
    a, b = make_issuer(client, admin, suspensionEnabled=True), make_issuer(client, admin)
    achievement = make_achievement(client, a)
    credential = issue(client, a, achievement["id"], proof="both")
    spare_key = client.post(f"/api/v1/issuers/{a.id}/api-keys", headers=admin).json()["id"]
    entry = status_entries(credential["credential"])[0]
    status_list = entry["statusListCredential"].rsplit("/", 1)[1]
    # a program of A with a module the learner holds; two endorsements of A's achievement by B
    module = make_achievement(client, a, achievementType="Course")
    held = issue(client, a, module["id"])  # never revoked, suspended or hidden by the matrix
    program = client.post("/api/v1/programs", json=program_body([module["id"]]), headers=a.headers)
    assert program.status_code == 201, program.text
    endorsements = [
        client.post("/api/v1/endorsements", json=endorsement_body(achievement["id"]), headers=h)
        for h in (b.headers, b.headers)
    ]
    assert all(e.status_code == 201 for e in endorsements), endorsements[0].text
    batch = client.post(
        "/api/v1/batches",
        json={"achievementId": achievement["id"], "rows": [{"email": "cohort@example.org"}]},
        headers=a.headers,
    )
    assert batch.status_code == 202, batch.text
    wait_for_batch(client, a, batch.json()["id"])
    ids = {
        "issuer": a.id,
        "batch": batch.json()["id"],
        "achievement": achievement["id"],
        "credential": credential["id"],
        "held_credential": held["id"],
        "key": spare_key,
        "status": status_list,
        "module": module["id"],
        "program": program.json()["id"],
        "endorsement": endorsements[0].json()[0]["id"],
        "endorsement2": endorsements[1].json()[0]["id"],
        **webhook_ids(app, client, a),
        **offer_ids(client, a, credential["id"]),
        **push_request_ids(app, a, credential["id"]),
    }
    return World(client, a, b, ids, token)


def webhook_ids(app: FastAPI, client: TestClient, issuer: IssuerHandle) -> dict[str, str]:
    """A webhook endpoint of ``issuer`` (an IP literal: no DNS) and one sent delivery of it."""
    from app.outbox import service as outbox

    hook = client.post("/api/v1/webhooks", json=webhook_body(None), headers=issuer.headers)
    assert hook.status_code == 201, hook.text
    with app.state.sessionmaker() as session:
        delivery = outbox.add_delivery(
            session,
            channel="webhook",
            issuer_id=uuid.UUID(issuer.id),
            payload={"body": {"type": "credential.issued", "timestamp": "", "data": {}}},
            target_id=uuid.UUID(hook.json()["id"]),
        )
        delivery.state = "sent"
        session.commit()
        return {"webhook": hook.json()["id"], "delivery": str(delivery.id)}


def offer_ids(client: TestClient, issuer: IssuerHandle, credential_id: str) -> dict[str, str]:
    """Two offers of the credential: one the matrix revokes, one whose claim page it opens."""
    made = [
        client.post(f"/api/v1/credentials/{credential_id}/offers", headers=issuer.headers)
        for _ in range(2)
    ]
    assert all(m.status_code == 201 for m in made), made[0].text
    claim = made[1].json()["claimUrl"].rsplit("/", 1)[1]
    return {"offer": made[0].json()["id"], "claim": claim, "file": "credential.json"}


def push_request_ids(app: FastAPI, issuer: IssuerHandle, credential_id: str) -> dict[str, str]:
    """An open request of ``issuer`` that the learner send the credential to another host
    (written directly: asking for one reads the host's discovery document)."""
    from app.models import ObPushRequest, utcnow

    with app.state.sessionmaker() as session:
        row = ObPushRequest(
            id=uuid.uuid4(),
            issuer_id=uuid.UUID(issuer.id),
            credential_id=uuid.UUID(credential_id),
            api_root="https://host.example/ims/ob/v3p0",
            host_name="Host",
            recipient_email="learner@example.org",
            state="pending",
            expires_at=utcnow() + timedelta(days=1),
            actor="test",
        )
        session.add(row)
        session.commit()
        return {"push": str(row.id)}


def webhook_body(_world: World | None) -> dict[str, Any]:
    return {"url": "https://93.184.215.14/hooks", "events": ["credential.issued"]}


def program_body(modules: list[str]) -> dict[str, Any]:
    return {
        "name": {"en": "Program"},
        "description": {"en": "A program"},
        "modules": modules,
        "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
    }


def wait_for_batch(client: TestClient, issuer: IssuerHandle, batch_id: str) -> None:
    """Until the batch has finished (the embedded runner issues it in the background)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/batches/{batch_id}", headers=issuer.headers).json()["state"]
        if state in ("completed", "failed"):
            return
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} did not finish")


def ob_registration() -> dict[str, Any]:
    """An Open Badges API client registration (RFC 7591 with OB 3.0's required metadata)."""
    site = "https://app.example.org"
    return {
        "client_name": "Matrix app",
        "client_uri": site,
        "logo_uri": f"{site}/logo.png",
        "tos_uri": f"{site}/terms",
        "policy_uri": f"{site}/privacy",
        "software_id": "matrix",
        "software_version": "1",
        "redirect_uris": [f"{site}/callback"],
    }


def batch_body(world: World) -> dict[str, Any]:
    return {"achievementId": world.ids["achievement"], "rows": [{"email": "m@example.org"}]}


def endorsement_body(achievement_id: str) -> dict[str, Any]:
    return {"targetType": "achievement", "targetId": achievement_id, "comment": {"en": "Good."}}


def bulk_body(world: World) -> dict[str, Any]:
    return {"credentialIds": [world.ids["credential"]], "reason": "matrix"}


ALL = ("admin", "issuer_a", "issuer_b", "anonymous")
OK, UNAUTH, HIDDEN = "ok", 401, 404

# (method, path template, body, {caller: expected}); "ok" = any 2xx.
ADMIN_ONLY = {"admin": OK, "issuer_a": UNAUTH, "issuer_b": UNAUTH, "anonymous": UNAUTH}
ISSUER_OWNED = {"admin": UNAUTH, "issuer_a": OK, "issuer_b": HIDDEN, "anonymous": UNAUTH}
ISSUER_COLLECTION = {"admin": UNAUTH, "issuer_a": OK, "issuer_b": OK, "anonymous": UNAUTH}
PUBLIC = dict.fromkeys(ALL, OK)
OAUTH_400, OAUTH_401 = ("oauth", 400), ("oauth", 401)
"""An OAuth error object (RFC 6749 §5.2 / RFC 6750 §3) with that status."""
ACCOUNT_ONLY = dict.fromkeys(ALL, UNAUTH)
"""A learner account's own: its session cookie only (tests/app/accounts/ test two accounts)."""
NO_ID = "00000000-0000-4000-8000-000000000000"
IMSX_401 = ("imsx", 401)
"""The Open Badges API's Imsx_StatusInfo error payload with that status."""
PAGE_400 = ("page", 400)
"""An HTML page saying what to fix (a form posted without what it needs), for anyone."""
CONSOLE_SIGN_IN = PUBLIC
"""A staff console page: without the console's session cookie, 303 to its sign-in page (the
test client follows it: 200). API keys and the admin token are no console session."""
SEE_OTHER = ("redirect", 303)
"""A 303 to another site, not followed (the test client would ask this app for its path)."""
CONSOLE_ONLY = dict.fromkeys(ALL, UNAUTH)
"""A staff console post: its session cookie only (tests/app/console/ test roles and issuers)."""
CONSOLE_CSRF = dict.fromkeys(ALL, 403)
"""A console form posted before sign-in without its double-submit CSRF token."""

Body = Callable[[World], Any] | None

CASES: list[tuple[str, str, Body, dict[str, Any]]] = [
    ("POST", "/api/v1/issuers", lambda w: {"name": {"en": "New"}}, ADMIN_ONLY),
    ("GET", "/api/v1/issuers", None, ADMIN_ONLY),
    ("GET", "/api/v1/issuers/{issuer}", None, ADMIN_ONLY),
    ("POST", "/api/v1/issuers/{issuer}/api-keys", None, ADMIN_ONLY),
    ("GET", "/api/v1/issuers/{issuer}/api-keys", None, ADMIN_ONLY),
    ("POST", "/api/v1/issuers/{issuer}/api-keys/{key}/revoke", None, ADMIN_ONLY),
    ("DELETE", "/api/v1/issuers/{issuer}/api-keys/{key}", None, ADMIN_ONLY),
    (
        "PATCH",
        "/api/v1/issuers/{issuer}",
        lambda w: {"url": "https://university.example"},
        {"admin": OK, "issuer_a": OK, "issuer_b": HIDDEN, "anonymous": UNAUTH},
    ),
    # the issuer's logo: as PATCH; sent without a body (here) the admin and own key get 415
    (
        "PUT",
        "/api/v1/issuers/{issuer}/logo",
        None,
        {"admin": 415, "issuer_a": 415, "issuer_b": HIDDEN, "anonymous": UNAUTH},
    ),
    (
        "DELETE",
        "/api/v1/issuers/{issuer}/logo",
        None,
        {"admin": OK, "issuer_a": OK, "issuer_b": HIDDEN, "anonymous": UNAUTH},
    ),
    ("GET", "/api/v1/issuer", None, ISSUER_COLLECTION),
    (
        "POST",
        "/api/v1/achievements",
        lambda w: {"name": "n", "description": "d", "criteria": {"narrative": "c"}},
        ISSUER_COLLECTION,
    ),
    ("GET", "/api/v1/achievements", None, ISSUER_COLLECTION),
    ("GET", "/api/v1/achievements/{achievement}", None, ISSUER_OWNED),
    ("PATCH", "/api/v1/achievements/{achievement}", lambda w: {"tags": ["x"]}, ISSUER_OWNED),
    (
        "POST",
        "/api/v1/credentials",
        lambda w: {"achievementId": w.ids["achievement"], "recipient": {"email": "x@example.org"}},
        {"admin": UNAUTH, "issuer_a": OK, "issuer_b": 422, "anonymous": UNAUTH},
    ),
    ("GET", "/api/v1/credentials", None, ISSUER_COLLECTION),
    ("GET", "/api/v1/credentials/{credential}", None, ISSUER_OWNED),
    ("POST", "/api/v1/credentials/{credential}/suspend", None, ISSUER_OWNED),
    ("POST", "/api/v1/credentials/{credential}/unsuspend", None, ISSUER_OWNED),
    # bulk changes answer 200 with a per-id "not_found" error for ids of another issuer
    ("POST", "/api/v1/credentials/bulk-suspend", bulk_body, ISSUER_COLLECTION),
    ("POST", "/api/v1/credentials/bulk-unsuspend", bulk_body, ISSUER_COLLECTION),
    # offers (issue 12): before the credential's revocation (a revoked one is not offered);
    # the claim page and its files are public: the link's token is the authorization
    ("POST", "/api/v1/credentials/{credential}/offers", None, ISSUER_OWNED),
    ("GET", "/api/v1/credentials/{credential}/offers", None, ISSUER_OWNED),
    ("POST", "/api/v1/credentials/{credential}/offers/{offer}/revoke", None, ISSUER_OWNED),
    ("DELETE", "/api/v1/credentials/{credential}/offers/{offer}", None, ISSUER_OWNED),
    ("GET", "/claim/{claim}", None, PUBLIC),
    ("GET", "/claim/{claim}/{file}", None, PUBLIC),
    ("GET", "/claim/not-a-valid-token", None, dict.fromkeys(ALL, HIDDEN)),
    ("POST", "/learners/me/credentials/{credential}/offer", None, dict.fromkeys(ALL, UNAUTH)),
    # push requests (issue 13): asking reads the credential first (B: 404), then the address
    # ("not a url": A's 400); the learner's page sends anonymous callers to sign in
    (
        "POST",
        "/api/v1/credentials/{credential}/push-requests",
        lambda w: {"apiRoot": "not a url"},
        {"admin": UNAUTH, "issuer_a": 400, "issuer_b": HIDDEN, "anonymous": UNAUTH},
    ),
    ("GET", "/api/v1/credentials/{credential}/push-requests", None, ISSUER_OWNED),
    ("GET", "/api/v1/push-requests/{push}", None, ISSUER_OWNED),
    ("POST", "/api/v1/push-requests/{push}/cancel", None, ISSUER_OWNED),
    ("GET", "/account/requests", None, PUBLIC),
    ("POST", f"/account/requests/{NO_ID}/approve", None, ACCOUNT_ONLY),
    ("POST", f"/account/requests/{NO_ID}/decline", None, ACCOUNT_ONLY),
    ("POST", "/api/v1/credentials/{credential}/revoke", None, ISSUER_OWNED),
    ("POST", "/api/v1/credentials/bulk-revoke", bulk_body, ISSUER_COLLECTION),
    # batches (issue 11): another issuer's achievement is a 422 naming it, its batch a 404
    (
        "GET",
        "/api/v1/batches/template.csv?achievementId={achievement}",
        None,
        {"admin": UNAUTH, "issuer_a": OK, "issuer_b": 422, "anonymous": UNAUTH},
    ),
    (
        "GET",
        "/api/v1/batches/template.xlsx?achievementId={achievement}",
        None,
        {"admin": UNAUTH, "issuer_a": OK, "issuer_b": 422, "anonymous": UNAUTH},
    ),
    (
        "POST",
        "/api/v1/batches",
        batch_body,
        {"admin": UNAUTH, "issuer_a": OK, "issuer_b": 422, "anonymous": UNAUTH},
    ),
    ("GET", "/api/v1/batches", None, ISSUER_COLLECTION),
    ("GET", "/api/v1/batches/{batch}", None, ISSUER_OWNED),
    ("GET", "/api/v1/batches/{batch}/results.csv", None, ISSUER_OWNED),
    (
        "POST",
        "/api/v1/batches/{batch}/cancel",
        None,
        {"admin": UNAUTH, "issuer_a": 409, "issuer_b": HIDDEN, "anonymous": UNAUTH},
    ),
    # webhooks (issue 12): an issuer's endpoints and deliveries; DELETE last
    ("POST", "/api/v1/webhooks", webhook_body, ISSUER_COLLECTION),
    ("GET", "/api/v1/webhooks", None, ISSUER_COLLECTION),
    ("GET", "/api/v1/webhooks/{webhook}", None, ISSUER_OWNED),
    ("GET", "/api/v1/webhooks/{webhook}/deliveries", None, ISSUER_OWNED),
    ("POST", "/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver", None, ISSUER_OWNED),
    ("POST", "/api/v1/webhooks/{webhook}/rotate-secret", None, ISSUER_OWNED),
    ("PATCH", "/api/v1/webhooks/{webhook}", lambda w: {"description": "x"}, ISSUER_OWNED),
    ("DELETE", "/api/v1/webhooks/{webhook}", None, ISSUER_OWNED),
    ("GET", "/api/v1/keys", None, ISSUER_COLLECTION),
    ("POST", "/api/v1/keys/rotate", None, ISSUER_COLLECTION),
    ("GET", "/issuers/{issuer}", None, PUBLIC),
    ("GET", "/issuers/{issuer}/did.json", None, PUBLIC),
    ("GET", "/issuers/{issuer}/logo", None, dict.fromkeys(ALL, 404)),  # public; none uploaded
    ("GET", "/issuers/{issuer}/brand.css", None, PUBLIC),
    ("GET", "/.well-known/jwks.json", None, PUBLIC),
    ("GET", "/status/{status}", None, PUBLIC),
    ("GET", "/credentials/{credential}.json", None, PUBLIC),
    ("GET", "/credentials/{credential}.jwt", None, PUBLIC),
    (
        "POST",
        "/api/v1/verify",
        lambda w: {"url": f"https://badges.test/credentials/{w.ids['credential']}"},
        PUBLIC,
    ),
    # learner links (issue 9): an issuer's link is for its own learners; an API key or the
    # admin token is no learner token, and the page goes by its session cookie only
    (
        "POST",
        "/api/v1/learners/link",
        lambda w: {"email": "learner@example.org"},
        {"admin": UNAUTH, "issuer_a": OK, "issuer_b": HIDDEN, "anonymous": UNAUTH},
    ),
    ("GET", "/api/v1/learner", None, dict.fromkeys(ALL, UNAUTH)),
    (
        "PUT",
        "/api/v1/learner/credentials/{credential}/visibility",
        lambda w: {"hidden": True},
        dict.fromkeys(ALL, UNAUTH),
    ),
    ("GET", "/api/v1/learner/programs/{credential}/clr", None, dict.fromkeys(ALL, UNAUTH)),
    ("GET", "/learners/me", None, dict.fromkeys(ALL, UNAUTH)),
    (
        "POST",
        "/learners/me/credentials/{credential}/visibility",
        None,
        dict.fromkeys(ALL, UNAUTH),
    ),
    ("GET", "/api/v1/endorsements?target={achievement}", None, PUBLIC),
    # endorsements: a partner endorses another's work; only the endorsed owner decides, and
    # the endorser too gets 404 (issue 9, item 6)
    (
        "POST",
        "/api/v1/endorsements",
        lambda w: endorsement_body(w.ids["achievement"]),
        {"admin": UNAUTH, "issuer_a": 422, "issuer_b": OK, "anonymous": UNAUTH},
    ),
    ("POST", "/api/v1/endorsements/{endorsement}/accept", None, ISSUER_OWNED),
    ("POST", "/api/v1/endorsements/{endorsement2}/decline", None, ISSUER_OWNED),
    ("GET", "/endorsements/{endorsement}", None, PUBLIC),
    # programs (A's; B's key sees none of them)
    (
        "POST",
        "/api/v1/programs",
        lambda w: program_body([w.ids["module"]]),
        {"admin": UNAUTH, "issuer_a": OK, "issuer_b": 422, "anonymous": UNAUTH},
    ),
    ("GET", "/api/v1/programs", None, ISSUER_COLLECTION),
    ("GET", "/api/v1/programs/{program}", None, ISSUER_OWNED),
    ("GET", "/api/v1/programs/{program}/learners/learner@example.org", None, ISSUER_OWNED),
    (
        "POST",
        "/api/v1/programs/{program}/learners/learner@example.org/evaluate",
        None,
        ISSUER_OWNED,
    ),
    ("GET", "/api/v1/programs/{program}/learners/learner@example.org/clr", None, ISSUER_OWNED),
    # reports (issue 14): B's key reads its own (empty) summary; naming A's achievement or
    # program in the query is a 422 naming it (as the batch template), A's program in the path
    # a 404
    ("GET", "/api/v1/reports/summary", None, ISSUER_COLLECTION),
    ("GET", "/api/v1/reports/summary.csv", None, ISSUER_COLLECTION),
    (
        "GET",
        "/api/v1/reports/summary?achievementId={achievement}",
        None,
        {"admin": UNAUTH, "issuer_a": OK, "issuer_b": 422, "anonymous": UNAUTH},
    ),
    (
        "GET",
        "/api/v1/reports/summary.csv?programId={program}",
        None,
        {"admin": UNAUTH, "issuer_a": OK, "issuer_b": 422, "anonymous": UNAUTH},
    ),
    ("GET", "/api/v1/reports/programs/{program}/funnel", None, ISSUER_OWNED),
    ("GET", "/api/v1/reports/programs/{program}/funnel.csv", None, ISSUER_OWNED),
    # the other public pages and documents
    ("GET", "/credentials/{credential}", None, PUBLIC),
    ("GET", "/credentials/{credential}/qr.svg", None, PUBLIC),
    ("GET", "/credentials/{credential}/qr.png", None, PUBLIC),
    # the PDF certificate (of a credential no case revokes: xdist may run them in any order)
    ("GET", "/credentials/{held_credential}/certificate.pdf", None, PUBLIC),
    ("GET", "/credentials/{credential}/badge.png", None, PUBLIC),
    ("GET", "/credentials/{credential}/badge.svg", None, PUBLIC),
    # public, for a program award only (the matrix credential is none: 404 for everyone)
    ("GET", "/credentials/{credential}/clr.json", None, dict.fromkeys(ALL, 404)),
    ("GET", "/credentials/{credential}/image.svg", None, PUBLIC),
    ("GET", "/credentials/{credential}/image.png", None, PUBLIC),
    ("GET", "/credentials/{credential}/og.png", None, PUBLIC),
    # the page's LinkedIn button: counts the click, then 303 to linkedin.com (not followed)
    ("GET", "/credentials/{credential}/share/linkedin", None, dict.fromkeys(ALL, SEE_OTHER)),
    ("GET", "/achievements/{achievement}/v1", None, PUBLIC),
    ("GET", "/verify", None, PUBLIC),
    ("POST", "/verify", None, dict.fromkeys(ALL, PAGE_400)),  # nothing to verify: the form again
    ("GET", "/ping", None, PUBLIC),
    ("GET", "/openapi.json", None, PUBLIC),
    # a learner link's page opens by its own token only: no API key or admin token opens it
    ("GET", "/learners/not-a-valid-token", None, dict.fromkeys(ALL, UNAUTH)),
    ("GET", "/healthz", None, PUBLIC),
    ("GET", "/readyz", None, PUBLIC),
    # pages and documentation (issue 9, item 23); OPTIONS and HEAD need no token either
    ("GET", "/", None, PUBLIC),
    ("GET", "/docs", None, PUBLIC),
    ("GET", "/redoc", None, PUBLIC),
    ("GET", "/docs/oauth2-redirect", None, PUBLIC),
    ("GET", "/static/docs/swagger-ui.css", None, PUBLIC),
    # the development mailbox (app.mail): anyone in development (the suite's environment),
    # 404 elsewhere (tests/app/mail/); no message has an issuer's id as its id
    ("GET", "/dev/mail", None, PUBLIC),
    ("GET", "/dev/mail/{issuer}", None, dict.fromkeys(ALL, HIDDEN)),
    ("GET", "/dev/mail/{issuer}/html", None, dict.fromkeys(ALL, HIDDEN)),
    ("GET", "/dev/mail/{issuer}/message.eml", None, dict.fromkeys(ALL, HIDDEN)),
    # wallet protocols (issue 12): public, the link's secret is the authorization; an API key
    # or the admin token is no access token (OAuth errors are RFC 6749 JSON, not problem JSON)
    ("GET", "/.well-known/openid-credential-issuer", None, PUBLIC),
    ("GET", "/.well-known/oauth-authorization-server", None, PUBLIC),
    # the same under an issuer identifier with a path (1.0 §12.2.2, RFC 8414 §3.1); the
    # suite's base URL has none: 404 (tests/app/wallets/test_lazy_links.py)
    ("GET", "/.well-known/openid-credential-issuer/badges", None, dict.fromkeys(ALL, HIDDEN)),
    ("GET", "/.well-known/oauth-authorization-server/badges", None, dict.fromkeys(ALL, HIDDEN)),
    ("GET", "/wallets/oid4vci/offer?token=unknown", None, dict.fromkeys(ALL, HIDDEN)),
    ("POST", "/wallets/oid4vci/token", None, dict.fromkeys(ALL, OAUTH_400)),
    ("POST", "/wallets/oid4vci/nonce", None, PUBLIC),
    ("POST", "/wallets/oid4vci/credential", lambda w: {}, dict.fromkeys(ALL, OAUTH_401)),
    ("GET", "/wallets/vcapi/exchange?token=unknown", None, dict.fromkeys(ALL, HIDDEN)),
    ("POST", "/wallets/vcapi/exchange?token=unknown", lambda w: {}, dict.fromkeys(ALL, HIDDEN)),
    # learner accounts (issue 13): the sign-in pages are public; the e-mailed link opens by its
    # own token only (an unknown one: the 410 page); everything else goes by the account's
    # session cookie, which no API key or admin token replaces (GET /account and the
    # sign-out redirect to the sign-in page, which the client follows)
    ("GET", "/account/sign-in", None, PUBLIC),
    ("POST", "/account/sign-in", None, dict.fromkeys(ALL, PAGE_400)),  # no address given
    ("GET", "/account/verify/not-a-valid-token", None, dict.fromkeys(ALL, ("page", 410))),
    ("POST", "/account/verify/not-a-valid-token", None, dict.fromkeys(ALL, ("page", 410))),
    ("GET", "/account", None, PUBLIC),
    ("POST", "/account/sign-out", None, PUBLIC),
    ("GET", "/account/credentials/{credential}/credential.json", None, ACCOUNT_ONLY),
    ("POST", "/account/credentials/{credential}/visibility", None, ACCOUNT_ONLY),
    ("POST", "/account/credentials/{credential}/offer", None, ACCOUNT_ONLY),
    ("GET", f"/account/hosted/{NO_ID}/credential.json", None, ACCOUNT_ONLY),
    ("POST", f"/account/hosted/{NO_ID}/visibility", None, ACCOUNT_ONLY),
    ("POST", "/account/emails", None, ACCOUNT_ONLY),
    ("POST", f"/account/emails/{NO_ID}/delete", None, ACCOUNT_ONLY),
    ("POST", "/account/upload", None, ACCOUNT_ONLY),
    # the Open Badges API (issue 13): discovery and registration are open; the resources take
    # only the API's own OAuth access tokens (no API key, admin token or cookie) and answer
    # with the spec's Imsx_StatusInfo; the OAuth endpoints answer RFC 6749 errors; the
    # authorization endpoint without a valid request is a page (never a redirect); the
    # connected-apps page goes by the account's cookie (anonymous: the sign-in page)
    ("GET", "/ims/ob/v3p0/discovery", None, PUBLIC),
    ("GET", "/ims/ob/v3p0/credentials", None, dict.fromkeys(ALL, IMSX_401)),
    ("POST", "/ims/ob/v3p0/credentials", lambda w: {}, dict.fromkeys(ALL, IMSX_401)),
    ("GET", "/ims/ob/v3p0/profile", None, dict.fromkeys(ALL, IMSX_401)),
    ("PUT", "/ims/ob/v3p0/profile", lambda w: {}, dict.fromkeys(ALL, IMSX_401)),
    ("POST", "/ims/ob/v3p0/oauth/register", lambda w: ob_registration(), PUBLIC),
    ("POST", "/ims/ob/v3p0/oauth/token", None, dict.fromkeys(ALL, OAUTH_400)),
    ("POST", "/ims/ob/v3p0/oauth/revoke", None, dict.fromkeys(ALL, OAUTH_401)),
    ("GET", "/ims/ob/v3p0/oauth/authorize", None, dict.fromkeys(ALL, PAGE_400)),
    ("POST", "/ims/ob/v3p0/oauth/authorize", None, dict.fromkeys(ALL, PAGE_400)),
    ("GET", "/account/apps", None, PUBLIC),
    ("POST", "/account/apps/not-a-client/revoke", None, PUBLIC),
    # sending credentials to other hosts (Service Consumer (Write), issue 13): the page sends
    # anonymous callers to sign in; everything else is the account's own, by its cookie only
    # (tests/app/obconsumer/ try another learner's connection and credential)
    ("GET", "/account/hosts", None, PUBLIC),
    ("GET", "/account/hosts/logo.svg", None, PUBLIC),
    ("POST", "/account/hosts/connect", None, ACCOUNT_ONLY),
    ("GET", "/account/hosts/callback", None, ACCOUNT_ONLY),
    ("POST", f"/account/hosts/{NO_ID}/send", None, ACCOUNT_ONLY),
    ("POST", f"/account/hosts/{NO_ID}/profile", None, ACCOUNT_ONLY),
    ("POST", f"/account/hosts/{NO_ID}/disconnect", None, ACCOUNT_ONLY),
    # the staff console (issue 14): only its own session cookie opens it; no API key or admin
    # token does. Pages answer a caller without one with 303 to the sign-in page (followed
    # here: 200); posts with 401, or 403 when the pre-sign-in form's CSRF token is missing.
    ("GET", "/console/sign-in", None, PUBLIC),
    ("POST", "/console/sign-in", None, CONSOLE_CSRF),
    ("POST", "/console/sign-out", None, CONSOLE_ONLY),
    ("POST", "/console/issuers", None, CONSOLE_ONLY),  # a platform admin's (tests/app/console)
    ("POST", "/console/sign-out-everywhere", None, CONSOLE_ONLY),
    ("GET", "/console/invite/not-a-valid-token", None, dict.fromkeys(ALL, ("page", 410))),
    ("POST", "/console/invite/not-a-valid-token", None, CONSOLE_CSRF),
    # a forgotten password: the form is public, the link opens by its token alone
    ("GET", "/console/forgot-password", None, PUBLIC),
    ("POST", "/console/forgot-password", None, CONSOLE_CSRF),
    ("GET", "/console/reset-password/not-a-valid-token", None, dict.fromkeys(ALL, ("page", 410))),
    ("POST", "/console/reset-password/not-a-valid-token", None, CONSOLE_CSRF),
    ("GET", "/console/me", None, CONSOLE_SIGN_IN),
    ("POST", "/console/me/totp", None, CONSOLE_ONLY),
    ("GET", "/console", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/users", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/users/invite", None, CONSOLE_ONLY),
    ("POST", f"/console/{{issuer}}/users/{NO_ID}/role", None, CONSOLE_ONLY),
    ("POST", f"/console/{{issuer}}/users/{NO_ID}/remove", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/audit", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/audit.csv", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/reports", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/reports/summary.csv", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/reports/funnel.csv", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/credentials", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/credentials/{credential}", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/credentials/{credential}/status", None, CONSOLE_ONLY),
    ("POST", "/console/{issuer}/credentials/bulk", None, CONSOLE_ONLY),
    ("POST", f"/console/{{issuer}}/users/invitations/{NO_ID}/revoke", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/batches", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/batches/new", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/batches/template.csv", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/batches/template.xlsx", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/batches/upload", None, CONSOLE_ONLY),
    ("POST", "/console/{issuer}/batches/issue", None, CONSOLE_ONLY),
    # achievements and issuing one credential in the console (tests/app/console/
    # test_console_achievements.py and test_console_issue.py test roles and issuers)
    ("GET", "/console/{issuer}/achievements", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/achievements/new", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/achievements/new", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/achievements/{achievement}", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/achievements/{achievement}/preview", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/achievements/{achievement}/edit", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/achievements/{achievement}/edit", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/issue", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/issue", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/batches/{batch}", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/batches/{batch}/progress.json", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/batches/{batch}/results.csv", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/batches/{batch}/cancel", None, CONSOLE_ONLY),
    # programs, the assessor workflow and endorsements in the console (tests/app/console/
    # test_console_programs.py, test_console_assessors.py, test_console_endorsements.py)
    ("GET", "/console/{issuer}/programs", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/programs/new", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/programs/new", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/programs/{program}", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/programs/{program}/matrix.csv", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/programs/{program}/evaluate", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/assessors", None, CONSOLE_SIGN_IN),
    ("POST", f"/console/{{issuer}}/assessors/{NO_ID}", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/assess", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/assess/{module}", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/assess/{module}", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/endorsements", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/endorsements/new", None, CONSOLE_ONLY),
    ("POST", "/console/{issuer}/endorsements/{endorsement}/accept", None, CONSOLE_ONLY),
    ("POST", "/console/{issuer}/endorsements/{endorsement}/decline", None, CONSOLE_ONLY),
    # the owner's settings pages (tests/app/console/test_console_settings.py tests roles,
    # issuers and CSRF)
    ("GET", "/console/{issuer}/settings", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/settings/profile", None, CONSOLE_ONLY),
    ("POST", "/console/{issuer}/settings/logo", None, CONSOLE_ONLY),
    ("POST", "/console/{issuer}/settings/logo/remove", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/settings/keys", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/settings/keys/rotate", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/settings/keys/rotate", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/settings/api-keys", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/settings/api-keys", None, CONSOLE_ONLY),
    ("POST", f"/console/{{issuer}}/settings/api-keys/{NO_ID}/revoke", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/settings/webhooks", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/settings/webhooks", None, CONSOLE_ONLY),
    ("GET", f"/console/{{issuer}}/settings/webhooks/{NO_ID}", None, CONSOLE_SIGN_IN),
    ("POST", f"/console/{{issuer}}/settings/webhooks/{NO_ID}", None, CONSOLE_ONLY),
    ("POST", f"/console/{{issuer}}/settings/webhooks/{NO_ID}/rotate-secret", None, CONSOLE_ONLY),
    ("POST", f"/console/{{issuer}}/settings/webhooks/{NO_ID}/delete", None, CONSOLE_ONLY),
    (
        "POST",
        f"/console/{{issuer}}/settings/webhooks/{NO_ID}/deliveries/{NO_ID}/redeliver",
        None,
        CONSOLE_ONLY,
    ),
    ("GET", "/console/{issuer}/settings/mail", None, CONSOLE_SIGN_IN),
    ("POST", "/console/{issuer}/settings/mail", None, CONSOLE_ONLY),
    ("GET", "/console/{issuer}/settings/mail/issued/zh-CN", None, CONSOLE_SIGN_IN),
    ("GET", "/console/{issuer}/settings/mail/revoked/en/html", None, CONSOLE_SIGN_IN),
    ("OPTIONS", "/api/v1/credentials/{credential}", None, PUBLIC),
    ("HEAD", "/credentials/{credential}.json", None, PUBLIC),
]

# Revoke runs last per caller so the earlier status calls still see an unrevoked credential.
PARAMS = [
    pytest.param(method, path, body, who, expected[who], id=f"{who}-{method}-{path}")
    for method, path, body, expected in CASES
    for who in ALL
]


@pytest.mark.parametrize(("method", "path", "body", "who", "expected"), PARAMS)
def test_authorization_matrix(
    world: World,
    method: str,
    path: str,
    body: Body,
    who: str,
    expected: int | str | tuple[str, int],
) -> None:
    url = path.format(**world.ids)
    json_body = body(world) if body else None
    response = world.client.request(
        method,
        url,
        json=json_body,
        headers=world.headers(who),
        follow_redirects=expected != SEE_OTHER,
    )
    if expected == SEE_OTHER:
        assert response.status_code == 303, (who, url, response.text)
        assert response.headers["location"].startswith("https://"), (who, url)
    elif expected == OK:
        assert 200 <= response.status_code < 300, (who, url, response.text)
    elif isinstance(expected, tuple) and expected[0] == "imsx":
        assert response.status_code == expected[1], (who, url, response.text)
        assert response.json()["imsx_codeMajor"] == "failure", (who, url, response.text)
    elif isinstance(expected, tuple) and expected[0] == "page":
        assert response.status_code == expected[1], (who, url, response.text)
        assert response.headers["content-type"].startswith("text/html")
    elif isinstance(expected, tuple):
        assert response.status_code == expected[1], (who, url, response.text)
        assert response.json()["error"], (who, url, response.text)
    else:
        assert response.status_code == expected, (who, url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def _endpoints(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (method, path) below ``routes``. FastAPI 0.165 keeps an included router as one
    entry holding the router (``original_router``, with its prefix in ``include_context``);
    earlier versions copied its routes in: both are walked."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _endpoints(included.routes, prefix + getattr(context, "prefix", ""))
            continue
        path = getattr(route, "path", None)
        for method in getattr(route, "methods", None) or ():
            if path is not None and method not in ("HEAD", "OPTIONS"):
                yield method, prefix + path


def test_the_route_walk_sees_every_router(app: FastAPI) -> None:
    """The matrix check below is only as good as the walk: it must find the routes of every
    included router (API, public documents, pages, wallets)."""
    found = set(_endpoints(app.routes))
    assert len(found) > 100
    for expected in [
        ("POST", "/api/v1/credentials"),
        ("GET", "/credentials/{credential_id}"),
        ("POST", "/api/v1/batches"),
        ("GET", "/ping"),
    ]:
        assert expected in found


def _pattern(route_path: str) -> re.Pattern[str]:
    """A route's path as a regex: each ``{parameter}`` one path segment (or part of one)."""
    parts = re.split(r"\{[^}]+\}", route_path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    """A new route must say who may call it: add it to CASES (a case's path may name the
    route's parameters, ``{credential}``, or give values, ``learner@example.org``)."""
    cases = [(method, path.split("?", 1)[0]) for method, path, _, _ in CASES]
    missing = sorted(
        f"{method} {path}"
        for method, path in set(_endpoints(app.routes))
        if not path.startswith("/static/")
        and not any(
            case_method == method and _pattern(path).fullmatch(case_path)
            for case_method, case_path in cases
        )
    )
    assert missing == [], "\n".join(missing)


def test_issuer_b_lists_none_of_a(world: World) -> None:
    for path in ("/api/v1/achievements", "/api/v1/keys"):
        listed = world.client.get(path, headers=world.b.headers).json()
        assert world.ids["achievement"] not in {item["id"] for item in listed}
    page = world.client.get("/api/v1/credentials", headers=world.b.headers).json()
    assert page["items"] == []


def test_revoked_api_key_stops_working(client: TestClient, admin_headers: dict[str, str]) -> None:
    handle = make_issuer(client, admin_headers)
    assert client.get("/api/v1/achievements", headers=handle.headers).status_code == 200
    keys = client.get(f"/api/v1/issuers/{handle.id}/api-keys", headers=admin_headers).json()
    assert all("token" not in key for key in keys)
    client.delete(f"/api/v1/issuers/{handle.id}/api-keys/{keys[0]['id']}", headers=admin_headers)
    assert client.get("/api/v1/achievements", headers=handle.headers).status_code == 401


def test_key_revoked_by_another_worker_stops_at_once(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    """A revocation this process did not make (another worker's) holds on the next request."""
    handle = make_issuer(client, admin_headers)
    assert client.get("/api/v1/achievements", headers=handle.headers).status_code == 200
    with engine.begin() as connection:  # behind this worker's back, as another worker would
        connection.execute(
            update(ApiKey)
            .where(ApiKey.issuer_id == uuid.UUID(handle.id))
            .values(revoked_at=datetime.now(UTC))
        )
    assert client.get("/api/v1/achievements", headers=handle.headers).status_code == 401


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Basic abc", "Bearer obk_nope_nope", "Bearer {admin}x"]
)
def test_malformed_tokens(client: TestClient, admin_headers: dict[str, str], header: str) -> None:
    header = header.format(admin=admin_headers["Authorization"].removeprefix("Bearer "))
    response = client.get("/api/v1/issuers", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
