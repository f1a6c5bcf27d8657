"""Untrusted text from a credential, made safe to show.

OB 3.0 says ``description``, ``criteria.narrative`` and evidence ``narrative`` may be Markdown.
They come from issuers (and, on ``/verify``, from anyone), so they are rendered with raw HTML
switched off, images switched off (no tracking pixels, no mixed content), and links kept only
for http(s) and mailto, each marked ``nofollow noopener ugc``. Everything else is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_MARKDOWN_CHARS = 20_000
"""Longer texts are cut: a page is not the place for a novel, and parsing stays bounded."""


def _render_link_open(
    renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    """Drop links with a scheme we do not trust; mark the rest as user content."""
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if not is_safe_link(href):
        token.attrs.pop("href", None)
    token.attrSet("rel", "nofollow noopener ugc")
    return str(renderer.renderToken(tokens, idx, options, env))


def _demote_headings(state: StateCore) -> None:
    """A ``# Title`` in a description must not compete with the page's own h1/h2."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 2)}"


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    md.disable("image")
    md.add_render_rule("link_open", _render_link_open)
    md.core.ruler.push("demote_headings", _demote_headings)
    return md


_MD = _build()


def is_safe_link(url: str | None) -> bool:
    """True for absolute http(s) and mailto URLs: what we let a person click."""
    if not url:
        return False
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return False
    return scheme in SAFE_LINK_SCHEMES


def markdown(text: object) -> Markup:
    """Render untrusted Markdown to safe HTML (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        return Markup("")
    return Markup(_MD.render(text[:MAX_MARKDOWN_CHARS]))


KEPT_MARKDOWN_CHARS = 4_000
"""Longer texts are rendered every time, never kept."""


def kept_markdown(text: object) -> Markup:
    """:func:`markdown`, kept per text (256 texts of at most 4,000 characters), for the pages
    of this service's own credentials: an achievement's description and criteria read the same
    on every credential of it, and a page not yet cached rendered both every time. Never for
    what anonymous callers bring (``/verify``): a memo must not keep their input."""
    if not isinstance(text, str) or len(text) > KEPT_MARKDOWN_CHARS:
        return markdown(text)
    return _kept_markdown(text)


@lru_cache(maxsize=256)
def _kept_markdown(text: str) -> Markup:
    return markdown(text)
