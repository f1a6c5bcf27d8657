"""The 1EdTech corpus through ``python -m openbadges verify --policy validator`` (issue 9, item 10).

Unlike ``test_conformance.py``, nothing tells the verifier what each file is: endorsements and
the Bitstring Status List credential must be recognised from their ``type``, as a person running
the command line would expect. The verdict of every file must match the corpus label (exit 0
for ``valid``, 1 for ``invalid``; never 2, which is for input that is not a credential at all).

The command line's network resolver is replaced by the same in-memory documents
``test_conformance.py`` serves (the status lists the ``needs_network`` fixtures point to), and
``velocity.jwt`` is skipped for the same reason (its key lives in an on-chain registry).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from test_conformance import MANIFEST, OB30, SKIPPED, _status_documents

from openbadges import __main__ as cli
from openbadges.resolver import InMemoryResolver

NOW = "2026-06-01T00:00:00Z"
COMMAND = [sys.executable, "-m", "openbadges", "verify"]


def _params() -> list[Any]:
    return [
        pytest.param(
            entry,
            id=entry["file"],
            marks=[pytest.mark.skip(reason=SKIPPED[entry["file"]])]
            if entry["file"] in SKIPPED
            else [],
        )
        for entry in MANIFEST
    ]


@pytest.mark.parametrize("entry", _params())
def test_the_cli_matches_the_validator(
    entry: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "UrlResolver", lambda: InMemoryResolver(_status_documents()))
    path = str(OB30 / entry["file"])
    code = cli.main(["verify", path, "--policy", "validator", "--now", NOW, "--json"])
    report = json.loads(capsys.readouterr().out)
    reasons = "\n".join(f"{c['id']}: {c['status']}: {c['detail']}" for c in report["checks"])
    expected_code = cli.EXIT_VERIFIED if entry["expect"] == "valid" else cli.EXIT_NOT_VERIFIED
    assert code == expected_code, reasons
    assert report["verified"] is (entry["expect"] == "valid"), reasons


def test_every_offline_entry_is_covered() -> None:
    """42 or more verdicts are compared; a shrinking corpus or a growing skip list shows here."""
    assert len([e for e in MANIFEST if e["file"] not in SKIPPED]) >= 42


@pytest.mark.parametrize("file", ["endorsement-valid.json", "bit-string-list/testlist"])
def test_the_real_command_recognises_the_kind(file: str) -> None:
    """The installed entry point, as a user runs it (offline: these two need no network)."""
    result = subprocess.run(
        [*COMMAND, str(OB30 / file), "--policy", "validator", "--now", NOW, "--offline"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("VERIFIED")
