"""W3C Bitstring Status List v1.0: the bitstring, its encoding, and reading a status.

Spec: https://www.w3.org/TR/vc-bitstring-status-list/. The list is a GZIP-compressed bitstring
encoded as multibase base64url without padding (prefix ``u``); index 0 is the most significant
bit of the first byte. A list holds at least 131,072 entries (16 KiB) so that one credential's
status hides in the crowd, and issuers pick indexes at random (:func:`random_free_index`).

Error codes (``StatusListError.code``) are the spec's processing-error names:
``STATUS_LIST_LENGTH_ERROR``, ``RANGE_ERROR``, ``MALFORMED_VALUE_ERROR`` and
``STATUS_VERIFICATION_ERROR``; ``STATUS_LIST_FULL`` when no free index is left.

Also here: :func:`is_revoked_1edtech` for the 1EdTech Revocation List (``1EdTechRevocationList``),
whose document is ``{"revokedCredential": [{"id", "revoked"?, "revocationReason"?}]}``.
"""

from __future__ import annotations

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

    An entry revokes when its ``id`` equals the credential id (after percent-decoding and
    trimming, the OB equality rule) and ``revoked`` is absent or true.

    Args:
        list_doc: the fetched revocation list document.
        credential_id: the credential's ``id``.

    Returns:
        True when revoked.

    Raises:
        StatusListError: ``MALFORMED_VALUE_ERROR`` when ``revokedCredential`` is not a list of
            objects with an ``id``.
    """
    entries = list_doc.get("revokedCredential", [])
    if not isinstance(entries, list):
        raise StatusListError(
            "revokedCredential must be an array",
            code="MALFORMED_VALUE_ERROR",
            path="$.revokedCredential",
        )
    wanted = _same_id(credential_id)
    for position, item in enumerate(entries):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            raise StatusListError(
                "each revokedCredential entry needs a string id",
                code="MALFORMED_VALUE_ERROR",
                path=f"$.revokedCredential[{position}]",
            )
        if _same_id(item["id"]) == wanted and item.get("revoked", True) is not False:
            return True
    return False


def _same_id(value: str) -> str:
    """Normalise an id for comparison (OB §A.1 equality: percent-decode and trim)."""
    return unquote(value).strip()
