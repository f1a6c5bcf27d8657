"""What the certification preflight writes and names (shared by the run and its checklist)."""

from __future__ import annotations

CONFORMANCE_EMAIL = "conformance@imsglobal.org"
"""The recipient 1EdTech's Issuer conformance test names."""
CRYPTOSUITE = "eddsa-rdfc-2022"
"""The Linked Data proof mechanism issuer.md accepts ("Supported Proof Mechanisms")."""

# The files written, in the order the checklist lists them.
CREDENTIAL_JSON = "credential.json"
CREDENTIAL_JWT = "credential.jwt"
BADGE_PNG = "badge.png"
BADGE_SVG = "badge.svg"
VERIFY_JSON = "verification-credential-json.json"
VERIFY_JWT = "verification-credential-jwt.json"
VERIFY_PNG = "verification-badge-png.json"
VERIFY_SVG = "verification-badge-svg.json"
SCHEMA_REPORT = "schema-validation.json"
ISSUER_DID = "issuer-did.json"
ISSUER_PROFILE = "issuer-profile.json"
CHECKLIST = "checklist.md"
