"""A wallet written from the specifications, over HTTP only: it shares no code path with the
service (joserfc for key proofs, httpx for requests; the ``openbadges`` library only to make
the DIDAuth presentation's Data Integrity signature, as a wallet's own library would).

* OpenID4VCI 1.0 pre-authorized code flow: offer by reference → issuer and AS metadata →
  token → nonce → credential with a ``jwt`` key proof (``kid`` did:key or ``jwk``).
* VC-API exchange as the DCC Learner Credential Wallet runs it: ``POST {}`` → DIDAuth request
  → signed presentation (Ed25519Signature2020 or eddsa-rdfc-2022) → credential.
"""

from __future__ import annotations

import base64
import json
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import base58
import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from openbadges.keys import KeyType, PublicKey, SigningKey
from openbadges.proofs.data_integrity import proof_hash_data

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def well_known(identifier: str, name: str) -> str:
    """Where metadata of ``identifier`` is (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3.1): the
    ``/.well-known/<name>`` segment inserted between the host and the path, if any."""
    parts = urlsplit(identifier)
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}/.well-known/{name}{path}"


@dataclass
class HolderKey:
    """A holder key for key proofs: Ed25519 (``EdDSA`` or ``Ed25519``) or P-256 (``ES256``)."""

    kind: str = "Ed25519"
    binding: str = "kid"  # "kid" (did:key URL) or "jwk" (did:jwk)
    alg: str | None = None
    key: Any = field(init=False)

    def __post_init__(self) -> None:
        self.key = (
            OKPKey.generate_key("Ed25519")
            if self.kind == "Ed25519"
            else ECKey.generate_key("P-256")
        )
        if self.alg is None:
            self.alg = "EdDSA" if self.kind == "Ed25519" else "ES256"

    @property
    def public_jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=False))

    @property
    def did_key(self) -> str:
        """did:key from the multicodec public key (Ed25519 0xed01, P-256 0x8024 compressed)."""
        return "did:key:" + PublicKey.from_jwk(self.public_jwk).multibase

    @property
    def did(self) -> str:
        if self.binding == "kid":
            return self.did_key
        jwk = self.public_jwk
        text = json.dumps(
            {k: jwk[k] for k in sorted(jwk) if k in ("crv", "kty", "x", "y")}, separators=(",", ":")
        )
        return "did:jwk:" + _b64(text.encode())

    def proof(
        self,
        *,
        aud: str,
        nonce: str | None,
        iat: float | None = None,
        typ: str = "openid4vci-proof+jwt",
        **extra_header: Any,
    ) -> str:
        header: dict[str, Any] = {"alg": self.alg, "typ": typ, **extra_header}
        if self.binding == "kid":
            header.setdefault("kid", f"{self.did_key}#{self.did_key.removeprefix('did:key:')}")
        else:
            header.setdefault("jwk", self.public_jwk)
        claims: dict[str, Any] = {"aud": aud, "iat": int(iat if iat is not None else time.time())}
        if nonce is not None:
            claims["nonce"] = nonce
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by RFC 9864
            return jwt.encode(header, claims, self.key, algorithms=[str(self.alg)])


@dataclass
class Oid4vciSession:
    """What the wallet learnt on the way: offer, metadata, token, nonce."""

    offer: dict[str, Any]
    issuer_metadata: dict[str, Any]
    token_endpoint: str
    access_token: str | None = None
    c_nonce: str | None = None


class ScriptedWallet:
    """Drive the service as a wallet app would, through ``http`` (any httpx client)."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    # --- OpenID4VCI ---

    def open_offer(self, offer_link: str) -> Oid4vciSession:
        assert offer_link.startswith("openid-credential-offer://?")
        query = parse_qs(urlsplit(offer_link).query)
        response = self.http.get(query["credential_offer_uri"][0])
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        offer = response.json()
        issuer = offer["credential_issuer"]
        metadata = self.http.get(well_known(issuer, "openid-credential-issuer")).json()
        assert metadata["credential_issuer"] == issuer  # 1.0 §12.2.2: simple string comparison
        server = metadata.get("authorization_servers", [issuer])[0]
        as_metadata = self.http.get(well_known(server, "oauth-authorization-server")).json()
        assert as_metadata["issuer"] == server  # RFC 8414 §3.3
        assert as_metadata["pre-authorized_grant_anonymous_access_supported"] is True
        return Oid4vciSession(offer, metadata, as_metadata["token_endpoint"])

    def token(
        self, session: Oid4vciSession, *, tx_code: str | None = None, code: str | None = None
    ) -> httpx.Response:
        grant = session.offer["grants"][PRE_AUTH]
        form = {"grant_type": PRE_AUTH, "pre-authorized_code": code or grant["pre-authorized_code"]}
        if tx_code is not None:
            form["tx_code"] = tx_code
        response = self.http.post(session.token_endpoint, data=form)
        if response.status_code == 200:
            body = response.json()
            session.access_token = body["access_token"]
            session.c_nonce = body.get("c_nonce")
        return response

    def nonce(self, session: Oid4vciSession) -> str:
        response = self.http.post(session.issuer_metadata["nonce_endpoint"])
        assert response.status_code == 200, response.text
        assert "no-store" in response.headers["cache-control"]
        session.c_nonce = response.json()["c_nonce"]
        return session.c_nonce

    def credential_request(
        self, session: Oid4vciSession, body: dict[str, Any], *, access_token: str | None = None
    ) -> httpx.Response:
        token = access_token or session.access_token
        return self.http.post(
            session.issuer_metadata["credential_endpoint"],
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )

    def request_credential(
        self, session: Oid4vciSession, holder: HolderKey, config_id: str, **proof_args: Any
    ) -> httpx.Response:
        nonce = proof_args.pop("nonce", None) or self.nonce(session)
        aud = proof_args.pop("aud", session.offer["credential_issuer"])
        proof = holder.proof(aud=aud, nonce=nonce, **proof_args)
        return self.credential_request(
            session, {"credential_configuration_id": config_id, "proofs": {"jwt": [proof]}}
        )

    def receive(
        self, offer_link: str, holder: HolderKey, config_id: str, *, tx_code: str | None = None
    ) -> Any:
        """The whole flow; the credential as the wallet stores it."""
        session = self.open_offer(offer_link)
        assert config_id in session.offer["credential_configuration_ids"]
        response = self.token(session, tx_code=tx_code)
        assert response.status_code == 200, response.text
        response = self.request_credential(session, holder, config_id)
        assert response.status_code == 200, response.text
        return response.json()["credentials"][0]["credential"]

    # --- VC-API (DCC Learner Credential Wallet) ---

    @staticmethod
    def exchange_url(lcw_link: str) -> str:
        assert lcw_link.startswith("https://lcw.app/request?request=")
        message = json.loads(parse_qs(urlsplit(lcw_link).query)["request"][0])
        return str(message["protocols"]["vcapi"])

    def start_exchange(self, lcw_link: str) -> tuple[str, dict[str, Any]]:
        url = self.exchange_url(lcw_link)
        response = self.http.post(url, json={})
        assert response.status_code == 200, response.text
        request = response.json()["verifiablePresentationRequest"]
        assert request["query"][0]["type"] == "DIDAuthentication"
        assert request["challenge"]
        assert request["domain"]
        return url, request

    @staticmethod
    def did_auth(
        key: SigningKey,
        *,
        challenge: str,
        domain: str,
        suite: str = "Ed25519Signature2020",
        vc_context: str = VC_V2,
    ) -> dict[str, Any]:
        """A DIDAuth presentation signed as LCW signs it (vc.signPresentation)."""
        assert key.key_type is KeyType.ED25519
        multibase = key.public_key.multibase
        did = f"did:key:{multibase}"
        if suite == "Ed25519Signature2020":
            context = [vc_context, ED25519_2020_CONTEXT]
            options = {"type": "Ed25519Signature2020"}
        else:
            context = [VC_V2]
            options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}
        presentation = {"@context": context, "type": ["VerifiablePresentation"], "holder": did}
        options.update(
            {
                "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "verificationMethod": f"{did}#{multibase}",
                "proofPurpose": "authentication",
                "challenge": challenge,
                "domain": domain,
            }
        )
        signature = key.sign(proof_hash_data(presentation, options))
        return {
            **presentation,
            "proof": {**options, "proofValue": "z" + base58.b58encode(signature).decode()},
        }
