"""The ``validity`` check: is *now* inside the credential's validity period?

VC 2.0 ``validFrom``/``validUntil`` (VC 1.1 ``issuanceDate``/``expirationDate``), and for a VC-JWT
also the ``nbf``/``exp`` claims. The clock is injected (``now``), so results are reproducible.

Specs:
    https://www.w3.org/TR/vc-data-model-2.0/#validity-period
    https://www.imsglobal.org/spec/ob/v3p0/#verification (step 4, status)
    https://www.rfc-editor.org/rfc/rfc7519#section-4.1.4 (exp) and #section-4.1.5 (nbf)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from openbadges.verification.report import Check

__all__ = ["check_validity", "parse_date"]


def parse_date(value: object) -> datetime | None:
    """Parse an xsd:dateTime; a value without a time zone is read as UTC.

    Returns:
        The aware datetime, or ``None`` when the value is not a date-time string.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_validity(
    credential: dict[str, Any], now: datetime, claims: Mapping[str, Any] | None = None
) -> Check:
    """Run the ``validity`` check.

    Args:
        credential: the credential JSON.
        now: the moment to judge (aware datetime).
        claims: the JWT claims set when the credential came as a VC-JWT.
    """
    start_name = "validFrom" if "validFrom" in credential else "issuanceDate"
    end_name = "validUntil" if "validUntil" in credential else "expirationDate"
    bounds = [
        (start_name, credential.get(start_name), "start"),
        (end_name, credential.get(end_name), "end"),
    ]
    bounds += _claim_bounds(claims or {})
    problems: list[str] = []
    start, end = None, None
    for name, raw, role in bounds:
        if raw is None:
            continue
        moment = _to_datetime(raw)
        if moment is None:
            problems.append(f"{name} is not a valid date-time ({raw!r}).")
        elif role == "start" and now < moment:
            problems.append(f"It is not valid before {_show(moment)} ({name}).")
        elif role == "end" and now >= moment:
            problems.append(f"It expired on {_show(moment)} ({name}).")
        elif role == "start":
            start = moment if start is None else max(start, moment)
        else:
            end = moment if end is None else min(end, moment)
    if problems:
        return Check.make("validity", "invalid", " ".join(problems))
    return Check.make("validity", "valid", _period_sentence(start, end))


def _claim_bounds(claims: Mapping[str, Any]) -> list[tuple[str, object, str]]:
    found: list[tuple[str, object, str]] = []
    if "nbf" in claims:
        found.append(("the JWT nbf claim", claims["nbf"], "start"))
    if "exp" in claims:
        found.append(("the JWT exp claim", claims["exp"], "end"))
    return found


def _to_datetime(raw: object) -> datetime | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            return datetime.fromtimestamp(raw, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return parse_date(raw)


def _show(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _period_sentence(start: datetime | None, end: datetime | None) -> str:
    if start and end:
        return f"It is valid from {_show(start)} until {_show(end)}."
    if start:
        return f"It is valid from {_show(start)} and does not expire."
    if end:
        return f"It is valid until {_show(end)}."
    return "It states no validity period."
