"""SafeFetcher refuses what would be server-side request forgery, without real network.

A fake resolver stands in for DNS and ``httpx.MockTransport`` for the remote server; one test
uses a real HTTP server on 127.0.0.1 to show the address pinning works on a real socket.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from app.core.fetch import (
    FetchRefused,
    SafeFetcher,
    address_allowed,
    did_web_url,
)
from openbadges.errors import ResolutionError

PUBLIC = "93.184.215.14"


@dataclass(frozen=True)
class Policy:
    allow_private_fetch: bool = False


@dataclass
class Remote:
    """A fake internet: DNS answers and HTTP handlers, recording what was asked."""

    dns: dict[str, list[str]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    handler: object = None

    def resolve(self, host: str, port: int) -> list[str]:
        if host not in self.dns:
            raise ResolutionError(f"no such host {host}")
        return self.dns[host]

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            assert callable(self.handler)
            response: httpx.Response = self.handler(request)
            return response

        return httpx.MockTransport(handle)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fetcher(
    remote: Remote, *, allow_private: bool = False, clock: Clock | None = None, **kw: object
) -> SafeFetcher:
    return SafeFetcher(
        Policy(allow_private),
        transport=remote.transport(),
        resolve=remote.resolve,
        clock=clock or Clock(),
        **kw,  # type: ignore[arg-type]
    )


def json_reply(doc: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=doc, headers=headers)


@pytest.mark.parametrize(
    ("address", "public_only", "with_private"),
    [
        ("8.8.8.8", True, True),
        ("2606:4700:4700::1111", True, True),
        ("127.0.0.1", False, True),
        ("::1", False, True),
        ("10.1.2.3", False, True),
        ("172.16.0.1", False, True),
        ("192.168.1.1", False, True),
        ("fd00:ec2::254", False, True),  # AWS metadata over IPv6 (ULA)
        ("169.254.169.254", False, False),  # cloud metadata: never
        ("fe80::1", False, False),
        ("224.0.0.251", False, False),
        ("0.0.0.0", False, False),
        ("::ffff:127.0.0.1", False, True),  # IPv4-mapped loopback
        ("::ffff:169.254.169.254", False, False),
        ("100.100.100.200", False, False),  # Alibaba metadata, CGNAT space
        ("240.0.0.1", False, False),  # reserved
        ("not-an-ip", False, False),
    ],
)
def test_address_policy(address: str, public_only: bool, with_private: bool) -> None:
    assert address_allowed(address, allow_private=False) is public_only
    assert address_allowed(address, allow_private=True) is with_private


@pytest.mark.parametrize(
    ("answer", "host"),
    [
        (["127.0.0.1"], "loopback.example"),
        (["10.0.0.7"], "private.example"),
        (["169.254.169.254"], "metadata.example"),
        (["::1"], "v6loopback.example"),
        ([PUBLIC, "10.0.0.7"], "mixed.example"),  # one bad answer is enough
    ],
)
def test_names_resolving_to_internal_addresses_are_refused(answer: list[str], host: str) -> None:
    remote = Remote(dns={host: answer}, handler=lambda r: json_reply({}))
    with pytest.raises(FetchRefused, match="not a public address"):
        fetcher(remote).fetch_json(f"https://{host}/issuer")
    assert remote.requests == []  # refused before any connection


@pytest.mark.parametrize(
    "url",
    [
        "http://public.example/x",  # http without the private-fetch setting
        "ftp://public.example/x",
        "file:///etc/passwd",
        "https://user:pw@public.example/x",
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest/meta-data/",
        "https:///nohost",
        "https://public.example:99999/x",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    remote = Remote(dns={"public.example": [PUBLIC]}, handler=lambda r: json_reply({}))
    with pytest.raises(FetchRefused):
        fetcher(remote).fetch(url)
    assert remote.requests == []


def test_connection_is_pinned_to_the_vetted_address() -> None:
    remote = Remote(dns={"issuer.example": [PUBLIC]}, handler=lambda r: json_reply({"id": "x"}))
    assert fetcher(remote).fetch_json("https://issuer.example/profile#key-1") == {"id": "x"}
    (sent,) = remote.requests
    assert sent.url.host == PUBLIC  # no second DNS lookup can swap the address
    assert sent.url.path == "/profile"  # fragment dropped
    assert sent.headers["host"] == "issuer.example"
    assert sent.extensions["sni_hostname"] == "issuer.example"  # TLS checks the real name


@pytest.mark.parametrize(
    "location",
    [
        "https://internal.example/secret",
        "https://169.254.169.254/latest/meta-data/",
        "http://issuer.example/downgrade",
        "https://[::1]:8080/",
    ],
)
def test_redirects_are_checked_at_every_hop(location: str) -> None:
    remote = Remote(
        dns={"issuer.example": [PUBLIC], "internal.example": ["10.0.0.9"]},
        handler=lambda r: httpx.Response(302, headers={"Location": location}),
    )
    with pytest.raises(FetchRefused):
        fetcher(remote).fetch_json("https://issuer.example/did.json")
    assert len(remote.requests) == 1


def test_at_most_three_redirects() -> None:
    def hop(request: httpx.Request) -> httpx.Response:
        n = int(request.url.path.strip("/") or 0)
        return httpx.Response(302, headers={"Location": f"/{n + 1}"})

    remote = Remote(dns={"loop.example": [PUBLIC]}, handler=hop)
    with pytest.raises(FetchRefused, match="more than 3"):
        fetcher(remote).fetch("https://loop.example/0")
    assert len(remote.requests) == 4


def test_a_public_redirect_is_followed() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "old.example":
            return httpx.Response(301, headers={"Location": "https://new.example/doc"})
        return json_reply({"moved": True})

    remote = Remote(dns={"old.example": [PUBLIC], "new.example": ["93.184.215.15"]}, handler=handle)
    result = fetcher(remote).fetch("https://old.example/doc")
    assert result.url == "https://new.example/doc"
    assert json.loads(result.content) == {"moved": True}


def test_declared_size_over_the_cap_is_refused() -> None:
    remote = Remote(
        dns={"big.example": [PUBLIC]},
        handler=lambda r: httpx.Response(200, content=b"{}", headers={"Content-Length": "5000000"}),
    )
    with pytest.raises(FetchRefused, match="larger than"):
        fetcher(remote).fetch("https://big.example/")


def test_streamed_size_over_the_cap_is_refused() -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    remote = Remote(
        dns={"big.example": [PUBLIC]}, handler=lambda r: httpx.Response(200, content=chunks())
    )
    with pytest.raises(FetchRefused, match="larger than"):
        fetcher(remote, max_bytes=10_000).fetch("https://big.example/")


def test_compressed_bodies_are_refused_so_a_gzip_bomb_cannot_pass_the_cap() -> None:
    bomb = gzip.compress(b"0" * 5_000_000)  # ~5 KB on the wire, 5 MB once inflated
    remote = Remote(
        dns={"bomb.example": [PUBLIC]},
        handler=lambda r: httpx.Response(
            200,
            content=bomb,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        ),
    )
    with pytest.raises(FetchRefused, match="compression"):
        fetcher(remote, max_bytes=100_000).fetch("https://bomb.example/")
    assert remote.requests[0].headers["accept-encoding"] == "identity"


def test_timeouts_and_errors_become_resolution_errors() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    remote = Remote(dns={"slow.example": [PUBLIC]}, handler=slow)
    with pytest.raises(ResolutionError, match="did not answer in time"):
        fetcher(remote).fetch("https://slow.example/")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (httpx.Response(404), "HTTP 404"),
        (httpx.Response(200, content=b"<html>"), "did not return JSON"),
        (httpx.Response(200, json=[1, 2]), "did not return a JSON object"),
    ],
)
def test_fetch_json_needs_an_ok_json_object(reply: httpx.Response, message: str) -> None:
    remote = Remote(dns={"x.example": [PUBLIC]}, handler=lambda r: reply)
    with pytest.raises(ResolutionError, match=message):
        fetcher(remote).fetch_json("https://x.example/")


def test_answers_are_cached_for_a_short_time() -> None:
    clock = Clock()
    remote = Remote(dns={"x.example": [PUBLIC]}, handler=lambda r: json_reply({"n": 1}))
    safe = fetcher(remote, clock=clock)
    safe.fetch_json("https://x.example/doc")
    clock.now += 59
    safe.fetch_json("https://x.example/doc")
    assert len(remote.requests) == 1
    clock.now += 2
    safe.fetch_json("https://x.example/doc")
    assert len(remote.requests) == 2


def test_a_status_list_is_not_cached_past_its_ttl() -> None:
    clock = Clock()
    status_list = {"type": ["BitstringStatusListCredential"], "credentialSubject": {"ttl": 5000}}
    remote = Remote(dns={"x.example": [PUBLIC]}, handler=lambda r: json_reply(status_list))
    safe = fetcher(remote, clock=clock)
    safe.fetch_json("https://x.example/status/1")
    clock.now += 4
    safe.fetch_json("https://x.example/status/1")
    clock.now += 2
    safe.fetch_json("https://x.example/status/1")
    assert len(remote.requests) == 2


def test_failures_are_not_cached() -> None:
    replies = iter([httpx.Response(503), json_reply({"ok": True})])
    remote = Remote(dns={"x.example": [PUBLIC]}, handler=lambda r: next(replies))
    safe = fetcher(remote)
    with pytest.raises(ResolutionError):
        safe.fetch_json("https://x.example/")
    assert safe.fetch_json("https://x.example/") == {"ok": True}


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:issuers:42", "https://example.com/issuers/42/did.json"),
        ("did:web:example.com%3A8443:u", "https://example.com:8443/u/did.json"),
        ("did:web:example.com:u#key-1", "https://example.com/u/did.json"),
    ],
)
def test_did_web_urls(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        "did:web:evil.example%2Fx%3F",  # would fetch https://evil.example/x?/.well-known/…
        "did:web:evil.example%23",
        "did:web:user%40169.254.169.254",
        "did:web:example.com:..:admin",
        "did:web:example.com:a/b?x=1",
        "did:web:%5B::1%5D",
        "did:web:example.com:",
    ],
)
def test_did_web_host_or_path_injection_is_refused(did: str) -> None:
    with pytest.raises(FetchRefused):
        did_web_url(did)


def test_did_web_resolution_goes_through_the_same_checks() -> None:
    remote = Remote(dns={"evil.example": ["127.0.0.1"]}, handler=lambda r: json_reply({}))
    with pytest.raises(FetchRefused):
        fetcher(remote).fetch_json("did:web:evil.example")


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"host": self.headers["Host"], "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def test_real_loopback_server_needs_the_private_fetch_setting(local_server: int) -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    url = f"http://issuer.test:{local_server}/did.json"
    refused = SafeFetcher(Policy(False), resolve=resolve, transport=httpx.HTTPTransport())
    with pytest.raises(FetchRefused):
        refused.fetch_json(url)
    refused.close()
    allowed = SafeFetcher(Policy(True), resolve=resolve, transport=httpx.HTTPTransport())
    assert allowed.fetch_json(url) == {"host": f"issuer.test:{local_server}", "path": "/did.json"}
    allowed.close()
