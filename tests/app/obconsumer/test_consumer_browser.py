"""Service Consumer (Write) in Debian's chromium, both instances live: the learner, signed in
on the consumer (``http://localhost:<port>``), connects the host (``http://127.0.0.1:<port>``,
a second instance where the same person has an account), allows access on the host's consent
page, comes back connected and sends a credential, which the host then holds.

The browser enforces the pages' Content-Security-Policy (the Connect form's answer is a
redirect to another origin: ``form-action`` must allow it) and SameSite=Lax (the host's
redirect back must carry the consumer's cookie). axe-core checks the hosts page in both
languages. Screenshots go to ``test-output/screenshots/obconsumer-*.png``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from web_support import (
    Issuer,
    launched_chromium,
    make_app,
    make_settings,
    screenshot,
)

from app.accounts import hosted
from app.accounts import session as account_session
from app.core.fetch import SafeFetcher
from app.models import LearnerAccount, LearnerEmail, utcnow
from app.verification import service as verification

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.browser
AXE = ROOT / "tests" / "app" / "web" / "vendor" / "axe.min.js"


@dataclass(frozen=True)
class Live:
    url: str
    app: FastAPI


def _serve(app: FastAPI, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    return server, thread


def _socket() -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, int(sock.getsockname()[1])


@dataclass(frozen=True)
class Pair:
    consumer: Live
    host: Live
    client: TestClient  # the consumer's API, to issue
    issuer: Issuer
    achievement: str


BADGE = "Data Analysis with Python"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """The consumer and the host, live; an issuer of the consumer with an achievement."""
    consumer_sock, consumer_port = _socket()
    host_sock, host_port = _socket()
    consumer_url = f"http://localhost:{consumer_port}"
    host_url = f"http://127.0.0.1:{host_port}"
    consumer = make_app(make_settings(tmp_path_factory.mktemp("consumer"), consumer_url))
    host = make_app(make_settings(tmp_path_factory.mktemp("host"), host_url))
    client = TestClient(consumer, base_url=consumer_url)
    issuer = Issuer(client, {"en": "Example University", "zh-CN": "示例大学"})
    achievement = issuer.achievement(BADGE, achievementType="Certificate")
    # The host verifies the consumer's credential: its issuer documents are at
    # https://localhost:<port>/…, which has no TLS here; the host's real SafeFetcher reaches
    # them with the consumer app as its transport.
    transport = TestClient(consumer)._transport
    patch = pytest.MonkeyPatch()
    patch.setattr(
        verification,
        "_safe_fetcher",
        lambda context: SafeFetcher(
            context.settings, transport=transport, resolve=lambda _h, _p: ["93.184.216.34"]
        ),
    )
    servers = [_serve(consumer, consumer_sock), _serve(host, host_sock)]
    yield Pair(Live(consumer_url, consumer), Live(host_url, host), client, issuer, achievement)
    patch.undo()
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
    consumer_sock.close()
    host_sock.close()
    client.close()
    consumer.state.engine.dispose()
    host.state.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


def _learner(app: FastAPI, email: str) -> tuple[uuid.UUID, str]:
    """A signed-in account holding ``email`` (verified); its id and session cookie."""
    with app.state.sessionmaker() as session:
        account = LearnerAccount(id=uuid.uuid4(), language="en")
        session.add(account)
        session.flush()
        session.add(LearnerEmail(account_id=account.id, email=email, verified_at=utcnow()))
        token = account_session.start(session, account.id)
        session.commit()
        return account.id, token


def _axe(browser: Browser, url: str, cookie: tuple[str, str], locale: str) -> list[str]:
    """axe-core on ``url`` in a context that lets the test inject it (the pages allow no
    inline script)."""
    context = browser.new_context(locale=locale, bypass_csp=True)
    context.add_cookies([{"name": account_session.COOKIE, "value": cookie[1], "url": cookie[0]}])
    page = context.new_page()
    page.goto(url)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    context.close()
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_connect_a_host_and_send_a_credential_in_a_browser(
    browser: Browser, pair: Pair, locale: str
) -> None:
    consumer, host = pair.consumer, pair.host
    email = f"ada.{uuid.uuid4().hex[:6]}@example.org"
    _, consumer_cookie = _learner(consumer.app, email)
    pair.client.post(
        "/api/v1/credentials",
        json={"achievementId": pair.achievement, "recipient": {"email": email}, "proof": "both"},
        headers=pair.issuer.headers,
    ).raise_for_status()
    host_account, host_cookie = _learner(host.app, f"ada.{uuid.uuid4().hex[:6]}@example.org")
    context = browser.new_context(locale=locale)  # CSP enforced
    context.add_cookies(
        [
            {"name": account_session.COOKIE, "value": consumer_cookie, "url": consumer.url},
            {"name": account_session.COOKIE, "value": host_cookie, "url": host.url},
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} {m.location.get('url')}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    lang = "en" if locale == "en-US" else "zh-CN"

    page.goto(f"{consumer.url}/account/hosts")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    screenshot(page, f"obconsumer-{lang}-1-hosts")
    page.locator("#api-root").fill(f"{host.url}/ims/ob/v3p0")
    page.locator("form[action='/account/hosts/connect'] button").click()

    page.wait_for_url(re.compile(re.escape(host.url) + r"/ims/ob/v3p0/oauth/authorize\?"))
    screenshot(page, f"obconsumer-{lang}-2-consent")
    page.locator("button[name=decision][value=allow]").click()

    page.wait_for_url(re.compile(re.escape(consumer.url) + r"/account/hosts\?connected=1"))
    expect(page.locator("[data-notice]")).to_be_visible()
    expect(page.locator("[data-connection]")).to_have_count(1)
    screenshot(page, f"obconsumer-{lang}-3-connected")
    assert _axe(browser, page.url, (consumer.url, consumer_cookie), locale) == []

    page.locator("[data-connection] form[action$='/send'] button").click()
    expect(page.locator("[data-result]")).to_have_attribute("data-result", re.compile("created"))
    screenshot(page, f"obconsumer-{lang}-4-sent")
    assert _axe(browser, page.url, (consumer.url, consumer_cookie), locale) == []
    with host.app.state.sessionmaker() as session:
        kept = hosted.hosted_credentials(session, host_account)
    assert len(kept) == 1
    assert BADGE in (kept[0].document or "")
    # Not faults of the pages: the browser's own /favicon.ico probe (the service has none), and
    # the host's consent page declining our logo because it is http here (img-src allows
    # https: and 'self'; a deployed consumer's logo is https).
    assert [
        e for e in errors if "/favicon.ico" not in e and not ("logo.svg" in e and "img-src" in e)
    ] == []
    context.close()


@pytest.mark.parametrize(
    ("locale", "viewport"),
    [("en-US", None), ("zh-CN", None), ("zh-CN", {"width": 390, "height": 844})],
)
def test_an_issuers_request_approved_in_a_browser(
    browser: Browser, pair: Pair, locale: str, viewport: dict[str, int] | None
) -> None:
    """The issuer asks (API); the learner opens "Requests from issuers", approves, allows
    access at the host and comes back to the request marked sent."""
    consumer, host = pair.consumer, pair.host
    email = f"li.{uuid.uuid4().hex[:6]}@example.org"
    _, consumer_cookie = _learner(consumer.app, email)
    issued = pair.client.post(
        "/api/v1/credentials",
        json={"achievementId": pair.achievement, "recipient": {"email": email}},
        headers=pair.issuer.headers,
    )
    issued.raise_for_status()
    asked = pair.client.post(
        f"/api/v1/credentials/{issued.json()['id']}/push-requests",
        json={"apiRoot": f"{host.url}/ims/ob/v3p0"},
        headers=pair.issuer.headers,
    )
    assert asked.status_code == 201, asked.text
    host_account, host_cookie = _learner(host.app, f"li.{uuid.uuid4().hex[:6]}@example.org")
    context = browser.new_context(locale=locale, **({"viewport": viewport} if viewport else {}))
    context.add_cookies(
        [
            {"name": account_session.COOKIE, "value": consumer_cookie, "url": consumer.url},
            {"name": account_session.COOKIE, "value": host_cookie, "url": host.url},
        ]
    )
    page = context.new_page()
    lang = "en" if locale == "en-US" else "zh-CN"
    size = "-phone" if viewport else ""

    page.goto(f"{consumer.url}/account")
    page.locator("a[href='/account/requests']").click()
    expect(page.locator("[data-request][data-state=pending]")).to_have_count(1)
    screenshot(page, f"push-request-{lang}{size}-1-open")
    assert _axe(browser, page.url, (consumer.url, consumer_cookie), locale) == []
    page.locator("form[action$='/approve'] button").click()

    page.wait_for_url(re.compile(re.escape(host.url) + r"/ims/ob/v3p0/oauth/authorize\?"))
    page.locator("button[name=decision][value=allow]").click()

    page.wait_for_url(re.compile(re.escape(consumer.url) + r"/account/requests\?done="))
    expect(page.locator("[data-result]")).to_have_attribute("data-result", "sent")
    expect(page.locator("[data-request][data-state=sent]")).to_have_count(1)
    screenshot(page, f"push-request-{lang}{size}-2-sent")
    with host.app.state.sessionmaker() as session:
        assert len(hosted.hosted_credentials(session, host_account)) == 1
    state = pair.client.get(
        f"/api/v1/push-requests/{asked.json()['id']}", headers=pair.issuer.headers
    ).json()["state"]
    assert state == "sent"
    context.close()
