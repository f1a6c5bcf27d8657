"""Issuer API: offers of a credential (``/api/v1/credentials/{id}/offers``)."""

from __future__ import annotations

import uuid
from datetime import datetime

import segno
from fastapi import APIRouter, status

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.security import IssuerAuth
from app.credentials import service as credentials
from app.models import Offer
from app.offers import service, wallets
from app.offers.schemas import OfferCreated, OfferQr, OfferRead

router = APIRouter(prefix="/api/v1/credentials", tags=["offers"])


def qr_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG ``data:`` URI: error correction M and a 4-module quiet
    zone, as the pages' codes (:mod:`app.web.qr`, which this package cannot import: the claim
    page imports this one). Not cached: offer links are secret."""
    code = segno.make(url, error="m", boost_error=False)
    return str(code.svg_data_uri(border=4, xmldecl=False, omitsize=True))


def _read(offer: Offer, now: datetime | None = None) -> OfferRead:
    return OfferRead(
        id=offer.id,
        credential_id=offer.credential_id,
        state=service.offer_state(offer, now),
        created_at=offer.created_at,
        expires_at=offer.expires_at,
        revoked_at=offer.revoked_at,
        claimed_at=offer.claimed_at,
        actor=offer.actor,
    )


@router.post(
    "/{credential_id}/offers", status_code=status.HTTP_201_CREATED, response_model=OfferCreated
)
def create_offer(
    credential_id: uuid.UUID, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> OfferCreated:
    """A claim link for the learner (and wallet links with their QR codes); the link's token
    is shown this once. 409 for a revoked credential or a copy bound to a wallet."""
    credential = credentials.get_credential(session, principal.issuer_id, credential_id)
    offer, token = service.create_offer(session, context, credential, actor=principal.actor)
    session.flush()
    links = wallets.wallet_links(session, context, offer)
    session.commit()
    claim = service.claim_url(context.settings.base_url, token)
    return OfferCreated(
        id=offer.id,
        credential_id=credential.id,
        claim_url=claim,
        oid4vci_offer=links.oid4vci_offer_url if links else None,
        lcw_link=links.lcw_url if links else None,
        dcc_link=links.dcc_url if links else None,
        wallet_links_expire_at=links.expires_at if links else None,
        tx_code_sent=links.tx_code_sent if links else False,
        qr=OfferQr(
            claim=qr_data_uri(claim),
            oid4vci=qr_data_uri(links.oid4vci_offer_url) if links else None,
            lcw=qr_data_uri(links.lcw_url) if links else None,
        ),
        expires_at=offer.expires_at,
    )


@router.get("/{credential_id}/offers", response_model=list[OfferRead])
def list_offers(
    credential_id: uuid.UUID, principal: IssuerAuth, session: SessionDep
) -> list[OfferRead]:
    """The credential's offers, newest first, with their state (never a token)."""
    return [_read(o) for o in service.offers_of(session, principal.issuer_id, credential_id)]


@router.post("/{credential_id}/offers/{offer_id}/revoke", response_model=OfferRead)
def revoke_offer(
    credential_id: uuid.UUID, offer_id: uuid.UUID, principal: IssuerAuth, session: SessionDep
) -> OfferRead:
    """Stop the claim link at once (copies already in wallets stay: revoke the credential
    to withdraw them)."""
    offer = service.revoke_offer(
        session, principal.issuer_id, credential_id, offer_id, actor=principal.actor
    )
    return _read(offer)


@router.delete("/{credential_id}/offers/{offer_id}", response_model=OfferRead)
def delete_offer(
    credential_id: uuid.UUID, offer_id: uuid.UUID, principal: IssuerAuth, session: SessionDep
) -> OfferRead:
    """The same as ``POST …/revoke`` (the offer is kept, revoked, for the record)."""
    return revoke_offer(credential_id, offer_id, principal, session)
