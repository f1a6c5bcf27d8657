"""The fonts a certificate is set in, registered with reportlab once per process.

Latin text is set in Times (one of the PDF standard fonts every reader has, so nothing is
embedded for it). Chinese text, and any text Times cannot show, is set in a TrueType CJK font
found on this machine, embedded as a subset of the glyphs used: Debian's ``fonts-wqy-zenhei``
(installed by the Dockerfile and CI). reportlab embeds only TrueType outlines, so the
CFF-based Noto CJK collections are tried but refused. Without any, Chinese falls back to the
Adobe CID font ``STSong-Light``: not embedded (the reader supplies a Song face; Acrobat and
pdf.js do, some minimal readers show blanks), which is logged once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

CJK_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
)
"""(file, face index in a collection): TrueType-outline CJK fonts first."""
CID_FALLBACK = "STSong-Light"

SERIF = "Times-Roman"
SERIF_BOLD = "Times-Bold"
SERIF_ITALIC = "Times-Italic"
SANS = "Helvetica"


@dataclass(frozen=True, slots=True)
class CjkFont:
    """The registered CJK font: its reportlab name, and whether it is embedded."""

    name: str
    embedded: bool


@cache
def cjk_font() -> CjkFont:
    """Register the first usable CJK font (see the module docstring); once per process."""
    for path, index in CJK_CANDIDATES:
        if not Path(path).is_file():
            continue
        try:
            font = TTFont("CertificateCJK", path, subfontIndex=index)
        except (TTFError, OSError) as exc:  # CFF outlines, a damaged file
            log.info("certificate font %s not usable: %s", path, exc)
            continue
        pdfmetrics.registerFont(font)
        return CjkFont("CertificateCJK", embedded=True)
    log.warning(
        "no TrueType CJK font found (install fonts-wqy-zenhei): Chinese on certificates uses "
        "the reader's %s, not embedded",
        CID_FALLBACK,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CjkFont(CID_FALLBACK, embedded=False)


def latin_only(text: str) -> bool:
    """True when Times (WinAnsi encoding) can show every character of ``text``."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def warm_up() -> None:
    """Load the CJK font in a background thread (~0.1-0.3 s of parsing), so that a worker's
    first certificate does not wait for it; called when the routes are mounted."""
    threading.Thread(target=cjk_font, name="certificate-fonts", daemon=True).start()
