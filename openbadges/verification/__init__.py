"""The verifier, one module per concern; :func:`openbadges.verify.verify` is the entry point.

* :mod:`~openbadges.verification.report` — ``Check``, ``VerificationReport``, the verdict rule.
* :mod:`~openbadges.verification.sniff` — ``format``: JSON / JWT / PNG / SVG from content.
* :mod:`~openbadges.verification.structure` — ``structure``: contexts, types, issuer, subject.
* :mod:`~openbadges.verification.schema` — ``schema``: which credentialSchema entries applied.
* :mod:`~openbadges.verification.proof` — ``proof`` and ``issuer_key``.
* :mod:`~openbadges.verification.keys` — key discovery and the binding policies.
* :mod:`~openbadges.verification.status` — ``revocation`` and ``suspension``.
* :mod:`~openbadges.verification.validity` — ``validity``: the validity period against ``now``.
* :mod:`~openbadges.verification.recipient` — ``recipient``.
* :mod:`~openbadges.verification.clr` — the CLR 2.0 rules of ``structure``.
* :mod:`~openbadges.verification.included` — ``credentials``: a CLR's included credentials.
* :mod:`~openbadges.verification.nodes` — small JSON readers shared by the checks.
* :mod:`~openbadges.verification.endorsements` — ``endorsements``.
* :mod:`~openbadges.verification.pipeline` — runs them all.
"""
