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
* ``"proof"``: the ``proof`` and ``issuer_key`` checks of a credential, keyed by its content
  (the parsed document, and for a VC-JWT the signed bytes and signature).

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

__all__ = ["MemoKind", "VerificationMemo", "content_key", "recall_proofs", "recall_status_list"]

T = TypeVar("T")
MemoKind = Literal["status_list", "proof"]


class VerificationMemo(Protocol):
    """Where a caller keeps verification results between calls (see the module docstring)."""

    def recall(
        self, kind: MemoKind, key: bytes, document: dict[str, Any], compute: Callable[[], T]
    ) -> T:
        """Return the kept result for ``key``, or ``compute()`` (and maybe keep it).

        Args:
            kind: which step (``"status_list"``: a VerificationReport; ``"proof"``: the
                ``(proof, issuer_key)`` checks).
            key: a digest of everything the result depends on besides the resolver and the
                clock.
            document: the document judged, for the memo's own time limits (``ttl``,
                ``validUntil``).
            compute: computes the result afresh.
        """
        ...


def content_key(*parts: object) -> bytes:
    """A SHA-256 digest of JSON values, in a canonical form (sorted keys, no spaces)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).digest()


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
    return memo.recall(
        "status_list", content_key("status_list", policy, depth, data), data, compute
    )


def recall_proofs(
    memo: VerificationMemo | None, envelope: Envelope, policy: str, compute: Callable[[], T]
) -> T:
    """The ``proof`` and ``issuer_key`` checks, through ``memo`` when there is one."""
    if memo is None:
        return compute()
    jwt = envelope.jwt
    signed = None if jwt is None else [jwt.signing_input.hex(), jwt.signature.hex()]
    key = content_key("proof", policy, envelope.format, signed, envelope.credential)
    return memo.recall("proof", key, envelope.credential, compute)
