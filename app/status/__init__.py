"""Bitstring status lists."""
