"""Brand colours: ``#rrggbb`` values and their WCAG 2.1 contrast against white.

Issue 15 puts white text on the issuer's ``brandColor`` (headers, buttons) and uses its
``accentColor`` for borders and large text on white, so both are checked when they are set:
white on the brand colour must reach 4.5:1 (WCAG 2.1 AA, normal text, SC 1.4.3) and the accent
colour 3:1 against white (SC 1.4.11 non-text contrast / large text).
"""

from __future__ import annotations

import re

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
BRAND_MIN_CONTRAST = 4.5
"""White text on ``brandColor``."""
ACCENT_MIN_CONTRAST = 3.0
"""``accentColor`` against white."""


def _channel(value: int) -> float:
    """An sRGB channel (0-255) linearised as WCAG 2.1 defines relative luminance."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb`` (0 black … 1 white)."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_with_white(color: str) -> float:
    """The WCAG contrast ratio of ``#rrggbb`` and white (1 … 21)."""
    return 1.05 / (relative_luminance(color) + 0.05)


def checked(value: str, alias: str) -> str:
    """``value`` lower-cased, or ValueError saying which rule it breaks (pydantic: a 422)."""
    if not HEX_COLOR.match(value):
        raise ValueError(f"{alias} must be a colour written #rrggbb, for example #1d4ed8")
    color = value.lower()
    ratio = contrast_with_white(color)
    if alias == "brandColor" and ratio < BRAND_MIN_CONTRAST:
        raise ValueError(
            f"brandColor {color}: white text on it has a contrast ratio of {ratio:.2f}:1; "
            f"at least {BRAND_MIN_CONTRAST}:1 is needed (WCAG 2.1 AA): choose a darker colour"
        )
    if alias == "accentColor" and ratio < ACCENT_MIN_CONTRAST:
        raise ValueError(
            f"accentColor {color}: its contrast ratio against white is {ratio:.2f}:1; "
            f"at least {ACCENT_MIN_CONTRAST}:1 is needed (WCAG 2.1): choose a darker colour"
        )
    return color
