"""The cohort wizard in Debian's chromium against a live server: template downloads, an upload
with problems (the table by row and column), a valid upload's preview, issuing, the progress
bar moving while the batch is issued (no page reload), the results; in English and Chinese, on
a phone and a desktop. And a 2,000-row file: its problems, then its live progress.

Every page passes axe-core with no serious or critical violation, nothing overflows a 390 px
phone, there are no console errors and nothing is fetched from outside. Screenshots go to
``test-output/screenshots/console-batches-*.png``.

The job runner is held back (detached from the dispatch) so each test sees its batch queued
first and then wakes it: the progress is watched from 0, not caught at the end.
"""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from console_browser_support import bound_socket, check_page, serving
from console_support import PASSWORD, make_staff
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError
from web_support import Issuer, make_app, make_settings, screenshot

from app.jobs.dispatch import DISPATCH

GRADE = "Final grade"

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TEXT: dict[str, dict[str, Any]] = {
    "en-US": {
        "lang": "en",
        "submit": "Sign in",
        "batches": "Batches",
        "new": "Issue to a cohort",
        "continue": "Continue",
        "check": "Check the file",
        "check_title": "Check and preview",
        "issue": re.compile(r"^Issue \d+ credentials$"),
        "completed": "Completed",
    },
    "zh-CN": {
        "lang": "zh-CN",
        "submit": "登录",
        "batches": "批量颁发",
        "new": "向一批学习者颁发",
        "continue": "继续",
        "check": "检查文件",
        "check_title": "检查与预览",
        "issue": re.compile(r"^颁发 \d+ 份证书$"),
        "completed": "已完成",
    },
}


@dataclass(frozen=True)
class Live:
    url: str
    app: FastAPI
    issuer_id: str
    achievement_id: str
    email: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    sock, url = bound_socket()
    app = make_app(make_settings(tmp_path_factory.mktemp("console-batches"), url))
    runner = app.state.job_runner
    DISPATCH.detach(runner.wake)  # each test wakes its batch once it watches the page
    client = TestClient(app, base_url=url)
    issuer = Issuer(client, {"en": "Example University", "zh-CN": "示例大学"})
    achievement = issuer.achievement(
        "Data Analysis with Python",
        achievementType="Certificate",
        resultDescription=[{"name": GRADE, "resultType": "LetterGrade"}],
    )
    issuer_id = client.get("/api/v1/issuer", headers=issuer.headers).json()["id"]
    email, _ = make_staff(
        app, issuer_id=issuer_id, role="issuer", name="Zhang Wei", email="zhang.wei@example.org"
    )
    with serving(app, sock):
        yield Live(url, app, issuer_id, achievement, email)
    runner.stop()
    client.close()
    app.state.engine.dispose()


def _csv(n: int, bad: frozenset[int] = frozenset(), prefix: str = "learner") -> bytes:
    tag = uuid.uuid4().hex[:6]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", GRADE])
    for i in range(n):
        email = f"not-an-address-{i}" if i in bad else f"{prefix}{i}.{tag}@example.edu"
        writer.writerow([email, f"学生 {i}" if i % 2 else f"Learner {i}", "A"])
    return out.getvalue().encode("utf-8")


def _context(
    browser: Browser, live: Live, locale: str, viewport: str
) -> tuple[BrowserContext, Page, list[str], list[str]]:
    context = browser.new_context(
        locale=locale,
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        accept_downloads=True,
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
    page.goto(f"{live.url}/console/sign-in")
    page.locator("#email").fill(live.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=TEXT[locale]["submit"], exact=True).click()
    page.wait_for_url(re.compile(r"/console$"))
    return context, page, errors, outside


def _upload(page: Page, text: dict[str, Any], data: bytes, name: str) -> None:
    payload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": data}
    page.locator("#file").set_input_files(files=[payload])
    page.get_by_role("button", name=text["check"], exact=True).click()
    expect(page.locator("h1")).to_have_text(text["check_title"])


def _batch_id(page: Page) -> str:
    match = re.search(r"/batches/([0-9a-f-]{36})", page.url)
    assert match, page.url
    return match.group(1)


def _progress(page: Page) -> tuple[float, float, str]:
    value, maximum, probe = page.evaluate(
        "() => [document.getElementById('batch-bar').value,"
        " document.getElementById('batch-bar').max, String(window.__probe || '')]"
    )
    return float(value), float(maximum), str(probe)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("locale", list(TEXT))
def test_the_cohort_wizard(browser: Browser, live: Live, locale: str, viewport: str) -> None:
    text = TEXT[locale]
    context, page, errors, outside = _context(browser, live, locale, viewport)
    name = f"console-batches-{text['lang']}-{viewport}"
    base = f"{live.url}/console/{live.issuer_id}"
    live.app.state.job_runner.stop()  # its sweep must not start this test's batch early

    page.goto(f"{base}")
    page.get_by_role("navigation", name=re.compile("Console sections|控制台栏目")).get_by_role(
        "link", name=text["batches"], exact=True
    ).click()
    page.wait_for_url(re.compile(r"/batches$"))
    check_page(page, f"{name}-1-list")
    page.locator("main a.button").first.click()
    expect(page.locator("h1")).to_have_text(text["new"])
    page.locator("#achievement").select_option(live.achievement_id)
    page.get_by_role("button", name=text["continue"], exact=True).click()
    page.wait_for_url(re.compile(r"achievement="))
    check_page(page, f"{name}-2-template")
    for suffix in ("xlsx", "csv"):
        with page.expect_download() as download:
            page.locator(f'a[href*="template.{suffix}"]').click()
        assert download.value.suggested_filename == f"batch-template.{suffix}"
        if suffix == "csv":
            header = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()[0]
            assert GRADE in header

    # a file with problems: the table names each row and column; nothing can be issued as is
    _upload(page, text, _csv(8, bad=frozenset({2, 5})), "cohort-with-errors.csv")
    rows = page.locator("table.batch-problems tbody tr")
    expect(rows).to_have_count(2)
    assert [rows.nth(i).get_attribute("data-row") for i in range(2)] == ["4", "7"]
    assert {rows.nth(i).get_attribute("data-column") for i in range(2)} == {"email"}
    expect(page.locator("#count-invalid")).to_have_text("2")
    check_page(page, f"{name}-3-errors")

    # upload again, a valid file: preview, then issue
    page.locator("a.batch-again").click()
    _upload(page, text, _csv(40), "cohort.csv")
    expect(page.locator("#count-valid")).to_have_text("40")
    expect(page.locator("table.batch-preview tbody tr")).to_have_count(10)
    check_page(page, f"{name}-4-preview")
    page.get_by_role("button", name=text["issue"]).click()
    page.wait_for_url(re.compile(r"/batches/[0-9a-f-]{36}\?notice=queued"))
    batch_id = _batch_id(page)
    expect(page.locator("#batch-bar")).to_have_attribute("value", "0")
    check_page(page, f"{name}-5-queued")

    page.evaluate("() => { window.__probe = 'same page'; }")
    live.app.state.job_runner.wake(uuid.UUID(batch_id))
    # the script updates the counts, then loads the finished page once
    page.wait_for_selector('[data-finished="true"]', timeout=30_000)  # the finished page
    page.wait_for_load_state()
    expect(page.locator("#batch-state")).to_have_attribute("data-state", "completed")
    expect(page.locator("#batch-issued")).to_have_text("40")
    expect(page.locator("table.batch-results tbody tr")).to_have_count(40)
    check_page(page, f"{name}-6-results")
    with page.expect_download() as download:
        page.locator('a[href$="results.csv"]').click()
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 41
    page.locator("table.batch-results tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/credentials/[0-9a-f-]{36}$"))

    page.goto(f"{base}/batches")
    expect(page.locator(f'tr[data-batch="{batch_id}"]')).to_contain_text(text["completed"])
    expect(page.locator(f'tr[data-batch="{batch_id}"]')).to_contain_text("cohort.csv")
    check_page(page, f"{name}-7-list")
    assert errors == []
    assert outside == []
    context.close()


@pytest.mark.slow
def test_a_2000_row_file_shows_its_problems_and_live_progress(browser: Browser, live: Live) -> None:
    text = TEXT["en-US"]
    context, page, errors, outside = _context(browser, live, "en-US", "desktop")
    runner = live.app.state.job_runner
    runner.stop()  # nothing of an earlier test's sweep may start this batch early
    page.goto(f"{live.url}/console/{live.issuer_id}/batches/new?achievement={live.achievement_id}")
    bad = frozenset({10, 999, 1_500})
    started = time.monotonic()
    _upload(page, text, _csv(2_000, bad=bad, prefix="big"), "cohort-2000.csv")
    assert time.monotonic() - started < 30
    problems = page.locator("table.batch-problems tbody tr")
    expect(problems).to_have_count(3)
    assert [problems.nth(i).get_attribute("data-row") for i in range(3)] == [
        str(i + 2) for i in sorted(bad)
    ]
    expect(page.locator("#count-total")).to_have_text("2000")
    expect(page.locator("#count-valid")).to_have_text("1997")
    check_page(page, "console-batches-2000-1-errors")
    page.locator('input[name="skip_invalid"]').check()
    page.get_by_role("button", name=text["issue"]).click()
    page.wait_for_url(re.compile(r"/batches/[0-9a-f-]{36}\?notice=queued"))
    batch_id = _batch_id(page)
    value, maximum, _ = _progress(page)
    assert (value, maximum) == (3, 2000)  # the three invalid rows are recorded as failed
    expect(page.locator("#batch-failed")).to_have_text("3")
    check_page(page, "console-batches-2000-2-queued")

    page.evaluate("() => { window.__probe = 'same page'; }")
    runner.wake(uuid.UUID(batch_id))
    seen: list[float] = []
    shot = False
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            value, maximum, probe = _progress(page)
        except PlaywrightError:  # the script is loading the finished page
            break
        if probe != "same page":  # the script loaded the finished page
            break
        seen.append(value)
        if 3 < value < maximum and not shot:
            screenshot(page, "console-batches-2000-3-progress")
            shot = True
        time.sleep(0.1)
    page.wait_for_selector('[data-finished="true"]', timeout=30_000)  # the finished page
    page.wait_for_load_state()
    expect(page.locator("#batch-state")).to_have_attribute("data-state", "completed")
    moving = sorted(set(seen))
    assert any(3 < v < 2000 for v in moving), moving  # seen part-way, without a reload
    assert seen == sorted(seen), moving  # it only ever went up
    expect(page.locator("#batch-issued")).to_have_text("1997")
    expect(page.locator("#batch-failed")).to_have_text("3")
    expect(page.locator("table.batch-results tbody tr")).to_have_count(100)  # a page of rows
    check_page(page, "console-batches-2000-4-done")
    assert errors == []
    assert outside == []
    context.close()
