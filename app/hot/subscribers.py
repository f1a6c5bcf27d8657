"""After-commit handlers that drop what this worker keeps about something that changed.

Each store's declaration names the events that clear it (``cleared_by``); this module is where
that happens. After the commit, not before: forgetting earlier would let a concurrent request
in this worker read the old row and keep it again before the change is visible. Other workers
keep their copies until the store's time to live runs out (the declarations say what that can
cause).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core import events
from app.core.events import DomainEvent
from app.events import (
    AchievementVersioned,
    CredentialStatusChanged,
    CredentialVisibilityChanged,
    EndorsementDecided,
    EndorsementsRequested,
    IssuerUpdated,
    KeysRotated,
)
from app.hot import issuing, public, verification


def _keys_rotated(event: KeysRotated) -> None:
    """The issuer's active keys and DID document. The generation is bumped under its lock, so
    a lookup that read the retired key before the commit does not keep it afterwards."""
    with issuing.key_generations.lock:
        issuing.key_generations.bump(event.issuer_id)
        issuing.active_keys.discard_where(lambda key: key[0] == event.issuer_id)
        verification.did_documents.discard(event.issuer_id)


def _issuer_updated(event: IssuerUpdated) -> None:
    """The embedded profile; the open-list hint too when the suspension setting changed (it
    names the purposes of the old setting)."""
    issuing.issuer_profiles.discard_where(lambda key: key[1] == event.issuer_id)
    public.page_brands.discard(event.issuer_id)
    if event.suspension_changed:
        issuing.open_lists.discard(event.issuer_id)


def _endorsements_changed(_event: EndorsementsRequested | EndorsementDecided) -> None:
    """Every embedded endorsement set (an endorsement may target many achievements' sets)."""
    issuing.embedded_endorsements.clear()


def _achievement_versioned(event: AchievementVersioned) -> None:
    """The lineage's issued-current hint: it names a version that is no longer current."""
    issuing.current_issued.discard((event.issuer_id, event.lineage_id))


def _credential_changed(event: CredentialStatusChanged | CredentialVisibilityChanged) -> None:
    """The credential's signed bytes and page state: this worker shows the change at once."""
    public.published.discard(event.credential_id)
    public.public_states.discard(event.credential_id)


HANDLERS: tuple[tuple[type[DomainEvent], Callable[[Any], None]], ...] = (
    (KeysRotated, _keys_rotated),
    (IssuerUpdated, _issuer_updated),
    (EndorsementsRequested, _endorsements_changed),
    (EndorsementDecided, _endorsements_changed),
    (AchievementVersioned, _achievement_versioned),
    (CredentialStatusChanged, _credential_changed),
    (CredentialVisibilityChanged, _credential_changed),
)
"""Which handler clears what after which event (``tests/app/test_hot.py`` checks that every
declared ``cleared_by`` event is here)."""


def subscribe() -> None:
    """Register every handler (by :func:`app.wiring.subscribe_all`; idempotent)."""
    for kind, handler in HANDLERS:
        events.subscribe_after_commit(kind, handler)
