"""Multibase and multicodec helpers: the ``z…`` and ``u…`` strings of Multikey and Data Integrity.

Only the two bases this project meets are supported, because every other prefix in a credential
is an error we want to name rather than guess at:

* ``z`` — base58btc (Bitcoin alphabet), used by ``publicKeyMultibase`` and ``proofValue``.
* ``u`` — base64url without padding, used by Bitstring Status List ``encodedList``.

Multicodec prefixes are unsigned varints in front of the key bytes; the constants below are the
two-byte varint encodings of the codes from the multicodec table.

Specs:
    https://www.w3.org/TR/controller-document/#multibase-0 (Multibase in the CID spec)
    https://datatracker.ietf.org/doc/html/draft-multiformats-multibase
    https://github.com/multiformats/multicodec/blob/master/table.csv
"""

from __future__ import annotations

import base64
import binascii
import re

import base58

from openbadges.errors import KeyFormatError

__all__ = [
    "BASE58BTC",
    "BASE64URL",
    "ED25519_PRIV",
    "ED25519_PUB",
    "P256_PUB",
    "add_multicodec",
    "b64url_decode",
    "b64url_encode",
    "base58btc_decode",
    "decode",
    "encode",
    "split_multicodec",
]

BASE58BTC = "z"
BASE64URL = "u"

# Varint-encoded multicodec codes (https://github.com/multiformats/multicodec/blob/master/table.csv).
ED25519_PUB = b"\xed\x01"  # 0xed   ed25519-pub
ED25519_PRIV = b"\x80\x26"  # 0x1300 ed25519-priv
P256_PUB = b"\x80\x24"  # 0x1200 p256-pub (compressed SEC1 point)

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_ALL_CODECS = {ED25519_PUB: "ed25519-pub", ED25519_PRIV: "ed25519-priv", P256_PUB: "p256-pub"}


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding (RFC 7515 §2 ``BASE64URL``)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded (or padded) base64url.

    Args:
        text: the base64url text.

    Returns:
        The decoded bytes.

    Raises:
        KeyFormatError: the text holds characters outside the base64url alphabet.
    """
    if not isinstance(text, str):
        raise KeyFormatError(f"expected a base64url string, got {type(text).__name__}")
    stripped = text.rstrip("=")
    # The stdlib decoder silently skips characters outside the alphabet; refuse them instead.
    if not _B64URL.fullmatch(stripped) or len(stripped) % 4 == 1:
        raise KeyFormatError("not valid base64url (wrong alphabet or length)")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"not valid base64url: {exc}") from exc


def encode(data: bytes, base: str = BASE58BTC) -> str:
    """Multibase-encode bytes.

    Args:
        data: the raw bytes.
        base: ``"z"`` (base58btc, the default) or ``"u"`` (base64url, no padding).

    Returns:
        The multibase string, prefix included.

    Raises:
        ValueError: an unsupported base (a programming error, not bad input).
    """
    if base == BASE58BTC:
        return BASE58BTC + base58.b58encode(data).decode("ascii")
    if base == BASE64URL:
        return BASE64URL + b64url_encode(data)
    raise ValueError(f"unsupported multibase prefix {base!r}")


def decode(text: str, *, expected: str | None = None) -> bytes:
    """Decode a multibase string.

    Args:
        text: the multibase string (``z…`` or ``u…``).
        expected: when given, the only prefix accepted (Multikey and proofValue MUST be ``z``).

    Returns:
        The decoded bytes.

    Raises:
        KeyFormatError: empty text, an unsupported or unexpected prefix, or bad characters.
    """
    if not isinstance(text, str) or not text:
        raise KeyFormatError("multibase value is empty or not a string")
    prefix, body = text[0], text[1:]
    if expected is not None and prefix != expected:
        raise KeyFormatError(f"multibase value must start with {expected!r}, found {prefix!r}")
    if prefix == BASE58BTC:
        try:
            return base58btc_decode(body)
        except ValueError as exc:
            raise KeyFormatError(f"invalid base58btc character in multibase value: {exc}") from exc
    if prefix == BASE64URL:
        return b64url_decode(body)
    raise KeyFormatError(
        f"unsupported multibase prefix {prefix!r} (only 'z' and 'u' are supported)"
    )


_BASE58_ALPHABET = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_DIGITS = bytes(
    _BASE58_ALPHABET.index(code) if code in _BASE58_ALPHABET else 0xFF for code in range(256)
)
"""``bytes.translate`` table: an ASCII character to its base58 digit, 0xFF outside."""
_ASCII_SPACE = " \t\n\r\x0b\x0c"


def base58btc_decode(body: str) -> bytes:
    """Decode base58btc text (no multibase prefix): what ``base58.b58decode`` returns for it,
    trailing ASCII whitespace ignored as there, each leading ``1`` a zero byte.

    Every page view checks one ``proofValue`` (88 digits): the package's byte-by-byte
    ``divmod`` loop over the big integer made its decoding ~1 % of a page not yet cached;
    here the digits come from one ``translate`` and the bytes from ``int.to_bytes`` (half the
    time).

    Raises:
        ValueError: a character outside the Bitcoin alphabet.
    """
    text = body.rstrip(_ASCII_SPACE)
    try:
        digits = text.lstrip("1").encode("ascii").translate(_BASE58_DIGITS)
    except UnicodeEncodeError:
        raise ValueError("invalid base58btc character (not ASCII)") from None
    if b"\xff" in digits:
        raise ValueError("invalid base58btc character")
    value = 0
    for digit in digits:
        value = value * 58 + digit
    zeros = b"\0" * (len(text) - len(digits))
    return zeros + value.to_bytes((value.bit_length() + 7) // 8, "big")


def add_multicodec(codec: bytes, data: bytes) -> bytes:
    """Prefix raw key bytes with a multicodec varint (one of the constants of this module)."""
    return codec + data


def split_multicodec(data: bytes) -> tuple[bytes, bytes]:
    """Split multicodec-prefixed bytes into ``(codec, payload)``.

    Args:
        data: the decoded multibase bytes.

    Returns:
        The two-byte codec prefix (one of the module constants) and the remaining bytes.

    Raises:
        KeyFormatError: the prefix is not one of the codecs this library knows.
    """
    codec = data[:2]
    if codec not in _ALL_CODECS:
        raise KeyFormatError(
            f"unknown multicodec prefix 0x{codec.hex() or '(empty)'}; expected one of "
            + ", ".join(f"0x{c.hex()} ({name})" for c, name in _ALL_CODECS.items())
        )
    return codec, data[2:]
