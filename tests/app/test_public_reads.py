"""Public reads: own-DID resolution under any base URL, the HTML 404, and cache invalidation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_support import (
    IssuerHandle,
    assert_problem,
    issue,
    make_achievement,
    make_issuer,
    status_entries,
)
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.types import Message, Receive, Scope, Send

from app.core.config import Settings
from app.credentials.shortcut import PublicReadShortcut
from app.main import create_app
from app.verification.resolver import own_path
from openbadges.status_list import read_status

HTML = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "en"}
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("base", "url", "path"),
    [
        ("http://badges.test", "https://badges.test/issuers/x/did.json", "/issuers/x/did.json"),
        ("https://badges.test", "http://badges.test/status/1", "/status/1"),
        ("http://Badges.Test:8080", "https://badges.test:8080/a", "/a"),
        ("https://badges.test:443", "https://badges.test/a", "/a"),
        ("http://badges.test/sub/", "https://badges.test/sub/a", "/a"),
        ("http://badges.test", "did:web:badges.test:issuers:abc", "/issuers/abc/did.json"),
        ("http://badges.test:8080", "did:web:badges.test%3A8080:issuers:a", "/issuers/a/did.json"),
        ("http://badges.test", "https://badges.test.evil.example/a", None),
        ("http://badges.test", "https://badges.test:8443/a", None),
        ("http://badges.test/sub", "https://badges.test/subway/a", None),
        ("http://badges.test", "https://user@badges.test/a", None),
        ("http://badges.test", "ftp://badges.test/a", None),
        ("http://badges.test", "did:web:other.example:issuers:abc", None),
        ("http://badges.test", "did:web:", None),
    ],
)
def test_own_urls_are_recognised_by_host_in_either_scheme(
    base: str, url: str, path: str | None
) -> None:
    assert own_path(base, url) == path


@pytest.fixture(params=["http://badges.test", "https://badges.test", "http://badges.test:8080"])
def base_client(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    """The service under another BADGES_BASE_URL, on the same database."""
    application = create_app(settings.model_copy(update={"base_url": request.param}))
    yield TestClient(application, raise_server_exceptions=False)
    application.state.engine.dispose()


def test_own_issuer_key_is_checked_from_the_database_under_any_base(
    base_client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(base_client, admin_headers)
    achievement = make_achievement(base_client, issuer)
    credential = issue(base_client, issuer, achievement["id"])["credential"]
    report = base_client.post("/api/v1/verify", json=credential).json()
    checks = {check["id"]: check["status"] for check in report["checks"]}
    assert checks["issuer_key"] == "valid", report
    assert checks["revocation"] == checks["suspension"] == "valid", report
    assert report["verified"] is True


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Not found"), ("zh-CN", "未找到")], ids=["en", "zh"]
)
def test_browsers_get_an_html_404_in_their_language(
    client: TestClient, language: str, title: str
) -> None:
    for ident in (MISSING, "not-a-uuid"):
        response = client.get(
            f"/credentials/{ident}", headers={**HTML, "Accept-Language": language}
        )
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-language"] == language
        assert f"<h1>{title}</h1>" in response.text


def test_api_clients_keep_problem_json_for_missing_credentials(client: TestClient) -> None:
    json_accept = {"Accept": "application/json"}
    assert_problem(client.get(f"/credentials/{MISSING}", headers=json_accept), 404)
    assert_problem(client.get(f"/credentials/{MISSING}"), 404)  # no Accept: not a browser
    assert_problem(client.get(f"/credentials/{MISSING}.json", headers=json_accept), 404)
    assert_problem(client.get("/credentials/not-a-uuid", headers=json_accept), 422)
    # A person who follows a download link to a missing credential gets a page, not JSON.
    page = client.get(f"/credentials/{MISSING}.json", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


def _hide(client: TestClient, issuer: IssuerHandle, credential_id: str, hidden: bool) -> None:
    link = client.post(
        "/api/v1/learners/link", json={"email": "learner@example.org"}, headers=issuer.headers
    )
    assert link.status_code == 201, link.text
    response = client.put(
        f"/api/v1/learner/credentials/{credential_id}/visibility",
        params={"token": link.json()["token"]},
        json={"hidden": hidden},
    )
    assert response.status_code == 204, response.text


def test_hiding_takes_effect_at_once_despite_the_caches(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    ident = issue(client, issuer, achievement["id"])["id"]
    urls = [f"/credentials/{ident}.json", f"/credentials/{ident}.jwt", f"/credentials/{ident}"]
    warm = [client.get(url, headers=HTML if "." not in url else {}) for url in urls]
    assert [r.status_code for r in warm] == [200, 404, 200]  # a DI-only credential has no .jwt
    _hide(client, issuer, ident, True)
    assert client.get(urls[0]).status_code == 404
    hidden_page = client.get(urls[2], headers=HTML)
    assert (hidden_page.status_code, "<h1>Not found</h1>" in hidden_page.text) == (404, True)
    _hide(client, issuer, ident, False)
    assert client.get(urls[0]).content == warm[0].content
    assert client.get(urls[2], headers=HTML).status_code == 200


def test_revocation_shows_at_once_on_the_page_the_status_list_and_the_api(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    issued = issue(client, issuer, achievement["id"])
    ident, entry = issued["id"], status_entries(issued["credential"])[0]
    list_path = entry["statusListCredential"].removeprefix("https://badges.test")
    before = client.get(f"/credentials/{ident}", headers=HTML)
    assert "Revoked" not in before.text
    assert read_status(client.get(list_path).json(), entry) == 0
    revoked = client.post(f"/api/v1/credentials/{ident}/revoke", headers=issuer.headers)
    assert revoked.json()["status"] == "revoked"
    after = client.get(f"/credentials/{ident}", headers=HTML)
    assert "The issuer has revoked this credential." in after.text
    assert after.headers["etag"] != before.headers["etag"]
    assert read_status(client.get(list_path).json(), entry) == 1
    read = client.get(f"/api/v1/credentials/{ident}", headers=issuer.headers).json()
    assert read["status"] == "revoked"


def _shortcut(app: Any, path: str, accept: str) -> httpx.Response | None:
    """What :class:`PublicReadShortcut` sends for ``GET path``, or None when it calls the app."""
    sent: list[Message] = []
    passed: list[Scope] = []

    async def routes(scope: Scope, receive: Receive, send: Send) -> None:
        passed.append(scope)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"accept", accept.encode()), (b"accept-language", b"en")]
    scope = {"type": "http", "method": "GET", "path": path, "headers": headers, "query_string": b""}
    asyncio.run(PublicReadShortcut(routes, owner=app)(scope, receive, send))
    if passed:
        return None
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    return httpx.Response(start["status"], headers=start["headers"], content=body)


def test_warm_public_reads_are_answered_before_routing_exactly_as_the_routes_answer(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], engine: Engine
) -> None:
    ident = issue(client, issuer, achievement["id"])["id"]
    path = f"/credentials/{ident}"

    first = _shortcut(client.app, path, "text/html")  # nothing read yet
    if engine.dialect.name == "sqlite":  # in-process reads: a page not cached is rendered here
        assert first is not None
        assert first.status_code == 200
    else:
        assert first is None
    routed = client.get(path, headers=HTML)
    if first is not None:
        assert (first.content, first.headers["etag"]) == (routed.content, routed.headers["etag"])
    routed_json = client.get(f"{path}.json")
    page = _shortcut(client.app, path, "text/html")
    signed = _shortcut(client.app, f"{path}.json", "*/*")
    assert page is not None
    assert signed is not None
    assert (page.content, page.headers["etag"]) == (routed.content, routed.headers["etag"])
    assert signed.content == routed_json.content
    assert _shortcut(client.app, f"{path}.jwt", "*/*") is None  # a DI-only credential
    assert _shortcut(client.app, "/credentials/not-a-uuid", "text/html") is None
    assert _shortcut(client.app, f"{path}/qr.svg", "*/*") is None
    routed_qr = client.get(f"{path}/qr.svg")
    qr = _shortcut(client.app, f"{path}/qr.svg", "*/*")
    assert qr is not None
    assert (qr.content, qr.headers["etag"]) == (routed_qr.content, routed_qr.headers["etag"])
    assert client.get(path, headers=HTML).content == routed.content


@pytest.fixture
def warm(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> tuple[str, httpx.Response]:
    """A DI credential whose signed forms this worker holds in memory, and its ``.json``."""
    ident = issue(client, issuer, achievement["id"])["id"]
    signed = client.get(f"/credentials/{ident}.json")
    assert signed.status_code == 200
    return ident, signed


def test_a_shortcut_hit_passes_through_every_other_middleware(
    client: TestClient, warm: tuple[str, httpx.Response], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.credentials import public
    from app.serving import workers

    ident, signed = warm
    url = f"/credentials/{ident}.json"

    async def no_routes(*args: Any) -> None:
        raise AssertionError("a warm read reached the routes")

    monkeypatch.setattr(public, "respond", no_routes)
    assert client.get(url).content == signed.content  # answered by the shortcut
    # The body limit runs first: a declared body over it is a 413, even for a cached read.
    too_big = client.get(url, headers={"Content-Length": "64001"})
    assert too_big.status_code == 413
    # HEAD (StandardMethods) and connection rebalancing wrap what the shortcut answers.
    balance = workers.ConnectionBalance([3, 1], 0)
    monkeypatch.setattr(workers, "_balance", balance)
    balance.publish(3)  # one connection over its share: the next response says close
    head = client.head(url)
    assert (head.status_code, head.content, head.headers["connection"]) == (200, b"", "close")
    assert int(head.headers["content-length"]) == len(signed.content)


def test_a_failure_in_the_shortcut_is_answered_by_the_routes_and_their_handlers(
    client: TestClient, warm: tuple[str, httpx.Response], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.credentials import shortcut

    ident, signed = warm
    # The signed forms are in memory, without a JWT: the shortcut's NotFound goes to the
    # routes, whose handlers answer problem JSON, or the HTML 404 page to a browser.
    assert_problem(client.get(f"/credentials/{ident}.jwt"), 404)
    page = client.get(f"/credentials/{ident}.jwt", headers=HTML)
    assert (page.status_code, "<h1>Not found</h1>" in page.text) == (404, True)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug in the shortcut")

    monkeypatch.setattr(shortcut, "answer", broken)
    again = client.get(f"/credentials/{ident}.json")
    assert (again.status_code, again.content) == (200, signed.content)
    assert client.get(f"/credentials/{ident}", headers=HTML).status_code == 200


def test_a_status_changed_by_another_worker_shows_within_a_second(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    import time
    import uuid

    from app.core.security import IssuerPrincipal
    from app.credentials import service
    from app.credentials.published import STATE_TTL_S

    ident = issue(client, issuer, achievement["id"])["id"]
    assert "Revoked" not in client.get(f"/credentials/{ident}", headers=HTML).text
    # Another worker's revocation: the service, not this worker's route (which also forgets).
    app = client.app
    principal = IssuerPrincipal(uuid.UUID(issuer.id), uuid.uuid4(), "other-worker")
    with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        service.change_status(
            session,
            app.state.context,
            principal,
            uuid.UUID(ident),
            "revocation",
            None,  # type: ignore[attr-defined]
        )
    time.sleep(STATE_TTL_S + 0.2)
    page = client.get(f"/credentials/{ident}", headers=HTML).text
    assert "The issuer has revoked this credential." in page
