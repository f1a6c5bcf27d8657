"""OpenID4VCI refusals, each with the error code 1.0 final gives it: replayed, expired and
unknown codes and wrong transaction codes (``invalid_grant``), missing or unexpected ones
(``invalid_request``), stale, unknown and spent nonces (``invalid_nonce``), proofs for another
audience or badly typed or signed (``invalid_proof``), tokens (``invalid_token``)."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from scripted_wallet import PRE_AUTH, HolderKey, Oid4vciSession, ScriptedWallet
from sqlalchemy import select, update
from wallet_support import Live

from app.models import Offer, WalletGrant, WalletNonce
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


@pytest.fixture
def tx_code_on(live: Live) -> Iterator[None]:
    """The live server with ``BADGES_WALLET_TX_CODE`` on (its context is read per request)."""
    context = live.app.state.context
    settings = context.settings.model_copy(update={"wallet_tx_code": True})
    live.app.state.context = dataclasses.replace(context, settings=settings)
    try:
        yield
    finally:
        live.app.state.context = context


def code_of(session: Oid4vciSession) -> str:
    return str(session.offer["grants"][PRE_AUTH]["pre-authorized_code"])


def test_a_code_works_once(wallet: ScriptedWallet, session: Oid4vciSession) -> None:
    assert wallet.token(session).status_code == 200
    assert error_of(wallet.token(session)) == "invalid_grant"


def test_a_used_code_stays_used_and_the_offer_gives_a_new_one(
    live: Live, wallet: ScriptedWallet
) -> None:
    """The offer URI lives as long as the offer (a learner's second wallet scans the same QR
    code); each pre-authorized code it hands out works once."""
    link = live.offer()["oid4vciOffer"]
    session = wallet.open_offer(link)
    assert wallet.token(session).status_code == 200
    again = wallet.open_offer(link)
    assert code_of(again) != code_of(session)
    assert error_of(wallet.token(session)) == "invalid_grant"  # the used one, still
    assert wallet.token(again).status_code == 200


def test_a_wallet_fetching_the_offer_again_gets_the_same_code(
    live: Live, wallet: ScriptedWallet
) -> None:
    offer = live.offer()
    first = wallet.open_offer(offer["oid4vciOffer"])
    second = wallet.open_offer(offer["oid4vciOffer"])
    assert code_of(first) == code_of(second)
    assert live.wallet_rows(offer["id"])["wallet_grants"] == 1


def test_concurrent_fetches_of_an_offer_mint_one_code(live: Live) -> None:
    offer = live.offer()
    codes: list[str] = []
    barrier = threading.Barrier(6)

    def fetch() -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            codes.append(code_of(ScriptedWallet(http).open_offer(offer["oid4vciOffer"])))

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 6
    assert len(set(codes)) == 1
    assert live.wallet_rows(offer["id"])["wallet_grants"] == 1


def test_an_expired_code_is_replaced_on_the_next_fetch(live: Live, wallet: ScriptedWallet) -> None:
    offer = live.offer()
    session = wallet.open_offer(offer["oid4vciOffer"])
    with live.engine.begin() as connection:
        connection.execute(
            update(WalletGrant)
            .where(WalletGrant.code_hash == digest(code_of(session)))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert error_of(wallet.token(session)) == "invalid_grant"
    fresh = wallet.open_offer(offer["oid4vciOffer"])
    assert code_of(fresh) != code_of(session)
    assert wallet.token(fresh).status_code == 200


def test_a_nearly_expired_code_is_not_handed_out_again(live: Live, wallet: ScriptedWallet) -> None:
    offer = live.offer()
    session = wallet.open_offer(offer["oid4vciOffer"])
    with live.engine.begin() as connection:
        connection.execute(
            update(WalletGrant)
            .where(WalletGrant.code_hash == digest(code_of(session)))
            .values(expires_at=datetime.now(UTC) + timedelta(seconds=5))
        )
    assert code_of(wallet.open_offer(offer["oid4vciOffer"])) != code_of(session)


def test_new_codes_per_offer_are_bounded(live: Live, wallet: ScriptedWallet) -> None:
    """Each used code lets the next fetch mint another, up to MINTS_PER_WINDOW an hour; then
    429 with Retry-After (a leaked link cannot have the learner sent code after code)."""
    offer = live.offer()
    for _ in range(wallets.MINTS_PER_WINDOW):
        assert wallet.token(wallet.open_offer(offer["oid4vciOffer"])).status_code == 200
    query = parse_qs(urlsplit(offer["oid4vciOffer"]).query)
    refused = live.http.get(query["credential_offer_uri"][0])
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) > 60


def test_unknown_and_tampered_references_are_404(live: Live, wallet: ScriptedWallet) -> None:
    uri = parse_qs(urlsplit(live.offer()["oid4vciOffer"]).query)["credential_offer_uri"][0]
    token = parse_qs(urlsplit(uri).query)["token"][0]
    assert len(token) == 64
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "x" * 64, "unknown", token + "\n"):
        response = live.http.get("/wallets/oid4vci/offer", params={"token": bad})
        assert response.status_code in (404, 422), (bad, response.text)
    # the exchange's reference for the same offer is no offer reference
    lcw = live.offer()["lcwLink"]
    exchange = ScriptedWallet.exchange_url(lcw)
    other = parse_qs(urlsplit(exchange).query)["token"][0]
    response = live.http.get("/wallets/oid4vci/offer", params={"token": other})
    assert response.status_code == 404


def test_a_revoked_or_expired_offer_has_no_offer_document(
    live: Live, wallet: ScriptedWallet
) -> None:
    offer = live.offer()
    revoked = live.http.post(
        f"/api/v1/credentials/{offer['credentialId']}/offers/{offer['id']}/revoke",
        headers=offer["headers"],
    )
    assert revoked.status_code == 200, revoked.text
    uri = parse_qs(urlsplit(offer["oid4vciOffer"]).query)["credential_offer_uri"][0]
    assert live.http.get(uri).status_code == 404
    expired = live.offer()
    with live.engine.begin() as connection:
        connection.execute(
            update(Offer)
            .where(Offer.id == uuid.UUID(expired["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    uri = parse_qs(urlsplit(expired["oid4vciOffer"]).query)["credential_offer_uri"][0]
    assert live.http.get(uri).status_code == 404
    assert live.wallet_rows(offer["id"])["wallet_grants"] == 0


def test_a_code_never_outlives_its_offer(live: Live, wallet: ScriptedWallet) -> None:
    offer = live.offer()
    soon = datetime.now(UTC) + timedelta(seconds=40)
    with live.engine.begin() as connection:
        connection.execute(
            update(Offer).where(Offer.id == uuid.UUID(offer["id"])).values(expires_at=soon)
        )
    session = wallet.open_offer(offer["oid4vciOffer"])
    with live.app.state.sessionmaker() as db:
        grant = db.scalar(
            select(WalletGrant).where(WalletGrant.code_hash == digest(code_of(session)))
        )
        assert grant is not None
        assert grant.expires_at <= soon


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
    with live.engine.begin() as connection:
        connection.execute(
            update(WalletGrant)
            .where(WalletGrant.code_hash == digest(code_of(session)))
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


@pytest.mark.usefixtures("tx_code_on")
def test_transaction_code(live: Live, wallet: ScriptedWallet) -> None:
    offer = live.offer()
    credential_id = offer["credentialId"]
    assert live.sent_codes(credential_id) == []  # making the offer sent nothing
    session = wallet.open_offer(offer["oid4vciOffer"])
    (tx_code,) = live.sent_codes(credential_id)  # the wallet's fetch sent it
    assert len(tx_code) == 6
    assert offer["txCodeSent"] is True
    described = session.offer["grants"][PRE_AUTH]
    assert described["tx_code"]["input_mode"] == "numeric"
    assert error_of(wallet.token(session)) == "invalid_request"  # missing
    wrong = "000000" if tx_code != "000000" else "111111"
    assert error_of(wallet.token(session, tx_code=wrong)) == "invalid_grant"
    # the wallet fetches the offer again while it waits for the learner: no second e-mail
    assert code_of(wallet.open_offer(offer["oid4vciOffer"])) == code_of(session)
    assert live.sent_codes(credential_id) == [tx_code]
    assert wallet.token(session, tx_code=tx_code).status_code == 200


@pytest.mark.usefixtures("tx_code_on")
def test_each_grant_sends_its_code_once(live: Live, wallet: ScriptedWallet) -> None:
    offer = live.offer()
    credential_id = offer["credentialId"]
    first = wallet.open_offer(offer["oid4vciOffer"])
    wallet.open_offer(offer["oid4vciOffer"])
    (code1,) = live.sent_codes(credential_id)
    assert wallet.token(first, tx_code=code1).status_code == 200
    second = wallet.open_offer(offer["oid4vciOffer"])  # a second wallet: a new grant
    wallet.open_offer(offer["oid4vciOffer"])
    codes = live.sent_codes(credential_id)
    assert len(codes) == 2
    code2 = next((code for code in codes if code != code1), code1)  # (a repeat is possible)
    assert wallet.token(second, tx_code=code2).status_code == 200
    assert live.wallet_rows(offer["id"])["wallet_grants"] == 2


@pytest.mark.usefixtures("tx_code_on")
def test_five_wrong_transaction_codes_burn_the_code(live: Live, wallet: ScriptedWallet) -> None:
    offer = live.offer()
    session = wallet.open_offer(offer["oid4vciOffer"])
    (tx_code,) = live.sent_codes(offer["credentialId"])
    wrong = "000000" if tx_code != "000000" else "111111"
    for _ in range(5):
        assert error_of(wallet.token(session, tx_code=wrong)) == "invalid_grant"
    assert error_of(wallet.token(session, tx_code=tx_code)) == "invalid_grant"
    # the next fetch mints a new code and e-mails its own transaction code
    fresh = wallet.open_offer(offer["oid4vciOffer"])
    assert code_of(fresh) != code_of(session)
    assert len(live.sent_codes(offer["credentialId"])) == 2


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


# --- a fresh c_nonce with a key proof refusal (Draft 13 §7.3.2) ---------------------------------


def _draft13_request(holder: HolderKey, aud: str, nonce: str | None) -> dict[str, Any]:
    """A Draft 13 credential request: ``format`` and one ``proof``."""
    return {
        "format": "ldp_vc",
        "credential_definition": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
        },
        "proof": {"proof_type": "jwt", "jwt": holder.proof(aud=aud, nonce=nonce)},
    }


def _fresh_nonce_of(response: httpx.Response, error: str) -> str:
    assert error_of(response) == error
    body = response.json()
    assert isinstance(body["c_nonce"], str)
    assert body["c_nonce"]
    assert body["c_nonce_expires_in"] == int(wallets.NONCE_TTL.total_seconds())
    return str(body["c_nonce"])


def test_a_draft13_wallet_retries_with_the_nonce_of_the_refusal(
    live: Live, wallet: ScriptedWallet, authorized: Oid4vciSession
) -> None:
    """A Draft 13 wallet whose proof names a stale nonce gets invalid_proof (Draft 13 has no
    invalid_nonce) with a fresh c_nonce, and succeeds with it: no new token, no nonce
    endpoint."""
    holder, aud = HolderKey(), authorized.offer["credential_issuer"]
    stale = wallet.nonce(authorized)
    with live.engine.begin() as connection:
        connection.execute(
            update(WalletNonce)
            .where(WalletNonce.nonce == stale)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    refused = wallet.credential_request(authorized, _draft13_request(holder, aud, stale))
    fresh = _fresh_nonce_of(refused, "invalid_proof")
    assert fresh != stale
    accepted = wallet.credential_request(authorized, _draft13_request(holder, aud, fresh))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["credential"]["credentialSubject"]["id"] == holder.did


def test_a_draft13_request_without_a_proof_gets_a_nonce(
    wallet: ScriptedWallet, authorized: Oid4vciSession
) -> None:
    """The Draft 13 way to learn the first c_nonce: a request without proof (§7.3.2)."""
    holder, aud = HolderKey(), authorized.offer["credential_issuer"]
    body = _draft13_request(holder, aud, None)
    del body["proof"]
    fresh = _fresh_nonce_of(wallet.credential_request(authorized, body), "invalid_proof")
    accepted = wallet.credential_request(authorized, _draft13_request(holder, aud, fresh))
    assert accepted.status_code == 200, accepted.text


def test_a_1_0_refusal_keeps_its_code_and_carries_a_usable_nonce(
    wallet: ScriptedWallet, authorized: Oid4vciSession
) -> None:
    holder = HolderKey()
    refused = wallet.request_credential(authorized, holder, LDP, nonce="made-up")
    fresh = _fresh_nonce_of(refused, "invalid_nonce")  # 1.0's code, unchanged
    bad_aud = wallet.request_credential(authorized, holder, LDP, aud="https://elsewhere.example")
    _fresh_nonce_of(bad_aud, "invalid_proof")
    assert wallet.request_credential(authorized, holder, LDP, nonce=fresh).status_code == 200


def test_other_refusals_carry_no_nonce(
    live: Live, wallet: ScriptedWallet, authorized: Oid4vciSession
) -> None:
    proof = HolderKey().proof(aud=authorized.offer["credential_issuer"], nonce="x")
    body = {"credential_configuration_id": "Nope", "proofs": {"jwt": [proof]}}
    response = wallet.credential_request(authorized, body)
    assert error_of(response) == "unknown_credential_configuration"
    assert "c_nonce" not in response.json()
    response = live.http.post(
        authorized.issuer_metadata["credential_endpoint"],
        json={"credential_configuration_id": LDP, "proofs": {"jwt": [proof]}},
    )
    assert error_of(response, 401) == "invalid_token"
    assert "c_nonce" not in response.json()
