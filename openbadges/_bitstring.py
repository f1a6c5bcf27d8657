"""The bitstring behind a Bitstring Status List: bit order, multibase/GZIP encoding, limits.

W3C Bitstring Status List v1.0 §3 (https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-encoding).
Public names are re-exported by :mod:`openbadges.status_list`.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib

from openbadges._memo import BoundedMemo
from openbadges.errors import StatusListError

__all__ = ["MAX_LIST_BYTES", "MIN_SIZE", "Bitstring"]

MIN_SIZE = 131_072
"""Minimum number of entries (bits for ``statusSize`` 1): 16 KiB uncompressed."""

MAX_LIST_BYTES = 16 * 1024 * 1024
"""Largest uncompressed list accepted when decoding: bounds a gzip bomb."""

_DECODED: BoundedMemo[tuple[str, bool], bytes] = BoundedMemo(
    64, max_weight=8 * 1024 * 1024, weigh=len
)
"""Inflated ``encodedList`` strings, keyed by the string itself (and whether it may lack the
``u``): a verifier reads the same few lists for every credential, and a list that changed is a
different string. 64 lists, 8 MiB in all; a list over 2 MiB inflated is never kept."""


class Bitstring:
    """A fixed-size bitstring; bit ``i`` is bit ``7 - i % 8`` of byte ``i // 8``."""

    def __init__(self, size: int = MIN_SIZE, *, min_size: int = MIN_SIZE) -> None:
        """Create an all-zero bitstring.

        Args:
            size: number of bits; a multiple of 8 and at least ``min_size``.
            min_size: the floor, 131,072 by the spec (lower it only for tests of others' lists).

        Raises:
            StatusListError: ``STATUS_LIST_LENGTH_ERROR`` for a size below the floor or not a
                whole number of bytes.
        """
        if size < min_size or size % 8:
            raise StatusListError(
                f"a status list needs at least {min_size} bits in whole bytes, got {size}",
                code="STATUS_LIST_LENGTH_ERROR",
            )
        self._bytes = bytearray(size // 8)

    @classmethod
    def _from_bytes(cls, raw: bytes) -> Bitstring:
        """Wrap decoded bytes without the size floor (checked by the caller)."""
        bits = cls.__new__(cls)
        bits._bytes = bytearray(raw)
        return bits

    @property
    def size(self) -> int:
        """Number of bits."""
        return len(self._bytes) * 8

    def __len__(self) -> int:
        """Number of bits."""
        return self.size

    def __eq__(self, other: object) -> bool:
        """Equal when the bits are equal."""
        return isinstance(other, Bitstring) and self._bytes == other._bytes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def _check(self, index: int, width: int = 1) -> None:
        """Raise ``RANGE_ERROR`` unless bits ``index … index + width - 1`` exist."""
        if index < 0 or index + width > self.size:
            raise StatusListError(
                f"index {index} is outside the list of {self.size} bits", code="RANGE_ERROR"
            )

    def get(self, index: int) -> bool:
        """Return bit ``index``.

        Raises:
            StatusListError: ``RANGE_ERROR`` for an index outside the list.
        """
        self._check(index)
        return bool(self._bytes[index // 8] >> (7 - index % 8) & 1)

    def set(self, index: int, value: bool = True) -> None:
        """Set (or clear) bit ``index``.

        Raises:
            StatusListError: ``RANGE_ERROR`` for an index outside the list.
        """
        self._check(index)
        mask = 1 << (7 - index % 8)
        if value:
            self._bytes[index // 8] |= mask
        else:
            self._bytes[index // 8] &= ~mask & 0xFF

    def get_value(self, index: int, status_size: int = 1) -> int:
        """Read entry ``index`` of ``status_size`` bits (most significant bit first).

        Raises:
            StatusListError: ``RANGE_ERROR`` when the entry does not fit in the list.
        """
        start = index * status_size
        self._check(start, status_size)
        value = 0
        for bit in range(start, start + status_size):
            value = value << 1 | self.get(bit)
        return value

    def set_value(self, index: int, value: int, status_size: int = 1) -> None:
        """Write entry ``index`` of ``status_size`` bits.

        Raises:
            StatusListError: ``RANGE_ERROR`` for an entry outside the list or a value too wide.
        """
        if not 0 <= value < 1 << status_size:
            raise StatusListError(
                f"value {value} does not fit in {status_size} bits", code="RANGE_ERROR"
            )
        start = index * status_size
        self._check(start, status_size)
        for offset in range(status_size):
            self.set(start + offset, bool(value >> (status_size - 1 - offset) & 1))

    def to_bytes(self) -> bytes:
        """The uncompressed bitstring."""
        return bytes(self._bytes)

    def encode(self) -> str:
        """Encode as ``encodedList``: ``"u"`` + base64url-no-padding(GZIP(bits)).

        ``mtime=0`` keeps the GZIP header fixed, so equal lists encode to equal strings and a
        re-published list does not change without cause.
        """
        packed = gzip.compress(bytes(self._bytes), mtime=0)
        return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")

    @classmethod
    def decode(
        cls, encoded: str, *, min_size: int = MIN_SIZE, allow_unprefixed: bool = False
    ) -> Bitstring:
        """Decode an ``encodedList``.

        Args:
            encoded: the multibase string (``u…``).
            min_size: minimum number of bits (131,072 × statusSize by the spec).
            allow_unprefixed: accept plain base64url without the ``u`` (StatusList2021 lists).

        Returns:
            The bitstring.

        Raises:
            StatusListError: ``MALFORMED_VALUE_ERROR`` when it is not base64url GZIP data or
                inflates beyond :data:`MAX_LIST_BYTES`; ``STATUS_LIST_LENGTH_ERROR`` when shorter
                than ``min_size``.
        """
        if type(encoded) is str:
            raw = _DECODED.recall(
                (encoded, allow_unprefixed), lambda: _inflate(encoded, allow_unprefixed)
            )
        else:
            raw = _inflate(encoded, allow_unprefixed)  # raises: not a string
        if len(raw) * 8 < min_size:
            raise StatusListError(
                f"the status list has {len(raw) * 8} bits, fewer than the minimum {min_size}",
                code="STATUS_LIST_LENGTH_ERROR",
            )
        return cls._from_bytes(raw)


def _inflate(encoded: str, allow_unprefixed: bool) -> bytes:
    """The uncompressed bytes of an ``encodedList`` (see :meth:`Bitstring.decode`)."""
    return _gunzip(_unbase64(_strip_multibase(encoded, allow_unprefixed)))


def _strip_multibase(encoded: str, allow_unprefixed: bool) -> str:
    """Remove the multibase ``u`` (base64url) prefix."""
    if not isinstance(encoded, str) or not encoded:
        raise StatusListError(
            "encodedList must be a non-empty string", code="MALFORMED_VALUE_ERROR"
        )
    if encoded.startswith("u"):
        return encoded[1:]
    if allow_unprefixed:
        return encoded
    raise StatusListError(
        "encodedList must be multibase base64url (start with 'u')", code="MALFORMED_VALUE_ERROR"
    )


def _unbase64(text: str) -> bytes:
    """Decode base64url with or without padding, refusing other characters."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StatusListError(
            "encodedList is not valid base64url", code="MALFORMED_VALUE_ERROR"
        ) from exc


def _gunzip(data: bytes) -> bytes:
    """Inflate one GZIP member, refusing output beyond :data:`MAX_LIST_BYTES`."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        raw = inflater.decompress(data, MAX_LIST_BYTES + 1)
    except zlib.error as exc:
        raise StatusListError(
            f"encodedList is not GZIP data: {exc}", code="MALFORMED_VALUE_ERROR"
        ) from exc
    if len(raw) > MAX_LIST_BYTES:
        raise StatusListError(
            f"the status list inflates beyond {MAX_LIST_BYTES} bytes",
            code="MALFORMED_VALUE_ERROR",
        )
    if not inflater.eof:
        raise StatusListError("encodedList GZIP data is truncated", code="MALFORMED_VALUE_ERROR")
    return raw
