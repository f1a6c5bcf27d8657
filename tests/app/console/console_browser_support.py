"""What the console's browser tests share: the service on a real socket, axe-core, and the
check every page gets (no serious or critical axe violation, nothing wider than the window,
a screenshot)."""

from __future__ import annotations

import socket
from pathlib import Path

from playwright.sync_api import Page
from web_support import free_socket, screenshot, serving  # noqa: F401  (serving: re-exported)

AXE = Path(__file__).resolve().parents[2] / "app" / "web" / "vendor" / "axe.min.js"

WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
        || e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')
    .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ':'
        + e.scrollWidth + '/' + e.clientWidth)"""
"""The elements sticking out of the window, to say which when a page is too wide."""


def bound_socket() -> tuple[socket.socket, str]:
    """A socket on a free port of 127.0.0.1 and its base URL (bound before the app is made,
    so the app's base URL is the real one)."""
    sock = free_socket()
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page (the context must bypass CSP:
    the pages allow no injected script)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}) {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check_page(page: Page, name: str) -> None:
    """axe, no horizontal overflow, a screenshot ``name``."""
    assert serious_violations(page) == [], page.url
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, (page.url, page.evaluate(WIDE_ELEMENTS))
    screenshot(page, name)
