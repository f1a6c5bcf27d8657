"""Service settings (``BADGES_`` environment variables) and the development secret bootstrap.

Two secrets matter: the admin token and the key-encryption key (KEK) that wraps issuers' private
keys at rest. The KEK is deliberately *not* a general app secret: rotating a session secret must
never make every signing key unreadable (a peer project lost its keys exactly that way).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.secret_strength import MIN_KEK_BITS, MIN_TOKEN_BITS, weakness
from app.core.smtp_url import SmtpUrlError, parse_smtp_url

KEK_FILE_NAME = "key-encryption-key"
_MAIL_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[A-Za-z0-9.-]+$")
MAX_BOUNCE_LOCAL_PART = 21
"""64 octets (RFC 5321 §4.5.3.1.1) less ``+`` and the 42 characters of a bounce token."""
DEV_SECRETS_FILE = "dev-secrets.json"
KEK_HINT = "python -c 'import secrets,base64; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'"
TOKEN_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class Environment(StrEnum):
    """Where the service runs; only development may invent its own secrets."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class InsecureSettingsError(RuntimeError):
    """A secret is missing or too weak outside development; the message names the fix."""


class Settings(BaseSettings):
    """All configuration of the service; read once from the environment (and ``.env``)."""

    model_config = SettingsConfigDict(env_prefix="BADGES_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("data")
    database_url: str = ""
    base_url: str = "http://127.0.0.1:8000"
    admin_token: SecretStr | None = None
    key_encryption_key: SecretStr | None = None
    keys_dir: Path | None = None
    service_name: str | None = Field(default=None, min_length=1, max_length=100)
    """What the pages call this service (header, titles, footer); unset: "Open Badges" in the
    page's language. A credential's own page leads with its issuer's name and logo instead."""
    max_body_bytes: int = Field(default=1_000_000, ge=1_024)
    allow_private_fetch: bool = False
    status_list_ttl_seconds: int = Field(default=300, ge=0)
    signing_threads: int = Field(default=3, ge=1, le=64)
    """Threads per worker process that may issue (assemble, sign, store) at once; further
    issuing requests wait their turn in order (see :mod:`app.serving.lanes`)."""
    verify_threads: int = Field(default=2, ge=1, le=16)
    """Threads per worker that run public verification (``POST /api/v1/verify``, ``/verify``),
    apart from issuing's and pages' threads (see :mod:`app.verification.admission`)."""
    verify_queue: int = Field(default=16, ge=0, le=10_000)
    """Verifications that may wait for a verify thread; the next get 503 with Retry-After."""
    verify_rate_per_minute: float = Field(default=60, ge=0)
    """Verifications per minute per anonymous client address and worker (0: no limit)."""
    verify_burst: int = Field(default=20, ge=1)
    verify_authenticated_rate_per_minute: float = Field(default=600, ge=0)
    """The same for a caller with an issuer API key or the admin token (0: no limit)."""
    verify_authenticated_burst: int = Field(default=60, ge=1)
    batch_max_rows: int = Field(default=20_000, ge=1)
    """Data rows one batch upload (CSV, XLSX or JSON ``rows``) may hold (see :mod:`app.batches`)."""
    batch_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1_024)
    """Bytes one batch file may have; an XLSX's unpacked parts are bounded separately."""
    claim_link_days: int = Field(default=30, ge=1, le=3650)
    """Days a learner's claim link (``/claim/{token}``) works; the credential never expires
    with it (see :mod:`app.offers`)."""
    claim_rate_per_minute: float = Field(default=30, ge=0)
    """Claim-page views per minute per client address and worker (a view writes nothing, but
    checks a token and renders QR codes); 429 with ``Retry-After`` beyond; 0: no limit."""
    claim_burst: int = Field(default=10, ge=1)
    """Claim-page views one address may make at once before the per-minute rate applies."""
    sign_in_emails_per_hour: int = Field(default=5, ge=0)
    """Sign-in (and address-verification) e-mails one address may be sent per hour, counted
    across workers in the database; 429 with ``Retry-After`` beyond; 0: no limit."""
    address_emails_per_hour: int = Field(default=10, ge=0)
    """Address-verification e-mails one account may have sent per hour (whatever the
    addresses), counted across workers in the database; 429 with ``Retry-After`` beyond; 0: no
    limit."""
    sign_in_rate_per_hour: float = Field(default=30, ge=0)
    """Sign-in e-mail requests per hour per client address and worker (a script cannot use
    the form to mail many addresses); 429 with ``Retry-After`` beyond; 0: no limit."""
    sign_in_burst: int = Field(default=10, ge=1)
    """Sign-in e-mail requests one client address may make at once before the hourly rate
    applies."""
    claim_max_holders: int = Field(default=2, ge=1, le=20)
    """Wallets (holder DIDs) one credential may be copied into through its claim links: a
    learner's phone and laptop, not whoever a forwarded e-mail reaches."""
    job_runner: Literal["auto", "embedded", "procrastinate"] = "auto"
    """Who processes batches: ``embedded`` (a thread of the service), ``procrastinate``
    (``badges worker`` processes; PostgreSQL only); ``auto``: embedded on SQLite,
    procrastinate on PostgreSQL (see :mod:`app.jobs`)."""
    outbox_poll_s: float = Field(default=2.0, gt=0, le=60)
    """How often the outbox relay looks for deliveries that are due and for events recorded by
    other processes (a commit in its own process wakes it at once)."""
    outbox_retention_days: int = Field(default=30, ge=1, le=3650)
    """Days sent, failed and cancelled deliveries (and their events) are kept, for the
    deliveries lists and the credential's notifications; then the relay deletes them."""
    outbox_relay: bool = True
    """Run the outbox relay in this process (the service on the embedded default, and every
    ``badges worker``). Tests switch it off and drive deliveries with ``outbox.run_once``."""
    webhook_attempt_deadline_s: float = Field(default=30.0, gt=0, le=60)
    """Wall-clock seconds one webhook attempt may take in all (connect, send, the answer's
    headers and the first bytes of its body), however slowly the receiver drips them; at most
    half the outbox lease (``app.outbox.service.LEASE_S``, 120 s), so that no other relay takes
    the delivery over and sends it again while the attempt is still running. A late attempt is
    a failed one, retried on the outbox's schedule."""
    smtp_url: SecretStr | None = None
    """Where notification e-mail is submitted (``smtps://user:pass@host:465``,
    ``smtp://user:pass@host:587?starttls=true``, ``smtp://localhost:25``: see
    :mod:`app.core.smtp_url`). Unset: no e-mail, except in development, where messages go to
    the local mailbox at ``/dev/mail``."""
    mail_from: str | None = Field(default=None, max_length=320)
    """The envelope sender and ``From`` address of notification e-mail (each issuer's name is
    its display name); default ``noreply@`` the host of ``BADGES_BASE_URL``."""
    mail_bounce_address: str | None = Field(default=None, max_length=320)
    """Where bounces of notification e-mail go (``bounces@uni.example``): each message's
    envelope sender becomes ``bounces+<token>@uni.example`` (VERP, the token naming its
    delivery under an HMAC), and ``badges mail bounce`` records what comes back there (see
    :mod:`app.mail.bounces`). Unset: the envelope sender is ``mail_from``."""
    mail_daily_quota: int = Field(default=10_000, ge=0)
    """E-mails one issuer may send per UTC day unless the admin sets its own quota; further
    ones fail, each saying so (0: none)."""
    mail_rate_per_minute: float = Field(default=600, ge=0)
    """E-mails per minute one issuer's messages are spread to beyond ``mail_burst`` (0: no
    pacing)."""
    mail_burst: int = Field(default=100, ge=1)
    """E-mails an issuer may send at once before the per-minute rate paces the rest."""
    wallet_tx_code: bool = False
    """OpenID4VCI offers ask the wallet for a six-digit code, e-mailed to the learner when a
    wallet fetches the offer (once per pre-authorized code; see :mod:`app.wallets`)."""
    wallet_code_ttl_s: int = Field(default=600, ge=30, le=86_400)
    """How long an OpenID4VCI pre-authorized code and a VC-API exchange stay usable once a
    wallet has opened the link (single use either way; never past the offer's own expiry),
    see :mod:`app.wallets`."""
    wallet_rate_per_minute: float = Field(default=120, ge=0)
    """Requests per minute per client address and worker to the public wallet endpoints
    (token, nonce, credential, exchange; 0: no limit)."""
    wallet_burst: int = Field(default=60, ge=1)
    obapi_rate_per_minute: float = Field(default=60, ge=0)
    """Requests per minute per client address and worker to the Open Badges API's OAuth
    endpoints (registration, token, revocation; 0: no limit)."""
    obapi_burst: int = Field(default=30, ge=1)
    hosted_max_credentials: int = Field(default=1000, ge=1)
    """How many credentials one learner account may keep in the hosted store (uploads and the
    Open Badges API's upserts together); replacing one it has is no new one."""
    hosted_max_bytes: int = Field(default=20_000_000, ge=1)
    """The total size in bytes of one account's hosted credentials (stored JSON and JWS)."""
    privacy_policy_url: str = ""
    """The service's privacy policy, named in the Open Badges API's discovery document
    (``x-imssf-privacyPolicyUrl``); unset: the home page."""
    terms_of_service_url: str = ""
    """The service's terms of service (discovery's ``termsOfService``); unset: the home page."""
    service_image_url: str = ""
    """An image (logo) of the service for the discovery document's ``x-imssf-image``."""
    log_level: str = "INFO"

    @field_validator("smtp_url")
    @classmethod
    def _valid_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse an unusable SMTP URL at start-up, not at the first e-mail. Raised as
        :class:`InsecureSettingsError`, not a validation error: pydantic would print the
        input, password and all."""
        if value is not None and value.get_secret_value().strip():
            try:
                parse_smtp_url(value.get_secret_value())
            except SmtpUrlError as error:
                raise InsecureSettingsError(str(error)) from None
            return value
        return None

    @field_validator("mail_from")
    @classmethod
    def _valid_mail_from(cls, value: str | None) -> str | None:
        if value is not None and not _MAIL_ADDRESS.match(value.strip()):
            raise ValueError("BADGES_MAIL_FROM must be a bare address such as badges@uni.example")
        return value.strip() if value else None

    @field_validator("mail_bounce_address")
    @classmethod
    def _valid_mail_bounce_address(cls, value: str | None) -> str | None:
        value = value.strip() if value else None
        if value is None:
            return None
        if not _MAIL_ADDRESS.match(value) or len(value.split("@")[0]) > MAX_BOUNCE_LOCAL_PART:
            raise ValueError(
                "BADGES_MAIL_BOUNCE_ADDRESS must be a bare address such as bounces@uni.example "
                f"whose local part has at most {MAX_BOUNCE_LOCAL_PART} characters (a 43-character "
                "+token is added to it, and a local part may have 64)"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_base_url(cls, value: str) -> str:
        """Ids are built as ``base_url + path``: a trailing slash would double it."""
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("BADGES_BASE_URL must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _default_database_url(self) -> Settings:
        """Default to an SQLite file in the data folder (the embedded setup)."""
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'badges.db').as_posix()}"
        return self

    @property
    def uses_workers(self) -> bool:
        """True when batches are processed by ``badges worker`` processes, not in-process."""
        if self.job_runner == "auto":
            return not self.is_sqlite
        return self.job_runner == "procrastinate"

    @property
    def is_sqlite(self) -> bool:
        """True when the configured database is SQLite (locking and pragmas differ)."""
        return self.database_url.startswith("sqlite")

    def kek_bytes(self) -> bytes:
        """The 32-byte key-encryption key, from the variable or from ``BADGES_KEYS_DIR``."""
        raw = self.key_encryption_key.get_secret_value() if self.key_encryption_key else None
        if raw is None and self.keys_dir is not None:
            path = self.keys_dir / KEK_FILE_NAME
            if path.is_file():
                raw = path.read_text(encoding="ascii").strip()
        if not raw:
            raise InsecureSettingsError(
                f"No key-encryption key: set BADGES_KEY_ENCRYPTION_KEY or put it in "
                f"BADGES_KEYS_DIR/{KEK_FILE_NAME}. Generate one with: {KEK_HINT}"
            )
        return decode_kek(raw)

    def admin_token_value(self) -> str:
        """The admin bearer token (raises when none is configured)."""
        if self.admin_token is None:
            raise InsecureSettingsError(f"Set BADGES_ADMIN_TOKEN; generate one with: {TOKEN_HINT}")
        return self.admin_token.get_secret_value()


def decode_kek(raw: str) -> bytes:
    """Accept the KEK as base64url (padded or not) or hex; it must hold exactly 32 bytes."""
    raw = raw.strip()
    candidates: list[bytes] = []
    try:
        candidates.append(bytes.fromhex(raw))
    except ValueError:
        pass
    try:
        candidates.append(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        pass
    for candidate in candidates:
        if len(candidate) == 32:
            return candidate
    raise InsecureSettingsError(
        f"The key-encryption key must be 32 random bytes (base64url or hex). Generate one with: {KEK_HINT}"
    )


def _load_dev_secrets(path: Path) -> dict[str, Any]:
    """Read the persisted development secrets, or an empty dict when there are none yet."""
    if path.is_file():
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            return loaded
    return {}


def _write_private(path: Path, content: str) -> None:
    """Write a file readable by the owner only (created with mode 0600, never widened)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)


def ensure_secrets(settings: Settings) -> tuple[Settings, list[str]]:
    """Return settings whose secrets are present, and the names of secrets generated now.

    In development a missing admin token or KEK is generated once and persisted in
    ``data_dir/dev-secrets.json`` so restarts keep working (and keys stay readable). Outside
    development nothing is generated: a missing or weak secret raises with the fix in the message.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.environment is not Environment.DEVELOPMENT:
        _enforce_production_secrets(settings)
        return settings, []
    path = settings.data_dir / DEV_SECRETS_FILE
    stored = _load_dev_secrets(path)
    generated: list[str] = []
    update: dict[str, Any] = {}
    if settings.admin_token is None:
        if "admin_token" not in stored:
            stored["admin_token"] = secrets.token_urlsafe(32)
            generated.append("BADGES_ADMIN_TOKEN")
        update["admin_token"] = SecretStr(stored["admin_token"])
    if settings.key_encryption_key is None and not _kek_file_exists(settings):
        if "key_encryption_key" not in stored:
            stored["key_encryption_key"] = base64.urlsafe_b64encode(
                secrets.token_bytes(32)
            ).decode()
            generated.append("BADGES_KEY_ENCRYPTION_KEY")
        update["key_encryption_key"] = SecretStr(stored["key_encryption_key"])
    if generated:
        _write_private(path, json.dumps(stored, indent=2))
    return settings.model_copy(update=update), generated


def _kek_file_exists(settings: Settings) -> bool:
    """True when ``BADGES_KEYS_DIR`` holds a KEK file."""
    return settings.keys_dir is not None and (settings.keys_dir / KEK_FILE_NAME).is_file()


def _enforce_production_secrets(settings: Settings) -> None:
    """Refuse to start with a missing, short or made-up admin token or KEK (rules and
    thresholds: :mod:`app.core.secret_strength`)."""
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if len(token) < 24:
        raise InsecureSettingsError(
            "BADGES_ADMIN_TOKEN is missing or shorter than 24 characters. "
            f"Generate one with: {TOKEN_HINT}"
        )
    kek = settings.kek_bytes()  # missing or malformed: that message first
    reason = weakness(token, min_bits=MIN_TOKEN_BITS)
    if reason is not None:
        raise InsecureSettingsError(
            f"BADGES_ADMIN_TOKEN does not look random ({reason}). Generate one with: {TOKEN_HINT}"
        )
    reason = weakness(kek, min_bits=MIN_KEK_BITS, unit="byte")
    if reason is not None:
        source = f"BADGES_KEYS_DIR/{KEK_FILE_NAME}"
        if settings.key_encryption_key:
            source = "BADGES_KEY_ENCRYPTION_KEY"
        raise InsecureSettingsError(
            f"The key-encryption key in {source} does not look random ({reason}). "
            f"Generate one with: {KEK_HINT}"
        )
    if not settings.base_url.startswith("https://"):
        raise InsecureSettingsError("BADGES_BASE_URL must be an https:// origin in production.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, secrets ensured (cached: read the environment once)."""
    settings, _ = ensure_secrets(Settings())
    return settings
