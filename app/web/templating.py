"""The Jinja2 environment: autoescaping on for every template, one instance per process.

Autoescape is the XSS line: every string from a credential reaches a template as plain
``str``, and only :func:`app.web.markup.markdown` output (already sanitised) is ``Markup``.
"""

from __future__ import annotations

import types
from collections import ChainMap
from collections.abc import KeysView, MutableMapping
from itertools import chain
from pathlib import Path
from typing import Any

import markupsafe
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from jinja2.runtime import Context, Macro
from markupsafe import Markup

from app.web import static
from app.web.check_rows import check_row, checks_section
from app.web.i18n import SUPPORTED, Translator

TEMPLATES_DIR = Path(__file__).parent / "templates"


_PLAIN_CALLABLES = (Translator, Macro)
"""Callables that never take Jinja's context: the translator ``t`` and macros."""
_FUNCTIONS = (types.FunctionType, types.MethodType, types.BuiltinFunctionType)


class _DirectCallContext(Context):
    """Jinja's context, calling plain callables directly.

    Every ``{{ f(...) }}`` in a template goes through :meth:`Context.call`, which looks each
    callable over for ``pass_context``/``pass_environment`` (two attribute probes per call, and
    two more for a callable object): a credential page makes about 60 such calls (``t(...)``,
    macros, ``check_row``), and the probes were an eighth of its rendering. The translator and
    macros never take the context, and a function or method is called directly when it is not
    marked (``jinja_pass_arg``); anything else takes Jinja's own way. (The parameters keep
    Jinja's dunder names, so a template may pass keywords such as ``obj=`` through.)
    """

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, _PLAIN_CALLABLES) or (
            type(__obj) in _FUNCTIONS and not hasattr(__obj, "jinja_pass_arg")
        ):
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:  # as Jinja's own call answers it
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception"
                )
        return super().call(__obj, *args, **kwargs)


_escape_text = getattr(markupsafe, "_escape_inner", None)
"""markupsafe's own escaping of a ``str`` (its C speedup when built), which its public
``escape`` wraps; None if a release stops exposing it (then :func:`escape` is markupsafe's)."""
_new_str = str.__new__


def escape(value: Any) -> Markup:
    """:func:`markupsafe.escape`, the same text, for a plain ``str`` without running
    :class:`~markupsafe.Markup`'s constructor in Python.

    Every ``{{ value }}`` of an autoescaped template is one call of this: ~130 on a
    credential page, where ``Markup.__new__`` (an ``__html__`` probe, then ``str.__new__``)
    was a twelfth of the page's rendering by samples (through it a cold page took 3 % more
    instructions). A ``str`` has no ``__html__``, so the probe is skipped; a ``Markup`` (a
    macro's output, sanitised Markdown) is already safe and is returned as it is; everything
    else (numbers, objects with ``__html__``) takes markupsafe's own path.
    """
    kind = type(value)
    if kind is str and _escape_text is not None:
        result: Markup = _new_str(Markup, _escape_text(value))
        return result
    if kind is Markup:  # markupsafe would copy it (Markup(value.__html__())): it is immutable
        same: Markup = value
        return same
    return markupsafe.escape(value)


class _Template(Template):
    """A template whose compiled code escapes through :func:`escape`.

    Jinja's generated module imports ``escape`` from :mod:`jinja2.runtime` into the namespace
    its render functions run in; the name is swapped there once, when the template is made.
    """

    @classmethod
    def _from_namespace(
        cls,
        environment: Environment,
        namespace: MutableMapping[str, Any],
        globals: MutableMapping[str, Any],
    ) -> Template:
        if namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = escape
        return super()._from_namespace(environment, namespace, globals)


class _Globals(ChainMap[str, Any]):
    """A template's globals (Jinja's ``ChainMap`` of its own over the environment's) whose
    ``keys()`` is a native dict view.

    Rendering a page, each ``{% from … import … %}`` asks which of the page's globals the
    imported template lacks (``ctx.globals_keys - template.globals.keys()``): against a
    ``ChainMap``'s Python ``KeysView`` that is a membership probe in Python per global, ~12 us
    an import, 3 % of a worker's time on cold pages (py-spy); against a dict view, one set
    operation in C. Still a view of the maps it chains: a global added later is seen.
    """

    def keys(self) -> KeysView[str]:
        return dict.fromkeys(chain.from_iterable(reversed(self.maps))).keys()


class _Environment(Environment):
    """Jinja's environment whose templates' globals are :class:`_Globals`."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return _Globals({} if d is None else d, self.globals)


def _make_env() -> Environment:
    """The environment over this package's templates (every HTML page lives here)."""
    environment = _Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,  # a typo in a template fails the tests instead of printing ""
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    environment.context_class = _DirectCallContext
    environment.template_class = _Template
    # check_row, checks_section: rendered in Python, rows kept per wording (app.web.check_rows)
    environment.globals.update(
        static_url=static.url,
        locales=SUPPORTED,
        check_row=check_row,
        checks_section=checks_section,
    )
    return environment


env = _make_env()


def render(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context``."""
    return env.get_template(name).render(**context)
