"""The Open Graph image of a credential page: 1200 × 630 PNG for link previews.

What a link shared on LinkedIn, WeChat, Slack or X shows: the badge (the achievement's own
raster image, else the generated medallion, :mod:`app.web.downloads`) on a background in the
issuer's brand colour, the achievement name (wrapped, shrunk, cut with an ellipsis only when
even the smallest size cannot hold it), and "Issued by <issuer>" in the page's language
(``?lang=``, as the page). Nothing the page does not show: no recipient, no e-mail, no dates,
and no verdict (an image is cached by crawlers for days; a revocation must not be contradicted
by a stale "verified").

Made once per worker and kept in ``og_images`` (:mod:`app.hot.public`), keyed by credential,
locale and the design's digest, so a colour change shows at the next request.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from app.hot.public import OG_TTL_S, og_images
from app.issuers.colors import relative_luminance
from app.web import badge_image
from app.web.badge_image import Font, mix
from app.web.downloads import Branding, Picture, picture_of
from app.web.i18n import Translator
from app.web.responses import etag_for

WIDTH, HEIGHT = 1200, 630
BADGE_PX = 400
BADGE_BOX = (70, (HEIGHT - BADGE_PX) // 2)
TEXT_LEFT = 550
TEXT_WIDTH = WIDTH - TEXT_LEFT - 70
NAME_SIZES = (68, 62, 56, 50, 46, 42, 38, 34, 30)
NAME_MAX_LINES = 4
ISSUER_SIZES = (32, 30, 28, 26, 24, 22)
LABEL_SIZE = 22
STRIPE_PX = 14


@dataclass(frozen=True, slots=True)
class OgImage:
    """An Open Graph PNG and its strong ETag."""

    body: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A laid-out run of lines: the font size, the lines, and each line's height."""

    size: int
    lines: list[str]
    line_height: float


def _font(text: str, size: int) -> Font:
    return badge_image._font(size, cjk=any(badge_image._is_wide(c) for c in text))[0]


def _measure(text: str, size: int) -> Callable[[str], float]:
    font = _font(text, size)
    stroke = badge_image._stroke(text, size)
    return lambda s: font.getlength(s) + 2 * stroke


def fit_text(text: str, sizes: tuple[int, ...], max_lines: int, width: float) -> TextBlock:
    """The largest size at which ``text`` wraps into ``max_lines`` lines of ``width``; at the
    smallest, the last line is cut with an ellipsis."""
    if not badge_image.can_draw(text):
        return TextBlock(sizes[-1], [], 0)
    for size in sizes:
        measure = _measure(text, size)
        lines = badge_image.wrap(text, measure, width)
        if len(lines) <= max_lines:
            return TextBlock(size, lines, size * 1.22)
    size = sizes[-1]
    measure = _measure(text, size)
    lines = badge_image.wrap(text, measure, width)[:max_lines]
    text_cut = lines[-1]
    while text_cut and measure(text_cut + "…") > width:
        text_cut = text_cut[:-1]
    lines[-1] = text_cut.rstrip() + "…"
    return TextBlock(size, lines, size * 1.22)


def layout(name: str, issuer_line: str, label: str) -> dict[str, Any]:
    """Where the texts go: ``{"label"|"name"|"issuer": (TextBlock, top)}`` (tests check
    every line fits in the text column and the canvas)."""
    name_block = fit_text(name, NAME_SIZES, NAME_MAX_LINES, TEXT_WIDTH)
    issuer_block = fit_text(issuer_line, ISSUER_SIZES, 2, TEXT_WIDTH)
    label_block = fit_text(label, (LABEL_SIZE, 20, 18), 1, TEXT_WIDTH)
    gap_label, gap_rule = 22, 56
    height = (
        len(label_block.lines) * label_block.line_height
        + gap_label
        + len(name_block.lines) * name_block.line_height
        + gap_rule
        + len(issuer_block.lines) * issuer_block.line_height
    )
    top = max(40.0, (HEIGHT - STRIPE_PX - height) / 2)
    name_top = top + len(label_block.lines) * label_block.line_height + gap_label
    issuer_top = name_top + len(name_block.lines) * name_block.line_height + gap_rule
    return {
        "label": (label_block, top),
        "name": (name_block, name_top),
        "issuer": (issuer_block, issuer_top),
        "rule": name_top + len(name_block.lines) * name_block.line_height + gap_rule / 2 - 2,
    }


def _background(fill: str) -> Image.Image:
    """The brand colour, a little darker towards the bottom left, with faint large rings."""
    dark = mix(fill, "#000000", 0.28)
    base = Image.new("RGB", (WIDTH, HEIGHT), fill)
    shade = Image.new("RGB", (WIDTH, HEIGHT), dark)
    down = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    across = Image.linear_gradient("L").rotate(90).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    gradient = Image.blend(down, across.resize((WIDTH, HEIGHT)), 0.5)
    image = Image.composite(shade, base, gradient)
    rings = Image.new("L", (WIDTH * 2, HEIGHT * 2), 0)
    draw = ImageDraw.Draw(rings)
    for radius, width in ((560, 70), (760, 40)):
        cx, cy = 2 * 260, 2 * 315
        draw.ellipse(
            (cx - 2 * radius, cy - 2 * radius, cx + 2 * radius, cy + 2 * radius),
            outline=11,
            width=2 * width,
        )
    light = Image.new("RGB", (WIDTH, HEIGHT), "#ffffff")
    return Image.composite(light, image, rings.reduce(2))


def _badge_layer(picture: Picture) -> tuple[Image.Image, bool]:
    """The badge at :data:`BADGE_PX` and whether it is the generated medallion."""
    decoded = badge_image.decode_data_uri(picture.image)
    own = None
    if decoded and decoded[0] != "image/svg+xml":
        own = badge_image.png_from_image(*decoded)
    if own is None:
        badge = badge_image.design_image(picture.design)
        generated = True
    else:
        with Image.open(io.BytesIO(own)) as opened:
            badge = opened.convert("RGBA")
        generated = False
    badge.thumbnail((BADGE_PX, BADGE_PX), Image.Resampling.LANCZOS)
    return badge, generated


def _shadowed(canvas: Image.Image, shape: Callable[[ImageDraw.ImageDraw, int], None]) -> None:
    """Paint a white shape with a soft shadow (drawn at twice the size: smooth edges)."""
    big = Image.new("L", (WIDTH * 2, HEIGHT * 2), 0)
    shape(ImageDraw.Draw(big), 2)
    mask = big.reduce(2)
    shadow = mask.filter(ImageFilter.GaussianBlur(14)).point(lambda v: v * 0.45)
    canvas.paste((0, 0, 0), (0, 10), shadow.crop((0, 0, WIDTH, HEIGHT - 10)))
    canvas.paste((255, 255, 255), (0, 0), mask)


def render(picture: Picture, t: Translator) -> bytes:
    """The 1200 × 630 PNG of ``picture`` with texts in ``t``'s language."""
    design = picture.design
    canvas = _background(design.fill)
    badge, generated = _badge_layer(picture)
    x0, y0 = BADGE_BOX
    cx, cy = x0 + BADGE_PX / 2, y0 + BADGE_PX / 2
    if generated:
        r = BADGE_PX / 2 + 14

        def halo(draw: ImageDraw.ImageDraw, k: int) -> None:
            draw.ellipse((k * (cx - r), k * (cy - r), k * (cx + r), k * (cy + r)), fill=255)
    else:
        pad = 24

        def halo(draw: ImageDraw.ImageDraw, k: int) -> None:
            draw.rounded_rectangle(
                (
                    k * (x0 - pad),
                    k * (y0 - pad),
                    k * (x0 + BADGE_PX + pad),
                    k * (y0 + BADGE_PX + pad),
                ),
                radius=k * 36,
                fill=255,
            )

    _shadowed(canvas, halo)
    canvas.paste(badge, (int(cx - badge.width / 2), int(cy - badge.height / 2)), badge)
    draw = ImageDraw.Draw(canvas)
    issuer = picture.issuer or t("cred.unknown_issuer")
    placed = layout(design.name, t("badge.og.issued_by", issuer=issuer), t("badge.og.label"))
    colours = {"label": mix(design.fill, "#ffffff", 0.72), "name": "#ffffff"}
    colours["issuer"] = mix(design.fill, "#ffffff", 0.88)
    for part in ("label", "name", "issuer"):
        block, top = placed[part]
        for i, line in enumerate(block.lines):
            font = _font(line, block.size)
            stroke = badge_image._stroke(line, block.size) if part == "name" else 0
            draw.text(
                (TEXT_LEFT + stroke, top + i * block.line_height + block.line_height / 2),
                line,
                font=font,
                fill=colours[part],
                anchor="lm",
                stroke_width=stroke,
                stroke_fill=colours[part],
            )
    rule_y = placed["rule"]
    draw.line(
        (TEXT_LEFT, rule_y, TEXT_LEFT + 72, rule_y),
        fill=design.ring if _visible(design) else "#ffffff",
        width=5,
    )
    draw.rectangle((0, HEIGHT - STRIPE_PX, WIDTH, HEIGHT), fill=design.ring)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def _visible(design: badge_image.Design) -> bool:
    """Whether the accent stands out enough on the brand colour to draw the rule in it."""
    a, b = relative_luminance(design.ring), relative_luminance(design.fill)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05) >= 1.8


def og_image(credential: Any, t: Translator, branding: Branding | None = None) -> OgImage:
    """The credential's Open Graph image in ``t``'s language (cached per worker)."""
    picture = picture_of(str(credential.document), branding)
    key = (str(credential.id), t.locale, picture.key)
    hit = og_images.get(key)
    if hit is not None:
        return hit
    body = render(picture, t)
    made = OgImage(body, etag_for(body))
    og_images.put(key, made, OG_TTL_S)
    return made
