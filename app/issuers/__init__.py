"""Issuers: profiles, DID documents are in signing_keys."""
