"""A resolver that answers this service's own URLs from the database.

Verifying our own credentials must not make HTTP calls back to ourselves (slow, and it
deadlocks a single worker). "Our own" is decided by host and path, not by the exact
``BADGES_BASE_URL`` string: the library maps ``did:web:<host>:issuers:<id>`` to ``https://``
(``http://`` only for localhost/127.0.0.1), so a service configured with ``http://badges.test``
— or an https service behind a proxy configured with its internal http URL — is asked for the
other scheme of its own URLs, and must still answer them. Everything else goes to the fallback resolver — the SSRF-guarded
``app.core.fetch.SafeFetcher`` — or is refused as ``unknown`` when there is none.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.core.context import AppContext
from app.core.db_errors import is_unavailable
from app.core.errors import NotFound
from app.credentials import service as credentials
from app.issuers import service as issuers
from app.signing_keys import service as keys
from app.status import service as status
from app.verification import memo
from openbadges.did import did_web_to_url
from openbadges.errors import KeyFormatError, ResolutionError
from openbadges.resolver import Resolver

_UUID = r"(?P<id>[0-9a-fA-F-]{36})"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(parts: SplitResult) -> tuple[str, int | None] | None:
    """``(host, port)`` of an http(s) URL, the scheme's default port as None; None if unusable."""
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return parts.hostname.lower(), None if port == _DEFAULT_PORTS[parts.scheme] else port


@lru_cache(maxsize=8)
def _base_of(base_url: str) -> tuple[tuple[str, int | None] | None, str]:
    """The origin and path prefix of ``BADGES_BASE_URL`` (parsed once: a page asks 3 times)."""
    base = urlsplit(base_url)
    return _origin(base), base.path.rstrip("/")


def own_path(base_url: str, url: str) -> str | None:
    """The path of ``url`` below ``base_url`` when it is one of our URLs, else None.

    Either scheme counts (see the module docstring), and so does a ``did:web`` of our host
    (``did:web:badges.test%3A8443:issuers:<id>`` → ``/issuers/<id>/did.json``).
    """
    if url.startswith("did:web:"):
        try:
            url = did_web_to_url(url)
        except KeyFormatError:
            return None
    parts = urlsplit(url)
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    origin = _origin(parts)
    base_origin, prefix = _base_of(base_url)
    if origin is None or origin != base_origin:
        return None
    if not parts.path.startswith(prefix + "/"):
        return None
    return parts.path[len(prefix) :]


def own_public_path(base_url: str, url: str) -> str | None:
    """:func:`own_path` for a URL a person copied from one of our pages or links.

    Such a URL may carry a query (``?lang=zh-CN`` picks the page's language) or a fragment;
    neither changes the document behind it, so both are dropped before deciding. The
    resolver itself (:meth:`DatabaseResolver.fetch_json`, for URLs a credential names) keeps
    the strict form: a signed credential pointing at our status list with a query is not ours.
    """
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS:
        return None
    return own_path(base_url, parts._replace(query="", fragment="").geturl())


class DatabaseResolver:
    """Serves ``BADGES_BASE_URL`` documents from the database, the rest through ``fallback``."""

    def __init__(
        self,
        session: Session,
        context: AppContext,
        fallback: Resolver | None,
        *,
        reuse_did_documents: bool = False,
        reuse_status_lists: bool = False,
        keep_status_lists: bool = False,
    ) -> None:
        """``reuse_did_documents``: answer our DID documents from this worker's short-lived copy
        (``signing_keys.service.cached_did_document``), for a caller that re-verifies without
        it whenever the verdict is not "verified" (a kept copy can only lack a new key).
        ``reuse_status_lists``: answer our status lists from this worker's copy read within
        their ``ttl`` (``app.verification.memo.kept_list``), for a caller that checks the
        verdict against the credential's row and re-verifies when they disagree;
        ``keep_status_lists``: read them from the database and keep them for such a caller."""
        self._session = session
        self._context = context
        self._fallback = fallback
        self._reuse_did_documents = reuse_did_documents
        self._reuse_status_lists = reuse_status_lists
        self._keep_status_lists = keep_status_lists or reuse_status_lists
        self.outage: SQLAlchemyError | None = None
        """The first database outage met while resolving (see :meth:`fetch_json`)."""
        self.refused_foreign = False
        """Whether a foreign URL was asked for and refused (no fallback): a caller verifying
        without the network (a page rendered on the event loop) then verifies again with it."""
        self._routes: list[
            tuple[re.Pattern[str], Callable[[uuid.UUID, re.Match[str]], dict[str, Any]]]
        ] = [
            (re.compile(rf"^/issuers/{_UUID}/did\.json$"), self._did_document),
            (re.compile(rf"^/issuers/{_UUID}$"), self._profile),
            (re.compile(rf"^/status/{_UUID}$"), self._status_list),
            (re.compile(rf"^/credentials/{_UUID}(\.json)?$"), self._credential),
            (re.compile(rf"^/achievements/{_UUID}/v(?P<v>\d+)$"), self._achievement),
        ]

    @property
    def can_fetch_foreign(self) -> bool:
        """True when foreign URLs go through a fetcher (False: they are refused)."""
        return self._fallback is not None

    def fetch_json(self, url: str) -> dict[str, Any]:
        """The document at ``url`` (``ResolutionError`` when it cannot be had).

        A database outage met here is remembered (:meth:`raise_outage`): the library turns
        every exception inside a check into an "unknown" check, and an outage is not a
        verdict on the credential but the client's 503.
        """
        try:
            return self._fetch_json(url)
        except SQLAlchemyError as exc:
            if self.outage is None and is_unavailable(exc):
                self.outage = exc
            raise

    def raise_outage(self) -> None:
        """Raise the database outage :meth:`fetch_json` met, if any (call after verifying)."""
        if self.outage is not None:
            raise self.outage

    def _fetch_json(self, url: str) -> dict[str, Any]:
        path = own_path(self._context.settings.base_url, url)
        if path == "/.well-known/jwks.json":
            return keys.jwks(self._session)
        if path is not None:
            return self._own(path)
        if self._fallback is None:
            self.refused_foreign = True
            raise ResolutionError(
                f"{url} was not fetched: foreign URLs are not enabled", code="offline"
            )
        return self._fallback.fetch_json(url)

    def _own(self, path: str) -> dict[str, Any]:
        for pattern, handler in self._routes:
            match = pattern.match(path)
            if match:
                try:
                    return handler(uuid.UUID(match["id"]), match)
                except (NotFound, ValueError) as exc:
                    raise ResolutionError(f"{path} not found", code="not_found") from exc
        raise ResolutionError(f"{path} is not a document this service publishes", code="not_found")

    def _did_document(self, issuer_id: uuid.UUID, _: re.Match[str]) -> dict[str, Any]:
        if self._reuse_did_documents:
            document = keys.cached_did_document(self._session, self._context, issuer_id)
            if document.get("verificationMethod"):
                return document
        issuers.get_issuer(self._session, issuer_id)
        return keys.did_document(self._session, self._context, issuer_id)

    def _profile(self, issuer_id: uuid.UUID, _: re.Match[str]) -> dict[str, Any]:
        return issuers.public_profile(self._session, self._context, issuer_id)

    def _status_list(self, list_id: uuid.UUID, _: re.Match[str]) -> dict[str, Any]:
        if self._reuse_status_lists:
            kept = memo.kept_list(list_id)
            if kept is not None:
                return kept
        text = status.published_document(self._session, list_id)
        document: dict[str, Any] = json.loads(text)
        if self._keep_status_lists:
            memo.keep_list(list_id, document, text)
        return document

    def _credential(self, credential_id: uuid.UUID, _: re.Match[str]) -> dict[str, Any]:
        row = credentials.get_public_credential(self._session, credential_id)
        document: dict[str, Any] = json.loads(row.document)
        return document

    def _achievement(self, lineage_id: uuid.UUID, match: re.Match[str]) -> dict[str, Any]:
        row = achievements.get_version(self._session, lineage_id, int(match["v"]))
        return achievements.achievement_document(self._context.settings.base_url, row)
