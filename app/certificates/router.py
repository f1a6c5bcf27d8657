"""``GET /credentials/{id}/certificate.pdf``: the printable certificate of a credential.

Answers like the credential page: an unknown or hidden credential is a 404, the language is
the page's (``?lang=``, the ``lang`` cookie, ``Accept-Language``), the response carries a
strong ETag and ``no-cache`` (revalidate: the state can change) and a 304 for a client that
holds it. A revoked credential has no certificate (410 Gone) and a suspended one none while it
is suspended (409 Conflict), both as problem details; a browser following the page's link is
sent (303) to the credential page instead, whose banner says why. An expired credential's
certificate says "Expired on <date>".
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.certificates import fonts
from app.certificates.render import certificate_pdf
from app.core.db import SessionDep
from app.core.errors import AppError
from app.core.problem_docs import PAGE_ERRORS, Problem, problem_responses
from app.credentials import service as credentials
from app.models import Credential, Issuer
from app.web import i18n
from app.web.credential_page import base_url, cached_report, credential_url
from app.web.panel import banner_kind
from app.web.responses import cached_bytes

router = APIRouter(tags=["pages"])

MEDIA_TYPE = "application/pdf"
warm_up = fonts.warm_up
CACHE_CONTROL = "no-cache"
"""As the page: kept by browsers and proxies, revalidated by ETag on every use."""


class CredentialRevoked(AppError):
    """A revoked credential has no certificate, for good."""

    status, title, code = 410, "Credential revoked", "credential_revoked"


class CredentialSuspended(AppError):
    """A suspended credential has no certificate until the suspension is lifted."""

    status, title, code = 409, "Credential suspended", "credential_suspended"


class CredentialNotVerified(AppError):
    """The stored credential does not verify (its record was altered, its key is not the
    issuer's, a check could not be made): no printable claim is made from it."""

    status, title, code = 409, "Credential not verified", "credential_not_verified"


CERTIFIED_BANNERS = frozenset({"verified", "expired"})
"""Page verdicts a certificate is printed for (an expired one says so on the certificate)."""


RESPONSES: dict[int | str, dict[str, Any]] = {
    **PAGE_ERRORS,
    **problem_responses(409),
    410: {"model": Problem, "description": "The credential was revoked: it has no certificate."},
    303: {
        "description": "A browser asked for the certificate of a revoked or suspended "
        "credential: its page says why."
    },
    200: {"content": {MEDIA_TYPE: {}}, "description": "The certificate (A4 landscape PDF)."},
}


def _verdict(request: Request, session: Any, credential: Credential) -> str:
    """The page's banner for the credential, from the page's cached verification report."""
    report, checked_at = cached_report(request, session, credential)
    start = credential.valid_from
    return banner_kind(
        report, valid_from=start if start.tzinfo else start.replace(tzinfo=UTC), now=checked_at
    )


def _refusal(request: Request, session: Any, credential: Credential) -> Response | None:
    """The answer for a credential that has no certificate now, or None."""
    unchanged = credential.revoked_at is None and credential.suspended_at is None
    if unchanged and _verdict(request, session, credential) in CERTIFIED_BANNERS:
        return None
    if "text/html" in request.headers.get("accept", "").lower():
        lang = request.query_params.get("lang")
        location = f"/credentials/{credential.id}" + (
            f"?lang={lang}" if i18n.match_locale(lang) else ""
        )
        return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})
    if credential.revoked_at is not None:
        raise CredentialRevoked("This credential was revoked; it has no certificate.")
    if credential.suspended_at is None:
        raise CredentialNotVerified(
            "This credential does not verify now (see its page); it has no certificate."
        )
    raise CredentialSuspended(
        "This credential is suspended; its certificate is available again once the "
        "suspension is lifted."
    )


@router.get(
    "/credentials/{credential_id}/certificate.pdf", response_class=Response, responses=RESPONSES
)
def credential_certificate(
    credential_id: uuid.UUID, request: Request, session: SessionDep
) -> Response:
    """The credential's certificate: A4 landscape PDF in the page language, with the issuer's
    logo and colours and a QR code to the credential page."""
    credential = credentials.get_public_credential(session, credential_id)
    refused = _refusal(request, session, credential)
    if refused is not None:
        return refused
    t = i18n.translator_for(request)
    issuer = session.get(Issuer, credential.issuer_id)
    pdf = certificate_pdf(
        session,
        credential,
        issuer,
        t,
        base_url=base_url(request),
        page_url=credential_url(request, credential.id),
        now=datetime.now(UTC),
    )
    return cached_bytes(
        request,
        pdf.body,
        MEDIA_TYPE,
        pdf.etag,
        CACHE_CONTROL,
        **{
            "Content-Disposition": f'inline; filename="certificate-{credential.id}.pdf"',
            "Content-Language": t.locale,
            "Vary": "Accept-Language, Cookie",
        },
    )
