"""Fixtures of the console tests: each test starts with a fresh sign-in allowance (the suite
sends everything from one address); the mail helpers are importable here too."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser

_APP_TESTS = Path(__file__).resolve().parents[1]
for helpers in ("mail", "web", "accounts"):
    if str(_APP_TESTS / helpers) not in sys.path:
        sys.path.append(str(_APP_TESTS / helpers))


@pytest.fixture(autouse=True)
def _fresh_console_limiter(app: FastAPI) -> None:
    app.state.console_sign_in_limiter = None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, one per test module (the console's browser tests)."""
    from web_support import launched_chromium

    with launched_chromium() as launched:
        yield launched
