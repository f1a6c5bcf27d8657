"""What people see: the credential page, QR codes, baked badge downloads, the /verify page and
the learner page: every HTML page of the service.

``app.main.create_app`` calls :func:`mount` when this package is present.
"""

from __future__ import annotations

from fastapi import FastAPI


def mount(app: FastAPI) -> None:
    """Add the page routes (``app.web.router.router``) and HTML error pages to ``app``."""
    from app.core.problem_docs import PAGE_ERRORS
    from app.web import account_router, claim_router, error_pages, home, learner_router
    from app.web.router import router

    app.include_router(router, responses=PAGE_ERRORS)
    app.include_router(home.router)
    app.include_router(learner_router.router)
    app.include_router(claim_router.router)
    app.include_router(account_router.router)
    error_pages.install(app)
