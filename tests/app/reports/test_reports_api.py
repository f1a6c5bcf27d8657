"""The reports API (issue 14, item 3): totals and per-day series of issued, claimed, viewed,
verified, shared and revoked credentials, compared with counts the test computes from the
database itself; program funnels; CSV exports; tenant scope and refused parameters."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from api_support import IssuerHandle, assert_problem, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from app.hot import usage
from app.models import Achievement, Credential, Offer, ProgramLearner, UsageCount
from app.offers import service as offers
from app.reports import counters, repository
from openbadges.did import did_key
from openbadges.keys import SigningKey

HTML = {"Accept": "text/html"}
METRICS = ("issued", "claimed", "viewed", "verified", "shared_linkedin", "revoked")
JSON = {**{m: m for m in METRICS}, "shared_linkedin": "sharedLinkedin"}
"""The JSON names (camelCase, as every API member); the CSV keeps the snake_case ones."""
KIND_METRIC = {"view": "viewed", "verify": "verified", "linkedin": "shared_linkedin"}


def today() -> date:
    return datetime.now(UTC).date()


def _utc_day(value: datetime) -> date:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()


def expected_series(
    engine: Engine, issuer: IssuerHandle, start: date, end: date, lineages: set[str] | None
) -> dict[date, dict[str, int]]:
    """What the report must say, computed here from the rows (Python, not the report's SQL)."""
    issuer_id = uuid.UUID(issuer.id)
    with engine.connect() as connection:
        versions = {
            row.id
            for row in connection.execute(
                select(Achievement.id, Achievement.lineage_id).where(
                    Achievement.issuer_id == issuer_id
                )
            )
            if lineages is None or str(row.lineage_id) in lineages
        }
        credentials = connection.execute(
            select(
                Credential.id,
                Credential.achievement_id,
                Credential.created_at,
                Credential.revoked_at,
                Credential.bound_from_id,
            ).where(Credential.issuer_id == issuer_id)
        ).all()
        claims = connection.execute(
            select(Offer.credential_id, Offer.claimed_at).where(
                Offer.issuer_id == issuer_id, Offer.claimed_at.is_not(None)
            )
        ).all()
        used = connection.execute(
            select(
                UsageCount.achievement_id, UsageCount.day, UsageCount.kind, UsageCount.count
            ).where(UsageCount.issuer_id == issuer_id)
        ).all()
    series = {
        start + timedelta(days=n): dict.fromkeys(METRICS, 0) for n in range((end - start).days)
    }
    in_scope = {c.id: c for c in credentials if c.achievement_id in versions}

    def add(day: date, metric: str, n: int = 1) -> None:
        if day in series:
            series[day][metric] += n

    for row in in_scope.values():
        if row.bound_from_id is None:
            add(_utc_day(row.created_at), "issued")
            if row.revoked_at is not None:
                add(_utc_day(row.revoked_at), "revoked")
    first_claim: dict[uuid.UUID, datetime] = {}
    for credential_id, claimed_at in claims:
        if credential_id in in_scope:
            first_claim[credential_id] = min(first_claim.get(credential_id, claimed_at), claimed_at)
    for claimed_at in first_claim.values():
        add(_utc_day(claimed_at), "claimed")
    for achievement_id, day, kind, n in used:
        if achievement_id in versions:
            add(day if isinstance(day, date) else date.fromisoformat(day), KIND_METRIC[kind], n)
    return series


def as_reported(body: dict[str, Any]) -> dict[date, dict[str, int]]:
    return {
        date.fromisoformat(row["day"]): {m: row[JSON[m]] for m in METRICS} for row in body["series"]
    }


def totals_of(body: dict[str, Any]) -> dict[str, int]:
    return {m: body["totals"][JSON[m]] for m in METRICS}


def bind(app: FastAPI, offer_id: str) -> None:
    """A wallet takes the credential of the offer (as tests/app/offers do)."""
    with app.state.sessionmaker() as session:
        offer = offers.find_offer(session, uuid.UUID(offer_id))
        assert offer is not None
        holder = did_key(SigningKey.generate().public_key)
        offers.bind_to_holder(session, app.state.context, offer, holder, protocol="oid4vci")
        session.commit()


def offer(client: TestClient, issuer: IssuerHandle, credential_id: str) -> str:
    made = client.post(f"/api/v1/credentials/{credential_id}/offers", headers=issuer.headers)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def backdate(engine: Engine, model: Any, row_id: str, column: str, days: int) -> None:
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)
    key = model.credential_id if model is Offer else model.id
    with engine.begin() as connection:
        connection.execute(update(model).where(key == uuid.UUID(row_id)).values({column: when}))


@pytest.fixture
def world(app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle) -> Any:
    """Two achievements (the first in two versions), issued, revoked, claimed, viewed, verified
    and shared over four days, some of it dated back directly in the database."""
    first = make_achievement(client, issuer, name="Data Analysis")
    second = make_achievement(client, issuer, name="Statistics")
    old = [
        issue(client, issuer, first["id"], recipient={"email": f"a{n}@example.org"})
        for n in range(3)
    ]
    edited = client.patch(
        f"/api/v1/achievements/{first['id']}", json={"tags": ["v2"]}, headers=issuer.headers
    )
    assert edited.status_code == 200, edited.text
    new = [
        issue(client, issuer, first["id"], recipient={"email": f"b{n}@example.org"})
        for n in range(2)
    ]
    others = [issue(client, issuer, second["id"]) for _ in range(2)]
    with engine.connect() as connection:
        assert (
            len(
                connection.execute(
                    select(Achievement.id).where(Achievement.lineage_id == uuid.UUID(first["id"]))
                ).all()
            )
            == 2
        )
    # dated back: two issued two days ago, one revoked yesterday
    backdate(engine, Credential, old[0]["id"], "created_at", 2)
    backdate(engine, Credential, others[0]["id"], "created_at", 2)
    for revoked in (old[1], others[1]):
        response = client.post(
            f"/api/v1/credentials/{revoked['id']}/revoke",
            json={"reason": "test"},
            headers=issuer.headers,
        )
        assert response.status_code == 200, response.text
    backdate(engine, Credential, old[1]["id"], "revoked_at", 1)
    # claims: one credential through two offers (counted once), one yesterday
    twice = [offer(client, issuer, new[0]["id"]) for _ in range(2)]
    for made in twice:
        bind(app, made)
    bind(app, offer(client, issuer, old[2]["id"]))
    backdate(engine, Offer, old[2]["id"], "claimed_at", 1)
    # usage through the real app today, and counts of earlier days flushed as a worker would
    for credential, views in ((old[0], 3), (new[1], 2), (others[0], 1)):
        for _ in range(views):
            assert client.get(f"/credentials/{credential['id']}", headers=HTML).is_success
    assert client.post("/api/v1/verify", json=new[1]["credential"]).json()["verified"]
    assert client.get(
        f"/credentials/{old[0]['id']}/share/linkedin", follow_redirects=False
    ).is_redirect
    counters.flush(app.state.sessionmaker)
    with engine.connect() as connection:
        version = connection.execute(
            select(Credential.achievement_id).where(Credential.id == uuid.UUID(old[0]["id"]))
        ).scalar_one()
    with app.state.sessionmaker() as session:
        repository.add_usage(
            session,
            [
                (uuid.UUID(issuer.id), version, today() - timedelta(days=3), "view", 11),
                (uuid.UUID(issuer.id), version, today() - timedelta(days=1), "verify", 4),
                (uuid.UUID(issuer.id), version, today() - timedelta(days=9), "view", 100),
            ],
        )
        session.commit()
    return {"first": first, "second": second, "old": old, "new": new, "others": others}


def test_the_summary_matches_the_database(
    client: TestClient, engine: Engine, issuer: IssuerHandle, world: Any
) -> None:
    start, end = today() - timedelta(days=3), today() + timedelta(days=1)
    response = client.get(f"/api/v1/reports/summary?from={start}&to={end}", headers=issuer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == (str(start), str(end))
    assert body["achievementId"] is None
    assert body["programId"] is None
    expected = expected_series(engine, issuer, start, end, None)
    assert as_reported(body) == expected
    totals = {m: sum(day[m] for day in expected.values()) for m in METRICS}
    assert totals_of(body) == totals
    # and what the test did, independently of any table
    assert totals == {
        "issued": 7,
        "claimed": 2,
        "viewed": 6 + 11,
        "verified": 1 + 4,
        "shared_linkedin": 1,
        "revoked": 2,
    }
    assert expected[today() - timedelta(days=2)]["issued"] == 2
    assert expected[today() - timedelta(days=1)]["revoked"] == 1
    assert expected[today() - timedelta(days=1)]["claimed"] == 1


def test_one_achievement_covers_all_its_versions(
    client: TestClient, engine: Engine, issuer: IssuerHandle, world: Any
) -> None:
    start, end = today() - timedelta(days=10), today() + timedelta(days=1)
    lineage = world["first"]["id"]
    body = client.get(
        f"/api/v1/reports/summary?from={start}&to={end}&achievementId={lineage}",
        headers=issuer.headers,
    ).json()
    assert body["achievementId"] == lineage
    assert as_reported(body) == expected_series(engine, issuer, start, end, {lineage})
    assert body["totals"]["issued"] == 5  # three of version 1, two of version 2
    assert body["totals"]["viewed"] == 3 + 2 + 11 + 100
    assert body["totals"]["claimed"] == 2


def test_the_csv_says_what_the_json_says(
    client: TestClient, issuer: IssuerHandle, world: Any
) -> None:
    query = f"from={today() - timedelta(days=3)}&to={today() + timedelta(days=1)}"
    body = client.get(f"/api/v1/reports/summary?{query}", headers=issuer.headers).json()
    exported = client.get(f"/api/v1/reports/summary.csv?{query}", headers=issuer.headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.headers["content-disposition"].startswith("attachment;")
    assert exported.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0] == ["day", *METRICS]
    assert table[1:-1] == [
        [row["day"], *(str(row[JSON[m]]) for m in METRICS)] for row in body["series"]
    ]
    assert table[-1] == ["total", *(str(v) for v in totals_of(body).values())]


def test_another_issuer_sees_nothing_of_it(
    client: TestClient, admin_headers: dict[str, str], issuer: IssuerHandle, world: Any
) -> None:
    other = make_issuer(client, admin_headers)
    query = f"from={today() - timedelta(days=3)}&to={today() + timedelta(days=1)}"
    body = client.get(f"/api/v1/reports/summary?{query}", headers=other.headers).json()
    assert set(body["totals"].values()) == {0}
    refused = client.get(
        f"/api/v1/reports/summary?{query}&achievementId={world['first']['id']}",
        headers=other.headers,
    )
    assert_problem(refused, 422, "query.achievementId")
    assert_problem(
        client.get(
            f"/api/v1/reports/summary.csv?achievementId={world['first']['id']}",
            headers=other.headers,
        ),
        422,
        "query.achievementId",
    )
    assert client.get("/api/v1/reports/summary").status_code == 401


UNKNOWN_IDS = [f"00000000-0000-4000-8000-{i:012d}" for i in range(1, 5)]
"""Ids that name nothing (fixed: parameters must be the same in every test worker)."""


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01&to=2026-12-10", "query.from"),
        ("from=20261201&to=2026-12-10", "query.from"),
        ("from=2026-12-01&to=yesterday", "query.to"),
        ("from=2026-12-10&to=2026-12-01", "query.to"),
        ("from=2026-12-10&to=2026-12-10", "query.to"),
        ("from=2025-01-01&to=2026-01-03", "query.to"),  # 367 days
        (f"achievementId={UNKNOWN_IDS[0]}", "query.achievementId"),
        ("achievementId=not-a-uuid", "query.achievementId"),
        (f"programId={UNKNOWN_IDS[1]}", "query.programId"),
        (f"achievementId={UNKNOWN_IDS[2]}&programId={UNKNOWN_IDS[3]}", "query.programId"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(
    client: TestClient, issuer: IssuerHandle, query: str, field: str
) -> None:
    for path in ("/api/v1/reports/summary", "/api/v1/reports/summary.csv"):
        assert_problem(client.get(f"{path}?{query}", headers=issuer.headers), 422, field)


def test_a_year_is_allowed_and_the_default_is_the_last_thirty_days(
    client: TestClient, issuer: IssuerHandle
) -> None:
    year = client.get(
        "/api/v1/reports/summary?from=2024-01-01&to=2025-01-01", headers=issuer.headers
    )
    assert year.status_code == 200, year.text
    assert len(year.json()["series"]) == 366
    default = client.get("/api/v1/reports/summary", headers=issuer.headers).json()
    assert default["to"] == str(today() + timedelta(days=1))
    assert len(default["series"]) == 30


# --- programs ---------------------------------------------------------------------------------


def _program(client: TestClient, issuer: IssuerHandle, modules: list[str]) -> dict[str, Any]:
    made = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Data Science", "zh-CN": "数据科学"},
            "description": {"en": "Two modules.", "zh-CN": "两个模块。"},
            "modules": modules,
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
        },
        headers=issuer.headers,
    )
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


def expected_funnel(
    engine: Engine, issuer: IssuerHandle, program_id: str, modules: list[str]
) -> list[int]:
    """Enrolled, per module, completed: from the rows, in Python."""
    with engine.connect() as connection:
        learners = connection.execute(
            select(ProgramLearner.learner, ProgramLearner.credential_id).where(
                ProgramLearner.program_id == uuid.UUID(program_id)
            )
        ).all()
        held = connection.execute(
            select(Credential.recipient_email, Achievement.lineage_id)
            .join(Achievement, Achievement.id == Credential.achievement_id)
            .where(
                Credential.issuer_id == uuid.UUID(issuer.id),
                Credential.revoked_at.is_(None),
                Credential.bound_from_id.is_(None),
            )
        ).all()
    holders: dict[str, set[str]] = {m: set() for m in modules}
    for email, lineage in held:
        if str(lineage) in holders:
            holders[str(lineage)].add(email)
    enrolled = {learner for learner, _ in learners}
    return [
        len(enrolled),
        *(len(holders[m] & enrolled) for m in modules),
        sum(1 for _, award in learners if award is not None),
    ]


def test_the_funnel_of_a_program_of_two_modules(
    app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle, admin_headers: Any
) -> None:
    modules = [
        make_achievement(client, issuer, name='=HYPERLINK("https://evil.example")')["id"],
        make_achievement(client, issuer, name="Machine Learning <b>II</b>")["id"],
    ]
    program = _program(client, issuer, modules)
    one, two = modules
    plan = {  # learner -> modules issued
        "l1@example.org": [one],
        "l2@example.org": [one, two],  # completes the program
        "l3@example.org": [two],
        "l4@example.org": [one],  # revoked below
        "l5@example.org": [one, two],  # completes too
    }
    issued: dict[str, dict[str, Any]] = {}
    for learner, taken in plan.items():
        for module in taken:
            issued[f"{learner}:{module}"] = issue(
                client, issuer, module, recipient={"email": learner}
            )
    revoked = issued[f"l4@example.org:{one}"]["id"]
    response = client.post(
        f"/api/v1/credentials/{revoked}/revoke", json={"reason": "x"}, headers=issuer.headers
    )
    assert response.status_code == 200

    got = client.get(f"/api/v1/reports/programs/{program['id']}/funnel", headers=issuer.headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["programId"] == program["id"]
    assert body["name"] == {"en": "Data Science", "zh-CN": "数据科学"}
    assert [s["stage"] for s in body["stages"]] == ["enrolled", "module", "module", "completed"]
    assert [s["achievementId"] for s in body["stages"]] == [None, one, two, None]
    assert [s["learners"] for s in body["stages"]] == expected_funnel(
        engine, issuer, program["id"], modules
    )
    assert [s["learners"] for s in body["stages"]] == [5, 3, 3, 2]

    # the CSV: one row per stage, the module names neutralised where a spreadsheet would run them
    exported = client.get(
        f"/api/v1/reports/programs/{program['id']}/funnel.csv", headers=issuer.headers
    )
    assert exported.status_code == 200
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table == [
        ["stage", "achievement_id", "name", "learners"],
        ["enrolled", "", "", "5"],
        ["module", one, '\'=HYPERLINK("https://evil.example")', "3"],
        ["module", two, "Machine Learning <b>II</b>", "3"],
        ["completed", "", "", "2"],
    ]

    # the program's summary: its modules and its awards, nobody else's
    issue(client, issuer, make_achievement(client, issuer)["id"])  # not the program's
    summary = client.get(
        f"/api/v1/reports/summary?programId={program['id']}", headers=issuer.headers
    ).json()
    assert summary["programId"] == program["id"]
    assert summary["totals"]["issued"] == 7 + 2  # module credentials and two awards
    assert summary["totals"]["revoked"] == 1

    # another issuer's key: 404 for the path, 422 naming the query parameter
    stranger = make_issuer(client, admin_headers)
    for path in ("funnel", "funnel.csv"):
        assert_problem(
            client.get(
                f"/api/v1/reports/programs/{program['id']}/{path}", headers=stranger.headers
            ),
            404,
        )
    assert_problem(
        client.get(f"/api/v1/reports/summary?programId={program['id']}", headers=stranger.headers),
        422,
        "query.programId",
    )


def test_a_funnel_of_one_enrolment_period(
    client: TestClient, engine: Engine, issuer: IssuerHandle
) -> None:
    module = make_achievement(client, issuer)["id"]
    program = _program(client, issuer, [module])
    for n in range(3):
        issue(client, issuer, module, recipient={"email": f"c{n}@example.org"})
    with engine.begin() as connection:
        connection.execute(
            update(ProgramLearner)
            .where(
                ProgramLearner.program_id == uuid.UUID(program["id"]),
                ProgramLearner.learner == "c0@example.org",
            )
            .values(created_at=datetime.now(UTC) - timedelta(days=40))
        )
    path = f"/api/v1/reports/programs/{program['id']}/funnel"
    everyone = client.get(path, headers=issuer.headers).json()
    assert [s["learners"] for s in everyone["stages"]] == [3, 3, 3]
    recent = client.get(f"{path}?from={today() - timedelta(days=7)}", headers=issuer.headers)
    assert recent.json()["from"] == str(today() - timedelta(days=7))
    assert [s["learners"] for s in recent.json()["stages"]] == [2, 2, 2]
    assert_problem(client.get(f"{path}?from=2026-02-30", headers=issuer.headers), 422, "query.from")


def test_usage_rows_of_another_issuer_never_count(
    app: FastAPI, client: TestClient, admin_headers: Any, issuer: IssuerHandle, achievement: Any
) -> None:
    """Every query is filtered by issuer first: usage written under another issuer's id for
    this issuer's achievement version (which the service never writes) is not read."""
    credential = issue(client, issuer, achievement["id"])
    other = make_issuer(client, admin_headers)
    with app.state.sessionmaker() as session:
        version = session.scalar(
            select(Credential.achievement_id).where(Credential.id == uuid.UUID(credential["id"]))
        )
        usage.count(usage.VIEW, uuid.UUID(other.id), version)
    counters.flush(app.state.sessionmaker)
    mine = client.get("/api/v1/reports/summary", headers=issuer.headers).json()
    theirs = client.get("/api/v1/reports/summary", headers=other.headers).json()
    assert mine["totals"]["viewed"] == 0
    assert theirs["totals"]["viewed"] == 1
    assert Counter(mine["totals"].values())[0] == 5  # only "issued" is 1
