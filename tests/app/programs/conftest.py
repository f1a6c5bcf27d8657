"""Fixtures for the programs tests (see ``_fixtures``)."""

from _fixtures import client, context, engine, session, settings  # noqa: F401
