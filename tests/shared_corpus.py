"""Where the shared conformance material lives: ``../shared`` beside the repository.

One definition for every test module, relative to this checkout (never an absolute path), so a
clone anywhere reads the copy laid beside it — as CI lays it — and skips only when it is absent.
"""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = REPOSITORY.parent / "shared"
CONFORMANCE = SHARED / "conformance"
OB30_CORPUS = CONFORMANCE / "ob30"
CONFORMANCE_CONTEXTS = CONFORMANCE / "contexts"
CONFORMANCE_SCHEMAS = CONFORMANCE / "schemas"
