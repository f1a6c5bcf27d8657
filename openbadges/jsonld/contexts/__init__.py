"""Bundled JSON-LD context documents (package data); see README.md for provenance."""
