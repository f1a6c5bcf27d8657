"""The landing page and ``/docs`` in Debian's chromium: both languages, a phone, no Internet.

Screenshots go to ``test-output/screenshots/`` for review (git-ignored).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Route, expect, sync_playwright
from web_support import ADMIN_TOKEN, chromium_or_skip, make_app, make_settings

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TITLES = {"en-US": "Open Badges 3.0 credentials", "zh-CN": "开放徽章 3.0 数字证书"}
VERIFY = {"en-US": "Verify a credential", "zh-CN": "验证证书"}


@dataclass(frozen=True)
class LiveSite:
    url: str


ISSUERS = (
    {"en": "Beijing Institute of Digital Skills", "zh-CN": "北京数字技能学院"},
    {"en": "Open Data Academy"},
    {
        "zh-CN": "上海开放大学继续教育学院",
        "en": "Shanghai Open University School of Continuing Education",
    },
)


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """uvicorn in a thread on a free port, with a few issuers (no credentials needed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = make_app(make_settings(tmp_path_factory.mktemp("home"), url))
    with TestClient(app, base_url=url) as client:
        for names in ISSUERS:
            created = client.post(
                "/api/v1/issuers",
                json={"name": names},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            assert created.status_code == 201, created.text
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield LiveSite(url)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _offline(site: LiveSite) -> tuple[list[str], object]:
    """A route handler that aborts every request not to ``site`` (and records it)."""
    outside: list[str] = []

    def handle(route: Route) -> None:
        if route.request.url.startswith(site.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    return outside, handle


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_landing_page_reads_well_in_both_languages(
    browser: Browser, live_site: LiveSite, locale: str, viewport: dict[str, int]
) -> None:
    # bypass_csp lets the test inject axe; the page itself allows no inline script.
    context = browser.new_context(locale=locale, viewport=viewport, bypass_csp=True)  # type: ignore[arg-type]
    outside, handle = _offline(live_site)
    context.route("**/*", handle)  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(live_site.url + "/")
    expect(page.locator("h1")).to_have_text(TITLES[locale])
    expect(page.locator("html")).to_have_attribute("lang", locale.replace("en-US", "en"))
    page.get_by_role("link", name=VERIFY[locale], exact=True).first.click()
    expect(page).to_have_url(live_site.url + "/verify")
    page.go_back()
    issuers = page.locator(".home-issuers .cards a")
    assert issuers.count() >= 1
    href = issuers.first.get_attribute("href")
    assert href is not None
    assert href.startswith("/issuers/")
    # Nothing overflows sideways on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = f"home-{locale}-{'phone' if viewport is MOBILE else 'desktop'}.png"
    page.screenshot(path=str(SHOTS / name), full_page=True)
    assert outside == []
    assert errors == []
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    context.close()


def test_swagger_ui_loads_with_no_internet(browser: Browser, live_site: LiveSite) -> None:
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    outside, handle = _offline(live_site)
    context.route("**/*", handle)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(live_site.url + "/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui .title").first).to_contain_text("Open Badges")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "docs-offline.png"))
    assert outside == [], outside  # no CDN, no fonts: everything came from the service
    context.close()
