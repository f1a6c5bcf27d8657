"""Settings › Webhooks (``owner`` only): endpoints, their secrets, their delivery log.

Everything goes through :mod:`app.webhooks.service`, the functions of ``/api/v1/webhooks``,
as an :class:`~app.core.security.IssuerPrincipal` named after the staff member: the same
checks (the SSRF rules on the URL, at most ``MAX_ENDPOINTS``), the same audit rows. An
endpoint's URL cannot change (as in the API): its events, label and on/off can. The signing
secret is on the answer to the creating (or rotating) post only, never on a later page.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.console import pages
from app.console.access import IssuerConsole, require_role
from app.console.settings_view import FieldError, field_errors, service_error, settings_page
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError, NotFound
from app.models import WebhookEndpoint
from app.webhooks import service as webhooks
from app.webhooks.schemas import EventType, WebhookCreate, WebhookCreated, WebhookUpdate

router = APIRouter(tags=["console"], include_in_schema=False)

Owner = Annotated[IssuerConsole, Depends(require_role("owner"))]
OwnerPost = Annotated[IssuerConsole, Depends(require_role("owner", change=True))]

EVENTS: tuple[str, ...] = get_args(EventType)
"""The event types an endpoint can subscribe to, in the API's order."""
FIELDS = {"url": "url", "events": "events", "description": "description", "enabled": "enabled"}
DELIVERIES_PER_PAGE = 50
Events = Annotated[list[str] | None, Form(max_length=len(EVENTS) * 2)]


def _base(console: IssuerConsole) -> str:
    return f"/console/{console.issuer.id}/settings/webhooks"


def _list_page(
    request: Request,
    session: SessionDep,
    console: IssuerConsole,
    *,
    values: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    errors = errors or []
    return settings_page(
        request,
        console,
        "console_settings_webhooks.html",
        "webhooks",
        status_code=status_code,
        endpoints=webhooks.list_endpoints(session, console.issuer.id),
        events=EVENTS,
        v=values or {"url": "", "description": "", "events": [], "enabled": True},
        errors=errors,
        by_field={e.field: e for e in errors if e.field},
        general=[e for e in errors if not e.field],
        max_endpoints=webhooks.MAX_ENDPOINTS,
    )


@router.get("/console/{issuer_id}/settings/webhooks", response_class=Response)
def list_webhooks(request: Request, session: SessionDep, console: Owner) -> Response:
    """The issuer's endpoints and the form for a new one."""
    return _list_page(request, session, console)


def _secret_page(
    request: Request, console: IssuerConsole, created: WebhookCreated, rotated: bool
) -> Response:
    return settings_page(
        request,
        console,
        "console_settings_webhook_secret.html",
        "webhooks",
        endpoint=created,
        rotated=rotated,
    )


@router.post("/console/{issuer_id}/settings/webhooks", response_class=Response)
def create_webhook(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: OwnerPost,
    url: Annotated[str, Form(max_length=2100)] = "",
    description: Annotated[str, Form(max_length=600)] = "",
    events: Events = None,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Register an endpoint; the answer shows its secret this once."""
    values: dict[str, Any] = {
        "url": url.strip(),
        "description": description.strip(),
        "events": [e for e in dict.fromkeys(events or []) if e in EVENTS],
        "enabled": enabled == "1",
    }
    body = {
        "url": values["url"],
        "events": list(dict.fromkeys(events or [])),
        "description": values["description"] or None,
        "enabled": values["enabled"],
    }
    try:
        data = WebhookCreate.model_validate(body)
    except ValidationError as exc:
        errors = field_errors(exc, FIELDS)
        return _list_page(request, session, console, values=values, errors=errors, status_code=422)
    try:
        created = webhooks.create_endpoint(session, context, console.principal, data)
    except AppError as exc:
        session.rollback()
        errors = [service_error(exc, FIELDS)]
        return _list_page(request, session, console, values=values, errors=errors, status_code=422)
    return _secret_page(request, console, created, rotated=False)


def _endpoint_page(
    request: Request,
    session: SessionDep,
    console: IssuerConsole,
    endpoint: WebhookEndpoint,
    *,
    before: uuid.UUID | None = None,
    values: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    errors = errors or []
    try:
        deliveries = webhooks.list_deliveries(
            session, console.issuer.id, endpoint.id, limit=DELIVERIES_PER_PAGE, before=before
        )
    except AppError:  # a cursor that is not one of its deliveries: the first page
        deliveries = webhooks.list_deliveries(
            session, console.issuer.id, endpoint.id, limit=DELIVERIES_PER_PAGE, before=None
        )
    shown = [webhooks.to_delivery_read(d) for d in deliveries]
    return settings_page(
        request,
        console,
        "console_settings_webhook.html",
        "webhooks",
        status_code=status_code,
        endpoint=endpoint,
        events=EVENTS,
        v=values
        or {
            "description": endpoint.description or "",
            "events": list(endpoint.events),
            "enabled": endpoint.enabled,
        },
        errors=errors,
        by_field={e.field: e for e in errors if e.field},
        general=[e for e in errors if not e.field],
        deliveries=shown,
        next_before=shown[-1].id if len(shown) == DELIVERIES_PER_PAGE else None,
        paged=before is not None,
    )


@router.get("/console/{issuer_id}/settings/webhooks/{webhook_id}", response_class=Response)
def show_webhook(
    request: Request,
    session: SessionDep,
    console: Owner,
    webhook_id: uuid.UUID,
    before: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """One endpoint: the edit form, secret rotation, deletion, and its deliveries."""
    endpoint = webhooks.get_endpoint(session, console.issuer.id, webhook_id)
    return _endpoint_page(request, session, console, endpoint, before=before)


@router.post("/console/{issuer_id}/settings/webhooks/{webhook_id}", response_class=Response)
def update_webhook(
    request: Request,
    session: SessionDep,
    console: OwnerPost,
    webhook_id: uuid.UUID,
    description: Annotated[str, Form(max_length=600)] = "",
    events: Events = None,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Change the events, the label, or switch the endpoint off (its pending deliveries are
    cancelled) and on."""
    endpoint = webhooks.get_endpoint(session, console.issuer.id, webhook_id)
    values: dict[str, Any] = {
        "description": description.strip(),
        "events": [e for e in dict.fromkeys(events or []) if e in EVENTS],
        "enabled": enabled == "1",
    }
    body = {
        "events": list(dict.fromkeys(events or [])),
        "description": values["description"] or None,
        "enabled": values["enabled"],
    }
    try:
        data = WebhookUpdate.model_validate(body)
    except ValidationError as exc:
        errors = field_errors(exc, FIELDS)
        return _endpoint_page(
            request, session, console, endpoint, values=values, errors=errors, status_code=422
        )
    webhooks.update_endpoint(session, console.principal, webhook_id, data)
    return pages.redirect(f"{_base(console)}/{webhook_id}?notice=saved")


@router.post(
    "/console/{issuer_id}/settings/webhooks/{webhook_id}/rotate-secret", response_class=Response
)
def rotate_secret(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: OwnerPost,
    webhook_id: uuid.UUID,
) -> Response:
    """A new signing secret, shown on this answer only; the old one is not used any more."""
    created = webhooks.rotate_secret(session, context, console.principal, webhook_id)
    return _secret_page(request, console, created, rotated=True)


@router.post("/console/{issuer_id}/settings/webhooks/{webhook_id}/delete", response_class=Response)
def delete_webhook(
    session: SessionDep,
    console: OwnerPost,
    webhook_id: uuid.UUID,
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Delete the endpoint (after ticking the confirmation); unsent deliveries are cancelled."""
    if confirm != "1":
        webhooks.get_endpoint(session, console.issuer.id, webhook_id)  # 404 first
        return pages.redirect(f"{_base(console)}/{webhook_id}?error=confirm_delete")
    webhooks.delete_endpoint(session, console.principal, webhook_id)
    return pages.redirect(f"{_base(console)}?notice=deleted")


@router.post(
    "/console/{issuer_id}/settings/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response_class=Response,
)
def redeliver(
    session: SessionDep, console: OwnerPost, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> Response:
    """Send a delivery again (same ``webhook-id``, the current secret)."""
    try:
        webhooks.redeliver(session, console.principal, webhook_id, delivery_id)
    except NotFound:
        raise
    except AppError as exc:
        session.rollback()
        return pages.redirect(f"{_base(console)}/{webhook_id}?error={exc.code}")
    return pages.redirect(f"{_base(console)}/{webhook_id}?notice=redelivered")
