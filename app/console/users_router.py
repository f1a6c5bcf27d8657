"""The "Users" page of an issuer (owners only): members, invitations, role changes, removal."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.console import invitations, members, pages, repository
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError
from app.jobs.delivery import WAKE
from app.models import utcnow
from app.models.staff import STAFF_ROLES
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

Owner = Annotated[IssuerConsole, Depends(require_role("owner"))]
OwnerPost = Annotated[IssuerConsole, Depends(require_role("owner", change=True))]


def _back(console: IssuerConsole, **query: str) -> Response:
    suffix = f"?{urlencode(query)}" if query else ""
    return pages.redirect(f"/console/{console.issuer.id}/users{suffix}")


@router.get("/console/{issuer_id}/users", response_class=Response)
def users(request: Request, session: SessionDep, console: Owner) -> Response:
    """Members with their roles, pending invitations, and the invitation form."""
    return _users_page(request, session, console)


def _users_page(
    request: Request, session: SessionDep, console: IssuerConsole, link: str = ""
) -> Response:
    t = i18n.translator_for(request)
    return pages.page(
        request,
        "console_users.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="users",
        members=members.listing(session, console.issuer.id),
        pending=repository.pending_invitations(session, console.issuer.id, utcnow()),
        roles=STAFF_ROLES,
        notice=request.query_params.get("notice", ""),
        error=request.query_params.get("error", ""),
        link=link,
    )


@router.post("/console/{issuer_id}/users/invite", response_class=Response)
def invite(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: OwnerPost,
    email: Annotated[str, Form(max_length=400)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Invite an address with a role (an address with an account joins at once)."""
    t = i18n.translator_for(request)
    try:
        done = invitations.invite(
            session,
            context,
            email=email,
            role=role,
            issuer=console.issuer,
            invited_by=console.user,
            language=t.locale,
            actor=console.principal.actor,
        )
    except AppError as exc:
        session.rollback()
        return _back(console, error=exc.code)
    session.commit()
    if done.mailed:
        WAKE()  # this process's relay sends it now rather than at its next poll
        return _back(console, notice="invited")
    if done.added:
        return _back(console, notice="added")
    # e-mail is off on this service: the owner passes the link on (shown this once, in the
    # page itself: never in a URL, where logs and history would keep it)
    return _users_page(request, session, console, link=done.url or "")


@router.post("/console/{issuer_id}/users/{membership_id}/role", response_class=Response)
def change_role(
    membership_id: uuid.UUID,
    session: SessionDep,
    console: OwnerPost,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Give a member another role (never the last owner away)."""
    try:
        members.change_role(session, console, membership_id, role)
    except members.MemberNotFound:
        raise
    except AppError as exc:
        session.rollback()
        return _back(console, error=exc.code)
    session.commit()
    return _back(console, notice="role_changed")


@router.post("/console/{issuer_id}/users/{membership_id}/remove", response_class=Response)
def remove(membership_id: uuid.UUID, session: SessionDep, console: OwnerPost) -> Response:
    """Remove a member from this issuer (never the last owner)."""
    try:
        members.remove(session, console, membership_id)
    except members.MemberNotFound:
        raise
    except AppError as exc:
        session.rollback()
        return _back(console, error=exc.code)
    session.commit()
    return _back(console, notice="removed")


@router.post(
    "/console/{issuer_id}/users/invitations/{invitation_id}/revoke", response_class=Response
)
def revoke_invitation(
    invitation_id: uuid.UUID, session: SessionDep, console: OwnerPost
) -> Response:
    """Withdraw a pending invitation: its single-use link stops working at once."""
    invitations.revoke(session, console.issuer.id, invitation_id, actor=console.principal.actor)
    session.commit()
    return _back(console, notice="invitation_revoked")
