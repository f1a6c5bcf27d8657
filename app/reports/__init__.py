"""Reports for issuers: usage counters (page views, verifications, LinkedIn click-throughs,
counted in memory per worker and flushed in batches), report queries over a period, program
funnels, SVG charts and CSV exports, and the issuer API (``/api/v1/reports``)."""
