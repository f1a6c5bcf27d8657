"""Public credential URLs: content negotiation, ``.json`` and ``.jwt`` (stored bytes only)."""

from __future__ import annotations

import importlib
import uuid

from fastapi import APIRouter, Request, Response

from app.core.db import SessionDep
from app.core.errors import NotFound
from app.credentials import service
from app.models import Credential

router = APIRouter(tags=["public"])

VC_LD_JSON = "application/vc+ld+json"
VC_JWT = "application/vc+jwt"
_JSON_TYPES = ("application/json", VC_LD_JSON, "application/ld+json", "application/vc")


def _json_response(row: Credential) -> Response:
    """The stored signed JSON, byte for byte."""
    if row.proof_format == "jwt":
        raise NotFound("This credential was issued as a VC-JWT only; fetch the .jwt URL.")
    return Response(
        row.document.encode("utf-8"),
        media_type=VC_LD_JSON,
        headers={"Cache-Control": "public, max-age=60", "Vary": "Accept"},
    )


def _jwt_response(row: Credential, media_type: str = "text/plain") -> Response:
    """The stored compact JWS."""
    if row.jwt is None:
        raise NotFound("This credential has no VC-JWT form.")
    return Response(row.jwt, media_type=media_type, headers={"Vary": "Accept"})


def _wants(request: Request) -> str:
    """``json``, ``jwt`` or ``html`` from the Accept header (browsers get HTML)."""
    accept = request.headers.get("accept", "").lower()
    if VC_JWT in accept:
        return "jwt"
    if any(t in accept for t in _JSON_TYPES) and "text/html" not in accept:
        return "json"
    return "html" if "text/html" in accept or not accept or "*/*" in accept else "json"


def _html_response(request: Request, session: SessionDep, row: Credential) -> Response:
    """The human page from ``app.web`` (H6); the JSON until that module exists."""
    try:
        module = importlib.import_module("app.web.credential_page")
    except ModuleNotFoundError as exc:
        if exc.name not in ("app.web", "app.web.credential_page"):
            raise
        return _json_response(row)
    response: Response = module.render_credential_page(request, session, row)
    return response


@router.get("/credentials/{credential_id}.json")
def get_credential_json(credential_id: uuid.UUID, session: SessionDep) -> Response:
    """The signed credential (``application/vc+ld+json``), exactly as issued."""
    return _json_response(service.get_public_credential(session, credential_id))


@router.get("/credentials/{credential_id}.jwt")
def get_credential_jwt(credential_id: uuid.UUID, session: SessionDep) -> Response:
    """The VC-JWT form (``text/plain``, as OB 3.0 serves ``.jwt`` files)."""
    return _jwt_response(service.get_public_credential(session, credential_id))


@router.get("/credentials/{credential_id}")
def get_credential(credential_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """JSON for machines (Accept: application/json, application/vc+ld+json), HTML for people."""
    row = service.get_public_credential(session, credential_id)
    wanted = _wants(request)
    if wanted == "jwt":
        return _jwt_response(row, VC_JWT)
    if wanted == "json":
        return _json_response(row)
    return _html_response(request, session, row)
