"""Reading another host's ServiceDescriptionDocument and the API root a learner types."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.errors import AppError
from app.obconsumer.service import ConnectError, normalise_root, parse_discovery

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
