"""The consent page in Debian's chromium, both languages, a phone and a desktop: a signed-in
learner opens an app's authorization request, sees the app and the scopes in plain words, and
Allow sends the browser to the app's redirect URI with a code and the state (so the page's
``form-action`` lets that redirect through) that the app exchanges for a working token; Deny
answers ``access_denied``. axe-core finds nothing serious; nothing overflows a phone.
Screenshots go to ``test-output/screenshots/consent-*.png``."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ob_support import bearer, make_learner, pkce
from playwright.sync_api import Browser, Page, Route, expect

from app.accounts import session as account_session
from app.obapi.schemas import CREDENTIAL_READONLY, PROFILE_READONLY

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "app" / "web"))  # the page tests' helpers
from web_support import launched_chromium, make_app, make_settings, screenshot  # noqa: E402

pytestmark = pytest.mark.browser
AXE = ROOT / "tests" / "app" / "web" / "vendor" / "axe.min.js"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
APP_SITE = "http://localhost:9"  # the app (a loopback site: the browser never reaches it)
CALLBACK = APP_SITE + "/callback"
TEXT = {
    "en-US": {"lang": "en", "allow": "Allow", "deny": "Deny", "scope": "See your profile"},
    "zh-CN": {"lang": "zh-CN", "allow": "允许", "deny": "拒绝", "scope": "查看您的个人资料"},
}


@dataclass(frozen=True)
class Live:
    url: str
    app: FastAPI
    http: TestClient


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = make_app(make_settings(tmp_path_factory.mktemp("consent"), url))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    http = TestClient(app, base_url=url)
    yield Live(url, app, http)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    http.close()
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


def _register(live: Live) -> tuple[str, str]:
    body = {
        "client_name": "Career Portfolio",
        "client_uri": APP_SITE + "/",
        "logo_uri": APP_SITE + "/logo.png",
        "tos_uri": APP_SITE + "/terms",
        "policy_uri": APP_SITE + "/privacy",
        "software_id": "career-portfolio",
        "software_version": "1.0",
        "redirect_uris": [CALLBACK],
    }
    response = live.http.post("/ims/ob/v3p0/oauth/register", json=body)
    assert response.status_code == 201, response.text
    return response.json()["client_id"], response.json()["client_secret"]


def _axe(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("locale", list(TEXT))
def test_consent_in_a_browser(browser: Browser, live: Live, locale: str, viewport: str) -> None:
    text = TEXT[locale]
    learner = make_learner(live.app)
    client_id, secret = _register(live)
    verifier, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": f"{CREDENTIAL_READONLY} {PROFILE_READONLY}",
        "state": "st-42",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    authorize = f"{live.url}/ims/ob/v3p0/oauth/authorize?{urlencode(params)}"
    cookie = {"name": account_session.COOKIE, "value": learner.cookie, "url": live.url}
    name = f"consent-{text['lang']}-{viewport}"

    # axe needs a script the page's CSP refuses: a context that bypasses it, for the check only
    checking = browser.new_context(locale=locale, viewport=VIEWPORTS[viewport], bypass_csp=True)  # type: ignore[arg-type]
    checking.add_cookies([cookie])  # type: ignore[list-item]
    checking.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith(live.url) else r.abort()
    )
    page = checking.new_page()
    page.goto(authorize)
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])
    expect(page.locator("h1")).to_contain_text("Career Portfolio")
    expect(page.locator("main")).to_contain_text("localhost")
    expect(page.locator("[data-scope]")).to_have_count(2)
    expect(page.locator("main")).to_contain_text(text["scope"])
    assert _axe(page) == []
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    screenshot(page, name)
    checking.close()

    # the real page, CSP and all: Allow redirects to the app with the code and the state
    context = browser.new_context(locale=locale, viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    context.add_cookies([cookie])  # type: ignore[list-item]
    reached: list[str] = []

    def app_site(route: Route) -> None:
        if route.request.url.startswith(live.url):
            route.continue_()
        elif route.request.url.startswith(CALLBACK):
            reached.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<p>back at the app</p>")
        else:
            route.abort()

    context.route("**/*", app_site)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(authorize)
    page.get_by_role("button", name=text["allow"], exact=True).click()
    page.wait_for_url(CALLBACK + "?*")
    query = parse_qs(urlsplit(reached[-1]).query)
    assert query["state"] == ["st-42"]
    token = live.http.post(
        "/ims/ob/v3p0/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )
    assert token.status_code == 200, token.text
    profile = live.http.get("/ims/ob/v3p0/profile", headers=bearer(token.json()["access_token"]))
    assert profile.json()["email"] == learner.email

    # Deny: access_denied, with the state, and no code
    page.goto(authorize)
    page.get_by_role("button", name=text["deny"], exact=True).click()
    page.wait_for_url(CALLBACK + "?*")
    denied = parse_qs(urlsplit(reached[-1]).query)
    assert denied["error"] == ["access_denied"]
    assert denied["state"] == ["st-42"]
    assert "code" not in denied
    assert [e for e in errors if "logo.png" not in e] == []
    context.close()
