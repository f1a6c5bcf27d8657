"""Fixtures of the e-mail tests: a real SMTP server in this process (aiosmtpd) and the
context that points the outbox's e-mail channel at it (helpers: ``mail_support``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from mail_support import Inbox, context_with, free_port
from pydantic import SecretStr

from app.core.context import AppContext


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A plain SMTP server on 127.0.0.1 (a free port), for the test only."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def inbox(app: FastAPI, smtp_server: tuple[Inbox, int]) -> Inbox:
    return smtp_server[0]


@pytest.fixture
def mail_context(app: FastAPI, smtp_server: tuple[Inbox, int]) -> AppContext:
    """E-mail through the test's SMTP server, from badges@badges.test."""
    return context_with(
        app,
        smtp_url=SecretStr(f"smtp://127.0.0.1:{smtp_server[1]}?timeout=5"),
        mail_from="badges@badges.test",
    )
