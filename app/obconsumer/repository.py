"""Rows of the Service Consumer (Write): host registrations, connections, pending
authorizations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import ObAuthorization, ObConnection, ObHostClient


def host_client(session: Session, api_root: str) -> ObHostClient | None:
    return session.scalars(select(ObHostClient).where(ObHostClient.api_root == api_root)).first()


def connection(
    session: Session, account_id: uuid.UUID, connection_id: uuid.UUID
) -> ObConnection | None:
    """The account's connection ``connection_id`` (None for another account's)."""
    query = select(ObConnection).where(
        ObConnection.id == connection_id, ObConnection.account_id == account_id
    )
    return session.scalars(query).first()


def connection_to(
    session: Session, account_id: uuid.UUID, host_client_id: uuid.UUID
) -> ObConnection | None:
    return session.scalars(
        select(ObConnection).where(
            ObConnection.account_id == account_id,
            ObConnection.host_client_id == host_client_id,
        )
    ).first()


def connections(session: Session, account_id: uuid.UUID) -> list[tuple[ObConnection, ObHostClient]]:
    """The account's connections with their hosts, newest first."""
    rows = session.execute(
        select(ObConnection, ObHostClient)
        .join(ObHostClient, ObHostClient.id == ObConnection.host_client_id)
        .where(ObConnection.account_id == account_id)
        .order_by(ObConnection.created_at.desc(), ObConnection.id)
    )
    return [(row[0], row[1]) for row in rows]


def take_authorization(session: Session, state_hash: str) -> ObAuthorization | None:
    """The pending authorization of ``state_hash``, deleted (single use): of two callbacks
    with the same state only the one whose delete removed the row gets it."""
    row = session.scalars(
        select(ObAuthorization).where(ObAuthorization.state_hash == state_hash)
    ).first()
    if row is None:
        return None
    removed = session.execute(
        delete(ObAuthorization)
        .where(ObAuthorization.id == row.id)
        .execution_options(synchronize_session=False)
    )
    session.expunge(row)
    if getattr(removed, "rowcount", 0) != 1:
        return None
    return row


def drop_expired_authorizations(session: Session, now: datetime) -> None:
    session.execute(delete(ObAuthorization).where(ObAuthorization.expires_at <= now))
