"""``badges staff ...``: console accounts from the command line, for a fresh machine.

There is no console account before the first one: ``create-admin`` makes a single-use link
that makes a platform admin (who then invites owners from the console). ``invite`` does the
same for a role at one issuer; ``totp`` enrolls the second factor; ``set-password`` gives an
account a new password (typed, or generated and printed), e.g. the demo's coordinator and
mentor after the start that showed theirs. Links and passwords are printed, not e-mailed or
logged: whoever runs the command hands them over.
"""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from app.audit import service as audit
from app.console import invitations, passwords, repository, totp
from app.console.auth_service import normalise_email
from app.core.config import InsecureSettingsError, Settings, ensure_secrets
from app.core.context import AppContext
from app.core.db import make_engine, make_sessionmaker, session_scope
from app.core.errors import AppError
from app.models import Issuer, utcnow

staff_app = typer.Typer(help="Staff console accounts.", no_args_is_help=True)
ACTOR = "cli"


def _open() -> tuple[AppContext, sessionmaker[Session]]:
    """The configured service's context and sessions (as ``app.cli`` opens them; not imported
    from there, which imports this module)."""
    try:
        settings, generated = ensure_secrets(Settings())
    except InsecureSettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for name in generated:
        typer.echo(
            f"generated {name} (development only), stored in {settings.data_dir}/dev-secrets.json"
        )
    context = AppContext.from_settings(settings)
    return context, make_sessionmaker(make_engine(settings.database_url), context)


def _print_link(url: str | None) -> None:
    typer.echo("Open this link (single use, 7 days) to set a name and password:")
    typer.echo(url or "")


@staff_app.command("create-admin")
def create_admin(email: Annotated[str, typer.Option(help="the admin's e-mail address")]) -> None:
    """Print a one-time link that makes EMAIL a platform admin of the console."""
    context, factory = _open()
    try:
        with session_scope(factory) as session:
            done = invitations.invite(
                session,
                context,
                email=email,
                role=None,
                issuer=None,
                invited_by=None,
                language="en",
                actor=ACTOR,
                platform_admin=True,
                mail=False,
            )
            session.commit()
    except AppError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    _print_link(done.url)


@staff_app.command("invite")
def invite(
    email: Annotated[str, typer.Option(help="the person's e-mail address")],
    issuer: Annotated[uuid.UUID, typer.Option(help="issuer id")],
    role: Annotated[str, typer.Option(help="owner, issuer, assessor or viewer")] = "owner",
) -> None:
    """Print a one-time link giving EMAIL a ROLE at ISSUER (an account joins at once)."""
    context, factory = _open()
    try:
        with session_scope(factory) as session:
            row = session.get(Issuer, issuer)
            if row is None:
                typer.echo("error: no such issuer", err=True)
                raise typer.Exit(2)
            done = invitations.invite(
                session,
                context,
                email=email,
                role=role,
                issuer=row,
                invited_by=None,
                language="en",
                actor=ACTOR,
                mail=False,
            )
            session.commit()
    except AppError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    if done.added:
        typer.echo(f"{done.email} has an account already and is now {role} there.")
    else:
        _print_link(done.url)


@staff_app.command("totp")
def enroll_totp(email: Annotated[str, typer.Option(help="the account's e-mail address")]) -> None:
    """Enroll TOTP for EMAIL: print the otpauth:// URI to scan (codes required from then on)."""
    context, factory = _open()
    with session_scope(factory) as session:
        user = repository.user_by_email(session, normalise_email(email))
        if user is None:
            typer.echo("error: no such account", err=True)
            raise typer.Exit(2)
        uri = totp.enroll(context, user)
        session.commit()
    typer.echo(uri)


@staff_app.command("set-password")
def set_password(
    email: Annotated[str, typer.Option(help="the account's e-mail address")],
    generate: Annotated[
        bool, typer.Option("--generate", help="make one up and print it instead of asking")
    ] = False,
) -> None:
    """Give EMAIL's account a new password (asked twice, or --generate to print a new one);
    its sessions end and a lockout is lifted."""
    if generate:
        alphabet = string.ascii_letters + string.digits  # nothing a shell would misread
        password = "".join(secrets.choice(alphabet) for _ in range(18))
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        problem = passwords.problem(password)
        if problem is not None:
            typer.echo(
                f"error: use {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters", err=True
            )
            raise typer.Exit(2)
    _, factory = _open()
    with session_scope(factory) as session:
        user = repository.user_by_email(session, normalise_email(email), for_update=True)
        if user is None:
            typer.echo("error: no such account", err=True)
            raise typer.Exit(2)
        user.password_hash = passwords.hash_password(password)
        user.failed_attempts = 0
        user.locked_until = None
        user.session_generation += 1  # signed-in browsers sign in again, with the new one
        repository.revoke_all_sessions(session, user.id, utcnow())
        audit.record(
            session,
            actor=ACTOR,
            action="staff.password_set",
            subject_type="staff_user",
            subject_id=user.id,
        )
        session.commit()
    if generate:
        typer.echo(f"New password of {normalise_email(email)} (shown once): {password}")
    else:
        typer.echo(f"Password of {normalise_email(email)} changed.")
