"""Verify an Open Badges 3.0 credential and get a per-check report.

The public entry point of the verifier; the checks themselves live in
:mod:`openbadges.verification`, one module per concern::

    from openbadges.verify import verify
    report = verify(Path("badge.png").read_bytes(), resolver=my_resolver)
    report.verified, [(c.id, c.status, c.detail) for c in report.checks]

Spec: https://www.imsglobal.org/spec/ob/v3p0/#verification
"""

from __future__ import annotations

from openbadges.verification.keys import KeyPolicy
from openbadges.verification.pipeline import verify
from openbadges.verification.report import Check, CheckStatus, VerificationReport
from openbadges.verification.structure import Expected

__all__ = ["Check", "CheckStatus", "Expected", "KeyPolicy", "VerificationReport", "verify"]
