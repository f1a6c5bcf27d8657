"""``GET /credentials/{id}/clr.json``: the public CLR 2.0 download of a program award.

Anyone holding the link of a learner's program credential may download the learner's signed
Comprehensive Learner Record for that program (:func:`app.programs.clr_service.signed_clr`):
the award and the module credentials the learner has not hidden, each with its own proof, in
the page language. Everything else is a 404: a credential that is no program award, one that
is hidden, and an award that is no longer valid (revoked, suspended or expired: the record
would no longer hold it, and a record of modules alone is the learner's to share, from their
own page).

Signing a record canonicalises all of it, so the signed bytes are kept per worker
(:data:`app.hot.public.program_clrs`), keyed on the state of everything the record embeds:
each download within the minute gets the same record (same ``id`` and ``validFrom``).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.core.errors import NotFound
from app.credentials import service as credentials
from app.hot import public as hot
from app.programs import clr_service
from app.web import i18n
from app.web.program_section import AwardFacts, load_award

VC_LD_JSON = "application/vc+ld+json"


class NoProgramRecord(NotFound):
    """The credential is no valid, visible program award."""


def states_key(facts: AwardFacts, award: Any, now: datetime) -> tuple[Any, ...]:
    """The state of everything the record may embed: a change of any is a new cache key."""
    modules = tuple(
        (row.id, credentials.credential_state(row, now), row.hidden)
        for module in facts.modules
        for row in facts.credentials.get(module, [])
    )
    return (credentials.credential_state(award, now), award.hidden, modules)


def clr_download(
    request: Request, session: Session, context: AppContext, credential_id: uuid.UUID
) -> Response:
    """The signed CLR of the program ``credential_id`` was awarded for, as an attachment."""
    award = credentials.get_public_credential(session, credential_id)  # 404: missing, hidden
    now = datetime.now(UTC)
    facts = load_award(session, award)
    if facts is None or credentials.credential_state(award, now) != "active":
        raise NoProgramRecord("This credential has no program record to download.")
    locale = i18n.translator_for(request).locale
    key = (award.id, locale, states_key(facts, award, now))
    body = hot.program_clrs.get(key)
    if body is None:
        document = clr_service.signed_clr(session, context, facts.program, facts.learner, locale)
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        hot.program_clrs.put(key, body, hot.PROGRAM_CLR_TTL_S)
    return Response(
        body,
        media_type=VC_LD_JSON,
        headers={
            "Content-Disposition": f'attachment; filename="clr-{award.id}.json"',
            # as the signed JSON: a module hidden since may be served for a minute by caches
            "Cache-Control": "public, max-age=60",
            "Vary": "Accept-Language, Cookie",
            "Content-Language": locale,
        },
    )
