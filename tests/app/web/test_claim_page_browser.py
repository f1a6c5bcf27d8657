"""The learner's claim page (``/claim/{token}``) in Debian's chromium: both languages, a desktop
and a phone, against a live server, with a claim link made through the API as an issuer would.

It checks what a learner relies on: the page says the *link* expires and the *credential* does
not; the wallet QR codes render, whole and side by side or stacked but never cut off or on top
of each other on a phone; the download buttons download the credential itself; the LinkedIn
link is well formed (and carries the public page, never the claim token); no console errors;
nothing is fetched from outside the service; axe-core finds nothing serious. Screenshots go to
``test-output/screenshots/claim-*.png`` for review.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Route, expect
from web_support import (
    Issuer,
    launched_chromium,
    make_app,
    make_settings,
    screenshot,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}

TEXT: dict[str, dict[str, str]] = {
    "en-US": {
        "lang": "en",
        "heading": "Your credential is ready",
        "link_expires": "This claim link works until",
        "credential_stays": "Your credential does not expire with the link",
        "wallet": "Add to a digital wallet",
    },
    "zh-CN": {
        "lang": "zh-CN",
        "heading": "您的证书已准备好",
        "link_expires": "此领取链接有效期至",
        "credential_stays": "证书本身不会随链接过期",
        "wallet": "添加到数字钱包",
    },
}
ACHIEVEMENT = "Data Analysis with Python"


@dataclass(frozen=True)
class Claim:
    """A live service and one claim link on it."""

    url: str
    token: str
    credential_id: str
    credential: dict[str, Any]
    """The signed credential as its public ``.json`` serves it."""
    jwt: str
    expires_at: datetime
    """When the claim link stops working."""


@pytest.fixture(scope="module")
def claim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Claim]:
    """uvicorn on a free port; an issuer, a credential with both proofs and a claim link, all
    made through the API (the claim link with ``POST /api/v1/credentials/{id}/offers``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # the base URL is the served one
    app = make_app(make_settings(tmp_path_factory.mktemp("claim"), url))
    client = TestClient(app, base_url=url)
    issuer = Issuer(client, {"en": "Example University", "zh-CN": "示例大学"})
    achievement = issuer.achievement(ACHIEVEMENT, achievementType="Certificate")
    credential_id = issuer.issue(achievement, proof="both")
    offer = client.post(f"/api/v1/credentials/{credential_id}/offers", headers=issuer.headers)
    assert offer.status_code == 201, offer.text
    token = str(offer.json()["claimUrl"]).rsplit("/", 1)[1]
    signed = client.get(f"/credentials/{credential_id}.json")
    assert signed.status_code == 200, signed.text
    jwt = client.get(f"/credentials/{credential_id}.jwt")
    assert jwt.status_code == 200, jwt.text
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    expires = datetime.fromisoformat(offer.json()["expiresAt"])
    yield Claim(url, token, credential_id, signed.json(), jwt.text.strip(), expires)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    client.close()
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


def _boxes(page: Page, selector: str) -> list[dict[str, float]]:
    boxes: list[dict[str, float]] = page.eval_on_selector_all(
        selector,
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {x: r.left, y: r.top + window.scrollY, width: r.width, height: r.height}; })",
    )
    return boxes


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two rectangles share any area."""
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("locale", list(TEXT))
def test_the_claim_page_works_in_both_languages_on_a_phone_and_a_desktop(
    browser: Browser, claim: Claim, locale: str, viewport: str
) -> None:
    size = VIEWPORTS[viewport]
    text = TEXT[locale]
    # bypass_csp lets the test inject axe; the page itself allows no inline script.
    context = browser.new_context(
        locale=locale,
        viewport=size,  # type: ignore[arg-type]
        accept_downloads=True,
        bypass_csp=True,
    )
    outside: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(claim.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    response = page.goto(f"{claim.url}/claim/{claim.token}")
    assert response is not None
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])
    expect(page.locator("h1")).to_have_text(text["heading"])

    # The link expires (on a date); the credential does not.
    expiry = page.locator(".claim-expiry")
    expect(expiry).to_be_visible()
    expect(expiry).to_contain_text(text["link_expires"])
    expect(expiry).to_contain_text(text["credential_stays"])
    expect(expiry).to_contain_text(str(claim.expires_at.year))

    # Two wallet QR codes that have loaded and are whole on screen.
    expect(page.get_by_role("heading", name=text["wallet"], exact=True)).to_be_visible()
    qr = page.locator("img.wallet__qr")
    expect(qr).to_have_count(2)
    for index in range(2):
        image = qr.nth(index)
        image.scroll_into_view_if_needed()
        assert image.evaluate(
            "img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0"
        )
    width = page.evaluate("document.documentElement.clientWidth")
    boxes = _boxes(page, "img.wallet__qr")
    for box in boxes:
        assert box["width"] >= 120, box  # scannable, not squeezed
        assert box["x"] >= 0, box
        assert box["x"] + box["width"] <= width, (box, width)
    assert not _overlap(boxes[0], boxes[1]), boxes
    # The whole wallet cards too (a QR and its button), and nothing scrolls sideways.
    cards = _boxes(page, "li.wallet")
    assert len(cards) == 2
    for card in cards:
        assert card["x"] >= 0, card
        assert card["x"] + card["width"] <= width, (card, width)
    assert not _overlap(cards[0], cards[1]), cards
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= size["width"], scroll_width

    # The wallet buttons carry the protocols' links.
    oid4vci = page.locator('li.wallet[data-protocol="oid4vci"] a.button').get_attribute("href")
    lcw = page.locator('li.wallet[data-protocol="lcw"] a.button').get_attribute("href")
    assert oid4vci is not None
    assert oid4vci.startswith("openid-credential-offer://?")
    assert lcw is not None
    assert lcw.startswith("https://lcw.app/request?request=")

    # The downloads download: the JSON is the signed credential, the JWT the signed JWT.
    downloads = page.locator(".downloads a[download]")
    assert downloads.count() == 4
    with page.expect_download() as first:
        downloads.nth(0).click()
    got = first.value
    assert got.suggested_filename == f"credential-{claim.credential_id}.json"
    document = json.loads(Path(got.path()).read_text("utf-8"))
    assert document == claim.credential
    assert document["credentialSubject"]["achievement"]["name"] == ACHIEVEMENT
    with page.expect_download() as second:
        downloads.nth(1).click()
    assert Path(second.value.path()).read_text("ascii").strip() == claim.jwt
    with page.expect_download() as third:
        downloads.nth(2).click()
    assert Path(third.value.path()).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    # LinkedIn's add-to-profile link, prefilled, pointing at the public page only.
    linkedin = page.locator("a.button--linkedin")
    expect(linkedin).to_be_visible()
    href = linkedin.get_attribute("href")
    assert href is not None
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    query = parse_qs(parts.query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["name"] == [ACHIEVEMENT]
    assert query["certUrl"] == [f"{claim.url}/credentials/{claim.credential_id}"]
    assert query["certId"] == [claim.credential_id]
    assert query["issueYear"] == [str(datetime.now(UTC).year)]
    assert 1 <= int(query["issueMonth"][0]) <= 12
    assert query["organizationName"][0] in ("Example University", "示例大学")
    assert claim.token not in href
    assert linkedin.get_attribute("target") == "_blank"
    assert "noreferrer" in (linkedin.get_attribute("rel") or "")

    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, f"claim-{locale}-{viewport}")
    assert errors == []
    assert outside == []
    # Contrast, names, landmarks: nothing serious by axe-core's rules.
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    context.close()
