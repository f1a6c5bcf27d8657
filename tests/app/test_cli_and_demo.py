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


def _sign_in(client: TestClient, email: str, password: str) -> int:
    form = client.get("/console/sign-in")
    assert form.status_code == 200, form.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    response = client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    return response.status_code


def test_the_demo_signs_in_a_coordinator_and_a_mentor_and_prints_how(
    demo: tuple[Settings, TestClient, DemoSummary], capsys: pytest.CaptureFixture[str]
) -> None:
    from app.demo.program import PROGRAM_NAME
    from app.models import Achievement, Program, ProgramModule, StaffMembership, StaffUser

    settings, client, summary = demo
    _print_urls(settings, summary)
    printed = capsys.readouterr().out
    made = {line.account.email: line for line in summary.staff}
    assert set(made) == {"coordinator@nwau.example.edu", "mentor@nwau.example.edu"}
    for email, line in made.items():
        assert line.password is not None
        assert len(line.password) >= 16
        # the banner names the account, its password and where to sign in, on one line
        shown = next(row for row in printed.splitlines() if email in row)
        assert f"{BASE}/console/sign-in" in shown
        assert line.password in shown
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as session:
            program = session.scalars(select(Program)).all()
            program_id = next(
                p.id for p in program if p.translations["en"]["name"] == PROGRAM_NAME["en"]
            )
            modules = session.scalars(
                select(ProgramModule.achievement_lineage_id)
                .where(ProgramModule.program_id == program_id)
                .order_by(ProgramModule.position)
            ).all()
            roles = {}
            for email in made:
                user = session.scalars(select(StaffUser).where(StaffUser.email == email)).one()
                membership = session.scalars(
                    select(StaffMembership).where(StaffMembership.user_id == user.id)
                ).one()
                assert membership.issuer_id == summary.issuer_id  # the demo university
                roles[email] = (membership.role, membership.assigned_modules)
            assigned = roles["mentor@nwau.example.edu"][1]
            lineages = set(
                session.scalars(
                    select(Achievement.lineage_id).where(Achievement.issuer_id == summary.issuer_id)
                )
            )
    finally:
        engine.dispose()
    assert roles["coordinator@nwau.example.edu"] == ("issuer", None)
    assert roles["mentor@nwau.example.edu"][0] == "assessor"
    # the five modules' lineage ids, each in both language versions, program's first
    assert assigned is not None
    assert len(assigned) == 10
    assert assigned[:5] == [str(m) for m in modules]
    assert {uuid.UUID(a) for a in assigned} <= lineages
    for path in settings.data_dir.rglob("*"):  # written nowhere (the database holds a hash)
        if path.is_file() and path.suffix != ".db":
            content = path.read_bytes()
            assert all(line.password.encode() not in content for line in made.values()), path

    coordinator = made["coordinator@nwau.example.edu"]
    assert _sign_in(client, coordinator.account.email, "wrong password 123") != 303  # refused
    assert _sign_in(client, coordinator.account.email, coordinator.password or "") == 303
    issuer = f"/console/{summary.issuer_id}"
    assert client.get(f"{issuer}/credentials").status_code == 200
    assert 'name="credential"' in client.get(f"{issuer}/credentials").text  # may revoke
    assert client.get(f"{issuer}/users", headers={"Accept": "text/html"}).status_code == 403
    client.cookies.clear()
    mentor = made["mentor@nwau.example.edu"]
    assert _sign_in(client, mentor.account.email, mentor.password or "") == 303
    assert client.get(issuer).status_code == 200
    refused = client.get(f"{issuer}/credentials", headers={"Accept": "text/html"})
    assert refused.status_code == 403  # an assessor cannot revoke (nor list every learner)
    client.cookies.clear()


def test_a_second_start_keeps_the_demo_staff_passwords_and_says_how_to_set_one(
    demo: tuple[Settings, TestClient, DemoSummary], capsys: pytest.CaptureFixture[str]
) -> None:
    from app.models import StaffUser

    settings, client, summary = demo
    factory = make_sessionmaker(client.app.state.engine, AppContext.from_settings(settings))  # type: ignore[attr-defined]
    with session_scope(factory) as session:
        before = {
            r.email: r.password_hash
            for r in session.execute(select(StaffUser.email, StaffUser.password_hash))
        }
        again = load_demo(session, settings)
        after = {
            r.email: r.password_hash
            for r in session.execute(select(StaffUser.email, StaffUser.password_hash))
        }
    assert before == after
    assert [line.password for line in again.staff] == [None, None]
    _print_urls(settings, again)
    printed = capsys.readouterr().out
    for email in ("coordinator@nwau.example.edu", "mentor@nwau.example.edu"):
        shown = next(row for row in printed.splitlines() if email in row)
        assert f"badges staff set-password --email {email}" in shown
    for line in summary.staff:
        assert line.password is not None
        assert line.password not in printed
    # the first start's password still works
    coordinator = summary.staff[0]
    assert _sign_in(client, coordinator.account.email, coordinator.password or "") == 303
    client.cookies.clear()


def test_no_demo_staff_outside_development(tmp_path: Path) -> None:
    from app.demo.staff import load_staff_demo

    settings = Settings(
        environment="production",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        base_url=BASE,
        admin_token="prod-admin-" + "p" * 24,
        key_encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    assert load_staff_demo(None, settings, uuid.uuid4()) == []  # type: ignore[arg-type]


def test_cli_sets_a_staff_password(cli_env: dict[str, str]) -> None:
    from app.console import passwords
    from app.core.db import make_engine
    from app.models import AuditEvent, StaffUser

    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=cli_env).exit_code == 0
    engine = make_engine(cli_env["BADGES_DATABASE_URL"])
    try:
        with Session(engine) as session:
            session.add(
                StaffUser(
                    id=uuid.uuid4(),
                    email="mentor@example.org",
                    display_name="Mentor",
                    password_hash=passwords.hash_password("the old password"),
                    failed_attempts=3,
                )
            )
            session.commit()
        generated = runner.invoke(
            cli,
            ["staff", "set-password", "--email", "Mentor@example.org", "--generate"],
            env=cli_env,
        )
        assert generated.exit_code == 0, generated.output
        password = generated.output.strip().rsplit(" ", 1)[-1]
        typed = "a typed new password"
        with Session(engine) as session:
            user = session.scalars(select(StaffUser)).one()
            assert passwords.verify(password, user.password_hash)[0]
            assert not passwords.verify("the old password", user.password_hash)[0]
            assert (user.failed_attempts, user.session_generation) == (0, 1)
        prompted = runner.invoke(
            cli,
            ["staff", "set-password", "--email", "mentor@example.org"],
            env=cli_env,
            input=f"{typed}\n{typed}\n",
        )
        assert prompted.exit_code == 0, prompted.output
        assert typed not in prompted.output  # asked without echo
        short = runner.invoke(
            cli,
            ["staff", "set-password", "--email", "mentor@example.org"],
            env=cli_env,
            input="short\nshort\n",
        )
        assert short.exit_code == 2
        unknown = runner.invoke(
            cli,
            ["staff", "set-password", "--email", "nobody@example.org", "--generate"],
            env=cli_env,
        )
        assert unknown.exit_code == 2
        with Session(engine) as session:
            user = session.scalars(select(StaffUser)).one()
            assert passwords.verify(typed, user.password_hash)[0]
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.subject_id == str(user.id))
            ).all()
            assert actions.count("staff.password_set") == 2
    finally:
        engine.dispose()
