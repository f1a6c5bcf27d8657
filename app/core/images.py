"""Uploaded images (badge images, issuer logos) checked by content, never by name.

A PNG by its signature and header chunk, and its size read from the header (never decoded):
wider or taller than 4096 px, or more than 16,777,216 pixels, is refused (``too_many_pixels``;
a 23 KB file can declare 144 million pixels); renderers ask :func:`decodable_raster` before
decoding a stored one. An SVG by parsing it with defusedxml (no DTD, so no entities), refused
when nested deeper than :data:`MAX_SVG_DEPTH`, and CLEANED by an allowlist
(:func:`sanitize_svg`): only SVG-namespace elements a picture needs, only attributes without a
namespace (no ``on*``; references only ``#fragment`` or a raster ``data:image/`` URI) plus
``xlink:href``/``xlink:title``/``xml:space``/``xml:lang``, no CSS that could fetch, and only
animations of presentation attributes; the sanitised copy is kept. Refused outright: an empty or
too large file, content that is neither PNG nor SVG, malformed XML, a DOCTYPE, and a file whose
name or declared type says one format while its content is another. An accepted image is
returned as a ``data:`` URI.

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
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 256 * 1024
"""The largest badge image accepted (bytes of the file)."""

MAX_RASTER_SIDE = 4096
"""The widest or tallest raster accepted (pixels): a small file can declare a huge picture."""
MAX_RASTER_PIXELS = 4096 * 4096
"""The most pixels a raster may have (16,777,216; decoding it takes 64 MB as RGBA)."""

_PILLOW_MAX_IMAGE_PIXELS = 89_478_485
"""Pillow's own decompression-bomb limit (its default); never disabled nor raised."""


def guard_pillow() -> None:
    """Put Pillow's decompression-bomb check back if anything turned it off or raised it
    (``Image.MAX_IMAGE_PIXELS = None`` disables it for the whole process)."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is None or limit > _PILLOW_MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = _PILLOW_MAX_IMAGE_PIXELS


guard_pillow()


def raster_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a raster's header (the pixels are not decoded); None when
    Pillow cannot read it. :class:`ImageRefused` (``too_many_pixels``) when Pillow already
    calls it a decompression bomb."""
    guard_pillow()
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # (the warning is raised where warnings are errors, as in the tests)
        raise ImageRefused("too_many_pixels") from None
    return int(width), int(height)


def raster_fits(width: int, height: int) -> bool:
    """Whether a raster of that size may be accepted or decoded (:data:`MAX_RASTER_SIDE`,
    :data:`MAX_RASTER_PIXELS`)."""
    return (
        0 < width <= MAX_RASTER_SIDE
        and 0 < height <= MAX_RASTER_SIDE
        and width * height <= MAX_RASTER_PIXELS
    )


def decodable_raster(data: bytes) -> bool:
    """Whether a stored raster may be decoded to draw it: its header is readable and it is
    within the limits (one accepted before they existed falls back to the generated picture)."""
    try:
        size = raster_size(data)
    except ImageRefused:
        return False
    return size is not None and raster_fits(*size)


def _check_dimensions(data: bytes) -> None:
    size = raster_size(data)
    if size is None:
        raise ImageRefused("type")
    if not raster_fits(*size):
        raise ImageRefused("too_many_pixels")


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


def _namespace(name: str) -> str:
    """The namespace of an ElementTree name (``{ns}local``), ``""`` for none."""
    return name[1 : name.index("}")] if name.startswith("{") else ""


def _safe_reference(value: str) -> bool:
    """A reference an SVG badge may hold: a fragment of itself, or an embedded raster image."""
    text = value.strip().lower()
    if text.startswith("#"):
        return True
    return text.startswith("data:image/") and not text.startswith("data:image/svg")


SVG_URI = "http://www.w3.org/2000/svg"
XLINK_URI = "http://www.w3.org/1999/xlink"
XML_URI = "http://www.w3.org/XML/1998/namespace"

MAX_SVG_DEPTH = 256
"""The deepest element nesting accepted (deeper is refused: re-serialising would recurse)."""

_SVG_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "title", "desc", "metadata", "switch", "a",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textpath", "image", "marker", "pattern", "clippath", "mask",
        "lineargradient", "radialgradient", "stop", "view", "style",
        "set", "animate", "animatetransform", "animatemotion", "animatecolor", "mpath",
        "filter", "feblend", "fecolormatrix", "fecomponenttransfer", "fecomposite",
        "feconvolvematrix", "fediffuselighting", "fedisplacementmap", "fedistantlight",
        "fedropshadow", "feflood", "fefunca", "fefuncb", "fefuncg", "fefuncr",
        "fegaussianblur", "feimage", "femerge", "femergenode", "femorphology", "feoffset",
        "fepointlight", "fespecularlighting", "fespotlight", "fetile", "feturbulence",
    }
)  # fmt: skip
"""The SVG elements a badge may hold (anything else, e.g. ``script``, is removed)."""

_ANIMATIONS = frozenset({"set", "animate", "animatetransform", "animatemotion", "animatecolor"})
_ANIMATABLE = frozenset(
    {
        "fill", "stroke", "opacity", "fill-opacity", "stroke-opacity", "stroke-width",
        "transform", "x", "y", "cx", "cy", "r", "rx", "ry", "width", "height", "d", "points",
        "offset", "stop-color", "stop-opacity", "visibility", "font-size", "letter-spacing",
    }
)  # fmt: skip
"""What an animation may change (the local name of its ``attributeName``); others go."""
_ANIMATION_VALUES = ("values", "to", "from", "by")
_ACTIVE = frozenset(
    {"script", "handler", "listener", "iframe", "embed", "object", "audio", "video"}
)
_REFERENCES = frozenset({"href", "src", "base"})

_CSS_MARKERS = (
    "\\", "url", "image", "@", "expression", "/*", "javascript", "behavior", "src(", "attr(",
)  # fmt: skip
"""What makes CSS (a ``<style>`` or a ``style`` attribute) be removed whole: anything that can
fetch or hide something that can (escapes, comments, at-rules)."""
_VALUE_MARKERS = ("\\", "url", "image", "@", "expression", "/*", ":", "&")
"""What an animation's ``values``/``to``/``from``/``by`` must not hold (no URL can be made
without ``:`` or ``url``; escapes and comments could hide either)."""
_FRAGMENT_URL = re.compile(r"""url\(\s*(?:#[\w.:-]+|'#[\w.:-]+'|"#[\w.:-]+")\s*\)""", re.I)
_UNSAFE_VALUE = (
    "\\", "url", "image(", "image-set(", "expression", "javascript", "/*", "src(", "attr(",
)  # fmt: skip


def _unsafe_css(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _CSS_MARKERS)


def _unsafe_attribute_value(value: str) -> bool:
    """A presentation value holding more than ``url(#fragment)`` references (or an escape,
    a comment, ``javascript:``, an ``image()``)."""
    rest = _FRAGMENT_URL.sub("", value).lower()
    return any(marker in rest for marker in _UNSAFE_VALUE)


def _style_text(element: Element) -> str:
    """A ``<style>``'s whole text: its own and that of (and after) any child."""
    return "".join(element.itertext())  # with every child's text and tail


def _element_refusal(element: Element) -> str | None:
    """The removal code when ``element`` (and all it holds) must go, else None."""
    tag = str(element.tag)
    namespace, local = _namespace(tag), _local(tag)
    if namespace not in (SVG_URI, ""):
        return "svg_foreign"  # XHTML and any other vocabulary
    if local in _ACTIVE:
        return "svg_script"
    if local not in _SVG_ELEMENTS:
        return "svg_foreign"  # foreignObject and anything unknown
    if local in _ANIMATIONS and not _safe_animation(element):
        return "svg_external"
    if local == "style" and (len(element) or _unsafe_css(_style_text(element))):
        return "svg_external"
    return None


def _safe_animation(element: Element) -> bool:
    """An animation of a presentation attribute (allowlisted) with plain values."""
    target = element.attrib.get("attributeName", "")
    local = target.rsplit(":", 1)[-1].strip().lower()
    if local not in _ANIMATABLE:
        return False
    for name in _ANIMATION_VALUES:
        value = element.attrib.get(name, "").lower()
        if any(marker in value for marker in _VALUE_MARKERS):
            return False
    return True


def _attribute_refusal(name: str, value: str) -> str | None:
    """The removal code when the attribute ``name`` (ElementTree spelling) must go."""
    namespace, local = _namespace(name), _local(name)
    if namespace == XLINK_URI:
        if local == "href":
            return None if _safe_reference(value) else "svg_external"
        return None if local == "title" else "svg_external"
    if namespace == XML_URI:
        return None if local in ("space", "lang") else "svg_external"
    if namespace:
        return "svg_external"
    if local.startswith("on"):
        return "svg_event"
    if local in _REFERENCES:
        return None if _safe_reference(value) else "svg_external"
    if local == "style":
        return "svg_external" if _unsafe_css(value) else None
    if _unsafe_attribute_value(value):
        return "svg_external"
    return None


def _clean_element(element: Element, removed: set[str]) -> None:
    """Remove what can run or fetch from one element (its children are visited by the caller)."""
    for child in list(element):
        code = _element_refusal(child)
        if code is not None:
            tail = child.tail
            element.remove(child)
            removed.add(code)
            if tail and tail.strip():  # keep text that followed it (harmless character data)
                _append_text(element, tail)
    for name, value in list(element.attrib.items()):
        code = _attribute_refusal(name, value)
        if code is not None:
            del element.attrib[name]
            removed.add(code)


def _append_text(element: Element, text: str) -> None:
    if len(element):
        last = element[-1]
        last.tail = (last.tail or "") + text
    else:
        element.text = (element.text or "") + text


def _depth(root: Element) -> int:
    """How deep elements nest under ``root`` (walked without recursion)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_SVG_DEPTH:
            return depth
        stack.extend((child, depth + 1) for child in element)
    return deepest


def _parse(data: bytes) -> Element:
    try:
        return SafeElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        raise ImageRefused("svg_entity") from None
    except (ParseError, ValueError, UnicodeDecodeError, RecursionError):
        raise ImageRefused("svg_invalid") from None


def sanitize_svg(data: bytes) -> tuple[bytes, frozenset[str]]:
    """The SVG with everything that could run script or load anything removed, and the codes
    of what was removed (``svg_script``, ``svg_event``, ``svg_foreign``, ``svg_external``).

    An allowlist: kept are SVG elements a picture needs (not ``script``, ``foreignObject``,
    nor any element of another namespace such as XHTML); attributes without a namespace
    (not ``on*``; ``href``/``src`` only a ``#fragment`` or an embedded raster
    ``data:image/`` URI; values with no ``url(...)`` but ``url(#fragment)``, no escape,
    comment, ``image()`` or ``javascript:``), ``xlink:href`` (as ``href``), ``xlink:title``,
    ``xml:space`` and ``xml:lang``. CSS (a ``<style>``, a ``style`` attribute) holding an
    escape, a comment, ``url``, ``image``, ``@`` or ``expression`` is removed whole, as is a
    ``<style>`` with child elements. Animations are kept only when they change a
    presentation attribute (``fill``, ``opacity``, ``transform``…) to plain values. Stylesheet
    processing instructions are dropped. An SVG with nothing to remove is returned byte for
    byte. Refused (:class:`ImageRefused`): not well-formed XML or nested deeper than
    :data:`MAX_SVG_DEPTH` (``svg_invalid``), a DOCTYPE or entities (``svg_entity``), a root
    that is not ``<svg>`` (``type``)."""
    root = _parse(data)
    if root.tag != f"{SVG_NS}svg" and root.tag != "svg":
        raise ImageRefused("type")
    if _depth(root) > MAX_SVG_DEPTH:
        raise ImageRefused("svg_invalid")
    removed: set[str] = set()
    for name, value in list(root.attrib.items()):
        code = _attribute_refusal(name, value)
        if code is not None:
            del root.attrib[name]
            removed.add(code)
    pending = [root]
    while pending:  # what is kept, top down (a removed element's content is not visited)
        element = pending.pop()
        _clean_element(element, removed)
        pending.extend(element)
    if b"<?xml-stylesheet" in data.lower():
        removed.add("svg_external")  # processing instructions are not kept by the parser
    if not removed:
        return data, frozenset()
    try:
        body = ElementTree.tostring(root, encoding="unicode", xml_declaration=False)
    except RecursionError:  # not expected below MAX_SVG_DEPTH; never a 500
        raise ImageRefused("svg_invalid") from None
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
    else:
        _check_dimensions(data)
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
    guard_pillow()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                raise ImageRefused("mismatch")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ImageRefused("type") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too_many_pixels") from None
    _check_dimensions(data)
