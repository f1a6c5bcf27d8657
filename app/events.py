"""What happens to the service's data, as domain events: the vocabulary services record
(:func:`app.core.events.record`) and subscribers react to.

One module for all of them, below every domain package: the programs, the per-worker memory
(:mod:`app.hot`) and, next, the outbox subscribe to events of several packages, and no
package has to import another to say what happened to its own data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from app.core.events import DomainEvent
from app.models import Achievement, Credential

# --- credentials ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CredentialIssued(DomainEvent):
    """A credential was signed and written.

    ``row`` is for in-transaction subscribers (it is the session's own object); after-commit
    subscribers read the plain fields. ``in_statement``: written by the one-statement form,
    whose guard established in the write's own snapshot that no program counts the
    achievement; in-transaction subscribers that only act on program modules skip it.
    """

    credential_id: uuid.UUID
    issuer_id: uuid.UUID
    achievement_id: uuid.UUID
    lineage_id: uuid.UUID
    version: int
    actor: str
    in_statement: bool = False
    program_award: bool = False
    """Issued by a program for completing it (programs do not evaluate their own awards)."""
    bound_copy: bool = False
    """A copy of another credential bound to a holder's DID (programs do not count it)."""
    notify: bool = True
    """Whether the learner is to be told (the request's ``notify``; the e-mail channel decides)."""
    row: Credential | None = field(default=None, compare=False, repr=False)
    achievement: Achievement | None = field(default=None, compare=False, repr=False)
    """The version it was issued from (loaded; attributes stay after the commit)."""


@dataclass(frozen=True, slots=True)
class CredentialStatusChanged(DomainEvent):
    """A credential was revoked, suspended or unsuspended (``kind``), its list re-signed."""

    credential_id: uuid.UUID
    issuer_id: uuid.UUID
    kind: str
    actor: str
    reason: str | None = None
    row: Credential | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class CredentialVisibilityChanged(DomainEvent):
    """The learner hid or showed a credential's public URLs."""

    credential_id: uuid.UUID
    hidden: bool


# --- achievements -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AchievementVersioned(DomainEvent):
    """A new version of an achievement became current (``version`` 1: it was created)."""

    issuer_id: uuid.UUID
    lineage_id: uuid.UUID
    version: int


# --- signing keys -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeysRotated(DomainEvent):
    """An issuer's active signing keys were retired and replaced."""

    issuer_id: uuid.UUID


# --- endorsements -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EndorsementsRequested(DomainEvent):
    """Endorsements were created (pending, or accepted at once when endorser owns the target)."""

    endorsement_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True, slots=True)
class EndorsementDecided(DomainEvent):
    """The target's owner accepted or declined an endorsement (``decision``)."""

    endorsement_id: uuid.UUID
    decision: str


# --- issuers ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuerUpdated(DomainEvent):
    """An issuer's profile or settings changed (``suspension_changed``: its suspension setting)."""

    issuer_id: uuid.UUID
    suspension_changed: bool = False


# --- batches ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchQueued(DomainEvent):
    """A batch was created with rows to issue (after its commit a job runner is woken)."""

    batch_id: uuid.UUID
    issuer_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class BatchCompleted(DomainEvent):
    """A batch has no pending row left (``state``: ``completed`` or ``failed``)."""

    batch_id: uuid.UUID
    issuer_id: uuid.UUID
    state: str
    issued: int
    skipped: int
    failed: int


# --- requests to send a credential to another host -----------------------------------------


@dataclass(frozen=True, slots=True)
class PushRequested(DomainEvent):
    """An issuer asked the learner to send a credential to another Open Badges host
    (:mod:`app.pushes`): the learner is to be told."""

    request_id: uuid.UUID
    issuer_id: uuid.UUID
    credential_id: uuid.UUID
    api_root: str
    host_name: str
    expires_at: str
    actor: str


@dataclass(frozen=True, slots=True)
class PushDecided(DomainEvent):
    """A push request came to an end or a result: ``state`` ``sent``, ``failed`` (the host
    refused; the learner may try again), ``declined`` by the learner or ``cancelled`` by the
    issuer."""

    request_id: uuid.UUID
    issuer_id: uuid.UUID
    credential_id: uuid.UUID
    state: str
    api_root: str
    result_status: int | None = None
    result_detail: str | None = None
