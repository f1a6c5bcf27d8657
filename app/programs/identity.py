"""Learner identity: one normal form for the e-mail or DID that names a learner (pure)."""

from __future__ import annotations

import unicodedata

from app.models import lengths


class InvalidIdentity(ValueError):
    """The value is neither an e-mail address nor a DID."""


def normalise_learner(value: str) -> str:
    """Return the canonical learner key: a DID as given, an e-mail trimmed and lower-cased.

    E-mail local parts are case-sensitive in theory, but every mail system our learners use
    treats them case-insensitively, and two awards for ``Li.Wei@…`` and ``li.wei@…`` must count
    towards the same program.
    """
    text = unicodedata.normalize("NFC", value.strip())
    if text.startswith("did:"):
        if len(text.split(":")) < 3 or any(c.isspace() for c in text):
            raise InvalidIdentity("a DID looks like did:<method>:<id>")
        if len(text) > lengths.DID:
            raise InvalidIdentity(f"a DID has at most {lengths.DID} characters here")
        return text
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in text):
        raise InvalidIdentity("expected an e-mail address or a DID")
    if len(text) > lengths.EMAIL:
        raise InvalidIdentity(f"an e-mail address has at most {lengths.EMAIL} characters")
    return text.lower()


def is_did(identity: str) -> bool:
    """Tell a DID from an e-mail identity (both already normalised)."""
    return identity.startswith("did:")
