"""``credentialStatus`` entries.

- :class:`BitstringStatusListEntry`: W3C Bitstring Status List v1.0 §2.1
  (https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistentry).
- :class:`OneEdTechRevocationListEntry`: 1EdTech Revocation List (``1EdTechRevocationList``),
  the method OB 3.0 ``verification.md`` names.
- :class:`CredentialStatusEntry`: any other method, kept as given so a verifier can say it does
  not know it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

from pydantic import Discriminator, Field, StrictInt, Tag, field_validator, model_validator

from openbadges.model.common import OBModel, Uri

__all__ = [
    "BitstringStatusListEntry",
    "CredentialStatus",
    "CredentialStatusEntry",
    "OneEdTechRevocationListEntry",
    "StatusMessage",
]

_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
_HEX_STATUS = re.compile(r"^0x[0-9a-fA-F]+$")


class StatusMessage(OBModel):
    """The meaning of one status value when ``statusSize`` > 1 (``{"status": "0x1", ...}``)."""

    status: str
    message: str

    @field_validator("status")
    @classmethod
    def _hex(cls, value: str) -> str:
        """Status values are hexadecimal strings such as ``0x0``."""
        if not _HEX_STATUS.match(value):
            raise ValueError(f"status must be a hex string like '0x1', got {value!r}")
        return value


class BitstringStatusListEntry(OBModel):
    """A pointer to one slot of a Bitstring Status List.

    ``statusListIndex`` is a base-10 *string* in the spec; an integer (seen in the 1EdTech test
    corpus) is accepted and kept as given, and :attr:`index` gives the number either way.
    """

    id: Uri | None = None
    type: Literal["BitstringStatusListEntry"] = "BitstringStatusListEntry"
    status_purpose: str
    status_list_index: str | StrictInt
    status_list_credential: Uri
    status_size: StrictInt | None = Field(default=None, ge=1)
    status_message: list[StatusMessage] | None = None
    status_reference: Uri | list[Uri] | None = None

    @field_validator("status_list_index")
    @classmethod
    def _decimal(cls, value: str | int) -> str | int:
        """A non-negative base-10 integer."""
        if (isinstance(value, int) and value < 0) or (
            isinstance(value, str) and not _DECIMAL.match(value)
        ):
            raise ValueError(
                f"statusListIndex must be a non-negative base-10 integer, got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _entry_rules(self) -> Self:
        """The entry id is not the list URL; multi-bit entries describe their values."""
        if self.id is not None and self.id == self.status_list_credential:
            raise ValueError("the entry id must not equal statusListCredential")
        if (self.status_size or 1) > 1 and not self.status_message:
            raise ValueError("statusMessage is required when statusSize is greater than 1")
        return self

    @property
    def index(self) -> int:
        """The slot index as an integer."""
        return int(self.status_list_index)


class OneEdTechRevocationListEntry(OBModel):
    """A pointer to an issuer's 1EdTech revocation list document (``1EdTechRevocationList``)."""

    id: Uri
    type: Literal["1EdTechRevocationList"] = "1EdTechRevocationList"


class CredentialStatusEntry(OBModel):
    """A status entry of a method this library does not implement."""

    id: Uri | None = None
    type: str | list[str]


def _status_kind(value: Any) -> str:
    """Pick the status model from ``type``; unknown methods fall through to the generic one."""
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if kind in ("BitstringStatusListEntry", "1EdTechRevocationList"):
        return str(kind)
    return "other"


CredentialStatus = Annotated[
    Annotated[BitstringStatusListEntry, Tag("BitstringStatusListEntry")]
    | Annotated[OneEdTechRevocationListEntry, Tag("1EdTechRevocationList")]
    | Annotated[CredentialStatusEntry, Tag("other")],
    Discriminator(_status_kind),
]
"""One ``credentialStatus`` entry of any method."""
