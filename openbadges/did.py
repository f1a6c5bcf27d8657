"""did:key and did:web: identifiers, DID documents, and finding a key in a DID document.

Nothing here touches the network: did:key resolves from the identifier itself, and for did:web
this module only computes the URL to fetch (:func:`did_web_to_url`) and reads the document the
caller fetched (:func:`find_verification_method`).

Errors are :class:`~openbadges.errors.KeyFormatError` with these codes, so callers can report
*why* a key was not accepted:

* ``invalid_did`` — not a well-formed did:key / did:web (or DID URL).
* ``vm_not_authorized`` — the method exists but is not listed under the required relationship.
* ``key_format_error`` — the method's key material is malformed or of an unsupported type.

Specs:
    DID Core: https://www.w3.org/TR/did-core/
    did:key: https://w3c-ccg.github.io/did-key-spec/
    did:web: https://w3c-ccg.github.io/did-method-web/
    Multikey / JsonWebKey: https://www.w3.org/TR/controller-document/#verification-methods
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote, urlsplit

from openbadges._did_document import (
    DID_CONTEXT,
    JWK_CONTEXT,
    MULTIKEY_CONTEXT,
    VerificationMethod,
    did_document,
    find_verification_method,
    verification_method_from_json,
)
from openbadges.errors import KeyFormatError
from openbadges.keys import PublicKey

__all__ = [
    "DID_CONTEXT",
    "JWK_CONTEXT",
    "MULTIKEY_CONTEXT",
    "VerificationMethod",
    "did_document",
    "did_key",
    "did_key_verification_method",
    "did_web_to_url",
    "find_verification_method",
    "resolve_did_key",
    "url_to_did_web",
    "verification_method_from_json",
]


# Development convention: only these hosts resolve over plain http (see did_web_to_url).
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1"})
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$",
    re.I,
)


def _invalid(message: str) -> KeyFormatError:
    return KeyFormatError(message, code="invalid_did")


# --- did:key -------------------------------------------------------------------------------


def did_key(public_key: PublicKey) -> str:
    """Return the did:key of an Ed25519 or P-256 key: ``did:key:`` + its Multikey value.

    Raises:
        KeyFormatError: for RSA keys, which have no Multikey form here.
    """
    return f"did:key:{public_key.multibase}"


def did_key_verification_method(public_key: PublicKey) -> str:
    """Return the verification method id of a did:key: ``did:key:z…#z…`` (did:key spec §3.1.2)."""
    value = public_key.multibase
    return f"did:key:{value}#{value}"


def resolve_did_key(did_or_url: str) -> PublicKey:
    """Decode the key of a did:key or did:key URL, without network.

    Args:
        did_or_url: ``did:key:z6Mk…`` or ``did:key:z6Mk…#z6Mk…``.

    Returns:
        The public key the identifier encodes.

    Raises:
        KeyFormatError: not a did:key, a path or query is present, the fragment names a
            different key, or the multibase value is not an Ed25519/P-256 public key.
    """
    if not isinstance(did_or_url, str) or not did_or_url.startswith("did:key:"):
        raise _invalid(f"not a did:key: {did_or_url!r}")
    did, _, fragment = did_or_url.partition("#")
    value = did.removeprefix("did:key:")
    if not value or any(c in value for c in "/?:"):
        raise _invalid(f"did:key must be 'did:key:<multibase>' with no path or query: {did!r}")
    if fragment and fragment != value:
        raise _invalid(f"did:key fragment #{fragment} does not match the key {value}")
    return PublicKey.from_multibase(value)


# --- did:web -------------------------------------------------------------------------------


def _check_host(host: str) -> str:
    """Validate ``host[:port]`` of a did:web; the spec forbids IP addresses (except our dev loopback)."""
    name, _, port = host.partition(":")
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        raise _invalid(f"did:web port {port!r} is not a valid port number")
    if name.lower() in _LOOPBACK_HOSTS:
        return host
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        raise _invalid(f"did:web must name a domain, not an IP address: {name!r}")
    if not _HOSTNAME.match(name):
        raise _invalid(f"did:web domain {name!r} is not a valid host name")
    return host


def _check_segment(segment: str) -> str:
    if segment in ("", ".", "..") or "/" in segment or "\\" in segment:
        raise _invalid(
            f"did:web path segment {segment!r} is empty, a dot segment, or holds a slash"
        )
    return segment


def did_web_to_url(did: str) -> str:
    """Map a did:web to the URL of its DID document (did:web spec §3.2 "Read").

    ``did:web:example.edu`` → ``https://example.edu/.well-known/did.json``;
    ``did:web:example.edu:issuers:565049`` → ``https://example.edu/issuers/565049/did.json``;
    ``did:web:example.edu%3A8443`` → ``https://example.edu:8443/.well-known/did.json``.

    Development convention (not in the spec): when the host is exactly ``localhost`` or
    ``127.0.0.1`` the URL uses ``http://``, so a service running locally without TLS can be
    resolved. No other host ever maps to http. Any fragment (``#key-1``) is ignored.

    Raises:
        KeyFormatError: not a did:web, an IP-address host, a bad port, or an empty/dot segment.
    """
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise _invalid(f"not a did:web: {did!r}")
    msid = did.partition("#")[0].removeprefix("did:web:")
    if not msid or "?" in msid or "/" in msid:
        raise _invalid(f"did:web has an empty identifier, a path or a query: {did!r}")
    parts = msid.split(":")
    host = _check_host(unquote(parts[0]))
    segments = [quote(_check_segment(unquote(p)), safe="") for p in parts[1:]]
    scheme = "http" if host.partition(":")[0].lower() in _LOOPBACK_HOSTS else "https"
    path = "/".join(segments) if segments else ".well-known"
    return f"{scheme}://{host}/{path}/did.json"


def url_to_did_web(base_url: str, *path_segments: str) -> str:
    """Build the did:web for a URL, the inverse of :func:`did_web_to_url`.

    ``url_to_did_web("https://example.edu", "issuers", "565049")`` and
    ``url_to_did_web("https://example.edu/issuers/565049/did.json")`` both give
    ``did:web:example.edu:issuers:565049``. A trailing ``did.json`` (and a bare
    ``/.well-known``) is dropped. The scheme is not part of a did:web: an ``http`` URL is
    accepted (test servers), but the DID resolves over https unless the host is loopback.

    Raises:
        KeyFormatError: not an http(s) URL, a query/fragment/user-info, or an invalid host.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid(f"expected an http(s) URL with a host, got {base_url!r}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise _invalid(f"a did:web URL cannot carry a query, fragment or user info: {base_url!r}")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    _check_host(host)
    segments = [unquote(s) for s in parts.path.split("/") if s] + list(path_segments)
    if segments and segments[-1] == "did.json":
        segments.pop()
    if segments == [".well-known"]:
        segments = []
    encoded = [quote(_check_segment(s), safe="") for s in segments]
    return ":".join(["did:web", quote(host, safe=""), *encoded])
