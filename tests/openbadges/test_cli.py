"""``python -m openbadges verify``: exit codes, readable and JSON output, and the UrlResolver."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from openbadges.__main__ import UrlResolver
from openbadges.did import did_key, did_key_verification_method
from openbadges.errors import ResolutionError
from openbadges.keys import KeyType, SigningKey
from openbadges.proofs.data_integrity import sign

NOW = "2026-06-01T00:00:00Z"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openbadges", "verify", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def badge_file(tmp_path: Path, unsigned: Callable[..., dict[str, Any]]) -> Path:
    """A did:key credential: verifiable offline, no network needed."""
    key = SigningKey.generate(KeyType.ED25519)
    credential = sign(
        unsigned(did_key(key.public_key)),
        key,
        verification_method=did_key_verification_method(key.public_key),
        created="2026-01-01T00:00:00Z",
    )
    path = tmp_path / "badge.weird-extension"
    path.write_text(json.dumps(credential), encoding="utf-8")
    return path


def test_a_valid_badge_exits_0_with_a_readable_report(badge_file: Path) -> None:
    result = run_cli(str(badge_file), "--offline", "--now", NOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("VERIFIED (json)")
    assert "Signature:" in result.stdout
    assert "Traceback" not in result.stderr


def test_json_output_is_the_report(badge_file: Path) -> None:
    result = run_cli(str(badge_file), "--offline", "--now", NOW, "--json")
    report = json.loads(result.stdout)
    assert report["verified"] is True
    assert {c["id"] for c in report["checks"]} >= {"proof", "issuer_key", "validity"}


def test_an_invalid_badge_exits_1(badge_file: Path) -> None:
    result = run_cli(str(badge_file), "--offline", "--now", "2025-01-01T00:00:00Z")
    assert result.returncode == 1
    assert result.stdout.startswith("NOT VERIFIED")
    assert "[INVALID] Validity period" in result.stdout


def test_a_recipient_mismatch_exits_1(badge_file: Path) -> None:
    result = run_cli(str(badge_file), "--offline", "--now", NOW, "--recipient", "x@example.edu")
    assert result.returncode == 1
    assert "Recipient" in result.stdout


@pytest.mark.parametrize("content", [b"", b"hello world", b"\x89PNG\r\n\x1a\n\x00"])
def test_unrecognisable_input_exits_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "thing.json"
    path.write_bytes(content)
    result = run_cli(str(path), "--offline")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path / "absent.json"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_a_bad_now_is_a_usage_error(badge_file: Path) -> None:
    result = run_cli(str(badge_file), "--now", "yesterday")
    assert result.returncode == 2
    assert "ISO 8601" in result.stderr


# --- UrlResolver against a loopback server ---------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes]]] = {
        "/doc": (200, b'{"id": "https://example.edu/doc"}'),
        "/list": (200, b"[1, 2]"),
        "/html": (200, b"<html></html>"),
        "/big": (200, b'{"pad": "' + b"x" * 5000 + b'"}'),
        "/gone": (404, b"{}"),
    }

    def do_GET(self) -> None:
        status, body = self.routes.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_url_resolver_fetches_a_json_object(server: str) -> None:
    assert UrlResolver().fetch_json(f"{server}/doc") == {"id": "https://example.edu/doc"}


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/list", "not_json"),
        ("/html", "not_json"),
        ("/gone", "fetch_failed"),
        ("/big", "too_large"),
    ],
)
def test_url_resolver_failures_are_resolution_errors(server: str, path: str, code: str) -> None:
    with pytest.raises(ResolutionError) as caught:
        UrlResolver(max_bytes=1000).fetch_json(f"{server}{path}")
    assert caught.value.code == code


def test_url_resolver_refuses_other_schemes(tmp_path: Path) -> None:
    with pytest.raises(ResolutionError, match="not an http"):
        UrlResolver().fetch_json((tmp_path / "x.json").as_uri())


@pytest.mark.parametrize(
    "args", [("--expect", "diploma"), ("--now", "yesterday"), ("--policy", "lax"), ()]
)
def test_a_bad_argument_is_one_line_and_exit_2(badge_file: Path, args: tuple[str, ...]) -> None:
    """docs/design.md: bad arguments are one line (naming the problem), exit 2."""
    result = run_cli(*((str(badge_file), *args) if args else ()))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "error:" in lines[0]
    assert "Traceback" not in result.stderr
