"""Install the webhook channel in the outbox (called by :func:`app.wiring.subscribe_all`)."""

from __future__ import annotations

from app.outbox import service as outbox
from app.webhooks import fanout, repository, sender


def subscribe() -> None:
    """Every outbox event may become webhook deliveries; ``webhook`` deliveries are sent here."""
    outbox.on_event(fanout.fan_out)
    outbox.register_sender(repository.CHANNEL, sender.send)
