"""Issue 9 item 2: learner tokens never reach a log line.

Three levels: the filter on a record exactly as uvicorn's access logger makes it (also under
uvicorn's own formatter), the service's logging configuration, and ``badges serve`` with two
worker processes writing real access-log lines for requests that carry a token.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from uvicorn.logging import AccessFormatter

from app.core.log_redaction import REDACTED, RedactSecrets, redact
from app.core.logging import configure_logging
from app.learners.links import make_token

TOKEN = make_token(
    "li.wei@example.edu", uuid.uuid4(), b"k" * 32, datetime.now(UTC) + timedelta(days=30)
)
ACCESS_FORMAT = '%s - "%s %s HTTP/%s" %d'  # uvicorn/protocols/http/h11_impl.py


def access_record(path: str, status: int = 200) -> logging.LogRecord:
    """A record as uvicorn's ``access_logger.info(...)`` creates it."""
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "h11_impl.py",
        473,
        ACCESS_FORMAT,
        ("127.0.0.1:53124", "GET", path, "1.1", status),
        None,
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/learners/{TOKEN}", f"/learners/{REDACTED}"),
        (f"/learners/{TOKEN}?lang=en", f"/learners/{REDACTED}?lang=en"),
        (f"/learners/{TOKEN}/credentials/x/visibility", f"/learners/{REDACTED}/credentials/x/"),
        (f"/api/v1/learner?token={TOKEN}", f"/api/v1/learner?token={REDACTED}"),
        (
            f"/api/v1/learner/programs/p/clr?language=en&token={TOKEN}&x=1",
            f"/api/v1/learner/programs/p/clr?language=en&token={REDACTED}&x=1",
        ),
        # uvicorn logs the raw path; Starlette routes the decoded one, so these open the link
        (f"/%6Cearners/{TOKEN}", f"/%6Cearners/{REDACTED}"),
        (f"/learners%2F{TOKEN}?lang=en", f"/learners%2F{REDACTED}?lang=en"),
        (f"/%6c%65arners%2f{TOKEN}", f"/%6c%65arners%2f{REDACTED}"),
        # the query's name percent-encoded: Starlette decodes it and reads the token
        (f"/api/v1/learner?tok%65n={TOKEN}", f"/api/v1/learner?tok%65n={REDACTED}"),
        (f"/api/v1/learner?%74%6F%6b%65%6e={TOKEN}", f"/api/v1/learner?%74%6F%6b%65%6e={REDACTED}"),
        (f"/api/v1/learner?lang=en&%74oken={TOKEN}", f"/api/v1/learner?lang=en&%74oken={REDACTED}"),
        # an OAuth callback: the one-time code and the state that binds it
        (
            f"/account/hosts/callback?code={TOKEN}&state={TOKEN}",
            f"/account/hosts/callback?code={REDACTED}&state={REDACTED}",
        ),
        (f"/account/verify/{TOKEN}", f"/account/verify/{REDACTED}"),
    ],
)
def test_the_access_log_record_loses_the_token(path: str, expected: str) -> None:
    record = access_record(path)
    assert RedactSecrets().filter(record) is True  # never drops a line
    message = record.getMessage()
    assert TOKEN not in message
    assert expected in message
    assert len(record.args) == 5  # type: ignore[arg-type]  # uvicorn's formatter unpacks five
    formatted = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s").format(record)
    assert TOKEN not in formatted
    assert expected in formatted


@pytest.mark.parametrize(
    "path",
    ["/learners/me?lang=en", "/learners/me/credentials/x/visibility", "/api/v1/learners/link"],
)
def test_token_free_paths_are_left_alone(path: str) -> None:
    record = access_record(path)
    RedactSecrets().filter(record)
    assert path in record.getMessage()


def test_messages_extras_and_objects_are_redacted_too() -> None:
    record = logging.LogRecord(
        "app.errors",
        logging.ERROR,
        "x.py",
        1,
        "failed: %s",
        (httpx.URL(f"https://h/learners/{TOKEN}"),),
        None,
    )
    record.path = f"/learners/{TOKEN}"  # as errors.py logs extra={"path": ...}
    RedactSecrets().filter(record)
    assert TOKEN not in record.getMessage()
    assert TOKEN not in record.path
    assert redact(f"GET /x?token={TOKEN} and /learners/{TOKEN}") == (
        f"GET /x?token={REDACTED} and /learners/{REDACTED}"
    )


def test_the_service_logging_redacts_the_access_log(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    configure_logging("INFO")  # idempotent: still one filter
    access = logging.getLogger("uvicorn.access")
    assert sum(isinstance(f, RedactSecrets) for f in access.filters) == 1
    access.info(ACCESS_FORMAT, "127.0.0.1:1", "GET", f"/learners/{TOKEN}?lang=en", "1.1", 303)
    logging.getLogger("app.errors").error("boom", extra={"path": f"/learners/{TOKEN}"})
    err = capsys.readouterr().err
    assert TOKEN not in err
    assert f"/learners/{REDACTED}?lang=en" in err
    assert f'"path": "/learners/{REDACTED}"' in err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="badges serve workers: Linux")
def test_badges_serve_workers_write_no_token_to_the_access_log(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BADGES_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "BADGES_DATA_DIR": str(tmp_path / "data"),
        "BADGES_BASE_URL": base,
        "BADGES_LOG_LEVEL": "INFO",
    }
    badges = str(Path(sys.executable).with_name("badges"))
    command = [badges, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "badges serve did not start"
            time.sleep(0.2)
        paths = [f"/learners/{TOKEN}?lang=en", f"/api/v1/learner?token={TOKEN}"]
        for _ in range(3):  # new connections each time: both workers answer some
            for path in paths:
                assert httpx.get(base + path).status_code == 401
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    text = log.read_text()
    assert "uvicorn.access" in text  # the access log is on, and went here
    assert TOKEN not in text
    assert f"/learners/{REDACTED}?lang=en" in text
    assert f"/api/v1/learner?token={REDACTED}" in text


def test_an_encoded_learner_path_opens_the_link(client: TestClient) -> None:
    """Why the encoded paths above matter: the link opens by them, and uvicorn's access log
    writes the path as sent (``raw_path``)."""
    for path in ("/%6Cearners/", "/learners%2F"):
        opened = client.get(path + "not-a-real-token.x", follow_redirects=False)
        assert opened.status_code == 401  # routed to the link, not a 404
        assert opened.json()["detail"].startswith("This learner link is invalid")


def test_a_percent_encoded_token_name_is_what_the_service_reads() -> None:
    """Why the encoded names above matter: the learner API takes them as ``token``."""
    from starlette.datastructures import QueryParams

    assert QueryParams(f"tok%65n={TOKEN}").get("token") == TOKEN
