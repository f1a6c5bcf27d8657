"""Open Badges 3.0 / W3C Verifiable Credentials: model, proofs, keys, status lists, baking, verification."""
