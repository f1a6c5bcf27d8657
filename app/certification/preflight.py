"""``badges certify-preflight``: issue to ``conformance@imsglobal.org`` and write the evidence.

1EdTech's Issuer Only conformance (``ob_v3p0/cert/issuer.md`` in 1EdTech/openbadges-specification)
asks a candidate to "create a valid [baked] 3.0 badge and issue it to the recipient
``conformance@imsglobal.org`` and submit the issued badge to the conformance test system", a
Linked Data proof being ``eddsa-rdfc-2022``, and to show by video how a recipient retrieves it.
This module does the first part on the configured database and checks the result the way the
test system will before anyone uploads it:

- the credential is issued by :func:`app.credentials.issuing.issue_credential` (the pipeline
  the API uses; actor ``cli``), proof ``both`` (Data Integrity ``eddsa-rdfc-2022``, then a
  VC-JWT over the signed document), ``notify`` false (no e-mail to 1EdTech's address);
- every signed form is taken as the public URLs serve it (the stored JSON and JWT, the baked
  PNG and SVG of :mod:`app.web.downloads`) and verified by the service's own verifier
  (:func:`app.verification.service.verify_document`, our documents read from the database),
  with ``conformance@imsglobal.org`` as the expected recipient;
- the JSON and the JWT's payload are validated against 1EdTech's AchievementCredential JSON
  Schema (the bundled, hash-pinned copy in :mod:`openbadges.schemas`);
- the issuer's DID document and Profile are written as a verifier resolves them.

Without ``--achievement`` a dedicated achievement (tag :data:`CONFORMANCE_TAG`) is created once
per issuer and reused, with everything the certification reads: name, description, criteria
and an image (a PNG data URI, so the baked PNG is the badge's own picture).

This is an orchestrator, not a domain service: it reads the baked files through ``app.web``
(which services may not import), as :mod:`app.demo` and :mod:`app.batches.cli_view` sit
beside the services they drive.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft201909Validator, FormatChecker
from sqlalchemy.orm import Session, sessionmaker

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate
from app.certification import checklist
from app.certification.evidence import (
    BADGE_PNG,
    BADGE_SVG,
    CHECKLIST,
    CONFORMANCE_EMAIL,
    CREDENTIAL_JSON,
    CREDENTIAL_JWT,
    CRYPTOSUITE,
    ISSUER_DID,
    ISSUER_PROFILE,
    SCHEMA_REPORT,
    VERIFY_JSON,
    VERIFY_JWT,
    VERIFY_PNG,
    VERIFY_SVG,
)
from app.core.context import AppContext
from app.core.db import session_scope
from app.core.errors import AppError, NotFound
from app.core.security import IssuerPrincipal
from app.core.urls import credential_url, issuer_profile_url
from app.credentials import issuing
from app.credentials.schemas import CredentialIssue, RecipientIn
from app.issuers import service as issuers
from app.models import Achievement, Credential
from app.verification import service as verification
from app.web import badge_image, downloads
from openbadges import schemas
from openbadges.baking import unbake_png, unbake_svg
from openbadges.did import did_web_to_url
from openbadges.errors import OpenBadgesError
from openbadges.model import hash_identity
from openbadges.schemas import KIND_FILES

CONFORMANCE_TAG = "1edtech-conformance"
"""Tag of the dedicated achievement made (once per issuer) when ``--achievement`` is left out."""
ACTOR = "cli"

CONFORMANCE_ACHIEVEMENT: dict[str, Any] = {
    "name": "Open Badges 3.0 Issuer Conformance",
    "description": (
        "Issued to 1EdTech's conformance address to demonstrate that this platform issues "
        "valid Open Badges 3.0 credentials (1EdTech Open Badges 3.0 Issuer certification)."
    ),
    "criteria": {
        "narrative": (
            "Awarded to `conformance@imsglobal.org` by the issuing platform's certification "
            "preflight (`badges certify-preflight`). The credential carries a Data Integrity "
            "proof (`eddsa-rdfc-2022`), is also issued as a VC-JWT, and is baked into PNG and "
            "SVG badge images."
        )
    },
    "achievementType": "Badge",
    "inLanguage": "en",
    "tags": [CONFORMANCE_TAG],
}


class PreflightRefused(AppError):
    """The preflight cannot start: the option named in ``field`` is wrong (nothing issued)."""

    status, title, code = 422, "Certification preflight refused", "preflight_refused"


@dataclass(frozen=True, slots=True)
class Check:
    """One self-check: ``ok`` False fails the preflight, unless it is only a ``warning``."""

    name: str
    ok: bool
    detail: str
    warning: bool = False


@dataclass(slots=True)
class Preflight:
    """What a run issued, wrote and found."""

    out: Path
    issuer_id: uuid.UUID
    issuer_did: str
    achievement_id: uuid.UUID
    achievement_created: bool
    credential_id: uuid.UUID
    credential_url: str
    base_url: str
    files: dict[str, str] = field(default_factory=dict)
    """File name → sha256 (hex) of what was written."""
    checks: list[Check] = field(default_factory=list)

    @property
    def failures(self) -> list[Check]:
        """Checks that failed (warnings excluded)."""
        return [c for c in self.checks if not c.ok and not c.warning]

    @property
    def warnings(self) -> list[Check]:
        """Warnings raised (the preflight still passes)."""
        return [c for c in self.checks if not c.ok and c.warning]


def default_out_dir(now: datetime | None = None) -> Path:
    """``./certification-<UTC date>``."""
    return Path(f"certification-{(now or datetime.now(UTC)).date().isoformat()}")


def _check_out_dir(out: Path) -> None:
    """Refuse an output that is a file or a folder already holding files (never mix runs)."""
    if out.exists() and not out.is_dir():
        raise PreflightRefused(f"{out} exists and is not a folder.", field="--out")
    if out.is_dir() and any(out.iterdir()):
        raise PreflightRefused(
            f"{out} already holds files (an earlier run?); give an empty or new folder.",
            field="--out",
        )


def _conformance_image() -> dict[str, str]:
    """The dedicated achievement's image: the service's generated medallion as a data URI."""
    png = badge_image.generated_png(str(CONFORMANCE_ACHIEVEMENT["name"]))
    return {
        "id": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "caption": "Open Badges 3.0 Issuer Conformance",
    }


def _find_conformance_achievement(session: Session, issuer_id: uuid.UUID) -> Achievement | None:
    offset, page = 0, 200
    while True:
        rows = achievements.list_achievements(session, issuer_id, limit=page, offset=offset)
        for row in rows:
            if CONFORMANCE_TAG in (row.tags or []):
                return row
        if len(rows) < page:
            return None
        offset += page


def conformance_achievement(session: Session, issuer_id: uuid.UUID) -> tuple[Achievement, bool]:
    """The issuer's dedicated conformance achievement, created the first time: (row, created)."""
    found = _find_conformance_achievement(session, issuer_id)
    if found is not None:
        return found, False
    data = AchievementCreate.model_validate(
        {**CONFORMANCE_ACHIEVEMENT, "image": _conformance_image()}
    )
    return achievements.create_achievement(session, issuer_id, data, actor=ACTOR), True


def _resolve_inputs(
    session: Session, issuer_id: uuid.UUID, achievement_id: uuid.UUID | None
) -> tuple[Achievement, bool]:
    try:
        issuers.get_issuer(session, issuer_id)
    except NotFound:
        raise PreflightRefused(
            f"No issuer {issuer_id} in the configured database "
            "(`badges issuer create` makes one; BADGES_DATABASE_URL picks the database).",
            field="--issuer",
        ) from None
    if achievement_id is None:
        return conformance_achievement(session, issuer_id)
    try:
        return achievements.get_current(session, issuer_id, achievement_id), False
    except NotFound:
        raise PreflightRefused(
            f"The issuer has no achievement {achievement_id} (leave --achievement out to use "
            "a dedicated conformance achievement).",
            field="--achievement",
        ) from None


def _issue(
    session: Session, context: AppContext, issuer_id: uuid.UUID, achievement: Achievement
) -> Credential:
    data = CredentialIssue(
        achievement_id=achievement.lineage_id,
        recipient=RecipientIn(email=CONFORMANCE_EMAIL),
        proof="both",
        notify=False,
    )
    principal = IssuerPrincipal(issuer_id=issuer_id, api_key_id=uuid.UUID(int=0), actor=ACTOR)
    return issuing.issue_credential(session, context, principal, data).credential


# --- self-checks -------------------------------------------------------------------------------


def jwt_payload(token: str) -> dict[str, Any]:
    """The decoded payload of a compact JWS (OB 3.0 §8.2: the credential's own claims)."""
    try:
        part = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _recipient_check(document: dict[str, Any]) -> Check:
    subject = document.get("credentialSubject")
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    for item in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(item, dict) or item.get("identityType") != "emailAddress":
            continue
        salt = item.get("salt") or ""
        expected = hash_identity(CONFORMANCE_EMAIL, salt) if item.get("hashed") else None
        if item.get("identityHash") in (expected, CONFORMANCE_EMAIL):
            how = "salted sha256" if item.get("hashed") else "plain"
            return Check(
                "recipient identity",
                True,
                f"credentialSubject.identifier emailAddress ({how}) is {CONFORMANCE_EMAIL}",
            )
    return Check(
        "recipient identity",
        False,
        f"no credentialSubject.identifier of identityType emailAddress hashes to {CONFORMANCE_EMAIL}",
    )


def _achievement_check(document: dict[str, Any]) -> list[Check]:
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict):
        return [Check("achievement", False, "credentialSubject.achievement is missing")]
    missing = [name for name in ("id", "name", "description") if not achievement.get(name)]
    criteria = achievement.get("criteria")
    if not (isinstance(criteria, dict) and (criteria.get("id") or criteria.get("narrative"))):
        missing.append("criteria (id or narrative)")
    checks = [
        Check(
            "achievement fields",
            not missing,
            f"missing: {', '.join(missing)}"
            if missing
            else "id, name, description and criteria are present",
        )
    ]
    image = achievement.get("image")
    has_image = isinstance(image, dict) and bool(image.get("id"))
    checks.append(
        Check(
            "achievement image",
            has_image,
            "present"
            if has_image
            else "none: the baked images show a generated medallion; "
            "give the achievement an image (recommended for the badge a recipient sees)",
            warning=True,
        )
    )
    return checks


def _proof_check(document: dict[str, Any]) -> Check:
    proofs = document.get("proof")
    items = proofs if isinstance(proofs, list) else [proofs]
    suites = [p.get("cryptosuite") for p in items if isinstance(p, dict)]
    ok = CRYPTOSUITE in suites
    return Check(
        f"proof {CRYPTOSUITE}",
        ok,
        f"DataIntegrityProof cryptosuites: {', '.join(map(str, suites)) or 'none'}",
    )


def _strict_errors(document: dict[str, Any]) -> list[str]:
    """JSON paths the schema file, run exactly as it is, rejects (``proof`` must be an array)."""
    validator = Draft201909Validator(
        schemas.load_schema("achievement_credential"), format_checker=FormatChecker()
    )
    paths = {
        "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        for e in validator.iter_errors(document)
    }
    return sorted(paths)


def _schema_result(document: dict[str, Any]) -> dict[str, Any]:
    """The validator's verdict (1EdTech's reading: one proof object or an array) and the
    schema file's own, strict one (``proof`` typed as an array only)."""
    errors = schemas.validate(document, "achievement_credential")
    strict = _strict_errors(document)
    return {
        "valid": not errors,
        "errors": [{"path": e.path, "message": e.message} for e in errors],
        "strict": {"valid": not strict, "rejectedPaths": strict},
    }


def _schema_file() -> dict[str, str]:
    """Which schema ran: its ``$id`` and the sha256 of the bundled (pinned) file."""
    name = KIND_FILES["achievement_credential"]
    raw = resources.files("openbadges.schemas").joinpath(name).read_bytes()
    return {
        "file": name,
        "$id": str(json.loads(raw).get("$id", "")),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


def _strict_check(label: str, paths: list[str]) -> Check:
    """The literal reading: only ``$.proof`` may differ (one proof object, not an array)."""
    known = paths == ["$.proof"]
    detail = (
        "read literally, the schema file wants `proof` as an array; one proof object (as "
        "issued here) is what VC 2.0 allows and 1EdTech's validator accepts"
        if known
        else f"read literally, the schema file rejects {', '.join(paths)}"
    )
    return Check(f"schema {label} (literal)", known, detail, warning=True)


def _verification_check(label: str, report: Any) -> Check:
    recipient = report.check("recipient")
    bad = [f"{c.id}: {c.status}" for c in report.checks if c.status != "valid"]
    ok = bool(report.verified) and recipient is not None and recipient.status == "valid"
    detail = f"verified ({report.format})" if ok else "not verified: " + "; ".join(bad or ["?"])
    if ok and bad:
        detail += " (not valid: " + "; ".join(bad) + ")"
    return Check(f"verify {label}", ok, detail)


def _baked_check(label: str, unbake: Callable[[], Any], payload: str) -> Check:
    try:
        baked = unbake()
    except OpenBadgesError as exc:
        return Check(f"baked {label}", False, f"cannot be read back: {exc.message}")
    ok = baked.payload == payload and baked.ob_version == "3.0"
    return Check(
        f"baked {label}",
        ok,
        f"carries the signed credential ({baked.format})"
        if ok
        else "does not carry the credential",
    )


def _public_base_check(base_url: str) -> Check:
    """1EdTech's test system resolves the issuer's did:web over the internet."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    problem = None
    if parts.scheme != "https":
        problem = "is not https"
    elif host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        problem = "names a local host"
    else:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None and not address.is_global:
            problem = "is a private or loopback address"
    return Check(
        "public base URL",
        problem is None,
        f"BADGES_BASE_URL {base_url} "
        + (
            f"{problem}: 1EdTech's test system cannot fetch the issuer's DID document; "
            "run this against the deployed service before submitting"
            if problem
            else "is https (the DID document must be reachable from the internet)"
        ),
        warning=True,
    )


# --- the run -----------------------------------------------------------------------------------


def _write(result: Preflight, name: str, content: bytes | str) -> None:
    body = content.encode("utf-8") if isinstance(content, str) else content
    (result.out / name).write_bytes(body)
    result.files[name] = hashlib.sha256(body).hexdigest()


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def run(
    factory: sessionmaker[Session],
    context: AppContext,
    issuer_id: uuid.UUID,
    achievement_id: uuid.UUID | None,
    out: Path,
) -> Preflight:
    """Issue the conformance credential, check it, write every file into ``out``.

    Raises:
        PreflightRefused: an option is wrong (unknown issuer or achievement, ``out`` not
            empty); nothing was issued or written.
    """
    _check_out_dir(out)
    base = context.settings.base_url
    with session_scope(factory) as session:
        achievement, created = _resolve_inputs(session, issuer_id, achievement_id)
        row = _issue(session, context, issuer_id, achievement)
        document_text = str(row.document)
        document: dict[str, Any] = json.loads(document_text)
        token = str(row.jwt or "")
        png = downloads.baked_badge(row, "png").body
        svg = downloads.baked_badge(row, "svg").body
        issuer = document.get("issuer")
        did = str(issuer.get("id") if isinstance(issuer, dict) else issuer)
        result = Preflight(
            out=out,
            issuer_id=issuer_id,
            issuer_did=did,
            achievement_id=achievement.lineage_id,
            achievement_created=created,
            credential_id=row.id,
            credential_url=credential_url(base, row.id),
            base_url=base,
        )
        checks = result.checks
        checks.append(
            Check(
                "issued to conformance address",
                row.recipient_email == CONFORMANCE_EMAIL and row.proof_format == "both",
                f"credential {row.id} to {row.recipient_email}, proof {row.proof_format}",
            )
        )
        checks.append(_recipient_check(document))
        checks.extend(_achievement_check(document))
        checks.append(_proof_check(document))
        checks.append(Check("VC-JWT", bool(token), "issued" if token else "missing"))

        documents = {
            CREDENTIAL_JSON: _schema_result(document),
            f"{CREDENTIAL_JWT} (payload)": _schema_result(jwt_payload(token)),
        }
        schema_report = {
            "schema": _schema_file(),
            "reading": "valid/errors: as 1EdTech's validator reads it (proof: one object or an "
            "array); strict: the file exactly as written (proof: an array only)",
            "documents": documents,
        }
        for label, outcome in documents.items():
            errors = outcome["errors"]
            checks.append(
                Check(
                    f"schema {label}",
                    outcome["valid"],
                    "valid against the AchievementCredential JSON Schema"
                    if outcome["valid"]
                    else "; ".join(f"{e['path']}: {e['message']}" for e in errors[:3]),
                )
            )
            if outcome["valid"] and not outcome["strict"]["valid"]:
                checks.append(_strict_check(label, outcome["strict"]["rejectedPaths"]))

        forms: list[tuple[str, str, bytes | str]] = [
            (CREDENTIAL_JSON, VERIFY_JSON, document_text),
            (CREDENTIAL_JWT, VERIFY_JWT, token),
            (BADGE_PNG, VERIFY_PNG, png),
            (BADGE_SVG, VERIFY_SVG, svg),
        ]
        reports: dict[str, str] = {}
        for label, report_name, data in forms:
            report = verification.verify_document(session, data, recipient=CONFORMANCE_EMAIL)
            checks.append(_verification_check(label, report))
            reports[report_name] = _dump(report.to_dict())
        checks.append(_baked_check(BADGE_PNG, lambda: unbake_png(png), document_text))
        checks.append(
            _baked_check(BADGE_SVG, lambda: unbake_svg(svg.decode("utf-8")), document_text)
        )

        resolver = verification.resolver_for(session)
        fetched: dict[str, str] = {}
        for name, url in (
            (ISSUER_DID, did_web_to_url(did) if did.startswith("did:web:") else did),
            (ISSUER_PROFILE, issuer_profile_url(base, issuer_id)),
        ):
            try:
                fetched[name] = _dump(resolver.fetch_json(url))
                checks.append(Check(f"resolve {name}", True, url))
            except OpenBadgesError as exc:
                checks.append(Check(f"resolve {name}", False, f"{url}: {exc.message}"))
        checks.append(_public_base_check(base))

    out.mkdir(parents=True, exist_ok=True)
    _write(result, CREDENTIAL_JSON, document_text)
    _write(result, CREDENTIAL_JWT, token)  # as /credentials/{id}.jwt serves it
    _write(result, BADGE_PNG, png)
    _write(result, BADGE_SVG, svg)
    for name, text in reports.items():
        _write(result, name, text)
    _write(result, SCHEMA_REPORT, _dump(schema_report))
    for name, text in fetched.items():
        _write(result, name, text)
    _write(result, CHECKLIST, checklist.render(result))
    return result
