"""Create an achievement and issue one credential of it in Debian's chromium, as an issuer,
in English and Chinese, on a phone and a desktop, against a live server.

Every page passes axe-core with no serious or critical violation, nothing overflows a 390 px
phone, there are no console errors and nothing is fetched from outside. Screenshots go to
``test-output/screenshots/console-achievements-*.png`` for review.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from console_browser_support import bound_socket, check_page, serving
from console_support import PASSWORD, make_staff
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Route, expect
from test_console_achievements import CLEAN_SVG
from web_support import Issuer, make_app, make_settings

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TEXT = {
    "en-US": {
        "lang": "en",
        "name": "Terminology Management",
        "new": "New achievement",
        "preview": "Preview",
        "create": "Create achievement",
        "created": "The achievement is created.",
        "issue_this": "Issue this",
        "issue": "Issue the credential",
        "error": "Give the learner's e-mail address or DID.",
        "achievements": "Achievements",
        "sign_in": "Sign in",
    },
    "zh-CN": {
        "lang": "zh-CN",
        "name": "术语管理",
        "new": "新建成就",
        "preview": "预览",
        "create": "创建成就",
        "created": "成就已创建。",
        "issue_this": "颁发此成就",
        "issue": "颁发证书",
        "error": "请填写学习者的电子邮箱或 DID。",
        "achievements": "成就",
        "sign_in": "登录",
    },
}


@dataclass(frozen=True)
class Live:
    url: str
    app: FastAPI
    issuer_id: str
    email: str
    client: TestClient
    headers: dict[str, str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    sock, url = bound_socket()
    app = make_app(make_settings(tmp_path_factory.mktemp("console-achievements"), url))
    client = TestClient(app, base_url=url)
    issuer = Issuer(client, {"en": "Northwest Applied University", "zh-CN": "西北应用大学"})
    issuer.achievement(
        "Computer-Assisted Translation",
        achievementType="Course",
        alignment=[
            {
                "targetName": "Use CAT tools",
                "targetUrl": "https://framework.example/translation/cat",
                "targetFramework": "NWAU Translation Competence Framework",
            }
        ],
    )
    issuer_id = client.get("/api/v1/issuer", headers=issuer.headers).json()["id"]
    email, _ = make_staff(
        app, issuer_id=issuer_id, role="issuer", name="Zhang Wei", email="zhang.wei@example.org"
    )
    with serving(app, sock):
        yield Live(url, app, issuer_id, email, client, issuer.headers)
    client.close()
    app.state.engine.dispose()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("locale", list(TEXT))
def test_create_an_achievement_and_issue_one(
    browser: Browser, live: Live, locale: str, viewport: str, tmp_path: Path
) -> None:
    text = TEXT[locale]
    context = browser.new_context(
        locale=locale,
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
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
    # a form sent back with its errors answers 422, which chromium logs; nothing else may fail
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "status of 422" not in m.text else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = f"console-achievements-{text['lang']}-{viewport}"
    base = f"{live.url}/console/{live.issuer_id}"

    page.goto(f"{base}/achievements")
    page.locator("#email").fill(live.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=text["sign_in"], exact=True).click()
    page.wait_for_url(re.compile(r"/achievements$"))
    expect(page.locator("h1")).to_have_text(text["achievements"])
    check_page(page, f"{name}-1-list")

    page.get_by_role("link", name=text["new"]).click()
    page.wait_for_url(re.compile(r"/achievements/new$"))
    title = f"{text['name']} {viewport}"
    page.locator("#f-name").fill(title)
    page.locator("#f-description").fill("Building and maintaining **termbases** for projects.")
    page.locator("#f-criteria_narrative").fill(
        "1. Build a termbase of 200 entries\n2. Pass the review"
    )
    page.locator("#f-achievement_type").select_option("MicroCredential")
    page.locator("#f-in_language").fill(text["lang"])
    page.locator("#f-tags").fill("translation, terminology")
    page.locator("#f-credits").fill("2")
    page.locator("#f-human_code").fill("TT-102")
    page.locator("#f-rd-0-name").fill("Final grade")
    page.locator("#f-rd-0-type").select_option("LetterGrade")
    page.locator("#f-rd-0-allowed").fill("C\nB\nA")
    page.locator("#f-rd-1-name").fill("Termbase review")
    page.locator("#f-rd-1-type").select_option("RubricCriterionLevel")
    page.locator("#f-rd-1-levels").fill("Developing\nProficient\nExemplary")
    page.locator("#f-al-0-known").select_option("https://framework.example/translation/cat")
    page.locator("#f-al-1-name").fill("Manage terminology")
    page.locator("#f-al-1-url").fill("https://esco.example/skill/terminology")
    page.locator("#f-al-1-framework").fill("ESCO")
    svg = tmp_path / "badge.svg"
    svg.write_bytes(CLEAN_SVG)
    page.locator("#f-image").set_input_files(str(svg))
    page.locator("#f-image_caption").fill("A blue disc with the letters OB")
    check_page(page, f"{name}-2-form")

    page.get_by_role("button", name=text["preview"], exact=True).first.click()
    expect(page.locator(".ca-preview")).to_be_visible()
    expect(page.locator(".ca-preview .hero__title")).to_have_text(title)
    expect(page.locator(".ca-preview img.hero__image")).to_be_visible()
    check_page(page, f"{name}-3-preview")

    page.get_by_role("button", name=text["create"], exact=True).first.click()
    expect(page.locator("[role=status]")).to_have_text(text["created"])
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("#alignments")).to_contain_text("Use CAT tools")
    expect(page.locator("#alignments")).to_contain_text("Manage terminology")
    check_page(page, f"{name}-4-detail")
    lineage = page.url.split("/achievements/")[1].split("?")[0]

    page.get_by_role("link", name=text["issue_this"]).click()
    page.wait_for_url(re.compile(r"/issue\?achievement="))
    page.locator("#f-recipient_name").fill("李娜" if locale == "zh-CN" else "Li Na")
    page.locator("#f-res-0-value").select_option("A")
    page.locator("#f-ev-0-url").fill("https://portfolio.example/li-na/termbase")
    page.locator("#f-ev-0-name").fill("Termbase")
    page.locator("#f-ev-0-narrative").fill("A 240-entry termbase for a localisation project.")
    page.get_by_role("button", name=text["issue"], exact=True).click()
    expect(page.locator("#e-recipient_email")).to_have_text(text["error"])
    expect(page.locator("#f-recipient_name")).to_have_value(
        "李娜" if locale == "zh-CN" else "Li Na"
    )
    expect(page.locator("#f-ev-0-name")).to_have_value("Termbase")
    check_page(page, f"{name}-5-issue-error")

    page.locator("#f-recipient_email").fill(f"li.na.{viewport}@example.org")
    page.locator("#f-res-1-level").select_option(label="Exemplary")
    page.get_by_role("button", name=text["issue"], exact=True).click()
    page.wait_for_url(re.compile(r"/credentials/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_have_text(title)
    check_page(page, f"{name}-6-issued")
    credential_id = page.url.rsplit("/", 1)[1]

    signed = json.loads(live.client.get(f"/credentials/{credential_id}.json").text)
    subject = signed["credentialSubject"]
    assert subject["achievement"]["name"] == title
    assert subject["achievement"]["image"]["id"].startswith("data:image/svg+xml;base64,")
    assert {r.get("value") for r in subject["result"]} >= {"A"}
    assert signed["evidence"][0]["name"] == "Termbase"
    api = live.client.get(f"/api/v1/achievements/{lineage}", headers=live.headers).json()
    assert [a["targetName"] for a in api["alignment"]] == ["Use CAT tools", "Manage terminology"]

    # the saved achievement's own preview
    page.goto(f"{base}/achievements/{lineage}/preview")
    expect(page.locator(".hero__title")).to_have_text(title)
    check_page(page, f"{name}-7-saved-preview")
    assert errors == []
    assert outside == []
    context.close()
