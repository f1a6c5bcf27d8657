"""W3C Bitstring Status List v1.0: the bitstring, its encoding, and reading a status.

Spec: https://www.w3.org/TR/vc-bitstring-status-list/. The list is a GZIP-compressed bitstring
encoded as multibase base64url without padding (prefix ``u``); index 0 is the most significant
bit of the first byte. A list holds at least 131,072 entries (16 KiB) so that one credential's
status hides in the crowd, and indexes must not reveal issue order: an issuer hands out the
positions 0, 1, 2 … of a list and maps each through a secret keyed permutation of the list's
indexes (:func:`permuted_index`), so every index is used once and they come in random order
(no collisions to retry, however full the list). :func:`random_free_index` draws at random
against the set of taken indexes instead, for callers without a per-list counter.

Error codes (``StatusListError.code``) are the spec's processing-error names:
``STATUS_LIST_LENGTH_ERROR``, ``RANGE_ERROR``, ``MALFORMED_VALUE_ERROR`` and
``STATUS_VERIFICATION_ERROR``; ``STATUS_LIST_FULL`` when no free index is left.

Also here: :func:`is_revoked_1edtech` for the 1EdTech Revocation List (``1EdTechRevocationList``),
whose document is ``{"revokedCredential": [{"id", "revoked"?, "revocationReason"?}]}`` (some
issuers name the array ``revokedCredentials``; both are read).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from openbadges._bitstring import MAX_LIST_BYTES, MIN_SIZE, Bitstring
from openbadges.errors import ModelError, StatusListError
from openbadges.model import (
    BitstringStatusList,
    BitstringStatusListCredential,
    BitstringStatusListEntry,
    Profile,
    to_json,
    type_list,
    validate_model,
)

__all__ = [
    "MAX_LIST_BYTES",
    "MIN_SIZE",
    "Bitstring",
    "is_revoked_1edtech",
    "permuted_index",
    "random_free_index",
    "read_status",
    "status_entry",
    "status_list_credential",
]

_RANDOM_TRIES = 64


Taken = Callable[[int], bool] | AbstractSet[int]


def random_free_index(taken: Taken, size: int = MIN_SIZE, rng: random.Random | None = None) -> int:
    """Pick an unused index at random, so indexes say nothing about issue order.

    Random draws come first; when the list is nearly full, a scan from a random start finds
    the remaining free slots, so the call always ends.

    Args:
        taken: the indexes already allocated, as a set or a predicate (e.g. a DB lookup).
        size: number of entries in the list.
        rng: the random source; defaults to :class:`secrets.SystemRandom`. Pass a seeded
            :class:`random.Random` in tests.

    Returns:
        An index in ``range(size)`` for which ``taken`` is false.

    Raises:
        StatusListError: ``STATUS_LIST_FULL`` when every index is taken.
    """
    is_taken: Callable[[int], bool] = (
        taken.__contains__ if isinstance(taken, AbstractSet) else taken
    )
    source = rng if rng is not None else secrets.SystemRandom()
    for _ in range(_RANDOM_TRIES):
        candidate = source.randrange(size)
        if not is_taken(candidate):
            return candidate
    start = source.randrange(size)
    for offset in range(size):
        candidate = (start + offset) % size
        if not is_taken(candidate):
            return candidate
    raise StatusListError(
        f"all {size} indexes of the status list are taken", code="STATUS_LIST_FULL"
    )


PERMUTATION_ROUNDS = 10
"""Feistel rounds: FF1 (NIST SP 800-38G) uses 10 for small domains like these 18 bits."""


def permuted_index(key: bytes, size: int, position: int) -> int:
    """The index at ``position`` of a secret, keyed pseudo-random permutation of ``range(size)``.

    A balanced Feistel network over the smallest even number of bits covering ``size`` (18
    bits for 131,072), its round function keyed BLAKE2b, is a bijection of that power-of-two
    domain; cycle-walking (apply it again while the result is ``>= size``) restricts it to a
    bijection of ``range(size)`` (Black & Rogaway, "Ciphers with arbitrary finite domains").
    Positions ``0 … size-1`` therefore give every index exactly once, in an order that says
    nothing about issue order to whoever lacks ``key``. Cost does not depend on how many
    positions were used (the domain is at most 4x ``size``, so a walk is short).

    Args:
        key: the list's secret (at least 16 random bytes; at most 64, BLAKE2b's key size).
        size: the number of indexes (the list's length), at least 1.
        position: the list's counter value, in ``range(size)``.

    Returns:
        An index in ``range(size)``.

    Raises:
        StatusListError: ``RANGE_ERROR`` for a position outside ``range(size)``.
    """
    if size < 1 or not 0 <= position < size:
        raise StatusListError(
            f"position {position} is outside a list of {size}", code="RANGE_ERROR"
        )
    half = max(1, ((size - 1).bit_length() + 1) // 2)
    keyed = hashlib.blake2b(key=key, digest_size=8)
    value = _feistel(keyed, half, position)
    while value >= size:
        value = _feistel(keyed, half, value)
    return value


def _feistel(keyed: Any, half: int, value: int) -> int:
    """One pass of the keyed Feistel permutation over ``2 * half`` bits.

    ``keyed`` is a keyed BLAKE2b object; each round hashes a copy (cheaper than re-keying).
    """
    mask = (1 << half) - 1
    left, right = value >> half, value & mask
    for round_number in range(PERMUTATION_ROUNDS):
        hasher = keyed.copy()
        hasher.update(b"%d:%d" % (round_number, right))
        left, right = right, left ^ (int.from_bytes(hasher.digest(), "big") & mask)
    return (left << half) | right


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """Build the ``credentialStatus`` entry pointing at slot ``index`` of a list.

    Args:
        list_url: the URL of the status list credential.
        index: the slot (base 10, written as a string as the spec requires).
        purpose: ``revocation`` or ``suspension`` (one purpose per list).

    Returns:
        ``{"id": "<list_url>#<index>", "type": "BitstringStatusListEntry", …}``.
    """
    entry = BitstringStatusListEntry(
        id=f"{list_url}#{index}",
        status_purpose=purpose,
        status_list_index=str(index),
        status_list_credential=list_url,
    )
    return to_json(entry)


def status_list_credential(
    list_url: str,
    issuer: str | Mapping[str, Any],
    purpose: str,
    bitstring: Bitstring,
    *,
    valid_from: datetime | str,
    valid_until: datetime | str | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """Build the unsigned BitstringStatusListCredential for a list.

    Args:
        list_url: the URL the credential is served at (its ``id``).
        issuer: the issuer id, or its Profile object.
        purpose: the list's single ``statusPurpose`` (the 1EdTech validator compares one string).
        bitstring: the current bits.
        valid_from: when this version of the list was published.
        valid_until: optional end of validity of this version.
        ttl_ms: how long verifiers may cache it, in milliseconds.

    Returns:
        The credential as JSON, ready to be signed.
    """
    issuer_value: Profile | str = (
        issuer if isinstance(issuer, str) else validate_model(Profile, dict(issuer))
    )
    credential = BitstringStatusListCredential(
        id=list_url,
        issuer=issuer_value,
        valid_from=valid_from,  # a datetime is converted to text by the model
        valid_until=valid_until,
        credential_subject=BitstringStatusList(
            id=f"{list_url}#list",
            status_purpose=purpose,
            encoded_list=bitstring.encode(),
            ttl=ttl_ms,
        ),
    )
    return to_json(credential)


def read_status(list_credential: Mapping[str, Any], entry: Mapping[str, Any]) -> int:
    """Read a credential's status from an (already verified) status list credential.

    Follows the spec's validate algorithm steps after proof checking: the purposes must match,
    the list must be long enough, and the index must be inside it.

    Args:
        list_credential: the BitstringStatusListCredential (or legacy StatusList2021Credential).
        entry: the credential's ``credentialStatus`` entry.

    Returns:
        The status value: 0 means not revoked / not suspended.

    Raises:
        StatusListError: ``STATUS_VERIFICATION_ERROR`` (purpose mismatch, not a status list),
            ``MALFORMED_VALUE_ERROR``, ``STATUS_LIST_LENGTH_ERROR`` or ``RANGE_ERROR``.
    """
    parsed = _parse_entry(entry)
    subject, legacy = _list_subject(list_credential)
    purposes = subject.get("statusPurpose")
    allowed = [purposes] if isinstance(purposes, str) else purposes
    if not isinstance(allowed, list) or parsed.status_purpose not in allowed:
        raise StatusListError(
            f"the entry's statusPurpose {parsed.status_purpose!r} is not the list's ({purposes!r})",
            code="STATUS_VERIFICATION_ERROR",
            path="$.credentialSubject.statusPurpose",
        )
    size = parsed.status_size or 1
    bits = Bitstring.decode(
        subject.get("encodedList"),  # type: ignore[arg-type]  # checked by decode
        min_size=MIN_SIZE * size,
        allow_unprefixed=legacy,
    )
    return bits.get_value(parsed.index, size)


def _parse_entry(entry: Mapping[str, Any]) -> BitstringStatusListEntry:
    """Validate the status entry, accepting the legacy ``StatusList2021Entry`` type name."""
    data = dict(entry)
    if data.get("type") == "StatusList2021Entry":
        data["type"] = "BitstringStatusListEntry"
    try:
        return validate_model(BitstringStatusListEntry, data, permissive=True)
    except ModelError as exc:
        raise StatusListError(exc.message, code="MALFORMED_VALUE_ERROR", path=exc.path) from None


def _list_subject(list_credential: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """Return the list's subject and whether it is a legacy StatusList2021 list."""
    types = list_credential.get("type")
    names = type_list(types) if isinstance(types, str | list) else []
    legacy = "StatusList2021Credential" in names
    subject = list_credential.get("credentialSubject")
    if not (legacy or "BitstringStatusListCredential" in names) or not isinstance(subject, Mapping):
        raise StatusListError(
            "the status list is not a BitstringStatusListCredential with a credentialSubject",
            code="STATUS_VERIFICATION_ERROR",
            path="$.type",
        )
    return subject, legacy


def is_revoked_1edtech(list_doc: Mapping[str, Any], credential_id: str) -> bool:
    """Tell whether a 1EdTech Revocation List names a credential as revoked.

    The array of revoked credentials is read under both names issuers publish:
    ``revokedCredential`` (1EdTech's validator, Badgr) and the plural ``revokedCredentials``;
    when both are present, an entry in either counts. A document with neither is not a
    revocation list this verifier can read, and it is refused rather than read as "nothing is
    revoked" (a renamed or truncated list must never make a revoked credential look valid).
    An entry revokes when its ``id`` equals the credential id (after percent-decoding and
    trimming, the OB equality rule) and ``revoked`` is absent or true.

    Spec: https://www.imsglobal.org/spec/vcrl/v1p0/ (the list document; the 1EdTech
    validator's RevocationListProbe reads ``revokedCredential``).

    Args:
        list_doc: the fetched revocation list document.
        credential_id: the credential's ``id``.

    Returns:
        True when revoked.

    Raises:
        StatusListError: ``MALFORMED_VALUE_ERROR`` when neither array is present, or one is not
            a list of objects with an ``id``.
    """
    names = [name for name in _REVOKED_ARRAYS if name in list_doc]
    if not names:
        raise StatusListError(
            "the revocation list has neither a revokedCredential nor a revokedCredentials "
            "array, so it cannot say whether the credential is revoked",
            code="MALFORMED_VALUE_ERROR",
            path="$",
        )
    wanted = _same_id(credential_id)
    return any(_lists_revoked(list_doc[name], name, wanted) for name in names)


_REVOKED_ARRAYS = ("revokedCredential", "revokedCredentials")


def _lists_revoked(entries: object, name: str, wanted: str) -> bool:
    """Whether the array ``name`` lists ``wanted`` as revoked."""
    if not isinstance(entries, list):
        raise StatusListError(
            f"{name} must be an array", code="MALFORMED_VALUE_ERROR", path=f"$.{name}"
        )
    for position, item in enumerate(entries):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            raise StatusListError(
                f"each {name} entry needs a string id",
                code="MALFORMED_VALUE_ERROR",
                path=f"$.{name}[{position}]",
            )
        if _same_id(item["id"]) == wanted and item.get("revoked", True) is not False:
            return True
    return False


def _same_id(value: str) -> str:
    """Normalise an id for comparison (OB §A.1 equality: percent-decode and trim)."""
    return unquote(value).strip()
