"""Cost of authenticating an API key on every request, against the old per-worker cache hit.

Issue 9, item 3: workers used to trust a key they had seen for 5 s, so a revocation took up to
5 s to reach the other workers. ``require_issuer`` now reads the key's row on every request (one
probe of the unique ``token_hash`` index, three columns, no ORM object, no transaction; inline
on SQLite, on the event loop over an async connection on PostgreSQL). This prints, from one
run and per database, the mean cost per call (wall clock and CPU) of:

* the old cache hit (SHA-256 of the token, a dict lookup, a clock comparison),
* the check now made (``await require_issuer(request)``), and for comparison the same read
  through the sync engine in the thread pool (the design not taken on PostgreSQL),
* a whole issuer-scoped request in-process (``GET /api/v1/achievements`` over ASGI, no
  socket), to put the check in proportion,

and the ratios. SQLite always; PostgreSQL when reachable (``--database-url``, a database of its
own that is created and dropped).

    .venv/bin/python bench/bench_auth.py [--calls 3000] [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import OperationalError
from starlette.requests import Request

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _database import drop_database, parser_with_database_url, recreate_database  # noqa: E402

from app.core.config import Settings  # noqa: E402
from app.core.migrations import upgrade  # noqa: E402
from app.core.security import (  # noqa: E402
    IssuerPrincipal,
    _look_up,
    hash_token,
    require_issuer,
)
from app.main import create_app  # noqa: E402

ADMIN_TOKEN = "bench-admin-" + secrets.token_urlsafe(24)


async def _mean_us(call: Callable[[], Awaitable[object]], calls: int) -> tuple[float, float]:
    """Mean microseconds per awaited call, wall clock and CPU (all threads of this process),
    after a warm-up. CPU time is the steadier figure on a shared machine."""
    for _ in range(min(200, calls)):
        await call()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await call()
    return (
        (time.perf_counter() - wall) / calls * 1e6,
        (time.process_time() - cpu) / calls * 1e6,
    )


async def measure(url: str, data_dir: Path, calls: int) -> dict[str, tuple[float, float]]:
    """The three costs (µs per call: wall, CPU) against the database at ``url``."""
    settings = Settings(
        environment="development",
        data_dir=data_dir,
        database_url=url,
        admin_token=ADMIN_TOKEN,
        key_encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        log_level="WARNING",
    )
    app = create_app(settings)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),  # as a server runs it (binds the key reader)
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):
        issuer = await client.post("/api/v1/issuers", json={"name": {"en": "B"}}, headers=admin)
        assert issuer.status_code == 201, issuer.text
        issuer_id = issuer.json()["id"]
        key = await client.post(f"/api/v1/issuers/{issuer_id}/api-keys", headers=admin)
        token = key.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/api/v1/achievements",
            "headers": [(b"authorization", f"Bearer {token}".encode())],
            "app": app,
        }
        request = Request(scope)

        # The old hit, as app/core/security.py did it before issue 9 (hash, dict, clock).
        principal = await require_issuer(request)
        cache: dict[str, tuple[float, IssuerPrincipal]] = {
            hashlib.sha256(token.encode()).hexdigest(): (time.monotonic() + 5.0, principal)
        }

        async def old_cache_hit() -> object:
            hit = cache.get(hashlib.sha256(token.encode()).hexdigest())
            assert hit is not None
            assert hit[0] >= time.monotonic()
            return hit[1]

        async def check_now() -> object:
            return await require_issuer(request)

        async def via_thread_pool() -> object:  # the sync engine, as a cache miss did
            return await run_in_threadpool(_look_up, request, hash_token(token))

        async def whole_request() -> object:
            response = await client.get("/api/v1/achievements", headers=headers)
            assert response.status_code == 200
            return response

        costs = {
            "old cache hit": await _mean_us(old_cache_hit, calls * 10),
            "check per request": await _mean_us(check_now, calls),
            "(sync, thread pool)": await _mean_us(via_thread_pool, calls),
            "whole request": await _mean_us(whole_request, max(calls // 3, 100)),
        }
    return costs


def report(name: str, costs: dict[str, tuple[float, float]]) -> None:
    print(f"{name}:{'wall':>22}{'CPU':>12}")
    for label, (wall, cpu) in costs.items():
        print(f"  {label:<18} {wall:9.1f} us {cpu:9.1f} us")
    (old_w, old_c), (now_w, now_c) = costs["old cache hit"], costs["check per request"]
    whole_w, whole_c = costs["whole request"]
    print(f"  {'check / old hit':<18} {now_w / old_w:9.1f} x  {now_c / old_c:9.1f} x")
    print(
        f"  {'added to a request':<18} {(now_w - old_w) / whole_w:9.1%}    "
        f"{(now_c - old_c) / whole_c:9.1%}"
    )


def main() -> None:
    parser = parser_with_database_url(
        __doc__, env="BADGES_BENCH_AUTH_DATABASE_URL", name="badges_bench_auth"
    )
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        sqlite_url = f"sqlite:///{data_dir}/bench.db"
        upgrade(sqlite_url)
        report("SQLite", asyncio.run(measure(sqlite_url, Path(data_dir), args.calls)))
        try:
            recreate_database(args.database_url)
        except OperationalError:
            print("PostgreSQL: not reachable, skipped")
            return
        try:
            upgrade(args.database_url)
            report(
                "PostgreSQL", asyncio.run(measure(args.database_url, Path(data_dir), args.calls))
            )
        finally:
            drop_database(args.database_url)


if __name__ == "__main__":
    main()
