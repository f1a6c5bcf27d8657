"""Signed webhooks (Standard Webhooks) of issuers: endpoints, fan-out, sending, deliveries."""
