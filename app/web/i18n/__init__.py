"""Message catalogues (en, zh-CN) and choosing the language of a page.

The page language comes from, in order: ``?lang=`` (which the router then remembers in a
cookie), the ``lang`` cookie, ``Accept-Language``, and English. Catalogues are flat JSON files
so a translator can edit them without touching code; a missing key falls back to English and
then to the key itself, so a page never fails for want of a translation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Protocol

SUPPORTED: tuple[str, ...] = ("en", "zh-CN")
DEFAULT = "en"
COOKIE = "lang"
_DIR = Path(__file__).parent


@cache
def catalogue(locale: str) -> dict[str, str]:
    """The messages of ``locale`` (read once per process): ``{locale}.json`` and each area's
    own file beside it, ``<area>.{locale}.json`` (the console's pages keep theirs apart). A key
    defined twice is an error, so no file silently overrides another."""
    messages: dict[str, str] = {}
    files = [_DIR / f"{locale}.json", *sorted(_DIR.glob(f"*.{locale}.json"))]
    for path in files:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        for key, value in loaded.items():
            if key in messages:
                raise ValueError(f"{path.name}: the message {key!r} is already defined")
            messages[str(key)] = str(value)
    return messages


def match_locale(tag: str | None) -> str | None:
    """Map a BCP 47 tag to a supported locale: any ``zh*`` is zh-CN, any ``en*`` is en."""
    if not tag:
        return None
    primary = tag.strip().lower().split("-", 1)[0].split("_", 1)[0]
    return {"zh": "zh-CN", "en": "en"}.get(primary)


def parse_accept_language(header: str | None) -> str | None:
    """The best supported locale in an ``Accept-Language`` header (RFC 9110 §12.5.4)."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate((header or "").split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        locale = match_locale(tag)
        if locale is None or quality <= 0:
            continue
        candidate = (quality, -position, locale)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else None


def choose_locale(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """Apply the precedence in the module docstring."""
    return (
        match_locale(query)
        or match_locale(cookie)
        or parse_accept_language(accept_language)
        or DEFAULT
    )


@dataclass(frozen=True, slots=True)
class Translator:
    """Looks messages up in one locale; passed to templates as ``t``."""

    locale: str
    service_name: str | None = None
    """``BADGES_SERVICE_NAME``: what the pages call the service instead of ``site.name``."""

    def __call__(self, key: str, **values: object) -> str:
        """The message ``key``, with ``{name}`` placeholders filled from ``values``."""
        if key == "site.name" and self.service_name:
            return self.service_name
        text = catalogue(self.locale).get(key) or catalogue(DEFAULT).get(key) or key
        return text.format(**values) if values else text

    @property
    def html_lang(self) -> str:
        """The value for ``<html lang>``."""
        return self.locale

    def date(self, value: datetime | None) -> str:
        """A date as people write it: ``12 March 2025`` or ``2025年3月12日``."""
        if value is None:
            return ""
        if self.locale == "zh-CN":
            return f"{value.year}年{value.month}月{value.day}日"
        return f"{value.day} {self('month.' + str(value.month))} {value.year}"

    def term(self, kind: str, value: str | None) -> str:
        """An OB 3.0 enumeration value in the page language (``Course`` -> ``课程``).

        ``kind`` is ``achievement_type``, ``result_type``, ``alignment_type`` or
        ``result_status``. An extension term (``ext:Capstone``) or one this catalogue does not
        know is shown as written, without its ``ext:`` prefix: it is the issuer's own word.
        """
        if not value:
            return ""
        key = f"enum.{kind}.{value}"
        text = catalogue(self.locale).get(key) or catalogue(DEFAULT).get(key)
        return text or value.removeprefix("ext:")

    def number(self, value: float | int | str | None) -> str:
        """A number as the page language writes it: ``1,234.5`` (both locales group by 3)."""
        if value is None or value == "":
            return ""
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        if number.is_integer() and abs(number) < 1e15:
            return f"{int(number):,}"
        return f"{number:,.2f}".rstrip("0").rstrip(".")

    def datetime(self, value: datetime | None) -> str:
        """A date and UTC time, for 'checked at' and revocation times."""
        if value is None:
            return ""
        return f"{self.date(value)} {value:%H:%M} UTC"


class _HasLocaleInputs(Protocol):
    @property
    def query_params(self) -> Mapping[str, str]: ...
    @property
    def cookies(self) -> Mapping[str, str]: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


def translator_for(request: _HasLocaleInputs) -> Translator:
    """The translator for a request (``?lang=``, cookie, ``Accept-Language``, English)."""
    app = getattr(request, "app", None)
    context = getattr(getattr(app, "state", None), "context", None)
    return Translator(
        choose_locale(
            request.query_params.get("lang"),
            request.cookies.get(COOKIE),
            request.headers.get("accept-language"),
        ),
        getattr(getattr(context, "settings", None), "service_name", None),
    )
