"""Issuing in the learner's language: `language` picks the achievement's version in it.

OB 3.0 names are single strings, so a bilingual achievement is two achievements linked by
`related` with `inLanguage`; the credential must carry the version the learner reads, with
`inLanguage` and a `related` link to the other.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.app.api_support import (
    IssuerHandle,
    assert_problem,
    issue,
    make_achievement,
    make_issuer,
    row_counts,
)


def _bilingual(client: TestClient, issuer: IssuerHandle) -> tuple[dict[str, Any], dict[str, Any]]:
    en = make_achievement(client, issuer, name="Machine Translation Post-Editing", inLanguage="en")
    zh = make_achievement(client, issuer, name="机器翻译译后编辑", inLanguage="zh-CN")
    for this, other in ((en, zh), (zh, en)):
        response = client.patch(
            f"/api/v1/achievements/{this['id']}",
            json={"related": [{"id": other["url"], "inLanguage": other["inLanguage"]}]},
            headers=issuer.headers,
        )
        assert response.status_code == 200, response.text
    return en, zh


def _signed(client: TestClient, credential: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = client.get(f"/credentials/{credential['id']}.json").json()
    return document


def test_the_learners_language_picks_the_version(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    en, zh = _bilingual(client, issuer)
    chinese = _signed(client, issue(client, issuer, en["id"], language="zh-CN"))
    achievement = chinese["credentialSubject"]["achievement"]
    assert achievement["name"] == "机器翻译译后编辑"
    assert achievement["inLanguage"] == "zh-CN"
    assert [r["inLanguage"] for r in achievement["related"]] == ["en"]
    english = _signed(client, issue(client, issuer, zh["id"], language="en"))
    assert english["credentialSubject"]["achievement"]["name"] == "Machine Translation Post-Editing"
    # "zh" matches the zh-CN version; no language keeps the achievement asked for
    assert (
        _signed(client, issue(client, issuer, en["id"], language="zh"))["name"]
        == "机器翻译译后编辑"
    )
    assert _signed(client, issue(client, issuer, zh["id"]))["name"] == "机器翻译译后编辑"


def test_a_language_without_a_version_is_refused_naming_the_field(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    issuer = make_issuer(client, admin_headers)
    en, _ = _bilingual(client, issuer)
    before = row_counts(engine)
    response = client.post(
        "/api/v1/credentials",
        json={"achievementId": en["id"], "recipient": {"email": "a@example.org"}, "language": "fr"},
        headers=issuer.headers,
    )
    assert_problem(response, 422, "$.language")
    assert row_counts(engine) == before
    bad_tag = client.post(
        "/api/v1/credentials",
        json={"achievementId": en["id"], "recipient": {"email": "a@example.org"}, "language": "!!"},
        headers=issuer.headers,
    )
    assert bad_tag.status_code == 422


def test_a_one_way_related_version_is_issued_in_the_learners_language(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    """Only the English version names the French one: the request is retargeted once, from the
    achievement the caller named (the French version need not link back)."""
    issuer = make_issuer(client, admin_headers)
    french = make_achievement(client, issuer, name="Post-édition")
    english = make_achievement(
        client,
        issuer,
        name="Post-editing",
        inLanguage="en",
        related=[{"id": french["url"], "inLanguage": "fr"}],
    )
    response = client.post(
        "/api/v1/credentials",
        json={
            "achievementId": english["id"],
            "recipient": {"email": "a@example.org"},
            "language": "fr",
        },
        headers=issuer.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["achievementId"] == french["id"]


def test_the_language_is_matched_among_the_named_achievements_versions_only(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    """fr-CA among English's versions {en, fr} picks fr (same primary subtag), even when fr
    itself names a fr-CA version: the chosen version is not retargeted again."""
    issuer = make_issuer(client, admin_headers)
    quebec = make_achievement(client, issuer, name="Post-édition (Québec)", inLanguage="fr-CA")
    french = make_achievement(client, issuer, name="Post-édition", inLanguage="fr")
    english = make_achievement(
        client,
        issuer,
        name="Post-editing",
        inLanguage="en",
        related=[{"id": french["url"], "inLanguage": "fr"}],
    )
    linked = client.patch(
        f"/api/v1/achievements/{french['id']}",
        json={
            "related": [
                {"id": english["url"], "inLanguage": "en"},
                {"id": quebec["url"], "inLanguage": "fr-CA"},
            ]
        },
        headers=issuer.headers,
    )
    assert linked.status_code == 200, linked.text
    response = client.post(
        "/api/v1/credentials",
        json={
            "achievementId": english["id"],
            "recipient": {"email": "a@example.org"},
            "language": "fr-CA",
        },
        headers=issuer.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["achievementId"] == french["id"]
