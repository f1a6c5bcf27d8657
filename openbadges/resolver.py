"""The injected network: how the verifier obtains documents it does not hold.

The library never opens a socket. Everything remote — DID documents, issuer profiles, JWK Sets,
status lists — comes through a :class:`Resolver` the caller passes in, so the service can apply
its SSRF rules and caches (``app.core.fetch.SafeFetcher``), the CLI can use plain ``urllib``
(``openbadges.__main__.UrlResolver``) and tests can serve fixtures from memory
(:class:`InMemoryResolver`). The pattern is httpx's mock transport and joserfc's ``registry=``.

The verifier only ever asks for ``http(s)`` URLs without a fragment: DID URLs are mapped to
their document URL first (``did:web`` per https://w3c-ccg.github.io/did-method-web/#read-resolve),
and ``did:key`` needs no network at all.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from openbadges.errors import ResolutionError

__all__ = ["InMemoryResolver", "OfflineResolver", "Resolver"]


@runtime_checkable
class Resolver(Protocol):
    """Fetches a JSON document by URL for the verifier."""

    def fetch_json(self, url: str) -> dict[str, Any]:
        """Return the JSON object served at ``url``.

        Args:
            url: an absolute ``http``/``https`` URL without a fragment.

        Returns:
            The parsed JSON object (never a list or scalar).

        Raises:
            ResolutionError: the document could not be obtained or is not a JSON object. The
                verifier turns this into an ``unknown`` check, never into valid or revoked.
        """
        ...


class OfflineResolver:
    """A resolver that has nothing: used when the caller passes ``resolver=None``.

    Verification still runs (did:key and fragment keys need no network), and every check that
    needs a remote document becomes ``unknown`` with the reason "offline".
    """

    def fetch_json(self, url: str) -> dict[str, Any]:
        """Refuse every URL.

        Raises:
            ResolutionError: always, with code ``offline``.
        """
        raise ResolutionError(
            f"{url} was not fetched: verification is running offline", code="offline"
        )


class InMemoryResolver:
    """Serves a fixed set of documents: for tests, fixtures and pre-fetched data.

    Args:
        documents: URL → document. A ``dict`` is served as is (a fresh copy per call); a
            ``str`` is parsed as JSON on each call, so a test can also serve a malformed body.
    """

    def __init__(self, documents: Mapping[str, dict[str, Any] | str] | None = None) -> None:
        """Store the documents (copied, so later edits by the caller do not leak in)."""
        self._documents: dict[str, dict[str, Any] | str] = dict(documents or {})
        self.requested: list[str] = []
        """Every URL asked for, in order: lets a test assert what was (not) fetched."""

    def fetch_json(self, url: str) -> dict[str, Any]:
        """Return the document stored for ``url``.

        Raises:
            ResolutionError: code ``not_found`` for an unknown URL, ``not_json`` for a body that
                is not a JSON object.
        """
        self.requested.append(url)
        if url not in self._documents:
            raise ResolutionError(f"{url} could not be fetched (not found)", code="not_found")
        return parse_json_object(self._documents[url], url)


def parse_json_object(body: dict[str, Any] | str | bytes, url: str) -> dict[str, Any]:
    """Turn a fetched body into a JSON object, or explain why it is not one.

    Shared by every resolver so that they all fail the same way on the same bad body.

    Args:
        body: a parsed object, or the raw text/bytes.
        url: where it came from, for the message.

    Returns:
        A private copy of the JSON object.

    Raises:
        ResolutionError: code ``not_json`` when the body is not a JSON object.
    """
    if isinstance(body, dict):
        return copy.deepcopy(body)
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResolutionError(f"{url} did not return JSON: {exc}", code="not_json") from exc
    except RecursionError as exc:  # Python's parser recurses per nesting level
        raise ResolutionError(f"{url} returned JSON nested too deeply", code="not_json") from exc
    if not isinstance(parsed, dict):
        raise ResolutionError(f"{url} returned JSON that is not an object", code="not_json")
    return parsed
