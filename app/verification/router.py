"""``POST /api/v1/verify``: verify a credential in any form, or a URL to fetch one from.

The body is read as bytes and its kind is decided from the bytes, not from ``Content-Type``
(people send baked images as ``application/octet-stream`` and JWTs as ``text/plain``): a PNG
signature, ``<svg``/``<?xml``, a compact JWS or JSON. JSON may be the credential, a JWT as a
JSON string, or ``{"url": …}``. ``multipart/form-data`` takes the file from the ``file`` field.
The work runs in the verify lane under per-client limits (:mod:`app.verification.admission`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile

from app.core.db import SessionDep
from app.core.errors import PROBLEM_MEDIA_TYPE, Unprocessable
from app.verification import service
from app.verification.admission import VerifyCallerDep, in_lane

router = APIRouter(prefix="/api/v1", tags=["verification"])

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_PROBLEM = {"content": {PROBLEM_MEDIA_TYPE: {"schema": {"type": "object"}}}}
_JSON_EXAMPLES: dict[str, Any] = {
    "credential": {
        "summary": "A credential JSON",
        "value": {"@context": ["…"], "type": ["VerifiableCredential", "OpenBadgeCredential"]},
    },
    "jwt": {"summary": "A VC-JWT as a JSON string", "value": "eyJhbGciOiJSUzI1NiIs…"},
    "url": {"summary": "A URL to fetch", "value": {"url": "https://example.edu/credentials/…"}},
}
_REQUEST_BODY = {
    "required": True,
    "description": (
        "The credential as JSON, a VC-JWT, a baked PNG or SVG badge (raw bytes, or a "
        'multipart upload in the field `file`), or `{"url": …}`. The kind is sniffed from '
        "the bytes; the content type is not trusted."
    ),
    "content": {
        "application/json": {"schema": {}, "examples": _JSON_EXAMPLES},
        "application/vc+ld+json": {"schema": {"type": "object"}},
        "application/vc+jwt": {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}},
        "image/png": _BINARY,
        "image/svg+xml": _BINARY,
        "application/octet-stream": _BINARY,
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "An Authorization header was sent but is not valid.", **_PROBLEM},
    413: {"description": "Over the body cap or the anonymous input limits.", **_PROBLEM},
    422: {"description": "Nothing usable was sent, or the URL cannot be fetched.", **_PROBLEM},
    429: {"description": "Over this client's rate; see Retry-After.", **_PROBLEM},
    503: {"description": "The verify lane is full; see Retry-After.", **_PROBLEM},
}
_USAGE = 'Send a credential (JSON, VC-JWT, baked PNG or SVG) or {"url": …}.'
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"
MAX_URL_LENGTH = 2048


@router.post(
    "/verify",
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses=_RESPONSES,
)
async def verify(
    request: Request,
    session: SessionDep,
    caller: VerifyCallerDep,
    recipient: Annotated[str | None, Query(max_length=320)] = None,
) -> dict[str, Any]:
    """Run every check (format, proof, issuer key, status, validity…) and report each.

    Anonymous callers are rate limited per address and held to smaller input limits than
    callers with an issuer API key.
    """
    data, url = await read_input(request)
    report = await in_lane(
        request,
        lambda: service.verify_public(
            session, data, url=url, limits=caller.limits, recipient=recipient
        ),
    )
    return service.report_to_json(report)


async def read_input(request: Request) -> tuple[bytes | str | dict[str, Any] | None, str | None]:
    """``(data, None)`` to verify, or ``(None, url)`` to fetch first; 422 when unusable."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type == "multipart/form-data":
        raw = await _uploaded(request)
    else:
        raw = await request.body()
    return sniff(raw)


async def _uploaded(request: Request) -> bytes:
    """The ``file`` part of a multipart body (an upload or a plain text field)."""
    async with request.form(max_files=1, max_fields=8) as form:
        part = form.get("file")
        if isinstance(part, UploadFile):
            return await part.read()
        if isinstance(part, str) and part.strip():
            return part.encode("utf-8")
    raise Unprocessable("Upload the credential in the multipart field 'file'.", field="file")


def sniff(raw: bytes) -> tuple[bytes | str | dict[str, Any] | None, str | None]:
    """Decide from the bytes what was sent (see the module docstring)."""
    text = raw.lstrip(_BOM_AND_SPACE)
    if not text:
        raise Unprocessable(f"The body is empty. {_USAGE}", field="$")
    if text[:1] not in (b"{", b'"', b"["):
        # A PNG, an SVG/XML document, a compact JWS, or something the verifier's format
        # check will name as unreadable: all its business.
        return raw, None
    try:
        payload = json.loads(text)
    except RecursionError as exc:
        raise Unprocessable("The JSON nests too deeply to be a credential.", field="$") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable(f"The body is not valid JSON: {exc}", field="$") from exc
    if isinstance(payload, dict) and set(payload) == {"url"}:
        if not isinstance(payload["url"], str) or not payload["url"].strip():
            raise Unprocessable("url must be a non-empty string.", field="$.url")
        if len(payload["url"]) > MAX_URL_LENGTH:
            raise Unprocessable(f"url is longer than {MAX_URL_LENGTH} characters.", field="$.url")
        return None, payload["url"].strip()
    if isinstance(payload, str):
        return payload.strip(), None  # a VC-JWT sent as a JSON string
    if not isinstance(payload, dict):
        raise Unprocessable(_USAGE, field="$")
    return payload, None
