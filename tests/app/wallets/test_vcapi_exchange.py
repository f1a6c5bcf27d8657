"""The VC-API exchange as the DCC Learner Credential Wallet runs it, against a live server:
``POST {}`` → DIDAuthentication request → signed presentation → the credential, bound to the
wallet's did:key; single use, expiring, challenge and domain checked."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from scripted_wallet import ScriptedWallet
from sqlalchemy import update
from wallet_support import Live

from app.models import WalletExchange
from openbadges.keys import KeyType, SigningKey


def refused(response: httpx.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("suite", "vc_context"),
    [
        ("Ed25519Signature2020", "https://www.w3.org/ns/credentials/v2"),
        ("Ed25519Signature2020", "https://www.w3.org/2018/credentials/v1"),  # older LCW
        ("eddsa-rdfc-2022", "https://www.w3.org/ns/credentials/v2"),
    ],
)
def test_lcw_receives_a_bound_credential(
    live: Live, tmp_path: Path, suite: str, vc_context: str
) -> None:
    offer = live.offer()
    wallet, key = ScriptedWallet(live.http), SigningKey.generate(KeyType.ED25519)
    url, request = wallet.start_exchange(offer["lcwLink"])
    assert request["interact"]["service"][0]["serviceEndpoint"] == url  # older LCW posts there
    assert request["domain"] == urlsplit(live.url).netloc
    presentation = wallet.did_auth(
        key,
        challenge=request["challenge"],
        domain=request["domain"],
        suite=suite,
        vc_context=vc_context,
    )
    response = live.http.post(url, json={"verifiablePresentation": presentation})
    assert response.status_code == 200, response.text
    (credential,) = response.json()["verifiablePresentation"]["verifiableCredential"]
    assert credential["credentialSubject"]["id"] == f"did:key:{key.public_key.multibase}"
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential))
    result = subprocess.run(
        [sys.executable, "-m", "openbadges", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_links_name_the_same_exchange(live: Live) -> None:
    offer = live.offer()
    lcw, dcc = offer["lcwLink"], offer["dccLink"]
    assert dcc.startswith("dccrequest://request?request=")
    assert parse_qs(urlsplit(lcw).query) == parse_qs(urlsplit(dcc).query)
    message = json.loads(parse_qs(urlsplit(lcw).query)["request"][0])
    assert message["credentialRequestOrigin"] == live.url
    invitation = live.http.get(
        message["protocols"]["vcapi"], headers={"Accept": "application/json"}
    )
    assert invitation.json() == {"protocols": {"vcapi": message["protocols"]["vcapi"]}}


def test_an_exchange_works_once(live: Live) -> None:
    wallet, key = ScriptedWallet(live.http), SigningKey.generate(KeyType.ED25519)
    offer = live.offer()
    url, request = wallet.start_exchange(offer["lcwLink"])
    presentation = wallet.did_auth(key, challenge=request["challenge"], domain=request["domain"])
    assert live.http.post(url, json={"verifiablePresentation": presentation}).status_code == 200
    refused(live.http.post(url, json={"verifiablePresentation": presentation}), 410)
    # the exchange URL is the offer's: a wallet starting again gets a new challenge, and the
    # answer to the completed one is still refused
    again = live.http.post(url, json={})
    assert again.status_code == 200, again.text
    assert again.json()["verifiablePresentationRequest"]["challenge"] != request["challenge"]
    refused(live.http.post(url, json={"verifiablePresentation": presentation}), 400)
    assert live.wallet_rows(offer["id"])["wallet_exchanges"] == 2


def test_the_open_exchange_is_reused(live: Live) -> None:
    """A wallet that posts ``{}`` again (a retry) gets the same challenge: one row."""
    offer = live.offer()
    url = ScriptedWallet.exchange_url(offer["lcwLink"])
    first = live.http.post(url, json={}).json()["verifiablePresentationRequest"]
    second = live.http.post(url, json={}).json()["verifiablePresentationRequest"]
    assert first["challenge"] == second["challenge"]
    assert live.wallet_rows(offer["id"])["wallet_exchanges"] == 1


def test_an_expired_exchange(live: Live) -> None:
    wallet, key = ScriptedWallet(live.http), SigningKey.generate(KeyType.ED25519)
    offer = live.offer()
    url, request = wallet.start_exchange(offer["lcwLink"])
    with live.engine.begin() as connection:
        connection.execute(
            update(WalletExchange)
            .where(WalletExchange.offer_id == uuid.UUID(offer["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    presentation = wallet.did_auth(key, challenge=request["challenge"], domain=request["domain"])
    refused(live.http.post(url, json={"verifiablePresentation": presentation}), 410)
    _, fresh = wallet.start_exchange(offer["lcwLink"])  # starting again works
    assert fresh["challenge"] != request["challenge"]


def test_a_dead_offer_ends_its_exchange(live: Live) -> None:
    wallet, key = ScriptedWallet(live.http), SigningKey.generate(KeyType.ED25519)
    offer = live.offer()
    url, request = wallet.start_exchange(offer["lcwLink"])
    revoked = live.http.post(
        f"/api/v1/credentials/{offer['credentialId']}/offers/{offer['id']}/revoke",
        headers=offer["headers"],
    )
    assert revoked.status_code == 200, revoked.text
    presentation = wallet.did_auth(key, challenge=request["challenge"], domain=request["domain"])
    refused(live.http.post(url, json={"verifiablePresentation": presentation}), 410)
    refused(live.http.post(url, json={}), 410)
    refused(live.http.get(url, headers={"Accept": "application/json"}), 410)


def test_exchange_and_offer_references_are_not_interchangeable(live: Live) -> None:
    offer = live.offer()
    uri = parse_qs(urlsplit(offer["oid4vciOffer"]).query)["credential_offer_uri"][0]
    token = parse_qs(urlsplit(uri).query)["token"][0]
    refused(live.http.post("/wallets/vcapi/exchange", params={"token": token}, json={}), 404)


def test_an_unknown_exchange(live: Live) -> None:
    refused(live.http.post("/wallets/vcapi/exchange?token=nope", json={}), 404)
    refused(live.http.post("/wallets/vcapi/exchange", json={}), 422, "query.token")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"challenge": "another-challenge"}, "$.verifiablePresentation.proof.challenge"),
        ({"domain": "evil.example"}, "$.verifiablePresentation.proof.domain"),
    ],
)
def test_wrong_challenge_or_domain(live: Live, change: dict[str, str], field: str) -> None:
    wallet, key = ScriptedWallet(live.http), SigningKey.generate(KeyType.ED25519)
    url, request = wallet.start_exchange(live.offer()["lcwLink"])
    args = {"challenge": request["challenge"], "domain": request["domain"], **change}
    presentation = wallet.did_auth(key, **args)
    refused(live.http.post(url, json={"verifiablePresentation": presentation}), 400, field)
    # the exchange is still open for the right answer
    good = wallet.did_auth(key, challenge=request["challenge"], domain=request["domain"])
    assert live.http.post(url, json={"verifiablePresentation": good}).status_code == 200


def test_a_presentation_signed_by_another_key(live: Live) -> None:
    wallet = ScriptedWallet(live.http)
    key, thief = SigningKey.generate(KeyType.ED25519), SigningKey.generate(KeyType.ED25519)
    url, request = wallet.start_exchange(live.offer()["lcwLink"])
    presentation = wallet.did_auth(key, challenge=request["challenge"], domain=request["domain"])
    stolen = wallet.did_auth(thief, challenge=request["challenge"], domain=request["domain"])
    presentation["proof"]["proofValue"] = stolen["proof"]["proofValue"]
    refused(
        live.http.post(url, json={"verifiablePresentation": presentation}),
        400,
        "$.verifiablePresentation.proof.proofValue",
    )
    presentation = wallet.did_auth(key, challenge=request["challenge"], domain=request["domain"])
    presentation["holder"] = f"did:key:{thief.public_key.multibase}"
    refused(
        live.http.post(url, json={"verifiablePresentation": presentation}),
        400,
        "$.verifiablePresentation.holder",
    )


def test_a_presentation_without_authentication_proof(live: Live) -> None:
    wallet = ScriptedWallet(live.http)
    url, _ = wallet.start_exchange(live.offer()["lcwLink"])
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
    }
    refused(
        live.http.post(url, json={"verifiablePresentation": unsigned}),
        400,
        "$.verifiablePresentation.proof",
    )
    refused(live.http.post(url, json={"verifiablePresentation": "x"}), 400)
