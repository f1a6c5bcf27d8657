"""The VC-JWT claim mapping of OB 3.0 (private helper of :mod:`openbadges.proofs.jwt`).

``iss`` ↔ ``issuer.id``, ``jti`` ↔ ``id``, ``sub`` ↔ ``credentialSubject.id``,
``nbf`` ↔ ``validFrom`` (``issuanceDate`` in VC 1.1), ``exp`` ↔ ``validUntil``
(``expirationDate`` in VC 1.1). Dates compare at whole-second precision, because a NumericDate
is usually an integer while an xsd:dateTime may carry fractions.

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof
    https://www.w3.org/TR/vc-data-model-1.1/#jwt-decoding
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard

from openbadges.errors import JwtError

# RFC 7519 §4.1: these are JWT claims, not credential properties, so they are stripped from the
# credential read out of a VC 2.0-style payload (no context defines them).
REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _subject_id(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if isinstance(subject, Mapping) and isinstance(subject.get("id"), str):
        return str(subject["id"])
    return None


def parse_datetime(value: object, path: str) -> datetime:
    """Parse an xsd:dateTime; a value without a zone is taken as UTC.

    Raises:
        JwtError: not a string or not an ISO 8601 date-time.
    """
    if not isinstance(value, str):
        raise JwtError("expected a date-time string", path=path)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise JwtError(f"not an xsd:dateTime: {value!r}", path=path) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _numeric_date(value: datetime) -> int:
    return math.floor(value.timestamp())


def _to_xsd(numeric: int | float) -> str:
    try:
        moment = datetime.fromtimestamp(math.floor(numeric), UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise JwtError(f"NumericDate {numeric!r} is out of range") from exc
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def claims_for(credential: Mapping[str, Any]) -> dict[str, Any]:
    """Derive the OB 3.0 JWT claims from a VC 2.0 credential.

    Raises:
        JwtError: no issuer id, no id, or a missing/unparseable ``validFrom``/``validUntil``.
    """
    issuer = _issuer_id(credential)
    if issuer is None:
        raise JwtError("credential has no issuer id (needed for 'iss')", path="$.issuer")
    if not isinstance(credential.get("id"), str):
        raise JwtError("credential has no string id (needed for 'jti')", path="$.id")
    if "validFrom" not in credential:
        raise JwtError("credential has no validFrom (needed for 'nbf')", path="$.validFrom")
    claims: dict[str, Any] = {
        "iss": issuer,
        "jti": credential["id"],
        "nbf": _numeric_date(parse_datetime(credential["validFrom"], "$.validFrom")),
    }
    subject = _subject_id(credential)
    if subject is not None:
        claims["sub"] = subject
    if "validUntil" in credential:
        claims["exp"] = _numeric_date(parse_datetime(credential["validUntil"], "$.validUntil"))
    return claims


def restore_legacy(vc: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild a VC 1.1 credential from its ``vc`` claim and the JWT claims (VC 1.1 §6.3.1).

    A VC 1.1 issuer may leave ``issuer``, ``id``, ``issuanceDate``, ``expirationDate`` and
    ``credentialSubject.id`` out of ``vc`` because the claims carry them; fill in only what is
    absent, so a present value is still compared by :func:`check_claims`.
    """
    credential = dict(vc)
    if "issuer" not in credential and isinstance(payload.get("iss"), str):
        credential["issuer"] = payload["iss"]
    if "id" not in credential and isinstance(payload.get("jti"), str):
        credential["id"] = payload["jti"]
    for claim, prop in (("nbf", "issuanceDate"), ("exp", "expirationDate")):
        value = payload.get(claim)
        if prop not in credential and _is_number(value):
            credential[prop] = _to_xsd(value)
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping) and "id" not in subject and isinstance(payload.get("sub"), str):
        credential["credentialSubject"] = {**subject, "id": payload["sub"]}
    return credential


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_equal(claim: str, value: object, expected: str | None, path: str) -> None:
    if value is None:
        raise JwtError(f"JWT claim {claim!r} is missing; OB 3.0 requires it", path=f"$.{claim}")
    if value != expected:
        raise JwtError(
            f"JWT claim {claim!r} is {value!r} but the credential says {expected!r}", path=path
        )


def _check_date(
    claim: str, payload: Mapping[str, Any], credential: Mapping[str, Any], props: tuple[str, ...]
) -> None:
    value = payload.get(claim)
    if value is not None and not _is_number(value):
        raise JwtError(f"JWT claim {claim!r} must be a NumericDate (seconds)", path=f"$.{claim}")
    prop = next((p for p in props if p in credential), None)
    if value is None or prop is None:
        return
    expected = _numeric_date(parse_datetime(credential[prop], f"$.{prop}"))
    if math.floor(value) != expected:
        raise JwtError(
            f"JWT claim {claim!r} ({_to_xsd(value)}) does not equal {prop} ({credential[prop]})",
            path=f"$.{prop}",
        )


def check_claims(
    payload: Mapping[str, Any], credential: Mapping[str, Any], *, legacy: bool
) -> None:
    """Check that the JWT claims agree with the credential (OB 3.0 "Verify a JWT", step 5).

    ``iss`` and ``nbf`` are required; ``jti`` is required when the credential has an id;
    ``sub`` and ``exp`` are compared when both sides are present.

    Raises:
        JwtError: naming the first claim that is missing or disagrees.
    """
    _check_equal("iss", payload.get("iss"), _issuer_id(credential), "$.issuer")
    if "id" in credential or "jti" in payload:
        _check_equal("jti", payload.get("jti"), credential.get("id"), "$.id")
    subject = _subject_id(credential)
    if "sub" in payload and subject is not None:
        _check_equal("sub", payload["sub"], subject, "$.credentialSubject.id")
    starts = ("issuanceDate", "validFrom") if legacy else ("validFrom",)
    ends = ("expirationDate", "validUntil") if legacy else ("validUntil",)
    if "nbf" not in payload:
        raise JwtError("JWT claim 'nbf' is missing; OB 3.0 requires it", path="$.nbf")
    if not any(p in credential for p in starts):
        raise JwtError(
            f"credential has no {starts[0]} to compare with 'nbf'", path=f"$.{starts[0]}"
        )
    _check_date("nbf", payload, credential, starts)
    _check_date("exp", payload, credential, ends)
