"""The bundled OB 3.0 JSON Schemas (pinned bytes), the derived CLR 2.0 schema, the validator and
the verifier's ``schema`` check that applies them."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from shared_corpus import CONFORMANCE_SCHEMAS, OB30_CORPUS
from verifier_builders import make_credential

from openbadges import schemas
from openbadges.baking import unbake_png, unbake_svg
from openbadges.proofs.jwt import decode_unverified
from openbadges.verification.schema import check_schema
from openbadges.verify import verify

# sha256 of every bundled file; must agree with openbadges/schemas/README.md.
PINNED = {
    "ob30/achievementcredential.json": "5753fb3ecf7d024ed273dd364bd683f483eb47257e718e6618832cf89eb2083a",
    "ob30/endorsementcredential.json": "4627e1878848d0192c3f9e26f09ef88a96ad48a46f5fca11b80b679ece0de345",
    "ob30/getopenbadgecredentialsresponse.json": "37fd69152b5ad8df481fc3c25a8f56f6af9020d873f9937c2b617f5b4b42bf6a",
    "ob30/imsx_statusinfo.json": "5e0c865c697f6662c29abe9e623981f2d78823d16646c1479c959b3d84aaf569",
    "ob30/profile.json": "9b05049f720b8ad9bd7aed358ca59c643c34bf1cec0b29fd7baa8bf98efed164",
    "clr20/clrcredential-derived.json": "f22309e247a5b65e46328f392584147f78f2a5ec444931aba375faa8c61e3f72",
}

PACKAGE = resources.files("openbadges.schemas")
README = Path(str(PACKAGE.joinpath("README.md")))
OB = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_"
ACHIEVEMENT_SCHEMA = f"{OB}achievementcredential_schema.json"
V1 = "https://www.w3.org/2018/credentials/v1"


def _digest(name: str) -> str:
    return hashlib.sha256(PACKAGE.joinpath(name).read_bytes()).hexdigest()


def _readme_digest(name: str) -> str:
    row = next(line for line in README.read_text().splitlines() if f"`{name}`" in line)
    return row.rsplit("`", 2)[-2]


# --- pinned files -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PINNED))
def test_bundled_file_matches_pinned_sha256_and_readme(name: str) -> None:
    digest = _digest(name)
    assert digest == PINNED[name]
    assert _readme_digest(name) == digest


def test_every_schema_file_is_pinned_and_has_a_kind() -> None:
    files = {
        f"{folder.name}/{entry.name}"
        for folder in PACKAGE.iterdir()
        if folder.is_dir() and not folder.name.startswith("_")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }
    assert files == set(PINNED)
    assert set(schemas.KIND_FILES.values()) == set(PINNED)


@pytest.mark.skipif(not CONFORMANCE_SCHEMAS.is_dir(), reason="the shared schema copies are absent")
@pytest.mark.parametrize("name", [n for n in sorted(PINNED) if n.startswith("ob30/")])
def test_bundled_official_schemas_are_the_shared_copies(name: str) -> None:
    assert PACKAGE.joinpath(name).read_bytes() == (CONFORMANCE_SCHEMAS / name).read_bytes()


@pytest.mark.parametrize("kind", sorted(schemas.KIND_FILES))
def test_every_schema_is_draft_2019_09_and_itself_valid(kind: schemas.SchemaKind) -> None:
    schema = schemas.load_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2019-09/schema#"
    jsonschema.Draft201909Validator.check_schema(schema)


def test_both_official_spellings_of_each_url_map_to_the_schema_whose_id_it_is() -> None:
    for kind in ("achievement_credential", "endorsement_credential", "profile"):
        schema_id = schemas.load_schema(kind)["$id"]
        assert schemas.kind_for_url(schema_id) == kind
        assert schema_id.endswith("-jsonschema1.json")
        published = schema_id.replace("-jsonschema1.json", "_schema.json")
        assert schemas.kind_for_url(published) == kind
    assert schemas.kind_for_url("https://example.edu/schema.json") is None
    assert schemas.kind_for_url(ACHIEVEMENT_SCHEMA + "#") is None  # exact URLs only
    assert not any("clr" in url for url in schemas.OB30_URLS)  # the derived one is never official


# --- the validator ----------------------------------------------------------------------------


NOW = datetime(2026, 6, 1, tzinfo=UTC)
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def _credential(**overrides: Any) -> dict[str, Any]:
    doc = make_credential(**overrides)
    doc.setdefault(
        "proof",
        {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-01-01T00:00:00Z",
            "verificationMethod": "did:web:badges.example.edu:issuers:42#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk",
        },
    )
    return doc


def test_a_minimal_credential_passes() -> None:
    assert schemas.validate(_credential(), "achievement_credential") == []


def test_a_single_proof_object_passes_although_the_file_types_proof_as_an_array() -> None:
    doc = _credential()
    assert isinstance(doc["proof"], dict)
    pristine = jsonschema.Draft201909Validator(schemas.load_schema("achievement_credential"))
    assert [e.json_path for e in pristine.iter_errors(doc)] == ["$.proof"]  # the file as it is
    assert schemas.validate(doc, "achievement_credential") == []
    doc["proof"] = [doc["proof"], doc["proof"]]
    assert schemas.validate(doc, "achievement_credential") == []


def test_a_bad_proof_is_still_reported_at_its_own_path() -> None:
    doc = _credential()
    doc["proof"]["created"] = "yesterday"
    assert [e.path for e in schemas.validate(doc, "achievement_credential")] == ["$.proof.created"]


def test_credential_status_is_one_object_not_an_array() -> None:
    entry = {
        "id": "https://badges.example.edu/status/1#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": "https://badges.example.edu/status/1",
    }
    assert schemas.validate(_credential(credentialStatus=entry), "achievement_credential") == []
    errors = schemas.validate(_credential(credentialStatus=[entry]), "achievement_credential")
    assert [e.path for e in errors] == ["$.credentialStatus"]
    assert errors[0].message.endswith("is not of type 'object'")
    long = schemas.validate(_credential(credentialStatus=[entry] * 20), "achievement_credential")
    assert len(long[0].message) <= 200  # the quoted value is cut, the path names it


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-01-01T00:00:00Z", True),
        ("2026-01-01T00:00:00.123+08:00", True),
        ("2026-01-01T00:00:00", False),  # DateTimeZ: the zone is required
        ("2026-02-30T00:00:00Z", False),
        ("1 January 2026", False),
    ],
)
def test_date_times_are_checked_not_only_typed(value: str, ok: bool) -> None:
    errors = schemas.validate(_credential(validFrom=value), "achievement_credential")
    assert (errors == []) is ok
    if not ok:
        assert errors[0].path == "$.validFrom"


def test_errors_name_the_path_in_document_order() -> None:
    doc = _credential(type=["VerifiableCredential"])
    del doc["credentialSubject"]["achievement"]["criteria"]
    paths = [e.path for e in schemas.validate(doc, "achievement_credential")]
    assert paths == ["$.credentialSubject.achievement", "$.type"]


def test_single_values_can_be_read_as_one_item_arrays_like_json_ld() -> None:
    doc = _credential()
    doc["credentialSubject"]["type"] = "AchievementSubject"
    doc["credentialSubject"]["achievement"]["type"] = "Achievement"
    strict = schemas.validate(doc, "achievement_credential")
    assert {e.path for e in strict} == {
        "$.credentialSubject.type",
        "$.credentialSubject.achievement.type",
    }
    assert schemas.validate(doc, "achievement_credential", single_as_array=True) == []
    doc["credentialSubject"]["achievement"]["type"] = "Badge"  # wrong, not merely unwrapped
    lenient = schemas.validate(doc, "achievement_credential", single_as_array=True)
    assert [e.path for e in lenient] == ["$.credentialSubject.achievement.type"]


def test_validate_does_not_modify_the_document() -> None:
    doc = _credential()
    doc["credentialSubject"]["type"] = "AchievementSubject"
    before = copy.deepcopy(doc)
    schemas.validate(doc, "achievement_credential", single_as_array=True)
    assert doc == before


def test_endorsement_schema_requires_a_name() -> None:
    endorsement = _credential(
        type=["VerifiableCredential", "EndorsementCredential"],
        credentialSubject={
            "id": "https://badges.example.edu/achievements/data-literacy",
            "type": ["EndorsementSubject"],
            "endorsementComment": "Well designed.",
        },
    )
    assert schemas.validate(endorsement, "endorsement_credential") == []
    del endorsement["name"]
    assert [e.message for e in schemas.validate(endorsement, "endorsement_credential")] == [
        "'name' is a required property"
    ]


# --- the derived CLR 2.0 schema ---------------------------------------------------------------


def _clr(**overrides: Any) -> dict[str, Any]:
    module = _credential()
    document: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:5b8d9c1e-1f0a-4c7e-8a3b-2d4e6f8a0b1c",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": "did:web:badges.example.edu:issuers:42", "type": ["Profile"]},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Transcript",
        "credentialSubject": {
            "type": ["ClrSubject"],
            "verifiableCredential": [module],
            "achievement": [module["credentialSubject"]["achievement"]],
            "association": [
                {
                    "type": "Association",
                    "associationType": "isChildOf",
                    "sourceId": "https://badges.example.edu/achievements/data-literacy",
                    "targetId": "https://badges.example.edu/achievements/program",
                }
            ],
        },
        "proof": module["proof"],
    }
    document.update(overrides)
    return document


def test_a_clr_follows_the_clr_2_0_multiplicities() -> None:
    assert schemas.validate(_clr(), "clr_credential") == []
    no_name = _clr()
    del no_name["name"]  # ClrCredential.name [1]
    assert [e.message for e in schemas.validate(no_name, "clr_credential")] == [
        "'name' is a required property"
    ]
    empty = _clr()
    empty["credentialSubject"]["verifiableCredential"] = []  # [1..*]
    assert [e.path for e in schemas.validate(empty, "clr_credential")] == [
        "$.credentialSubject.verifiableCredential"
    ]
    bad = _clr()
    bad["credentialSubject"]["association"][0]["associationType"] = "isFriendOf"
    assert [e.path for e in schemas.validate(bad, "clr_credential")] == [
        "$.credentialSubject.association[0].associationType"
    ]


def test_a_clr_checks_its_included_credentials_with_the_ob_schema() -> None:
    clr = _clr()
    clr["credentialSubject"]["verifiableCredential"][0]["credentialStatus"] = [{}]
    assert [e.path for e in schemas.validate(clr, "clr_credential")] == [
        "$.credentialSubject.verifiableCredential[0].credentialStatus"
    ]


def test_a_clr_without_its_context_fails() -> None:
    clr = _clr(**{"@context": ["https://www.w3.org/ns/credentials/v2"]})
    assert {e.path for e in schemas.validate(clr, "clr_credential")} == {"$.@context"}


# --- 1EdTech's valid fixtures -----------------------------------------------------------------


def _corpus_valid() -> list[dict[str, Any]]:
    if not OB30_CORPUS.is_dir():
        return []
    manifest = json.loads((OB30_CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))
    return [m for m in manifest if m["expect"] == "valid" and "bit-string-list" not in m["file"]]


def _document(entry: dict[str, Any]) -> dict[str, Any]:
    data = (OB30_CORPUS / entry["file"]).read_bytes()
    fmt = entry["format"]
    if fmt == "json":
        doc: dict[str, Any] = json.loads(data)
        return doc
    if fmt == "jwt":
        return decode_unverified(data.decode().strip()).credential
    baked = unbake_png(data) if fmt == "png" else unbake_svg(data.decode())
    if baked.format == "json":
        doc = json.loads(baked.payload)
        return doc
    return decode_unverified(baked.payload).credential


@pytest.mark.skipif(not OB30_CORPUS.is_dir(), reason="the shared corpus is absent")
@pytest.mark.parametrize("entry", _corpus_valid(), ids=lambda e: e["file"])
def test_the_official_schema_rejects_exactly_the_vc_1_1_valid_fixtures(
    entry: dict[str, Any],
) -> None:
    """1EdTech's validator only warns about these (its JSON-LD schema variants pass them)."""
    doc = _document(entry)
    kind: schemas.SchemaKind = (
        "endorsement_credential"
        if "EndorsementCredential" in doc["type"]
        else "achievement_credential"
    )
    errors = schemas.validate(doc, kind)
    if doc["@context"][0] == V1:
        assert {e.path for e in errors} == {"$", "$.@context[0]"}  # validFrom, VC 2.0 context
    else:
        assert errors == []


# --- the verifier's schema check ---------------------------------------------------------------

LISTED = [{"id": ACHIEVEMENT_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}]


def test_a_listed_official_schema_is_applied_and_a_violation_is_invalid_with_its_path() -> None:
    good = check_schema(_credential(credentialSchema=LISTED))
    assert good.status == "valid"
    assert ACHIEVEMENT_SCHEMA in good.detail
    bad = _credential(credentialSchema=LISTED)
    bad["credentialSubject"]["achievement"]["criteria"] = "pass"
    check = check_schema(bad)
    assert check.status == "invalid"
    assert "$.credentialSubject.achievement.criteria" in check.detail


def test_the_id_spelling_of_an_official_schema_is_applied_too() -> None:
    listed = [
        {
            "id": f"{OB}achievementcredential-jsonschema1.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    assert check_schema(_credential(credentialSchema=listed, validFrom="soon")).status == "invalid"


def test_an_unlisted_schema_is_not_applied() -> None:
    assert check_schema(_credential(validFrom="soon")).status == "valid"


def test_unknown_schemas_stay_unknown_and_invalid_wins_over_unknown() -> None:
    custom = {"id": "https://example.edu/schema.json", "type": "1EdTechJsonSchemaValidator2019"}
    assert check_schema(_credential(credentialSchema=[custom, *LISTED])).status == "unknown"
    failing = check_schema(_credential(credentialSchema=[custom, *LISTED], validFrom="soon"))
    assert failing.status == "invalid"


def test_single_values_pass_with_a_note_as_in_1edtechs_validator() -> None:
    doc = _credential(credentialSchema=LISTED)
    doc["credentialSubject"]["type"] = "AchievementSubject"
    check = check_schema(doc)
    assert check.status == "valid"
    assert "$.credentialSubject.type" in check.detail


def test_a_vc_1_1_credential_is_left_to_the_structure_rules() -> None:
    doc = _credential(credentialSchema=LISTED)
    doc["@context"][0] = V1
    doc["issuanceDate"] = doc.pop("validFrom")
    check = check_schema(doc)
    assert check.status == "valid"
    assert "applied locally" in check.detail


def test_a_signed_credential_failing_its_listed_schema_is_not_verified(
    issuer: Any, signed: Any
) -> None:
    credential = signed(
        **{
            "@context": [
                *make_credential()["@context"],
                "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
            ]
        },
        credentialSchema=LISTED,
        awardedDate="2026-01-01",  # a date, not the DateTimeZ the schema asks for
    )
    report = verify(credential, resolver=issuer.resolver(), now=NOW)
    schema = report.check("schema")
    assert schema.status == "invalid"
    assert "$.awardedDate" in schema.detail
    assert report.verified is False
