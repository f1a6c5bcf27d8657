"""Bounds for hostile input, checked before any JSON-LD processing starts.

JSON-LD expansion and RDF Dataset Canonicalization are both far more expensive than parsing, and
RDFC-1.0 is exponential in the worst case (https://www.w3.org/TR/rdf-canon/#dataset-poisoning;
pyld#179 shows a graph that hangs pyld for minutes). A verifier accepts uploads from anyone, so
size, depth and node count are checked here, and the blank-node count and a work/time budget are
enforced inside the canonicaliser (:mod:`openbadges.jsonld.canonical`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from openbadges.errors import LimitExceededError
from openbadges.jsonld.shared import SharedParts


@dataclass(frozen=True, slots=True)
class Limits:
    """How much work one document may cause.

    Attributes:
        max_bytes: size of the document serialised as compact UTF-8 JSON.
        max_depth: nesting of objects and arrays (the root is depth 1).
        max_nodes: JSON values of every kind (objects, arrays, scalars) in the document.
        max_blank_nodes: distinct blank nodes in the RDF dataset to canonicalise.
        timeout_s: wall-clock budget for the RDFC-1.0 blank-node labelling step.
        max_work: steps of the exponential part of RDFC-1.0 (Hash N-Degree Quads calls plus
            permutations tried, §4.8): a machine-independent budget that trips even on a fast
            machine. Real credentials need none or a handful.
        max_contexts: entries of any one ``@context`` array. Each entry is processed in turn
            even when it repeats an earlier one (300 copies of the VC context in a 12 KB upload
            cost ~0.6 s of CPU); real credentials list two to five.
    """

    max_bytes: int = 1_000_000
    max_depth: int = 64
    max_nodes: int = 20_000
    max_blank_nodes: int = 1_000
    timeout_s: float = 1.0
    max_work: int = 10_000
    max_contexts: int = 16


DEFAULT_LIMITS = Limits()
"""Bounds generous enough for any real credential (a large CLR is ~200 KB, depth ~12)."""

_APPLIED: ContextVar[Limits] = ContextVar("openbadges_limits", default=DEFAULT_LIMITS)


def applied_limits() -> Limits:
    """The limits in force for the current verification (:func:`limits_applied`), else
    :data:`DEFAULT_LIMITS`; what the parsing and canonicalisation functions use when their
    caller passes none."""
    return _APPLIED.get()


@contextmanager
def limits_applied(limits: Limits) -> Iterator[None]:
    """Apply ``limits`` to every parse, structure check and canonicalisation inside the block.

    A verification reaches the canonicaliser through many layers (envelopes, proofs, nested
    credentials, status lists); a context variable carries one caller's budget — e.g. a
    service's smaller one for anonymous uploads — to all of them without threading a
    parameter through each. Context variables are per thread and per task, so concurrent
    verifications with different limits do not see each other's.
    """
    token = _APPLIED.set(limits)
    try:
        yield
    finally:
        _APPLIED.reset(token)


def check_structure(
    doc: Any, limits: Limits | None = None, *, shared: SharedParts | None = None
) -> None:
    """Refuse a document that is too large, too deep or has too many values.

    Args:
        doc: parsed JSON (dicts, lists, scalars).
        limits: the bounds to apply (default: :func:`applied_limits`).
        shared: objects embedded by many documents: each is measured once, then counted
            without a walk wherever it fits within the limits.

    Raises:
        LimitExceededError: with ``code`` ``too_large``, ``too_deep`` or ``too_many_nodes`` and
            the JSON path where the limit was first crossed.
    """
    limits = limits or applied_limits()
    _walk(doc, limits, shared)
    try:
        size = len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise LimitExceededError(f"document is not serialisable JSON: {exc}", path="$") from exc
    if size > limits.max_bytes:
        raise LimitExceededError(
            f"document is {size} bytes, more than the limit of {limits.max_bytes}",
            code="too_large",
            path="$",
        )


def loads_bounded(
    raw: str | bytes,
    limits: Limits | None = None,
    *,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """Parse untrusted JSON text and apply :func:`check_structure` to the result.

    Python's ``json`` parser recurses once per nesting level and raises ``RecursionError`` on
    deep input (about a thousand levels: ``[[[[…`` in a 20 KB upload). That is reported as the
    ``too_deep`` :class:`LimitExceededError` :func:`check_structure` raises for a parsed
    document, so every carrier of JSON — a file, a JWT header or payload, a baked image — gets
    the same bound and the same answer.

    Args:
        raw: the JSON text (bytes are read as UTF-8, as ``json.loads`` does).
        limits: the bounds to apply (default: :func:`applied_limits`).
        object_pairs_hook: passed to ``json.loads`` (e.g. to refuse duplicate member names).

    Returns:
        The parsed value.

    Raises:
        ValueError: not JSON (``json.JSONDecodeError``, ``UnicodeDecodeError``).
        LimitExceededError: too deep for the parser or for ``limits``, too large, too many values.
    """
    limits = limits or applied_limits()
    try:
        value = json.loads(raw, object_pairs_hook=object_pairs_hook)
    except RecursionError as exc:
        raise LimitExceededError(
            f"document nests deeper than {limits.max_depth} levels", code="too_deep", path="$"
        ) from exc
    if object_pairs_hook is None and _surely_serialisable_within(raw, limits.max_bytes):
        _walk(value, limits)  # the size check would pass: not serialised to measure it
    else:
        check_structure(value, limits)
    return value


_MOST_GROWTH = 5
"""How many times its UTF-8 JSON text a parsed value can grow when serialised compactly: text
never grows (``ensure_ascii=False``, escapes kept as short or shortened), a number at most
4.5 times (``9e15`` is written ``9000000000000000.0``)."""


def _surely_serialisable_within(raw: str | bytes, max_bytes: int) -> bool:
    """Whether what ``json.loads`` makes of ``raw`` serialises for :func:`check_structure`
    within ``max_bytes`` for certain, so that it need not be serialised to be measured (a
    dump of every document verified, ~13 us for a credential of 2 KB).

    Only UTF-8 bytes qualify (``json.loads`` reads bytes whose first two are not zero and
    that start with no UTF-16/32 byte order mark as UTF-8) that hold no ``\\u`` escape and
    no ``0xED`` byte: a lone surrogate, which cannot be serialised, comes in by one of those
    (bytes are decoded with ``surrogatepass``).
    """
    return (
        isinstance(raw, bytes)
        and raw[:1] not in (b"\x00", b"\xfe", b"\xff")
        and raw[1:2] != b"\x00"
        and len(raw) * _MOST_GROWTH <= max_bytes
        and b"\\u" not in raw
        and b"\xed" not in raw
    )


Trail = tuple[Any, ...] | None
"""A JSON path kept as ``(parent_trail, key_or_index)`` links; :func:`trail_path` renders it.
Building the text only when it is needed keeps walks over large documents cheap."""


def trail_path(trail: Trail) -> str:
    """Render a trail as a JSON path (``$.credentialSubject.result[0]``).

    Args:
        trail: None for the root, else ``(parent_trail, member name or array index)``.

    Returns:
        The path.
    """
    steps: list[Any] = []
    while trail is not None:
        trail, step = trail
        steps.append(step)
    path = "$"
    for step in reversed(steps):
        path = f"{path}[{step}]" if isinstance(step, int) else child_path(path, step)
    return path


def _walk(doc: Any, limits: Limits, shared: SharedParts | None = None) -> None:
    """Iteratively count values and track depth (no recursion: depth is what is hostile)."""
    stack: list[tuple[Any, Trail, int]] = [(doc, None, 1)]
    nodes = 0
    max_nodes, max_depth = limits.max_nodes, limits.max_depth
    while stack:
        value, trail, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise LimitExceededError(
                f"document has more than {max_nodes} JSON values",
                code="too_many_nodes",
                path=trail_path(trail),
            )
        if shared is not None and isinstance(value, dict) and value in shared:
            count, below, widest = _measured(shared, value)
            fits = nodes + count - 1 <= max_nodes and depth + below <= max_depth
            if fits and widest <= limits.max_contexts:
                nodes += count - 1
                continue  # otherwise walk it, to name where a limit is crossed
        if isinstance(value, dict):
            if depth > max_depth:
                raise _too_deep(max_depth, trail)
            contexts = value.get("@context")
            if isinstance(contexts, list) and len(contexts) > limits.max_contexts:
                raise LimitExceededError(
                    f"@context lists {len(contexts)} entries, more than {limits.max_contexts}",
                    code="too_many_contexts",
                    path=trail_path((trail, "@context")),
                )
            stack.extend((v, (trail, k), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            if depth > max_depth:
                raise _too_deep(max_depth, trail)
            stack.extend((v, (trail, i), depth + 1) for i, v in enumerate(value))


def _measured(shared: SharedParts, part: dict[str, Any]) -> tuple[int, int, int]:
    """(JSON values, depth of its deepest object or array below it, longest ``@context``
    list) of a shared part, measured on first use."""
    found = shared.structure.get(id(part))
    if found is None:
        count = below = widest = 0
        stack: list[tuple[Any, int]] = [(part, 0)]
        while stack:
            value, depth = stack.pop()
            count += 1
            if isinstance(value, dict):
                below = max(below, depth)
                contexts = value.get("@context")
                if isinstance(contexts, list):
                    widest = max(widest, len(contexts))
                stack.extend((v, depth + 1) for v in value.values())
            elif isinstance(value, list):
                below = max(below, depth)
                stack.extend((v, depth + 1) for v in value)
        found = shared.structure[id(part)] = (count, below, widest)
    return found


def _too_deep(max_depth: int, trail: Trail) -> LimitExceededError:
    return LimitExceededError(
        f"document nests deeper than {max_depth} levels",
        code="too_deep",
        path=trail_path(trail),
    )


def child_path(parent: str, key: object) -> str:
    """Extend a JSON path by one member name (bracket-quoted when not an identifier).

    Args:
        parent: the path so far, such as ``$.credentialSubject``.
        key: the member name.

    Returns:
        ``$.credentialSubject.name`` or ``$['@context']`` style paths.
    """
    name = str(key)
    if name.isidentifier():
        return f"{parent}.{name}"
    return f"{parent}[{json.dumps(name, ensure_ascii=False)}]"
