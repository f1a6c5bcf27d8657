"""Program awards get the status entries their program needs (issue 9, item 7)."""

from __future__ import annotations

import uuid

import pytest
from _fixtures import issue, make_issuer, make_module, principal
from sqlalchemy.orm import Session
from test_service import make_program

from app.core.context import AppContext
from app.credentials import service as credentials
from app.models import Credential
from app.programs import service
from app.programs.service import issued_document


@pytest.mark.parametrize("policy", ["flag", "suspend"])
def test_an_award_has_a_suspension_entry_only_when_its_program_suspends(
    session: Session, context: AppContext, policy: str
) -> None:
    issuer = make_issuer(session, context, name=f"Status U {uuid.uuid4()}")  # suspension off
    module = make_module(session, issuer, "Module A")
    program = make_program(session, context, issuer, [module], policy=policy)
    module_credential = issue(session, context, issuer, module)
    assert isinstance(issued_document(module_credential)["credentialStatus"], dict)
    award = service.learner_progress(session, context, program, "li.wei@example.com")
    assert award.awarded
    row = session.get(Credential, award.program_credential_id)
    assert row is not None
    entries = issued_document(row)["credentialStatus"]
    if policy == "suspend":
        assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    else:
        assert entries["statusPurpose"] == "revocation"
    # Revoking the module suspends the award under the "suspend" policy, flags it otherwise.
    credentials.change_status(
        session, context, principal(issuer), module_credential.id, "revocation", None
    )
    session.refresh(row)
    assert (row.suspended_at is not None) == (policy == "suspend")
