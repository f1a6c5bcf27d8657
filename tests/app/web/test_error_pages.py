"""Every error a browser can hit is a page; API clients keep getting problem JSON."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import Site

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ZH_BROWSER = {**BROWSER, "Accept-Language": "zh-CN"}


def _form_fields(count: int) -> dict[str, str]:
    return {f"f{i}": "x" for i in range(count)}


CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("GET", "/no-such-page", {}, 404, "Not found"),
    ("GET", "/static/no-such.css", {}, 404, "Not found"),
    ("GET", "/learners/forged.token-value", {}, 401, "invalid or has expired"),
    ("PUT", "/verify", {}, 405, "Not allowed"),
    ("POST", "/verify", {"data": {"url": "https://a.example/" + "a" * 3000}}, 422, "too long"),
    ("POST", "/verify", {"data": _form_fields(1001)}, 400, "Bad request"),
    ("POST", "/verify", {"files": {"file": ("a.png", b"0" * 2_000_000)}}, 413, "larger than"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "words"), CASES)
def test_browser_gets_an_html_page_with_the_status(
    site: Site, method: str, path: str, kwargs: dict[str, Any], status: int, words: str
) -> None:
    response = site.client.request(method, path, headers=BROWSER, **kwargs)
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Content-Security-Policy" in response.headers
    assert words in response.text
    assert '<a href="/verify">' in response.text


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "words"), CASES)
def test_api_clients_still_get_problem_json(
    site: Site, method: str, path: str, kwargs: dict[str, Any], status: int, words: str
) -> None:
    del words
    response = site.client.request(method, path, **kwargs)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_api_paths_answer_json_even_to_a_browser(site: Site) -> None:
    response = site.client.get("/api/v1/learner?token=forged.token-value", headers=BROWSER)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_error_page_follows_the_language(site: Site) -> None:
    response = site.client.get("/learners/forged.token-value", headers=ZH_BROWSER)
    assert response.status_code == 401
    assert response.headers["content-language"] == "zh-CN"
    assert "链接无效" in response.text
