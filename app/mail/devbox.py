"""The development mailbox: where e-mail goes when no SMTP server is configured in development.

Each message is written as an ``.eml`` file (the exact bytes SMTP would have carried) under
``BADGES_DATA_DIR/dev-mail/``, which ``/dev/mail`` lists. Files rather than process memory or a
table: ``./dev serve`` may run several worker processes and restart at will, and a file opens in
any mail client, while a table would be a development-only schema in every production
database. The newest :data:`KEEP` messages are kept; older ones are deleted as new ones arrive.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

KEEP = 200
FOLDER = "dev-mail"
_NAME = re.compile(r"^(\d{8}T\d{6}\d{6})-([0-9a-f]{32})\.eml$")


@dataclass(frozen=True, slots=True)
class StoredMail:
    """One stored message, as the mailbox lists it."""

    id: str
    received_at: datetime
    sender: str
    to: str
    subject: str
    message: EmailMessage

    def part(self, subtype: str) -> str | None:
        """The decoded ``text/<subtype>`` body, if the message has one."""
        body = self.message.get_body(preferencelist=(subtype,))
        if body is None or body.get_content_subtype() != subtype:
            return None
        content = body.get_content()
        return content if isinstance(content, str) else None


def folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def store(data_dir: Path, message: EmailMessage, now: datetime | None = None) -> str:
    """Keep ``message``; its mailbox id. Written to a temporary name and renamed, so a reader
    never sees half a message; then the oldest beyond :data:`KEEP` are removed."""
    target = folder(data_dir)
    target.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")
    mail_id = f"{stamp}-{uuid.uuid4().hex}"
    temporary = target / f".{mail_id}.tmp"
    temporary.write_bytes(message.as_bytes(policy=policy.SMTP))
    os.replace(temporary, target / f"{mail_id}.eml")
    for old in _names(target)[KEEP:]:
        (target / old).unlink(missing_ok=True)
    return mail_id


def _names(target: Path) -> list[str]:
    """Message file names, newest first."""
    if not target.is_dir():
        return []
    return sorted((p.name for p in target.iterdir() if _NAME.match(p.name)), reverse=True)


def _read(target: Path, name: str) -> StoredMail | None:
    match = _NAME.match(name)
    if match is None:
        return None
    try:
        raw = (target / name).read_bytes()
    except FileNotFoundError:  # pruned meanwhile
        return None
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    received = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return StoredMail(
        id=name.removesuffix(".eml"),
        received_at=received,
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        message=message,
    )


def messages(data_dir: Path, limit: int = KEEP) -> list[StoredMail]:
    """The stored messages, newest first."""
    target = folder(data_dir)
    found = (_read(target, name) for name in _names(target)[:limit])
    return [mail for mail in found if mail is not None]


def get(data_dir: Path, mail_id: str) -> StoredMail | None:
    """One stored message by id (None: no such message, or a malformed id)."""
    return _read(folder(data_dir), f"{mail_id}.eml")


def raw(data_dir: Path, mail_id: str) -> bytes | None:
    """The stored bytes of one message."""
    if _NAME.match(f"{mail_id}.eml") is None:
        return None
    try:
        return (folder(data_dir) / f"{mail_id}.eml").read_bytes()
    except FileNotFoundError:
        return None
