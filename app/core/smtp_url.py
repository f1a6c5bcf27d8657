"""``BADGES_SMTP_URL``: where notification e-mail is submitted, as one URL.

The scheme says how the connection is protected, as RFC 8314 names the two ways:

* ``smtps://[user[:password]@]host[:port]`` — implicit TLS from the first byte ("submissions",
  RFC 8314 §3.3), port 465 by default;
* ``smtp://[user[:password]@]host[:port]?starttls=true`` — a plain connection upgraded with
  STARTTLS (RFC 3207) before anything else is said, port 587 by default; the upgrade is
  required: a server that does not offer it fails the attempt instead of receiving the
  message (and the password) in clear;
* ``smtp://host[:port]`` — no TLS, port 25 by default: a relay on this machine or in a trusted
  network. A user or password is refused here unless the host is a loopback address, so a
  password never crosses a network in clear.

Query parameters: ``starttls`` (``true``/``false``; ``smtp://`` only), ``timeout`` (seconds per
network operation, 1-120, default 10) and ``cafile`` (a PEM file of the certificates to trust
instead of the system's, for a relay with a private CA). The user and password are
percent-decoded (``%40`` for ``@``). Anything else is refused by name, so a typo cannot
silently weaken the connection. Authentication is SMTP AUTH (RFC 4954) with whatever mechanism
the server and :mod:`smtplib` share (CRAM-MD5, PLAIN, LOGIN), only after TLS when TLS is used.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

Security = Literal["tls", "starttls", "none"]
DEFAULT_TIMEOUT_S = 10.0
_KNOWN_PARAMETERS = frozenset({"starttls", "timeout", "cafile"})
_TRUE = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class SmtpUrlError(ValueError):
    """``BADGES_SMTP_URL`` cannot be used; the message says why (never quoting the password)."""


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """A parsed ``BADGES_SMTP_URL`` (the password is kept out of ``repr``)."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT_S
    cafile: Path | None = None

    @property
    def authenticates(self) -> bool:
        return self.username is not None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _flag(value: str) -> bool:
    try:
        return _TRUE[value.strip().lower()]
    except KeyError:
        raise SmtpUrlError(f"starttls must be true or false, not {value!r}") from None


def parse_smtp_url(url: str) -> SmtpConfig:
    """Read ``BADGES_SMTP_URL`` (see the module docstring); raises :class:`SmtpUrlError`."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise SmtpUrlError("BADGES_SMTP_URL is not a URL with a valid port") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise SmtpUrlError("BADGES_SMTP_URL must start with smtp:// or smtps://")
    host = parts.hostname
    if not host:
        raise SmtpUrlError("BADGES_SMTP_URL names no host")
    if parts.path not in ("", "/") or parts.fragment:
        raise SmtpUrlError("BADGES_SMTP_URL takes no path or fragment")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(query) - _KNOWN_PARAMETERS)
    if unknown:
        raise SmtpUrlError(
            f"BADGES_SMTP_URL: unknown parameter {unknown[0]!r} "
            f"(known: {', '.join(sorted(_KNOWN_PARAMETERS))})"
        )
    if scheme == "smtps":
        if "starttls" in query:
            raise SmtpUrlError("smtps:// is TLS from the start; starttls applies to smtp:// only")
        security: Security = "tls"
    else:
        security = "starttls" if _flag(query.get("starttls", "false")) else "none"
    default_port = {"tls": 465, "starttls": 587, "none": 25}[security]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and username is None:
        raise SmtpUrlError("BADGES_SMTP_URL has a password without a user")
    if username is not None and security == "none" and not _is_loopback(host):
        raise SmtpUrlError(
            "BADGES_SMTP_URL would send its password in clear: use smtps:// or "
            "smtp://…?starttls=true (or a relay on this machine)"
        )
    try:
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT_S))
    except ValueError:
        raise SmtpUrlError("BADGES_SMTP_URL: timeout must be a number of seconds") from None
    if not 1 <= timeout <= 120:
        raise SmtpUrlError("BADGES_SMTP_URL: timeout must be between 1 and 120 seconds")
    cafile = Path(query["cafile"]) if query.get("cafile") else None
    if cafile is not None and (security == "none" or not cafile.is_file()):
        raise SmtpUrlError(
            "BADGES_SMTP_URL: cafile must name a readable PEM file, with smtps:// or starttls"
        )
    return SmtpConfig(
        host=host,
        port=port or default_port,
        security=security,
        username=username,
        password=password,
        timeout=timeout,
        cafile=cafile,
    )
