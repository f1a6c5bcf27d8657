"""``/console/me``: the signed-in person's own account: sign out everywhere, and the
authenticator app (TOTP) on or off.

Turning TOTP on takes two posts: the first shows a new secret (QR code and text) and carries it
sealed in the form; the second stores it once a code from the app matches, so nobody is locked
out by a secret their app never got. Turning it off takes the password and a current code.
Each change is an audit row with the person as actor.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.console import pages, passwords, totp
from app.console.access import Staff, StaffPost
from app.console.auth_service import actor_of
from app.console.session import SignedIn
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.models import StaffUser
from app.web import qr

router = APIRouter(tags=["console"], include_in_schema=False)

NOTICES = frozenset({"totp_on", "totp_off"})


def _me_page(
    request: Request,
    signed: SignedIn,
    *,
    status_code: int = 200,
    enrol: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    notice = request.query_params.get("notice", "")
    return pages.page(
        request,
        "console_me.html",
        status_code=status_code,
        signed=signed,
        totp_on=totp.required(signed.user),
        notice=notice if notice in NOTICES else "",
        enrol=enrol,
        error=error,
    )


@router.get("/console/me", response_class=Response)
def me(request: Request, signed: Staff) -> Response:
    """Who is signed in: sessions, and the authenticator app."""
    return _me_page(request, signed)


def _record(session: Session, user: StaffUser, action: str) -> None:
    audit.record(
        session, actor=actor_of(user), action=action, subject_type="staff_user", subject_id=user.id
    )


@router.post("/console/me/totp", response_class=Response)
def totp_change(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    signed: StaffPost,
    step: Annotated[str, Form(max_length=10)] = "",
    sealed: Annotated[str, Form(max_length=500)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """``step``: ``start`` (show a new secret), ``confirm`` (store it if ``code`` matches) or
    ``off`` (with the password and a current code)."""
    user = signed.user
    if step == "start":
        fresh = totp.new_secret()
        return _me_page(request, signed, enrol=_enrolment(context, user, fresh))
    if step == "confirm":
        secret = totp.open_pending(context, user, sealed)
        if secret is None:
            return _me_page(request, signed, status_code=400, error="console.me.totp_expired")
        if not totp.code_matches(secret, code):
            return _me_page(
                request,
                signed,
                status_code=400,
                enrol=_enrolment(context, user, secret),
                error="console.me.totp_wrong",
            )
        totp.store(context, user, secret)
        _record(session, user, "staff.totp_enabled")
        session.commit()
        return pages.redirect("/console/me?notice=totp_on")
    if step == "off" and totp.required(user):
        valid, _ = passwords.verify(password, user.password_hash)
        if not (valid and totp.check(context, user, code)):
            return _me_page(request, signed, status_code=400, error="console.me.totp_off_refused")
        totp.store(context, user, None)
        _record(session, user, "staff.totp_disabled")
        session.commit()
        return pages.redirect("/console/me?notice=totp_off")
    return _me_page(request, signed, status_code=400, error="console.error.generic")


def _enrolment(context: ContextDep, user: StaffUser, secret: str) -> dict[str, str]:
    link = totp.uri(secret, user.email)
    return {
        "qr": qr.svg_data_uri(link),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "sealed": totp.seal_pending(context, user, secret),
    }
