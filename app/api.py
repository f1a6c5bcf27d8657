"""Every router of the service, in one place."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from app.achievements import public as achievements_public
from app.achievements import router as achievements_router
from app.api_keys import router as api_keys_router
from app.batches import router as batches_router
from app.core import problem_docs as errors
from app.credentials import public as credentials_public
from app.credentials import router as credentials_router
from app.endorsements import public as endorsements_public
from app.endorsements import router as endorsements_router
from app.health import router as health_router
from app.issuers import own as issuers_own
from app.issuers import public as issuers_public
from app.issuers import router as issuers_router
from app.learners import router as learners_router
from app.mail import dev_router as mail_dev_router
from app.obapi import router as obapi_router
from app.obconsumer import push_pages, push_router
from app.obconsumer import router as obconsumer_router
from app.offers import router as offers_router
from app.programs import router as programs_router
from app.reports import router as reports_router
from app.signing_keys import public as keys_public
from app.signing_keys import router as keys_router
from app.status import public as status_public
from app.verification import router as verification_router
from app.wallets import router as wallets_router
from app.webhooks import router as webhooks_router

PUBLIC = (
    credentials_public,
    status_public,
    keys_public,
    issuers_public,
    achievements_public,
    endorsements_public,
    wallets_router,
    obapi_router,  # the Open Badges API (/ims/ob/v3p0): its own OAuth 2.0 bearer tokens
    obconsumer_router,  # /account/hosts: send credentials to other hosts (the account's cookie)
    push_pages,  # /account/requests: issuers' requests to send a credential to a host
    mail_dev_router,  # /dev/mail: 404 outside development
)
API = (
    credentials_router,
    offers_router,
    push_router,
    batches_router,
    verification_router,
    issuers_router,
    api_keys_router,
    issuers_own,
    keys_router,
    achievements_router,
    programs_router,
    learners_router,
    endorsements_router,
    webhooks_router,
    reports_router,
)


def include_routers(app: FastAPI, pages: Callable[[FastAPI], None] | None = None) -> None:
    """Mount the probes, the public documents, the HTML ``pages`` (when given), then the API.

    The order is for speed, not meaning: routing tries routes one by one (each costs a few
    microseconds), and the public URLs (shared links, QR codes, status lists) carry most of
    the traffic. No two groups share a path pattern, so the order changes no answer.
    """
    app.include_router(health_router.router, responses=errors.OPERATIONS_ERRORS)
    for module in PUBLIC:
        app.include_router(module.router, responses=errors.PUBLIC_ERRORS)
    if pages is not None:
        pages(app)
    for module in API:
        verify = module is verification_router
        app.include_router(
            module.router, responses=errors.VERIFY_ERRORS if verify else errors.API_ERRORS
        )
