"""The ``schema`` check: which ``credentialSchema`` entries were (not) applied.

Policy. An official Open Badges 3.0 schema URL that is bundled (:mod:`openbadges.schemas`, both
the ``…_schema.json`` and the ``…-jsonschema1.json`` spellings) is applied offline: a violation
makes the check ``invalid``, naming the JSON path. As in 1EdTech's validator, a document that
passes once single values are read as one-item arrays (JSON-LD's reading, which its JSON-LD schema
variants apply) passes, with a note naming the plain-JSON failures. The bundled schemas are
written for VC Data Model 2.0 (they require its context and ``validFrom``), so a VC 1.1 credential
is judged by the ``structure`` rules instead. Other official OB 3.0 / CLR 2.0 schema URLs
(e.g. ``…anyachievementcredential…``, CLR's, whose official file is not bundled) are covered by
the built-in ``structure`` rules. No schema URL is ever fetched. Any other schema is the
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

from openbadges.model.vc import VC_V1_CONTEXT
from openbadges.schemas import SchemaError, kind_for_url, validate
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
    applied = _apply_bundled(credential, [e["id"] for e in entries])
    if applied is not None and applied.status == "invalid":
        return applied
    custom = [
        e["id"] for e in entries if not OFFICIAL_SCHEMA.match(e["id"]) and not kind_for_url(e["id"])
    ]
    if custom:
        return Check.make(
            "schema",
            "unknown",
            "These schemas were not checked, because this verifier does not fetch and run "
            f"remote schemas: {', '.join(custom)}.",
        )
    if applied is not None:
        return applied
    return Check.make(
        "schema",
        "valid",
        "Only official Open Badges / CLR schemas are listed; their rules were applied locally.",
    )


_SHOWN = 5
"""How many violations the detail names (the first ones in document order)."""


def _apply_bundled(credential: dict[str, Any], urls: list[str]) -> Check | None:
    """Apply each listed bundled OB 3.0 schema; None when none is listed (or it cannot apply)."""
    bundled = [url for url in dict.fromkeys(urls) if kind_for_url(url) is not None]
    if not bundled or VC_V1_CONTEXT in _contexts(credential):
        return None
    notes: list[str] = []
    for url in bundled:
        kind = kind_for_url(url)
        assert kind is not None
        strict = validate(credential, kind)
        if not strict:
            continue
        errors = validate(credential, kind, single_as_array=True)
        if errors:
            return Check.make(
                "schema",
                "invalid",
                f"The credential does not conform to the schema it lists, {url}: {_shown(errors)}.",
            )
        notes.append(
            f"{url} passes only when single values are read as one-item arrays (as JSON-LD "
            f"reads them); plain JSON consumers may stumble on: {_shown(strict)}"
        )
    detail = f"The bundled official schema(s) {', '.join(bundled)} were applied and pass."
    return Check.make("schema", "valid", " ".join([detail, *notes]))


def _shown(errors: list[SchemaError]) -> str:
    shown = "; ".join(str(e) for e in errors[:_SHOWN])
    more = f" (and {len(errors) - _SHOWN} more)" if len(errors) > _SHOWN else ""
    return shown + more


def _contexts(credential: dict[str, Any]) -> list[object]:
    value = credential.get("@context")
    return value if isinstance(value, list) else [value]


def _well_formed(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("type"), str)
    )
