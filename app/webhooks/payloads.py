"""What a webhook delivery carries: the Standard Webhooks body, and where and how to send it.

The body is the Standard Webhooks payload structure
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
"Payload structure"): ``{"type": "credential.issued", "timestamp": "<RFC 3339>", "data": {…}}``,
where ``timestamp`` is when the event happened (not when it is sent) and ``data`` is the
outbox event's data plus the URLs a receiver needs to act on it.

Senders run outside any transaction and read only the delivery (:mod:`app.outbox.service`),
so the delivery also holds the endpoint's URL and its secret *as sealed at rest* (never in
clear; the blob opens only with the KEK and the endpoint id). A change of the endpoint (a
rotated secret) rewrites its pending deliveries in the same transaction
(:func:`app.webhooks.service.rotate_secret`), and deleting or disabling it cancels them.
"""

from __future__ import annotations

import base64
from typing import Any

from app.core.urls import issuer_profile_url
from app.models import OutboxEvent, WebhookEndpoint

BODY = "body"
ENDPOINT = "endpoint"


def endpoint_fields(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The endpoint part of a delivery's payload (URL and sealed secret)."""
    return {
        "url": endpoint.url,
        "sealedSecret": base64.b64encode(endpoint.sealed_secret).decode("ascii"),
        "kekId": endpoint.kek_id,
    }


def delivery_payload(endpoint: WebhookEndpoint, body: dict[str, Any]) -> dict[str, Any]:
    return {ENDPOINT: endpoint_fields(endpoint), BODY: body}


def with_endpoint(payload: dict[str, Any], endpoint: WebhookEndpoint) -> dict[str, Any]:
    """``payload`` sent to the endpoint as it is now (after a secret rotation)."""
    return {**payload, ENDPOINT: endpoint_fields(endpoint)}


def body_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks body of a delivery's payload (what the API may show)."""
    body = payload.get(BODY)
    return body if isinstance(body, dict) else {}


def _links(base_url: str, event: OutboxEvent) -> dict[str, str]:
    """The URLs a receiver of ``event`` needs, all on this service."""
    data = event.data
    links: dict[str, str] = {}
    if isinstance(data.get("credentialId"), str):
        credential_id = data["credentialId"]
        links["credentialUrl"] = f"{base_url}/credentials/{credential_id}"
        links["credentialJsonUrl"] = f"{base_url}/credentials/{credential_id}.json"
        links["credentialApiUrl"] = f"{base_url}/api/v1/credentials/{credential_id}"
    if event.type == "batch.completed" and isinstance(data.get("batchId"), str):
        links["batchUrl"] = f"{base_url}/api/v1/batches/{data['batchId']}"
        links["batchResultsUrl"] = f"{base_url}/api/v1/batches/{data['batchId']}/results.csv"
    links["issuerUrl"] = issuer_profile_url(base_url, event.issuer_id)
    return links


def event_body(base_url: str, event: OutboxEvent) -> dict[str, Any]:
    """The Standard Webhooks body announcing ``event``."""
    return {
        "type": event.type,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {**event.data, **_links(base_url, event)},
    }
