"""Embedded proofs.

:class:`DataIntegrityProof` follows W3C VC Data Integrity 1.0 §2.1
(https://www.w3.org/TR/vc-data-integrity/#proofs); other proof types (``Ed25519Signature2020``
from VC 1.1 badges, or types this library does not know) parse as the generic :class:`Proof` so
that a verifier can report them instead of failing to read the credential.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag

from openbadges.model.common import DateTime, OBModel, Uri

__all__ = ["AnyProof", "DataIntegrityProof", "Proof"]


class Proof(OBModel):
    """Any embedded proof: only ``type`` is required, the rest is kept as given."""

    type: str
    id: Uri | None = None
    created: DateTime | None = None
    verification_method: str | None = None
    proof_purpose: str | None = None
    proof_value: str | None = None


class DataIntegrityProof(OBModel):
    """A ``DataIntegrityProof`` (e.g. ``eddsa-rdfc-2022``, ``ecdsa-sd-2023``).

    ``proofValue`` is multibase (``z`` base58btc or ``u`` base64url); ``created`` is optional in
    Data Integrity 1.0 but this library always writes it.
    """

    type: Literal["DataIntegrityProof"] = "DataIntegrityProof"
    id: Uri | None = None
    cryptosuite: str
    created: DateTime | None = None
    expires: DateTime | None = None
    verification_method: Uri
    proof_purpose: str
    proof_value: str
    domain: str | list[str] | None = None
    challenge: str | None = None
    nonce: str | None = None
    previous_proof: str | list[str] | None = None


def _proof_kind(value: Any) -> str:
    """Pick the proof model from ``type`` so errors name the real problem, not a union."""
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "DataIntegrityProof" if kind == "DataIntegrityProof" else "Proof"


AnyProof = Annotated[
    Annotated[DataIntegrityProof, Tag("DataIntegrityProof")] | Annotated[Proof, Tag("Proof")],
    Discriminator(_proof_kind),
]
"""A proof of any type, validated as :class:`DataIntegrityProof` when it says it is one."""
