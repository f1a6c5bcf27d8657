"""Status index allocation as a list fills: the rate must stay flat (issue 9, item 18b).

Measures ``app.status.service.allocate`` (what every issuance runs, in its own transaction with
its commit, signing excluded) in windows at a list 0 %, 25 %, 50 %, 75 %, 90 % and 99.9 % full
(the last window ends a few positions before the end) and across the switch to a new list,
on the real 131,072-entry list (the code refuses smaller ones). Between windows the list is
fast-forwarded: the allocation rows and the counter are written in bulk exactly as the allocator
would have written them (its keyed permutation of the positions), so each window runs against a
list that really holds that many allocations; the database then settles (VACUUM ANALYZE and a
checkpoint on PostgreSQL, a WAL checkpoint on SQLite) so the bulk write's aftermath does not
land in the measured window. On PostgreSQL commits do not wait for the WAL flush
(``synchronous_commit = off``, this bench's sessions only): that wait is the same at any
fullness and the noisiest part on a shared disk.

Printed from one run: allocations/s per window (best of ten parts) and its ratio to the empty
list's window; SQL statements per allocation (including BEGIN/COMMIT where the driver sends
them) and the client's CPU per allocation, which do not depend on the machine's other load; and,
for contrast, how many random draws a draw-and-retry allocator (the former one) would need per
allocation at that fullness, measured on the list's actual taken indexes.

    .venv/bin/python bench/bench_status_fill.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/badges_bench_status] [--window 2000]

Without ``--database-url`` it runs on SQLite in a temporary folder. A PostgreSQL database is
created fresh under the given name and dropped at the end.
"""

from __future__ import annotations

import argparse
import base64
import random
import secrets
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.achievements import service as achievements  # noqa: E402
from app.achievements.schemas import AchievementCreate  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.context import AppContext  # noqa: E402
from app.core.db import make_autocommit_engine, make_engine, make_sessionmaker  # noqa: E402
from app.core.migrations import upgrade  # noqa: E402
from app.issuers import service as issuers  # noqa: E402
from app.issuers.schemas import IssuerCreate  # noqa: E402
from app.models import Credential, StatusAllocation, StatusList  # noqa: E402
from app.status import service as status  # noqa: E402
from openbadges.status_list import permuted_index  # noqa: E402

FILLS = (0.0, 0.25, 0.5, 0.75, 0.9, 0.999)


def _admin_engine(url: str) -> Engine:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _create_database(url: str) -> None:
    name = make_url(url).database
    with _admin_engine(url).connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))


def _drop_database(url: str) -> None:
    with _admin_engine(url).connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def _credential_rows(
    issuer_id: uuid.UUID, achievement_id: uuid.UUID, count: int
) -> list[dict[str, Any]]:
    """Bare credential rows for allocations to point at (their documents do not matter here)."""
    now = datetime.now(UTC).replace(microsecond=0)
    return [
        {
            "id": uuid.uuid4(),
            "issuer_id": issuer_id,
            "achievement_id": achievement_id,
            "document": "{}",
            "proof_format": "data-integrity",
            "valid_from": now,
            "created_at": now,
        }
        for _ in range(count)
    ]


def _no_commit_flush(dbapi_connection: Any, _record: Any) -> None:
    """``synchronous_commit = off``: a commit's WAL flush wait is the same at any fullness and,
    on a shared disk, the noisiest part of a window; without it the window measures the
    allocation's own statements."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    dbapi_connection.commit()


class Bench:
    """One issuer, its revocation list, and credential rows to allocate for."""

    def __init__(self, url: str, data_dir: str) -> None:
        settings = Settings(
            environment="development",
            data_dir=Path(data_dir),
            database_url=url,
            base_url="https://bench.example",
            admin_token="bench-admin-" + secrets.token_urlsafe(24),
            key_encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        )
        upgrade(url)
        self.engine = make_engine(url)
        self.autocommit = make_autocommit_engine(url)
        self.statements, self.per_allocation, self.cpu_us = 0, 0.0, 0.0
        for engine in (self.engine, self.autocommit):
            if engine is None:
                continue
            event.listen(engine, "before_cursor_execute", self._count)
            if engine.dialect.name == "postgresql":
                event.listen(engine, "connect", _no_commit_flush)
        self.context = AppContext.from_settings(settings)
        self.sessions: sessionmaker[Session] = make_sessionmaker(
            self.engine, self.context, self.autocommit
        )
        with self.sessions() as session:
            issuer = issuers.create_issuer(
                session, self.context, IssuerCreate(name={"en": "Bench U"}), actor="bench"
            )
            achievement = achievements.create_achievement(
                session,
                issuer.id,
                AchievementCreate.model_validate(
                    {"name": "Bench", "description": "Bench.", "criteria": {"narrative": "x"}}
                ),
                actor="bench",
            )
            self.issuer_id, self.achievement_id = issuer.id, achievement.id

    def credentials(self, count: int) -> list[uuid.UUID]:
        rows = _credential_rows(self.issuer_id, self.achievement_id, count)
        with self.engine.begin() as connection:
            connection.execute(insert(Credential.__table__), rows)  # type: ignore[arg-type]
        return [row["id"] for row in rows]

    def open_list(self) -> tuple[uuid.UUID, int, bytes, int]:
        """``(id, next_position, key, size)`` of the issuer's open revocation list."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(
                    StatusList.id,
                    StatusList.next_position,
                    StatusList.permutation_key,
                    StatusList.size,
                )
                .where(
                    StatusList.issuer_id == self.issuer_id,
                    StatusList.purpose == "revocation",
                    StatusList.is_full.is_(False),
                )
                .order_by(StatusList.created_at)
            ).first()
        assert row is not None
        return row[0], row[1], bytes.fromhex(row[2]), row[3]

    def fast_forward(self, target: int) -> None:
        """Write the allocations of positions ``[counter, target)`` in bulk, as issued."""
        list_id, position, key, size = self.open_list()
        target = min(target, size - 1)
        if target <= position:
            return
        status.forget_reservations()  # this worker's block is overtaken by the bulk write
        credential_ids = self.credentials(target - position)
        rows = [
            {
                "id": uuid.uuid4(),
                "list_id": list_id,
                "index": permuted_index(key, size, p),
                "credential_id": credential_id,
                "purpose": "revocation",
            }
            for p, credential_id in zip(range(position, target), credential_ids, strict=True)
        ]
        with self.engine.begin() as connection:
            for start in range(0, len(rows), 20_000):
                connection.execute(
                    insert(StatusAllocation.__table__),  # type: ignore[arg-type]
                    rows[start : start + 20_000],
                )
            connection.execute(
                update(StatusList).where(StatusList.id == list_id).values(next_position=target)
            )
        self.settle()

    def settle(self) -> None:
        """Do now the work a bulk write leaves to background processes."""
        if self.autocommit is None:
            raw = self.engine.raw_connection()  # outside a transaction (SQLAlchemy begins one)
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
            return
        with self.autocommit.connect() as connection:
            connection.exec_driver_sql("VACUUM ANALYZE status_allocations, credentials")
            connection.exec_driver_sql("CHECKPOINT")

    def window(self, count: int, chunks: int = 10) -> tuple[float, set[uuid.UUID]]:
        """Allocate ``count`` indexes, one transaction each; allocations/s and the lists used.

        The rate is the best of ``chunks`` consecutive parts of the window (the least
        disturbed by other processes: the machine may be shared); the median is noisier.
        """
        credential_ids = self.credentials(count)
        self.settle()
        lists: set[uuid.UUID] = set()
        rates = []
        per_chunk = max(1, count // chunks)
        self.statements = 0
        cpu = time.process_time()
        for start in range(0, count, per_chunk):
            part = credential_ids[start : start + per_chunk]
            started = time.perf_counter()
            for credential_id in part:
                with self.sessions() as session:
                    taken = status.take_slots(
                        session, self.context, self.issuer_id, suspension=False
                    )
                    session.execute(  # the row the issuance's writer would insert
                        insert(StatusAllocation),
                        [
                            {
                                "list_id": taken[0].list_id,
                                "index": taken[0].index,
                                "credential_id": credential_id,
                                "purpose": "revocation",
                            }
                        ],
                    )
                    session.commit()
                lists.add(taken[0].list_id)
            rates.append(len(part) / (time.perf_counter() - started))
        self.cpu_us = (time.process_time() - cpu) / count * 1e6
        self.per_allocation = self.statements / count
        return max(rates), lists

    def _count(self, *_: Any) -> None:
        self.statements += 1

    def retry_draws(self, samples: int = 2000) -> float:
        """Mean random draws per allocation of a draw-until-free allocator on this list."""
        list_id, _, _, size = self.open_list()
        with self.engine.connect() as connection:
            taken = set(
                connection.execute(
                    select(StatusAllocation.index).where(StatusAllocation.list_id == list_id)
                ).scalars()
            )
        if len(taken) >= size:
            return float("inf")
        rng = random.Random(7)
        draws = 0
        for _ in range(samples):
            draws += 1
            while rng.randrange(size) in taken:
                draws += 1
        return draws / samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--window", type=int, default=2000, help="allocations per window")
    args = parser.parse_args()
    from app.wiring import subscribe_all

    subscribe_all()  # services record domain events (app/wiring.py)
    with tempfile.TemporaryDirectory() as data_dir:
        url = args.database_url or f"sqlite:///{data_dir}/bench_status.db"
        postgres = make_url(url).get_backend_name() == "postgresql"
        if postgres:
            _create_database(url)
        try:
            run(Bench(url, data_dir), args.window, make_url(url).get_backend_name())
        finally:
            if postgres:
                _drop_database(url)


def run(bench: Bench, window: int, backend: str) -> None:
    size = status.LIST_SIZE
    print(f"status index allocation on {backend}: list of {size}, windows of {window}")
    print(
        f"{'list full':>10} {'alloc/s':>9} {'ratio':>6} {'SQL/alloc':>10} {'client CPU':>11}"
        f" {'retry draws':>12}"
    )
    bench.window(200)  # warm-up: statements built, connections opened
    baseline = None
    for fill in FILLS:
        bench.fast_forward(min(round(fill * size), size - window - 2 * status.RESERVE_BLOCK))
        _, position, _, _ = bench.open_list()
        draws = bench.retry_draws()
        rate, _ = bench.window(window)
        baseline = baseline or rate
        print(
            f"{position / size:>10.1%} {rate:>9.0f} {rate / baseline:>6.2f}"
            f" {bench.per_allocation:>10.2f} {bench.cpu_us:>9.0f}us {draws:>12.1f}"
        )
    # Across the switch: half the window in the last positions, half in a new list.
    first_list, _, _, _ = bench.open_list()
    bench.fast_forward(size - window // 2)
    status.forget_reservations()
    rate, lists = bench.window(window)
    assert first_list in lists, lists
    assert len(lists) == 2, lists
    print(
        f"{'switch':>10} {rate:>9.0f} {rate / (baseline or rate):>6.2f}"
        f" {bench.per_allocation:>10.2f} {bench.cpu_us:>9.0f}us {'(new list)':>12}"
    )
    with bench.engine.connect() as connection:
        full = connection.execute(
            select(StatusList.is_full).where(StatusList.id == first_list)
        ).scalar_one()
        duplicates = connection.execute(
            text(
                'SELECT count(*) FROM (SELECT list_id, "index" FROM status_allocations '
                'GROUP BY list_id, "index" HAVING count(*) > 1) AS d'
            )
        ).scalar_one()
    print(f"first list marked full: {full}; duplicate indexes: {duplicates}")


if __name__ == "__main__":
    main()
