"""Programs and the assessor workflow in Debian's chromium, against a live server: a
coordinator reads the learners' progress matrix (and the programs, endorsements and create
pages); a mentor (assessor) opens their module, picks a learner and records a result with
evidence. In English and Chinese, on a desktop and a phone.

Every page passes axe-core with no serious or critical violation, nothing overflows a 390 px
phone, there are no console errors and nothing is fetched from outside. Screenshots go to
``test-output/screenshots/console-programs-*.png`` for review.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from console_browser_support import bound_socket, check_page, serving
from console_support import PASSWORD, make_staff
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import select
from web_support import Issuer, make_app, make_settings

from app.models import StaffMembership

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
RUNS = [("en-US", "desktop"), ("zh-CN", "desktop"), ("en-US", "phone"), ("zh-CN", "phone")]
TEXT = {
    "en-US": {
        "lang": "en",
        "submit": "Sign in",
        "matrix": "Learners' progress",
        "held": "Held",
        "record": "Record and issue",
        "recorded": "Recorded: the module's credential is issued.",
    },
    "zh-CN": {
        "lang": "zh-CN",
        "submit": "登录",
        "matrix": "学习者进度",
        "held": "已获得",
        "record": "记录并颁发",
        "recorded": "已记录：模块证书已颁发。",
    },
}
RUBRIC = [
    {"id": "urn:uuid:00000000-0000-4000-8000-0000000000b1", "name": "Developing"},
    {"id": "urn:uuid:00000000-0000-4000-8000-0000000000b2", "name": "Proficient"},
    {"id": "urn:uuid:00000000-0000-4000-8000-0000000000b3", "name": "Exemplary"},
]


@dataclass(frozen=True)
class Live:
    url: str
    app: FastAPI
    client: TestClient
    issuer_id: str
    program_id: str
    modules: list[str]
    coordinator: str
    mentor: str


def _post(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    sock, url = bound_socket()
    app = make_app(make_settings(tmp_path_factory.mktemp("programs"), url))
    client = TestClient(app, base_url=url)
    issuer = Issuer(client, {"en": "Example University", "zh-CN": "示例大学"})
    results = [
        {"name": "Final grade", "resultType": "LetterGrade", "allowedValue": ["C", "B", "A"]},
        {
            "name": "Industry project",
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": RUBRIC,
        },
    ]
    modules = [
        issuer.achievement(name, achievementType="MicroCredential", resultDescription=results)
        for name in ("Computer-assisted translation", "Localisation project", "Terminology")
    ]
    program = _post(
        client,
        "/api/v1/programs",
        {
            "name": {"en": "Intelligent Translation", "zh-CN": "智能翻译与国际传播"},
            "description": {"en": "Three modules.", "zh-CN": "三个模块。"},
            "modules": modules,
            "rule": {"kind": "n_of", "n": 2},
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "Two."}},
        },
        issuer.headers,
    )
    learners = {
        "li.wei@example.org": ("Li Wei", [0, 1]),
        "zhang.min@example.org": ("张敏", [0]),
        "ana.garcia@example.org": ("Ana García", [1, 2]),
        "omar.haddad@example.org": ("Omar Haddad", [2]),
    }
    for run in RUNS:  # one learner per run for the mentor to assess
        learners[f"mentee.{'-'.join(run).lower()}@example.org"] = (f"Mentee {run[0]}", [1])
    for email, (name, held) in learners.items():
        for index in held:
            _post(
                client,
                "/api/v1/credentials",
                {
                    "achievementId": modules[index],
                    "recipient": {"email": email, "name": name},
                    "notify": False,
                },
                issuer.headers,
            )
    revoked = _post(
        client,
        "/api/v1/credentials",
        {"achievementId": modules[0], "recipient": {"email": "omar.haddad@example.org"}},
        issuer.headers,
    )
    _post(client, f"/api/v1/credentials/{revoked['id']}/revoke", {"reason": "x"}, issuer.headers)
    issuer_id = client.get("/api/v1/issuer", headers=issuer.headers).json()["id"]
    partner = Issuer(client, {"en": "Lingua Tech Ltd", "zh-CN": "语言科技有限公司"})
    for module, comments in (
        (
            modules[0],
            {
                "en": "Graduates are ready for our localisation teams.",
                "zh-CN": "毕业生可直接加入我们的本地化团队。",
            },
        ),
        (modules[1], {"en": "A real client project, assessed by our engineers."}),
    ):
        _post(
            client,
            "/api/v1/endorsements",
            {"targetType": "achievement", "targetId": module, "comment": comments},
            partner.headers,
        )
    coordinator, _ = make_staff(
        app, issuer_id=issuer_id, role="owner", name="Chen Jing", email="chen.jing@example.org"
    )
    mentor, mentor_id = make_staff(
        app, issuer_id=issuer_id, role="assessor", name="Wang Lei", email="wang.lei@example.org"
    )
    with app.state.sessionmaker() as session:
        membership = session.scalars(
            select(StaffMembership).where(StaffMembership.user_id == mentor_id)
        ).one()
        membership.assigned_modules = [modules[0]]
        session.commit()
    with serving(app, sock):
        yield Live(url, app, client, issuer_id, program["id"], modules, coordinator, mentor)
    client.close()
    app.state.engine.dispose()


def _context(
    browser: Browser, live: Live, locale: str, viewport: str
) -> tuple[BrowserContext, list[str]]:
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
    return context, outside


def _sign_in(page: Page, live: Live, email: str, target: str, submit: str) -> None:
    page.goto(target)
    assert "/console/sign-in?next=" in page.url
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=submit, exact=True).click()
    page.wait_for_url(re.compile(re.escape(target.removeprefix(live.url)) + "$"))


@pytest.mark.parametrize(("locale", "viewport"), RUNS)
def test_progress_matrix_and_a_mentor_recording_a_result(
    browser: Browser, live: Live, locale: str, viewport: str
) -> None:
    text = TEXT[locale]
    name = f"console-programs-{text['lang']}-{viewport}"
    base = f"{live.url}/console/{live.issuer_id}"
    errors: list[str] = []

    # the coordinator: programs, the matrix, the CSV, the create form, endorsements
    context, outside = _context(browser, live, locale, viewport)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, live, live.coordinator, f"{base}/programs", text["submit"])
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])
    check_page(page, f"{name}-1-programs")
    page.locator(f'tr[data-program="{live.program_id}"] a').click()
    expect(page.locator("#matrix-title")).to_have_text(text["matrix"])
    li = page.locator('tr[data-learner="li.wei@example.org"]')
    expect(li.locator("td[data-state]")).to_have_count(3)
    assert [c.get_attribute("data-state") for c in li.locator("td[data-state]").all()] == [
        "held",
        "held",
        "none",
    ]
    expect(li.locator("td[data-completed]")).to_have_attribute("data-completed", "awarded")
    omar = page.locator('tr[data-learner="omar.haddad@example.org"]')
    assert omar.locator("td[data-state]").first.get_attribute("data-state") == "revoked"
    expect(li.locator("td[data-state]").first).to_contain_text(text["held"])
    check_page(page, f"{name}-2-matrix")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("CSV")).click()
    assert download.value.suggested_filename.endswith("-progress.csv")
    page.goto(f"{base}/programs/new")
    check_page(page, f"{name}-3-new-program")
    page.goto(f"{base}/endorsements")
    expect(page.locator('tr[data-state="pending"]')).to_have_count(2)
    check_page(page, f"{name}-4-endorsements")
    page.goto(f"{base}/assessors")
    expect(
        page.locator('form[data-assessor="wang.lei@example.org"] input[type=checkbox]:checked')
    ).to_have_count(1)
    check_page(page, f"{name}-4b-assessors")
    context.close()

    # the mentor: their module, a learner, a result with evidence
    context, outside_mentor = _context(browser, live, locale, viewport)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, live, live.mentor, f"{base}/assess", text["submit"])
    check_page(page, f"{name}-5-assess")
    page.locator(f'a[href="/console/{live.issuer_id}/assess/{live.modules[0]}"]').first.click()
    mentee = f"mentee.{locale.lower()}-{viewport}@example.org"
    page.locator(f'tr[data-learner="{mentee}"] a').click()
    expect(page.locator("#f-recipient_email")).to_have_value(mentee)
    check_page(page, f"{name}-6-assess-module")
    page.locator("#f-res-0-value").select_option("A")
    page.locator("#f-res-1-level").select_option(RUBRIC[2]["id"])
    page.locator("#f-ev-0-url").fill("https://portfolio.example.org/capstone")
    page.locator("#f-ev-0-name").fill("Capstone")
    page.locator("#f-ev-0-narrative").fill("Localised the partner's product into Chinese.")
    page.get_by_role("button", name=text["record"], exact=True).click()
    expect(page.locator("#recorded")).to_contain_text(text["recorded"])
    expect(page.locator(f'tr[data-learner="{mentee}"] td[data-state]')).to_have_attribute(
        "data-state", "held"
    )
    check_page(page, f"{name}-7-recorded")
    href = page.locator("#recorded a").get_attribute("href")
    assert href
    signed = live.client.get(f"{href}.json").json()
    assert signed["credentialSubject"]["source"]["name"] == "Wang Lei"
    assert {
        r.get("value") or r.get("achievedLevel") for r in signed["credentialSubject"]["result"]
    } == {
        "A",
        RUBRIC[2]["id"],
    }
    assert uuid.UUID(href.rsplit("/", 1)[1])
    context.close()
    assert errors == []
    assert outside == []
    assert outside_mentor == []
