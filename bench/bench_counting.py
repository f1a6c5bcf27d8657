"""What counting page views costs the credential page: cached pages with counting on and off.

Every credential page a worker serves adds one to an in-memory counter
(:func:`app.hot.usage.count`: a dict update under a lock; a thread writes the counts every
10 s). This bench measures the cached page's throughput with that call and with it replaced
by a no-op in the same run, alternating rounds so that both see the same machine, and prints
the ratio. Nothing in the service can switch counting off: the no-op is this bench's own
monkeypatch.

Two modes:

* default, in-process: the real application (every middleware, the pre-routing shortcut that
  answers cached pages) driven through ASGI without sockets, so the difference is not lost
  in network noise; requests/s is the application's own cost per page on one core;
* ``--http``: two ``uvicorn`` servers in child processes of this bench, one counting and one
  patched, loaded in turn by keep-alive clients (as ``bench_pages.py`` loads a service).

    .venv/bin/python bench/bench_counting.py [--requests 2000] [--rounds 21]
    .venv/bin/python bench/bench_counting.py --http [--clients 50] [--requests 2000]

It also times the counting call alone (a stable number on a busy machine, where the page
rates of single rounds vary much more than the difference being measured).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "app" / "web"))

from _server import free_port  # noqa: E402
from bench_pages import worker  # noqa: E402

BASE = "http://127.0.0.1"


def _noop(*_args: object) -> None:
    """What the page calls instead of counting, in the "off" rounds."""


def _prepare(data_dir: Path) -> tuple[Any, list[str], Any]:
    """A fresh SQLite service with 10 credentials; the app, their ids and the settings."""
    from fastapi.testclient import TestClient
    from web_support import Issuer, make_app, make_settings

    from app.core.migrations import upgrade

    kek = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    settings = make_settings(data_dir, BASE, kek)
    upgrade(settings.database_url)
    app = make_app(settings)
    client = TestClient(app, base_url=BASE)
    issuer = Issuer(client)
    achievement = issuer.achievement("Data Analysis with Python", achievementType="Certificate")
    ids = [issuer.issue(achievement, name=f"Learner {n}") for n in range(10)]
    client.close()
    return app, ids, settings


# --- in-process -------------------------------------------------------------------------------


async def _asgi_round(app: Any, paths: list[str], requests: int) -> float:
    """Requests/s of ``requests`` cached page GETs straight through the ASGI app."""
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for n in range(requests):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": paths[n % len(paths)],
            "raw_path": paths[n % len(paths)].encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"accept", b"text/html")],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 80),
        }
        await app(scope, receive, send)
    elapsed = time.perf_counter() - started
    bad = [s for s in statuses if s != 200]
    if bad:
        raise SystemExit(f"{len(bad)} responses were not 200 (first: {bad[0]})")
    return requests / elapsed


def in_process(requests: int, rounds: int) -> None:
    from app.hot import usage

    with tempfile.TemporaryDirectory() as tmp:
        app, ids, _ = _prepare(Path(tmp))
        paths = [f"/credentials/{i}" for i in ids]
        counting: Callable[..., None] = usage.count
        results: dict[str, list[float]] = {"on": [], "off": []}

        async def run() -> None:
            await _asgi_round(app, paths, 2 * len(paths))  # render and cache every page
            for _ in range(rounds):
                for mode in ("on", "off"):
                    usage.count = counting if mode == "on" else _noop  # type: ignore[assignment]
                    # the state is re-read once a second: keep it warm inside the round
                    results[mode].append(await _asgi_round(app, paths, requests))
            usage.count = counting  # type: ignore[assignment]

        counted_before = sum(usage.usage_counts.counts.values())
        asyncio.run(run())
        counted = sum(usage.usage_counts.counts.values()) - counted_before
        app.state.engine.dispose()
    _report("in-process ASGI, cached page", results, rounds)
    per_count = _count_cost()
    per_page = 1e6 / statistics.median(results["off"])
    print(
        f"  one count() call: {per_count:.2f} us; one cached page without it: {per_page:.1f} us "
        f"({100 * per_count / per_page:.2f}% of a page)"
    )
    print(
        f"views counted in the 'on' rounds: {counted - 2 * len(paths)} "
        f"(expected {rounds * requests})"
    )


def _count_cost(calls: int = 200_000) -> float:
    """Microseconds per :func:`app.hot.usage.count` call (best of five runs)."""
    import uuid

    from app.hot import usage

    issuer, achievement = uuid.uuid4(), uuid.uuid4()
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            usage.count(usage.VIEW, issuer, achievement)
        best = min(best, time.perf_counter() - started)
    usage.usage_counts.clear()
    return best / calls * 1e6


# --- over HTTP --------------------------------------------------------------------------------


def _serve(data_dir: str, port: int, counting: bool) -> None:
    """A child process: the service on ``port``, counting or patched (this bench's switch)."""
    import uvicorn
    from web_support import make_settings

    from app.hot import usage
    from app.main import create_app

    if not counting:
        usage.count = _noop  # type: ignore[assignment]
    settings = make_settings(Path(data_dir), BASE, os.environ["BENCH_KEK"])
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def _wait_listening(port: int, timeout_s: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"no server on port {port}")


async def _http_round(port: int, paths: list[str], clients: int, requests: int) -> float:
    latencies: list[float] = []
    per_client = max(1, requests // clients)
    started = time.perf_counter()
    errors = await asyncio.gather(
        *(
            worker(port, paths, "Accept: text/html\r\n", per_client, latencies, n)
            for n in range(clients)
        )
    )
    if sum(errors):
        raise SystemExit(f"{sum(errors)} responses were not 200")
    return len(latencies) / (time.perf_counter() - started)


def over_http(clients: int, requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kek = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        os.environ["BENCH_KEK"] = kek
        from fastapi.testclient import TestClient
        from web_support import Issuer, make_app, make_settings

        from app.core.migrations import upgrade

        settings = make_settings(Path(tmp), BASE, kek)
        upgrade(settings.database_url)
        app = make_app(settings)
        client = TestClient(app, base_url=BASE)
        issuer = Issuer(client)
        achievement = issuer.achievement("Data Analysis", achievementType="Certificate")
        paths = [f"/credentials/{issuer.issue(achievement)}" for _ in range(10)]
        client.close()
        app.state.engine.dispose()
        context = multiprocessing.get_context("spawn")
        ports = {"on": free_port(), "off": free_port()}
        servers = {
            mode: context.Process(target=_serve, args=(tmp, ports[mode], mode == "on"))
            for mode in ports
        }
        for process in servers.values():
            process.start()
        try:
            for port in ports.values():
                _wait_listening(port)
            results: dict[str, list[float]] = {"on": [], "off": []}

            async def run() -> None:
                for port in ports.values():
                    await _http_round(port, paths, min(clients, 10), 4 * len(paths))
                for _ in range(rounds):
                    for mode, port in ports.items():
                        results[mode].append(await _http_round(port, paths, clients, requests))

            asyncio.run(run())
        finally:
            for process in servers.values():
                process.terminate()
                process.join(10)
    _report(f"HTTP, {clients} keep-alive clients, cached page", results, rounds)


def _report(title: str, results: dict[str, list[float]], rounds: int) -> None:
    on, off = statistics.median(results["on"]), statistics.median(results["off"])
    print(f"{title} ({rounds} alternating rounds, median)")
    print(
        f"  counting on : {on:9.0f} pages/s   rounds: {', '.join(f'{r:.0f}' for r in results['on'])}"
    )
    print(
        f"  counting off: {off:9.0f} pages/s   rounds: {', '.join(f'{r:.0f}' for r in results['off'])}"
    )
    print(f"  on / off    : {on / off:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", action="store_true", help="two uvicorn servers over HTTP")
    parser.add_argument("--requests", type=int, default=2_000, help="per round and mode")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--clients", type=int, default=50, help="--http only")
    args = parser.parse_args()
    if args.http:
        over_http(args.clients, args.requests, args.rounds)
    else:
        in_process(args.requests, args.rounds)


if __name__ == "__main__":
    main()
