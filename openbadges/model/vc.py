"""The W3C Verifiable Credential envelope of every credential class, Profile, EndorsementCredential.

VC Data Model 2.0 §4 (https://www.w3.org/TR/vc-data-model-2.0/#basic-concepts). Credentials in
the VC 1.1 shape (``issuanceDate``/``expirationDate``, context ``2018/credentials/v1``) are read
only through :func:`openbadges.model.parse_credential`, which maps the dates onto
``validFrom``/``validUntil`` and marks the model ``legacy``; serialising a legacy model writes the
VC 1.1 names back, so the document round-trips unchanged.

The three classes refer to each other: a credential's ``issuer`` is a Profile, a Profile's
``endorsement`` lists EndorsementCredentials, and an EndorsementCredential is a credential. They
are declared in this one module so that the modules of the package import each other without a
cycle (every other credential class builds on this one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from openbadges.model.common import (
    Date,
    DateTimeZ,
    Image,
    StrictTypedModel,
    TypedModel,
    TypeValue,
    Uri,
    _drop_empty,
    type_field,
)
from openbadges.model.profile import Address, IdentifierEntry
from openbadges.model.proof import AnyProof
from openbadges.model.status import CredentialStatus

__all__ = [
    "CLR_CONTEXT",
    "CLR_CONTEXT_PATTERN",
    "LEGACY_DATES",
    "OB_CONTEXT",
    "OB_CONTEXT_PATTERN",
    "OB_EXTENSIONS_CONTEXT",
    "PERMISSIVE",
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "CredentialSchema",
    "EndorsementCredential",
    "EndorsementSubject",
    "Profile",
    "RefreshService",
    "TermsOfUse",
    "VerifiableCredential",
    "context_field",
    "is_legacy_shape",
    "is_permissive",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT_PATTERN = r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_CONTEXT_PATTERN = r"^https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d\.\d)*\.json$"
LEGACY_DATES = {"issuanceDate": "validFrom", "expirationDate": "validUntil"}
"""VC 1.1 date names and their VC 2.0 counterparts."""

PERMISSIVE = "permissive"
"""Key of the pydantic validation context for reading foreign credentials: VC 1.1 shape and
unknown properties on classes without an extension point are then accepted."""


def is_permissive(info: ValidationInfo) -> bool:
    """Tell whether the current validation reads a foreign document permissively."""
    return bool(info.context and info.context.get(PERMISSIVE))


def is_legacy_shape(doc: Mapping[str, Any]) -> bool:
    """VC 1.1: the 2018 context first, or ``issuanceDate`` without ``validFrom``."""
    context = doc.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    return first == VC_V1_CONTEXT or ("issuanceDate" in doc and "validFrom" not in doc)


def context_field(*urls: str) -> Any:
    """Declare ``@context`` with ``urls`` as the default (used by each credential class)."""
    return Field(default_factory=lambda: list(urls), alias="@context", min_length=1)


class CredentialSchema(StrictTypedModel):
    """A schema the credential claims to follow (``1EdTechJsonSchemaValidator2019``)."""

    id: Uri
    type: TypeValue = "1EdTechJsonSchemaValidator2019"


class RefreshService(TypedModel):
    """Where a fresh copy can be fetched (``1EdTechCredentialRefresh``)."""

    id: Uri
    type: TypeValue = "1EdTechCredentialRefresh"


class TermsOfUse(TypedModel):
    """A policy under which the credential is issued (VC 2.0 §5.7)."""

    id: Uri | None = None
    type: TypeValue


class Profile(TypedModel):
    """A person or organisation: the issuer, an achievement's creator, an endorser.

    OB 3.0 §B.1 ``Profile`` (https://www.imsglobal.org/spec/ob/v3p0/#profile). Required: ``id`` and ``type`` ∋ ``Profile``. The 1EdTech validator also checks the types of
    ``otherIdentifier`` entries and ``parentOrg``, which the nested models do here.
    """

    REQUIRED_TYPES = (("Profile",),)

    id: Uri
    type: TypeValue = type_field("Profile")
    name: str | None = None
    url: Uri | None = None
    phone: str | None = None
    description: str | None = None
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[str] | None = None
    image: Image | None = None
    email: str | None = None
    address: Address | None = None
    other_identifier: list[IdentifierEntry] | None = None
    official: str | None = None
    parent_org: Profile | None = None
    family_name: str | None = None
    given_name: str | None = None
    additional_name: str | None = None
    patronymic_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None
    family_name_prefix: str | None = None
    date_of_birth: Date | None = None


class VerifiableCredential(TypedModel):
    """Fields common to every credential; subclasses add ``credentialSubject``.

    ``@context`` must start with the VC 2.0 context (or VC 1.1 on the legacy path).
    ``credentialStatus`` may be one entry or a list (VC 2.0 allows both).
    """

    REQUIRED_TYPES: ClassVar[tuple[tuple[str, ...], ...]] = (("VerifiableCredential",),)
    REQUIRED_CONTEXTS: ClassVar[tuple[str, ...]] = ()
    """Regular expressions; each must match some later ``@context`` entry."""

    context: list[str | dict[str, Any]] = context_field(VC_V2_CONTEXT)
    id: Uri | None = None
    type: TypeValue = type_field("VerifiableCredential")
    issuer: Profile | Uri
    valid_from: DateTimeZ | None = None
    valid_until: DateTimeZ | None = None
    name: str | None = None
    description: str | None = None
    image: Image | None = None
    credential_schema: list[CredentialSchema] | None = None
    credential_status: CredentialStatus | list[CredentialStatus] | None = None
    refresh_service: RefreshService | None = None
    terms_of_use: list[TermsOfUse] | None = None
    proof: AnyProof | list[AnyProof] | None = None

    _legacy: bool = PrivateAttr(default=False)

    @property
    def legacy(self) -> bool:
        """True when the credential was read in the VC 1.1 shape."""
        return self._legacy

    @property
    def issuer_id(self) -> str:
        """The issuer's id whether ``issuer`` is a URI or an embedded Profile."""
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id

    @property
    def proofs(self) -> list[Any]:
        """The embedded proofs as a list (``proof`` may be one object or an array)."""
        if self.proof is None:
            return []
        return list(self.proof) if isinstance(self.proof, list) else [self.proof]

    @field_validator("context")
    @classmethod
    def _check_context(cls, value: list[Any], info: ValidationInfo) -> list[Any]:
        """The base context comes first; the class's own contexts follow (order matters)."""
        allowed = {VC_V2_CONTEXT, VC_V1_CONTEXT} if is_permissive(info) else {VC_V2_CONTEXT}
        if value[0] not in allowed:
            raise ValueError(f"the first @context must be {VC_V2_CONTEXT!r}, got {value[0]!r}")
        for pattern in cls.REQUIRED_CONTEXTS:
            if not _any_matches(pattern, value[1:]):
                raise ValueError(f"@context must include a context matching {pattern}")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _read_legacy(
        cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo
    ) -> Self:
        """On the permissive path, map VC 1.1 dates and remember the shape (nested ones too)."""
        if not (isinstance(data, Mapping) and is_permissive(info) and is_legacy_shape(data)):
            return handler(data)
        model = handler({LEGACY_DATES.get(key, key): value for key, value in data.items()})
        model._legacy = True
        return model

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Serialise without nulls/empty arrays, using the VC 1.1 date names for legacy input."""
        data = _drop_empty(handler(self))
        if not self._legacy:
            return data
        renamed = {new: old for old, new in LEGACY_DATES.items()}
        return {renamed.get(key, key): value for key, value in data.items()}


def _any_matches(pattern: str, contexts: list[Any]) -> bool:
    """Tell whether a string entry of ``contexts`` matches ``pattern``."""
    return any(isinstance(c, str) and re.match(pattern, c) for c in contexts)


class EndorsementSubject(TypedModel):
    """The endorsed thing (by ``id``) and the endorser's Markdown comment."""

    REQUIRED_TYPES = (("EndorsementSubject",),)

    id: Uri
    type: TypeValue = type_field("EndorsementSubject")
    endorsement_comment: str | None = None


class EndorsementCredential(VerifiableCredential):
    """A signed endorsement; verified like an OpenBadgeCredential.

    OB 3.0 §B.1 ``EndorsementCredential``
    (https://www.imsglobal.org/spec/ob/v3p0/#endorsementcredential). Required beyond the VC envelope: ``id``, ``name``, ``validFrom`` and the OB context.
    """

    REQUIRED_TYPES = (("VerifiableCredential",), ("EndorsementCredential",))
    REQUIRED_CONTEXTS: ClassVar[tuple[str, ...]] = (OB_CONTEXT_PATTERN,)

    context: list[str | dict[str, Any]] = context_field(VC_V2_CONTEXT, OB_CONTEXT)
    id: Uri
    type: TypeValue = type_field("VerifiableCredential", "EndorsementCredential")
    name: str
    valid_from: DateTimeZ
    credential_subject: EndorsementSubject


# Profile and VerifiableCredential name EndorsementCredential, declared last: complete them now,
# at import, rather than on their first validation.
Profile.model_rebuild()
VerifiableCredential.model_rebuild()
