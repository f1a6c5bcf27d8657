"""The documents OpenID4VCI wallets read: issuer metadata, authorization-server metadata and
the credential offer (OpenID4VCI 1.0 final §4.1, §11.2, §12.2 and Appendix A.1).

One Credential Issuer for the whole service, identified by ``BADGES_BASE_URL``; it is also its
own authorization server. Every URL in these documents is ``BADGES_BASE_URL`` (path included)
plus the endpoint's path. For a base URL with a path (``https://host/badges``) the metadata is
served both where 1.0 §12.2.2 and RFC 8414 §3.1 put it, the well-known segment inserted between
host and path (``https://host/.well-known/openid-credential-issuer/badges``), and where Draft 13
put it, appended (``https://host/badges/.well-known/openid-credential-issuer``): see
:mod:`app.wallets.router`. Draft 13 wallets read the same documents: what differs is added beside
the 1.0 members (``display`` directly in a configuration as well as in ``credential_metadata``),
as both drafts tell wallets to ignore members they do not know.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from app.wallets.key_proof import ALGORITHMS

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OB_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
OB_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
LDP_VC = "OpenBadgeCredential_ldp_vc"
JWT_VC_JSON = "OpenBadgeCredential_jwt_vc_json"
FORMATS = {LDP_VC: "ldp_vc", JWT_VC_JSON: "jwt_vc_json"}
"""Credential configuration id -> format."""
JWT_SIGNING_ALGS = ["RS256", "ES256", "EdDSA"]
"""What an issuer's VC-JWT may be signed with (per issuer; OB 3.0's minimum is RS256)."""

TOKEN_PATH = "/wallets/oid4vci/token"
NONCE_PATH = "/wallets/oid4vci/nonce"
CREDENTIAL_PATH = "/wallets/oid4vci/credential"
OFFER_PATH = "/wallets/oid4vci/offer"
EXCHANGE_PATH = "/wallets/vcapi/exchange"


def _display(base_url: str) -> list[dict[str, Any]]:
    host = urlsplit(base_url).netloc
    return [
        {"name": f"Open Badges ({host})", "locale": "en"},
        {"name": f"开放徽章（{host}）", "locale": "zh-CN"},
    ]


def _configuration(config_id: str) -> dict[str, Any]:
    fmt = FORMATS[config_id]
    display = [
        {"name": "Open Badge", "locale": "en", "description": "An Open Badges 3.0 credential"},
        {"name": "开放徽章", "locale": "zh-CN", "description": "开放徽章 3.0 证书"},
    ]
    definition: dict[str, Any] = {"type": OB_TYPES}
    if fmt == "ldp_vc":
        definition = {"@context": OB_CONTEXT, "type": OB_TYPES}
    return {
        "format": fmt,
        "scope": config_id,
        "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
        "credential_signing_alg_values_supported": (
            ["eddsa-rdfc-2022"] if fmt == "ldp_vc" else JWT_SIGNING_ALGS
        ),
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(ALGORITHMS)}},
        "credential_definition": definition,
        "credential_metadata": {"display": display},
        "display": display,  # Draft 13 reads it here
    }


def issuer_metadata(base_url: str) -> dict[str, Any]:
    """``/.well-known/openid-credential-issuer`` (OpenID4VCI 1.0 §12.2.4)."""
    return {
        "credential_issuer": base_url,
        "authorization_servers": [base_url],
        "credential_endpoint": base_url + CREDENTIAL_PATH,
        "nonce_endpoint": base_url + NONCE_PATH,
        "display": _display(base_url),
        "credential_configurations_supported": {
            config_id: _configuration(config_id) for config_id in FORMATS
        },
    }


def authorization_server_metadata(base_url: str) -> dict[str, Any]:
    """``/.well-known/oauth-authorization-server`` (RFC 8414; OpenID4VCI 1.0 §12.3)."""
    return {
        "issuer": base_url,
        "token_endpoint": base_url + TOKEN_PATH,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
        "response_types_supported": [],
    }


def credential_offer(base_url: str, code: str, *, tx_code: bool) -> dict[str, Any]:
    """The Credential Offer object (§4.1.1): both formats, the pre-authorized code grant."""
    grant: dict[str, Any] = {"pre-authorized_code": code}
    if tx_code:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": 6,
            "description": "The 6-digit code e-mailed to you when your wallet opened this offer.",
        }
    return {
        "credential_issuer": base_url,
        "credential_configuration_ids": [LDP_VC, JWT_VC_JSON],
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


def offer_link(offer_uri: str) -> str:
    """``openid-credential-offer://?credential_offer_uri=…`` (§4.1.3), for a QR code or a tap."""
    return "openid-credential-offer://?credential_offer_uri=" + quote(offer_uri, safe="")
