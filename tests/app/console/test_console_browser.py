"""The staff console in Debian's chromium: sign in, the home and dashboard, users, the audit
log, and revoking a credential with a reason, in English and Chinese, on a phone and a
desktop, against a live server.

Each page passes axe-core with no serious or critical violation, nothing overflows a 390 px
phone, there are no console errors and nothing is fetched from outside. Screenshots go to
``test-output/screenshots/console-*.png`` for review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from account_support import deliver, mails_to
from console_browser_support import bound_socket, check_page, serving
from console_support import PASSWORD, make_staff
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Route, expect
from web_support import Issuer, make_app, make_settings

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TEXT = {
    "en-US": {
        "lang": "en",
        "sign_in": "Sign in to the staff console",
        "submit": "Sign in",
        "home": "Your issuers",
        "audit": "Audit log",
        "users": "Users",
        "credentials": "Credentials",
        "revoke": "Revoke",
        "revoked": "Revoked",
    },
    "zh-CN": {
        "lang": "zh-CN",
        "sign_in": "登录工作人员控制台",
        "submit": "登录",
        "home": "您的颁发机构",
        "audit": "审计日志",
        "users": "用户",
        "credentials": "证书",
        "revoke": "撤销",
        "revoked": "已撤销",
    },
}


@dataclass(frozen=True)
class Live:
    url: str
    app: FastAPI
    issuer_id: str
    email: str
    credentials: dict[tuple[str, str], str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    sock, url = bound_socket()
    app = make_app(make_settings(tmp_path_factory.mktemp("console"), url))
    client = TestClient(app, base_url=url)
    issuer = Issuer(client, {"en": "Example University", "zh-CN": "示例大学"})
    achievement = issuer.achievement("Data Analysis with Python", achievementType="Certificate")
    credentials = {
        (locale, viewport): issuer.issue(achievement, name=f"Learner {locale} {viewport}")
        for locale in TEXT
        for viewport in VIEWPORTS
    }
    issuer_id = client.get("/api/v1/issuer", headers=issuer.headers).json()["id"]
    email, _ = make_staff(
        app, issuer_id=issuer_id, role="owner", name="Li Na", email="li.na@example.org"
    )
    make_staff(
        app, issuer_id=issuer_id, role="viewer", name="Wang Fang", email="wang.fang@example.org"
    )
    with serving(app, sock):
        yield Live(url, app, issuer_id, email, credentials)
    client.close()
    app.state.engine.dispose()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("locale", list(TEXT))
def test_sign_in_audit_log_and_revoke(
    browser: Browser, live: Live, locale: str, viewport: str
) -> None:
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
    name = f"console-{text['lang']}-{viewport}"
    base = f"{live.url}/console/{live.issuer_id}"

    # not signed in: the audit log sends to the sign-in page, and back afterwards
    page.goto(f"{base}/audit")
    assert "/console/sign-in?next=" in page.url
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])
    expect(page.locator("h1")).to_have_text(text["sign_in"])
    check_page(page, f"{name}-1-sign-in")
    page.locator("#email").fill(live.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=text["submit"], exact=True).click()
    page.wait_for_url(re.compile(r"/audit$"))
    expect(page.locator("h1")).to_have_text(text["audit"])

    page.goto(f"{live.url}/console")
    expect(page.locator("h1")).to_have_text(text["home"])
    expect(page.locator("main")).to_contain_text(
        "示例大学" if locale == "zh-CN" else "Example University"
    )
    check_page(page, f"{name}-2-home")
    page.locator(".console-issuers a").first.click()
    page.wait_for_url(re.compile(rf"/console/{live.issuer_id}$"))
    check_page(page, f"{name}-3-dashboard")

    page.get_by_role("navigation", name=re.compile("Console sections|控制台栏目")).get_by_role(
        "link", name=text["users"]
    ).click()
    expect(page.locator("h1")).to_have_text(text["users"])
    expect(page.locator("main")).to_contain_text("wang.fang@example.org")
    check_page(page, f"{name}-4-users")

    # revoke this run's credential with a reason
    credential = live.credentials[(locale, viewport)]
    page.goto(f"{base}/credentials")
    expect(page.locator("h1")).to_have_text(text["credentials"])
    check_page(page, f"{name}-5-credentials")
    page.locator(f'tr[data-credential="{credential}"] a').click()
    page.locator("#reason").fill("Issued to the wrong learner")
    page.get_by_role("button", name=text["revoke"], exact=True).click()
    expect(page.locator("#credential-state")).to_have_text(text["revoked"])
    expect(page.locator("[role=status]")).to_be_visible()
    check_page(page, f"{name}-6-revoked")

    # the audit log names the person and the reason; the CSV downloads
    page.goto(f"{base}/audit?subject_id={credential}")
    row = page.locator('tr[data-action="credential.revocation"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text(live.email)
    expect(row).to_contain_text("Issued to the wrong learner")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("CSV")).click()
    assert download.value.suggested_filename.endswith(".csv")
    page.goto(f"{base}/audit")
    check_page(page, f"{name}-7-audit")

    # the person's own page: the authenticator set-up shows a QR code and its key
    page.goto(f"{live.url}/console/me")
    page.locator("form[action='/console/me/totp'] button").click()
    expect(page.locator("#totp-secret")).to_be_visible()
    check_page(page, f"{name}-8-me-authenticator")

    page.get_by_role("button", name=re.compile("^(Sign out|退出登录)$")).click()
    expect(page.locator("h1")).to_have_text(text["sign_in"])
    assert errors == []
    assert outside == []
    context.close()


@pytest.mark.parametrize(("locale", "viewport"), [("en-US", "desktop"), ("zh-CN", "phone")])
def test_a_platform_admin_creates_an_issuer(
    browser: Browser, live: Live, locale: str, viewport: str
) -> None:
    text = TEXT[locale]
    email, _ = make_staff(live.app, platform_admin=True, name="Admin")
    context = browser.new_context(
        locale=locale,
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        bypass_csp=True,  # lets the test inject axe; the pages allow no inline script
    )
    page = context.new_page()
    page.goto(f"{live.url}/console/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=text["submit"], exact=True).click()
    page.wait_for_url(re.compile(r"/console$"))
    name = f"console-{text['lang']}-{viewport}-new-issuer"
    page.locator("#issuer-url").fill("not a url")
    page.locator("form[action='/console/issuers'] button").click()
    expect(page.locator("#issuer-url")).to_have_attribute("aria-invalid", "true")
    check_page(page, f"{name}-1-errors")
    page.locator("#issuer-name_en").fill("Partner Institute")
    page.locator("#issuer-name_zh").fill("合作学院")
    page.locator("#issuer-url").fill("https://partner.example")
    page.locator("form[action='/console/issuers'] button").click()
    page.wait_for_url(re.compile(r"/console/[0-9a-f-]{36}\?notice=created$"))
    expect(page.locator("[role=status]")).to_be_visible()
    check_page(page, f"{name}-2-created")
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("locale", list(TEXT))
def test_a_forgotten_password_is_replaced(
    browser: Browser, live: Live, locale: str, viewport: str
) -> None:
    text = TEXT[locale]
    email, _ = make_staff(live.app, email=f"reset.{text['lang']}.{viewport}@example.org".lower())
    context = browser.new_context(
        locale=locale,
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        bypass_csp=True,  # lets the test inject axe; the pages allow no inline script
    )
    page = context.new_page()
    errors: list[str] = []  # the pages' own 400 and 410 are meant; their assets must load
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type not in ("document", "other")
            else None
        ),
    )
    name = f"console-{text['lang']}-{viewport}-reset"
    page.goto(f"{live.url}/console/sign-in")
    page.get_by_role("link", name=re.compile("^(Forgot your password\\?|忘记密码？)$")).click()
    page.wait_for_url(re.compile(r"/console/forgot-password"))
    check_page(page, f"{name}-1-ask")
    page.locator("#email").fill(email)
    page.locator("form.account-form button").click()
    expect(page.locator("[role=status]")).to_contain_text(email)
    check_page(page, f"{name}-2-sent")
    deliver(live.app)
    (mail,) = mails_to(live.app, email)
    link = re.search(r"https?://\S+/console/reset-password/[\w\-]+", mail.part("plain") or "")
    assert link
    page.goto(link.group(0))
    expect(page.locator("main")).to_contain_text(email)
    page.locator("#password").fill("a new passphrase here")
    page.locator("#password_again").fill("another passphrase")
    page.locator("form.account-form button").click()
    expect(page.locator("#reset-error")).to_be_visible()
    check_page(page, f"{name}-3-choose")
    page.locator("#password").fill("a new passphrase here")
    page.locator("#password_again").fill("a new passphrase here")
    page.locator("form.account-form button").click()
    page.wait_for_url(re.compile(r"/console/sign-in\?notice=password_reset"))
    expect(page.locator("h1")).to_have_text(text["sign_in"])
    expect(page.locator("[role=status]")).to_be_visible()
    check_page(page, f"{name}-4-signed-out")
    page.locator("#email").fill(email)
    page.locator("#password").fill("a new passphrase here")
    page.get_by_role("button", name=text["submit"], exact=True).click()
    page.wait_for_url(re.compile(r"/console$"))
    page.goto(link.group(0))
    check_page(page, f"{name}-5-used")
    assert errors == []
    context.close()
