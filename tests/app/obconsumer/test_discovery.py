"""Reading another host's ServiceDescriptionDocument and the API root a learner types."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.errors import AppError
from app.obconsumer.service import (
    ConnectError,
    DiscoveryRefused,
    normalise_root,
    parse_discovery,
)

ROOT = "https://host.example/ims/ob/v3p0"


def document(**flow_overrides: Any) -> dict[str, Any]:
    flow = {
        "authorizationUrl": "https://host.example/oauth/authorize",
        "tokenUrl": "https://host.example/oauth/token",
        "scopes": {"https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert": "…"},
        **flow_overrides,
    }
    return {
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "x-imssf-name": "Host Example",
                    "x-imssf-registrationUrl": "https://host.example/oauth/register",
                    "flows": {"authorizationCode": {k: v for k, v in flow.items() if v}},
                }
            }
        }
    }


def test_the_authorization_code_scheme_is_read() -> None:
    found = parse_discovery(document(), ROOT)
    assert found.name == "Host Example"
    assert found.token_url == found.refresh_url == "https://host.example/oauth/token"
    assert found.registration_url == "https://host.example/oauth/register"
    assert found.revocation_url is None
    assert found.scopes == {"https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"}


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"components": {"securitySchemes": {"k": {"type": "apiKey"}}}},
        document(tokenUrl=None),
        document(authorizationUrl="javascript:alert(1)"),
        document(tokenUrl="/relative/token"),
    ],
)
def test_a_document_without_a_usable_scheme_is_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(ConnectError):
        parse_discovery(broken, ROOT)


@pytest.mark.parametrize(
    ("typed", "root"),
    [
        (" https://Host.Example/ims/ob/v3p0/ ", "https://host.example/ims/ob/v3p0"),
        ("https://host.example/ims/ob/v3p0/discovery", "https://host.example/ims/ob/v3p0"),
    ],
)
def test_the_api_root_is_normalised(typed: str, root: str) -> None:
    assert normalise_root(typed) == root


@pytest.mark.parametrize(
    "typed", ["", "host.example", "https://u:p@host.example/x", "https://host.example/x#f"]
)
def test_a_bad_api_root_names_the_field(typed: str) -> None:
    with pytest.raises(AppError) as caught:
        normalise_root(typed)
    assert caught.value.field == "apiRoot"


def _registration(url: str) -> dict[str, Any]:
    found = document()
    found["components"]["securitySchemes"]["OAuth2ACG"]["x-imssf-registrationUrl"] = url
    return found


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (document(authorizationUrl="https://evil.example/oauth/authorize"), "authorizationUrl"),
        (document(tokenUrl="https://evil.example/oauth/token"), "tokenUrl"),
        (document(refreshUrl="https://evil.example/oauth/token"), "refreshUrl"),
        (document(tokenUrl="https://host.example:8443/oauth/token"), "tokenUrl"),
        (document(tokenUrl="https://host.example.evil.example/t"), "tokenUrl"),
        (document(tokenUrl="https://user:pw@host.example/oauth/token"), "tokenUrl"),
        (document(authorizationUrl="https://user@host.example/authorize"), "authorizationUrl"),
        (document(authorizationUrl="http://host.example/oauth/authorize"), "authorizationUrl"),
        (document(tokenUrl="http://host.example:443/oauth/token"), "tokenUrl"),
        (_registration("https://evil.example/register"), "x-imssf-registrationUrl"),
        (document(**{"x-imssf-revocationUrl": "https://evil.example/r"}), "x-imssf-revocationUrl"),
    ],
)
def test_an_endpoint_off_the_typed_origin_or_not_https_is_refused(
    broken: dict[str, Any], field: str
) -> None:
    with pytest.raises(DiscoveryRefused) as caught:
        parse_discovery(broken, ROOT)
    assert 400 <= caught.value.status < 500
    assert caught.value.field == field
    assert field in caught.value.detail


def test_the_default_port_is_the_same_origin() -> None:
    found = parse_discovery(document(tokenUrl="https://HOST.example:443/oauth/token"), ROOT)
    assert found.token_url == "https://HOST.example:443/oauth/token"


def test_http_is_taken_only_when_private_fetches_are_allowed() -> None:
    root = "http://127.0.0.1:8000/ims/ob/v3p0"
    local = _registration("http://127.0.0.1:8000/oauth/register")
    flow = local["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]
    flow["authorizationUrl"] = "http://127.0.0.1:8000/oauth/authorize"
    flow["tokenUrl"] = "http://127.0.0.1:8000/oauth/token"
    with pytest.raises(DiscoveryRefused):
        parse_discovery(local, root)
    assert parse_discovery(local, root, allow_http=True).token_url == flow["tokenUrl"]
    with pytest.raises(DiscoveryRefused):  # still the typed origin, even over http
        parse_discovery(local, "http://127.0.0.1:9000/ims/ob/v3p0", allow_http=True)
