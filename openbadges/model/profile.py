"""The parts of a Profile: its address, coordinates and other identifiers.

OB 3.0 §B.1 ``Profile``: https://www.imsglobal.org/spec/ob/v3p0/#profile. ``Profile`` itself is
in :mod:`openbadges.model.vc`: a Profile carries endorsements, which are credentials whose
issuer is a Profile, so it is declared with the credential envelope.
"""

from __future__ import annotations

from openbadges.model.common import Number, TypedModel, TypeValue, type_field
from openbadges.model.enums import IdentifierTypeValue

__all__ = ["Address", "GeoCoordinates", "IdentifierEntry"]


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
