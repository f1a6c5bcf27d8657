"""Submit one message over SMTP with the standard library's :mod:`smtplib`, and say how it went.

:mod:`smtplib` covers everything needed here (implicit TLS, STARTTLS, AUTH, per-recipient
replies) and runs in the relay's thread, outside any transaction, one connection per message.
Reply codes decide the outcome (RFC 5321 §4.2.1): a 5yz at MAIL, RCPT or DATA is permanent
(the mailbox does not exist, the message is refused: no retry, recorded on the credential); a
4yz, a dropped connection, a timeout or a TLS or authentication problem (the operator's to fix)
is retried on the outbox's schedule. The error text is the server's reply, never the password.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from app.core.smtp_url import SmtpConfig
from app.outbox.service import Outcome

MAX_ERROR = 500


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"[:MAX_ERROR]


def _refusal(stage: str, code: int, message: bytes | str) -> Outcome:
    """A reply code at ``stage`` as an outcome: 5yz permanent, anything else retried."""
    permanent = 500 <= code < 600
    kind = "refused" if permanent else "deferred"
    return Outcome(
        False, status=code, error=f"{kind} at {stage}: {_reply(code, message)}", retry=not permanent
    )


def _tls_context(config: SmtpConfig) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(config.cafile) if config.cafile else None)


def _connect(config: SmtpConfig, local_hostname: str) -> smtplib.SMTP:
    if config.security == "tls":
        return smtplib.SMTP_SSL(
            config.host,
            config.port,
            local_hostname=local_hostname,
            timeout=config.timeout,
            context=_tls_context(config),
        )
    return smtplib.SMTP(
        config.host, config.port, local_hostname=local_hostname, timeout=config.timeout
    )


def submit(
    config: SmtpConfig,
    message: EmailMessage,
    *,
    envelope_from: str,
    recipient: str,
    local_hostname: str,
) -> Outcome:
    """Send ``message`` to ``recipient``; the outcome the outbox records."""
    try:
        with _connect(config, local_hostname) as client:
            client.ehlo()
            if config.security == "starttls":
                client.starttls(context=_tls_context(config))  # raises when not offered
                client.ehlo()
            if config.username is not None:
                client.login(config.username, config.password or "")
            client.send_message(message, from_addr=envelope_from, to_addrs=[recipient])
            return Outcome(True, status=250)
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = error.recipients.get(recipient, next(iter(error.recipients.values())))
        return _refusal("RCPT", code, reply)
    except smtplib.SMTPSenderRefused as error:
        return _refusal("MAIL", error.smtp_code, error.smtp_error)
    except smtplib.SMTPDataError as error:
        return _refusal("DATA", error.smtp_code, error.smtp_error)
    except smtplib.SMTPAuthenticationError as error:
        return Outcome(
            False,
            status=error.smtp_code,
            error=f"authentication failed (check BADGES_SMTP_URL): {_reply(error.smtp_code, error.smtp_error)}",
        )
    except smtplib.SMTPNotSupportedError:
        return Outcome(
            False, error="the SMTP server does not offer STARTTLS (or AUTH) as configured"
        )
    except smtplib.SMTPResponseException as error:
        return Outcome(
            False, status=error.smtp_code, error=_reply(error.smtp_code, error.smtp_error)
        )
    except ssl.SSLError as error:
        return Outcome(
            False, error=f"TLS with the SMTP server failed: {error.reason or type(error).__name__}"
        )
    except (smtplib.SMTPException, OSError) as error:
        return Outcome(
            False, error=f"SMTP server unreachable: {type(error).__name__}: {error}"[:MAX_ERROR]
        )
