"""The bundled JSON Schemas: which URL is which file, read once, never fetched.

The five Open Badges 3.0 schemas under ``ob30/`` are 1EdTech's generated copies (provenance and
sha256 in ``README.md``, pinned in ``tests/openbadges/test_schemas.py`` like the JSON-LD
contexts). Each answers to two URLs: its ``$id`` (``…/ob_v3p0_<class>-jsonschema1.json``) and the
``…/ob_v3p0_<class>_schema.json`` name that the specification's examples put in
``credentialSchema`` (https://www.imsglobal.org/spec/ob/v3p0/#credentialschema).

CLR 2.0's generated schema is not at hand, so ``clr20/clrcredential-derived.json`` is written from
the CLR 2.0 data model's multiplicities (https://www.imsglobal.org/spec/clr/v2p0/#data-model) and
reuses the OB 3.0 definitions for the classes both specifications share. It is *derived*, not
official: it is never served under the official CLR URL's name to a verifier's ``schema`` check
(:mod:`openbadges.verification.schema`), only used by :func:`openbadges.schemas.validate`.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any, Literal

from openbadges.errors import OpenBadgesError

__all__ = [
    "KIND_FILES",
    "OB30_URLS",
    "SCHEMA_FILES",
    "SchemaKind",
    "kind_for_url",
    "load_schema",
    "schema_file",
]

SchemaKind = Literal[
    "achievement_credential",
    "endorsement_credential",
    "profile",
    "get_open_badge_credentials_response",
    "imsx_status_info",
    "clr_credential",
]

_OB = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_"

KIND_FILES: dict[SchemaKind, str] = {
    "achievement_credential": "ob30/achievementcredential.json",
    "endorsement_credential": "ob30/endorsementcredential.json",
    "profile": "ob30/profile.json",
    "get_open_badge_credentials_response": "ob30/getopenbadgecredentialsresponse.json",
    "imsx_status_info": "ob30/imsx_statusinfo.json",
    "clr_credential": "clr20/clrcredential-derived.json",
}
"""Every kind :func:`openbadges.schemas.validate` knows, mapped to its file in this package."""

_OB_CLASSES: dict[SchemaKind, str] = {
    "achievement_credential": "achievementcredential",
    "endorsement_credential": "endorsementcredential",
    "profile": "profile",
    "get_open_badge_credentials_response": "getopenbadgecredentialsresponse",
    "imsx_status_info": "imsx_statusinfo",
}

OB30_URLS: dict[str, SchemaKind] = {
    f"{_OB}{name}{suffix}": kind
    for kind, name in _OB_CLASSES.items()
    for suffix in ("-jsonschema1.json", "_schema.json")
}
"""The official OB 3.0 schema URLs that are bundled (both spellings), mapped to their kind."""

SCHEMA_FILES: dict[str, str] = {url: KIND_FILES[kind] for url, kind in OB30_URLS.items()}
"""Official URL → bundled file (OB 3.0 only; the derived CLR schema has no official URL)."""

_PACKAGE = "openbadges.schemas"


class SchemaFileError(OpenBadgesError):
    """A bundled schema file is missing or broken (a broken install, not bad input)."""


def kind_for_url(url: str) -> SchemaKind | None:
    """The kind of the bundled official OB 3.0 schema at ``url`` (exact match), else None."""
    return OB30_URLS.get(url)


def schema_file(kind: SchemaKind) -> str:
    """The package-relative file name of ``kind``'s schema."""
    return KIND_FILES[kind]


@cache
def _parsed(file_name: str) -> dict[str, Any]:
    """Read and parse one bundled file once per process (callers get copies)."""
    try:
        text = resources.files(_PACKAGE).joinpath(file_name).read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, ValueError) as exc:
        raise SchemaFileError(
            f"bundled schema file {file_name!r} cannot be read: {exc}", code="schema_file"
        ) from exc
    if not isinstance(document, dict):
        raise SchemaFileError(f"bundled schema {file_name!r} is not an object", code="schema_file")
    return document


def load_schema(kind: SchemaKind) -> dict[str, Any]:
    """A private copy of the bundled schema for ``kind``, exactly as in the file."""
    return copy.deepcopy(_parsed(KIND_FILES[kind]))
