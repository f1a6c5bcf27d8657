"""The recipient side of an AchievementCredential: subject, identity objects and results.

OB 3.0 §B.1 ``AchievementSubject``, ``IdentityObject``, ``Result``:
https://www.imsglobal.org/spec/ob/v3p0/#achievementsubject.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any, Self

from pydantic import StrictBool, model_validator

from openbadges.model.achievement import Achievement, Alignment
from openbadges.model.common import (
    DateTime,
    Image,
    Number,
    StrictTypedModel,
    TypedModel,
    TypeValue,
    Uri,
    type_field,
)
from openbadges.model.enums import IdentifierTypeValue, ResultStatusTypeValue
from openbadges.model.vc import Profile

__all__ = [
    "AchievementSubject",
    "IdentityObject",
    "Result",
    "hash_identity",
    "identity_matches",
]

_HASH = re.compile(r"^(?P<alg>md5|sha256)\$(?P<hex>[0-9a-fA-F]+)$")
_HEX_LENGTH = {"md5": 32, "sha256": 64}


def hash_identity(value: str, salt: str = "") -> str:
    """Hash a recipient identifier as an OB ``IdentityHash``.

    The input is the UTF-8 identifier followed by the salt, as in the spec example where
    ``a@example.com`` salted with ``Kosher`` gives ``sha256$b5809d8a…ef399``.

    Args:
        value: the plaintext identifier (e.g. an email address), used exactly as given.
        salt: a random salt; the empty string means unsalted (discouraged, it is guessable).

    Returns:
        ``"sha256$<64 lower-case hex digits>"``.
    """
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def _hash_matches(identity_hash: str, value: str, salt: str) -> bool:
    """Compare ``alg$hex`` with the hash of ``value + salt`` in constant time."""
    match = _HASH.match(identity_hash)
    if not match:
        return False
    digest = hashlib.new(match["alg"], (value + salt).encode("utf-8")).hexdigest()
    return hmac.compare_digest(digest, match["hex"].lower())


def identity_matches(identity: IdentityObject | Mapping[str, Any], value: str) -> bool:
    """Tell whether a recipient identifier belongs to an ``IdentityObject``.

    Handles both ``hashed: false`` (the plaintext is in ``identityHash``) and ``hashed: true``
    with ``md5$`` or ``sha256$`` digests in either letter case, salted or not.

    Args:
        identity: the IdentityObject, as a model or as its JSON object.
        value: the identifier to test, e.g. the email address a person claims.

    Returns:
        True when it matches. A malformed identity object never matches.
    """
    data = identity.model_dump() if isinstance(identity, IdentityObject) else identity
    identity_hash = data.get("identityHash")
    if not isinstance(identity_hash, str):
        return False
    if data.get("hashed") is not True:
        return hmac.compare_digest(identity_hash.encode("utf-8"), value.encode("utf-8"))
    salt = data.get("salt")
    return _hash_matches(identity_hash, value, salt if isinstance(salt, str) else "")


class IdentityObject(StrictTypedModel):
    """One identifier of the recipient, plaintext or hashed (``identityHash`` = ``alg$hex``)."""

    REQUIRED_TYPES = (("IdentityObject",),)

    type: TypeValue = "IdentityObject"
    hashed: StrictBool
    identity_hash: str
    identity_type: IdentifierTypeValue
    salt: str | None = None

    @model_validator(mode="after")
    def _hash_shape(self) -> Self:
        """A hashed identity must be ``md5$<32 hex>`` or ``sha256$<64 hex>``."""
        if not self.hashed:
            return self
        match = _HASH.match(self.identity_hash)
        if not match or len(match["hex"]) != _HEX_LENGTH[match["alg"]]:
            raise ValueError(
                "identityHash of a hashed identity must be 'sha256$<64 hex>' or 'md5$<32 hex>'"
            )
        return self


class Result(TypedModel):
    """A result the recipient achieved, linked to a ResultDescription of the achievement."""

    REQUIRED_TYPES = (("Result",),)

    type: TypeValue = type_field("Result")
    achieved_level: Uri | None = None
    alignment: list[Alignment] | None = None
    result_description: Uri | None = None
    status: ResultStatusTypeValue | None = None
    value: str | None = None


class AchievementSubject(StrictTypedModel):
    """The recipient and what they achieved (``credentialSubject`` of an OB credential).

    It has no extension point: ad-hoc fields such as ``name`` or ``email`` are refused.
    At least one of ``id`` and ``identifier`` MUST be present.
    """

    REQUIRED_TYPES = (("AchievementSubject",),)

    id: Uri | None = None
    type: TypeValue = type_field("AchievementSubject")
    activity_end_date: DateTime | None = None
    activity_start_date: DateTime | None = None
    credits_earned: Number | None = None
    achievement: Achievement
    identifier: list[IdentityObject] | None = None
    image: Image | None = None
    license_number: str | None = None
    narrative: str | None = None
    result: list[Result] | None = None
    role: str | None = None
    source: Profile | None = None
    term: str | None = None

    @model_validator(mode="after")
    def _identified(self) -> Self:
        """Either ``id`` or at least one ``identifier`` identifies the recipient."""
        if self.id is None and not self.identifier:
            raise ValueError("credentialSubject needs an 'id' or at least one 'identifier'")
        return self
