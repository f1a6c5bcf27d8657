"""Per-worker memory of verification: our credential pages' checks, DID documents, fetches.

Only positive results are kept, keyed by the content they are about or re-checked against
the database before a verdict is shown (:mod:`app.verification.memo`), so nothing here can make
a page say "verified" for a credential that is not.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.core.cache import TtlLru
from app.core.fetch import FETCH_TTL_S, FetchCache, new_fetch_cache
from app.events import KeysRotated
from app.hot.registry import declare

MAX_LIST_TTL_S = 300.0
"""The longest a status list's verification is reused, whatever its ``ttl`` says."""
PROOF_TTL_S = 600.0
"""How long a credential's proof checks are reused."""

memo_list_checks: TtlLru[bytes, Any] = declare(
    TtlLru(256),
    name="status list verifications (page memo)",
    ttl_s=MAX_LIST_TTL_S,
    why_no_event="keyed by a digest of the list's whole content: a status change re-signs the "
    "list, which is then a new key",
    stale_effect="none: only positive results, of exactly the bytes they were computed on",
)

memo_proof_checks: TtlLru[bytes, Any] = declare(
    TtlLru(4096),
    name="credential proof checks (page memo)",
    ttl_s=PROOF_TTL_S,
    why_no_event="keyed by a digest of the credential's content, and keys are never deleted: "
    "the same bytes verify the same way",
    stale_effect="none: only positive results",
)

KEPT_LIST_BYTES = 16_000_000
"""The status list documents one worker keeps in all (a full list's document is ~22 KB)."""

kept_lists: TtlLru[uuid.UUID, tuple[dict[str, Any], int, bytes]] = declare(
    TtlLru(512, weigh=lambda hit: hit[1], max_weight=KEPT_LIST_BYTES),
    name="kept status list documents",
    ttl_s=MAX_LIST_TTL_S,
    why_no_event="the page compares the verdict with the credential's row (revoked_at / "
    "suspended_at, written with the bit) and reads the list again when they disagree",
    stale_effect="none shown: a disagreement with the row makes the page read the list afresh",
)
"""list id -> (our status list document as this worker read it within its ``ttl``, the length
and the SHA-256 of the text it was parsed from)."""

DID_DOCUMENT_CACHE_SECONDS = 60.0
"""How long the credential page's verifier reuses an issuer's DID document in one worker.

Keys are never deleted, so a kept document can only lack a key added since (by a rotation in
another worker; the rotating worker forgets at once): the page then re-verifies without any
reuse before it shows anything but "verified" (``app.verification.service.verify_own``)."""

did_documents: TtlLru[uuid.UUID, dict[str, Any]] = declare(
    TtlLru(1024),
    name="our DID documents",
    ttl_s=DID_DOCUMENT_CACHE_SECONDS,
    cleared_by=(KeysRotated,),
    stale_effect="another worker lacks a key added in the last minute: its page re-verifies "
    "without reuse before showing anything but verified",
)

KEY_TTL_S = min(DID_DOCUMENT_CACHE_SECONDS, FETCH_TTL_S)
"""How long a resolved proof key is reused: no longer than the documents it was read from."""

memo_keys: TtlLru[bytes, Any] = declare(
    TtlLru(1024),
    name="resolved proof keys (page memo)",
    ttl_s=KEY_TTL_S,
    why_no_event="our keys are never deleted (a retired key stays in the DID document), so a "
    "key bound to us stays bound; a foreign endorser's key is kept no longer than the fetched "
    "document it came from (foreign fetches, a minute)",
    stale_effect="a foreign endorser's key removed in the last minute still verifies an "
    "endorsement on a page, as its kept DID document would; ours: none",
)
"""A proof's verificationMethod, issuer id and key policy -> the key it resolved to and its
binding (``openbadges.verification.memo.recall_key``), bound keys only: a page not yet cached
skips reading the issuer's DID document again and parsing its keys."""

fetched: FetchCache = declare(
    new_fetch_cache(),
    name="foreign fetches",
    ttl_s=FETCH_TTL_S,
    why_no_event="foreign documents: no event of ours says when they change",
    stale_effect="a foreign issuer's profile, DID document or status list is up to a minute "
    "old (a revocation elsewhere shows within the list's ttl, at most a minute)",
)
"""``(allow_private_fetch, url)`` -> the answer, for the shared fetchers: an answer fetched
under one address policy is never served under another."""
