"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, bounded against hostile input.

``canonicalize_reference`` is the slow, trusted path: pyld's JSON-LD → RDF followed by pyld's
URDNA2015, whose output is identical to RDFC-1.0 (https://www.w3.org/TR/rdf-canon/; pyld 3.3
rejects the name ``"RDFC-1.0"`` but implements the same algorithm). ``canonicalize`` first offers
the document to the fast path :func:`openbadges.jsonld.fast.fast_canonicalize` (proven equal to the
reference in its own tests) and falls back here when that module is absent or declines.

Hostile documents are bounded three ways: :func:`~openbadges.jsonld.limits.check_structure`
before anything else, a blank-node count after RDF conversion, and a work/time budget inside the
Hash N-Degree Quads recursion, which is where RDFC-1.0 goes exponential on "poisoned" graphs
(https://www.w3.org/TR/rdf-canon/#dataset-poisoning, pyld#179).
"""

from __future__ import annotations

import copy
import importlib
import re
import time
import types
from collections.abc import Callable
from functools import cache
from typing import Any

import pyld.canon
from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.identifier_issuer import IdentifierIssuer

from openbadges.errors import LimitExceededError
from openbadges.jsonld._pyld import (
    PYLD_LOCK,
    pyld_options,
    run_pyld,
    serialize_nquad,
    serialize_nquads,
)
from openbadges.jsonld.limits import Limits, applied_limits, check_structure
from openbadges.jsonld.shared import SharedParts

_NQUADS = "application/n-quads"


class _Budget:
    """Counts deep canonicalisation work and watches a deadline; raises when either runs out."""

    def __init__(self, limits: Limits) -> None:
        self.remaining = limits.max_work
        self.deadline = time.monotonic() + limits.timeout_s
        self.limits = limits

    def tick(self) -> None:
        """Spend one unit of work (a Hash N-Degree Quads call or one permutation tried)."""
        self.remaining -= 1
        if self.remaining < 0:
            raise LimitExceededError(
                f"canonicalisation needs more than {self.limits.max_work} steps: the blank "
                "nodes form a poisoned graph (RDFC-1.0 §4.8, dataset poisoning)",
                code="canonicalization_work",
            )
        if time.monotonic() > self.deadline:
            raise LimitExceededError(
                f"canonicalisation took longer than {self.limits.timeout_s} s",
                code="canonicalization_timeout",
            )


class _BudgetedIssuer(IdentifierIssuer):  # type: ignore[misc]  # pyld is untyped
    """An identifier issuer whose copies are charged to a budget.

    RDFC-1.0 §4.8.3 step 5.4.1 copies the issuer once per permutation tried, so charging the
    copy bounds the permutation loop even where it never recurses.
    """

    def __init__(self, prefix: str, budget: _Budget) -> None:
        super().__init__(prefix)
        self.budget = budget

    @classmethod
    def adopt(cls, issuer: IdentifierIssuer, budget: _Budget) -> _BudgetedIssuer:
        """Return a budgeted issuer with the same state as ``issuer``."""
        adopted = cls(issuer.prefix, budget)
        adopted.counter = issuer.counter
        adopted.existing = dict(issuer.existing)
        adopted.order = list(issuer.order)
        return adopted

    def __deepcopy__(self, memo: dict[int, Any]) -> _BudgetedIssuer:
        """Copy (what ``copy.deepcopy`` in pyld calls), spending one unit of budget."""
        self.budget.tick()
        return _BudgetedIssuer.adopt(self, self.budget)


# pyld's URDNA2015 serialises quads with ``pyld.nquads.serialize_nquad`` (looked up in the
# ``pyld.canon`` module globals) both for its output and inside Hash First Degree Quads (§4.6).
# Its two methods that do so are re-bound here to a copy of those globals in which the name means
# our canonical N-Quads serialiser (RDFC-1.0 §5 escaping); pyld itself is left untouched.
_CANON_GLOBALS = {**vars(pyld.canon), "serialize_nquad": serialize_nquad}


def _rebound(function: Any) -> Any:
    """``function`` with the same code, looking its globals up in ``_CANON_GLOBALS``."""
    rebound = types.FunctionType(
        function.__code__,
        _CANON_GLOBALS,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    rebound.__qualname__ = function.__qualname__
    rebound.__doc__ = function.__doc__
    return rebound


# A raw control character in canonical N-Quads means a serialiser with pyld's narrower escaping
# produced it (the reference escapes them all): such output is not trusted.
_RAW_CONTROL = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]")


class _BoundedURDNA2015(URDNA2015):  # type: ignore[misc]  # pyld is untyped
    """pyld's URDNA2015 with a work and time budget on the exponential part.

    It serialises in canonical N-Quads form (RDFC-1.0 §5), see ``_CANON_GLOBALS``.
    """

    main = _rebound(URDNA2015.main)
    hash_first_degree_quads = _rebound(URDNA2015.hash_first_degree_quads)

    def __init__(self, budget: _Budget) -> None:
        super().__init__()
        self.budget = budget

    def hash_n_degree_quads(self, id_: str, issuer: IdentifierIssuer) -> dict[str, Any]:
        """RDFC-1.0 §4.8 Hash N-Degree Quads, charged to the budget."""
        self.budget.tick()
        if not isinstance(issuer, _BudgetedIssuer):
            issuer = _BudgetedIssuer.adopt(issuer, self.budget)
        result: dict[str, Any] = super().hash_n_degree_quads(id_, issuer)
        return result


def canonicalize(doc: dict[str, Any], *, limits: Limits | None = None) -> str:
    """Canonical N-Quads of a JSON-LD document, by the fast path when it applies.

    Args:
        doc: the JSON-LD document (not modified).
        limits: bounds for hostile input (default: :func:`~openbadges.jsonld.limits.applied_limits`).

    Returns:
        RDFC-1.0 canonical N-Quads, one quad per line, each ending in ``\\n``.

    Raises:
        LimitExceededError: the document exceeds ``limits``.
        ContextError: it names a context that is not bundled.
        CanonicalizationError: JSON-LD processing failed (invalid JSON-LD).
    """
    limits = limits or applied_limits()
    check_structure(doc, limits)
    return canonicalize_checked(doc, limits)


def canonicalize_checked(doc: dict[str, Any], limits: Limits | None = None) -> str:
    """:func:`canonicalize` for a document whose structure the caller has already checked.

    Args:
        doc: the JSON-LD document (not modified), already through
            :func:`~openbadges.jsonld.limits.check_structure` with ``limits``.
        limits: bounds for the rest of the work (blank nodes, RDFC-1.0 budget).

    Returns:
        RDFC-1.0 canonical N-Quads.

    Raises:
        LimitExceededError, ContextError, CanonicalizationError: as :func:`canonicalize`.
    """
    fast = _fast_canonicalizer()
    if fast is not None:
        result = fast(doc)
        if isinstance(result, str) and _RAW_CONTROL.search(result) is None:
            return result
    return _reference(doc, limits or applied_limits())


def canonicalize_defined(doc: dict[str, Any], *, shared: SharedParts | None = None) -> str | None:
    """Canonical N-Quads of ``doc`` when the fast path covers it and every term and IRI in it
    is defined; None otherwise (then run :func:`openbadges.jsonld.safe.ensure_signable`, which
    names what is undefined, and :func:`canonicalize_checked`).

    Signing needs both the term check and the canonical form; for a credential of the Open
    Badges profile this gives both in one walk.

    Args:
        doc: the JSON-LD document (not modified), already through
            :func:`~openbadges.jsonld.limits.check_structure`.
        shared: objects many documents embed, walked once (:mod:`openbadges.jsonld.shared`).

    Returns:
        RDFC-1.0 canonical N-Quads, exactly those of :func:`canonicalize`, or None.
    """
    try:
        from openbadges.jsonld.fast import fast_canonicalize_defined
    except ModuleNotFoundError:  # as _fast_canonicalizer: the fast module may be left out
        return None
    result = fast_canonicalize_defined(doc, shared)
    if result is None or _RAW_CONTROL.search(result) is not None:
        return None
    return result


def canonicalize_reference(doc: dict[str, Any], *, limits: Limits | None = None) -> str:
    """Canonical N-Quads by pyld (the reference the fast path is proven against).

    Args:
        doc: the JSON-LD document (not modified).
        limits: bounds for hostile input.

    Returns:
        RDFC-1.0 canonical N-Quads.

    Raises:
        LimitExceededError: the document exceeds ``limits``.
        ContextError: it names a context that is not bundled.
        CanonicalizationError: JSON-LD processing failed.
    """
    limits = limits or applied_limits()
    check_structure(doc, limits)
    return _reference(doc, limits)


def to_nquads_reference(doc: dict[str, Any]) -> str:
    """Serialise a JSON-LD document to (non-canonical) N-Quads with pyld and the static loader.

    Useful to see what a document signs before blank-node relabelling and sorting.

    Args:
        doc: the JSON-LD document (not modified).

    Returns:
        N-Quads in pyld's output order.

    Raises:
        ContextError: it names a context that is not bundled.
        CanonicalizationError: JSON-LD processing failed.
    """
    with PYLD_LOCK:
        dataset = run_pyld(
            lambda: jsonld.to_rdf(copy.deepcopy(doc), pyld_options(produceGeneralizedRdf=False))
        )
    return serialize_nquads(dataset)


def _reference(doc: dict[str, Any], limits: Limits) -> str:
    """Expand to RDF, check the blank-node count, then run bounded URDNA2015."""
    with PYLD_LOCK:
        dataset = run_pyld(
            lambda: jsonld.to_rdf(copy.deepcopy(doc), pyld_options(produceGeneralizedRdf=False))
        )
        _check_blank_nodes(dataset, limits)
        canon = _BoundedURDNA2015(_Budget(limits))
        result: str = run_pyld(lambda: canon.main(dataset, {"format": _NQUADS}))
    return result


def _check_blank_nodes(dataset: dict[str, list[dict[str, Any]]], limits: Limits) -> None:
    """Refuse datasets with more distinct blank nodes than ``limits.max_blank_nodes``."""
    seen: set[str] = set()
    for graph_name, triples in dataset.items():
        if graph_name.startswith("_:"):
            seen.add(graph_name)
        for triple in triples:
            for position in ("subject", "object"):
                term = triple[position]
                if term["type"] == "blank node":
                    seen.add(term["value"])
    if len(seen) > limits.max_blank_nodes:
        raise LimitExceededError(
            f"document produces {len(seen)} blank nodes, more than {limits.max_blank_nodes}",
            code="too_many_blank_nodes",
            path="$",
        )


@cache
def _fast_canonicalizer() -> Callable[[dict[str, Any]], str | None] | None:
    """Return ``openbadges.jsonld.fast.fast_canonicalize`` if that module exists, else None."""
    try:
        module = importlib.import_module("openbadges.jsonld.fast")
    except ModuleNotFoundError as exc:
        if exc.name != "openbadges.jsonld.fast":
            raise  # fast.py exists but one of its own imports is missing: a real bug
        return None
    function = getattr(module, "fast_canonicalize", None)
    return function if callable(function) else None
