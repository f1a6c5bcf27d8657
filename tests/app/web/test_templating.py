"""The pages' Jinja environment calls plain callables directly (app.web.templating), and renders
exactly what Jinja's own context renders."""

from __future__ import annotations

from typing import Any

import markupsafe
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Template, pass_context, pass_environment
from jinja2.runtime import Context
from web_support import Site, issue_showcase

from app.hot import public as hot
from app.web import templating
from app.web.credential_page import clear_caches

HTML = {"Accept": "text/html"}


def test_the_environment_calls_through_the_direct_context() -> None:
    assert templating.env.context_class is templating._DirectCallContext


def test_context_and_environment_taking_callables_still_get_them() -> None:
    @pass_context
    def page_name(context: Any) -> str:
        return str(context["name"])

    @pass_environment
    def autoescaping(environment: Any) -> bool:
        return bool(environment.autoescape)

    def stops() -> None:
        raise StopIteration

    template = templating.env.from_string(
        "{{ page_name() }} {{ autoescaping() }} {{ plain(2) }} [{{ stops() is undefined }}]"
    )
    rendered = template.render(
        name="credential",
        page_name=page_name,
        autoescaping=autoescaping,
        plain=lambda n: n * 21,
        stops=stops,
    )
    assert rendered == "credential True 42 [True]"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize(
    ("attribute", "ours", "jinjas"),
    [
        ("context_class", templating._DirectCallContext, Context),  # direct calls
        ("template_class", templating._Template, Template),  # the fast escape
    ],
    ids=["context", "escape"],
)
def test_pages_render_as_with_jinjas_own_classes(
    site: Site, monkeypatch: pytest.MonkeyPatch, lang: str, attribute: str, ours: Any, jinjas: Any
) -> None:
    showcase = issue_showcase(site.client)
    pages: dict[str, str] = {}
    clear_caches()
    for name, kind in (("ours", ours), ("jinja", jinjas)):
        monkeypatch.setattr(templating.env, attribute, kind)
        templating.env.cache.clear()  # type: ignore[union-attr]  # templates made anew
        # rendered anew from the same verification reports: their "checked at" minute is the
        # same for both renders (a fresh report could fall in the next minute)
        hot.rendered_pages.clear()
        for credential_id in (showcase.valid, showcase.revoked, showcase.expired):
            response = site.client.get(f"/credentials/{credential_id}?lang={lang}", headers=HTML)
            assert response.status_code == 200
            pages[f"{name}:{credential_id}"] = response.text
    templating.env.cache.clear()  # type: ignore[union-attr]
    for credential_id in (showcase.valid, showcase.revoked, showcase.expired):
        assert pages[f"ours:{credential_id}"] == pages[f"jinja:{credential_id}"]


def test_templates_escape_through_the_fast_escape() -> None:
    for name in ("credential.html", "_macros.html", "base.html"):
        template = templating.env.get_template(name)
        assert template.root_render_func.__globals__["escape"] is templating.escape


@given(st.text())
def test_the_fast_escape_gives_markupsafes_text_and_type(text: str) -> None:
    assert templating.escape(text) == markupsafe.escape(text)
    assert type(templating.escape(text)) is markupsafe.Markup


@pytest.mark.parametrize("value", [markupsafe.Markup("<b>kept</b>"), 42, 1.5, None, Site])
def test_the_fast_escape_leaves_everything_else_to_markupsafe(value: object) -> None:
    assert templating.escape(value) == markupsafe.escape(value)
    assert type(templating.escape(value)) is markupsafe.Markup


def test_template_globals_are_a_live_view_with_native_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    template = templating.env.get_template("_macros.html")
    assert type(template.globals.keys()) is type({}.keys())  # a set operation in C, not Python
    assert set(template.globals.keys()) == set(templating.env.globals)
    monkeypatch.setitem(templating.env.globals, "added_later", "seen")
    assert "added_later" in template.globals.keys()
    page = templating.env.from_string('{% from "_macros.html" import icon %}{{ added_later }}')
    assert page.render() == "seen"
