"""Issuer-initiated sending of a credential to another Open Badges host, with the learner's
consent (issue 13: "a learner (or an issuer, with the learner's consent) sends a credential to
another host").

An issuer names a credential and a host's API root (``POST
/api/v1/credentials/{id}/push-requests``); the learner is e-mailed and, signed in with the
credential's address, approves or declines the request on ``/account/requests``. Approving runs
the learner's own Service Consumer (Write) flow (:mod:`app.obconsumer`): the credential goes at
once over an existing connection to that host, or after the learner authorizes this service
there. Nothing reaches the host without the learner's approval and the host's own OAuth 2.0
consent.

Rules:

* only the credential's own learner decides: the request is addressed to the credential's
  e-mail address and shows only on an account where that address is verified;
* one open request per credential and host; a host the learner declined is not asked again
  for that credential for :data:`DECLINE_MEMORY`; at most :data:`PER_CREDENTIAL_PER_DAY`
  requests per credential a day (each is an e-mail to the learner, within the issuer's quota);
* the host must be usable before the learner is bothered: its discovery document is read (through
  the SSRF guard) and must offer the authorization-code flow with ``credential.upsert``;
* a request is open for :data:`REQUEST_TTL`; the host refusing the credential leaves it open
  (``failed``, with the host's answer) so the learner may try again;
* sending is claimed atomically (``sending``, a conditional update): two approvals send once,
  and a cancel or decline cannot be overwritten by a send that was under way; a claim left by
  a process that died is taken over after :data:`SENDING_LEASE`;
* roots are compared in one spelling (:func:`app.obconsumer.service.normalise_root`), so a
  decline cannot be bypassed by writing the same address differently.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.audit import service as audit
from app.core import events
from app.core.context import AppContext
from app.core.deadline import deadline
from app.core.errors import Conflict, NotFound
from app.core.ratelimit import RateLimited
from app.core.security import IssuerPrincipal
from app.credentials import service as credentials
from app.events import PushDecided, PushRequested
from app.models import Credential, LearnerAccount, ObPushRequest, utcnow
from app.obconsumer import client
from app.obconsumer import push_repository as repository
from app.obconsumer import repository as consumer_rows
from app.obconsumer import service as consumer

logger = logging.getLogger(__name__)

REQUEST_TTL = timedelta(days=14)
DECLINE_MEMORY = timedelta(days=30)
PER_CREDENTIAL_PER_DAY = 3
DISCOVERY_DEADLINE_S = 20.0
SENDING_LEASE = timedelta(minutes=5)
"""After this a ``sending`` claim is taken to be a dead process's (the action's deadline is
45 s)."""
OPEN_STATES = ("pending", "failed")
"""States in which the learner can still approve (``failed``: the host refused, try again)."""


class RequestClosed(Conflict):
    """The request can no longer be approved, declined or cancelled."""

    code = "push_request_closed"


def state_of(row: ObPushRequest, now: datetime | None = None) -> str:
    """The state to show: an open request past its expiry reads ``expired``; a ``sending``
    claim older than :data:`SENDING_LEASE` (its process died) reads ``failed``, open again."""
    now = now or utcnow()
    state = row.state
    if state == "sending" and row.decided_at is not None and row.decided_at <= now - SENDING_LEASE:
        state = "failed"
    if state in OPEN_STATES and row.expires_at <= now:
        return "expired"
    return state


def _is_open(row: ObPushRequest) -> bool:
    return state_of(row) in OPEN_STATES


def display_host(row: ObPushRequest) -> str:
    """The host as a learner should judge it: the name it gives itself *and* its real address
    (a host at evil.example may call itself anything), ``Name (host.example)``."""
    address = urlsplit(row.api_root).netloc
    return row.host_name if row.host_name == row.api_root else f"{row.host_name} ({address})"


# --- the issuer's side ----------------------------------------------------------------------


def _check_credential(credential: Credential) -> str:
    if credential.bound_from_id is not None:
        raise Conflict(
            "This credential is a copy bound to a holder's wallet; ask for its original "
            f"({credential.bound_from_id}) instead."
        )
    if credential.revoked_at is not None:
        raise Conflict("The credential is revoked; there is nothing to send.")
    if not credential.recipient_email:
        raise Conflict(
            "The credential has no recipient e-mail address, so there is no learner to ask."
        )
    return credential.recipient_email.strip().lower()


def _check_history(session: Session, credential_id: uuid.UUID, root: str) -> None:
    now = utcnow()
    for earlier in repository.same_host(session, credential_id, root):
        if _is_open(earlier) or earlier.state == "sending":
            raise Conflict(
                f"A request to send this credential to {root} is already open ({earlier.id}).",
                field="apiRoot",
            )
        if earlier.state == "declined" and (earlier.decided_at or now) > now - DECLINE_MEMORY:
            raise Conflict(
                f"The learner declined sending this credential to {root} on "
                f"{(earlier.decided_at or now).date().isoformat()}; it is not asked again "
                f"before {DECLINE_MEMORY.days} days have passed.",
                field="apiRoot",
            )
    asked = repository.count_since(session, credential_id, now - timedelta(days=1))
    if asked >= PER_CREDENTIAL_PER_DAY:
        raise RateLimited(
            f"At most {PER_CREDENTIAL_PER_DAY} requests a day go to the learner of one credential.",
            retry_after_s=3600,
        )


def create(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    credential_id: uuid.UUID,
    raw_root: str,
) -> ObPushRequest:
    """Ask the learner to send ``credential_id`` to the host at ``raw_root``; the caller
    commits (the e-mail goes through the outbox after the commit)."""
    credential = credentials.get_credential(session, principal.issuer_id, credential_id)
    email = _check_credential(credential)
    root = consumer.normalise_root(raw_root)
    client.check(context, root)
    _check_history(session, credential.id, root)
    session.commit()  # no transaction waits on the host
    with deadline(DISCOVERY_DEADLINE_S):
        document = client.fetch_discovery(context, root + "/discovery")
    discovery = consumer.parse_discovery(
        document, root, allow_http=context.settings.allow_private_fetch
    )
    if consumer.CREDENTIAL_UPSERT not in discovery.scopes:
        raise consumer.ConnectError("The host does not offer the credential.upsert scope.")
    # Again, holding the credential's row: concurrent asks for one credential take turns, so
    # "one open request per host" and the daily cap hold (SQLite serialises writers anyway).
    repository.lock_credential(session, credential.id)
    _check_history(session, credential.id, root)
    now = datetime.now(UTC)  # to the microsecond: lists are newest first
    row = ObPushRequest(
        id=uuid.uuid4(),
        issuer_id=principal.issuer_id,
        credential_id=credential.id,
        api_root=root,
        host_name=discovery.name,
        recipient_email=email,
        state="pending",
        created_at=now,
        expires_at=now + REQUEST_TTL,
        actor=principal.actor[:200],
    )
    session.add(row)
    audit.record(
        session,
        actor=principal.actor[:200],
        action="push_request.create",
        subject_type="push_request",
        subject_id=row.id,
        issuer_id=principal.issuer_id,
        details={"credential": str(credential.id), "apiRoot": root},
    )
    events.record(
        session,
        PushRequested(
            request_id=row.id,
            issuer_id=principal.issuer_id,
            credential_id=credential.id,
            api_root=root,
            host_name=display_host(row),
            expires_at=row.expires_at.isoformat(),
            actor=principal.actor[:200],
        ),
    )
    session.flush()
    return row


def get(session: Session, issuer_id: uuid.UUID, request_id: uuid.UUID) -> ObPushRequest:
    row = repository.of_issuer(session, issuer_id, request_id)
    if row is None:
        raise NotFound("No such push request.")
    return row


def of_credential(
    session: Session, issuer_id: uuid.UUID, credential_id: uuid.UUID
) -> list[ObPushRequest]:
    credentials.get_credential(session, issuer_id, credential_id)  # 404 for another's
    return repository.of_credential(session, issuer_id, credential_id)


def _close(
    session: Session,
    row: ObPushRequest,
    state: str,
    *,
    actor: str,
    account_id: uuid.UUID | None = None,
    status: int | None = None,
    detail: str | None = None,
) -> None:
    row.state = state
    row.decided_at = utcnow()
    if account_id is not None:
        row.account_id = account_id
    row.result_status = status
    row.result_detail = consumer.plain(detail, 2000) if detail else None
    audit.record(
        session,
        actor=actor[:200],
        action=f"push_request.{state}",
        subject_type="push_request",
        subject_id=row.id,
        issuer_id=row.issuer_id,
        details={"credential": str(row.credential_id), "apiRoot": row.api_root},
    )
    events.record(
        session,
        PushDecided(
            request_id=row.id,
            issuer_id=row.issuer_id,
            credential_id=row.credential_id,
            state=state,
            api_root=row.api_root,
            result_status=status,
            result_detail=row.result_detail,
        ),
    )
    session.flush()


def cancel(session: Session, principal: IssuerPrincipal, request_id: uuid.UUID) -> ObPushRequest:
    """The issuer withdraws an open request (the caller commits)."""
    row = get(session, principal.issuer_id, request_id)
    if not _is_open(row):
        raise RequestClosed(f"The request is {state_of(row)}; only an open one can be cancelled.")
    _close(session, row, "cancelled", actor=principal.actor)
    return row


# --- the learner's side ---------------------------------------------------------------------


def for_account(session: Session, account_id: uuid.UUID) -> list[ObPushRequest]:
    """Requests addressed to the account's verified addresses, newest first."""
    return repository.to_addresses(session, accounts.verified_emails(session, account_id))


def open_count(session: Session, account_id: uuid.UUID) -> int:
    return sum(1 for row in for_account(session, account_id) if _is_open(row))


def _learners(session: Session, account: LearnerAccount, request_id: uuid.UUID) -> ObPushRequest:
    """The request, when it is addressed to one of the account's verified addresses (else 404:
    another learner's request is not there to probe)."""
    row = session.get(ObPushRequest, request_id, populate_existing=True)
    if row is None or row.recipient_email not in accounts.verified_emails(session, account.id):
        raise NotFound("No such request on this account.")
    return row


def _open_for(session: Session, account: LearnerAccount, request_id: uuid.UUID) -> ObPushRequest:
    row = _learners(session, account, request_id)
    if not _is_open(row):
        raise RequestClosed(f"This request is {state_of(row)}; nothing more can be done with it.")
    credential = accounts.owned_credential(session, account.id, row.credential_id)
    if credential.revoked_at is not None:
        raise RequestClosed("The credential has been revoked since; there is nothing to send.")
    return row


def decline(session: Session, account: LearnerAccount, request_id: uuid.UUID) -> ObPushRequest:
    """The learner says no (the caller commits)."""
    row = _learners(session, account, request_id)
    if not _is_open(row):
        raise RequestClosed(f"This request is {state_of(row)}; nothing more can be done with it.")
    _close(session, row, "declined", actor=f"account:{account.id}", account_id=account.id)
    return row


@dataclass(frozen=True)
class Approval:
    """What approving did: sent over an existing connection (``outcome``), or the learner
    must first authorize this service at the host (``redirect``: its authorization page)."""

    request: ObPushRequest
    outcome: consumer.Outcome | None = None
    redirect: str | None = None


def approve(
    session: Session,
    context: AppContext,
    account: LearnerAccount,
    cookie: str,
    request_id: uuid.UUID,
) -> Approval:
    """Send the credential to the host now when the learner is connected there with
    ``credential.upsert``; else start the connection, which sends it on its callback
    (:func:`send_after_connect`). The caller commits."""
    row = _open_for(session, account, request_id)
    host = consumer_rows.host_client(session, row.api_root)
    connection = consumer_rows.connection_to(session, account.id, host.id) if host else None
    if connection is not None and consumer.CREDENTIAL_UPSERT in connection.scope.split():
        outcome = _send(session, context, account, row, connection.id, fresh=False)
        if outcome is not None:
            return Approval(row, outcome=outcome)
        consumer.forget_connection(session, connection.id)  # dead: connect afresh
        row = _open_for(session, account, request_id)
    target = consumer.start(session, context, account, cookie, row.api_root, push_request_id=row.id)
    return Approval(row, redirect=target)


def send_after_connect(
    session: Session,
    context: AppContext,
    account: LearnerAccount,
    request_id: uuid.UUID,
    connection_id: uuid.UUID,
) -> Approval:
    """The authorization the approval started came back: send the credential (the caller
    commits)."""
    row = _open_for(session, account, request_id)
    return Approval(row, outcome=_send(session, context, account, row, connection_id, fresh=True))


def _claim(session: Session, row: ObPushRequest) -> ObPushRequest:
    """Take the request for sending (``sending``), or :class:`RequestClosed` when it is no
    longer open (sent, declined, cancelled, expired meanwhile) or another send holds it."""
    if not repository.claim(session, row.id, utcnow(), SENDING_LEASE):
        session.refresh(row)
        raise RequestClosed(f"This request is {state_of(row)}; nothing more can be done with it.")
    session.refresh(row)
    return row


def _release_claim(session: Session, request_id: uuid.UUID, previous: str) -> None:
    repository.release(session, request_id, previous)


def _send(
    session: Session,
    context: AppContext,
    account: LearnerAccount,
    row: ObPushRequest,
    connection_id: uuid.UUID,
    *,
    fresh: bool,
) -> consumer.Outcome | None:
    """Claim, send, record. ``fresh``: the connection was just made. None when an older
    connection's access is dead (the host answers 401 and refuses the refresh): the claim is
    given back and the caller connects afresh."""
    request_id = row.id
    previous = row.state if row.state in OPEN_STATES else "failed"  # a dead claim taken over
    row = _claim(session, row)
    session.commit()  # the claim holds before the host is asked
    try:
        outcome = consumer.send_credential(
            session, context, account, connection_id, f"issued:{row.credential_id}", "json"
        )
    except BaseException:
        session.rollback()
        _release_claim(session, request_id, previous)
        session.commit()
        raise
    if outcome.status == 401 and not fresh:
        _release_claim(session, request_id, previous)
        return None
    current = session.get(ObPushRequest, request_id, populate_existing=True)
    if current is None or current.state != "sending":  # pragma: no cover - the claim holds it
        raise RequestClosed("This request changed while it was being sent.")
    sent = outcome.result in ("created", "replaced")
    _close(
        session,
        current,
        "sent" if sent else "failed",
        actor=f"account:{account.id}",
        account_id=account.id,
        status=outcome.status,
        detail=outcome.detail or outcome.result,
    )
    return outcome
