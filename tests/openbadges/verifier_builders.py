"""Builders for the verifier tests: an issuer with a did:web and a signed credential.

Everything is signed for real with :mod:`openbadges.proofs.data_integrity` and served from an
:class:`~openbadges.resolver.InMemoryResolver`, so the tests exercise the same code paths as a
verification over the network. A module of its own (not ``conftest``) so test modules import it
by a name no other test folder uses.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from openbadges.did import VerificationMethod, did_document, did_web_to_url
from openbadges.keys import KeyType, SigningKey
from openbadges.proofs.data_integrity import sign
from openbadges.resolver import InMemoryResolver

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ISSUER_DID = "did:web:badges.example.edu:issuers:42"
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


@dataclass
class Issuer:
    """A test issuer: a did:web, its keys and the documents a resolver serves for it."""

    did: str = ISSUER_DID
    key: SigningKey = field(default_factory=lambda: SigningKey.generate(KeyType.ED25519))
    rsa: SigningKey | None = None
    documents: dict[str, dict[str, Any] | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        methods = [VerificationMethod("#key-1", self.did, self.key.public_key)]
        if self.rsa is not None:
            methods.append(VerificationMethod("#key-2", self.did, self.rsa.public_key))
        self.documents[did_web_to_url(self.did)] = did_document(self.did, methods)

    @property
    def method(self) -> str:
        """The verification method id of the Ed25519 key."""
        return f"{self.did}#key-1"

    def resolver(self) -> InMemoryResolver:
        """A resolver serving this issuer's documents (and whatever was added to them)."""
        return InMemoryResolver(self.documents)

    def sign(self, document: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Sign with the issuer's Ed25519 key (eddsa-rdfc-2022)."""
        kwargs.setdefault("verification_method", self.method)
        kwargs.setdefault("created", "2026-01-01T00:00:00Z")
        return sign(document, self.key, **kwargs)


def make_credential(issuer_id: str = ISSUER_DID, **overrides: Any) -> dict[str, Any]:
    """An unsigned, minimal OpenBadgeCredential; ``overrides`` replace top-level members."""
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": "urn:uuid:1b6c7a4e-3f0f-4b8e-9a52-1f1e7d0c9a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "Example University"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Data Literacy",
        "credentialSubject": {
            "id": "did:example:learner-7",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.example.edu/achievements/data-literacy",
                "type": ["Achievement"],
                "name": "Data Literacy",
                "description": "Reads, cleans and charts a data set.",
                "criteria": {"narrative": "Pass the final project."},
            },
        },
    }
    credential.update(copy.deepcopy(overrides))
    return credential
