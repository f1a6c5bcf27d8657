"""Record what must be announced, turn it into deliveries, and send them with retries.

The transactional outbox (https://microservices.io/patterns/data/transactional-outbox.html):

1. :func:`record_event` writes an :class:`~app.models.OutboxEvent` in the transaction of the
   change (through the in-transaction subscribers of :mod:`app.outbox.subscribers`, and in the
   one-statement issuance's own statement), so nothing is announced for a rolled-back write and
   nothing committed can be lost;
2. after the commit the job runner (:mod:`app.jobs.delivery`) calls :func:`deliver_due`:
   each undispatched event goes through every channel's fan-out handler (:func:`on_event`),
   which adds :class:`~app.models.Delivery` rows, in one transaction that also marks the event
   dispatched; then every due delivery is leased, handed to its channel's sender
   (:func:`register_sender`) outside any transaction, and its outcome recorded at once.

Delivery is at least once: a process that dies after a receiver acknowledged a message but
before the outcome was committed sends it again once the lease runs out, with the same
``message_id`` (Standard Webhooks receivers de-duplicate on ``webhook-id``). A message whose
outcome was recorded as sent is never sent again, except by an explicit :func:`redeliver`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.models import Delivery, OutboxEvent
from app.models.base import utcnow
from app.outbox import repository

logger = logging.getLogger("app.outbox")

EVENT_TYPES = (
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.unsuspended",
    "credential.claimed",
    "batch.completed",
    "program.completed",
    "push.requested",
    "push.completed",
)
"""What the outbox announces (the webhook event names of issue 12)."""

RETRY_SCHEDULE_S = (0, 5, 300, 1_800, 7_200, 18_000, *([36_000] * 7))
"""Delay before each attempt (the first at once; then 5 s, 5 min, 30 min, 2 h, 5 h and every
10 h): 13 attempts over 77.6 hours, the Standard Webhooks schedule carried past 72 hours."""
LEASE_S = 120.0
"""How long a delivery being sent stays its runner's (senders time out well before)."""
EVENTS_PER_PASS = 200
DELIVERIES_PER_CLAIM = 50


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to. ``retry=False``: a permanent failure (no more attempts)."""

    delivered: bool
    status: int | None = None
    error: str | None = None
    retry: bool = True


FanOut = Callable[[Session, AppContext, OutboxEvent], None]
Sender = Callable[[AppContext, Delivery], Outcome]


class _Channels:
    """The fan-out handlers and senders installed by :func:`app.wiring.subscribe_all`."""

    def __init__(self) -> None:
        self.fan_out: list[FanOut] = []
        self.senders: dict[str, Sender] = {}


CHANNELS = _Channels()


def on_event(handler: FanOut) -> None:
    """Run ``handler`` for every event when it is dispatched (installed once; idempotent)."""
    if handler not in CHANNELS.fan_out:
        CHANNELS.fan_out.append(handler)


def register_sender(channel: str, sender: Sender) -> None:
    """Send the deliveries of ``channel`` with ``sender``."""
    CHANNELS.senders[channel] = sender


# --- recording (in the caller's transaction) --------------------------------------------------


def event_row(
    *, type: str, issuer_id: uuid.UUID, subject_id: uuid.UUID | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Every column of an ``outbox_events`` row (for writers that insert rows themselves)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown outbox event type {type!r}")
    return {
        "id": uuid.uuid4(),
        "issuer_id": issuer_id,
        "type": type,
        "subject_id": subject_id,
        "data": data,
        "dispatched_at": None,
        "created_at": utcnow(),
    }


def issued_row(
    *,
    credential_id: uuid.UUID,
    issuer_id: uuid.UUID,
    achievement_id: uuid.UUID,
    actor: str,
    notify: bool,
    program_award: bool,
    language: str | None = None,
    bound_from: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The ``outbox_events`` row announcing an issuance. The issuance writer inserts it with
    the credential, its allocations and its audit row (both of its forms), so an issuance and
    its announcement are one write."""
    return event_row(
        type="credential.issued",
        issuer_id=issuer_id,
        subject_id=credential_id,
        data={
            "credentialId": str(credential_id),
            "achievementId": str(achievement_id),
            "issuerId": str(issuer_id),
            "notify": notify,
            "programAward": program_award,
            "actor": actor,
            **({"language": language} if language else {}),
            # A copy bound to a holder's wallet (receivers must not count it as an award).
            **({"boundFromId": str(bound_from)} if bound_from else {}),
        },
    )


def record_event(
    session: Session,
    *,
    type: str,
    issuer_id: uuid.UUID,
    subject_id: uuid.UUID | None,
    data: dict[str, Any],
) -> OutboxEvent:
    """Add an event to the outbox in the session's transaction (no commit)."""
    event = OutboxEvent(
        **event_row(type=type, issuer_id=issuer_id, subject_id=subject_id, data=data)
    )
    session.add(event)
    return event


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def add_delivery(
    session: Session,
    *,
    channel: str,
    issuer_id: uuid.UUID | None,
    payload: dict[str, Any],
    target_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    message_id: str | None = None,
    not_before: datetime | None = None,
) -> Delivery:
    """Add a pending delivery (no commit)."""
    delivery = Delivery(
        id=uuid.uuid4(),
        event_id=event_id,
        issuer_id=issuer_id,
        channel=channel,
        target_id=target_id,
        message_id=message_id or new_message_id(),
        payload=payload,
        state="pending",
        attempts=0,
        next_attempt_at=not_before or utcnow(),
    )
    session.add(delivery)
    return delivery


def redeliver(session: Session, delivery: Delivery) -> Delivery:
    """Send a delivery again (a new pending one with the same message id; no commit)."""
    return add_delivery(
        session,
        channel=delivery.channel,
        issuer_id=delivery.issuer_id,
        payload=delivery.payload,
        target_id=delivery.target_id,
        event_id=delivery.event_id,
        message_id=delivery.message_id,
    )


def deliveries_for_target(
    session: Session, issuer_id: uuid.UUID, target_id: uuid.UUID, *, limit: int = 100
) -> list[Delivery]:
    """The issuer's latest deliveries to one target (a webhook endpoint, a credential), newest
    first. (A paged list needs a cursor on creation time and id: times are whole seconds, and a
    batch makes hundreds of deliveries in one; the webhooks API has its own.)"""
    return list(repository.for_target(session, issuer_id, target_id, limit))


def get_delivery(session: Session, issuer_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery | None:
    return repository.get_for_issuer(session, issuer_id, delivery_id)


# --- the relay (the job runner's side) ---------------------------------------------------------


def deliver_due(
    sessions: Callable[[], Session],
    context: AppContext,
    owner: str,
    *,
    now: datetime | None = None,
    between: Callable[[], None] = lambda: None,
) -> int:
    """Dispatch every waiting event, then send every delivery due at ``now``; how many sent
    or failed. Safe in any number of runners at once (events are locked while dispatched,
    deliveries leased while sent, and each lease renewed just before its send).
    ``between`` runs before each group of deliveries (the relay thread yields there)."""
    with sessions() as session:
        if not repository.has_work(session, now or utcnow()):
            return 0
    dispatch_events(sessions, context, now=now, between=between)
    done = 0
    while True:
        between()
        moment = now or utcnow()
        with sessions() as session:
            ids = repository.claim_due(session, owner, moment, DELIVERIES_PER_CLAIM, LEASE_S)
            if not ids:
                return done
            deliveries = list(repository.leased(session, ids, owner))
            session.expunge_all()
        for delivery in deliveries:
            _attempt(sessions, context, delivery, owner, now)
            done += 1


def dispatch_events(
    sessions: Callable[[], Session],
    context: AppContext,
    *,
    now: datetime | None = None,
    between: Callable[[], None] = lambda: None,
) -> int:
    """Fan every undispatched event out into deliveries; how many events. ``between`` runs
    before each pass of up to :data:`EVENTS_PER_PASS` events."""
    done = 0
    while True:
        between()
        with sessions() as session:
            events = list(repository.undispatched_events(session, EVENTS_PER_PASS))
            if not events:
                return done
            # By issuer: handlers lock per-issuer rows (the e-mail quota), always in one order.
            events.sort(key=lambda event: (str(event.issuer_id), event.created_at))
            ids = [event.id for event in events]
            try:
                for event in events:
                    _fan_out(session, context, event)
                repository.mark_dispatched(session, ids, now or utcnow())
                session.commit()
                done += len(events)
                continue
            except Exception:
                session.rollback()
                logger.exception("outbox: a fan-out failed; dispatching event by event")
        # One event per transaction, so that one failing handler holds back only its event
        # (it is tried again on the next pass).
        failed = 0
        for event_id in ids:
            with sessions() as session:
                one = repository.undispatched_event(session, event_id)
                if one is None:
                    continue
                try:
                    _fan_out(session, context, one)
                    repository.mark_dispatched(session, [event_id], now or utcnow())
                    session.commit()
                    done += 1
                except Exception:
                    session.rollback()
                    failed += 1
                    logger.exception("outbox: event %s not dispatched", event_id)
        if failed:
            return done


def _fan_out(session: Session, context: AppContext, event: OutboxEvent) -> None:
    for handler in CHANNELS.fan_out:
        handler(session, context, event)


def _attempt(
    sessions: Callable[[], Session],
    context: AppContext,
    delivery: Delivery,
    owner: str,
    now: datetime | None,
) -> None:
    # The group's lease was taken before the earlier sends of the group; renew it for this
    # one, or leave it: it was cancelled meanwhile, or the lease ran out and another relay
    # holds it (sending anyway would send it twice).
    with sessions() as session:
        held = repository.renew_lease(session, delivery.id, owner, (now or utcnow()), LEASE_S)
        session.commit()
    if not held:
        return
    sender = CHANNELS.senders.get(delivery.channel)
    if sender is None:
        outcome = Outcome(False, error=f"no sender for channel {delivery.channel!r}")
    else:
        try:
            outcome = sender(context, delivery)
        except Exception as error:  # a sender's defect must not stop the relay
            logger.exception("outbox: the %s sender failed on %s", delivery.channel, delivery.id)
            outcome = Outcome(False, error=f"{type(error).__name__} while sending")
    _record(sessions, delivery, outcome, owner, now or utcnow())


def _record(
    sessions: Callable[[], Session], delivery: Delivery, outcome: Outcome, owner: str, now: datetime
) -> None:
    """Commit one attempt's outcome at once (one conditional UPDATE): unless the delivery was
    cancelled meanwhile or its lease ran out and another relay holds it."""
    attempts = delivery.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status": outcome.status,
        "last_error": outcome.error[:2000] if outcome.error else None,
        "lease_owner": None,
        "lease_until": None,
    }
    if outcome.delivered:
        values |= {"state": "sent", "sent_at": now}
    elif outcome.retry and attempts < len(RETRY_SCHEDULE_S):
        values["next_attempt_at"] = now + timedelta(seconds=RETRY_SCHEDULE_S[attempts])
    else:
        values["state"] = "failed"
    with sessions() as session:
        repository.record_attempt(session, delivery.id, owner, values)
        session.commit()


PURGE_BATCH = 5_000
"""Finished deliveries one purge transaction deletes (a long backlog goes in several)."""


def purge(
    sessions: Callable[[], Session], context: AppContext, *, now: datetime | None = None
) -> int:
    """Forget what was sent (or given up, or cancelled) longer ago than
    ``BADGES_OUTBOX_RETENTION_DAYS``, and the events it came from: the outbox is a relay, not
    an archive (the audit log keeps who did what). How many deliveries went."""
    before = (now or utcnow()) - timedelta(days=context.settings.outbox_retention_days)
    gone = 0
    while True:
        with sessions() as session:
            count = repository.purge_finished(session, before, PURGE_BATCH)
            session.commit()
        gone += count
        if count < PURGE_BATCH:
            break
    purge_spent_access(sessions, now=now)
    return gone


SPENT_ACCESS_GRACE = timedelta(days=1)
"""How long a spent sign-in link, session, OAuth code or token, or Open Badges API
authorization is kept after it expired, was used or was revoked (a day of "already used"
answers rather than "unknown" ones), before :func:`purge_spent_access` deletes it."""


def purge_spent_access(sessions: Callable[[], Session], *, now: datetime | None = None) -> int:
    """Delete what no longer opens anything, :data:`SPENT_ACCESS_GRACE` after it ended:
    sign-in links (every address typed into the sign-in form is in one), learner sessions,
    OAuth codes and tokens, and pending Open Badges API authorizations; in batches of
    :data:`PURGE_BATCH`, one transaction each. An OAuth code stays while tokens made from it
    do (they are revoked together when it is replayed). How many rows went."""
    before = (now or utcnow()) - SPENT_ACCESS_GRACE
    gone = 0
    for step in range(repository.SPENT_TABLES):
        while True:
            with sessions() as session:
                count = repository.purge_spent(session, step, before, PURGE_BATCH)
                session.commit()
            gone += count
            if count < PURGE_BATCH:
                break
    return gone


def next_due(session: Session) -> datetime | None:
    """When the next pending delivery is due (None: nothing pending). Events waiting to be
    dispatched are not counted: a new one wakes the relay of its process, and one whose
    fan-out failed waits for the next regular pass rather than being retried in a loop."""
    return repository.next_due(session)


def run_once(
    sessions: Callable[[], Session], context: AppContext, *, now: datetime | None = None
) -> int:
    """One full pass, synchronously (tests drive deliveries with it)."""
    return deliver_due(sessions, context, f"once-{uuid.uuid4().hex[:12]}", now=now)
