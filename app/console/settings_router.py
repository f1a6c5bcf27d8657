"""The owner's settings pages of an issuer, under ``/console/{issuer_id}/settings``: profile
(:mod:`~app.console.profile_router`), signing and API keys (:mod:`~app.console.keys_router`),
webhooks (:mod:`~app.console.webhooks_router`), e-mail (:mod:`~app.console.mail_router`).
Who may open which: :mod:`app.console.settings_view`."""

from __future__ import annotations

from fastapi import APIRouter

from app.console import keys_router, mail_router, profile_router, webhooks_router

router = APIRouter()
for _module in (profile_router, keys_router, webhooks_router, mail_router):
    router.include_router(_module.router)
