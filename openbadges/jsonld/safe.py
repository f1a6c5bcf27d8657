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
import math
import re
from decimal import Decimal
from typing import Any, NamedTuple

from pyld import jsonld

from openbadges.errors import UndefinedTermError
from openbadges.jsonld._fast_context import (
    PROPERTY_SCOPED,
    TYPE_SCOPED,
    ActiveContext,
    Unsupported,
    revert_type_scope,
    root_context,
)
from openbadges.jsonld._iri import is_defined_iri as _is_defined_iri
from openbadges.jsonld._pyld import PYLD_LOCK, pyld_options, run_pyld
from openbadges.jsonld.limits import (
    Limits,
    Trail,
    check_structure,
    child_path,
    trail_path,
)
from openbadges.jsonld.shared import SharedParts

PYLD_PLACEHOLDER_BASE = jsonld.DEFAULT_BASE_IRI
"""pyld resolves relative IRIs against this made-up base when a document has none."""

_IRI_VALUED = ("@id", "@vocab")


def find_undefined_terms(doc: dict[str, Any], *, limits: Limits | None = None) -> list[str]:
    """List the JSON paths of every property, type or IRI value the contexts do not define.

    A walk over precompiled contexts (:mod:`openbadges.jsonld._fast_context`) answers for
    documents of the Open Badges profile in well under a millisecond; anything outside it (inline
    contexts, value objects, relative or blank-node ``@id`` values...) is checked by pyld's own
    expansion, the reference. Both give the same answer (``tests/openbadges/test_safe.py``).

    Args:
        doc: the JSON-LD document (not modified). A ``proof`` is checked like the rest.
        limits: bounds for hostile input.

    Returns:
        Unique JSON paths, such as ``$.credentialSubject.nickname`` (a property),
        ``$.credentialSubject.achievement.type[1]`` (a type value) or
        ``$.issuer.image`` (an ``@id``-typed value that is a relative IRI, or not an IRI at all,
        such as one holding a space). Empty when every term is defined.

    Raises:
        LimitExceededError: the document exceeds ``limits``.
        ContextError: it names a context that is not bundled.
        CanonicalizationError: it is not valid JSON-LD.
    """
    check_structure(doc, limits)
    found = _quick_undefined_terms(doc)
    if found is None:
        found = find_undefined_terms_reference(doc)
    return list(dict.fromkeys(found))


def find_undefined_terms_reference(doc: dict[str, Any]) -> list[str]:
    """:func:`find_undefined_terms` by pyld's expansion alone (slow; the reference).

    Args:
        doc: the JSON-LD document (not modified); its size is the caller's to check.

    Returns:
        Unique JSON paths, in the order pyld meets them.

    Raises:
        ContextError: it names a context that is not bundled.
        CanonicalizationError: it is not valid JSON-LD.
    """
    document = copy.deepcopy(doc)
    auditor = _TermAuditor(_index_paths(document))
    options = pyld_options(isFrame=False, keepFreeFloatingNodes=False, base="")
    with PYLD_LOCK:
        run_pyld(lambda: auditor.audit(document, options))
    return list(dict.fromkeys(auditor.found))


def ensure_defined(doc: dict[str, Any], *, limits: Limits | None = None) -> None:
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
            f"not defined by the document's @context, or not an absolute IRI, so it would not "
            f"be signed as written (define it in a context, fix the IRI, or remove it): {listing}",
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


# --- the quick check: the same rules over precompiled contexts ------------------------------


def _quick_undefined_terms(doc: dict[str, Any]) -> list[str] | None:
    """:func:`find_undefined_terms` over the fast path's cached contexts, or None to fall back.

    The walk computes each node's active context exactly as the fast canonicaliser does
    (:mod:`openbadges.jsonld._fast_rdf`: revert, property-scoped, embedded, then type-scoped
    contexts, JSON-LD 1.1 API §5.1.2 steps 7-11), each context processed once by pyld itself,
    and applies the rules of :class:`_TermAuditor`. Whatever it does not model (value objects,
    keywords other than ``@id``/``@type``, relative or blank-node ``@id`` values, inline
    contexts...) returns None and the caller runs the reference.
    """
    walker = _QuickAuditor()
    try:
        walker.node(root_context(doc.get("@context")), None, doc, "$")
    except Unsupported:
        return None
    except RecursionError:
        return None
    return walker.found


class _QuickAuditor:
    """One document's quick audit: the offending paths found so far."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found: list[str] = []

    def node(self, ctx: ActiveContext, prop: str | None, element: Any, path: str) -> None:
        """Audit one node object and everything below it."""
        if not isinstance(element, dict):
            raise Unsupported("not a node object")
        prop_term = ctx.term(prop) if prop is not None else None
        ctx = revert_type_scope(ctx, element)
        if prop_term is not None and prop_term.scoped is not None:
            ctx = ctx.derive(prop_term.scoped, PROPERTY_SCOPED)
        if prop is not None and "@context" in element:
            ctx = ctx.embed(element["@context"])
        type_ctx = ctx
        type_entries = [k for k in element if k != "@context" and ctx.expand_key(k) == "@type"]
        if len(type_entries) > 1:
            raise Unsupported("two @type entries")
        types: list[str] = []
        if type_entries:
            value = element[type_entries[0]]
            types = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str) for item in types):
                raise Unsupported("@type is not a string or an array of strings")
        for name in sorted(types):
            term = type_ctx.term(name)
            if term is not None and term.scoped is not None:
                ctx = ctx.derive(term.scoped, TYPE_SCOPED)
        type_keys = 0
        for key, value in element.items():
            if key == "@context":
                continue
            key_path = child_path(path, key)
            expanded = ctx.expand_key(key)
            if expanded == "@type":
                type_keys += 1
                self.iris(type_ctx, key_path, value, vocab=True)
            elif expanded == "@id":
                if not isinstance(value, str):
                    raise Unsupported("@id is not a string")
                self.iris(ctx, key_path, value, vocab=False)
            elif expanded is not None and _is_keyword(expanded):
                raise Unsupported(f"keyword {expanded}")  # value objects, @graph, @included...
            elif expanded is None or not _is_defined_iri(expanded):
                self.found.append(key_path)
            else:
                self.property(ctx, key, value, key_path)
        if type_keys != len(type_entries):
            raise Unsupported("a type-scoped context redefines the @type alias")

    def property(self, ctx: ActiveContext, key: str, value: Any, path: str) -> None:
        """Audit the values of one defined property."""
        term = ctx.term(key)
        term_ctx = ctx
        inner = term
        if term is not None and term.scoped is not None:
            term_ctx = ctx.derive(term.scoped, PROPERTY_SCOPED)
            inner = term_ctx.term(key)
        coerce = None if term is None else term.coerce
        container = "@set" if term is None else term.container
        if (None if inner is None else inner.coerce) != coerce or (
            "@set" if inner is None else inner.container
        ) != container:
            raise Unsupported("a scoped context redefines its own term")
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]" if isinstance(value, list) else path
            if isinstance(item, dict):
                self.node(term_ctx, key, item, item_path)
            elif isinstance(item, list):
                raise Unsupported("nested array")
            elif isinstance(item, str) and coerce in _IRI_VALUED:
                self.iris(term_ctx, item_path, item, vocab=coerce == "@vocab")

    def iris(self, ctx: ActiveContext, path: str, value: Any, *, vocab: bool) -> None:
        """Record each string in ``value`` that does not expand to a usable absolute IRI."""
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if not isinstance(item, str):
                continue
            # expand_id refuses (Unsupported) relative and blank-node values: the reference
            # then decides, with pyld's own resolution.
            expanded = ctx.expand_key(item) if vocab else ctx.expand_id(item)
            if expanded is None or not (
                expanded.startswith("_:") or _is_keyword(expanded) or _is_defined_iri(expanded)
            ):
                self.found.append(f"{path}[{index}]" if isinstance(value, list) else path)


class Finding(NamedTuple):
    """A value that would not be signed the same way by every JSON-LD processor.

    Attributes:
        path: the JSON path of the value (``$.credentialSubject.creditsEarned``).
        code: a stable machine code (``base_direction``, ``invalid_language_tag``,
            ``unsafe_integer``, ``unsafe_double``, ``non_finite_number``, ``keyword_alias``).
        reason: a sentence saying why and what to do instead.
    """

    path: str
    code: str
    reason: str


MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON parser holds exactly (I-JSON, RFC 7493 §2.2)."""

SMALLEST_DOUBLE = 1e-6
"""Below this magnitude JavaScript writes a number in exponent form ("1e-7"), which jsonld.js
then mistakes for an integer ("0"^^xsd:integer)."""

# jsonld.js's test for a well-formed language tag (BCP 47, https://www.rfc-editor.org/rfc/rfc5646,
# loosely); in safe mode it refuses any other @language value.
_BCP47 = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_TAGGING = ("@language", "@direction")


def find_unportable_values(doc: Any, *, shared: SharedParts | None = None) -> list[Finding]:
    """Find what pyld (this library) and jsonld.js (most wallets and verifiers) sign differently.

    These are refused at signing, as the simplest interoperable choice, and a Data Integrity
    proof over them is refused at verification (it cannot be checked reliably):

    * ``@direction`` (JSON-LD 1.1 base direction, in a value object or a context): the DI
      suites canonicalise it with ``rdfDirection: "i18n-datatype"`` in jsonld.js, while pyld
      drops it. Put the text in a plain string or a ``@language`` value object instead.
    * ``@language`` values that are not well-formed BCP 47 tags: jsonld.js safe mode refuses them.
    * integers beyond ±(2^53 − 1): JavaScript's ``JSON.parse`` rounds them.
    * non-integer numbers below 10^-6 in magnitude (JavaScript writes 1e-7 without a ".", and
      jsonld.js then signs it as the integer 0), and doubles whose 16-digit canonical form is an
      exact tie (pyld rounds it half to even, JavaScript half up). Use strings for such values.
    * aliases of ``@language``/``@direction`` and language maps in inline contexts (not
      followed by this check; use ``@language`` itself).

    https://www.w3.org/TR/json-ld11-api/#data-round-tripping,
    https://www.w3.org/TR/vc-data-integrity/#validating-contexts.

    Args:
        doc: parsed JSON (the document is not modified; size limits are the caller's job).
        shared: objects embedded by many documents: one found clean is not walked again.

    Returns:
        The findings, in document order.
    """
    findings: list[Finding] = []
    stack: list[tuple[Any, Trail, bool]] = [(doc, None, False)]
    while stack:
        value, trail, in_context = stack.pop()
        if shared is not None and not in_context and isinstance(value, dict) and value in shared:
            if id(value) in shared.portable:
                continue
            if not find_unportable_values(value):
                shared.portable.add(id(value))
                continue
        if isinstance(value, dict):
            entries: list[tuple[Any, Trail, bool]] = []
            for key, item in value.items():
                if key == "@direction":
                    findings.append(_direction(trail_path((trail, key))))
                elif key == "@language":
                    if not (in_context and item is None) and not _is_language_tag(item):
                        findings.append(_language(trail_path((trail, key)), item))
                else:
                    entries.append((item, (trail, key), in_context or key == "@context"))
            stack.extend(reversed(entries))
        elif isinstance(value, list):
            stack.extend((v, (trail, i), in_context) for i, v in reversed(list(enumerate(value))))
        elif type(value) is str:
            if in_context and value in _TAGGING:
                findings.append(
                    Finding(
                        trail_path(trail),
                        "keyword_alias",
                        f"a context may not alias or map {value} in a signed document "
                        "(write the keyword itself, with a well-formed language tag)",
                    )
                )
        elif in_context or isinstance(value, bool):
            continue  # "@version": 1.1, true, false
        elif isinstance(value, int):
            if abs(value) > MAX_SAFE_INTEGER:
                findings.append(
                    Finding(
                        trail_path(trail),
                        "unsafe_integer",
                        f"{value} is beyond ±(2^53 - 1): JavaScript reads it rounded, so the "
                        "signature would not verify there (write it as a string)",
                    )
                )
        elif isinstance(value, float):
            problem = _double_problem(value)
            if problem is not None:
                findings.append(Finding(trail_path(trail), *problem))
    return findings


def ensure_portable(doc: Any, *, shared: SharedParts | None = None) -> None:
    """Raise unless :func:`find_unportable_values` finds nothing.

    Args:
        doc: parsed JSON.
        shared: see :func:`find_unportable_values`.

    Raises:
        UndefinedTermError: with the first finding's ``code`` and ``path``; the message lists all.
    """
    findings = find_unportable_values(doc, shared=shared)
    if findings:
        listing = "; ".join(f"{f.path}: {f.reason}" for f in findings)
        raise UndefinedTermError(
            f"not signed the same way by every JSON-LD processor: {listing}",
            code=findings[0].code,
            path=findings[0].path,
        )


def ensure_signable(doc: dict[str, Any], *, limits: Limits | None = None) -> None:
    """Everything signing refuses: limits, unportable values, then undefined terms.

    Args:
        doc: the unsecured document (not modified).
        limits: bounds for hostile input.

    Raises:
        LimitExceededError: the document exceeds ``limits``.
        UndefinedTermError: an unportable value (its own ``code``) or an undefined term
            (``undefined_term``), with the JSON path.
        ContextError, CanonicalizationError: as :func:`find_undefined_terms`.
    """
    check_structure(doc, limits)
    ensure_portable(doc)
    found = _quick_undefined_terms(doc)
    if found is None:
        found = find_undefined_terms_reference(doc)
    if found:
        paths = list(dict.fromkeys(found))
        raise UndefinedTermError(
            f"not defined by the document's @context, or not an absolute IRI, so it would not "
            f"be signed as written (define it in a context, fix the IRI, or remove it): "
            f"{', '.join(paths)}",
            path=paths[0],
        )


def _direction(path: str) -> Finding:
    return Finding(
        path,
        "base_direction",
        "@direction is signed differently by jsonld.js (i18n-datatype) and pyld (dropped); "
        "use a plain string or a @language value object",
    )


def _language(path: str, tag: Any) -> Finding:
    return Finding(
        path,
        "invalid_language_tag",
        f"{tag!r} is not a well-formed BCP 47 language tag (such as en or zh-Hant-TW)",
    )


def _is_language_tag(value: Any) -> bool:
    """jsonld.js's well-formedness test for ``@language`` values."""
    return isinstance(value, str) and _BCP47.fullmatch(value) is not None


def _double_problem(value: float) -> tuple[str, str] | None:
    """(code, reason) when pyld and jsonld.js would give ``value`` different lexical forms."""
    if not math.isfinite(value):
        return "non_finite_number", f"{value} is not a JSON number"
    if value.is_integer() and abs(value) < 1e21:
        return None  # both write the integer's digits
    if abs(value) < SMALLEST_DOUBLE:
        return (
            "unsafe_double",
            f"{value!r} is smaller than 1e-6 in magnitude: jsonld.js signs such numbers as "
            "integers (1e-7 as 0); write it as a string",
        )
    digits = Decimal(value).as_tuple().digits
    trimmed = list(digits)
    while trimmed and trimmed[-1] == 0:
        trimmed.pop()
    if len(trimmed) == 17 and trimmed[-1] == 5:
        return (
            "unsafe_double",
            f"{value!r} lies exactly halfway between two 16-digit forms, which pyld and "
            "JavaScript round differently; write it as a string",
        )
    return None
