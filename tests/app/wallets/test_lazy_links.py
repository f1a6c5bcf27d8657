"""Wallet links are made without writing: viewing a claim page (or making an offer) writes no
wallet row and sends no e-mail, however often; the links are the same on every view and name
the offer by an HMAC reference. And the metadata of a Credential Issuer whose identifier
(``BADGES_BASE_URL``) has a path: served where OpenID4VCI 1.0 §12.2.2 and RFC 8414 §3.1 put it
(``/.well-known/…`` inserted between host and path) and where Draft 13 put it (appended), every
URL in it built from the base URL with its path; a wallet completes the flow behind a proxy
that serves the service under that path."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from scripted_wallet import HolderKey, ScriptedWallet, well_known
from sqlalchemy import Engine, func, select

from app.core.config import Settings
from app.mail import devbox
from app.main import create_app
from app.models import Delivery, WalletAccessToken, WalletExchange, WalletGrant
from app.offers import service as offers
from app.outbox import service as outbox
from app.wallets import bearer
from app.wallets import service as wallets

HTML = {"Accept": "text/html"}
LDP = "OpenBadgeCredential_ldp_vc"
PATH_BASE = "https://host.test/badges"


def _wallet_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            model.__tablename__: connection.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in (WalletGrant, WalletExchange, WalletAccessToken)
        }


def _deliveries_of(engine: Engine, credential_id: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.target_id == uuid.UUID(credential_id))
            ).scalar_one()
        )


@pytest.fixture
def tx_code_on(app: FastAPI) -> Iterator[None]:
    """``BADGES_WALLET_TX_CODE`` on: before, each claim page view e-mailed a code."""
    context = app.state.context
    settings = context.settings.model_copy(update={"wallet_tx_code": True})
    app.state.context = dataclasses.replace(context, settings=settings)
    try:
        yield
    finally:
        app.state.context = context


@pytest.mark.usefixtures("quiet_outbox", "tx_code_on")
def test_viewing_a_claim_page_writes_nothing_and_sends_nothing(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
) -> None:
    credential = issue(client, issuer, achievement["id"], proof="both", notify=False)
    before = _wallet_rows(engine)
    made = client.post(f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers)
    assert made.status_code == 201, made.text
    assert made.json()["txCodeSent"] is True  # the wallet will ask, when it opens the offer
    token = made.json()["claimUrl"].rsplit("/", 1)[1]
    mail_before = {m.id for m in devbox.messages(app.state.settings.data_dir)}

    pages = [client.get(f"/claim/{token}?lang=en", headers=HTML) for _ in range(5)]
    listed = client.get(f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers)

    assert all(page.status_code == 200 for page in pages)
    assert listed.status_code == 200
    assert _wallet_rows(engine) == before
    assert _deliveries_of(engine, credential["id"]) == 0
    outbox.run_once(app.state.sessionmaker, app.state.context)
    assert {m.id for m in devbox.messages(app.state.settings.data_dir)} <= mail_before
    # the same links on every view (and in the offers API's answer)
    links = [
        sorted(re.findall(r'href="((?:openid-credential-offer|https://lcw\.app)[^"]+)"', p.text))
        for p in pages
    ]
    assert len(links[0]) == 2
    assert all(each == links[0] for each in links)
    assert made.json()["oid4vciOffer"] in links[0]
    assert made.json()["lcwLink"] in links[0]
    assert "we e-mail it to you when the wallet opens the offer" in pages[0].text


def test_links_name_the_offer_by_a_reference_of_its_own(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    credential = issue(client, issuer, achievement["id"], notify=False)
    made = [
        client.post(f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers)
        for _ in range(2)
    ]
    kek = app.state.context.settings.kek_bytes()
    tokens = []
    for response in made:
        uri = parse_qs(urlsplit(response.json()["oid4vciOffer"]).query)["credential_offer_uri"]
        token = parse_qs(urlsplit(uri[0]).query)["token"][0]
        assert bearer.offer_of_reference(kek, "oid4vci", token) == uuid.UUID(response.json()["id"])
        assert bearer.offer_of_reference(kek, "vcapi", token) is None  # one purpose each
        assert bearer.offer_of_reference(b"\x00" * 32, "oid4vci", token) is None  # another KEK
        tokens.append(token)
    assert tokens[0] != tokens[1]  # two offers of one credential: two references
    with app.state.sessionmaker() as session:
        offer = offers.find_offer(session, uuid.UUID(made[0].json()["id"]))
        assert offer is not None
        assert wallets.wallet_links(session, app.state.context, offer) == wallets.wallet_links(
            session, app.state.context, offer
        )
        assert not session.new
        assert not session.dirty


# --- a base URL with a path ----------------------------------------------------------------------


def _strip_prefix(app: FastAPI, prefix: str) -> Any:
    """A reverse proxy in front of the service: ``/badges/…`` to the service's ``/…``; the
    host's ``/.well-known/…/badges`` passed on as is."""

    async def proxy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == prefix or path.startswith(prefix + "/")):
            inner = path[len(prefix) :] or "/"
            scope = {**scope, "path": inner, "raw_path": inner.encode()}
        await app(scope, receive, send)

    return proxy


@pytest.fixture(scope="module")
def path_app(settings: Settings) -> Iterator[FastAPI]:
    """The service with ``BADGES_BASE_URL=https://host.test/badges`` (the suite's database)."""
    application = create_app(
        settings.model_copy(update={"base_url": PATH_BASE, "wallet_rate_per_minute": 0})
    )
    yield application
    application.state.engine.dispose()
    if application.state.autocommit_engine is not None:
        application.state.autocommit_engine.dispose()


@pytest.fixture
def behind_proxy(path_app: FastAPI) -> TestClient:
    return TestClient(
        _strip_prefix(path_app, "/badges"),
        base_url="https://host.test",
        raise_server_exceptions=False,
    )


def test_metadata_of_an_issuer_with_a_path(path_app: FastAPI, behind_proxy: TestClient) -> None:
    assert well_known(PATH_BASE, "openid-credential-issuer") == (
        "https://host.test/.well-known/openid-credential-issuer/badges"
    )
    inserted = behind_proxy.get("/.well-known/openid-credential-issuer/badges")
    appended = behind_proxy.get("/badges/.well-known/openid-credential-issuer")  # Draft 13
    assert inserted.status_code == appended.status_code == 200, inserted.text
    assert inserted.json() == appended.json()
    issuer = inserted.json()
    assert issuer["credential_issuer"] == PATH_BASE
    assert issuer["authorization_servers"] == [PATH_BASE]
    assert issuer["credential_endpoint"] == f"{PATH_BASE}/wallets/oid4vci/credential"
    assert issuer["nonce_endpoint"] == f"{PATH_BASE}/wallets/oid4vci/nonce"

    inserted = behind_proxy.get("/.well-known/oauth-authorization-server/badges")
    appended = behind_proxy.get("/badges/.well-known/oauth-authorization-server")
    assert inserted.status_code == appended.status_code == 200, inserted.text
    assert inserted.json() == appended.json()
    assert inserted.json()["issuer"] == PATH_BASE
    assert inserted.json()["token_endpoint"] == f"{PATH_BASE}/wallets/oid4vci/token"

    for other in ("other", "badges/more", ""):
        for name in ("openid-credential-issuer", "oauth-authorization-server"):
            response = behind_proxy.get(f"/.well-known/{name}/{other}")
            assert response.status_code == 404, (name, other)


def test_no_inserted_form_without_a_path(client: TestClient) -> None:
    """The suite's base URL has no path: only the plain documents exist."""
    assert client.get("/.well-known/openid-credential-issuer").status_code == 200
    assert client.get("/.well-known/openid-credential-issuer/badges").status_code == 404
    assert client.get("/.well-known/oauth-authorization-server/badges").status_code == 404


def test_a_wallet_receives_a_credential_from_an_issuer_with_a_path(
    path_app: FastAPI, behind_proxy: TestClient, admin_headers: dict[str, str]
) -> None:
    inner = TestClient(path_app, base_url="https://host.test", raise_server_exceptions=False)
    issuer = make_issuer(inner, admin_headers)
    achievement = make_achievement(inner, issuer)
    credential = issue(inner, issuer, achievement["id"], proof="both", notify=False)
    made = inner.post(f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers)
    assert made.status_code == 201, made.text
    link = made.json()["oid4vciOffer"]
    uri = parse_qs(urlsplit(link).query)["credential_offer_uri"][0]
    assert uri.startswith(f"{PATH_BASE}/wallets/oid4vci/offer?token=")
    lcw = json.loads(parse_qs(urlsplit(made.json()["lcwLink"]).query)["request"][0])
    assert lcw["credentialRequestOrigin"] == PATH_BASE
    assert lcw["protocols"]["vcapi"].startswith(f"{PATH_BASE}/wallets/vcapi/exchange?token=")

    holder = HolderKey()
    received = ScriptedWallet(behind_proxy).receive(link, holder, LDP)  # aud: the path's issuer
    assert received["credentialSubject"]["id"] == holder.did
