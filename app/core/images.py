"""Uploaded images (badge images, issuer logos) checked by content, never by name.

A PNG by its signature and header chunk; an SVG by parsing it with defusedxml (no DTD, so no
entities) and refusing anything that can run or fetch: ``<script>``, ``on*`` attributes,
``<foreignObject>``, references that are not ``#fragment`` or a ``data:image/`` URI (``href``,
``xlink:href``, ``url(...)`` in styles, ``@import``, stylesheet processing instructions), and
animations that set those. A file whose name or declared type says one format while its
content is another is refused too. An accepted image is returned as a ``data:`` URI.

Used by the console's achievement form (:mod:`app.console.achievements_view`, which re-exports
these names) and the issuer's logo (:mod:`app.issuers.logo`).
"""

from __future__ import annotations

import base64
import binascii
import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

MAX_IMAGE_BYTES = 256 * 1024
"""The largest badge image accepted (bytes of the file)."""

_DATA_URI = re.compile(r"^data:image/(png|svg\+xml);base64,([A-Za-z0-9+/=\s]+)$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"


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


_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)
_ANIMATIONS = frozenset({"set", "animate", "animatetransform", "animatemotion", "animatecolor"})
_ACTIVE = frozenset(
    {"script", "handler", "listener", "iframe", "embed", "object", "audio", "video"}
)


def _check_style(text: str) -> None:
    lowered = text.lower()
    if "@import" in lowered or "javascript:" in lowered or "expression(" in lowered:
        raise ImageRefused("svg_external")
    if any(not _safe_reference(target) for target in _CSS_URL.findall(text)):
        raise ImageRefused("svg_external")


def _check_element(element: Element) -> None:
    tag = _local(str(element.tag))
    if tag in _ACTIVE:
        raise ImageRefused("svg_script")
    if tag == "foreignobject":
        raise ImageRefused("svg_foreign")
    if tag == "style" and element.text:
        _check_style(element.text)
    for name, value in element.attrib.items():
        attribute = _local(name)
        if attribute.startswith("on"):
            raise ImageRefused("svg_event")
        if attribute in ("href", "src") and not _safe_reference(value):
            raise ImageRefused("svg_external")
        if attribute == "style":
            _check_style(value)
        elif "url(" in value.lower():
            _check_style(value)
        if "javascript:" in value.lower():
            raise ImageRefused("svg_external")
    if tag in _ANIMATIONS:
        target = _local(element.attrib.get("attributeName", ""))
        if target.startswith("on"):
            raise ImageRefused("svg_event")
        if target in ("href", "src", "style"):
            raise ImageRefused("svg_external")


def check_svg(data: bytes) -> None:
    """Refuse an SVG that could run script or load anything (:class:`ImageRefused`)."""
    if b"<?xml-stylesheet" in data.lower():
        raise ImageRefused("svg_external")
    try:
        root = SafeElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        raise ImageRefused("svg_entity") from None
    except (ParseError, ValueError, UnicodeDecodeError):
        raise ImageRefused("svg_invalid") from None
    if root.tag != f"{SVG_NS}svg" and root.tag != "svg":
        raise ImageRefused("type")
    for element in root.iter():
        _check_element(element)


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
        check_svg(data)
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
