"""Program and learner HTTP API: creation, progress, re-evaluation, links, visibility, 422s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from _fixtures import api_key, issue, make_issuer, make_module
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.learners import service as learners
from app.learners.schemas import LearnerLinkCreate


def program_body(modules: list[Any]) -> dict[str, Any]:
    return {
        "name": {"zh-CN": "智能翻译与国际传播", "en": "Intelligent Translation"},
        "description": {"zh-CN": "项目", "en": "Program"},
        "defaultLanguage": "zh-CN",
        "modules": [str(m) for m in modules],
        "rule": {"kind": "all"},
        "onModuleRevoked": "suspend",
        "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
    }


def test_program_api_round_trip(client: TestClient, session: Session, context: AppContext) -> None:
    issuer = make_issuer(session, context)
    headers = api_key(session, issuer)
    modules = [make_module(session, issuer, f"API module {i}") for i in range(2)]
    created = client.post("/api/v1/programs", json=program_body(modules), headers=headers)
    assert created.status_code == 201, created.text
    program = created.json()
    assert set(program["achievementsByLanguage"]) == {"zh-CN", "en"}
    assert [m["achievementId"] for m in program["modules"]] == [str(m) for m in modules]
    assert client.get("/api/v1/programs", headers=headers).json()[0]["id"] == program["id"]
    assert client.get(f"/api/v1/programs/{program['id']}", headers=headers).status_code == 200
    issue(session, context, issuer, modules[0], email="wang.fang@example.com")
    url = f"/api/v1/programs/{program['id']}/learners/Wang.Fang@example.com"
    progress = client.get(url, headers=headers).json()
    assert (progress["counted"], progress["awarded"]) == (1, False)
    assert progress["modules"][0]["earned"]
    assert not progress["modules"][1]["earned"]
    issue(session, context, issuer, modules[1], email="wang.fang@example.com")
    evaluated = client.post(url + "/evaluate", headers=headers).json()
    assert evaluated["awarded"]
    assert evaluated["programCredentialId"]
    bad = client.get(f"/api/v1/programs/{program['id']}/learners/not-an-email", headers=headers)
    assert (bad.status_code, bad.json()["field"]) == (422, "path.learner")


def test_program_payload_errors_are_422_naming_the_field(
    client: TestClient, session: Session, context: AppContext
) -> None:
    issuer = make_issuer(session, context)
    headers = api_key(session, issuer)
    module = make_module(session, issuer, "Only")
    body = program_body([module])
    body["onModuleRevoked"] = "explode"
    response = client.post("/api/v1/programs", json=body, headers=headers)
    assert (response.status_code, response.json()["field"]) == (422, "$.onModuleRevoked")


def test_result_outside_the_description_is_422_naming_it(
    client: TestClient, session: Session, context: AppContext
) -> None:
    issuer = make_issuer(session, context)
    module = make_module(session, issuer, "Scored")
    rd = client.get(f"/api/v1/achievements/{module}", headers=api_key(session, issuer))
    rd_id = rd.json()["resultDescription"][0]["id"]
    body = {
        "achievementId": str(module),
        "recipient": {"email": "a@example.com"},
        "results": [
            {"resultDescription": rd_id, "value": "80"},
            {"resultDescription": rd_id, "value": "140"},
        ],
    }
    response = client.post("/api/v1/credentials", json=body, headers=api_key(session, issuer))
    assert response.status_code == 422
    assert response.json()["field"] == "$.results[1].value"


def test_learner_link_view_hide_and_expiry(
    client: TestClient, session: Session, context: AppContext
) -> None:
    issuer = make_issuer(session, context)
    headers = api_key(session, issuer)
    module = make_module(session, issuer, "Linked")
    credential = issue(session, context, issuer, module, email="zhao.lei@example.com")
    link = client.post(
        "/api/v1/learners/link", json={"email": "Zhao.Lei@example.com"}, headers=headers
    )
    assert link.status_code == 201, link.text
    token = link.json()["token"]
    view = client.get("/api/v1/learner", params={"token": token}).json()
    assert view["learner"] == "zhao.lei@example.com"
    assert [c["id"] for c in view["credentials"]] == [str(credential.id)]
    assert client.get(f"/credentials/{credential.id}.json").status_code == 200
    hidden = client.put(
        f"/api/v1/learner/credentials/{credential.id}/visibility",
        params={"token": token},
        json={"hidden": True},
    )
    assert hidden.status_code == 204
    assert client.get(f"/credentials/{credential.id}.json").status_code == 404
    page = client.get(f"/learners/{token}?lang=zh-CN")
    assert page.status_code == 200
    assert (page.headers["cache-control"], page.headers["referrer-policy"]) == (
        "no-store",
        "same-origin",  # the page: no referrer to other sites
    )
    assert '<html lang="zh-CN">' in page.text
    assert "我的证书" in page.text
    assert "Linked" in page.text
    assert "已隐藏：公开页面已撤下。" in page.text  # the hidden credential says so in words
    assert 'name="hidden" value="false"' in page.text  # and offers "show" as a form button
    english = client.get(f"/learners/{token}?lang=en")
    assert "Hidden: the public page is withdrawn." in english.text
    stranger = client.post(
        "/api/v1/learners/link", json={"email": "nobody@example.com"}, headers=headers
    )
    assert (stranger.status_code, stranger.json()["field"]) == (404, "$.email")
    old = learners.create_link(
        session,
        context,
        issuer.id,
        LearnerLinkCreate(email="zhao.lei@example.com", valid_days=1),
        now=datetime.now(UTC) - timedelta(days=2),
    )
    expired = client.get("/api/v1/learner", params={"token": old.token})
    assert expired.status_code == 401
    assert client.get(f"/learners/{old.token}").status_code == 401
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get("/api/v1/learner", params={"token": forged}).status_code == 401
