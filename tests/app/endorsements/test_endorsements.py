"""Partner endorsements: signed by the partner, never in another's name, embedded afterwards."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from _fixtures import BASE_URL, api_key, issue, make_issuer, make_module
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.core.urls import achievement_url, issuer_did
from app.models import Issuer
from app.verification.service import resolver_for, verify_document
from openbadges import verify as ob_verify


@pytest.fixture
def university(session: Session, context: AppContext) -> Issuer:
    return make_issuer(session, context)


@pytest.fixture
def partner(session: Session, context: AppContext) -> Issuer:
    return make_issuer(session, context, name="Silk Road Translation Co.", zh="丝路翻译公司")


def endorse(
    client: TestClient, headers: dict[str, str], target_id: uuid.UUID, **extra: object
) -> dict[str, Any]:
    body = {
        "targetType": "achievement",
        "targetId": str(target_id),
        "comment": {"en": "Industry-ready graduates.", "zh-CN": "毕业生具备行业能力。"},
        **extra,
    }
    return {"response": client.post("/api/v1/endorsements", json=body, headers=headers)}


def test_partner_endorsement_is_signed_by_the_partner(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    module = make_module(session, university, "Machine translation post-editing")
    response = endorse(client, api_key(session, partner), module)["response"]
    assert response.status_code == 201, response.text
    rows = response.json()
    assert sorted(r["language"] for r in rows) == ["en", "zh-CN"]
    assert len({r["groupId"] for r in rows}) == 1
    zh = next(r for r in rows if r["language"] == "zh-CN")["credential"]
    assert zh["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert zh["issuer"]["id"] == issuer_did(BASE_URL, partner.id)
    assert zh["issuer"]["name"] == "丝路翻译公司"
    assert zh["credentialSubject"] == {
        "id": achievement_url(BASE_URL, module, 1),
        "type": ["EndorsementSubject"],
        "endorsementComment": "毕业生具备行业能力。",
    }
    report = ob_verify.verify(zh, resolver=resolver_for(session), expected="endorsement")
    assert report.verified, [c for c in report.checks if c.status != "valid"]
    public = client.get(f"/endorsements/{rows[0]['id']}")
    assert public.status_code == 200
    assert public.text == json.dumps(
        rows[0]["credential"], ensure_ascii=False, separators=(",", ":")
    )
    listed = client.get(
        "/api/v1/endorsements", params={"target": achievement_url(BASE_URL, module, 1)}
    )
    assert {r["id"] for r in listed.json()} == {r["id"] for r in rows}


def test_a_partner_cannot_endorse_in_another_partners_name(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    other = make_issuer(session, context, name="Other Partner", zh="另一家公司")
    module = make_module(session, university, "Cross-cultural communication")
    headers = api_key(session, partner)
    spoof = endorse(client, headers, module, issuer=str(other.id))["response"]
    assert spoof.status_code == 422
    assert spoof.json()["field"] == "$.issuer"
    rows = endorse(client, headers, module)["response"].json()
    assert {r["issuerId"] for r in rows} == {str(partner.id)}
    assert all(r["credential"]["issuer"]["id"] == issuer_did(BASE_URL, partner.id) for r in rows)
    assert endorse(client, {}, module)["response"].status_code == 401


def test_self_endorsement_and_unknown_targets_are_refused(
    client: TestClient, session: Session, university: Issuer
) -> None:
    module = make_module(session, university, "Industry project")
    own = endorse(client, api_key(session, university), module)["response"]
    assert (own.status_code, own.json()["field"]) == (422, "$.targetId")
    missing = endorse(client, api_key(session, university), uuid.uuid4())["response"]
    assert (missing.status_code, missing.json()["field"]) == (422, "$.targetId")


def test_credentials_issued_afterwards_embed_the_endorsement(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    module = make_module(session, university, "Computer-aided translation")
    before = issue(session, context, university, module)
    endorse(client, api_key(session, partner), module)
    after = issue(session, context, university, module)
    assert "endorsement" not in json.loads(before.document)["credentialSubject"]["achievement"]
    document = json.loads(after.document)
    [embedded] = document["credentialSubject"]["achievement"]["endorsement"]
    assert embedded["issuer"]["id"] == issuer_did(BASE_URL, partner.id)
    report = verify_document(session, document)
    assert report.verified, [c for c in report.checks if c.status != "valid"]
    assert any(c.id == "endorsements" and c.status == "valid" for c in report.checks)
