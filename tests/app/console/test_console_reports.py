"""The console's reports page (issue 14, item 3): the totals it shows and its CSV downloads
equal counts the test computes itself from the rows (Python, not the report's SQL) and from
what it did through the real app; by achievement and by program (the funnel); periods and
their errors; roles and issuers."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from console_support import make_staff, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from app.models import Achievement, Credential, Offer, ProgramLearner, UsageCount
from app.offers import service as offers
from app.reports import counters, repository
from openbadges.did import did_key
from openbadges.keys import SigningKey

HTML = {"Accept": "text/html"}
METRICS = ("issued", "claimed", "viewed", "verified", "shared_linkedin", "revoked")
KIND_METRIC = {"view": "viewed", "verify": "verified", "linkedin": "shared_linkedin"}
TOTAL_ROW = re.compile(
    r'<tr data-metric="(\w+)"><th scope="row">.*?</th><td class="report-num">(\d+)</td>', re.S
)
STAGE_ROW = re.compile(
    r'<tr data-stage="(\w+)"><th scope="row" class="console-wrap">(.*?)</th>'
    r'<td class="report-num">(\d+)</td>',
    re.S,
)


def today() -> date:
    return datetime.now(UTC).date()


def _utc_day(value: datetime) -> date:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()


def expected_totals(
    engine: Engine, issuer_id: str, start: date, last: date, lineages: set[str] | None = None
) -> dict[str, int]:
    """The totals over ``start`` … ``last`` (both included), from the rows, in Python."""
    issuer = uuid.UUID(issuer_id)
    with engine.connect() as connection:
        versions = {
            row.id
            for row in connection.execute(
                select(Achievement.id, Achievement.lineage_id).where(
                    Achievement.issuer_id == issuer
                )
            )
            if lineages is None or str(row.lineage_id) in lineages
        }
        credentials = {
            row.id: row
            for row in connection.execute(
                select(
                    Credential.id,
                    Credential.achievement_id,
                    Credential.created_at,
                    Credential.revoked_at,
                    Credential.bound_from_id,
                ).where(Credential.issuer_id == issuer)
            )
            if row.achievement_id in versions
        }
        claims = connection.execute(
            select(Offer.credential_id, Offer.claimed_at).where(
                Offer.issuer_id == issuer, Offer.claimed_at.is_not(None)
            )
        ).all()
        used = connection.execute(
            select(
                UsageCount.achievement_id, UsageCount.day, UsageCount.kind, UsageCount.count
            ).where(UsageCount.issuer_id == issuer)
        ).all()
    totals = dict.fromkeys(METRICS, 0)

    def add(day: date, metric: str, n: int = 1) -> None:
        if start <= day <= last:
            totals[metric] += n

    for row in credentials.values():
        if row.bound_from_id is None:
            add(_utc_day(row.created_at), "issued")
            if row.revoked_at is not None:
                add(_utc_day(row.revoked_at), "revoked")
    first: dict[uuid.UUID, datetime] = {}
    for credential_id, claimed_at in claims:
        if credential_id in credentials and claimed_at is not None:
            first[credential_id] = min(first.get(credential_id, claimed_at), claimed_at)
    for claimed_at in first.values():
        add(_utc_day(claimed_at), "claimed")
    for achievement_id, day, kind, n in used:
        if achievement_id in versions:
            add(day if isinstance(day, date) else date.fromisoformat(day), KIND_METRIC[kind], n)
    return totals


def shown_totals(page: str) -> dict[str, int]:
    return {metric: int(n) for metric, n in TOTAL_ROW.findall(page)}


def shown_funnel(page: str) -> list[tuple[str, str, int]]:
    return [(key, html.unescape(label), int(n)) for key, label, n in STAGE_ROW.findall(page)]


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def bind(app: FastAPI, offer_id: str) -> None:
    """A wallet takes the credential of the offer."""
    with app.state.sessionmaker() as session:
        offer = offers.find_offer(session, uuid.UUID(offer_id))
        assert offer is not None
        holder = did_key(SigningKey.generate().public_key)
        offers.bind_to_holder(session, app.state.context, offer, holder, protocol="oid4vci")
        session.commit()


def backdate(engine: Engine, row_id: str, column: str, days: int) -> None:
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)
    with engine.begin() as connection:
        connection.execute(
            update(Credential).where(Credential.id == uuid.UUID(row_id)).values({column: when})
        )


@pytest.fixture
def world(app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle) -> Any:
    """Two achievements and a program of two modules, issued, revoked, claimed, viewed,
    verified and shared through the real app; a view count of 40 days ago."""
    first = make_achievement(client, issuer, name="Data Analysis")
    second = make_achievement(client, issuer, name="Statistics")
    m1 = make_achievement(client, issuer, name="Module One")
    m2 = make_achievement(client, issuer, name="Module Two <b>II</b>")
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Data Science", "zh-CN": "数据科学"},
            "description": {"en": "Two modules.", "zh-CN": "两个模块。"},
            "modules": [m1["id"], m2["id"]],
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    firsts = [
        issue(client, issuer, first["id"], recipient={"email": f"a{n}@x.org"}) for n in range(3)
    ]
    seconds = [issue(client, issuer, second["id"]) for _ in range(2)]
    backdate(engine, firsts[0]["id"], "created_at", 2)
    revoked = client.post(
        f"/api/v1/credentials/{firsts[1]['id']}/revoke",
        json={"reason": "test"},
        headers=issuer.headers,
    )
    assert revoked.status_code == 200, revoked.text
    made = client.post(f"/api/v1/credentials/{firsts[2]['id']}/offers", headers=issuer.headers)
    assert made.status_code == 201, made.text
    bind(app, made.json()["id"])
    for credential, views in ((firsts[0], 3), (seconds[0], 2)):
        for _ in range(views):
            assert client.get(f"/credentials/{credential['id']}", headers=HTML).is_success
    assert client.post("/api/v1/verify", json=firsts[2]["credential"]).json()["verified"]
    assert client.get(
        f"/credentials/{firsts[0]['id']}/share/linkedin", follow_redirects=False
    ).is_redirect
    # the program: l1 holds module one, l2 both (completes), l3 module two
    for learner, modules in (("l1@x.org", [m1]), ("l2@x.org", [m1, m2]), ("l3@x.org", [m2])):
        for module in modules:
            issue(client, issuer, module["id"], recipient={"email": learner})
    counters.flush(app.state.sessionmaker)
    with engine.connect() as connection:
        version = connection.execute(
            select(Credential.achievement_id).where(Credential.id == uuid.UUID(firsts[0]["id"]))
        ).scalar_one()
    with app.state.sessionmaker() as session:
        repository.add_usage(
            session, [(uuid.UUID(issuer.id), version, today() - timedelta(days=40), "view", 100)]
        )
        session.commit()
    return {
        "first": first,
        "second": second,
        "modules": [m1["id"], m2["id"]],
        "program": program.json(),
    }


@pytest.fixture
def viewer(app: FastAPI, issuer: IssuerHandle) -> TestClient:
    email, _ = make_staff(app, issuer_id=issuer.id, role="viewer")
    return signed_in(app, email)


def _page(client: TestClient, issuer: IssuerHandle, query: str = "") -> Any:
    return client.get(f"/console/{issuer.id}/reports" + (f"?{query}" if query else ""))


def test_the_totals_shown_are_the_counts_of_the_rows(
    engine: Engine, issuer: IssuerHandle, world: Any, viewer: TestClient
) -> None:
    response = _page(viewer, issuer)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    shown = shown_totals(page)
    start = today() - timedelta(days=29)
    assert shown == expected_totals(engine, issuer.id, start, today())
    # what the test did: 3 + 2 + 3 module credentials and 1 program award; the 40-day-old
    # views are outside the default 30 days
    assert shown == {
        "issued": 3 + 2 + 4 + 1,
        "claimed": 1,
        "viewed": 3 + 2,
        "verified": 1,
        "shared_linkedin": 1,
        "revoked": 1,
    }
    # charts: inline SVG, one per metric, titled and described; the numbers in a table too
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 6
    assert 'aria-labelledby="chart-issued-title chart-issued-desc"' in page
    assert '<table class="results console-table report-daily"' in page
    assert "Content-Security-Policy" in response.headers
    assert f'value="{start.isoformat()}"' in page
    assert f'value="{today().isoformat()}"' in page
    assert 'data-stage="' not in page  # no funnel without a program

    # the per-day CSV: the same totals, and days that add up to them
    csv_href = re.search(r'href="([^"]*summary\.csv[^"]*)"', page)
    assert csv_href
    exported = viewer.get(html.unescape(csv_href.group(1)))
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.headers["content-disposition"].startswith("attachment;")
    rows = csv_rows(exported.content)
    assert rows[0] == ["day", *METRICS]
    assert len(rows) == 1 + 30 + 1
    assert rows[-1] == ["total", *(str(shown[m]) for m in METRICS)]
    for n, metric in enumerate(METRICS, start=1):
        assert sum(int(row[n]) for row in rows[1:-1]) == shown[metric]


def test_ninety_days_take_in_the_older_views(
    engine: Engine, issuer: IssuerHandle, world: Any, viewer: TestClient
) -> None:
    page = _page(viewer, issuer).text
    preset = re.search(r'href="([^"]*)">Last 90 days<', page)
    assert preset
    response = viewer.get(html.unescape(preset.group(1)))
    assert response.status_code == 200
    shown = shown_totals(response.text)
    assert shown == expected_totals(engine, issuer.id, today() - timedelta(days=89), today())
    assert shown["viewed"] == 100 + 3 + 2
    assert 'aria-current="true">Last 90 days<' in response.text
    # a chosen period, until included: the day two days ago alone
    day = (today() - timedelta(days=2)).isoformat()
    one_day = shown_totals(_page(viewer, issuer, f"from={day}&until={day}").text)
    assert one_day == expected_totals(
        engine, issuer.id, date.fromisoformat(day), date.fromisoformat(day)
    )
    assert one_day["issued"] == 1


def test_one_achievement(
    engine: Engine, issuer: IssuerHandle, world: Any, viewer: TestClient
) -> None:
    lineage = world["first"]["id"]
    response = _page(viewer, issuer, f"scope=achievement:{lineage}")
    assert response.status_code == 200, response.text
    shown = shown_totals(response.text)
    start = today() - timedelta(days=29)
    assert shown == expected_totals(engine, issuer.id, start, today(), {lineage})
    assert shown == {
        "issued": 3,
        "claimed": 1,
        "viewed": 3,
        "verified": 1,
        "shared_linkedin": 1,
        "revoked": 1,
    }
    assert f'<option value="achievement:{lineage}" selected>Data Analysis</option>' in response.text
    exported = viewer.get(f"/console/{issuer.id}/reports/summary.csv?scope=achievement:{lineage}")
    assert csv_rows(exported.content)[-1] == ["total", *(str(shown[m]) for m in METRICS)]


def test_a_program_and_its_funnel(
    engine: Engine, issuer: IssuerHandle, world: Any, viewer: TestClient
) -> None:
    program = world["program"]["id"]
    response = _page(viewer, issuer, f"scope=program:{program}")
    assert response.status_code == 200, response.text
    page = response.text
    lineages = {*world["modules"], world["program"]["achievementId"]}
    shown = shown_totals(page)
    assert shown == expected_totals(
        engine, issuer.id, today() - timedelta(days=29), today(), lineages
    )
    assert shown["issued"] == 4 + 1  # the module credentials and l2's award

    # the funnel, counted here from the program's rows and the credentials held
    with engine.connect() as connection:
        learners = connection.execute(
            select(ProgramLearner.learner, ProgramLearner.credential_id).where(
                ProgramLearner.program_id == uuid.UUID(program)
            )
        ).all()
        held = connection.execute(
            select(Credential.recipient_email, Achievement.lineage_id)
            .join(Achievement, Achievement.id == Credential.achievement_id)
            .where(Credential.issuer_id == uuid.UUID(issuer.id), Credential.revoked_at.is_(None))
        ).all()
    enrolled = {learner for learner, _ in learners}
    per_module = [
        len({email for email, lineage in held if str(lineage) == m} & enrolled)
        for m in world["modules"]
    ]
    completed = sum(1 for _, award in learners if award is not None)
    expected = [len(enrolled), *per_module, completed]
    assert expected == [3, 2, 2, 1]
    assert shown_funnel(page) == [
        ("enrolled", "Enrolled", 3),
        ("module", "Module One", 2),
        ("module", "Module Two <b>II</b>", 2),
        ("completed", "Completed", 1),
    ]
    assert "Module Two &lt;b&gt;II&lt;/b&gt;" in page  # escaped in the table and the chart
    assert "<b>II</b>" not in page
    assert 'aria-labelledby="chart-funnel-title chart-funnel-desc"' in page

    funnel_href = re.search(r'href="([^"]*funnel\.csv[^"]*)"', page)
    assert funnel_href
    exported = viewer.get(html.unescape(funnel_href.group(1)))
    assert exported.status_code == 200
    assert csv_rows(exported.content) == [
        ["stage", "achievement_id", "name", "learners"],
        ["enrolled", "", "", "3"],
        ["module", world["modules"][0], "Module One", "2"],
        ["module", world["modules"][1], "Module Two <b>II</b>", "2"],
        ["completed", "", "", "1"],
    ]

    # the cohort of the period: everybody enrolled today
    cohort = _page(viewer, issuer, f"scope=program:{program}&cohort=1").text
    assert [n for _, _, n in shown_funnel(cohort)] == [3, 2, 2, 1]
    long_ago = (today() - timedelta(days=100)).isoformat()
    before = _page(
        viewer, issuer, f"scope=program:{program}&cohort=1&from={long_ago}&until={long_ago}"
    ).text
    assert [n for _, _, n in shown_funnel(before)] == [0, 0, 0, 0]

    # in Chinese: the stages and the program's name
    zh = _page(viewer, issuer, f"scope=program:{program}&lang=zh-CN").text
    assert ("enrolled", "已报名", 3) in shown_funnel(zh)
    assert "数据科学" in zh


UNKNOWN_IDS = [f"00000000-0000-4000-8000-{i:012d}" for i in range(1, 4)]
"""Ids that name nothing (fixed: parameters must be the same in every test worker)."""


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-13-01", "from", "Not a date"),
        ("from=20261201&until=2026-12-10", "from", "Not a date"),
        ("until=yesterday", "until", "Not a date"),
        ("from=2026-12-10&until=2026-12-01", "until", "on or after the first day"),
        ("from=2025-01-01&until=2026-01-02", "until", "at most 366 days"),  # 367 days
        (f"scope=achievement:{UNKNOWN_IDS[0]}", "scope", "No such achievement or program"),
        ("scope=achievement:not-a-uuid", "scope", "No such achievement or program"),
        (f"scope=program:{UNKNOWN_IDS[1]}", "scope", "No such achievement or program"),
        (f"scope=issuer:{UNKNOWN_IDS[2]}", "scope", "No such achievement or program"),
    ],
)
def test_bad_periods_and_scopes_show_the_form_again(
    issuer: IssuerHandle, viewer: TestClient, query: str, field: str, message: str
) -> None:
    response = _page(viewer, issuer, query)
    assert response.status_code == 422
    page = response.text
    assert f'aria-describedby="e-{field}"' in page
    error = re.search(rf'<p class="ca-error" id="e-{field}">(.*?)</p>', page)
    assert error
    assert message in html.unescape(error.group(1))
    assert 'id="report-totals"' not in page
    assert 'role="alert"' in page
    name = "summary.csv"
    assert viewer.get(f"/console/{issuer.id}/reports/{name}?{query}").status_code == 422


def test_a_year_is_allowed(issuer: IssuerHandle, viewer: TestClient) -> None:
    response = _page(viewer, issuer, "from=2024-01-01&until=2024-12-31")
    assert response.status_code == 200, response.text
    assert response.text.count("<time datetime=") == 366
    exported = viewer.get(
        f"/console/{issuer.id}/reports/summary.csv?from=2024-01-01&until=2024-12-31"
    )
    assert len(csv_rows(exported.content)) == 366 + 2


def test_roles_and_other_issuers(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    issuer: IssuerHandle,
    world: Any,
    viewer: TestClient,
) -> None:
    base = f"/console/{issuer.id}/reports"
    # an assessor: the refusal page, and no CSV
    email, _ = make_staff(app, issuer_id=issuer.id, role="assessor")
    assessor = signed_in(app, email)
    for path in ("", "/summary.csv", f"/funnel.csv?scope=program:{world['program']['id']}"):
        assert assessor.get(base + path).status_code == 403
    assert 'href="' + base + '"' not in assessor.get(f"/console/{issuer.id}").text
    # owner and issuer may; the dashboard links the page for them
    for role in ("owner", "issuer"):
        email, _ = make_staff(app, issuer_id=issuer.id, role=role)
        member = signed_in(app, email)
        assert member.get(base).status_code == 200
        assert f'href="{base}"' in member.get(f"/console/{issuer.id}").text
    # the reports of another issuer: its staff see their own, and never A's ids
    other = make_issuer(client, admin_headers)
    stranger_email, _ = make_staff(app, issuer_id=other.id, role="owner")
    stranger = signed_in(app, stranger_email)
    assert stranger.get(base).status_code == 404
    assert stranger.get(f"{base}/summary.csv").status_code == 404
    theirs = f"/console/{other.id}/reports"
    for scope in (f"achievement:{world['first']['id']}", f"program:{world['program']['id']}"):
        refused = stranger.get(f"{theirs}?scope={scope}")
        assert refused.status_code == 422
        assert "No such achievement or program" in refused.text
        assert 'id="report-totals"' not in refused.text
        assert "Data Analysis" not in refused.text
        assert stranger.get(f"{theirs}/summary.csv?scope={scope}").status_code == 422
        assert stranger.get(f"{theirs}/funnel.csv?scope={scope}").status_code == 422
    own = stranger.get(theirs)
    assert set(shown_totals(own.text).values()) == {0}
    assert "Data Analysis" not in own.text  # A's achievements are not among the choices
    # A's viewer: the funnel CSV needs a program
    assert viewer.get(f"{base}/funnel.csv").status_code == 422
    # not signed in: the sign-in page
    anonymous = TestClient(app, base_url="https://badges.test", follow_redirects=False)
    assert anonymous.get(base).status_code == 303
