"""The 1EdTech validator's OB 3.0 fixtures, each checked against the validator's verdict.

The corpus (``../shared/conformance/ob30``, see its README) labels every file ``valid`` or
``invalid``. Only the verdict is asserted; our reasons may differ from the validator's.

Key policy: these tests run with ``fragment_key_policy="validator"``, which reproduces the
1EdTech validator's shortcut of reading the key from a ``<issuer.id>#z6Mk…`` fragment (and not
comparing a did:key with the issuer), because the fixtures' issuer hosts are made up and cannot
be dereferenced. **The service itself uses ``"bound"``**, under which those keys must be found
in the issuer's published documents; ``test_bound_policy_*`` below shows the difference.

Network: verification runs offline against an :class:`InMemoryResolver`. For the
``needs_network`` entries it serves ``bit-string-list/testlist`` at the URL the two bit-string
fixtures point to, and a stand-in 1EdTechRevocationList naming ``credential-status-revoked.json``
— so all three come out revoked. ``velocity.jwt`` is skipped: its key lives in the Velocity
Network's on-chain registry. The clock is pinned to 2026-06-01 (two fixtures are time bombs).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from shared_corpus import CONFORMANCE

from openbadges.resolver import InMemoryResolver
from openbadges.verify import verify

OB30 = CONFORMANCE / "ob30"
if not (OB30 / "MANIFEST.json").is_file():
    pytest.skip(f"conformance corpus not found at {OB30}", allow_module_level=True)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
MANIFEST: list[dict[str, Any]] = json.loads((OB30 / "MANIFEST.json").read_text("utf-8"))

SKIPPED = {
    "velocity.jwt": "its key is a did:velocity resolved through the Velocity Network's "
    "on-chain registry, which cannot be served locally",
}
# Every offline entry is expected to match its verdict; add a reason here only for a principled gap.
XFAIL: dict[str, str] = {}


def _status_documents() -> dict[str, dict[str, Any] | str]:
    """Serve the remote status lists the needs_network fixtures point to."""
    documents: dict[str, dict[str, Any] | str] = {}
    testlist = (OB30 / "bit-string-list" / "testlist").read_text("utf-8")
    for name in ("credential-status-revoked.json", "credential-status-revoked-blank-nodes.json"):
        entry = json.loads((OB30 / "bit-string-list" / name).read_text("utf-8"))
        documents[entry["credentialStatus"]["statusListCredential"]] = testlist
    revoked = json.loads((OB30 / "credential-status-revoked.json").read_text("utf-8"))
    documents[revoked["credentialStatus"]["id"]] = {
        "id": revoked["credentialStatus"]["id"],
        "issuer": revoked["issuer"]["id"],
        "revokedCredential": [{"id": revoked["id"], "revoked": True}],
    }
    return documents


def _expected_kind(file: str) -> str:
    if file.startswith("endorsement-"):
        return "endorsement"
    if file.endswith("testlist"):
        return "status_list"
    return "credential"


def _params() -> list[Any]:
    params = []
    for entry in MANIFEST:
        marks: list[pytest.MarkDecorator] = []
        if entry["file"] in SKIPPED:
            marks.append(pytest.mark.skip(reason=SKIPPED[entry["file"]]))
        if entry["file"] in XFAIL:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[entry["file"]]))
        params.append(pytest.param(entry, id=entry["file"], marks=marks))
    return params


@pytest.mark.parametrize("entry", _params())
def test_verdict_matches_the_validator(entry: dict[str, Any]) -> None:
    data = (OB30 / entry["file"]).read_bytes()
    report = verify(
        data,
        resolver=InMemoryResolver(_status_documents()),
        now=NOW,
        expected=_expected_kind(entry["file"]),  # type: ignore[arg-type]
        fragment_key_policy="validator",
    )
    reasons = "\n".join(f"{c.id}: {c.status}: {c.detail}" for c in report.checks)
    assert report.verified is (entry["expect"] == "valid"), reasons


def test_every_format_is_sniffed_from_content() -> None:
    for entry in MANIFEST:
        if entry["file"] in SKIPPED:
            continue
        report = verify((OB30 / entry["file"]).read_bytes(), now=NOW)
        assert report.format.split("+")[0] == entry["format"], entry["file"]


@pytest.mark.parametrize(
    "file", ["bit-string-list/credential-status-revoked.json", "credential-status-revoked.json"]
)
def test_revoked_fixtures_are_reported_as_revoked(file: str) -> None:
    report = verify(
        (OB30 / file).read_bytes(),
        resolver=InMemoryResolver(_status_documents()),
        now=NOW,
        fragment_key_policy="validator",
    )
    revocation = report.check("revocation")
    assert revocation is not None
    assert revocation.status == "invalid"
    assert "revoked" in revocation.detail
    assert report.check("proof").status == "valid"  # type: ignore[union-attr]


def test_status_fetch_failure_is_unknown_not_revoked() -> None:
    file = OB30 / "bit-string-list" / "credential-status-revoked.json"
    report = verify(file.read_bytes(), now=NOW, fragment_key_policy="validator")
    revocation = report.check("revocation")
    assert revocation is not None
    assert revocation.status == "unknown"
    assert report.verified is False


def test_bound_policy_does_not_trust_fragment_keys() -> None:
    report = verify((OB30 / "simple.json").read_bytes(), now=NOW)
    assert report.check("proof").status == "valid"  # type: ignore[union-attr]
    issuer_key = report.check("issuer_key")
    assert issuer_key is not None
    assert issuer_key.status == "unknown"
    assert report.verified is False


def test_bound_policy_accepts_a_fragment_key_the_issuer_publishes() -> None:
    profile: dict[str, Any] = {
        "id": "https://example.com/issuers/876543",
        "type": "Profile",
        "verificationMethod": [
            {
                "id": "https://example.com/issuers/876543#key-1",
                "type": "Multikey",
                "controller": "https://example.com/issuers/876543",
                "publicKeyMultibase": "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
            }
        ],
    }
    resolver = InMemoryResolver({profile["id"]: profile})
    report = verify((OB30 / "simple.json").read_bytes(), now=NOW, resolver=resolver)
    assert report.check("issuer_key").status == "valid"  # type: ignore[union-attr]
    assert report.verified is True


def test_bound_policy_rejects_a_did_key_that_is_not_the_issuer() -> None:
    report = verify((OB30 / "simple-did-key-method.json").read_bytes(), now=NOW)
    assert report.check("proof").status == "valid"  # type: ignore[union-attr]
    assert report.check("issuer_key").status == "invalid"  # type: ignore[union-attr]
