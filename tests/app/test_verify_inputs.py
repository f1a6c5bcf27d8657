"""``POST /api/v1/verify`` takes a credential in every form, and every URL we hand out.

Issue 9, item 11: the kind of body is sniffed from its bytes (PNG, SVG, JWT, JSON), whatever
``Content-Type`` says, and multipart uploads work. Item 12: verify-by-URL accepts the page,
``.json``, ``.jwt``, ``badge.png`` and ``badge.svg`` URLs of our own credentials, with a query
string or not, read from the database (never over HTTP to ourselves), on the API and on the
``/verify`` page; foreign URLs still go through the SSRF guard.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_support import IssuerHandle, assert_problem, issue
from fastapi.testclient import TestClient

from app.core.fetch import Fetched, SafeFetcher

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def both(client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]) -> dict[str, Any]:
    """A credential issued with a Data Integrity proof and as a VC-JWT."""
    return issue(client, issuer, achievement["id"], proof="both")


@pytest.fixture
def jwt_only(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> dict[str, Any]:
    """A credential issued as a VC-JWT only."""
    return issue(client, issuer, achievement["id"], proof="jwt")


@pytest.fixture
def no_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our own URLs must be answered from the database: any fetch over HTTP fails the test."""

    def refuse(self: SafeFetcher, url: str, **_: Any) -> Any:
        raise AssertionError(f"fetched {url} over HTTP")

    monkeypatch.setattr(SafeFetcher, "fetch", refuse)
    monkeypatch.setattr(SafeFetcher, "fetch_json", refuse)


def _report(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _verified(response: Any, expected_format: str) -> None:
    report = _report(response)
    failing = [(c["id"], c["status"], c["detail"]) for c in report["checks"]]
    assert report["verified"] is True, failing
    assert report["format"] == expected_format


# --- item 11: bodies of every kind ---------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "content_type", "expected_format"),
    [
        ("badge.png", "image/png", "png+json"),
        ("badge.svg", "image/svg+xml", "svg+json"),
        ("badge.png", "application/octet-stream", "png+json"),
        ("badge.svg", "application/octet-stream", "svg+json"),
        ("badge.png", "application/json", "png+json"),  # the content type is not trusted
        ("badge.svg", "text/plain", "svg+json"),
    ],
)
def test_baked_badges_from_our_own_download_verify_as_raw_bodies(
    client: TestClient,
    both: dict[str, Any],
    image: str,
    content_type: str,
    expected_format: str,
) -> None:
    baked = client.get(f"/credentials/{both['id']}/{image}")
    assert baked.status_code == 200
    response = client.post(
        "/api/v1/verify", content=baked.content, headers={"Content-Type": content_type}
    )
    _verified(response, expected_format)


@pytest.mark.parametrize("image", ["badge.png", "badge.svg"])
def test_multipart_upload_in_the_file_field(
    client: TestClient, both: dict[str, Any], image: str
) -> None:
    baked = client.get(f"/credentials/{both['id']}/{image}")
    media = baked.headers["content-type"]
    response = client.post("/api/v1/verify", files={"file": (image, baked.content, media)})
    _verified(response, f"{image[-3:]}+json")


def test_multipart_json_upload_and_missing_field(client: TestClient, both: dict[str, Any]) -> None:
    document = client.get(f"/credentials/{both['id']}.json").content
    upload = {"file": ("credential.json", document, "application/json")}
    _verified(client.post("/api/v1/verify", files=upload), "json")
    wrong = {"credential": ("credential.json", document, "application/json")}
    assert_problem(client.post("/api/v1/verify", files=wrong), 422, "file")


def test_jwt_as_application_vc_jwt_text_plain_and_json_string(
    client: TestClient, both: dict[str, Any]
) -> None:
    token = client.get(f"/credentials/{both['id']}.jwt").text
    for content_type in ("application/vc+jwt", "text/plain", "application/octet-stream"):
        response = client.post(
            "/api/v1/verify", content=token.encode(), headers={"Content-Type": content_type}
        )
        _verified(response, "jwt")
    _verified(client.post("/api/v1/verify", json=token), "jwt")


@pytest.mark.parametrize("content_type", ["application/vc+ld+json", "text/plain", ""])
def test_json_credential_under_other_content_types(
    client: TestClient, both: dict[str, Any], content_type: str
) -> None:
    document = client.get(f"/credentials/{both['id']}.json").content
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/api/v1/verify", content=b"\xef\xbb\xbf\n" + document, headers=headers)
    _verified(response, "json")


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"", "$"), (b"   ", "$"), (b"{not json", "$"), (b"[1, 2]", "$"), (b'{"url": ""}', "$.url")],
)
def test_unusable_bodies_are_422_problems(client: TestClient, body: bytes, field: str) -> None:
    response = client.post(
        "/api/v1/verify", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, field)


def test_unrecognised_bytes_get_a_format_report(client: TestClient) -> None:
    response = client.post(
        "/api/v1/verify",
        content=b"GIF89a\x01\x00\x01\x00",
        headers={"Content-Type": "image/gif"},
    )
    report = _report(response)
    assert report["verified"] is False
    assert report["checks"][0]["id"] == "format"
    assert report["checks"][0]["status"] == "invalid"


# --- item 12: every public URL we hand out ---------------------------------------------------

_FORMS = [
    ("", "json"),
    (".json", "json"),
    (".jwt", "jwt"),
    ("/badge.png", "png+json"),
    ("/badge.svg", "svg+json"),
]


@pytest.mark.parametrize("query", ["", "?lang=zh-CN", "?lang=en&utm_source=mail#top"])
@pytest.mark.parametrize(("suffix", "expected_format"), _FORMS)
@pytest.mark.usefixtures("no_loopback")
def test_every_own_credential_url_verifies_by_url(
    client: TestClient, both: dict[str, Any], suffix: str, expected_format: str, query: str
) -> None:
    url = f"{both['url']}{suffix}{query}"
    _verified(client.post("/api/v1/verify", json={"url": url}), expected_format)


@pytest.mark.parametrize(
    ("suffix", "expected_format"),
    [("", "jwt"), (".jwt", "jwt"), ("/badge.png", "png+jwt"), ("/badge.svg", "svg+jwt")],
)
@pytest.mark.usefixtures("no_loopback")
def test_jwt_only_credential_urls_verify_by_url(
    client: TestClient, jwt_only: dict[str, Any], suffix: str, expected_format: str
) -> None:
    url = f"{jwt_only['url']}{suffix}?lang=zh-CN"
    _verified(client.post("/api/v1/verify", json={"url": url}), expected_format)


@pytest.mark.usefixtures("no_loopback")
def test_own_status_list_url_is_read_from_the_database(
    client: TestClient, both: dict[str, Any]
) -> None:
    status = both["credential"]["credentialStatus"]
    entry = status[0] if isinstance(status, list) else status
    url = f"{entry['statusListCredential']}?lang=zh-CN"
    report = _report(client.post("/api/v1/verify", json={"url": url}))
    assert report["format"] == "json"
    assert report["credential"]["id"] == entry["statusListCredential"]


@pytest.mark.usefixtures("no_loopback")
def test_own_urls_that_serve_no_credential_say_why(
    client: TestClient, issuer: IssuerHandle, jwt_only: dict[str, Any], both: dict[str, Any]
) -> None:
    # The .json of a JWT-only credential is a 404 on the web, so it does not verify either.
    response = client.post("/api/v1/verify", json={"url": f"{jwt_only['url']}.json"})
    assert_problem(response, 422, "$.url")
    assert "VC-JWT only" in response.json()["detail"]
    missing = "https://badges.test/credentials/00000000-0000-4000-8000-000000000000/badge.png"
    assert_problem(client.post("/api/v1/verify", json={"url": missing}), 422, "$.url")
    hidden = client.post(f"/api/v1/credentials/{both['id']}/revoke", headers=issuer.headers)
    assert hidden.status_code == 200
    revoked = _report(client.post("/api/v1/verify", json={"url": f"{both['url']}?lang=en"}))
    assert {c["id"]: c["status"] for c in revoked["checks"]}["revocation"] == "invalid"


def test_foreign_urls_still_go_through_the_ssrf_guard(client: TestClient) -> None:
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9/credentials/x.json?lang=zh-CN",
        "https://10.0.0.7/credentials/x",
        "ftp://badges.test/credentials/x",
    ):
        response = client.post("/api/v1/verify", json={"url": url})
        assert_problem(response, 422, "$.url")
        assert "could not be fetched" in response.json()["detail"]


def test_foreign_baked_image_is_fetched_as_bytes(
    client: TestClient, both: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A badge someone re-hosts elsewhere: fetched through the guard, verified as a PNG."""
    png = client.get(f"/credentials/{both['id']}/badge.png").content
    asked: list[tuple[str, str]] = []

    def fetch(self: SafeFetcher, url: str, *, accept: str = "*/*") -> Fetched:
        asked.append((url, accept))
        return Fetched(url=url, content_type="image/png", content=png)

    monkeypatch.setattr(SafeFetcher, "fetch", fetch)
    url = "https://portfolio.example/me/badge.png#top"
    _verified(client.post("/api/v1/verify", json={"url": url}), "png+json")
    assert asked[0][0] == "https://portfolio.example/me/badge.png"
    assert "image/png" in asked[0][1]


@pytest.mark.parametrize("suffix", ["?lang=zh-CN", ".jwt", "/badge.png", "/badge.svg"])
@pytest.mark.usefixtures("no_loopback")
def test_verify_page_accepts_every_own_url(
    client: TestClient, both: dict[str, Any], suffix: str
) -> None:
    response = client.post("/verify", data={"url": f"{both['url']}{suffix}"}, headers=HTML)
    assert response.status_code == 200, response.text
    assert re.findall(r'data-banner="([a-z_]+)"', response.text) == ["verified"]
