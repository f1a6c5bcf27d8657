"""Getting a learner's credential into a wallet: OpenID4VCI 1.0 and the VC-API exchange.

* :mod:`app.wallets.oid4vci` — the OpenID for Verifiable Credential Issuance 1.0 (final,
  https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html) pre-authorized
  code flow: credential offer by reference, issuer and authorization-server metadata, token,
  nonce and credential endpoints, ``jwt`` key proofs (:mod:`app.wallets.key_proof`).
* :mod:`app.wallets.vcapi` — the VC-API exchange the DCC Learner Credential Wallet speaks
  (https://w3c-ccg.github.io/vc-api/#exchanges): a ``VerifiablePresentationRequest`` for
  DIDAuthentication, then the credential in a presentation (:mod:`app.wallets.did_auth`).

Both end in ``app.offers.service.bind_to_holder``: the offer's credential, issued again with
``credentialSubject.id`` = the holder's DID. :func:`app.wallets.service.wallet_links` makes the
links the claim page and the offers API show, without writing anything: they name the offer by
an HMAC reference (:mod:`app.wallets.bearer`), the same on every view. The rows are made when a
wallet comes: the pre-authorized code (and its e-mailed transaction code) when the wallet
fetches the ``credential_offer_uri``, the exchange at the wallet's first ``POST``.
"""
