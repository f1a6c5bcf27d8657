"""Bitstring status lists: index allocation, bit changes and the signed list credential.

* Indexes are random (herd privacy) and unique per list: the ``(list_id, index)`` unique
  constraint decides. Each attempt is one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (no
  savepoint, no separate list query); a collision just retries. Two concurrent issuances
  therefore never share an index, and a failed issuance rolls its allocation back with
  everything else.
* A bit change re-signs the list credential in the same transaction as the change, under the
  list's row lock (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so once a
  revoke returns, ``GET /status/{id}`` shows it.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.cache import TtlLru
from app.core.context import AppContext
from app.core.errors import NotFound
from app.core.urls import issuer_did, status_list_url
from app.models import StatusAllocation, StatusList
from app.signing_keys import service as keys
from app.status import repository
from openbadges import status_list as ob_status

LIST_SIZE = 131_072
"""The W3C minimum (16 KB uncompressed): smaller lists fail strict verifiers."""
PURPOSES = ("revocation", "suspension")
RANDOM_ATTEMPTS = 16
"""Random probes before reading the used set; collisions are rare until a list fills."""


OPEN_LIST_HINT_SECONDS = 3600.0
"""How long a worker remembers an issuer's open lists (a memory bound: the hint is re-checked
by every issuance that uses it, and dropped when it fails)."""

_open_lists: TtlLru[uuid.UUID, tuple[uuid.UUID, ...]] = TtlLru(4096)
"""issuer id -> the open list per purpose, in :data:`PURPOSES` order, as last allocated from."""


@dataclass(frozen=True, slots=True)
class Allocation:
    """A credential's place in one list."""

    purpose: str
    list_id: uuid.UUID
    index: int


def _remember_open_lists(issuer_id: uuid.UUID, allocations: list[Allocation]) -> None:
    """Note the lists an issuance just allocated from.

    Noted before the transaction commits: should it roll back a list it created, the hint
    names a list that does not exist, which the next one-statement issuance finds (its guard
    fails) and drops.
    """
    by_purpose = {a.purpose: a.list_id for a in allocations}
    if set(by_purpose) == set(PURPOSES):
        _open_lists.put(issuer_id, tuple(by_purpose[p] for p in PURPOSES), OPEN_LIST_HINT_SECONDS)


def forget_open_lists(issuer_id: uuid.UUID) -> None:
    """Drop the hint (a list it names filled up)."""
    _open_lists.discard(issuer_id)


def random_slots(issuer_id: uuid.UUID) -> list[Allocation] | None:
    """A random index in each of the issuer's hinted open lists, unchecked; None without a hint.

    For the one-statement issuance, which signs before it writes: the database decides when
    the row is inserted (the unique ``(list_id, index)`` constraint), and a taken index makes
    the caller draw again. Same distribution as :func:`allocate`: uniform over the list.
    """
    lists = _open_lists.get(issuer_id)
    if lists is None:
        return None
    return [
        Allocation(purpose, list_id, secrets.randbelow(LIST_SIZE))
        for purpose, list_id in zip(PURPOSES, lists, strict=True)
    ]


def _serialise(document: dict[str, Any]) -> str:
    """The exact text we store and serve."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _sign_list(session: Session, context: AppContext, row: StatusList) -> None:
    """Build and sign the list credential from ``row.encoded_list``; store it on the row."""
    base = context.settings.base_url
    document = ob_status.status_list_credential(
        status_list_url(base, row.id),
        issuer_did(base, row.issuer_id),
        row.purpose,
        ob_status.Bitstring.decode(row.encoded_list),
        valid_from=datetime.now(UTC).replace(microsecond=0),
        ttl_ms=context.settings.status_list_ttl_seconds * 1000,
    )
    key = keys.require_active_key(session, row.issuer_id, keys.DATA_INTEGRITY)
    row.document = _serialise(keys.sign_data_integrity(context, key, document))


def create_list(
    session: Session, context: AppContext, issuer_id: uuid.UUID, purpose: str
) -> StatusList:
    """A new, empty, signed list (flushes; the caller commits)."""
    row = StatusList(
        id=uuid.uuid4(),
        issuer_id=issuer_id,
        purpose=purpose,
        size=LIST_SIZE,
        encoded_list=ob_status.Bitstring(LIST_SIZE).encode(),
    )
    _sign_list(session, context, row)
    session.add(row)
    session.flush()
    return row


def create_initial_lists(session: Session, context: AppContext, issuer_id: uuid.UUID) -> None:
    """One revocation and one suspension list for a new issuer."""
    for purpose in PURPOSES:
        create_list(session, context, issuer_id, purpose)


def _try_insert(session: Session, allocation: StatusAllocation) -> bool:
    """Insert in a savepoint; False when the index is already taken (the rare full-list path)."""
    try:
        with session.begin_nested():
            session.add(allocation)
            session.flush()
    except IntegrityError:
        return False
    return True


def _allocate_scan(
    session: Session, row: StatusList, credential_id: uuid.UUID
) -> StatusAllocation | None:
    """Pick from the free indexes of a crowded list; None (and the list marked full) if none."""
    used = repository.used_indexes(session, row.id)
    while len(used) < row.size:
        index = ob_status.random_free_index(used, row.size)
        candidate = StatusAllocation(
            list_id=row.id, index=index, credential_id=credential_id, purpose=row.purpose
        )
        if _try_insert(session, candidate):
            return candidate
        used.add(index)
    row.is_full = True
    session.flush()
    return None


def _allocate_one(
    session: Session,
    context: AppContext,
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    purpose: str,
) -> Allocation:
    """A random free index in the issuer's open ``purpose`` list (creating one if needed).

    The common case is one statement (:func:`repository.try_allocate`). Only when it takes
    nothing do we look why: no open list (create one), or repeated collisions (a crowded list:
    scan its free indexes, marking it full when there are none).
    """
    while True:
        for _ in range(RANDOM_ATTEMPTS):
            candidate = secrets.randbelow(LIST_SIZE)
            taken = repository.try_allocate(session, issuer_id, purpose, credential_id, candidate)
            if taken is not None:
                return Allocation(purpose, *taken)
            if repository.open_list(session, issuer_id, purpose) is None:
                create_list(session, context, issuer_id, purpose)
        row = repository.open_list(session, issuer_id, purpose)
        if row is None:
            continue
        allocation = _allocate_scan(session, row, credential_id)
        if allocation is not None:
            return Allocation(purpose, row.id, allocation.index)


def allocate(
    session: Session, context: AppContext, issuer_id: uuid.UUID, credential_id: uuid.UUID
) -> list[Allocation]:
    """One index in a revocation list, then one in a suspension list (no commit).

    Always in this order: a collision waits for the other transaction, and a fixed order means
    two issuances can never each hold what the other waits for (no deadlock).
    """
    allocations = [
        _allocate_one(session, context, issuer_id, credential_id, purpose) for purpose in PURPOSES
    ]
    _remember_open_lists(issuer_id, allocations)
    return allocations


def set_bit(
    session: Session, context: AppContext, credential_id: uuid.UUID, purpose: str, value: bool
) -> None:
    """Set the credential's bit in its ``purpose`` list and re-sign the list (no commit)."""
    allocation = next(
        (a for a in repository.allocations_of(session, credential_id) if a.purpose == purpose),
        None,
    )
    if allocation is None:
        raise NotFound(f"The credential has no {purpose} status entry.")
    row = repository.get_list(session, allocation.list_id, for_update=True)
    if row is None:  # pragma: no cover - foreign key guarantees it
        raise NotFound("status list not found")
    bits = ob_status.Bitstring.decode(row.encoded_list)
    bits.set(allocation.index, value)
    row.encoded_list = bits.encode()
    row.revision += 1
    _sign_list(session, context, row)
    session.flush()


def get_published_list(session: Session, list_id: uuid.UUID) -> StatusList:
    """The stored list for ``GET /status/{id}`` (404 when unknown)."""
    row = repository.get_list(session, list_id)
    if row is None:
        raise NotFound("No such status list.")
    return row
