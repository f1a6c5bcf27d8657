"""Sign a learner's CLR 2.0 transcript for one program, on demand.

The transcript is generated per download (fresh ``urn:uuid`` id and ``validFrom``) and not
stored: it holds nothing that is not already signed and stored in the embedded credentials, and a
re-generated one always reflects revocations since the last download.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.achievements.languages import pick_language
from app.core.context import AppContext
from app.core.errors import NotFound
from app.credentials import service as credentials
from app.issuers import service as issuers
from app.models import Credential, Program
from app.programs import repository, service
from app.programs.clr import assemble_clr, embedded_achievement
from app.signing_keys import service as keys
from openbadges.model import hash_identity

TITLES = {"en": "{name}: Comprehensive Learner Record", "zh": "{name}：综合学习记录"}


class NothingToRecord(NotFound):
    """The learner holds no valid credential of this program."""


def _shareable(row: Credential, now: datetime) -> bool:
    """Active, visible and carrying an embedded proof (a JWT-only award cannot be embedded)."""
    return (
        credentials.credential_state(row, now) == "active"
        and not row.hidden
        and "proof" in json.loads(row.document)
    )


def learner_documents(
    session: Session, context: AppContext, program: Program, learner: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The learner's shareable module credentials as stored, and the program credential."""
    aliases = service.module_aliases(session, context, service.module_lineages(session, program))
    now = datetime.now(UTC)
    modules = [
        json.loads(r.document)
        for r, _ in repository.learner_credentials(
            session, learner, aliases, issuer_id=program.issuer_id
        )
        if _shareable(r, now)
    ]
    award = repository.find_learner(session, program.id, learner)
    program_row = (
        session.get(Credential, award.credential_id) if award and award.credential_id else None
    )
    program_doc = (
        json.loads(program_row.document) if program_row and _shareable(program_row, now) else None
    )
    return modules, program_doc


def _subject(learner: str) -> tuple[str | None, list[dict[str, Any]]]:
    """A DID learner is the subject id; an e-mail learner is a salted hash IdentityObject."""
    if learner.startswith("did:"):
        return learner, []
    salt = secrets.token_hex(8)
    return None, [
        {
            "type": "IdentityObject",
            "identityHash": hash_identity(learner, salt),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": salt,
        }
    ]


def _program_achievement(
    session: Session,
    context: AppContext,
    program: Program,
    tag: str,
    awarded: dict[str, Any] | None,
) -> dict[str, Any]:
    """The program Achievement: as awarded when it was, else the current one in ``tag``."""
    if awarded is not None:
        found = embedded_achievement(awarded)
        if found is not None:
            return found
    lineage = uuid.UUID(
        str(program.translations[tag].get("achievement_lineage_id", program.achievement_lineage_id))
    )
    row = repository.current_achievement(session, lineage)
    if row is None:
        raise NotFound("The program's achievement is missing.")
    return achievements.achievement_document(context.settings.base_url, row)


def signed_clr(
    session: Session,
    context: AppContext,
    program: Program,
    learner: str,
    language: str | None = None,
) -> dict[str, Any]:
    """Assemble and sign the ClrCredential with the program issuer's key."""
    modules, awarded = learner_documents(session, context, program, learner)
    if not modules and awarded is None:
        raise NothingToRecord("The learner holds no valid credential of this program.")
    issuer = issuers.get_issuer(session, program.issuer_id)
    tag = pick_language(program.translations, language, program.default_language)
    texts = program.translations[tag]
    module_ids = list(
        dict.fromkeys(a["id"] for a in (embedded_achievement(d) for d in modules) if a is not None)
    )
    subject_id, identifier = _subject(learner)
    profile = issuers.embedded_profile(context, issuer)
    profile["name"] = issuer.text("name", tag) or profile["name"]
    document = assemble_clr(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        issuer=profile,
        name=TITLES.get(tag.split("-")[0], TITLES["en"]).format(name=texts["name"]),
        description=str(texts.get("description") or "") or None,
        valid_from=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        subject_id=subject_id,
        identifier=identifier,
        credentials=modules + ([awarded] if awarded else []),
        program_achievement=_program_achievement(session, context, program, tag, awarded),
        module_achievement_ids=module_ids,
        partial=awarded is None,
    )
    key = keys.require_active_key(session, issuer.id, keys.DATA_INTEGRITY)
    return keys.sign_data_integrity(context, key, document)
