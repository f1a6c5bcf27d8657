"""``python -m openbadges verify FILE``: verify a credential file from the command line.

Reads JSON, a VC-JWT, or a baked PNG/SVG (sniffed from the content), verifies it as the kind
its ``type`` names (an Open Badge, a CLR, an endorsement or a Bitstring Status List credential;
``--expect`` overrides that), prints a per-check report (or the JSON report with ``--json``)
and exits with:

* ``0`` — verified;
* ``1`` — not verified (the report says why);
* ``2`` — unusable input: the file is missing, unreadable, or not a credential at all (one line
  saying why, never a traceback).

Output piped into a reader that stops early (``| head -1``) ends quietly with the verdict's exit
code: the ``BrokenPipeError`` is caught and stdout pointed at ``os.devnull``, as the Python
documentation recommends (https://docs.python.org/3/library/signal.html#note-on-sigpipe).

Network access is the small :class:`UrlResolver` below (stdlib ``urllib``, ``http``/``https``
only, timeouts, a size cap), so the library itself stays free of network code; ``--offline``
turns it off and every check that needs a remote document reports ``unknown``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, get_args

from openbadges.errors import ResolutionError
from openbadges.resolver import OfflineResolver, Resolver, parse_json_object
from openbadges.verification.sniff import MAX_INPUT_BYTES
from openbadges.verify import Expected, VerificationReport, verify

__all__ = ["UrlResolver", "main"]

EXIT_VERIFIED, EXIT_NOT_VERIFIED, EXIT_UNUSABLE = 0, 1, 2
_MARKS = {"valid": "valid  ", "invalid": "INVALID", "unknown": "unknown"}


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s): urllib would otherwise also follow one to ftp."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not newurl.startswith(("https://", "http://")):
            raise urllib.error.URLError(f"refusing to follow a redirect to {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


class UrlResolver:
    """Fetches JSON over HTTP(S) with ``urllib``: for the command line only.

    Args:
        timeout_s: connect and read timeout, in seconds.
        max_bytes: the largest body read; a bigger one is refused.
    """

    ACCEPT = "application/did+json, application/ld+json, application/json;q=0.9, */*;q=0.1"

    def __init__(self, *, timeout_s: float = 10.0, max_bytes: int = 2_000_000) -> None:
        """Store the limits."""
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes

    def fetch_json(self, url: str) -> dict[str, Any]:
        """GET ``url`` and parse it as a JSON object.

        Raises:
            ResolutionError: not an http(s) URL, a network or HTTP error, a body over the size
                cap, or a body that is not a JSON object.
        """
        if not url.startswith(("https://", "http://")):
            raise ResolutionError(f"{url} is not an http(s) address", code="bad_url")
        request = urllib.request.Request(url, headers={"Accept": self.ACCEPT})
        try:
            with _OPENER.open(request, timeout=self.timeout_s) as response:
                body = response.read(self.max_bytes + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ResolutionError(
                f"{url} could not be fetched: {exc}", code="fetch_failed"
            ) from exc
        if len(body) > self.max_bytes:
            raise ResolutionError(
                f"{url} returned more than {self.max_bytes} bytes", code="too_large"
            )
        return parse_json_object(body, url)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        with Path(args.file).open("rb") as handle:
            # One byte over the cap is enough for verify() to refuse it; a device or a pipe
            # (``/dev/zero``) is never read to the end.
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    resolver: Resolver = OfflineResolver() if args.offline else UrlResolver()
    report = verify(
        data,
        resolver=resolver,
        now=args.now,
        recipient=args.recipient,
        expected=args.expect,
        fragment_key_policy=args.policy,
    )
    _emit(json.dumps(report.to_dict(), indent=2) if args.json else render(report))
    if report.credential is None:
        return EXIT_UNUSABLE
    return EXIT_VERIFIED if report.verified else EXIT_NOT_VERIFIED


def _emit(text: str) -> None:
    """Print ``text``; a reader that closed the pipe early is not an error worth a traceback."""
    try:
        print(text)
        sys.stdout.flush()  # raise EPIPE here, inside the try, not at interpreter shutdown
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at devnull so that flush cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def render(report: VerificationReport) -> str:
    """Format a report as readable text, one line per check (one line for unusable input)."""
    if report.credential is None:
        reason = report.checks[0].detail if report.checks else "the input is not a credential."
        return "NOT VERIFIED (unusable input): " + " ".join(reason.split())
    verdict = "VERIFIED" if report.verified else "NOT VERIFIED"
    lines = [f"{verdict} ({report.format})"]
    credential = report.credential or {}
    if isinstance(credential.get("name"), str):
        lines.append(f"  {credential['name']}")
    lines.extend(f"  [{_MARKS[c.status]}] {c.title}: {c.detail}" for c in report.checks)
    return "\n".join(lines)


def _parse_now(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr and exit 2 (no usage block)."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message`` on one line and exit with :data:`EXIT_UNUSABLE`."""
        self.exit(EXIT_UNUSABLE, f"{self.prog}: error: {' '.join(message.split())}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m openbadges", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("verify", help="verify a credential file (JSON, JWT, PNG, SVG)")
    command.add_argument("file", help="the credential file")
    command.add_argument("--now", type=_parse_now, help="judge validity at this ISO 8601 time")
    command.add_argument("--json", action="store_true", help="print the JSON report")
    command.add_argument("--recipient", help="an email address or id the badge should belong to")
    command.add_argument(
        "--policy",
        choices=("bound", "validator"),
        default="bound",
        help="key policy: 'bound' (issuer must publish the key) or 'validator' (1EdTech shortcut)",
    )
    command.add_argument(
        "--expect",
        choices=get_args(Expected),
        default=None,
        help="verify as this kind instead of the one the document's type names",
    )
    command.add_argument("--offline", action="store_true", help="fetch nothing from the network")
    return parser


if __name__ == "__main__":
    sys.exit(main())
