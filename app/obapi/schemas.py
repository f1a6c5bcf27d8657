"""Names and shapes of the Open Badges API (OB 3.0 §6-7): paths, scopes, error payloads."""

from __future__ import annotations

from typing import Any

PREFIX = "/ims/ob/v3p0"
SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_READONLY = SCOPE_BASE + "credential.readonly"
CREDENTIAL_UPSERT = SCOPE_BASE + "credential.upsert"
PROFILE_READONLY = SCOPE_BASE + "profile.readonly"
PROFILE_UPDATE = SCOPE_BASE + "profile.update"
SCOPES: tuple[str, ...] = (CREDENTIAL_READONLY, CREDENTIAL_UPSERT, PROFILE_READONLY, PROFILE_UPDATE)
SCOPE_KEYS = {scope: scope.removeprefix(SCOPE_BASE) for scope in SCOPES}
"""Each scope's short name (``credential.readonly``…): its i18n key under ``oauth.scope.``."""
SCOPE_DESCRIPTIONS = {
    CREDENTIAL_READONLY: "Permission to read OpenBadgeCredentials for the authenticated entity.",
    CREDENTIAL_UPSERT: (
        "Permission to create or update OpenBadgeCredentials for the authenticated entity."
    ),
    PROFILE_READONLY: "Permission to read the profile for the authenticated entity.",
    PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
}

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

CODE_MINOR = {
    400: "invalid_data",
    401: "unauthorizedrequest",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
    406: "not_acceptable",
    413: "invalid_data",
    415: "invalid_data",
    422: "invalid_data",
    429: "server_busy",
    500: "internal_server_error",
    503: "server_busy",
}
"""``imsx_codeMinorFieldValue`` per HTTP status (the spec's ``Imsx_CodeMinorFieldValue``)."""


def status_info(status: int, description: str, minor: str | None = None) -> dict[str, Any]:
    """The spec's ``Imsx_StatusInfo`` error payload (every error of ``/ims/ob/v3p0``)."""
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": minor or CODE_MINOR.get(status, "unknown"),
                }
            ]
        },
    }
