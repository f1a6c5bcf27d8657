"""CLR 2.0: structure, the embedded credentials exactly as stored, and signatures that verify."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from _fixtures import api_key, issue, make_issuer, make_module
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.models import Credential, Issuer
from app.programs import clr_service, service
from app.programs.schemas import ProgramCreate
from app.signing_keys import service as keys
from app.verification.service import verify_document
from openbadges.keys import PublicKey
from openbadges.proofs import data_integrity

LEARNER = "clr.learner@example.com"


@pytest.fixture
def setup(session: Session, context: AppContext) -> tuple[Issuer, Any, list[uuid.UUID]]:
    issuer = make_issuer(session, context)
    modules = [make_module(session, issuer, f"CLR module {i}") for i in range(2)]
    data = ProgramCreate.model_validate(
        {
            "name": {"en": "Translation Program", "zh-CN": "翻译项目"},
            "description": {"en": "Program", "zh-CN": "项目"},
            "defaultLanguage": "en",
            "modules": [str(m) for m in modules],
            "achievement": {
                "achievementType": "LearningProgram",
                "criteria": {"narrative": "All."},
            },
        }
    )
    program = service.create_program(session, context, issuer.id, data, actor="t")
    return issuer, program, modules


def outer_proof_verifies(session: Session, issuer: Issuer, document: dict[str, Any]) -> bool:
    key = keys.require_active_key(session, issuer.id, keys.DATA_INTEGRITY)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    return data_integrity.verify_proof(
        unsigned, document["proof"], PublicKey.from_jwk(key.public_jwk)
    )


def test_clr_bundles_stored_credentials_and_verifies(
    session: Session, context: AppContext, setup: tuple[Issuer, Any, list[uuid.UUID]]
) -> None:
    issuer, program, modules = setup
    stored = [issue(session, context, issuer, m, email=LEARNER) for m in modules]
    progress = service.learner_progress(session, context, program, LEARNER)
    assert progress.awarded
    program_row = session.get(Credential, progress.program_credential_id)
    assert program_row is not None

    clr = clr_service.signed_clr(session, context, program, LEARNER)

    assert clr["@context"][:3] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert "partial" not in clr
    subject = clr["credentialSubject"]
    assert subject["type"] == ["ClrSubject"]
    assert subject["identifier"][0]["identityType"] == "emailAddress"
    embedded = subject["verifiableCredential"]
    expected_modules = sorted((json.loads(r.document) for r in stored), key=lambda d: d["id"])
    assert sorted(embedded[:2], key=lambda d: d["id"]) == expected_modules  # exactly as stored
    assert embedded[2] == json.loads(program_row.document)  # the program credential last
    program_achievement = embedded[2]["credentialSubject"]["achievement"]["id"]
    module_achievements = [d["credentialSubject"]["achievement"]["id"] for d in embedded[:2]]
    assert {a["id"] for a in subject["achievement"]} == {*module_achievements, program_achievement}
    assert subject["association"] == [
        {
            "type": "Association",
            "associationType": "isChildOf",
            "sourceId": m,
            "targetId": program_achievement,
        }
        for m in module_achievements
    ]
    assert clr["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert outer_proof_verifies(session, issuer, clr)
    tampered = copy.deepcopy(clr)
    tampered["credentialSubject"]["association"][0]["associationType"] = "isPeerOf"
    assert not outer_proof_verifies(session, issuer, tampered)
    for embedded in subject["verifiableCredential"]:
        report = verify_document(session, embedded)
        assert report.verified, [c for c in report.checks if c.status != "valid"]


def test_partial_clr_before_the_award_and_revoked_ones_left_out(
    session: Session, context: AppContext, setup: tuple[Issuer, Any, list[uuid.UUID]]
) -> None:
    issuer, program, modules = setup
    issue(session, context, issuer, modules[0], email=LEARNER)
    clr = clr_service.signed_clr(session, context, program, LEARNER, "zh-CN")
    assert clr["partial"] is True
    assert clr["name"].startswith("翻译项目")
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 1
    assert outer_proof_verifies(session, issuer, clr)


def test_clr_api_needs_the_issuer_key_and_a_known_learner(
    client: TestClient,
    session: Session,
    context: AppContext,
    setup: tuple[Issuer, Any, list[uuid.UUID]],
) -> None:
    issuer, program, modules = setup
    issue(session, context, issuer, modules[0], email=LEARNER)
    url = f"/api/v1/programs/{program.id}/learners/{LEARNER}/clr"
    assert client.get(url).status_code == 401
    headers = api_key(session, issuer)
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vc+ld+json")
    missing = client.get(
        f"/api/v1/programs/{program.id}/learners/nobody@example.com/clr", headers=headers
    )
    assert missing.status_code == 404
    other = make_issuer(session, context, name="Other U", zh="其他大学")
    assert client.get(url, headers=api_key(session, other)).status_code == 404
