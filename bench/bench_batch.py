"""Batch benchmark: a 10,000-row CSV through validation and two ``badges worker`` processes,
against the same number of credentials through ``POST /api/v1/credentials``.

Against PostgreSQL (a fresh database), in one run:

* ``badges serve --workers 2`` (job runner: procrastinate) and two ``badges worker`` processes;
* validation: the CSV uploaded with ``dryRun`` (parsed, every row validated, nothing created);
* batch issuance: the CSV uploaded for real, timed until the batch is ``completed``;
* the same number of credentials through ``POST /api/v1/credentials`` from 16 keep-alive
  clients (``bench_api.py``'s client);

and prints the seconds of each and the ratio of batch to API issuance time.

    .venv/bin/python bench/bench_batch.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/badges_bench_batch]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _database import parser_with_database_url, recreate_database  # noqa: E402
from _server import free_port, service_env, start_service  # noqa: E402
from bench_api import ADMIN_TOKEN, Connection, Reply, drive, setup, wait_ready  # noqa: E402

from app.core.migrations import upgrade  # noqa: E402

NOTIFY = {"notify": False}
"""Issuance alone: learners are not e-mailed in this bench (``bench_mail.py`` measures that);
the workers still relay every issuance's outbox event, in both phases."""


def cohort_csv(rows: int, prefix: str = "batch-learner") -> bytes:
    """A registrar's export: e-mail and name per learner."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name"])
    for n in range(rows):
        writer.writerow([f"{prefix}{n}@example.org", f"Batch Learner {n}"])
    return out.getvalue().encode("utf-8")


def start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    """``count`` worker processes, returned once each has registered (ready to take jobs)."""
    command = [str(Path(sys.executable).with_name("badges")), "worker"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        for _ in range(count)
    ]
    engine = create_engine(env["BADGES_DATABASE_URL"])
    try:
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as connection:
                ready = connection.scalar(text("SELECT count(*) FROM procrastinate_workers"))
            if ready == count:
                return workers
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise RuntimeError("the workers did not start")
            time.sleep(0.1)
    finally:
        engine.dispose()


def upload(
    client: httpx.Client, headers: dict[str, str], achievement_id: str, data: bytes, **fields: Any
) -> httpx.Response:
    form = {"achievementId": achievement_id, **{k: str(v).lower() for k, v in fields.items()}}
    return client.post(
        "/api/v1/batches",
        headers=headers,
        data=form,
        files={"file": ("cohort.csv", data, "text/csv")},
    )


def time_validation(
    client: httpx.Client, headers: dict[str, str], achievement_id: str, data: bytes
) -> float:
    started = time.perf_counter()
    response = upload(client, headers, achievement_id, data, dryRun=True)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert response.json()["valid"] == data.count(b"\n") - 1, "every row validated"
    return elapsed


def time_batch(
    client: httpx.Client, headers: dict[str, str], achievement_id: str, data: bytes, rows: int
) -> float:
    started = time.perf_counter()
    response = upload(client, headers, achievement_id, data, **NOTIFY)
    accepted = time.perf_counter() - started
    assert response.status_code == 202, response.text
    batch_id = response.json()["id"]
    while True:
        body = client.get(f"/api/v1/batches/{batch_id}", headers=headers).json()
        if body["state"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    assert (body["state"], body["issued"]) == ("completed", rows), body
    print(f"  upload answered 202 after {accepted:.2f} s, completed after {elapsed:.2f} s")
    return elapsed


async def time_api(
    port: int, headers: dict[str, str], achievement_id: str, count: int, concurrency: int
) -> tuple[float, int]:
    async def issue(client: Connection, n: int) -> Reply:
        body = {
            "achievementId": achievement_id,
            "recipient": {"email": f"api-learner{n}@example.org", "name": f"API Learner {n}"},
            **NOTIFY,
        }
        return await client.request("POST", "/api/v1/credentials", headers, body)

    started = time.perf_counter()
    _, _, responses = await drive(port, concurrency, count, 3600, issue)
    elapsed = time.perf_counter() - started
    return elapsed, sum(r.status_code != 201 for r in responses)


def memory_mb(pid: int, field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(base: str, port: int, env: dict[str, str], args: argparse.Namespace) -> None:
    headers, achievement_id = setup(base)
    data = cohort_csv(args.rows)
    warm_rows = max(1, args.rows // 20)
    workers = start_workers(args.batch_workers, env)
    try:
        with httpx.Client(base_url=base, timeout=300) as client:
            # A small batch first: the workers' memory once warm, against their peak after
            # the whole batch (memory must not grow with the batch's size).
            warm = cohort_csv(warm_rows, prefix="warm-up-learner")
            time_batch(client, headers, achievement_id, warm, warm_rows)
            warm_mb = [memory_mb(w.pid, "VmRSS") for w in workers]
            validation_s = time_validation(client, headers, achievement_id, data)
            batch_s = time_batch(client, headers, achievement_id, data, args.rows)
            peak_mb = [memory_mb(w.pid, "VmHWM") for w in workers]
        # The workers keep running: on PostgreSQL they relay the API's outbox events too.
        api_s, failures = asyncio.run(
            time_api(port, headers, achievement_id, args.rows, args.concurrency)
        )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    print(
        f"rows={args.rows} serve --workers {args.workers}, {args.batch_workers} badges worker, "
        f"API clients={args.concurrency}"
    )
    print(
        f"validation (dry run, CSV)          {validation_s:7.1f} s   {args.rows / validation_s:7.0f} rows/s"
    )
    print(
        f"batch: upload to completed          {batch_s:7.1f} s   {args.rows / batch_s:7.0f} credentials/s"
    )
    print(
        f"POST /api/v1/credentials            {api_s:7.1f} s   {args.rows / api_s:7.0f} credentials/s   failures={failures}"
    )
    print(f"batch / API time                    {batch_s / api_s:7.2f}")
    print(
        f"worker memory: {', '.join(f'{m:.0f}' for m in warm_mb)} MB after {warm_rows} rows, "
        f"peak {', '.join(f'{m:.0f}' for m in peak_mb)} MB over {args.rows}"
    )


def main() -> None:
    parser = parser_with_database_url(
        __doc__, env="BADGES_BENCH_DATABASE_URL", name="badges_bench_batch"
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="badges serve --workers")
    parser.add_argument("--batch-workers", type=int, default=2, help="badges worker processes")
    parser.add_argument("--concurrency", type=int, default=16, help="API clients")
    args = parser.parse_args()

    recreate_database(args.database_url)
    upgrade(args.database_url)
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = service_env(
            database_url=args.database_url,
            base_url=f"http://127.0.0.1:{port}",
            data_dir=data_dir,
            admin_token=ADMIN_TOKEN,
        )
        env["BADGES_JOB_RUNNER"] = "procrastinate"
        server = start_service(port, args.workers, env)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base)
            run(base, port, env, args)
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
