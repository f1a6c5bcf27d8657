"""The picture inside a badge: the achievement's own image, or a clean generated medallion.

The generated design (:class:`Design`): a disc in the issuer's ``brand_color`` ringed in its
``accent_color`` (a palette colour chosen by the name, and a darker shade of it, when unset),
a thin light inner line, a star, the achievement name in white and, under a short rule, a
caption (the issuer's name). The name ALWAYS fits inside the circle :data:`TEXT_R`: it is
wrapped on spaces and between CJK characters (closing punctuation stays with the character
before it; a word wider than a line is cut), balanced, and shrunk from 60 to 16 px; at 16 px a
name still too long is cut with an ellipsis (ShortText allows 500 characters). The caption is
one line, shrunk, then cut.

SVG text needs no font file (the viewer's fonts render Chinese): its layout uses a generous
width estimate (:func:`_estimate_em`). PNG needs one: we look for a CJK-capable font that
Debian ships (``fonts-noto-cjk``, ``fonts-wqy-zenhei``, ``fonts-wqy-microhei``) and else use
DejaVu or Pillow's built-in font, and the layout measures with that font. When a name needs
glyphs no available font has, the PNG shows the medallion without the name rather than a row
of empty boxes. PNGs are drawn at twice the size and scaled down (smooth edges).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from app.core import images

SIZE = 512
PALETTE = ("#0b57d0", "#1a7f3c", "#8e24aa", "#c2185b", "#00796b", "#5d4037", "#283593", "#b3261e")
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
LATIN_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
_DATA_URI = re.compile(r"^data:(image/[a-z0-9.+-]+)(;base64)?,", re.IGNORECASE)
MAX_IMAGE_BYTES = 2_000_000

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def decode_data_uri(uri: str | None) -> tuple[str, bytes] | None:
    """``(media type, bytes)`` of a ``data:image/…`` URI, or ``None``."""
    if not uri:
        return None
    match = _DATA_URI.match(uri)
    if match is None:
        return None
    payload = uri[match.end() :]
    try:
        if match.group(2):
            data = base64.b64decode(payload, validate=False)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None
    if len(data) > MAX_IMAGE_BYTES:
        return None
    return match.group(1).lower(), data


def _colour(name: str) -> str:
    return PALETTE[hashlib.sha256(name.encode()).digest()[0] % len(PALETTE)]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def mix(colour: str, other: str, amount: float) -> str:
    """``colour`` moved ``amount`` (0…1) of the way towards ``other`` (both ``#rrggbb``)."""
    a, b = _rgb(colour), _rgb(other)
    return _hex(tuple(x + (y - x) * amount for x, y in zip(a, b, strict=True)))  # type: ignore[arg-type]


_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class Design:
    """What a generated badge shows: the name, the issuer's colours, a small caption line.

    ``brand`` fills the medallion (white text on it reaches 4.5:1 when the issuer set it,
    :mod:`app.issuers.colors`), ``accent`` is its outer ring; without them the colour comes
    from the name (:data:`PALETTE`) and the ring is a darker shade of it."""

    name: str
    brand: str | None = None
    accent: str | None = None
    caption: str = ""

    @property
    def fill(self) -> str:
        return self.brand.lower() if self.brand and _HEX.match(self.brand) else _colour(self.name)

    @property
    def ring(self) -> str:
        if self.accent and _HEX.match(self.accent):
            return self.accent.lower()
        return mix(self.fill, "#000000", 0.32)

    @property
    def key(self) -> str:
        """A short digest of everything drawn (cache keys, ETags)."""
        text = "\x1f".join((self.name, self.fill, self.ring, self.caption))
        return hashlib.sha256(text.encode()).hexdigest()[:24]


# --- geometry (in the 512 × 512 badge's units) ---------------------------------------------

CENTRE = 256.0
OUTER_R = 250.0
"""The accent ring's outer edge."""
INNER_R = 226.0
"""The medallion in the brand colour, inside the ring."""
LINE_R = 212.0
"""A thin light line just inside the medallion's edge."""
TEXT_R = 190.0
"""Every line of text (its whole box) stays inside this circle."""
NAME_TOP = 164.0
"""Below the star."""
NAME_BOTTOM = {True: 336.0, False: 372.0}
"""The name's lowest point, with and without a caption line."""
CAPTION_Y = 388.0
"""The caption line's middle."""
DIVIDER_Y = 354.0
NAME_SIZES = tuple(range(60, 15, -2))
CAPTION_SIZES = (22, 21, 20, 19, 18, 17, 16, 15, 14)
LINE_HEIGHT = 1.22
MAX_NAME_LINES = 6


@dataclass(frozen=True, slots=True)
class Placed:
    """A line of text and its box (left, top, right, bottom) in badge units."""

    text: str
    box: tuple[float, float, float, float]
    size: float
    whole: str = ""
    """The whole text the line is part of: its font is chosen for all of it."""

    @property
    def cjk(self) -> bool:
        return any(_is_wide(c) for c in (self.whole or self.text))


def inside_circle(box: tuple[float, float, float, float], radius: float = TEXT_R) -> bool:
    """True when all four corners of ``box`` are within ``radius`` of the badge's centre."""
    left, top, right, bottom = box
    return all(
        (x - CENTRE) ** 2 + (y - CENTRE) ** 2 <= radius**2 + 1e-6
        for x in (left, right)
        for y in (top, bottom)
    )


def _is_wide(char: str) -> bool:
    return ord(char) >= 0x2E80


_CLOSING = "，。、：；！？）》」』】〕…,.;:!?)"
_TOKENS = re.compile(rf"[\u2e80-\U0002ffff][{_CLOSING}]*|[^\s\u2e80-\U0002ffff]+|\s+", re.UNICODE)


def _split_long(token: str, measure: Callable[[str], float], max_width: float) -> list[str]:
    """A word wider than the line cut into pieces that fit (no hyphen: names are not prose)."""
    pieces: list[str] = []
    piece = ""
    for char in token:
        if piece and measure(piece + char) > max_width:
            pieces.append(piece)
            piece = char
        else:
            piece += char
    if piece:
        pieces.append(piece)
    return pieces


def wrap(text: str, measure: Callable[[str], float], max_width: float) -> list[str]:
    """Greedy wrap on spaces and between CJK characters (closing punctuation stays with the
    character before it); a word wider than a line is cut. Every line measures ≤ max_width
    (a single character wider than the line stays alone on its line)."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(" ".join(text.split())):
        if token.isspace():
            if line:
                line += " "
            continue
        candidate = line + token
        if measure(candidate.rstrip()) <= max_width:
            line = candidate
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        if measure(token) <= max_width:
            line = token
        else:
            *full, line = _split_long(token, measure, max_width)
            lines.extend(full)
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _balanced(text: str, measure: Callable[[str], float], width: float, count: int) -> list[str]:
    """The narrowest wrap that still takes ``count`` lines (evens out a lone last word)."""
    low, high = width * 0.45, width
    best = wrap(text, measure, width)
    for _ in range(12):
        middle = (low + high) / 2
        lines = wrap(text, measure, middle)
        if len(lines) <= count:
            best, high = lines, middle
        else:
            low = middle
    return best


def _ellipsized(line: str, measure: Callable[[str], float], max_width: float) -> str:
    text = line
    while text and measure(text.rstrip() + "…") > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


Measurer = Callable[[int], tuple[Callable[[str], float], float]]
"""Font size -> (width of a string, height of a line box) in badge units."""


def fit_name(name: str, measurer: Measurer, *, caption: bool) -> tuple[int, float, list[str]]:
    """The largest size (and its line height and lines) at which the whole name fits inside
    :data:`TEXT_R` between :data:`NAME_TOP` and the bottom of the name's zone; at the smallest
    size a name still too long is cut with an ellipsis, so the result always fits."""
    bottom_limit = NAME_BOTTOM[caption]
    middle = (NAME_TOP + bottom_limit) / 2
    lines: list[str] = []
    for size in NAME_SIZES:
        measure, line_height = measurer(size)
        most = min(MAX_NAME_LINES, int((bottom_limit - NAME_TOP) // line_height))
        for count in range(1, most + 1):
            width = _zone_width(count * line_height, middle)
            if width <= 0:
                break
            lines = wrap(name, measure, width)
            if len(lines) <= count and all(measure(line) <= width for line in lines):
                return size, line_height, _balanced(name, measure, width, len(lines))
    size = NAME_SIZES[-1]
    measure, line_height = measurer(size)
    count = max(1, min(MAX_NAME_LINES, int((bottom_limit - NAME_TOP) // line_height)))
    width = _zone_width(count * line_height, middle)
    lines = wrap(name, measure, width)[:count]
    lines[-1] = _ellipsized(lines[-1], measure, width)
    return size, line_height, lines


def _zone_width(height: float, middle: float) -> float:
    """The widest text block of this height centred on ``middle`` inside :data:`TEXT_R`."""
    reach = max(abs(middle - height / 2 - CENTRE), abs(middle + height / 2 - CENTRE))
    if reach >= TEXT_R:
        return 0.0
    return 2 * math.sqrt(TEXT_R**2 - reach**2) - 2


def fit_caption(text: str, measurer: Measurer) -> tuple[int, str] | None:
    """The caption's size and text on its one line (shrunk, then cut), or None when empty."""
    text = " ".join(text.split())
    if not text:
        return None
    for size in CAPTION_SIZES:
        measure, line_height = measurer(size)
        width = _zone_width(line_height, CAPTION_Y) - 24
        if measure(text) <= width:
            return size, text
    return CAPTION_SIZES[-1], _ellipsized(text, measure, width)


def _place(
    lines: list[str],
    measure: Callable[[str], float],
    line_height: float,
    middle: float,
    size: float,
    whole: str = "",
) -> list[Placed]:
    top = middle - len(lines) * line_height / 2
    placed = []
    for i, line in enumerate(lines):
        width = measure(line)
        y = top + i * line_height
        placed.append(
            Placed(line, (CENTRE - width / 2, y, CENTRE + width / 2, y + line_height), size, whole)
        )
    return placed


# --- SVG -------------------------------------------------------------------------------------

_EM_NARROW = set("iljtf.,:;'!|()[] ")
_EM_WIDE = set("mwMW@%")


def _estimate_em(text: str) -> float:
    """A generous width in ems for SVG layout, where the viewer's fonts draw the text: CJK is
    square; Latin bold sans averages well under these figures."""
    total = 0.0
    for char in text:
        if _is_wide(char):
            total += 1.02
        elif char in _EM_NARROW:
            total += 0.36
        elif char in _EM_WIDE:
            total += 0.95
        elif char.isupper() or char.isdigit():
            total += 0.74
        else:
            total += 0.64
    return total


def _svg_measurer(size: int) -> tuple[Callable[[str], float], float]:
    return (lambda s: _estimate_em(s) * size), size * LINE_HEIGHT


def layout_svg(design: Design) -> tuple[list[Placed], Placed | None]:
    """Where the SVG's name lines and caption go (by :func:`_estimate_em`)."""
    return _layout(design, _svg_measurer)


def _layout(design: Design, measurer: Measurer) -> tuple[list[Placed], Placed | None]:
    caption_fit = fit_caption(design.caption, measurer)
    has_caption = caption_fit is not None
    size, line_height, lines = fit_name(design.name, measurer, caption=has_caption)
    middle = (NAME_TOP + NAME_BOTTOM[has_caption]) / 2
    placed = _place(lines, measurer(size)[0], line_height, middle, size, design.name)
    caption = None
    if caption_fit is not None:
        csize, ctext = caption_fit
        cmeasure, cheight = measurer(csize)
        caption = _place([ctext], cmeasure, cheight, CAPTION_Y, csize, design.caption)[0]
    return placed, caption


_SVG_FONTS = (
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'PingFang SC', "
    "'Microsoft YaHei', 'WenQuanYi Zen Hei', 'DejaVu Sans', sans-serif"
)


def generated_svg(
    name: str, *, brand: str | None = None, accent: str | None = None, caption: str = ""
) -> str:
    """A generated badge as SVG; text is escaped and rendered by the viewer's fonts."""
    return design_svg(Design(name, brand, accent, caption))


def design_svg(design: Design) -> str:
    """The medallion of ``design`` as SVG (512 × 512)."""
    lines, caption = layout_svg(design)
    fill, ring = design.fill, design.ring
    quoted = {'"': "&quot;"}
    texts = "".join(
        f'<text x="256" y="{(p.box[1] + p.box[3]) / 2 + p.size * 0.35:.1f}"'
        f' font-size="{p.size}">{escape(p.text)}</text>'
        for p in lines
    )
    if caption is not None:
        texts += (
            f'<path d="M228 {DIVIDER_Y:.0f}H284" stroke="{mix(fill, "#ffffff", 0.55)}"'
            ' stroke-width="3" stroke-linecap="round"/>'
            f'<text x="256" y="{CAPTION_Y + caption.size * 0.35:.1f}" font-size="{caption.size}"'
            f' font-weight="400" fill="{mix(fill, "#ffffff", 0.85)}">{escape(caption.text)}</text>'
        )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512"'
        f' role="img" aria-label="{escape(design.name, quoted)}">'
        f"<title>{escape(design.name)}</title>"
        f'<circle cx="256" cy="256" r="{OUTER_R:.0f}" fill="{ring}"/>'
        f'<circle cx="256" cy="256" r="{INNER_R:.0f}" fill="{fill}"/>'
        f'<circle cx="256" cy="256" r="{LINE_R:.0f}" fill="none"'
        f' stroke="{mix(fill, "#ffffff", 0.45)}" stroke-width="3"/>'
        f'<path d="{_star_path(256, 118, 30, 12.5)}" fill="#fff"/>'
        f'<path d="M186 118H214M298 118H326" stroke="{mix(fill, "#ffffff", 0.55)}"'
        ' stroke-width="3" stroke-linecap="round"/>'
        f'<g font-family="{_SVG_FONTS}" font-weight="700" fill="#fff" text-anchor="middle">'
        f"{texts}</g></svg>"
    )


def _star_points(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy - radius * math.sin(angle)))
    return points


def _star_path(cx: float, cy: float, outer: float, inner: float) -> str:
    pts = _star_points(cx, cy, outer, inner)
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z"


# --- PNG -------------------------------------------------------------------------------------

SCALE = 2
"""PNGs are drawn at twice the size and scaled down: Pillow's shapes have no anti-aliasing."""


@cache
def _font_path(cjk: bool) -> str | None:
    for candidate in (CJK_FONTS + LATIN_FONTS) if cjk else (LATIN_FONTS + CJK_FONTS):
        if Path(candidate).is_file():
            return candidate
    return None


@cache
def _font(size: int, *, cjk: bool) -> tuple[Font, bool]:
    """A font for the text, and whether it can show CJK glyphs."""
    path = _font_path(cjk)
    if path is None:
        return ImageFont.load_default(size=size), False
    return ImageFont.truetype(path, size=size), path in CJK_FONTS


def _stroke(text: str, size_px: int) -> int:
    """Extra stroke (pixels) that makes a regular-weight CJK font read as bold like the Latin."""
    cjk = any(_is_wide(c) for c in text)
    path = _font_path(cjk)
    if path in CJK_FONTS and "Bold" not in str(path):
        return max(1, size_px // 28)
    return 0


def can_draw(text: str) -> bool:
    """Whether a font here has the glyphs ``text`` needs (else a PNG leaves it out)."""
    return not any(_is_wide(c) for c in text) or _font(34, cjk=True)[1]


def png_measurer(text: str, scale: float = SCALE) -> Measurer:
    """Measure ``text``'s lines with the font the PNG draws them in (badge units)."""
    cjk = any(_is_wide(c) for c in text)

    def measurer(size: int) -> tuple[Callable[[str], float], float]:
        font = _font(round(size * scale), cjk=cjk)[0]
        height = size * LINE_HEIGHT
        if isinstance(font, ImageFont.FreeTypeFont):
            ascent, descent = font.getmetrics()
            height = max(height, (ascent + descent) / scale)
        stroke = _stroke(text, round(size * scale))
        return (lambda s: (font.getlength(s) + 2 * stroke) / scale), height

    return measurer


def layout_png(design: Design) -> tuple[list[Placed], Placed | None]:
    """Where the PNG's name lines and caption go, measured with the fonts it uses."""
    caption_fit = (
        fit_caption(design.caption, png_measurer(design.caption))
        if (design.caption and can_draw(design.caption))
        else None
    )
    has_caption = caption_fit is not None
    if not can_draw(design.name):
        return [], None
    measurer = png_measurer(design.name)
    size, line_height, lines = fit_name(design.name, measurer, caption=has_caption)
    middle = (NAME_TOP + NAME_BOTTOM[has_caption]) / 2
    placed = _place(lines, measurer(size)[0], line_height, middle, size, design.name)
    caption = None
    if caption_fit is not None:
        csize, ctext = caption_fit
        cmeasure, cheight = png_measurer(design.caption)(csize)
        caption = _place([ctext], cmeasure, cheight, CAPTION_Y, csize, design.caption)[0]
    return placed, caption


def ink_boxes(design: Design) -> list[tuple[float, float, float, float]]:
    """The boxes Pillow says the PNG's text covers (badge units): what the tests check."""
    lines, caption = layout_png(design)
    boxes = []
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    for placed in [*lines, *([caption] if caption else [])]:
        font = _font(round(placed.size * SCALE), cjk=placed.cjk)[0]
        x, y = _anchor(placed, font)
        stroke = _stroke(placed.whole or placed.text, round(placed.size * SCALE))
        left, top, right, bottom = draw.textbbox(
            (x + stroke, y), placed.text, font=font, anchor="ls", stroke_width=stroke
        )
        boxes.append((left / SCALE, top / SCALE, right / SCALE, bottom / SCALE))
    return boxes


def _anchor(placed: Placed, font: Font) -> tuple[float, float]:
    """Where Pillow draws a line (``ls`` anchor, big-canvas pixels): centred in its box."""
    left, top, _, bottom = placed.box
    if isinstance(font, ImageFont.FreeTypeFont):
        ascent, descent = font.getmetrics()
    else:
        ascent, descent = round(placed.size * SCALE * 0.8), round(placed.size * SCALE * 0.2)
    middle = (top + bottom) / 2 * SCALE
    return left * SCALE, middle + (ascent - descent) / 2


def generated_png(
    name: str, *, brand: str | None = None, accent: str | None = None, caption: str = ""
) -> bytes:
    """A generated badge as PNG (see the module docstring for fonts)."""
    return design_png(Design(name, brand, accent, caption))


def design_image(design: Design) -> Image.Image:
    """The medallion of ``design`` as a 512 × 512 RGBA image."""
    big = SIZE * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    fill, ring = design.fill, design.ring

    def circle(radius: float, **style: Any) -> None:
        c, r = CENTRE * SCALE, radius * SCALE
        draw.ellipse((c - r, c - r, c + r, c + r), **style)

    circle(OUTER_R, fill=ring)
    circle(INNER_R, fill=fill)
    circle(LINE_R, outline=mix(fill, "#ffffff", 0.45), width=3 * SCALE)
    draw.polygon(
        [(x * SCALE, y * SCALE) for x, y in _star_points(256, 118, 30, 12.5)], fill="#ffffff"
    )
    light = mix(fill, "#ffffff", 0.55)
    for x0, x1 in ((186, 214), (298, 326)):
        draw.line((x0 * SCALE, 118 * SCALE, x1 * SCALE, 118 * SCALE), fill=light, width=3 * SCALE)
    lines, caption = layout_png(design)
    for placed in lines:
        font = _font(round(placed.size * SCALE), cjk=placed.cjk)[0]
        stroke = _stroke(placed.whole or placed.text, round(placed.size * SCALE))
        x, y = _anchor(placed, font)
        draw.text(
            (x + stroke, y),
            placed.text,
            font=font,
            fill="#ffffff",
            anchor="ls",
            stroke_width=stroke,
            stroke_fill="#ffffff",
        )
    if caption is not None:
        draw.line(
            (228 * SCALE, DIVIDER_Y * SCALE, 284 * SCALE, DIVIDER_Y * SCALE),
            fill=light,
            width=3 * SCALE,
        )
        font = _font(round(caption.size * SCALE), cjk=caption.cjk)[0]
        draw.text(
            _anchor(caption, font),
            caption.text,
            font=font,
            fill=mix(fill, "#ffffff", 0.85),
            anchor="ls",
        )
    return image.reduce(SCALE)


def design_png(design: Design) -> bytes:
    """The medallion of ``design`` as PNG bytes."""
    buffer = io.BytesIO()
    design_image(design).save(buffer, format="PNG")
    return buffer.getvalue()


def png_from_image(media_type: str, data: bytes) -> bytes | None:
    """Re-encode a raster image as PNG (JPEG/GIF/WebP badges); ``None`` if unreadable or
    larger than :func:`app.core.images.raster_fits` allows (checked before decoding: a stored
    decompression bomb falls back to the generated medallion)."""
    if not images.decodable_raster(data):
        return None
    if media_type == "image/png":
        return data
    try:
        with Image.open(io.BytesIO(data)) as img:
            buffer = io.BytesIO()
            img.convert("RGBA").save(buffer, format="PNG")
            return buffer.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def svg_wrapping(media_type: str, data: bytes, name: str) -> str:
    """An SVG that shows a raster image: lets a PNG/JPEG badge be offered as SVG too."""
    encoded = base64.b64encode(data).decode("ascii")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' viewBox="0 0 512 512" width="512" height="512">'
        f"<title>{escape(name)}</title>"
        f'<image width="512" height="512" href="data:{media_type};base64,{encoded}"/></svg>'
    )
