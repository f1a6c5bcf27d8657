"""The test suite's own set-up: where it reads shared material, which databases it touches."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from pg_test_databases import create_postgres_database, drop_postgres_database
from shared_corpus import CONFORMANCE, REPOSITORY
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ABSOLUTE_SHARED = re.compile(r"""["']/[^"']*/shared/""")


def test_no_test_names_an_absolute_path_to_the_shared_folder() -> None:
    """A clone elsewhere must read its own ``../shared``, so paths go through ``shared_corpus``."""
    offenders = [
        f"{path.relative_to(REPOSITORY)}:{number}"
        for path in sorted((REPOSITORY / "tests").rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if ABSOLUTE_SHARED.search(line)
    ]
    assert offenders == []


def test_the_corpus_path_is_beside_the_repository() -> None:
    assert CONFORMANCE.parent.parent == REPOSITORY.parent


@pytest.mark.postgres
def test_postgres_runs_create_and_drop_their_own_databases() -> None:
    """The configured database is never created or dropped; each one made here is dropped."""
    configured = os.environ.get("BADGES_TEST_DATABASE_URL")
    if not configured:
        pytest.skip("needs PostgreSQL (set BADGES_TEST_DATABASE_URL)")
    # A configured name that does not exist: the run must neither need nor create it.
    absent = make_url(configured).set(database=f"absent_{uuid.uuid4().hex[:8]}")
    absent_url = absent.render_as_string(hide_password=False)
    made = [create_postgres_database(absent_url, "_one"), create_postgres_database(absent_url)]
    assert len({make_url(url).database for url in made}) == 2

    server = create_engine(absent.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def existing() -> set[str]:
        with server.connect() as connection:
            rows = connection.execute(text("SELECT datname FROM pg_database")).scalars()
            return set(rows)

    names = existing()
    assert absent.database not in names
    assert {make_url(url).database for url in made} <= names
    for url in made:
        drop_postgres_database(url)
    after = existing()
    server.dispose()
    assert not ({make_url(url).database for url in made} & after)
    assert absent.database not in after
