"""The relay's hourly purge also forgets spent sign-in links, ended sessions, and spent or
expired OAuth codes, tokens and Open Badges API authorizations (issue 13 review, finding 9)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.models import (
    LearnerAccount,
    LearnerSession,
    OAuthClient,
    OAuthCode,
    OAuthToken,
    ObAuthorization,
    ObHostClient,
    SignInToken,
    utcnow,
)
from app.outbox import service as outbox

pytestmark = pytest.mark.usefixtures("quiet_outbox")


def _hex() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


def _ids(app: FastAPI, model: Any) -> set[str]:
    with app.state.sessionmaker() as session:
        return {str(row.id) for row in session.scalars(select(model))}


def _seed(app: FastAPI, now: datetime) -> dict[str, dict[str, str]]:
    """Rows of each table: ``gone`` ones the purge should delete, ``kept`` ones it must not."""
    old, soon, later = (
        now - timedelta(days=2),
        now + timedelta(minutes=10),
        now + timedelta(days=30),
    )
    gone: dict[str, str] = {}
    kept: dict[str, str] = {}
    with app.state.sessionmaker() as session:
        account = LearnerAccount(id=uuid.uuid4())
        client = OAuthClient(
            id=uuid.uuid4(),
            client_id=uuid.uuid4().hex,
            client_secret_hash=_hex()[:64],
            client_metadata="{}",
        )
        host = ObHostClient(
            id=uuid.uuid4(),
            api_root=f"https://{uuid.uuid4().hex}.example/ims/ob/v3p0",
            name="Other",
            authorization_url="https://o.example/a",
            token_url="https://o.example/t",
            refresh_url="https://o.example/t",
            scopes="s",
            redirect_uri="https://b.example/cb",
            client_id="c",
            sealed_client_secret=b"x",
        )
        session.add_all([account, client, host])
        session.flush()

        def link(name: str, *, expires: datetime, used: datetime | None = None) -> SignInToken:
            row = SignInToken(
                id=uuid.uuid4(),
                token_hash=_hex()[:64],
                email=f"{name}@example.org",
                expires_at=expires,
                used_at=used,
                created_at=min(expires, now) - timedelta(minutes=15),
            )
            session.add(row)
            return row

        gone["link expired"] = str(link("expired", expires=old).id)
        gone["link used"] = str(link("used", expires=old + timedelta(minutes=5), used=old).id)
        kept["link live"] = str(link("live", expires=soon).id)
        kept["link used recently"] = str(link("recent", expires=soon, used=now).id)

        def learner_session(*, expires: datetime, revoked: datetime | None = None) -> Any:
            row = LearnerSession(
                id=uuid.uuid4(),
                account_id=account.id,
                token_hash=_hex()[:64],
                expires_at=expires,
                revoked_at=revoked,
            )
            session.add(row)
            return row

        gone["session expired"] = str(learner_session(expires=old).id)
        gone["session revoked"] = str(learner_session(expires=later, revoked=old).id)
        kept["session live"] = str(learner_session(expires=later).id)

        def code(*, expires: datetime, used: datetime | None = None) -> OAuthCode:
            row = OAuthCode(
                id=uuid.uuid4(),
                code_hash=_hex()[:64],
                client_pk=client.id,
                account_id=account.id,
                redirect_uri="https://app.example/cb",
                scope="s",
                code_challenge="c" * 43,
                expires_at=expires,
                used_at=used,
            )
            session.add(row)
            return row

        def token(
            *,
            access: datetime,
            refresh: datetime | None,
            revoked: datetime | None = None,
            code_pk: uuid.UUID | None = None,
        ) -> OAuthToken:
            row = OAuthToken(
                id=uuid.uuid4(),
                client_pk=client.id,
                account_id=account.id,
                access_token_hash=_hex()[:64],
                refresh_token_hash=_hex()[:64],
                scope="s",
                access_expires_at=access,
                refresh_expires_at=refresh,
                revoked_at=revoked,
                code_pk=code_pk,
            )
            session.add(row)
            return row

        gone["code expired"] = str(code(expires=old).id)
        gone["code used"] = str(code(expires=old, used=old).id)
        kept["code live"] = str(code(expires=soon).id)
        # a used code whose tokens still live stays: it names their family (replay revokes it)
        family = code(expires=old, used=old)
        kept["code of live tokens"] = str(family.id)
        session.flush()
        kept["token live"] = str(token(access=old, refresh=later, code_pk=family.id).id)
        gone["token past refresh expiry"] = str(token(access=old, refresh=old).id)
        gone["token without refresh, expired"] = str(token(access=old, refresh=None).id)
        gone["token revoked, past refresh expiry"] = str(
            token(access=old, refresh=old, revoked=old).id
        )
        kept["token revoked, refresh not yet expired"] = str(
            token(access=old, refresh=later, revoked=old).id
        )

        def authorization(*, expires: datetime) -> ObAuthorization:
            row = ObAuthorization(
                id=uuid.uuid4(),
                state_hash=_hex()[:64],
                account_id=account.id,
                session_hash=_hex()[:64],
                host_client_id=host.id,
                scope="s",
                sealed_code_verifier=b"x",
                expires_at=expires,
            )
            session.add(row)
            return row

        gone["authorization expired"] = str(authorization(expires=old).id)
        kept["authorization live"] = str(authorization(expires=soon).id)
        session.commit()
    return {"gone": gone, "kept": kept}


MODELS = (SignInToken, LearnerSession, OAuthCode, OAuthToken, ObAuthorization)


def test_the_purge_forgets_spent_links_sessions_codes_tokens_and_authorizations(
    app: FastAPI,
) -> None:
    now = utcnow()
    rows = _seed(app, now)
    outbox.purge(app.state.sessionmaker, app.state.context, now=now)
    left = set().union(*(_ids(app, model) for model in MODELS))
    assert {name for name, row_id in rows["gone"].items() if row_id in left} == set()
    assert {name for name, row_id in rows["kept"].items() if row_id not in left} == set()


def test_the_purge_goes_in_batches(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "PURGE_BATCH", 1)
    now = utcnow()
    rows = _seed(app, now)
    outbox.purge(app.state.sessionmaker, app.state.context, now=now)
    left = set().union(*(_ids(app, model) for model in MODELS))
    assert not set(rows["gone"].values()) & left
    assert set(rows["kept"].values()) <= left
