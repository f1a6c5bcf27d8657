"""``badges serve --workers N``: one listening socket per worker, restarts, clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.skipif(
    not hasattr(socket, "SO_REUSEPORT") or not Path("/proc/net/tcp").exists(),
    reason="per-worker sockets need Linux's SO_REUSEPORT",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LISTEN, ESTABLISHED = "0A", "01"
"""TCP states as /proc/net/tcp writes them."""


def _socket_inodes(port: int, state: str = LISTEN) -> set[str]:
    """Inodes of the IPv4 sockets on local ``port`` in ``state``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def _owners(port: int, state: str = LISTEN) -> dict[int, int]:
    """pid -> how many of the sockets on local ``port`` in ``state`` it holds."""
    inodes = _socket_inodes(port, state)
    owners: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue
        held = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)
        if held:
            owners[int(entry.name)] = held
    return owners


def _serve_command(tmp_path: Path, port: int) -> tuple[list[str], dict[str, str]]:
    """``badges serve --workers 2`` on a fresh SQLite database, and its environment."""
    env = {
        **os.environ,
        "BADGES_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "BADGES_DATA_DIR": str(tmp_path / "data"),
        "BADGES_BASE_URL": f"http://127.0.0.1:{port}",
        "BADGES_LOG_LEVEL": "WARNING",
    }
    badges = str(Path(sys.executable).with_name("badges"))
    return [badges, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], env


def _start_serve(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    command, env = _serve_command(tmp_path, port)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


def _wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_each_worker_listens_on_its_own_socket_and_is_replaced_when_it_dies(
    tmp_path: Path,
) -> None:
    port = _free_port()
    server = _start_serve(tmp_path, port)
    try:
        _wait_for(lambda: len(_owners(port)) == 2)
        owners = _owners(port)
        assert set(owners.values()) == {1}, owners  # two processes, one socket each
        assert server.pid not in owners  # the supervisor itself accepts nothing
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200

        victim = next(iter(owners))
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: len(_owners(port)) == 2 and victim not in _owners(port))
        for _ in range(10):  # new connections, spread over both sockets, all answered
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    assert not _socket_inodes(port)


def test_a_worker_holding_more_than_its_share_sheds_connections() -> None:
    from app.serving.workers import ConnectionBalance

    counts = [0, 0]
    heavy, light = ConnectionBalance(counts, 0), ConnectionBalance(counts, 1)
    light.publish(5)
    heavy.publish(11)  # share: ceil(16 / 2) = 8
    assert [heavy.should_shed() for _ in range(4)] == [True, True, True, False]
    light.publish(8)  # shed ones came back here
    assert not light.should_shed()
    heavy.publish(8)
    assert not heavy.should_shed()


def test_responses_of_a_worker_over_its_share_say_connection_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from app.serving import workers

    app = FastAPI()
    app.add_middleware(workers.ConnectionRebalance)

    @app.get("/x")
    def x() -> dict[str, str]:
        return {"ok": "yes"}

    client = TestClient(app)
    assert "connection" not in client.get("/x").headers  # not under the supervisor
    balance = workers.ConnectionBalance([3, 1], 0)
    monkeypatch.setattr(workers, "_balance", balance)
    balance.publish(3)  # share 2: one to shed
    assert client.get("/x").headers["connection"] == "close"
    assert "connection" not in client.get("/x").headers


def _answers(port: int) -> bool:
    """True when a request on a new connection is answered within a second."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


async def _keep_alive_client(port: int, seconds: float) -> None:
    """Requests on one connection, reconnecting when the server says ``Connection: close``."""
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if b"content-length" in line
        )
        await reader.readexactly(length)
        if b"connection: close" in head.lower():
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.sleep(0.01)
    writer.close()


def test_sixteen_keep_alive_connections_end_up_spread_over_two_workers(tmp_path: Path) -> None:
    import asyncio

    port = _free_port()
    server = _start_serve(tmp_path, port)
    try:
        _wait_for(lambda: len(_owners(port)) == 2)
        # A worker listens before its application has started; connections it has not yet
        # accepted belong to no process. Load starts once fresh connections (spread over both
        # sockets by the kernel) are answered again and again.
        _wait_for(lambda: all(_answers(port) for _ in range(12)))

        async def load() -> dict[int, int]:
            clients = [asyncio.create_task(_keep_alive_client(port, 4.0)) for _ in range(16)]
            await asyncio.sleep(3.0)
            spread = _owners(port, ESTABLISHED)
            await asyncio.gather(*clients)
            return spread

        spread = asyncio.run(load())
        assert sum(spread.values()) >= 15, spread  # one may be reconnecting right now
        assert max(spread.values()) <= 9, spread  # share 8, one in flight being re-placed
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_says_plainly_when_the_port_is_taken_before_printing_anything(
    tmp_path: Path, workers: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command, env = _serve_command(tmp_path, port)
        command[command.index("--workers") + 1] = workers
        result = subprocess.run(
            [*command, "--demo"], env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert result.returncode == 1
    assert result.stderr == f"cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert result.stdout == ""  # no demo URL, no admin token, no banner
    assert not (tmp_path / "serve.db").exists()  # nothing migrated or loaded either
