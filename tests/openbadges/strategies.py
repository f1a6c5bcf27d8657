"""Hypothesis strategies for random, valid Open Badges 3.0 credentials (and their proof configs).

They exercise what the fast canonicaliser must get right: every OB 3.0 class a credential
embeds, optional fields present or absent, arrays of one or more, Unicode (Chinese, emoji,
control characters, quotes, backslashes), numbers that stress the ``xsd:double`` /
``xsd:integer`` rules, booleans, dates, IRIs of several schemes, the ``@list`` of
``allowedValue``, embedded endorsements with their own ``@context`` and ``proof`` graph, and the
two OB context versions that go with VC 2.0.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

V2 = "https://www.w3.org/ns/credentials/v2"
# 3.0.1 is left out: it redefines protected VC 2.0 terms, so JSON-LD rejects it after v2.
OB = {
    "3.0.3": "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "3.0.2": "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
}
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)

TRICKY_TEXT = [
    "",
    " ",
    'a "quoted" word',
    "back\\slash \\n not a newline",
    "line\nbreak\r\nand\ttab",
    "".join(chr(c) for c in range(32)),
    "\x7f\x85\u2028\u2029",
    "团队合作徽章：表彰在小组环境中协作的能力。",
    "emoji 🎓🏅👩🏽‍🎓",
    "Ünïcödé façade – naïve café",
    "עברית and العربية",
    "<b>not html</b> & ampersand",
    "_:b0 looks like a blank node",
    "http://example.com/looks-like-an-iri",
    "@context",
]

TRICKY_NUMBERS: list[int | float] = [
    0,
    -0.0,
    3.0,
    3.5,
    1e21,
    1e20,
    -1e21,
    0.1 + 0.2,
    1.5e-7,
    123456789012345678,
    2**53 + 1,
    1e-300,
    5e-324,
    1.7976931348623157e308,
    -3,
    100,
    0.5,
]

_SAFE_CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"])
text = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(_SAFE_CHARS, max_size=24))
numbers = st.one_of(
    st.sampled_from(TRICKY_NUMBERS),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=False, allow_infinity=False),
)
_slug = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=12)
iri = st.one_of(
    st.builds("https://example.com/{}/{}".format, _slug, _slug),
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    _slug.map(lambda s: f"did:example:{s}"),
    _slug.map(lambda s: f"did:web:example.com:issuers:{s}"),
    st.sampled_from(
        [
            "https://例え.jp/成績/1",
            "https://example.com/badges?id=1&lang=zh#frag",
            "https://example.com/a%20b",
            "mailto:learner@example.com",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        ]
    ),
)
datetime_text = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
)
date_text = st.dates().map(lambda d: d.isoformat())


def _maybe(
    draw: st.DrawFn, obj: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]
) -> None:
    """Set ``obj[key]`` to a drawn value about half of the time (optional fields)."""
    if draw(st.booleans()):
        obj[key] = draw(strategy)


def _some(strategy: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[list[Any]]:
    """A JSON array of 1..max_size values (OB: empty arrays MUST be omitted)."""
    return st.lists(strategy, min_size=1, max_size=max_size)


@st.composite
def image(draw: st.DrawFn) -> dict[str, Any]:
    """An ``Image``."""
    obj: dict[str, Any] = {"id": draw(iri), "type": "Image"}
    _maybe(draw, obj, "caption", text)
    return obj


@st.composite
def profile(draw: st.DrawFn, *, depth: int = 0) -> dict[str, Any]:
    """A ``Profile`` (issuer, creator, endorser), sometimes with a parent organisation."""
    obj: dict[str, Any] = {"id": draw(iri), "type": draw(st.sampled_from(["Profile", ["Profile"]]))}
    _maybe(draw, obj, "name", text)
    _maybe(draw, obj, "url", iri)
    _maybe(draw, obj, "email", st.just("issuer@example.com"))
    _maybe(draw, obj, "description", text)
    _maybe(draw, obj, "image", image())
    _maybe(draw, obj, "phone", st.just("+1 555 0100"))
    _maybe(draw, obj, "dateOfBirth", date_text)
    _maybe(draw, obj, "official", text)
    _maybe(draw, obj, "otherIdentifier", _some(identifier_entry()))
    _maybe(draw, obj, "address", address())
    if depth == 0:
        _maybe(draw, obj, "parentOrg", profile(depth=1))
    return obj


@st.composite
def address(draw: st.DrawFn) -> dict[str, Any]:
    """An ``Address`` with an optional geo point (floats)."""
    obj: dict[str, Any] = {"type": ["Address"]}
    _maybe(draw, obj, "addressCountry", text)
    _maybe(draw, obj, "addressLocality", text)
    _maybe(draw, obj, "streetAddress", text)
    _maybe(draw, obj, "postalCode", text)
    _maybe(
        draw,
        obj,
        "geo",
        st.fixed_dictionaries(
            {"type": st.just("GeoCoordinates"), "latitude": numbers, "longitude": numbers}
        ),
    )
    return obj


@st.composite
def identifier_entry(draw: st.DrawFn) -> dict[str, Any]:
    """An ``IdentifierEntry``."""
    return {
        "type": "IdentifierEntry",
        "identifier": draw(text),
        "identifierType": draw(st.sampled_from(["sourcedId", "systemId", "ext:Other"])),
    }


@st.composite
def alignment(draw: st.DrawFn) -> dict[str, Any]:
    """An ``Alignment``."""
    obj: dict[str, Any] = {"type": ["Alignment"], "targetName": draw(text), "targetUrl": draw(iri)}
    _maybe(draw, obj, "targetCode", text)
    _maybe(draw, obj, "targetDescription", text)
    _maybe(draw, obj, "targetFramework", text)
    _maybe(draw, obj, "targetType", st.sampled_from(["ceasn:Competency", "CFItem", "ext:Skill"]))
    return obj


@st.composite
def rubric_level(draw: st.DrawFn) -> dict[str, Any]:
    """A ``RubricCriterionLevel``."""
    obj: dict[str, Any] = {"id": draw(iri), "type": ["RubricCriterionLevel"], "name": draw(text)}
    _maybe(draw, obj, "description", text)
    _maybe(draw, obj, "level", text)
    _maybe(draw, obj, "points", text)
    _maybe(draw, obj, "alignment", _some(alignment(), 2))
    return obj


@st.composite
def result_description(draw: st.DrawFn) -> dict[str, Any]:
    """A ``ResultDescription`` (``allowedValue`` is an ``@list`` in OB 3.0.2+)."""
    obj: dict[str, Any] = {
        "id": draw(iri),
        "type": ["ResultDescription"],
        "name": draw(text),
        "resultType": draw(
            st.sampled_from(["LetterGrade", "Percent", "RubricCriterion", "ext:Stars"])
        ),
    }
    _maybe(draw, obj, "allowedValue", st.lists(text, max_size=4))
    _maybe(draw, obj, "requiredLevel", iri)
    _maybe(draw, obj, "requiredValue", text)
    _maybe(draw, obj, "valueMax", text)
    _maybe(draw, obj, "valueMin", text)
    _maybe(draw, obj, "rubricCriterionLevel", _some(rubric_level()))
    _maybe(draw, obj, "alignment", _some(alignment(), 2))
    return obj


@st.composite
def achievement(draw: st.DrawFn) -> dict[str, Any]:
    """An ``Achievement`` with criteria, image, alignments, result descriptions, ..."""
    criteria: dict[str, Any] = {}
    _maybe(draw, criteria, "id", iri)
    criteria["narrative"] = draw(text)
    obj: dict[str, Any] = {
        "id": draw(iri),
        "type": draw(st.sampled_from(["Achievement", ["Achievement"]])),
        "name": draw(text),
        "description": draw(text),
        "criteria": criteria,
    }
    _maybe(
        draw, obj, "achievementType", st.sampled_from(["Badge", "Certificate", "ext:Nanodegree"])
    )
    _maybe(draw, obj, "image", image())
    _maybe(draw, obj, "alignment", _some(alignment()))
    _maybe(draw, obj, "creator", profile(depth=1))
    _maybe(draw, obj, "creditsAvailable", numbers)
    _maybe(draw, obj, "fieldOfStudy", text)
    _maybe(draw, obj, "humanCode", text)
    _maybe(draw, obj, "inLanguage", st.sampled_from(["en", "zh-Hans", "pt-BR"]))
    _maybe(draw, obj, "resultDescription", _some(result_description()))
    _maybe(draw, obj, "specialization", text)
    _maybe(draw, obj, "tag", _some(text, 4))
    _maybe(draw, obj, "version", text)
    _maybe(draw, obj, "otherIdentifier", _some(identifier_entry(), 2))
    _maybe(
        draw,
        obj,
        "related",
        _some(
            st.builds(
                lambda i, lang: {"id": i, "type": ["Related"], "inLanguage": lang},
                iri,
                st.just("fr"),
            )
        ),
    )
    return obj


@st.composite
def identity_object(draw: st.DrawFn) -> dict[str, Any]:
    """A hashed-email ``IdentityObject``."""
    digest = draw(st.binary(min_size=32, max_size=32)).hex()
    obj: dict[str, Any] = {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": draw(st.sampled_from(["emailAddress", "sourcedId"])),
        "hashed": draw(st.booleans()),
    }
    _maybe(draw, obj, "salt", text)
    return obj


@st.composite
def result(draw: st.DrawFn) -> dict[str, Any]:
    """A ``Result``."""
    obj: dict[str, Any] = {"type": ["Result"]}
    _maybe(draw, obj, "resultDescription", iri)
    _maybe(draw, obj, "achievedLevel", iri)
    _maybe(draw, obj, "value", text)
    _maybe(draw, obj, "status", st.sampled_from(["Completed", "InProgress"]))
    _maybe(draw, obj, "alignment", _some(alignment(), 2))
    return obj


@st.composite
def evidence(draw: st.DrawFn) -> dict[str, Any]:
    """An ``Evidence``."""
    obj: dict[str, Any] = {"type": ["Evidence"]}
    for key in ("narrative", "name", "description", "genre", "audience"):
        _maybe(draw, obj, key, text)
    _maybe(draw, obj, "id", iri)
    return obj


@st.composite
def subject(draw: st.DrawFn) -> dict[str, Any]:
    """An ``AchievementSubject`` identified by ``id``, by identifiers, or both."""
    obj: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": draw(achievement())}
    how = draw(st.sampled_from(["id", "identifier", "both"]))
    if how != "identifier":
        obj["id"] = draw(iri)
    if how != "id":
        obj["identifier"] = draw(_some(identity_object(), 2))
    _maybe(draw, obj, "result", _some(result()))
    _maybe(draw, obj, "creditsEarned", numbers)
    _maybe(draw, obj, "activityStartDate", datetime_text)
    _maybe(draw, obj, "activityEndDate", datetime_text)
    _maybe(draw, obj, "narrative", text)
    _maybe(draw, obj, "role", text)
    _maybe(draw, obj, "term", text)
    _maybe(draw, obj, "licenseNumber", text)
    _maybe(draw, obj, "image", image())
    _maybe(draw, obj, "source", profile(depth=1))
    return obj


@st.composite
def status_entry(draw: st.DrawFn) -> dict[str, Any]:
    """A ``BitstringStatusListEntry``."""
    index = draw(st.integers(min_value=0, max_value=131071))
    base = draw(iri)
    return {
        "id": f"{base}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": draw(st.sampled_from(["revocation", "suspension"])),
        "statusListIndex": str(index),
        "statusListCredential": base,
    }


@st.composite
def proof(draw: st.DrawFn, *, with_value: bool = True) -> dict[str, Any]:
    """A ``DataIntegrityProof`` (eddsa-rdfc-2022)."""
    obj: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": draw(datetime_text),
        "verificationMethod": draw(iri) + "#key-1",
        "proofPurpose": "assertionMethod",
    }
    if with_value:
        obj["proofValue"] = "z" + draw(
            st.text(
                st.sampled_from("123456789ABCDEFGHJKLMNPQRSTUVWXYZabc"), min_size=40, max_size=88
            )
        )
    return obj


@st.composite
def endorsement(draw: st.DrawFn, context: list[str]) -> dict[str, Any]:
    """An embedded ``EndorsementCredential`` with its own ``@context`` and maybe a proof.

    The embedded context must be the outer one: a different OB version would redefine
    protected terms, which JSON-LD forbids.
    """
    obj: dict[str, Any] = {
        "@context": list(context),
        "id": draw(iri),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": draw(text),
        "issuer": draw(profile(depth=1)),
        "validFrom": draw(datetime_text),
        "credentialSubject": {
            "id": draw(iri),
            "type": ["EndorsementSubject"],
            "endorsementComment": draw(text),
        },
    }
    _maybe(draw, obj, "proof", proof())
    return obj


@st.composite
def credential(draw: st.DrawFn) -> dict[str, Any]:
    """A random, valid OB 3.0 ``OpenBadgeCredential`` without a proof (what gets signed)."""
    version = draw(st.sampled_from(["3.0.3", "3.0.3", "3.0.2"]))
    obj: dict[str, Any] = {
        "@context": [V2, OB[version]],
        "id": draw(iri),
        "type": [
            "VerifiableCredential",
            draw(st.sampled_from(["OpenBadgeCredential", "AchievementCredential"])),
        ],
        "issuer": draw(st.one_of(profile(), iri)),
        "validFrom": draw(datetime_text),
        "name": draw(text),
        "credentialSubject": draw(subject()),
    }
    _maybe(draw, obj, "description", text)
    _maybe(draw, obj, "validUntil", datetime_text)
    _maybe(draw, obj, "awardedDate", datetime_text)
    _maybe(draw, obj, "image", image())
    _maybe(draw, obj, "evidence", _some(evidence()))
    _maybe(draw, obj, "credentialStatus", status_entry())
    if draw(st.booleans()):
        obj["@context"].append(EXTENSIONS)
        obj["credentialSchema"] = [{"id": SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}]
    if draw(st.integers(0, 3)) == 0:
        obj["endorsement"] = draw(_some(endorsement(obj["@context"]), 2))
    return obj


@st.composite
def proof_config(draw: st.DrawFn) -> dict[str, Any]:
    """The proof configuration eddsa-rdfc-2022 canonicalises next to the document."""
    config = draw(proof(with_value=False))
    config["@context"] = [V2, OB[draw(st.sampled_from(sorted(OB)))]]
    return config
