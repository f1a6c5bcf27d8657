"""The ``proof`` and ``issuer_key`` checks.

``proof``: is there a signature over this credential that verifies? Embedded Data Integrity
proofs (``eddsa-rdfc-2022``; the deprecated ``eddsa-2022`` and ``Ed25519Signature2020``) and a
VC-JWT wrapping the credential (including Data Integrity proofs inside the JWT payload) are all
candidates, and any one that verifies suffices (OB 3.0 verification step 2). Two rules make a
credential fail even then:

* a proof entry that is not a proof at all — it lacks ``type``, ``verificationMethod``,
  ``proofPurpose`` or ``proofValue`` (vc-data-integrity §4.4 "Verify Proof" step 1 requires
  them) — because a verifier cannot tell a broken proof from a tampered one; a well-formed
  proof of a suite this verifier does not implement is only reported, not held against it;
* properties the credential's contexts do not define, which RDF canonicalisation drops, so
  the Data Integrity signature does not cover them (peer-lessons "unsigned display fields";
  jsonld.js "safe mode" and 1EdTech's validator reject them too). A VC-JWT signs the bytes, so
  this rule does not apply to a credential accepted through its JWT signature.

``issuer_key``: is the key of the accepted proof bound to the issuer (see
:mod:`openbadges.verification.keys`)?

When several signatures verify, the verdict rests on one of them, the *carrier*: the one whose
key is best bound to the issuer (a JWT before an embedded proof when they are equally bound, as
it signs the bytes). Both checks are about the carrier, and the ``proof`` detail names it when
it is not the only one. This matters for a VC-JWT whose header supplies its own key (``jwk``):
anyone can wrap an issuer's signed credential in a token signed with a key of their own. That
JWT signature "verifies" and says nothing about the issuer, so the detail says the header key is
not the issuer's, the verdict rests on the embedded proof, and the undefined-term rule above
applies to it (properties added next to the embedded proof are not signed by the issuer).

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#verification
    https://www.w3.org/TR/vc-data-integrity/#verify-proof
    https://www.w3.org/TR/vc-di-eddsa/#verify-proof-eddsa-rdfc-2022
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openbadges.errors import ContextError, OpenBadgesError, ResolutionError
from openbadges.jsonld.safe import find_undefined_terms
from openbadges.keys import KeyType, PublicKey
from openbadges.proofs import jwt as vc_jwt
from openbadges.proofs.data_integrity import verify_proof_vetted
from openbadges.proofs.ecdsa_sd import verify_derived_proof
from openbadges.resolver import Resolver
from openbadges.verification.keys import (
    KeyPolicy,
    ResolvedKey,
    resolve_jwt_key,
    resolve_verification_method,
)
from openbadges.verification.memo import VerificationMemo, recall_key
from openbadges.verification.report import Check, CheckStatus
from openbadges.verification.sniff import Envelope

__all__ = ["SUPPORTED_SUITES", "check_proofs", "verifying_key"]

SUPPORTED_SUITES = frozenset(
    {"eddsa-rdfc-2022", "eddsa-2022", "Ed25519Signature2020", "ecdsa-sd-2023"}
)
# ecdsa-sd-2023 is verified only as a derived (selectively disclosed) proof, with a P-256 key.
_SUITE_KEY_TYPE = {"ecdsa-sd-2023": KeyType.P256}
"""Data Integrity suites verified here (``cryptosuite``, or ``type`` for the 2020 suite)."""

_REQUIRED_PROOF_MEMBERS = ("type", "verificationMethod", "proofPurpose", "proofValue")
_BINDING_RANK = {"valid": 0, "unknown": 1, "invalid": 2}


@dataclass(frozen=True, slots=True)
class _Outcome:
    """The result of checking one proof."""

    label: str
    status: CheckStatus
    detail: str
    key: ResolvedKey | None = None
    malformed: bool = False
    jwt: bool = False
    defined: bool = False
    """Verifying it proved every term of the credential defined (no term check needed)."""

    @property
    def rank(self) -> tuple[int, int]:
        """Sort key of an accepted outcome: best-bound key first, a JWT before a proof."""
        binding = self.key.binding if self.key is not None else "invalid"
        return _BINDING_RANK[binding], 0 if self.jwt else 1


def check_proofs(
    envelope: Envelope,
    issuer_id: str | None,
    resolver: Resolver,
    policy: KeyPolicy,
    *,
    canonical_digest: bytes | None = None,
    memo: VerificationMemo | None = None,
) -> tuple[Check, Check]:
    """Run the ``proof`` and ``issuer_key`` checks.

    ``canonical_digest``: the signer's record of the credential's canonical digest, for its
    Ed25519 Data Integrity proofs (see
    :func:`openbadges.proofs.data_integrity.verify_proof_vetted`; only for a credential known
    to be the bytes it was made of). ``memo``: where the keys of Data Integrity proofs may be
    recalled (:func:`openbadges.verification.memo.recall_key`).

    Returns:
        The two checks, ``proof`` first.
    """
    outcomes = _all_outcomes(envelope, issuer_id, resolver, policy, canonical_digest, memo)
    if not outcomes:
        missing = "The credential carries no proof, so nothing shows who issued it."
        return Check.make("proof", "invalid", missing), Check.make(
            "issuer_key", "invalid", "There is no proof, so there is no key to check."
        )
    accepted = [o for o in outcomes if o.status == "valid"]
    carrier = min(accepted, key=lambda o: o.rank) if accepted else None
    proof = _proof_check(outcomes, carrier, envelope.credential)
    return proof, _issuer_key_check(outcomes, carrier, proof.status)


def _all_outcomes(
    envelope: Envelope,
    issuer_id: str | None,
    resolver: Resolver,
    policy: KeyPolicy,
    canonical_digest: bytes | None = None,
    memo: VerificationMemo | None = None,
) -> list[_Outcome]:
    outcomes = []
    if envelope.token is not None and envelope.jwt is not None:
        outcomes.append(
            _jwt_outcome(envelope.token, envelope.jwt.header, issuer_id, resolver, policy)
        )
    proofs = envelope.credential.get("proof")
    entries = proofs if isinstance(proofs, list) else [] if proofs is None else [proofs]
    unsigned = {k: v for k, v in envelope.credential.items() if k != "proof"}
    for number, proof in enumerate(entries, start=1):
        label = f"Proof {number}" if len(entries) > 1 else "The proof"
        # The envelope's credential passed the structure limits in force when it was opened
        # (open_envelope), so its unsigned part, a subset, needs no second walk.
        outcomes.append(
            _di_outcome(
                label,
                proof,
                unsigned,
                issuer_id,
                resolver,
                policy,
                bounded=True,
                canonical_digest=canonical_digest,
                memo=memo,
            )
        )
    return outcomes


def verifying_key(
    document: dict[str, Any],
    proof: object,
    issuer_id: str | None,
    resolver: Resolver,
    policy: KeyPolicy,
) -> ResolvedKey | None:
    """Return the key of one embedded Data Integrity ``proof`` if it verifies over ``document``.

    The key's binding is judged against ``issuer_id`` (which need not be the document's own
    issuer: a status list hosted by someone else may be signed with the credential issuer's
    key). ``None`` when the proof is malformed, of an unsupported suite, has no usable key or
    its signature does not match — naming a key is not signing with it.

    Spec: https://www.w3.org/TR/vc-data-integrity/#verify-proof
    """
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    outcome = _di_outcome("The proof", proof, unsigned, issuer_id, resolver, policy)
    return outcome.key if outcome.status == "valid" else None


def _jwt_outcome(
    token: str,
    header: dict[str, Any],
    issuer_id: str | None,
    resolver: Resolver,
    policy: KeyPolicy,
) -> _Outcome:
    label = f"The JWT signature ({header.get('alg')})"
    try:
        key = resolve_jwt_key(header, issuer_id, resolver, policy=policy)
    except ResolutionError as exc:
        return _Outcome(label, "unknown", f"{label} could not be checked: {exc.message}", jwt=True)
    except OpenBadgesError as exc:
        return _Outcome(label, "invalid", f"{label} cannot be checked: {exc.message}", jwt=True)
    try:
        vc_jwt.verify(token, key.public_key)
    except OpenBadgesError as exc:
        return _Outcome(label, "invalid", f"{label} is not valid: {exc.message}", key, jwt=True)
    if key.binding != "valid" and _is_header_key(header, key):
        whose = (
            "is not one of the issuer's keys"
            if key.binding == "invalid"
            else "could not be matched with the issuer's keys"
        )
        text = (
            f"{label} verifies only with the key its own header supplies (jwk), which {whose}: "
            "it does not show who issued the credential."
        )
        return _Outcome(label, "valid", text, key, jwt=True)
    return _Outcome(label, "valid", f"{label} verifies.", key, jwt=True)


def _is_header_key(header: dict[str, Any], key: ResolvedKey) -> bool:
    """Whether ``key`` is the one the token's own ``jwk`` header supplied."""
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        return False
    try:
        return PublicKey.from_jwk(jwk) == key.public_key
    except OpenBadgesError:
        return False


def _di_outcome(
    label: str,
    proof: object,
    unsigned: dict[str, Any],
    issuer_id: str | None,
    resolver: Resolver,
    policy: KeyPolicy,
    *,
    bounded: bool = False,
    canonical_digest: bytes | None = None,
    memo: VerificationMemo | None = None,
) -> _Outcome:
    if not isinstance(proof, dict):
        return _Outcome(label, "invalid", f"{label} is not an object.", malformed=True)
    missing = [m for m in _REQUIRED_PROOF_MEMBERS if not isinstance(proof.get(m), str)]
    if missing:
        text = f"{label} (type {proof.get('type')!r}) is malformed: it lacks {', '.join(missing)}."
        return _Outcome(label, "invalid", text, malformed=True)
    suite = proof.get("cryptosuite") if proof["type"] == "DataIntegrityProof" else proof["type"]
    if not isinstance(suite, str) or suite not in SUPPORTED_SUITES:
        text = f"{label} uses {suite!r}, which this verifier does not support."
        return _Outcome(label, "unknown", text)
    if proof["proofPurpose"] != "assertionMethod":
        text = f"{label} has purpose {proof['proofPurpose']!r}; a credential needs assertionMethod."
        return _Outcome(label, "invalid", text)
    return _signature_outcome(
        label,
        suite,
        proof,
        unsigned,
        issuer_id,
        resolver,
        policy,
        bounded=bounded,
        canonical_digest=canonical_digest,
        memo=memo,
    )


def _signature_outcome(
    label: str,
    suite: str,
    proof: dict[str, Any],
    unsigned: dict[str, Any],
    issuer_id: str | None,
    resolver: Resolver,
    policy: KeyPolicy,
    *,
    bounded: bool = False,
    canonical_digest: bytes | None = None,
    memo: VerificationMemo | None = None,
) -> _Outcome:
    label = f"{label} ({suite})"
    method = proof["verificationMethod"]
    try:
        key = recall_key(
            memo,
            method,
            issuer_id,
            policy,
            lambda: resolve_verification_method(method, issuer_id, resolver, policy=policy),
        )
    except ResolutionError as exc:
        return _Outcome(label, "unknown", f"{label} could not be checked: {exc.message}")
    except OpenBadgesError as exc:
        return _Outcome(label, "invalid", f"{label} has no usable key: {exc.message}")
    needed = _SUITE_KEY_TYPE.get(suite, KeyType.ED25519)
    if key.public_key.key_type is not needed:
        text = (
            f"{label} names a {key.public_key.key_type.value} key; the suite needs {needed.value}."
        )
        return _Outcome(label, "invalid", text, key)
    try:
        if suite == "ecdsa-sd-2023":
            ok, defined = verify_derived_proof(unsigned, proof, key.public_key), False
        else:
            ok, defined = verify_proof_vetted(
                unsigned,
                proof,
                key.public_key,
                bounded=bounded,
                canonical_digest=canonical_digest,
            )
    except ContextError as exc:
        return _Outcome(label, "unknown", f"{label} could not be checked: {exc.message}", key)
    except OpenBadgesError as exc:
        return _Outcome(label, "invalid", f"{label} could not be checked: {exc.message}", key)
    if not ok:
        text = f"{label} does not match the credential: it was changed after signing, or signed with another key."
        return _Outcome(label, "invalid", text, key)
    return _Outcome(label, "valid", f"{label} verifies.", key, defined=defined)


def _proof_check(
    outcomes: list[_Outcome], carrier: _Outcome | None, credential: dict[str, Any]
) -> Check:
    detail = " ".join(o.detail for o in outcomes)
    if any(o.malformed for o in outcomes):
        return Check.make("proof", "invalid", detail)
    # A VC-JWT whose own signature fails is a tampered envelope: its claims (iss, nbf, exp) are
    # read as the credential's, so an embedded proof inside it does not rescue it.
    if any(o.jwt and o.status == "invalid" for o in outcomes):
        return Check.make("proof", "invalid", detail)
    if carrier is not None:
        if sum(o.status == "valid" for o in outcomes) > 1:
            detail = f"{detail} The verdict rests on {_lower_first(carrier.label)}."
        checked = carrier.jwt or carrier.defined
        unsigned_terms = [] if checked else _undefined_terms(credential)
        if unsigned_terms:
            shown = ", ".join(unsigned_terms[:10]) + (" …" if len(unsigned_terms) > 10 else "")
            note = (
                "These properties are not defined by the credential's @context, so they are "
                f"not covered by the signature: {shown}."
            )
            return Check.make("proof", "invalid", f"{detail} {note}")
        return Check.make("proof", "valid", detail)
    status: CheckStatus = "unknown" if any(o.status == "unknown" for o in outcomes) else "invalid"
    return Check.make("proof", status, detail)


def _lower_first(label: str) -> str:
    """Lower-case a "The proof (…)" label for use inside a sentence ("Proof 2" stays)."""
    return "t" + label[1:] if label.startswith("The ") else label


def _undefined_terms(credential: dict[str, Any]) -> list[str]:
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    try:
        return find_undefined_terms(unsigned)
    except OpenBadgesError as exc:
        return [f"(the terms could not be checked: {exc.message})"]


def _issuer_key_check(
    outcomes: list[_Outcome], carrier: _Outcome | None, proof_status: CheckStatus
) -> Check:
    """Report the binding of the carrier's key, else of the best key any proof named."""
    if carrier is not None and carrier.key is not None:
        return Check.make("issuer_key", carrier.key.binding, carrier.key.detail)
    keys = [o.key for o in outcomes if o.key is not None]
    if not keys:
        status: CheckStatus = "unknown" if proof_status == "unknown" else "invalid"
        return Check.make("issuer_key", status, "No key could be obtained for any proof.")
    best = min(keys, key=lambda k: _BINDING_RANK[k.binding])
    return Check.make("issuer_key", best.binding, best.detail)
