"""Per-worker caches of the public read paths: signed bytes, page state, pages, QR codes.

What a stranger can fetch without credentials is answered from memory where the answer cannot
mislead: signed bytes never change (only visibility does, for a few seconds in other workers),
and the page's verdict is keyed on the columns that change it.

Who reads what: a request reaches these stores only through
``app.credentials.public_reads.answer``, the same code for the pre-routing shortcut (memory
only) and for the routes (which fill a miss from the database). Through it, ``published`` and
``public_states`` are read by ``app.credentials.published`` (``cached``/``load``,
``cached_state``/``public_state``), ``rendered_pages``, ``page_reports`` and ``page_locks`` by
``app.web.credential_page`` (``cached_page``, ``render_credential_page``), ``qr_images`` by
``app.web.qr`` and ``public_urls`` by ``public_reads`` itself. ``baked_badges`` is the badge
download routes' own (``app.web.downloads``); the shortcut does not serve them. ``display_images``
(``/credentials/{id}/image.png|svg``, ``app.web.downloads``) and ``og_images``
(``/credentials/{id}/og.png``, ``app.web.og_image``) are their routes' own likewise.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.core.cache import TtlLru
from app.events import CredentialStatusChanged, CredentialVisibilityChanged, IssuerUpdated
from app.hot.registry import declare

if TYPE_CHECKING:
    from app.credentials.published import PublicState, PublishedCredential
    from app.web.downloads import BakedFile, DisplayImage
    from app.web.og_image import OgImage
    from app.web.qr import QrImage

VISIBILITY_TTL_S = 10.0
"""How long another worker may keep serving a credential hidden since (this one: not at all)."""
STATE_TTL_S = 1.0
"""How long a worker shows a page for a status it read (the changing worker: not at all)."""

PUBLISHED_CACHE_BYTES = 32_000_000
"""The signed forms one worker keeps in all: signed JSON is ~3 KB, but a credential carries its
achievement's image (a ``data:`` URI up to the request body limit), so a count alone could
hold gigabytes."""

published: TtlLru[uuid.UUID, PublishedCredential] = declare(
    TtlLru(
        4096,
        weigh=lambda hit: len(hit.json or b"") + len(hit.jwt or ""),
        max_weight=PUBLISHED_CACHE_BYTES,
    ),
    name="published signed credentials",
    ttl_s=VISIBILITY_TTL_S,
    cleared_by=(CredentialVisibilityChanged, CredentialStatusChanged),
    stale_effect="another worker serves the signed JSON/JWT of a credential hidden in the "
    "last 10 s (the bytes themselves never change; status is read from the status list)",
)
"""Shared links concentrate on few ids; bounded in entries and in bytes."""

public_states: TtlLru[uuid.UUID, PublicState] = declare(
    TtlLru(16384),
    name="public credential states",
    ttl_s=STATE_TTL_S,
    cleared_by=(CredentialVisibilityChanged, CredentialStatusChanged),
    stale_effect="another worker's page shows a revocation, suspension or hiding up to 1 s late",
)

PUBLIC_ID_TTL_S = 60.0
"""How long "this id is a public credential" is trusted without asking the database again."""

public_urls: TtlLru[uuid.UUID, str] = declare(
    TtlLru(16_384),
    name="public credential URLs (QR codes)",
    ttl_s=PUBLIC_ID_TTL_S,
    why_no_event="it holds only the credential's URL, which the QR code encodes: answering "
    "for a credential hidden since reveals nothing",
    stale_effect="the QR code of a credential hidden in the last minute is still served",
)

QR_CACHE_TTL_S = 24 * 3600.0
"""How long a made QR code is kept (a memory bound: a QR code is a function of its URL)."""

qr_images: TtlLru[tuple[str, str], QrImage] = declare(
    TtlLru(4096),
    name="QR images",
    ttl_s=QR_CACHE_TTL_S,
    why_no_event="keyed by the URL it encodes and the format: the image cannot change",
    stale_effect="none",
)

BAKED_CACHE_BYTES = 16_000_000
"""The baked files one worker keeps in all: an issuer's picture may be 2 MB, so 512 entries
counted alone could hold a gigabyte."""
BAKED_TTL_S = 3600.0

baked_badges: TtlLru[tuple[str, str], tuple[str, BakedFile]] = declare(
    TtlLru(512, weigh=lambda hit: len(hit[0]) + len(hit[1].body), max_weight=BAKED_CACHE_BYTES),
    name="baked badge downloads",
    ttl_s=BAKED_TTL_S,
    why_no_event="each entry holds the signed payload it baked and is used only when that "
    "is still the credential's payload",
    stale_effect="none",
)
"""``(credential id, kind)`` -> (the signed payload baked, the file)."""

DISPLAY_CACHE_BYTES = 16_000_000
"""The unbaked badge pictures one worker keeps in all (a generated PNG is ~40 KB)."""
DISPLAY_TTL_S = 3600.0

display_images: TtlLru[tuple[str, str, str], DisplayImage] = declare(
    TtlLru(1024, weigh=lambda hit: len(hit.body), max_weight=DISPLAY_CACHE_BYTES),
    name="badge display images",
    ttl_s=DISPLAY_TTL_S,
    why_no_event="keyed by the credential id, the format and the digest of the design (name, "
    "issuer colours, caption): a colour change is a new key; the route checks visibility "
    "in the database before using it",
    stale_effect="none",
)
"""``(credential id, "png"|"svg", design key)`` -> the picture (``app.web.downloads``)."""

OG_CACHE_BYTES = 16_000_000
"""The Open Graph images one worker keeps in all (one is ~60-120 KB)."""
OG_TTL_S = 3600.0

og_images: TtlLru[tuple[str, str, str], OgImage] = declare(
    TtlLru(256, weigh=lambda hit: len(hit.body), max_weight=OG_CACHE_BYTES),
    name="Open Graph images",
    ttl_s=OG_TTL_S,
    why_no_event="keyed by the credential id, the locale and the digest of the design "
    "(name, issuer colours and name): a colour change is a new key; the route checks "
    "visibility in the database before using it",
    stale_effect="none",
)
"""``(credential id, locale, design key)`` -> the 1200 × 630 PNG (``app.web.og_image``)."""

PAGE_MAX_TTL_S = 60.0
"""The longest a credential page's verdict or rendering is reused (less when the status
lists' ``ttl`` is shorter, never past the next validFrom / validUntil boundary)."""
REPORT_CACHE_BYTES = 32_000_000
"""The credentials the kept reports hold, in all (a report holds the credential it verified,
as large as its achievement's image: ~3 KB usually, up to the request body limit)."""

page_reports: TtlLru[tuple[Any, ...], tuple[Any, datetime, int]] = declare(
    TtlLru(4096, weigh=lambda hit: hit[2], max_weight=REPORT_CACHE_BYTES),
    name="credential page verification reports",
    ttl_s=PAGE_MAX_TTL_S,
    why_no_event="keyed by the credential's id, revoked_at and suspended_at: a status change "
    "is a new key, so the next view verifies afresh",
    stale_effect="a change the key does not see (a list edited by hand) shows within a minute",
)

PAGE_CACHE_BYTES = 32_000_000
"""The rendered pages one worker keeps in all (a page is ~12 KB; 8,192 of them ~100 MB)."""

rendered_pages: TtlLru[tuple[Any, ...], tuple[bytes, str]] = declare(
    TtlLru(8192, weigh=lambda hit: len(hit[0]), max_weight=PAGE_CACHE_BYTES),
    name="rendered credential pages",
    ttl_s=PAGE_MAX_TTL_S,
    why_no_event="keyed like the reports (plus the locale): a status change is a new key",
    stale_effect="as the reports: at most a minute for what the key does not see",
)

PAGE_LOCKS_MAX = 4096
"""Idle page locks are forgotten all at once past this many (a held one stays referenced by
its holder)."""

page_locks: dict[tuple[Any, ...], threading.Lock] = declare(
    {},
    name="credential page verification locks",
    ttl_s=None,
    why_no_ttl="locks, not data; dropped all at once past PAGE_LOCKS_MAX",
    why_no_event="a lock holds nothing that can go stale",
    stale_effect="none: concurrent views of one page verify once instead of each",
)


BRAND_TTL_S = 60.0
"""How long a worker shows an issuer's name, logo and colours as it read them (the worker that
changed them: not at all)."""

page_brands: TtlLru[uuid.UUID, tuple[Any]] = declare(
    TtlLru(4096),
    name="issuer brands on credential pages",
    ttl_s=BRAND_TTL_S,
    cleared_by=(IssuerUpdated,),
    stale_effect="another worker's pages show an issuer's previous name, logo or colours for "
    "up to a minute (a rendered page keeps what it showed for its own minute too)",
)
"""``issuer id`` -> (``app.web.brand.Brand`` or None,)."""

PROGRAM_CLR_TTL_S = 60.0
"""How long a signed program CLR download is reused (it embeds signed credentials, so it is
large; signing it costs a canonicalisation of the whole record)."""
PROGRAM_CLR_CACHE_BYTES = 16_000_000
"""The CLRs one worker keeps in all (a CLR embeds every module credential with its image)."""

program_clrs: TtlLru[tuple[Any, ...], bytes] = declare(
    TtlLru(256, weigh=len, max_weight=PROGRAM_CLR_CACHE_BYTES),
    name="program CLR downloads",
    ttl_s=PROGRAM_CLR_TTL_S,
    why_no_event="keyed by the award's id, the language and the state (revoked, suspended, "
    "expired, hidden) of the award and of every module credential of the learner: a change "
    "of any of them, or a new module credential, is a new key",
    stale_effect="what the key does not see (the issuer's name, a new achievement version) "
    "shows in the download within a minute; the embedded credentials are the stored ones",
)
"""``(award id, locale, states)`` -> the signed CLR's bytes (``app.web.program_clr``)."""

CERTIFICATE_CACHE_BYTES = 32_000_000
"""The certificate PDFs one worker keeps in all (a certificate is ~30-60 KB with its font
subset, more with a large logo)."""
CERTIFICATE_TTL_S = 3600.0

certificates: TtlLru[tuple[Any, ...], tuple[bytes, str]] = declare(
    TtlLru(1024, weigh=lambda hit: len(hit[0]), max_weight=CERTIFICATE_CACHE_BYTES),
    name="certificate PDFs",
    ttl_s=CERTIFICATE_TTL_S,
    why_no_event="keyed by the credential's id, revoked_at, suspended_at, whether it has "
    "expired, the locale, its page URL and the issuer's updated_at and logo digest: a status, "
    "expiry or branding change is a new key; visibility is read from the database per request",
    stale_effect="the other language version's name of a bilingual achievement renamed since "
    "shows for up to an hour",
)
"""``app.certificates.render``'s: key -> (the PDF, its strong ETag)."""
