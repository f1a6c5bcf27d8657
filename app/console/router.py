"""Every console route, in matching order: the fixed paths (sign-in, invitations, ``/me``)
before ``/console/{issuer_id}``, which would otherwise take ``sign-in`` for an issuer id."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from app.console import (
    achievements_router,
    audit_router,
    auth_router,
    batches_router,
    credentials_router,
    errors,
    home_router,
    issue_router,
    issuers_router,
    me_router,
    programs_section,
    reports_router,
    reset_router,
    settings_router,
    users_router,
)

router = APIRouter()
for _module in (
    auth_router,
    reset_router,
    me_router,
    issuers_router,  # POST /console/issuers: before any /console/{issuer_id} path
    home_router,
    users_router,
    audit_router,
    credentials_router,
):
    router.include_router(_module.router)
router.include_router(batches_router.router)  # the cohort wizard and the batches list
router.include_router(achievements_router.router)  # achievements: list, edit, preview
router.include_router(issue_router.router)  # issue one credential
router.include_router(settings_router.router)  # settings: profile, keys, webhooks, e-mail
router.include_router(reports_router.router)  # reports: totals, charts, funnel, CSV
router.include_router(programs_section.router)  # programs, assessors, endorsements


def mount(app: FastAPI) -> None:
    """Add the console's routes and its sign-in / refusal handlers to ``app``."""
    app.include_router(router)
    errors.install(app)
