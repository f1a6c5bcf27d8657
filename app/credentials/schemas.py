"""API shapes for credentials."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from app.core.schemas import (
    ApiModel,
    Bool,
    Email,
    HttpUrl,
    LanguageTag,
    ReadModel,
    ShortText,
    Text,
    Timestamp,
)
from app.models import lengths
from openbadges.model.enums import ResultStatusTypeValue

ProofFormat = Literal["data-integrity", "jwt", "both"]
CredentialState = Literal["active", "revoked", "suspended", "expired"]


class RecipientIn(ApiModel):
    """Who receives the credential: an email (hashed into the credential) and/or a DID."""

    email: Email | None = None
    name: ShortText | None = None
    did: str | None = Field(default=None, max_length=lengths.DID, pattern=r"^did:[a-z0-9]+:\S+$")

    @model_validator(mode="after")
    def _identified(self) -> RecipientIn:
        if self.email is None and self.did is None:
            raise ValueError("recipient needs an email or a did")
        return self


class ResultIn(ApiModel):
    """A result of the learner, linked to one of the achievement's result descriptions."""

    result_description: str | None = Field(default=None, max_length=2048)
    value: ShortText | None = None
    status: ResultStatusTypeValue | None = None
    achieved_level: str | None = Field(default=None, max_length=2048)


class EvidenceIn(ApiModel):
    """Evidence of the achievement (a URL and/or a narrative)."""

    id: HttpUrl | None = None
    narrative: Text | None = None
    name: ShortText | None = None
    description: Text | None = None
    genre: ShortText | None = None
    audience: ShortText | None = None


class SourceIn(ApiModel):
    """The Profile that assessed the learner for the issuer (e.g. a mentor): ``source`` (H7)."""

    id: str = Field(max_length=2048, pattern=r"^(https?://|urn:|did:)")
    name: ShortText
    url: HttpUrl | None = None
    description: Text | None = None


class CredentialIssue(ApiModel):
    """Issue one credential of an achievement to one recipient."""

    achievement_id: uuid.UUID
    recipient: RecipientIn
    results: list[ResultIn] = Field(default_factory=list, max_length=100)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=100)
    valid_from: Timestamp | None = None
    valid_until: Timestamp | None = None
    credits_earned: float | None = Field(default=None, ge=0, le=10_000)
    term: ShortText | None = None
    activity_start_date: Timestamp | None = None
    activity_end_date: Timestamp | None = None
    source: SourceIn | None = None
    proof: ProofFormat = "data-integrity"
    language: LanguageTag | None = Field(
        default=None,
        description="The learner's language (BCP 47). The credential is issued from the "
        "achievement's version in that language, found through its `related` entries; "
        "422 when it has none.",
    )
    notify: Bool = Field(
        default=True,
        description="Tell the learner by e-mail (when the recipient has an e-mail address): "
        "the issuer's name, the achievement and a link to claim the credential into a wallet. "
        "`false`: no e-mail.",
    )


class StatusChange(ApiModel):
    """Why a credential's status changes (kept in the status events)."""

    reason: Text | None = Field(
        default=None,
        description="Why. A revocation's reason is shown on the credential's public page, "
        "so write it for the people who open that page; a suspension's is kept private.",
    )


BULK_LIMIT = 10_000
"""Credential ids per bulk status change: a term's cohort of one module (issue 11), in one
transaction whose row locks stay bounded."""


class BulkStatusChange(ApiModel):
    """Revoke, suspend or unsuspend many of the issuer's credentials in one call: those named
    (``credentialIds``) or every credential a batch issued (``batchId``)."""

    credential_ids: list[uuid.UUID] | None = Field(
        default=None, min_length=1, max_length=BULK_LIMIT
    )
    batch_id: uuid.UUID | None = None
    reason: Text | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> BulkStatusChange:
        if (self.credential_ids is None) == (self.batch_id is None):
            raise ValueError("give exactly one of credentialIds and batchId")
        return self


class BulkError(ReadModel):
    """A credential a bulk change left alone, and why (``code`` as in the problem types)."""

    id: str
    code: str
    detail: str


class BulkStatusResult(ReadModel):
    """Per credential of a bulk change: changed now, already so, or left alone with an error."""

    changed: list[uuid.UUID]
    unchanged: list[uuid.UUID]
    errors: list[BulkError]


class RecipientRead(ReadModel):
    """The recipient as stored (the name is never in the signed credential)."""

    email: str | None
    name: str | None
    did: str | None


class NotificationRead(ReadModel):
    """A message about the credential to its learner (an e-mail), and how sending it went."""

    channel: str
    kind: str | None = Field(description="`issued`, `program_completed` or `revoked`.")
    state: Literal["pending", "sent", "failed", "cancelled"]
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None = Field(
        description="The last attempt's error: the SMTP server's refusal (e.g. `550 5.1.1 "
        "mailbox unavailable`), a quota, or why it could not be sent."
    )


class CredentialRead(ReadModel):
    """A credential as the issuer API shows it."""

    id: uuid.UUID
    url: str
    json_url: str
    jwt_url: str | None
    achievement_id: uuid.UUID
    achievement_version: int
    recipient: RecipientRead
    proof_format: str
    status: CredentialState
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    suspended_at: datetime | None
    created_at: datetime
    bound_from_id: uuid.UUID | None = Field(
        default=None,
        description="Set on a copy bound to a holder's wallet (its subject is the holder's "
        "DID): the credential it copies, whose status it follows.",
    )
    bound_copy_ids: list[uuid.UUID] | None = Field(
        default=None,
        description="Single reads only: the copies of this credential bound to holders' "
        "wallets (each follows this credential's revocation and suspension).",
    )
    credential: dict[str, Any] | None = None
    jwt: str | None = None
    notifications: list[NotificationRead] | None = Field(
        default=None,
        description="E-mails to the learner about this credential, newest first "
        "(`GET /api/v1/credentials/{id}` only).",
    )


class CredentialPage(ReadModel):
    """A page of credentials; pass ``nextCursor`` as ``cursor`` for the next one."""

    items: list[CredentialRead]
    next_cursor: str | None
