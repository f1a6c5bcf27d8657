"""The wallet protocols' work: links for an offer, OpenID4VCI token/nonce/credential, and the
VC-API exchange. Every public function is one unit of work and commits.

Protocol references: OpenID4VCI 1.0 final
(https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html) and the VC-API
exchanges (https://w3c-ccg.github.io/vc-api/#exchanges) as the DCC Learner Credential Wallet
uses them. Which Draft 13 shapes are accepted is said where they are handled.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.core.errors import AppError, NotFound
from app.core.ratelimit import RateLimited
from app.mail import service as mail
from app.mail.settings import transport as mail_transport
from app.models import (
    Credential,
    Offer,
    WalletAccessToken,
    WalletExchange,
    WalletGrant,
    WalletNonce,
)
from app.offers import service as offers
from app.wallets import bearer, metadata
from app.wallets import repository as repo
from app.wallets.did_auth import authenticate
from app.wallets.errors import (
    OAuthError,
    invalid_grant,
    invalid_nonce,
    invalid_proof,
    invalid_request,
    invalid_token,
)
from app.wallets.key_proof import verify_key_proof

logger = logging.getLogger("app.wallets")

ACCESS_TOKEN_TTL = timedelta(minutes=10)
NONCE_TTL = timedelta(minutes=5)
TX_CODE_ATTEMPTS = 5
"""Wrong transaction codes a pre-authorized code survives; the fifth burns it (10^6 codes)."""
REUSE_MARGIN = timedelta(seconds=60)
"""A live grant or exchange with less time left than this (or half the code lifetime) is not
handed out again when a new one would live longer."""
MINT_WINDOW = timedelta(hours=1)
MINTS_PER_WINDOW = 6
"""New grants, and new exchanges, one offer may have per hour: a learner's wallets with a
retry or two; a leaked link gets the learner at most this many code e-mails an hour."""
VC_V2 = "https://www.w3.org/ns/credentials/v2"


@dataclass(frozen=True, slots=True)
class WalletLinks:
    """What the claim page and the offers API show for one offer: the same on every call, and
    made without writing anything (the wallet's arrival mints its codes)."""

    oid4vci_offer_url: str
    """``openid-credential-offer://?credential_offer_uri=…`` (QR code and link)."""
    lcw_url: str
    """``https://lcw.app/request?request=…`` naming the VC-API exchange."""
    dcc_url: str
    """The same request as ``dccrequest://request?request=…`` (the app's own scheme)."""
    expires_at: datetime
    """When the links stop working: the offer's expiry (each code a wallet gets from them
    lives ``BADGES_WALLET_CODE_TTL_S`` at most)."""
    tx_code_sent: bool
    """The wallet will ask for a transaction code, e-mailed to the learner when the wallet
    opens the offer (``BADGES_WALLET_TX_CODE``, e-mail on, an address to send it to)."""


class OfferUnavailable(AppError):
    """The offer has expired or was withdrawn: no wallet links for it."""

    status, title, code = 410, "Gone", "offer_unavailable"


class ExchangeGone(AppError):
    """The exchange was completed or has expired: start again from the claim page."""

    status, title, code = 410, "Gone", "exchange_gone"


def _offer_live(offer: Offer, now: datetime) -> bool:
    return offer.revoked_at is None and offer.expires_at > now


def _expiry(context: AppContext, offer: Offer, now: datetime) -> datetime:
    return min(now + timedelta(seconds=context.settings.wallet_code_ttl_s), offer.expires_at)


def _reusable(expires_at: datetime, context: AppContext, offer: Offer, now: datetime) -> bool:
    """A live grant or exchange is handed out again unless it is about to expire (less than
    :data:`REUSE_MARGIN`, or half the code lifetime, left) and a new one would live longer."""
    if expires_at <= now:
        return False
    margin = min(REUSE_MARGIN, timedelta(seconds=context.settings.wallet_code_ttl_s / 2))
    return expires_at - now >= margin or expires_at >= _expiry(context, offer, now)


def _check_mint_budget(
    session: Session,
    model: type[WalletGrant] | type[WalletExchange],
    offer_id: uuid.UUID,
    now: datetime,
) -> None:
    """At most :data:`MINTS_PER_WINDOW` new grants (or exchanges) per offer per
    :data:`MINT_WINDOW`: whoever holds a leaked wallet link cannot have the learner sent a
    stream of transaction codes (a grant is re-minted after it was used, burnt or expired)."""
    count, first = repo.minted_since(session, model, offer_id, now - MINT_WINDOW)
    if count >= MINTS_PER_WINDOW:
        wait = (first + MINT_WINDOW - now).total_seconds() if first is not None else 60.0
        raise RateLimited(
            f"This offer was opened by wallets {count} times in the last hour; "
            f"try again in {max(1, round(wait))} s.",
            retry_after_s=max(wait, 1.0),
        )


def _lcw_request(base_url: str, exchange_url: str) -> str:
    """The URL-encoded JSON of an exchange invitation (CHAPI "protocols" message)."""
    message = {"credentialRequestOrigin": base_url, "protocols": {"vcapi": exchange_url}}
    return quote(json.dumps(message, separators=(",", ":")), safe="")


def _tx_code_wanted(session: Session, context: AppContext, offer: Offer) -> bool:
    """Whether a grant minted now would ask for an e-mailed code (the issuer's e-mail quota
    aside, which only the sending can tell)."""
    if not context.settings.wallet_tx_code or mail_transport(context.settings) is None:
        return False
    credential = session.get(Credential, offer.credential_id)
    return credential is not None and credential.recipient_email is not None


def wallet_links(session: Session, context: AppContext, offer: Offer) -> WalletLinks:
    """The wallet links of a live offer. Reads only: nothing is written and nothing is sent,
    so a claim page may be viewed (or the offers API called) any number of times.

    The links carry the offer's reference (:func:`app.wallets.bearer.offer_reference`, one per
    protocol), the same on every call; the rows a wallet needs are made when it comes:
    :func:`credential_offer` mints the pre-authorized code (and e-mails the transaction
    code), :func:`exchange_step` opens the VC-API exchange.
    """
    now = bearer.now()
    if not _offer_live(offer, now):
        raise OfferUnavailable("This offer has expired or was withdrawn.")
    base = context.settings.base_url
    kek = context.settings.kek_bytes()
    offer_uri = (
        f"{base}{metadata.OFFER_PATH}?token={bearer.offer_reference(kek, 'oid4vci', offer.id)}"
    )
    request = _lcw_request(
        base, exchange_url(context, bearer.offer_reference(kek, "vcapi", offer.id))
    )
    return WalletLinks(
        oid4vci_offer_url=metadata.offer_link(offer_uri),
        lcw_url=f"https://lcw.app/request?request={request}",
        dcc_url=f"dccrequest://request?request={request}",
        expires_at=offer.expires_at,
        tx_code_sent=_tx_code_wanted(session, context, offer),
    )


# --- OpenID4VCI ---------------------------------------------------------------------------------


def _offer_of(
    session: Session,
    context: AppContext,
    purpose: bearer.Purpose,
    reference: str | None,
    *,
    lock: bool = False,
) -> Offer | None:
    """The offer a link's reference names (row-locked with ``lock``, to mint under); None for
    a reference that is not ours. The caller checks that the offer is still live."""
    offer_id = bearer.offer_of_reference(context.settings.kek_bytes(), purpose, reference)
    if offer_id is None:
        return None
    return repo.lock_offer(session, offer_id) if lock else _find_offer(session, offer_id)


def _mint_grant(
    session: Session, context: AppContext, offer: Offer, now: datetime, *, tx_code: bool | None
) -> WalletGrant:
    """A new pre-authorized code for ``offer``; with a transaction code when asked for and it
    can be e-mailed now (OpenID4VCI 1.0 §4.1.1: another channel than the QR code, so a code
    photographed off a screen is not enough). Otherwise the grant asks for none."""
    _check_mint_budget(session, WalletGrant, offer.id, now)
    expires_at = _expiry(context, offer, now)
    wanted = context.settings.wallet_tx_code if tx_code is None else tx_code
    tx = bearer.new_tx_code() if wanted else None
    if tx is not None and not mail.queue_wallet_code(
        session, context, offer.issuer_id, offer.credential_id, tx, expires_at
    ):
        tx = None
    repo.purge_expired(session, now)
    grant_id = uuid.uuid4()
    code = bearer.pre_authorized_code(context.settings.kek_bytes(), grant_id)
    grant = WalletGrant(
        id=grant_id,
        offer_id=offer.id,
        issuer_id=offer.issuer_id,
        code_hash=bearer.digest(code),
        tx_code_hash=bearer.digest(tx) if tx else None,
        expires_at=expires_at,
    )
    repo.add(session, grant)
    return grant


def credential_offer(
    session: Session, context: AppContext, reference: str, *, tx_code: bool | None = None
) -> dict[str, Any]:
    """The Credential Offer behind a ``credential_offer_uri`` (404 for an unknown reference or
    an offer that expired or was withdrawn); commits.

    This is when the pre-authorized code is minted: the offer's live grant is handed out again
    while it has time left (:func:`_reusable`; a wallet may fetch the offer more than once, and
    the learner has its transaction code already), else a new one is made and its transaction
    code e-mailed, so each grant sends one e-mail. New grants are bounded per offer
    (:func:`_check_mint_budget`, 429). ``tx_code`` overrides ``BADGES_WALLET_TX_CODE``.
    """
    offer = _offer_of(session, context, "oid4vci", reference, lock=True)
    now = bearer.now()
    if offer is None or not _offer_live(offer, now):
        raise NotFound("This credential offer is unknown, has expired or was withdrawn.")
    grant = repo.live_grant(session, offer.id, now)
    if grant is None or not _reusable(grant.expires_at, context, offer, now):
        grant = _mint_grant(session, context, offer, now, tx_code=tx_code)
    code = bearer.pre_authorized_code(context.settings.kek_bytes(), grant.id)
    tx_asked = grant.tx_code_hash is not None
    session.commit()
    return metadata.credential_offer(context.settings.base_url, code, tx_code=tx_asked)


def _check_tx_code(session: Session, grant: WalletGrant, tx_code: str | None) -> None:
    """OpenID4VCI 1.0 §6.3: a missing or unexpected code is ``invalid_request``, a wrong one
    ``invalid_grant`` (counted; the fifth burns the pre-authorized code)."""
    if grant.tx_code_hash is None:
        if tx_code:
            raise invalid_request("This offer takes no tx_code.")
        return
    if not tx_code:
        raise invalid_request("This offer needs the tx_code sent to the learner by e-mail.")
    if not bearer.same(grant.tx_code_hash, tx_code):
        repo.count_tx_code_failure(session, grant.id, TX_CODE_ATTEMPTS, bearer.now())
        session.commit()
        raise invalid_grant("The tx_code is wrong.")


def _new_nonce(session: Session, now: datetime) -> str:
    repo.purge_expired_nonces(session, now)
    nonce = bearer.new_secret()
    repo.add(session, WalletNonce(nonce=nonce, expires_at=now + NONCE_TTL))
    return nonce


def token(
    session: Session,
    *,
    grant_type: str | None,
    code: str | None,
    tx_code: str | None,
) -> dict[str, Any]:
    """The token endpoint (§6) for the pre-authorized code grant; commits.

    Draft 13 compatibility: ``c_nonce``/``c_nonce_expires_in`` are in the response too (1.0
    moved them to the nonce endpoint); Draft 11's ``user_pin`` is read as ``tx_code`` by the
    router.
    """
    if grant_type is None:
        raise invalid_request("grant_type is missing (the token request is form-encoded).")
    if grant_type != metadata.PRE_AUTHORIZED_GRANT:
        raise OAuthError(
            "unsupported_grant_type", f"grant_type must be {metadata.PRE_AUTHORIZED_GRANT}."
        )
    if not code:
        raise invalid_request("pre-authorized_code is missing.")
    now = bearer.now()
    grant = repo.grant_by_code(session, bearer.digest(code))
    if grant is None or grant.used_at is not None or grant.expires_at <= now:
        raise invalid_grant("The pre-authorized code is unknown, expired or already used.")
    _check_tx_code(session, grant, tx_code)
    offer = _find_offer(session, grant.offer_id)
    if offer is None or not _offer_live(offer, now):
        raise invalid_grant("The offer behind this code has expired or was withdrawn.")
    if not repo.spend_grant(session, grant.id, now):
        raise invalid_grant("The pre-authorized code is unknown, expired or already used.")
    access_token = bearer.new_secret()
    repo.add(
        session,
        WalletAccessToken(
            grant_id=grant.id,
            offer_id=grant.offer_id,
            issuer_id=grant.issuer_id,
            token_hash=bearer.digest(access_token),
            expires_at=now + ACCESS_TOKEN_TTL,
        ),
    )
    nonce = _new_nonce(session, now)
    session.commit()
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": int(ACCESS_TOKEN_TTL.total_seconds()),
        "c_nonce": nonce,
        "c_nonce_expires_in": int(NONCE_TTL.total_seconds()),
    }


def nonce(session: Session) -> dict[str, Any]:
    """The nonce endpoint (§7): a fresh single-use ``c_nonce``; commits."""
    value = _new_nonce(session, bearer.now())
    session.commit()
    return {"c_nonce": value}


def _find_offer(session: Session, offer_id: uuid.UUID) -> Offer | None:
    try:
        return offers.find_offer(session, offer_id)
    except NotFound:
        return None


def _configuration_of(body: dict[str, Any]) -> str:
    """The requested configuration id: 1.0's ``credential_configuration_id``, or Draft 13's
    ``format`` (with an optional ``credential_definition``)."""
    if "credential_identifier" in body:
        raise OAuthError(
            "unknown_credential_identifier", "This issuer issues no credential_identifiers."
        )
    config_id = body.get("credential_configuration_id")
    if config_id is None and isinstance(body.get("format"), str):
        by_format = {fmt: cid for cid, fmt in metadata.FORMATS.items()}
        config_id = by_format.get(body["format"])
        if config_id is None:
            raise OAuthError("unsupported_credential_format", "Use ldp_vc or jwt_vc_json.")
    if not isinstance(config_id, str):
        raise OAuthError("invalid_credential_request", "credential_configuration_id is missing.")
    if config_id not in metadata.FORMATS:
        raise OAuthError(
            "unknown_credential_configuration", f"Unknown configuration {config_id[:80]}."
        )
    return config_id


def _key_proof_of(body: dict[str, Any]) -> Any:
    """The one ``jwt`` key proof: 1.0's ``proofs.jwt[0]`` or Draft 13's ``proof.jwt``."""
    proofs = body.get("proofs")
    if isinstance(proofs, dict):
        jwts = proofs.get("jwt")
        if set(proofs) != {"jwt"} or not isinstance(jwts, list) or not jwts:
            raise invalid_proof("proofs must hold a non-empty jwt array (the only proof type).")
        if len(jwts) > 1:
            raise invalid_proof("One key proof per request: batch issuance is not offered.")
        return jwts[0]
    proof = body.get("proof")
    if isinstance(proof, dict) and proof.get("proof_type") == "jwt":
        return proof.get("jwt")
    raise invalid_proof("The request needs proofs.jwt with one key proof.")


def _authorized(session: Session, access_token: str | None) -> WalletAccessToken:
    if not access_token:
        raise invalid_token("An access token from the token endpoint is required.")
    row = repo.token_by_hash(session, bearer.digest(access_token))
    if row is None or row.expires_at <= bearer.now():
        raise invalid_token("The access token is unknown or expired.")
    return row


def _bound_credential(
    session: Session, context: AppContext, row: WalletAccessToken, holder: str
) -> Credential:
    """Bind the token's offer to ``holder`` once; a repeat by the same holder (a retry, or the
    other format) gets the same credential, another key is refused."""
    now = bearer.now()
    if repo.bind_token(session, row.id, holder, now):
        offer = _find_offer(session, row.offer_id)
        if offer is None or not _offer_live(offer, now):
            raise OAuthError("credential_request_denied", "The offer has expired or was withdrawn.")
        try:
            credential = offers.bind_to_holder(
                session, context, offer, holder, protocol="oid4vci", proof="both"
            )
        except AppError as exc:
            raise OAuthError("credential_request_denied", exc.detail) from exc
        repo.set_token_credential(session, row.id, credential.id)
        return credential
    session.refresh(row)
    if row.holder_did != holder or row.credential_id is None:
        raise OAuthError(
            "credential_request_denied", "This access token was used for another holder key."
        )
    bound = session.get(Credential, row.credential_id)
    if bound is None:  # never: the foreign key holds it
        raise OAuthError("credential_request_denied", "The bound credential is gone.")
    return bound


def _encoded(credential: Credential, config_id: str) -> Any:
    """The credential in the configuration's format, not re-encoded (Appendix A.1.1, A.1.2)."""
    if metadata.FORMATS[config_id] == "ldp_vc":
        return json.loads(credential.document)
    if credential.jwt is None:
        raise OAuthError("credential_request_denied", "No VC-JWT of this credential exists.")
    return credential.jwt


def _give_fresh_nonce(session: Session, error: OAuthError) -> None:
    """Put a fresh, committed ``c_nonce`` (and ``c_nonce_expires_in``) in a key proof refusal.

    Draft 13 wallets retry with it without another token request (Draft 13 §7.3.2: a
    Credential Error Response ``invalid_proof`` MUST carry one); 1.0 wallets fetch one from
    the nonce endpoint after ``invalid_nonce`` and ignore the extra members.
    """
    if error.error not in ("invalid_proof", "invalid_nonce"):
        return
    session.rollback()  # nothing of this request is kept but the nonce
    error.extra["c_nonce"] = _new_nonce(session, bearer.now())
    error.extra["c_nonce_expires_in"] = int(NONCE_TTL.total_seconds())
    session.commit()


def issue(
    session: Session, context: AppContext, access_token: str | None, body: Any
) -> dict[str, Any]:
    """The credential endpoint (§8); commits.

    1.0 requests (``credential_configuration_id`` + ``proofs``) get ``{"credentials": [...]}``;
    Draft 13 requests (``format`` and/or a singular ``proof``) also get ``credential``. A
    refused key proof (``invalid_proof``, ``invalid_nonce``; Draft 13 requests get
    ``invalid_proof`` for a bad nonce too) carries a fresh ``c_nonce``.
    """
    row = _authorized(session, access_token)
    if not isinstance(body, dict):
        raise OAuthError("invalid_credential_request", "The body must be a JSON object.")
    config_id = _configuration_of(body)
    try:
        proof = verify_key_proof(_key_proof_of(body), audience=context.settings.base_url)
        if not repo.spend_nonce(session, proof.nonce, bearer.now()):
            # Draft 13 has no invalid_nonce: a proof "not bound to a nonce provided by the
            # Credential Issuer" is invalid_proof there (§7.3.1.2).
            refuse = invalid_proof if "proofs" not in body else invalid_nonce
            raise refuse("The key proof's nonce is unknown, expired or spent; use a new c_nonce.")
    except OAuthError as exc:
        _give_fresh_nonce(session, exc)
        raise
    credential = _bound_credential(session, context, row, proof.holder_did)
    encoded = _encoded(credential, config_id)
    session.commit()
    logger.info(
        "wallet credential issued",
        extra={"protocol": "oid4vci", "credential_id": str(credential.id)},
    )
    response: dict[str, Any] = {"credentials": [{"credential": encoded}]}
    if "proofs" not in body or "format" in body:
        response["credential"] = encoded
    return response


# --- VC-API exchange ----------------------------------------------------------------------------


def _exchange_offer(
    session: Session, context: AppContext, token: str | None, *, lock: bool = False
) -> Offer:
    """The offer an exchange URL names (404 when it names none, 410 once it is dead)."""
    offer = _offer_of(session, context, "vcapi", token, lock=lock)
    if offer is None:
        raise NotFound("No such exchange.")
    if not _offer_live(offer, bearer.now()):
        raise ExchangeGone("The offer has expired or was withdrawn.")
    return offer


def _domain(context: AppContext) -> str:
    return urlsplit(context.settings.base_url).netloc


def exchange_url(context: AppContext, token: str) -> str:
    """The URL the wallet posts to (the offer's, stable)."""
    return f"{context.settings.base_url}{metadata.EXCHANGE_PATH}?token={token}"


def exchange_invitation(session: Session, context: AppContext, token: str | None) -> dict[str, Any]:
    """``GET`` of the exchange URL as JSON: the interaction's ``protocols`` (LCW ``iuv=1``).
    Writes nothing."""
    _exchange_offer(session, context, token)
    return {"protocols": {"vcapi": exchange_url(context, token or "")}}


def _open_exchange(session: Session, context: AppContext, offer: Offer) -> WalletExchange:
    """The offer's open exchange, handed out again while it has time left, or a new one
    (a challenge of its own; bounded per offer like grants); commits."""
    now = bearer.now()
    live = repo.live_exchanges(session, offer.id, now)
    if live and _reusable(live[0].expires_at, context, offer, now):
        return live[0]
    _check_mint_budget(session, WalletExchange, offer.id, now)
    repo.purge_expired(session, now)
    row = WalletExchange(
        offer_id=offer.id,
        issuer_id=offer.issuer_id,
        challenge=bearer.new_secret(),
        expires_at=_expiry(context, offer, now),
    )
    repo.add(session, row)
    session.commit()
    return row


def _challenges_of(presentation: Any) -> set[str]:
    """The ``challenge`` of each proof of a presentation (none for a malformed one)."""
    if not isinstance(presentation, dict):
        return set()
    proofs = presentation.get("proof")
    candidates = proofs if isinstance(proofs, list) else [proofs]
    return {
        p["challenge"]
        for p in candidates
        if isinstance(p, dict) and isinstance(p.get("challenge"), str)
    }


def _answered_exchange(session: Session, offer: Offer, presentation: Any) -> WalletExchange:
    """The open exchange a presentation answers (by its challenge); with none matching, the
    newest open one, so that the refusal names the wrong challenge; 410 when none is open."""
    live = repo.live_exchanges(session, offer.id, bearer.now())
    if not live:
        raise ExchangeGone("This exchange was completed or has expired; open the claim page again.")
    challenges = _challenges_of(presentation)
    return next((row for row in live if row.challenge in challenges), live[0])


def exchange_step(
    session: Session, context: AppContext, token: str | None, body: Any
) -> dict[str, Any]:
    """One step of the exchange: ``{}`` → the DIDAuthentication request (the exchange's row is
    made now, or the open one reused); a presentation → the credential. The second step
    completes the exchange (single use; commits)."""
    presentation = body.get("verifiablePresentation") if isinstance(body, dict) else None
    offer = _exchange_offer(session, context, token, lock=presentation is None)
    if presentation is None:
        row = _open_exchange(session, context, offer)
        return {"verifiablePresentationRequest": _did_auth_request(context, row, token or "")}
    row = _answered_exchange(session, offer, presentation)
    holder = authenticate(presentation, challenge=row.challenge, domain=_domain(context))
    now = bearer.now()
    if not repo.spend_exchange(session, row.id, holder, now):
        raise ExchangeGone("This exchange was completed or has expired; open the claim page again.")
    credential = offers.bind_to_holder(
        session, context, offer, holder, protocol="vcapi", proof="both"
    )
    repo.set_exchange_credential(session, row.id, credential.id)
    document = json.loads(credential.document)
    session.commit()
    logger.info(
        "wallet credential issued", extra={"protocol": "vcapi", "credential_id": str(credential.id)}
    )
    return {
        "verifiablePresentation": {
            "@context": [VC_V2],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [document],
        }
    }


def _did_auth_request(context: AppContext, row: WalletExchange, token: str) -> dict[str, Any]:
    """The ``VerifiablePresentationRequest`` (vp-request-spec §DIDAuthentication): LCW needs
    both ``challenge`` and ``domain``; older LCW versions post to ``interact.service[0]``."""
    return {
        "query": [
            {
                "type": "DIDAuthentication",
                "acceptedMethods": [{"method": "key"}],
                "acceptedCryptosuites": [
                    {"cryptosuite": "Ed25519Signature2020"},
                    {"cryptosuite": "eddsa-rdfc-2022"},
                ],
            }
        ],
        "challenge": row.challenge,
        "domain": _domain(context),
        "interact": {
            "service": [
                {
                    "type": "UnmediatedPresentationService2021",
                    "serviceEndpoint": exchange_url(context, token),
                }
            ]
        },
    }
