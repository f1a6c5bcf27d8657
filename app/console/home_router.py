"""The console's home (the issuers the user belongs to) and an issuer's dashboard.

The dashboard links only to pages that exist; each link shows only to roles that may open it
(the pages check again: a hidden link is a courtesy, not the control).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.console import pages, repository
from app.console.access import IssuerConsole, Staff, require_role
from app.console.session import SignedIn
from app.core.db import SessionDep
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

NAV = (
    ("achievements", "viewer"),
    ("issue", "issuer"),
    ("batches", "viewer"),
    ("credentials", "viewer"),
    ("programs", "viewer"),
    ("assess", "assessor"),
    ("endorsements", "viewer"),
    ("reports", "viewer"),
    ("audit", "viewer"),
    ("assessors", "owner"),
    ("users", "owner"),
    ("settings", "viewer"),
)
"""The sections of an issuer's console, in menu order: (page, least role). The menu and the
overview's tiles both come from here."""


def nav_for(console: IssuerConsole) -> list[str]:
    """The sections ``console`` may open, in menu order."""
    return [name for name, role in NAV if console.allows(role)]


def home_values(
    request: Request, session: Session, signed: SignedIn, **extra: Any
) -> dict[str, Any]:
    """What the console home shows: the user's issuers (and, for a platform admin, the form)."""
    t = i18n.translator_for(request)
    issuers = sorted(
        (
            (pages.issuer_name(issuer, t.locale), str(issuer.id), role)
            for issuer, role in repository.issuers_of(session, signed.user)
        ),
        key=lambda item: item[0].casefold(),
    )
    values: dict[str, Any] = {
        "signed": signed,
        "issuers": issuers,
        "notice": request.query_params.get("notice", ""),
        "form": {},
        "errors": {},
    }
    values.update(extra)
    return values


@router.get("/console", response_class=Response)
def home(request: Request, session: SessionDep, signed: Staff) -> Response:
    """Pick an issuer: every issuer the user belongs to, with the role there (and, for a
    platform admin, the form that creates one: :mod:`app.console.issuers_router`)."""
    return pages.page(request, "console_home.html", **home_values(request, session, signed))


@router.get("/console/{issuer_id}", response_class=Response)
def dashboard(
    request: Request, console: Annotated[IssuerConsole, Depends(require_role(None))]
) -> Response:
    """An issuer's dashboard: what this role can open here."""
    t = i18n.translator_for(request)
    return pages.page(
        request,
        "console_dashboard.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="dashboard",
        created=request.query_params.get("notice") == "created",
    )
