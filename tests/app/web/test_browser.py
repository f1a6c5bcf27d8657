"""What a person sees, in Debian's chromium: banners, languages, QR, copy link, /verify, axe.

Screenshots go to ``test-output/screenshots/`` for review (git-ignored).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from web_support import MODULES, LiveSite, ProgramData, chromium_or_skip, serious_violations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "test-output" / "screenshots"
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


# --- programs: the learner page, CLRs on /verify, bilingual achievements --------------------

LEARNER_TEXT = {
    "en": {
        "title": "My credentials",
        "progress": "2 of 2 required modules completed",
        "awarded": "Program completed",
        "program": "Translation Technology",
        "modules": [en for en, _ in MODULES],
        "hide": "Hide",
        "show": "Show",
        "hidden": "Hidden: the public page is withdrawn.",
    },
    "zh-CN": {
        "title": "我的证书",
        "progress": "已完成 2 / 2 个必修模块",
        "awarded": "项目已完成",
        "program": "翻译技术",
        "modules": [zh for _, zh in MODULES],
        "hide": "隐藏",
        "show": "公开",
        "hidden": "已隐藏：公开页面已撤下。",
    },
}


@pytest.mark.parametrize("locale", list(LEARNER_TEXT))
def test_learner_page_in_both_languages(
    browser: Browser, live_site: LiveSite, live_program: ProgramData, locale: str
) -> None:
    words = LEARNER_TEXT[locale]
    context = new_context(browser, locale)
    page = context.new_page()
    page.goto(f"{live_site.url}/learners/{live_program.token}")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.get_by_role("heading", level=1)).to_have_text(str(words["title"]))
    program = page.locator("article.program")
    expect(program.get_by_role("heading", level=3)).to_have_text(str(words["program"]))
    expect(program.get_by_role("progressbar")).to_have_attribute("value", "2")
    expect(program.locator(".progress__text")).to_have_text(str(words["progress"]))
    expect(program.locator(".award--ok")).to_contain_text(str(words["awarded"]))
    expect(program.locator(".module__name")).to_have_text(list(words["modules"]))
    expect(page.locator(".ccard")).to_have_count(3)
    expect(page.locator(".ccard .ccard__icon").first).to_be_visible()  # icon and words
    shot(page, f"learner-{locale}")
    assert serious_violations(page) == []
    desktop = context.new_page()
    desktop.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    desktop.goto(f"{live_site.url}/learners/{live_program.token}")
    shot(desktop, f"learner-desktop-{locale}")
    context.close()


def test_learner_hides_and_shows_a_credential_with_the_keyboard(
    browser: Browser, live_site: LiveSite, live_program: ProgramData
) -> None:
    words = LEARNER_TEXT["en"]
    context = new_context(browser, "en-US")
    page = context.new_page()
    page.goto(f"{live_site.url}/learners/{live_program.token}?lang=en")
    card = page.locator(f"#credential-{live_program.module_en}")
    hide = card.get_by_role("button", name=re.compile(rf"^{words['hide']}\W+{MODULES[0][0]}$"))
    hide.focus()
    page.keyboard.press("Enter")
    expect(card.locator(".ccard__visibility")).to_have_text(str(words["hidden"]))
    expect(card.get_by_role("link")).to_have_count(0)  # no link to a withdrawn page
    shot(page, "learner-hidden-en")
    assert serious_violations(page) == []
    card.get_by_role("button", name=re.compile(rf"^{words['show']}\W+{MODULES[0][0]}$")).click()
    expect(
        card.get_by_role("link", name=re.compile(rf"^Open public page\W+{MODULES[0][0]}$"))
    ).to_be_visible()
    context.close()


def _download_clr(page: Page, live_site: LiveSite, token: str, tmp_path: Path) -> Path:
    page.goto(f"{live_site.url}/learners/{token}?lang=en")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my learning record (CLR, JSON)").click()
    target = tmp_path / "clr.json"
    download.value.save_as(target)
    return target


def test_clr_from_the_learner_page_verifies_on_verify(
    en_page: Page, live_site: LiveSite, live_program: ProgramData, tmp_path: Path
) -> None:
    clr = _download_clr(en_page, live_site, live_program.token, tmp_path)
    assert "ClrCredential" in json.loads(clr.read_text(encoding="utf-8"))["type"]
    en_page.goto(f"{live_site.url}/verify")
    en_page.get_by_label("Credential file").set_input_files(str(clr))
    en_page.get_by_role("button", name="Verify").click()
    expect(en_page.get_by_role("heading", name="Verified", exact=True)).to_be_visible()
    expect(en_page.locator('[data-check="credentials"] .check__status')).to_have_text("Passed")
    included = en_page.get_by_role("region", name="Included credentials")
    names = included.get_by_role("heading", level=3)
    expect(names).to_have_count(3)
    expect(included.get_by_role("heading", name=MODULES[0][0])).to_be_visible()
    expect(included.get_by_role("heading", name=MODULES[1][1])).to_be_visible()
    expect(included.locator('[data-status="valid"]')).to_have_count(3)
    shot(en_page, "verify-clr-en")
    assert serious_violations(en_page) == []


def test_tampered_clr_shows_which_credential_failed(
    browser: Browser, live_site: LiveSite, live_program: ProgramData, tmp_path: Path
) -> None:
    context = new_context(browser, "zh-CN")
    page = context.new_page()
    clr = _download_clr(page, live_site, live_program.token, tmp_path)
    document = json.loads(clr.read_text(encoding="utf-8"))
    first = document["credentialSubject"]["verifiableCredential"][0]
    first["name"] = first["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    clr.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    page.goto(f"{live_site.url}/verify?lang=zh-CN")
    page.get_by_label("证书文件").set_input_files(str(clr))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="并非真实", exact=True)).to_be_visible()
    expect(page.locator('[data-check="credentials"] .check__status')).to_have_text("未通过")
    failed = page.locator('[data-included="0"]')
    expect(failed).to_have_attribute("data-status", "invalid")
    expect(failed.get_by_role("heading", level=3)).to_have_text("Brain Surgery")
    expect(failed.locator('[data-check="proof"]')).to_be_visible()
    expect(page.locator('.included__item[data-status="valid"]')).to_have_count(2)
    shot(page, "verify-clr-tampered-zh-CN")
    assert serious_violations(page) == []
    context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_bilingual_credential_page_shows_the_other_language(
    browser: Browser, live_site: LiveSite, live_program: ProgramData, locale: str
) -> None:
    context = new_context(browser, locale)
    page = context.new_page()
    page.goto(f"{live_site.url}/credentials/{live_program.module_en}?lang={locale}")
    # The page leads with the issuer's version in the page's language; the other beneath it
    # (on the Chinese page: the title as signed).
    shown, beneath = (0, 1) if locale == "en" else (1, 0)
    languages = ("en", "zh-CN")
    title = page.get_by_role("heading", level=1)
    expect(title).to_have_text(MODULES[0][shown])
    expect(title).to_have_attribute("lang", languages[shown])
    subtitle = page.locator(f'.hero__alt [lang="{languages[beneath]}"]')
    expect(subtitle).to_have_text(MODULES[0][beneath])
    expect(subtitle).to_be_visible()
    other = "Also issued in Simplified Chinese" if locale == "en" else "另有简体中文版本"
    expect(page.locator(".languages")).to_contain_text(other)
    shot(page, f"credential-bilingual-{locale}")
    assert serious_violations(page) == []
    context.close()
