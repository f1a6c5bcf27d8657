"""The assessor workflow: an owner assigns modules to an assessor (audited); the assessor sees
the learners of those modules only, records a learner's results and evidence, which issues the
module's credential with the assessor as ``credentialSubject.source`` and as the audit actor;
another module is 403 (page and post), revoking is 403, the CSRF token is required."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from console_support import csrf_of, make_staff, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import Achievement, AuditEvent, Credential, StaffMembership

RUBRIC = [
    {"id": "urn:uuid:00000000-0000-4000-8000-0000000000a1", "name": "Developing"},
    {"id": "urn:uuid:00000000-0000-4000-8000-0000000000a2", "name": "Exemplary"},
]


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers)


def _module(client: TestClient, issuer: IssuerHandle, name: str) -> dict[str, Any]:
    return make_achievement(
        client,
        issuer,
        name=name,
        resultDescription=[
            {"name": "Final grade", "resultType": "LetterGrade", "allowedValue": ["C", "B", "A"]},
            {
                "name": "Industry project",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": RUBRIC,
            },
        ],
    )


def _assign(owner: TestClient, issuer: IssuerHandle, membership: uuid.UUID, *lineages: str) -> Any:
    page = owner.get(f"/console/{issuer.id}/assessors")
    assert page.status_code == 200, page.text
    return owner.post(
        f"/console/{issuer.id}/assessors/{membership}",
        data={"csrf": csrf_of(page.text), "modules": list(lineages)},
    )


def _membership(app: FastAPI, user_id: uuid.UUID) -> StaffMembership:
    with app.state.sessionmaker() as session:
        found: StaffMembership = session.scalars(
            select(StaffMembership).where(StaffMembership.user_id == user_id)
        ).one()
        return found


def test_an_assessor_records_results_and_evidence_for_an_assigned_module_only(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    owner = signed_in(app, make_staff(app, issuer_id=issuer.id, role="owner")[0])
    email, assessor_id = make_staff(
        app, issuer_id=issuer.id, role="assessor", name="Prof. Zhang Wei"
    )
    module_a, module_b, module_c = (
        _module(client, issuer, name) for name in ("Module A", "Module B", "Module C")
    )
    a, b, c = (str(m["id"]) for m in (module_a, module_b, module_c))
    # a program counts A and C: C's holders pursue A too
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Program"},
            "description": {"en": "P"},
            "modules": [a, c],
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    issue(client, issuer, c, recipient={"email": "pursuing@example.org", "name": "Pursuing"})
    issue(client, issuer, b, recipient={"email": "only-b@example.org", "name": "Only B"})

    membership = _membership(app, assessor_id)
    assigned = _assign(owner, issuer, membership.id, a)
    assert assigned.status_code == 303, assigned.text
    assert _membership(app, assessor_id).assigned_modules == [a]
    with app.state.sessionmaker() as session:
        row = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.modules_assigned")
        ).one()
        assert row.subject_id == str(assessor_id)
        assert row.details == {"from": [], "to": [a]}
    # assigning to a non-assessor, or another issuer's achievement, is refused
    viewer_id = make_staff(app, issuer_id=issuer.id, role="viewer")[1]
    refused = _assign(owner, issuer, _membership(app, viewer_id).id, a)
    assert "error=console_not_assessor" in refused.headers["location"]
    unknown = _assign(owner, issuer, membership.id, str(uuid.uuid4()))
    assert "error=console_unknown_module" in unknown.headers["location"]

    assessor = signed_in(app, email)
    home = assessor.get(f"/console/{issuer.id}/assess")
    assert home.status_code == 200
    assert "Module A" in home.text
    assert "Module B" not in home.text
    assert f"/console/{issuer.id}/assess" in home.text  # the navigation shows the section

    page = assessor.get(f"/console/{issuer.id}/assess/{a}")
    assert page.status_code == 200, page.text
    assert 'data-learner="pursuing@example.org"' in page.text
    assert "only-b@example.org" not in page.text  # another module's learner
    # module B: neither its page (its learners) nor a post
    assert assessor.get(f"/console/{issuer.id}/assess/{b}").status_code == 403
    token = csrf_of(page.text)
    other = assessor.post(
        f"/console/{issuer.id}/assess/{b}",
        data={"csrf": token, "recipient_email": "only-b@example.org", "action": "issue"},
    )
    assert other.status_code == 403

    # the form, opened for a learner, has them filled in
    form = assessor.get(f"/console/{issuer.id}/assess/{a}?learner=Pursuing@example.org")
    assert 'value="pursuing@example.org"' in form.text
    assert 'value="Pursuing"' in form.text
    once = re.search(r'name="once" value="([^"]+)"', form.text)
    assert once
    recorded = assessor.post(
        f"/console/{issuer.id}/assess/{a}",
        data={
            "csrf": csrf_of(form.text),
            "once": once.group(1),
            "recipient_name": "Pursuing",
            "recipient_email": "pursuing@example.org",
            "res-0-value": "A",
            "res-1-level": RUBRIC[1]["id"],
            "ev-0-url": "https://portfolio.example.org/project",
            "ev-0-name": "Capstone",
            "ev-0-narrative": "Delivered the partner's translation memory.",
            "action": "issue",
        },
    )
    assert recorded.status_code == 303, recorded.text
    location = recorded.headers["location"]
    credential_id = re.search(r"credential=([0-9a-f-]{36})", location)
    assert credential_id, location
    done = assessor.get(location)
    assert 'id="recorded"' in done.text

    signed = client.get(f"/credentials/{credential_id.group(1)}.json").json()
    subject = signed["credentialSubject"]
    assert subject["source"] == {
        "type": ["Profile"],
        "id": f"urn:uuid:{assessor_id}",
        "name": "Prof. Zhang Wei",
    }
    results = {r["resultDescription"]: r for r in subject["result"]}
    descriptions = {rd["name"]: rd["id"] for rd in module_a["resultDescription"]}
    assert results[descriptions["Final grade"]]["value"] == "A"
    assert results[descriptions["Industry project"]]["achievedLevel"] == RUBRIC[1]["id"]
    assert signed["evidence"][0]["id"] == "https://portfolio.example.org/project"
    assert signed["evidence"][0]["narrative"].startswith("Delivered")
    assert "proof" in signed
    with app.state.sessionmaker() as session:
        credential = session.get(Credential, uuid.UUID(credential_id.group(1)))
        assert credential is not None
        assert credential.recipient_email == "pursuing@example.org"
        actors = {
            e.actor
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.subject_id == credential_id.group(1))
            )
        }
        assert f"staff:{assessor_id}" in actors

    # an assessor cannot revoke (nor open the credentials pages), nor open programs
    refused_revoke = assessor.post(
        f"/console/{issuer.id}/credentials/{credential_id.group(1)}/status",
        data={"csrf": token, "action": "revoke", "reason": "no"},
    )
    assert refused_revoke.status_code == 403
    assert assessor.get(f"/console/{issuer.id}/credentials").status_code == 403
    assert assessor.get(f"/console/{issuer.id}/assessors").status_code == 403
    # and the CSRF token is required
    no_token = assessor.post(
        f"/console/{issuer.id}/assess/{a}",
        data={"recipient_email": "x@example.org", "action": "issue"},
    )
    assert no_token.status_code == 403


def test_errors_keep_the_form_and_other_roles_and_issuers_are_refused(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, admin_headers: dict[str, str]
) -> None:
    email, assessor_id = make_staff(app, issuer_id=issuer.id, role="assessor")
    module = str(_module(client, issuer, "Module A")["id"])
    with app.state.sessionmaker() as session:
        row = session.scalars(
            select(StaffMembership).where(StaffMembership.user_id == assessor_id)
        ).one()
        # a version id (not the lineage) is read too
        version = session.scalars(
            select(Achievement.id).where(Achievement.lineage_id == uuid.UUID(module))
        ).one()
        assert version != uuid.UUID(module)
        row.assigned_modules = [str(version)]
        session.commit()
    assessor = signed_in(app, email)
    page = assessor.get(f"/console/{issuer.id}/assess/{module}")
    assert page.status_code == 200
    bad = assessor.post(
        f"/console/{issuer.id}/assess/{module}",
        data={"csrf": csrf_of(page.text), "recipient_name": "Kept", "action": "issue"},
    )
    assert bad.status_code == 422
    assert 'value="Kept"' in bad.text
    assert 'aria-invalid="true"' in bad.text

    # an issuer (not an assessor) is sent to the issue page's own workflow: 403 here
    issuer_staff = signed_in(app, make_staff(app, issuer_id=issuer.id, role="issuer")[0])
    assert issuer_staff.get(f"/console/{issuer.id}/assess").status_code == 403
    # another issuer's staff: 404
    other = make_issuer(client, admin_headers)
    stranger = signed_in(app, make_staff(app, issuer_id=other.id, role="assessor")[0])
    assert stranger.get(f"/console/{issuer.id}/assess/{module}").status_code == 404
    # an assessor of the other issuer assigned this module id gets nothing of it
    with app.state.sessionmaker() as session:
        for membership in session.scalars(
            select(StaffMembership).where(StaffMembership.issuer_id == uuid.UUID(other.id))
        ):
            membership.assigned_modules = [module]
        session.commit()
    assert stranger.get(f"/console/{other.id}/assess/{module}").status_code == 403
    assert "Module A" not in stranger.get(f"/console/{other.id}/assess").text
