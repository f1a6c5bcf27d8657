"""The public URL and identifier scheme (docs/design.md "URLs and identifiers").

Every id the service puts in a document is derived here from ``BADGES_BASE_URL``, so changing
the origin changes them all consistently.
"""

from __future__ import annotations

import uuid

from openbadges.did import url_to_did_web


def issuer_did(base_url: str, issuer_id: uuid.UUID) -> str:
    """``did:web:<host>:issuers:<issuer_id>`` (document at ``/issuers/<id>/did.json``)."""
    return url_to_did_web(base_url, "issuers", str(issuer_id))


def issuer_profile_url(base_url: str, issuer_id: uuid.UUID) -> str:
    """The Profile JSON-LD of an issuer."""
    return f"{base_url}/issuers/{issuer_id}"


def issuer_did_document_url(base_url: str, issuer_id: uuid.UUID) -> str:
    """Where the issuer's DID document is served."""
    return f"{base_url}/issuers/{issuer_id}/did.json"


def credential_url(base_url: str, credential_id: uuid.UUID) -> str:
    """The credential id and its public (content-negotiated) page."""
    return f"{base_url}/credentials/{credential_id}"


def status_list_url(base_url: str, list_id: uuid.UUID) -> str:
    """The ``statusListCredential`` URL of a list."""
    return f"{base_url}/status/{list_id}"


def achievement_url(base_url: str, lineage_id: uuid.UUID, version: int) -> str:
    """The id of one version of an achievement."""
    return f"{base_url}/achievements/{lineage_id}/v{version}"


def jwks_url(base_url: str) -> str:
    """The service-wide JWK Set."""
    return f"{base_url}/.well-known/jwks.json"
