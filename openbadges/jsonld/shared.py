"""JSON objects that many documents signed in one go embed unchanged, walked once for all.

A batch of credentials for one achievement embeds the same issuer profile and the same
achievement in every credential: about half of each document. Signing walks every document
three times (the structure limits, the portability check, the JSON-LD → RDF walk), and for
these parts each walk gives the same answer every time. :class:`SharedParts` names such objects
(by identity: the very dicts the documents hold) and keeps what each walk found for them, so
the next document replays it instead of walking again.

Replaying is exact, not approximate: ``tests/openbadges/test_shared_parts.py`` signs documents
with and without a :class:`SharedParts` and compares the canonical forms byte for byte,
including where blank node labels, de-duplication against the rest of the document and
undefined terms inside a shared part are concerned. A part whose walk found a problem (an
undefined term, an unportable value, a limit crossed) is walked again in every document, so
errors still name their paths.

The caller promises not to change a shared object while the :class:`SharedParts` is in use;
one instance serves one thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class SharedParts:
    """The objects shared by the documents of one signing run, and what was learnt of them.

    Args:
        parts: the shared JSON objects (held here, so their identities stay theirs).
    """

    __slots__ = ("_parts", "portable", "quads", "structure")

    def __init__(self, parts: Iterable[dict[str, Any]]) -> None:
        self._parts: dict[int, dict[str, Any]] = {id(part): part for part in parts}
        self.structure: dict[int, tuple[int, int, int]] = {}
        """id -> (JSON values, depth below the object, longest ``@context`` list) from
        :func:`openbadges.jsonld.limits.check_structure`."""
        self.portable: set[int] = set()
        """ids of parts in which :func:`openbadges.jsonld.safe.find_unportable_values` found
        nothing (outside a ``@context``)."""
        self.quads: dict[tuple[int, int, str, bool], Any] = {}
        """(id, id of the active context, property, vetting) -> a recorded RDF walk
        (:mod:`openbadges.jsonld._fast_rdf`)."""

    def __contains__(self, value: object) -> bool:
        """Whether ``value`` is one of the shared objects itself (not an equal copy)."""
        return self._parts.get(id(value)) is value
