"""The Jinja2 environment: autoescaping on for every template, one instance per process.

Autoescape is the XSS line: every string from a credential reaches a template as plain
``str``, and only :func:`app.web.markup.markdown` output (already sanitised) is ``Markup``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.web import static
from app.web.check_rows import check_row
from app.web.i18n import SUPPORTED

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _make_env() -> Environment:
    """The environment over this package's templates (every HTML page lives here)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,  # a typo in a template fails the tests instead of printing ""
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    # check_row: rendered in Python and kept per wording (app.web.check_rows)
    environment.globals.update(static_url=static.url, locales=SUPPORTED, check_row=check_row)
    return environment


env = _make_env()


def render(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context``."""
    return env.get_template(name).render(**context)
