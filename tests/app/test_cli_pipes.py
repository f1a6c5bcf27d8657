"""``badges … | head -1``: a reader that stops early is no error (issue 9, item 23).

Before, the first write after the reader left raised ``BrokenPipeError``: click ended the
command at once with status 1 (``badges serve | head -1`` never served) and Python's last flush
could print ``Exception ignored … BrokenPipeError``. Now the rest of the output is dropped and
the command carries on to its normal end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BADGES = str(Path(sys.executable).with_name("badges"))


def _env(tmp_path: Path, port: int = 8000) -> dict[str, str]:
    return {
        **os.environ,
        "BADGES_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "BADGES_DATA_DIR": str(tmp_path / "data"),
        "BADGES_BASE_URL": f"http://127.0.0.1:{port}",
        "BADGES_ENVIRONMENT": "development",
        "BADGES_LOG_LEVEL": "WARNING",
    }


def _closed_reader(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` with its stdout a pipe nobody reads (closed at once)."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


def test_a_command_whose_reader_left_still_finishes_quietly(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([BADGES, "db", "upgrade"], env=env, check=True, capture_output=True)
    status, stderr = _closed_reader([BADGES, "issuer", "create", "--name", "en=Piped U"], env)
    assert status == 0, stderr
    assert "Traceback" not in stderr
    assert "BrokenPipe" not in stderr
    listed = subprocess.run(
        [BADGES, "issuer", "create", "--name", "en=Second U"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout.startswith("issuer ")  # a normal run prints as before


def test_serve_piped_into_head_keeps_serving(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [BADGES, "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        command, env=_env(tmp_path, port), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # what `head -1` does: one line, then the reader is gone
        server.stdout.close()
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "serve stopped when its reader left"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "never served"
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=60)
    assert b"BrokenPipe" not in stderr
    assert b"Traceback" not in stderr
