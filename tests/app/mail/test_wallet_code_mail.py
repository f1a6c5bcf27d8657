"""The optional OpenID4VCI transaction code, e-mailed to the learner (issue 12, item 4).

OpenID4VCI 1.0 §4.1.1: an offer may ask the wallet for a ``tx_code`` that reaches the user by
another channel than the offer's QR code. With ``BADGES_WALLET_TX_CODE`` the offer asks for six
digits, and the code goes out by e-mail when a wallet fetches the offer (the pre-authorized
code is minted then), in the same transaction.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mail_support import Inbox, run_outbox

from app.core.context import AppContext
from app.mail import sealing
from app.offers import service as offers
from app.outbox import service as outbox
from app.wallets import repository as wallet_repository
from app.wallets import service as wallets
from app.wallets.bearer import digest

pytestmark = pytest.mark.usefixtures("quiet_outbox")


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers, name={"en": "Code University", "zh-CN": "验证码大学"})


def test_the_code_goes_to_the_learner_by_email_and_the_offer_asks_for_it(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    inbox: Inbox,
    mail_context: AppContext,
) -> None:
    achievement = make_achievement(client, issuer, name="Terminology Management")
    to = f"code-{uuid.uuid4().hex[:8]}@uni.example"
    credential = issue(
        client, issuer, achievement["id"], recipient={"email": to, "name": "Li Wei"}, notify=False
    )
    offer_id = client.post(
        f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers
    ).json()["id"]
    run_outbox(app, mail_context)  # what the offer's own wallet links sent (nothing: off)
    assert inbox.to(to) == []

    context = mail_context
    with app.state.sessionmaker() as session:
        offer = offers.find_offer(session, uuid.UUID(offer_id))
        assert offer is not None
        links = wallets.wallet_links(session, context, offer)
    reference = links.oid4vci_offer_url.split("credential_offer_uri=", 1)[1]
    token = parse_qs(urlsplit(unquote(reference)).query)["token"][0]
    run_outbox(app, mail_context)
    assert inbox.to(to) == []  # the links alone send nothing
    with app.state.sessionmaker() as session:  # a wallet fetches the offer
        body = wallets.credential_offer(session, context, token, tx_code=True)
    run_outbox(app, mail_context)
    (message,) = inbox.to(to)
    text = message.get_body(("plain",)).get_content()
    with app.state.sessionmaker() as session:
        (sealed,) = [
            d.payload["codeSealed"]
            for d in outbox.deliveries_for_target(
                session, uuid.UUID(issuer.id), uuid.UUID(credential["id"])
            )
            if "codeSealed" in d.payload
        ]
    tx_code = sealing.open_sealed(context.settings.kek_bytes(), uuid.UUID(credential["id"]), sealed)
    assert re.fullmatch(r"\d{6}", tx_code)
    assert tx_code in text
    assert message["Subject"] == "Your wallet code for Terminology Management"
    # the offer asks the wallet for the code (six digits, by e-mail), and it is the grant's
    grant_body = body["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant_body["tx_code"]["length"] == 6
    with app.state.sessionmaker() as session:
        grant = wallet_repository.grant_by_code(session, digest(grant_body["pre-authorized_code"]))
        assert grant is not None
        assert grant.tx_code_hash == digest(tx_code)
    # the code is sealed in the stored delivery, not written out
    with app.state.sessionmaker() as session:
        payloads = [
            d.payload
            for d in outbox.deliveries_for_target(
                session, uuid.UUID(issuer.id), uuid.UUID(credential["id"])
            )
        ]
    assert payloads
    assert all(tx_code not in str(p) for p in payloads)


def test_without_email_the_offer_asks_for_no_code(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    """A credential issued to a DID alone has no address to send a code to: no code asked."""
    achievement = make_achievement(client, issuer)
    credential = issue(
        client, issuer, achievement["id"], recipient={"did": "did:example:learner"}, notify=False
    )
    offer_id = client.post(
        f"/api/v1/credentials/{credential['id']}/offers", headers=issuer.headers
    ).json()["id"]
    with app.state.sessionmaker() as session:
        offer = offers.find_offer(session, uuid.UUID(offer_id))
        assert offer is not None
        links = wallets.wallet_links(session, app.state.context, offer)
    assert not links.tx_code_sent
    reference = links.oid4vci_offer_url.split("credential_offer_uri=", 1)[1]
    token = parse_qs(urlsplit(unquote(reference)).query)["token"][0]
    with app.state.sessionmaker() as session:
        body = wallets.credential_offer(session, app.state.context, token, tx_code=True)
    grant_body = body["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert "tx_code" not in grant_body
