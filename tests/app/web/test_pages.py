"""The credential page, QR codes, baked badges and /verify through the real app (no browser)."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from web_support import Issuer, Site

from app.web import credential_page
from openbadges.baking import bake_png, unbake_png, unbake_svg

HTML = {"Accept": "text/html,application/xhtml+xml"}


def page(site: Site, credential_id: str, **headers: str) -> str:
    site.client.cookies.clear()  # a language cookie from an earlier test must not leak in
    response = site.client.get(f"/credentials/{credential_id}", headers={**HTML, **headers})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return str(response.text)


def banner(html: str) -> str:
    found = re.findall(r'data-banner="([a-z_]+)"', html)
    assert len(found) == 1
    return str(found[0])


def checks(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-check="([a-z_]+)" data-status="([a-z]+)"', html))


@pytest.mark.parametrize(
    ("which", "kind", "title"),
    [
        ("valid", "verified", "Verified"),
        ("revoked", "revoked", "Revoked"),
        ("suspended", "suspended", "Suspended"),
        ("expired", "expired", "Expired"),
    ],
)
def test_banner_names_the_state_in_words(site: Site, which: str, kind: str, title: str) -> None:
    html = page(site, getattr(site.ids, which))
    assert banner(html) == kind
    assert f'<h2 id="banner-title" class="banner__title">{title}</h2>' in html
    assert 'lang="en"' in html


def test_valid_page_shows_every_check_passed_and_the_details(site: Site) -> None:
    html = page(site, site.ids.valid)
    assert checks(html) == {
        "format": "valid",
        "structure": "valid",
        "schema": "valid",
        "proof": "valid",
        "issuer_key": "valid",
        "revocation": "valid",
        "suspension": "valid",
        "validity": "valid",
    }
    assert "Data Analysis with Python" in html
    assert "Ada Lovelace" in html
    assert "Example University" in html
    assert "<strong>visualising</strong>" in html  # Markdown description
    assert re.search(
        r'<th scope="row">Final grade<span class="results__type">Letter grade</span></th>'
        r'<td><span class="results__value">A</span>',
        html,
    )
    assert 'href="https://portfolio.example/ada/project"' in html


def test_revoked_page_says_so_in_check_and_banner(site: Site) -> None:
    html = page(site, site.ids.revoked)
    assert checks(html)["revocation"] == "invalid"
    assert "The issuer has revoked this credential." in html
    assert "Revoked on " in html


@pytest.mark.parametrize(
    ("headers", "title"),
    [
        ({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}, "已撤销"),
        ({"Accept-Language": "zh-TW"}, "已撤销"),
        ({"Accept-Language": "fr-FR, en;q=0.2"}, "Revoked"),
        ({"Accept-Language": "en;q=0.3, zh;q=0.8"}, "已撤销"),
        ({"Accept-Language": "de"}, "Revoked"),
        ({"Cookie": "lang=zh-CN", "Accept-Language": "en"}, "已撤销"),
    ],
)
def test_language_follows_accept_language_then_cookie(
    site: Site, headers: dict[str, str], title: str
) -> None:
    html = page(site, site.ids.revoked, **headers)
    assert f'class="banner__title">{title}</h2>' in html


def test_lang_query_switches_and_is_remembered(site: Site) -> None:
    response = site.client.get(
        f"/credentials/{site.ids.valid}?lang=zh-CN", headers={**HTML, "Accept-Language": "en"}
    )
    assert '<html lang="zh-CN">' in response.text
    assert "已验证" in response.text
    assert response.headers["content-language"] == "zh-CN"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lang=zh-CN;")
    assert "SameSite=lax" in cookie
    assert "Accept-Language" in response.headers["vary"]


def test_chinese_credential_in_both_languages(site: Site) -> None:
    zh = page(site, site.ids.chinese, **{"Accept-Language": "zh-CN"})
    assert "数据分析基础" in zh
    assert "张伟" in zh
    assert "获得者" in zh
    en = page(site, site.ids.chinese, **{"Accept-Language": "en"})
    assert "数据分析基础" in en
    assert "Awarded to" in en


def test_untrusted_strings_are_escaped(site: Site) -> None:
    html = page(site, site.ids.hostile)
    assert "<script>alert" not in html
    assert "onerror=" not in html.replace("onerror=alert(1)&gt;", "")  # only as escaped text
    assert "<img src=x" not in html
    assert "&lt;b onmouseover=&#34;alert(3)&#34;&gt;Mallory&lt;/b&gt;" in html
    assert 'href="javascript' not in html
    csp = site.client.get(f"/credentials/{site.ids.hostile}", headers=HTML).headers
    assert "script-src 'self'" in csp["content-security-policy"]


def test_open_graph_tags_are_absolute(site: Site) -> None:
    html = page(site, site.ids.valid)
    url = f"{site.base}/credentials/{site.ids.valid}"
    assert f'<meta property="og:url" content="{url}">' in html
    assert f'<meta property="og:image" content="{url}/og.png?lang=en">' in html
    assert '<meta property="og:image:width" content="1200">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta property="og:title" content="Data Analysis with Python">' in html
    assert "awarded to Ada Lovelace by Example University" in html


def test_linkedin_link_is_prefilled(site: Site) -> None:
    """The button goes through the service (which counts the click), then 303 to LinkedIn."""
    html = page(site, site.ids.valid)
    button = re.search(r'<a class="button button--linkedin" href="([^"]+)" rel="([^"]+)"', html)
    assert button is not None
    assert button.group(1) == f"/credentials/{site.ids.valid}/share/linkedin"
    assert "nofollow" in button.group(2)
    click = site.client.get(button.group(1), follow_redirects=False)
    assert click.status_code == 303
    assert click.headers["cache-control"] == "no-store"
    href = click.headers["location"]
    assert href.startswith("https://www.linkedin.com/profile/add?")
    query = parse_qs(urlsplit(href).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["name"] == ["Data Analysis with Python"]
    assert query["organizationName"] == ["Example University"]
    assert query["certUrl"] == [f"{site.base}/credentials/{site.ids.valid}"]
    assert query["certId"] == [site.ids.valid]
    assert query["issueYear"][0].isdigit()
    assert query["expirationYear"][0].isdigit()


def test_machines_still_get_json(site: Site) -> None:
    response = site.client.get(
        f"/credentials/{site.ids.valid}", headers={"Accept": "application/json"}
    )
    assert response.json()["id"] == f"{site.base}/credentials/{site.ids.valid}"


def test_page_revalidates_with_etag(site: Site) -> None:
    first = site.client.get(f"/credentials/{site.ids.valid}", headers=HTML)
    assert first.headers["cache-control"] == "no-cache"
    again = site.client.get(
        f"/credentials/{site.ids.valid}", headers={**HTML, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


def test_revocation_shows_at_once_despite_the_cache(site: Site) -> None:
    issuer = Issuer(site.client, {"en": "Cache Test College"})
    credential = issuer.issue(issuer.achievement("Caching 101"))
    assert banner(page(site, credential)) == "verified"
    assert banner(page(site, credential)) == "verified"  # served from the cache
    issuer.change(credential, "revoke")
    assert banner(page(site, credential)) == "revoked"


def test_suspension_lifted_shows_at_once(site: Site) -> None:
    issuer = Issuer(site.client, {"en": "Suspension College"})
    credential = issuer.issue(issuer.achievement("Pausing 101"))
    issuer.change(credential, "suspend")
    assert banner(page(site, credential)) == "suspended"
    issuer.change(credential, "unsuspend")
    assert banner(page(site, credential)) == "verified"


def decode_qr(png: bytes) -> str:
    import io

    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return results[0].text


def test_qr_png_encodes_the_permanent_url(site: Site) -> None:
    response = site.client.get(f"/credentials/{site.ids.valid}/qr.png")
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert decode_qr(response.content) == f"{site.base}/credentials/{site.ids.valid}"


def test_qr_svg_is_cached_and_revalidates(site: Site) -> None:
    url = f"/credentials/{site.ids.valid}/qr.svg"
    first = site.client.get(url)
    assert first.headers["content-type"] == "image/svg+xml"
    assert first.content.startswith(b"<svg")
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert site.client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304


@pytest.mark.parametrize("path", ["qr.svg", "qr.png", "badge.png", "badge.svg"])
def test_unknown_credential_is_404_and_bad_id_is_4xx(site: Site, path: str) -> None:
    missing = site.client.get(f"/credentials/00000000-0000-4000-8000-000000000000/{path}")
    assert missing.status_code == 404
    assert site.client.get(f"/credentials/not-a-uuid/{path}").status_code in (404, 422)


def test_baked_png_holds_the_signed_credential(site: Site) -> None:
    response = site.client.get(f"/credentials/{site.ids.valid}/badge.png")
    assert response.headers["content-type"] == "image/png"
    assert (
        'filename="badge-data-analysis-with-python.png"' in response.headers["content-disposition"]
    )
    stored = site.client.get(f"/credentials/{site.ids.valid}.json").text
    assert unbake_png(response.content).payload == stored
    Image.open(__import__("io").BytesIO(response.content)).verify()


def test_baked_svg_holds_the_signed_credential(site: Site) -> None:
    response = site.client.get(f"/credentials/{site.ids.chinese}/badge.svg")
    stored = site.client.get(f"/credentials/{site.ids.chinese}.json").text
    baked = response.text
    assert unbake_svg(baked).payload == stored
    assert "数据分析基础" in baked
    assert response.headers["content-disposition"].endswith('filename="badge.svg"')


def test_static_assets_are_immutable(site: Site) -> None:
    html = page(site, site.ids.valid)
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', html)
    assert css is not None
    response = site.client.get(css.group(1))
    assert response.headers["content-type"].startswith("text/css")
    assert "immutable" in response.headers["cache-control"]
    assert site.client.get("/static/../../pyproject.toml").status_code == 404


# --- /verify -------------------------------------------------------------------------------


def verify(site: Site, **kwargs: object) -> tuple[int, str]:
    response = site.client.post("/verify", headers=HTML, **kwargs)
    return response.status_code, response.text


def test_verify_form_has_labelled_inputs(site: Site) -> None:
    html = site.client.get("/verify", headers={"Accept-Language": "zh-CN"}).text
    for field in ("file", "text", "url"):
        assert f'<label for="{field}">' in html
        assert f'id="{field}"' in html
    assert "验证证书" in html


def test_verify_baked_png_upload(site: Site) -> None:
    png = site.client.get(f"/credentials/{site.ids.valid}/badge.png").content
    status, html = verify(site, files={"file": ("badge.png", png, "image/png")})
    assert status == 200
    assert banner(html) == "verified"
    assert "Data Analysis with Python" in html


def test_verify_revoked_baked_svg_upload(site: Site) -> None:
    svg = site.client.get(f"/credentials/{site.ids.revoked}/badge.svg").content
    status, html = verify(site, files={"file": ("badge.svg", svg, "image/svg+xml")})
    assert (status, banner(html)) == (200, "revoked")


def test_verify_tampered_json_is_not_genuine(site: Site) -> None:
    doc = json.loads(site.client.get(f"/credentials/{site.ids.valid}.json").text)
    doc["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    status, html = verify(site, data={"text": json.dumps(doc)})
    assert status == 200
    assert banner(html) == "tampered"
    assert checks(html)["proof"] == "invalid"
    assert "Not genuine" in html


def test_verify_by_url_of_our_own_credential(site: Site) -> None:
    status, html = verify(site, data={"url": f"{site.base}/credentials/{site.ids.expired}"})
    assert (status, banner(html)) == (200, "expired")


def test_verify_url_to_metadata_address_is_refused(site: Site) -> None:
    status, html = verify(site, data={"url": "http://169.254.169.254/latest/meta-data/"})
    assert status == 422
    assert "could not be fetched" in html
    assert 'role="alert"' in html


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"data": {}}, 400, "Give a file, paste a credential"),
        ({"data": {"text": "{}", "url": "https://a.example/"}}, 400, "Give only one of"),
        ({"data": {"text": "not a credential"}}, 200, "Not valid"),
    ],
)
def test_verify_bad_input_gets_a_clear_answer(
    site: Site, kwargs: dict[str, object], status: int, message: str
) -> None:
    got_status, html = verify(site, **kwargs)
    assert got_status == status
    assert message in html


def test_verify_too_large_upload_says_the_limit(site: Site) -> None:
    png = bake_png(site.client.get(f"/credentials/{site.ids.valid}/badge.png").content, "{}")
    big = png + b"\0" * (990_000 - len(png))  # over the verifier's limit, under the body's
    status, html = verify(site, files={"file": ("big.png", big, "image/png")})
    assert status == 413
    assert "the limit is" in html


def test_verify_reflects_pasted_text_escaped(site: Site) -> None:
    status, html = verify(site, data={"text": '<script>alert("x")</script>', "url": "x"})
    assert status == 400
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_concurrent_first_views_verify_once(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = credential_page._verify

    def slow_verify(session: object, credential: object, may_wait: bool = True) -> object:
        calls.append(1)
        time.sleep(0.2)
        return real(session, credential, may_wait)

    monkeypatch.setattr(credential_page, "_verify", slow_verify)

    def view(_: int) -> str:
        client = TestClient(site.app, base_url=site.base)  # one per thread; no lifespan
        try:
            return banner(client.get(f"/credentials/{site.ids.valid}", headers=HTML).text)
        finally:
            client.close()

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(view, range(6))) == {"verified"}
    assert len(calls) == 1
