"""The ``schema`` check: which ``credentialSchema`` entries were (not) applied.

Policy. The official Open Badges 3.0 JSON schemas encode the same rules as the ``structure``
check, which applies them locally, so those URLs are never fetched. Any other schema is the
issuer's own constraint: this verifier does not download and run remote JSON schemas (an
unbounded, attacker-chosen input), so such an entry makes the check ``unknown``, naming the URL.
An ``unknown`` schema check is shown but does not withhold the verdict, because it says nothing
about who issued the credential or whether it still stands (``docs/design.md``). A malformed
entry (no ``id`` or ``type``) is ``invalid``.

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#credentialschema
    https://www.imsglobal.org/spec/vccs/v1p0/ (1EdTechJsonSchemaValidator2019)
"""

from __future__ import annotations

import re
from typing import Any

from openbadges.verification.report import Check

__all__ = ["OFFICIAL_SCHEMA", "check_schema"]

OFFICIAL_SCHEMA = re.compile(
    r"^https://purl\.imsglobal\.org/spec/(ob/v3p0|clr/v2p0)/schema/json(-ld)?/"
    r"(ob_v3p0|clr_v2p0)_[a-z]+_schema\.json$"
)
"""The official OB 3.0 / CLR 2.0 schema URLs (``json/`` and ``json-ld/`` sets)."""


def check_schema(credential: dict[str, Any]) -> Check:
    """Run the ``schema`` check (see the module docstring for the policy)."""
    value = credential.get("credentialSchema")
    if value is None:
        return Check.make(
            "schema", "valid", "No schema is listed; the built-in Open Badges rules were applied."
        )
    entries = value if isinstance(value, list) else [value]
    malformed = [i for i, e in enumerate(entries) if not _well_formed(e)]
    if malformed:
        return Check.make(
            "schema",
            "invalid",
            f"credentialSchema entries {malformed} lack a string id or type.",
        )
    custom = [e["id"] for e in entries if not OFFICIAL_SCHEMA.match(e["id"])]
    if custom:
        return Check.make(
            "schema",
            "unknown",
            "These schemas were not checked, because this verifier does not fetch and run "
            f"remote schemas: {', '.join(custom)}.",
        )
    return Check.make(
        "schema",
        "valid",
        "Only official Open Badges / CLR schemas are listed; their rules were applied locally.",
    )


def _well_formed(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("type"), str)
    )
