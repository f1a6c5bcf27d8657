"""Issue 15 in Chromium: the credential page in every state a visitor meets — valid, revoked,
suspended, expired, a program award and a tampered record — in English and Chinese, on a
desktop and a phone, each checked with axe and photographed for review
(``test-output/screenshots/page-<case>-<locale>-<device>.png``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_support import (
    free_socket,
    issue_program,
    issue_showcase,
    launched_chromium,
    make_app,
    make_settings,
    screenshot,
    serious_violations,
    serving,
)

from app.models import Credential

pytestmark = pytest.mark.browser

DEVICES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
BANNER = {
    "valid": ("Verified", "已验证"),
    "revoked": ("Revoked", "已撤销"),
    "suspended": ("Suspended", "已暂停"),
    "expired": ("Expired", "已过期"),
    "program": ("Verified", "已验证"),
    "tampered": ("Not genuine", "并非真实"),
}
SHARING = {"valid": True, "program": True}


@dataclass
class Pages:
    url: str
    ids: dict[str, str]


def _tamper(app: Any, credential_id: str) -> None:
    """Change the stored signed document behind the service's back (a database intrusion)."""
    with Session(app.state.engine) as session:
        row = session.scalars(
            select(Credential).where(Credential.id == uuid.UUID(credential_id))
        ).one()
        document = json.loads(row.document)
        document["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
        row.document = json.dumps(document)
        session.commit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pages]:
    sock = free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = make_app(make_settings(tmp_path_factory.mktemp("pages15"), base))
    client = TestClient(app, base_url=base)
    show = issue_showcase(client)
    program = issue_program(client)
    with Session(app.state.engine) as session:
        award = session.scalars(
            select(Credential.id).where(
                Credential.recipient_email == program.learner,
                Credential.id.not_in([uuid.UUID(program.module_en), uuid.UUID(program.module_zh)]),
            )
        ).one()
    tampered = issue_showcase(client).valid
    _tamper(app, tampered)
    ids = {
        "valid": show.valid,
        "revoked": show.revoked,
        "suspended": show.suspended,
        "expired": show.expired,
        "program": str(award),
        "tampered": tampered,
    }
    with serving(app, sock):
        yield Pages(base, ids)
    client.close()
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("case", list(BANNER))
def test_credential_page(
    browser: Browser, pages: Pages, case: str, locale: str, device: str
) -> None:
    context = browser.new_context(
        locale=locale,
        viewport=DEVICES[device],
        bypass_csp=True,  # type: ignore[arg-type]
    )
    page = context.new_page()
    page.goto(f"{pages.url}/credentials/{pages.ids[case]}?lang={locale}")
    page.wait_for_load_state("networkidle")
    title = BANNER[case][0 if locale == "en" else 1]
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    # nothing wider than the window: no sideways scrolling on a phone
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= DEVICES[device]["width"], f"page is {width}px wide"
    # the badge picture and the issuer's logo load
    for selector in (".hero__image", ".brand__logo") if case != "program" else (".hero__image",):
        loaded = page.locator(selector).evaluate("img => img.complete && img.naturalWidth > 0")
        assert loaded, f"{selector} did not load"
    linkedin = page.locator(".button--linkedin")
    expect(linkedin).to_have_count(1 if case in SHARING else 0)
    if case == "valid":
        expect(page.locator(".checks__passed > summary")).to_contain_text(
            "All 8 checks passed" if locale == "en" else "全部 8 项检查均已通过"
        )
        expect(page.locator(".checks__passed .checklist")).to_be_hidden()
        page.locator(".checks__passed > summary").click()
        expect(page.locator(".checks__passed .checklist")).to_be_visible()
        expect(page.locator(".hero__type")).to_have_text(
            "Micro credential" if locale == "en" else "微证书"
        )
    if case == "revoked":
        expect(page.locator('[data-check="revocation"]')).to_be_visible()  # failing: open
        expect(page.locator(".banner")).to_contain_text("Issued to the wrong learner by mistake.")
    if case == "tampered":
        expect(page.locator('[data-check="proof"]')).to_be_visible()
    if case == "program":
        rows = page.locator(".program-modules tbody tr")
        expect(rows).to_have_count(3)
        expect(page.locator(".program-clr__link")).to_be_visible()
    screenshot(page, f"page-{case}-{locale}-{device}")
    assert serious_violations(page) == []
    context.close()
