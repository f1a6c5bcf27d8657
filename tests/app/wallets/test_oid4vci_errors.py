"""OpenID4VCI refusals, each with the error code 1.0 final gives it: replayed, expired and
unknown codes and wrong transaction codes (``invalid_grant``), missing or unexpected ones
(``invalid_request``), stale, unknown and spent nonces (``invalid_nonce``), proofs for another
audience or badly typed or signed (``invalid_proof``), tokens (``invalid_token``)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from scripted_wallet import HolderKey, Oid4vciSession, ScriptedWallet
from sqlalchemy import update
from wallet_support import Live

from app.models import WalletGrant, WalletNonce
from app.offers import service as offers
from app.wallets import service as wallets
from app.wallets.bearer import digest

LDP = "OpenBadgeCredential_ldp_vc"


def error_of(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "no-store" in response.headers["cache-control"]
    body: dict[str, Any] = response.json()
    assert body["error_description"]
    return str(body["error"])


@pytest.fixture
def wallet(live: Live) -> ScriptedWallet:
    return ScriptedWallet(live.http)


@pytest.fixture
def session(live: Live, wallet: ScriptedWallet) -> Oid4vciSession:
    return wallet.open_offer(live.offer()["oid4vciOffer"])


def links_with_tx_code(live: Live) -> wallets.WalletLinks:
    offer_id = uuid.UUID(live.offer()["id"])
    with live.app.state.sessionmaker() as db:
        offer = offers.find_offer(db, offer_id)
        assert offer is not None
        links = wallets.wallet_links(db, live.app.state.context, offer, tx_code=True)
        db.commit()
    return links


def test_a_code_works_once(wallet: ScriptedWallet, session: Oid4vciSession) -> None:
    assert wallet.token(session).status_code == 200
    assert error_of(wallet.token(session)) == "invalid_grant"


def test_the_offer_uri_is_gone_once_used(live: Live, wallet: ScriptedWallet) -> None:
    link = live.offer()["oid4vciOffer"]
    session = wallet.open_offer(link)
    assert wallet.token(session).status_code == 200
    with pytest.raises(AssertionError):
        wallet.open_offer(link)


def test_concurrent_token_requests_get_one_token(live: Live, wallet: ScriptedWallet) -> None:
    session = wallet.open_offer(live.offer()["oid4vciOffer"])
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def redeem() -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            statuses.append(ScriptedWallet(http).token(session).status_code)

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 400, 400, 400, 400, 400]


def test_an_expired_code(live: Live, wallet: ScriptedWallet, session: Oid4vciSession) -> None:
    code = session.offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    with live.engine.begin() as connection:
        connection.execute(
            update(WalletGrant)
            .where(WalletGrant.code_hash == digest(code["pre-authorized_code"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert error_of(wallet.token(session)) == "invalid_grant"


def test_an_unknown_code_and_grant_type(wallet: ScriptedWallet, session: Oid4vciSession) -> None:
    assert error_of(wallet.token(session, code="not-a-code")) == "invalid_grant"
    response = wallet.http.post(session.token_endpoint, data={"grant_type": "authorization_code"})
    assert error_of(response) == "unsupported_grant_type"
    response = wallet.http.post(
        session.token_endpoint,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code"},
    )
    assert error_of(response) == "invalid_request"


def test_a_revoked_offer_stops_its_code(live: Live, wallet: ScriptedWallet) -> None:
    offer = live.offer()
    session = wallet.open_offer(offer["oid4vciOffer"])
    revoked = live.http.post(
        f"/api/v1/credentials/{offer['credentialId']}/offers/{offer['id']}/revoke",
        headers=offer["headers"],
    )
    assert revoked.status_code == 200, revoked.text
    assert error_of(wallet.token(session)) == "invalid_grant"


def test_transaction_code(live: Live, wallet: ScriptedWallet) -> None:
    links = links_with_tx_code(live)
    assert links.tx_code is not None
    assert len(links.tx_code) == 6
    assert links.tx_code_sent
    session = wallet.open_offer(links.oid4vci_offer_url)
    described = session.offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert described["tx_code"]["input_mode"] == "numeric"
    assert error_of(wallet.token(session)) == "invalid_request"  # missing
    wrong = "000000" if links.tx_code != "000000" else "111111"
    assert error_of(wallet.token(session, tx_code=wrong)) == "invalid_grant"
    assert wallet.token(session, tx_code=links.tx_code).status_code == 200


def test_five_wrong_transaction_codes_burn_the_code(live: Live, wallet: ScriptedWallet) -> None:
    links = links_with_tx_code(live)
    session = wallet.open_offer(links.oid4vci_offer_url)
    wrong = "000000" if links.tx_code != "000000" else "111111"
    for _ in range(5):
        assert error_of(wallet.token(session, tx_code=wrong)) == "invalid_grant"
    assert error_of(wallet.token(session, tx_code=links.tx_code)) == "invalid_grant"


def test_an_unexpected_transaction_code(wallet: ScriptedWallet, session: Oid4vciSession) -> None:
    assert error_of(wallet.token(session, tx_code="123456")) == "invalid_request"


@pytest.fixture
def authorized(wallet: ScriptedWallet, session: Oid4vciSession) -> Oid4vciSession:
    assert wallet.token(session).status_code == 200
    return session


def test_nonce_endpoint_answers_no_store(
    wallet: ScriptedWallet, authorized: Oid4vciSession
) -> None:
    first, second = wallet.nonce(authorized), wallet.nonce(authorized)
    assert first != second


def test_a_stale_nonce(live: Live, wallet: ScriptedWallet, authorized: Oid4vciSession) -> None:
    nonce = wallet.nonce(authorized)
    with live.engine.begin() as connection:
        connection.execute(
            update(WalletNonce)
            .where(WalletNonce.nonce == nonce)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    response = wallet.request_credential(authorized, HolderKey(), LDP, nonce=nonce)
    assert error_of(response) == "invalid_nonce"


def test_an_unknown_nonce(wallet: ScriptedWallet, authorized: Oid4vciSession) -> None:
    response = wallet.request_credential(authorized, HolderKey(), LDP, nonce="made-up")
    assert error_of(response) == "invalid_nonce"


def test_a_nonce_works_once(wallet: ScriptedWallet, authorized: Oid4vciSession) -> None:
    holder = HolderKey()
    nonce = wallet.nonce(authorized)
    assert wallet.request_credential(authorized, holder, LDP, nonce=nonce).status_code == 200
    response = wallet.request_credential(authorized, holder, LDP, nonce=nonce)
    assert error_of(response) == "invalid_nonce"


def test_a_proof_without_nonce(wallet: ScriptedWallet, authorized: Oid4vciSession) -> None:
    proof = HolderKey().proof(aud=authorized.offer["credential_issuer"], nonce=None)
    body = {"credential_configuration_id": LDP, "proofs": {"jwt": [proof]}}
    assert error_of(wallet.credential_request(authorized, body)) == "invalid_proof"


@pytest.mark.parametrize(
    "args",
    [
        {"aud": "https://another-issuer.example"},
        {"typ": "JWT"},
        {"iat": 1_000_000_000},
        {"alg": "ES256"},  # an Ed25519 key's proof claiming ES256
    ],
    ids=["wrong-aud", "wrong-typ", "old-iat", "alg-mismatch"],
)
def test_invalid_proofs(
    wallet: ScriptedWallet, authorized: Oid4vciSession, args: dict[str, Any]
) -> None:
    holder = HolderKey()
    if "alg" in args:  # a P-256 key signs (ES256) but kid names an Ed25519 did:key
        holder, other = HolderKey(kind="P-256"), HolderKey()
        args = {"kid": f"{other.did_key}#{other.did_key.removeprefix('did:key:')}"}
    response = wallet.request_credential(authorized, holder, LDP, **args)
    assert error_of(response) == "invalid_proof"


def test_a_forged_signature(wallet: ScriptedWallet, authorized: Oid4vciSession) -> None:
    proof = HolderKey().proof(
        aud=authorized.offer["credential_issuer"], nonce=wallet.nonce(authorized)
    )
    head, body, signature = proof.split(".")
    forged = f"{head}.{body}.{signature[:-4]}AAAA"
    request = {"credential_configuration_id": LDP, "proofs": {"jwt": [forged]}}
    assert error_of(wallet.credential_request(authorized, request)) == "invalid_proof"


def test_another_key_cannot_use_a_bound_token(
    wallet: ScriptedWallet, authorized: Oid4vciSession
) -> None:
    assert wallet.request_credential(authorized, HolderKey(), LDP).status_code == 200
    response = wallet.request_credential(authorized, HolderKey(kind="P-256"), LDP)
    assert error_of(response) == "credential_request_denied"


def test_request_errors(wallet: ScriptedWallet, authorized: Oid4vciSession) -> None:
    holder = HolderKey()
    proof = holder.proof(aud=authorized.offer["credential_issuer"], nonce=wallet.nonce(authorized))
    cases = [
        (
            {"credential_configuration_id": "Nope", "proofs": {"jwt": [proof]}},
            "unknown_credential_configuration",
        ),
        ({"proofs": {"jwt": [proof]}}, "invalid_credential_request"),
        ({"credential_configuration_id": LDP}, "invalid_proof"),
        ({"credential_configuration_id": LDP, "proofs": {"jwt": [proof, proof]}}, "invalid_proof"),
        (
            {"credential_identifier": "x", "proofs": {"jwt": [proof]}},
            "unknown_credential_identifier",
        ),
    ]
    for body, code in cases:
        assert error_of(wallet.credential_request(authorized, body)) == code, body


def test_access_tokens(live: Live, wallet: ScriptedWallet, authorized: Oid4vciSession) -> None:
    body = {"credential_configuration_id": LDP, "proofs": {"jwt": ["x.y.z"]}}
    endpoint = authorized.issuer_metadata["credential_endpoint"]
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        response = live.http.post(endpoint, json=body, headers=headers)
        assert error_of(response, 401) == "invalid_token"
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
