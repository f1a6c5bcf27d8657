"""HTTP to another Open Badges host, under the same SSRF rules as ``/verify``.

Every request goes through :func:`app.core.fetch.pin_url` (``https`` only, ``http`` too with
``BADGES_ALLOW_PRIVATE_FETCH``; every address of the host public; the connection pinned to the
vetted address, TLS still checked against the name), follows no redirect, has connect/read
timeouts and reads at most :data:`MAX_BYTES` of an answer. A host that drips its answer a byte
at a time is cut off too: each request has :data:`REQUEST_DEADLINE_S` in all (and no more than
an enclosing :func:`app.core.deadline.deadline` block, such as the router's per-action one,
has left), enforced below httpx by :mod:`app.core.deadline`. The discovery document is read
with :class:`app.core.fetch.SafeFetcher` itself (redirects followed, each hop checked, its own
overall deadline).

Nothing here logs a header or a body: they carry client secrets, codes and tokens.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from app.core.context import AppContext
from app.core.deadline import deadline, http_transport
from app.core.errors import AppError
from app.core.fetch import FetchRefused, SafeFetcher, pin_url
from openbadges.errors import ResolutionError

TIMEOUT_S = 10.0
REQUEST_DEADLINE_S = 20.0
"""The most one request to the host (connect, send, read the whole answer) may take."""
MAX_BYTES = 1_000_000
USER_AGENT = "openbadges-service-consumer/0.1 (+https://www.imsglobal.org/spec/ob/v3p0)"


class HostUnreachable(AppError):
    """The host could not be asked: refused by the SSRF rules, no such name, no answer, an
    answer too large or not what the API says it is."""

    status, title, code = 502, "The other host did not answer", "host_unreachable"


class HostRefusedUrl(AppError):
    """A URL (the learner's, or one from the host's discovery document) the SSRF rules refuse."""

    status, title, code = 400, "URL refused", "host_url_refused"


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer of the host: status, media type (lower case, no parameters), body."""

    status: int
    content_type: str
    body: bytes
    headers: httpx.Headers

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None


_CLIENT: httpx.Client | None = None
_LOCK = threading.Lock()


def _client() -> httpx.Client:
    global _CLIENT
    with _LOCK:
        if _CLIENT is None:
            _CLIENT = httpx.Client(
                transport=http_transport(),
                timeout=httpx.Timeout(TIMEOUT_S, connect=3.0),
                follow_redirects=False,
                trust_env=False,  # a proxy from the environment would bypass the address checks
                headers={"User-Agent": USER_AGENT},
            )
        return _CLIENT


def fetch_discovery(context: AppContext, url: str) -> dict[str, Any]:
    """The host's ServiceDescriptionDocument (a JSON object) at ``url``."""
    fetcher = SafeFetcher(context.settings, timeout_s=5.0)
    try:
        return fetcher.fetch_json(url)
    except FetchRefused as exc:
        raise HostRefusedUrl(str(exc), field="apiRoot") from exc
    except ResolutionError as exc:
        raise HostUnreachable(f"The discovery document could not be read: {exc}") from exc
    finally:
        fetcher.close()


def check(context: AppContext, url: str) -> None:
    """Refuse ``url`` now when the SSRF rules would (before anything is stored or asked)."""
    try:
        pin_url(url, allow_private=context.settings.allow_private_fetch)
    except FetchRefused as exc:
        raise HostRefusedUrl(str(exc), field="apiRoot") from exc
    except ResolutionError as exc:
        raise HostUnreachable(str(exc)) from exc


def send(
    context: AppContext,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> Answer:
    """One request to the host (no redirect followed); the answer, whatever its status.

    Raises:
        HostRefusedUrl: the SSRF rules refuse ``url``.
        HostUnreachable: no answer in time (:data:`REQUEST_DEADLINE_S` for all of it), or
            one larger than :data:`MAX_BYTES`.
    """
    with deadline(REQUEST_DEADLINE_S):
        return _send(context, method, url, headers=headers, content=content)


def _send(
    context: AppContext,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None,
    content: bytes | None,
) -> Answer:
    try:
        target = pin_url(url, allow_private=context.settings.allow_private_fetch)
    except FetchRefused as exc:
        raise HostRefusedUrl(str(exc)) from exc
    except ResolutionError as exc:
        raise HostUnreachable(str(exc)) from exc
    client = _client()
    request = client.build_request(
        method,
        target.url,
        content=content,
        headers={
            **(headers or {}),
            "Host": target.host_header,
            "Accept-Encoding": "identity",
        },
        extensions=target.extensions,
    )
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException as exc:
        raise HostUnreachable(f"{_shown(url)} did not answer in time.") from exc
    except httpx.HTTPError as exc:
        raise HostUnreachable(
            f"{_shown(url)} could not be reached ({type(exc).__name__})."
        ) from exc
    try:
        body = _read(response, url)
    finally:
        response.close()
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return Answer(response.status_code, media, body, response.headers)


def _read(response: httpx.Response, url: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise HostUnreachable(f"{_shown(url)} answered with more than {MAX_BYTES} bytes.")
    if response.headers.get("content-encoding", "identity").strip().lower() not in (
        "",
        "identity",
    ):
        raise HostUnreachable(f"{_shown(url)} answered compressed although none was asked for.")
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_raw():
            total += len(chunk)
            if total > MAX_BYTES:
                raise HostUnreachable(f"{_shown(url)} answered with more than {MAX_BYTES} bytes.")
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise HostUnreachable(f"{_shown(url)} did not answer in time.") from exc
    except httpx.HTTPError as exc:
        raise HostUnreachable(f"{_shown(url)} could not be read ({type(exc).__name__}).") from exc
    return b"".join(chunks)


def _shown(url: str) -> str:
    """``url`` without its query (which may carry a code or a token) for messages."""
    return url.split("?", 1)[0].split("#", 1)[0]
