"""The Bitstring Status List credential (the list itself, published by the issuer).

W3C Bitstring Status List v1.0 §2.2
(https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential). The list is a
VC 2.0 credential; its subject holds the GZIP-compressed, multibase-encoded bitstring, which
:mod:`openbadges.status_list` encodes and decodes.
"""

from __future__ import annotations

from pydantic import Field, StrictInt

from openbadges.model.common import TypedModel, TypeValue, Uri, type_field
from openbadges.model.vc import VerifiableCredential

__all__ = ["BitstringStatusList", "BitstringStatusListCredential"]


class BitstringStatusList(TypedModel):
    """The subject of a status list credential.

    ``statusPurpose`` may be one string or a list in the W3C spec; this service publishes one
    purpose per list (the 1EdTech validator compares a single string). ``ttl`` is in
    milliseconds.
    """

    REQUIRED_TYPES = (("BitstringStatusList",),)

    id: Uri | None = None
    type: TypeValue = "BitstringStatusList"
    status_purpose: str | list[str]
    encoded_list: str = Field(min_length=2)
    ttl: StrictInt | None = Field(default=None, ge=0)


class BitstringStatusListCredential(VerifiableCredential):
    """A credential whose subject is a :class:`BitstringStatusList`."""

    REQUIRED_TYPES = (("VerifiableCredential",), ("BitstringStatusListCredential",))

    type: TypeValue = type_field("VerifiableCredential", "BitstringStatusListCredential")
    credential_subject: BitstringStatusList
