"""HTTP benchmark of the issuing service: issuance rate and latency, public JSON reads.

Starts ``badges serve`` (``--workers``, default 2) on 127.0.0.1 against PostgreSQL, creates an issuer,
then drives it with concurrent asyncio clients and prints, from the same run:

* the bare FastAPI ``/ping`` rate (the ceiling of this machine + server),
* ``POST /api/v1/credentials`` (eddsa-rdfc-2022) credentials/s with p50/p99 latency,
* ``GET /credentials/{id}.json`` requests/s.

Every loop is bounded by a request count and a time limit. Targets: ≥300 issued/s with p99
≤100 ms; ≥2000 .json GET/s.

    .venv/bin/python bench/bench_api.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/badges_bench]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _database import parser_with_database_url, recreate_database  # noqa: E402
from _server import free_port, service_env, start_service  # noqa: E402

from app.core.migrations import upgrade  # noqa: E402

ADMIN_TOKEN = "bench-admin-" + secrets.token_urlsafe(24)


def start_server(url: str, port: int, workers: int, data_dir: str) -> subprocess.Popen[bytes]:
    env = service_env(
        database_url=url,
        base_url=f"http://127.0.0.1:{port}",
        data_dir=data_dir,
        admin_token=ADMIN_TOKEN,
    )
    return start_service(port, workers, env)


def wait_ready(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready")


def setup(base: str) -> tuple[dict[str, str], str]:
    """An issuer, an API key and an achievement."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        issuer = client.post(
            "/api/v1/issuers", json={"name": {"en": "Bench University"}}, headers=admin
        ).json()
        token = client.post(f"/api/v1/issuers/{issuer['id']}/api-keys", headers=admin).json()[
            "token"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        achievement = client.post(
            "/api/v1/achievements",
            json={
                "name": "Data Analysis with Python",
                "description": "Analyses data.",
                "criteria": {"narrative": "Pass the project."},
                "achievementType": "MicroCredential",
                "creditsAvailable": 3,
                "tags": ["python"],
                "alignment": [
                    {"targetName": "Data analysis", "targetUrl": "https://example.org/skills/da"}
                ],
            },
            headers=headers,
        ).json()
    return headers, achievement["id"]


@dataclass
class Reply:
    """Status and body of one response."""

    status_code: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough HTTP for this service.

    The load generator shares the 2 cores with the server: httpx's AsyncClient costs more CPU
    per request than the service's bare ``/ping``, so it measured itself. Raw asyncio streams
    (as in ``bench_pages.py``) leave the cores to the server.
    """

    def __init__(
        self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.port, self.reader, self.writer = port, reader, writer
        self.reconnects = 0

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(port, reader, writer)

    async def _reopen(self) -> None:
        """The server asked to close (``Connection: close``, as any HTTP client honours)."""
        await self.close()
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.reconnects += 1

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Reply:
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length, closing = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                closing = True
        reply = Reply(int(head.split(b" ", 2)[1]), await self.reader.readexactly(length))
        if closing:
            await self._reopen()
        return reply

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def drive(
    port: int,
    concurrency: int,
    total: int,
    time_limit: float,
    request: Callable[[Connection, int], Awaitable[Reply]],
) -> tuple[float, list[float], list[Reply]]:
    """Run ``total`` requests from ``concurrency`` clients; returns (rate, latencies, responses)."""
    counter = iter(range(total))
    latencies: list[float] = []
    responses: list[Reply] = []
    deadline = time.monotonic() + time_limit

    async def worker() -> None:
        connection = await Connection.open(port)
        try:
            for n in counter:
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                response = await request(connection, n)
                latencies.append(time.perf_counter() - started)
                responses.append(response)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, responses


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def run(base: str, port: int, args: argparse.Namespace) -> None:
    headers, achievement_id = setup(base)

    async def ping(client: Connection, _n: int) -> Reply:
        return await client.request("GET", "/ping")

    await drive(port, 16, 500, 10, ping)  # warm-up
    ping_rate, _, _ = await drive(port, args.concurrency, args.ping_requests, args.time_limit, ping)

    async def issue(client: Connection, n: int) -> Reply:
        body = {
            "achievementId": achievement_id,
            "recipient": {"email": f"learner{n}@example.org", "name": f"Learner {n}"},
        }
        return await client.request("POST", "/api/v1/credentials", headers, body)

    await drive(port, 8, 100, 20, issue)  # warm-up: key cache, connection pools
    issue_rate, latencies, responses = await drive(
        port, args.concurrency, args.issues, args.time_limit, issue
    )
    failures = sum(r.status_code != 201 for r in responses)
    ids = [r.json()["id"] for r in responses if r.status_code == 201]

    async def read(client: Connection, n: int) -> Reply:
        return await client.request("GET", f"/credentials/{ids[n % len(ids)]}.json")

    read_rate, read_latencies, reads = await drive(
        port, args.concurrency, args.reads, args.time_limit, read
    )
    read_failures = sum(r.status_code != 200 for r in reads)

    print(
        f"workers={args.workers} concurrency={args.concurrency} database={make_url(args.database_url).get_backend_name()}"
    )
    print(f"GET /ping                      {ping_rate:8.0f} req/s   (bare FastAPI, same run)")
    print(
        f"POST /api/v1/credentials       {issue_rate:8.0f} credentials/s   p50 {percentile(latencies, 0.5):6.1f} ms"
        f"   p99 {percentile(latencies, 0.99):6.1f} ms   n={len(latencies)} failures={failures}"
    )
    print(
        f"GET /credentials/{{id}}.json     {read_rate:8.0f} req/s   p50 {percentile(read_latencies, 0.5):6.1f} ms"
        f"   p99 {percentile(read_latencies, 0.99):6.1f} ms   n={len(read_latencies)} failures={read_failures}"
    )


def main() -> None:
    parser = parser_with_database_url(__doc__, env="BADGES_BENCH_DATABASE_URL", name="badges_bench")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--issues", type=int, default=3000)
    parser.add_argument("--reads", type=int, default=20000)
    parser.add_argument("--ping-requests", type=int, default=20000)
    parser.add_argument("--time-limit", type=float, default=20.0, help="seconds per phase")
    args = parser.parse_args()

    recreate_database(args.database_url)
    upgrade(args.database_url)
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(args.database_url, port, args.workers, data_dir)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base)
            asyncio.run(run(base, port, args))
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
