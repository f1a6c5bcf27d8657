"""Roles at an issuer, isolation between issuers, the audit log view and its CSV, and the
credentials workflow (revoke / suspend / unsuspend) through the API's own service."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from console_support import browser, csrf_of, make_staff, post_form, signed_in, unique_email
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import AuditEvent, StaffMembership, StatusEvent


@pytest.fixture
def suspending_issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers, suspensionEnabled=True)


def _credential(client: TestClient, issuer: IssuerHandle, email: str = "ada@example.org") -> str:
    achievement = make_achievement(client, issuer)
    return str(issue(client, issuer, achievement["id"], recipient={"email": email})["id"])


def _change(
    staff: TestClient, issuer: IssuerHandle, credential_id: str, action: str, reason: str = ""
) -> object:
    page = f"/console/{issuer.id}/credentials/{credential_id}"
    shown = staff.get(page)
    assert shown.status_code == 200, shown.text
    return staff.post(
        f"{page}/status",
        data={"action": action, "reason": reason, "csrf": csrf_of(shown.text)},
        headers={"Accept": "text/html"},
    )


def test_an_issuer_revokes_suspends_and_unsuspends_with_the_staff_member_as_actor(
    app: FastAPI, client: TestClient, suspending_issuer: IssuerHandle
) -> None:
    issuer = suspending_issuer
    email, user_id = make_staff(app, issuer_id=issuer.id, role="issuer")
    staff = signed_in(app, email)
    first, second = _credential(client, issuer), _credential(client, issuer, "grace@example.org")
    listed = staff.get(f"/console/{issuer.id}/credentials")
    assert listed.status_code == 200
    assert first in listed.text
    assert second in listed.text
    only_grace = staff.get(f"/console/{issuer.id}/credentials?recipient=grace@example.org")
    assert second in only_grace.text
    assert first not in only_grace.text

    suspended = _change(staff, issuer, first, "suspend", "Under review")
    assert suspended.status_code == 303  # type: ignore[attr-defined]
    assert "notice=suspend" in suspended.headers["location"]  # type: ignore[attr-defined]
    assert _state(client, issuer, first) == "suspended"
    assert _change(staff, issuer, first, "unsuspend", "Cleared").status_code == 303  # type: ignore[attr-defined]
    assert _state(client, issuer, first) == "active"
    assert _change(staff, issuer, first, "revoke", "  Plagiarism\n found ").status_code == 303  # type: ignore[attr-defined]
    assert _state(client, issuer, first) == "revoked"
    page = staff.get(f"/console/{issuer.id}/credentials/{first}")
    assert 'id="credential-state">Revoked' in page.text
    assert 'name="action"' not in page.text  # nothing left to change
    # a second revocation of the same credential changes nothing; suspending it is refused
    again = _change(staff, issuer, first, "suspend")
    assert "error=credential_revoked" in again.headers["location"]  # type: ignore[attr-defined]

    with app.state.sessionmaker() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id == first)
            .order_by(AuditEvent.created_at, AuditEvent.action)
        ).all()
        staff_events = [e for e in events if e.actor == f"staff:{user_id}"]
        assert {e.action for e in staff_events} == {
            "credential.suspension",
            "credential.unsuspension",
            "credential.revocation",
        }
        revoked = next(e for e in staff_events if e.action == "credential.revocation")
        assert revoked.details["reason"] == "Plagiarism found"
        history = session.scalars(
            select(StatusEvent).where(StatusEvent.credential_id == uuid.UUID(first))
        ).all()
        assert {h.actor for h in history} == {f"staff:{user_id}"}


def _state(client: TestClient, issuer: IssuerHandle, credential_id: str) -> str:
    read = client.get(f"/api/v1/credentials/{credential_id}", headers=issuer.headers).json()
    return str(read["status"])


@pytest.mark.parametrize("role", ["viewer", "assessor"])
def test_viewers_and_assessors_cannot_change_a_credential(
    app: FastAPI, client: TestClient, suspending_issuer: IssuerHandle, role: str
) -> None:
    issuer = suspending_issuer
    credential = _credential(client, issuer)
    email, _ = make_staff(app, issuer_id=issuer.id, role=role)
    staff = signed_in(app, email)
    dashboard = staff.get(f"/console/{issuer.id}").text
    if role == "viewer":
        page = staff.get(f"/console/{issuer.id}/credentials/{credential}")
        assert page.status_code == 200
        assert 'name="action"' not in page.text
        token = csrf_of(page.text)
        assert f"/console/{issuer.id}/audit" in dashboard
    else:
        refused = staff.get(
            f"/console/{issuer.id}/credentials/{credential}", headers={"Accept": "text/html"}
        )
        assert refused.status_code == 403
        assert "Not allowed" in refused.text
        assert f"/console/{issuer.id}/credentials" not in dashboard
        assert staff.get(f"/console/{issuer.id}/audit").status_code == 403
        token = csrf_of(staff.get("/console/me").text)
    for action in ("revoke", "suspend"):
        response = staff.post(
            f"/console/{issuer.id}/credentials/{credential}/status",
            data={"action": action, "reason": "no", "csrf": token},
            headers={"Accept": "text/html"},
        )
        assert response.status_code == 403, response.text
        assert "Not allowed" in response.text
    assert _state(client, issuer, credential) == "active"
    assert staff.get(f"/console/{issuer.id}/users").status_code == 403


def test_staff_of_one_issuer_never_see_another(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    theirs = _credential(client, other_issuer)
    email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    staff = signed_in(app, email)
    home = staff.get("/console").text
    assert issuer.id in home
    assert other_issuer.id not in home
    for path in (
        f"/console/{other_issuer.id}",
        f"/console/{other_issuer.id}/users",
        f"/console/{other_issuer.id}/audit",
        f"/console/{other_issuer.id}/audit.csv",
        f"/console/{other_issuer.id}/credentials",
        f"/console/{other_issuer.id}/credentials/{theirs}",
        f"/console/{issuer.id}/credentials/{theirs}",  # B's credential under A's own URL
        f"/console/{uuid.uuid4()}",
    ):
        assert staff.get(path).status_code == 404, path
    token = csrf_of(staff.get(f"/console/{issuer.id}").text)
    for path, data in (
        (f"/console/{issuer.id}/credentials/{theirs}/status", {"action": "revoke"}),
        (f"/console/{other_issuer.id}/credentials/{theirs}/status", {"action": "revoke"}),
        (f"/console/{other_issuer.id}/users/invite", {"email": unique_email(), "role": "owner"}),
    ):
        assert staff.post(path, data={**data, "csrf": token}).status_code == 404, path
    assert _state(client, other_issuer, theirs) == "active"


def test_the_last_owner_cannot_leave_and_roles_change(app: FastAPI, issuer: IssuerHandle) -> None:
    owner_email, owner_id = make_staff(app, issuer_id=issuer.id, role="owner")
    viewer_email, viewer_id = make_staff(app, issuer_id=issuer.id, role="viewer", name="Vic Viewer")
    owner = signed_in(app, owner_email)
    users_page = f"/console/{issuer.id}/users"
    with app.state.sessionmaker() as session:
        memberships = {
            m.user_id: m.id
            for m in session.scalars(
                select(StaffMembership).where(StaffMembership.issuer_id == uuid.UUID(issuer.id))
            )
        }
    mine, theirs = memberships[owner_id], memberships[viewer_id]
    for action, data in ((f"{mine}/remove", {}), (f"{mine}/role", {"role": "viewer"})):
        refused = post_form(owner, users_page, f"{users_page}/{action}", data)
        assert "error=console_last_owner" in refused.headers["location"]  # type: ignore[attr-defined]
    promoted = post_form(owner, users_page, f"{users_page}/{theirs}/role", {"role": "owner"})
    assert "notice=role_changed" in promoted.headers["location"]  # type: ignore[attr-defined]
    # with two owners, the first may step down, and the second may remove the first
    assert (
        "notice=role_changed"
        in post_form(owner, users_page, f"{users_page}/{mine}/role", {"role": "issuer"}).headers[
            "location"
        ]
    )  # type: ignore[attr-defined]
    assert owner.get(users_page).status_code == 403
    second = signed_in(app, viewer_email)
    removed = post_form(second, users_page, f"{users_page}/{mine}/remove", {})
    assert "notice=removed" in removed.headers["location"]  # type: ignore[attr-defined]
    assert owner.get(f"/console/{issuer.id}").status_code == 404  # access gone at once
    with app.state.sessionmaker() as session:
        actions = [
            (e.action, e.actor)
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.issuer_id == uuid.UUID(issuer.id))
                .order_by(AuditEvent.created_at)
            )
        ]
    assert ("staff.role_changed", f"staff:{owner_id}") in actions
    assert ("staff.removed", f"staff:{viewer_id}") in actions


def test_the_audit_log_filters_pages_and_exports_csv(
    app: FastAPI, client: TestClient, suspending_issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    issuer = suspending_issuer
    email, user_id = make_staff(app, issuer_id=issuer.id, role="issuer")
    staff = signed_in(app, email)
    credentials = [_credential(client, issuer, f"l{i}@example.org") for i in range(3)]
    _credential(client, other_issuer)  # never shown
    _change(staff, issuer, credentials[0], "revoke", '=HYPERLINK("http://evil")')
    page = staff.get(f"/console/{issuer.id}/audit")
    assert page.status_code == 200
    assert email in page.text  # the staff actor is shown by address
    assert "credential.revocation" in page.text
    assert "credential.issue" in page.text
    assert other_issuer.id not in page.text
    mine = staff.get(f"/console/{issuer.id}/audit", params={"actor": f"staff:{user_id}"})
    assert mine.text.count('data-action="') == 1
    by_action = staff.get(f"/console/{issuer.id}/audit", params={"action": "credential.issue"})
    assert by_action.text.count('data-action="credential.issue"') == 3
    assert 'data-action="credential.revocation"' not in by_action.text
    by_object = staff.get(
        f"/console/{issuer.id}/audit",
        params={"subject_type": "credential", "subject_id": credentials[0]},
    )
    assert by_object.text.count('data-action="') == 2  # issued, then revoked
    future = staff.get(f"/console/{issuer.id}/audit", params={"since": "2999-01-01"})
    assert 'data-action="' not in future.text
    today = staff.get(
        f"/console/{issuer.id}/audit", params={"since": "2000-01-01", "until": "2999-12-31"}
    )
    assert today.text.count('data-action="') >= 4
    assert (
        staff.get(f"/console/{issuer.id}/audit", params={"since": "yesterday"}).status_code == 400
    )

    exported = staff.get(f"/console/{issuer.id}/audit.csv", params={"subject_id": credentials[0]})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    # newest first; both may fall in the same second (times are whole seconds)
    assert sorted(r["action"] for r in rows) == ["credential.issue", "credential.revocation"]
    assert rows[0]["time"] >= rows[1]["time"]
    revoked = next(r for r in rows if r["action"] == "credential.revocation")
    assert revoked["actor"] == f"staff:{user_id}"
    assert revoked["actor_email"] == email
    assert revoked["subject_id"] == credentials[0]
    assert revoked["details"].startswith('{"reason": "=HYPERLINK')  # inside JSON: never a formula
    # nothing in the console can write to the log: no route takes a post there
    assert staff.post(f"/console/{issuer.id}/audit").status_code == 405


def test_the_audit_log_pages_by_key(app: FastAPI, client: TestClient, issuer: IssuerHandle) -> None:
    from app.audit import service as audit
    from app.console import audit_view

    with app.state.sessionmaker() as session:
        for n in range(audit_view.PAGE_SIZE + 5):
            audit.record(
                session,
                actor="cli",
                action="test.paging",
                subject_type="thing",
                subject_id=f"thing-{n}",
                issuer_id=uuid.UUID(issuer.id),
            )
        session.commit()
    email, _ = make_staff(app, issuer_id=issuer.id, role="viewer")
    staff = signed_in(app, email)
    first = staff.get(f"/console/{issuer.id}/audit", params={"action": "test.paging"})
    assert first.text.count('data-action="test.paging"') == audit_view.PAGE_SIZE
    assert f"{audit_view.PAGE_SIZE + 5} entries" in first.text
    import re

    older = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert older
    second = staff.get(older.group(1).replace("&amp;", "&"))
    assert second.text.count('data-action="test.paging"') == 5
    assert 'rel="next"' not in second.text
    assert staff.get(f"/console/{issuer.id}/audit?before=garbage").status_code == 400


def test_api_keys_and_the_admin_token_are_not_console_sessions(
    client: TestClient, issuer: IssuerHandle, admin_headers: dict[str, str]
) -> None:
    for headers in (issuer.headers, admin_headers):
        response = client.get(f"/console/{issuer.id}", headers=headers, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/sign-in")
        posted = client.post(f"/console/{issuer.id}/users/invite", headers=headers)
        assert posted.status_code == 401


def test_pages_are_bilingual(app: FastAPI, issuer: IssuerHandle) -> None:
    email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    staff = signed_in(app, email)
    first = staff.get(f"/console/{issuer.id}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert first.headers["content-language"] == "zh-CN"  # no choice made yet: the browser's
    for path in ("", "/users", "/audit", "/credentials"):
        zh = staff.get(f"/console/{issuer.id}{path}?lang=zh-CN")
        assert zh.status_code == 200
        assert zh.headers["content-language"] == "zh-CN"
        assert "工作人员控制台" in zh.text
        en = staff.get(f"/console/{issuer.id}{path}?lang=en")
        assert en.headers["content-language"] == "en"
        assert "Staff console" in en.text
    assert "console." not in browser(app).get("/console/sign-in?lang=zh-CN").text.replace(
        "/console", ""
    )


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    from app.console.audit_view import _cell

    assert [_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "plain", "")] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "plain",
        "",
    ]


def test_the_timing_decoy_has_the_parameters_of_real_hashes() -> None:
    """An unknown address must cost what a known one does: the decoy hash is made with the
    hasher's current parameters (a pwdlib upgrade that changes them fails here)."""
    from app.console import passwords

    real = passwords.hash_password("some password here")
    assert real.rsplit("$", 2)[0] == passwords._DUMMY_HASH.rsplit("$", 2)[0]
    assert passwords.verify("x" * 12, None) == (False, None)
