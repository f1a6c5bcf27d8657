"""Programs in the console: creating one through the form, the learners' progress matrix (module
credentials issued through the API: held, revoked, none; completed and awarded), its pages and
CSV (formula cells quoted), "evaluate now", and who may do what (viewer reads only, an
assessor opens none of it, another issuer's staff get 404, every post needs the CSRF token)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from console_support import csrf_of, make_staff, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.console import programs_view
from app.models import AuditEvent


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers)


def _modules(client: TestClient, issuer: IssuerHandle, *names: str) -> list[str]:
    return [str(make_achievement(client, issuer, name=name)["id"]) for name in names]


def _create(staff: TestClient, issuer: IssuerHandle, modules: list[str], **extra: str) -> Any:
    page = staff.get(f"/console/{issuer.id}/programs/new")
    assert page.status_code == 200, page.text
    data: dict[str, Any] = {
        "csrf": csrf_of(page.text),
        "name_en": "Intelligent Translation",
        "description_en": "The program.",
        "name_zh-CN": "智能翻译",
        "description_zh-CN": "项目",
        "default_language": "en",
        "kind": "all",
        "on_module_revoked": "flag",
        "achievement_type": "Certificate",
        "criteria": "Every module.",
        "modules": modules,
        **extra,
    }
    return staff.post(f"/console/{issuer.id}/programs/new", data=data)


def _program_id(response: Any) -> str:
    assert response.status_code == 303, response.text
    match = re.search(r"/programs/([0-9a-f-]{36})\?notice=created$", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def _cells(html: str, learner: str) -> list[str]:
    row = re.search(rf'<tr data-learner="{re.escape(learner)}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {learner}"
    return re.findall(r'data-state="(\w+)"', row.group(1))


def _completed(html: str, learner: str) -> str:
    row = re.search(rf'<tr data-learner="{re.escape(learner)}">(.*?)</tr>', html, re.S)
    assert row
    found = re.search(r'data-completed="(\w+)"', row.group(1))
    assert found
    return found.group(1)


def test_create_a_program_and_follow_the_matrix_and_its_csv(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    email, user_id = make_staff(app, issuer_id=issuer.id, role="issuer")
    staff = signed_in(app, email)
    first, second = _modules(client, issuer, "Translation I", "Translation II")
    program_id = _program_id(_create(staff, issuer, [first, second]))

    # the API sees the program the console made, modules in order, the staff member as actor
    read = client.get(f"/api/v1/programs/{program_id}", headers=issuer.headers).json()
    assert [m["achievementId"] for m in read["modules"]] == [first, second]
    assert set(read["name"]) == {"en", "zh-CN"}
    with app.state.sessionmaker() as session:
        created = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "program.create", AuditEvent.subject_id == program_id
            )
        ).one()
        assert created.actor == f"staff:{user_id}"

    # module credentials through the API
    issue(client, issuer, first, recipient={"email": "ada@example.org", "name": "Ada"})
    issue(client, issuer, second, recipient={"email": "ada@example.org", "name": "Ada"})
    issue(client, issuer, first, recipient={"email": "bo@example.org", "name": "=HYPERLINK(1)"})
    revoked = issue(client, issuer, second, recipient={"email": "cy@example.org", "name": "Cy"})
    gone = client.post(
        f"/api/v1/credentials/{revoked['id']}/revoke",
        json={"reason": "test"},
        headers=issuer.headers,
    )
    assert gone.status_code == 200, gone.text

    page = staff.get(f"/console/{issuer.id}/programs/{program_id}")
    assert page.status_code == 200, page.text
    assert 'id="program-learners">3<' in page.text
    assert _cells(page.text, "ada@example.org") == ["held", "held"]
    assert _completed(page.text, "ada@example.org") == "awarded"
    assert _cells(page.text, "bo@example.org") == ["held", "none"]
    assert _completed(page.text, "bo@example.org") == "no"
    assert _cells(page.text, "cy@example.org") == ["none", "revoked"]
    assert "Translation I" in page.text
    # the learner search narrows the page
    only_bo = staff.get(f"/console/{issuer.id}/programs/{program_id}?q=BO@")
    assert 'data-learner="bo@example.org"' in only_bo.text
    assert 'data-learner="ada@example.org"' not in only_bo.text
    # in Chinese
    zh = staff.get(f"/console/{issuer.id}/programs/{program_id}?lang=zh-CN")
    assert "学习者进度" in zh.text
    assert "已获得" in zh.text

    exported = staff.get(f"/console/{issuer.id}/programs/{program_id}/matrix.csv?lang=en")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Learner", "Name", "Translation I", "Translation II"]
    by_learner = {row[0]: row for row in rows[1:]}
    assert by_learner["ada@example.org"][2:] == ["Held", "Held", "2/2", "yes", "yes"]
    assert by_learner["bo@example.org"][1] == "'=HYPERLINK(1)"  # not a formula
    assert by_learner["cy@example.org"][2:4] == ["Not held", "Revoked"]


def test_the_matrix_pages_through_a_cohort(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    email, _ = make_staff(app, issuer_id=issuer.id, role="viewer")
    owner_email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    (module,) = _modules(client, issuer, "Only module")
    program_id = _program_id(_create(signed_in(app, owner_email), issuer, [module]))
    learners = [f"learner{i:03d}@example.org" for i in range(programs_view.PAGE + 5)]
    for learner in learners:
        issue(client, issuer, module, recipient={"email": learner}, notify=False)
    viewer = signed_in(app, email)
    first = viewer.get(f"/console/{issuer.id}/programs/{program_id}")
    shown = re.findall(r'<tr data-learner="([^"]+)">', first.text)
    assert shown == learners[: programs_view.PAGE]
    nxt = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert nxt
    second = viewer.get(nxt.group(1).replace("&amp;", "&"))
    assert re.findall(r'<tr data-learner="([^"]+)">', second.text) == learners[programs_view.PAGE :]
    assert 'rel="next"' not in second.text
    rows = list(
        csv.reader(
            io.StringIO(
                viewer.get(f"/console/{issuer.id}/programs/{program_id}/matrix.csv").content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert len(rows) == len(learners) + 1


def test_evaluate_awards_a_learner_who_held_the_modules_before_the_program(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    email, user_id = make_staff(app, issuer_id=issuer.id, role="issuer")
    staff = signed_in(app, email)
    first, second = _modules(client, issuer, "Module A", "Module B")
    for module in (first, second):
        issue(client, issuer, module, recipient={"email": "early@example.org"}, notify=False)
    program_id = _program_id(_create(staff, issuer, [first, second]))
    page = staff.get(f"/console/{issuer.id}/programs/{program_id}")
    assert _completed(page.text, "early@example.org") == "yes"  # due, not awarded yet

    done = staff.post(
        f"/console/{issuer.id}/programs/{program_id}/evaluate",
        data={"learner": "Early@Example.org", "csrf": csrf_of(page.text)},
    )
    assert done.status_code == 303
    assert "notice=awarded" in done.headers["location"]
    progress = client.get(
        f"/api/v1/programs/{program_id}/learners/early@example.org", headers=issuer.headers
    ).json()
    assert progress["awarded"] is True
    page = staff.get(done.headers["location"])
    assert _completed(page.text, "early@example.org") == "awarded"
    assert "early@example.org has completed the program" in page.text
    with app.state.sessionmaker() as session:
        award = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "program.award", AuditEvent.subject_id == program_id
            )
        ).one()
        assert award.actor == f"staff:{user_id}"
    # a learner that is no identity is refused on the page, not as an error
    bad = staff.post(
        f"/console/{issuer.id}/programs/{program_id}/evaluate",
        data={"learner": "nobody", "csrf": csrf_of(page.text)},
    )
    assert "error=learner" in bad.headers["location"]


def test_form_errors_are_shown_with_the_values_kept(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    email, _ = make_staff(app, issuer_id=issuer.id, role="issuer")
    staff = signed_in(app, email)
    (module,) = _modules(client, issuer, "Module A")
    no_modules = _create(staff, issuer, [])
    assert no_modules.status_code == 422
    assert 'id="e-modules"' in no_modules.text
    assert 'value="Intelligent Translation"' in no_modules.text
    too_many = _create(staff, issuer, [module], kind="n_of", n="3")
    assert too_many.status_code == 422
    assert 'id="e-n"' in too_many.text
    # a certificate (not a module type) of the issuer is refused by the service
    certificate = str(make_achievement(client, issuer, achievementType="Certificate")["id"])
    wrong = _create(staff, issuer, [certificate])
    assert wrong.status_code == 422
    assert 'id="e-modules"' in wrong.text


def test_who_may_open_and_change_programs(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, admin_headers: dict[str, str]
) -> None:
    owner_email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    owner = signed_in(app, owner_email)
    (module,) = _modules(client, issuer, "Module A")
    program_id = _program_id(_create(owner, issuer, [module]))
    base = f"/console/{issuer.id}/programs"
    token = csrf_of(owner.get(base).text)

    viewer = signed_in(app, make_staff(app, issuer_id=issuer.id, role="viewer")[0])
    assert viewer.get(base).status_code == 200
    detail = viewer.get(f"{base}/{program_id}")
    assert detail.status_code == 200
    assert "/evaluate" not in detail.text  # no change forms for a viewer
    assert viewer.get(f"{base}/new").status_code == 403
    viewer_token = csrf_of(detail.text)
    assert viewer.post(f"{base}/new", data={"csrf": viewer_token}).status_code == 403
    evaluate = viewer.post(
        f"{base}/{program_id}/evaluate", data={"learner": "a@example.org", "csrf": viewer_token}
    )
    assert evaluate.status_code == 403

    assessor = signed_in(app, make_staff(app, issuer_id=issuer.id, role="assessor")[0])
    for path in (base, f"{base}/new", f"{base}/{program_id}", f"{base}/{program_id}/matrix.csv"):
        assert assessor.get(path).status_code == 403, path

    # staff of another issuer: 404 for the issuer and for its program under their own issuer
    other = make_issuer(client, admin_headers)
    stranger = signed_in(app, make_staff(app, issuer_id=other.id, role="owner")[0])
    assert stranger.get(base).status_code == 404
    assert stranger.get(f"{base}/{program_id}").status_code == 404
    assert stranger.get(f"/console/{other.id}/programs/{program_id}").status_code == 404
    assert stranger.get(f"/console/{other.id}/programs/{program_id}/matrix.csv").status_code == 404

    # the CSRF token is required, and it is this session's
    assert (
        owner.post(f"{base}/{program_id}/evaluate", data={"learner": "a@example.org"}).status_code
        == 403
    )
    stolen = owner.post(
        f"{base}/{program_id}/evaluate",
        data={"learner": "a@example.org", "csrf": viewer_token},
    )
    assert stolen.status_code == 403
    ok = owner.post(
        f"{base}/{program_id}/evaluate", data={"learner": "a@example.org", "csrf": token}
    )
    assert ok.status_code == 303
    # not signed in: the sign-in page
    anonymous = TestClient(app, base_url="https://badges.test", follow_redirects=False)
    assert anonymous.get(base).status_code == 303
    assert uuid.UUID(program_id)
