"""Notification e-mail benchmark: a 10,000-row batch with and without notifications.

Against PostgreSQL (a fresh database), in one run:

* a local SMTP server in this process (``aiosmtpd``), counting what it is handed;
* ``badges serve --workers 2`` and two ``badges worker`` processes (which issue the batches and
  relay the outbox: fan-out to e-mail deliveries, offers, rendering, SMTP);
* the same CSV uploaded twice: once with ``notify=false``, once with notifications on;

and prints the issuance time of each (upload to ``completed``, each started once the outbox of
the one before is empty), their ratio (the slowdown the notifications cost the issuance), and
the rate at which the 10,000 messages reached the SMTP server (first to last, and from the
upload to the last).

    .venv/bin/python bench/bench_mail.py [--rows 10000] [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _database import parser_with_database_url, recreate_database  # noqa: E402
from _server import free_port, service_env, start_service  # noqa: E402
from bench_api import ADMIN_TOKEN, setup, wait_ready  # noqa: E402
from bench_batch import cohort_csv, start_workers, upload  # noqa: E402

from app.core.migrations import upgrade  # noqa: E402


class Mailbox:
    """An SMTP handler that counts the messages it accepts and when."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: list[float] = []

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        with self.lock:
            self.times.append(time.perf_counter())
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.times)


def issue_batch(
    client: httpx.Client, headers: dict[str, str], achievement_id: str, data: bytes, **fields: Any
) -> tuple[float, float]:
    """Upload and wait for ``completed``: (start, seconds)."""
    started = time.perf_counter()
    response = upload(client, headers, achievement_id, data, **fields)
    assert response.status_code == 202, response.text
    batch_id = response.json()["id"]
    while client.get(f"/api/v1/batches/{batch_id}", headers=headers).json()["state"] not in (
        "completed",
        "failed",
        "cancelled",
    ):
        time.sleep(0.02)
    return started, time.perf_counter() - started


def drained(database_url: str) -> None:
    """Wait until the relays have nothing left (so one measurement does not pay for the
    outbox work of the one before it)."""
    engine = create_engine(database_url)
    try:
        while True:
            with engine.connect() as connection:
                waiting = connection.scalar(
                    text(
                        "SELECT (SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL)"
                        " + (SELECT count(*) FROM deliveries WHERE state = 'pending')"
                    )
                )
            if not waiting:
                return
            time.sleep(0.1)
    finally:
        engine.dispose()


def run(base: str, env: dict[str, str], mailbox: Mailbox, args: argparse.Namespace) -> None:
    headers, achievement_id = setup(base)
    workers = start_workers(args.batch_workers, env)
    try:
        with httpx.Client(base_url=base, timeout=300) as client:
            warm = cohort_csv(200, prefix="warm-up-learner")
            issue_batch(client, headers, achievement_id, warm, notify=False)
            drained(env["BADGES_DATABASE_URL"])
            _, quiet_s = issue_batch(
                client, headers, achievement_id, cohort_csv(args.rows, "quiet"), notify=False
            )
            drained(env["BADGES_DATABASE_URL"])
            started, notified_s = issue_batch(
                client, headers, achievement_id, cohort_csv(args.rows, "told")
            )
            deadline = time.perf_counter() + 600
            while mailbox.count() < args.rows and time.perf_counter() < deadline:
                time.sleep(0.05)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    times = sorted(mailbox.times)
    received = len(times)
    print(f"rows={args.rows}, serve --workers {args.workers}, {args.batch_workers} badges worker")
    print(f"batch, notify=false                {quiet_s:7.1f} s")
    print(f"batch, notifications on            {notified_s:7.1f} s")
    print(f"issuance with / without e-mail     {notified_s / quiet_s:7.2f}")
    if received:
        span = times[-1] - times[0]
        print(
            f"e-mails handed to SMTP             {received:7d}   "
            f"{received / max(span, 1e-9):7.0f}/s first to last, "
            f"{received / (times[-1] - started):7.0f}/s from the upload"
        )
    else:
        print("e-mails handed to SMTP                   0")


def main() -> None:
    parser = parser_with_database_url(
        __doc__, env="BADGES_BENCH_DATABASE_URL", name="badges_bench_mail"
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="badges serve --workers")
    parser.add_argument("--batch-workers", type=int, default=2, help="badges worker processes")
    args = parser.parse_args()

    recreate_database(args.database_url)
    upgrade(args.database_url)
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            env = service_env(
                database_url=args.database_url,
                base_url=f"http://127.0.0.1:{port}",
                data_dir=data_dir,
                admin_token=ADMIN_TOKEN,
            )
            env |= {
                "BADGES_JOB_RUNNER": "procrastinate",
                "BADGES_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                "BADGES_MAIL_FROM": "badges@bench.example.org",
                # A cohort's notifications at full speed: no per-issuer pacing, quota above it.
                "BADGES_MAIL_RATE_PER_MINUTE": "0",
                "BADGES_MAIL_DAILY_QUOTA": str(10 * args.rows),
            }
            server = start_service(port, args.workers, env)
            try:
                base = f"http://127.0.0.1:{port}"
                wait_ready(base)
                run(base, env, mailbox, args)
            finally:
                server.terminate()
                server.wait(timeout=20)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
