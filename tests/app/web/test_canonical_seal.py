"""The canonical digest recorded at signing, sealed to the stored document (app.credentials.seal).

A page not yet cached checks a credential's proof against the digest its signer recorded instead
of canonicalising the document again (issue 9, item 18d). These tests hold the line that makes
that safe: the seal opens only for the very row and text it was made for, under the service's
KEK, so a changed document is verified the long way and shows as changed.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from web_support import Issuer, fresh_issuer

from app import hot
from app.core.keystore import Keystore
from app.credentials import seal
from app.models import Credential
from app.web.credential_page import clear_caches
from openbadges.proofs import data_integrity

HTML = {"Accept": "text/html"}


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Issuer]:
    with fresh_issuer(tmp_path) as fresh:
        yield fresh


def _row(issuer: Issuer, credential_id: str) -> Credential:
    with Session(issuer.client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.get(Credential, uuid.UUID(credential_id))
        assert row is not None
        session.expunge(row)
        return row


def _keystore(issuer: Issuer) -> Keystore:
    keystore: Keystore = issuer.client.app.state.context.keystore  # type: ignore[attr-defined]
    return keystore


def test_a_seal_opens_only_for_its_row_text_and_kek() -> None:
    keystore, other_kek = Keystore(os.urandom(32)), Keystore(os.urandom(32))
    row_id, document, digest = uuid.uuid4(), '{"name":"Ada"}', os.urandom(32)
    made = seal.make(keystore, row_id, document, digest)
    assert len(made) <= Credential.__table__.c.canonical_seal.type.length  # type: ignore[attr-defined]
    assert seal.opened(keystore, row_id, document, made) == digest
    assert seal.opened(keystore, row_id, '{"name":"Eve"}', made) is None  # another text
    assert seal.opened(keystore, row_id, document + " ", made) is None  # one byte more
    assert seal.opened(keystore, uuid.uuid4(), document, made) is None  # copied to another row
    assert seal.opened(other_kek, row_id, document, made) is None  # made under another KEK
    forged = seal.make(other_kek, row_id, document, os.urandom(32))
    assert seal.opened(keystore, row_id, document, forged) is None
    for broken in (None, "", "2" + made[1:], made[:-4], made + "AAAA", "1.***", "1." + "A" * 200):
        assert seal.opened(keystore, row_id, document, broken) is None, broken


def test_issuing_seals_the_digest_a_data_integrity_proof_was_signed_over(issuer: Issuer) -> None:
    achievement = issuer.achievement("Statistics")
    signed = _row(issuer, issuer.issue(achievement))
    digest = seal.opened(_keystore(issuer), signed.id, signed.document, signed.canonical_seal)
    assert digest is not None
    assert digest == data_integrity.canonical_digest(json.loads(signed.document))

    both = _row(issuer, issuer.issue(achievement, proof="both"))
    assert seal.opened(_keystore(issuer), both.id, both.document, both.canonical_seal)
    jwt_only = _row(issuer, issuer.issue(achievement, proof="jwt"))
    assert jwt_only.canonical_seal is None  # no Data Integrity proof, nothing canonicalised


def _canonicalised_credentials(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the ids of the credentials the proof check canonicalises (status lists aside)."""
    seen: list[str] = []
    real = data_integrity.canonicalize_defined

    def watch(document: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if "OpenBadgeCredential" in (document.get("type") or []):
            seen.append(str(document.get("id")))
        return real(document, *args, **kwargs)

    monkeypatch.setattr(data_integrity, "canonicalize_defined", watch)
    return seen


def _page(issuer: Issuer, credential_id: str) -> str:
    clear_caches()
    hot.public.public_states.clear()
    response = issuer.client.get(f"/credentials/{credential_id}", headers=HTML)
    assert response.status_code == 200, response.text
    return response.text


def test_a_cold_page_checks_a_sealed_credential_without_canonicalising_it(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    achievement = issuer.achievement("Statistics")
    sealed = issuer.issue(achievement)
    seen = _canonicalised_credentials(monkeypatch)

    html = _page(issuer, sealed)

    assert 'data-banner="verified"' in html
    assert seen == []  # the signature was checked against the recorded digest

    with Session(issuer.client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.get(Credential, uuid.UUID(sealed))
        assert row is not None
        row.canonical_seal = None  # as for a credential issued before seals existed
        session.commit()
    assert 'data-banner="verified"' in _page(issuer, sealed)
    assert len(seen) == 1  # verified the long way


def test_a_changed_document_is_verified_the_long_way_and_shows_as_changed(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    achievement = issuer.achievement("Statistics")
    altered, donor = issuer.issue(achievement), issuer.issue(achievement, name="Grace")
    donor_seal = _row(issuer, donor).canonical_seal
    with Session(issuer.client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.get(Credential, uuid.UUID(altered))
        assert row is not None
        document = json.loads(row.document)
        document["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
        row.document = json.dumps(document)  # its own seal no longer matches the text
        session.commit()
    seen = _canonicalised_credentials(monkeypatch)

    assert 'data-banner="tampered"' in _page(issuer, altered)
    assert len(seen) == 2  # both passes canonicalised: the seal did not open

    with Session(issuer.client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.get(Credential, uuid.UUID(altered))
        assert row is not None
        row.canonical_seal = donor_seal  # another credential's valid seal
        session.commit()
    assert 'data-banner="tampered"' in _page(issuer, altered)
