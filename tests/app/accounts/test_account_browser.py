"""Sign-in and the account page in Debian's chromium: both languages, a phone and a desktop,
against a live server, with credentials from two issuers issued through the API.

The learner asks for a link on the sign-in page, the link arrives in the development mailbox
(``/dev/mail`` lists it), its page posts back (a real browser's ``Origin`` and
``Sec-Fetch-Site`` pass the CSRF check), and "My credentials" shows both credentials with their
states, downloads and buttons; nothing overflows a 390 px phone; no console errors; nothing
fetched from outside; axe-core finds nothing serious. Screenshots go to
``test-output/screenshots/account-*.png`` for review.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Route, expect
from web_support import (
    Issuer,
    launched_chromium,
    make_app,
    make_settings,
    screenshot,
)

from app.mail import devbox
from app.outbox import service as outbox

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.browser
AXE = ROOT / "tests" / "app" / "web" / "vendor" / "axe.min.js"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TEXT = {
    "en-US": {
        "lang": "en",
        "sign_in": "Sign in",
        "submit": "E-mail me a sign-in link",
        "sent": "Check your inbox",
        "title": "My credentials",
    },
    "zh-CN": {
        "lang": "zh-CN",
        "sign_in": "登录",
        "submit": "发送登录链接",
        "sent": "请查收邮件",
        "title": "我的证书",
    },
}
LINK = re.compile(r"http://127\.0\.0\.1:\d+/account/verify/[A-Za-z0-9_\-]+(?:\?next=\S+)?")


@dataclass(frozen=True)
class Live:
    url: str
    app: FastAPI


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = make_app(make_settings(tmp_path_factory.mktemp("account"), url))
    client = TestClient(app, base_url=url)
    for name, badge in (
        ({"en": "Example University", "zh-CN": "示例大学"}, "Data Analysis with Python"),
        ({"en": "Harbour Film School", "zh-CN": "海港电影学院"}, "Subtitling Basics"),
    ):
        issuer = Issuer(client, name)
        issuer.issue(issuer.achievement(badge, achievementType="Certificate"), proof="both")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield Live(url, app)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    client.close()
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


def _axe(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _link(live: Live) -> str:
    outbox.run_once(live.app.state.sessionmaker, live.app.state.context)
    for mail in devbox.messages(live.app.state.settings.data_dir):
        if "ada@example.org" in mail.to:
            match = LINK.search(mail.part("plain") or "")
            if match:
                return match.group(0)
    raise AssertionError("no sign-in e-mail in the development mailbox")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("locale", list(TEXT))
def test_sign_in_and_the_account_page(
    browser: Browser, live: Live, locale: str, viewport: str
) -> None:
    text = TEXT[locale]
    context = browser.new_context(
        locale=locale,
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        accept_downloads=True,
        bypass_csp=True,  # lets the test inject axe; the page allows no inline script
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
    name = f"account-{text['lang']}-{viewport}"

    # not signed in: the account page sends the learner to sign in, and back afterwards
    page.goto(f"{live.url}/account")
    assert "/account/sign-in?next=%2Faccount" in page.url
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])
    expect(page.locator("h1")).to_have_text(text["sign_in"])
    assert _axe(page) == []
    screenshot(page, f"{name}-1-sign-in")
    page.get_by_label(re.compile("E-mail|电子邮件")).fill("Ada@Example.org")
    page.get_by_role("button", name=text["submit"]).click()
    expect(page.locator("h1")).to_have_text(text["sent"])
    screenshot(page, f"{name}-2-sent")

    link = _link(live)
    mailbox = page.goto(f"{live.url}/dev/mail")
    assert mailbox is not None
    assert mailbox.status == 200
    expect(page.locator("body")).to_contain_text("ada@example.org")

    page.goto(link)
    expect(page.locator("h1")).to_have_text(text["sign_in"])
    assert _axe(page) == []
    screenshot(page, f"{name}-3-verify")
    page.get_by_role("button", name=text["sign_in"]).click()
    page.wait_for_url(re.compile(r"/account(\?|$)"))
    expect(page.locator("h1")).to_have_text(text["title"])
    cards = page.locator(".credential-cards > li")
    expect(cards).to_have_count(2)
    expect(page.locator("main")).to_contain_text("Data Analysis with Python")
    expect(page.locator("main")).to_contain_text("Subtitling Basics")
    expect(page.locator("main")).to_contain_text("ada@example.org")
    # nothing wider than the screen
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow
    with page.expect_download() as download:
        page.locator(".account-downloads a").first.click()
    assert download.value.suggested_filename.endswith(".json")
    assert _axe(page) == []
    screenshot(page, f"{name}-4-account")

    # sign out: the account page is closed again
    page.get_by_role("button", name=re.compile("Sign out|退出登录")).click()
    expect(page.locator("h1")).to_have_text(text["sign_in"])
    assert errors == []
    assert outside == []
    context.close()
