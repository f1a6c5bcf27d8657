"""Per-worker hints used when issuing: keys, achievement versions, profiles, status lists.

Each lets the hot issuing path skip a query. Most are re-checked by the write they feed (the
one-statement issuance's guard), and those that are not hold data whose staleness the service
accepts for a few seconds: a retired key that still verifies, a profile or endorsement set
that was current a moment ago.
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import TYPE_CHECKING, Any

from app.core.cache import TtlLru
from app.events import (
    AchievementVersioned,
    EndorsementDecided,
    EndorsementsRequested,
    IssuerUpdated,
    KeysRotated,
)
from app.hot.registry import declare

if TYPE_CHECKING:
    from app.models import Achievement
    from app.signing_keys.service import ActiveKey
    from app.status.service import ReservedBlock

ACTIVE_KEY_CACHE_SECONDS = 5.0
"""How long a worker signs new credentials with the active key it looked up last.

Issuing asks for the active key on every credential; a worker remembers it for this long. The
worker that rotates forgets at once (after its commit); another worker may go on signing with
the just-retired key for up to this many seconds. Those credentials still verify, because a
retired key stays in the issuer's DID document for good (keys are never deleted)."""

active_keys: TtlLru[tuple[uuid.UUID, str], ActiveKey] = declare(
    TtlLru(1024),
    name="active signing keys",
    ttl_s=ACTIVE_KEY_CACHE_SECONDS,
    cleared_by=(KeysRotated,),
    stale_effect="another worker signs with the just-retired key; the credential verifies "
    "(retired keys stay in the DID document)",
)
"""``(issuer_id, purpose)`` -> an immutable copy of the active key's signing columns."""


class KeyGenerations:
    """How many times this worker forgot each issuer's keys: a lookup that started before a
    rotation's forgetting must not cache the key it read (it may be the retired one)."""

    def __init__(self) -> None:
        self._counts: dict[uuid.UUID, int] = {}
        self.lock = threading.Lock()
        """Held by whoever compares a generation and then stores, and by whoever bumps one."""

    def of(self, issuer_id: uuid.UUID) -> int:
        """The issuer's current generation."""
        return self._counts.get(issuer_id, 0)

    def bump(self, issuer_id: uuid.UUID) -> None:
        """Start a new generation (the caller holds :attr:`lock`)."""
        self._counts[issuer_id] = self._counts.get(issuer_id, 0) + 1

    def clear(self) -> None:
        """Forget every count (a lookup in flight then finds a changed one and keeps nothing)."""
        with self.lock:
            self._counts.clear()

    def __len__(self) -> int:
        return len(self._counts)


key_generations = declare(
    KeyGenerations(),
    name="signing key generations",
    ttl_s=None,
    why_no_ttl="one small integer per issuer whose keys this worker rotated",
    why_no_event="bumped by the KeysRotated handler itself, never stale",
    stale_effect="none: a counter, not a copy of data",
)

EMBED_CACHE_SECONDS = 5.0
"""How long a worker reuses the endorsements it embeds in newly issued credentials.

A new endorsement is embedded at once by the worker that stored it (the cache is cleared after
its commit) and within this many seconds by the others; a credential issued in between simply
lacks it, as one issued a moment before the endorsement would."""

embedded_endorsements: TtlLru[tuple[str, str | None], list[str]] = declare(
    TtlLru(4096),
    name="embedded endorsements",
    ttl_s=EMBED_CACHE_SECONDS,
    cleared_by=(EndorsementsRequested, EndorsementDecided),
    stale_effect="a credential issued by another worker lacks an endorsement accepted in "
    "the last seconds (or, after a decline, embeds one the owner has just declined)",
)
"""``(achievement id, language)`` -> the accepted endorsements' JSON texts."""

VERSION_CACHE_SECONDS = 3600.0
"""How long a worker keeps an issued achievement version (a memory bound only).

A version is edited in place until its first credential and never afterwards, so only versions
a committed credential was issued from are kept (:func:`app.achievements.service.remember_issued`).
Every issuance still asks the database which version is current (one one-column query); only
the row load is saved."""

issued_versions: TtlLru[uuid.UUID, Achievement] = declare(
    TtlLru(2048),
    name="issued achievement versions",
    ttl_s=VERSION_CACHE_SECONDS,
    why_no_event="a version that has been issued from is never edited again",
    stale_effect="none: the rows kept cannot change",
)

current_issued: TtlLru[tuple[uuid.UUID, uuid.UUID], Achievement] = declare(
    TtlLru(2048),
    name="current issued version hints",
    ttl_s=VERSION_CACHE_SECONDS,
    cleared_by=(AchievementVersioned,),
    stale_effect="the one-statement issuance's guard finds the version is no longer current; "
    "that issuance takes the transactional path and the hint is dropped",
)
"""``(issuer_id, lineage_id)`` -> the version this worker last issued from, believed current.

Only a hint: the one-statement issuance re-checks in its own snapshot that the version is
still the current one (:func:`app.credentials.repository.insert_issued`)."""

PROFILE_CACHE_SECONDS = 5.0
"""How long a worker reuses the issuer object it embeds in new credentials.

After a profile change (:func:`app.issuers.service.update_issuer`) the worker that made it
embeds the new profile at once; the other workers may embed the previous one for up to this
many seconds."""

issuer_profiles: TtlLru[tuple[str, uuid.UUID], dict[str, Any]] = declare(
    TtlLru(1024),
    name="embedded issuer profiles",
    ttl_s=PROFILE_CACHE_SECONDS,
    cleared_by=(IssuerUpdated,),
    stale_effect="a credential issued by another worker embeds the profile as it was seconds ago",
)
"""``(base_url, issuer_id)`` -> the issuer object embedded in new credentials."""

OPEN_LIST_HINT_SECONDS = 3600.0
"""How long a worker remembers an issuer's open lists (a memory bound: the hint is re-checked
by every issuance that uses it, and dropped when it fails)."""

open_lists: TtlLru[uuid.UUID, tuple[tuple[str, uuid.UUID], ...]] = declare(
    TtlLru(4096),
    name="open status list hints",
    ttl_s=OPEN_LIST_HINT_SECONDS,
    cleared_by=(IssuerUpdated,),
    stale_effect="the one-statement issuance's guard finds a list full or the purposes "
    "changed; that issuance takes the transactional path and the hint is dropped",
)
"""issuer id -> ``(purpose, open list)`` per purpose the issuer's credentials get (which also
says whether the issuer had suspension enabled), as last allocated from. Only an
:class:`~app.events.IssuerUpdated` that changed the suspension setting drops it."""

PROGRAM_MODULE_HINT_S = 60.0
"""How long a lineage found to be a program module sends its credentials straight to the
transactional path."""

program_modules: TtlLru[uuid.UUID, bool] = declare(
    TtlLru(4096),
    name="program module hints",
    ttl_s=PROGRAM_MODULE_HINT_S,
    why_no_event="a lineage that became a module is caught by the one-statement guard "
    "(is_program_module); one that stopped being one only takes the slower path a while",
    stale_effect="credentials of a lineage no longer in a program take the transactional "
    "path (correct, slower) for up to a minute",
)
"""Achievement lineages recently found to be program modules: their credentials take the
transactional path (it evaluates the programs) without trying the one-statement one first."""


class Reservations:
    """Status list positions this worker reserved durably, per list (see
    :mod:`app.status.service`): handed out one by one without a round trip."""

    def __init__(self) -> None:
        self.blocks: dict[uuid.UUID, list[ReservedBlock]] = {}
        self.lock = threading.Lock()

    def clear(self) -> None:
        """Drop every block (their positions stay unused: a gap)."""
        with self.lock:
            self.blocks.clear()

    def after_fork_in_child(self) -> None:
        """A fresh lock (another thread of the parent may have held the old one, and it would
        never be released in the child), then no blocks: the child must not hand out its
        parent's positions."""
        self.lock = threading.Lock()
        self.clear()

    def __len__(self) -> int:
        return len(self.blocks)


reservations = declare(
    Reservations(),
    name="status position reservations",
    ttl_s=None,
    why_no_ttl="the positions are reserved for this worker in the database; they stay valid "
    "until handed out",
    why_no_event="dropped in a forked child and when a unique violation says a position was "
    "handed out twice (app.status.service.forget_reservations)",
    stale_effect="none while this worker is the only holder; a copy in a forked child would "
    "hand out its parent's positions, hence the fork handler",
)

os.register_at_fork(after_in_child=reservations.after_fork_in_child)
