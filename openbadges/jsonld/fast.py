"""The fast path for RDFC-1.0 canonical N-Quads of Open Badges credentials.

pyld spends 4-8 ms on a typical OB 3.0 credential, ≥ 90 % of it re-processing the same JSON-LD
contexts (``shared/perf-notes.md``). This module gets the same bytes in a fraction of that:

1. contexts are processed by pyld once and cached (:mod:`openbadges.jsonld._fast_context`);
2. one walk over the JSON emits the RDF quads directly (:mod:`openbadges.jsonld._fast_rdf`);
3. blank nodes are labelled by their first-degree hashes (:mod:`openbadges.jsonld._fast_rdfc`).

Equality with the reference (``canonicalize_reference``, pyld) is established by
``tests/openbadges/test_fast_canonical.py`` on the conformance corpus, the spec vectors and
thousands of generated credentials. Everything outside the profile returns None so that
:func:`openbadges.jsonld.canonical.canonicalize` uses the reference: an unsupported input costs
time, never a different signature.

The profile: a top-level ``@context`` made only of bundled context URLs; node objects with
``@id``/``@type`` (aliased) and properties that are terms, compact IRIs, absolute IRIs or
``@vocab`` terms; type- and property-scoped contexts (incl. ``@protected``); ``@set``, ``@list``
and ``@graph`` containers; ``@id``/``@vocab``/datatype coercion; strings, numbers, booleans.
Outside it: inline or unknown contexts, value objects, ``@reverse``, ``@nest``, ``@included``,
index/language/id/type maps, ``@json``, language tags, relative IRIs, blank node identifiers in
the input, dropped (undefined) properties, and blank nodes whose first-degree hashes collide.
"""

from __future__ import annotations

from typing import Any

from openbadges.jsonld._fast_context import Unsupported
from openbadges.jsonld._fast_rdf import to_quads, to_quads_vetted
from openbadges.jsonld._fast_rdfc import canonical_nquads
from openbadges.jsonld.shared import SharedParts

__all__ = ["fast_canonicalize", "fast_canonicalize_defined"]


def fast_canonicalize(doc: dict[str, Any]) -> str | None:
    """RDFC-1.0 canonical N-Quads of ``doc``, or None when ``doc`` is outside the fast profile.

    Args:
        doc: a JSON-LD document (not modified). Size limits are the caller's job
            (:func:`openbadges.jsonld.limits.check_structure`).

    Returns:
        Exactly what ``canonicalize_reference(doc)`` returns, or None: the caller must then use
        the reference path, which also produces the right error for invalid input.
    """
    try:
        return canonicalize_strict(doc)
    except Unsupported:
        return None
    except RecursionError:  # deeper than Python's stack: let the reference path decide
        return None
    except Exception:  # a defect here must cost speed, never a signature: fall back
        return None


def fast_canonicalize_defined(doc: dict[str, Any], shared: SharedParts | None = None) -> str | None:
    """:func:`fast_canonicalize` for signing: None also when the walk met an undefined term or
    IRI (see :func:`openbadges.jsonld._fast_rdf.to_quads_vetted`).

    Args:
        doc: a JSON-LD document (not modified), its structure already checked.
        shared: objects many documents embed (:mod:`openbadges.jsonld.shared`).

    Returns:
        Canonical N-Quads of a document in which every term and IRI is defined, or None: the
        caller then runs the term check and the reference path.
    """
    try:
        quads = to_quads_vetted(doc, shared)
        return None if quads is None else canonical_nquads(quads)
    except Unsupported:
        return None
    except RecursionError:
        return None
    except Exception:  # a defect here must cost speed, never a signature: fall back
        return None


def canonicalize_strict(doc: dict[str, Any]) -> str | None:
    """Like :func:`fast_canonicalize` but lets :class:`Unsupported` and defects propagate.

    Tests use it to see *why* a document left the profile and to surface bugs that
    :func:`fast_canonicalize` would hide behind the fallback.

    Args:
        doc: a JSON-LD document.

    Returns:
        The canonical N-Quads, or None when blank nodes need RDFC-1.0's N-degree hashing.

    Raises:
        Unsupported: the document is outside the profile.
    """
    return canonical_nquads(to_quads(doc))
