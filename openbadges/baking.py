"""Baking: carrying a credential inside its badge image (PNG or SVG).

OB 3.0 §5.3 "Baking" (https://www.imsglobal.org/spec/ob/v3p0/#baking):

- PNG: one uncompressed ``iTXt`` chunk with keyword ``openbadgecredential`` whose text is the
  credential JSON or its compact JWS. The chunk is written just before ``IEND`` (the PNG spec
  lets iTXt sit anywhere after IHDR; putting it last leaves the image data untouched and lets
  a later bake simply replace it). Reading takes the first such chunk.
- SVG: ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the root and an
  ``<openbadges:credential>`` element directly after the opening ``<svg>`` tag, holding a JWT in
  ``verify="…"`` or the JSON in CDATA.

Open Badges 2.0 images (PNG keyword ``openbadges``, SVG namespace ``http://openbadges.org``) are
recognised on reading and reported with ``ob_version="2.0"`` so callers can explain them. Input
is hostile by default: chunk CRCs and lengths are checked, SVG is parsed by ``defusedxml``
(no entities, no external resources) within :data:`MAX_SVG_CHARS`.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from openbadges.errors import BakeError

__all__ = [
    "MAX_SVG_CHARS",
    "OB2_SVG_NAMESPACE",
    "OB3_SVG_NAMESPACE",
    "Baked",
    "bake_png",
    "bake_svg",
    "unbake_png",
    "unbake_svg",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB3_KEYWORD = b"openbadgecredential"
OB2_KEYWORD = b"openbadges"
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
OB2_SVG_NAMESPACE = "http://openbadges.org"
MAX_SVG_CHARS = 5_000_000
"""Largest SVG accepted (characters)."""
MAX_TEXT_BYTES = 5_000_000
"""Largest credential text accepted from a (possibly compressed) text chunk."""

_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_TEXT_CHUNKS = (b"iTXt", b"tEXt", b"zTXt")

Format = Literal["json", "jwt", "url"]


@dataclass(frozen=True)
class Baked:
    """What an image carries.

    Attributes:
        payload: the credential JSON text or compact JWS (or, for OB 2.0 hosted badges, a URL).
        format: ``"json"``, ``"jwt"``, or ``"url"`` (OB 2.0 hosted assertions only).
        ob_version: ``"3.0"``, or ``"2.0"`` for an Open Badges 2.0 badge.
    """

    payload: str
    format: Format
    ob_version: Literal["3.0", "2.0"]


def _payload_format(payload: str, *, allow_url: bool = False) -> Format:
    """Classify a payload as JSON object text or compact JWS; anything else is an error."""
    text = payload.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise BakeError(
                f"the baked JSON does not parse: {exc}", code="bake_bad_payload"
            ) from exc
        except RecursionError as exc:  # Python's parser recurses per level: hostile nesting
            raise BakeError(
                "the baked JSON nests too deeply to be a credential", code="bake_too_deep"
            ) from exc
        if isinstance(parsed, dict):
            return "json"
    elif _JWS.match(text):
        return "jwt"
    elif allow_url and re.match(r"^https?://\S+$", text):
        return "url"
    raise BakeError(
        "the payload must be a credential JSON object or a compact JWS", code="bake_bad_payload"
    )


# --- PNG ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    kind: bytes
    data: bytes

    def to_bytes(self) -> bytes:
        crc = zlib.crc32(self.kind + self.data) & 0xFFFFFFFF
        return struct.pack(">I", len(self.data)) + self.kind + self.data + struct.pack(">I", crc)


def _read_chunks(png: bytes) -> Iterator[_Chunk]:
    """Yield the chunks up to and including IEND, checking signature, lengths and CRCs."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakeError("not a PNG file (bad signature)", code="bake_not_png")
    offset, first = len(PNG_SIGNATURE), True
    while True:
        if offset + 12 > len(png):
            raise BakeError("the PNG is truncated (no IEND chunk)", code="bake_truncated")
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        end = offset + 12 + length
        if length > 0x7FFFFFFF or end > len(png):
            raise BakeError(
                f"PNG chunk {kind!r} claims {length} bytes, beyond the end of the file",
                code="bake_truncated",
            )
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[end - 4 : end])
        if zlib.crc32(kind + data) & 0xFFFFFFFF != crc:
            raise BakeError(f"PNG chunk {kind!r} has a bad CRC", code="bake_bad_crc")
        if first and kind != b"IHDR":
            raise BakeError("the PNG does not start with an IHDR chunk", code="bake_not_png")
        first = False
        yield _Chunk(kind, data)
        if kind == b"IEND":
            return
        offset = end


def _keyword(chunk: _Chunk) -> bytes | None:
    """The keyword of a text chunk (``iTXt``/``tEXt``/``zTXt``), else None."""
    if chunk.kind not in _TEXT_CHUNKS:
        return None
    return chunk.data.split(b"\0", 1)[0]


def _inflate(data: bytes) -> bytes:
    """Decompress a compressed text chunk with a bound (a zlib bomb stays harmless)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_BYTES + 1)
    except zlib.error as exc:
        raise BakeError("a compressed PNG text chunk is corrupt", code="bake_bad_chunk") from exc
    if len(out) > MAX_TEXT_BYTES:
        raise BakeError("a PNG text chunk inflates beyond the limit", code="bake_too_large")
    return out


def _chunk_text(chunk: _Chunk) -> str:
    """Decode the text of an iTXt, tEXt or zTXt chunk."""
    body = chunk.data.split(b"\0", 1)[1] if b"\0" in chunk.data else b""
    try:
        if chunk.kind == b"tEXt":
            return body.decode("latin-1")
        if chunk.kind == b"zTXt":
            return _inflate(body[1:]).decode("latin-1")
        if len(body) < 2:
            raise BakeError("an iTXt chunk is truncated", code="bake_bad_chunk")
        compressed, rest = body[0], body[2:]
        parts = rest.split(b"\0", 2)
        if len(parts) != 3:
            raise BakeError("an iTXt chunk is truncated", code="bake_bad_chunk")
        text = _inflate(parts[2]) if compressed else parts[2]
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakeError("a PNG text chunk is not valid text", code="bake_bad_chunk") from exc


def _itxt(keyword: bytes, text: str) -> _Chunk:
    """An uncompressed iTXt chunk with empty language tag and translated keyword."""
    return _Chunk(b"iTXt", keyword + b"\0" + b"\0\0" + b"\0" + b"\0" + text.encode("utf-8"))


def bake_png(png: bytes, payload: str) -> bytes:
    """Bake a credential into a PNG.

    Any existing ``openbadgecredential`` text chunk is dropped, so the result holds exactly one.

    Args:
        png: the badge image.
        payload: the signed credential: JSON text (embedded proof) or compact JWS (VC-JWT).

    Returns:
        The baked PNG.

    Raises:
        BakeError: the image is not a sound PNG, or the payload is neither JSON nor a JWS.
    """
    _payload_format(payload)
    chunks = [c for c in _read_chunks(png) if _keyword(c) != OB3_KEYWORD]
    chunks.insert(len(chunks) - 1, _itxt(OB3_KEYWORD, payload))
    return PNG_SIGNATURE + b"".join(chunk.to_bytes() for chunk in chunks)


def unbake_png(png: bytes) -> Baked:
    """Read the credential baked into a PNG.

    Args:
        png: the image.

    Returns:
        The first ``openbadgecredential`` iTXt (OB 3.0); failing that, an OB 2.0 ``openbadges``
        iTXt/tEXt, reported with ``ob_version="2.0"``.

    Raises:
        BakeError: not a sound PNG, or no credential in it (``code="bake_not_baked"``).
    """
    legacy: Baked | None = None
    for chunk in _read_chunks(png):
        keyword = _keyword(chunk)
        if keyword == OB3_KEYWORD and chunk.kind == b"iTXt":
            text = _chunk_text(chunk).strip()
            return Baked(text, _payload_format(text), "3.0")
        if keyword == OB2_KEYWORD and legacy is None:
            text = _chunk_text(chunk).strip()
            legacy = Baked(text, _payload_format(text, allow_url=True), "2.0")
    if legacy is not None:
        return legacy
    raise BakeError("the PNG carries no Open Badges credential", code="bake_not_baked")


# --- SVG ---------------------------------------------------------------------------------------

_PROLOG = re.compile(
    r"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*", re.DOTALL | re.IGNORECASE
)
_ROOT_TAG = re.compile(r"""<svg\b(?:[^>"']|"[^"]*"|'[^']*')*?(?P<close>/?)>""")
_OB_PREFIX_DECL = re.compile(r"""\sxmlns:openbadges\s*=\s*(["'])(?P<uri>.*?)\1""")
_OLD_ELEMENT = re.compile(
    r"""\s*<openbadges:credential\b(?:[^>"']|"[^"]*"|'[^']*')*?(?:/>|>.*?</openbadges:credential\s*>)""",
    re.DOTALL,
)


def _parse_svg(svg: str) -> Element:
    """Parse SVG text safely: bounded size, no entities, no DTD-driven fetches."""
    if len(svg) > MAX_SVG_CHARS:
        raise BakeError(f"the SVG is larger than {MAX_SVG_CHARS} characters", code="bake_too_large")
    try:
        root = fromstring(svg.encode("utf-8"), forbid_dtd=False)
    except DefusedXmlException as exc:
        raise BakeError(
            f"the SVG uses forbidden XML features: {exc}", code="bake_unsafe_xml"
        ) from exc
    except ParseError as exc:
        raise BakeError(f"the SVG is not well-formed XML: {exc}", code="bake_not_svg") from exc
    if root.tag.rsplit("}", 1)[-1] != "svg":
        raise BakeError("the document's root element is not <svg>", code="bake_not_svg")
    return root


def _cdata(text: str) -> str:
    """Wrap text in CDATA, splitting it wherever the text itself contains ``]]>``."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _credential_element(payload: str) -> str:
    """The ``<openbadges:credential>`` element for a payload."""
    if _payload_format(payload) == "jwt":
        return f'<openbadges:credential verify="{payload.strip()}"/>'
    return f"<openbadges:credential>{_cdata(payload)}</openbadges:credential>"


def _open_tag(tag: str) -> str:
    """Make the root start tag declare the OB 3.0 namespace and be a non-empty element."""
    declared = _OB_PREFIX_DECL.search(tag)
    if declared and declared["uri"] != OB3_SVG_NAMESPACE:
        raise BakeError(
            f"the SVG binds the prefix 'openbadges' to {declared['uri']!r}", code="bake_not_svg"
        )
    body = tag[:-2].rstrip() if tag.endswith("/>") else tag[:-1]
    if not declared:
        body += f' xmlns:openbadges="{OB3_SVG_NAMESPACE}"'
    return body + ">"


def bake_svg(svg: str, payload: str) -> str:
    """Bake a credential into an SVG.

    The rest of the document is kept byte for byte; an existing ``<openbadges:credential>`` is
    replaced.

    Args:
        svg: the badge image as text.
        payload: the credential JSON text or compact JWS.

    Returns:
        The baked SVG text.

    Raises:
        BakeError: unsafe or malformed SVG, a bad payload, or a result that would not unbake.
    """
    _parse_svg(svg)
    element = _credential_element(payload)
    start = _PROLOG.match(svg)
    root = _ROOT_TAG.match(svg, start.end() if start else 0)
    if root is None:
        raise BakeError("could not find the opening <svg> tag", code="bake_not_svg")
    rest = _OLD_ELEMENT.sub("", svg[root.end() :])
    if root["close"]:
        rest = "</svg>" + rest
    baked = svg[: root.start()] + _open_tag(root.group(0)) + element + rest
    _check_baked(baked, payload)
    return baked


def _check_baked(baked: str, payload: str) -> None:
    """Re-read the result: exactly one credential element, holding this payload."""
    root = _parse_svg(baked)
    count = sum(1 for _ in root.iter(f"{{{OB3_SVG_NAMESPACE}}}credential"))
    if count != 1 or unbake_svg(baked).payload != payload.strip():
        raise BakeError(
            "the SVG could not be baked faithfully (another credential element remains)",
            code="bake_failed",
        )


def _find(root: Element, namespace: str, name: str) -> Element | None:
    """The first element ``{namespace}name`` anywhere in the tree."""
    return next(root.iter(f"{{{namespace}}}{name}"), None)


def _element_payload(element: Element) -> str:
    """The ``verify`` attribute, or else the element's text (CDATA included)."""
    verify = element.get("verify")
    return (verify if verify is not None else "".join(element.itertext())).strip()


def unbake_svg(svg: str) -> Baked:
    """Read the credential baked into an SVG.

    Args:
        svg: the image as text.

    Returns:
        The first ``openbadges:credential`` (OB 3.0); failing that an OB 2.0
        ``openbadges:assertion``, reported with ``ob_version="2.0"``.

    Raises:
        BakeError: unsafe or malformed SVG, or no credential (``code="bake_not_baked"``).
    """
    root = _parse_svg(svg)
    element = _find(root, OB3_SVG_NAMESPACE, "credential")
    if element is not None:
        text = _element_payload(element)
        return Baked(text, _payload_format(text), "3.0")
    element = _find(root, OB2_SVG_NAMESPACE, "assertion")
    if element is not None:
        text = _element_payload(element)
        return Baked(text, _payload_format(text, allow_url=True), "2.0")
    raise BakeError("the SVG carries no Open Badges credential", code="bake_not_baked")
