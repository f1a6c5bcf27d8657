"""The HTML branch of ``GET /credentials/{id}``: the page employers and learners open.

Speed without stale truth. Verifying costs milliseconds (canonicalisation, signature, status
lists), far too much for every view of a page shared on social media, so the report and the
rendered page are cached, keyed on what can change the verdict:

* the credential id and its ``revoked_at`` / ``suspended_at`` columns, which the status service
  sets in the same transaction as the status-list bit: revoking, suspending or lifting a
  suspension changes the key, so the next view verifies afresh (revocation shows at once);
* a time to live of at most 60 s and at most the status lists' ``ttl``, for everything
  the key does not see (a key removed from the DID document, a list changed by hand);
* never past the next ``validFrom`` / ``validUntil`` boundary, so expiry shows on time.

The stores are declared in :mod:`app.hot.public`.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

from app.credentials import service as credentials
from app.credentials.published import PageCredential
from app.hot import public as hot
from app.models import Credential
from app.web import i18n
from app.web.brand import brand_of
from app.web.downloads import signed_payload
from app.web.languages import languages_of
from app.web.panel import Panel, SimpleCheck, SimpleReport, build_panel
from app.web.program_section import program_section
from app.web.responses import etag_for, html_page
from app.web.templating import render
from app.web.view import CredentialView, credential_view

log = logging.getLogger(__name__)

_locks_guard = threading.Lock()
OG_IMAGE_SIZE = (1200, 630)
"""The Open Graph card (``/credentials/{id}/og.png``): the size social networks show large."""


class WouldWait(Exception):
    """A page rendered with ``may_wait=False`` would have to wait: on another host (a foreign
    document its verification needs) or on a thread verifying the same credential now. The
    caller renders it again where waiting is allowed (a thread)."""


@dataclass(frozen=True, slots=True)
class PageUrls:
    """The absolute URLs a page links to; the page URL is the QR code's content."""

    page: str
    json: str | None
    jwt: str | None
    og_image: str
    qr: str


def settings_of(request: Request) -> Any:
    """The service settings (``app.state.context.settings``), or ``None`` in bare test apps."""
    context = getattr(request.app.state, "context", None)
    return getattr(context, "settings", None) or getattr(request.app.state, "settings", None)


def base_url(request: Request) -> str:
    """The public base URL: ``BADGES_BASE_URL`` when configured, else the request's own."""
    configured = getattr(settings_of(request), "base_url", None)
    return str(configured or str(request.base_url)).rstrip("/")


def credential_url(request: Request, credential_id: object) -> str:
    """The short permanent URL of a credential (its id, the page and the QR content)."""
    return f"{base_url(request)}/credentials/{credential_id}"


def page_urls(request: Request, credential: Any) -> PageUrls:
    """Every URL the credential page needs."""
    page = credential_url(request, credential.id)
    return PageUrls(
        page=page,
        json=None if getattr(credential, "proof_format", None) == "jwt" else f"{page}.json",
        jwt=f"{page}.jwt" if getattr(credential, "jwt", None) else None,
        og_image=f"{page}/og.png",
        qr=f"/credentials/{credential.id}/qr.svg",
    )


def linkedin_url(view: CredentialView, urls: PageUrls, credential_id: object) -> str:
    """LinkedIn's "Add to profile" link for a certification, prefilled from the credential."""
    params: dict[str, str] = {
        "startTask": "CERTIFICATION_NAME",
        "name": view.name,
        "organizationName": view.issuer.name,
        "certUrl": urls.page,
        "certId": str(credential_id),
    }
    if view.valid_from:
        params |= {"issueYear": str(view.valid_from.year), "issueMonth": str(view.valid_from.month)}
    if view.valid_until:
        params |= {
            "expirationYear": str(view.valid_until.year),
            "expirationMonth": str(view.valid_until.month),
        }
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def shareable(credential: Any, now: datetime | None = None) -> bool:
    """Whether a stored credential stands today (not revoked, suspended, expired or early):
    only then is it offered for LinkedIn, sharing and wallets."""
    now = now or datetime.now(UTC)
    if credential.revoked_at is not None or credential.suspended_at is not None:
        return False
    start, end = _aware(credential.valid_from), _aware(credential.valid_until)
    return (start is None or start <= now) and (end is None or end > now)


def share_linkedin_path(credential_id: object) -> str:
    """The page's LinkedIn button: counts the click, then redirects to :func:`linkedin_url`."""
    return f"/credentials/{credential_id}/share/linkedin"


def linkedin_target(request: Request, credential: Any) -> str:
    """LinkedIn's "Add to profile" link of a stored credential (where the button leads)."""
    view = credential_view(_document(credential))
    return linkedin_url(view, page_urls(request, credential), credential.id)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cache_ttl(request: Request, credential: Any, now: datetime) -> float:
    """How long a verdict may be reused (see the module docstring)."""
    settings = settings_of(request)
    ceiling = hot.PAGE_MAX_TTL_S
    ttl = min(ceiling, float(getattr(settings, "status_list_ttl_seconds", ceiling)))
    for boundary in (_aware(credential.valid_from), _aware(credential.valid_until)):
        if boundary is not None and boundary > now:
            ttl = min(ttl, (boundary - now).total_seconds())
    return ttl


def cache_key(credential: Any) -> tuple[Any, ...]:
    """What changes the verdict at once: the id and the revocation/suspension columns."""
    return (credential.id, credential.revoked_at, credential.suspended_at)


def _verify(session: Any, credential: Any, may_wait: bool = True) -> Any:
    """Run the service verifier; a failure of ours becomes "could not check", never a 500.

    ``verify_own`` reuses this worker's status lists, their verifications and the proof checks
    (a page not yet cached used to read and re-verify both status lists every time: ~8 ms of
    CPU), checked against the row's revocation/suspension state, and verifies afresh when they
    disagree or anything a kept document could make fail has failed. When it may not wait
    (``may_wait=False``) a foreign document, which would need a fetch, raises
    :class:`WouldWait`.
    """
    from app.verification.service import NeedsNetwork, verify_own

    try:
        return verify_own(
            session,
            signed_payload(credential),
            revoked=credential.revoked_at is not None,
            suspended=credential.suspended_at is not None,
            sealed=(credential.id, getattr(credential, "canonical_seal", None)),
            network=may_wait,
        )
    except NeedsNetwork:
        raise WouldWait from None
    except SQLAlchemyError:  # a database outage is the page's 503, not a verdict to cache
        raise
    except Exception:  # the page must stay up even when the verifier has a bug
        log.exception("verification of credential %s failed", credential.id)
        return SimpleReport(
            verified=False,
            checks=[SimpleCheck("proof", "unknown", "The verifier failed; try again shortly.")],
        )


def cached_report(
    request: Request, session: Any, credential: Any, may_wait: bool = True
) -> tuple[Any, datetime]:
    """The verification report of ``credential`` and when it was made (cached).

    Single flight: when an entry expires under load, one request verifies, the rest wait for
    it; when it may not wait (on the event loop) nothing waits: :class:`WouldWait`.
    """
    key = cache_key(credential)
    hit = hot.page_reports.get(key)
    if hit is not None:
        return hit[0], hit[1]
    lock = _lock_for(key)
    if not lock.acquire(blocking=may_wait):
        raise WouldWait
    try:
        hit = hot.page_reports.get(key)
        if hit is not None:
            return hit[0], hit[1]
        now = datetime.now(UTC)
        report = _verify(session, credential, may_wait)
        size = len(credential.document or "") + len(getattr(credential, "jwt", None) or "")
        hot.page_reports.put(key, (report, now, size), cache_ttl(request, credential, now))
        return report, now
    finally:
        lock.release()


def _lock_for(key: tuple[Any, ...]) -> threading.Lock:
    with _locks_guard:
        lock = hot.page_locks.get(key)
        if lock is None:
            if len(hot.page_locks) > hot.PAGE_LOCKS_MAX:  # a held lock stays with its holder
                hot.page_locks.clear()
            lock = hot.page_locks[key] = threading.Lock()
        return lock


def banner_text(
    panel: Panel,
    view: CredentialView,
    credential: Any,
    t: i18n.Translator,
    session: Any = None,
) -> list[str]:
    """The sentences under the banner title; revocation and suspension say since when, and a
    revocation why (its reason is public: the API says so where it is written)."""
    kind = panel.banner
    if kind in ("expired", "not_yet_valid"):
        when = view.valid_until if kind == "expired" else view.valid_from
        return [t(f"banner.{kind}.text", when=t.date(when))]
    lines = [t(f"banner.{kind}.text")]
    stamp = {"revoked": credential.revoked_at, "suspended": credential.suspended_at}.get(kind)
    if stamp is not None:
        lines.append(t(f"banner.{kind}.when", when=t.datetime(_aware(stamp))))
    if (
        kind == "revoked"
        and session is not None
        and isinstance(credential, (Credential, PageCredential))
    ):
        reason = credentials.public_revocation_reason(session, credential)
        if reason:
            lines.append(t("cpage.revoked_reason", reason=reason.strip()[:1000]))
    return lines


def build_page(
    request: Request, session: Any, credential: Any, t: i18n.Translator, may_wait: bool = True
) -> tuple[bytes, datetime]:
    """Render the page body (uncached) and say when its verification report was made.

    What an employer reads first comes first: the verdict, the achievement, the learner, the
    issuer (its brand in the page's language), the dates, then every signed detail, and the
    per-check panel folded into one line while every check passes. Sharing is offered only
    while the credential stands (see :attr:`app.web.panel.Panel.current`).
    """
    report, checked_at = cached_report(request, session, credential, may_wait)
    view = credential_view(_verified_document(report, credential), own=True)
    panel = build_panel(report, valid_from=view.valid_from, now=checked_at)
    urls = page_urls(request, credential)
    recipient = getattr(credential, "recipient_name", None)
    brand = brand_of(session, getattr(credential, "issuer_id", None))
    issuer = (brand.name(t.locale) if brand else "") or view.issuer.name
    languages = languages_of(session, base_url(request), view, t)
    shown = languages.in_page_language(t.locale)
    title = shown.name if shown is not None and shown.name else view.name
    description_key = "page.og_description_to" if recipient else "page.og_description"
    program = program_section(session, credential, t.locale)
    html = render(
        "credential.html",
        t=t,
        view=view,
        title=title,
        shown=shown,
        panel=panel,
        banner_text=banner_text(panel, view, credential, t, session),
        recipient=recipient,
        # An https image stays where the issuer put it (the service never fetches it); an
        # uploaded one is served sanitised, and the generated design otherwise.
        image_src=view.image
        if (view.image or "").startswith("https://")
        else f"/credentials/{credential.id}/image.svg",
        page_url=urls.page,
        json_url=urls.json,
        jwt_url=urls.jwt,
        qr_path=urls.qr,
        og_image=f"{urls.og_image}?lang={t.locale}",
        og_image_size=OG_IMAGE_SIZE,
        og_description=t(
            description_key,
            name=title,
            issuer=issuer or t("cred.unknown_issuer"),
            recipient=recipient,
        ),
        linkedin_url=share_linkedin_path(credential.id),
        certificate_url=f"/credentials/{credential.id}/certificate.pdf?lang={t.locale}",
        languages=languages,
        brand=brand,
        issuer_name=issuer,
        program=program,
        # No link to the original: the copy names a DID, the original an e-mail identity,
        # and a verifier shown the copy must not be able to join the two.
        bound_copy=getattr(credential, "bound_from_id", None) is not None,
    )
    return html.encode("utf-8"), checked_at


def _verified_document(report: Any, credential: Any) -> dict[str, Any]:
    """The credential's document as the verifier parsed it from the stored JSON text (the
    view only reads it), or parsed here when the report holds none (a report of ours) or was
    made of the VC-JWT (a JWT-only credential)."""
    document = getattr(report, "credential", None)
    if isinstance(document, dict) and getattr(report, "format", None) == "json":
        return document  # verify_own was given the stored JSON (downloads.signed_payload)
    return _document(credential)


def _document(credential: Any) -> dict[str, Any]:
    try:
        doc = json.loads(credential.document)
    except (TypeError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def cached_page(request: Request, state: Any) -> Response | None:
    """The page from the cache, or None. ``state`` needs only the cache key's fields.

    The route looks the small, fresh state of the credential up (revoked/suspended now, not a
    minute ago) and calls this before loading the whole row: a hit costs no document.
    """
    t = i18n.translator_for(request)
    hit = hot.rendered_pages.get((*cache_key(state), t.locale))
    if hit is None:
        return None
    return html_page(request, hit[0], locale=t.locale, etag=hit[1])


def render_credential_page(
    request: Request, session: Any, credential: Any, *, may_wait: bool = True
) -> Response:
    """Render the human page of one stored credential (cached; see the module docstring).

    ``may_wait=False``: for a caller that must not wait (the event loop); it may raise
    :class:`WouldWait` instead.
    """
    t = i18n.translator_for(request)
    key = (*cache_key(credential), t.locale)
    hit = hot.rendered_pages.get(key)
    if hit is None:
        body, checked_at = build_page(request, session, credential, t, may_wait)
        hit = (body, etag_for(body))
        now = datetime.now(UTC)
        # Live no longer than the report the page shows.
        age = (now - checked_at).total_seconds()
        hot.rendered_pages.put(key, hit, cache_ttl(request, credential, now) - age)
    return html_page(request, hit[0], locale=t.locale, etag=hit[1])


def clear_caches() -> None:
    """Forget cached reports and pages (tests; a settings change)."""
    from app.verification.memo import PAGE_MEMO

    hot.page_reports.clear()
    hot.rendered_pages.clear()
    PAGE_MEMO.clear()
