"""Small readers of credential JSON shared by the checks (no verification logic here)."""

from __future__ import annotations

from typing import Any

from openbadges.jsonld.limits import Trail

__all__ = ["dotted_path", "issuer_id_of", "subjects_of", "types_of"]


def dotted_path(root: str, trail: Trail) -> str:
    """The path of ``trail`` (the structure limits' :data:`~openbadges.jsonld.limits.Trail`)
    below ``root`` as the checks' messages write it: ``$.credentialSubject.result[0]``, a
    member as ``.name`` whatever its characters (``limits.trail_path`` quotes odd names, for
    the limit errors), an index as ``[i]``."""
    steps: list[Any] = []
    while trail is not None:
        trail, step = trail
        steps.append(step)
    return root + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in reversed(steps))


def types_of(node: object) -> set[str]:
    """Return the ``type`` values of a JSON object as a set (string or array form)."""
    if not isinstance(node, dict):
        return set()
    value = node.get("type")
    values = value if isinstance(value, list) else [value]
    return {v for v in values if isinstance(v, str)}


def issuer_id_of(credential: dict[str, Any]) -> str | None:
    """Return ``issuer.id`` (or the issuer URI when it is a string), or ``None``."""
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def subjects_of(credential: dict[str, Any]) -> list[Any]:
    """Return ``credentialSubject`` as a list (it may be one object or an array)."""
    subject = credential.get("credentialSubject")
    return subject if isinstance(subject, list) else [subject]
