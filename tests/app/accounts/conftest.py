"""Fixtures of the account tests; the mail and page tests' helpers are importable here too
(``mail_support``: an aiosmtpd inbox; ``web_support``: a throw-away app for the browser)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi import FastAPI

_APP_TESTS = Path(__file__).resolve().parents[1]
for helpers in ("mail", "web"):
    if str(_APP_TESTS / helpers) not in sys.path:
        sys.path.append(str(_APP_TESTS / helpers))


@pytest.fixture(autouse=True)
def _fresh_sign_in_limiter(app: FastAPI) -> None:
    """Each test starts with a fresh per-client sign-in allowance (the suite sends everything
    from one address); the rate-limit test installs its own."""
    app.state.sign_in_limiter = None
