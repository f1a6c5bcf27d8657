"""Images for the branding tests: a small valid PNG and a harmless SVG."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 2, height: int = 2, pad: int = 0) -> bytes:
    """A small valid PNG (``pad`` bytes of an extra ancillary chunk make it bigger)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x1d\x4e\xd8" * width for _ in range(height))
    out = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    )
    if pad:
        out += chunk(b"tEXt", b"c\x00" + b"x" * pad)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<rect width="10" height="10" fill="#1d4ed8"/></svg>'
)
