"""Learner accounts: e-mail sign-in links, the account's addresses, its credentials.

Sign-in is passwordless. :func:`request_link` makes a :class:`~app.models.SignInToken` (single
use, :data:`LINK_TTL`, only its SHA-256 stored) and queues the e-mail carrying it through the
outbox (:func:`_queue_mail`), whether or not an account has the address:
the page answers the same either way, so it tells nobody which addresses have accounts.
Following the link shows a page whose button posts it back; :func:`consume` then spends the
token (one conditional ``UPDATE``: of two concurrent posts one wins), creates the account on the
first sign-in, or verifies the address being added to a signed-in account.

An account's credentials are those this service issued to any of its verified addresses (of
every issuer: the learner proved they hold the mailbox) and the hosted ones
(:mod:`app.accounts.hosted`). Hiding one takes it off the account page's main list and out of
what apps read; its public page is not affected.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts import links
from app.core.config import Environment
from app.core.context import AppContext
from app.core.errors import AppError, Conflict, NotFound
from app.core.ratelimit import RateLimited
from app.models import (
    AccountHiddenCredential,
    Credential,
    HostedCredential,
    LearnerAccount,
    LearnerEmail,
    SignInToken,
    lengths,
    utcnow,
)
from app.outbox import service as outbox

LINK_TTL = timedelta(minutes=15)
VERIFY_PATH = "/account/verify/"
MAX_ADDRESSES = 10
"""Addresses one account may hold (verified or waiting for verification)."""
_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")

Purpose = Literal["sign_in", "add_email"]


class InvalidEmail(AppError):
    """Not an e-mail address."""

    code = "invalid_email"

    def __init__(self) -> None:
        super().__init__("Enter an e-mail address such as name@example.org.", field="email")


class LinkGone(AppError):
    """The sign-in link is unknown, used or expired."""

    status, title, code = 410, "Gone", "sign_in_link_gone"

    def __init__(self) -> None:
        super().__init__("This sign-in link has expired or was already used; ask for a new one.")


class AddressTaken(Conflict):
    """The address is verified on another account."""

    code = "address_taken"

    def __init__(self) -> None:
        super().__init__("This address already belongs to another account.", field="email")


class LastAddress(Conflict):
    """An account keeps at least one verified address (it signs in with it)."""

    code = "last_address"

    def __init__(self) -> None:
        super().__init__("The last verified address cannot be removed.", field="email")


class TooManyAddresses(Conflict):
    code = "too_many_addresses"

    def __init__(self) -> None:
        super().__init__(f"An account holds at most {MAX_ADDRESSES} addresses.", field="email")


def digest(token: str) -> str:
    """SHA-256 hex of a link token: the only form stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(raw: str) -> str:
    """The address as stored (trimmed, lower case); raises :class:`InvalidEmail`."""
    email = raw.strip().lower()
    if not email or len(email) > lengths.EMAIL or not _EMAIL.match(email):
        raise InvalidEmail()
    return email


# --- the sign-in link -----------------------------------------------------------------------


def _recent_links(session: Session, email: str, since: datetime) -> list[datetime]:
    return list(
        session.scalars(
            select(SignInToken.created_at)
            .where(SignInToken.email == email, SignInToken.created_at > since)
            .order_by(SignInToken.created_at)
        )
    )


def _admit_address(session: Session, context: AppContext, email: str) -> None:
    """At most ``sign_in_emails_per_hour`` links to one address in any hour (all workers)."""
    per_hour = context.settings.sign_in_emails_per_hour
    if not per_hour:
        return
    now = utcnow()
    recent = _recent_links(session, email, now - timedelta(hours=1))
    if len(recent) >= per_hour:
        wait = (recent[-per_hour] + timedelta(hours=1) - now).total_seconds()
        raise RateLimited(
            f"At most {per_hour} sign-in e-mails an hour go to one address; "
            f"try again in {max(1, round(wait / 60))} min.",
            retry_after_s=max(1.0, wait),
        )


def request_link(
    session: Session,
    context: AppContext,
    email: str,
    *,
    language: str,
    next_path: str | None = None,
    account: LearnerAccount | None = None,
) -> None:
    """Make a link for ``email`` (to sign in, or, with ``account``, to add the address to it)
    and queue its e-mail; the caller commits. The e-mail is in the language of the account
    that has the address, else ``language`` (the page's). Raises :class:`RateLimited`."""
    _admit_address(session, context, email)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = SignInToken(
        id=uuid.uuid4(),
        token_hash=digest(token),
        email=email,
        account_id=account.id if account is not None else None,
        created_at=now,
        expires_at=now + LINK_TTL,
    )
    session.add(row)
    owner = session.scalars(
        select(LearnerAccount)
        .join(LearnerEmail, LearnerEmail.account_id == LearnerAccount.id)
        .where(LearnerEmail.email == email)
    ).first()
    if account is not None:
        language = account.language
    elif owner is not None:
        language = owner.language
    url = f"{context.settings.base_url}{VERIFY_PATH}{token}"
    if next_path:
        url += "?" + urlencode({"next": next_path})
    settings = context.settings
    if settings.smtp_url is None and settings.environment is not Environment.DEVELOPMENT:
        return  # e-mail is off on this service (app.mail.settings.transport): nothing to queue
    _queue_mail(
        session,
        template="add_email" if account is not None else "sign_in",
        to=email,
        language=language,
        link_id=row.id,
        url=url,
        expires_at=row.expires_at,
        kek=context.settings.kek_bytes(),
    )


def _queue_mail(
    session: Session,
    *,
    template: Purpose,
    to: str,
    language: str,
    link_id: uuid.UUID,
    url: str,
    expires_at: datetime,
    kek: bytes,
) -> None:
    """The e-mail carrying the link, as an outbox delivery of the ``email`` channel that goes
    as soon as the transaction commits (:mod:`app.mail.sender` renders ``sign_in`` and
    ``add_email``). The service's own message: no issuer, no issuer's quota (the sign-in form
    has its own rate limits). Without an e-mail transport the relay records it as not sent."""
    outbox.add_delivery(
        session,
        channel="email",
        issuer_id=None,
        payload={
            "template": template,
            "language": language,
            "to": to,
            "linkId": str(link_id),
            "linkSealed": links.seal_link(kek, link_id, url),
            "linkExpiresAt": expires_at.isoformat(),
        },
        target_id=link_id,
    )


def pending_link(session: Session, token: str) -> SignInToken:
    """The unused, unexpired link ``token`` names (nothing is spent); else :class:`LinkGone`."""
    row = session.scalars(
        select(SignInToken).where(SignInToken.token_hash == digest(token[:200]))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise LinkGone()
    return row


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What spending a link did."""

    account: LearnerAccount
    purpose: Purpose
    created: bool


def consume(session: Session, token: str, *, language: str) -> SignedIn:
    """Spend the link (once: a conditional update), then sign in or add the address; the
    caller commits (and starts the session). Raises :class:`LinkGone`, :class:`AddressTaken`."""
    now = utcnow()
    hashed = digest(token[:200])
    spent = session.execute(
        update(SignInToken)
        .where(
            SignInToken.token_hash == hashed,
            SignInToken.used_at.is_(None),
            SignInToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(spent, "rowcount", 0):
        raise LinkGone()
    link = session.scalars(
        select(SignInToken)
        .where(SignInToken.token_hash == hashed)
        .execution_options(populate_existing=True)
    ).one()
    existing = session.scalars(select(LearnerEmail).where(LearnerEmail.email == link.email)).first()
    if link.account_id is not None:  # adding an address to a signed-in account
        account = session.get(LearnerAccount, link.account_id)
        if account is None:
            raise LinkGone()
        if existing is not None and existing.account_id != account.id:
            if existing.verified_at is not None:
                raise AddressTaken()
            existing.account_id = account.id  # an unconfirmed claim by another account
        _verify(session, account, link.email, existing, now)
        return SignedIn(account, "add_email", False)
    if existing is not None:
        account = session.get(LearnerAccount, existing.account_id)
        if account is None:  # pragma: no cover - the foreign key cascades
            raise LinkGone()
        if existing.verified_at is None:
            existing.verified_at = now
        return SignedIn(account, "sign_in", False)
    account = LearnerAccount(id=uuid.uuid4(), language=language)
    session.add(account)
    session.flush()
    _verify(session, account, link.email, None, now)
    return SignedIn(account, "sign_in", True)


def _verify(
    session: Session,
    account: LearnerAccount,
    email: str,
    existing: LearnerEmail | None,
    now: datetime,
) -> None:
    if existing is None:
        existing = LearnerEmail(id=uuid.uuid4(), account_id=account.id, email=email)
        session.add(existing)
    existing.verified_at = existing.verified_at or now
    try:
        session.flush()
    except IntegrityError:  # the same address verified by another account at this moment
        raise AddressTaken() from None


# --- addresses ------------------------------------------------------------------------------


def addresses(session: Session, account_id: uuid.UUID) -> list[LearnerEmail]:
    """The account's addresses, oldest first (verified or waiting)."""
    return list(
        session.scalars(
            select(LearnerEmail)
            .where(LearnerEmail.account_id == account_id)
            .order_by(LearnerEmail.created_at, LearnerEmail.email)
        )
    )


def pending_addresses(session: Session, account_id: uuid.UUID) -> list[str]:
    """Addresses whose confirmation link was sent to add them to the account, still live."""
    return sorted(
        set(
            session.scalars(
                select(SignInToken.email).where(
                    SignInToken.account_id == account_id,
                    SignInToken.used_at.is_(None),
                    SignInToken.expires_at > utcnow(),
                )
            )
        )
    )


def verified_emails(session: Session, account_id: uuid.UUID) -> list[str]:
    """The account's verified addresses (normalised lower case)."""
    return [row.email for row in addresses(session, account_id) if row.verified_at is not None]


def _admit_account(session: Session, context: AppContext, account_id: uuid.UUID) -> None:
    """At most ``address_emails_per_hour`` verification links for one account in any hour
    (whatever the addresses, all workers)."""
    per_hour = context.settings.address_emails_per_hour
    if not per_hour:
        return
    now = utcnow()
    recent = list(
        session.scalars(
            select(SignInToken.created_at)
            .where(
                SignInToken.account_id == account_id,
                SignInToken.created_at > now - timedelta(hours=1),
            )
            .order_by(SignInToken.created_at)
        )
    )
    if len(recent) >= per_hour:
        wait = (recent[-per_hour] + timedelta(hours=1) - now).total_seconds()
        raise RateLimited(
            f"At most {per_hour} address confirmations an hour go out for one account; "
            f"try again in {max(1, round(wait / 60))} min.",
            retry_after_s=max(1.0, wait),
        )


def add_address(session: Session, context: AppContext, account: LearnerAccount, email: str) -> None:
    """Send a verification link to ``email`` for ``account`` (the address counts once it is
    followed); the caller commits. An address the account has verified is left alone.

    Addresses still waiting for their (live) link count toward :data:`MAX_ADDRESSES` too, and
    an account gets at most ``address_emails_per_hour`` links an hour: an account cannot make
    the service mail any number of strangers. Raises :class:`TooManyAddresses`,
    :class:`RateLimited`."""
    rows = addresses(session, account.id)
    if any(row.email == email and row.verified_at is not None for row in rows):
        return
    held = {row.email for row in rows} | set(pending_addresses(session, account.id))
    if email not in held and len(held) >= MAX_ADDRESSES:
        raise TooManyAddresses()
    _admit_account(session, context, account.id)
    request_link(session, context, email, language=account.language, account=account)


def remove_address(session: Session, account_id: uuid.UUID, address_id: uuid.UUID) -> None:
    """Remove one of the account's addresses (not its last verified one); 404 for others'."""
    rows = addresses(session, account_id)
    row = next((r for r in rows if r.id == address_id), None)
    if row is None:
        raise NotFound("No such address on this account.")
    verified = [r for r in rows if r.verified_at is not None]
    if row.verified_at is not None and len(verified) <= 1:
        raise LastAddress()
    session.delete(row)
    session.flush()


# --- credentials ----------------------------------------------------------------------------


def _issued_query(emails: list[str]) -> Select[Credential]:
    return (
        select(Credential)
        .where(
            func.lower(Credential.recipient_email).in_(emails),
            Credential.bound_from_id.is_(None),  # a wallet's bound copy is its original's
        )
        .order_by(Credential.created_at.desc(), Credential.id)
    )


def hidden_ids(session: Session, account_id: uuid.UUID) -> set[uuid.UUID]:
    """Issued credentials the learner hid from the account page and from apps."""
    return set(
        session.scalars(
            select(AccountHiddenCredential.credential_id).where(
                AccountHiddenCredential.account_id == account_id
            )
        )
    )


def issued_credentials(
    session: Session, account_id: uuid.UUID, *, include_hidden: bool = False
) -> list[Credential]:
    """Credentials this service issued to any verified address of the account (every issuer,
    any state: the page shows revoked ones as such), newest first; without those the learner
    hid unless ``include_hidden``."""
    emails = verified_emails(session, account_id)
    if not emails:
        return []
    rows = list(session.scalars(_issued_query(emails)))
    if include_hidden:
        return rows
    hidden = hidden_ids(session, account_id)
    return [row for row in rows if row.id not in hidden]


def owned_credential(
    session: Session, account_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential:
    """One of the account's issued credentials (hidden or not), else 404 (no probing)."""
    for row in issued_credentials(session, account_id, include_hidden=True):
        if row.id == credential_id:
            return row
    raise NotFound("No such credential on this account.")


def owned_hosted(session: Session, account_id: uuid.UUID, hosted_id: uuid.UUID) -> HostedCredential:
    """One of the account's hosted credentials, else 404."""
    row = session.scalars(
        select(HostedCredential).where(
            HostedCredential.id == hosted_id, HostedCredential.account_id == account_id
        )
    ).first()
    if row is None:
        raise NotFound("No such credential on this account.")
    return row


def set_hidden(
    session: Session,
    account_id: uuid.UUID,
    kind: Literal["issued", "hosted"],
    item_id: uuid.UUID,
    *,
    hidden: bool,
) -> None:
    """Hide (or show) one of the account's credentials; the caller commits."""
    if kind == "hosted":
        owned_hosted(session, account_id, item_id).hidden = hidden
        return
    owned_credential(session, account_id, item_id)
    session.execute(
        delete(AccountHiddenCredential).where(
            AccountHiddenCredential.account_id == account_id,
            AccountHiddenCredential.credential_id == item_id,
        )
    )
    if hidden:
        session.add(AccountHiddenCredential(account_id=account_id, credential_id=item_id))
    session.flush()


def set_language(account: LearnerAccount, language: str) -> None:
    """The language of the account's e-mails and pages (the caller commits)."""
    if account.language != language:
        account.language = language
