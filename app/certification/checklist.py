"""``checklist.md``: per item of 1EdTech's ``issuer.md``, which file answers it and what is left.

The items quoted are those of ``ob_v3p0/cert/issuer.md`` (Open Badges 3.0 Issuer Service
Conformance, 1EdTech/openbadges-specification) and the process of ``ob_v3p0/cert/conformance.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.certification import evidence as p

if TYPE_CHECKING:
    from app.certification.preflight import Preflight

SUITE_URL = "https://certification.imsglobal.org/certification/badgeconnect/launch.html"
"""The 1EdTech Conformance Test Suite as ``conformance.md`` names it."""
SPEC_URL = "https://www.imsglobal.org/spec/ob/v3p0/cert/"

WHAT: dict[str, str] = {
    p.CREDENTIAL_JSON: "the credential (JSON-LD) with its Data Integrity proof, as served at .json",
    p.CREDENTIAL_JWT: "the same credential as a VC-JWT (compact JWS), as served at .jwt",
    p.BADGE_PNG: "baked PNG: iTXt chunk `openbadgecredential` holding credential.json",
    p.BADGE_SVG: "baked SVG: `<openbadges:credential>` holding credential.json",
    p.VERIFY_JSON: "the service's verifier on credential.json (recipient conformance@imsglobal.org)",
    p.VERIFY_JWT: "the service's verifier on credential.jwt",
    p.VERIFY_PNG: "the service's verifier on badge.png",
    p.VERIFY_SVG: "the service's verifier on badge.svg",
    p.SCHEMA_REPORT: "1EdTech's AchievementCredential JSON Schema on the JSON and the JWT payload",
    p.ISSUER_DID: "the issuer's DID document (did:web), as a verifier resolves it",
    p.ISSUER_PROFILE: "the issuer's Profile (JSON-LD), as served at its URL",
}


def _mark(ok: bool, warning: bool = False) -> str:
    if ok:
        return "ok"
    return "WARNING" if warning else "FAILED"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _status(result: Preflight, *names: str) -> str:
    """ok / FAILED over the checks whose name starts with one of ``names``."""
    picked = [c for c in result.checks if c.name.startswith(names)]
    failed = [c for c in picked if not c.ok and not c.warning]
    return "FAILED: " + ", ".join(c.name for c in failed) if failed else "self-checked ok"


def render(result: Preflight, now: datetime | None = None) -> str:
    """The checklist for one run."""
    when = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
    failures, warnings = result.failures, result.warnings
    verdict = (
        "**FAILED**: " + ", ".join(c.name for c in failures) + " (see Self-checks; do not submit)"
        if failures
        else "all self-checks passed" + (f" ({len(warnings)} warning(s))" if warnings else "")
    )
    lines = [
        "# Open Badges 3.0 Issuer Only certification: evidence",
        "",
        f"Written {when} by `badges certify-preflight`. Result: {verdict}.",
        "",
        f"- Issuer: `{result.issuer_did}` ({result.base_url}/issuers/{result.issuer_id})",
        f"- Achievement: {result.achievement_id}"
        + (" (created for conformance)" if result.achievement_created else ""),
        f"- Credential: {result.credential_url} (recipient `{p.CONFORMANCE_EMAIL}`, "
        "proof `both`, no e-mail sent)",
        f"- Conformance text: {SPEC_URL} (issuer.md, conformance.md)",
        "",
        "## issuer.md, item by item",
        "",
        "| issuer.md | Evidence in this folder | Still to do by hand |",
        "| --- | --- | --- |",
        "| Test 1: *Create a valid 3.0 badge and issue it to the recipient "
        f"`{p.CONFORMANCE_EMAIL}`* | `{p.CREDENTIAL_JSON}`, `{p.CREDENTIAL_JWT}`; "
        f"`{p.SCHEMA_REPORT}`; `{p.VERIFY_JSON}`, `{p.VERIFY_JWT}` "
        f"({_status(result, 'issued', 'recipient', 'achievement fields', 'schema', 'verify credential', 'VC-JWT')}) "
        "| Nothing: issued by the service's issuance pipeline. |",
        "| *The candidate platform must issue a valid baked badge* | "
        f"`{p.BADGE_PNG}`, `{p.BADGE_SVG}`; `{p.VERIFY_PNG}`, `{p.VERIFY_SVG}` "
        f"({_status(result, 'baked', 'verify badge')}) | Nothing. |",
        "| Test 1: *…and submit the issued badge to the conformance test system* | "
        f"`{p.BADGE_PNG}` (the baked badge; `{p.CREDENTIAL_JSON}` or `{p.CREDENTIAL_JWT}` if the "
        "form asks for JSON or a JWT) | Sign in to the 1EdTech Conformance Test Suite "
        f"({SUITE_URL}) as the member organisation's designated representative, choose Open "
        "Badges 3.0 Issuer, upload the badge, run the tests, submit the results (a copy is "
        "e-mailed; keep it with this folder). |",
        f"| Supported Proof Mechanisms: *[VC-DI-EDDSA] suite with the `{p.CRYPTOSUITE}` "
        f"algorithm* | `{p.CREDENTIAL_JSON}` `proof` ({_status(result, 'proof')}) | Nothing. |",
        "| Test 2: *Demonstrate through video the candidate platform's methodology for a "
        "recipient to retrieve their badge* | (a video cannot be generated) | Record it: issue "
        "to a mailbox you control with `notify` left on (`POST /api/v1/credentials`), open the "
        "e-mail, follow the claim link, download the baked PNG/SVG or add the credential to a "
        "wallet (OpenID4VCI QR code); show the credential page "
        f"({result.credential_url}) and its verification. Upload the video with the "
        "submission. |",
        "| Test 3 (optional): *Complete tests of, at least, required endpoints of Service "
        "Consumer (Write)* | not produced here (not part of Issuer Only) | Only for the "
        "Issuer + Service Consumer (Write) certification. |",
        "",
        "conformance.md also requires 1EdTech membership (Digital Credentials and Badges "
        "Alliance, Affiliate or Contributing Member) and that the tests are completed by a "
        "designated representative of the member organisation.",
        "",
        "Before submitting: keep the issuer, its keys (rotated keys stay published) and this "
        "credential (not revoked) as they are until 1EdTech has reviewed the submission; the "
        "test system verifies the proof against the issuer's DID document at "
        f"{result.base_url}. Re-check from any machine with "
        f"`python -m openbadges verify --recipient {p.CONFORMANCE_EMAIL} {p.BADGE_PNG}`.",
        "",
        "## Self-checks",
        "",
        "| Check | Result | Detail |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {_cell(c.name)} | {_mark(c.ok, c.warning)} | {_cell(c.detail)} |" for c in result.checks
    ]
    lines += ["", "## Files", "", "| File | What | sha256 |", "| --- | --- | --- |"]
    lines += [
        f"| `{name}` | {_cell(WHAT.get(name, ''))} | `{digest}` |"
        for name, digest in result.files.items()
    ]
    lines.append("")
    return "\n".join(lines)
