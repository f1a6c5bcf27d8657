"""Endorsements in the console: a partner's staff endorse another issuer's achievement (signed
with the partner's key, pending); the owner's staff see it, accept one and decline another,
which the API shows afterwards; a viewer only reads; the endorser cannot decide; CSRF needed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_support import IssuerHandle, make_achievement, make_issuer
from console_support import csrf_of, make_staff, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import AuditEvent


@pytest.fixture
def owner_issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers)


@pytest.fixture
def partner(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers, name={"en": "Partner Corp", "zh-CN": "合作公司"})


def _endorse(staff: TestClient, issuer: IssuerHandle, target: str, **comments: str) -> Any:
    page = staff.get(f"/console/{issuer.id}/endorsements")
    assert page.status_code == 200, page.text
    data = {"csrf": csrf_of(page.text), "target_type": "achievement", "target": target}
    data.update({f"comment_{k.replace('_', '-')}": v for k, v in comments.items()})
    return staff.post(f"/console/{issuer.id}/endorsements/new", data=data)


def _listed(client: TestClient, target: str, headers: dict[str, str] | None = None) -> list[Any]:
    found = client.get("/api/v1/endorsements", params={"target": target}, headers=headers or {})
    assert found.status_code == 200, found.text
    rows: list[Any] = found.json()
    return rows


def test_endorse_accept_and_decline_through_the_console(
    app: FastAPI, client: TestClient, owner_issuer: IssuerHandle, partner: IssuerHandle
) -> None:
    first = make_achievement(client, owner_issuer, name="Translation I")
    second = make_achievement(client, owner_issuer, name="Translation II")
    own = make_achievement(client, partner, name="Partner's own")
    partner_email, partner_user = make_staff(app, issuer_id=partner.id, role="issuer")
    partner_staff = signed_in(app, partner_email)

    # endorse by the achievement's public link, and by its id (two languages)
    link = f"https://badges.test/achievements/{first['id']}/v1"
    made = _endorse(partner_staff, partner, link, en="Industry-ready graduates.")
    assert made.status_code == 303
    assert "notice=created" in made.headers["location"], made.headers["location"]
    made = _endorse(partner_staff, partner, second["id"], en="Good.", zh_CN="很好。")
    assert "notice=created" in made.headers["location"]
    # not its own work, not nothing, not an unknown id
    assert "error=self" in _endorse(partner_staff, partner, own["id"], en="x").headers["location"]
    assert "error=comment" in _endorse(partner_staff, partner, first["id"]).headers["location"]
    assert "error=target" in _endorse(partner_staff, partner, "nothing", en="x").headers["location"]
    missing = _endorse(partner_staff, partner, "00000000-0000-4000-8000-000000000001", en="x")
    assert "error=target_missing" in missing.headers["location"]

    given = partner_staff.get(f"/console/{partner.id}/endorsements")
    assert "Translation I" in given.text
    assert "Industry-ready graduates." in given.text
    assert "/accept" not in given.text  # the endorser does not decide
    with app.state.sessionmaker() as session:
        created = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "endorsement.create")
        ).all()
        assert {e.actor for e in created} == {f"staff:{partner_user}"}

    # the owner's side: both pending, with the partner's name
    owner_email, owner_user = make_staff(app, issuer_id=owner_issuer.id, role="owner")
    owner = signed_in(app, owner_email)
    page = owner.get(f"/console/{owner_issuer.id}/endorsements")
    rows = re.findall(r'<tr data-endorsement="([0-9a-f-]+)" data-state="(\w+)">', page.text)
    assert [state for _, state in rows] == ["pending", "pending"]
    assert "Partner Corp" in page.text
    assert "很好。" in page.text
    # the endorser's staff cannot decide on the owner's behalf (not theirs: 404)
    by_id = {
        e["targetId"]: e["id"]
        for e in _listed(client, first["id"], owner_issuer.headers)
        + _listed(client, second["id"], owner_issuer.headers)
    }
    refused = partner_staff.post(
        f"/console/{partner.id}/endorsements/{by_id[first['id']]}/accept",
        data={"csrf": csrf_of(given.text)},
    )
    assert refused.status_code == 404
    # a viewer reads and cannot decide
    viewer = signed_in(app, make_staff(app, issuer_id=owner_issuer.id, role="viewer")[0])
    seen = viewer.get(f"/console/{owner_issuer.id}/endorsements")
    assert seen.status_code == 200
    assert "/accept" not in seen.text
    assert (
        viewer.post(
            f"/console/{owner_issuer.id}/endorsements/{by_id[first['id']]}/accept",
            data={"csrf": csrf_of(seen.text)},
        ).status_code
        == 403
    )
    # without the CSRF token: refused
    assert (
        owner.post(
            f"/console/{owner_issuer.id}/endorsements/{by_id[first['id']]}/accept"
        ).status_code
        == 403
    )

    token = csrf_of(page.text)
    accepted = owner.post(
        f"/console/{owner_issuer.id}/endorsements/{by_id[first['id']]}/accept", data={"csrf": token}
    )
    assert "notice=accepted" in accepted.headers["location"]
    declined = owner.post(
        f"/console/{owner_issuer.id}/endorsements/{by_id[second['id']]}/decline",
        data={"csrf": token},
    )
    assert "notice=declined" in declined.headers["location"]
    again = owner.post(
        f"/console/{owner_issuer.id}/endorsements/{by_id[second['id']]}/accept",
        data={"csrf": token},
    )
    assert "error=decided" in again.headers["location"]

    # the API afterwards: the accepted one is public, the declined one is the owner's to see
    public = _listed(client, first["id"])
    assert [e["state"] for e in public] == ["accepted"]
    assert _listed(client, second["id"]) == []
    assert {e["state"] for e in _listed(client, second["id"], owner_issuer.headers)} == {"declined"}
    with app.state.sessionmaker() as session:
        decided = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action.in_(["endorsement.accept", "endorsement.decline"])
            )
        ).all()
        assert {e.actor for e in decided} == {f"staff:{owner_user}"}
    page = owner.get(f"/console/{owner_issuer.id}/endorsements?lang=zh-CN")
    assert "已接受" in page.text
    assert "已拒绝" in page.text

    # staff of another issuer: 404
    assert partner_staff.get(f"/console/{owner_issuer.id}/endorsements").status_code == 404
