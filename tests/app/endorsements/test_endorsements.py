"""Partner endorsements: signed by the partner, never in another's name, embedded once accepted."""

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
from app.hot import issuing as hot_issuing
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


def decide(client: TestClient, endorsement_id: str, decision: str, headers: dict[str, str]) -> Any:
    """POST accept/decline and return the response (asserting nothing)."""
    return client.post(f"/api/v1/endorsements/{endorsement_id}/{decision}", headers=headers)


def embedded_in(credential: Any) -> list[dict[str, Any]]:
    """The endorsements embedded in an issued credential's achievement."""
    achievement = json.loads(credential.document)["credentialSubject"]["achievement"]
    return list(achievement.get("endorsement", []))


def listed_states(
    client: TestClient, target: str, headers: dict[str, str] | None = None
) -> set[str]:
    """The states ``GET /api/v1/endorsements`` reports for a target (to ``headers``' issuer)."""
    response = client.get("/api/v1/endorsements", params={"target": target}, headers=headers)
    assert response.status_code == 200, response.text
    return {row["state"] for row in response.json()}


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
        "/api/v1/endorsements",
        params={"target": achievement_url(BASE_URL, module, 1)},
        headers=api_key(session, partner),  # pending: listed to its endorser (and the owner)
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
    rows = endorse(client, api_key(session, partner), module)["response"].json()
    decide(client, rows[0]["id"], "accept", api_key(session, university))
    after = issue(session, context, university, module)
    assert "endorsement" not in json.loads(before.document)["credentialSubject"]["achievement"]
    document = json.loads(after.document)
    [embedded] = document["credentialSubject"]["achievement"]["endorsement"]
    assert embedded["issuer"]["id"] == issuer_did(BASE_URL, partner.id)
    report = verify_document(session, document)
    assert report.verified, [c for c in report.checks if c.status != "valid"]
    assert any(c.id == "endorsements" and c.status == "valid" for c in report.checks)


def test_a_pending_endorsement_is_listed_but_not_embedded(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    module = make_module(session, university, "Terminology management")
    rows = endorse(client, api_key(session, partner), module)["response"].json()
    assert {(r["state"], r["acceptedAt"], r["declinedAt"]) for r in rows} == {
        ("pending", None, None)
    }
    owner = api_key(session, university)
    assert listed_states(client, achievement_url(BASE_URL, module, 1), owner) == {"pending"}
    assert embedded_in(issue(session, context, university, module)) == []


def test_accepted_endorsement_is_embedded_in_later_credentials_and_verifies(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    module = make_module(session, university, "Localisation project management")
    rows = endorse(client, api_key(session, partner), module)["response"].json()
    accepted = decide(client, rows[1]["id"], "accept", api_key(session, university))
    assert accepted.status_code == 200, accepted.text
    # the whole group (both languages) is decided together
    assert {r["id"] for r in accepted.json()} == {r["id"] for r in rows}
    assert {r["state"] for r in accepted.json()} == {"accepted"}
    assert all(r["acceptedAt"] and r["declinedAt"] is None for r in accepted.json())
    assert listed_states(client, achievement_url(BASE_URL, module, 1)) == {"accepted"}
    again = decide(client, rows[0]["id"], "accept", api_key(session, university))
    assert again.status_code == 200, again.text
    credential = issue(session, context, university, module)
    [embedded] = embedded_in(credential)
    assert embedded["issuer"]["id"] == issuer_did(BASE_URL, partner.id)
    report = verify_document(session, json.loads(credential.document))
    assert report.verified, [c for c in report.checks if c.status != "valid"]
    assert any(c.id == "endorsements" and c.status == "valid" for c in report.checks)


def test_acceptance_clears_this_workers_embedding_cache(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    module = make_module(session, university, "Subtitling")
    rows = endorse(client, api_key(session, partner), module)["response"].json()
    first = issue(session, context, university, module)
    assert embedded_in(first) == []
    # that issuance cached "nothing to embed" for this achievement for EMBED_CACHE_SECONDS
    achievement = json.loads(first.document)["credentialSubject"]["achievement"]
    key = (achievement["id"], achievement.get("inLanguage"))
    assert hot_issuing.embedded_endorsements.get(key) == []
    decide(client, rows[0]["id"], "accept", api_key(session, university))
    assert len(embedded_in(issue(session, context, university, module))) == 1


def test_a_declined_endorsement_is_never_embedded(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    module = make_module(session, university, "Interpreting basics")
    rows = endorse(client, api_key(session, partner), module)["response"].json()
    owner = api_key(session, university)
    declined = decide(client, rows[0]["id"], "decline", owner)
    assert declined.status_code == 200, declined.text
    assert {r["state"] for r in declined.json()} == {"declined"}
    assert all(r["declinedAt"] and r["acceptedAt"] is None for r in declined.json())
    reversed_ = decide(client, rows[1]["id"], "accept", owner)
    assert (reversed_.status_code, reversed_.json()["status"]) == (409, 409)
    assert listed_states(client, achievement_url(BASE_URL, module, 1), owner) == {"declined"}
    assert listed_states(client, achievement_url(BASE_URL, module, 1)) == set()
    assert embedded_in(issue(session, context, university, module)) == []


def test_only_the_owner_can_accept_or_decline(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    bystander = make_issuer(session, context, name="Bystander College", zh="旁观学院")
    module = make_module(session, university, "Audiovisual translation")
    endorser = api_key(session, partner)
    rows = endorse(client, endorser, module)["response"].json()
    for decision in ("accept", "decline"):
        for headers in (endorser, api_key(session, bystander)):
            refused = decide(client, rows[0]["id"], decision, headers)
            assert refused.status_code == 404, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
        assert decide(client, rows[0]["id"], decision, {}).status_code == 401
    missing = decide(client, str(uuid.uuid4()), "accept", api_key(session, university))
    assert missing.status_code == 404
    assert listed_states(client, achievement_url(BASE_URL, module, 1), endorser) == {"pending"}
    assert embedded_in(issue(session, context, university, module)) == []


def test_endorsements_of_one_credential_need_its_issuers_acceptance(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    module = make_module(session, university, "Post-editing practicum")
    credential = issue(session, context, university, module)
    endorser = api_key(session, partner)
    rows = endorse(client, endorser, credential.id, targetType="credential")["response"].json()
    assert {r["state"] for r in rows} == {"pending"}
    assert decide(client, rows[0]["id"], "accept", endorser).status_code == 404
    accepted = decide(client, rows[0]["id"], "accept", api_key(session, university))
    assert accepted.status_code == 200, accepted.text
    assert {r["state"] for r in accepted.json()} == {"accepted"}


def test_undecided_endorsements_are_listed_only_to_endorser_and_owner(
    client: TestClient, session: Session, context: AppContext, university: Issuer, partner: Issuer
) -> None:
    """Issue 9 item 6: a third issuer (or anyone) must not see what awaits the owner's decision."""
    third = make_issuer(session, context, name="Third College", zh="第三学院")
    module = make_module(session, university, "Literary translation")
    credential = issue(session, context, university, module)
    owner, endorser, bystander = (api_key(session, i) for i in (university, partner, third))
    pending = endorse(client, endorser, module)["response"].json()
    on_credential = endorse(client, endorser, credential.id, targetType="credential")["response"]
    declined = on_credential.json()
    assert decide(client, declined[0]["id"], "decline", owner).status_code == 200
    for target in (achievement_url(BASE_URL, module, 1), str(module)):
        assert listed_states(client, target, owner) == {"pending"}
        assert listed_states(client, target, endorser) == {"pending"}
        assert listed_states(client, target, bystander) == set()
        assert listed_states(client, target) == set()
    public_id = declined[0]["credential"]["credentialSubject"]["id"]
    for target in (public_id, str(credential.id)):
        assert listed_states(client, target, owner) == {"declined"}
        assert listed_states(client, target, endorser) == {"declined"}
        assert listed_states(client, target, bystander) == set()
        assert listed_states(client, target) == set()
    # the third issuer's own endorsement: it sees its own pending one, not the partner's
    own = endorse(client, bystander, module)["response"].json()
    listed = client.get("/api/v1/endorsements", params={"target": str(module)}, headers=bystander)
    assert {r["id"] for r in listed.json()} == {r["id"] for r in own}
    # the limit counts only what the caller may see (the partner's two rows come first)
    limited = client.get(
        "/api/v1/endorsements", params={"target": str(module), "limit": 2}, headers=bystander
    )
    assert {r["id"] for r in limited.json()} == {r["id"] for r in own}
    # once accepted, everyone sees it (as before)
    assert decide(client, pending[0]["id"], "accept", owner).status_code == 200
    for headers in (owner, endorser, bystander, None):
        assert "accepted" in listed_states(client, str(module), headers)
    assert listed_states(client, str(module)) == {"accepted"}
    # an API key that is not valid is refused rather than treated as anonymous
    bad = client.get(
        "/api/v1/endorsements",
        params={"target": str(module)},
        headers={"Authorization": "Bearer obk_00000000_nope"},
    )
    assert bad.status_code == 401
