"""The pages' Jinja environment calls plain callables directly (app.web.templating), and renders
exactly what Jinja's own context renders."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import pass_context, pass_environment
from jinja2.runtime import Context
from web_support import Site, issue_showcase

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
def test_pages_render_as_with_jinjas_own_context(
    site: Site, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    showcase = issue_showcase(site.client)
    pages: dict[str, str] = {}
    for name, context_class in (("direct", templating._DirectCallContext), ("jinja", Context)):
        monkeypatch.setattr(templating.env, "context_class", context_class)
        clear_caches()
        for credential_id in (showcase.valid, showcase.revoked, showcase.expired):
            response = site.client.get(f"/credentials/{credential_id}?lang={lang}", headers=HTML)
            assert response.status_code == 200
            pages[f"{name}:{credential_id}"] = response.text
    for credential_id in (showcase.valid, showcase.revoked, showcase.expired):
        assert pages[f"direct:{credential_id}"] == pages[f"jinja:{credential_id}"]
