"""The live server of the wallet tests (its fixture is in ``conftest.py``): its own application on the test database, whose base URL
is its own address, so the credentials it issues resolve (did:web on 127.0.0.1 is http) and
``python -m openbadges verify`` can check them online, as a verifier would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from app.mail import sealing
from app.models import Delivery, WalletAccessToken, WalletExchange, WalletGrant

ADMIN = "test-admin-token-" + "x" * 24


@dataclass
class Live:
    """The running server."""

    url: str
    app: FastAPI
    http: httpx.Client

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.state.engine
        return engine

    def offer(self, **credential: Any) -> dict[str, Any]:
        """A fresh issuer, achievement, credential (to an e-mail) and its offer (API answer)."""
        admin = {"Authorization": f"Bearer {ADMIN}"}
        name = {"en": f"Wallet University {uuid.uuid4().hex[:6]}"}
        issuer = self.http.post("/api/v1/issuers", json={"name": name}, headers=admin)
        assert issuer.status_code == 201, issuer.text
        key = self.http.post(f"/api/v1/issuers/{issuer.json()['id']}/api-keys", headers=admin)
        headers = {"Authorization": f"Bearer {key.json()['token']}"}
        achievement = self.http.post(
            "/api/v1/achievements",
            json={
                "name": "Translation Technology",
                "description": "Uses CAT tools.",
                "criteria": {"narrative": "Complete the project."},
                "achievementType": "MicroCredential",
            },
            headers=headers,
        )
        assert achievement.status_code == 201, achievement.text
        body = {
            "achievementId": achievement.json()["id"],
            "recipient": {"email": f"learner-{uuid.uuid4().hex[:6]}@example.org"},
            "proof": "both",
            **credential,
        }
        issued = self.http.post("/api/v1/credentials", json=body, headers=headers)
        assert issued.status_code == 201, issued.text
        offer = self.http.post(f"/api/v1/credentials/{issued.json()['id']}/offers", headers=headers)
        assert offer.status_code == 201, offer.text
        body = offer.json()
        # the offers API's camelCase alias of ``oid4vci_offer`` (pydantic's to_camel) is
        # "oid4VciOffer"; read either spelling
        link = body.get("oid4vciOffer") or body.get("oid4VciOffer")
        return {**body, "oid4vciOffer": link, "original": issued.json(), "headers": headers}

    def sent_codes(self, credential_id: str) -> list[str]:
        """The transaction codes e-mailed for a credential (unsealed from their deliveries),
        oldest first."""
        kek = self.app.state.context.settings.kek_bytes()
        with self.app.state.sessionmaker() as session:
            deliveries = session.scalars(
                select(Delivery)
                .where(Delivery.target_id == uuid.UUID(credential_id))
                .order_by(Delivery.created_at, Delivery.id)
            ).all()
            return [
                sealing.open_sealed(kek, uuid.UUID(credential_id), d.payload["codeSealed"])
                for d in deliveries
                if "codeSealed" in d.payload
            ]

    def wallet_rows(self, offer_id: str | None = None) -> dict[str, int]:
        """Rows in the wallet tables (of one offer, or all)."""
        counts: dict[str, int] = {}
        with self.app.state.sessionmaker() as session:
            for model in (WalletGrant, WalletExchange, WalletAccessToken):
                query = select(func.count()).select_from(model)
                if offer_id is not None:
                    query = query.where(model.offer_id == uuid.UUID(offer_id))
                counts[model.__tablename__] = int(session.scalar(query) or 0)
        return counts
