"""``python -m openbadges verify`` on files that are not credentials: always exit 2, no traceback."""

from __future__ import annotations

import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png(*extra: bytes) -> bytes:
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    pixels = _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra) + pixels + _chunk(b"IEND", b"")


def _limited_memory() -> None:  # pragma: no cover - runs in the child process
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))


def run_cli(path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openbadges", "verify", path, "--offline"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=_limited_memory,
    )


OB2_ITXT = _chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00https://example.org/assertions/1")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_png(), "holds no readable credential"),
        (_png(OB2_ITXT), "Open Badges 2.0"),
        (bytes(range(256)) * 64, "not recognised"),
        (b"\xef\xbb\xbf", "not recognised"),
    ],
)
def test_an_image_or_blob_without_an_open_badge_3_exits_2(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "badge.png"
    path.write_bytes(content)
    result = run_cli(str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stdout


def test_a_directory_exits_2(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_input_is_refused_without_reading_it_all() -> None:
    """The CLI reads at most the verifier's input cap, so a device or pipe cannot exhaust memory."""
    result = run_cli("/dev/zero")
    assert result.returncode == 2, result.stderr[-500:]
    assert "Traceback" not in result.stderr
