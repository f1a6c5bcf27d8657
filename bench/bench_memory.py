"""A worker's memory must not grow with use: RSS after warm-up, many issuances, a verify flood.

Runs in one process standing in for one worker: the real application on a fresh SQLite
database (``tests/app/web/web_support.py``), driven through its service functions rather than
HTTP so that 100,000 issuances take minutes, not an hour (the HTTP layer keeps no per-request
state; the caches under test are the issuing, canonicalising and verifying ones):

1. warm-up: 2,000 issuances and 500 verifications;
2. ``--issue`` issuances (default 100,000) through ``app.credentials.issuing.issue_credential``,
   each to a different recipient (a new credential id and subject every time);
3. ``--verify`` verifications (default 20,000) through ``app.verification.service.
   verify_document``, as ``POST /api/v1/verify`` makes them, of credentials each carrying ids
   never seen before (what an anonymous flood brings; their proofs fail, as a forger's would).

It prints the resident set size after each step; "flat" means within a few MiB. Before
issue 9 (18c) a worker grew ~0.31 MiB per 1,000 issuances and ~57 MiB per 400,000 unique ids.

    .venv/bin/python bench/bench_memory.py [--issue 100000] [--verify 20000]
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import logging
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "app" / "web"))


def rss_mib() -> float:
    """This process's resident set size (Linux ``/proc``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issue", type=int, default=100_000)
    parser.add_argument("--verify", type=int, default=20_000)
    args = parser.parse_args()
    from app.wiring import subscribe_all

    subscribe_all()  # services record domain events (app/wiring.py)
    logging.disable(logging.INFO)  # one log line per issuance would dominate the run

    from fastapi.testclient import TestClient
    from web_support import Issuer, make_app, make_settings

    from app.core.security import IssuerPrincipal, hash_token
    from app.credentials import issuing as credentials
    from app.credentials.schemas import CredentialIssue
    from app.models import ApiKey
    from app.verification.service import verify_document
    from openbadges.jsonld import _fast_context

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(make_settings(Path(tmp)))
        client = TestClient(app)
        issuer = Issuer(client)
        achievement = issuer.achievement("Data Analysis with Python")
        token = issuer.headers["Authorization"].split(" ", 1)[1]
        sessions = app.state.sessionmaker
        context = app.state.context
        with sessions() as session:
            key = session.query(ApiKey).filter_by(token_hash=hash_token(token)).one()
            principal = IssuerPrincipal(key.issuer_id, key.id, "api-key:bench")

        def issue(n: int) -> dict[str, object]:
            data = CredentialIssue.model_validate(
                {"achievementId": achievement, "recipient": {"email": f"l{n}@example.org"}}
            )
            with sessions() as session:
                outcome = credentials.issue_credential(session, context, principal, data)
                document: dict[str, object] = json.loads(outcome.credential.document)
                return document

        def verify_unique(template: dict[str, object]) -> None:
            doc = copy.deepcopy(template)
            doc["id"] = f"urn:uuid:{uuid.uuid4()}"
            subject = doc["credentialSubject"]
            assert isinstance(subject, dict)
            subject["id"] = f"did:example:{uuid.uuid4().hex}"
            with sessions() as session:
                verify_document(session, json.dumps(doc))

        def report(step: str, started: float) -> None:
            gc.collect()
            print(
                f"{step:<44} RSS {rss_mib():7.1f} MiB   ({time.perf_counter() - started:6.1f} s,"
                f" {_fast_context.context_count()} contexts)",
                flush=True,
            )

        started = time.perf_counter()
        template = issue(0)
        for n in range(1, 2_000):
            issue(n)
        for _ in range(500):
            verify_unique(template)
        report("after warm-up", started)
        base = rss_mib()

        started = time.perf_counter()
        for n in range(args.issue):
            issue(10_000_000 + n)
        report(f"after {args.issue:,} issuances", started)
        issued = rss_mib()

        started = time.perf_counter()
        for _ in range(args.verify):
            verify_unique(template)
        report(f"after {args.verify:,} verifications, new ids", started)
        print(f"growth: issuing {issued - base:+.1f} MiB, verifying {rss_mib() - issued:+.1f} MiB")
        client.close()
        app.state.engine.dispose()


if __name__ == "__main__":
    main()
