"""The ``badges`` command: serve, migrate, and the few admin tasks that need no HTTP."""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Literal, ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from app.core.config import Environment, InsecureSettingsError, Settings, ensure_secrets
from app.core.context import AppContext
from app.core.db import make_engine, make_sessionmaker, session_scope
from app.core.errors import AppError, json_path
from app.core.migrations import downgrade as migrate_down
from app.core.migrations import upgrade as migrate_up
from app.core.pipes import quiet_broken_stdout
from app.wiring import subscribe_all

app = typer.Typer(help="Open Badges 3.0 issuing and verification service.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
issuer_app = typer.Typer(help="Issuers.", no_args_is_help=True)
apikey_app = typer.Typer(help="Issuer API keys.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
batch_app = typer.Typer(help="Batches: issue to a cohort from a spreadsheet.", no_args_is_help=True)
mail_app = typer.Typer(help="Notification e-mail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(issuer_app, name="issuer")
app.add_typer(apikey_app, name="apikey")
app.add_typer(keys_app, name="keys")
app.add_typer(batch_app, name="batch")
app.add_typer(mail_app, name="mail")

from app.console.cli import staff_app  # noqa: E402  (console accounts: issue 14)

app.add_typer(staff_app, name="staff")


@app.callback()
def _main() -> None:
    """Open Badges 3.0 issuing and verification service."""
    quiet_broken_stdout()  # `badges … | head -1` ends quietly (app/core/pipes.py)
    subscribe_all()  # domain events: program awards, per-worker memory (app/wiring.py)


P = ParamSpec("P")
R = TypeVar("R")


def _reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Bad input ends a command with one line naming the field and exit 2, not a traceback.

    The commands validate through the same Pydantic schemas and services as the API, so the
    message names the field as the API's problem body would (``--name``'s value is ``$.name``).
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ValidationError as exc:
            first = exc.errors()[0]
            typer.echo(f"error: {json_path(first['loc'])}: {first['msg']}", err=True)
            raise typer.Exit(2) from None
        except AppError as exc:
            where = f"{exc.field}: " if exc.field else ""
            typer.echo(f"error: {where}{exc.detail}", err=True)
            raise typer.Exit(2 if exc.status < 500 else 1) from None

    return run


def _settings() -> Settings:
    """Settings with secrets ensured, or exit with the fix printed."""
    try:
        settings, generated = ensure_secrets(Settings())
    except InsecureSettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for name in generated:
        typer.echo(
            f"generated {name} (development only), stored in {settings.data_dir}/dev-secrets.json"
        )
    return settings


def _context_and_sessions(settings: Settings) -> tuple[AppContext, object]:
    context = AppContext.from_settings(settings)
    return context, make_sessionmaker(make_engine(settings.database_url), context)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the configured database up (to head by default)."""
    settings = _settings()
    migrate_up(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Migrate the configured database down (one step by default; 'base' for all)."""
    settings = _settings()
    migrate_down(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@issuer_app.command("create")
@_reports_errors
def issuer_create(
    name: Annotated[
        list[str], typer.Option(help="LANG=NAME, repeatable: --name en=Uni --name zh-CN=大学")
    ],
    url: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    image: Annotated[str | None, typer.Option()] = None,
    jwt_alg: Annotated[
        str, typer.Option(help="VC-JWT algorithm: RS256 (default), ES256 or EdDSA")
    ] = "RS256",
    suspension: Annotated[
        bool,
        typer.Option(
            "--suspension",
            help="credentials also get a suspension status entry (outside the OB 3.0 schema)",
        ),
    ] = False,
) -> None:
    """Create an issuer (with its keys and status lists) and print its id and DID."""
    from app.issuers import service as issuers
    from app.issuers.schemas import IssuerCreate

    names = dict(item.split("=", 1) for item in name if "=" in item)
    if not names:
        raise typer.BadParameter("give at least one --name LANG=NAME")
    if jwt_alg not in ("RS256", "ES256", "EdDSA"):
        raise typer.BadParameter("--jwt-alg must be RS256, ES256 or EdDSA")
    settings = _settings()
    context, factory = _context_and_sessions(settings)
    data = IssuerCreate.model_validate(
        {
            "name": names,
            "url": url,
            "email": email,
            "image": image,
            "jwtAlgorithm": jwt_alg,
            "suspensionEnabled": suspension,
        }
    )
    with session_scope(factory) as session:  # type: ignore[arg-type]
        issuer = issuers.create_issuer(session, context, data, actor="cli")
        read = issuers.to_read(context, issuer)
    typer.echo(f"issuer {read.id}\ndid    {read.did}\nprofile {read.profile_url}")
    typer.echo(f"jwt    {jwt_alg}")


@apikey_app.command("create")
@_reports_errors
def apikey_create(
    issuer: Annotated[uuid.UUID, typer.Argument(help="issuer id")],
    name: Annotated[str, typer.Option()] = "cli",
) -> None:
    """Create an API key for ISSUER and print the token (shown this once)."""
    from app.api_keys import service as api_keys
    from app.api_keys.schemas import ApiKeyCreate

    settings = _settings()
    _, factory = _context_and_sessions(settings)
    with session_scope(factory) as session:  # type: ignore[arg-type]
        created = api_keys.create_api_key(session, issuer, ApiKeyCreate(name=name), actor="cli")
    typer.echo(created.token)


@keys_app.command("rotate")
@_reports_errors
def keys_rotate(issuer: Annotated[uuid.UUID, typer.Argument(help="issuer id")]) -> None:
    """Add new signing keys for ISSUER and retire the old ones (they stay published)."""
    from app.issuers import service as issuers
    from app.signing_keys import service as keys

    settings = _settings()
    context, factory = _context_and_sessions(settings)
    with session_scope(factory) as session:  # type: ignore[arg-type]
        issuers.get_issuer(session, issuer)
        for key in keys.rotate_keys(session, context, issuer, actor="cli"):
            typer.echo(f"{key.purpose:15} {key.key_type:8} {key.verification_method}")


@contextlib.contextmanager
def _announcing_batches(settings: Settings) -> Iterator[None]:
    """A batch this command queues is announced to ``badges worker`` processes at once, as
    the service does (else their sweep finds it within a minute)."""
    if not settings.uses_workers:
        yield
        return
    from app.jobs.dispatch import DISPATCH
    from app.jobs.queue import Deferrer

    deferrer = Deferrer(settings.database_url)
    DISPATCH.attach(deferrer.defer_batch)
    try:
        yield
    finally:
        DISPATCH.detach(deferrer.defer_batch)
        deferrer.close()


@batch_app.command("upload")
@_reports_errors
def batch_upload(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX")],
    issuer: Annotated[uuid.UUID, typer.Option(help="issuer id")],
    achievement: Annotated[uuid.UUID, typer.Option(help="achievement id (current version)")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="validate, show the first credential, create nothing")
    ] = False,
    proof: Annotated[Literal["data-integrity", "jwt", "both"], typer.Option()] = "data-integrity",
    duplicates: Annotated[
        Literal["skip", "allow", "error"],
        typer.Option(
            help="learners who already hold the achievement: leave out, issue again, refuse",
        ),
    ] = "skip",
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="issue the valid rows, record the rest failed")
    ] = False,
    encoding: Annotated[
        str | None, typer.Option(help="the CSV's encoding (detected: UTF-8 or GB18030)")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="follow the batch until it is issued")
    ] = True,
) -> None:
    """Validate FILE's rows as the upload API does; any problem is a table and exit 2 with
    nothing issued. Then issue them with a progress bar (or, --dry-run, show what would be)."""
    from app.batches import cli_view as view
    from app.batches.schemas import BatchOptions, BatchPreview
    from app.issuers import service as issuers

    options = BatchOptions.model_validate(
        {
            "achievementId": achievement,
            "proof": proof,
            "duplicates": duplicates,
            "skipInvalid": skip_invalid,
            "dryRun": dry_run,
        }
    )
    settings = _settings()
    context, factory = _context_and_sessions(settings)
    scope = session_scope(factory)  # type: ignore[arg-type]
    with _announcing_batches(settings), scope as session:
        issuers.get_issuer(session, issuer)
        try:
            result = view.create(session, context, issuer, options, file, encoding)
        except AppError as exc:
            if not (errors := view.row_errors(exc)):
                raise
            view.print_refusal(exc, errors)
            raise typer.Exit(2) from None
    if isinstance(result, BatchPreview):
        view.print_preview(result)
        raise typer.Exit(2 if view.preview_refused(result, options) else 0)
    code = view.after_queue(factory, context, issuer, result, wait=wait)  # type: ignore[arg-type]
    raise typer.Exit(code)


@batch_app.command("status")
@_reports_errors
def batch_status(
    batch: Annotated[uuid.UUID, typer.Argument(help="batch id")],
    issuer: Annotated[uuid.UUID, typer.Option(help="issuer id")],
) -> None:
    """State, counts, times and the failed rows of BATCH."""
    from app.batches import cli_view as view
    from app.batches import service as batches

    settings = _settings()
    context, factory = _context_and_sessions(settings)
    with session_scope(factory) as session:  # type: ignore[arg-type]
        found = batches.get_batch(session, issuer, batch)
        read = batches.to_read(context, session, found, errors=True)
    view.print_status(read)


@mail_app.command("bounce")
def mail_bounce(
    recipient: Annotated[
        str | None,
        typer.Option(
            envvar=["ORIGINAL_RECIPIENT", "RECIPIENT"],
            help="the envelope recipient, bounces+<token>@… (default: $ORIGINAL_RECIPIENT or "
            "$RECIPIENT, as Postfix and Exim set them; else the Delivered-To, X-Original-To "
            "or To header)",
        ),
    ] = None,
    discard_invalid: Annotated[
        bool,
        typer.Option(
            "--discard-invalid",
            help="exit 0 for a message not recorded (no token, forged, not a bounce) so the "
            "MTA sends no bounce back; only 'try again later' (75) exits non-zero",
        ),
    ] = False,
) -> None:
    """Record a bounce read from stdin (an RFC 3464 delivery status notification) on the
    notification e-mail it is about; for an MTA alias: bounces: "|badges mail bounce"."""
    import logging

    from app.core.logging import configure_logging
    from app.mail import bounces

    try:
        settings = _settings()
        kek = settings.kek_bytes()
    except (typer.Exit, ValidationError, InsecureSettingsError) as exc:
        # Exit 75: the MTA keeps the message until the settings are fixed.
        if isinstance(exc, ValidationError):  # named, not quoted (the input may be a secret)
            first = exc.errors()[0]
            name = f"BADGES_{str(first['loc'][0]).upper()}" if first["loc"] else "settings"
            typer.echo(f"error: {name}: {first['msg']}", err=True)
        elif isinstance(exc, InsecureSettingsError):
            typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(bounces.EX_TEMPFAIL) from None
    if not logging.getLogger("app").handlers:
        configure_logging(settings.log_level)
    raw = typer.get_binary_stream("stdin").read(bounces.MAX_BYTES + 1)
    _, factory = _context_and_sessions(settings)
    result = bounces.ingest(factory, kek, raw, recipient)  # type: ignore[arg-type]
    typer.echo(result.message, err=result.code != bounces.EX_OK)
    if discard_invalid and result.code != bounces.EX_TEMPFAIL:
        raise typer.Exit(bounces.EX_OK)
    raise typer.Exit(result.code)


@app.command("certify-preflight")
@_reports_errors
def certify_preflight(
    issuer: Annotated[uuid.UUID, typer.Option(help="issuer id")],
    achievement: Annotated[
        uuid.UUID | None,
        typer.Option(help="achievement id (default: the issuer's dedicated conformance one)"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="an empty or new folder (default ./certification-<date>)")
    ] = None,
) -> None:
    """Issue a credential to conformance@imsglobal.org, check it, and write the evidence
    1EdTech's Issuer Only certification asks for (app/certification/preflight.py)."""
    from app.certification import preflight

    settings = _settings()
    context, factory = _context_and_sessions(settings)
    folder = out or preflight.default_out_dir()
    result = preflight.run(factory, context, issuer, achievement, folder)  # type: ignore[arg-type]
    for check in result.checks:
        mark = "ok" if check.ok else ("warning" if check.warning else "FAILED")
        typer.echo(f"{mark:8} {check.name}: {check.detail}")
    typer.echo(f"credential {result.credential_url}\nwrote {len(result.files)} files to {folder}")
    if result.failures:
        names = ", ".join(check.name for check in result.failures)
        typer.echo(f"error: self-check failed: {names} (see {folder / 'checklist.md'})", err=True)
        raise typer.Exit(1)
    typer.echo(f"next: {folder / 'checklist.md'} lists what to submit and what is left by hand")


def _admin_token_from_environment() -> bool:
    """True when the admin token comes from ``BADGES_ADMIN_TOKEN`` (or ``.env``), not from
    the development secrets the service generated."""
    return Settings().admin_token is not None


def _print_urls(settings: Settings, summary: object | None) -> None:
    """What to open once the server is up."""
    base = settings.base_url
    lines = [("API docs", f"{base}/docs")]
    if settings.environment is Environment.DEVELOPMENT:
        # A token the service generated (into data_dir/dev-secrets.json, now or on an earlier
        # start) is shown to get started; one an operator set is never written out.
        if _admin_token_from_environment():
            lines.insert(0, ("admin token", "set by BADGES_ADMIN_TOKEN (not shown)"))
        else:
            lines.insert(0, ("admin token", settings.admin_token_value()))
    if summary is not None:
        issuer_id = summary.issuer_id  # type: ignore[attr-defined]
        lines += [
            ("issuer", f"{base}/issuers/{issuer_id}"),
            ("DID document", f"{base}/issuers/{issuer_id}/did.json"),
        ]
        credentials = summary.credentials.items()  # type: ignore[attr-defined]
        lines += [
            (f"{state} credential", f"{base}/credentials/{cid}") for state, cid in credentials
        ]
        lines += list(getattr(summary, "showcase", []))
        batch_id = getattr(summary, "batch_id", None)
        if batch_id is not None:
            lines.append(("finished batch", f"GET /api/v1/batches/{batch_id} (an issuer API key)"))
    if settings.environment is Environment.DEVELOPMENT and settings.smtp_url is None:
        lines.append(("e-mail to learners", f"{base}/dev/mail (kept here: no BADGES_SMTP_URL)"))
    width = max(len(label) for label, _ in lines)
    typer.echo("")
    for label, value in lines:
        typer.echo(f"  {label:<{width}} : {value}")
    typer.echo("")


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="load the demo issuer and credentials")] = False,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="uvicorn worker processes, each with its own socket")
    ] = 1,
) -> None:
    """Migrate the database, optionally load demo data, print the URLs, run uvicorn."""
    from app.serving.workers import Listen, check_address
    from app.serving.workers import serve as run_server

    check_address(host, port)  # before anything is printed, for any number of workers
    development = os.environ.get("BADGES_ENVIRONMENT", "development").lower() == "development"
    if development and "BADGES_BASE_URL" not in os.environ:
        public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        os.environ["BADGES_BASE_URL"] = f"http://{public_host}:{port}"
    settings = _settings()
    migrate_up(settings.database_url)
    summary = None
    if demo:
        from app.demo.loader import load_demo

        _, factory = _context_and_sessions(settings)
        with session_scope(factory) as session:  # type: ignore[arg-type]
            summary = load_demo(session, settings)
    _print_urls(settings, summary)
    run_server(Listen(host=host, port=port, workers=workers))


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=32, help="batch jobs this process runs at once")
    ] = 1,
) -> None:
    """Process queued batches (PostgreSQL): run as many as you like, on any machines."""
    if Settings().is_sqlite:  # before any development secret is generated
        typer.echo(
            "error: the embedded runner processes batches inside `badges serve`; "
            "workers need PostgreSQL",
            err=True,
        )
        raise typer.Exit(2)
    settings = _settings()
    from app.core.logging import configure_logging
    from app.jobs.queue import run_worker

    configure_logging(settings.log_level)
    run_worker(settings, concurrency)
