"""Run the bundled schemas with ``jsonschema`` (draft 2019-09, the ``$schema`` of every file).

Two deliberate departures from running the files as they are, both in memory (the pinned bytes
stay untouched):

* ``proof`` may be one object or an array. The generated OB 3.0 schemas type ``proof`` as an array
  of ``Proof`` only, while VC 2.0 (https://www.w3.org/TR/vc-data-model-2.0/#proofs-signatures)
  and 1EdTech's own validator accept a single proof object (its valid fixtures have both
  shapes). Every ``"proof": {"type": "array", "items": {"$ref": P}}`` is therefore rewritten to
  ``{"anyOf": [{"$ref": P}, <the array form>]}``; error paths keep pointing into the document as
  it is (``$.proof.type``, not ``$.proof[0].type``).
* ``format`` is asserted, for the two formats the files use (``date-time``, ``date``), with our own
  RFC 3339 checks: jsonschema's default checker silently skips ``date-time`` unless an optional
  package is installed, and a check must not depend on what else happens to be installed.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from jsonschema import Draft201909Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909

from openbadges.schemas.loader import KIND_FILES, SchemaKind, load_schema

__all__ = ["SchemaError", "validate"]

_MAX_ERRORS = 50
"""At most this many errors are reported (a hostile document could otherwise yield thousands)."""


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One schema violation: the JSON path in the document (``$.credentialSubject.type``) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


def _is_date_time(value: object) -> bool:
    """RFC 3339 ``date-time`` (zone required), and a real calendar instant."""
    if not isinstance(value, str):
        return True  # ``format`` only constrains strings
    if not _DATE_TIME.match(value):
        return False
    text = value.replace("t", "T").replace("z", "Z")
    main, _, _ = text.partition(".")
    try:
        datetime.fromisoformat(main[:19])
    except ValueError:
        return False
    return True


def _is_date(value: object) -> bool:
    """RFC 3339 ``full-date``."""
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("date-time")(_is_date_time)
_FORMATS.checks("date")(_is_date)


def _accept_single_proof(node: Any) -> Any:
    """Rewrite every array-only ``proof`` property to also accept one ``Proof`` object."""
    if isinstance(node, list):
        return [_accept_single_proof(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _accept_single_proof(value) for key, value in node.items()}
    properties = out.get("properties")
    if isinstance(properties, dict):
        proof = properties.get("proof")
        if (
            isinstance(proof, dict)
            and proof.get("type") == "array"
            and isinstance(proof.get("items"), dict)
            and "$ref" in proof["items"]
        ):
            properties["proof"] = {"anyOf": [dict(proof["items"]), proof]}
    return out


@cache
def _registry() -> Registry[Any]:
    """Every bundled schema, by ``$id``, so cross-file ``$ref``s resolve offline."""
    resources: list[tuple[str, Resource[Any]]] = []
    for kind in KIND_FILES:
        schema = _accept_single_proof(load_schema(kind))
        resources.append((schema["$id"], DRAFT201909.create_resource(schema)))
    return Registry().with_resources(resources)


@cache
def _validator(kind: SchemaKind) -> Draft201909Validator:
    schema = _accept_single_proof(load_schema(kind))
    return Draft201909Validator(schema, registry=_registry(), format_checker=_FORMATS)


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _deepest(error: ValidationError) -> ValidationError:
    """For ``anyOf``/``oneOf`` failures, the branch error deepest in the document (the most
    specific place), then jsonschema's pick among those."""
    while error.context:
        deepest = max(len(e.absolute_path) for e in error.context)
        error = best_match(e for e in error.context if len(e.absolute_path) == deepest)
    return error


_MAX_ROUNDS = 16
"""Bound on the single-value wrapping rounds (each round can uncover one level deeper)."""


def _wants_array(error: ValidationError) -> bool:
    if error.validator != "type" or isinstance(error.instance, list):
        return False
    allowed = error.validator_value
    return allowed == "array" or (isinstance(allowed, list) and "array" in allowed)


def _array_errors(errors: list[ValidationError]) -> list[ValidationError]:
    """Every ``type: array`` failure on a single value, including inside ``anyOf`` branches."""
    found: list[ValidationError] = []
    pending = list(errors)
    while pending:
        error = pending.pop()
        if _wants_array(error):
            found.append(error)
        pending.extend(error.context or [])
    return found


def _wrapped(document: Any, paths: list[list[str | int]]) -> Any:
    """A copy of ``document`` with the value at each path put in a one-item list."""
    copy_ = copy.deepcopy(document)
    for path in sorted(paths, key=len, reverse=True):
        if not path:
            continue
        parent = copy_
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = [parent[path[-1]]]
    return copy_


_MAX_MESSAGE = 200
"""jsonschema quotes the offending value in its messages; a long one is cut (the path names it)."""


def _short(error: ValidationError) -> str:
    """The message with a long quoted value cut down, keeping what is said about it."""
    message = str(error.message)
    if len(message) <= _MAX_MESSAGE:
        return message
    quoted = repr(error.instance)
    if len(quoted) > 60 and quoted in message:
        message = message.replace(quoted, quoted[:59] + "…")
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def validate(
    document: object, kind: SchemaKind, *, single_as_array: bool = False
) -> list[SchemaError]:
    """Check ``document`` against the bundled schema for ``kind``.

    Args:
        document: the parsed JSON (a credential, profile, …); not modified.
        kind: which schema, e.g. ``"achievement_credential"`` (see
            :data:`openbadges.schemas.KIND_FILES`); ``"clr_credential"`` is the derived CLR 2.0
            schema.
        single_as_array: read a single value where the schema wants an array as a one-item
            array, as JSON-LD does (``"type": "Achievement"`` is ``["Achievement"]`` in RDF).
            1EdTech's validator does the same through its JSON-LD schema variants and reports
            what fails only the plain JSON schema as a warning, not an error.

    Returns:
        The violations, in document order (empty when the document is valid), at most 50.
        ``proof`` may be an object or an array (module docstring).
    """
    validator = _validator(kind)
    raw = list(validator.iter_errors(document))
    if single_as_array and raw:
        current: Any = document
        seen: set[tuple[str | int, ...]] = set()
        for _ in range(_MAX_ROUNDS):
            paths = [list(e.absolute_path) for e in _array_errors(raw)]
            paths = [p for p in paths if tuple(p) not in seen]
            if not paths:
                break
            seen.update(tuple(p) for p in paths)
            current = _wrapped(current, paths)
            raw = list(validator.iter_errors(current))
            if not raw:
                break
    errors = sorted(raw, key=lambda e: [str(p) for p in e.absolute_path])
    found: list[SchemaError] = []
    for error in errors:
        detail = _deepest(error)
        item = SchemaError(_json_path(detail), _short(detail))
        if item not in found:
            found.append(item)
        if len(found) == _MAX_ERRORS:
            break
    return found
