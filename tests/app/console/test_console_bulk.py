"""The credentials list's search (name, e-mail, achievement, state, issue date, batch) and its
bulk revoke / suspend / unsuspend with one reason, through the API's bulk service."""

from __future__ import annotations

import re
import uuid

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from console_support import csrf_of, make_staff, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import AuditEvent, Batch, BatchRow, StatusEvent


@pytest.fixture
def suspending_issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers, suspensionEnabled=True)


def _listed(page: str) -> set[str]:
    return set(re.findall(r'data-credential="([0-9a-f-]{36})"', page))


def _state(client: TestClient, issuer: IssuerHandle, credential_id: str) -> str:
    read = client.get(f"/api/v1/credentials/{credential_id}", headers=issuer.headers).json()
    return str(read["status"])


def _bulk(
    staff: TestClient, issuer: IssuerHandle, ids: list[str], action: str, reason: str = ""
) -> object:
    shown = staff.get(f"/console/{issuer.id}/credentials")
    assert shown.status_code == 200, shown.text
    return staff.post(
        f"/console/{issuer.id}/credentials/bulk",
        data={
            "credential": ids,
            "action": action,
            "reason": reason,
            "csrf": csrf_of(shown.text),
            "back": "state=active&evil=1",
        },
        headers={"Accept": "text/html"},
    )


def test_the_list_searches_by_name_email_achievement_state_date_and_batch(
    app: FastAPI, client: TestClient, suspending_issuer: IssuerHandle
) -> None:
    issuer = suspending_issuer
    python = make_achievement(client, issuer)
    writing = make_achievement(client, issuer, name="Academic Writing 学术写作")
    ada = issue(
        client, issuer, python["id"], recipient={"email": "ada@example.org", "name": "Ada Lovelace"}
    )
    grace = issue(
        client,
        issuer,
        writing["id"],
        recipient={"email": "grace@example.org", "name": "Grace Hopper"},
        validFrom="2025-01-10T09:00:00Z",
    )
    li = issue(
        client, issuer, writing["id"], recipient={"email": "li@example.org", "name": "李伟 Li Wei"}
    )
    a, g, w = str(ada["id"]), str(grace["id"]), str(li["id"])
    client.post(f"/api/v1/credentials/{w}/suspend", headers=issuer.headers, json={})
    with app.state.sessionmaker() as session:  # a batch that issued Grace's credential
        batch = Batch(
            issuer_id=uuid.UUID(issuer.id),
            achievement_lineage_id=uuid.UUID(writing["id"]),
            proof="both",
            duplicates="skip",
            actor="test",
            state="completed",
        )
        session.add(batch)
        session.flush()
        session.add(
            BatchRow(
                batch_id=batch.id,
                number=2,
                row_key="g",
                request={},
                state="issued",
                credential_id=uuid.UUID(g),
            )
        )
        session.commit()
        batch_id = str(batch.id)
    email, _ = make_staff(app, issuer_id=issuer.id, role="viewer")
    staff = signed_in(app, email)
    base = f"/console/{issuer.id}/credentials"

    assert _listed(staff.get(base).text) == {a, g, w}
    searches = {
        "name=lovelace": {a},  # any part, any case
        "name=%E6%9D%8E%E4%BC%9F": {w},  # 李伟
        "recipient=GRACE@example.org": {g},  # the whole address, any case
        f"achievement={writing['id']}": {g, w},
        "state=suspended": {w},
        "state=active": {a, g},
        "since=2025-01-01&until=2025-01-10": {g},  # whole UTC days, both included
        "since=2025-01-11": {a, w},
        "until=2025-01-09": set(),
        f"batch={batch_id}": {g},
        f"batch={batch_id}&name=ada": set(),
    }
    for query, expected in searches.items():
        page = staff.get(f"{base}?{query}")
        assert page.status_code == 200, query
        assert _listed(page.text) == expected, query
    page = staff.get(f"{base}?since=yesterday&batch=nope&state=gone")
    assert page.status_code == 200
    assert _listed(page.text) == {a, g, w}  # not understood: said, and ignored
    assert "Ignored, not understood: Issued from, Batch id, State." in page.text
    # the achievement filter offers the issuer's achievements by name; a viewer gets no bulk form
    assert "Academic Writing 学术写作" in page.text
    assert 'name="credential"' not in page.text
    assert "/credentials/bulk" not in page.text


def test_an_issuer_revokes_many_with_a_reason_and_sees_each_outcome(
    app: FastAPI,
    client: TestClient,
    suspending_issuer: IssuerHandle,
    other_issuer: IssuerHandle,
) -> None:
    issuer = suspending_issuer
    achievement = make_achievement(client, issuer)
    mine = [
        str(
            issue(
                client,
                issuer,
                achievement["id"],
                recipient={"email": f"l{i}@example.org", "name": f"Learner {i}"},
            )["id"]
        )
        for i in range(3)
    ]
    client.post(f"/api/v1/credentials/{mine[2]}/revoke", headers=issuer.headers, json={})
    theirs = str(issue(client, other_issuer, make_achievement(client, other_issuer)["id"])["id"])
    email, user_id = make_staff(app, issuer_id=issuer.id, role="issuer")
    staff = signed_in(app, email)
    listed = staff.get(f"/console/{issuer.id}/credentials").text
    assert f'name="credential" value="{mine[0]}"' in listed
    assert f'name="credential" value="{mine[2]}"' not in listed  # revoked: nothing to check

    done = _bulk(staff, issuer, [mine[0], mine[1], mine[2], theirs], "revoke", " Exam\n fraud ")
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    text = done.text  # type: ignore[attr-defined]
    assert "Revoked: 2. Already revoked: 1. Not changed: 1." in text
    assert f'data-credential="{mine[0]}" data-outcome="changed"' in text
    assert f'data-credential="{mine[2]}" data-outcome="unchanged"' in text
    # another issuer's credential is "not found": nothing about it is shown
    assert f'data-credential="{theirs}" data-outcome="not_found"' in text
    assert "Not found among this issuer" in text
    assert "Li Wei" not in text
    assert "state=active" in text  # back to the list, same filters
    assert "evil" not in text
    assert [_state(client, issuer, c) for c in mine] == ["revoked"] * 3
    assert _state(client, other_issuer, theirs) == "active"
    with app.state.sessionmaker() as session:
        audits = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "credential.revocation",
                AuditEvent.subject_id.in_(mine[:2]),
            )
        ).all()
        assert {e.actor for e in audits} == {f"staff:{user_id}"}
        assert {e.details["reason"] for e in audits} == {"Exam fraud"}
        events = session.scalars(
            select(StatusEvent).where(StatusEvent.credential_id == uuid.UUID(mine[0]))
        ).all()
        assert [(e.kind, e.reason, e.actor) for e in events] == [
            ("revocation", "Exam fraud", f"staff:{user_id}")
        ]
        assert not session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_id == theirs, AuditEvent.actor.like("staff:%")
            )
        ).all()


def test_bulk_suspend_and_unsuspend_in_chinese(
    app: FastAPI, client: TestClient, suspending_issuer: IssuerHandle
) -> None:
    issuer = suspending_issuer
    achievement = make_achievement(client, issuer)
    ids = [str(issue(client, issuer, achievement["id"])["id"]) for _ in range(2)]
    email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    staff = signed_in(app, email)
    staff.get(f"/console/{issuer.id}/credentials?lang=zh-CN")
    suspended = _bulk(staff, issuer, ids, "suspend", "申诉中")
    assert "已暂停：2。" in suspended.text  # type: ignore[attr-defined]
    assert [_state(client, issuer, c) for c in ids] == ["suspended"] * 2
    lifted = _bulk(staff, issuer, ids[:1], "unsuspend")
    assert "已解除暂停：1。" in lifted.text  # type: ignore[attr-defined]
    assert [_state(client, issuer, c) for c in ids] == ["active", "suspended"]


def test_bulk_without_suspension_entries_reports_each(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    credential = str(issue(client, issuer, make_achievement(client, issuer)["id"])["id"])
    email, _ = make_staff(app, issuer_id=issuer.id, role="issuer")
    staff = signed_in(app, email)
    done = _bulk(staff, issuer, [credential], "suspend")
    assert 'data-outcome="no_status_entry"' in done.text  # type: ignore[attr-defined]
    assert _state(client, issuer, credential) == "active"


def test_bulk_asks_for_an_action_and_a_selection(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    credential = str(issue(client, issuer, make_achievement(client, issuer)["id"])["id"])
    email, _ = make_staff(app, issuer_id=issuer.id, role="issuer")
    staff = signed_in(app, email)
    nothing = _bulk(staff, issuer, [], "revoke")
    assert nothing.status_code == 422  # type: ignore[attr-defined]
    assert "Check at least one credential" in nothing.text  # type: ignore[attr-defined]
    no_action = _bulk(staff, issuer, [credential], "delete")
    assert no_action.status_code == 422  # type: ignore[attr-defined]
    too_many = _bulk(staff, issuer, [str(uuid.uuid4()) for _ in range(201)], "revoke")
    assert too_many.status_code == 422  # type: ignore[attr-defined]
    assert _state(client, issuer, credential) == "active"


@pytest.mark.parametrize("role", ["viewer", "assessor"])
def test_viewers_and_assessors_cannot_bulk_change(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, role: str
) -> None:
    credential = str(issue(client, issuer, make_achievement(client, issuer)["id"])["id"])
    email, _ = make_staff(app, issuer_id=issuer.id, role=role)
    staff = signed_in(app, email)
    token = csrf_of(staff.get("/console/me").text)
    refused = staff.post(
        f"/console/{issuer.id}/credentials/bulk",
        data={"credential": [credential], "action": "revoke", "csrf": token},
        headers={"Accept": "text/html"},
    )
    assert refused.status_code == 403
    assert _state(client, issuer, credential) == "active"


def test_bulk_needs_the_form_token_and_the_issuer(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    credential = str(issue(client, issuer, make_achievement(client, issuer)["id"])["id"])
    email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    staff = signed_in(app, email)
    token = csrf_of(staff.get(f"/console/{issuer.id}/credentials").text)
    forged = staff.post(
        f"/console/{issuer.id}/credentials/bulk",
        data={"credential": [credential], "action": "revoke", "csrf": "x" * 43},
    )
    assert forged.status_code == 403
    cross_site = staff.post(
        f"/console/{issuer.id}/credentials/bulk",
        data={"credential": [credential], "action": "revoke", "csrf": token},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    elsewhere = staff.post(
        f"/console/{other_issuer.id}/credentials/bulk",
        data={"credential": [credential], "action": "revoke", "csrf": token},
    )
    assert elsewhere.status_code == 404
    assert _state(client, issuer, credential) == "active"
