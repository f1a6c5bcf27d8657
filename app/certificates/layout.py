"""Draw one certificate: an A4 landscape PDF from plain texts, colours and images.

Pure: no database, no request, no translation. :class:`Certificate` holds every word already in
the page language; :func:`draw` sets them on the page. Every text is fitted into its box:
wrapped onto a bounded number of lines, shrunk down to a floor, and only then cut with an
ellipsis, so a long name never runs off the page or over another element.

The look is a formal award: a band in the issuer's brand colour round the page, a double
rule in its accent colour, the logo and the issuer's name at the top, the learner's name in
large type, a seal, and the facts, the QR code and the credential's address at the foot.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import segno
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from app.certificates import fonts
from app.core.images import decodable_raster

WIDTH, HEIGHT = landscape(A4)
DEFAULT_BRAND = "#1d3557"
DEFAULT_ACCENT = "#b08d57"
INK = HexColor("#1f2933")
MUTED = HexColor("#5f6b7a")
PAPER = HexColor("#fffdf8")
WARNING = HexColor("#b42318")
MAX_FACTS = 6
"""Rows of facts at the foot (dates, credits, results); more are summed up in one line."""


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled line at the foot: ``Issued on`` / ``12 March 2025``."""

    label: str
    value: str
    warning: bool = False


@dataclass(frozen=True, slots=True)
class Certificate:
    """Everything a certificate shows, already in its language."""

    locale: str
    title: str
    """The document title (PDF metadata)."""
    heading: str
    subheading: str
    certify: str
    learner: str
    completed: str
    achievement: str
    achievement_other: str | None
    issuer: str
    facts: Sequence[Fact]
    more_facts: str | None
    verify_label: str
    page_url: str
    id_label: str
    credential_id: str
    brand: str = DEFAULT_BRAND
    accent: str = DEFAULT_ACCENT
    logo_png: bytes | None = None
    seal_text: str = ""
    creator: str = ""


@dataclass(frozen=True, slots=True)
class _Style:
    font: str
    size: float
    bold: bool = False
    """Thicken a font that has no bold face (the CJK one) by stroking its outline."""


def _colour(value: str, fallback: str) -> Color:
    if not value:
        return HexColor(fallback)
    try:
        return HexColor(value)
    except (ValueError, TypeError):
        return HexColor(fallback)


def _face(text: str, latin: str, locale: str) -> tuple[str, bool]:
    """The font for ``text``: the Latin face, or the CJK one (which has no bold/italic)."""
    if locale == "en" and fonts.latin_only(text):
        return latin, False
    return fonts.cjk_font().name, latin == fonts.SERIF_BOLD


def _width(text: str, style: _Style, char_space: float = 0.0) -> float:
    measured = float(stringWidth(text, style.font, style.size))
    return measured + char_space * max(len(text) - 1, 0)


def _breaks(text: str) -> list[str]:
    """Pieces between which a line may break: words with their space, each CJK character."""
    pieces: list[str] = []
    word = ""
    for char in text:
        if char.isspace():
            pieces.append(word + " ")
            word = ""
        elif ord(char) >= 0x2E80:  # CJK and fullwidth forms: a break before and after
            if word:
                pieces.append(word)
            pieces.append(char)
            word = ""
        else:
            word += char
    if word:
        pieces.append(word)
    return [piece for piece in pieces if piece.strip() or piece == " "]


def _wrap(text: str, style: _Style, width: float) -> list[str]:
    """Greedy line breaking at :func:`_breaks`; a piece wider than a line is split by char."""
    lines: list[str] = []
    line = ""
    for piece in _breaks(" ".join(text.split())):
        if _width(line + piece.rstrip(), style) <= width:
            line += piece
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        for char in piece:
            if _width(line + char, style) > width and line:
                lines.append(line)
                line = ""
            line += char
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _ellipsis(text: str, style: _Style, width: float) -> str:
    if _width(text, style) <= width:
        return text
    while text and _width(text + "…", style) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def fit(
    text: str,
    latin: str,
    locale: str,
    *,
    size: float,
    floor: float,
    width: float,
    lines: int,
) -> tuple[_Style, list[str]]:
    """The largest size from ``size`` down to ``floor`` at which ``text`` takes at most
    ``lines`` lines of ``width``; at the floor the last line is cut with an ellipsis."""
    font, bold = _face(text, latin, locale)
    current = size
    while True:
        style = _Style(font, current, bold)
        wrapped = _wrap(text, style, width)
        if len(wrapped) <= lines:
            return style, wrapped
        if current <= floor:
            kept = wrapped[:lines]
            kept[-1] = _ellipsis(kept[-1] + " " + " ".join(wrapped[lines:]), style, width)
            return style, kept
        current = max(floor, current - 1)


def _centred(
    canvas: Canvas,
    y: float,
    text: str,
    style: _Style,
    colour: Color,
    char_space: float = 0.0,
) -> None:
    canvas.setFillColor(colour)
    canvas.setStrokeColor(colour)
    canvas.setFont(style.font, style.size)
    if style.bold:
        canvas.setLineWidth(style.size * 0.035)
    x = (WIDTH - _width(text, style, char_space)) / 2
    canvas.drawString(x, y, text, mode=2 if style.bold else 0, charSpace=char_space)


def _text(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    style: _Style,
    colour: Color,
    *,
    right: bool = False,
) -> None:
    canvas.setFillColor(colour)
    canvas.setFont(style.font, style.size)
    if right:
        canvas.drawRightString(x, y, text)
    else:
        canvas.drawString(x, y, text)


def _frame(canvas: Canvas, brand: Color, accent: Color) -> None:
    """The brand band round the page, the paper, a double accent rule and corner marks."""
    canvas.setFillColor(brand)
    canvas.rect(0, 0, WIDTH, HEIGHT, stroke=0, fill=1)
    canvas.setFillColor(PAPER)
    canvas.rect(18, 18, WIDTH - 36, HEIGHT - 36, stroke=0, fill=1)
    canvas.setStrokeColor(accent)
    canvas.setLineWidth(1.6)
    canvas.rect(28, 28, WIDTH - 56, HEIGHT - 56, stroke=1, fill=0)
    canvas.setLineWidth(0.5)
    canvas.rect(33, 33, WIDTH - 66, HEIGHT - 66, stroke=1, fill=0)
    canvas.setFillColor(accent)
    for x, y in ((33, 33), (WIDTH - 33, 33), (33, HEIGHT - 33), (WIDTH - 33, HEIGHT - 33)):
        path = canvas.beginPath()
        path.moveTo(x, y - 7)
        path.lineTo(x + 7, y)
        path.lineTo(x, y + 7)
        path.lineTo(x - 7, y)
        path.close()
        canvas.drawPath(path, stroke=0, fill=1)


def _guilloche(canvas: Canvas, colour: Color) -> None:
    """A faint rosette of ellipses behind the body, as on printed diplomas."""
    canvas.saveState()
    canvas.setStrokeColor(colour)
    canvas.setStrokeAlpha(0.07)
    canvas.setLineWidth(0.6)
    canvas.translate(WIDTH / 2, HEIGHT / 2 + 30)
    for step in range(36):
        canvas.saveState()
        canvas.rotate(step * 5)
        canvas.ellipse(-196, -58, 196, 58, stroke=1, fill=0)
        canvas.restoreState()
    canvas.restoreState()


def _logo_image(png: bytes | None) -> tuple[ImageReader, float, float] | None:
    """The logo and its size on the page (at most 160 x 52 pt), or None when unreadable or
    too large to decode (:func:`app.core.images.decodable_raster`, read from its header: a
    stored decompression bomb leaves the issuer's name alone, undecoded)."""
    if not png or not decodable_raster(png):
        return None
    try:
        image = ImageReader(io.BytesIO(png))
        width, height = image.getSize()
    except Exception:  # a logo we cannot read leaves the issuer's name alone
        return None
    if width <= 0 or height <= 0:
        return None
    scale = min(160 / width, 52 / height)
    return image, width * scale, height * scale


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url`` as vector squares (sharp at any zoom), with a 2-module margin."""
    matrix = segno.make(url, error="m", boost_error=False).matrix
    count = len(matrix) + 4
    module = size / count
    canvas.setFillColor(HexColor("#ffffff"))
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(HexColor("#000000"))
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 2) * module
        start = None
        for column, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                left = x + (start + 2) * module
                canvas.rect(left, top - module, (column - start) * module, module, stroke=0, fill=1)
                start = None


def _seal(canvas: Canvas, x: float, y: float, accent: Color, text: str, locale: str) -> None:
    """A rosette in the accent colour with ``text`` (the year) in its middle."""
    canvas.setStrokeColor(accent)
    canvas.setFillColor(accent)
    canvas.setLineWidth(1.4)
    canvas.circle(x, y, 34, stroke=1, fill=0)
    canvas.setLineWidth(0.5)
    canvas.circle(x, y, 24, stroke=1, fill=0)
    canvas.setLineWidth(0.9)
    for step in range(48):
        angle = 2 * math.pi * step / 48
        inner, outer = 26.5, 31.5
        canvas.line(
            x + inner * math.cos(angle),
            y + inner * math.sin(angle),
            x + outer * math.cos(angle),
            y + outer * math.sin(angle),
        )
    if text:
        style, lines = fit(text, fonts.SERIF_BOLD, locale, size=13, floor=7, width=40, lines=1)
        canvas.setFont(style.font, style.size)
        canvas.drawCentredString(x, y - style.size * 0.35, lines[0])


def _facts(canvas: Canvas, content: Certificate, x: float, top: float, width: float) -> None:
    """The labelled facts at the foot, one per line, label above value in two columns."""
    label_width = width * 0.42
    y = top
    shown = list(content.facts[:MAX_FACTS])
    for fact in shown:
        label_style, label = fit(
            fact.label, fonts.SERIF, content.locale, size=9, floor=7, width=label_width - 6, lines=1
        )
        value_style, value = fit(
            fact.value,
            fonts.SERIF_BOLD,
            content.locale,
            size=10.5,
            floor=7.5,
            width=width - label_width,
            lines=1,
        )
        _text(canvas, x, y, label[0], label_style, MUTED)
        colour = WARNING if fact.warning else INK
        _text(canvas, x + label_width, y, value[0], value_style, colour)
        y -= 15
    if content.more_facts:
        style, more = fit(
            content.more_facts,
            fonts.SERIF_ITALIC,
            content.locale,
            size=8,
            floor=7,
            width=width,
            lines=1,
        )
        _text(canvas, x, y, more[0], style, MUTED)


def _verification(canvas: Canvas, content: Certificate) -> None:
    """The QR code at the bottom right, the page address and the credential id beside it."""
    size = 82.0
    qr_x, qr_y = WIDTH - 60 - size, FOOT_MIDDLE - size / 2
    _qr(canvas, content.page_url, qr_x, qr_y, size)
    right = qr_x - 10
    width = 190.0
    lines: list[tuple[str, str, float, Color]] = [
        (content.verify_label, fonts.SERIF, 8.5, MUTED),
        (content.page_url, fonts.SANS, 7, INK),
        (content.id_label, fonts.SERIF, 8.5, MUTED),
        (content.credential_id, fonts.SANS, 7, INK),
    ]
    y = qr_y + size - 12
    for index, (text, latin, size_pt, colour) in enumerate(lines):
        if latin == fonts.SANS and fonts.latin_only(text):
            style = _Style(latin, size_pt)
            wrapped = _address_lines(text, style, width)
        else:
            style, wrapped = fit(
                text, latin, content.locale, size=size_pt, floor=6.5, width=width, lines=1
            )
        for line in wrapped:
            _text(canvas, right, y, line, style, colour, right=True)
            y -= size_pt + 2.5
        if index == 1:
            y -= 5


def _address_lines(text: str, style: _Style, width: float) -> list[str]:
    """A URL on one line, else broken after its last ``/`` (each part cut to fit)."""
    if _width(text, style) <= width:
        return [text]
    head, slash, tail = text.rpartition("/")
    parts = [head + slash, tail] if slash else [text]
    return [_ellipsis(part, style, width) for part in parts if part]


def draw(content: Certificate) -> bytes:
    """The certificate as a one-page PDF (byte-identical for identical ``content``)."""
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer, pagesize=(WIDTH, HEIGHT), invariant=True, pageCompression=1, lang=content.locale
    )
    canvas.setTitle(content.title)
    canvas.setAuthor(content.issuer)
    canvas.setSubject(content.achievement)
    canvas.setCreator(content.creator)
    brand = _colour(content.brand, DEFAULT_BRAND)
    accent = _colour(content.accent, DEFAULT_ACCENT)
    _frame(canvas, brand, accent)
    _guilloche(canvas, brand)
    _body(canvas, content, brand, accent)
    rows = min(len(content.facts), MAX_FACTS) + (1 if content.more_facts else 0)
    _facts(canvas, content, 70, FOOT_MIDDLE + rows * 15 / 2 - 9, 270)
    _seal(canvas, WIDTH / 2, FOOT_MIDDLE, accent, content.seal_text, content.locale)
    _verification(canvas, content)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class _Block:
    """A centred block of the body: lines in one style, and the space that follows it."""

    lines: list[str]
    style: _Style
    colour: Color
    after: float
    char_space: float = 0.0
    rule: float = 0.0
    """Half-width of an accent rule under the block (0: none)."""
    flank: bool = False
    """Short accent rules left and right of the (single) line."""


BODY_TOP = HEIGHT - 50
BODY_BOTTOM = 178.0
"""The body is centred between these (the foot holds the facts, seal and QR code)."""
FOOT_MIDDLE = 98.0
"""The middle line of the foot: the seal's centre, the facts' and the QR code's middle."""


def _blocks(content: Certificate, brand: Color, accent: Color) -> list[_Block]:
    locale = content.locale
    en = locale == "en"

    def block(
        text: str, latin: str, size: float, floor: float, width: float, lines: int = 1
    ) -> tuple[_Style, list[str]]:
        return fit(text, latin, locale, size=size, floor=floor, width=width, lines=lines)

    issuer_text = content.issuer.upper() if fonts.latin_only(content.issuer) else content.issuer
    issuer = block(issuer_text, fonts.SERIF_BOLD, 13 if en else 15, 8, 560)
    heading = block(content.heading, fonts.SERIF_BOLD, 40 if en else 46, 24, 600)
    sub = block(content.subheading, fonts.SERIF, 12, 8, 400)
    certify = block(content.certify, fonts.SERIF_ITALIC, 13, 9, 600)
    learner = block(content.learner, fonts.SERIF_BOLD, 34, 16, 620, 2)
    completed = block(content.completed, fonts.SERIF_ITALIC, 13, 9, 600)
    achievement = block(content.achievement, fonts.SERIF_BOLD, 24, 13, 640, 2)
    blocks = [
        _Block(issuer[1], issuer[0], brand, 20, char_space=1.5 if en else 2),
        _Block(heading[1], heading[0], brand, 14, char_space=7 if en else 18),
        _Block(sub[1], sub[0], accent, 26, char_space=2.5, flank=True),
        _Block(certify[1], certify[0], MUTED, 18),
        _Block(learner[1], learner[0], INK, 22, rule=200),
        _Block(completed[1], completed[0], MUTED, 14),
        _Block(achievement[1], achievement[0], brand, 8),
    ]
    if content.achievement_other:
        other = block(content.achievement_other, fonts.SERIF_ITALIC, 13, 9, 600)
        blocks.append(_Block(other[1], other[0], MUTED, 0))
    return blocks


def _height(block: _Block) -> float:
    return block.style.size * 1.2 * len(block.lines) + block.after + (8 if block.rule else 0)


def _body(canvas: Canvas, content: Certificate, brand: Color, accent: Color) -> None:
    """From the logo down to the achievement, centred in the space above the foot."""
    logo = _logo_image(content.logo_png)
    blocks = _blocks(content, brand, accent)
    total = sum(_height(b) for b in blocks) + (logo[2] + 14 if logo else 0)
    room = BODY_TOP - BODY_BOTTOM
    if total > room:  # long names took more lines: close the gaps between blocks
        gaps = sum(b.after for b in blocks)
        squeeze = max(0.2, 1 - (total - room) / gaps) if gaps else 1.0
        blocks = [replace(b, after=b.after * squeeze) for b in blocks]
        total = sum(_height(b) for b in blocks) + (logo[2] + 14 if logo else 0)
    y = BODY_TOP - max(0.0, (room - total) / 2)
    if logo:
        image, w, h = logo
        canvas.drawImage(image, (WIDTH - w) / 2, y - h, w, h, mask="auto")
        y -= h + 14
    middle = WIDTH / 2
    for block in blocks:
        for line in block.lines:
            y -= block.style.size
            _centred(canvas, y, line, block.style, block.colour, block.char_space)
            y -= block.style.size * 0.2
        canvas.setStrokeColor(accent)
        canvas.setLineWidth(0.8)
        if block.flank:
            half = _width(block.lines[0], block.style, block.char_space) / 2
            rule_y = y + block.style.size * 0.55
            canvas.line(middle - half - 70, rule_y, middle - half - 14, rule_y)
            canvas.line(middle + half + 14, rule_y, middle + half + 70, rule_y)
        if block.rule:
            y -= 8
            canvas.line(middle - block.rule, y, middle + block.rule, y)
        y -= block.after
