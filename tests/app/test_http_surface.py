"""HTTP around the routes (issue 9, items 18 and 23): HEAD, OPTIONS, the OpenAPI error
responses, strict booleans, ``.jwt``'s media type, the landing page and offline ``/docs``."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import pytest
from api_support import IssuerHandle, assert_problem, issue
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.core.schemas import ApiModel
from app.web import home

VC_JWT = "application/vc+jwt"


@pytest.fixture
def published(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> dict[str, Any]:
    """A credential of issuer A issued in both forms."""
    return issue(client, issuer, achievement["id"], proof="both")


def _concrete(path: str, values: dict[str, str]) -> str:
    """``path`` with each ``{param}`` filled from ``values`` (else a random UUID)."""
    return re.sub(r"{(\w+)}", lambda m: values.get(m[1], str(uuid.uuid4())), path)


# --- HEAD ------------------------------------------------------------------------------------


def _get_urls(app: FastAPI, published: dict[str, Any], issuer: IssuerHandle) -> list[str]:
    """One URL per GET route of the OpenAPI document, with real ids where they matter."""
    credential = published["id"]
    values = {"credential_id": credential, "issuer_id": issuer.id}
    paths = app.openapi()["paths"]
    urls = [_concrete(path, values) for path, ops in paths.items() if "get" in ops]
    return [*urls, "/", "/verify", "/docs", "/redoc", "/openapi.json", f"/credentials/{credential}"]


def test_head_answers_every_get_route_with_the_get_status_and_headers_and_no_body(
    app: FastAPI, client: TestClient, published: dict[str, Any], issuer: IssuerHandle
) -> None:
    urls = _get_urls(app, published, issuer)
    assert len(urls) > 25
    statuses: dict[int, int] = {}
    for url in urls:
        got = client.get(url, headers=issuer.headers)
        head = client.head(url, headers=issuer.headers)
        assert head.status_code == got.status_code, url
        assert head.status_code != 405, url
        assert head.content == b"", url
        for name in ("content-type", "content-length", "etag", "cache-control"):
            assert head.headers.get(name) == got.headers.get(name), (url, name)
        statuses[got.status_code] = statuses.get(got.status_code, 0) + 1
    assert statuses[200] > 15, statuses


def test_head_of_a_cached_public_read_is_answered_before_routing_too(
    client: TestClient, published: dict[str, Any]
) -> None:
    url = published["jwtUrl"].replace("https://badges.test", "")
    for _ in range(2):  # a miss (routes), then a hit (the shortcut)
        head = client.head(url)
        assert head.status_code == 200
        assert head.headers["content-type"] == VC_JWT
        assert int(head.headers["content-length"]) > 100
        assert head.content == b""


# --- OPTIONS ---------------------------------------------------------------------------------


def test_options_lists_every_method_of_each_path(app: FastAPI, client: TestClient) -> None:
    for path, operations in app.openapi()["paths"].items():
        response = client.options(_concrete(path, {}))
        assert response.status_code == 204, path
        allowed = set(response.headers["allow"].split(", "))
        documented = {method.upper() for method in operations}
        assert documented <= allowed, path
        assert "OPTIONS" in allowed
        assert ("HEAD" in allowed) == ("GET" in allowed), path


def test_options_on_a_few_paths_by_hand(client: TestClient) -> None:
    allow = client.options("/api/v1/credentials").headers["allow"]
    assert allow == "GET, HEAD, OPTIONS, POST"
    key = f"/api/v1/issuers/{uuid.uuid4()}/api-keys/{uuid.uuid4()}"
    assert client.options(key).headers["allow"] == "DELETE, OPTIONS"
    assert client.options("/verify").headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.options("/no/such/path").status_code == 404


def test_a_405_allows_what_options_lists(client: TestClient) -> None:
    """RFC 9110 §15.5.6: a 405's ``Allow`` lists the resource's methods. Routing alone named
    only the first route of the path (``PUT /api/v1/credentials`` said "Allow: POST")."""
    key = f"/api/v1/issuers/{uuid.uuid4()}/api-keys/{uuid.uuid4()}"
    paths = ("/api/v1/credentials", f"/api/v1/issuers/{uuid.uuid4()}", "/verify", key)
    for path in paths:
        refused = client.put(path)
        assert refused.status_code == 405, path
        assert refused.headers["allow"] == client.options(path).headers["allow"], path
        assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/verify").headers["allow"] == "OPTIONS, POST"


# --- OpenAPI: error responses ----------------------------------------------------------------


def test_openapi_documents_problem_details_for_every_error_response(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"type", "title", "status", "detail"} <= set(schemas["Problem"]["properties"])
    assert "HTTPValidationError" not in schemas
    errors = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code[0] not in "45":
                    continue
                errors += 1
                assert list(response["content"]) == ["application/problem+json"], (path, code)
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (path, method, code)
            codes = set(operation["responses"])
            if path.startswith("/api/v1/verify"):
                assert {"400", "413", "422", "429", "503"} <= codes, path
            elif path.startswith("/api/"):
                assert {"401", "404", "409", "413", "422", "503"} <= codes, (path, method)
            elif path not in ("/healthz", "/readyz"):
                assert {"404", "503"} <= codes, path
    assert errors > 100
    retry = document["paths"]["/api/v1/credentials"]["post"]["responses"]["503"]
    assert "Retry-After" in retry["headers"]


# --- strict booleans -------------------------------------------------------------------------


def _request_models() -> list[type[BaseModel]]:
    import app.api  # noqa: F401  (imports every router, hence every request schema)

    found: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [ApiModel]
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return found


def _is_boolean(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "boolean" or any(
        option.get("type") == "boolean" for option in schema.get("anyOf", [])
    )


def test_every_boolean_of_a_request_schema_takes_only_true_or_false() -> None:
    checked = []
    for model in _request_models():
        for name, field in model.model_fields.items():
            annotation: Any = field.annotation
            if field.metadata:
                annotation = Annotated[(annotation, *field.metadata)]
            adapter = TypeAdapter(annotation)
            if not _is_boolean(adapter.json_schema()):
                continue
            checked.append(f"{model.__name__}.{name}")
            assert adapter.validate_python(True) is True
            for lax in (0, 1, "true", "yes", "off"):
                with pytest.raises(ValidationError):
                    adapter.validate_python(lax)
    assert "VisibilityChange.hidden" in checked


def test_hidden_zero_is_a_422_naming_the_field(
    client: TestClient, issuer: IssuerHandle, published: dict[str, Any]
) -> None:
    link = client.post(
        "/api/v1/learners/link", json={"email": "learner@example.org"}, headers=issuer.headers
    )
    assert link.status_code == 201, link.text
    token = {"Authorization": f"Bearer {link.json()['token']}"}
    url = f"/api/v1/learner/credentials/{published['id']}/visibility"
    for lax in (0, 1, "false", None):
        assert_problem(client.put(url, json={"hidden": lax}, headers=token), 422, "$.hidden")
    assert client.put(url, json={"hidden": False}, headers=token).status_code == 204


# --- .jwt ------------------------------------------------------------------------------------


def test_jwt_is_served_as_application_vc_jwt_unless_text_is_asked_for(
    client: TestClient, published: dict[str, Any]
) -> None:
    url = published["jwtUrl"].replace("https://badges.test", "")
    for _ in range(2):  # the route (a miss), then the pre-routing shortcut (a hit)
        default = client.get(url)
        assert default.status_code == 200
        assert default.headers["content-type"] == VC_JWT
        assert default.text.count(".") == 2
        assert client.get(url, headers={"Accept": VC_JWT}).headers["content-type"] == VC_JWT
        text = client.get(url, headers={"Accept": "text/plain"})
        assert text.headers["content-type"].startswith("text/plain")
        assert text.text == default.text
        assert "Accept" in default.headers["vary"]


# --- the landing page and /docs --------------------------------------------------------------


def test_the_landing_page_says_what_this_is_in_the_visitors_language(
    client: TestClient, issuer: IssuerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page lists the oldest MAX_ISSUERS; the suite's shared database holds more than that.
    monkeypatch.setattr(home, "MAX_ISSUERS", 100_000)
    english = client.get("/", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert english.status_code == 200
    assert english.headers["content-type"].startswith("text/html")
    assert english.headers["content-language"] == "en"
    page = english.text
    assert "Open Badges 3.0 credentials" in page
    for link in ('href="/verify"', 'href="/docs"', f'href="/issuers/{issuer.id}"'):
        assert link in page
    assert "Content-Security-Policy" in english.headers

    chinese = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.headers["content-language"] == "zh-CN"
    assert "开放徽章 3.0 数字证书" in chinese.text
    assert "测试大学" in chinese.text  # the issuer's own Chinese name
    chosen = client.get("/?lang=zh-CN", headers={"Accept-Language": "en"})
    assert "开放徽章 3.0 数字证书" in chosen.text


def test_docs_pages_load_nothing_from_other_hosts(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        urls = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
        assert urls, page
        assert not [u for u in urls if "//" in u], (page, urls)
        for asset in re.findall(r'(?:src|href)="(/static/docs/[^"]+)"', html):
            response = client.get(asset)
            assert response.status_code == 200, asset
            assert response.headers["cache-control"].endswith("immutable")
            assert len(response.content) > 1_000
    assert client.get("/static/docs/nothing.js").status_code == 404
