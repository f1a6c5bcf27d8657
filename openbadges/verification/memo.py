"""Reuse of verification results that cannot have changed, for callers that verify often.

A service showing its own credentials verifies the same few status lists, and the same
credentials, again and again: each status list verification costs a canonicalisation, a
signature check and a key lookup, yet the list only changes when it is re-signed. A caller may
hand :func:`openbadges.verify.verify` a :class:`VerificationMemo`; the pipeline then asks it
before two steps:

* ``"status_list"``: the nested verification of a status list credential (its proof, key
  binding, structure and dates), keyed by the list document's content, so a list that changed
  (a revocation re-signs it) is a different key and is verified afresh. The bit is always read
  from the document the resolver returned this time; only the list's *verification* is reused.
* ``"key"``: the key a Data Integrity proof's ``verificationMethod`` resolves to and its
  binding to the issuer, keyed by the method, the issuer id and the policy (not by the
  documents fetched: a memo may keep it only as long as its resolver may reuse them, and
  only when the binding is ``valid``).
* ``"proof"``: the ``proof`` and ``issuer_key`` checks of a credential, keyed by its content
  (the digest of the JSON text it was read from, else the parsed document; for a VC-JWT also
  the signed bytes and signature).

Keys also hold the key policy and the nesting depth, which can change a report. The memo
decides what it keeps and for how long (an implementation should keep only positive results,
for at most a status list's ``ttl``, and never past a ``validUntil``): whatever a memo returns
must be what computing would have returned, so the memo is the caller's promise, and without
one nothing is reused (the library itself keeps no state between calls).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Literal, Protocol, TypeVar

from openbadges.verification.sniff import Envelope

__all__ = [
    "MemoKind",
    "VerificationMemo",
    "content_key",
    "recall_key",
    "recall_proofs",
    "recall_status_list",
]

T = TypeVar("T")
MemoKind = Literal["status_list", "key", "proof"]


class VerificationMemo(Protocol):
    """Where a caller keeps verification results between calls (see the module docstring)."""

    def recall(
        self, kind: MemoKind, key: bytes, document: dict[str, Any], compute: Callable[[], T]
    ) -> T:
        """Return the kept result for ``key``, or ``compute()`` (and maybe keep it).

        Args:
            kind: which step (``"status_list"``: a VerificationReport; ``"key"``: a
                :class:`~openbadges.verification.keys.ResolvedKey`; ``"proof"``: the
                ``(proof, issuer_key)`` checks).
            key: a digest of everything the result depends on besides the resolver and the
                clock.
            document: the document judged, for the memo's own time limits (``ttl``,
                ``validUntil``).
            compute: computes the result afresh.
        """
        ...

    def digest_of(self, document: dict[str, Any]) -> bytes | None:
        """The SHA-256 of the text this very ``document`` object was parsed from, when the
        caller holds it (a status list its resolver read and keeps, unchanged since), else
        None: the library then keys the document by serialising it (~20 us for a full list)."""
        ...


def content_key(*parts: object) -> bytes:
    """A SHA-256 digest of JSON values, in a canonical form (sorted keys, no spaces).

    Parts that are all strings, integers, None or lists of strings (every key but those of a
    parsed document) are written by ``repr`` instead: as faithful for those types, a third of
    the time of a sorted JSON dump, and never the same text as a dump (a tuple's ``repr``
    starts with ``(``, a JSON array with ``[``).
    """
    if all(_plain(part) for part in parts):
        text = repr(parts)
    else:
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _plain(part: object) -> bool:
    kind = type(part)
    if kind is str or kind is int or part is None:
        return True
    return kind is list and all(type(item) is str for item in part)  # type: ignore[attr-defined]


def recall_status_list(
    memo: VerificationMemo | None,
    data: dict[str, Any] | str,
    depth: int,
    policy: str,
    compute: Callable[[], T],
) -> T:
    """The nested verification of a status list, through ``memo`` when there is one."""
    if memo is None or not isinstance(data, dict):
        return compute()
    digest = memo.digest_of(data)
    key = (
        content_key("status_list", policy, depth, data)
        if digest is None
        else content_key("status_list text", policy, depth, digest.hex())
    )
    return memo.recall("status_list", key, data, compute)


def recall_key(
    memo: VerificationMemo | None,
    vm_url: object,
    issuer_id: str | None,
    policy: str,
    compute: Callable[[], T],
) -> T:
    """The resolved key of a proof's ``verificationMethod``, through ``memo`` when there is one
    (a failure to resolve raises from ``compute`` and is never kept)."""
    if memo is None or not isinstance(vm_url, str):
        return compute()
    return memo.recall("key", content_key("key", policy, vm_url, issuer_id), {}, compute)


def recall_proofs(
    memo: VerificationMemo | None, envelope: Envelope, policy: str, compute: Callable[[], T]
) -> T:
    """The ``proof`` and ``issuer_key`` checks, through ``memo`` when there is one."""
    if memo is None:
        return compute()
    jwt = envelope.jwt
    signed = None if jwt is None else [jwt.signing_input.hex(), jwt.signature.hex()]
    if envelope.text_digest is not None:
        text = envelope.text_digest.hex()
        key = content_key("proof text", policy, envelope.format, signed, text)
    else:
        key = content_key("proof", policy, envelope.format, signed, envelope.credential)
    return memo.recall("proof", key, envelope.credential, compute)
