"""Issuer API: ask a credential's learner to send it to another Open Badges host
(``/api/v1/credentials/{id}/push-requests``, ``/api/v1/push-requests/{id}``)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.ratelimit import RateLimited, TokenBucketLimiter
from app.core.security import IssuerAuth
from app.models import ObPushRequest
from app.obconsumer import push_service as service
from app.obconsumer.push_schemas import PushRequestCreate, PushRequestRead, PushResult

router = APIRouter(prefix="/api/v1", tags=["push requests"])

ASKS_PER_MINUTE = 30
"""Requests one issuer may make a minute: each makes this service fetch another host's
discovery document (up to 20 s), so an issuer's key is no free proxy."""
ASK_BURST = 10


def _admit(request: Request, issuer_id: uuid.UUID) -> None:
    limiter: TokenBucketLimiter | None = getattr(request.app.state, "push_ask_limiter", None)
    if limiter is None:
        limiter = TokenBucketLimiter(ASKS_PER_MINUTE, ASK_BURST)
        request.app.state.push_ask_limiter = limiter
    wait = limiter.take(str(issuer_id))
    if wait > 0:
        raise RateLimited(
            f"An issuer may ask {ASKS_PER_MINUTE} times a minute; try again in "
            f"{max(1, round(wait))} s.",
            retry_after_s=wait,
        )


def read(row: ObPushRequest) -> PushRequestRead:
    done = row.result_status is not None or row.state in ("sent", "failed")
    return PushRequestRead(
        id=row.id,
        credential_id=row.credential_id,
        api_root=row.api_root,
        host_name=row.host_name,
        recipient_email=row.recipient_email,
        state=service.state_of(row),
        created_at=row.created_at,
        expires_at=row.expires_at,
        decided_at=row.decided_at,
        result=PushResult(status=row.result_status, detail=row.result_detail) if done else None,
        actor=row.actor,
    )


@router.post(
    "/credentials/{credential_id}/push-requests",
    status_code=status.HTTP_201_CREATED,
    response_model=PushRequestRead,
)
def create_push_request(
    credential_id: uuid.UUID,
    data: PushRequestCreate,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
    request: Request,
) -> PushRequestRead:
    """E-mail the learner a request to send this credential to the host; nothing is sent
    until they approve it on their account. 409: revoked, no e-mail address, a request to that
    host already open or declined in the last 30 days; 422/502: the host is not usable; 429:
    three requests a day per credential, or 30 asks a minute per issuer."""
    _admit(request, principal.issuer_id)
    row = service.create(session, context, principal, credential_id, data.api_root)
    session.commit()
    return read(row)


@router.get("/credentials/{credential_id}/push-requests", response_model=list[PushRequestRead])
def list_push_requests(
    credential_id: uuid.UUID, principal: IssuerAuth, session: SessionDep
) -> list[PushRequestRead]:
    """The credential's push requests, newest first."""
    return [read(row) for row in service.of_credential(session, principal.issuer_id, credential_id)]


@router.get("/push-requests/{request_id}", response_model=PushRequestRead)
def get_push_request(
    request_id: uuid.UUID, principal: IssuerAuth, session: SessionDep
) -> PushRequestRead:
    """One push request."""
    return read(service.get(session, principal.issuer_id, request_id))


@router.post("/push-requests/{request_id}/cancel", response_model=PushRequestRead)
def cancel_push_request(
    request_id: uuid.UUID, principal: IssuerAuth, session: SessionDep
) -> PushRequestRead:
    """Withdraw an open request (409 once it is sent, declined, cancelled or expired)."""
    row = service.cancel(session, principal, request_id)
    session.commit()
    return read(row)
