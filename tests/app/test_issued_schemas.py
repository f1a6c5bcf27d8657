"""Everything the service signs passes 1EdTech's official OB 3.0 JSON Schemas (bundled in
``openbadges.schemas``), and the CLR the CLR 2.0 data model (the derived schema).

1EdTech's validator checks the plain JSON schema of a credential; what fails there is what other
platforms will stumble on, so these tests use the strict reading (no single-value leniency).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from api_support import IssuerHandle, make_achievement, make_issuer
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbadges import schemas

LOCAL = "https://badges.test"

_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")
_moment = st.sampled_from(
    ["2026-01-01T00:00:00Z", "2026-03-15T08:30:00+08:00", "2025-12-31T23:59:59.5Z"]
)
_recipient = st.one_of(
    st.fixed_dictionaries({"email": st.just("learner@example.org")}, optional={"name": _text}),
    st.fixed_dictionaries(
        {"did": st.just("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")},
        optional={"email": st.just("learner@example.org")},
    ),
)
_evidence = st.fixed_dictionaries(
    {},
    optional={
        "id": st.just("https://portfolio.example.org/work/1"),
        "narrative": _text,
        "name": _text,
        "description": _text,
        "genre": _text,
        "audience": _text,
    },
).filter(bool)
_request = st.fixed_dictionaries(
    {"recipient": _recipient, "proof": st.sampled_from(["data-integrity", "jwt", "both"])},
    optional={
        "evidence": st.lists(_evidence, max_size=2),
        "results": st.just([{"resultDescription": "RESULT", "value": "A"}]),
        "validFrom": _moment,
        "validUntil": st.just("2030-01-01T00:00:00Z"),
        "creditsEarned": st.floats(0, 100, allow_nan=False).map(lambda f: round(f, 2)),
        "term": _text,
        "activityStartDate": st.just("2025-09-01T00:00:00Z"),
        "activityEndDate": st.just("2025-12-20T00:00:00Z"),
        "source": st.fixed_dictionaries(
            {"id": st.just("https://mentors.example.org/ada"), "name": _text}
        ),
    },
)


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _signed_forms(client: TestClient, issued: dict[str, Any]) -> list[dict[str, Any]]:
    """Each signed form of an issued credential, as the public URLs serve it."""
    forms = []
    if issued["proofFormat"] in ("data-integrity", "both"):
        response = client.get(issued["jsonUrl"].removeprefix(LOCAL))
        assert response.status_code == 200, response.text
        forms.append(response.json())
    if issued["jwtUrl"]:
        response = client.get(issued["jwtUrl"].removeprefix(LOCAL))
        assert response.status_code == 200, response.text
        forms.append(_payload(response.text.strip()))  # OB 3.0: the JWT payload is the VC
    assert forms
    return forms


def _assert_valid(document: dict[str, Any], kind: schemas.SchemaKind) -> None:
    errors = schemas.validate(document, kind)
    assert errors == [], [str(e) for e in errors]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=_request)
def test_every_issued_credential_passes_the_official_schema(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], request: dict[str, Any]
) -> None:
    body = {**request, "achievementId": achievement["id"]}
    if "results" in body:
        description = achievement["resultDescription"][0]["id"]
        body["results"] = [{**body["results"][0], "resultDescription": description}]
    response = client.post("/api/v1/credentials", json=body, headers=issuer.headers)
    assert response.status_code == 201, response.text
    for document in _signed_forms(client, response.json()):
        _assert_valid(document, "achievement_credential")


def test_every_issuer_algorithm_signs_schema_valid_jwts(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    for alg in ("RS256", "ES256", "EdDSA"):
        issuer = make_issuer(client, admin_headers, jwtAlgorithm=alg)
        achievement = make_achievement(client, issuer)
        body = {
            "achievementId": achievement["id"],
            "recipient": {"email": "learner@example.org"},
            "proof": "both",
        }
        response = client.post("/api/v1/credentials", json=body, headers=issuer.headers)
        assert response.status_code == 201, response.text
        for document in _signed_forms(client, response.json()):
            _assert_valid(document, "achievement_credential")


def test_a_suspension_entry_is_the_only_departure_from_the_schema(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    """An issuer that turns suspension on gets two status entries (VC 2.0 allows it; OB 3.0's
    ``credentialStatus`` is [0..1]): that member, and nothing else, is outside the schema."""
    issuer = make_issuer(client, admin_headers, suspensionEnabled=True)
    achievement = make_achievement(client, issuer)
    body = {"achievementId": achievement["id"], "recipient": {"email": "learner@example.org"}}
    response = client.post("/api/v1/credentials", json=body, headers=issuer.headers)
    assert response.status_code == 201, response.text
    (document,) = _signed_forms(client, response.json())
    errors = schemas.validate(document, "achievement_credential")
    assert [e.path for e in errors] == ["$.credentialStatus"]
    document["credentialStatus"] = document["credentialStatus"][0]
    _assert_valid(document, "achievement_credential")


def test_endorsements_pass_the_official_endorsement_schema(
    client: TestClient,
    issuer: IssuerHandle,
    other_issuer: IssuerHandle,
    achievement: dict[str, Any],
) -> None:
    body = {
        "targetType": "achievement",
        "targetId": achievement["id"],
        "comment": {"en": "Industry-ready graduates.", "zh-CN": "毕业生具备行业能力。"},
    }
    response = client.post("/api/v1/endorsements", json=body, headers=other_issuer.headers)
    assert response.status_code == 201, response.text
    rows = response.json()
    assert len(rows) == 2
    for row in rows:
        public = client.get(row["url"].removeprefix(LOCAL))
        assert public.status_code == 200, public.text
        _assert_valid(public.json(), "endorsement_credential")
        listed = public.json()["credentialSchema"][0]["id"]
        assert schemas.kind_for_url(listed) == "endorsement_credential"


def test_the_clr_passes_the_clr_2_0_schema(client: TestClient, issuer: IssuerHandle) -> None:
    modules = [make_achievement(client, issuer, name=f"Module {i}") for i in range(2)]
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Translation Program", "zh-CN": "翻译项目"},
            "description": {"en": "Program", "zh-CN": "项目"},
            "defaultLanguage": "en",
            "modules": [m["id"] for m in modules],
            "achievement": {
                "achievementType": "LearningProgram",
                "criteria": {"narrative": "All."},
            },
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    learner = "clr.schema@example.org"
    for module in modules:
        body = {"achievementId": module["id"], "recipient": {"email": learner}}
        issued = client.post("/api/v1/credentials", json=body, headers=issuer.headers)
        assert issued.status_code == 201, issued.text
    clr = client.get(
        f"/api/v1/programs/{program.json()['id']}/learners/{learner}/clr", headers=issuer.headers
    )
    assert clr.status_code == 200, clr.text
    document = clr.json()
    assert len(document["credentialSubject"]["verifiableCredential"]) == 3  # two modules + award
    _assert_valid(document, "clr_credential")
