"""Two real ``badges worker`` processes share a batch; one is killed -9 halfway (PostgreSQL).

The service defers the batch's jobs (procrastinate), the workers take them from the database,
and one worker is killed while it holds a leased chunk. What it had not committed rolls back;
its leases run out and the rows are issued by the surviving worker or by a restarted one
(which sweeps at start). Every row must end issued exactly once.

The workers run with a short lease, quiet time and sweep period (a few seconds instead of
minutes), patched into the worker process before it starts: the timings differ, the code
paths are production's.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
from api_support import IssuerHandle, make_achievement, make_issuer
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.config import Settings
from app.core.migrations import upgrade
from app.jobs.queue import JOBS_PER_BATCH
from app.main import create_app
from app.models import Batch, BatchRow, Credential
from app.models.base import utcnow

ROWS = 600
ADMIN = "workers-test-admin-" + secrets.token_urlsafe(24)
BASE_URL = "https://workers.badges.test"

LAUNCH = """
import app.batches.service as service
import app.jobs.queue as queue

service.LEASE_S = 3.0  # a dead worker's chunk is free again after 3 s (120 s in production)
service.QUIET_S = 2.0
queue.SWEEP_CRON = "* * * * * */2"  # every 2 s (every minute in production)

import time

_issue_chunk = service._issue_chunk


def _slow_chunk(*args, **kwargs):
    time.sleep(0.1)  # holding its lease: a batch of 600 rows takes long enough to kill mid-chunk
    return _issue_chunk(*args, **kwargs)


service._issue_chunk = _slow_chunk

from app.cli import app

app(["worker"], prog_name="badges")
"""


class Worker:
    """One ``badges worker`` process, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out: IO[bytes] = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH],
            env={**os.environ, **env},
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._out.close()


@pytest.fixture
def database_url(tmp_path: Path, database_url_factory: Callable[[Path, str], str]) -> str:
    url = database_url_factory(tmp_path, "_workers")
    if url.startswith("sqlite"):
        pytest.skip("workers need PostgreSQL (BADGES_TEST_DATABASE_URL)")
    upgrade(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _registered_workers(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT count(*) FROM procrastinate_workers")) or 0)


def _progress(engine: Engine, batch_id: uuid.UUID) -> tuple[str, int, set[str]]:
    """The batch's state, its issued count and who holds live leases on pending rows."""
    with engine.connect() as connection:
        state, issued = connection.execute(
            select(Batch.state, Batch.issued).where(Batch.id == batch_id)
        ).one()
        owners = connection.scalars(
            select(BatchRow.lease_owner).where(
                BatchRow.batch_id == batch_id,
                BatchRow.state == "pending",
                BatchRow.lease_until > utcnow(),
            )
        )
        return str(state), int(issued), {o for o in owners if o}


@dataclass(frozen=True)
class Deployment:
    """The service's settings (its app runs in the test) and the workers' environment."""

    settings: Settings
    env: dict[str, str]

    def client(self) -> TestClient:
        return TestClient(create_app(self.settings))


@pytest.fixture
def deployment(tmp_path: Path, database_url: str) -> Deployment:
    kek = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    data_dir = tmp_path / "data"
    env = {
        "BADGES_DATABASE_URL": database_url,
        "BADGES_DATA_DIR": str(data_dir),
        "BADGES_BASE_URL": BASE_URL,
        "BADGES_ADMIN_TOKEN": ADMIN,
        "BADGES_KEY_ENCRYPTION_KEY": kek,
        "BADGES_JOB_RUNNER": "procrastinate",
        "BADGES_LOG_LEVEL": "INFO",
    }
    settings = Settings(
        environment="development",
        data_dir=data_dir,
        database_url=database_url,
        base_url=BASE_URL,
        admin_token=ADMIN,
        key_encryption_key=kek,
        job_runner="procrastinate",
    )
    return Deployment(settings, env)


def _queue(client: TestClient, rows: int) -> tuple[IssuerHandle, uuid.UUID]:
    """An issuer, an achievement and a batch of ``rows`` JSON rows for it."""
    issuer = make_issuer(client, {"Authorization": f"Bearer {ADMIN}"})
    achievement = make_achievement(client, issuer)
    accepted = client.post(
        "/api/v1/batches",
        json={
            "achievementId": achievement["id"],
            "rows": [
                {"email": f"learner{i}@example.edu", "name": f"Learner {i}", "Final grade": "B"}
                for i in range(rows)
            ],
        },
        headers=issuer.headers,
    )
    assert accepted.status_code == 202, accepted.text
    return issuer, uuid.UUID(accepted.json()["id"])


def _assert_issued_once(
    engine: Engine, issuer: IssuerHandle, batch_id: uuid.UUID, rows: int
) -> None:
    """Every row issued, each with a credential of its own carrying the row's key, no other."""
    with engine.connect() as connection:
        batch = connection.execute(
            select(Batch.state, Batch.total, Batch.issued, Batch.skipped, Batch.failed).where(
                Batch.id == batch_id
            )
        ).one()
        assert tuple(batch) == ("completed", rows, rows, 0, 0)
        row_states = dict(
            connection.execute(
                select(BatchRow.state, func.count())
                .where(BatchRow.batch_id == batch_id)
                .group_by(BatchRow.state)
            ).all()
        )
        assert row_states == {"issued": rows}
        row_credentials = connection.scalars(
            select(BatchRow.credential_id).where(BatchRow.batch_id == batch_id)
        ).all()
        assert len(set(row_credentials)) == rows  # one credential per row, none shared
        keys = connection.scalars(
            select(Credential.idempotency_key).where(Credential.issuer_id == uuid.UUID(issuer.id))
        ).all()
        assert len(keys) == rows  # no row issued twice
        row_keys = connection.scalars(
            select(BatchRow.row_key).where(BatchRow.batch_id == batch_id)
        ).all()
        assert set(keys) == {f"batch:{batch_id}:{key}" for key in row_keys}
        issued = connection.scalars(
            select(Credential.id).where(Credential.id.in_(row_credentials))
        ).all()
        assert len(issued) == rows  # every row's credential exists


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_share_a_batch_and_a_killed_one_loses_nothing(
    tmp_path: Path, deployment: Deployment, engine: Engine
) -> None:
    with ExitStack() as stack:
        workers = [Worker(deployment.env, tmp_path / f"worker-{name}.log") for name in "ab"]
        for worker in workers:
            stack.callback(worker.stop)
        _wait_for(lambda: _registered_workers(engine) == 2, 30, "two registered workers")

        client = stack.enter_context(deployment.client())
        issuer, batch_id = _queue(client, ROWS)

        # Halfway: some rows issued, and a worker holding a chunk it has not committed.
        victim: list[Worker] = []

        def worker_mid_chunk() -> bool:
            state, issued, owners = _progress(engine, batch_id)
            assert state != "completed", "the batch finished before a worker could be killed"
            if issued == 0:
                return False
            victim.extend(w for w in workers if any(f":{w.pid}:" in o for o in owners))
            return bool(victim)

        _wait_for(worker_mid_chunk, 30, "a worker in the middle of a chunk")
        victim[0].kill()
        _, issued_at_kill, _ = _progress(engine, batch_id)
        assert 0 < issued_at_kill < ROWS

        restarted = Worker(deployment.env, tmp_path / "worker-restarted.log")  # sweeps at start
        stack.callback(restarted.stop)
        _wait_for(lambda: _progress(engine, batch_id)[0] == "completed", 40, "the batch")
        done = client.get(f"/api/v1/batches/{batch_id}", headers=issuer.headers).json()
        assert (done["state"], done["issued"], done["failed"]) == ("completed", ROWS, 0)

    _assert_issued_once(engine, issuer, batch_id, ROWS)


@pytest.mark.postgres
def test_a_batch_whose_jobs_were_lost_is_found_by_a_starting_worker(
    tmp_path: Path, deployment: Deployment, engine: Engine
) -> None:
    """The service stopped between committing the batch and deferring its jobs."""
    with deployment.client() as client:
        issuer, batch_id = _queue(client, 30)
    with engine.begin() as connection:
        lost = connection.execute(text("DELETE FROM procrastinate_jobs")).rowcount
    assert lost == JOBS_PER_BATCH  # the jobs the service deferred, now gone
    worker = Worker(deployment.env, tmp_path / "worker.log")
    try:
        _wait_for(lambda: _progress(engine, batch_id)[0] == "completed", 30, "the batch")
    finally:
        worker.stop()
    _assert_issued_once(engine, issuer, batch_id, 30)


def test_a_worker_on_sqlite_refuses_in_one_line(tmp_path: Path) -> None:
    env = {
        "BADGES_DATABASE_URL": f"sqlite:///{tmp_path / 'badges.db'}",
        "BADGES_DATA_DIR": str(tmp_path),
        "BADGES_JOB_RUNNER": "procrastinate",
    }
    result = CliRunner().invoke(cli, ["worker"], env=env)
    assert result.exit_code == 2
    assert result.output == (
        "error: the embedded runner processes batches inside `badges serve`; "
        "workers need PostgreSQL\n"
    )
