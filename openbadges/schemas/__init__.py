"""The official Open Badges 3.0 JSON Schemas (bundled, hash-pinned) and a derived CLR 2.0 one.

``validate(document, kind) -> list[SchemaError(path, message)]`` runs a bundled schema offline
(draft 2019-09, ``jsonschema``); ``kind_for_url(url)`` says which bundled schema an official
``credentialSchema`` URL names. Provenance of the files: ``README.md`` in this package.
Specs: https://www.imsglobal.org/spec/ob/v3p0/#credentialschema,
https://www.imsglobal.org/spec/clr/v2p0/#data-model.
"""

from openbadges.schemas._validator import SchemaError, validate
from openbadges.schemas.loader import (
    KIND_FILES,
    OB30_URLS,
    SCHEMA_FILES,
    SchemaKind,
    kind_for_url,
    load_schema,
)

__all__ = [
    "KIND_FILES",
    "OB30_URLS",
    "SCHEMA_FILES",
    "SchemaError",
    "SchemaKind",
    "kind_for_url",
    "load_schema",
    "validate",
]
