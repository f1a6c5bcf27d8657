"""The credentials list's bulk revoke in Debian's chromium, in English and Chinese and on a
phone: search, check two rows, revoke them with one reason, read each outcome; and withdraw a
pending invitation on the Users page. axe (no serious or critical violation), no horizontal
overflow, nothing fetched from outside; screenshots in ``test-output/screenshots/``
(``console-bulk-*.png``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from console_browser_support import bound_socket, check_page, serving
from console_support import PASSWORD, make_staff
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Route, expect
from web_support import Issuer, make_app, make_settings

from app.console import invitations
from app.models import Issuer as IssuerRow

pytestmark = pytest.mark.browser
RUNS = {
    "en-desktop": ("en-US", {"width": 1280, "height": 900}),
    "zh-CN-desktop": ("zh-CN", {"width": 1280, "height": 900}),
    "en-phone": ("en-US", {"width": 390, "height": 844}),
}
TEXT = {
    "en-US": {
        "submit": "Sign in",
        "filter": "Filter",
        "revoke": "Revoke",
        "go": "Apply to the selected credentials",
        "done": "Revoked: 2.",
        "withdraw": "Withdraw",
        "withdrawn": "Invitation withdrawn",
    },
    "zh-CN": {
        "submit": "登录",
        "filter": "筛选",
        "revoke": "撤销",
        "go": "应用于所选证书",
        "done": "已撤销：2。",
        "withdraw": "撤回",
        "withdrawn": "邀请已撤回",
    },
}


@dataclass(frozen=True)
class Live:
    url: str
    app: FastAPI
    issuer_id: str
    email: str
    credentials: dict[str, list[str]]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    sock, url = bound_socket()
    app = make_app(make_settings(tmp_path_factory.mktemp("console-bulk"), url))
    client = TestClient(app, base_url=url)
    issuer = Issuer(client, {"en": "Example University", "zh-CN": "示例大学"})
    python = issuer.achievement("Data Analysis with Python", achievementType="Certificate")
    writing = issuer.achievement("学术写作基础 Academic Writing")
    credentials = {
        run: [
            issuer.issue(python, name=f"Cohort {run} Ada"),
            issuer.issue(writing, name=f"Cohort {run} 李伟 Li Wei"),
            issuer.issue(python, name=f"Cohort {run} Grace"),
        ]
        for run in RUNS
    }
    issuer_id = client.get("/api/v1/issuer", headers=issuer.headers).json()["id"]
    email, _ = make_staff(
        app, issuer_id=issuer_id, role="owner", name="Li Na", email="li.na@example.org"
    )
    with serving(app, sock):
        yield Live(url, app, issuer_id, email, credentials)
    client.close()
    app.state.engine.dispose()


def _invite(live: Live, email: str) -> None:
    with live.app.state.sessionmaker() as session:
        invitations.invite(
            session,
            live.app.state.context,
            email=email,
            role="assessor",
            issuer=session.get(IssuerRow, uuid.UUID(live.issuer_id)),
            invited_by=None,
            language="en",
            actor="cli",
            mail=False,
        )
        session.commit()


def _sign_in(page: Page, live: Live, submit: str) -> None:
    """As the console's browser test signs in: the form, then back to where it was going."""
    page.locator("#email").fill(live.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=submit, exact=True).click()


@pytest.mark.parametrize("run", list(RUNS))
def test_bulk_revoke_and_withdraw_an_invitation(browser: Browser, live: Live, run: str) -> None:
    locale, viewport = RUNS[run]
    text = TEXT[locale]
    context = browser.new_context(
        locale=locale,
        viewport=viewport,  # type: ignore[arg-type]
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
    base = f"{live.url}/console/{live.issuer_id}"
    name = f"console-bulk-{run}"

    page.goto(f"{base}/credentials")
    _sign_in(page, live, text["submit"])
    page.wait_for_url(re.compile(r"/credentials$"))
    # search this run's cohort by part of the name, then check two of the three
    page.locator("#f-name").fill(f"cohort {run}")
    page.get_by_role("button", name=text["filter"], exact=True).click()
    page.wait_for_url(re.compile(r"name=cohort"))
    rows = page.locator("tbody tr[data-credential]")
    expect(rows).to_have_count(3)
    first, second, third = live.credentials[run]
    if run == "en-phone":  # the page's "select all" (a small script), then one unchecked
        page.get_by_label("Select every credential on this page").check()
        expect(page.locator('input[name="credential"]:checked')).to_have_count(3)
        page.locator(f'input[name="credential"][value="{third}"]').uncheck()
        expect(page.locator("#pick-all")).not_to_be_checked()
    else:
        page.locator(f'input[name="credential"][value="{first}"]').check()
        page.locator(f'input[name="credential"][value="{second}"]').check()
    page.get_by_role("radio", name=text["revoke"], exact=True).check()
    page.locator("#bulk-reason").fill("Issued to the wrong cohort 发错批次")
    check_page(page, f"{name}-1-list")
    page.get_by_role("button", name=text["go"], exact=True).click()
    expect(page.locator("#bulk-summary")).to_contain_text(text["done"])
    expect(page.locator('tr[data-outcome="changed"]')).to_have_count(2)
    check_page(page, f"{name}-2-done")

    # back to the list with the same search: the two are revoked, the third is not
    page.locator("main a.button").click()
    page.wait_for_url(re.compile(r"name=cohort"))
    expect(page.locator(f'tr[data-credential="{first}"] .console-state--revoked')).to_have_count(1)
    expect(page.locator(f'tr[data-credential="{second}"] .console-state--revoked')).to_have_count(1)
    expect(page.locator(f'tr[data-credential="{third}"] .console-state--active')).to_have_count(1)
    expect(page.locator(f'input[name="credential"][value="{first}"]')).to_have_count(0)

    # a pending invitation on the Users page, withdrawn
    invitee = f"mentor.{run.lower()}@example.org"
    _invite(live, invitee)
    page.goto(f"{base}/users")
    row = page.locator(f'tr[data-invitation="{invitee}"]')
    expect(row).to_have_count(1)
    check_page(page, f"{name}-3-users")
    row.get_by_role("button", name=re.compile(text["withdraw"])).click()
    expect(page.locator("[role=status]")).to_contain_text(text["withdrawn"])
    expect(page.locator(f'tr[data-invitation="{invitee}"]')).to_have_count(0)
    assert errors == []
    assert outside == []
    context.close()
