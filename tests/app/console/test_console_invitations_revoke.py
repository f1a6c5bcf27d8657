"""Pending invitations on the Users page: listed, and withdrawn by an owner (the single-use
link stops working; an audit row names who withdrew it)."""

from __future__ import annotations

import uuid

from api_support import IssuerHandle
from console_support import BASE, browser, csrf_of, make_staff, signed_in, unique_email
from fastapi import FastAPI
from sqlalchemy import select

from app.console import invitations
from app.models import AuditEvent, Issuer, StaffInvitation, StaffUser


def _invite(app: FastAPI, issuer_id: str, email: str, role: str = "assessor") -> str:
    with app.state.sessionmaker() as session:
        done = invitations.invite(
            session,
            app.state.context,
            email=email,
            role=role,
            issuer=session.get(Issuer, uuid.UUID(issuer_id)),
            invited_by=None,
            language="en",
            actor="cli",
            mail=False,
        )
        session.commit()
    assert done.url
    return done.url.removeprefix(BASE)


def _invitation_id(app: FastAPI, email: str) -> uuid.UUID:
    with app.state.sessionmaker() as session:
        row = session.scalars(select(StaffInvitation).where(StaffInvitation.email == email)).one()
        return row.id


def test_an_owner_sees_and_withdraws_a_pending_invitation(
    app: FastAPI, issuer: IssuerHandle
) -> None:
    owner_email, owner_id = make_staff(app, issuer_id=issuer.id, role="owner")
    invitee, kept = unique_email("mentor"), unique_email("viewer")
    link = _invite(app, issuer.id, invitee)
    _invite(app, issuer.id, kept, role="viewer")
    owner = signed_in(app, owner_email)
    users = f"/console/{issuer.id}/users"
    page = owner.get(users)
    assert f'data-invitation="{invitee}"' in page.text
    assert f'data-invitation="{kept}"' in page.text
    invitation_id = _invitation_id(app, invitee)
    withdrawn = owner.post(
        f"{users}/invitations/{invitation_id}/revoke", data={"csrf": csrf_of(page.text)}
    )
    assert withdrawn.status_code == 303
    assert "notice=invitation_revoked" in withdrawn.headers["location"]
    after = owner.get(users + "?notice=invitation_revoked")
    assert f'data-invitation="{invitee}"' not in after.text
    assert f'data-invitation="{kept}"' in after.text  # the other one is untouched
    assert "Invitation withdrawn" in after.text

    # the link is dead: its page says gone, and posting to it makes no account
    person = browser(app)
    assert person.get(link, headers={"Accept": "text/html"}).status_code == 410
    person.get("/console/sign-in")  # the pre-session CSRF cookie
    token = person.cookies.get("console_csrf") or ""
    accepted = person.post(
        link,
        data={
            "name": "Mentor",
            "password": "a long enough password",
            "password_again": "a long enough password",
            "csrf": token,
        },
    )
    assert accepted.status_code in (403, 410)
    with app.state.sessionmaker() as session:
        assert session.scalars(select(StaffUser).where(StaffUser.email == invitee)).first() is None
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "staff.invitation_revoked",
                AuditEvent.subject_id == str(invitation_id),
            )
        ).one()
        assert event.actor == f"staff:{owner_id}"
        assert event.issuer_id == uuid.UUID(issuer.id)
        assert event.details["email"] == invitee

    # withdrawing it again: there is no such pending invitation
    again = owner.post(
        f"{users}/invitations/{invitation_id}/revoke", data={"csrf": csrf_of(after.text)}
    )
    assert again.status_code == 404


def test_only_owners_of_the_issuer_withdraw_invitations(
    app: FastAPI, issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    invitee = unique_email("viewer")
    link = _invite(app, issuer.id, invitee, role="viewer")
    invitation_id = _invitation_id(app, invitee)
    path = f"/console/{issuer.id}/users/invitations/{invitation_id}/revoke"
    issuer_email, _ = make_staff(app, issuer_id=issuer.id, role="issuer")
    colleague = signed_in(app, issuer_email)
    token = csrf_of(colleague.get("/console/me").text)
    assert colleague.post(path, data={"csrf": token}).status_code == 403
    # an owner of another issuer: 404 under either issuer's URL
    stranger_email, _ = make_staff(app, issuer_id=other_issuer.id, role="owner")
    stranger = signed_in(app, stranger_email)
    token = csrf_of(stranger.get(f"/console/{other_issuer.id}/users").text)
    assert stranger.post(path, data={"csrf": token}).status_code == 404
    theirs = f"/console/{other_issuer.id}/users/invitations/{invitation_id}/revoke"
    assert stranger.post(theirs, data={"csrf": token}).status_code == 404
    # an owner without the form's token
    owner_email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    owner = signed_in(app, owner_email)
    assert owner.post(path, data={"csrf": "forged"}).status_code == 403
    # still pending: its page still opens
    assert browser(app).get(link, headers={"Accept": "text/html"}).status_code == 200
