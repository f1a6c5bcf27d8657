"""The Open Graph image of a credential page: 1200 × 630, the issuer's colours, the page's
language, names that always fit, nothing private."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from web_support import Site

from app.web import badge_image, og_image
from app.web.downloads import Branding, picture_of
from app.web.i18n import Translator

NAMES = [
    "Rust",
    "Advanced Certificate in Data Analysis and Machine Learning with Python for Professionals",
    "高级数据分析与机器学习实践能力认证证书（第二期）：面向企业数据团队的综合实训项目",
    "Python 数据分析 Level 2 认证 — Applied Statistics 应用统计",
    "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "Data " * 100,
]


def _document(name: str, issuer: str = "Northwind University") -> str:
    return json.dumps(
        {
            "issuer": {"id": "did:web:northwind.example", "name": issuer},
            "credentialSubject": {
                "achievement": {"name": name},
                "identifier": [{"identityHash": "ada@example.org"}],
            },
        }
    )


@pytest.mark.parametrize("name", NAMES, ids=[f"{i}-{len(n)}" for i, n in enumerate(NAMES)])
@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_texts_fit_the_text_column_and_the_canvas(name: str, locale: str) -> None:
    t = Translator(locale)
    placed = og_image.layout(name, t("badge.og.issued_by", issuer="北京理工大学继续教育学院"), "x")
    bottom = 0.0
    for part in ("label", "name", "issuer"):
        block, top = placed[part]
        assert block.lines
        measure = og_image._measure(" ".join(block.lines), block.size)
        for line in block.lines:
            assert measure(line) <= og_image.TEXT_WIDTH + 0.5, (part, line)
        bottom = top + len(block.lines) * block.line_height
        assert top >= 0
    assert bottom <= og_image.HEIGHT - og_image.STRIPE_PX
    name_block = placed["name"][0]
    assert len(name_block.lines) <= og_image.NAME_MAX_LINES


def _pixel(png: bytes, xy: tuple[int, int]) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel(xy)  # type: ignore[return-value]


def test_the_image_is_1200_by_630_in_the_issuer_colours() -> None:
    picture = picture_of(_document("Rust"), Branding("#7c2d12", "#0f766e"))
    png = og_image.render(picture, Translator("en"))
    image = Image.open(io.BytesIO(png))
    assert image.size == (1200, 630)
    assert image.format == "PNG"
    assert _pixel(png, (1197, 2)) == (0x7C, 0x2D, 0x12)  # top right: the brand colour
    assert _pixel(png, (600, 625)) == (0x0F, 0x76, 0x6E)  # the accent stripe
    plain = og_image.render(picture_of(_document("Rust")), Translator("en"))
    assert _pixel(plain, (1197, 2)) == badge_image._rgb(badge_image._colour("Rust"))


def test_the_language_changes_the_texts_only_there() -> None:
    picture = picture_of(_document("数据分析基础"))
    en = og_image.render(picture, Translator("en"))
    zh = og_image.render(picture, Translator("zh-CN"))
    assert en != zh
    badge_area = (40, 80, 520, 550)
    assert (
        Image.open(io.BytesIO(en)).crop(badge_area).tobytes()
        == Image.open(io.BytesIO(zh)).crop(badge_area).tobytes()
    )


def test_nothing_private_goes_in() -> None:
    picture = picture_of(_document("Rust"))
    assert "ada@" not in repr(picture)


def test_the_route_serves_it_cached_with_an_etag(site: Site) -> None:
    url = f"/credentials/{site.ids.chinese}/og.png"
    en = site.client.get(url + "?lang=en")
    assert en.status_code == 200
    assert en.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(en.content)).size == (1200, 630)
    assert en.headers["content-language"] == "en"
    zh = site.client.get(url + "?lang=zh-CN")
    assert zh.headers["content-language"] == "zh-CN"
    assert zh.headers["etag"] != en.headers["etag"]
    again = site.client.get(url + "?lang=zh-CN", headers={"If-None-Match": zh.headers["etag"]})
    assert again.status_code == 304
    assert og_image.og_images.get  # the declared per-worker store
