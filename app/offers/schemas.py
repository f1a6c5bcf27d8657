"""API shapes of offers: the claim link with its wallet links and QR codes, and the listing."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from app.core.schemas import ReadModel
from app.offers.service import OfferState


class OfferQr(ReadModel):
    """QR codes as ``data:image/svg+xml`` URIs, one per link (None when the link is absent)."""

    claim: str = Field(description="The claim page (for a phone's camera).")
    oid4vci: str | None = Field(
        default=None,
        alias="oid4vci",
        description="The OpenID4VCI credential offer (for a wallet's scanner).",
    )
    lcw: str | None = Field(
        default=None, description="The Learner Credential Wallet request (lcw.app link)."
    )


class OfferCreated(ReadModel):
    """A new offer. ``claimUrl`` holds its token: it is shown this once only."""

    id: uuid.UUID
    credential_id: uuid.UUID
    claim_url: str = Field(description="The learner's claim page; send it to the learner.")
    oid4vci_offer: str | None = Field(
        default=None,
        alias="oid4vciOffer",
        description="`openid-credential-offer://…` (works as long as the claim link; each "
        "wallet that opens it gets a short-lived, single-use pre-authorized code); None when "
        "the wallet protocols are not installed.",
    )
    lcw_link: str | None = Field(default=None, description="`https://lcw.app/request?request=…`")
    dcc_link: str | None = Field(default=None, description="`dccrequest://…` (the same request)")
    wallet_links_expire_at: datetime | None = Field(
        default=None,
        description="When the wallet links stop working: with the claim link.",
    )
    tx_code_sent: bool = Field(
        default=False,
        description="The wallet will ask for a code, e-mailed to the learner when the wallet "
        "opens the offer.",
    )
    qr: OfferQr
    expires_at: datetime = Field(description="When the claim link stops working.")


class OfferRead(ReadModel):
    """An offer as listed (never its token)."""

    id: uuid.UUID
    credential_id: uuid.UUID
    state: OfferState
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    claimed_at: datetime | None
    actor: str
