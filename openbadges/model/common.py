"""Shared building blocks of the Open Badges 3.0 model.

Every model derives from :class:`OBModel`: camelCase JSON names, construction by Python name, and
serialisation that omits ``null`` values and empty arrays, because OB 3.0 §A.1 ("JSON and JSON-LD
encoding", https://www.imsglobal.org/spec/ob/v3p0/#json-and-json-ld-encoding) says both MUST be
omitted.

Date-times are kept as the exact strings of the input rather than :class:`datetime.datetime`:
a signed credential must serialise back to the same text (``.000Z`` versus ``Z`` changes the
canonical form and breaks the signature), so the model validates the text and
:func:`as_datetime` converts when a caller needs a clock value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

__all__ = [
    "EXTRA_PROPERTY",
    "Date",
    "DateTime",
    "DateTimeZ",
    "Image",
    "LanguageCode",
    "Number",
    "OBModel",
    "StrictOBModel",
    "StrictTypedModel",
    "TypeValue",
    "TypedModel",
    "Uri",
    "as_datetime",
    "type_field",
    "type_list",
]

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S*$")
_DATETIME = re.compile(
    r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?P<tz>Z|[+-]\d{2}:\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")


_LEADING_KEYS = ("@context", "id", "type")


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Remove ``None`` values and empty lists (OB 3.0 §A.1 forbids both in the JSON).

    ``@context``, ``id`` and ``type`` are moved to the front, the order people expect to read.
    """
    kept = {k: v for k, v in data.items() if v is not None and v != []}
    leading = {k: kept.pop(k) for k in _LEADING_KEYS if k in kept}
    return leading | kept


class OBModel(BaseModel):
    """Base of every OB 3.0 class: camelCase aliases, extension properties allowed.

    ``extra="allow"`` is the default because most OB classes carry the spec's ``Extensions``
    mixin; classes without it derive from :class:`StrictOBModel`. Undefined JSON-LD terms are
    refused separately at signing time (:mod:`openbadges.jsonld.safe`).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
        frozen=False,
    )

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Serialise by alias without nulls and empty arrays."""
        data: dict[str, Any] = handler(self)
        return _drop_empty(data)


EXTRA_PROPERTY = "ob_extra_property"
"""Error type of an unknown property on a class without an extension point."""


def _refuse_extras(model: BaseModel, info: ValidationInfo) -> None:
    """Raise for the first unknown property unless reading a foreign document permissively."""
    if not model.model_extra or (info.context and info.context.get("permissive")):
        return
    name = next(iter(model.model_extra))
    raise PydanticCustomError(
        EXTRA_PROPERTY,
        "'{name}' is not a property of {cls} (it has no extension point)",
        {"name": name, "cls": type(model).__name__},
    )


class StrictOBModel(OBModel):
    """An OB class that has no extension point: unknown properties are errors.

    AchievementSubject, IdentityObject, Image and CredentialSchema have no ``Extensions`` mixin
    in ``common_credentials.lines`` and ``additionalProperties: false`` in the OB JSON schema.
    Building or strictly validating refuses extras; the permissive reading of another issuer's
    credential (:func:`openbadges.model.parse_credential`) keeps them, because credentials the
    1EdTech validator accepts do carry e.g. ``credentialSubject.name``.
    """

    @model_validator(mode="after")
    def _no_extras(self, info: ValidationInfo) -> Self:
        """Refuse unknown properties (see the class docstring)."""
        _refuse_extras(self, info)
        return self


def _check_uri(value: str) -> str:
    """Accept an absolute URI (any scheme: https, urn, did, data…)."""
    if not _URI.match(value):
        raise ValueError(f"must be an absolute URI with a scheme, got {value!r}")
    return value


def _datetime_text(value: object) -> object:
    """Turn a :class:`datetime` given by Python code into XSD dateTime text (UTC as ``Z``)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetime must carry a time zone")
        text = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return text
    return value


def _check_datetime(value: str, *, need_zone: bool) -> str:
    """Validate XSD dateTime text; ``need_zone`` enforces the OB ``DateTimeZ`` type."""
    match = _DATETIME.match(value)
    if not match:
        raise ValueError(f"must be an ISO 8601 date-time like 2024-01-01T00:00:00Z, got {value!r}")
    if need_zone and not match.group("tz"):
        raise ValueError(f"must carry a time zone (e.g. a trailing Z), got {value!r}")
    try:
        as_datetime(value)
    except ValueError as exc:
        raise ValueError(f"is not a valid date-time: {value!r}") from exc
    return value


def _check_date(value: object) -> object:
    """Accept a :class:`date` or ``YYYY-MM-DD`` text and return text."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value):
        date.fromisoformat(value)
        return value
    raise ValueError(f"must be a date like 2001-12-31, got {value!r}")


def _check_language(value: str) -> str:
    """Accept a BCP 47 language tag (shape check only)."""
    if not _LANGUAGE.match(value):
        raise ValueError(f"must be a BCP 47 language tag like 'en' or 'zh-CN', got {value!r}")
    return value


def as_datetime(value: str) -> datetime:
    """Parse model date-time text into a :class:`datetime`.

    Args:
        value: text accepted by :data:`DateTime` or :data:`DateTimeZ`.

    Returns:
        The parsed value; naive when the text had no zone.

    Raises:
        ValueError: the text is not a date-time.
    """
    return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))


Uri = Annotated[str, AfterValidator(_check_uri)]
"""An absolute URI: https URL, ``urn:uuid:``, DID, ``data:`` URI."""

DateTimeZ = Annotated[
    str,
    BeforeValidator(_datetime_text),
    AfterValidator(lambda v: _check_datetime(v, need_zone=True)),
]
"""OB ``DateTimeZ``: an XSD dateTime that carries a time zone (``validFrom``, ``validUntil``)."""

DateTime = Annotated[
    str,
    BeforeValidator(_datetime_text),
    AfterValidator(lambda v: _check_datetime(v, need_zone=False)),
]
"""OB ``DateTime``: an XSD dateTime whose zone is optional (``activityStartDate``)."""

Date = Annotated[str, BeforeValidator(_check_date)]
"""OB ``Date`` (``dateOfBirth``): ``YYYY-MM-DD``."""

LanguageCode = Annotated[str, AfterValidator(_check_language)]
"""A BCP 47 language tag."""

Number = StrictInt | StrictFloat
"""A JSON number kept as given: ``42`` stays an integer, because JSON-LD maps ``42`` and
``42.0`` to different literals and a signature covers the difference."""

TypeValue = str | list[str]
"""A JSON-LD ``type``: one IRI or a set. The given shape is kept for an exact round trip."""


def type_field(*names: str) -> Any:
    """Declare a ``type`` whose default is the list ``names`` (a fresh list per instance)."""
    return Field(default_factory=lambda: list(names))


def type_list(value: TypeValue) -> list[str]:
    """Return ``type`` as a list whichever shape it was given in."""
    return [value] if isinstance(value, str) else list(value)


def _missing(types: list[str], required: Iterable[tuple[str, ...]]) -> list[str]:
    """Return the alternatives of ``required`` that ``types`` does not satisfy."""
    return [" or ".join(alts) for alts in required if not set(alts) & set(types)]


class TypedModel(OBModel):
    """A class whose ``type`` MUST contain certain IRIs.

    ``REQUIRED_TYPES`` is a tuple of alternatives: every group needs one member in ``type``
    (for a credential: ``VerifiableCredential`` and one of ``OpenBadgeCredential`` /
    ``AchievementCredential``).
    """

    REQUIRED_TYPES: ClassVar[tuple[tuple[str, ...], ...]] = ()

    type: TypeValue

    @field_validator("type")
    @classmethod
    def _type_contains_required(cls, value: TypeValue) -> TypeValue:
        """Refuse a ``type`` that lacks a required IRI (the 1EdTech validator's type probe)."""
        types = type_list(value)
        if not types:
            raise ValueError("type must not be empty")
        missing = _missing(types, cls.REQUIRED_TYPES)
        if missing:
            raise ValueError(f"type must include {' and '.join(repr(m) for m in missing)}")
        return value


class StrictTypedModel(TypedModel):
    """A :class:`TypedModel` without an extension point (see :class:`StrictOBModel`)."""

    @model_validator(mode="after")
    def _no_extras(self, info: ValidationInfo) -> Self:
        """Refuse unknown properties unless reading permissively."""
        _refuse_extras(self, info)
        return self


class Image(StrictTypedModel):
    """An image with metadata (OB 3.0 ``Image``): ``id`` is a URL or a ``data:`` URI."""

    REQUIRED_TYPES = (("Image",),)

    id: Uri
    type: TypeValue = "Image"
    caption: str | None = None
