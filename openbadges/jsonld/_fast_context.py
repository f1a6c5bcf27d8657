"""Precompiled JSON-LD active contexts for the fast path (:mod:`openbadges.jsonld.fast`).

Almost all of pyld's time on an Open Badges credential goes into processing the same contexts
again and again: the OB 3.0.x context has type-scoped and property-scoped contexts, so pyld runs
about a dozen context passes per document. Here every context is processed **by pyld itself**
(its Context Processing Algorithm, https://www.w3.org/TR/json-ld11-api/#context-processing-algorithm)
exactly once per (starting context, local context, flags) and the result is kept. The fast walker
then only does dictionary lookups, and cannot disagree with pyld about what a context means.

The wrapper also caches IRI expansion per context (JSON-LD 1.1 API §5.2 "IRI Expansion",
https://www.w3.org/TR/json-ld11-api/#iri-expansion), mirroring pyld's ``_expand_iri`` for the
cases the profile allows and refusing the rest (:class:`Unsupported`): anything that would be
resolved against a base IRI, blank node identifiers, keyword-like strings.

Memory stays bounded whatever documents come in (a verifier reads anonymous input): the
per-context caches keep only what the *context* defines (its terms), never strings that a
document brings (``@id`` values, absolute-IRI keys, undefined terms), which are recomputed at a
cost of about a microsecond each; and the processed contexts themselves are capped at
:data:`MAX_CONTEXTS`, past which the whole set is dropped and rebuilt on demand.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Final

from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from openbadges.jsonld.loader import CONTEXT_FILES, document_loader

# pyld's own definitions (jsonld.KEYWORD_PATTERN, jsonld._is_absolute_iri): the fast path must
# classify strings exactly as the reference does.
_KEYWORD_LIKE: Final = re.compile(r"^@[a-zA-Z]+$")
_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_KEYWORDS: Final = frozenset(jsonld.KEYWORDS)

MAX_CONTEXTS: Final = 512
"""How many processed active contexts the process keeps (about 9 KB each). The documents this
service signs need a few dozen; when input brings more (a hostile verifier request can vary its
``@context`` list and nesting at will), the next new one drops them all and they are rebuilt on
demand: a cost in time for whoever brought them, never unbounded memory nor a permanent
fall-back to the slow reference path."""

PROPERTY_SCOPED: Final = "property"
TYPE_SCOPED: Final = "type"


class Unsupported(Exception):
    """The document leaves the fast path's profile; the caller must use the reference path."""


@dataclass(frozen=True, slots=True)
class Term:
    """What the walker needs from one term definition, read once from pyld's mapping.

    Attributes:
        iri: the IRI mapping (``@id``) of the term.
        coerce: the ``@type`` mapping (``"@id"``, ``"@vocab"``, a datatype IRI) or None.
        container: ``"@set"`` (also for no container), ``"@list"`` or ``"@graph"``.
        scoped: the property-scoped context (``@context`` of the term definition) or None.
    """

    iri: str | None
    coerce: str | None
    container: str
    scoped: Any


def is_absolute_iri(value: str) -> bool:
    """pyld's absolute-IRI test (a scheme, a colon, no whitespace)."""
    return _ABSOLUTE_IRI.match(value) is not None


def is_keyword(value: str) -> bool:
    """Whether ``value`` is a JSON-LD keyword (``@id``, ``@type``, ...)."""
    return value in _KEYWORDS


class ActiveContext:
    """A pyld active context plus the lookups the fast walker repeats on it.

    Instances are shared between documents and threads; their caches hold pure functions of
    the context, so a race costs a recomputation, never a wrong value. The lookup caches are
    keyed only by the context's own terms (a bounded set); strings a document brings are
    expanded afresh each time (see the module docstring).
    """

    __slots__ = (
        "_derived",
        "_embedded",
        "_terms",
        "_type_iris",
        "_vocab_iris",
        "previous",
        "raw",
    )

    def __init__(self, raw: Any, previous: ActiveContext | None) -> None:
        """Wrap pyld's active context ``raw``; ``previous`` wraps its ``previousContext``."""
        if "@base" in raw or "@language" in raw or "@direction" in raw:
            # A base IRI or a default language changes values all over the document; the
            # profile has neither, so such a context is refused up front.
            raise Unsupported("context sets @base, @language or @direction")
        self.raw = raw
        self.previous = previous
        self._terms: dict[str, Term | None] = {}
        self._vocab_iris: dict[str, str | None] = {}
        self._type_iris: dict[str, str] = {}
        self._derived: dict[tuple[int, str], tuple[Any, ActiveContext]] = {}
        self._embedded: dict[tuple[str, ...], ActiveContext] = {}

    def term(self, key: str) -> Term | None:
        """The term definition of ``key`` or None when ``key`` is not a term of this context.

        Raises:
            Unsupported: the definition uses a feature outside the profile (reverse, nest,
                index/language/id/type containers, @json, language or direction).
        """
        try:
            return self._terms[key]
        except KeyError:
            pass
        mappings = self.raw["mappings"]
        if key not in mappings:
            return None  # not a term: not cached (the key came from the document)
        mapping = mappings[key]
        term = None if mapping is None else _compile_term(mapping)
        self._terms[key] = term
        return term

    def expand_key(self, value: str) -> str | None:
        """IRI-expand a map key (``vocab=True``, no base): an IRI, a keyword, or None (dropped)."""
        try:
            return self._vocab_iris[value]
        except KeyError:
            pass
        result = self._expand(value, vocab=True)
        if value in self.raw["mappings"]:
            self._vocab_iris[value] = result
        return result

    def expand_type(self, value: str) -> str:
        """IRI-expand a ``@type`` value or an ``@vocab``-coerced string to an absolute IRI.

        Raises:
            Unsupported: the value would be resolved against the base IRI, or is a blank node.
        """
        try:
            return self._type_iris[value]
        except KeyError:
            pass
        result = _require_iri(self._expand(value, vocab=True))
        if value in self.raw["mappings"]:
            self._type_iris[value] = result
        return result

    def expand_id(self, value: str) -> str:
        """IRI-expand an ``@id`` value or an ``@id``-coerced string (``vocab=False``).

        Not cached: almost every ``@id`` is a different absolute IRI (a credential's id, a
        recipient's DID), and caching them grew each worker by ~0.3 MiB per 1,000 credentials
        issued and by whatever ids anonymous verification requests brought, for good.

        Raises:
            Unsupported: the value is relative, a blank node identifier or keyword-like.
        """
        return _require_iri(self._expand(value, vocab=False))

    def reverted(self) -> ActiveContext:
        """The context a new node object sees: type-scoped terms do not propagate into it."""
        return self if self.previous is None else self.previous

    def derive(self, local: Any, mode: str) -> ActiveContext:
        """Apply a scoped context once and remember the result.

        Args:
            local: the scoped ``@context`` value taken from a term definition.
            mode: ``PROPERTY_SCOPED`` (override protected terms, propagate) or
                ``TYPE_SCOPED`` (do not propagate into nested node objects), as in
                https://www.w3.org/TR/json-ld11-api/#expansion-algorithm steps 8 and 11.

        Returns:
            The derived active context.
        """
        key = (id(local), mode)
        hit = self._derived.get(key)
        if hit is not None and hit[0] is local:
            return hit[1]
        if mode == PROPERTY_SCOPED:
            raw = _process(self.raw, local, override_protected=True)
        else:
            raw = _process(self.raw, local, propagate=False)
        derived = _wrap(raw)
        self._derived[key] = (local, derived)
        return derived

    def embed(self, value: Any) -> ActiveContext:
        """Apply an embedded ``@context`` of bundled context URLs (an endorsement's, say).

        Args:
            value: the node's ``@context`` entry.

        Returns:
            The active context for the node, as expansion step 9 computes it.

        Raises:
            Unsupported: inline or unbundled contexts.
        """
        key = _url_key(value)
        hit = self._embedded.get(key)
        if hit is None:
            hit = _wrap(_process(self.raw, list(key)))
            self._embedded[key] = hit
        return hit

    def _expand(self, value: str, *, vocab: bool) -> str | None:
        """pyld's ``_expand_iri`` minus base resolution (which the profile refuses)."""
        if value in _KEYWORDS:
            return value
        if _KEYWORD_LIKE.match(value):
            return None
        mappings = self.raw["mappings"]
        if vocab and value in mappings:
            mapping = mappings[value]
            return None if mapping is None else str(mapping["@id"])
        prefix, colon, suffix = value.partition(":")
        if colon and prefix:
            if prefix == "_" or suffix.startswith("//"):
                return value
            mapping = mappings.get(prefix)
            if mapping and mapping.get("_prefix"):
                return str(mapping["@id"]) + suffix
            if is_absolute_iri(value):
                return value
        if vocab and "@vocab" in self.raw:
            return str(self.raw["@vocab"]) + value
        return _RELATIVE


_RELATIVE: Final = "\x00relative"
"""Marker for "pyld would resolve this against the base IRI" (never a valid IRI)."""


def revert_type_scope(ctx: ActiveContext, element: dict[str, Any]) -> ActiveContext:
    """Expansion step 7: type-scoped terms do not reach a new node object.

    https://www.w3.org/TR/json-ld11-api/#expansion-algorithm (step 7). Only a bare node
    reference (``{"id": ...}``) keeps them; a value object would too, but value objects are
    outside the fast profile.

    Args:
        ctx: the active context, possibly type-scoped (``previous`` is the one it replaced).
        element: the node object about to be expanded.

    Returns:
        The context to expand ``element`` with.

    Raises:
        Unsupported: ``element`` is a value object.
    """
    if ctx.previous is None:
        return ctx
    if len(element) <= 2:
        for key in element:
            expanded = ctx.expand_key(key)
            if expanded == "@value":
                raise Unsupported("value object")
            if expanded == "@id" and len(element) == 1:
                return ctx
    return ctx.previous


def _require_iri(value: str | None) -> str:
    """Accept only absolute IRIs that are not blank nodes; everything else leaves the profile."""
    if value is None or value.startswith("_:") or not is_absolute_iri(value):
        raise Unsupported(f"not an absolute IRI: {value!r}")
    return value


def _compile_term(mapping: Any) -> Term:
    """Read one pyld term definition, refusing the features the walker does not implement."""
    if mapping.get("reverse") or "@nest" in mapping or "@index" in mapping:
        raise Unsupported("reverse, nested or indexed term")
    if "@language" in mapping or "@direction" in mapping:
        raise Unsupported("term with a language or direction")
    coerce = mapping.get("@type")
    if coerce == "@json":
        raise Unsupported("@json literal")
    if "@context" in mapping and mapping["@context"] is None:
        raise Unsupported("scoped context null")  # pyld treats it as absent; refuse, not guess
    container = list(mapping.get("@container") or ["@set"])
    if container not in (["@set"], ["@list"], ["@graph"]):
        raise Unsupported(f"container {container}")
    return Term(
        iri=mapping.get("@id"),
        coerce=coerce,
        container=container[0],
        scoped=mapping.get("@context"),
    )


# ---------------------------------------------------------------------------------------------
# pyld glue: one processor, one private context cache, one lock (pyld is not thread-safe).

_LOCK = threading.RLock()
_PROCESSOR = jsonld.JsonLdProcessor()
_RESOLVED: LRUCache[str, Any] = LRUCache(maxsize=64)
_OPTIONS: dict[str, Any] = {
    "documentLoader": document_loader,
    "contextResolver": ContextResolver(_RESOLVED, document_loader),
    "processingMode": "json-ld-1.1",
    "base": "",
    "isFrame": False,
}
_WRAPPED: dict[int, tuple[Any, ActiveContext]] = {}
_ROOTS: dict[tuple[str, ...], ActiveContext] = {}


def _process(raw: Any, local: Any, **flags: bool) -> Any:
    """Run pyld's context processing (the reference semantics) under the module lock."""
    with _LOCK:
        if len(_WRAPPED) >= MAX_CONTEXTS:
            _forget_contexts()
        try:
            return _PROCESSOR._process_context(raw, local, _OPTIONS, **flags)
        except jsonld.JsonLdError as exc:  # e.g. a protected term redefined: pyld will say so
            raise Unsupported(str(exc)) from exc


def _forget_contexts() -> None:
    """Drop every processed context (under ``_LOCK``): the cap of :data:`MAX_CONTEXTS` is hit.

    Walkers still holding contexts of the old set finish with them (they are self-contained);
    the next documents rebuild the contexts they need.
    """
    _WRAPPED.clear()
    _ROOTS.clear()


def context_count() -> int:
    """How many processed contexts this process keeps (tests and ``bench/`` watch the bound)."""
    return len(_WRAPPED)


def _wrap(raw: Any) -> ActiveContext:
    """The one :class:`ActiveContext` for a pyld context object (identity-keyed)."""
    with _LOCK:
        hit = _WRAPPED.get(id(raw))
        if hit is not None and hit[0] is raw:
            return hit[1]
        previous_raw = raw.get("previousContext")
        previous = None if previous_raw is None else _wrap(previous_raw)
        wrapped = ActiveContext(raw, previous)
        _WRAPPED[id(raw)] = (raw, wrapped)
        return wrapped


def _url_key(value: Any) -> tuple[str, ...]:
    """A ``@context`` entry as a tuple of bundled URLs (the cache key for its processing)."""
    urls = (value,) if isinstance(value, str) else value
    if not isinstance(urls, list) or not urls:
        raise Unsupported("@context is not a URL or a list of URLs")
    key = tuple(urls)
    if not all(isinstance(url, str) and url in CONTEXT_FILES for url in key):
        raise Unsupported("inline or unbundled context")
    return key


def root_context(value: Any) -> ActiveContext:
    """The active context for a document's top-level ``@context`` (URLs of bundled contexts).

    Args:
        value: the ``@context`` entry: one URL or a list of URLs.

    Returns:
        The processed active context, computed once per distinct list.

    Raises:
        Unsupported: inline contexts, unknown URLs, or a context outside the profile.
    """
    key = _url_key(value)
    hit = _ROOTS.get(key)
    if hit is not None:
        return hit
    with _LOCK:
        initial = _PROCESSOR._get_initial_context(_OPTIONS)
        root = _wrap(_process(initial, list(key)))
        if len(_ROOTS) < MAX_CONTEXTS:
            _ROOTS[key] = root
    return root
