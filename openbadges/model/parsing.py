"""Reading JSON into the model, and writing it back.

Pydantic's errors name fields by their location inside the validators, including union branch
names (``issuer.Profile.type``); :func:`validate_credential` turns them into JSON paths of the
input document (``$.issuer.type``, ``$.credentialSubject.result[1].type``) and raises
:class:`~openbadges.errors.ModelError`, so an API can point at the offending field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from openbadges.errors import ModelError
from openbadges.model.clr import ClrCredential
from openbadges.model.common import EXTRA_PROPERTY
from openbadges.model.credential import AchievementCredential
from openbadges.model.status_credential import BitstringStatusListCredential
from openbadges.model.vc import (
    LEGACY_DATES,
    PERMISSIVE,
    EndorsementCredential,
    VerifiableCredential,
)

__all__ = [
    "AnyCredential",
    "parse_credential",
    "parse_document",
    "to_json",
    "validate_credential",
    "validate_model",
]

M = TypeVar("M", bound=BaseModel)
V = TypeVar("V", bound=VerifiableCredential)

AnyCredential = (
    AchievementCredential | EndorsementCredential | ClrCredential | BitstringStatusListCredential
)

_BY_TYPE: dict[str, type[VerifiableCredential]] = {
    "BitstringStatusListCredential": BitstringStatusListCredential,
    "EndorsementCredential": EndorsementCredential,
    "ClrCredential": ClrCredential,
}

# Errors that only say "this union branch does not fit": noise when another branch explains more.
_BRANCH_MISMATCH = {
    "model_type",
    "model_attributes_type",
    "dict_type",
    "list_type",
    "string_type",
    "int_type",
    "float_type",
    "bool_type",
    "literal_error",
    "union_tag_invalid",
}


def to_json(model: BaseModel) -> dict[str, Any]:
    """Serialise a model to its OB 3.0 JSON object.

    Args:
        model: any model of this package.

    Returns:
        A JSON-ready dict: camelCase names, no nulls, no empty arrays.
    """
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def validate_model(cls: type[M], doc: Any, *, permissive: bool = False) -> M:
    """Validate ``doc`` (JSON names only) as ``cls``, raising :class:`ModelError` with a path.

    Args:
        cls: the model class, e.g. ``Achievement`` or ``Profile``.
        doc: the parsed JSON.
        permissive: read a foreign document leniently: VC 1.1 credentials, and unknown
            properties on classes without an extension point (used by :func:`parse_credential`).

    Returns:
        The validated model.

    Raises:
        ModelError: the document does not fit; ``path`` names the first offending field.
    """
    if not isinstance(doc, Mapping):
        raise ModelError(f"expected a JSON object, got {type(doc).__name__}", path="$")
    try:
        return cls.model_validate(
            doc, by_alias=True, by_name=False, context={PERMISSIVE: permissive}
        )
    except ValidationError as exc:
        raise _model_error(exc, doc) from None


def validate_credential(doc: Any) -> AchievementCredential:
    """Validate an OB 3.0 (VC 2.0) AchievementCredential / OpenBadgeCredential.

    VC 1.1 credentials (``issuanceDate``) are refused here: ``validFrom`` is required. Use
    :func:`parse_credential` to read them for verification.

    Args:
        doc: the parsed JSON of the credential.

    Returns:
        The model.

    Raises:
        ModelError: with ``path`` such as ``$.credentialSubject.result[0].type``.
    """
    return validate_model(AchievementCredential, doc)


def parse_credential(doc: Any) -> AchievementCredential:
    """Read an OB credential in either the VC 2.0 or the VC 1.1 shape.

    The VC 1.1 shape (``AchievementCredentialv1p1``, accepted by OB 3.0 for verification only)
    has ``issuanceDate``/``expirationDate``; they are mapped onto ``validFrom``/``validUntil``
    and the model is marked :attr:`~VerifiableCredential.legacy`, which also makes it serialise
    with the original names.

    Args:
        doc: the parsed JSON of the credential.

    Returns:
        The model, ``legacy`` set for VC 1.1 input.

    Raises:
        ModelError: the document fits neither shape.
    """
    return _parse_as(AchievementCredential, doc)


def parse_document(doc: Any) -> AnyCredential:
    """Read any credential this library knows, choosing the class from ``type``.

    ``BitstringStatusListCredential``, ``EndorsementCredential`` and ``ClrCredential`` get their
    own classes; everything else is read as an AchievementCredential. VC 1.1 input is accepted
    as in :func:`parse_credential`.

    Args:
        doc: the parsed JSON.

    Returns:
        The model of the matching class.

    Raises:
        ModelError: the document does not fit that class.
    """
    types = doc.get("type") if isinstance(doc, Mapping) else None
    names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    cls: type[VerifiableCredential] = AchievementCredential
    for name in names:
        cls = _BY_TYPE.get(name, cls)
    result: AnyCredential = _parse_as(cls, doc)  # type: ignore[assignment]
    return result


def _parse_as(cls: type[V], doc: Any) -> V:
    """Validate on the permissive path (VC 1.1 shape, unknown subject properties)."""
    return validate_model(cls, doc, permissive=True)


def _model_error(exc: ValidationError, doc: Any) -> ModelError:
    """Build one ModelError from pydantic's errors: the first path, every problem listed."""
    problems = _problems(exc.errors(include_url=False, include_input=False), doc)
    path, message = problems[0]
    if len(problems) > 1:
        others = "; ".join(f"{p}: {m}" for p, m in problems[1:])
        message = f"{message} (also: {others})"
    return ModelError(message, path=path)


def _problems(errors: Sequence[ErrorDetails], doc: Any) -> list[tuple[str, str]]:
    """Turn pydantic errors into unique ``(json_path, message)`` pairs, noise removed."""
    located = [(*_json_path(_loc(err), doc, err["type"] == "missing"), err) for err in errors]
    useful = [
        (path, err)
        for path, in_union, err in located
        if not (in_union and err["type"] in _BRANCH_MISMATCH)
    ]
    chosen = useful or [(path, err) for path, _, err in located]
    seen: dict[str, str] = {}
    for path, err in chosen:
        message = _message(err)
        if message not in seen.get(path, ""):
            seen[path] = f"{seen[path]}; {message}" if path in seen else message
    return list(seen.items())


def _loc(err: ErrorDetails) -> tuple[int | str, ...]:
    """The error location; an unknown property points at the property itself."""
    ctx = err.get("ctx") or {}
    if err["type"] == EXTRA_PROPERTY and isinstance(ctx.get("name"), str):
        return (*err["loc"], ctx["name"])
    return tuple(err["loc"])


def _message(err: ErrorDetails) -> str:
    """Pydantic's message without its ``Value error,`` prefix."""
    msg = err["msg"]
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


_LEGACY_NAMES = {new: old for old, new in LEGACY_DATES.items()}


def _json_path(loc: tuple[int | str, ...], doc: Any, missing: bool) -> tuple[str, bool]:
    """Follow ``loc`` through ``doc``; segments that are not in the document are union tags.

    A VC 1.1 date read as ``validFrom`` is reported under its own name (``issuanceDate``).

    Returns:
        The JSON path and whether a union branch was crossed.
    """
    path, node, in_union = "$", doc, False
    for position, segment in enumerate(loc):
        absent_ok = missing and position == len(loc) - 1
        if isinstance(node, Mapping) and isinstance(segment, str):
            if not missing and segment not in node and _LEGACY_NAMES.get(segment) in node:
                segment = _LEGACY_NAMES[segment]
            if segment in node or absent_ok:
                path += _member(segment)
                node = node.get(segment)
                continue
        if isinstance(node, list) and isinstance(segment, int):
            path += f"[{segment}]"
            node = node[segment] if segment < len(node) else None
            continue
        in_union = True
    return path, in_union


def _member(key: str) -> str:
    """One JSON-path step: ``.name`` for plain names, ``['odd key']`` otherwise."""
    return f".{key}" if key.removeprefix("@").isidentifier() else f"[{key!r}]"
