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

from markupsafe import Markup, escape

from app.web.check_details import localise_detail
from app.web.i18n import Translator

KEPT_DETAIL_CHARS = 2_000
"""A row whose detail is longer is rendered every time, never kept (a report on someone
else's credential may carry long text: the memo holds at most 1,024 short rows)."""


def _icon(name: str, cls: str) -> str:
    """The inline SVG reference the pages' icon sprite answers (as the ``icon`` macro)."""
    return (
        f'<svg class="{escape(cls)}" aria-hidden="true" focusable="false">'
        f'<use href="#i-{escape(name)}"></use></svg>'
    )


def checks_section(panel: Any, t: Translator, collapsible: bool = False) -> Markup:
    """The ``<section>`` of a verification panel: heading, when it was checked, the rows.

    ``collapsible`` (the credential page): the rows that did not pass stay in view and the
    passed ones fold into one line ("All 8 checks passed"). Rendered here rather than as a
    macro for the same reason as the rows: as a macro, with its filters and loops, it was a
    quarter of the template's time on a page not yet cached. (Not kept: three of a
    credential's rows name its own status entries and dates.)
    """
    heading = escape(t("checks.heading"))
    checked = escape(t("checks.checked_at", when=t.datetime(panel.checked_at)))
    html = (
        f'<section class="checks" aria-labelledby="checks-title">'
        f'<h2 id="checks-title">{heading}</h2>'
        f'<p class="muted">{escape(t("checks.intro"))} <span class="checked-at">{checked}</span></p>'
    )
    if not collapsible:
        return Markup(html + _checklist(panel.rows, t) + "</section>")
    open_rows = [row for row in panel.rows if row.status != "valid"]
    passed = [row for row in panel.rows if row.status == "valid"]
    if open_rows:
        html += _checklist(open_rows, t)
    if passed:
        key = "cpage.checks.others_passed" if open_rows else "cpage.checks.all_passed"
        html += (
            f'<details class="checks__passed" data-passed="{len(passed)}">'
            f"<summary>{_icon('check', 'checks__passed-icon')}"
            f"<span>{escape(t(key, count=len(passed)))}</span></summary>"
            f"{_checklist(passed, t)}</details>"
        )
    return Markup(html + "</section>")


def _checklist(rows: Any, t: Translator) -> str:
    return '<ul class="checklist">' + "".join(check_row(row, t) for row in rows) + "</ul>"


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
    html = _head(t, check_id, status, icon_name)
    if detail:
        html += _detail(t, status, detail, localised)
    return Markup(html + "</div></li>")


@lru_cache(maxsize=256)
def _head(t: Translator, check_id: str, status: str, icon_name: str) -> str:
    """A row up to its detail: the same for every detail, so also kept for the rows that are
    not (three of a credential's rows name its own status entries and dates)."""
    # Plain strings with every value escaped (Markup.format costs ~4x as much).
    cid, st = escape(check_id), escape(status)
    return (
        f'<li class="check check--{st}" data-check="{cid}" data-status="{st}">'
        f"{_icon(icon_name, 'check__icon')}"
        f'<div><p class="check__head"><strong>{escape(t(f"check.{check_id}"))}</strong> '
        f'<span class="check__status">{escape(t(f"status.{status}"))}</span></p>'
        f'<p class="check__text">{escape(t(f"check.{check_id}.{status}"))}</p>'
    )


def _detail(t: Translator, status: str, detail: str, localised: bool) -> str:
    """The technical detail in the page language (a sentence the table does not know stays
    English and says so with ``lang``): folded for a passed check, in view otherwise."""
    runs = (
        [(segment.text, segment.lang) for segment in localise_detail(detail, t.locale).segments]
        if localised
        else [(detail, "en")]
    )
    text = " ".join(
        f'<span lang="{escape(lang)}">{escape(run)}</span>'
        if lang != t.locale
        else f"<span>{escape(run)}</span>"
        for run, lang in runs
    )
    technical = escape(t("checks.technical"))
    if status == "valid":
        return (
            f'<details class="check__more"><summary>{technical}</summary>'
            f'<p class="check__detail">{text}</p></details>'
        )
    return f'<p class="check__detail"><span class="visually-hidden">{technical}: </span>{text}</p>'
