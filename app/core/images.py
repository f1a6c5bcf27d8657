"""Uploaded images (badge images, issuer logos) checked by content, never by name.

A PNG by its signature and header chunk; an SVG by parsing it with defusedxml (no DTD, so no
entities) and REMOVING anything that can run or fetch (:func:`sanitize_svg`): ``<script>``,
``on*`` attributes, ``<foreignObject>``, references that are not ``#fragment`` or a raster
``data:image/`` URI (``href``, ``xlink:href``, ``url(...)`` in styles, ``@import``,
stylesheet processing instructions), and animations that set those; the sanitised copy is
kept. Refused outright: an empty or too large file, content that is neither PNG nor SVG,
malformed XML, a DOCTYPE, and a file whose name or declared type says one format while its
content is another. An accepted image is returned as a ``data:`` URI.

Used by the console's achievement form (:mod:`app.console.achievements_view`, which re-exports
these names) and the issuer's logo (:mod:`app.issuers.logo`).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from urllib.parse import unquote_to_bytes
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

MAX_IMAGE_BYTES = 256 * 1024
"""The largest badge image accepted (bytes of the file)."""

_DATA_URI = re.compile(r"^data:image/(png|svg\+xml);base64,([A-Za-z0-9+/=\s]+)$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
# A sanitised SVG is written back with its usual prefixes (not ns0:, which some viewers reject).
ElementTree.register_namespace("", "http://www.w3.org/2000/svg")
ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")


# --- badge images --------------------------------------------------------------------------


class ImageRefused(Exception):
    """An upload that is not an acceptable badge image; ``code`` names why (a message key)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _local(name: str) -> str:
    """An XML name without its namespace, lower-cased."""
    return name.rsplit("}", 1)[-1].lower()


def _safe_reference(value: str) -> bool:
    """A reference an SVG badge may hold: a fragment of itself, or an embedded raster image."""
    text = value.strip().lower()
    if text.startswith("#"):
        return True
    return text.startswith("data:image/") and not text.startswith("data:image/svg")


_ANIMATIONS = frozenset({"set", "animate", "animatetransform", "animatemotion", "animatecolor"})
_ACTIVE = frozenset(
    {"script", "handler", "listener", "iframe", "embed", "object", "audio", "video"}
)


_CSS_URL_FULL = re.compile(r"url\(\s*['\"]?([^'\")]*)['\"]?\s*\)", re.IGNORECASE)
_IMPORT = re.compile(r"@import[^;]*;?", re.IGNORECASE)
_UNSAFE_CSS = ("javascript:", "expression(", "behavior:", "-moz-binding")


def _clean_style(text: str) -> str | None:
    """CSS with ``@import`` rules dropped and outside ``url(...)`` targets made ``none``;
    ``None`` when it holds something that cannot be cut out safely (script-like CSS)."""
    lowered = text.lower()
    if any(marker in lowered for marker in _UNSAFE_CSS):
        return None
    cleaned = _IMPORT.sub("", text)
    return _CSS_URL_FULL.sub(
        lambda m: m.group(0) if _safe_reference(m.group(1)) else "none", cleaned
    )


def _clean_element(element: Element, removed: set[str]) -> None:
    """Remove what can run or fetch from one element (its children are visited by the caller)."""
    for child in list(element):
        tag = _local(str(child.tag))
        if tag in _ACTIVE:
            element.remove(child)
            removed.add("svg_script")
        elif tag == "foreignobject":
            element.remove(child)
            removed.add("svg_foreign")
        elif tag in _ANIMATIONS and _animates_unsafe(child):
            element.remove(child)
            removed.add("svg_external")
        elif tag == "style" and child.text:
            cleaned = _clean_style(child.text)
            if cleaned is None:
                element.remove(child)
                removed.add("svg_external")
            elif cleaned != child.text:
                child.text = cleaned
                removed.add("svg_external")
    for name, value in list(element.attrib.items()):
        attribute = _local(name)
        lowered = value.lower()
        if attribute.startswith("on"):
            del element.attrib[name]
            removed.add("svg_event")
        elif attribute in ("href", "src", "base") and not _safe_reference(value):
            del element.attrib[name]
            removed.add("svg_external")
        elif "javascript:" in lowered:
            del element.attrib[name]
            removed.add("svg_external")
        elif attribute == "style" or "url(" in lowered or "@import" in lowered:
            cleaned = _clean_style(value)
            if cleaned is None:
                del element.attrib[name]
                removed.add("svg_external")
            elif cleaned != value:
                element.attrib[name] = cleaned
                removed.add("svg_external")


def _animates_unsafe(element: Element) -> bool:
    """An animation that would set a handler, a reference or a style (what we remove)."""
    target = _local(element.attrib.get("attributeName", ""))
    return target.startswith("on") or target in ("href", "src", "style")


def _parse(data: bytes) -> Element:
    try:
        return SafeElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        raise ImageRefused("svg_entity") from None
    except (ParseError, ValueError, UnicodeDecodeError):
        raise ImageRefused("svg_invalid") from None


def sanitize_svg(data: bytes) -> tuple[bytes, frozenset[str]]:
    """The SVG with everything that could run script or load anything removed, and the codes
    of what was removed (``svg_script``, ``svg_event``, ``svg_foreign``, ``svg_external``).

    Removed: ``<script>`` and other active elements, ``<foreignObject>``, ``on*`` attributes,
    ``href``/``src`` that are not a ``#fragment`` or an embedded raster ``data:image/`` URI,
    outside ``url(...)`` in styles and attributes (made ``none``), ``@import``, stylesheet
    processing instructions, and animations that would set those. An SVG with nothing to
    remove is returned byte for byte. Refused (:class:`ImageRefused`): not well-formed XML
    (``svg_invalid``), a DOCTYPE or entities (``svg_entity``), a root that is not ``<svg>``
    (``type``)."""
    root = _parse(data)
    if root.tag != f"{SVG_NS}svg" and root.tag != "svg":
        raise ImageRefused("type")
    removed: set[str] = set()
    for element in list(root.iter()):
        _clean_element(element, removed)
    if b"<?xml-stylesheet" in data.lower():
        removed.add("svg_external")  # processing instructions are not kept by the parser
    if not removed:
        return data, frozenset()
    body = ElementTree.tostring(root, encoding="unicode", xml_declaration=False)
    return body.encode("utf-8"), frozenset(removed)


def check_svg(data: bytes) -> None:
    """Refuse an SVG that could run script or load anything (:class:`ImageRefused` with the
    code of the first kind of thing :func:`sanitize_svg` would remove)."""
    _, removed = sanitize_svg(data)
    for code in ("svg_script", "svg_foreign", "svg_event", "svg_external"):
        if code in removed:
            raise ImageRefused(code)


def _kind(data: bytes) -> str | None:
    """``png``, ``svg`` (by content), or None."""
    if data.startswith(PNG_SIGNATURE):
        return "png" if data[12:16] == b"IHDR" else None
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--"):
        return "svg"
    if head.startswith(b"<!doctype"):
        return "svg"  # refused by check_svg (a DTD), with its own message
    return None


_DECLARED = {
    "png": "png",
    "svg": "svg",
    "image/png": "png",
    "image/svg+xml": "svg",
}


def check_image(data: bytes, filename: str = "", content_type: str = "") -> str:
    """The badge image as a ``data:`` URI, or :class:`ImageRefused`.

    The content decides the type; a name (``.png``/``.svg``) or a declared type that says
    otherwise is refused (a PNG named ``badge.svg`` is a mistake or a trick)."""
    if not data:
        raise ImageRefused("empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRefused("too_big")
    kind = _kind(data)
    if kind is None:
        raise ImageRefused("type")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    declared = {
        _DECLARED.get(extension, "other" if extension else ""),
        _DECLARED.get(content_type.split(";")[0].strip().lower(), ""),
    } - {""}
    if content_type.lower().startswith("image/") and content_type.split(";")[0] not in _DECLARED:
        declared.add("other")
    if declared and declared != {kind}:
        raise ImageRefused("mismatch")
    if kind == "svg":
        data, _ = sanitize_svg(data)
    mime = "image/png" if kind == "png" else "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def recheck_data_uri(uri: str) -> str:
    """A pending image carried by the form (a hidden field): checked again, as an upload."""
    match = _DATA_URI.match(uri.strip())
    if match is None:
        raise ImageRefused("type")
    try:
        data = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        raise ImageRefused("type") from None
    declared = "image/png" if match.group(1) == "png" else "image/svg+xml"
    return check_image(data, content_type=declared)


# --- images given as data: URIs through the API -------------------------------------------

_ANY_DATA_URI = re.compile(r"^data:(image/[a-z0-9.+-]+)((?:;[a-z0-9-]+=[^;,]*)*)(;base64)?,", re.I)
_OTHER_RASTERS = {"image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def check_data_uri(uri: str, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """An achievement image given as a ``data:image/…`` URI through the API, checked like an
    upload: the bytes decide the type (it must match the declared one), at most ``max_bytes``,
    an SVG sanitised (:func:`sanitize_svg`). Returns the URI to store: base64, the sanitised
    SVG's bytes; a PNG or another raster (JPEG, GIF, WebP, checked with Pillow) unchanged.
    :class:`ImageRefused` otherwise."""
    match = _ANY_DATA_URI.match(uri)
    if match is None:
        raise ImageRefused("type")
    declared = match.group(1).lower()
    payload = uri[match.end() :]
    if len(payload) > max_bytes * 3:  # even percent-encoded, more cannot be within the limit
        raise ImageRefused("too_big")
    try:
        if match.group(3):
            data = base64.b64decode("".join(payload.split()), validate=True)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise ImageRefused("type") from None
    if not data:
        raise ImageRefused("empty")
    if len(data) > max_bytes:
        raise ImageRefused("too_big")
    if declared in _OTHER_RASTERS:
        _check_raster(data, _OTHER_RASTERS[declared])
        return uri
    if declared not in ("image/png", "image/svg+xml"):
        raise ImageRefused("type")
    checked = check_image(data, content_type=declared)
    return uri if declared == "image/png" else checked


def _check_raster(data: bytes, expected: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                raise ImageRefused("mismatch")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ImageRefused("type") from None
