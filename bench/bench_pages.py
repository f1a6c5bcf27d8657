"""Load the credential page and its QR code the way a link shared on social media is loaded.

Starts the real service with ``badges serve`` (``--workers``, default 2 as deployed; a subprocess on
127.0.0.1) on a fresh SQLite
database, issues a few credentials through the API, then drives N concurrent keep-alive
clients for a bounded number of requests per target and prints requests/s, p50 and p99 next
to the bare FastAPI ``/ping`` of the same run (the ceiling on this machine).

    .venv/bin/python bench/bench_pages.py [--clients 100] [--requests 6000] [--workers 2]
        [--cold 3000]

Targets (docs): credential page p99 <= 50 ms at 100 clients and >= 1,000 pages/s, also for
pages not yet cached (``--cold N`` issues N more credentials and asks for each page once, so
every view renders and verifies: the cost of a page shared for the first time, or of a crawler;
the line also gives the service's CPU time per such page, steadier than the rate on a busy
machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "app" / "web"))

from _server import (  # noqa: E402
    free_port,
    service_cpu_seconds,
    service_env,
    start_service,
    wait_listening,
    wait_mail_sent,
)


@dataclass
class Result:
    """Latencies of one target."""

    name: str
    seconds: float
    latencies: list[float]
    errors: int

    def line(self) -> str:
        ordered = sorted(self.latencies)
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        rate = len(ordered) / self.seconds
        return (
            f"{self.name:<22} {rate:>8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
            f"   errors {self.errors}"
        )


def prepare(data_dir: Path, base: str, env: dict[str, str], cold: int = 0) -> list[str]:
    """Migrate the database and issue credentials in-process, through the API (10 for the
    warm targets, then ``cold`` more)."""
    os.environ.update(env)
    from fastapi.testclient import TestClient
    from web_support import Issuer, make_app, make_settings

    from app.core.migrations import upgrade

    upgrade(env["BADGES_DATABASE_URL"])  # as `badges serve` expects it (create_all is a no-op)
    app = make_app(make_settings(data_dir, base, env["BADGES_KEY_ENCRYPTION_KEY"]))
    client = TestClient(app, base_url=base)
    issuer = Issuer(client)
    achievement = issuer.achievement("Data Analysis with Python", achievementType="Certificate")
    ids = [issuer.issue(achievement, name=f"Learner {n}") for n in range(10 + cold)]
    client.close()
    app.state.engine.dispose()
    return ids


async def worker(
    port: int, paths: list[str], headers: str, count: int, out: list[float], offset: int = 0
) -> int:
    """One keep-alive client sending ``count`` GETs from ``paths[offset]`` on; errors.

    It reconnects when a response says ``Connection: close`` (as HTTP clients do: the server
    sheds connections from a worker holding more than its share).
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    for i in range(count):
        path = paths[(offset + i) % len(paths)]
        started = time.perf_counter()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        out.append(time.perf_counter() - started)
        if not head.startswith(b"HTTP/1.1 200"):
            errors += 1
        if b"\r\nconnection: close" in head.lower():
            writer.close()
            await writer.wait_closed()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()
    await writer.wait_closed()
    return errors


async def load(
    name: str, port: int, paths: list[str], headers: str, clients: int, total: int
) -> Result:
    latencies: list[float] = []
    per_client = max(1, total // clients)
    # Warm up (caches, connections) outside the measurement: every path, on every worker
    # process (connections are spread over them), as a page shared for a while would be.
    warm = 2 * len(paths)
    await asyncio.gather(*(worker(port, paths, headers, warm, []) for _ in range(min(clients, 10))))
    started = time.perf_counter()
    errors = await asyncio.gather(
        *(worker(port, paths, headers, per_client, latencies, n) for n in range(clients))
    )
    return Result(name, time.perf_counter() - started, latencies, sum(errors))


async def load_once(name: str, port: int, paths: list[str], headers: str, clients: int) -> Result:
    """Each path once, spread over ``clients`` keep-alive clients: no page is in a cache."""
    latencies: list[float] = []
    share = max(1, len(paths) // clients)
    started = time.perf_counter()
    errors = await asyncio.gather(
        *(
            worker(port, paths[n * share : (n + 1) * share], headers, share, latencies)
            for n in range(min(clients, len(paths)))
        )
    )
    return Result(name, time.perf_counter() - started, latencies, sum(errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cold", type=int, default=0, help="pages to view once each (uncached)")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        env = service_env(
            database_url=f"sqlite:///{data_dir / 'badges.db'}",
            base_url=base,
            data_dir=str(data_dir),
            admin_token="bench-admin-token-" + secrets.token_urlsafe(24),
        )
        ids = prepare(data_dir, base, env, args.cold)
        ids, cold_ids = ids[:10], ids[10:]
        proc = start_service(port, args.workers, env)
        try:
            wait_listening(port, proc)
            mailed = wait_mail_sent(data_dir / "badges.db", proc)
            html = "Accept: text/html\r\nAccept-Language: en\r\n"
            pages = [f"/credentials/{i}" for i in ids]
            qrs = [f"/credentials/{i}/qr.svg" for i in ids]
            runs = [
                ("ping (baseline)", ["/ping"], ""),
                ("credential page", pages, html),
                ("credential page zh-CN", pages, "Accept: text/html\r\nAccept-Language: zh-CN\r\n"),
                ("qr.svg", qrs, ""),
            ]
            print(
                f"workers={args.workers}, {args.clients} concurrent keep-alive clients,"
                f" ~{args.requests} requests each target (after the {mailed} notification"
                " e-mails of the issued credentials were sent)"
            )
            for name, paths, headers in runs:
                result = asyncio.run(load(name, port, paths, headers, args.clients, args.requests))
                print(result.line())
            if cold_ids:
                cold = [f"/credentials/{i}" for i in cold_ids]
                cpu_before = service_cpu_seconds(proc)
                result = asyncio.run(load_once("page, not cached", port, cold, html, args.clients))
                cpu_ms = (service_cpu_seconds(proc) - cpu_before) / len(cold) * 1000
                print(result.line() + f"   service CPU {cpu_ms:.2f} ms/page")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
