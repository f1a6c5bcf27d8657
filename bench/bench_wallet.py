"""Offer → credential in a wallet: how long a learner's wallet waits, per protocol.

Starts ``badges serve`` (``--workers``, default 2) on 127.0.0.1, creates an issuer and an
achievement, then for each round issues a credential and makes its offer (not timed) and runs
the scripted wallet of ``tests/app/wallets/scripted_wallet.py`` over real HTTP (timed):

* OpenID4VCI 1.0: offer URI → issuer and AS metadata → token → nonce → credential
  (``ldp_vc``, an Ed25519 key proof by did:key),
* VC-API (as the DCC Learner Credential Wallet): ``POST {}`` → DIDAuth presentation
  (Ed25519Signature2020) → credential.

Prints p50/p95/max in milliseconds per protocol (wallet-side signing included). SQLite in a
temporary folder by default; ``--database-url postgresql+psycopg://…`` for PostgreSQL (a
database of its own, recreated).

    .venv/bin/python bench/bench_wallet.py [--rounds 50] [--database-url …]
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "app" / "wallets"))

from _database import drop_database, parser_with_database_url, recreate_database  # noqa: E402
from _server import free_port, service_env, start_service  # noqa: E402
from scripted_wallet import HolderKey, ScriptedWallet  # noqa: E402

from app.core.migrations import upgrade  # noqa: E402
from openbadges.keys import KeyType, SigningKey  # noqa: E402

ENV = "BADGES_BENCH_WALLET_DATABASE_URL"
ADMIN_TOKEN = "bench-admin-" + secrets.token_urlsafe(24)


def _setup(http: httpx.Client) -> tuple[dict[str, str], str]:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    issuer = http.post("/api/v1/issuers", json={"name": {"en": "Bench U"}}, headers=admin).json()
    token = http.post(f"/api/v1/issuers/{issuer['id']}/api-keys", headers=admin).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"name": "Bench", "description": "d", "criteria": {"narrative": "c"}}
    achievement = http.post("/api/v1/achievements", json=body, headers=headers).json()
    return headers, achievement["id"]


def _offer(http: httpx.Client, headers: dict[str, str], achievement: str) -> dict[str, Any]:
    body = {"achievementId": achievement, "recipient": {"email": "l@example.org"}, "proof": "both"}
    credential = http.post("/api/v1/credentials", json=body, headers=headers).json()
    offer = http.post(f"/api/v1/credentials/{credential['id']}/offers", headers=headers)
    assert offer.status_code == 201, offer.text
    data: dict[str, Any] = offer.json()
    data["oid4vci"] = data.get("oid4vciOffer") or data.get("oid4VciOffer")
    return data


def _oid4vci(wallet: ScriptedWallet, offer: dict[str, Any]) -> None:
    wallet.receive(offer["oid4vci"], HolderKey(), "OpenBadgeCredential_ldp_vc")


def _vcapi(wallet: ScriptedWallet, offer: dict[str, Any]) -> None:
    key = SigningKey.generate(KeyType.ED25519)
    url, request = wallet.start_exchange(offer["lcwLink"])
    vp = wallet.did_auth(key, challenge=request["challenge"], domain=request["domain"])
    response = wallet.http.post(url, json={"verifiablePresentation": vp})
    assert response.status_code == 200, response.text


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"p50 {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   "
        f"max {ordered[-1] * 1000:6.1f} ms   (n={len(ordered)})"
    )


def run(base: str, rounds: int) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        headers, achievement = _setup(http)
        wallet = ScriptedWallet(http)
        for name, flow in (("OpenID4VCI (ldp_vc)", _oid4vci), ("VC-API exchange", _vcapi)):
            flow(wallet, _offer(http, headers, achievement))  # warm-up
            samples = []
            for _ in range(rounds):
                offer = _offer(http, headers, achievement)
                started = time.perf_counter()
                flow(wallet, offer)
                samples.append(time.perf_counter() - started)
            print(f"{name:<22} {_percentiles(samples)}")


def main() -> None:
    parser = parser_with_database_url(__doc__, env=ENV, name="")
    parser.set_defaults(database_url=os.environ.get(ENV))  # SQLite unless asked otherwise
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        url = args.database_url or f"sqlite:///{data_dir}/bench.db"
        recreate_database(url)
        upgrade(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = service_env(
            database_url=url, base_url=base, data_dir=data_dir, admin_token=ADMIN_TOKEN
        )
        env["BADGES_WALLET_RATE_PER_MINUTE"] = "0"  # one client address drives every round
        server = start_service(port, args.workers, env)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            print(f"database: {url.split('://')[0]}, workers: {args.workers}")
            run(base, args.rounds)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if url.startswith("postgresql"):
                drop_database(url)


if __name__ == "__main__":
    main()
