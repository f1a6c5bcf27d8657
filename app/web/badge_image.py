"""The picture inside a baked badge: the achievement's own image, or a clean generated one.

Generated badges show the achievement name on a coloured medallion. SVG text needs no font
file (the viewer's fonts render Chinese). PNG needs one: we look for a CJK-capable font that
Debian ships (``fonts-noto-cjk``, ``fonts-wqy-zenhei``, ``fonts-wqy-microhei``) and else use
DejaVu or Pillow's built-in font. When a name needs glyphs no available font has, the PNG shows
the medallion without the name rather than a row of empty boxes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import unquote_to_bytes
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

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


def _is_wide(char: str) -> bool:
    return ord(char) >= 0x2E80


def _wrap(
    text: str, measure: Callable[[str], float], max_width: float, max_lines: int = 3
) -> list[str]:
    """Greedy wrap on spaces (and between CJK characters), ellipsis on overflow."""
    tokens = re.findall(r"[\u2e80-\U0002ffff]|[^\s\u2e80-\U0002ffff]+|\s+", text.strip())
    lines: list[str] = []
    line = ""
    for token in tokens:
        candidate = (line + token) if line else token.lstrip()
        if not candidate:
            continue
        if measure(candidate.rstrip()) <= max_width or not line:
            line = candidate
            continue
        lines.append(line.rstrip())
        line = token.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, len(lines[-1]) - 1)].rstrip() + "…"
    return lines


def _fit(name: str, measure_at: Callable[[int], Callable[[str], float]]) -> tuple[int, list[str]]:
    """The largest font size (of three) at which the name fits in three lines."""
    for size in (48, 40, 34, 28, 24):
        lines = _wrap(name, measure_at(size), 330, 99)
        if len(lines) <= 3:
            return size, lines
    return 24, _wrap(name, measure_at(24), 330, 3)


def _estimate_em(text: str) -> float:
    """Rough width in ems for SVG layout (CJK is square, Latin about half)."""
    return sum(1.0 if _is_wide(c) else 0.58 for c in text)


def generated_svg(name: str) -> str:
    """A generated badge as SVG; text is escaped and rendered by the viewer's fonts."""
    colour = _colour(name)
    font_size, lines = _fit(name, lambda size: lambda s: _estimate_em(s) * size)
    first_y = 300 - (len(lines) - 1) * font_size * 0.6
    tspans = "".join(
        f'<tspan x="256" y="{first_y + i * font_size * 1.2:.0f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512"'
        f' role="img" aria-label="{escape(name, {chr(34): "&quot;"})}">'
        f"<title>{escape(name)}</title>"
        f'<circle cx="256" cy="256" r="248" fill="{colour}"/>'
        '<circle cx="256" cy="256" r="222" fill="none" stroke="#fff" stroke-width="6" opacity=".85"/>'
        f'<path d="{_star_path(256, 150, 52, 22)}" fill="#fff"/>'
        "<text font-family=\"system-ui, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei',"
        f' \'WenQuanYi Zen Hei\', sans-serif" font-size="{font_size}" font-weight="700"'
        f' fill="#fff" text-anchor="middle">{tspans}</text>'
        "</svg>"
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


def generated_png(name: str) -> bytes:
    """A generated badge as PNG (see the module docstring for fonts)."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    colour = _colour(name)
    draw.ellipse((8, 8, SIZE - 8, SIZE - 8), fill=colour)
    draw.ellipse((34, 34, SIZE - 34, SIZE - 34), outline="#ffffff", width=6)
    draw.polygon(_star_points(256, 150, 52, 22), fill="#ffffff")
    needs_cjk = any(_is_wide(c) for c in name)
    _, has_cjk = _font(34, cjk=needs_cjk)
    if not needs_cjk or has_cjk:

        def measure_at(size: int) -> Callable[[str], float]:
            font = _font(size, cjk=needs_cjk)[0]
            return lambda s: draw.textlength(s, font=font)

        size, lines = _fit(name, measure_at)
        font = _font(size, cjk=needs_cjk)[0]
        first_y = 300 - (len(lines) - 1) * size * 0.6
        for i, line in enumerate(lines):
            y = first_y + i * size * 1.2
            draw.text((256, y), line, font=font, fill="#ffffff", anchor="ms")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def png_from_image(media_type: str, data: bytes) -> bytes | None:
    """Re-encode a raster image as PNG (JPEG/GIF/WebP badges); ``None`` if unreadable."""
    if media_type == "image/png":
        return data
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > 4096 * 4096:
                return None
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
