"""DID Authentication: the signed presentation a wallet answers a VC-API
``VerifiablePresentationRequest`` with (https://w3c-ccg.github.io/vp-request-spec/#did-authentication).

The DCC Learner Credential Wallet signs a presentation over its did:key with
``Ed25519Signature2020`` (proof purpose ``authentication``, the request's ``challenge`` and
``domain`` in the proof); ``eddsa-rdfc-2022`` Data Integrity proofs are accepted too. Both are
verified by the ``openbadges`` library (:func:`openbadges.proofs.data_integrity.verify_proof`).
The holder is the controller of the proof's verification method: the did:key part of it.
"""

from __future__ import annotations

from typing import Any

from app.core.errors import AppError
from openbadges.did import resolve_did_key
from openbadges.errors import OpenBadgesError
from openbadges.jsonld.limits import Limits, check_structure, limits_applied
from openbadges.keys import KeyType
from openbadges.proofs.data_integrity import verify_proof

PRESENTATION_LIMITS = Limits(
    max_bytes=64_000,
    max_depth=16,
    max_nodes=2_000,
    max_blank_nodes=50,
    timeout_s=0.25,
    max_work=500,
)
"""A DIDAuth presentation is a few hundred bytes with one blank node or two (the presentation
and its proof); what an anonymous caller may make the service canonicalise stays small."""
SUITES = frozenset({"Ed25519Signature2020", "eddsa-rdfc-2022"})
VP = "$.verifiablePresentation"


class PresentationRefused(AppError):
    """The presentation does not authenticate the holder for this exchange."""

    status, title, code = 400, "Presentation refused", "presentation_refused"


def _proof_of(presentation: dict[str, Any]) -> dict[str, Any]:
    """The one ``authentication`` proof of an accepted suite."""
    proofs = presentation.get("proof")
    candidates = proofs if isinstance(proofs, list) else [proofs]
    for proof in candidates:
        if not isinstance(proof, dict) or proof.get("proofPurpose") != "authentication":
            continue
        suite = proof.get("cryptosuite") if proof.get("type") == "DataIntegrityProof" else None
        if proof.get("type") in SUITES or suite in SUITES:
            return proof
    raise PresentationRefused(
        "The presentation needs an authentication proof (Ed25519Signature2020 or "
        "DataIntegrityProof eddsa-rdfc-2022).",
        field=f"{VP}.proof",
    )


def _holder(proof: dict[str, Any], presentation: dict[str, Any]) -> tuple[str, Any]:
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not method.startswith("did:key:"):
        raise PresentationRefused(
            "The proof's verificationMethod must be a did:key URL.",
            field=f"{VP}.proof.verificationMethod",
        )
    try:
        key = resolve_did_key(method)
    except OpenBadgesError as exc:
        raise PresentationRefused(
            f"The verificationMethod is not a usable did:key: {exc}",
            field=f"{VP}.proof.verificationMethod",
        ) from exc
    if key.key_type is not KeyType.ED25519:
        raise PresentationRefused(
            "The verificationMethod must be an Ed25519 did:key.",
            field=f"{VP}.proof.verificationMethod",
        )
    holder = method.partition("#")[0]
    stated = presentation.get("holder")
    stated_id = stated.get("id") if isinstance(stated, dict) else stated
    if stated_id is not None and stated_id != holder:
        raise PresentationRefused(
            "The presentation's holder is not the DID that signed it.", field=f"{VP}.holder"
        )
    return holder, key


def authenticate(presentation: Any, *, challenge: str, domain: str) -> str:
    """Verify a DIDAuth presentation for ``challenge`` and ``domain``; returns the holder DID.

    Raises:
        PresentationRefused: a 400 naming the field (``$.verifiablePresentation.proof.challenge``…).
    """
    if not isinstance(presentation, dict):
        raise PresentationRefused("verifiablePresentation must be an object.", field=VP)
    try:
        check_structure(presentation, PRESENTATION_LIMITS)
    except OpenBadgesError as exc:
        raise PresentationRefused(f"The presentation is too large: {exc}", field=VP) from exc
    proof = _proof_of(presentation)
    if proof.get("challenge") != challenge:
        raise PresentationRefused(
            "The proof's challenge is not this exchange's.", field=f"{VP}.proof.challenge"
        )
    if proof.get("domain") != domain:
        raise PresentationRefused(
            f"The proof's domain must be {domain}.", field=f"{VP}.proof.domain"
        )
    holder, key = _holder(proof, presentation)
    try:
        with limits_applied(PRESENTATION_LIMITS):
            verified = verify_proof(presentation, proof, key)
    except OpenBadgesError as exc:
        raise PresentationRefused(
            f"The presentation cannot be verified: {exc}", field=f"{VP}.proof"
        ) from exc
    if not verified:
        raise PresentationRefused(
            "The presentation's signature does not verify.", field=f"{VP}.proof.proofValue"
        )
    return holder
