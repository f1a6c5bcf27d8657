"""Helpers of the e-mail tests: an aiosmtpd handler that records and refuses as told, and the
context that points the outbox's e-mail channel at a server."""

from __future__ import annotations

import dataclasses
import socket
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI

from app.core.context import AppContext
from app.outbox import service as outbox


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and answers RCPT as scripted."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.replies: dict[str, str] = {}
        """RCPT TO address -> the reply to give instead of 250 (e.g. ``550 5.1.1 …``)."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        reply = self.replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        self.received.append((str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 2.0.0 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for _, rcpt, message in self.received if address in rcpt]


def context_with(app: FastAPI, **settings: Any) -> AppContext:
    """The application's context with some settings changed (the outbox takes it as given)."""
    base: AppContext = app.state.context
    return dataclasses.replace(base, settings=base.settings.model_copy(update=settings))


def run_outbox(app: FastAPI, context: AppContext, **kwargs: Any) -> int:
    """One synchronous pass of the outbox (dispatch, then send what is due)."""
    return outbox.run_once(app.state.sessionmaker, context, **kwargs)
