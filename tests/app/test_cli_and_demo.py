"""The `badges` command and the demo data that `badges serve --demo` loads.

The demo is what a newcomer sees first, so these tests open every URL it prints and check that
each demo credential shows the state it is meant to show, through the same verify API an
employer would use.
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import _print_urls
from app.cli import app as cli
from app.core.config import Settings
from app.core.context import AppContext
from app.core.db import make_sessionmaker, session_scope
from app.core.migrations import upgrade
from app.demo.loader import DemoSummary, load_demo
from app.main import create_app
from app.models import Batch, BatchRow, Credential

BASE = "https://demo.badges.test"


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, database_url_factory: Callable[[Path, str], str]
) -> Iterator[tuple[Settings, TestClient, DemoSummary]]:
    """A fresh database with the demo loaded, and a client of the app serving it."""
    data_dir = tmp_path_factory.mktemp("demo")
    url = database_url_factory(data_dir, "_demo")
    upgrade(url)
    settings = Settings(
        environment="development",
        data_dir=data_dir,
        database_url=url,
        base_url=BASE,
        admin_token="demo-admin-" + "y" * 24,
        key_encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    application = create_app(settings)
    factory = make_sessionmaker(application.state.engine, AppContext.from_settings(settings))
    with session_scope(factory) as session:
        summary = load_demo(session, settings)
    # https like BASE: the learner link's session cookie is Secure
    client = TestClient(application, base_url="https://testserver", raise_server_exceptions=False)
    yield settings, client, summary
    application.state.engine.dispose()


def _verify(client: TestClient, document: Any) -> dict[str, str]:
    response = client.post("/api/v1/verify", json=document)
    assert response.status_code == 200, response.text
    body = response.json()
    return {"verified": str(body["verified"])} | {c["id"]: c["status"] for c in body["checks"]}


def _local(url: str) -> str:
    assert url.startswith(BASE), url
    return url[len(BASE) :]


@pytest.mark.parametrize(
    ("state", "check", "status"),
    [
        ("valid", "proof", "valid"),
        ("revoked", "revocation", "invalid"),
        ("suspended", "suspension", "invalid"),
        ("expired", "validity", "invalid"),
    ],
)
def test_each_demo_credential_shows_its_state(
    demo: tuple[Settings, TestClient, DemoSummary], state: str, check: str, status: str
) -> None:
    _, client, summary = demo
    document = client.get(f"/credentials/{summary.credentials[state]}.json").json()
    checks = _verify(client, document)
    assert checks[check] == status
    assert checks["verified"] == str(state == "valid")
    assert checks["proof"] == "valid"  # every demo credential is genuine, whatever its state


def test_every_printed_url_opens(
    demo: tuple[Settings, TestClient, DemoSummary], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, client, summary = demo
    _print_urls(settings, summary)
    printed = capsys.readouterr().out
    urls = re.findall(rf"{re.escape(BASE)}\S*", printed)
    labels = [label for label, _ in summary.showcase]
    assert {"program credential", "learner page", "learner CLR", "endorsement"} <= set(labels)
    assert len(urls) >= 4 + len(summary.credentials) + len(labels) - 1
    for url in urls:
        response = client.get(_local(url), headers={"Accept": "text/html"})
        assert response.status_code == 200, url


def test_the_demo_program_credential_and_clr_verify(
    demo: tuple[Settings, TestClient, DemoSummary],
) -> None:
    _, client, summary = demo
    urls = dict(summary.showcase)
    program = client.get(_local(urls["program credential"]) + ".json").json()
    assert "Certificate" in str(program["credentialSubject"]["achievement"]["achievementType"])
    assert _verify(client, program)["verified"] == "True"
    clr = client.get(_local(urls["learner CLR"])).json()
    assert "ClrCredential" in clr["type"]
    checks = _verify(client, clr)
    assert checks["verified"] == "True"
    assert checks["credentials"] == "valid"
    assert len(clr["credentialSubject"]["verifiableCredential"]) >= 6  # five modules + program


def test_loading_the_demo_twice_changes_nothing(
    demo: tuple[Settings, TestClient, DemoSummary],
) -> None:
    settings, client, summary = demo
    app = client.app
    factory = make_sessionmaker(app.state.engine, AppContext.from_settings(settings))  # type: ignore[attr-defined]
    with session_scope(factory) as session:
        before = session.scalar(select(func.count()).select_from(Credential))
        again = load_demo(session, settings)
        after = session.scalar(select(func.count()).select_from(Credential))
    assert before == after
    assert before is not None
    assert before > 100  # 30 learners, five modules, program awards
    assert again.issuer_id == summary.issuer_id
    assert again.credentials == summary.credentials
    assert again.program_id == summary.program_id


def test_cli_creates_an_issuer_a_key_and_rotates(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "upgrade"], env=cli_env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        ["issuer", "create", "--name", "en=Test University", "--name", "zh-CN=测试大学"],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    issuer = re.search(r"issuer ([0-9a-f-]{36})", result.output)
    assert issuer is not None
    assert "did:web:demo.badges.test:issuers:" in result.output
    result = runner.invoke(cli, ["apikey", "create", issuer.group(1)], env=cli_env)
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith("obk_")
    result = runner.invoke(cli, ["keys", "rotate", issuer.group(1)], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "#z6Mk" in result.output  # a new Ed25519 key, published under the issuer's DID


def test_cli_refuses_production_without_secrets(cli_env: dict[str, str]) -> None:
    env = cli_env | {"BADGES_ENVIRONMENT": "production", "BADGES_KEY_ENCRYPTION_KEY": ""}
    result = CliRunner().invoke(cli, ["db", "upgrade"], env=env)
    assert result.exit_code != 0
    assert "BADGES_KEY_ENCRYPTION_KEY" in result.output


def test_cli_bad_input_is_one_line_naming_the_field(cli_env: dict[str, str]) -> None:
    """Over-long names, bad URLs and unknown issuers end with exit 2 and no traceback."""
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=cli_env).exit_code == 0
    created = runner.invoke(cli, ["issuer", "create", "--name", "en=Uni"], env=cli_env)
    issuer = re.search(r"issuer ([0-9a-f-]{36})", created.output)
    assert issuer is not None
    cases = [
        (["apikey", "create", issuer.group(1), "--name", "k" * 201], "$.name"),
        (["issuer", "create", "--name", "en=Uni", "--url", "not a url"], "$.url"),
        (["keys", "rotate", str(uuid.UUID(int=0))], "No such issuer"),
    ]
    for args, expected in cases:
        result = runner.invoke(cli, args, env=cli_env)
        assert result.exit_code == 2, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert expected in result.output
        assert "Traceback" not in result.output


def test_the_demo_shows_a_finished_batch_from_a_gb18030_file(
    demo: tuple[Settings, TestClient, DemoSummary],
) -> None:
    settings, _, summary = demo
    assert summary.batch_id is not None
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as session:
            batch = session.get(Batch, summary.batch_id)
            assert batch is not None
            assert (batch.state, batch.issued, batch.total) == ("completed", 6, 6)
            names = session.scalars(
                select(Credential.recipient_name)
                .join(BatchRow, BatchRow.credential_id == Credential.id)
                .where(BatchRow.batch_id == batch.id)
            ).all()
    finally:
        engine.dispose()
    assert "王芳 Wang Fang" in names  # read from GB18030 as a Chinese-locale Excel saves it
