"""RDFC-1.0 for datasets whose blank nodes are told apart by their first-degree hashes.

RDF Dataset Canonicalization (https://www.w3.org/TR/rdf-canon/) labels blank nodes in two
stages. §4.4 step 5 ("Issue canonical identifiers for blank nodes with unique first-degree
hashes") settles every blank node whose Hash First Degree Quads (§4.6) is unique; only the rest
need the expensive Hash N-Degree Quads (§4.8). A credential's blank nodes (subject, achievement,
criteria, ...) carry different properties, so in practice all of them are settled by step 5 and
this module does exactly that. When two hashes collide it declines (returns None) and the
caller falls back to the full algorithm in pyld.

The serialisation follows pyld 3.3 (``pyld.nquads.serialize_nquad``), the reference.
"""

from __future__ import annotations

from hashlib import sha256
from itertools import pairwise

from openbadges.jsonld._fast_rdf import Quad


def canonical_nquads(quads: list[Quad]) -> str | None:
    """Canonical N-Quads of ``quads``, or None when step 5 alone cannot label every blank node.

    Args:
        quads: the dataset, terms in N-Quads syntax, blank nodes as ``_:<label>``.

    Returns:
        The sorted canonical N-Quads document (RDFC-1.0 §4.4 step 7), or None.
    """
    mentions = _blank_node_mentions(quads)
    hashed = sorted(
        (_hash_first_degree(node, mentioned), node) for node, mentioned in mentions.items()
    )
    for (first, _), (second, _) in pairwise(hashed):
        if first == second:
            return None
    labels = {node: f"_:c14n{index}" for index, (_, node) in enumerate(hashed)}
    lines = [_serialize(quad, labels.get) for quad in quads]
    lines.sort()
    return "".join(lines)


def _blank_node_mentions(quads: list[Quad]) -> dict[str, list[Quad]]:
    """§4.4 step 2: the blank node to quads map (subject, object and graph positions)."""
    mentions: dict[str, list[Quad]] = {}
    for quad in quads:
        subject, _, obj, graph = quad
        if subject[0] == "_":
            mentions.setdefault(subject, []).append(quad)
        if obj[0] == "_":
            mentions.setdefault(obj, []).append(quad)
        if graph is not None and graph[0] == "_":
            mentions.setdefault(graph, []).append(quad)
    return mentions


def _hash_first_degree(node: str, quads: list[Quad]) -> str:
    """§4.6 Hash First Degree Quads: ``_:a`` for ``node``, ``_:z`` for any other blank node."""

    def rename(term: str) -> str | None:
        return ("_:a" if term == node else "_:z") if term[0] == "_" else None

    lines = sorted(_serialize(quad, rename) for quad in quads)
    return sha256("".join(lines).encode("utf-8")).hexdigest()


def _serialize(quad: Quad, rename: object) -> str:
    """One N-Quads line; ``rename(term)`` gives a blank node's new label (None: keep the term)."""
    subject, predicate, obj, graph = quad
    if subject[0] == "_":
        subject = rename(subject) or subject  # type: ignore[operator]
    if obj[0] == "_":
        obj = rename(obj) or obj  # type: ignore[operator]
    if graph is None:
        return f"{subject} {predicate} {obj} .\n"
    if graph[0] == "_":
        graph = rename(graph) or graph  # type: ignore[operator]
    return f"{subject} {predicate} {obj} {graph} .\n"
