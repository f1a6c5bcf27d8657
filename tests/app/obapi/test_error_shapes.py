"""Every error under ``/ims/ob/v3p0`` is the spec's ``Imsx_StatusInfo``, also those raised before
a resource route runs (no such route, a method the route lacks, a body too large); the OAuth
endpoints keep RFC 6749's errors and the rest of the service RFC 9457 problems."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from app.core.errors import PROBLEM_MEDIA_TYPE


def _is_imsx(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and body.get("imsx_codeMajor") == "failure"
        and body.get("imsx_severity") == "error"
        and isinstance(body.get("imsx_description"), str)
    )


def test_an_unknown_path_under_the_api_is_an_imsx_404(client: TestClient) -> None:
    response = client.get("/ims/ob/v3p0/no-such-thing")
    assert response.status_code == 404
    assert _is_imsx(response.json()), response.text
    assert not response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)


def test_a_method_the_route_lacks_is_an_imsx_405_naming_the_methods(client: TestClient) -> None:
    response = client.delete("/ims/ob/v3p0/credentials")
    assert response.status_code == 405
    assert _is_imsx(response.json()), response.text
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_body_too_large_is_an_imsx_413(client: TestClient) -> None:
    response = client.post(
        "/ims/ob/v3p0/credentials",
        content=b"x" * 200_000,
        headers={"Content-Type": "text/plain", "Authorization": "Bearer nothing"},
    )
    assert response.status_code == 413, response.text
    assert _is_imsx(response.json()), response.text


def test_the_oauth_endpoints_and_the_rest_of_the_service_keep_their_shapes(
    client: TestClient,
) -> None:
    token = client.post("/ims/ob/v3p0/oauth/token", data={"grant_type": "password"})
    assert token.status_code in (400, 401), token.text
    assert "error" in token.json()
    assert not _is_imsx(token.json())
    elsewhere = client.get("/api/v1/no-such-thing")
    assert elsewhere.status_code == 404
    assert elsewhere.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
