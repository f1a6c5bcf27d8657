"""PDF certificates of stored credentials: ``GET /credentials/{id}/certificate.pdf``.

``layout`` draws a certificate from plain texts, colours and images (no database, no request);
``fonts`` finds the fonts it embeds; ``service`` gathers what a stored credential shows in one
language and keeps the made PDF in this worker's memory; ``router`` is the route.
"""
