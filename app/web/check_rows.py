"""One row of a verification panel as HTML: rendered in Python and kept per wording.

Every credential page, the ``/verify`` report and a CLR's included credentials show one row per
check. Five of a current credential's eight rows read the same on every page of an issuer
(format, structure, schema, proof, issuer key), so a row is a pure function of the page's
translator and the check's id, status and detail: kept in a bounded memo, it is made once per
wording. As a Jinja macro a row cost ~25 us of a page not yet cached (eight per page, the
biggest part of the template's time); here a kept row costs one dictionary lookup.

The markup is the one the panel's CSS, the browser tests and assistive technology read: a
passed check's technical detail folds away, a failed or unknown one stays in view.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import Markup

from app.web.check_details import localise_detail
from app.web.i18n import Translator

KEPT_DETAIL_CHARS = 2_000
"""A row whose detail is longer is rendered every time, never kept (a report on someone
else's credential may carry long text: the memo holds at most 1,024 short rows)."""


def icon(name: str, cls: str = "icon") -> Markup:
    """The inline SVG reference the pages' icon sprite answers (as the ``icon`` macro)."""
    return Markup(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="#i-{}"></use></svg>'
    ).format(cls, name)


def check_row(row: Any, t: Translator) -> Markup:
    """The ``<li>`` of one check (``row``: :class:`app.web.panel.CheckRow` or a check-like
    object with ``id``, ``status``, ``icon`` and ``detail``)."""
    localised = hasattr(row, "localised")
    detail = row.detail or ""
    if len(detail) > KEPT_DETAIL_CHARS:
        return _render(t, row.id, row.status, row.icon, detail, localised)
    return _kept(t, row.id, row.status, row.icon, detail, localised)


@lru_cache(maxsize=1024)
def _kept(
    t: Translator, check_id: str, status: str, icon_name: str, detail: str, localised: bool
) -> Markup:
    return _render(t, check_id, status, icon_name, detail, localised)


def _render(
    t: Translator, check_id: str, status: str, icon_name: str, detail: str, localised: bool
) -> Markup:
    parts = [
        Markup('<li class="check check--{0}" data-check="{1}" data-status="{0}">').format(
            status, check_id
        ),
        icon(icon_name, "check__icon"),
        Markup(
            '<div><p class="check__head"><strong>{}</strong> <span class="check__status">{}</span></p>'
        ).format(t(f"check.{check_id}"), t(f"status.{status}")),
        Markup('<p class="check__text">{}</p>').format(t(f"check.{check_id}.{status}")),
    ]
    if detail:
        parts.append(_detail(t, status, detail, localised))
    parts.append(Markup("</div></li>"))
    return Markup("").join(parts)


def _detail(t: Translator, status: str, detail: str, localised: bool) -> Markup:
    """The technical detail in the page language (a sentence the table does not know stays
    English and says so with ``lang``): folded for a passed check, in view otherwise."""
    runs = (
        [(segment.text, segment.lang) for segment in localise_detail(detail, t.locale).segments]
        if localised
        else [(detail, "en")]
    )
    text = Markup(" ").join(
        Markup('<span lang="{}">{}</span>').format(lang, run)
        if lang != t.locale
        else Markup("<span>{}</span>").format(run)
        for run, lang in runs
    )
    if status == "valid":
        return Markup(
            '<details class="check__more"><summary>{}</summary><p class="check__detail">{}</p></details>'
        ).format(t("checks.technical"), text)
    return Markup(
        '<p class="check__detail"><span class="visually-hidden">{}: </span>{}</p>'
    ).format(t("checks.technical"), text)
