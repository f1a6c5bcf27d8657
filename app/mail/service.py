"""The e-mail channel's fan-out: which events become which e-mail, to whom, in what language.

Runs in the outbox dispatcher's transaction (:func:`app.outbox.service.on_event`), once per
event, after the change it announces was committed. It freezes everything the message needs
into the delivery's payload (names in the learner's language, URLs, the sealed claim link), so
the sender renders without touching the database. Per issuer, a daily quota refuses messages
beyond it (the delivery is recorded as failed, saying so) and a rate spreads a cohort's
messages over time (GCRA: a burst at once, then one every ``60 / rate`` seconds).

What is sent:

* ``credential.issued`` with ``notify`` (the request's, default true) and a recipient e-mail:
  "you have been awarded …" with a button to claim the credential into a wallet; not for a
  program's own award, which ``program.completed`` announces instead;
* ``program.completed``: "you completed …", with the program credential's claim link;
* ``credential.revoked``, only when the issuer turned ``notifyOnRevocation`` on;
* ``push.requested``: the issuer asks the learner to send the credential to another Open
  Badges host (:mod:`app.pushes`), with a link to the account page where they approve it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.core.urls import credential_url
from app.mail import repository, sealing
from app.mail.render import mail_language
from app.mail.settings import transport
from app.models import Achievement, Credential, Issuer, ObPushRequest, OutboxEvent
from app.models.base import utcnow
from app.offers import service as offers
from app.outbox import service as outbox

CHANNEL = "email"
TEMPLATES = {
    "credential.issued": "issued",
    "program.completed": "program_completed",
    "credential.revoked": "revoked",
    "push.requested": "push_request",
}


@dataclass(frozen=True, slots=True)
class ClaimLink:
    """Where the learner claims the credential, and until when."""

    url: str
    expires_at: datetime


def claim_link(
    session: Session, context: AppContext, credential: Credential, *, actor: str
) -> ClaimLink | None:
    """A new credential offer for ``credential`` (:mod:`app.offers`) as its claim URL, in this
    transaction; None when it cannot be offered (the message then links its page only)."""
    try:
        offer, token = offers.create_offer(session, context, credential, actor=actor)
    except offers.NotOfferable:
        return None
    return ClaimLink(f"{context.settings.base_url}/claim/{token}", offer.expires_at)


def on_event(session: Session, context: AppContext, event: OutboxEvent) -> None:
    """The outbox fan-out handler of the e-mail channel (see the module docstring)."""
    template = TEMPLATES.get(event.type)
    if template is None or event.subject_id is None or transport(context.settings) is None:
        return
    if template == "issued" and (
        not event.data.get("notify", True) or event.data.get("programAward")
    ):
        return
    found = repository.facts(session, event.issuer_id, event.subject_id)
    if found is None:
        return
    credential, issuer, achievement = found
    if credential.recipient_email is None or credential.bound_from_id is not None:
        return  # no address, or a wallet's bound copy (its learner just claimed it)
    if template == "revoked" and not issuer.notify_on_revocation:
        return
    if template == "push_request" and not _push_request_open(session, event):
        return  # withdrawn (or answered) before its e-mail went out
    if template != "revoked" and credential.revoked_at is not None:
        return  # revoked before its announcement went out: no "claim your badge"
    queue(session, context, event, template, credential, issuer, achievement)


def _push_request_open(session: Session, event: OutboxEvent) -> bool:
    try:
        row = session.get(ObPushRequest, uuid.UUID(str(event.data.get("requestId"))))
    except ValueError:
        return False
    return row is not None and row.state == "pending" and row.expires_at > utcnow()


def queue(
    session: Session,
    context: AppContext,
    event: OutboxEvent,
    template: str,
    credential: Credential,
    issuer: Issuer,
    achievement: Achievement,
) -> None:
    """Add the e-mail delivery of one event (failed at once when the quota is used up)."""
    now = utcnow()
    language = _language(event, issuer, achievement)
    payload = _payload(context, template, language, credential, issuer, achievement)
    admitted = _admit(session, context, issuer, now)
    if isinstance(admitted, str):
        delivery = outbox.add_delivery(
            session,
            channel=CHANNEL,
            issuer_id=issuer.id,
            payload=payload,
            target_id=credential.id,
            event_id=event.id,
        )
        delivery.state = "failed"
        delivery.last_error = admitted
        return
    if template == "push_request":
        payload["reviewUrl"] = f"{context.settings.base_url}/account/requests"
        payload["hostName"] = str(event.data.get("hostName") or event.data.get("apiRoot"))
        payload["requestExpiresAt"] = event.data.get("expiresAt")
    elif template != "revoked":
        actor = str(event.data.get("actor") or f"outbox:{event.type}")
        link = claim_link(session, context, credential, actor=actor)
        if link is not None:
            kek = context.settings.kek_bytes()
            payload["claimSealed"] = sealing.seal(kek, credential.id, link.url)
            payload["claimExpiresAt"] = link.expires_at.isoformat()
    outbox.add_delivery(
        session,
        channel=CHANNEL,
        issuer_id=issuer.id,
        payload=payload,
        target_id=credential.id,
        event_id=event.id,
        not_before=admitted,
    )


def queue_wallet_code(
    session: Session,
    context: AppContext,
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    code: str,
    expires_at: datetime,
) -> bool:
    """E-mail the learner the transaction code an OpenID4VCI offer asks for (OpenID4VCI 1.0
    §4.1.1 ``tx_code``: sent by another channel than the offer's QR code), in this
    transaction, to go at once (no pacing: the learner is waiting with the wallet open).
    False when it cannot go (no e-mail on this service, no address, the quota used up): the
    caller then makes an offer without a code."""
    if transport(context.settings) is None:
        return False
    found = repository.facts(session, issuer_id, credential_id)
    if found is None:
        return False
    credential, issuer, achievement = found
    if credential.recipient_email is None:
        return False
    now = utcnow()
    if isinstance(_admit(session, context, issuer, now), str):
        return False
    language = mail_language(achievement.in_language, issuer.default_language)
    payload = _payload(context, "wallet_code", language, credential, issuer, achievement)
    payload["codeSealed"] = sealing.seal(context.settings.kek_bytes(), credential.id, code)
    payload["codeExpiresAt"] = expires_at.isoformat()
    outbox.add_delivery(
        session,
        channel=CHANNEL,
        issuer_id=issuer.id,
        payload=payload,
        target_id=credential.id,
        not_before=now,
    )
    return True


def _language(event: OutboxEvent, issuer: Issuer, achievement: Achievement) -> str:
    """The learner's language of the request; else the language of the achievement version
    issued (a request's language picks that version, and a program award's version follows
    the learner's modules; its name exists only in that language); else the issuer's
    default; else English."""
    if "language" in event.data:
        return mail_language(event.data["language"], issuer.default_language)
    return mail_language(achievement.in_language, issuer.default_language)


def _payload(
    context: AppContext,
    template: str,
    language: str,
    credential: Credential,
    issuer: Issuer,
    achievement: Achievement,
) -> dict[str, Any]:
    issuer_name = issuer.text("name", language) or issuer.name
    url = credential_url(context.settings.base_url, credential.id)
    return {
        "template": template,
        "language": language,
        "to": credential.recipient_email,
        "recipientName": credential.recipient_name,
        "credentialId": str(credential.id),
        "credentialUrl": url,
        "badgeImageUrl": f"{url}/badge.png",
        "issuerName": issuer_name,
        "achievementName": achievement.name,
        "senderName": issuer.mail_sender_name or issuer_name,
        "replyTo": issuer.mail_reply_to or issuer.email,
        "claimSealed": None,
        "claimExpiresAt": None,
    }


def _admit(session: Session, context: AppContext, issuer: Issuer, now: datetime) -> datetime | str:
    """When the message may go (the issuer's pace), or why it may not (its daily quota)."""
    settings = context.settings
    today = now.date().isoformat()
    counter = repository.lock_counter(session, issuer.id, today)
    if counter.day != today:
        counter.day, counter.count = today, 0
    quota = (
        settings.mail_daily_quota if issuer.mail_daily_quota is None else issuer.mail_daily_quota
    )
    if counter.count >= quota:
        return (
            f"Not sent: the issuer's daily e-mail quota ({quota} per UTC day) is used up "
            f"for {today}. The service's administrator can raise it (mailDailyQuota)."
        )
    counter.count += 1
    rate = issuer.mail_rate_per_minute or settings.mail_rate_per_minute
    if not rate:
        return now
    interval = timedelta(seconds=60 / rate)
    arrival = max(counter.pace_at or now, now)
    send_at = max(now, arrival - interval * (settings.mail_burst - 1))
    counter.pace_at = arrival + interval
    return send_at


def credential_id_of(payload: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(str(payload["credentialId"]))
