"""This worker's memo of verification results for its own credentials' pages.

Implements :class:`openbadges.verification.memo.VerificationMemo` for the credential page
(``app.web.credential_page``), which verifies our own credentials when a page is not cached:
without it every such page re-verified the credential's two status lists (a canonicalisation,
a signature and a DID document each), about 8 ms of CPU per page.

What is kept, and why it cannot show a wrong verdict:

* our status list documents themselves (:func:`kept_list`), for the list's ``ttl``
  (``BADGES_STATUS_LIST_TTL_SECONDS``, at most :data:`MAX_LIST_TTL_S`, never past its
  ``validUntil``): the page compares the verdict they give with the credential's row
  (``revoked_at``/``suspended_at``, written in the same transaction as the bit) and reads the
  lists again when they disagree, so a revocation shows as soon as the row says so (at once in
  the revoking worker, within ``published.STATE_TTL_S`` in the others), as before;
* a status list's verification, keyed by the list's whole content: a revocation or suspension
  re-signs the list, so the changed list is a new key and is verified afresh. Kept as long as
  the list document may be;
* a credential's ``proof`` and ``issuer_key`` checks, keyed by its content, for
  :data:`PROOF_TTL_S`: the same bytes verify the same way under keys that are never deleted;
* the key a proof's verification method resolves to, when it is bound to the issuer, no
  longer than the documents it was read from are reused (``KEY_TTL_S``: our DID documents, and
  a foreign endorser's fetched ones, a minute): our retired keys stay published, so a key bound
  to us stays bound;
* only positive results: a failure is recomputed every time, so nothing here can make a bad
  answer stick. The page re-verifies without the memo whenever the verdict is not "verified"
  (``app.verification.service.verify_own``).

Every cache here is bounded in entries (the kept lists also in bytes); memo keys are digests.
The stores are declared in :mod:`app.hot.verification`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from app.core.cache import TtlLru
from app.hot import verification as hot
from app.hot.verification import KEY_TTL_S, MAX_LIST_TTL_S, PROOF_TTL_S
from openbadges.verification.memo import MemoKind

T = TypeVar("T")

__all__ = ["MAX_LIST_TTL_S", "PAGE_MEMO", "PROOF_TTL_S", "PageMemo"]


class PageMemo:
    """Status list verifications, proof checks and resolved keys kept in bounded stores."""

    def __init__(
        self,
        *,
        lists: TtlLru[bytes, Any],
        proofs: TtlLru[bytes, Any],
        keys: TtlLru[bytes, Any],
    ) -> None:
        self._lists = lists
        self._proofs = proofs
        self._keys = keys

    def recall(
        self, kind: MemoKind, key: bytes, document: dict[str, Any], compute: Callable[[], T]
    ) -> T:
        """The kept result for ``key`` or ``compute()``, kept when positive."""
        cache = (
            self._lists if kind == "status_list" else self._keys if kind == "key" else self._proofs
        )
        hit = cache.get(key)
        if hit is not None:
            return cast(T, hit)
        result = compute()
        if kind == "status_list":
            if getattr(result, "verified", False):
                cache.put(key, result, _list_ttl_s(document))
        elif kind == "key":
            if getattr(result, "binding", None) == "valid":
                cache.put(key, result, KEY_TTL_S)
        elif all(getattr(check, "status", None) == "valid" for check in cast(Any, result)):
            cache.put(key, result, PROOF_TTL_S)
        return result

    def digest_of(self, document: dict[str, Any]) -> bytes | None:
        """The SHA-256 of the text of a status list this worker keeps, when ``document`` is
        that very object (:func:`keep_list`), so the list's memo key costs no serialisation.
        The kept entry holds the object, so its identity cannot pass to another document."""
        list_id = _list_id(document.get("id"))
        hit = None if list_id is None else hot.kept_lists.get(list_id)
        return hit[2] if hit is not None and hit[0] is document else None

    def sizes(self) -> tuple[int, int, int]:
        """How many list verifications, proof checks and keys are kept (tests watch the
        bounds)."""
        return len(self._lists), len(self._proofs), len(self._keys)

    def clear(self) -> None:
        """Forget everything, kept status lists included (tests)."""
        self._lists.clear()
        self._proofs.clear()
        self._keys.clear()
        forget_lists()


def _list_ttl_s(document: dict[str, Any], now: datetime | None = None) -> float:
    """How long a status list's verification may be reused: its ``ttl``, not past its end."""
    subject = document.get("credentialSubject")
    ttl_ms = subject.get("ttl") if isinstance(subject, dict) else None
    ttl = MAX_LIST_TTL_S
    if isinstance(ttl_ms, int | float) and not isinstance(ttl_ms, bool):
        ttl = min(ttl, max(0.0, ttl_ms / 1000))
    until = document.get("validUntil")
    if isinstance(until, str):
        try:
            end = datetime.fromisoformat(until.replace("Z", "+00:00"))
        except ValueError:
            return 0.0
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
        ttl = min(ttl, (end - (now or datetime.now(UTC))).total_seconds())
    return ttl


PAGE_MEMO = PageMemo(lists=hot.memo_list_checks, proofs=hot.memo_proof_checks, keys=hot.memo_keys)
"""The one memo of this worker (used by the credential page)."""


def kept_list(list_id: uuid.UUID) -> dict[str, Any] | None:
    """Our status list document as this worker read it within its ``ttl``, or None.

    Only for a caller that checks the answer against the credential's own row (revoked_at /
    suspended_at, written in the same transaction as the list's bit) and reads the list again
    when they disagree (``app.verification.service.verify_own``): a kept list may be older than
    the database's, never older than its ``ttl``.
    """
    hit = hot.kept_lists.get(list_id)
    return None if hit is None else hit[0]


def keep_list(list_id: uuid.UUID, document: dict[str, Any], text: str) -> None:
    """Keep a list document just parsed from ``text``, read from the database."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    hot.kept_lists.put(list_id, (document, len(text), digest), _list_ttl_s(document))


def _list_id(url: object) -> uuid.UUID | None:
    """The id at the end of a status list's URL (``…/status/{id}``), or None."""
    if not isinstance(url, str):
        return None
    try:
        return uuid.UUID(url.rpartition("/")[2])
    except ValueError:
        return None


def forget_lists() -> None:
    """Forget every kept list (tests)."""
    hot.kept_lists.clear()
