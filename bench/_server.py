"""What the service benchmarks share: a free port, the service under ``badges serve``, waiting.

The benches run the app as production does (``badges serve``: uvicorn worker processes on
127.0.0.1) so that the measured rates include the HTTP server, beside its bare `/ping`.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(
    *, database_url: str, base_url: str, data_dir: str, admin_token: str
) -> dict[str, str]:
    """BADGES_* settings for a bench server: fresh secrets, quiet logs."""
    return {
        "BADGES_DATABASE_URL": database_url,
        "BADGES_BASE_URL": base_url,
        "BADGES_ADMIN_TOKEN": admin_token,
        "BADGES_KEY_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "BADGES_DATA_DIR": data_dir,
        "BADGES_LOG_LEVEL": "WARNING",
    }


def start_service(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``badges serve`` with ``workers`` processes, as deployed (one socket per worker)."""
    command = [
        str(Path(sys.executable).with_name("badges")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    # serve prints the URLs to open; the bench prints its own figures.
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)


def service_cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """CPU time (user + system) the service's worker processes have used so far (Linux: read
    from ``/proc``; the children of the ``badges serve`` supervisor). CPU per request is a
    steadier figure than requests/s on a machine whose speed moves with its neighbours'."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    if not children.exists():
        return float("nan")
    ticks = 0
    for pid in children.read_text().split():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Return once the server accepts connections; raise if it exits or takes too long."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the service exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the service did not start")


def wait_mail_sent(database: Path, proc: subprocess.Popen[bytes], timeout_s: float = 300.0) -> int:
    """Wait until the service has sent the notification e-mails of the credentials issued
    before it started; return how many it sent.

    A bench issues its credentials before the service runs, so the service starts with one
    e-mail per credential to send (to the development mailbox): left running, that backlog
    would take CPU from what the bench measures, which a service that mailed each learner
    when the credential was issued never pays at read time.
    """
    deadline = time.monotonic() + timeout_s
    with sqlite3.connect(database) as db:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the service exited early")
            (left,) = db.execute(
                "SELECT (SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL)"
                " + (SELECT count(*) FROM deliveries WHERE state = 'pending')"
            ).fetchone()
            if left == 0:
                (sent,) = db.execute("SELECT count(*) FROM deliveries").fetchone()
                return int(sent)
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service still has {left} e-mails to send")
            time.sleep(0.2)
