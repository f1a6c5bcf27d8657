"""Suspension is an issuer setting (issue 9, item 7): off by default, on through API or CLI."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from app.cli import app as cli
from app.models import Issuer, StatusList


def test_the_cli_creates_an_issuer_with_suspension_on_request(cli_env: dict[str, str]) -> None:
    env = cli_env
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    created = {}
    for flags in ([], ["--suspension"]):
        result = runner.invoke(cli, ["issuer", "create", "--name", "en=U", *flags], env=env)
        assert result.exit_code == 0, result.output
        found = re.search(r"issuer ([0-9a-f-]{36})", result.output)
        assert found is not None
        created[bool(flags)] = uuid.UUID(found.group(1))
    engine = create_engine(env["BADGES_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            for suspension, issuer_id in created.items():
                setting = connection.execute(
                    select(Issuer.suspension_enabled).where(Issuer.id == issuer_id)
                ).scalar_one()
                purposes = connection.execute(
                    select(StatusList.purpose).where(StatusList.issuer_id == issuer_id)
                ).scalars()
                assert setting is suspension
                assert sorted(purposes) == (
                    ["revocation", "suspension"] if suspension else ["revocation"]
                )
    finally:
        engine.dispose()
