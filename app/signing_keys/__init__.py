"""Signing keys: creation, rotation, DID documents and the JWK Set."""
