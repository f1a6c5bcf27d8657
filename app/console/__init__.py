"""The staff console (issue 14): a browser UI for an issuer's staff at ``/console``.

Layers, one job per module: ``*_router`` modules take HTTP (forms, cookies, redirects) and
render pages; ``*_service`` modules decide (roles, lockout, invitations, the audit view);
:mod:`app.console.repository` reads and writes rows. Every change a page makes goes through
the same service the API uses (for example :func:`app.credentials.service.change_status`) with
an :class:`app.core.security.IssuerPrincipal` whose ``actor`` is ``staff:<user id>``, so the
audit log names the person.
"""
