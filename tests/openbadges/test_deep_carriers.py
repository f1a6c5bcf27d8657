"""Hostile nesting inside every carrier of JSON (issue 9, item 14).

A 10,000-deep JSON value used to reach Python's recursive ``json`` parser through a JWT header
or payload, an SVG ``<openbadges:credential>`` or a PNG ``iTXt`` chunk, and escape as a
``RecursionError`` (a 500 from the API, a traceback and exit 1 from the command line). Every
carrier now gets the structural limits plain JSON gets: an ``invalid`` format check, exit 2 with
one line, no exception.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openbadges.baking import unbake_png, unbake_svg
from openbadges.errors import BakeError, JwtError, LimitExceededError, ResolutionError
from openbadges.jsonld.limits import loads_bounded
from openbadges.multibase import b64url_encode
from openbadges.proofs.jwt import decode_unverified
from openbadges.resolver import InMemoryResolver
from openbadges.status_list import status_entry
from openbadges.verify import verify

NOW = datetime(2026, 6, 1, tzinfo=UTC)

DEPTH = 10_000
DEEP = '{"a":' * DEPTH + "1" + "}" * DEPTH
DEEP_ARRAY = "[" * DEPTH + "]" * DEPTH


def _b64(text: str) -> str:
    return b64url_encode(text.encode("utf-8"))


HEADER = _b64('{"alg":"EdDSA","typ":"JWT"}')


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png(text: str) -> bytes:
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    itxt = _chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + text.encode("utf-8"))
    pixels = _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + itxt + pixels + _chunk(b"IEND", b"")


def _svg(text: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        f"<openbadges:credential><![CDATA[{text}]]></openbadges:credential></svg>"
    )


CARRIERS: dict[str, bytes | str] = {
    "json": DEEP,
    "jwt-header": f"{_b64(DEEP)}.{_b64('{}')}.AAAA",
    "jwt-header-array": f"{_b64(DEEP_ARRAY)}.{_b64('{}')}.AAAA",
    "jwt-payload": f"{HEADER}.{_b64(DEEP)}.AAAA",
    "svg": _svg(DEEP),
    "png": _png(DEEP),
    "png-jwt": _png(f"{HEADER}.{_b64(DEEP)}.AAAA"),
}


@pytest.mark.parametrize("carrier", list(CARRIERS))
def test_verify_reports_deep_nesting_as_an_unusable_input(carrier: str) -> None:
    report = verify(CARRIERS[carrier], now=NOW)
    assert report.verified is False
    assert report.credential is None
    (format_check,) = report.checks
    assert format_check.status == "invalid"
    assert "deep" in format_check.detail


@pytest.mark.parametrize("carrier", list(CARRIERS))
def test_the_cli_exits_2_with_one_line(carrier: str, tmp_path: Path) -> None:
    data = CARRIERS[carrier]
    path = tmp_path / "badge"
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    result = subprocess.run(
        [sys.executable, "-m", "openbadges", "verify", str(path), "--offline"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr == ""
    assert len(result.stdout.strip().splitlines()) == 1
    assert "deep" in result.stdout


def test_the_library_entry_points_raise_their_own_errors() -> None:
    with pytest.raises(LimitExceededError) as limit:
        loads_bounded(DEEP)
    assert limit.value.code == "too_deep"
    with pytest.raises(JwtError):
        decode_unverified(str(CARRIERS["jwt-payload"]))
    with pytest.raises(BakeError):
        unbake_svg(str(CARRIERS["svg"]))
    with pytest.raises(BakeError):
        unbake_png(bytes(CARRIERS["png"]))  # type: ignore[arg-type]
    with pytest.raises(ResolutionError):
        InMemoryResolver({"https://x.example/list": DEEP}).fetch_json("https://x.example/list")


def test_a_deep_status_list_makes_the_status_unknown(
    issuer: Any, signed: Callable[..., dict[str, Any]]
) -> None:
    url = "https://badges.example.edu/status/1"
    issuer.documents[url] = DEEP
    report = verify(
        signed(credentialStatus=status_entry(url, 3, "revocation")),
        resolver=issuer.resolver(),
        now=NOW,
    )
    revocation = report.check("revocation")
    assert revocation is not None
    assert revocation.status == "unknown"
    assert "nested too deeply" in revocation.detail
