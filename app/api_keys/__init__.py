"""Issuer API keys."""
