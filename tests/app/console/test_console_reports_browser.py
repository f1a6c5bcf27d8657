"""The console's reports page in Debian's chromium, against a live server: a program with
data over several days, chosen in the form; the totals, the charts and the funnel in English
and Chinese, on a desktop and a phone.

The page passes axe-core with no serious or critical violation, nothing overflows a 390 px
phone, there are no console errors and nothing is fetched from outside. Screenshots go to
``test-output/screenshots/console-reports-*.png`` for review.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from console_browser_support import bound_socket, check_page, serving
from console_support import PASSWORD, make_staff
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Route, expect
from sqlalchemy import select, update
from web_support import Issuer, make_app, make_settings

from app.models import Credential
from app.reports import counters, repository

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TEXT = {
    "en-US": {
        "lang": "en",
        "submit": "Sign in",
        "reports": "Reports",
        "apply": "Show report",
        "enrolled": "Enrolled",
        "completed": "Completed",
        "program": "Data Science",
    },
    "zh-CN": {
        "lang": "zh-CN",
        "submit": "登录",
        "reports": "报表",
        "apply": "显示报表",
        "enrolled": "已报名",
        "completed": "已完成",
        "program": "数据科学",
    },
}


@dataclass(frozen=True)
class Live:
    url: str
    app: FastAPI
    issuer_id: str
    program_id: str
    email: str


def _seed(app: FastAPI, client: TestClient) -> tuple[str, str]:
    """A program of three modules, twelve learners at different stages over ten days, and
    views, verifications and LinkedIn clicks on several days."""
    issuer = Issuer(client, {"en": "Example University", "zh-CN": "示例大学"})
    modules = [
        issuer.achievement(name, achievementType="Course")
        for name in ("Python for Data Analysis", "Statistics and Probability", "Capstone Project")
    ]
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Data Science", "zh-CN": "数据科学"},
            "description": {"en": "Three modules.", "zh-CN": "三个模块。"},
            "modules": modules,
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    engine = app.state.engine
    issued: list[tuple[str, int]] = []
    for n in range(12):
        for module in modules[: (1, 2, 3, 3)[n % 4]]:
            credential = issuer.issue(
                module, name=f"Learner {n}", recipient={"email": f"learner{n}@example.org"}
            )
            issued.append((credential, n % 9))
    issuer.change(issued[0][0], "revoke")
    with engine.begin() as connection:
        for credential, days in issued:
            when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)
            connection.execute(
                update(Credential)
                .where(Credential.id == uuid.UUID(credential))
                .values(created_at=when)
            )
    issuer_id = str(client.get("/api/v1/issuer", headers=issuer.headers).json()["id"])
    with engine.connect() as connection:
        version = connection.execute(
            select(Credential.achievement_id).where(Credential.id == uuid.UUID(issued[1][0]))
        ).scalar_one()
    today = datetime.now(UTC).date()
    with app.state.sessionmaker() as session:
        repository.add_usage(
            session,
            [
                (uuid.UUID(issuer_id), version, today - timedelta(days=d), kind, count)
                for d in range(12)
                for kind, count in (
                    ("view", 3 + (d * 7) % 11),
                    ("verify", d % 3),
                    ("linkedin", d % 2),
                )
            ],
        )
        session.commit()
    for _ in range(2):
        assert client.get(
            f"/credentials/{issued[1][0]}", headers={"Accept": "text/html"}
        ).is_success
    counters.flush(app.state.sessionmaker)
    return issuer_id, str(program.json()["id"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    sock, url = bound_socket()
    app = make_app(make_settings(tmp_path_factory.mktemp("console-reports"), url))
    client = TestClient(app, base_url=url)
    issuer_id, program_id = _seed(app, client)
    email, _ = make_staff(
        app, issuer_id=issuer_id, role="viewer", name="Wang Fang", email="wang.fang@example.org"
    )
    with serving(app, sock):
        yield Live(url, app, issuer_id, program_id, email)
    client.close()
    app.state.engine.dispose()


@pytest.mark.parametrize(
    ("locale", "viewport"),
    [("en-US", "desktop"), ("zh-CN", "desktop"), ("en-US", "phone"), ("zh-CN", "phone")],
)
def test_reports_of_a_program(browser: Browser, live: Live, locale: str, viewport: str) -> None:
    text = TEXT[locale]
    context = browser.new_context(
        locale=locale,
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        accept_downloads=True,
        bypass_csp=True,  # lets the test inject axe; the pages allow no inline script
    )
    outside: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(live.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = f"console-reports-{text['lang']}-{viewport}"
    base = f"{live.url}/console/{live.issuer_id}/reports"

    page.goto(base)
    assert "/console/sign-in?next=" in page.url
    page.locator("#email").fill(live.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=text["submit"], exact=True).click()
    page.wait_for_url(re.compile(r"/reports$"))
    expect(page.locator("h1")).to_have_text(text["reports"])
    expect(page.locator("#report-totals tr[data-metric]")).to_have_count(6)

    # choose the program and the last 7 days in the form
    page.locator("#r-scope").select_option(f"program:{live.program_id}")
    today = datetime.now(UTC).date()
    page.locator("#r-from").fill((today - timedelta(days=13)).isoformat())
    page.get_by_role("button", name=text["apply"], exact=True).click()
    page.wait_for_url(re.compile(r"scope=program"))
    expect(page.locator("#report-showing")).to_contain_text(text["program"])
    stages = page.locator("#report-funnel tr[data-stage]")
    expect(stages).to_have_count(5)
    expect(stages.first).to_contain_text(text["enrolled"])
    expect(stages.first).to_contain_text("12")
    expect(stages.last).to_contain_text(text["completed"])
    expect(page.locator(".report-chart svg[role=img]")).to_have_count(7)
    issued = page.locator('#report-totals tr[data-metric="issued"] td')
    assert int(issued.inner_text()) > 0
    check_page(page, f"{name}-1-program")

    # the funnel's CSV downloads
    with page.expect_download() as download:
        page.locator("#funnel-csv").click()
    assert download.value.suggested_filename == f"funnel-{live.program_id}.csv"

    # a bad period: the form again with the error beside the field
    page.locator("#r-from").fill((today + timedelta(days=3)).isoformat())
    page.get_by_role("button", name=text["apply"], exact=True).click()
    expect(page.locator("#e-until")).to_be_visible()
    expect(page.locator("#r-until")).to_have_attribute("aria-invalid", "true")
    check_page(page, f"{name}-2-error")
    # the form sent back with its errors answers 422, which chromium logs; nothing else may fail
    assert [e for e in errors if "status of 422" not in e] == []
    assert outside == []
    context.close()
