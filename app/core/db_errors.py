"""What a database error means for the client (outage or bug) and what may be logged of it.

Two rules (issue 9, items 5 and 16):

* **An outage is a 503, not a 500.** A refused or broken connection, a server shutting down,
  an exhausted pool or a database that does not accept connections is the client's cue to try
  again shortly, so it is answered ``503`` with ``Retry-After`` (``app.core.errors``) — and
  answered, not raised past the framework, so the keep-alive connection stays usable.
* **Logs carry no values.** A driver's message quotes the values it refused (PostgreSQL's
  ``DETAIL: Key (token_hash)=(…) already exists``, a recipient e-mail), and SQLAlchemy's adds
  the bound parameters. What is logged is only :func:`describe`: the error classes, the
  SQLSTATE (PostgreSQL) or SQLite result code, the constraint name and the statement's verb and
  first table — enough to find the bug, nothing a client sent.
"""

from __future__ import annotations

import re
import traceback
from typing import Any

from sqlalchemy import exc

_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57", "58"})
"""SQLSTATE classes of an unreachable or unwilling server: connection exception, insufficient
resources (too many connections, disk full), operator intervention (shutdown, terminated
backend, query cancelled), system error (PostgreSQL appendix A, errcodes)."""

_SQLITE_UNAVAILABLE = frozenset({5, 6, 8, 10, 11, 13, 14, 15, 26})
"""SQLite primary result codes that mean the file cannot be used now: BUSY, LOCKED, READONLY,
IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOTADB (https://www.sqlite.org/rescode.html).
``SQLITE_ERROR`` (1: "no such table", a syntax error) is a bug of ours and stays a 500."""

_STATEMENT_HEAD = re.compile(
    r"^\s*(?P<verb>[A-Za-z]+)\b(?:.*?\b(?:FROM|INTO|UPDATE|JOIN)\s+(?P<table>[A-Za-z_][\w.]*))?",
    re.DOTALL,
)


def sqlstate(error: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE (psycopg's ``sqlstate``) or ``SQLITE_<name>`` of ``error``."""
    orig = getattr(error, "orig", error)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(code, str):
        return code
    name = getattr(orig, "sqlite_errorname", None)
    return name if isinstance(name, str) else None


def _sqlite_primary_code(error: BaseException) -> int | None:
    code = getattr(getattr(error, "orig", error), "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database cannot be reached or used just now."""
    if isinstance(error, exc.TimeoutError | exc.DisconnectionError):
        return True  # the pool had no connection to give, or could not make one
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, exc.OperationalError | exc.InterfaceError):
        return False
    sqlite_code = _sqlite_primary_code(error)
    if sqlite_code is not None:
        return sqlite_code in _SQLITE_UNAVAILABLE
    code = sqlstate(error)
    if code is None:  # psycopg raises connection failures without a SQLSTATE
        return isinstance(error, exc.OperationalError)
    return code[:2] in _UNAVAILABLE_SQLSTATE_CLASSES


def statement_class(statement: str | None) -> str | None:
    """``"INSERT credentials"``: the statement's verb and first table, never its values."""
    if not statement:
        return None
    match = _STATEMENT_HEAD.match(statement)
    if match is None:
        return None
    verb, table = match["verb"].upper(), match["table"]
    return f"{verb} {table}" if table else verb


def describe(error: BaseException) -> dict[str, Any]:
    """Log fields of a database error that carry no value a client sent.

    The message is left out on purpose (it quotes values); the stack is the frames only
    (file, line, function, source line), without the exception text.
    """
    orig = getattr(error, "orig", None)
    fields: dict[str, Any] = {"db_error": type(error).__name__}
    if orig is not None:
        fields["db_driver_error"] = f"{type(orig).__module__}.{type(orig).__qualname__}"
    code = sqlstate(error)
    if code is not None:
        fields["db_code"] = code
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint:
        fields["db_constraint"] = constraint
    kind = statement_class(getattr(error, "statement", None))
    if kind is not None:
        fields["db_statement"] = kind
    fields["stack"] = "".join(traceback.format_tb(error.__traceback__))
    return fields
