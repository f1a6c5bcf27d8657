"""Profile (issuer, creator, source, endorser) and its parts.

OB 3.0 §B.1 ``Profile``: https://www.imsglobal.org/spec/ob/v3p0/#profile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openbadges.model.common import (
    Date,
    Image,
    Number,
    TypedModel,
    TypeValue,
    Uri,
    type_field,
)
from openbadges.model.enums import IdentifierTypeValue

if TYPE_CHECKING:
    from openbadges.model.endorsement import EndorsementCredential

__all__ = ["Address", "GeoCoordinates", "IdentifierEntry", "Profile"]


class GeoCoordinates(TypedModel):
    """A point on Earth (``Address.geo``)."""

    REQUIRED_TYPES = (("GeoCoordinates",),)

    type: TypeValue = "GeoCoordinates"
    latitude: Number
    longitude: Number


class Address(TypedModel):
    """A postal address (schema.org ``PostalAddress`` shape)."""

    REQUIRED_TYPES = (("Address",),)

    type: TypeValue = type_field("Address")
    address_country: str | None = None
    address_country_code: str | None = None
    address_region: str | None = None
    address_locality: str | None = None
    street_address: str | None = None
    post_office_box_number: str | None = None
    postal_code: str | None = None
    geo: GeoCoordinates | None = None


class IdentifierEntry(TypedModel):
    """Another identifier of a Profile or Achievement (``otherIdentifier``)."""

    REQUIRED_TYPES = (("IdentifierEntry",),)

    type: TypeValue = "IdentifierEntry"
    identifier: str
    identifier_type: IdentifierTypeValue


class Profile(TypedModel):
    """A person or organisation: the issuer, an achievement's creator, an endorser.

    Required: ``id`` and ``type`` ∋ ``Profile``. The 1EdTech validator also checks the types of
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
