"""Issue one credential from the console: results per ResultDescription and evidence end up in
the signed credential; errors of the API's model and of the issuing service are shown next to
their fields with the values kept; the staff member is the audit actor; a double post issues
once; another achievement than the form showed is not issued blindly."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from api_support import IssuerHandle, make_achievement, make_issuer
from console_support import csrf_of, make_staff, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.models import AuditEvent, Credential, OutboxEvent


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers)


@pytest.fixture
def achievement(client: TestClient, issuer: IssuerHandle) -> dict[str, Any]:
    return make_achievement(
        client,
        issuer,
        resultDescription=[
            {"name": "Final grade", "resultType": "LetterGrade", "allowedValue": ["C", "B", "A"]},
            {
                "name": "Project rubric",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": [
                    {"id": "urn:uuid:00000000-0000-4000-8000-00000000000a", "name": "Developing"},
                    {"id": "urn:uuid:00000000-0000-4000-8000-00000000000b", "name": "Exemplary"},
                ],
            },
            {"name": "Exam score", "resultType": "Percent"},
            {"name": "Enrolment", "resultType": "Status"},
        ],
    )


@pytest.fixture
def staff(app: FastAPI, issuer: IssuerHandle) -> tuple[TestClient, uuid.UUID]:
    email, user_id = make_staff(app, issuer_id=issuer.id, role="issuer")
    return signed_in(app, email), user_id


def _form(client: TestClient, issuer: IssuerHandle, lineage: str) -> tuple[str, dict[str, str]]:
    page = client.get(f"/console/{issuer.id}/issue?achievement={lineage}")
    assert page.status_code == 200, page.text
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    return page.text, hidden


GOOD = {
    "recipient_name": "Li Na",
    "recipient_email": "Li.Na@Example.org",
    "recipient_did": "",
    "res-0-value": "A",
    "res-1-level": "urn:uuid:00000000-0000-4000-8000-00000000000b",
    "res-2-value": "87",
    "res-3-status": "Completed",
    "ev-0-url": "https://portfolio.example/li-na/project",
    "ev-0-name": "Final project",
    "ev-0-narrative": "A study of bike-share data.",
    "ev-1-url": "",
    "ev-1-name": "",
    "ev-1-narrative": "",
    "ev-2-url": "",
    "ev-2-name": "Presentation",
    "ev-2-narrative": "Given to the department.",
    "action": "issue",
}


def test_issue_one_with_results_and_evidence_signed_in_the_credential(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    staff: tuple[TestClient, uuid.UUID],
) -> None:
    browser, user_id = staff
    page, hidden = _form(browser, issuer, achievement["id"])
    for label in ("Final grade", "Project rubric", "Exam score", "Enrolment"):
        assert label in page
    assert '<option value="urn:uuid:00000000-0000-4000-8000-00000000000b">Exemplary' in page
    assert 'name="notify" type="checkbox" value="1" checked' in page
    response = browser.post(
        f"/console/{issuer.id}/issue", data={**hidden, **GOOD}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 303, response.text
    match = re.fullmatch(
        rf"/console/{issuer.id}/credentials/([0-9a-f-]{{36}})", response.headers["location"]
    )
    assert match, response.headers["location"]
    credential_id = match.group(1)
    assert browser.get(response.headers["location"]).status_code == 200

    signed = client.get(f"/credentials/{credential_id}.json").json()
    assert "proof" in signed
    subject = signed["credentialSubject"]
    ids = [rd["id"] for rd in achievement["resultDescription"]]
    results = {r["resultDescription"]: r for r in subject["result"]}
    assert results[ids[0]]["value"] == "A"
    assert results[ids[1]]["achievedLevel"] == "urn:uuid:00000000-0000-4000-8000-00000000000b"
    assert results[ids[2]]["value"] == "87"
    assert results[ids[3]]["status"] == "Completed"
    assert [(e.get("id"), e.get("name"), e.get("narrative")) for e in signed["evidence"]] == [
        (
            "https://portfolio.example/li-na/project",
            "Final project",
            "A study of bike-share data.",
        ),
        (None, "Presentation", "Given to the department."),
    ]
    api = client.get(f"/api/v1/credentials/{credential_id}", headers=issuer.headers).json()
    assert api["recipient"]["email"] == "li.na@example.org"
    assert api["recipient"]["name"] == "Li Na"

    with app.state.sessionmaker() as session:
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_id == credential_id, AuditEvent.action == "credential.issue"
            )
        ).one()
    assert event.actor == f"staff:{user_id}"

    # the same form posted again (a double click) issues once
    again = browser.post(f"/console/{issuer.id}/issue", data={**hidden, **GOOD})
    assert again.status_code == 303
    assert again.headers["location"] == response.headers["location"]
    # the same key with other values is not a replay: the form asks to check and resubmit
    other = browser.post(
        f"/console/{issuer.id}/issue",
        data={**hidden, **GOOD, "recipient_email": "someone.else@example.org"},
    )
    assert other.status_code == 422
    assert "already used" in other.text
    assert f'name="once" value="{hidden["once"]}"' not in other.text  # a fresh key
    assert _issued(app, issuer) == 1


def _issued(app: FastAPI, issuer: IssuerHandle) -> int:
    with app.state.sessionmaker() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Credential)
                .where(Credential.issuer_id == uuid.UUID(issuer.id))
            )
            or 0
        )


def test_errors_are_shown_next_to_their_fields_with_the_values_kept(
    app: FastAPI,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    staff: tuple[TestClient, uuid.UUID],
) -> None:
    browser, _ = staff
    _, hidden = _form(browser, issuer, achievement["id"])
    missing = browser.post(
        f"/console/{issuer.id}/issue",
        data={
            **hidden,
            **GOOD,
            "recipient_email": "",
            "ev-0-url": "portfolio",
        },
    )
    assert missing.status_code == 422
    assert 'id="e-recipient_email"' in missing.text
    assert "Give the learner&#39;s e-mail address or DID." in missing.text
    assert 'id="e-ev-0-url"' in missing.text
    assert re.search(r'id="f-ev-0-url"[^>]*aria-invalid="true"', missing.text)
    assert 'value="Li Na"' in missing.text
    assert "A study of bike-share data.</textarea>" in missing.text
    assert '<option value="A" selected>' in missing.text

    # the issuing service's own check (a percentage over 100), at its result's field
    service = browser.post(
        f"/console/{issuer.id}/issue",
        data={**hidden, **GOOD, "res-2-value": "140"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert service.status_code == 422
    assert 'id="e-res-2-value"' in service.text
    assert re.search(r'id="f-res-2-value"[^>]*aria-invalid="true"', service.text)
    assert "outside 0..100" in service.text  # the service's detail
    assert "未被接受" in service.text
    assert 'value="140"' in service.text
    assert _issued(app, issuer) == 0

    bad_did = browser.post(
        f"/console/{issuer.id}/issue",
        data={**hidden, **GOOD, "recipient_did": "not-a-did"},
    )
    assert bad_did.status_code == 422
    assert 'id="e-recipient_did"' in bad_did.text
    assert _issued(app, issuer) == 0


def test_another_achievement_than_shown_re_renders_its_results(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    staff: tuple[TestClient, uuid.UUID],
) -> None:
    browser, _ = staff
    other = make_achievement(
        client, issuer, name="Other", resultDescription=[{"name": "Mark", "resultType": "RawScore"}]
    )
    _, hidden = _form(browser, issuer, achievement["id"])
    response = browser.post(
        f"/console/{issuer.id}/issue", data={**hidden, **GOOD, "achievement": other["id"]}
    )
    assert response.status_code == 200
    assert "check its results" in response.text
    assert "Mark" in response.text
    assert 'value="Li Na"' in response.text
    more = browser.post(f"/console/{issuer.id}/issue", data={**hidden, **GOOD, "action": "more_ev"})
    assert more.status_code == 200
    assert 'name="ev-4-url"' in more.text
    assert _issued(app, issuer) == 0


def test_issuing_needs_the_csrf_token_and_the_issuer_role(
    app: FastAPI, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    email, _ = make_staff(app, issuer_id=issuer.id, role="issuer")
    browser = signed_in(app, email)
    _, hidden = _form(browser, issuer, achievement["id"])
    for token in ("", "forged"):
        refused = browser.post(
            f"/console/{issuer.id}/issue",
            data={**hidden, **GOOD, "csrf": token},
            headers={"Accept": "text/html"},
        )
        assert refused.status_code == 403
    viewer_email, _ = make_staff(app, issuer_id=issuer.id, role="viewer")
    viewer = signed_in(app, viewer_email)
    token = csrf_of(viewer.get("/console/me").text)
    refused = viewer.post(f"/console/{issuer.id}/issue", data={**hidden, **GOOD, "csrf": token})
    assert refused.status_code == 403
    assert _issued(app, issuer) == 0


@pytest.mark.parametrize("notify", [False, True])
def test_the_notify_box_is_the_apis_notify(
    app: FastAPI,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    staff: tuple[TestClient, uuid.UUID],
    notify: bool,
) -> None:
    browser, _ = staff
    _, hidden = _form(browser, issuer, achievement["id"])
    data = {**hidden, **GOOD, **({"notify": "1"} if notify else {})}
    response = browser.post(f"/console/{issuer.id}/issue", data=data)
    assert response.status_code == 303
    credential_id = uuid.UUID(response.headers["location"].rsplit("/", 1)[1])
    with app.state.sessionmaker() as session:
        event = session.scalars(
            select(OutboxEvent).where(
                OutboxEvent.subject_id == credential_id, OutboxEvent.type == "credential.issued"
            )
        ).one()
    assert event.data["notify"] is notify
