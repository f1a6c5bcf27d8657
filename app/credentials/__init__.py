"""Credentials: assembly, issuance, status changes, public URLs."""
