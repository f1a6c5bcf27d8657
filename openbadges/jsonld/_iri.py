"""What counts as a defined, usable IRI in a signed document (shared by the term checks of
:mod:`openbadges.jsonld.safe` and the vetting walk of :mod:`openbadges.jsonld._fast_rdf`)."""

from __future__ import annotations

import re
from functools import lru_cache

UNDEFINED_NAMESPACES = (
    "https://www.w3.org/ns/credentials/issuer-dependent#",
    "https://www.w3.org/ns/credentials/undefined-term#",
)
"""IRIs in these namespaces mean "the contexts did not define this term"."""

# Characters an N-Quads IRIREF cannot hold (https://www.w3.org/TR/rdf12-n-quads/#grammar-production-IRIREF)
# plus every other white space (jsonld.js and pyld call an IRI with white space relative, and
# jsonld.js safe mode refuses it).
NOT_IN_IRI = re.compile(
    r'[\x00-\x20<>"{}|^`\\\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'
)

_CACHED_IRI_LENGTH = 200


def is_defined_iri(iri: str) -> bool:
    """An absolute IRI outside the "undefined term" namespaces, made of IRI characters only.

    Short IRIs (every term a context defines) are answered from a bounded cache; a long one,
    which only a document can bring, is checked afresh so that the cache stays small.
    """
    return _is_defined_short_iri(iri) if len(iri) <= _CACHED_IRI_LENGTH else _defined(iri)


@lru_cache(maxsize=8192)
def _is_defined_short_iri(iri: str) -> bool:
    """:func:`_defined`, cached (at most 8,192 IRIs of at most 200 characters: ~2 MB)."""
    return _defined(iri)


def _defined(iri: str) -> bool:
    return (
        is_absolute(iri)
        and not iri.startswith(UNDEFINED_NAMESPACES)
        and NOT_IN_IRI.search(iri) is None
    )


def is_absolute(iri: str) -> bool:
    """RFC 3987 absolute IRI test, as pyld applies it (a scheme, then ``:``)."""
    scheme, colon, _ = iri.partition(":")
    return bool(colon) and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)
