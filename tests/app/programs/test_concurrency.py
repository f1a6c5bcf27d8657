"""Exactly-once program award when module credentials arrive at the same moment.

These tests commit for real from several threads (each with its own connection), so they use
the engine, not the rolled-back ``session`` fixture, and learners unique to each test.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from _fixtures import issue, make_issuer, make_module
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.core.context import AppContext
from app.core.db import make_sessionmaker
from app.models import Achievement, Credential, ProgramLearner
from app.programs import service
from app.programs.schemas import ProgramCreate

WORKERS = 4


def setup_program(
    factory: sessionmaker[Session], context: AppContext, rule: dict[str, object]
) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    with factory() as session:
        issuer = make_issuer(session, context, name=f"Concurrent U {uuid.uuid4()}")
        modules = [make_module(session, issuer, f"M{i}") for i in range(WORKERS)]
        data = ProgramCreate.model_validate(
            {
                "name": {"en": "P"},
                "description": {"en": "D"},
                "modules": [str(m) for m in modules],
                "rule": rule,
                "achievement": {"criteria": {"narrative": "x"}},
            }
        )
        program = service.create_program(session, context, issuer.id, data, actor="t")
        return issuer.id, program.id, modules


def run_together(jobs: list[Callable[[], None]]) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def runner(job: Callable[[], None]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:  # collected and asserted on by the test
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.parametrize(
    "rule",
    [{"kind": "all"}, {"kind": "n_of", "n": 1}],
    ids=["last-of-all-arrive-together", "each-alone-completes"],
)
def test_concurrent_module_awards_make_exactly_one_program_award(
    engine: Engine, context: AppContext, rule: dict[str, object]
) -> None:
    factory = make_sessionmaker(engine, context)
    issuer_id, program_id, modules = setup_program(factory, context, rule)
    learner = f"race-{uuid.uuid4().hex[:8]}@example.com"

    def job_for(module: uuid.UUID) -> Callable[[], None]:
        def job() -> None:
            with factory() as session:
                from app.models import Issuer

                issuer = session.get(Issuer, issuer_id)
                assert issuer is not None
                issue(session, context, issuer, module, email=learner)

        return job

    assert run_together([job_for(m) for m in modules]) == []
    with factory() as session:
        rows = session.scalars(
            select(ProgramLearner).where(
                ProgramLearner.program_id == program_id, ProgramLearner.learner == learner
            )
        ).all()
        assert len(rows) == 1
        assert rows[0].credential_id is not None
        program = service.get_program(session, None, program_id)
        program_versions = select(Achievement.id).where(
            Achievement.lineage_id == program.achievement_lineage_id
        )
        issued = session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(
                Credential.achievement_id.in_(program_versions),
                Credential.recipient_email == learner,
            )
        )
        assert issued == 1
