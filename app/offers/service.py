"""Offers: the learner's claim link to one credential, and copies bound to a wallet's DID.

An **offer** is what the learner's e-mail links to (``/claim/{token}``): 32 random bytes,
URL-safe, of which only the SHA-256 is stored (a copy of the database claims nothing). The
link works for ``BADGES_CLAIM_LINK_DAYS`` (30) days or until the issuer revokes it; the
credential it leads to does not expire with it. The claim page offers the downloads, LinkedIn
and the wallet protocols (:mod:`app.wallets`), which call :func:`bind_to_holder`.

**Binding.** A wallet proves control of a DID (an OpenID4VCI key proof, a VC-API
DIDAuthentication). OpenID4VCI 1.0 (https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html)
leaves how an ``ldp_vc`` is bound to that key to the issuer, and the VC data model names the
subject by ``credentialSubject.id``, so the wallet receives a *new* credential whose
``credentialSubject.id`` is the holder's DID. It is issued through the one pipeline
(:func:`app.credentials.issuing.issue_in_transaction`): its own id and status entries, the
same achievement, results, evidence and dates as the original, and ``bound_from_id`` naming
the original. Its status follows the original's (:mod:`app.offers.subscribers`).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core.context import AppContext
from app.core.errors import AppError, Conflict, NotFound, Unprocessable
from app.credentials import issuing
from app.credentials import service as credentials
from app.credentials.issuing import IssueRequest
from app.credentials.schemas import CredentialIssue
from app.models import Credential, Offer, lengths
from app.models.base import utcnow
from app.offers import repository
from app.outbox import service as outbox
from app.status import service as status

TOKEN_BYTES = 32
"""Random bytes of a claim token (256 bits; ``secrets.token_urlsafe`` gives 43 characters)."""
MAX_TOKEN = 128
"""Longer path segments are not ours: refused before hashing."""
PROTOCOLS = ("oid4vci", "vcapi", "download")
"""How a holder took a bound copy (the ``protocol`` of ``credential.claimed``)."""
_DID = re.compile(r"^did:[a-z0-9]+:\S+$")

OfferState = Literal["active", "expired", "revoked"]


class OfferNotFound(NotFound):
    """No such offer for this issuer's credential."""


class OfferGone(AppError):
    """The claim link was revoked or has expired (the credential itself has not)."""

    status, title, code = 410, "Claim link gone", "offer_gone"


class NotOfferable(Conflict):
    """The credential cannot be offered or bound in its current state."""

    code = "not_offerable"


def hash_token(token: str) -> str:
    """SHA-256 hex of a claim token: the only form stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def claim_url(base_url: str, token: str) -> str:
    """The learner's claim page for a raw token."""
    return f"{base_url}/claim/{token}"


def offer_state(offer: Offer, now: datetime | None = None) -> OfferState:
    """``revoked`` > ``expired`` > ``active`` (claimed or not: a claimed link still works)."""
    now = now or datetime.now(UTC)
    if offer.revoked_at is not None:
        return "revoked"
    if offer.expires_at <= now:
        return "expired"
    return "active"


# --- offers ----------------------------------------------------------------------------------


def create_offer(
    session: Session, context: AppContext, credential: Credential, *, actor: str
) -> tuple[Offer, str]:
    """A new claim link to ``credential`` (no commit); the raw token is returned this once.

    A revoked credential has nothing to claim, and a copy already bound to a holder is not
    offered again (offer its original): 409.
    """
    if credential.bound_from_id is not None:
        raise NotOfferable(
            "This credential is a copy bound to a holder's wallet; offer its original "
            f"({credential.bound_from_id}) instead."
        )
    if credential.revoked_at is not None:
        raise NotOfferable("The credential is revoked; there is nothing to claim.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    offer = Offer(
        id=uuid.uuid4(),
        credential_id=credential.id,
        issuer_id=credential.issuer_id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=context.settings.claim_link_days),
        revoked_at=None,
        claimed_at=None,
        actor=actor[:200],
    )
    session.add(offer)
    audit.record(
        session,
        actor=actor[:200],
        action="offer.create",
        subject_type="offer",
        subject_id=offer.id,
        issuer_id=offer.issuer_id,
        details={"credential": str(credential.id), "expiresAt": offer.expires_at.isoformat()},
    )
    return offer, token


def offer_for_token(session: Session, token: str) -> Offer | None:
    """The offer a raw token names, live or not (the caller decides what a dead one shows)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return repository.by_token_hash(session, hash_token(token))


def find_offer(session: Session, offer_id: uuid.UUID) -> Offer | None:
    """An offer by id, live or not (the wallet protocols keep the id of theirs)."""
    return repository.get(session, offer_id)


def offers_of(session: Session, issuer_id: uuid.UUID, credential_id: uuid.UUID) -> Sequence[Offer]:
    """The offers of one of the issuer's credentials, newest first (404 for another's)."""
    credentials.get_credential(session, issuer_id, credential_id)
    return repository.for_credential(session, issuer_id, credential_id)


def revoke_offer(
    session: Session,
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    offer_id: uuid.UUID,
    *,
    actor: str,
) -> Offer:
    """Stop a claim link at once and commit (repeating it changes nothing). Copies already
    bound stay valid: revoke the credential to withdraw them."""
    offer = repository.get_for_credential(session, issuer_id, credential_id, offer_id)
    if offer is None:
        raise OfferNotFound("No such offer.")
    if offer.revoked_at is None:
        offer.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor[:200],
            action="offer.revoke",
            subject_type="offer",
            subject_id=offer.id,
            issuer_id=issuer_id,
            details={"credential": str(credential_id)},
        )
        session.commit()
    return offer


# --- binding to a holder ------------------------------------------------------------------------


def bind_to_holder(
    session: Session,
    context: AppContext,
    offer: Offer,
    holder_did: str,
    *,
    protocol: str,
    proof: str = "data-integrity",
) -> Credential:
    """A copy of the offer's credential whose ``credentialSubject.id`` is ``holder_did`` (no
    commit; see the module docstring).

    The same holder binding again gets its earlier copy back when that copy carries the
    proof asked for (a wallet retrying, or asking for the other format of ``both``). Refused:
    a dead link (410), and an original that is revoked, suspended or expired (409), since
    a copy would say otherwise. The original's row is locked first, so a revocation racing
    this either waits and then finds the copy, or is seen here.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}")
    if proof not in ("data-integrity", "jwt", "both"):
        raise ValueError(f"unknown proof {proof!r}")
    if len(holder_did) > lengths.DID or not _DID.match(holder_did):
        raise Unprocessable("The holder must be a DID (did:<method>:<id>).", field="$.holder")
    if offer_state(offer) != "active":
        raise OfferGone("This claim link has expired or was revoked; the credential has not.")
    original = repository.lock_credential(session, offer.issuer_id, offer.credential_id)
    if original is None:
        raise OfferGone("The credential of this claim link no longer exists.")
    _check_bindable(original)
    earlier = repository.copy_for_holder(session, original.id, holder_did)
    for copy in earlier:
        if copy.revoked_at is None and copy.proof_format in (proof, "both"):
            return copy
    holders = repository.holders_of(session, original.id)
    if holder_did not in holders and len(holders) >= context.settings.claim_max_holders:
        # A claim link that leaked (a forwarded e-mail) must not mint credentials for anyone
        # who has it: the learner's own wallets only.
        raise NotOfferable(
            f"This credential is already in {len(holders)} wallet(s), the most a claim link "
            "allows; the issuer can revoke a copy to free a place."
        )
    request = _copy_request(
        session, original, holder_did, proof, actor=f"offer:{offer.id}", earlier=len(earlier)
    )
    try:
        (copy,) = issuing.issue_in_transaction(session, context, [request])
    except Unprocessable as exc:  # e.g. the achievement's current version dropped a result
        raise NotOfferable(f"The credential cannot be copied for a wallet: {exc.detail}") from exc
    now = utcnow()
    if offer.claimed_at is None:
        offer.claimed_at = now
    outbox.record_event(
        session,
        type="credential.claimed",
        issuer_id=original.issuer_id,
        subject_id=original.id,
        data={
            "credentialId": str(original.id),
            "achievementId": str(original.achievement_id),
            "issuerId": str(original.issuer_id),
            "offerId": str(offer.id),
            "holder": holder_did,
            "protocol": protocol,
            "boundCredentialId": str(copy.id),
        },
    )
    audit.record(
        session,
        actor=f"offer:{offer.id}",
        action="credential.bind",
        subject_type="credential",
        subject_id=copy.id,
        issuer_id=original.issuer_id,
        details={"original": str(original.id), "protocol": protocol, "proof": proof},
    )
    session.flush()
    return copy


def _check_bindable(original: Credential) -> None:
    if original.bound_from_id is not None:  # offers are never made for copies; belt and braces
        raise NotOfferable("This credential is already a copy bound to a holder.")
    state = credentials.credential_state(original)
    if state != "active":
        raise NotOfferable(
            f"The credential is {state}; a copy for a wallet cannot be issued now.",
        )


def _copy_request(
    session: Session,
    original: Credential,
    holder_did: str,
    proof: str,
    *,
    actor: str,
    earlier: int,
) -> IssueRequest:
    """The pipeline's request for the copy, rebuilt from the original's row and document.

    The copy is issued from the original's achievement version (``achievement_version``), so
    it says what the original says even after an edit of the achievement; results, evidence
    and the optional subject members are taken from the signed document.
    The idempotency key (``bound:<original>:<proof>:<holder digest>:<earlier copies>``) makes
    two concurrent binds of the same holder collide instead of issuing twice.
    """
    document = json.loads(original.document)
    subject = document.get("credentialSubject") or {}
    lineage, _ = credentials.achievement_versions(session, [original])[original.achievement_id]
    body: dict[str, Any] = {
        "achievementId": str(lineage),
        # The holder's DID alone: the copy names who holds it, not the original's e-mail
        # identifier (the original keeps that); the name is for pages only, never signed.
        "recipient": {
            "did": holder_did,
            **({"name": original.recipient_name} if original.recipient_name else {}),
        },
        "results": [_pick(r, _RESULT_KEYS) for r in _as_list(subject.get("result"))],
        "evidence": [_pick(e, _EVIDENCE_KEYS) for e in _as_list(document.get("evidence"))],
        "validFrom": original.valid_from.isoformat(),
        "proof": proof,
        "notify": False,  # the learner asked for it: no "you have a credential" e-mail
    }
    if original.valid_until is not None:
        body["validUntil"] = original.valid_until.isoformat()
    for key in ("creditsEarned", "term", "activityStartDate", "activityEndDate"):
        if subject.get(key) is not None:
            body[key] = subject[key]
    if isinstance(subject.get("source"), dict):
        body["source"] = _pick(subject["source"], _SOURCE_KEYS)
    try:
        data = CredentialIssue.model_validate(body)
    except ValidationError as exc:  # an original issued under older rules
        raise NotOfferable(
            f"The credential cannot be copied for a wallet: {exc.errors()[0]['msg']}"
        ) from exc
    digest = hashlib.sha256(holder_did.encode("utf-8")).hexdigest()[:32]
    return IssueRequest(
        issuer_id=original.issuer_id,
        actor=actor,
        data=data,
        idempotency_key=f"bound:{original.id}:{proof}:{digest}:{earlier}",
        request_hash=issuing.request_hash(data),
        # A copy can follow every change of its original: a suspension entry when it has one.
        suspension=status.has_entry(session, original.id, "suspension"),
        bound_from=original.id,
        achievement_version=original.achievement_id,
    )


_RESULT_KEYS = ("resultDescription", "value", "status", "achievedLevel")
_EVIDENCE_KEYS = ("id", "narrative", "name", "description", "genre", "audience")
_SOURCE_KEYS = ("id", "name", "url", "description")


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _pick(value: Any, keys: Sequence[str]) -> dict[str, Any]:
    """The members of a signed object the issue request takes (``type`` and the rest are
    added again by the pipeline)."""
    if not isinstance(value, dict):
        return {}
    return {k: value[k] for k in keys if value.get(k) is not None}
