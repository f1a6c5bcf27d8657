"""Refuse what a Data Integrity signature would not cover: terms the contexts do not define.

RDF canonicalisation signs the RDF a document expands to, not its JSON. A property no context
defines is silently dropped by JSON-LD expansion, a ``type`` value that is not a defined term
becomes a relative IRI that pyld resolves against a made-up base (and jsonld.js in safe mode
rejects), and a term that resolves only through the issuer-dependent ``@vocab`` of VC 2.0 drafts
(or the opt-in ``undefined-terms/v2`` context) means nothing to anyone else. A credential holding
any of these shows text its signature does not vouch for, so it is refused before signing
(VC Data Integrity §2.4.3, https://www.w3.org/TR/vc-data-integrity/#validating-contexts, requires
processors to error when data would be dropped).

The check runs pyld's own expansion (same contexts, same scoping rules as signing) and inspects
every node object pyld processes, recording the JSON path of each offending key or value.
"""

from __future__ import annotations

import copy
from typing import Any

from pyld import jsonld

from openbadges.errors import UndefinedTermError
from openbadges.jsonld._pyld import PYLD_LOCK, pyld_options, run_pyld
from openbadges.jsonld.limits import DEFAULT_LIMITS, Limits, check_structure, child_path

UNDEFINED_NAMESPACES = (
    "https://www.w3.org/ns/credentials/issuer-dependent#",
    "https://www.w3.org/ns/credentials/undefined-term#",
)
"""IRIs in these namespaces mean "the contexts did not define this term"."""

PYLD_PLACEHOLDER_BASE = jsonld.DEFAULT_BASE_IRI
"""pyld resolves relative IRIs against this made-up base when a document has none."""

_IRI_VALUED = ("@id", "@vocab")


def find_undefined_terms(doc: dict[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """List the JSON paths of every property, type or IRI value the contexts do not define.

    Args:
        doc: the JSON-LD document (not modified). A ``proof`` is checked like the rest.
        limits: bounds for hostile input.

    Returns:
        Unique JSON paths, in the order pyld meets them, such as ``$.credentialSubject.nickname`` (a property),
        ``$.credentialSubject.achievement.type[1]`` (a type value) or
        ``$.issuer.image`` (an ``@id``-typed value that is a relative IRI). Empty when every
        term is defined.

    Raises:
        LimitExceededError: the document exceeds ``limits``.
        ContextError: it names a context that is not bundled.
        CanonicalizationError: it is not valid JSON-LD.
    """
    check_structure(doc, limits)
    document = copy.deepcopy(doc)
    auditor = _TermAuditor(_index_paths(document))
    options = pyld_options(isFrame=False, keepFreeFloatingNodes=False, base="")
    with PYLD_LOCK:
        run_pyld(lambda: auditor.audit(document, options))
    return list(dict.fromkeys(auditor.found))


def ensure_defined(doc: dict[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise unless every term of ``doc`` is defined by its contexts.

    Args:
        doc: the JSON-LD document (not modified).
        limits: bounds for hostile input.

    Raises:
        UndefinedTermError: ``path`` is the first offending JSON path; the message lists all.
        LimitExceededError, ContextError, CanonicalizationError: as :func:`find_undefined_terms`.
    """
    paths = find_undefined_terms(doc, limits=limits)
    if paths:
        listing = ", ".join(paths)
        raise UndefinedTermError(
            f"not defined by the document's @context, so it would not be signed "
            f"(add a context that defines it, or remove it): {listing}",
            path=paths[0],
        )


class _TermAuditor(jsonld.JsonLdProcessor):  # type: ignore[misc]  # pyld is untyped
    """pyld's expansion, watching each node object with the exact active context pyld uses."""

    def __init__(self, paths: dict[int, str]) -> None:
        super().__init__()
        self.paths = paths
        self.found: list[str] = []

    def audit(self, document: Any, options: dict[str, Any]) -> None:
        """Expand ``document`` itself (not a copy, so node identities map back to paths)."""
        active_ctx = self._get_initial_context(options)
        self._expand(active_ctx, None, document, options, inside_list=False)

    def _expand_object(
        self,
        active_ctx: dict[str, Any],
        active_property: str | None,
        expanded_active_property: str | None,
        element: dict[str, Any],
        expanded_parent: dict[str, Any],
        options: dict[str, Any],
        inside_list: bool = False,
        type_key: str | None = None,
        type_scoped_ctx: dict[str, Any] | None = None,
    ) -> Any:
        """Inspect the keys and values of one node object, then let pyld expand it."""
        path = self.paths.get(id(element), "$")
        for key, value in element.items():
            if key == "@context":
                continue
            self._check_entry(active_ctx, type_scoped_ctx or active_ctx, options, path, key, value)
        return super()._expand_object(
            active_ctx,
            active_property,
            expanded_active_property,
            element,
            expanded_parent,
            options,
            inside_list,
            type_key,
            type_scoped_ctx,
        )

    def _check_entry(
        self,
        active_ctx: dict[str, Any],
        type_ctx: dict[str, Any],
        options: dict[str, Any],
        path: str,
        key: str,
        value: Any,
    ) -> None:
        """Record ``key`` if undefined, else check the IRI values it introduces."""
        key_path = child_path(path, key)
        expanded = self._expand_iri(active_ctx, key, vocab=True)
        if expanded is None or not (_is_keyword(expanded) or _is_defined_iri(expanded)):
            self.found.append(key_path)
            return
        if expanded == "@type":
            self._check_iris(type_ctx, key_path, value, vocab=True)
            return
        coercion = jsonld.JsonLdProcessor.get_context_value(active_ctx, key, "@type")
        if expanded == "@id" or coercion in _IRI_VALUED:
            # Values are expanded with the property-scoped context, as pyld does (proofPurpose's
            # scoped context is what defines "assertionMethod").
            scoped = jsonld.JsonLdProcessor.get_context_value(active_ctx, key, "@context")
            term_ctx = active_ctx
            if scoped is not None and expanded != "@id":
                term_ctx = self._process_context(
                    active_ctx, scoped, options, propagate=True, override_protected=True
                )
            self._check_iris(term_ctx, key_path, value, vocab=coercion == "@vocab")

    def _check_iris(self, ctx: dict[str, Any], path: str, value: Any, *, vocab: bool) -> None:
        """Record each string in ``value`` that does not expand to a usable absolute IRI.

        Strings are expanded exactly as pyld expands them (``base=""``), so a relative IRI shows
        up resolved against pyld's placeholder base, which is how it would be signed.
        """
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if not isinstance(item, str):
                continue  # objects are node or value objects pyld visits itself
            expanded = self._expand_iri(ctx, item, vocab=vocab, base="")
            if not _is_usable_iri(item, expanded):
                self.found.append(f"{path}[{index}]" if isinstance(value, list) else path)


def _is_keyword(value: str) -> bool:
    """JSON-LD keywords (``@id``, ``@type``…), which expansion handles itself."""
    return value.startswith("@")


def _is_usable_iri(original: str, expanded: str | None) -> bool:
    """Whether an IRI value survives to RDF as what the issuer wrote (or a blank node)."""
    if expanded is None:
        return False
    if expanded.startswith("_:") or _is_keyword(expanded):
        return True
    placeholder = expanded.startswith(PYLD_PLACEHOLDER_BASE) and not original.startswith(
        PYLD_PLACEHOLDER_BASE
    )
    return _is_defined_iri(expanded) and not placeholder


def _is_defined_iri(iri: str) -> bool:
    """An absolute IRI outside the "undefined term" namespaces."""
    return _is_absolute(iri) and not iri.startswith(UNDEFINED_NAMESPACES)


def _is_absolute(iri: str) -> bool:
    """RFC 3987 absolute IRI test, as pyld applies it (a scheme, then ``:``)."""
    scheme, colon, _ = iri.partition(":")
    return bool(colon) and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def _index_paths(document: Any) -> dict[int, str]:
    """Map ``id()`` of every object and array in ``document`` to its JSON path."""
    paths: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(document, "$")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            paths[id(value)] = path
            stack.extend((v, child_path(path, k)) for k, v in value.items())
        elif isinstance(value, list):
            paths[id(value)] = path
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))
    return paths
