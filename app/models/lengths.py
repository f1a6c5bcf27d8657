"""Column lengths of every ``String(n)`` column that API input lands in: one source for both.

PostgreSQL refuses a value longer than its ``VARCHAR(n)`` (SQLite stores it anyway), so an API
limit looser than its column turned an over-long value into a 500 on one database only. The
columns (``String(lengths.X)``) and the request schemas and path parameters (``max_length=``,
:mod:`app.core.schemas`) read the same constants here, so the API answers 422 naming the field
before the database sees the value. Changing a number here changes a column: that needs an
Alembic migration. Columns that only the service writes (purposes, states, hashes) keep their
literal lengths in the models; ``tests/app/test_column_lengths.py`` checks every one.
"""

from __future__ import annotations

LANGUAGE_TAG = 35
"""BCP 47 tags: issuers', programs' and achievements' languages, endorsement languages."""
EMAIL = 320
"""E-mail addresses (RFC 5321: 64 + 1 + 255): issuers.email, credentials.recipient_email."""
URL = 2048
"""URLs kept as columns: issuers.url, issuers.image."""
DID = 2048
"""Recipient DIDs: credentials.recipient_did."""
LEARNER = 2048
"""A learner identity (a normalised e-mail or a DID): program_learners.learner."""
NAME = 500
"""achievements.name and credentials.recipient_name (the API's ``ShortText``)."""
ACHIEVEMENT_TYPE = 100
"""achievements.achievement_type (a vocabulary term or an ``ext:`` extension term)."""
HUMAN_CODE = 100
"""achievements.human_code (``humanCode``)."""
FIELD_OF_STUDY = 200
"""achievements.field_of_study (``fieldOfStudy``)."""
API_KEY_NAME = 200
"""api_keys.name: the label given when creating a key."""
IDEMPOTENCY_KEY = 255
"""credentials.idempotency_key: the ``Idempotency-Key`` request header."""
ROW_KEY = 200
"""batch_rows.row_key: a spreadsheet row's ``rowKey`` (its idempotency key within the batch)."""
FILE_NAME = 255
"""batches.source_name: the uploaded file's name, as shown in lists."""
HEX_COLOR = 7
"""issuers.brand_color, issuers.accent_color: ``#rrggbb`` (the API's pattern allows no other)."""
