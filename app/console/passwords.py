"""Staff passwords: Argon2id hashes through pwdlib (a maintained wrapper of argon2-cffi).

pwdlib's recommended hasher is Argon2id with argon2-cffi's RFC 9106 "low memory" parameters;
``verify_and_update`` tells when a stored hash was made with weaker parameters, so it can be
replaced at the next sign-in. An unknown e-mail address still costs one verification
(:func:`burn`), so the time of an answer does not tell whether an account exists.
"""

from __future__ import annotations

from pwdlib import PasswordHash

MIN_LENGTH = 10
"""Shortest password accepted (NIST SP 800-63B §5.1.1.2: at least 8; we ask 10)."""
MAX_LENGTH = 256
"""Longest accepted: Argon2 takes any length, the cap keeps a request's cost bounded."""


_HASHER = PasswordHash.recommended()
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$wINGPgBgEJiBpz2UwAtyxg$B5992Q1609Ru6HFN9xi3Xxfl2tBLRJNF+csQGbgwHdg"
"""A hash of no one's password with the recommended parameters (m=64 MiB, t=3, p=4): the decoy
:func:`burn` verifies against. A literal, so no process hashes at import or keeps a memo."""


def _hasher() -> PasswordHash:
    return _HASHER


def _dummy_hash() -> str:
    return _DUMMY_HASH


def hash_password(password: str) -> str:
    """The Argon2id PHC string of ``password``."""
    return _hasher().hash(password)


def verify(password: str, stored: str | None) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored`` and, when it does but the hash is outdated, the
    hash to store instead. A missing hash still spends one verification."""
    if stored is None:
        burn(password)
        return False, None
    valid, updated = _hasher().verify_and_update(password, stored)
    return bool(valid), updated


def burn(password: str) -> None:
    """Spend one verification's time on a decoy hash (unknown e-mail, locked account)."""
    _hasher().verify(password, _dummy_hash())


def problem(password: str) -> str | None:
    """Why ``password`` cannot be used (a message key of ``console.password.*``), else None."""
    if len(password) < MIN_LENGTH:
        return "console.password.short"
    if len(password) > MAX_LENGTH:
        return "console.password.long"
    return None
