"""Verify an Open Badges 3.0 credential and get a per-check report.

The public entry point of the verifier; the checks themselves live in
:mod:`openbadges.verification`, one module per concern::

    from openbadges.verify import verify
    report = verify(Path("badge.png").read_bytes(), resolver=my_resolver)
    report.verified, [(c.id, c.status, c.detail) for c in report.checks]

The document is verified as the kind its ``type`` names — an Open Badge, a CLR 2.0
``ClrCredential``, an ``EndorsementCredential`` or a ``BitstringStatusListCredential`` — unless
``expected=`` says otherwise. A CLR has each credential it includes verified on its own (the
``credentials`` check, and one entry per credential in ``report.children``).

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#verification
    https://www.imsglobal.org/spec/clr/v2p0/#clrcredential
"""

from __future__ import annotations

from openbadges.verification.keys import KeyPolicy
from openbadges.verification.pipeline import verify
from openbadges.verification.report import Check, CheckStatus, IncludedReport, VerificationReport
from openbadges.verification.structure import Expected

__all__ = [
    "Check",
    "CheckStatus",
    "Expected",
    "IncludedReport",
    "KeyPolicy",
    "VerificationReport",
    "verify",
]
