"""The optional second factor: TOTP (RFC 6238) codes from an authenticator app, via pyotp.

The shared secret must be read back to check a code, so it cannot be hashed: it is sealed at
rest (:mod:`app.core.sealing`, AES-256-GCM under a key derived from the KEK with its own HKDF
label), with the user's id as associated data, like webhook secrets. A code is accepted in the
30-second step before or after the current one (clock drift).

Enrolment on ``/console/me`` shows a new secret and keeps it, until confirmed with a code, only
in the page itself, sealed under another label (:func:`seal_pending`): nothing is stored until
the person proves their app has it.
"""

from __future__ import annotations

import base64

import pyotp

from app.core.context import AppContext
from app.core.sealing import Sealer, SealError
from app.models import StaffUser

_INFO = b"openbadges-service/console-totp/v1"
_PENDING_INFO = b"openbadges-service/console-totp-pending/v1"
ISSUER_LABEL = "Open Badges console"


def _sealer(context: AppContext, info: bytes = _INFO) -> Sealer:
    return Sealer(context.settings.kek_bytes(), info)


def new_secret() -> str:
    """A fresh base32 secret (160 bits)."""
    return pyotp.random_base32()


def uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER_LABEL)


def store(context: AppContext, user: StaffUser, secret: str | None) -> None:
    """Seal ``secret`` on the user's row, or clear it with None (the caller commits)."""
    if secret is None:
        user.totp_sealed = None
        user.totp_kek_id = None
        return
    user.totp_sealed = _sealer(context).seal(secret.encode("ascii"), user.id.bytes)
    user.totp_kek_id = context.keystore.kek_id


def enroll(context: AppContext, user: StaffUser) -> str:
    """Give ``user`` a new TOTP secret (the caller commits) and return its ``otpauth://`` URI
    (the CLI's way: no confirmation step)."""
    secret = new_secret()
    store(context, user, secret)
    return uri(secret, user.email)


def seal_pending(context: AppContext, user: StaffUser, secret: str) -> str:
    """A secret on its way through the enrolment form, sealed for this user (base64url)."""
    blob = _sealer(context, _PENDING_INFO).seal(secret.encode("ascii"), user.id.bytes)
    return base64.urlsafe_b64encode(blob).decode("ascii")


def open_pending(context: AppContext, user: StaffUser, sealed: str) -> str | None:
    """The secret :func:`seal_pending` sealed for this user, or None."""
    try:
        blob = base64.urlsafe_b64decode(sealed.encode("ascii"))
        return _sealer(context, _PENDING_INFO).open(blob, user.id.bytes).decode("ascii")
    except (SealError, ValueError, UnicodeError):
        return None


def required(user: StaffUser) -> bool:
    """True when ``user`` signs in with a code too."""
    return user.totp_sealed is not None


def code_matches(secret: str, code: str) -> bool:
    """Whether ``code`` is the current code of ``secret`` (one step of drift either way)."""
    digits = "".join(code.split())
    return (
        len(digits) == 6 and digits.isdigit() and pyotp.TOTP(secret).verify(digits, valid_window=1)
    )


def check(context: AppContext, user: StaffUser, code: str) -> bool:
    """Whether ``code`` is the user's current TOTP code (True when not enrolled). A secret that
    does not open (another KEK) refuses every code rather than letting anyone in without one."""
    if user.totp_sealed is None:
        return True
    if user.totp_kek_id != context.keystore.kek_id:
        return False
    try:
        secret = _sealer(context).open(user.totp_sealed, user.id.bytes).decode("ascii")
    except SealError:
        return False
    return code_matches(secret, code)
