"""What people see: the credential page, QR codes, baked badge downloads and the /verify page.

``app.main.create_app`` calls :func:`mount` when this package is present.
"""

from __future__ import annotations

from fastapi import FastAPI


def mount(app: FastAPI) -> None:
    """Add the page routes (``app.web.router.router``) and HTML error pages to ``app``."""
    from app.core.problem_docs import PAGE_ERRORS
    from app.web import error_pages, home
    from app.web.router import router

    app.include_router(router, responses=PAGE_ERRORS)
    app.include_router(home.router)
    error_pages.install(app)
