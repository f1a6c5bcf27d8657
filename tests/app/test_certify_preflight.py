"""``badges certify-preflight``: the evidence of 1EdTech's Issuer Only certification.

1EdTech's ``ob_v3p0/cert/issuer.md`` asks for a valid (baked) 3.0 badge issued to
``conformance@imsglobal.org``, a Data Integrity proof being ``eddsa-rdfc-2022``. The command
issues one through the issuance pipeline and writes the credential, its VC-JWT, the baked PNG and
SVG, the verifier's reports, the schema result, the issuer's DID document and Profile and a
checklist. These tests read the files back as a verifier would: ``python -m openbadges verify``
on each (its network fetches answered by the service's public URLs, not by the database the
command used), the official JSON Schema file, the recipient's identity hash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_support import ACHIEVEMENT
from fastapi.testclient import TestClient
from jsonschema import Draft201909Validator, FormatChecker
from shared_corpus import CONFORMANCE_SCHEMAS
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

import openbadges.__main__ as ob_cli
from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate
from app.certification import preflight
from app.cli import app as cli
from app.core.config import Settings
from app.core.db import make_engine, make_sessionmaker
from app.main import create_app
from app.models import Achievement, Credential, OutboxEvent
from app.verification import service as verification
from openbadges import schemas
from openbadges.baking import unbake_png, unbake_svg
from openbadges.errors import ResolutionError
from openbadges.model import hash_identity
from openbadges.schemas import SchemaError

BASE = "https://issuer.badges.test"
EMAIL = "conformance@imsglobal.org"
FILES = {
    "credential.json",
    "credential.jwt",
    "badge.png",
    "badge.svg",
    "verification-credential-json.json",
    "verification-credential-jwt.json",
    "verification-badge-png.json",
    "verification-badge-svg.json",
    "schema-validation.json",
    "issuer-did.json",
    "issuer-profile.json",
    "checklist.md",
}
OFFICIAL_SCHEMA = CONFORMANCE_SCHEMAS / "ob30" / "achievementcredential.json"


@dataclass
class Service:
    """A migrated database with an issuer made by the CLI, and the app serving that database."""

    env: dict[str, str]
    issuer: uuid.UUID
    client: TestClient
    folder: Path

    def run(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env | env)

    def preflight(self, out: Path, *args: str) -> Result:
        return self.run("certify-preflight", "--issuer", str(self.issuer), "--out", str(out), *args)

    def count(self, model: type[Credential] | type[Achievement]) -> int:
        with make_sessionmaker(make_engine(self.env["BADGES_DATABASE_URL"]))() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, database_url_factory: Callable[[Path, str], str]
) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("certify")
    env = {
        "BADGES_DATABASE_URL": database_url_factory(folder, "_certify"),
        "BADGES_DATA_DIR": str(folder),
        "BADGES_BASE_URL": BASE,
        "BADGES_ADMIN_TOKEN": "cli-admin-" + "z" * 24,
        "BADGES_KEY_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    runner = CliRunner()
    upgraded = runner.invoke(cli, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    created = runner.invoke(
        cli, ["issuer", "create", "--name", "en=Conformance University"], env=env
    )
    found = re.search(r"issuer ([0-9a-f-]{36})", created.output)
    assert found is not None, created.output
    settings = Settings(
        environment="development",
        data_dir=folder,
        database_url=env["BADGES_DATABASE_URL"],
        base_url=BASE,
        admin_token=env["BADGES_ADMIN_TOKEN"],
        key_encryption_key=env["BADGES_KEY_ENCRYPTION_KEY"],
    )
    application = create_app(settings)
    client = TestClient(application, base_url=BASE, raise_server_exceptions=False)
    yield Service(env, uuid.UUID(found.group(1)), client, folder)
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def evidence(service: Service) -> tuple[Result, Path]:
    """One run without --achievement: the folder it wrote."""
    out = service.folder / "evidence"
    return service.preflight(out), out


class _OverHttp:
    """What ``python -m openbadges verify`` fetches, answered by the service's public URLs."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.fetched: list[str] = []

    def fetch_json(self, url: str) -> dict[str, Any]:
        if not url.startswith(BASE + "/"):
            raise ResolutionError(f"{url} is not the service's", code="fetch_failed")
        self.fetched.append(url)
        response = self.client.get(url.removeprefix(BASE), headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise ResolutionError(f"{url}: {response.status_code}", code="fetch_failed")
        body: dict[str, Any] = response.json()
        return body


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def test_the_command_writes_every_file_and_every_self_check_passes(
    evidence: tuple[Result, Path],
) -> None:
    result, out = evidence
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == FILES
    assert all((out / name).stat().st_size > 0 for name in FILES)
    assert "FAILED" not in result.output
    for check in ("verify badge.png", "verify credential.jwt", "schema credential.json"):
        assert re.search(rf"^ok\s+{re.escape(check)}:", result.output, re.M), result.output
    checklist = (out / "checklist.md").read_text()
    assert "all self-checks passed" in checklist
    for name in FILES - {"checklist.md"}:  # every file listed with its digest
        digest = hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert f"`{name}`" in checklist, name
        assert digest in checklist, name


def test_the_checklist_answers_each_item_of_issuer_md(evidence: tuple[Result, Path]) -> None:
    checklist = (evidence[1] / "checklist.md").read_text()
    for item in (
        "Create a valid 3.0 badge and issue it to the recipient `conformance@imsglobal.org`",
        "must issue a valid baked badge",
        "submit the issued badge to the conformance test system",
        "`eddsa-rdfc-2022` algorithm",
        "Demonstrate through video",
        "Service Consumer (Write)",
    ):
        assert item in checklist, item
    assert "Conformance Test Suite" in checklist  # what is left by hand
    assert "designated representative" in checklist


@pytest.mark.parametrize("name", ["credential.json", "credential.jwt", "badge.png", "badge.svg"])
def test_every_written_form_verifies_with_python_m_openbadges(
    service: Service,
    evidence: tuple[Result, Path],
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    resolver = _OverHttp(service.client)
    monkeypatch.setattr(ob_cli, "UrlResolver", lambda: resolver)
    path = evidence[1] / name
    code = ob_cli.main(["verify", str(path), "--json", "--recipient", EMAIL])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report["checks"]
    checks = {c["id"]: c["status"] for c in report["checks"]}
    for check in ("proof", "issuer_key", "schema", "revocation", "recipient"):
        assert checks[check] == "valid", (check, checks)
    assert any(url.endswith("/did.json") for url in resolver.fetched)  # read over HTTP
    written = json.loads((evidence[1] / preflight_report(name)).read_text())
    assert written["verified"] is True
    assert written["format"] == report["format"]


def preflight_report(name: str) -> str:
    return {
        "credential.json": "verification-credential-json.json",
        "credential.jwt": "verification-credential-jwt.json",
        "badge.png": "verification-badge-png.json",
        "badge.svg": "verification-badge-svg.json",
    }[name]


def test_the_credential_is_signed_eddsa_rdfc_2022_and_the_jwt_and_images_carry_it(
    evidence: tuple[Result, Path],
) -> None:
    out = evidence[1]
    text = (out / "credential.json").read_text()
    document = json.loads(text)
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    assert [p["cryptosuite"] for p in proofs] == ["eddsa-rdfc-2022"]
    assert unbake_png((out / "badge.png").read_bytes()).payload == text
    assert unbake_svg((out / "badge.svg").read_text()).payload == text
    payload = _payload((out / "credential.jwt").read_text())
    assert payload["id"] == document["id"]
    assert payload["credentialSubject"] == document["credentialSubject"]
    did = json.loads((out / "issuer-did.json").read_text())
    assert did["id"] == document["issuer"]["id"]
    assert proofs[0]["verificationMethod"].split("#")[0] == did["id"]
    profile = json.loads((out / "issuer-profile.json").read_text())
    assert profile["name"] == "Conformance University"


def test_the_json_validates_against_the_official_schema_file(
    evidence: tuple[Result, Path],
) -> None:
    if not OFFICIAL_SCHEMA.is_file():
        pytest.skip(f"{OFFICIAL_SCHEMA} is not laid beside this checkout")
    out = evidence[1]
    raw = OFFICIAL_SCHEMA.read_bytes()
    report = json.loads((out / "schema-validation.json").read_text())
    assert report["schema"]["sha256"] == hashlib.sha256(raw).hexdigest()  # the same file ran
    assert all(doc["valid"] for doc in report["documents"].values()), report
    validator = Draft201909Validator(json.loads(raw), format_checker=FormatChecker())
    jwt_payload = _payload((out / "credential.jwt").read_text())
    for document in (json.loads((out / "credential.json").read_text()), jwt_payload):
        # The file types ``proof`` as an array only; VC 2.0 and 1EdTech's validator also take
        # one object. Read literally, that is the one difference the report names.
        literal = sorted(
            "/".join(map(str, e.absolute_path)) for e in validator.iter_errors(document)
        )
        assert literal in ([], ["proof"]), literal
        if "proof" in document and not isinstance(document["proof"], list):
            document = {**document, "proof": [document["proof"]]}
        assert [e.message for e in validator.iter_errors(document)] == []
    assert report["documents"]["credential.json"]["strict"]["rejectedPaths"] in ([], ["$.proof"])


def test_the_recipient_identity_hashes_to_the_conformance_address(
    service: Service, evidence: tuple[Result, Path]
) -> None:
    out = evidence[1]
    document = json.loads((out / "credential.json").read_text())
    for subject in (
        document["credentialSubject"],
        _payload((out / "credential.jwt").read_text())["credentialSubject"],
    ):
        (identity,) = subject["identifier"]
        assert identity["identityType"] == "emailAddress"
        assert identity["hashed"] is True
        assert identity["identityHash"] == hash_identity(EMAIL, identity["salt"])
        assert identity["identityHash"] != hash_identity("someone@else.org", identity["salt"])
    credential_id = uuid.UUID(document["id"].rsplit("/", 1)[1])
    with make_sessionmaker(make_engine(service.env["BADGES_DATABASE_URL"]))() as session:
        row = session.get(Credential, credential_id)
        assert row is not None
        assert (row.recipient_email, row.proof_format) == (EMAIL, "both")
        events = session.scalars(
            select(OutboxEvent).where(OutboxEvent.subject_id == credential_id)
        ).all()
    assert [e.data["notify"] for e in events if e.type == "credential.issued"] == [False]


def test_the_dedicated_achievement_has_what_certification_reads_and_is_reused(
    service: Service, evidence: tuple[Result, Path]
) -> None:
    first = json.loads((evidence[1] / "credential.json").read_text())
    achievement = first["credentialSubject"]["achievement"]
    assert achievement["name"]
    assert achievement["description"]
    assert achievement["criteria"]["narrative"]
    assert achievement["image"]["id"].startswith("data:image/png;base64,")
    before = service.count(Achievement)
    again = service.preflight(service.folder / "again")
    assert again.exit_code == 0, again.output
    second = json.loads((service.folder / "again" / "credential.json").read_text())
    assert second["credentialSubject"]["achievement"]["id"] == achievement["id"]
    assert second["id"] != first["id"]  # a new credential, the same achievement
    assert service.count(Achievement) == before
    assert (
        "(created for conformance)" not in (service.folder / "again" / "checklist.md").read_text()
    )


def test_a_given_achievement_is_issued_and_a_missing_image_is_a_warning(
    service: Service,
) -> None:
    with make_sessionmaker(make_engine(service.env["BADGES_DATABASE_URL"]))() as session:
        row = achievements.create_achievement(
            session, service.issuer, AchievementCreate.model_validate(ACHIEVEMENT), actor="t"
        )
    out = service.folder / "given"
    result = service.preflight(out, "--achievement", str(row.lineage_id))
    assert result.exit_code == 0, result.output
    assert re.search(r"^warning\s+achievement image: none", result.output, re.M), result.output
    document = json.loads((out / "credential.json").read_text())
    assert document["credentialSubject"]["achievement"]["name"] == ACHIEVEMENT["name"]


def test_an_unknown_issuer_is_a_clear_error_and_nothing_is_issued_or_written(
    service: Service,
) -> None:
    before = service.count(Credential)
    out = service.folder / "unknown-issuer"
    result = service.run("certify-preflight", "--issuer", str(uuid.uuid4()), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert re.search(r"^error: --issuer: No issuer [0-9a-f-]{36}", result.output, re.M)
    assert "Traceback" not in result.output
    assert not out.exists()
    assert service.count(Credential) == before


def test_an_unknown_achievement_or_a_used_folder_is_refused_before_issuing(
    service: Service, evidence: tuple[Result, Path]
) -> None:
    before = service.count(Credential)
    result = service.preflight(service.folder / "x", "--achievement", str(uuid.uuid4()))
    assert result.exit_code == 2, result.output
    assert "error: --achievement: The issuer has no achievement" in result.output
    used = service.preflight(evidence[1])
    assert used.exit_code == 2, used.output
    assert "error: --out:" in used.output
    assert "already holds files" in used.output
    malformed = service.run("certify-preflight", "--issuer", "not-a-uuid")
    assert malformed.exit_code == 2
    assert service.count(Credential) == before


def test_a_failed_self_check_exits_1_and_names_it(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A schema the credential does not meet (the pipeline's own output always does).
    monkeypatch.setattr(
        schemas,
        "validate",
        lambda document, kind: [SchemaError("$.credentialSubject.achievement", "is broken")],
    )
    out = service.folder / "failing"
    result = service.preflight(out)
    assert result.exit_code == 1, result.output
    assert "error: self-check failed: schema credential.json, schema credential.jwt" in (
        result.output
    )
    checklist = (out / "checklist.md").read_text()
    assert "**FAILED**: schema credential.json" in checklist
    assert "$.credentialSubject.achievement: is broken" in checklist


def test_a_failed_verification_exits_1_and_names_it(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A verifier that turns the baked PNG down: the run names that form, and only it.
    real = verification.verify_document

    def refuse_png(session: Any, data: Any, **kwargs: Any) -> Any:
        report = real(session, data, **kwargs)
        if isinstance(data, bytes) and data.startswith(b"\x89PNG"):
            return type(report)(False, report.credential, report.format, report.checks)
        return report

    monkeypatch.setattr(verification, "verify_document", refuse_png)
    result = service.preflight(service.folder / "unverified")
    assert result.exit_code == 1, result.output
    assert "error: self-check failed: verify badge.png (see" in result.output


def test_a_local_base_url_is_a_warning(service: Service) -> None:
    check = preflight._public_base_check("http://127.0.0.1:8000")
    assert (check.ok, check.warning) == (False, True)
    assert "cannot fetch the issuer's DID document" in check.detail
    assert preflight._public_base_check("https://10.0.0.5").ok is False
    assert preflight._public_base_check("https://badges.example.edu").ok is True
