"""``python -m openbadges verify X --json | head -1`` ends quietly (issue 9, item 23).

The reader closes the pipe after one line; the command used to die with a ``BrokenPipeError``
traceback (and a second "Exception ignored" one at interpreter shutdown).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openbadges.did import did_key, did_key_verification_method
from openbadges.keys import KeyType, SigningKey
from openbadges.proofs.data_integrity import sign

COMMAND = [sys.executable, "-m", "openbadges", "verify"]


@pytest.fixture
def badge_file(tmp_path: Path, unsigned: Callable[..., dict[str, Any]]) -> Path:
    key = SigningKey.generate(KeyType.ED25519)
    credential = sign(
        unsigned(did_key(key.public_key)),
        key,
        verification_method=did_key_verification_method(key.public_key),
        created="2026-01-01T00:00:00Z",
    )
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(credential), encoding="utf-8")
    return path


@pytest.mark.parametrize("output", [["--json"], []])
def test_a_closed_pipe_is_not_a_traceback(badge_file: Path, output: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte, as after `head -0`
    try:
        result = subprocess.run(
            [*COMMAND, str(badge_file), "--offline", "--now", "2026-06-01T00:00:00Z", *output],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr
    assert "BrokenPipeError" not in result.stderr
    assert result.returncode == 0  # the verdict's exit code: the badge verified


def test_head_reads_the_first_line(badge_file: Path) -> None:
    """The shell pipeline itself, when a POSIX shell and ``head`` are at hand."""
    command = (
        f"{sys.executable} -m openbadges verify {badge_file} --offline "
        "--now 2026-06-01T00:00:00Z --json | head -1"
    )
    try:
        result = subprocess.run(
            ["sh", "-c", command], capture_output=True, text=True, timeout=60, check=False
        )
    except FileNotFoundError:
        pytest.skip("no POSIX shell")
    assert result.stdout == "{\n"
    assert result.stderr == ""
