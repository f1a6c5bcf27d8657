"""On PostgreSQL the ``badges worker`` processes relay the outbox (issue 12, item 1).

The service commits credentials and their outbox events and sends nothing itself. With no
worker running, the events wait (as after a crash between the commit and the send); a worker
started later sends every one of them, signed, each once. A worker killed with ``kill -9``
while it holds leased deliveries loses none: another sends them once the lease runs out.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _webhook_support import Receiver
from api_support import issue, make_achievement, make_issuer
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select
from standardwebhooks.webhooks import Webhook

from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from app.models import Delivery

ADMIN = "relay-test-admin-" + secrets.token_urlsafe(24)
BASE_URL = "https://relay.badges.test"
LAUNCH = """
import app.outbox.service as outbox

outbox.LEASE_S = 2.0  # a killed worker's deliveries are free again after 2 s (120 s in production)

from app.cli import app

app(["worker"], prog_name="badges")
"""


@pytest.fixture
def database_url(tmp_path: Path, database_url_factory: Callable[[Path, str], str]) -> str:
    url = database_url_factory(tmp_path, "_relay")
    if url.startswith("sqlite"):
        pytest.skip("worker processes need PostgreSQL (BADGES_TEST_DATABASE_URL)")
    upgrade(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def deployment(tmp_path: Path, database_url: str) -> tuple[Settings, dict[str, str]]:
    kek = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env = {
        "BADGES_DATABASE_URL": database_url,
        "BADGES_DATA_DIR": str(tmp_path / "data"),
        "BADGES_BASE_URL": BASE_URL,
        "BADGES_ADMIN_TOKEN": ADMIN,
        "BADGES_KEY_ENCRYPTION_KEY": kek,  # the workers open the endpoints' sealed secrets
        "BADGES_JOB_RUNNER": "procrastinate",
        "BADGES_ALLOW_PRIVATE_FETCH": "true",  # the receiver is on 127.0.0.1
        "BADGES_OUTBOX_POLL_S": "0.2",
        "BADGES_LOG_LEVEL": "INFO",
    }
    settings = Settings(
        environment="development",
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url=BASE_URL,
        admin_token=ADMIN,
        key_encryption_key=kek,
        job_runner="procrastinate",
        allow_private_fetch=True,
    )
    return settings, env


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH],
        env={**os.environ, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_committed_events_wait_for_a_worker_and_each_is_sent_once(
    deployment: tuple[Settings, dict[str, str]],
    engine: Engine,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    settings, env = deployment
    with TestClient(create_app(settings)) as client:
        issuer = make_issuer(client, {"Authorization": f"Bearer {ADMIN}"})
        endpoint = client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "events": ["credential.issued"]},
            headers=issuer.headers,
        )
        assert endpoint.status_code == 201, endpoint.text
        secret = endpoint.json()["secret"]
        achievement = make_achievement(client, issuer)
        issued = {
            issue(client, issuer, achievement["id"], recipient={"email": f"r{n}@example.edu"})["id"]
            for n in range(6)
        }
    time.sleep(1.0)
    assert receiver.requests == [], "the service sends nothing itself on PostgreSQL"

    # The first worker takes the deliveries and is killed while they are leased to it (the
    # receiver holds each call for a while, so the worker is mid-send).
    receiver.delay_s = 0.5
    first = _worker(env, tmp_path / "first.log")
    try:
        _wait_for(lambda: len(receiver.requests) >= 1, 60, "the first worker's first call")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    receiver.delay_s = 0.0
    second = _worker(env, tmp_path / "second.log")
    try:
        _wait_for(
            lambda: {r.json()["data"]["credentialId"] for r in receiver.requests} >= issued,
            60,
            "every credential's webhook",
        )
        _wait_for(lambda: _sent(engine) == len(issued), 30, "every delivery recorded as sent")
    finally:
        _stop(second)

    hook = Webhook(secret)
    for request in receiver.requests:
        event = hook.verify(request.body, request.headers)  # raises unless genuine
        assert event["type"] == "credential.issued"
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    by_credential: dict[str, set[str]] = {}
    for request in receiver.requests:
        by_credential.setdefault(request.json()["data"]["credentialId"], set()).add(
            request.headers["webhook-id"]
        )
    # At least once: the one the killed worker was sending may arrive twice, with its id.
    assert all(len(message_ids) == 1 for message_ids in by_credential.values())
    assert len(set(ids)) == len(issued)


def _sent(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(
            connection.scalars(
                select(Delivery.id).where(Delivery.channel == "webhook", Delivery.state == "sent")
            ).all()
        )
