"""What a person sees, in Debian's chromium: banners, languages, QR, copy link, /verify, axe.

Screenshots go to ``test-output/screenshots/`` for review (git-ignored).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from web_support import LiveSite, chromium_or_skip

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "test-output" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

BANNERS = {
    ("valid", "en"): "Verified",
    ("revoked", "en"): "Revoked",
    ("suspended", "en"): "Suspended",
    ("expired", "en"): "Expired",
    ("valid", "zh-CN"): "已验证",
    ("revoked", "zh-CN"): "已撤销",
    ("suspended", "zh-CN"): "已暂停",
    ("expired", "zh-CN"): "已过期",
}
REVOCATION_TEXT = {
    "en": {"valid": "Passed", "revoked": "Failed"},
    "zh-CN": {"valid": "通过", "revoked": "未通过"},
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_context(browser: Browser, locale: str, viewport: dict[str, int] = MOBILE) -> BrowserContext:
    # bypass_csp lets the test inject axe; the pages themselves allow no inline script.
    return browser.new_context(locale=locale, viewport=viewport, bypass_csp=True)  # type: ignore[arg-type]


@pytest.fixture
def en_page(browser: Browser) -> Iterator[Page]:
    context = new_context(browser, "en-US")
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(("state", "locale"), list(BANNERS))
def test_credential_states_are_unmistakable(
    browser: Browser, live_site: LiveSite, state: str, locale: str
) -> None:
    context = new_context(browser, locale)
    page = context.new_page()
    page.goto(f"{live_site.url}/credentials/{getattr(live_site.ids, state)}")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    heading = page.get_by_role("heading", name=BANNERS[(state, locale)], exact=True)
    expect(heading).to_be_visible()
    expect(page.locator(".banner .banner__icon")).to_be_visible()  # an icon, not colour alone
    expect(page.get_by_role("heading", level=1)).to_have_text("Data Analysis with Python")
    revocation = page.locator('[data-check="revocation"] .check__status')
    wanted = REVOCATION_TEXT[locale].get(state, REVOCATION_TEXT[locale]["valid"])
    expect(revocation).to_have_text(wanted)
    shot(page, f"credential-{state}-{locale}")
    assert serious_violations(page) == []
    context.close()


def test_desktop_layout_and_chinese_credential(browser: Browser, live_site: LiveSite) -> None:
    context = new_context(browser, "zh-CN", DESKTOP)
    page = context.new_page()
    page.goto(f"{live_site.url}/credentials/{live_site.ids.chinese}")
    expect(page.get_by_role("heading", level=1)).to_have_text("数据分析基础")
    expect(page.locator(".recipient")).to_have_text("张伟")
    shot(page, "credential-chinese-desktop-zh-CN")
    context.close()


def test_language_switch_is_remembered(en_page: Page, live_site: LiveSite) -> None:
    url = f"{live_site.url}/credentials/{live_site.ids.valid}"
    en_page.goto(url)
    expect(en_page.get_by_role("heading", name="Verified", exact=True)).to_be_visible()
    en_page.get_by_role("link", name="中文").click()
    expect(en_page.get_by_role("heading", name="已验证", exact=True)).to_be_visible()
    en_page.goto(url)  # no ?lang: the cookie remembers
    expect(en_page.locator("html")).to_have_attribute("lang", "zh-CN")
    en_page.get_by_role("link", name="English").click()
    expect(en_page.locator("html")).to_have_attribute("lang", "en")


def test_qr_on_the_page_leads_to_the_page(en_page: Page, live_site: LiveSite) -> None:
    credential = live_site.ids.valid
    en_page.goto(f"{live_site.url}/credentials/{credential}")
    qr = en_page.get_by_role("img", name="QR code linking to this credential's page")
    expect(qr).to_be_visible()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert [r.text for r in decoded] == [f"{live_site.base}/credentials/{credential}"]
    en_page.goto(decoded[0].text)
    expect(en_page.get_by_role("heading", level=1)).to_have_text("Data Analysis with Python")


def test_copy_link_button(browser: Browser, live_site: LiveSite) -> None:
    context = new_context(browser, "en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{live_site.url}/credentials/{live_site.ids.valid}")
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Link copied")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == f"{live_site.base}/credentials/{live_site.ids.valid}"
    context.close()


def test_keyboard_skip_link(en_page: Page, live_site: LiveSite) -> None:
    en_page.goto(f"{live_site.url}/credentials/{live_site.ids.valid}")
    en_page.keyboard.press("Tab")
    skip = en_page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    en_page.keyboard.press("Enter")
    expect(en_page.locator("main")).to_be_focused()


def test_print_view_keeps_qr_and_drops_buttons(en_page: Page, live_site: LiveSite) -> None:
    en_page.goto(f"{live_site.url}/credentials/{live_site.ids.valid}")
    en_page.emulate_media(media="print")
    expect(en_page.locator(".qr img")).to_be_visible()
    expect(en_page.locator(".print-url")).to_be_visible()
    expect(en_page.locator(".share")).to_be_hidden()
    shot(en_page, "credential-valid-print")


def test_verify_baked_png_upload(en_page: Page, live_site: LiveSite, tmp_path: Path) -> None:
    badge = tmp_path / "badge.png"
    badge.write_bytes(live_site.client.get(f"/credentials/{live_site.ids.valid}/badge.png").content)
    en_page.goto(f"{live_site.url}/verify")
    assert serious_violations(en_page) == []
    en_page.get_by_label("Credential file").set_input_files(str(badge))
    en_page.get_by_role("button", name="Verify").click()
    expect(en_page.get_by_role("heading", name="Verified", exact=True)).to_be_visible()
    expect(en_page.locator('[data-check="proof"] .check__status')).to_have_text("Passed")
    shot(en_page, "verify-baked-png-en")
    assert serious_violations(en_page) == []


def test_verify_tampered_json(browser: Browser, live_site: LiveSite) -> None:
    doc = json.loads(live_site.client.get(f"/credentials/{live_site.ids.valid}.json").text)
    doc["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    context = new_context(browser, "zh-CN")
    page = context.new_page()
    page.goto(f"{live_site.url}/verify")
    page.get_by_label("或粘贴证书内容").fill(json.dumps(doc))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="并非真实", exact=True)).to_be_visible()
    expect(page.locator('[data-check="proof"] .check__status')).to_have_text("未通过")
    shot(page, "verify-tampered-json-zh-CN")
    assert serious_violations(page) == []
    context.close()
