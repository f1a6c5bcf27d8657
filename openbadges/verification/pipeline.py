"""Runs every check over one input and assembles the :class:`VerificationReport`.

Verification never raises for a bad credential: every check runs inside :func:`_guarded`, so an
unexpected exception becomes a check that says the step could not be completed (``unknown`` for
the checks that withhold the verdict, ``invalid`` for the others), never a traceback. Nested
documents — endorsements, status list credentials and the credentials a CLR includes — are
verified by the same pipeline with a nesting bound, so a credential cannot make the verifier
recurse without end.

Kind detection: with the default ``expected=None`` the top-level document is verified as what
its ``type`` says it is (:func:`detect_kind`): a ``ClrCredential`` as a CLR, an
``OpenBadgeCredential``/``AchievementCredential`` as an Open Badge, an ``EndorsementCredential``
as an endorsement, a ``BitstringStatusListCredential`` as a status list. The CLI, the service's
pages and ``POST /verify`` take whatever a person brings (the service's own
``/endorsements/{id}`` included); telling them "this is not an Open Badge" would be true and
useless. A document of none of these kinds is judged as an Open Badge, whose ``structure`` check
then names the types it lacks. An explicit ``expected`` is an override and is honoured as given
(a document of another kind is ``invalid``); nested documents — a CLR's included credentials,
endorsements, status lists — are always verified as what their place requires.

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#verification
    https://www.imsglobal.org/spec/clr/v2p0/#clrcredential
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, get_args

from openbadges.jsonld.limits import Limits, limits_applied
from openbadges.resolver import OfflineResolver, Resolver
from openbadges.verification.endorsements import check_endorsements
from openbadges.verification.included import check_included
from openbadges.verification.keys import KeyPolicy
from openbadges.verification.memo import VerificationMemo, recall_proofs, recall_status_list
from openbadges.verification.proof import check_proofs
from openbadges.verification.recipient import check_recipient
from openbadges.verification.report import (
    BLOCKING_WHEN_UNKNOWN,
    Check,
    CheckStatus,
    IncludedReport,
    VerificationReport,
    is_verified,
)
from openbadges.verification.schema import check_schema
from openbadges.verification.sniff import Envelope, open_envelope
from openbadges.verification.status import StatusContext, check_status
from openbadges.verification.structure import Expected, check_structure, issuer_id_of, types_of
from openbadges.verification.validity import check_validity

__all__ = ["MAX_NESTING", "detect_kind", "verify"]

MAX_NESTING = 3
"""How deep endorsements of endorsements (and their status lists, and a CLR's included
credentials) are followed."""


@dataclass(frozen=True, slots=True)
class _Run:
    """The settings shared by a verification and the nested verifications it starts."""

    resolver: Resolver
    now: datetime
    policy: KeyPolicy
    depth: int = 0
    memo: VerificationMemo | None = None
    canonical_digest: bytes | None = None


def verify(
    data: bytes | str | dict[str, Any],
    *,
    resolver: Resolver | None = None,
    now: datetime | None = None,
    recipient: str | None = None,
    expected: Expected | None = None,
    fragment_key_policy: KeyPolicy = "bound",
    memo: VerificationMemo | None = None,
    limits: Limits | None = None,
    canonical_digest: bytes | None = None,
) -> VerificationReport:
    """Verify an Open Badges 3.0 credential and report on every concern.

    Args:
        data: the credential as JSON text/bytes, a parsed object, a VC-JWT, or a baked PNG/SVG.
            The format is sniffed from the content.
        resolver: fetches DID documents, issuer profiles, JWK Sets and status lists. ``None``
            verifies offline: checks that need the network become ``unknown``.
        now: the moment to judge validity at (defaults to the current UTC time; a naive value
            is read as UTC).
        recipient: a known identifier of the learner (email, DID, URL); when given, the
            ``recipient`` check is run.
        expected: ``None`` (the default) verifies the document as the kind its ``type``
            names (see the module docstring and :func:`detect_kind`). An explicit value is an
            override: ``"credential"`` (an OpenBadgeCredential), ``"clr"`` (a CLR 2.0
            ClrCredential: also the ``credentials`` check and ``report.children``),
            ``"endorsement"`` or ``"status_list"`` (a BitstringStatusListCredential); a
            document of another kind then fails the ``structure`` check.
        fragment_key_policy: ``"bound"`` (keys must be published by the issuer) or
            ``"validator"`` (1EdTech's shortcut; see :mod:`openbadges.verification.keys`).
        memo: where to reuse status list verifications and proof checks between calls
            (:mod:`openbadges.verification.memo`); None (the default) reuses nothing.
        limits: bounds for the input and for every parse and canonicalisation the verification
            does, nested documents included (:func:`openbadges.jsonld.limits.limits_applied`);
            None keeps those in force (:data:`~openbadges.jsonld.limits.DEFAULT_LIMITS` unless
            the caller applied others). A document over them gets an ``invalid`` report.
        canonical_digest: the SHA-256 of the credential's canonical form (without ``proof``)
            as its signer recorded it
            (:func:`openbadges.proofs.data_integrity.sign_with_digest`): its Ed25519 Data
            Integrity proofs are then checked against it instead of canonicalising the
            document again. Only for a signer verifying its own document that it knows to be
            byte for byte the one the digest was made of (a MAC it made over both); a wrong
            digest fails the signature, it never passes one. Nested documents never use it.

    Returns:
        The report; ``verified`` follows :func:`openbadges.verification.report.is_verified`.

    Raises:
        ValueError: ``expected`` or ``fragment_key_policy`` is not one of the values above
            (a programming error; a bad credential never raises).
    """
    if expected is not None and expected not in get_args(Expected):
        raise ValueError(f"expected must be one of {get_args(Expected)}, got {expected!r}")
    if fragment_key_policy not in get_args(KeyPolicy):
        raise ValueError(f"fragment_key_policy must be one of {get_args(KeyPolicy)}")
    moment = now or datetime.now(UTC)
    run = _Run(
        resolver=resolver if resolver is not None else OfflineResolver(),
        now=moment if moment.tzinfo else moment.replace(tzinfo=UTC),
        policy=fragment_key_policy,
        memo=memo,
        canonical_digest=canonical_digest,
    )
    if limits is None:
        return _verify(data, expected, run, recipient)
    with limits_applied(limits):
        return _verify(data, expected, run, recipient)


def _verify(
    data: bytes | str | dict[str, Any],
    requested: Expected | None,
    run: _Run,
    recipient: str | None,
) -> VerificationReport:
    format_check, envelope = open_envelope(data)
    if envelope is None:
        return VerificationReport(False, None, "unknown", [format_check])
    expected = requested or detect_kind(envelope.credential)
    checks = [format_check, *_credential_checks(envelope, expected, run)]
    children: list[IncludedReport] = []
    if expected == "clr":
        included, children = _included_check(envelope.credential, run)
        checks.append(included)
    if recipient is not None:
        checks.append(
            _guarded("recipient", lambda: check_recipient(envelope.credential, recipient))
        )
    endorsements = _endorsement_check(envelope.credential, run)
    if endorsements is not None:
        checks.append(endorsements)
    return VerificationReport(
        is_verified(checks), envelope.credential, envelope.format, checks, children
    )


_KINDS: tuple[tuple[str, Expected], ...] = (
    ("ClrCredential", "clr"),
    ("OpenBadgeCredential", "credential"),
    ("AchievementCredential", "credential"),
    ("EndorsementCredential", "endorsement"),
    ("BitstringStatusListCredential", "status_list"),
)
"""Type → kind, first match wins: a CLR before an Open Badge (a CLR is the richer claim and
its included credentials must be checked), an Open Badge before an endorsement or a list."""


def detect_kind(credential: dict[str, Any]) -> Expected:
    """Return the kind a document's ``type`` names (``"credential"`` when it names none).

    Specs:
        https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential
        https://www.imsglobal.org/spec/ob/v3p0/#endorsementcredential
        https://www.imsglobal.org/spec/clr/v2p0/#clrcredential
        https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential
    """
    types = types_of(credential)
    return next((kind for name, kind in _KINDS if name in types), "credential")


def _included_check(credential: dict[str, Any], run: _Run) -> tuple[Check, list[IncludedReport]]:
    try:
        return check_included(credential, _nested(run))
    except Exception as exc:  # see _guarded
        return _failure("credentials", exc), []


def _credential_checks(envelope: Envelope, expected: Expected, run: _Run) -> list[Check]:
    credential = envelope.credential
    issuer_id = issuer_id_of(credential)
    status_ctx = StatusContext(run.resolver, _nested(run), run.policy)
    claims = envelope.jwt.payload if envelope.jwt is not None else None
    proof, issuer_key = _guarded_pair(
        ("proof", "issuer_key"),
        lambda: recall_proofs(
            run.memo,
            envelope,
            run.policy,
            lambda: check_proofs(
                envelope,
                issuer_id,
                run.resolver,
                run.policy,
                canonical_digest=run.canonical_digest,
                memo=run.memo,
            ),
        ),
    )
    return [
        _guarded("structure", lambda: check_structure(credential, expected)),
        _guarded("schema", lambda: check_schema(credential)),
        proof,
        issuer_key,
        _guarded("revocation", lambda: check_status(credential, "revocation", status_ctx)),
        _guarded("suspension", lambda: check_status(credential, "suspension", status_ctx)),
        _guarded("validity", lambda: check_validity(credential, run.now, claims)),
    ]


def _endorsement_check(credential: dict[str, Any], run: _Run) -> Check | None:
    if run.depth >= MAX_NESTING:
        return Check.make(
            "endorsements", "unknown", "Endorsements nested this deeply are not followed."
        )
    return _guarded_optional("endorsements", lambda: check_endorsements(credential, _nested(run)))


def _nested(run: _Run) -> Callable[[dict[str, Any] | str, Expected], VerificationReport]:
    """Return a verifier for documents found inside this one, one nesting level deeper."""
    deeper = replace(run, depth=run.depth + 1, canonical_digest=None)

    def verify_nested(data: dict[str, Any] | str, expected: Expected) -> VerificationReport:
        if deeper.depth > MAX_NESTING:
            too_deep = Check.make("format", "invalid", "The document is nested too deeply.")
            return VerificationReport(False, None, "unknown", [too_deep])
        if expected == "status_list":
            return recall_status_list(
                deeper.memo,
                data,
                deeper.depth,
                deeper.policy,
                lambda: _verify(data, expected, deeper, None),
            )
        return _verify(data, expected, deeper, None)

    return verify_nested


def _failure(check_id: str, exc: Exception) -> Check:
    status: CheckStatus = "unknown" if check_id in BLOCKING_WHEN_UNKNOWN else "invalid"
    return Check.make(
        check_id,
        status,
        f"This check could not be completed because of an unexpected error "
        f"({type(exc).__name__}); the credential is not accepted on this point.",
    )


def _guarded(check_id: str, run_check: Callable[[], Check]) -> Check:
    try:
        return run_check()
    except Exception as exc:  # a check must never take the report down with it
        return _failure(check_id, exc)


def _guarded_optional(check_id: str, run_check: Callable[[], Check | None]) -> Check | None:
    try:
        return run_check()
    except Exception as exc:  # see _guarded
        return _failure(check_id, exc)


def _guarded_pair(
    check_ids: tuple[str, str], run_checks: Callable[[], tuple[Check, Check]]
) -> tuple[Check, Check]:
    try:
        return run_checks()
    except Exception as exc:  # see _guarded
        return _failure(check_ids[0], exc), _failure(check_ids[1], exc)
