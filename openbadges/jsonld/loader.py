"""The static JSON-LD document loader: bundled contexts only, never the network.

A Data Integrity signature covers the RDF that the ``@context`` documents produce, so a context
fetched at run time is an input an attacker (or a flaky CDN) controls. The VC 2.0 and Data
Integrity specs therefore ask verifiers to use pinned local copies
(https://www.w3.org/TR/vc-data-model-2.0/#base-context,
https://www.w3.org/TR/vc-data-integrity/#contexts-and-vocabularies). This loader serves exactly the
files under ``contexts/`` (provenance and sha256 in ``contexts/README.md``) and raises
:class:`~openbadges.errors.ContextError` for every other URL.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from openbadges.errors import ContextError

CONTEXT_FILES: dict[str, str] = {
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/undefined-terms/v2": "credentials-undefined-terms-v2.jsonld",
    "https://www.w3.org/ns/credentials/status/v1": "credentials-status-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld": "ob-v3p0.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json": "clr-v2p0.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-2.0.1.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "ed25519-signature-2020-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
}
"""Every URL the loader answers, mapped to its file in ``openbadges/jsonld/contexts/``."""

_PACKAGE = "openbadges.jsonld.contexts"


@cache
def _parsed(file_name: str) -> dict[str, Any]:
    """Read and parse one bundled file once per process (callers get copies)."""
    try:
        text = resources.files(_PACKAGE).joinpath(file_name).read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, ValueError) as exc:  # a broken install, not bad user input
        raise ContextError(f"bundled context file {file_name!r} cannot be read: {exc}") from exc
    if not isinstance(document, dict):
        raise ContextError(f"bundled context file {file_name!r} is not a JSON object")
    return document


def load_context(url: str) -> dict[str, Any]:
    """Return a private copy of the bundled context document for ``url``.

    Args:
        url: the exact ``@context`` URL (no normalisation: a near miss is refused, not guessed).

    Returns:
        The parsed JSON document; the caller may mutate it freely.

    Raises:
        ContextError: the URL is not bundled. Nothing is fetched.
    """
    file_name = CONTEXT_FILES.get(url)
    if file_name is None:
        raise ContextError(
            f"JSON-LD context {url!r} is not bundled, and contexts are never fetched "
            "(the bundled ones are listed in openbadges.jsonld.loader.CONTEXT_FILES)",
            code="context_not_bundled",
        )
    return copy.deepcopy(_parsed(file_name))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Serve a bundled context in the shape pyld expects of a document loader.

    The ``"tag": "static"`` entry tells pyld's context resolver that the document never changes,
    so it may cache the processed context across calls (see :mod:`openbadges.jsonld.canonical`,
    which gives pyld a cache private to this loader).

    Args:
        url: the URL pyld wants dereferenced.
        options: pyld's request options (headers, profile); ignored, the answer is static.

    Returns:
        ``{"contextUrl": None, "documentUrl": url, "document": <copy>, "tag": "static"}``.

    Raises:
        ContextError: the URL is not bundled.
    """
    del options  # the bundled answer does not depend on request headers
    return {"contextUrl": None, "documentUrl": url, "document": load_context(url), "tag": "static"}
