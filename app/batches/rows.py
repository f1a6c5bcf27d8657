"""Turn a cohort table's rows into issue requests, or into errors naming the row and column.

Each row becomes the same :class:`~app.credentials.schemas.CredentialIssue` that
``POST /api/v1/credentials`` takes, so a batch is validated by the very rules single issuance
uses (pydantic for the fields, :func:`app.achievements.results.validate_results` for results);
only the translation from spreadsheet text is here. Errors come back per row and column, all
of them, so the registrar fixes the sheet in one pass. Duplicates *within the file* are found
here; duplicates against credentials already issued need the database (the batch service).

The outcomes are yielded one by one: a 10,000-row file is never held as a list of requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from app.achievements.results import RESULT_STATUSES, validate_results
from app.achievements.service import achievement_document
from app.batches.input import RawRow, Table
from app.batches.template import BASE_COLUMNS, result_columns
from app.credentials.schemas import CredentialIssue, ProofFormat
from app.models import Achievement, lengths


@dataclass(frozen=True)
class ValidRow:
    """A row ready to issue; ``row_key`` (its ``rowKey``, else the row number) keys idempotency."""

    number: int
    row_key: str
    request: CredentialIssue


@dataclass(frozen=True)
class RowError:
    """One problem of one row (``row`` 1 is the header; ``None``: JSON rows' keys)."""

    row: int | None
    column: str | None
    message: str

    def as_problem(self) -> dict[str, Any]:
        """The entry of a problem body's ``errors`` array: ``{"row", "column", "message"}``."""
        return {"row": self.row, "column": self.column, "message": self.message}


RowOutcome = ValidRow | RowError

_SLASH_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(.*)$")
_FIELD_COLUMNS = frozenset({"validFrom", "validUntil", "creditsEarned", "term", "language"})


def validate_rows(
    table: Table,
    achievement: Achievement,
    *,
    base_url: str,
    proof: ProofFormat,
    default_language: str | None = None,
    allow_duplicate_recipients: bool = False,
) -> Iterator[RowOutcome]:
    """Yield, per non-empty row, a :class:`ValidRow` or its :class:`RowError`\\s (first any
    header errors); :class:`~app.batches.input.BatchInputError` from reading the file passes
    through.

    Args:
        table: the parsed upload (its rows are consumed).
        achievement: the version the batch issues; requests name its ``lineage_id``.
        base_url: the service origin, to check results against the achievement's OB JSON.
        proof: the proof format every request asks for.
        default_language: the batch's ``language`` for rows that leave the column empty.
        allow_duplicate_recipients: accept the same email/did in several rows (``rowKey``s
            must still be unique: they key idempotency).
    """
    columns = _Columns(table.header, achievement)
    yield from (RowError(table.header_row, name, message) for name, message in columns.problems)
    document = achievement_document(base_url, achievement)
    seen = _Seen(allow_duplicate_recipients)
    for raw in table.rows:
        errors: list[RowError] = []
        request = _request(raw, columns, document, achievement, proof, default_language, errors)
        key = columns.value(raw, "rowKey") or str(raw.number)
        if len(key) > lengths.ROW_KEY or "\x00" in key:
            message = f"rowKey must be at most {lengths.ROW_KEY} characters, without NUL."
            errors.append(RowError(raw.number, columns.header("rowKey"), message))
        errors.extend(seen.check(raw.number, key, request, columns))
        if errors or request is None:
            yield from errors
        else:
            yield ValidRow(raw.number, key, request)


class _Columns:
    """The header mapped to what each column means, and the header's own problems."""

    def __init__(self, header: list[str], achievement: Achievement) -> None:
        fixed = {name.lower(): name for name in BASE_COLUMNS}
        results = {name.lower(): (name, rd) for name, rd in result_columns(achievement)}
        self.fixed: dict[str, str] = {}  # canonical name -> header as written
        self.results: list[tuple[str, dict[str, Any]]] = []  # (header as written, description)
        self.problems: list[tuple[str | None, str]] = []
        for name in header:
            key = name.strip().lower()
            if key in fixed:
                self.fixed[fixed[key]] = name
            elif key in results:
                self.results.append((name, results[key][1]))
            else:
                known = [*BASE_COLUMNS[:8], *(n for n, _ in results.values()), *BASE_COLUMNS[8:]]
                self.problems.append(
                    (name, f"Unknown column {name!r}; the columns are: {', '.join(known)}.")
                )
        if "email" not in self.fixed and "did" not in self.fixed:
            self.problems.append((None, "The header needs an email or a did column."))

    def value(self, raw: RawRow, canonical: str) -> str:
        """The trimmed cell of a fixed column ("" when absent)."""
        header = self.fixed.get(canonical)
        return raw.values.get(header, "").strip() if header else ""

    def header(self, canonical: str) -> str:
        """The column as the user wrote it (for error messages)."""
        return self.fixed.get(canonical, canonical)


def _request(
    raw: RawRow,
    columns: _Columns,
    document: Mapping[str, Any],
    achievement: Achievement,
    proof: ProofFormat,
    default_language: str | None,
    errors: list[RowError],
) -> CredentialIssue | None:
    """The row as a validated request, or ``None`` with ``errors`` filled."""
    for name in raw.values:
        if name.startswith("(column ") and raw.values[name].strip():
            errors.append(RowError(raw.number, name, "This cell is outside the header's columns."))
    recipient = {
        field: value for field in ("email", "name", "did") if (value := columns.value(raw, field))
    }
    payload: dict[str, Any] = {
        "achievementId": achievement.lineage_id,
        "recipient": recipient,
        "proof": proof,
    }
    language = columns.value(raw, "language") or default_language
    if language:
        payload["language"] = language
    for canonical in ("validFrom", "validUntil"):
        text = columns.value(raw, canonical)
        if text:
            try:
                payload[canonical] = _timestamp(text)
            except ValueError:
                errors.append(
                    RowError(
                        raw.number,
                        columns.header(canonical),
                        f"{text!r} is not a date (2026-06-30) or date-time (2026-06-30T09:00:00+08:00).",
                    )
                )
    credits = columns.value(raw, "creditsEarned")
    if credits:
        try:
            payload["creditsEarned"] = float(credits)
        except ValueError:
            errors.append(
                RowError(
                    raw.number, columns.header("creditsEarned"), f"{credits!r} is not a number."
                )
            )
    if term := columns.value(raw, "term"):
        payload["term"] = term
    results, result_headers = _results(raw, columns, errors)
    payload["results"] = results
    url, narrative = columns.value(raw, "evidenceUrl"), columns.value(raw, "evidenceNarrative")
    if url or narrative:
        payload["evidence"] = [{"id": url or None, "narrative": narrative or None}]
    request: CredentialIssue | None = None
    try:
        request = CredentialIssue.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors():
            column = _column_of(error["loc"], columns, result_headers)
            errors.append(RowError(raw.number, column, _message(error)))
    flagged = {(e.row, e.column) for e in errors}
    for path, message in validate_results(document, results):
        position = int(path.split("[", 1)[1].split("]", 1)[0])
        if (raw.number, result_headers[position]) not in flagged:  # not twice for one cell
            errors.append(RowError(raw.number, result_headers[position], message))
    if request is not None:
        _check_validity(raw.number, request, columns, errors)
    return None if errors else request


def _results(
    raw: RawRow, columns: _Columns, errors: list[RowError]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Results (OB JSON shape) from the result columns, and the column of each."""
    results: list[dict[str, Any]] = []
    headers: list[str] = []
    for header, description in columns.results:
        text = raw.values.get(header, "").strip()
        if not text:
            continue
        result: dict[str, Any] = {"resultDescription": description.get("id")}
        level = _level(description, text)
        if level is not None:
            result["achievedLevel"] = level
        elif description.get("resultType") == "RubricCriterionLevel":
            names = [str(lvl.get("name")) for lvl in description.get("rubricCriterionLevel") or []]
            errors.append(
                RowError(
                    raw.number,
                    header,
                    f"Unknown level {text!r}; the levels are: {', '.join(names)}.",
                )
            )
            continue
        elif description.get("resultType") == "Status":
            statuses = {status.lower(): status for status in RESULT_STATUSES}
            result["status"] = statuses.get(text.lower(), text)
        else:
            result["value"] = text
        results.append(result)
        headers.append(header)
    return results, headers


def _level(description: Mapping[str, Any], text: str) -> str | None:
    """The id of the rubric level ``text`` names (by name or id, case aside), if any."""
    wanted = text.casefold()
    for level in description.get("rubricCriterionLevel") or []:
        if not isinstance(level, dict):
            continue
        names = (level.get("id"), level.get("name"))
        if any(isinstance(name, str) and name.casefold() == wanted for name in names):
            return str(level["id"])
    return None


def _timestamp(text: str) -> datetime:
    """A date (midnight UTC), or a date-time (UTC when it has no offset); 2026/6/30 as Excel
    writes it in Chinese locales is read too."""
    match = _SLASH_DATE.match(text)
    if match:
        year, month, day, rest = match.groups()
        text = f"{year}-{int(month):02d}-{int(day):02d}{rest}"
    if len(text) == 10:
        day_only = date.fromisoformat(text)
        return datetime(day_only.year, day_only.month, day_only.day, tzinfo=UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _check_validity(
    number: int, request: CredentialIssue, columns: _Columns, errors: list[RowError]
) -> None:
    """validUntil after validFrom (or after now when validFrom is empty), as issuing requires."""
    if request.valid_until is None:
        return
    start = request.valid_from or datetime.now(UTC)
    if request.valid_until <= start:
        later = "validFrom" if request.valid_from is not None else "now"
        errors.append(
            RowError(
                number, columns.header("validUntil"), f"validUntil must be later than {later}."
            )
        )


def _column_of(
    loc: tuple[int | str, ...], columns: _Columns, result_headers: list[str]
) -> str | None:
    """The sheet column a pydantic error location points at."""
    if not loc:
        return None
    head = loc[0]
    if head == "recipient":
        field = str(loc[1]) if len(loc) > 1 else "email"
        return columns.header(field if field in ("email", "name", "did") else "email")
    if head == "results" and len(loc) > 1 and isinstance(loc[1], int):
        return result_headers[loc[1]]
    if head == "evidence":
        part = loc[2] if len(loc) > 2 else "id"
        return columns.header("evidenceNarrative" if part == "narrative" else "evidenceUrl")
    if isinstance(head, str) and head in _FIELD_COLUMNS:
        return columns.header(head)
    return None


def _message(error: Mapping[str, Any]) -> str:
    """pydantic's message without its "Value error, " prefix."""
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


class _Seen:
    """Recipients and row keys already met in the file, to report duplicates by row."""

    def __init__(self, allow_duplicate_recipients: bool) -> None:
        self.allow_recipients = allow_duplicate_recipients
        self.recipients: dict[tuple[str, str], int] = {}
        self.keys: dict[str, int] = {}

    def check(
        self, number: int, key: str, request: CredentialIssue | None, columns: _Columns
    ) -> list[RowError]:
        """Errors for a key or recipient seen in an earlier row; remembers this row's."""
        found: list[RowError] = []
        first = self.keys.setdefault(key, number)
        if first != number:
            found.append(
                RowError(
                    number,
                    columns.header("rowKey"),
                    f"rowKey {key!r} is also the key of row {first}.",
                )
            )
        if request is None or self.allow_recipients:
            return found
        for field, value in (("email", request.recipient.email), ("did", request.recipient.did)):
            if value is None:
                continue
            first = self.recipients.setdefault((field, value), number)
            if first != number:
                found.append(
                    RowError(
                        number,
                        columns.header(field),
                        f"{field} {value} is also the recipient of row {first}.",
                    )
                )
        return found
