"""Kind detection (issue 9, item 10): a document is verified as what its ``type`` says it is.

An EndorsementCredential or a BitstringStatusListCredential handed to ``verify()`` or to
``python -m openbadges verify`` without an expectation used to fail "must include
AchievementCredential". ``expected=`` / ``--expect`` stays as an explicit override.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openbadges import __main__ as cli
from openbadges.status_list import Bitstring, status_list_credential
from openbadges.verification.pipeline import detect_kind
from openbadges.verify import verify

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]

NOW_ARG = "2026-06-01T00:00:00Z"


def _endorsement(endorser: Any) -> dict[str, Any]:
    return endorser.sign(
        {
            "@context": list(CONTEXTS),
            "id": "urn:uuid:5f8b2a52-0a44-4d55-8f57-4d6f2d1b7e10",
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "issuer": {"id": endorser.did, "type": ["Profile"], "name": "Accreditor"},
            "validFrom": "2026-01-01T00:00:00Z",
            "name": "Endorsement of Data Literacy",
            "credentialSubject": {
                "id": "https://badges.example.edu/achievements/data-literacy",
                "type": ["EndorsementSubject"],
                "endorsementComment": "A rigorous course.",
            },
        }
    )


def _status_list(issuer: Any) -> dict[str, Any]:
    document = status_list_credential(
        "https://badges.example.edu/status/1",
        issuer.did,
        "revocation",
        Bitstring(),
        valid_from="2026-01-01T00:00:00Z",
    )
    return issuer.sign(document)


@pytest.mark.parametrize(
    ("types", "kind"),
    [
        (["VerifiableCredential", "OpenBadgeCredential"], "credential"),
        (["VerifiableCredential", "AchievementCredential"], "credential"),
        (["VerifiableCredential", "EndorsementCredential"], "endorsement"),
        (["VerifiableCredential", "ClrCredential"], "clr"),
        ("BitstringStatusListCredential", "status_list"),
        (["VerifiableCredential", "OpenBadgeCredential", "ClrCredential"], "clr"),
        (["VerifiableCredential"], "credential"),
        (None, "credential"),
    ],
)
def test_the_kind_is_read_from_the_type(types: Any, kind: str) -> None:
    assert detect_kind({"type": types}) == kind


def test_an_endorsement_is_verified_as_an_endorsement(new_issuer: Callable[..., Any]) -> None:
    accreditor = new_issuer(did="did:web:accreditor.example")
    report = verify(_endorsement(accreditor), resolver=accreditor.resolver(), now=NOW)
    assert report.verified is True, [(c.id, c.detail) for c in report.checks]
    assert "endorsement" in report.check("structure").detail  # type: ignore[union-attr]


def test_a_status_list_is_verified_as_a_status_list(issuer: Any) -> None:
    report = verify(_status_list(issuer), resolver=issuer.resolver(), now=NOW)
    assert report.verified is True, [(c.id, c.detail) for c in report.checks]
    assert "Status List" in report.check("structure").detail  # type: ignore[union-attr]


def test_an_explicit_expectation_that_does_not_match_is_invalid(issuer: Any) -> None:
    report = verify(
        _status_list(issuer), resolver=issuer.resolver(), now=NOW, expected="credential"
    )
    structure = report.check("structure")
    assert structure is not None
    assert structure.status == "invalid"
    assert "AchievementCredential" in structure.detail
    assert report.verified is False


def test_an_explicit_credential_expectation_is_not_promoted_to_a_clr() -> None:
    clr = {"type": ["VerifiableCredential", "ClrCredential"], "issuer": "did:example:x"}
    assert verify(clr, now=NOW).check("credentials") is not None
    assert verify(clr, now=NOW, expected="credential").check("credentials") is None


# --- the command line ----------------------------------------------------------------------


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "document.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_cli_detects_the_kind_and_expect_overrides_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    new_issuer: Callable[..., Any],
) -> None:
    accreditor = new_issuer(did="did:web:accreditor.example")
    monkeypatch.setattr(cli, "UrlResolver", accreditor.resolver)
    path = _write(tmp_path, _endorsement(accreditor))
    assert cli.main(["verify", str(path), "--now", NOW_ARG]) == cli.EXIT_VERIFIED
    assert capsys.readouterr().out.startswith("VERIFIED")
    assert cli.main(["verify", str(path), "--now", NOW_ARG, "--expect", "endorsement"]) == 0
    capsys.readouterr()
    code = cli.main(["verify", str(path), "--now", NOW_ARG, "--expect", "credential"])
    assert code == cli.EXIT_NOT_VERIFIED
    assert "must include AchievementCredential" in capsys.readouterr().out


def test_the_cli_refuses_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["verify", str(tmp_path / "x.json"), "--expect", "diploma"])
    assert exited.value.code == cli.EXIT_UNUSABLE
