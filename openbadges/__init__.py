"""Open Badges 3.0 / W3C Verifiable Credentials: model, proofs, keys, status lists, baking, verification.

The curated public surface. Everything here is re-exported from the module that defines it;
algorithm details stay in those modules (``openbadges.proofs.data_integrity``,
``openbadges.proofs.jwt``, ``openbadges.jsonld``, ``openbadges.verification``). Two names are
facade names for the library's two main operations, so that no top-level name shadows a
submodule:

* :func:`sign_credential` is :func:`openbadges.proofs.data_integrity.sign` (``eddsa-rdfc-2022``);
* :func:`verify_credential` is :func:`openbadges.verify.verify` (the per-check report).

The Pydantic models are best used as a namespace: ``from openbadges import model as ob``.
"""

from __future__ import annotations

from openbadges.baking import Baked, bake_png, bake_svg, unbake_png, unbake_svg
from openbadges.did import (
    VerificationMethod,
    did_document,
    did_key,
    did_web_to_url,
    resolve_did_key,
    url_to_did_web,
)
from openbadges.errors import (
    BakeError,
    CanonicalizationError,
    ContextError,
    JwtError,
    KeyFormatError,
    LimitExceededError,
    ModelError,
    OpenBadgesError,
    ResolutionError,
    SigningError,
    StatusListError,
    UndefinedTermError,
)
from openbadges.jsonld.canonical import canonicalize
from openbadges.jsonld.limits import DEFAULT_LIMITS, Limits
from openbadges.jsonld.safe import ensure_defined, find_undefined_terms
from openbadges.keys import KeyType, PublicKey, SigningKey, jwk_thumbprint
from openbadges.model import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    EndorsementCredential,
    IdentityObject,
    OpenBadgeCredential,
    Profile,
    hash_identity,
    to_json,
    validate_credential,
)
from openbadges.proofs.data_integrity import sign as sign_credential
from openbadges.resolver import InMemoryResolver, OfflineResolver, Resolver
from openbadges.status_list import (
    Bitstring,
    is_revoked_1edtech,
    read_status,
    status_entry,
    status_list_credential,
)
from openbadges.verification.report import Check, VerificationReport
from openbadges.verify import verify as verify_credential

__all__ = [
    "DEFAULT_LIMITS",
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "BakeError",
    "Baked",
    "Bitstring",
    "CanonicalizationError",
    "Check",
    "ContextError",
    "EndorsementCredential",
    "IdentityObject",
    "InMemoryResolver",
    "JwtError",
    "KeyFormatError",
    "KeyType",
    "LimitExceededError",
    "Limits",
    "ModelError",
    "OfflineResolver",
    "OpenBadgeCredential",
    "OpenBadgesError",
    "Profile",
    "PublicKey",
    "ResolutionError",
    "Resolver",
    "SigningError",
    "SigningKey",
    "StatusListError",
    "UndefinedTermError",
    "VerificationMethod",
    "VerificationReport",
    "bake_png",
    "bake_svg",
    "canonicalize",
    "did_document",
    "did_key",
    "did_web_to_url",
    "ensure_defined",
    "find_undefined_terms",
    "hash_identity",
    "is_revoked_1edtech",
    "jwk_thumbprint",
    "read_status",
    "resolve_did_key",
    "sign_credential",
    "status_entry",
    "status_list_credential",
    "to_json",
    "unbake_png",
    "unbake_svg",
    "url_to_did_web",
    "validate_credential",
    "verify_credential",
]
