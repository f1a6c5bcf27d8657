"""Shared plumbing for every pyld call in :mod:`openbadges.jsonld` (private).

One place pins the static loader, a context cache private to it, a lock, and the translation of
pyld's exceptions into :mod:`openbadges.errors`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver

from openbadges.errors import CanonicalizationError, OpenBadgesError, find_in_chain
from openbadges.jsonld.loader import document_loader

_T = TypeVar("_T")

# pyld's own resolved-context cache is process-global and keyed by URL alone, so a context
# resolved through any other loader would leak into ours. This one is private to the static
# loader. pyld's caches are not thread-safe, and pyld work holds the GIL anyway, so one lock
# serialises all pyld processing in this package at little cost.
_CONTEXT_CACHE: LRUCache[str, Any] = LRUCache(maxsize=256)
PYLD_LOCK = threading.RLock()


def pyld_options(**extra: Any) -> dict[str, Any]:
    """pyld options that pin the static loader and the private context cache.

    Args:
        **extra: further pyld options (``format``, ``base``…).

    Returns:
        A fresh options dict (pyld keeps per-operation state in the resolver).
    """
    return {
        "documentLoader": document_loader,
        "contextResolver": ContextResolver(_CONTEXT_CACHE, document_loader),
        "processingMode": "json-ld-1.1",
        **extra,
    }


def run_pyld(operation: Callable[[], _T]) -> _T:
    """Run a pyld call, turning its errors into :mod:`openbadges.errors` ones.

    An error of ours raised inside pyld (the loader's ContextError, a budget's
    LimitExceededError) is re-raised as is, whatever pyld wrapped it in.

    Args:
        operation: a zero-argument callable doing the pyld work.

    Returns:
        Whatever ``operation`` returns.

    Raises:
        OpenBadgesError: ours, unwrapped.
        CanonicalizationError: any other failure inside pyld.
    """
    try:
        return operation()
    except OpenBadgesError:
        raise
    except Exception as exc:  # pyld raises JsonLdError but also bare KeyError/TypeError
        ours = find_in_chain(exc, OpenBadgesError)
        if ours is not None:
            raise ours from exc
        raise CanonicalizationError(f"JSON-LD processing failed: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    """Describe the innermost pyld error (the real reason), with its JSON-LD error code.

    pyld wraps the useful error ("tried to redefine a protected term") in generic ones
    ("Could not expand input"), and its ``str()`` dumps whole contexts, so only the first
    argument and the ``code`` are kept.
    """
    innermost = exc
    while isinstance(innermost.__cause__, Exception):
        innermost = innermost.__cause__
    message = str(innermost.args[0]) if innermost.args else type(innermost).__name__
    code = getattr(innermost, "code", None)
    return f"{message} ({code})" if code else message


# --- canonical N-Quads serialisation --------------------------------------------------------
#
# pyld 3.3 escapes only \\ \t \n \r and " in literals and writes every other control character
# raw. RDFC-1.0 §5 (https://www.w3.org/TR/rdf-canon/#serialization) writes quads in canonical
# N-Quads form (https://www.w3.org/TR/rdf12-n-quads/#canonical-quads, which extends
# https://www.w3.org/TR/rdf12-n-triples/#canonical-ntriples): in a literal, U+0008 \b,
# U+0009 \t, U+000A \n, U+000C \f, U+000D \r, U+0022 \" and U+005C \\ use ECHAR, and the
# other characters U+0000-U+001F and U+007F use UCHAR with upper-case hex (\u0007).
# rdf-canonize (jsonld.js's canonicaliser) does exactly this. The serialiser below is used for
# the output and for the hashes inside URDNA2015, so blank-node labels agree too.

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_LITERAL_ESCAPES: dict[int, str] = {
    **{code: f"\\u{code:04X}" for code in (*range(0x20), 0x7F)},
    **{ord(char): escaped for char, escaped in _ECHAR.items()},
}
_NEEDS_ESCAPE = re.compile('[\\x00-\\x1f\\x7f"\\\\]')


def escape_literal(text: str) -> str:
    """Escape a literal's lexical form for canonical N-Quads (ECHAR, else upper-case UCHAR).

    Args:
        text: the lexical form.

    Returns:
        The text to put between the quotes of an N-Quads literal.
    """
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return text.translate(_LITERAL_ESCAPES)


def serialize_nquad(triple: dict[str, Any], graph_name: str | None = None) -> str:
    """One canonical N-Quads line for a pyld quad (drop-in for ``pyld.nquads.serialize_nquad``).

    IRIs are written as they are (signing refuses IRIs with characters an IRIREF cannot hold,
    :mod:`openbadges.jsonld.safe`); only literal escaping differs from pyld.

    Args:
        triple: a pyld triple or quad (``subject``/``predicate``/``object``, optional ``name``).
        graph_name: the graph name when ``triple`` has none (None: the default graph).

    Returns:
        The line, ending in ``" .\\n"``.
    """
    subject, predicate, obj = triple["subject"], triple["predicate"], triple["object"]
    graph = triple.get("name", {"value": graph_name})["value"]
    parts = [_term(subject), _term(predicate)]
    if obj["type"] == "literal":
        literal = '"' + escape_literal(obj["value"]) + '"'
        datatype = obj["datatype"]
        if datatype == _RDF_LANGSTRING:
            if obj.get("language"):
                literal += "@" + obj["language"]
        elif datatype != _XSD_STRING:
            literal += "^^<" + datatype + ">"
        parts.append(literal)
    else:
        parts.append(_term(obj))
    if graph is not None:
        parts.append(graph if graph.startswith("_:") else f"<{graph}>")
    return " ".join(parts) + " .\n"


def _term(term: dict[str, Any]) -> str:
    """An IRI or blank node in N-Quads syntax."""
    value: str = term["value"]
    return f"<{value}>" if term["type"] == "IRI" else value


def serialize_nquads(dataset: dict[str, list[dict[str, Any]]]) -> str:
    """A pyld RDF dataset as sorted N-Quads (drop-in for ``pyld.nquads.serialize_nquads``).

    Args:
        dataset: graph name (``"@default"`` for the default graph) → triples.

    Returns:
        The lines in code point order.
    """
    lines = [
        serialize_nquad(triple, None if name == "@default" else name)
        for name, triples in dataset.items()
        for triple in triples
    ]
    lines.sort()
    return "".join(lines)
