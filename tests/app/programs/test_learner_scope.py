"""Issue 9 item 1: a learner link reaches only the credentials and programs of its issuer.

The reproduction from the issue: issuer A issues a throw-away credential to the victim, asks
for a link, and with its token tries to list, hide and export (CLR) issuer B's credential and
program. Each is 404 (or absent) as if it did not exist, by token and by the page's cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from _fixtures import BASE_URL, api_key, issue, make_issuer, make_module
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.core.urls import achievement_url
from app.models import Credential, Issuer
from app.programs import service
from app.programs.schemas import ProgramCreate

VICTIM = "victim@example.com"


def make_program(
    session: Session, context: AppContext, issuer: Issuer, modules: list[uuid.UUID]
) -> uuid.UUID:
    data = ProgramCreate.model_validate(
        {
            "name": {"en": "B's Program", "zh-CN": "乙的项目"},
            "description": {"en": "Program", "zh-CN": "项目"},
            "defaultLanguage": "en",
            "modules": [str(m) for m in modules],
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
        }
    )
    return service.create_program(session, context, issuer.id, data, actor="t").id


@pytest.fixture
def world(client: TestClient, session: Session, context: AppContext) -> dict[str, Any]:
    """B: a program the victim completed; A: one throw-away credential and a link."""
    b = make_issuer(session, context, name="University B", zh="乙大学")
    b_module = make_module(session, b, "B's real module")
    b_program = make_program(session, context, b, [b_module])
    b_credential = issue(session, context, b, b_module, email=VICTIM)
    a = make_issuer(session, context, name="University A", zh="甲大学")
    throwaway = issue(session, context, a, make_module(session, a, "Throw-away"), email=VICTIM)
    link = client.post("/api/v1/learners/link", json={"email": VICTIM}, headers=api_key(session, a))
    assert link.status_code == 201, link.text
    return {
        "a": a,
        "b": b,
        "b_credential": b_credential,
        "b_program": b_program,
        "throwaway": throwaway,
        "link": link.json(),
    }


def bearer(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['link']['token']}"}


def test_a_link_lists_only_its_issuers_credentials_and_programs(
    client: TestClient, world: dict[str, Any]
) -> None:
    view = client.get("/api/v1/learner", headers=bearer(world))
    assert view.status_code == 200, view.text
    assert [c["id"] for c in view.json()["credentials"]] == [str(world["throwaway"].id)]
    assert view.json()["programs"] == []
    legacy = client.get("/api/v1/learner", params={"token": world["link"]["token"]})
    assert legacy.json() == view.json()  # ?token= still works, with the same scope


def test_a_link_cannot_hide_another_issuers_credential(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    b_id = world["b_credential"].id
    hide = client.put(
        f"/api/v1/learner/credentials/{b_id}/visibility",
        headers=bearer(world),
        json={"hidden": True},
    )
    assert hide.status_code == 404, hide.text
    assert hide.headers["content-type"] == "application/problem+json"
    assert session.get(Credential, b_id).hidden is False  # type: ignore[union-attr]
    assert client.get(f"/credentials/{b_id}.json").status_code == 200
    own = client.put(
        f"/api/v1/learner/credentials/{world['throwaway'].id}/visibility",
        headers=bearer(world),
        json={"hidden": True},
    )
    assert own.status_code == 204  # the link still works for its own issuer's credentials


def test_a_link_cannot_export_another_issuers_program(
    client: TestClient, world: dict[str, Any]
) -> None:
    clr = client.get(f"/api/v1/learner/programs/{world['b_program']}/clr", headers=bearer(world))
    assert clr.status_code == 404, clr.text
    missing = client.get(f"/api/v1/learner/programs/{uuid.uuid4()}/clr", headers=bearer(world))
    assert missing.json()["detail"] == clr.json()["detail"]  # indistinguishable from none


def test_the_learner_page_shows_and_changes_only_its_issuers_credentials(
    client: TestClient, world: dict[str, Any]
) -> None:
    page = client.get(f"/learners/{world['link']['token']}?lang=en")
    assert page.status_code == 200
    assert "Throw-away" in page.text
    assert "real module" not in page.text
    assert "乙大学" not in page.text
    b_id = world["b_credential"].id
    form = client.post(
        f"/learners/me/credentials/{b_id}/visibility", data={"hidden": "true"}
    )  # by the cookie
    assert form.status_code == 404
    by_cookie = client.put(f"/api/v1/learner/credentials/{b_id}/visibility", json={"hidden": True})
    assert by_cookie.status_code == 404
    clr = client.get(f"/api/v1/learner/programs/{world['b_program']}/clr")
    assert clr.status_code == 404
    assert client.get(f"/credentials/{b_id}.json").status_code == 200


def test_b_s_own_link_still_reaches_b_s_credentials(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    link = client.post(
        "/api/v1/learners/link", json={"email": VICTIM}, headers=api_key(session, world["b"])
    ).json()
    headers = {"Authorization": f"Bearer {link['token']}"}
    view = client.get("/api/v1/learner", headers=headers).json()
    # B's module credential and the program credential B awarded for it; nothing of A's
    assert str(world["b_credential"].id) in {c["id"] for c in view["credentials"]}
    assert str(world["throwaway"].id) not in {c["id"] for c in view["credentials"]}
    assert {c["issuerName"] for c in view["credentials"]} == {"乙大学"}  # zh-CN default
    assert [p["programId"] for p in view["programs"]] == [str(world["b_program"])]
    clr = client.get(f"/api/v1/learner/programs/{world['b_program']}/clr", headers=headers)
    assert clr.status_code == 200, clr.text


def test_old_unscoped_links_are_refused(
    client: TestClient, context: AppContext, world: dict[str, Any]
) -> None:
    """A token in the pre-issue-9 format (no issuer, v1 key) gets nothing any more."""
    key = hmac.new(
        context.settings.kek_bytes(), b"openbadges-service/learner-link/v1", hashlib.sha256
    ).digest()
    expires = int((datetime.now(UTC) + timedelta(days=30)).timestamp())
    payload = json.dumps({"sub": VICTIM, "exp": expires}, separators=(",", ":")).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    encode = base64.urlsafe_b64encode
    old = f"{encode(payload).rstrip(b'=').decode()}.{encode(mac).rstrip(b'=').decode()}"
    assert client.get("/api/v1/learner", params={"token": old}).status_code == 401
    assert (
        client.get("/api/v1/learner", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    )
    assert client.get(f"/learners/{old}", follow_redirects=False).status_code == 401


def test_a_related_version_of_another_issuer_counts_for_nothing(
    client: TestClient, session: Session, context: AppContext
) -> None:
    """A's module may name B's achievement as a language version (``related`` is free
    text); B's credential must still neither complete A's program nor enter A's CLR."""
    b = make_issuer(session, context, name="University B", zh="乙大学")
    b_module = make_module(session, b, "B's module", inLanguage="en")
    b_credential = issue(session, context, b, b_module, email=VICTIM)
    a = make_issuer(session, context, name="University A", zh="甲大学")
    related = [{"id": achievement_url(BASE_URL, b_module, 1), "inLanguage": "en"}]
    a_module = make_module(session, a, "A's module", inLanguage="zh-CN", related=related)
    a_other = make_module(session, a, "A's other module")
    program = make_program(session, context, a, [a_module, a_other])
    issue(session, context, a, a_other, email=VICTIM)
    link = client.post(
        "/api/v1/learners/link", json={"email": VICTIM}, headers=api_key(session, a)
    ).json()
    headers = {"Authorization": f"Bearer {link['token']}"}
    [progress] = client.get("/api/v1/learner", headers=headers).json()["programs"]
    assert progress["awarded"] is False
    assert progress["counted"] == 1
    clr = client.get(f"/api/v1/learner/programs/{program}/clr", headers=headers)
    assert clr.status_code == 200, clr.text
    included = clr.json()["credentialSubject"]["verifiableCredential"]
    assert str(b_credential.id) not in {c["id"].rsplit("/", 1)[-1] for c in included}
