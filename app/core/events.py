"""Domain events and the unit of work that delivers them.

A service says what happened (``record(session, CredentialIssued(...))``) instead of calling
every part of the system that cares. Two kinds of subscriber:

- **in-transaction** ones run at once, inside the caller's transaction, before it commits
  (program awards: the award commits or rolls back with its cause);
- **after-commit** ones run once the session's root transaction has committed, and never for
  a rolled-back or abandoned one (forgetting per-worker memory now; handing e-mail and
  webhooks to an outbox next). A write that was durable on its own (the one-statement
  issuance on an autocommit connection: the session holds no transaction) is committed when
  its event is recorded, so its after-commit subscribers run at once.

Subscribers are registered by the composition root (:func:`app.wiring.subscribe_all`), not by
importing a module, so what reacts to what is listed in one place; recording an event before
that is an error rather than a silently missed award.

Savepoints are not used by this service; recording inside one is refused, since its rollback
would not take the event back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

logger = logging.getLogger("app.events")

E = TypeVar("E", bound="DomainEvent")

InTransaction = Callable[[Session, Any], None]
AfterCommit = Callable[[Any], None]

_PENDING = "pending_domain_events"
"""``session.info`` key: events recorded in the session's open transaction."""


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened to the service's data (subclasses say what)."""


class EventsNotWired(RuntimeError):
    """An event was recorded before the subscribers were installed."""


class _Subscribers:
    """Who listens to which event type, in registration order."""

    def __init__(self) -> None:
        self.in_transaction: dict[type[DomainEvent], list[InTransaction]] = {}
        self.after_commit: dict[type[DomainEvent], list[AfterCommit]] = {}
        self.wired = False
        self.lock = threading.Lock()


_subscribers = _Subscribers()


def subscribe_in_transaction(kind: type[E], handler: Callable[[Session, E], None]) -> None:
    """Run ``handler(session, event)`` inside the transaction that records a ``kind`` event."""
    with _subscribers.lock:
        handlers = _subscribers.in_transaction.setdefault(kind, [])
        if handler not in handlers:
            handlers.append(handler)


def subscribe_after_commit(kind: type[E], handler: Callable[[E], None]) -> None:
    """Run ``handler(event)`` after the transaction that recorded a ``kind`` event commits."""
    with _subscribers.lock:
        handlers = _subscribers.after_commit.setdefault(kind, [])
        if handler not in handlers:
            handlers.append(handler)


def mark_wired() -> None:
    """Declare the subscribers installed (the composition root calls this last)."""
    _subscribers.wired = True


def _handlers(table: dict[type[DomainEvent], list[Any]], event: DomainEvent) -> list[Any]:
    """Handlers of the event's class and of its bases, most general last."""
    found: list[Any] = []
    for kind in type(event).__mro__:
        found.extend(table.get(kind, ()))
    return found


def record(session: Session, event: DomainEvent) -> None:
    """Record ``event`` in the session's unit of work.

    In-transaction subscribers run now, in the caller's transaction (an exception from one
    propagates: the caller's transaction must then roll back). After-commit subscribers run
    when the root transaction commits, or now when the session holds no transaction (the
    write that caused the event was durable on its own).
    """
    if not _subscribers.wired:
        raise EventsNotWired(
            f"{type(event).__name__} recorded before app.wiring.subscribe_all() ran"
        )
    if session.in_nested_transaction():
        raise RuntimeError("domain events cannot be recorded inside a savepoint")
    for handler in _handlers(_subscribers.in_transaction, event):
        handler(session, event)
    if session.in_transaction():
        session.info.setdefault(_PENDING, []).append(event)
    else:
        _deliver([event])


def pending(session: Session) -> list[DomainEvent]:
    """Events recorded in the session's open transaction and not yet delivered (tests)."""
    return list(session.info.get(_PENDING, ()))


def _deliver(events: list[DomainEvent]) -> None:
    """Run the after-commit subscribers; one failing is logged and does not stop the others.

    The data is committed by now: an exception here cannot undo it, only hide it from the
    caller, so it is logged with the event type (never the event's values: they may hold
    e-mail addresses).
    """
    for event in events:
        for handler in _handlers(_subscribers.after_commit, event):
            try:
                handler(event)
            except Exception:
                logger.exception(
                    "after-commit subscriber failed",
                    extra={"event": type(event).__name__, "subscriber": handler.__qualname__},
                )


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # SQLAlchemy also fires this when a savepoint is released: the root may still roll back.
    if session.in_nested_transaction():
        return
    events = session.info.pop(_PENDING, None)
    if events:
        _deliver(events)


@sa_event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """A root transaction that ended without committing takes its events with it."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
