"""API shapes of push requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from app.core.schemas import ApiModel, ReadModel
from app.models import lengths

PushState = Literal["pending", "sending", "sent", "failed", "declined", "cancelled", "expired"]


class PushRequestCreate(ApiModel):
    """Which host to ask the learner to send the credential to."""

    api_root: str = Field(
        min_length=1,
        max_length=lengths.URL,
        description="The host's Open Badges API root, e.g. `https://host.example/ims/ob/v3p0` "
        "(its `/discovery` must offer the authorization-code flow with `credential.upsert`).",
    )


class PushResult(ReadModel):
    """The host's answer when the credential was sent (or refused)."""

    status: int | None = Field(description="The host's HTTP status (none: it was unreachable).")
    detail: str | None = Field(description="`created`, `replaced`, or what the host said.")


class PushRequestRead(ReadModel):
    """A request, its state and, once the learner approved, the host's answer."""

    id: uuid.UUID
    credential_id: uuid.UUID
    api_root: str
    host_name: str = Field(description="The host's name from its discovery document.")
    recipient_email: str = Field(description="The address the request was e-mailed to.")
    state: PushState = Field(
        description="`pending` (waiting for the learner), `sending` (approved, being sent), "
        "`sent`, `failed` (the host refused; "
        "the learner may approve again until `expiresAt`), `declined`, `cancelled`, `expired`."
    )
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    result: PushResult | None
    actor: str
