"""Offers (issue 12, items 3 and 6): the issuer's API, the learner's claim page and its
downloads, dead links (410), tenant scope, and copies bound to a holder's DID that verify and
follow their original's status."""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from api_support import IssuerHandle, assert_problem, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from app.core.log_redaction import redact
from app.main import create_app
from app.models import Credential, Offer, OutboxEvent
from app.offers import service as offers
from app.offers import wallets
from app.verification.service import resolver_for
from openbadges import verify as ob_verify
from openbadges.did import did_key
from openbadges.keys import SigningKey
from openbadges.status_list import read_status

HTML = {"Accept": "text/html"}
BASE = "https://badges.test"


@dataclass(frozen=True)
class FakeLinks:
    """What ``app.wallets.service.wallet_links`` answers, fixed for the page tests."""

    oid4vci_offer_url: str = (
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fbadges.test%2Fx"
    )
    lcw_url: str = "https://lcw.app/request?request=%7B%7D"
    dcc_url: str = "dccrequest://request?request=%7B%7D"
    expires_at: datetime = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    tx_code_sent: bool = False


@pytest.fixture
def fake_wallets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page and the API with a stand-in for the wallet protocols (their own tests are in
    tests/app/wallets): what is shown of wallet links is tested here, not how they are made."""
    module = SimpleNamespace(wallet_links=lambda _session, _context, _offer: FakeLinks())
    monkeypatch.setattr(wallets, "_module", lambda: module)


def _offer(client: TestClient, issuer: IssuerHandle, credential_id: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/credentials/{credential_id}/offers", headers=issuer.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _token(offer: dict[str, Any]) -> str:
    return str(offer["claimUrl"]).rsplit("/", 1)[1]


@pytest.fixture
def credential(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> dict[str, Any]:
    return issue(
        client,
        issuer,
        achievement["id"],
        proof="both",
        results=[{"resultDescription": achievement["resultDescription"][0]["id"], "value": "A"}],
        evidence=[{"id": "https://portfolio.example.org/cat", "name": "CAT project"}],
        creditsEarned=3,
        term="Autumn 2026",
    )


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_wallets")
def test_create_list_and_revoke(
    client: TestClient, issuer: IssuerHandle, credential: dict[str, Any]
) -> None:
    before = datetime.now(UTC)
    offer = _offer(client, issuer, credential["id"])
    token = _token(offer)
    assert offer["claimUrl"] == f"{BASE}/claim/{token}"
    assert len(token) >= 43  # 32 random bytes
    assert offer["credentialId"] == credential["id"]
    assert offer["oid4vciOffer"].startswith("openid-credential-offer://")
    assert offer["lcwLink"].startswith("https://lcw.app/request?request=")
    assert offer["dccLink"].startswith("dccrequest://")
    assert set(offer["qr"]) == {"claim", "oid4vci", "lcw"}
    assert all(v.startswith("data:image/svg+xml") for v in offer["qr"].values())
    expires = datetime.fromisoformat(offer["expiresAt"])
    assert timedelta(days=29, hours=23) < expires - before < timedelta(days=30, minutes=1)

    listed = client.get(f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers)
    assert listed.status_code == 200
    assert [o["id"] for o in listed.json()] == [offer["id"]]
    assert listed.json()[0]["state"] == "active"
    assert token not in listed.text
    assert "claimUrl" not in listed.text

    path = f"/api/v1/credentials/{credential['id']}/offers/{offer['id']}"
    revoked = client.post(f"{path}/revoke", headers=issuer.headers)
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    again = client.delete(path, headers=issuer.headers)  # repeatable; DELETE is the same
    assert again.json()["revokedAt"] == revoked.json()["revokedAt"]
    assert client.get(f"/claim/{token}", headers=HTML).status_code == 410


def test_without_wallets_the_offer_still_has_its_claim_link(
    client: TestClient,
    issuer: IssuerHandle,
    credential: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wallets, "_module", lambda: None)
    offer = _offer(client, issuer, credential["id"])
    assert offer["oid4vciOffer"] is None
    assert offer["qr"]["oid4vci"] is None
    page = client.get(f"/claim/{_token(offer)}", headers=HTML)
    assert page.status_code == 200
    assert "Wallet delivery is not available" in page.text


def test_another_issuer_sees_nothing(
    client: TestClient,
    issuer: IssuerHandle,
    other_issuer: IssuerHandle,
    credential: dict[str, Any],
) -> None:
    offer = _offer(client, issuer, credential["id"])
    base = f"/api/v1/credentials/{credential['id']}/offers"
    assert_problem(client.post(base, headers=other_issuer.headers), 404)
    assert_problem(client.get(base, headers=other_issuer.headers), 404)
    assert_problem(client.post(f"{base}/{offer['id']}/revoke", headers=other_issuer.headers), 404)
    assert_problem(client.delete(f"{base}/{offer['id']}", headers=other_issuer.headers), 404)
    # the offer is named under its own credential only
    other = issue(client, issuer, credential["achievementId"])
    wrong = f"/api/v1/credentials/{other['id']}/offers/{offer['id']}/revoke"
    assert_problem(client.post(wrong, headers=issuer.headers), 404)
    assert client.get(f"/claim/{_token(offer)}", headers=HTML).status_code == 200


def test_a_revoked_credential_is_not_offered(
    client: TestClient, issuer: IssuerHandle, credential: dict[str, Any]
) -> None:
    client.post(f"/api/v1/credentials/{credential['id']}/revoke", headers=issuer.headers)
    response = client.post(f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers)
    assert_problem(response, 409)


# --- the claim page ----------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_wallets")
def test_claim_page_in_english(
    client: TestClient, issuer: IssuerHandle, credential: dict[str, Any]
) -> None:
    token = _token(_offer(client, issuer, credential["id"]))
    page = client.get(f"/claim/{token}?lang=en", headers=HTML)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in page.headers["x-robots-tag"]
    text = page.text
    assert '<html lang="en">' in text
    assert "Your credential is ready" in text
    assert "Your credential does not expire with the link" in text
    assert "Data Analysis with Python" in text
    # a QR code per wallet protocol, and its button
    qr = re.findall(r'<img class="wallet__qr" src="(data:image/svg\+xml;base64,[^"]+)"', text)
    assert len(qr) == 2
    assert 'href="openid-credential-offer://' in text
    assert 'href="https://lcw.app/request?request=' in text
    assert 'href="dccrequest://' in text
    # LinkedIn's add-to-profile link, prefilled; its certUrl is the public page, never the claim
    linkedin = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', text)
    assert linkedin is not None
    query = parse_qs(urlsplit(linkedin.group(1).replace("&amp;", "&")).query)
    assert query["certUrl"] == [f"{BASE}/credentials/{credential['id']}"]
    assert query["name"] == ["Data Analysis with Python"]
    assert query["organizationName"][0].startswith("Test University")
    assert query["issueYear"] == [str(datetime.now(UTC).year)]
    assert token not in linkedin.group(1)
    # downloads through the token
    for name in ("credential.json", "credential.jwt", "badge.png", "badge.svg"):
        assert f'href="/claim/{token}/{name}"' in text


@pytest.mark.usefixtures("fake_wallets")
def test_claim_page_in_chinese(
    client: TestClient, issuer: IssuerHandle, credential: dict[str, Any]
) -> None:
    token = _token(_offer(client, issuer, credential["id"]))
    page = client.get(f"/claim/{token}", headers={**HTML, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "您的证书已准备好" in page.text
    assert "证书本身不会随链接过期" in page.text
    assert "添加到数字钱包" in page.text
    assert page.text.count('class="wallet__qr"') == 2


def test_downloads_are_the_offered_credential_only(
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    credential: dict[str, Any],
) -> None:
    other = issue(client, issuer, achievement["id"], proof="both")
    token = _token(_offer(client, issuer, credential["id"]))
    signed = client.get(f"/credentials/{credential['id']}.json")
    got = client.get(f"/claim/{token}/credential.json")
    assert got.status_code == 200
    assert got.content == signed.content  # byte for byte as signed
    assert got.headers["content-type"].startswith("application/vc+ld+json")
    assert "attachment" in got.headers["content-disposition"]
    assert other["id"] not in got.text
    assert client.get(f"/claim/{token}/credential.jwt").text == credential["jwt"]
    assert client.get(f"/claim/{token}/badge.png").content.startswith(b"\x89PNG")
    assert client.get(f"/claim/{token}/secrets.txt").status_code == 404
    assert client.get(f"/claim/{'x' * 43}", headers=HTML).status_code == 404
    assert client.get(f"/claim/{'x' * 43}/credential.json").status_code == 404


def _expire(engine: Engine, offer_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(Offer)
            .where(Offer.id == uuid.UUID(offer_id))
            .values(expires_at=datetime.now(UTC) - timedelta(days=1))
        )


def test_expired_link_is_a_410_page_in_the_learners_language(
    client: TestClient, issuer: IssuerHandle, credential: dict[str, Any], engine: Engine
) -> None:
    offer = _offer(client, issuer, credential["id"])
    _expire(engine, offer["id"])
    token = _token(offer)
    page = client.get(f"/claim/{token}?lang=zh-CN", headers=HTML)
    assert page.status_code == 410
    assert "此领取链接已失效" in page.text
    assert "不受影响" in page.text  # the credential itself is not
    assert f"{BASE}/credentials/{credential['id']}" in page.text
    english = client.get(f"/claim/{token}?lang=en", headers=HTML)
    assert "The link expired on" in english.text
    assert_problem(client.get(f"/claim/{token}"), 410)  # a client that is no browser
    assert client.get(f"/claim/{token}/credential.json").status_code == 410
    listed = client.get(f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers)
    assert listed.json()[0]["state"] == "expired"


def test_revoked_link_is_a_410_page(
    client: TestClient, issuer: IssuerHandle, credential: dict[str, Any]
) -> None:
    offer = _offer(client, issuer, credential["id"])
    path = f"/api/v1/credentials/{credential['id']}/offers/{offer['id']}/revoke"
    client.post(path, headers=issuer.headers)
    page = client.get(f"/claim/{_token(offer)}?lang=en", headers=HTML)
    assert page.status_code == 410
    assert "The issuer withdrew this link" in page.text
    assert "still exists and is still valid" in page.text
    assert f"{BASE}/credentials/{credential['id']}" in page.text


def test_a_revoked_credential_says_so_behind_a_dead_link(
    client: TestClient, issuer: IssuerHandle, credential: dict[str, Any], engine: Engine
) -> None:
    offer = _offer(client, issuer, credential["id"])
    client.post(f"/api/v1/credentials/{credential['id']}/revoke", headers=issuer.headers)
    _expire(engine, offer["id"])
    page = client.get(f"/claim/{_token(offer)}?lang=en", headers=HTML)
    assert page.status_code == 410
    assert "was revoked by" in page.text
    assert "still valid" not in page.text


def test_claim_tokens_never_reach_the_log() -> None:
    line = 'GET /claim/AbC-d_9xyz/credential.json HTTP/1.1" 200'
    assert "AbC-d_9xyz" not in redact(line)


# --- binding to a holder -----------------------------------------------------------------------


def _holder() -> str:
    return did_key(SigningKey.generate().public_key)


def _bind(app: FastAPI, offer_id: str, holder: str, **options: Any) -> uuid.UUID:
    with app.state.sessionmaker() as session:
        offer = offers.find_offer(session, uuid.UUID(offer_id))
        assert offer is not None
        copy = offers.bind_to_holder(
            session, app.state.context, offer, holder, protocol="oid4vci", **options
        )
        session.commit()
        return copy.id


def test_claim_page_views_are_rate_limited_per_address(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, credential: dict[str, Any]
) -> None:
    """A view writes nothing (tests/app/wallets/test_lazy_links.py), but a script guessing or
    reloading links is still held to a learner's pace."""
    limited = create_app(
        app.state.settings.model_copy(update={"claim_rate_per_minute": 6, "claim_burst": 2})
    )
    offer = _offer(client, issuer, credential["id"])
    path = offer["claimUrl"].removeprefix(BASE)
    try:
        with TestClient(limited, raise_server_exceptions=False) as other:
            answers = [other.get(path, headers=HTML) for _ in range(3)]
    finally:
        limited.state.engine.dispose()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["retry-after"]) >= 1
    assert answers[2].headers["content-type"].startswith("text/html")  # a page, for a browser


def test_a_leaked_claim_link_reaches_no_more_wallets_than_allowed(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, credential: dict[str, Any]
) -> None:
    """A forwarded e-mail must not mint credentials for whoever has it: the link binds at most
    ``claim_max_holders`` DIDs (a learner's phone and laptop); the same DID again is fine, and
    revoking a copy frees its place."""
    offer = _offer(client, issuer, credential["id"])
    allowed = app.state.context.settings.claim_max_holders
    copies = [_bind(app, offer["id"], _holder()) for _ in range(allowed)]
    with pytest.raises(offers.NotOfferable):
        _bind(app, offer["id"], _holder())
    revoked = client.post(f"/api/v1/credentials/{copies[0]}/revoke", headers=issuer.headers)
    assert revoked.status_code == 200, revoked.text
    _bind(app, offer["id"], _holder())  # a place was freed


def test_bound_copy_names_the_holder_and_verifies(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    credential: dict[str, Any],
    engine: Engine,
) -> None:
    offer = _offer(client, issuer, credential["id"])
    holder = _holder()
    copy_id = _bind(app, offer["id"], holder)
    read = client.get(f"/api/v1/credentials/{copy_id}", headers=issuer.headers).json()
    document = read["credential"]
    original = credential["credential"]
    assert document["credentialSubject"]["id"] == holder
    assert "identifier" not in document["credentialSubject"]  # no e-mail of the original
    assert document["id"] != original["id"]
    assert (
        document["credentialStatus"]["statusListIndex"]
        != (original["credentialStatus"]["statusListIndex"])
    )
    for key in ("result", "creditsEarned", "term"):
        assert document["credentialSubject"][key] == original["credentialSubject"][key]
    assert (
        document["credentialSubject"]["achievement"] == original["credentialSubject"]["achievement"]
    )
    assert document["evidence"] == original["evidence"]
    assert document["validFrom"] == original["validFrom"]
    assert read["boundFromId"] == credential["id"]
    assert read["recipient"]["did"] == holder
    with app.state.sessionmaker() as session:
        report = ob_verify.verify(document, resolver=resolver_for(session))
    assert report.verified, [c for c in report.checks if c.status != "valid"]
    # the offer is claimed, the event recorded
    listed = client.get(f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers)
    assert listed.json()[0]["claimedAt"] is not None
    with engine.connect() as connection:
        event = connection.execute(
            select(OutboxEvent.data).where(
                OutboxEvent.type == "credential.claimed",
                OutboxEvent.subject_id == uuid.UUID(credential["id"]),
            )
        ).scalar_one()
    assert event == {
        "credentialId": credential["id"],
        "achievementId": event["achievementId"],
        "issuerId": issuer.id,
        "offerId": offer["id"],
        "holder": holder,
        "protocol": "oid4vci",
        "boundCredentialId": str(copy_id),
    }
    # the same holder again: the same copy; another holder: another copy
    assert _bind(app, offer["id"], holder) == copy_id
    second = _bind(app, offer["id"], _holder())
    assert second != copy_id
    read_original = client.get(f"/api/v1/credentials/{credential['id']}", headers=issuer.headers)
    assert sorted(read_original.json()["boundCopyIds"]) == sorted([str(copy_id), str(second)])
    assert read["boundCopyIds"] == []
    # a copy is not offered again, and its page says what it is without naming the original
    # (whose subject is the learner's e-mail identity: a verifier must not join the two)
    response = client.post(f"/api/v1/credentials/{copy_id}/offers", headers=issuer.headers)
    assert_problem(response, 409)
    page = client.get(f"/credentials/{copy_id}?lang=en", headers=HTML)
    assert "This copy is bound to a holder" in page.text
    assert credential["id"] not in page.text


def test_a_dead_link_or_a_revoked_credential_binds_nothing(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    credential: dict[str, Any],
    engine: Engine,
) -> None:
    offer = _offer(client, issuer, credential["id"])
    client.post(f"/api/v1/credentials/{credential['id']}/revoke", headers=issuer.headers)
    with pytest.raises(offers.NotOfferable):
        _bind(app, offer["id"], _holder())
    _expire(engine, offer["id"])
    with pytest.raises(offers.OfferGone):
        _bind(app, offer["id"], _holder())
    with engine.connect() as connection:
        copies = connection.execute(
            select(Credential.id).where(Credential.bound_from_id == uuid.UUID(credential["id"]))
        ).all()
    assert copies == []


def _served_bit(client: TestClient, document: dict[str, Any], purpose: str) -> int:
    entries = document["credentialStatus"]
    entries = entries if isinstance(entries, list) else [entries]
    entry = next(e for e in entries if e["statusPurpose"] == purpose)
    status_list = client.get(entry["statusListCredential"].removeprefix(BASE)).json()
    return read_status(status_list, entry)


def _document(client: TestClient, credential_id: uuid.UUID | str) -> dict[str, Any]:
    response = client.get(f"/credentials/{credential_id}.json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    return document


def test_copies_are_revoked_with_their_original(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, credential: dict[str, Any]
) -> None:
    offer = _offer(client, issuer, credential["id"])
    copies = [_bind(app, offer["id"], _holder()) for _ in range(2)]
    assert [_served_bit(client, _document(client, c), "revocation") for c in copies] == [0, 0]
    revoked = client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "issued in error"},
        headers=issuer.headers,
    )
    assert revoked.status_code == 200
    assert [_served_bit(client, _document(client, c), "revocation") for c in copies] == [1, 1]
    for copy_id in copies:
        read = client.get(f"/api/v1/credentials/{copy_id}", headers=issuer.headers).json()
        assert read["status"] == "revoked"
        with app.state.sessionmaker() as session:
            report = ob_verify.verify(read["credential"], resolver=resolver_for(session))
        assert not report.verified
        assert {c.id: c.status for c in report.checks}["revocation"] == "invalid"


def test_copies_follow_suspension_and_bulk_changes(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers, suspensionEnabled=True)
    achievement = make_achievement(client, issuer)
    original = issue(client, issuer, achievement["id"])
    copy_id = _bind(app, _offer(client, issuer, original["id"])["id"], _holder())
    copy = _document(client, copy_id)
    assert len(copy["credentialStatus"]) == 2  # a suspension entry like its original's
    base = f"/api/v1/credentials/{original['id']}"
    client.post(f"{base}/suspend", headers=issuer.headers)
    assert _served_bit(client, copy, "suspension") == 1
    client.post(f"{base}/unsuspend", headers=issuer.headers)
    assert _served_bit(client, copy, "suspension") == 0
    bulk = client.post(
        "/api/v1/credentials/bulk-revoke",
        json={"credentialIds": [original["id"]], "reason": "bulk"},
        headers=issuer.headers,
    )
    assert bulk.json()["changed"] == [original["id"]]
    assert _served_bit(client, copy, "revocation") == 1


# --- the learner page --------------------------------------------------------------------------


def test_learner_page_opens_a_claim_page(
    app: FastAPI, issuer: IssuerHandle, credential: dict[str, Any]
) -> None:
    client = TestClient(app, base_url=BASE, raise_server_exceptions=False)  # https: the cookie
    link = client.post(
        "/api/v1/learners/link", json={"email": "learner@example.org"}, headers=issuer.headers
    )
    assert link.status_code == 201, link.text
    opened = client.get(link.json()["url"].removeprefix(BASE), headers=HTML)
    assert opened.status_code == 200
    assert f'action="/learners/me/credentials/{credential["id"]}/offer' in opened.text
    answer = client.post(
        f"/learners/me/credentials/{credential['id']}/offer?lang=zh-CN",
        headers={"Origin": BASE},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/claim/")
    page = client.get(location, headers=HTML)
    assert page.status_code == 200
    assert "您的证书已准备好" in page.text
    foreign = client.post(
        f"/learners/me/credentials/{credential['id']}/offer",
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    unknown = client.post(
        f"/learners/me/credentials/{uuid.uuid4()}/offer", headers={"Origin": BASE}
    )
    assert unknown.status_code == 404


def test_a_revocation_racing_a_bind_revokes_the_copy(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    credential: dict[str, Any],
    engine: Engine,
) -> None:
    """The bind holds the original's row lock until it commits: the revocation waits, then
    finds the copy (PostgreSQL; SQLite serialises writers whole)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    offer = _offer(client, issuer, credential["id"])
    answers: list[int] = []
    with app.state.sessionmaker() as session:
        row = offers.find_offer(session, uuid.UUID(offer["id"]))
        assert row is not None
        copy = offers.bind_to_holder(session, app.state.context, row, _holder(), protocol="vcapi")
        revoke = threading.Thread(
            target=lambda: answers.append(
                client.post(
                    f"/api/v1/credentials/{credential['id']}/revoke", headers=issuer.headers
                ).status_code
            )
        )
        revoke.start()
        revoke.join(timeout=0.5)
        assert revoke.is_alive()  # waiting for the bind's lock
        session.commit()
        copy_id = copy.id
    revoke.join(timeout=30)
    assert answers == [200]
    assert _served_bit(client, _document(client, copy_id), "revocation") == 1


def test_a_suspended_credential_is_not_called_valid_behind_a_dead_link(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    issuer = make_issuer(client, admin_headers, suspensionEnabled=True)
    credential = issue(client, issuer, make_achievement(client, issuer)["id"])
    offer = _offer(client, issuer, credential["id"])
    client.post(f"/api/v1/credentials/{credential['id']}/suspend", headers=issuer.headers)
    _expire(engine, offer["id"])
    page = client.get(f"/claim/{_token(offer)}?lang=en", headers=HTML)
    assert page.status_code == 410
    assert "has suspended it" in page.text
    assert "still valid" not in page.text
