"""The cohort upload wizard and the batches list in the console (issue 14): template, upload →
check (per-row problems by row and column, nothing written) → preview → issue → progress →
results, through the API's own batch service; roles, issuers, CSRF and the audit actor."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from typing import Any

import pytest
from api_support import IssuerHandle, make_achievement, make_issuer
from console_support import csrf_of, make_staff, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models import AuditEvent, Batch, BatchRow, Credential

TOKEN = re.compile(r'name="upload" value="([^"]+)"')


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["email", "name", "Final grade"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _rows(n: int, prefix: str = "learner") -> list[dict[str, str]]:
    tag = uuid.uuid4().hex[:6]
    return [
        {"email": f"{prefix}{i}.{tag}@example.edu", "name": f"Learner {i}", "Final grade": "A"}
        for i in range(n)
    ]


def _counts(app: FastAPI, issuer: IssuerHandle) -> tuple[int, int, int]:
    """(batches, batch rows, credentials) of the issuer in the database."""
    issuer_id = uuid.UUID(issuer.id)
    with app.state.sessionmaker() as session:
        batches = session.scalar(
            select(func.count()).select_from(Batch).where(Batch.issuer_id == issuer_id)
        )
        rows = session.scalar(
            select(func.count())
            .select_from(BatchRow)
            .join(Batch, Batch.id == BatchRow.batch_id)
            .where(Batch.issuer_id == issuer_id)
        )
        credentials = session.scalar(
            select(func.count()).select_from(Credential).where(Credential.issuer_id == issuer_id)
        )
        return int(batches or 0), int(rows or 0), int(credentials or 0)


def _upload(
    staff: TestClient,
    issuer: IssuerHandle,
    achievement_id: str,
    data: bytes,
    *,
    filename: str = "cohort.csv",
    content_type: str = "text/csv",
    **fields: str,
) -> Any:
    page = staff.get(f"/console/{issuer.id}/batches/new?achievement={achievement_id}")
    assert page.status_code == 200, page.text
    return staff.post(
        f"/console/{issuer.id}/batches/upload",
        data={
            "csrf": csrf_of(page.text),
            "achievement": achievement_id,
            "duplicates": "skip",
            "notify": "1",
            **fields,
        },
        files={"file": (filename, data, content_type)},
    )


def _issue(staff: TestClient, issuer: IssuerHandle, checked: Any, **fields: str) -> Any:
    token = TOKEN.search(checked.text)
    assert token, "no issue form on the check page"
    return staff.post(
        f"/console/{issuer.id}/batches/issue",
        data={"csrf": csrf_of(checked.text), "upload": token.group(1), **fields},
    )


def _wait(staff: TestClient, issuer: IssuerHandle, batch_id: str, timeout: float = 60) -> Any:
    """Poll the console's progress JSON until the batch has finished (the embedded runner)."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        response = staff.get(f"/console/{issuer.id}/batches/{batch_id}/progress.json")
        assert response.status_code == 200, response.text
        body = response.json()
        seen.append(body["done"])
        if body["finished"] or time.monotonic() > deadline:
            return body, seen
        time.sleep(0.05)


@pytest.fixture
def setup(app: FastAPI, client: TestClient, admin_headers: dict[str, str]) -> Any:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    email, user_id = make_staff(app, issuer_id=issuer.id, role="issuer")
    return issuer, achievement, signed_in(app, email), user_id


def test_templates_download_in_both_formats(setup: Any) -> None:
    issuer, achievement, staff, _ = setup
    new = staff.get(f"/console/{issuer.id}/batches/new")
    assert new.status_code == 200
    assert achievement["name"] in new.text
    assert "template.csv" not in new.text  # the template comes once an achievement is chosen
    chosen = staff.get(f"/console/{issuer.id}/batches/new?achievement={achievement['id']}")
    assert f"template.xlsx?achievement={achievement['id']}" in chosen.text
    base = f"/console/{issuer.id}/batches/template"
    as_csv = staff.get(f"{base}.csv?achievement={achievement['id']}")
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    header = as_csv.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:2] == ["email", "name"]
    assert "Final grade" in header
    as_xlsx = staff.get(f"{base}.xlsx?achievement={achievement['id']}")
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True).worksheets[0]
    first = next(sheet.iter_rows(values_only=True))
    assert list(first) == header
    # another issuer's achievement, or none: refused
    assert staff.get(f"{base}.csv?achievement={uuid.uuid4()}").status_code == 422
    assert staff.get(f"{base}.csv").status_code == 422


def test_an_upload_with_errors_shows_each_row_and_column_and_issues_nothing(
    app: FastAPI, setup: Any
) -> None:
    issuer, achievement, staff, _ = setup
    rows = _rows(6)
    rows[1]["email"] = "not-an-email"
    rows[4]["Final grade"] = "x" * 600
    before = _counts(app, issuer)
    checked = _upload(staff, issuer, achievement["id"], _csv(rows))
    assert checked.status_code == 200, checked.text
    problems = re.findall(r'<tr data-row="(\d*)" data-column="([^"]*)">', checked.text)
    assert ("3", "email") in problems  # the header is row 1: the second learner is row 3
    assert any(row == "6" for row, _ in problems)
    assert {row for row, _ in problems} == {"3", "6"}
    assert 'id="count-total">6<' in checked.text
    assert 'id="count-valid">4<' in checked.text
    assert 'id="count-invalid">2<' in checked.text
    assert _counts(app, issuer) == before  # checking wrote nothing
    # the issue form insists on leaving the invalid rows out
    assert 'name="skip_invalid"' in checked.text
    refused = _issue(staff, issuer, checked)  # without skip_invalid: the service says no
    assert refused.status_code == 200
    assert "could not be issued" in refused.text
    assert _counts(app, issuer) == before
    issued = _issue(staff, issuer, checked, skip_invalid="1")
    assert issued.status_code == 303, issued.text
    batch_id = issued.headers["location"].rsplit("/", 1)[1].split("?")[0]
    done, _ = _wait(staff, issuer, batch_id)
    assert (done["state"], done["issued"], done["failed"]) == ("completed", 4, 2)


def test_a_valid_upload_is_previewed_issued_and_its_results_downloaded(
    app: FastAPI, setup: Any
) -> None:
    issuer, achievement, staff, user_id = setup
    rows = _rows(30)
    checked = _upload(staff, issuer, achievement["id"], _csv(rows), filename="spring.csv")
    assert checked.status_code == 200, checked.text
    assert "Every row is valid." in checked.text
    assert 'id="count-valid">30<' in checked.text
    assert rows[0]["email"] in checked.text  # the preview shows the first rows
    assert "Final grade: A" in checked.text
    assert rows[20]["email"] not in checked.text  # only the first ten
    assert _counts(app, issuer) == (0, 0, 0)

    issued = _issue(staff, issuer, checked)
    assert issued.status_code == 303, issued.text
    location = issued.headers["location"]
    assert location.endswith("?notice=queued")
    batch_id = location.rsplit("/", 1)[1].split("?")[0]
    page = staff.get(location)
    assert page.status_code == 200
    assert 'id="batch-bar"' in page.text
    assert "console_batches.js" in page.text
    assert "<script>" not in page.text  # no inline script (CSP)
    done, _ = _wait(staff, issuer, batch_id)
    assert (done["state"], done["total"], done["issued"], done["pending"]) == (
        "completed",
        30,
        30,
        0,
    )
    # the same file cannot be issued twice from the wizard: the kept upload is gone
    again = _issue(staff, issuer, checked)
    assert again.status_code == 303
    assert "error=expired" in again.headers["location"]

    results = staff.get(f"/console/{issuer.id}/batches/{batch_id}/results.csv")
    assert results.status_code == 200
    lines = list(csv.DictReader(io.StringIO(results.content.decode("utf-8-sig"))))
    assert len(lines) == 30
    assert {line["state"] for line in lines} == {"issued"}
    finished = staff.get(f"/console/{issuer.id}/batches/{batch_id}")
    assert finished.text.count(f"/console/{issuer.id}/credentials/") == 30
    assert lines[0]["credentialId"] in finished.text
    listed = staff.get(f"/console/{issuer.id}/batches")
    assert f'data-batch="{batch_id}"' in listed.text
    assert "spring.csv" in listed.text
    assert "Staff Member" in listed.text  # created by

    with app.state.sessionmaker() as session:
        batch = session.get(Batch, uuid.UUID(batch_id))
        assert batch is not None
        assert batch.actor == f"staff:{user_id}"
        assert batch.source_name == "spring.csv"
        audit = session.scalars(select(AuditEvent).where(AuditEvent.subject_id == batch_id)).all()
        assert [(e.action, e.actor) for e in audit] == [("batch.create", f"staff:{user_id}")]


def test_an_xlsx_upload_is_checked_like_a_csv(setup: Any) -> None:
    issuer, achievement, staff, _ = setup
    template = staff.get(
        f"/console/{issuer.id}/batches/template.xlsx?achievement={achievement['id']}"
    )
    book = load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    for email in ("a@example.edu", "broken", "c@example.edu"):
        sheet.append([{"email": email, "Final grade": "B"}.get(str(h), None) for h in header])
    out = io.BytesIO()
    book.save(out)
    checked = _upload(
        staff,
        issuer,
        achievement["id"],
        out.getvalue(),
        filename="cohort.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert checked.status_code == 200, checked.text
    assert '<tr data-row="3" data-column="email">' in checked.text
    assert 'id="count-valid">2<' in checked.text


def test_a_2000_row_file_with_bad_rows_shows_every_problem(app: FastAPI, setup: Any) -> None:
    issuer, achievement, staff, _ = setup
    rows = _rows(2_000)
    bad = {17, 480, 1_234, 1_999}
    for i in bad:
        rows[i]["email"] = f"bad-address-{i}"
    data = _csv(rows)
    assert len(data) > app.state.settings.max_body_bytes  # the upload path's own size limit
    started = time.monotonic()
    checked = _upload(staff, issuer, achievement["id"], data)
    assert checked.status_code == 200, checked.text
    assert time.monotonic() - started < 30
    problems = re.findall(r'<tr data-row="(\d+)" data-column="([^"]*)">', checked.text)
    assert sorted(problems) == sorted((str(i + 2), "email") for i in bad)
    assert 'id="count-total">2000<' in checked.text
    assert 'id="count-valid">1996<' in checked.text
    assert 'id="count-invalid">4<' in checked.text
    assert _counts(app, issuer) == (0, 0, 0)


def test_duplicates_are_counted_and_skipped(app: FastAPI, setup: Any) -> None:
    issuer, achievement, staff, _ = setup
    rows = _rows(3)
    first = _upload(staff, issuer, achievement["id"], _csv(rows[:2]))
    batch_id = _issue(staff, issuer, first).headers["location"].rsplit("/", 1)[1].split("?")[0]
    _wait(staff, issuer, batch_id)
    checked = _upload(staff, issuer, achievement["id"], _csv(rows))
    assert 'id="count-duplicates">2<' in checked.text
    assert 'id="count-valid">1<' in checked.text
    as_errors = _upload(staff, issuer, achievement["id"], _csv(rows), duplicates="error")
    assert 'id="count-invalid">2<' in as_errors.text
    assert "already holds a credential" in as_errors.text


def test_an_unreadable_file_is_one_problem_of_the_whole_file(setup: Any) -> None:
    issuer, achievement, staff, _ = setup
    checked = _upload(staff, issuer, achievement["id"], b"%PDF-1.7 binary", filename="x.pdf")
    assert checked.status_code == 200, checked.text
    assert '<tr data-row="" data-column="">' in checked.text
    assert 'name="upload"' not in checked.text  # nothing to issue


def test_a_file_without_the_recipient_columns_cannot_be_issued(setup: Any) -> None:
    issuer, achievement, staff, _ = setup
    checked = _upload(
        staff, issuer, achievement["id"], b"student,grade\nAda,A\n", filename="marks.csv"
    )
    assert checked.status_code == 200, checked.text
    assert re.search(r'<tr data-row="1?" data-column="[^"]*">', checked.text)
    assert 'name="upload"' not in checked.text
    assert "marks.csv" in checked.text


def test_a_file_name_is_kept_without_control_characters() -> None:
    from app.console.batches_view import clean_filename

    assert clean_filename("a\x01b\x7f.csv ") == "ab.csv"
    assert clean_filename("\x00") is None
    assert clean_filename("x" * 300 + ".csv") == ("x" * 300 + ".csv")[-200:]


def test_cancel_a_queued_batch(app: FastAPI, setup: Any) -> None:
    issuer, achievement, staff, user_id = setup
    runner = app.state.job_runner
    from app.jobs.dispatch import DISPATCH

    DISPATCH.detach(runner.wake)  # keep the batch queued while it is cancelled
    try:
        checked = _upload(staff, issuer, achievement["id"], _csv(_rows(5)))
        location = _issue(staff, issuer, checked).headers["location"].split("?")[0]
        page = staff.get(location)
        assert "Cancel the batch" in page.text
        cancelled = staff.post(f"{location}/cancel", data={"csrf": csrf_of(page.text)})
        assert cancelled.status_code == 303
        assert cancelled.headers["location"].endswith("?notice=cancelled")
    finally:
        DISPATCH.attach(runner.wake)
    body = staff.get(f"{location}/progress.json").json()
    assert (body["state"], body["issued"], body["finished"]) == ("cancelled", 0, True)
    again = staff.post(f"{location}/cancel", data={"csrf": csrf_of(page.text)})
    assert again.status_code == 303  # cancelling a cancelled batch changes nothing
    with app.state.sessionmaker() as session:
        actions = session.scalars(
            select(AuditEvent.actor).where(
                AuditEvent.subject_id == location.rsplit("/", 1)[1],
                AuditEvent.action == "batch.cancel",
            )
        ).all()
        assert actions == [f"staff:{user_id}"]


def test_roles_issuers_and_csrf(
    app: FastAPI, client: TestClient, setup: Any, admin_headers: dict[str, str]
) -> None:
    issuer, achievement, staff, _ = setup
    checked = _upload(staff, issuer, achievement["id"], _csv(_rows(2)))
    location = _issue(staff, issuer, checked).headers["location"].split("?")[0]
    batch_id = location.rsplit("/", 1)[1]
    _wait(staff, issuer, batch_id)
    base = f"/console/{issuer.id}/batches"

    # a viewer reads the list, the batch, its progress and results; the wizard and cancel: 403
    viewer_email, _ = make_staff(app, issuer_id=issuer.id, role="viewer")
    viewer = signed_in(app, viewer_email)
    listed = viewer.get(base)
    assert listed.status_code == 200
    assert batch_id in listed.text
    assert f"{base}/new" not in listed.text
    assert viewer.get(location).status_code == 200
    assert "Cancel the batch" not in viewer.get(location).text
    assert viewer.get(f"{location}/progress.json").status_code == 200
    assert viewer.get(f"{location}/results.csv").status_code == 200
    for path in (f"{base}/new", f"{base}/template.csv?achievement={achievement['id']}"):
        assert viewer.get(path).status_code == 403, path
    token = csrf_of(listed.text)
    upload = viewer.post(
        f"{base}/upload",
        data={"csrf": token, "achievement": achievement["id"]},
        files={"file": ("c.csv", _csv(_rows(1)), "text/csv")},
    )
    assert upload.status_code == 403
    assert viewer.post(f"{base}/issue", data={"csrf": token, "upload": "x"}).status_code == 403
    assert viewer.post(f"{location}/cancel", data={"csrf": token}).status_code == 403

    # an assessor cannot even read
    assessor_email, _ = make_staff(app, issuer_id=issuer.id, role="assessor")
    assessor = signed_in(app, assessor_email)
    assert assessor.get(base).status_code == 403
    assert assessor.get(location).status_code == 403

    # staff of another issuer: its batch is 404, and the issuer too
    other = make_issuer(client, admin_headers)
    other_email, _ = make_staff(app, issuer_id=other.id, role="owner")
    outsider = signed_in(app, other_email)
    assert outsider.get(f"/console/{other.id}/batches/{batch_id}").status_code == 404
    assert outsider.get(f"/console/{other.id}/batches/{batch_id}/results.csv").status_code == 404
    assert outsider.get(f"/console/{other.id}/batches/{batch_id}/progress.json").status_code == 404
    assert outsider.get(location).status_code == 404
    assert outsider.get(f"/console/{other.id}/batches").text.count("data-batch=") == 0
    # another issuer's achievement cannot be uploaded against
    foreign = _upload(outsider, other, achievement["id"], _csv(_rows(1)))
    assert foreign.status_code == 303
    assert "error=achievement" in foreign.headers["location"]
    # another user's checked upload cannot be issued, even at the same issuer
    owner_email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    owner = signed_in(app, owner_email)
    mine = _upload(staff, issuer, achievement["id"], _csv(_rows(1)))
    stolen = TOKEN.search(mine.text)
    assert stolen
    page = owner.get(base)
    taken = owner.post(
        f"{base}/issue", data={"csrf": csrf_of(page.text), "upload": stolen.group(1)}
    )
    assert taken.status_code == 303
    assert "error=expired" in taken.headers["location"]

    # CSRF: a post without the session's token is refused, and nothing is created
    before = _counts(app, issuer)
    no_token = staff.post(
        f"{base}/upload",
        data={"achievement": achievement["id"]},
        files={"file": ("c.csv", _csv(_rows(1)), "text/csv")},
    )
    assert no_token.status_code == 403
    forged = staff.post(f"{base}/issue", data={"csrf": "forged", "upload": stolen.group(1)})
    assert forged.status_code == 403
    assert staff.post(f"{location}/cancel", data={"csrf": ""}).status_code == 403
    assert _counts(app, issuer) == before


def test_the_list_pages_newest_first(app: FastAPI, setup: Any) -> None:
    from app.console import batches_view

    issuer, achievement, staff, _ = setup
    made = []
    for _ in range(3):
        checked = _upload(staff, issuer, achievement["id"], _csv(_rows(1)))
        made.append(_issue(staff, issuer, checked).headers["location"].rsplit("/", 1)[1][:36])
    with app.state.sessionmaker() as session:  # newest first; ties (same instant) by id
        found = session.scalars(select(Batch).where(Batch.issuer_id == uuid.UUID(issuer.id))).all()
        made = [str(b.id) for b in sorted(found, key=lambda b: (b.created_at, b.id))]
    listed = staff.get(f"/console/{issuer.id}/batches")
    order = re.findall(r'data-batch="([^"]+)"', listed.text)
    assert order == made[::-1]
    original = batches_view.PAGE_SIZE
    batches_view.PAGE_SIZE = 2
    try:
        first = staff.get(f"/console/{issuer.id}/batches")
        second = staff.get(f"/console/{issuer.id}/batches?page=2")
    finally:
        batches_view.PAGE_SIZE = original
    assert re.findall(r'data-batch="([^"]+)"', first.text) == made[:0:-1]
    assert re.findall(r'data-batch="([^"]+)"', second.text) == made[:1]
    assert 'rel="next"' in first.text
    assert 'rel="prev"' in second.text


def test_pages_are_bilingual(setup: Any) -> None:
    issuer, achievement, staff, _ = setup
    zh = staff.get(f"/console/{issuer.id}/batches/new?achievement={achievement['id']}&lang=zh-CN")
    assert "批量颁发" in zh.text
    assert "下载模板" in zh.text
    assert 'lang="zh-CN"' in zh.text
    checked = _upload(staff, issuer, achievement["id"], _csv(_rows(2)))
    assert "检查与预览" in checked.text


def test_the_upload_path_has_the_batch_body_limit() -> None:
    from app.core.middleware import BodySizeLimitMiddleware

    limits = BodySizeLimitMiddleware(
        None,  # type: ignore[arg-type]
        max_bytes=10,
        larger={"/api/v1/batches": 50, "/console/*/batches/upload": 50},
    )
    assert limits._limit("/api/v1/batches") == 50
    assert limits._limit(f"/console/{uuid.uuid4()}/batches/upload") == 50
    assert limits._limit("/console/a/b/batches/upload") == 10  # one segment only
    assert limits._limit("/console/x/batches/upload/more") == 10
    assert limits._limit("/console/x/batches/issue") == 10
    assert limits._limit("/api/v1/batches/x") == 10
