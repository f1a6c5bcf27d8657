"""SafeFetcher: the only way the service fetches a URL someone else chose.

A verifier fetches whatever a credential (or a person on ``/verify``) names: issuer profiles,
did:web documents, status lists, a badge URL. Without care that is server-side request
forgery: ``https://169.254.169.254/`` (cloud metadata), ``http://localhost:5432``, or a public
name whose DNS answer is ``10.0.0.7``. So every fetch here:

* allows ``https`` only (``http`` too when ``allow_private_fetch`` is on, for tests and local
  development);
* resolves the host itself, refuses any answer that is not a public unicast address, and then
  connects to *that* address (TLS still checks the certificate against the host name through
  SNI), so a second DNS answer cannot swap in a private address (DNS rebinding);
* follows redirects by hand, at most three, checking every hop the same way;
* has connect/read timeouts, an overall deadline and a response size cap;
* caches successful answers for a short time (60 s, and never longer than a status list's own
  ``ttl``) so a busy verify page does not hammer other issuers.

``allow_private_fetch`` (``BADGES_ALLOW_PRIVATE_FETCH``) admits private and loopback addresses;
link-local (which holds the cloud-metadata address) and multicast are refused whatever it says.

It implements the ``openbadges.resolver.Resolver`` protocol (``fetch_json``).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import httpx

from app.core.cache import TtlLru
from openbadges.errors import ResolutionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], list[str]]
"""Turns (host, port) into IP address strings; injectable so tests need no DNS."""

MAX_REDIRECTS = 3
DEFAULT_MAX_BYTES = 1_000_000
ACCEPT_JSON = "application/ld+json, application/json;q=0.9, */*;q=0.1"
USER_AGENT = "openbadges-service-verifier/0.1 (+https://www.imsglobal.org/spec/ob/v3p0)"


class FetchSettings(Protocol):
    """The part of ``app.core.config.Settings`` the fetcher reads."""

    @property
    def allow_private_fetch(self) -> bool: ...


class FetchRefused(ResolutionError):
    """The URL or one of its addresses is not allowed (scheme, private address, too large…)."""

    default_code = "fetch_refused"


@dataclass(frozen=True, slots=True)
class Fetched:
    """One successful response: the final URL after redirects, its media type and body."""

    url: str
    content_type: str
    content: bytes


def system_resolve(host: str, port: int) -> list[str]:
    """Resolve ``host`` through the operating system (A and AAAA records)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolutionError(f"The host name {host!r} could not be resolved.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_DID_WEB_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?$", re.IGNORECASE)
_DID_WEB_SEGMENT = re.compile(r"^[A-Za-z0-9._~%!$&'()*+,;=@-]+$")


def did_web_url(did: str) -> str:
    """Map ``did:web:host%3A8443:a:b`` to its DID document URL (did:web spec §3.2).

    The host must be a plain domain (or IPv4) with an optional port, and each path segment plain
    path characters: a percent-encoded ``/``, ``?``, ``#`` or ``@`` in the DID must not move the
    fetch to another host, path or query than the DID names.
    """
    parts = did.split("#", 1)[0].split("?", 1)[0].split(":")[2:]
    if not parts or not parts[0]:
        raise FetchRefused(f"{did!r} is not a did:web identifier.")
    host = unquote(parts[0])
    if not _DID_WEB_HOST.match(host) or not all(
        _DID_WEB_SEGMENT.match(p) and p.strip(".") for p in parts[1:]
    ):
        raise FetchRefused(f"{did!r} is not a valid did:web identifier.")
    path = "/".join(parts[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def _unwrap(ip: IPAddress) -> IPAddress:
    """See through IPv4-mapped (``::ffff:10.0.0.1``) and 6to4 addresses to the IPv4 inside."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def address_allowed(address: str, *, allow_private: bool) -> bool:
    """Say whether the fetcher may connect to ``address``.

    Public unicast is always fine. Link-local (cloud metadata lives at 169.254.169.254 and
    fe80::/10), multicast, unspecified and reserved addresses never are, nor shared CGNAT
    space (100.64.0.0/10, where one cloud keeps its metadata service). Loopback and private
    ranges (RFC 1918, ULA) only with ``allow_private``.
    """
    try:
        ip = _unwrap(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return False
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return False
    if ip.is_global:
        return True
    if not allow_private:
        return False
    if ip.is_loopback:
        return True
    return ip.is_private and not ip.is_reserved  # 240.0.0.0/4 counts as "private" in Python


def _status_list_ttl_s(doc: Any) -> float | None:
    """The ``ttl`` (milliseconds, Bitstring Status List §2.1) of a status list, in seconds."""
    subject = doc.get("credentialSubject") if isinstance(doc, dict) else None
    ttl = subject.get("ttl") if isinstance(subject, dict) else None
    if isinstance(ttl, int | float) and not isinstance(ttl, bool) and ttl >= 0:
        return float(ttl) / 1000.0
    return None


def _new_client(transport: httpx.BaseTransport | None, timeout_s: float) -> httpx.Client:
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 3.0)),
        follow_redirects=False,
        trust_env=False,  # a proxy from the environment would bypass the address checks
        headers={"User-Agent": USER_AGENT},
    )


_CLIENTS: dict[tuple[bool, float], httpx.Client] = {}
"""The process-wide connection pools, per address policy and timeout (they hold no answers:
the service's shared cache is :data:`app.hot.verification.fetched`, passed in as ``cache``)."""
_CLIENTS_LOCK = threading.Lock()


def _shared_client(allow_private: bool, timeout_s: float) -> httpx.Client:
    """The process-wide client for one policy."""
    with _CLIENTS_LOCK:
        key = (allow_private, timeout_s)
        if key not in _CLIENTS:
            _CLIENTS[key] = _new_client(None, timeout_s)
        return _CLIENTS[key]


@dataclass(frozen=True, slots=True)
class PinnedUrl:
    """A URL checked under the SSRF rules, with its host replaced by the vetted address.

    Connect to :attr:`url`; send :attr:`host_header` as ``Host`` and pass :attr:`extensions`
    to httpx, so TLS still checks the certificate against the host name (SNI) while the
    connection goes to the address that was vetted (no second DNS answer is asked for).
    """

    url: str
    host: str
    host_header: str

    @property
    def extensions(self) -> dict[str, Any]:
        return {"sni_hostname": self.host}


def vetted_address(host: str, port: int, *, allow_private: bool, resolve: Resolve) -> str:
    """Resolve ``host`` and return an address to connect to, or refuse.

    Every answer must pass, not just one: otherwise a name with a public and a private
    record would be a way in.
    """
    try:
        literal = ipaddress.ip_address(host)
        addresses = [str(literal)]
    except ValueError:
        addresses = resolve(host, port)
    if not addresses:
        raise ResolutionError(f"The host name {host!r} has no address.")
    for address in addresses:
        if not address_allowed(address, allow_private=allow_private):
            raise FetchRefused(
                f"{host} resolves to {address}, which is not a public address; "
                "the service does not connect to private networks."
            )
    return addresses[0]


def pin_url(url: str, *, allow_private: bool, resolve: Resolve = system_resolve) -> PinnedUrl:
    """Check ``url`` (``https`` only, ``http`` too with ``allow_private``; no user info; every
    address of its host allowed) and pin it to one vetted address (one hop: redirects are the
    caller's to vet again).

    Raises:
        FetchRefused: the URL or one of its host's addresses is not allowed.
        ResolutionError: the host does not resolve.
    """
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "https://[::1/x": an unbalanced IPv6 bracket, say
        raise FetchRefused(f"{url!r} is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not allow_private):
        raise FetchRefused(f"Only https URLs can be fetched, not {url!r}.")
    if parts.username or parts.password:
        raise FetchRefused("URLs with a user name or password are not fetched.")
    host = _ascii_host(parts.hostname or "")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchRefused(f"{url!r} has an invalid port.") from exc
    address = vetted_address(host, port, allow_private=allow_private, resolve=resolve)
    pinned = urlunsplit((scheme, _netloc(address, parts.port), parts.path or "/", parts.query, ""))
    return PinnedUrl(url=pinned, host=host, host_header=_host_header(host, parts.port))


FETCH_TTL_S = 60.0
"""How long a foreign answer is reused (never longer than a status list's own ``ttl``)."""
FETCH_CACHE_BYTES = 8_000_000
"""The bodies one fetch cache keeps in all (512 entries of up to 1 MB each would be 512 MB
per worker, filled by whatever URLs anonymous verification requests name)."""

FetchCache = TtlLru[tuple[bool, str], Fetched]
"""``(allow_private_fetch, url)`` -> the answer: one answer is never served under another
address policy."""


def new_fetch_cache(clock: Callable[[], float] = time.monotonic) -> FetchCache:
    """A fetch cache bounded in entries and in bytes (:data:`FETCH_CACHE_BYTES`)."""
    return TtlLru[tuple[bool, str], Fetched](
        512, clock, weigh=lambda fetched: len(fetched.content), max_weight=FETCH_CACHE_BYTES
    )


class SafeFetcher:
    """Fetches foreign URLs under the SSRF rules in the module docstring.

    Args:
        settings: anything with ``allow_private_fetch`` (``app.core.config.Settings``).
        transport: an httpx transport; tests pass ``httpx.MockTransport``.
        resolve: host name resolution; tests pass a fake that needs no DNS.
        max_bytes: the response size cap.
        ttl_s: how long a successful answer is reused.
        timeout_s: connect and read timeout; the whole fetch (redirects included) gets 3×.
        clock: monotonic clock, injectable for cache tests.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        resolve: Resolve = system_resolve,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ttl_s: float = FETCH_TTL_S,
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        cache: FetchCache | None = None,
    ) -> None:
        self.allow_private = bool(getattr(settings, "allow_private_fetch", False))
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self._deadline_s = timeout_s * 3
        self._resolve = resolve
        self._clock = clock
        if transport is None:
            # Callers may build a fetcher per verification: the pool outlives them, and so
            # does the cache they pass (the service's is declared in app.hot).
            self._client = _shared_client(self.allow_private, timeout_s)
            self._owns_client = False
        else:
            self._client = _new_client(transport, timeout_s)
            self._owns_client = True
        self._cache = (
            cache if cache is not None and clock is time.monotonic else new_fetch_cache(clock)
        )

    def close(self) -> None:
        """Release the connection pool (a no-op for the shared one)."""
        if self._owns_client:
            self._client.close()

    def fetch_json(self, url: str) -> dict[str, Any]:
        """Fetch a JSON object (profile, DID document, status list); ``did:web`` ids allowed.

        Raises:
            ResolutionError: refused, unreachable, too large, not JSON or not an object.
        """
        target = did_web_url(url) if url.startswith("did:web:") else url.split("#", 1)[0]
        fetched = self.fetch(target, accept=ACCEPT_JSON)
        try:
            doc = json.loads(fetched.content)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            # RecursionError: Python's parser recurses once per level of hostile nesting.
            raise ResolutionError(f"{target} did not return JSON.") from exc
        if not isinstance(doc, dict):
            raise ResolutionError(f"{target} did not return a JSON object.")
        return doc

    def fetch(self, url: str, *, accept: str = "*/*") -> Fetched:
        """Fetch ``url`` (following at most three checked redirects) and return the body."""
        key = (self.allow_private, url)  # an answer must not cross address policies
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        fetched = self._fetch_uncached(url, accept)
        self._cache.put(key, fetched, self._ttl_for(fetched))
        return fetched

    def _ttl_for(self, fetched: Fetched) -> float:
        """Never keep a status list longer than it says it may be kept."""
        if b'"ttl"' not in fetched.content:
            return self.ttl_s
        try:
            list_ttl = _status_list_ttl_s(json.loads(fetched.content))
        except (ValueError, RecursionError):
            return self.ttl_s
        return self.ttl_s if list_ttl is None else min(self.ttl_s, list_ttl)

    def _fetch_uncached(self, url: str, accept: str) -> Fetched:
        deadline = self._clock() + self._deadline_s
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._request(current, accept, deadline)
            try:
                if response.is_redirect:
                    current = self._next_hop(current, response)
                    continue
                if response.status_code != 200:
                    raise ResolutionError(f"{current} answered HTTP {response.status_code}.")
                body = self._read_capped(response, current, deadline)
            finally:
                response.close()
            media = response.headers.get("content-type", "").split(";", 1)[0].strip()
            return Fetched(url=current, content_type=media.lower(), content=body)
        raise FetchRefused(f"{url} redirected more than {MAX_REDIRECTS} times.")

    @staticmethod
    def _next_hop(current: str, response: httpx.Response) -> str:
        location: str = response.headers.get("location", "")
        if not location:
            raise ResolutionError(f"{current} redirected without a Location.")
        return urljoin(current, location)

    def _request(self, url: str, accept: str, deadline: float) -> httpx.Response:
        """Check one hop, pin it to a vetted address and send it (body not yet read)."""
        target = pin_url(url, allow_private=self.allow_private, resolve=self._resolve)
        if self._clock() > deadline:
            raise ResolutionError(f"Fetching {url} took too long.")
        request = self._client.build_request(
            "GET",
            target.url,
            # identity only: a compressed body could expand far past the size cap before it is
            # counted (a gzip bomb), so the cap is applied to the bytes on the wire.
            headers={"Host": target.host_header, "Accept": accept, "Accept-Encoding": "identity"},
            extensions=target.extensions,
        )
        try:
            return self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise ResolutionError(f"{url} did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise ResolutionError(f"{url} could not be reached ({type(exc).__name__}).") from exc

    def _read_capped(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchRefused(f"{url} is larger than {self.max_bytes} bytes.")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise FetchRefused(
                f"{url} answered with {encoding!r} compression although none was asked for."
            )
        # With no content coding, iter_bytes() yields the bytes as they arrive: the cap below
        # counts what was sent, not what a decoder made of it.
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > self.max_bytes:
                    raise FetchRefused(f"{url} is larger than {self.max_bytes} bytes.")
                if self._clock() > deadline:
                    raise ResolutionError(f"Fetching {url} took too long.")
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise ResolutionError(f"{url} could not be read ({type(exc).__name__}).") from exc
        return b"".join(chunks)


def _netloc(address: str, port: int | None) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{host}:{port}" if port else host


def _ascii_host(host: str) -> str:
    """Normalise a host name to lower-case ASCII (IDNA), as DNS, SNI and Host want it."""
    host = host.rstrip(".").lower()
    if not host:
        raise FetchRefused("The URL has no host.")
    if ":" in host:  # an IPv6 literal
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise FetchRefused(f"{host!r} is not a valid host name.") from exc


def _host_header(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown
