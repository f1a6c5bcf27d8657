"""A scripted Open Badges API client, as the 1EdTech conformance tool drives a Host: read the
discovery document, register, send a signed-in learner through consent with PKCE, exchange
the code, call the resources."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.accounts import session as account_session
from app.models import LearnerAccount, LearnerEmail, utcnow
from app.obapi.schemas import SCOPES

DISCOVERY = "/ims/ob/v3p0/discovery"
APP_HOST = "app.example.org"
REDIRECT_URI = f"https://{APP_HOST}/callback"


def pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def path_of(url: str) -> str:
    """The path and query of one of the service's absolute URLs (the test client's base)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Learner:
    account_id: uuid.UUID
    email: str
    cookie: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{account_session.COOKIE}={self.cookie}"}


def make_learner(app: FastAPI, email: str | None = None) -> Learner:
    """An account with one verified address, signed in (its session cookie)."""
    email = email or f"learner-{uuid.uuid4().hex[:8]}@example.org"
    with app.state.sessionmaker() as session:
        account = LearnerAccount(language="en")
        session.add(account)
        session.flush()
        session.add(LearnerEmail(account_id=account.id, email=email, verified_at=utcnow()))
        token = account_session.start(session, account.id)
        session.commit()
        return Learner(account.id, email, token)


def registration_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "client_name": "Backpack Test App",
        "client_uri": f"https://{APP_HOST}/",
        "logo_uri": f"https://{APP_HOST}/logo.png",
        "tos_uri": f"https://{APP_HOST}/terms",
        "policy_uri": f"https://{APP_HOST}/privacy",
        "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
        "software_version": "v4.0.30319",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": " ".join(SCOPES),
    }
    body.update(overrides)
    return body


@dataclass
class App:
    """A registered app, as the conformance tool is one."""

    http: TestClient
    discovery: dict[str, Any]
    client_id: str
    client_secret: str
    registration: dict[str, Any] = field(default_factory=dict)

    @property
    def flow(self) -> dict[str, Any]:
        scheme = self.discovery["components"]["securitySchemes"]["OAuth2ACG"]
        flow: dict[str, Any] = scheme["flows"]["authorizationCode"]
        return flow

    @property
    def basic(self) -> tuple[str, str]:
        return (self.client_id, self.client_secret)

    def authorize_params(
        self, challenge: str, scope: str, state: str = "xyz", **overrides: str
    ) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def consent(self, learner: Learner, params: dict[str, str], decision: str = "allow") -> Any:
        """Open the consent page as the learner, then answer it (the form's POST)."""
        url = path_of(self.flow["authorizationUrl"])
        page = self.http.get(
            url + "?" + urlencode(params), headers=learner.headers, follow_redirects=False
        )
        assert page.status_code == 200, page.text
        return self.http.post(
            url,
            data={**params, "decision": decision},
            headers={**learner.headers, "Origin": "https://badges.test"},
            follow_redirects=False,
        )

    def code_for(self, learner: Learner, scope: str, state: str = "xyz") -> tuple[str, str]:
        """An authorization code (and its verifier) for ``scope``, the learner allowing."""
        verifier, challenge = pkce()
        answer = self.consent(learner, self.authorize_params(challenge, scope, state))
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert location.startswith(REDIRECT_URI + "?"), location
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == [state]
        return query["code"][0], verifier

    def exchange(self, code: str, verifier: str | None, **extra: str) -> Any:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
        if verifier is not None:
            data["code_verifier"] = verifier
        data.update(extra)
        return self.http.post(path_of(self.flow["tokenUrl"]), data=data, auth=self.basic)

    def tokens(self, learner: Learner, scope: str = " ".join(SCOPES)) -> dict[str, Any]:
        code, verifier = self.code_for(learner, scope)
        response = self.exchange(code, verifier)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def refresh(self, refresh_token: str, **extra: str) -> Any:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
        return self.http.post(path_of(self.flow["refreshUrl"]), data=data, auth=self.basic)

    def revoke(self, token: str, hint: str | None = None) -> Any:
        data = {"token": token} | ({"token_type_hint": hint} if hint else {})
        revocation = self.flow.get("x-imssf-revocationUrl", "/ims/ob/v3p0/oauth/revoke")
        return self.http.post(path_of(revocation), data=data, auth=self.basic)


def register_app(http: TestClient, **overrides: Any) -> App:
    discovery = http.get(DISCOVERY)
    assert discovery.status_code == 200, discovery.text
    document = discovery.json()
    registration_url = document["components"]["securitySchemes"]["OAuth2ACG"][
        "x-imssf-registrationUrl"
    ]
    response = http.post(path_of(registration_url), json=registration_body(**overrides))
    assert response.status_code == 201, response.text
    body = response.json()
    return App(http, document, body["client_id"], body["client_secret"], body)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
