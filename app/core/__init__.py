"""The service's foundations: settings, database, errors, security, events, HTTP plumbing.

Imports no domain package (an import-linter contract in pyproject.toml)."""
