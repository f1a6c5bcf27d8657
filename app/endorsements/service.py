"""Endorsements: a partner issuer signs an EndorsementCredential about a target.

The endorser is always the issuer that owns the API key: the request carries no issuer, and the
document is signed with that issuer's own active key, so one partner cannot endorse in another's
name. Each language of the comment becomes its own signed credential (OB 3.0 strings are
single-language); the rows share a ``group_id``.

An endorsement is stored *pending*: the owner of the endorsed thing has not yet agreed to carry
another organisation's words inside its own signed credentials. Only the owner (the issuer of
the achievement, program, credential or the issuer itself) can accept or decline it, for the
whole group at once; only accepted endorsements are embedded in credentials issued afterwards.
The endorsement document itself stays public either way: it is the endorser's signed statement.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import events
from app.core.context import AppContext
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.urls import achievement_url, credential_url, issuer_did
from app.endorsements import repository
from app.endorsements.assemble import assemble_endorsement
from app.endorsements.schemas import EndorsementCreate, EndorsementRead
from app.events import EndorsementDecided, EndorsementsRequested
from app.hot import issuing as hot
from app.issuers import service as issuers
from app.models import Credential, Endorsement, Issuer
from app.signing_keys import service as keys

DEFAULT_NAMES = {"zh-CN": "{partner}的认可", "zh": "{partner}的认可"}
DEFAULT_NAME = "Endorsement by {partner}"


class EndorsementNotFound(NotFound):
    """No such endorsement."""


class TargetNotFound(Unprocessable):
    """The endorsed target does not exist (422 naming ``targetId``)."""


class SelfEndorsement(Unprocessable):
    """An issuer cannot endorse its own achievements, programs or credentials."""


class DecisionConflict(Conflict):
    """The owner already decided the other way (409); an endorsement is decided once."""


def endorsement_url(base_url: str, endorsement_id: uuid.UUID) -> str:
    """The endorsement's id and public URL."""
    return f"{base_url}/endorsements/{endorsement_id}"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _xsd(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _resolve_target(
    session: Session, context: AppContext, target_type: str, target_id: uuid.UUID
) -> tuple[str, uuid.UUID]:
    """Return the target's public id and the issuer that owns it (or raise 422)."""
    base = context.settings.base_url
    lineage: uuid.UUID | None = target_id
    if target_type == "program":  # endorsed through the program's own achievement
        lineage = repository.program_lineage(session, target_id)
    if target_type in ("achievement", "program") and lineage is not None:
        achievement = repository.current_achievement(session, lineage)
        if achievement is not None:
            return achievement_url(base, lineage, achievement.version), achievement.issuer_id
    elif target_type == "credential":
        credential = session.get(Credential, target_id)
        if credential is not None and not credential.hidden:
            return credential_url(base, credential.id), credential.issuer_id
    elif target_type == "issuer" and session.get(Issuer, target_id) is not None:
        return issuer_did(base, target_id), target_id
    raise TargetNotFound(f"No {target_type} with id {target_id}.", field="$.targetId")


def _partner_profile(context: AppContext, partner: Issuer, language: str) -> dict[str, Any]:
    """The partner's Profile with its name in the endorsement's language."""
    profile = issuers.embedded_profile(context, partner)
    profile["name"] = partner.text("name", language) or profile["name"]
    description = partner.text("description", language)
    if description:
        profile["description"] = description
    return profile


def create_endorsements(
    session: Session,
    context: AppContext,
    data: EndorsementCreate,
    *,
    partner_id: uuid.UUID,
    actor: str,
) -> list[Endorsement]:
    """Sign and store the partner's endorsement (one credential per language); one transaction."""
    partner = issuers.get_issuer(session, partner_id)
    subject_uri, owner_id = _resolve_target(session, context, data.target_type, data.target_id)
    if owner_id == partner.id:
        raise SelfEndorsement(
            "An issuer cannot endorse its own work; endorsements come from partners.",
            field="$.targetId",
        )
    key = keys.require_active_key(session, partner.id, keys.DATA_INTEGRITY)
    group_id, now = uuid.uuid4(), _now()
    rows = []
    for language, comment in data.comment.items():
        row_id = uuid.uuid4()
        partner_name = partner.text("name", language) or partner.name
        name = data.name.get(language) or DEFAULT_NAMES.get(language, DEFAULT_NAME).format(
            partner=partner_name
        )
        document = assemble_endorsement(
            credential_id=endorsement_url(context.settings.base_url, row_id),
            issuer=_partner_profile(context, partner, language),
            subject_id=subject_uri,
            name=name,
            comment=comment,
            valid_from=_xsd(now),
        )
        signed = keys.sign_data_integrity(context, key, document)
        row = Endorsement(
            id=row_id,
            group_id=group_id,
            issuer_id=partner.id,
            target_type=data.target_type,
            target_id=str(data.target_id),
            subject_uri=subject_uri,
            language=language,
            comment=comment,
            document=json.dumps(signed, ensure_ascii=False, separators=(",", ":")),
            created_at=now,
        )
        repository.add(session, row)
        rows.append(row)
    audit.record(
        session,
        actor=actor,
        action="endorsement.create",
        subject_type="endorsement",
        subject_id=group_id,
        issuer_id=partner.id,
        signing_key_id=key.id,
        details={"target": subject_uri, "languages": list(data.comment)},
    )
    # The embedding cache is cleared after the commit (app.hot.subscribers), so a concurrent
    # issuance cannot cache the old set.
    events.record(session, EndorsementsRequested(endorsement_ids=tuple(row.id for row in rows)))
    session.commit()
    return rows


def _owner_id(session: Session, context: AppContext, row: Endorsement) -> uuid.UUID | None:
    """The issuer that owns what ``row`` endorses (the one who may accept it), if it still exists."""
    return _target_owner(session, context, row.target_type, row.target_id)


def _target_owner(
    session: Session, context: AppContext, target_type: str, target_id: str
) -> uuid.UUID | None:
    """The issuer that owns one endorsed target, if it still exists."""
    if target_type == "credential":
        credential = session.get(Credential, uuid.UUID(target_id))
        return credential.issuer_id if credential is not None else None
    try:
        return _resolve_target(session, context, target_type, uuid.UUID(target_id))[1]
    except TargetNotFound:
        return None


def decide_endorsement(
    session: Session,
    context: AppContext,
    endorsement_id: uuid.UUID,
    *,
    accept: bool,
    owner_id: uuid.UUID,
    actor: str,
) -> list[Endorsement]:
    """Accept or decline an endorsement group as the endorsed thing's owner; one transaction.

    Anyone but the owner, the endorser included, gets 404: the endorser cannot approve its own
    words on the owner's behalf, and others need not learn which endorsements await a decision.
    Repeating the same decision is a no-op; reversing one is a 409, so a credential never embeds
    an endorsement its owner once declined. The embedding cache is cleared after the commit, so
    this worker's next issuance already reflects the decision.
    """
    row = repository.get(session, endorsement_id)
    if row is None or _owner_id(session, context, row) != owner_id:
        raise EndorsementNotFound("No such endorsement.")
    # lock the group (PostgreSQL) so a concurrent accept and decline cannot both win
    rows = list(repository.list_group(session, row.group_id, for_update=True))
    state, wanted = rows[0].state, "accepted" if accept else "declined"
    if state not in ("pending", wanted):
        raise DecisionConflict(f"This endorsement was already {state}.")
    if state == "pending":
        now = _now()
        for member in rows:
            member.accepted_at, member.declined_at = (now, None) if accept else (None, now)
        audit.record(
            session,
            actor=actor,
            action=f"endorsement.{'accept' if accept else 'decline'}",
            subject_type="endorsement",
            subject_id=row.group_id,
            issuer_id=owner_id,
            details={"target": row.subject_uri, "endorser": str(row.issuer_id)},
        )
        events.record(session, EndorsementDecided(endorsement_id=row.id, decision=wanted))
        session.commit()
    return rows


def get_endorsement(session: Session, endorsement_id: uuid.UUID) -> Endorsement:
    """An endorsement or 404."""
    row = repository.get(session, endorsement_id)
    if row is None:
        raise EndorsementNotFound("No such endorsement.")
    return row


def list_endorsements(
    session: Session,
    context: AppContext,
    target: str,
    *,
    viewer: uuid.UUID | None = None,
    limit: int = 100,
) -> Sequence[Endorsement]:
    """Endorsements of a target, given by public id (URL, DID) or by the service's id.

    Accepted ones are public. A pending or declined one is between the endorser and the owner
    of the endorsed thing: only they (``viewer``, the caller's issuer) see it; to anyone else,
    anonymous callers included, it is not listed (its signed document stays at its own URL).
    """
    target = target.strip()
    owned: list[tuple[str, str]] = []
    if viewer is not None:
        owned = [
            (target_type, target_id)
            for target_type, target_id in repository.targets_of(session, target)
            if _target_owner(session, context, target_type, target_id) == viewer
        ]
    return repository.list_for_target(session, target, limit=limit, viewer=viewer, owned=owned)


def embedded_endorsements(
    session: Session, subject_uri: str, language: str | None = None
) -> list[dict[str, Any]]:
    """The signed endorsements to embed in a document about ``subject_uri``.

    Only endorsements the owner accepted; one per group: the version in ``language`` when the
    partner wrote one, else the first. The caller embeds them in ``Achievement.endorsement`` of
    credentials issued from now on (already issued credentials are never edited: their proof
    covers them).
    """
    chosen: dict[uuid.UUID, Endorsement] = {}
    for row in repository.list_accepted_for_subject(session, subject_uri):
        if row.group_id not in chosen or row.language == language:
            chosen[row.group_id] = row
    return [json.loads(row.document) for row in chosen.values()]


def to_read(context: AppContext, row: Endorsement) -> EndorsementRead:
    """The API view of one endorsement."""
    return EndorsementRead(
        id=row.id,
        group_id=row.group_id,
        url=endorsement_url(context.settings.base_url, row.id),
        issuer_id=row.issuer_id,
        target_type=row.target_type,
        target_id=row.target_id,
        subject_uri=row.subject_uri,
        language=row.language,
        comment=row.comment,
        created_at=row.created_at,
        state=row.state,
        accepted_at=row.accepted_at,
        declined_at=row.declined_at,
        credential=json.loads(row.document),
    )


def with_endorsements(session: Session, achievement: dict[str, Any]) -> dict[str, Any]:
    """``achievement`` plus the partner endorsements of it, for a credential being issued."""
    key = (str(achievement["id"]), achievement.get("inLanguage"))
    texts = hot.embedded_endorsements.get(key)
    if texts is None:
        texts = [json.dumps(e) for e in embedded_endorsements(session, *key)]
        hot.embedded_endorsements.put(key, texts, hot.EMBED_CACHE_SECONDS)
    found = [json.loads(text) for text in texts]
    return {**achievement, "endorsement": found} if found else achievement
