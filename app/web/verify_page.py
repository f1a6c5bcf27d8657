"""The ``/verify`` page: anyone checks a credential by file, pasted text or web address.

Stateless: nothing is stored, so there is no session to forge and CSRF does not apply. Input is
bounded (the upload cap is the service's body cap), fetched only through
:class:`app.core.fetch.SafeFetcher`, and reflected only through autoescaped templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, UploadFile
from fastapi.responses import Response

from app.web import i18n
from app.web.credential_page import settings_of
from app.web.panel import Panel, build_panel
from app.web.responses import html_page
from app.web.templating import render
from app.web.view import CredentialView, credential_view

DEFAULT_MAX_BYTES = 1_000_000
MAX_TEXT_ECHO = 100_000
"""Pasted text longer than this is not echoed back into the form after an error."""


class InputError(Exception):
    """The form cannot be verified; ``message`` is already translated."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class VerifyForm:
    """What the person sent (one of the three)."""

    file: UploadFile | None
    text: str
    url: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished verification, as the template shows it."""

    panel: Panel
    view: CredentialView | None
    format: str


MULTIPART_ALLOWANCE = 64_000
"""Room for the multipart envelope and the other fields inside the service's body cap."""


def max_upload_bytes(request: Request) -> int:
    """The upload cap: the service's body cap less the multipart envelope.

    Larger bodies never reach us (the body-size middleware answers 413 first), so this cap is
    what lets a slightly-too-large file get a clear message on the page instead.
    """
    body_cap = int(getattr(settings_of(request), "max_body_bytes", DEFAULT_MAX_BYTES))
    return max(1_000, body_cap - MULTIPART_ALLOWANCE)


def human_size(size: int) -> str:
    """``1 MB``, ``500 KB``: for the hint and the error."""
    return f"{size / 1_000_000:g} MB" if size >= 1_000_000 else f"{size // 1000} KB"


async def read_input(
    request: Request, form: VerifyForm, t: i18n.Translator
) -> tuple[bool, bytes | str]:
    """``(is_url, value)``: the bytes or text to verify, or the URL to fetch them from."""
    has_file = form.file is not None and bool(form.file.filename)
    given = [has_file, bool(form.text.strip()), bool(form.url.strip())]
    if not any(given):
        raise InputError(t("verify.error.empty"))
    if sum(given) > 1:
        raise InputError(t("verify.error.too_many"))
    limit = max_upload_bytes(request)
    if has_file and form.file is not None:
        data = await form.file.read(limit + 1)
        if len(data) > limit:
            raise InputError(t("verify.error.too_large", size=human_size(limit)), 413)
        return False, data
    if form.text.strip():
        if len(form.text.encode("utf-8")) > limit:
            raise InputError(t("verify.error.too_large", size=human_size(limit)), 413)
        return False, form.text.strip()
    return True, form.url.strip()


def fetch_url(session: Any, url: str, t: i18n.Translator) -> bytes | str | dict[str, Any]:
    """Fetch a credential or baked badge by URL.

    Every public URL of our own credentials (page, ``.json``, ``.jwt``, baked images, with a
    query or not) is read from the database (no HTTP loop to ourselves); anything else goes
    through the SSRF guard, which also accepts baked images and VC-JWTs.
    """
    from app.verification.service import UrlNotFetched, fetch_for_verification

    try:
        return fetch_for_verification(session, url)
    except UrlNotFetched as exc:
        raise InputError(t("verify.error.fetch", reason=exc.reason), 422) from exc


def verify_submitted(
    session: Any, data: bytes | str | None, url: str | None, limits: Any, t: i18n.Translator
) -> Outcome:
    """Fetch (for a URL), bound and verify what the form brought (runs in the verify lane)."""
    from app.verification.admission import TooLargeToVerify, check_input_limits

    payload: bytes | str | dict[str, Any] | None = data
    if url is not None:
        payload = fetch_url(session, url, t)
    if payload is None:
        raise InputError(t("verify.error.empty"))
    try:
        check_input_limits(payload, limits)
    except TooLargeToVerify as exc:
        raise InputError(t("verify.error.limits", reason=exc.reason), 413) from exc
    return run_verification(session, payload)


def run_verification(session: Any, data: bytes | str | dict[str, Any]) -> Outcome:
    """Verify through the service (own issuers from the database, others over SafeFetcher)."""
    from app.verification.service import count_if_ours, verify_document  # H5's seam

    report = verify_document(session, data)
    count_if_ours(session, report)  # a verification of one of our credentials, in memory
    view = credential_view(report.credential) if report.credential else None
    panel = build_panel(report, valid_from=view.valid_from if view else None, now=datetime.now(UTC))
    return Outcome(panel=panel, view=view, format=report.format)


def page(
    request: Request,
    t: i18n.Translator,
    *,
    outcome: Outcome | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: VerifyForm | None = None,
) -> Response:
    """Render ``/verify``: the form, and the result or the error when there is one."""
    text = form.text if form and len(form.text) <= MAX_TEXT_ECHO else ""
    body = render(
        "verify.html",
        t=t,
        outcome=outcome,
        error=error,
        max_bytes=max_upload_bytes(request),
        max_size=human_size(max_upload_bytes(request)),
        text=text,
        url=form.url if form else "",
    )
    return html_page(request, body.encode("utf-8"), locale=t.locale, status_code=status_code)
