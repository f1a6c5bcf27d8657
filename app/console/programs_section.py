"""The programs section of the console in one router: programs and their progress matrix,
the assessor workflow, endorsements (included by :mod:`app.console.router`)."""

from __future__ import annotations

from fastapi import APIRouter

from app.console import assessor_router, endorsements_router, programs_router

router = APIRouter()
for _module in (programs_router, assessor_router, endorsements_router):
    router.include_router(_module.router)
