"""The learner's own view: signed expiring links, their credentials and programs, visibility.

A learner has no account. The issuer asks for a link (``POST /api/v1/learners/link``) and sends
it; the token inside proves the identity until it expires. The HMAC key is derived from the
key-encryption key (see :mod:`app.learners.links`), so no new secret has to be configured.

A link is scoped to the issuer that asked for it: everything here reaches only that issuer's
credentials and programs, and another issuer's is 404 as if it did not exist. (A learner who
wants one place for every issuer's credentials needs their own sign-in, not an issuer's link.)
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import events
from app.core.context import AppContext
from app.core.errors import NotFound, Unauthorized
from app.core.urls import credential_url
from app.credentials import service as credentials
from app.events import CredentialVisibilityChanged
from app.learners import links
from app.learners.links import LinkClaims
from app.learners.schemas import LearnerCredential, LearnerLink, LearnerLinkCreate, LearnerView
from app.models import Program
from app.programs import repository as program_rows
from app.programs import service as programs

SESSION_SECONDS = 4 * 3600
"""How long the learner page's cookie lasts (never beyond the link): opening the link again
starts a new one."""


class InvalidLearnerLink(Unauthorized):
    """The learner link is forged, malformed or expired."""

    def __init__(self) -> None:
        super().__init__(
            "This learner link is invalid or has expired; ask the issuer for a new one."
        )


class LearnerSessionEnded(Unauthorized):
    """No learner session cookie, or it has expired."""

    def __init__(self) -> None:
        super().__init__(
            "Your learner session has ended or was never started in this browser; "
            "open the link your issuer sent you again."
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

    The link shows the learner this issuer's credentials and programs only, and an issuer may
    only make links for people it has issued to.
    """
    learner = programs.parse_learner(str(data.email or data.did))
    if not program_rows.learner_credentials(session, learner, issuer_id=issuer_id):
        field = "$.email" if data.email else "$.did"
        raise NotFound("This issuer has issued nothing to this learner.", field=field)
    expires = (now or datetime.now(UTC)).replace(microsecond=0) + timedelta(days=data.valid_days)
    token = links.make_token(learner, issuer_id, _secret(context), expires)
    base = context.settings.base_url
    return LearnerLink(
        url=f"{base}/learners/{token}",
        api_url=f"{base}/api/v1/learner",
        token=token,
        expires_at=expires,
    )


def learner_from_token(
    context: AppContext, token: str, *, now: datetime | None = None
) -> LinkClaims:
    """The learner and issuer scope a link token names, or 401."""
    try:
        return links.read_token(token, _secret(context), now or datetime.now(UTC))
    except links.InvalidLink:
        raise InvalidLearnerLink() from None


def start_session(
    context: AppContext, claims: LinkClaims, *, now: datetime | None = None
) -> tuple[str, int]:
    """A session token for the learner page's cookie and its lifetime in seconds: the link's
    scope, for ``SESSION_SECONDS`` or until the link expires, whichever comes first."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = min(claims.expires_at, moment + timedelta(seconds=SESSION_SECONDS))
    token = links.make_token(
        claims.learner, claims.issuer_id, _secret(context), expires, purpose=links.SESSION
    )
    return token, max(1, int((expires - moment).total_seconds()))


def learner_from_session(
    context: AppContext, token: str | None, *, now: datetime | None = None
) -> LinkClaims:
    """The learner and issuer scope of a session cookie, or 401."""
    if not token:
        raise LearnerSessionEnded()
    try:
        return links.read_token(
            token, _secret(context), now or datetime.now(UTC), purpose=links.SESSION
        )
    except links.InvalidLink:
        raise LearnerSessionEnded() from None


def learner_view(session: Session, context: AppContext, scope: LinkClaims) -> LearnerView:
    """The learner's credentials from the link's issuer (any state) and their progress in that
    issuer's programs."""
    now = datetime.now(UTC)
    learner = scope.learner
    items = []
    for row, lineage in program_rows.learner_credentials(
        session, learner, issuer_id=scope.issuer_id
    ):
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
    progress = [
        programs.learner_progress(session, context, program, learner)
        for program in programs.learner_program_rows(session, learner, issuer_id=scope.issuer_id)
    ]
    return LearnerView(learner=learner, credentials=items, programs=progress)


AUDIT_ACTOR_LENGTH = 200
"""``audit_events.actor``'s column length (shorter than a learner's: 320 or 2,048)."""


def _actor(learner: str) -> str:
    """``learner:<e-mail or DID>``, or ``learner:sha256:<hex>`` when that would not fit its
    column (the credential audited names its recipient in full)."""
    actor = f"learner:{learner}"
    if len(actor) <= AUDIT_ACTOR_LENGTH:
        return actor
    return "learner:sha256:" + hashlib.sha256(learner.encode()).hexdigest()


def set_visibility(
    session: Session, scope: LinkClaims, credential_id: uuid.UUID, *, hidden: bool
) -> None:
    """Hide (or show) one of the learner's own credentials from the link's issuer on its public
    URL; one transaction. Any other credential is 404."""
    learner = scope.learner
    for row, _ in program_rows.learner_credentials(session, learner, issuer_id=scope.issuer_id):
        if row.id == credential_id:
            row.hidden = hidden
            audit.record(
                session,
                actor=_actor(learner),
                action="credential.hide" if hidden else "credential.show",
                subject_type="credential",
                subject_id=row.id,
                issuer_id=row.issuer_id,
            )
            # After the commit this process stops serving the cached signed bytes at once
            # (app.hot.subscribers).
            events.record(session, CredentialVisibilityChanged(row.id, hidden=hidden))
            session.commit()
            return
    raise NotFound("No such credential among the learner's.")


def learner_program(session: Session, scope: LinkClaims, program_id: uuid.UUID) -> Program:
    """A program of the link's issuer the learner takes part in, or 404 (no probing of other
    programs or issuers)."""
    for program in programs.learner_program_rows(session, scope.learner, issuer_id=scope.issuer_id):
        if program.id == program_id:
            return program
    raise NotFound("No such program for this learner.")
