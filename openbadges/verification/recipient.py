"""The ``recipient`` check: is this credential about the person the verifier has in mind?

Run only when the caller supplies a known identifier (an email address, a DID, a URL …). It is
compared with ``credentialSubject.id`` and with each ``identifier[]`` IdentityObject: when the
value is an email address, entries of another ``identityType`` are skipped; hashed entries are
compared as ``<alg>$hex(alg(value + salt))`` by :func:`openbadges.model.identity_matches`.

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#verification (step 5, recipient)
    https://www.imsglobal.org/spec/ob/v3p0/#identityobject
"""

from __future__ import annotations

import re
from typing import Any

from openbadges.model import identity_matches
from openbadges.verification.report import Check

__all__ = ["check_recipient", "recipient_matches"]

_EMAIL = re.compile(r"^[^@\s:/]+@[^@\s/]+$")


def check_recipient(credential: dict[str, Any], recipient: str) -> Check:
    """Run the ``recipient`` check against a known identifier."""
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    for item in subjects:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("id"), str) and item["id"] == recipient.strip():
            return Check.make("recipient", "valid", "The credential subject id matches.")
        identifiers = item.get("identifier")
        for entry in identifiers if isinstance(identifiers, list) else [identifiers]:
            if isinstance(entry, dict) and recipient_matches(entry, recipient):
                kind = entry.get("identityType", "identifier")
                return Check.make(
                    "recipient", "valid", f"The recipient's {kind} matches the credential."
                )
    return Check.make(
        "recipient", "invalid", "The credential was not issued to the recipient given."
    )


def recipient_matches(entry: dict[str, Any], known: str) -> bool:
    """Compare a known value with one IdentityObject, honouring its ``identityType``.

    An email address (optionally written ``mailto:…``) only matches ``emailAddress`` entries
    and is also tried lower-cased, because issuers normalise addresses differently.
    """
    value = known.strip()
    email = value.removeprefix("mailto:")
    if _EMAIL.match(email):
        if entry.get("identityType") != "emailAddress":
            return False
        return any(identity_matches(entry, v) for v in dict.fromkeys((email, email.lower())))
    return identity_matches(entry, value)
