"""Keep learner tokens out of every log line.

A learner link (``/learners/<token>``) and the learner API's ``?token=`` carry a bearer secret
in the URL, and uvicorn's access log writes every request's path and query string
(``'%s - "%s %s HTTP/%s" %d'``, the path being the third argument). :class:`RedactSecrets`
rewrites the message and its arguments in place before any handler formats them, keeping the
arguments' shape (uvicorn's own ``AccessFormatter`` unpacks them), so the token never reaches
a log line whichever formatter is used. :func:`configure_logging` installs it on the access
logger and on the handler every service logger writes to, in each ``badges serve`` worker
(every worker builds the app, which configures logging).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"


def _encoded(literal: str) -> str:
    """A pattern for ``literal`` with any of its characters possibly percent-encoded: uvicorn
    logs the path as sent (``raw_path``) and the query string undecoded, while the router
    and the query parser decode them, so ``/%6Cearners%2F<token>`` opens the link."""
    return "".join(
        f"(?:{re.escape(c)}|%{ord(c) >> 4:X}[{ord(c) & 15:X}{ord(c) & 15:x}])" for c in literal
    )


_LEARNER_PATH = re.compile(
    rf"({_encoded('/learners/')}|{_encoded('/claim/')}|{_encoded('/account/verify/')}"
    rf"|{_encoded('/console/invite/')}|{_encoded('/console/reset-password/')})"
    rf"(?!(?:me|link)(?=[/?#\s\"']|$))[^/?#\s\"'&]+"
)
"""A path segment after ``/learners/`` (the link token) or ``/claim/`` (a claim link's token,
:mod:`app.offers`), except the token-free ``me`` page and the issuers'
``/api/v1/learners/link`` endpoint; and after ``/account/verify/`` (a learner's sign-in
link, :mod:`app.accounts.service`), ``/console/invite/`` (a staff invitation,
:mod:`app.console.invitations`) and ``/console/reset-password/`` (a staff password reset,
:mod:`app.console.password_resets`)."""
_TOKEN_QUERY = re.compile(
    rf"((?<!\w)(?:{_encoded('token=')}|{_encoded('code=')}|{_encoded('state=')}))[^&#\s\"']+"
)
"""A ``token=`` query (or form) value, or an OAuth ``code=`` / ``state=`` (an authorization
code on its way to a callback, and the value that binds it), the name's letters possibly
percent-encoded
(``tok%65n=``: the query parser decodes names, so the service reads that as ``token``; uvicorn
logs the query string as sent)."""

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    """``text`` with tokens in ``/learners/…``, ``/claim/…`` and ``/account/verify/…`` paths
    and ``token=`` values replaced."""
    if (
        "=" not in text
        and "earners" not in text
        and "laim" not in text
        and "erify/" not in text
        and "nvite/" not in text
        and "%" not in text
    ):
        return text  # the common case costs six substring searches
    return _TOKEN_QUERY.sub(rf"\g<1>{REDACTED}", _LEARNER_PATH.sub(rf"\g<1>{REDACTED}", text))


def _redact_value(value: Any) -> Any:
    """A string redacted; another object replaced by its redacted text only if it held a token."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (int, float, bytes)):
        return value
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


class RedactSecrets(logging.Filter):
    """Redact learner tokens from a record's message, arguments and ``extra`` fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact_value(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redact_value(arg) for key, arg in record.args.items()}
        for key, value in list(record.__dict__.items()):
            if key not in _RESERVED and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def install(target: logging.Logger | logging.Handler) -> None:
    """Add the filter to a logger or handler once (configuring logging again adds no second)."""
    if not any(isinstance(f, RedactSecrets) for f in target.filters):
        target.addFilter(RedactSecrets())
