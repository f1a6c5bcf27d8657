"""Check details in the page's language: the real verifier's sentences, translated to zh-CN.

The corpus is what the verifier really says, not sentences copied here: the 1EdTech conformance
fixtures (under both key policies, with and without their status lists), credentials signed
here and then broken one way at a time, VC-JWTs, and the service's own credentials — valid,
revoked, suspended, expired, tampered, as JSON, VC-JWT and baked images. Every detail must come
out in Chinese with nothing left in English except the values it carries (URLs, ids, JSON paths,
type and member names), and those values must come back exactly as the verifier wrote them.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from shared_corpus import OB30_CORPUS
from web_support import Site

from app.web.check_details import CHECK_TITLES_ZH, LocalisedDetail, localise_detail
from openbadges.did import VerificationMethod, did_document, did_web_to_url
from openbadges.errors import OpenBadgesError
from openbadges.keys import KeyType, SigningKey
from openbadges.model import AssociationType
from openbadges.proofs import jwt as vc_jwt
from openbadges.proofs.data_integrity import sign
from openbadges.resolver import InMemoryResolver
from openbadges.verification.report import CHECK_TITLES
from openbadges.verify import VerificationReport, verify

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ZH = "zh-CN"

# --- What "nothing left in English" means -----------------------------------------------------

_VALUE = re.compile(
    r"\S*(?:://|[:$#@/\\\[\]=_{}<>])\S*"  # URLs, DIDs, JSON paths, b'..', key ids
    r"|'[^']*'|\"[^\"]*\"|“[^”]*”"  # quoted values and credential names
    r"|\([^()]*Error\)"  # an exception class name
)
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9.+-]*")
_TECHNICAL = frozenset(
    """id type name issuer achievement identifier proof jwk kid alg typ crit header payload
    signature keys vc nbf exp iss jti sub https http status statusPurpose encodedList
    revokedCredential revokedCredentials context kty Location""".split()
)
"""Lower-case member and protocol names a translation keeps as they are (JSON-LD terms)."""
_TYPE_NAMES = frozenset(
    """Profile Achievement Result Evidence Image Address Alignment Association Related
    Multikey Assertion None True False jsonld.js pyld zlib""".split()
) | {t.value for t in AssociationType}
"""Type names (``$.issuer must have type Profile``), enumeration values, Python's ``None`` and
the names of JSON-LD processors."""


def english_left(text: str) -> list[str]:
    """The words of ``text`` that read as English prose once the values are taken out."""
    words = []
    for token in _TOKEN.findall(_VALUE.sub(" ", text)):
        token = token.rstrip(".")
        technical = (
            len(token) < 3
            or any(c.isdigit() for c in token)
            or any(c.isupper() for c in token[1:])  # camelCase, JWT, RS256, UTC
            or token in _TECHNICAL
            or token in _TYPE_NAMES
        )
        if not technical:
            words.append(token)
    return words


_EMBEDDED = re.compile(r"(?:https?://|did:|urn:|\$\.)[^\s,;()“”'（）]+")


def embedded_values(detail: str) -> list[str]:
    """URLs, DIDs, URNs and JSON paths in an English detail (without a sentence's final stop)."""
    return [v.rstrip(".:") for v in _EMBEDDED.findall(detail)]


def assert_localised(detail: str) -> LocalisedDetail:
    """zh-CN: all Chinese, values back exactly; en: unchanged."""
    result = localise_detail(detail, ZH)
    left = [s.text for s in result.segments if s.lang != ZH]
    assert not left, f"untranslated in {detail!r}: {left}"
    assert result.lang == ZH
    assert result.complete
    assert result.text == "".join(s.text for s in result.segments)
    assert not english_left(result.text), (detail, result.text, english_left(result.text))
    for value in embedded_values(detail):
        assert value in result.text, (value, detail, result.text)
    english = localise_detail(detail, "en")
    assert english.text == detail
    assert english.lang == "en"
    assert english.complete
    return result


def all_details(report: VerificationReport) -> Iterator[str]:
    """Every detail of a report, the included credentials' reports too."""
    for check in report.checks:
        yield check.detail
    for child in report.children:
        yield from all_details(child.report)


# --- (a) the 1EdTech conformance fixtures ---------------------------------------------------

_MANIFEST: list[dict[str, Any]] = (
    json.loads((OB30_CORPUS / "MANIFEST.json").read_text("utf-8"))
    if (OB30_CORPUS / "MANIFEST.json").is_file()
    else []
)
_OFFLINE_ONLY = {"velocity.jwt"}  # a did:velocity key: the answer is "cannot resolve" either way


def _status_documents() -> dict[str, dict[str, Any] | str]:
    """The remote status lists some fixtures point to (as tests/openbadges/test_conformance)."""
    documents: dict[str, dict[str, Any] | str] = {}
    testlist = OB30_CORPUS / "bit-string-list" / "testlist"
    for name in ("credential-status-revoked.json", "credential-status-revoked-blank-nodes.json"):
        entry = json.loads((OB30_CORPUS / "bit-string-list" / name).read_text("utf-8"))
        documents[entry["credentialStatus"]["statusListCredential"]] = testlist.read_text("utf-8")
    revoked = json.loads((OB30_CORPUS / "credential-status-revoked.json").read_text("utf-8"))
    documents[revoked["credentialStatus"]["id"]] = {
        "id": revoked["credentialStatus"]["id"],
        "issuer": revoked["issuer"]["id"],
        "revokedCredential": [{"id": revoked["id"], "revoked": True}],
    }
    return documents


@pytest.mark.skipif(not _MANIFEST, reason=f"conformance corpus not found at {OB30_CORPUS}")
@pytest.mark.parametrize("entry", _MANIFEST, ids=[e["file"] for e in _MANIFEST])
def test_conformance_fixture_details_are_all_translated(entry: dict[str, Any]) -> None:
    data = (OB30_CORPUS / entry["file"]).read_bytes()
    runs: list[dict[str, Any]] = [{"fragment_key_policy": "bound"}]  # offline
    if entry["file"] not in _OFFLINE_ONLY:
        resolver = InMemoryResolver(_status_documents())
        runs += [
            {"fragment_key_policy": "validator", "resolver": resolver},
            {"fragment_key_policy": "bound", "resolver": resolver},
        ]
    details = {d for run in runs for d in all_details(verify(data, now=NOW, **run))}
    assert details
    for detail in sorted(details):
        assert_localised(detail)


# --- (a) credentials signed here, broken one way at a time -----------------------------------

ISSUER = "did:web:badges.example.edu:issuers:42"
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


class _Keys:
    """One issuer's did:web with an Ed25519 and an RSA key, and the documents it serves."""

    def __init__(self) -> None:
        self.ed = SigningKey.generate(KeyType.ED25519)
        self.rsa = SigningKey.generate(KeyType.RSA)
        methods = [
            VerificationMethod("#key-1", ISSUER, self.ed.public_key),
            VerificationMethod("#key-2", ISSUER, self.rsa.public_key),
        ]
        self.documents: dict[str, dict[str, Any] | str] = {
            did_web_to_url(ISSUER): did_document(ISSUER, methods)
        }

    def sign(self, document: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("verification_method", f"{ISSUER}#key-1")
        return sign(document, self.ed, created="2026-01-01T00:00:00Z", **kwargs)


def _credential(**overrides: Any) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": "urn:uuid:1b6c7a4e-3f0f-4b8e-9a52-1f1e7d0c9a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": ISSUER, "type": ["Profile"], "name": "Example University"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Data Literacy",
        "credentialSubject": {
            "id": "did:example:learner-7",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.example.edu/achievements/data-literacy",
                "type": ["Achievement"],
                "name": "Data Literacy",
                "description": "Reads, cleans and charts a data set.",
                "criteria": {"narrative": "Pass the final project."},
            },
        },
    }
    credential.update(copy.deepcopy(overrides))
    return credential


def _without(member: str) -> dict[str, Any]:
    credential = _credential()
    del credential[member]
    return credential


def _status(entry: dict[str, Any]) -> dict[str, Any]:
    return _credential(credentialStatus=entry)


_BITSTRING = {
    "id": "https://badges.example.edu/status/1#5",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "5",
    "statusListCredential": "https://badges.example.edu/status/1",
}

_SIGNED_AS_IS: dict[str, Callable[[], dict[str, Any]]] = {
    "valid": _credential,
    "no_valid_from": lambda: _without("validFrom"),
    "no_id": lambda: _without("id"),
    "bare_issuer": lambda: _credential(issuer=ISSUER),
    "no_issuer_id": lambda: _credential(issuer={"type": ["Profile"], "name": "X"}),
    "wrong_type": lambda: _credential(type=["VerifiableCredential", "OtherCredential"]),
    "old_ob_context": lambda: _credential(
        **{
            "@context": [
                CONTEXTS[0],
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
            ]
        }
    ),
    "no_ob_context": lambda: _credential(**{"@context": [CONTEXTS[0]]}),
    "subject_untyped": lambda: _credential(
        credentialSubject={"id": "did:example:learner-7", "achievement": {"id": "urn:x"}}
    ),
    "typed_member_wrong": lambda: _credential(
        evidence=[{"id": "https://e.example/1", "type": ["InvalidEvidence"]}]
    ),
    "identifier_untyped": lambda: _credential(
        credentialSubject={
            "type": ["AchievementSubject"],
            "identifier": [{"identityHash": "x", "identityType": "emailAddress"}],
            "achievement": _credential()["credentialSubject"]["achievement"],
        }
    ),
    "expired": lambda: _credential(validUntil="2026-03-01T00:00:00Z"),
    "not_yet_valid": lambda: _credential(validFrom="2099-01-01T00:00:00Z"),
    "bounded": lambda: _credential(validUntil="2030-01-01T00:00:00Z"),
    "bad_date": lambda: _credential(validUntil="next tuesday"),
    "custom_schema": lambda: _credential(
        credentialSchema=[
            {"id": "https://example.edu/schema.json", "type": "1EdTechJsonSchemaValidator2019"}
        ]
    ),
    "malformed_schema": lambda: _credential(credentialSchema=[{"id": 5}]),
    "official_schema": lambda: _credential(
        credentialSchema={
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ),
    "status_reference": lambda: _credential(credentialStatus="https://badges.example.edu/s/1"),
    "status_unknown_kind": lambda: _status({"type": "StatusMechanism2030"}),
    "status_no_address": lambda: _status({**_BITSTRING, "statusListCredential": None}),
    "status_unreachable": lambda: _status(_BITSTRING),
    "status_suspension_unreachable": lambda: _status({**_BITSTRING, "statusPurpose": "suspension"}),
    "status_bad_index": lambda: _status({**_BITSTRING, "statusListIndex": "-1"}),
    "vcrl_unreachable": lambda: _status(
        {"id": "https://badges.example.edu/revocations", "type": "1EdTechRevocationList"}
    ),
    "undefined_term": lambda: _credential(nickname="Ada"),
    "clr": lambda: _credential(
        **{
            "@context": [*CONTEXTS, "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"],
            "type": ["VerifiableCredential", "ClrCredential"],
            "credentialSubject": {
                "id": "did:example:learner-7",
                "type": ["ClrSubject"],
                "verifiableCredential": [_credential(), "not a credential"],
                "association": [{"associationType": "friendOf", "sourceId": "urn:x:1"}],
            },
        }
    ),
    "clr_empty": lambda: _credential(
        type=["VerifiableCredential", "ClrCredential"],
        credentialSubject={"type": ["ClrSubject"]},
    ),
    "endorsed_unsigned": lambda: _credential(endorsement=[{"id": "urn:x"}]),
}

_BROKEN_AFTER_SIGNING: dict[str, Callable[[dict[str, Any]], None]] = {
    "tampered": lambda c: c.update(name="Forged"),
    "no_proof": lambda c: c.pop("proof"),
    "proof_not_object": lambda c: c.update(proof="nothing"),
    "proof_lacks_members": lambda c: c["proof"].pop("proofValue"),
    "proof_purpose": lambda c: c["proof"].update(proofPurpose="authentication"),
    "proof_suite": lambda c: c["proof"].update(cryptosuite="bbs-2023"),
    "vm_not_uri": lambda c: c["proof"].update(verificationMethod="z6MkNotAUri"),
    "vm_did_example": lambda c: c["proof"].update(verificationMethod="did:example:1#k"),
    "vm_scheme": lambda c: c["proof"].update(verificationMethod="xxx:abc"),
    "vm_missing": lambda c: c["proof"].update(verificationMethod=f"{ISSUER}#key-9"),
    "vm_elsewhere": lambda c: c["proof"].update(
        verificationMethod="did:web:elsewhere.example#key-1"
    ),
    "two_proofs": lambda c: c.update(proof=[c["proof"], c["proof"]]),
}


@pytest.mark.parametrize("case", sorted(_SIGNED_AS_IS) + sorted(_BROKEN_AFTER_SIGNING))
def test_details_of_broken_credentials_are_all_translated(case: str) -> None:
    keys = _Keys()
    if case in _SIGNED_AS_IS:
        credential = _SIGNED_AS_IS[case]()
        try:
            credential = keys.sign(credential)
        except OpenBadgesError:  # the signer refuses it: borrow a proof (which then fails)
            credential["proof"] = keys.sign(_credential())["proof"]
    else:
        credential = keys.sign(_credential())
        _BROKEN_AFTER_SIGNING[case](credential)
    details: set[str] = set()
    for resolver in (None, InMemoryResolver(keys.documents)):
        for recipient in (None, "did:example:learner-7", "someone@example.org"):
            report = verify(credential, resolver=resolver, now=NOW, recipient=recipient)
            details.update(all_details(report))
    for detail in sorted(details):
        assert_localised(detail)


@pytest.mark.parametrize("how", ["kid", "kid_rsa", "jwk", "tampered", "unsigned", "garbage"])
def test_details_of_jwt_credentials_are_all_translated(how: str) -> None:
    keys = _Keys()
    credential = _credential()
    if how == "kid":
        token = vc_jwt.encode(credential, keys.ed, kid=f"{ISSUER}#key-1")
    elif how == "kid_rsa":
        token = vc_jwt.encode(keys.sign(credential), keys.rsa, kid=f"{ISSUER}#key-2")
    elif how == "jwk":
        token = vc_jwt.encode(
            keys.sign(credential), SigningKey.generate(KeyType.ED25519), embed_jwk=True
        )
    elif how == "tampered":
        head, _, signature = vc_jwt.encode(credential, keys.ed, kid=f"{ISSUER}#key-1").split(".")
        forged = {"vc": _credential(name="Forged"), "iss": ISSUER}
        body = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
        token = f"{head}.{body}.{signature}"
    elif how == "unsigned":
        header = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
        token = f"{header}.e30."
    else:
        token = "not a credential at all"
    details: set[str] = set()
    for resolver in (None, InMemoryResolver(keys.documents)):
        for policy in ("bound", "validator"):
            report = verify(token, resolver=resolver, now=NOW, fragment_key_policy=policy)
            details.update(all_details(report))
    for detail in sorted(details):
        assert_localised(detail)


_ODD_INPUTS: dict[str, bytes | str | dict[str, Any]] = {
    "not_utf8_json": b"{\x80}",
    "broken_json": b'{"a": }',
    "json_array": b"[1, 2]",
    "broken_svg": b"<svg",
    "svg_without_credential": b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    "truncated_png": b"\x89PNG\r\n\x1a\n\x00\x00",
    "not_a_jws": b"a.b.c",
    "prose": b"hello there",
    "ob2_assertion": {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"},
    "too_deep": {"a": json.loads("[" * 70 + "]" * 70)},
    "tiny_number": _credential(credentialSubject={"id": "did:example:1", "x": 1e-300}),
    "empty_object": {},
}


@pytest.mark.parametrize("case", sorted(_ODD_INPUTS))
def test_details_of_odd_inputs_are_all_translated(case: str) -> None:
    data = copy.deepcopy(_ODD_INPUTS[case])
    if case == "tiny_number":
        data["proof"] = _Keys().sign(_credential())["proof"]  # type: ignore[index]
    details = set(all_details(verify(data, now=NOW)))
    assert details
    for detail in sorted(details):
        assert_localised(detail)


# --- (a) the service's own credentials, as the pages and POST /verify see them ---------------


def _api_details(site: Site, body: bytes | str, content_type: str) -> set[str]:
    response = site.client.post(
        "/api/v1/verify", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    details = {check["detail"] for check in report["checks"]}
    for child in report.get("children", []):
        details.update(check["detail"] for check in child["report"]["checks"])
    return details


def test_details_of_our_own_credentials_are_all_translated(site: Site) -> None:
    ids = site.ids
    details: set[str] = set()
    for credential_id in (ids.valid, ids.revoked, ids.suspended, ids.expired, ids.chinese):
        document = site.client.get(f"/credentials/{credential_id}.json").json()
        details |= _api_details(site, json.dumps(document), "application/json")
        token = site.client.get(f"/credentials/{credential_id}.jwt").text
        details |= _api_details(site, token, "application/jwt")
        tampered = {**document, "name": "Forged"}
        details |= _api_details(site, json.dumps(tampered), "application/json")
        details.update(all_details(verify(document, now=NOW)))  # offline: nothing fetched
    for image in ("badge.png", "badge.svg"):
        baked = site.client.get(f"/credentials/{ids.valid}/{image}")
        assert baked.status_code == 200
        details |= _api_details(site, baked.content, "application/octet-stream")
    assert len(details) >= 10
    for detail in sorted(details):
        assert_localised(detail)
    revoked = {localise_detail(d, ZH).text for d in details if "revoked this" in d}
    suspended = {localise_detail(d, ZH).text for d in details if "suspended this" in d}
    assert any("颁发机构已撤销此证书" in t for t in revoked)
    assert any("颁发机构已暂停此证书" in t for t in suspended)


# --- (b) values come back exactly; what is not known stays English ----------------------------


def test_values_are_reinserted_exactly() -> None:
    detail = (
        "The issuer has suspended this credential (status list "
        "https://badges.example.edu/status/1?x=1&y=2, entry 94567). The key "
        "did:web:badges.example.edu:issuers:42#key-1 is published by the issuer "
        "did:web:badges.example.edu:issuers:42 in its own document."
    )
    result = assert_localised(detail)
    assert result.text == (
        "颁发机构已暂停此证书（状态列表 https://badges.example.edu/status/1?x=1&y=2，条目 94567）。"
        "密钥 did:web:badges.example.edu:issuers:42#key-1 由颁发机构 "
        "did:web:badges.example.edu:issuers:42 在其自己的文档中公布。"
    )


def test_nested_details_and_messages_are_translated_in_turn() -> None:
    detail = (
        "The status list at https://l.example/1 could not be trusted: Signature: The proof "
        "(eddsa-rdfc-2022) could not be checked: https://l.example/did.json answered HTTP 503."
    )
    assert assert_localised(detail).text == (
        "位于 https://l.example/1 的状态列表不可信：签名：证明（eddsa-rdfc-2022）无法检查："
        "https://l.example/did.json 返回了 HTTP 503。"
    )
    fetch = (
        "The revocation status could not be checked: Fetching https://s.example/x took too long."
    )
    assert assert_localised(fetch).text == "撤销状态无法检查：获取 https://s.example/x 耗时过长。"


_LABEL = "The proof (eddsa-rdfc-2022)"
_MESSAGES_BEYOND_THE_CORPUS = [
    # the service's fetcher (app/core/fetch.py) and resolver (app/verification/resolver.py)
    f"{_LABEL} could not be checked: The host name 'issuer.example' has no address.",
    f"{_LABEL} could not be checked: The host name 'issuer.example' could not be resolved.",
    f"{_LABEL} could not be checked: https://i.example/did.json answered HTTP 404.",
    f"{_LABEL} could not be checked: https://i.example/did.json did not return JSON.",
    f"{_LABEL} could not be checked: https://i.example/did.json redirected without a Location.",
    f"{_LABEL} could not be checked: https://i.example/did.json could not be reached (ConnectError).",
    f"{_LABEL} could not be checked: https://i.example/did.json did not answer in time.",
    f"{_LABEL} could not be checked: https://i.example/x was not fetched: foreign URLs are not "
    "enabled",
    "The revocation status could not be checked: /status/9 not found",
    # keys, DIDs and JWTs
    f"{_LABEL} has no usable key: did:web domain 'bad_host' is not a valid host name",
    f"{_LABEL} has no usable key: unsupported JWK kty 'oct' (expected RSA, EC or OKP)",
    "The JWT signature (ES256) is not valid: alg ES256 needs a P-256 key, got Ed25519",
    "The JWT signature (EdDSA) is not valid: JWT claim 'iss' is 'https://a.example' but the "
    "credential says 'https://b.example'",
    "The JWT cannot be read: unsupported JWS alg 'HS256'; expected one of ['EdDSA', 'ES256', "
    "'RS256']",
    f"{_LABEL} could not be checked: proofValue does not start with the derived-proof header "
    "d95d01",
    "The key at https://k.example/jwks.json could not be matched with the issuer's keys: "
    "https://i.example/profile could not be fetched (not found) "
    "https://i.example/.well-known/jwks.json could not be fetched (not found)",
    # schema notes
    "The bundled official schema(s) https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
    "ob_v3p0_achievementcredential_schema.json were applied and pass. https://purl.imsglobal.org"
    "/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json passes only when single "
    "values are read as one-item arrays (as JSON-LD reads them); plain JSON consumers may "
    "stumble on: $.type: 'VerifiableCredential' is not of type 'array'; $.credentialSubject: "
    "'identifier' is a required property (and 2 more)",
    # status lists
    "The status list at https://s.example/1 is for refresh, not revocation.",
    "The suspension status could not be checked: encodedList is not GZIP data: Error -3 while "
    "decompressing data: incorrect header check",
    "The revocation status could not be checked: the revocation list has neither a "
    "revokedCredential nor a revokedCredentials array, so it cannot say whether the credential "
    "is revoked",
]


@pytest.mark.parametrize("detail", _MESSAGES_BEYOND_THE_CORPUS)
def test_messages_the_corpus_does_not_reach_are_translated(detail: str) -> None:
    assert_localised(detail)


def test_an_unknown_sentence_stays_english_and_is_marked() -> None:
    detail = "The proof (eddsa-rdfc-2022) verifies. A sentence from a future verifier."
    result = localise_detail(detail, ZH)
    assert result.lang == ZH
    assert not result.complete
    assert [(s.text.strip(), s.lang) for s in result.segments] == [
        ("证明（eddsa-rdfc-2022）验证通过。", ZH),
        ("A sentence from a future verifier.", "en"),
    ]
    inside = localise_detail(f"{_LABEL} could not be checked: a resolver said no.", ZH)
    assert [(s.text, s.lang) for s in inside.segments] == [
        ("证明（eddsa-rdfc-2022）无法检查：", ZH),
        ("a resolver said no", "en"),
        ("。", ZH),
    ]
    nothing = localise_detail("Entirely unknown.", ZH)
    assert nothing.lang == "en"
    assert nothing.complete
    assert nothing.text == "Entirely unknown."


def test_english_and_other_locales_get_the_detail_unchanged() -> None:
    detail = "It is valid from 2026-01-01 00:00:00 UTC and does not expire."
    for locale in ("en", "fr"):
        result = localise_detail(detail, locale)
        assert result.text == detail
        assert result.lang == "en"
        assert result.complete
    assert localise_detail(detail, ZH).text == "此证书自 2026-01-01 00:00:00 UTC 起生效，不会过期。"


def test_the_english_test_itself_catches_prose() -> None:
    assert english_left("证明验证通过。") == []
    assert english_left("https://x.example/a 与 $.credentialSubject 和 RS256") == []
    assert english_left("证明 could not be checked") == ["could", "not", "checked"]


def test_check_titles_match_the_page_catalogue() -> None:
    catalogue = json.loads(
        (Path(__file__).parents[3] / "app/web/i18n/zh-CN.json").read_text("utf-8")
    )
    for check_id, title in CHECK_TITLES.items():
        assert CHECK_TITLES_ZH[title] == catalogue[f"check.{check_id}"]


# --- hostile details: the search is bounded ---------------------------------------------------


@pytest.mark.parametrize(
    "detail",
    [
        "The proof uses '" + "The JWT cannot be read: " * 160 + "', which this verifier does "
        "not support.",
        "The proof is not valid: " + "$ " * 1940,
        "The key at x could not be matched with the issuer's keys: " * 64,
        "a. " * 1330,
    ],
    ids=["cryptosuite-echo", "dollars", "key-sentences", "stops"],
)
def test_text_built_to_explode_the_search_stays_english_within_the_budget(
    detail: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A security review made these (an attacker's cryptosuite name is echoed in a detail):
    before the budget, up to 20 s each. Now the characters tried are bounded."""
    import app.web.check_details as details

    tried: list[int] = []
    piece = details._piece

    def counting(text: str, *, fragments: bool) -> Any:
        tried.append(len(text))
        return piece(text, fragments=fragments)

    monkeypatch.setattr(details, "_piece", counting)
    details._translate_text.cache_clear()
    found = localise_detail(detail, "zh-CN")
    assert sum(tried) <= details.MAX_STEPS + details.MAX_TRANSLATED
    assert found.lang == "en"
    assert found.text == detail
