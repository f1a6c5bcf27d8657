"""The learner's own view: signed expiring links, their credentials and programs, visibility.

A learner has no account. The issuer asks for a link (``POST /api/v1/learners/link``) and sends
it; the token inside proves the identity until it expires. The HMAC key is derived from the
key-encryption key (see :mod:`app.programs.links`), so no new secret has to be configured.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core.context import AppContext
from app.core.errors import NotFound, Unauthorized
from app.core.urls import credential_url
from app.credentials import published
from app.credentials import service as credentials
from app.models import Program
from app.programs import links, repository, service
from app.programs.schemas import LearnerCredential, LearnerLink, LearnerLinkCreate, LearnerView


class InvalidLearnerLink(Unauthorized):
    """The learner link is forged, malformed or expired."""

    def __init__(self) -> None:
        super().__init__(
            "This learner link is invalid or has expired; ask the issuer for a new one."
        )


def _secret(context: AppContext) -> bytes:
    return context.settings.kek_bytes()


def create_link(
    session: Session,
    context: AppContext,
    issuer_id: uuid.UUID,
    data: LearnerLinkCreate,
    *,
    now: datetime | None = None,
) -> LearnerLink:
    """A signed link for one of the issuer's learners, valid for ``valid_days``.

    The link shows every credential the learner holds here, so an issuer may only make links
    for people it has issued to.
    """
    learner = service.parse_learner(str(data.email or data.did))
    if not any(
        r.issuer_id == issuer_id for r, _ in repository.learner_credentials(session, learner)
    ):
        field = "$.email" if data.email else "$.did"
        raise NotFound("This issuer has issued nothing to this learner.", field=field)
    expires = (now or datetime.now(UTC)).replace(microsecond=0) + timedelta(days=data.valid_days)
    token = links.make_token(learner, _secret(context), expires)
    base = context.settings.base_url
    return LearnerLink(
        url=f"{base}/learners/{token}",
        api_url=f"{base}/api/v1/learner?token={token}",
        token=token,
        expires_at=expires,
    )


def learner_from_token(context: AppContext, token: str, *, now: datetime | None = None) -> str:
    """The learner a token names, or 401."""
    try:
        return links.read_token(token, _secret(context), now or datetime.now(UTC))
    except links.InvalidLink:
        raise InvalidLearnerLink() from None


def learner_view(session: Session, context: AppContext, learner: str) -> LearnerView:
    """All the learner's credentials (any state) and their progress in every program."""
    now = datetime.now(UTC)
    items = []
    for row, lineage in repository.learner_credentials(session, learner):
        document = json.loads(row.document)
        achievement = document.get("credentialSubject", {}).get("achievement", {})
        issuer = document.get("issuer")
        issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
        items.append(
            LearnerCredential(
                id=row.id,
                url=credential_url(context.settings.base_url, row.id),
                name=str(achievement.get("name", "")),
                achievement_id=lineage,
                language=achievement.get("inLanguage"),
                issuer_name=issuer_name if isinstance(issuer_name, str) else None,
                state=credentials.credential_state(row, now),
                hidden=row.hidden,
                valid_from=row.valid_from,
                valid_until=row.valid_until,
            )
        )
    programs = [
        service.learner_progress(session, context, program, learner)
        for program in service.learner_program_rows(session, learner)
    ]
    return LearnerView(learner=learner, credentials=items, programs=programs)


def set_visibility(
    session: Session, learner: str, credential_id: uuid.UUID, *, hidden: bool
) -> None:
    """Hide (or show) one of the learner's own credentials on its public URL; one transaction."""
    for row, _ in repository.learner_credentials(session, learner):
        if row.id == credential_id:
            row.hidden = hidden
            audit.record(
                session,
                actor=f"learner:{learner}",
                action="credential.hide" if hidden else "credential.show",
                subject_type="credential",
                subject_id=row.id,
                issuer_id=row.issuer_id,
            )
            session.commit()
            # After the commit: this process stops serving the cached signed bytes at once.
            published.forget(row.id)
            return
    raise NotFound("No such credential among the learner's.")


def learner_program(session: Session, learner: str, program_id: uuid.UUID) -> Program:
    """A program the learner takes part in, or 404 (no probing of other programs)."""
    for program in service.learner_program_rows(session, learner):
        if program.id == program_id:
            return program
    raise NotFound("No such program for this learner.")
