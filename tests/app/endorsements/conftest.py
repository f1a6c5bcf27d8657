"""Reuse the programs test fixtures (database, app, factories)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "programs"))

from _fixtures import client, context, engine, session, settings  # noqa: F401
