"""The e-mail channel's sender: render the delivery and submit it (or keep it, in development).

Called by the outbox relay outside any transaction with a detached delivery
(:func:`app.outbox.service.register_sender`); it reads only the delivery and the settings.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from app.accounts import links
from app.core.context import AppContext
from app.mail import devbox, sealing, smtp
from app.mail.render import build_message
from app.mail.service import credential_id_of
from app.mail.settings import envelope_sender, mail_from, service_host, smtp_config, transport
from app.models import Delivery
from app.models.base import utcnow
from app.outbox.service import Outcome

logger = logging.getLogger("app.mail")


def send(context: AppContext, delivery: Delivery) -> Outcome:
    """Send one e-mail delivery; what the outbox records (5xx refusals are permanent)."""
    settings = context.settings
    mode = transport(settings)
    if mode is None:
        return Outcome(False, error="E-mail is off on this service (BADGES_SMTP_URL is not set).")
    payload = delivery.payload
    now = utcnow()
    claim_url = None
    if payload.get("claimSealed"):
        expires_at = payload.get("claimExpiresAt")
        if expires_at and datetime.fromisoformat(expires_at) <= now:
            return Outcome(
                False, error="The claim link expired before it could be sent.", retry=False
            )
        try:
            claim_url = sealing.open_sealed(
                settings.kek_bytes(), credential_id_of(payload), payload["claimSealed"]
            )
        except sealing.SealError as error:
            return Outcome(False, error=f"Not sent: {error}.", retry=False)
    if payload.get("linkSealed"):  # a learner's sign-in link (app.accounts)
        expires_at = payload.get("linkExpiresAt")
        if expires_at and datetime.fromisoformat(expires_at) <= now:
            return Outcome(
                False, error="The sign-in link expired before it could be sent.", retry=False
            )
        try:
            claim_url = links.open_link(
                settings.kek_bytes(), uuid.UUID(str(payload["linkId"])), payload["linkSealed"]
            )
        except links.SealError as error:
            return Outcome(False, error=f"Not sent: {error}.", retry=False)
    code = None
    if payload.get("codeSealed"):
        expires_at = payload.get("codeExpiresAt")
        if expires_at and datetime.fromisoformat(expires_at) <= now:
            return Outcome(
                False, error="The wallet code expired before it could be sent.", retry=False
            )
        try:
            code = sealing.open_sealed(
                settings.kek_bytes(), credential_id_of(payload), payload["codeSealed"]
            )
        except sealing.SealError as error:
            return Outcome(False, error=f"Not sent: {error}.", retry=False)
    sender = mail_from(settings)
    message = build_message(
        payload,
        claim_url=claim_url,
        code=code,
        message_id=delivery.message_id,
        mail_from=sender,
        base_url=settings.base_url,
        now=now,
    )
    envelope = envelope_sender(settings, delivery.id)
    if mode == "devbox":
        if envelope != sender:  # what the learner's mailbox would show (RFC 5321 §4.4)
            message["Return-Path"] = f"<{envelope}>"
        mail_id = devbox.store(settings.data_dir, message)
        logger.debug(
            "e-mail %s kept in the development mailbox: /dev/mail/%s", delivery.id, mail_id
        )
        return Outcome(True)
    return smtp.submit(
        smtp_config(settings),
        message,
        envelope_from=envelope,
        recipient=payload["to"],
        local_hostname=service_host(settings),
    )
