"""Install the e-mail channel in the outbox (called by :func:`app.wiring.subscribe_all`)."""

from __future__ import annotations

from app.mail import sender, service
from app.outbox import service as outbox


def subscribe() -> None:
    """The fan-out handler for e-mail-worthy events, and the ``email`` sender."""
    outbox.on_event(service.on_event)
    outbox.register_sender(service.CHANNEL, sender.send)
