"""JSON-LD → RDF in one walk over the JSON, for the Open Badges profile.

This fuses three algorithms of the JSON-LD 1.1 API that pyld runs one after the other, for the
subset of JSON-LD that Open Badges 3.0 credentials use:

* Expansion, https://www.w3.org/TR/json-ld11-api/#expansion-algorithm (with the active contexts
  precomputed by pyld, see :mod:`openbadges.jsonld._fast_context`);
* Node Map Generation, https://www.w3.org/TR/json-ld11-api/#node-map-generation, of which only
  the de-duplication of equal values on one subject matters for the output;
* Deserialize JSON-LD to RDF, https://www.w3.org/TR/json-ld11-api/#deserialize-json-ld-to-rdf-algorithm,
  including lists and pyld's lexical forms for numbers.

Terms are produced already serialised as N-Quads (``<iri>``, ``_:b3``, ``"lex"^^<dt>``) because
that is all canonicalisation needs. Whenever the input leaves the profile the walk raises
:class:`~openbadges.jsonld._fast_context.Unsupported` and the caller falls back to pyld.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from openbadges.jsonld._fast_context import (
    PROPERTY_SCOPED,
    TYPE_SCOPED,
    ActiveContext,
    Unsupported,
    is_absolute_iri,
    is_keyword,
    revert_type_scope,
    root_context,
)
from openbadges.jsonld._iri import is_defined_iri
from openbadges.jsonld._pyld import escape_literal
from openbadges.jsonld.shared import SharedParts

XSD: Final = "http://www.w3.org/2001/XMLSchema#"
XSD_BOOLEAN: Final = XSD + "boolean"
XSD_DOUBLE: Final = XSD + "double"
XSD_INTEGER: Final = XSD + "integer"
XSD_STRING: Final = XSD + "string"
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_TYPE_IRI: Final = f"{RDF}type"
_RDF_TYPE: Final = f"<{_RDF_TYPE_IRI}>"
_RDF_FIRST: Final = f"<{RDF}first>"
_RDF_REST: Final = f"<{RDF}rest>"
_RDF_NIL: Final = f"<{RDF}nil>"

Quad = tuple[str, str, str, str | None]
"""(subject, predicate, object, graph or None), each already in N-Quads syntax."""


def to_quads(doc: dict[str, Any]) -> list[Quad]:
    """Convert a JSON-LD document of the profile to RDF quads.

    Args:
        doc: a JSON object whose ``@context`` is a list of bundled context URLs.

    Returns:
        The quads pyld's ``to_rdf`` produces for the document, with different blank node labels.

    Raises:
        Unsupported: the document is outside the profile.
    """
    if not isinstance(doc, dict) or "@context" not in doc:
        raise Unsupported("not a JSON object with @context")
    walker = _Walker()
    walker.node(root_context(doc["@context"]), None, doc, None)
    return walker.quads


def to_quads_vetted(doc: dict[str, Any], shared: SharedParts | None = None) -> list[Quad] | None:
    """:func:`to_quads`, or None when the walk met anything signing refuses as undefined.

    The walk computes every key's, type's and IRI value's expansion anyway; vetting each with
    :func:`openbadges.jsonld._iri.is_defined_iri` (and noting the keys pyld would drop) finds,
    for a document inside the profile, exactly what the term check of
    :mod:`openbadges.jsonld.safe` finds (``tests/openbadges/test_fast_vetting.py``), so signing
    needs no second walk. None means "run the term check": it names the paths.

    ``shared`` objects (see :mod:`openbadges.jsonld.shared`) are walked once per active
    context and property; their quads are then replayed, blank nodes relabelled.

    Raises:
        Unsupported: the document is outside the profile.
    """
    if not isinstance(doc, dict) or "@context" not in doc:
        raise Unsupported("not a JSON object with @context")
    walker = _Walker(vetting=True, shared=shared)
    walker.node(root_context(doc["@context"]), None, doc, None)
    return None if walker.undefined else walker.quads


@dataclass(frozen=True, slots=True)
class _Recorded:
    """One walk of a shared node object: everything it handed to :meth:`_Walker.add`, in order
    (de-duplication is redone on replay, against the document at hand), with blank node labels
    numbered from ``start + 1``."""

    ctx: ActiveContext
    subject: str
    emitted: list[tuple[Quad, Any]]
    start: int
    blanks: int
    undefined: bool


class _Walker:
    """One document's walk: the quads emitted so far and the node-map de-duplication set."""

    __slots__ = ("blank_count", "quads", "recording", "seen", "shared", "undefined", "vetting")

    def __init__(self, *, vetting: bool = False, shared: SharedParts | None = None) -> None:
        self.quads: list[Quad] = []
        self.seen: set[tuple[Any, ...]] = set()
        self.blank_count = 0
        self.vetting = vetting
        """Note every key, type and IRI value that is not a defined IRI (``undefined``)."""
        self.undefined = False
        self.shared = shared
        self.recording: list[tuple[Quad, Any]] | None = None

    def vet(self, iri: str) -> str:
        """``iri`` unchanged; when vetting, an undefined or malformed one is noted."""
        if self.vetting and not is_defined_iri(iri):
            self.undefined = True
        return iri

    def blank(self) -> str:
        """A fresh blank node label (canonicalisation renames them all)."""
        self.blank_count += 1
        return f"_:b{self.blank_count}"

    def add(self, quad: Quad, same_as: Any) -> None:
        """Emit a quad unless pyld's node map would have merged its value away.

        pyld adds node-map values with ``allowDuplicate=False``: two values of one property of
        one subject are the same when their ``@id``s are equal, or their ``@value`` (with ``1 ==
        1.0`` but ``True != 1``) and ``@type`` are; ``same_as`` is that identity (None: unique).
        """
        if self.recording is not None:
            self.recording.append((quad, same_as))
        if same_as is not None:
            key = (quad[0], quad[1], quad[3], same_as)
            if key in self.seen:
                return
            self.seen.add(key)
        self.quads.append(quad)

    # -- node objects (expansion algorithm steps 7-13 for a map) -------------------------------

    def node(
        self, ctx: ActiveContext, prop: str | None, element: dict[str, Any], graph: str | None
    ) -> str:
        """Expand one node object and emit its quads; return its subject term."""
        prop_term = ctx.term(prop) if prop is not None else None
        ctx = revert_type_scope(ctx, element)
        if prop_term is not None and prop_term.scoped is not None:
            ctx = ctx.derive(prop_term.scoped, PROPERTY_SCOPED)
        if prop is not None and "@context" in element:
            ctx = ctx.embed(element["@context"])
        type_ctx = ctx
        typed, types = _node_types(ctx, element)
        for name in sorted(types):
            term = type_ctx.term(name)
            if term is not None and term.scoped is not None:
                ctx = ctx.derive(term.scoped, TYPE_SCOPED)
        subject, props = self._entries(ctx, element, typed)
        for name in types:
            iri = f"<{self.vet(type_ctx.expand_type(name))}>"
            self.add((subject, _RDF_TYPE, iri, graph), iri)
        for key, expanded, value in props:
            self.property(ctx, subject, key, expanded, value, graph)
        return subject

    def _entries(
        self, ctx: ActiveContext, element: dict[str, Any], typed: bool
    ) -> tuple[str, list[tuple[str, str, Any]]]:
        """Classify a node's entries under its final context: its subject and its properties."""
        subject: str | None = None
        type_keys = 0
        props: list[tuple[str, str, Any]] = []
        for key, value in element.items():
            if key == "@context":
                continue
            expanded = ctx.expand_key(key)
            if expanded == "@id":
                subject = self._subject(ctx, value, subject)
            elif expanded == "@type":
                type_keys += 1
            elif expanded is None or not (is_absolute_iri(expanded) or is_keyword(expanded)):
                self.undefined = self.undefined or self.vetting
                continue  # pyld drops keys that expand to nothing or a relative IRI
            elif is_keyword(expanded) or expanded == _RDF_TYPE_IRI:
                raise Unsupported(f"key {key!r} expands to {expanded}")
            else:
                props.append((key, self.vet(expanded), value))
        if type_keys != int(typed):
            raise Unsupported("a type-scoped context redefines the @type alias")
        return subject or self.blank(), props

    def _subject(self, ctx: ActiveContext, value: Any, seen: str | None) -> str:
        """The subject term of a node from its ``@id`` entry."""
        if seen is not None or not isinstance(value, str):
            raise Unsupported("@id is not a single string")
        return f"<{self.vet(ctx.expand_id(value))}>"

    # -- properties ------------------------------------------------------------------------

    def property(
        self,
        ctx: ActiveContext,
        subject: str,
        key: str,
        expanded: str,
        value: Any,
        graph: str | None,
    ) -> None:
        """Expand one property of a node and emit its quads (expansion step 13.7 onwards)."""
        if expanded.startswith("_:"):
            raise Unsupported("blank node predicate")  # pyld drops these without generalized RDF
        term = ctx.term(key)
        term_ctx = (
            ctx if term is None or term.scoped is None else ctx.derive(term.scoped, PROPERTY_SCOPED)
        )
        container = "@set" if term is None else term.container
        if term_ctx is not ctx:
            inner = term_ctx.term(key)
            if (inner.container if inner is not None else "@set") != container:
                raise Unsupported("scoped context changes the container of its own term")
        predicate = f"<{expanded}>"
        if value is None:
            return
        if container == "@list":
            head = self.rdf_list(
                term_ctx, key, value if isinstance(value, list) else [value], graph
            )
            self.add((subject, predicate, head, graph), None)
        elif container == "@graph":
            self._graphs(term_ctx, subject, predicate, key, value, graph)
        else:
            self._values(term_ctx, subject, predicate, key, value, graph)

    def _values(
        self,
        ctx: ActiveContext,
        subject: str,
        predicate: str,
        key: str,
        value: Any,
        graph: str | None,
    ) -> None:
        """Emit one quad per value of a property; nested arrays flatten, nulls vanish."""
        if isinstance(value, list):
            for item in value:
                if item is not None:
                    self._values(ctx, subject, predicate, key, item, graph)
            return
        if isinstance(value, dict):
            if self.shared is not None and graph is None and value in self.shared:
                obj = self.shared_node(self.shared, ctx, key, value)
            else:
                obj = self.node(ctx, key, value, graph)
            self.add((subject, predicate, obj, graph), obj if obj[0] == "<" else None)
        else:
            obj, same_as = self.scalar(ctx, key, value)
            self.add((subject, predicate, obj, graph), same_as)

    def shared_node(
        self, shared: SharedParts, ctx: ActiveContext, key: str, element: dict[str, Any]
    ) -> str:
        """:meth:`node` for a shared object in the default graph: replayed when this context
        and property met it before, else walked and recorded (not inside another recording)."""
        memo_key = (id(element), id(ctx), key, self.vetting)
        recorded: _Recorded | None = shared.quads.get(memo_key)
        if recorded is not None and recorded.ctx is ctx:
            return self._replay(recorded)
        if self.recording is not None:
            return self.node(ctx, key, element, None)
        start, undefined_before = self.blank_count, self.undefined
        self.recording, self.undefined = [], False
        try:
            subject = self.node(ctx, key, element, None)
            emitted = self.recording
        finally:
            self.recording = None
        shared.quads[memo_key] = _Recorded(
            ctx, subject, emitted, start, self.blank_count - start, self.undefined
        )
        self.undefined = self.undefined or undefined_before
        return subject

    def _replay(self, recorded: _Recorded) -> str:
        """Emit a recorded walk again, its blank nodes renumbered after this walk's."""
        offset = self.blank_count - recorded.start
        self.blank_count += recorded.blanks
        self.undefined = self.undefined or recorded.undefined
        add = self.add
        if offset == 0:
            for quad, same_as in recorded.emitted:
                add(quad, same_as)
            return recorded.subject
        for (subject, predicate, obj, graph), same_as in recorded.emitted:
            named = None if graph is None else _shifted(graph, offset)  # an endorsement's proof
            add((_shifted(subject, offset), predicate, _shifted(obj, offset), named), same_as)
        return _shifted(recorded.subject, offset)

    def _graphs(
        self,
        ctx: ActiveContext,
        subject: str,
        predicate: str,
        key: str,
        value: Any,
        graph: str | None,
    ) -> None:
        """``"@container": "@graph"`` (how a proof is attached): each node gets a named graph."""
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if not isinstance(item, dict):
                raise Unsupported("non-object in a graph container")
            name = self.blank()
            self.add((subject, predicate, name, graph), None)
            self.node(ctx, key, item, name)

    def rdf_list(self, ctx: ActiveContext, key: str, items: list[Any], graph: str | None) -> str:
        """Emit an ``@list`` as an RDF collection and return its head (``rdf:nil`` if empty)."""
        objects: list[str] = []
        for item in items:
            if item is None:
                continue
            if isinstance(item, list):
                raise Unsupported("list of lists")
            if isinstance(item, dict):
                objects.append(self.node(ctx, key, item, graph))
            else:
                objects.append(self.scalar(ctx, key, item)[0])
        head = _RDF_NIL
        for obj in reversed(objects):
            cell = self.blank()
            self.add((cell, _RDF_FIRST, obj, graph), None)
            self.add((cell, _RDF_REST, head, graph), None)
            head = cell
        return head

    # -- scalars (value expansion + "object to RDF") ----------------------------------------

    def scalar(self, ctx: ActiveContext, key: str, value: Any) -> tuple[str, Any]:
        """Expand a scalar as ``_expand_value`` does and convert it to an RDF term.

        Returns:
            The N-Quads term and its node-map identity (see :meth:`add`).
        """
        if is_keyword(ctx.expand_key(key) or ""):
            raise Unsupported("scalar under a keyword")
        term = ctx.term(key)
        coerce = None if term is None else term.coerce
        if isinstance(value, str):
            if coerce == "@id":
                iri = f"<{self.vet(ctx.expand_id(value))}>"
                return iri, iri
            if coerce == "@vocab":
                iri = f"<{self.vet(ctx.expand_type(value))}>"
                return iri, iri
        elif not isinstance(value, int | float):  # bool is an int
            raise Unsupported(f"not a JSON scalar: {type(value).__name__}")
        datatype = coerce if coerce not in (None, "@id", "@vocab", "@none") else None
        return literal(value, datatype), (isinstance(value, bool), value, datatype)


def _shifted(term: str, offset: int) -> str:
    """A blank node label ``_:bN`` as ``_:b(N + offset)``; any other term unchanged."""
    if term[:3] == "_:b":
        return f"_:b{int(term[3:]) + offset}"
    return term


def literal(value: str | int | float, datatype: str | None) -> str:
    """An RDF literal in N-Quads syntax, with pyld 3.3's lexical forms.

    pyld (``JsonLdProcessor._object_to_rdf``) treats a float with an integral value like an
    integer (``3.0`` → ``"3"^^xsd:integer``), uses the canonical ``xsd:double`` form otherwise
    and for integers of magnitude ≥ 10^21, and omits ``^^xsd:string``.

    Raises:
        Unsupported: non-finite numbers and integers too large for a double.
    """
    try:
        lexical, datatype = _lexical(value, datatype)
    except (OverflowError, ValueError) as exc:  # pyld raises on these: let it say so
        raise Unsupported("number outside the double range") from exc
    quoted = '"' + escape(lexical) + '"'
    return quoted if datatype == XSD_STRING else f"{quoted}^^<{datatype}>"


def _lexical(value: str | int | float, datatype: str | None) -> tuple[str, str]:
    """(lexical form, datatype IRI) for a JSON scalar, following pyld branch by branch."""
    if isinstance(value, bool):
        return ("true" if value else "false"), datatype or XSD_BOOLEAN
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("non-finite")
    if isinstance(value, float) and not value.is_integer():
        return canonical_double(value), datatype or XSD_DOUBLE
    if datatype == XSD_DOUBLE:
        try:
            number = float(value)
        except ValueError:
            return str(value), XSD_DOUBLE
        return canonical_double(number), XSD_DOUBLE
    if isinstance(value, str):
        return value, datatype or XSD_STRING
    if abs(value) >= 1e21:
        return canonical_double(float(value)), datatype or XSD_DOUBLE
    return str(int(value)), datatype or XSD_INTEGER


def canonical_double(value: float) -> str:
    """The canonical ``xsd:double`` lexical form JSON-LD uses (``1.5E0``, ``1.0E21``).

    https://www.w3.org/TR/json-ld11-api/#data-round-tripping: ``%1.15E`` with the mantissa's
    trailing zeros (but one) and the exponent's sign ``+`` and leading zeros removed.

    Raises:
        ValueError: for infinities and NaN, which have no such form.
    """
    if not math.isfinite(value):
        raise ValueError("non-finite double")
    mantissa, _, exponent = f"{value:1.15E}".partition("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


def escape(text: str) -> str:
    """Escape a literal's lexical form for canonical N-Quads, exactly as the reference path does.

    RDFC-1.0 §3.1 (https://www.w3.org/TR/rdf-canon/#canonical-quads): ``\\b \\t \\n \\f \\r
    \\" \\\\`` as short escapes, other U+0000–U+001F and U+007F as upper-case ``\\uXXXX``; this
    is what rdf-canonize (jsonld.js) writes, and wider than pyld 3.3's own escaping.
    """
    return escape_literal(text)


def _node_types(ctx: ActiveContext, element: dict[str, Any]) -> tuple[bool, list[str]]:
    """Whether a node has a ``@type`` entry and its strings, found before its type-scoped
    contexts apply (expansion step 11)."""
    found: list[Any] = [value for key, value in element.items() if ctx.expand_key(key) == "@type"]
    if not found:
        return False, []
    if len(found) > 1:
        raise Unsupported("two @type entries")
    value = found[0]
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in values):
        raise Unsupported("@type is not a string or an array of strings")
    return True, values
