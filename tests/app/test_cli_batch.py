"""``badges batch upload`` and ``badges batch status``: a registrar's cohort file from a shell.

The upload validates through the same service call as the API: a bad row is a table naming the
row and the column, exit 2, and nothing created. On SQLite (or ``BADGES_JOB_RUNNER=embedded``)
the command issues the batch itself; with ``badges worker`` processes it follows the batch row.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from api_support import ACHIEVEMENT
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate
from app.batches import cli_view
from app.batches import service as batches
from app.cli import app as cli
from app.core.config import Settings
from app.core.context import AppContext
from app.core.db import make_engine, make_sessionmaker
from app.models import AuditEvent, Batch, Credential
from app.wiring import subscribe_all

HEADER = "email,name,Final grade\n"


@dataclass(frozen=True)
class Cohort:
    """A migrated database with an issuer (made by the CLI) and an achievement of it."""

    env: dict[str, str]
    issuer: uuid.UUID
    achievement: str
    sessions: sessionmaker[Session]
    folder: Path

    def run(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env | env)

    def upload(self, path: Path, *args: str, **env: str) -> Result:
        base = ["batch", "upload", str(path), "--issuer", str(self.issuer)]
        return self.run(*base, "--achievement", self.achievement, *args, **env)

    def file(self, name: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.folder / name
        path.write_bytes(text.encode(encoding))
        return path

    def count(self, model: type[Batch] | type[Credential]) -> int:
        with self.sessions() as session:
            stmt = select(func.count()).select_from(model).where(model.issuer_id == self.issuer)
            return int(session.scalar(stmt) or 0)


@pytest.fixture
def cohort(cli_env: dict[str, str], tmp_path: Path) -> Iterator[Cohort]:
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=cli_env).exit_code == 0
    created = runner.invoke(cli, ["issuer", "create", "--name", "en=Uni"], env=cli_env)
    found = re.search(r"issuer ([0-9a-f-]{36})", created.output)
    assert found is not None, created.output
    subscribe_all()
    engine = make_engine(cli_env["BADGES_DATABASE_URL"])
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        data = AchievementCreate.model_validate(ACHIEVEMENT)
        row = achievements.create_achievement(session, uuid.UUID(found.group(1)), data, actor="t")
    issuer_id = uuid.UUID(found.group(1))
    yield Cohort(cli_env, issuer_id, str(row.lineage_id), sessions, tmp_path)
    engine.dispose()


def test_a_gb18030_file_is_issued_by_the_command_itself(cohort: Cohort) -> None:
    path = cohort.file(
        "cohort.csv", HEADER + "li@example.edu,李伟,A\nwang@example.edu,王芳,B\n", "gb18030"
    )
    result = cohort.upload(path, BADGES_JOB_RUNNER="embedded")
    assert result.exit_code == 0, result.output
    assert re.search(r"batch [0-9a-f-]{36} completed: 2 issued, 0 skipped, 0 failed", result.output)
    assert "/results.csv" in result.output
    with cohort.sessions() as session:
        names = session.scalars(
            select(Credential.recipient_name).where(Credential.issuer_id == cohort.issuer)
        ).all()
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "batch.create")
        ).all()
    assert sorted(n or "" for n in names) == sorted(["李伟", "王芳"])
    assert actors == ["cli"]


def test_a_bad_email_is_a_table_naming_row_and_column_and_nothing_is_created(
    cohort: Cohort,
) -> None:
    path = cohort.file("bad.csv", HEADER + "li@example.edu,李伟,A\nnot-an-email,王芳,B\n")
    result = cohort.upload(path, BADGES_JOB_RUNNER="embedded")
    assert result.exit_code == 2, result.output
    assert "nothing was issued" in result.output
    assert re.search(r"│\s+3 │ email\s+│ not an email", result.output), result.output
    assert "Traceback" not in result.output
    dry_run = cohort.upload(path, "--dry-run")
    assert dry_run.exit_code == 2, dry_run.output
    assert re.search(r"│\s+3 │ email\s+│ not an email", dry_run.output), dry_run.output
    assert (cohort.count(Batch), cohort.count(Credential)) == (0, 0)


def test_a_dry_run_shows_the_first_credential_and_creates_nothing(cohort: Cohort) -> None:
    path = cohort.file("cohort.csv", HEADER + "li@example.edu,李伟,A\n")
    result = cohort.upload(path, "--dry-run", "--proof", "jwt")
    assert result.exit_code == 0, result.output
    assert "dry run: 1 row(s): 1 to issue" in result.output
    assert '"OpenBadgeCredential"' in result.output
    assert f'"{ACHIEVEMENT["name"]}"' in result.output
    assert (cohort.count(Batch), cohort.count(Credential)) == (0, 0)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (HEADER + "li@example.edu,李伟,A\nnot-an-email,王芳,B\n", 0),  # row 3 left out
        (HEADER + "not-an-email,王芳,B\n", 2),  # no row left
        ("email,name,Final grade,Nickname\nli@example.edu,李伟,A,Li\n", 2),  # the header's
    ],
)
def test_a_dry_run_with_skip_invalid_exits_2_when_the_upload_would_be_refused(
    cohort: Cohort, text: str, code: int
) -> None:
    result = cohort.upload(cohort.file("cohort.csv", text), "--dry-run", "--skip-invalid")
    assert result.exit_code == code, result.output
    assert (cohort.count(Batch), cohort.count(Credential)) == (0, 0)


def test_status_shows_state_counts_and_the_failed_rows(cohort: Cohort) -> None:
    path = cohort.file("mixed.csv", HEADER + "li@example.edu,李伟,A\nnot-an-email,王芳,B\n")
    uploaded = cohort.upload(path, "--skip-invalid", BADGES_JOB_RUNNER="embedded")
    assert uploaded.exit_code == 0, uploaded.output
    found = re.search(
        r"batch ([0-9a-f-]{36}) completed: 1 issued, 0 skipped, 1 failed", uploaded.output
    )
    assert found is not None, uploaded.output
    result = cohort.run("batch", "status", found.group(1), "--issuer", str(cohort.issuer))
    assert result.exit_code == 0, result.output
    assert re.search(r"state\s+completed", result.output)
    assert re.search(r"rows\s+2: 1 issued, 0 skipped, 1 failed", result.output)
    assert re.search(r"file\s+mixed.csv", result.output)
    assert "failed rows" in result.output
    assert re.search(r"│\s+3 │\s+│ email: not an email", result.output), result.output
    other = cohort.run("batch", "status", found.group(1), "--issuer", str(uuid.uuid4()))
    assert other.exit_code == 2
    assert "No such batch" in other.output


def test_no_wait_queues_and_the_bar_follows_a_worker(
    cohort: Cohort, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--no-wait`` returns with the id; following a batch another process issues says what
    it waits for when nothing moves, then ends when the worker has issued it."""
    path = cohort.file("cohort.csv", HEADER + "li@example.edu,李伟,A\nwang@example.edu,王芳,B\n")
    queued = cohort.upload(path, "--no-wait")
    assert queued.exit_code == 0, queued.output
    found = re.search(
        r"batch ([0-9a-f-]{36}) queued \(2 rows\); `badges (serve|worker)", queued.output
    )
    assert found is not None, queued.output
    assert cohort.count(Credential) == 0
    batch_id, issuer_id = uuid.UUID(found.group(1)), cohort.issuer
    if found.group(2) == "worker":  # PostgreSQL: the workers' jobs are deferred at once
        with cohort.sessions() as session:
            deferred = session.scalar(
                text("SELECT count(*) FROM procrastinate_jobs WHERE args->>'batch_id' = :id"),
                {"id": str(batch_id)},
            )
        assert deferred

    settings = Settings(
        database_url=cohort.env["BADGES_DATABASE_URL"],
        base_url=cohort.env["BADGES_BASE_URL"],
        key_encryption_key=cohort.env["BADGES_KEY_ENCRYPTION_KEY"],
        data_dir=Path(cohort.env["BADGES_DATA_DIR"]),
    )
    context = AppContext.from_settings(settings)
    sessions = make_sessionmaker(cohort.sessions.kw["bind"], context)

    def worker() -> None:
        time.sleep(1.0)
        batches.process_batch(sessions, context, batch_id, "test-worker")

    monkeypatch.setattr(cli_view, "QUIET_NOTE_S", 0.3)
    thread = threading.Thread(target=worker)
    thread.start()
    batch = cli_view.read_batch(sessions, issuer_id, batch_id)
    note = "waiting for `badges worker` processes"
    final = cli_view.follow(sessions, issuer_id, batch, None, note)
    thread.join()
    assert (final.state, final.issued) == ("completed", 2)
    assert note in capsys.readouterr().out
    assert cohort.count(Credential) == 2
