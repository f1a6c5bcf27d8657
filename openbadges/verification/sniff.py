"""The ``format`` check: what was handed in, decided from the content, never from a file name.

A baked PNG, a baked SVG, JSON and a compact JWS are told apart by their first bytes, the way
1EdTech's validator does it (conformance ``simple.1ob`` is JSON with an odd extension). An
Open Badges 2.0 badge gets its own clear answer instead of a confusing list of 3.0 failures.
Input is bounded before any parsing (:data:`MAX_INPUT_BYTES`), and the JSON of every carrier —
a file, a JWT header and payload, a baked PNG or SVG — by
:func:`openbadges.jsonld.limits.check_structure` (a payload too deep even for Python's parser
gets the same answer); a hostile input is an ``invalid`` format check, never an exception.

Specs:
    Baking: https://www.imsglobal.org/spec/ob/v3p0/#baking
    VC-JWT: https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from openbadges.baking import unbake_png, unbake_svg
from openbadges.errors import OpenBadgesError
from openbadges.jsonld.limits import check_structure, loads_bounded
from openbadges.proofs.jwt import JwtParts, decode_unverified
from openbadges.verification.report import Check

__all__ = ["MAX_INPUT_BYTES", "Envelope", "FormatProblem", "open_envelope"]

MAX_INPUT_BYTES = 10_000_000
"""Largest input accepted at all (a baked image may be several MB; the credential inside is
then bounded separately by the limits in force, :func:`openbadges.jsonld.limits.applied_limits`)."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JWT = re.compile(rb"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_OB2_CONTEXT = "https://w3id.org/openbadges/v2"


class FormatProblem(Exception):
    """The input is not a credential this verifier can read; the message says why."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """The credential as it came out of its wrapping.

    Attributes:
        format: ``json``, ``jwt``, ``png+json``, ``png+jwt``, ``svg+json`` or ``svg+jwt``.
        credential: the credential JSON (for a JWT, the credential read from the payload).
        jwt: the decoded token when the credential came as a VC-JWT.
        token: the compact JWS text, to verify its signature.
        text_digest: the SHA-256 of the JSON text ``credential`` was parsed from, when it came
            as JSON text (equal texts parse to equal credentials, so a memo may key on it
            instead of serialising the parsed document again).
    """

    format: str
    credential: dict[str, Any]
    jwt: JwtParts | None = None
    token: str | None = None
    text_digest: bytes | None = None

    def describe(self) -> str:
        """A sentence naming the format for the report."""
        names = {
            "json": "a JSON credential with embedded proofs",
            "jwt": "a VC-JWT (compact JWS)",
        }
        container, _, inner = self.format.partition("+")
        if inner:
            return f"a {container.upper()} image baked with {names[inner]}"
        return names[container]


def open_envelope(data: bytes | str | dict[str, Any]) -> tuple[Check, Envelope | None]:
    """Run the ``format`` check: sniff, unwrap and bound the input.

    Never raises for bad input: an unreadable input gives an ``invalid`` check and no envelope.
    """
    try:
        envelope = _open(data)
    except FormatProblem as exc:
        return Check.make("format", "invalid", str(exc)), None
    return Check.make("format", "valid", f"The input is {envelope.describe()}."), envelope


def _open(data: bytes | str | dict[str, Any]) -> Envelope:
    if isinstance(data, dict):
        return Envelope("json", _bounded(data))
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not isinstance(raw, bytes | bytearray):
        raise FormatProblem("The input is neither bytes, text nor a JSON object.")
    if len(raw) > MAX_INPUT_BYTES:
        raise FormatProblem(
            f"The input is {len(raw)} bytes, more than the {MAX_INPUT_BYTES} this verifier reads."
        )
    if raw.startswith(_PNG_SIGNATURE):
        return _unbaked("png", bytes(raw))
    text = bytes(raw).lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return Envelope("json", _parse_json(text), text_digest=hashlib.sha256(text).digest())
    if text.startswith(b"<"):
        return _unbaked("svg", bytes(raw))
    if _JWT.match(text.rstrip()):
        return _from_jwt("jwt", text.rstrip().decode("ascii"))
    raise FormatProblem(
        "The input is not recognised: it is neither JSON, a JWT, a PNG nor an SVG image."
    )


def _unbaked(container: str, raw: bytes) -> Envelope:
    try:
        baked = unbake_png(raw) if container == "png" else unbake_svg(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FormatProblem("The SVG image is not valid UTF-8 text.") from exc
    except OpenBadgesError as exc:
        raise FormatProblem(
            f"The {container.upper()} image holds no readable credential: {exc.message}"
        ) from exc
    if baked.ob_version == "2.0":
        raise FormatProblem(
            "This is an Open Badges 2.0 badge. This verifier checks Open Badges 3.0 "
            "credentials only; use an Open Badges 2.0 validator for it."
        )
    if baked.format == "jwt":
        return _from_jwt(f"{container}+jwt", baked.payload.strip())
    parsed = _parse_json(baked.payload.encode("utf-8"))
    return Envelope(f"{container}+json", parsed)


def _from_jwt(fmt: str, token: str) -> Envelope:
    try:
        parts = decode_unverified(token)
    except OpenBadgesError as exc:
        raise FormatProblem(f"The JWT cannot be read: {exc.message}") from exc
    return Envelope(fmt, _bounded(parts.credential), jwt=parts, token=token)


def _parse_json(raw: bytes) -> dict[str, Any]:
    try:
        parsed = loads_bounded(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatProblem(f"The input looks like JSON but cannot be parsed: {exc}") from exc
    except OpenBadgesError as exc:
        raise FormatProblem(f"The credential is too large to verify safely: {exc}") from exc
    if not isinstance(parsed, dict):
        raise FormatProblem("The JSON is not an object, so it cannot be a credential.")
    return _open_badges_3(parsed)


def _bounded(document: dict[str, Any]) -> dict[str, Any]:
    try:
        check_structure(document)
    except OpenBadgesError as exc:
        raise FormatProblem(f"The credential is too large to verify safely: {exc}") from exc
    return _open_badges_3(document)


def _open_badges_3(document: dict[str, Any]) -> dict[str, Any]:
    if _is_ob2(document):
        raise FormatProblem(
            "This is an Open Badges 2.0 assertion. This verifier checks Open Badges 3.0 "
            "credentials only; use an Open Badges 2.0 validator for it."
        )
    return document


def _is_ob2(document: dict[str, Any]) -> bool:
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return _OB2_CONTEXT in contexts or document.get("type") == "Assertion"
