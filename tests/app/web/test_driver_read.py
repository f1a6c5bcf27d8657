"""The page's row read on the SQLite driver's connection gives exactly what the same
statement gives through SQLAlchemy (issue 9, item 18d: the cold page's database time)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, bindparam, select
from web_support import fresh_issuer

from app.core.db import ONE_READ
from app.core.driver_read import DriverRead
from app.credentials import repository
from app.models import Credential


def _through_sqlalchemy(engine: Engine, credential_id: uuid.UUID) -> dict[str, object] | None:
    with engine.connect().execution_options(**ONE_READ) as connection:
        row = connection.execute(repository._PAGE_ROW, {"credential_id": credential_id}).first()
    return None if row is None else row._asdict()


def test_driver_read_gives_what_sqlalchemy_gives(tmp_path: Path) -> None:
    with fresh_issuer(tmp_path) as issuer:
        achievement = issuer.achievement("Statistics")
        plain = issuer.issue(achievement, name=None)
        expiring = issuer.issue(achievement, validUntil="2031-05-01T12:00:00Z")
        revoked = issuer.issue(achievement, name="Grace")
        issuer.change(revoked, "revoke")
        suspended = issuer.issue(achievement, name="李明")
        issuer.change(suspended, "suspend")
        engine: Engine = issuer.client.app.state.engine  # type: ignore[attr-defined]
        for credential_id in (plain, expiring, revoked, suspended):
            key = uuid.UUID(credential_id)
            expected = _through_sqlalchemy(engine, key)
            assert expected is not None
            row = repository.page_row_alone(engine, key)
            assert row == expected
            assert [type(v) for v in row.values()] == [type(v) for v in expected.values()]
        assert row["suspended_at"] is not None
        assert row["recipient_name"] == "李明"
        assert repository.page_row_alone(engine, uuid.uuid4()) is None
        with engine.begin() as connection:
            connection.execute(
                Credential.__table__.update()
                .where(Credential.id == uuid.UUID(plain))
                .values(hidden=True)
            )
        assert repository.page_row_alone(engine, uuid.UUID(plain)) is None


def test_driver_read_is_for_sqlite_only() -> None:
    from sqlalchemy.dialects import postgresql

    with pytest.raises(ValueError, match="SQLite"):
        DriverRead(select(Credential.id), postgresql.dialect())


def test_a_driver_error_is_sqlalchemys_and_a_disposed_engine_gives_a_new_connection(
    tmp_path: Path,
) -> None:
    """The page's outage handling (a 503) sees SQLAlchemy's errors, as from any other read."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE credentials (id CHAR(32) PRIMARY KEY)"))
    read = DriverRead(select(Credential.id).where(Credential.id == bindparam("id")), engine.dialect)
    assert read.first(engine, id=uuid.uuid4()) is None
    held = read._held.pair[1]
    assert read.first(engine, id=uuid.uuid4()) is None
    assert read._held.pair[1] is held
    engine.dispose()
    assert read.first(engine, id=uuid.uuid4()) is None
    assert read._held.pair[1] is not held
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE credentials"))
    with pytest.raises(OperationalError, match="no such table"):
        read.first(engine, id=uuid.uuid4())
    assert read._held.pair is None  # the next read takes a fresh connection
    engine.dispose()
