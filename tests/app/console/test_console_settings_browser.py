"""The owner's settings pages in Debian's chromium, against a live server: edit the profile,
rotate the signing keys (through the confirmation page), create a webhook (its secret shown
once) and preview an e-mail, in English and Chinese, on a desktop and a phone.

Each page passes axe-core with no serious or critical violation, nothing overflows the phone's
390 px, there are no console errors and nothing is fetched from another host. Screenshots go
to ``test-output/screenshots/console-settings-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from console_browser_support import bound_socket, check_page, serving
from console_support import PASSWORD, make_staff
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Route, expect
from web_support import Issuer, make_app, make_settings

pytestmark = pytest.mark.browser
LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80"><rect width="200" height="80" '
    b'rx="12" fill="#7c2d12"/><circle cx="40" cy="40" r="24" fill="#fbbf24"/></svg>'
)
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TEXT = {
    "en-US": {
        "lang": "en",
        "submit": "Sign in",
        "settings": "Settings",
        "profile": "Issuer profile",
        "save": "Save",
        "saved": "Saved.",
        "rotate": "Rotate keys…",
        "confirm": "Rotate the chosen keys",
        "create": "Create the endpoint",
        "created": "Webhook endpoint created",
        "retired": "Retired",
    },
    "zh-CN": {
        "lang": "zh-CN",
        "submit": "登录",
        "settings": "设置",
        "profile": "颁发机构资料",
        "save": "保存",
        "saved": "已保存。",
        "rotate": "轮换密钥…",
        "confirm": "轮换所选密钥",
        "create": "创建端点",
        "created": "已创建 Webhook 端点",
        "retired": "已停用",
    },
}
RUNS = [("en-US", "desktop"), ("zh-CN", "desktop"), ("zh-CN", "phone"), ("en-US", "phone")]


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
    app = make_app(make_settings(tmp_path_factory.mktemp("console-settings"), url))
    client = TestClient(app, base_url=url)
    issuer = Issuer(client, {"en": "Example University", "zh-CN": "示例大学"})
    issuer_id = client.get("/api/v1/issuer", headers=issuer.headers).json()["id"]
    email, _ = make_staff(
        app, issuer_id=issuer_id, role="owner", name="Li Na", email="li.na@example.org"
    )
    with serving(app, sock):
        yield Live(url, app, issuer_id, email, client, issuer.headers)
    client.close()
    app.state.engine.dispose()


@pytest.mark.parametrize(("locale", "viewport"), RUNS)
def test_profile_key_rotation_and_a_webhook(
    browser: Browser, live: Live, locale: str, viewport: str
) -> None:
    text = TEXT[locale]
    context = browser.new_context(
        locale=locale,
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        bypass_csp=True,  # lets the test inject axe; the pages allow no inline script
    )
    outside: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(live.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = f"console-settings-{text['lang']}-{viewport}"
    base = f"{live.url}/console/{live.issuer_id}"

    page.goto(f"{base}/settings")
    page.locator("#email").fill(live.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=text["submit"], exact=True).click()
    page.wait_for_url(re.compile(r"/settings$"))
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])
    expect(page.locator("h1")).to_have_text(text["profile"])
    sections = page.get_by_role("navigation", name=re.compile("Console sections|控制台栏目"))
    expect(sections.get_by_role("link", name=text["settings"])).to_have_attribute(
        "aria-current", "page"
    )
    check_page(page, f"{name}-1-profile")

    # the profile: both names, the web site; saved through the service, shown by the API
    label = f"{locale} {viewport}"
    page.locator("#f-name_en").fill(f"Example University ({label})")
    page.locator("#f-name_zh").fill(f"示例大学（{label}）")
    page.locator("#f-url").fill("https://university.example/about")
    page.get_by_role("button", name=text["save"], exact=True).click()
    expect(page.locator("[role=status]")).to_have_text(text["saved"])
    own = live.client.get("/api/v1/issuer", headers=live.headers).json()
    assert own["name"]["zh-CN"] == f"示例大学（{label}）"
    assert own["url"] == "https://university.example/about"
    # branding (issuer_branding): colours typed, a logo uploaded; the preview and the logo shown
    page.locator("#f-brand_color").fill("#1d4ed8")
    page.locator("#f-accent_color").fill("#b45309")
    page.get_by_role("button", name=text["save"], exact=True).click()
    expect(page.locator("[role=status]")).to_have_text(text["saved"])
    expect(page.locator("figure.brand-preview svg rect")).to_have_attribute("fill", "#1d4ed8")
    page.locator("#f-logo").set_input_files(
        files=[{"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": LOGO}]
    )
    page.locator("#logo-form button").click()
    expect(page.locator("img.issuer-logo")).to_be_visible()
    assert live.client.get("/api/v1/issuer", headers=live.headers).json()["brandColor"] == (
        "#1d4ed8"
    )
    check_page(page, f"{name}-1b-branding")
    # a refused value: the message by its field, focusable, described
    page.locator("#f-url").fill("not a web address")
    page.get_by_role("button", name=text["save"], exact=True).click()
    expect(page.locator("#e-url")).to_be_visible()
    expect(page.locator("#f-url")).to_have_attribute("aria-invalid", "true")
    check_page(page, f"{name}-2-profile-error")

    # signing keys: the list, the confirmation page, the rotation
    page.goto(f"{base}/settings/keys")
    before = page.locator("tr[data-key]").count()
    page.get_by_role("link", name=text["rotate"]).click()
    check_page(page, f"{name}-3-rotate-confirm")
    page.get_by_role("button", name=text["confirm"]).click()
    page.wait_for_url(re.compile(r"/settings/keys\?notice=rotated$"))
    expect(page.locator("tr[data-key]")).to_have_count(before + 2)
    expect(page.locator('tr[data-state="retired"]').first).to_contain_text(text["retired"])
    check_page(page, f"{name}-4-keys")

    # a webhook: created, its secret shown this once
    page.goto(f"{base}/settings/webhooks")
    check_page(page, f"{name}-5-webhooks")
    page.locator("#f-url").fill(f"{live.url}/hook/{locale}/{viewport}")
    page.locator("#f-description").fill("Registry system")
    page.locator('input[name="events"][value="credential.issued"]').check()
    page.locator('input[name="events"][value="credential.revoked"]').check()
    page.get_by_role("button", name=text["create"]).click()
    expect(page.locator("h1")).to_have_text(text["created"])
    secret = page.locator("#new-secret").input_value()
    assert secret.startswith("whsec_")
    check_page(page, f"{name}-6-webhook-secret")
    page.locator(".console-actions a").first.click()
    expect(page.locator("h1")).to_contain_text(f"/hook/{locale}/{viewport}")
    assert secret not in page.content()
    check_page(page, f"{name}-7-webhook")

    # an API key: its token on the creating answer only, then revoked
    page.goto(f"{base}/settings/api-keys")
    page.locator("#f-name").fill(f"Records sync {locale} {viewport}")
    page.locator("#f-name").press("Enter")
    token = page.locator("#new-token").input_value()
    assert token.startswith("obk_")
    check_page(page, f"{name}-10-api-key-created")
    page.goto(f"{base}/settings/api-keys")
    assert token not in page.content()
    row = page.locator("tr", has_text=f"Records sync {locale} {viewport}")
    row.get_by_role("button").click()
    expect(page.locator("[role=status]")).to_be_visible()
    live_key = live.client.get("/api/v1/issuer", headers={"Authorization": f"Bearer {token}"})
    assert live_key.status_code == 401

    # an e-mail preview: the HTML part framed from its sandboxed URL
    page.goto(f"{base}/settings/mail")
    check_page(page, f"{name}-8-mail")
    page.goto(f"{base}/settings/mail/issued/{text['lang']}")
    frame = page.frame_locator("iframe.devmail-part")
    expect(frame.locator("body")).to_contain_text("李伟" if locale == "zh-CN" else "Li Wei")
    # chromium paints a frame below the fold only once it was scrolled to (the screenshot)
    page.locator("iframe.devmail-part").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    check_page(page, f"{name}-9-mail-preview")

    # the refused profile form answers 422 (the page with its errors): chromium logs that
    assert [e for e in errors if "status of 422" not in e] == []
    assert outside == []
    context.close()
