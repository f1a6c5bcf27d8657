"""Badge pictures: the generated medallion (fitting, colours), sanitised achievement images
(console-style checks and the API's ``image.id``), the display routes and the baked downloads
in the issuer's colours."""

from __future__ import annotations

import base64
import io
import json
import struct
import uuid
import zlib
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session
from web_support import ADMIN_TOKEN, Site

from app.core import images
from app.models import Credential
from app.web import badge_image
from app.web.badge_image import TEXT_R, Design, ink_boxes, inside_circle, layout_svg
from openbadges.baking import unbake_png, unbake_svg

HARD_NAMES = [
    "Rust",
    "Advanced Certificate in Data Analysis and Machine Learning with Python for Professionals",
    "高级数据分析与机器学习实践能力认证证书（第二期）：面向企业数据团队的综合实训项目",
    "Python 数据分析 Level 2 认证 — Applied Statistics 应用统计",
    "Pneumonoultramicroscopicsilicovolcanoconiosis",
    "W" * 60,
    "数" * 120,
    "Data " * 100,
    "Supercalifragilisticexpialidocious-Extraordinary-Certificate-Of-Achievement-2026 and more",
    "A",
    "莫",
]
CAPTIONS = [
    "",
    "Northwind University School of Continuing Education",
    "北京理工大学继续教育学院" * 3,
]


def _ids(values: list[str]) -> list[str]:
    return [f"{i}-{len(v)}" for i, v in enumerate(values)]


@pytest.mark.parametrize("caption", CAPTIONS, ids=["none", "long-en", "long-zh"])
@pytest.mark.parametrize("name", HARD_NAMES, ids=_ids(HARD_NAMES))
def test_png_text_always_fits_inside_the_medallion(name: str, caption: str) -> None:
    boxes = ink_boxes(Design(name, caption=caption))
    assert boxes, "the name is drawn"
    for box in boxes:
        assert inside_circle(box, TEXT_R), (name, box)
        assert inside_circle(box, badge_image.INNER_R - 8)
    name_boxes = boxes[: len(boxes) - (1 if caption else 0)]
    assert min(top for _, top, _, _ in name_boxes) >= badge_image.NAME_TOP - 1  # below the star


@pytest.mark.parametrize("caption", CAPTIONS, ids=["none", "long-en", "long-zh"])
@pytest.mark.parametrize("name", HARD_NAMES, ids=_ids(HARD_NAMES))
def test_svg_text_fits_by_the_same_estimate(name: str, caption: str) -> None:
    lines, caption_line = layout_svg(Design(name, caption=caption))
    for placed in [*lines, *([caption_line] if caption_line else [])]:
        estimated = badge_image._estimate_em(placed.text) * placed.size
        left, _top, right, _bottom = placed.box
        assert right - left == pytest.approx(estimated)
        assert inside_circle(placed.box, TEXT_R), (name, placed)
    svg = badge_image.design_svg(Design(name, caption=caption))
    ElementTree.fromstring(svg)  # well-formed


def test_a_short_name_is_big_and_a_long_one_shrinks_then_is_cut() -> None:
    short = ink_boxes(Design("Rust"))[0]
    long_boxes = ink_boxes(Design(HARD_NAMES[1]))
    assert short[3] - short[1] > (long_boxes[0][3] - long_boxes[0][1]) * 1.3
    lines, _ = badge_image.layout_png(Design("Data " * 100))
    assert lines[-1].text.endswith("…")
    full, _ = badge_image.layout_png(Design(HARD_NAMES[2]))
    assert "".join(p.text for p in full) == HARD_NAMES[2]  # CJK: wrapped, nothing lost


def test_wrapping_is_cjk_aware() -> None:
    def measure(s: str) -> float:
        return float(len(s))

    lines = badge_image.wrap("数据分析，基础与实践。证书", measure, 5)
    assert all(len(line) <= 5 for line in lines)
    assert not any(line[0] in "，。" for line in lines)
    assert "".join(lines) == "数据分析，基础与实践。证书"
    assert badge_image.wrap("Data Analysis with Python", measure, 14) == [
        "Data Analysis",
        "with Python",
    ]
    assert badge_image.wrap("x" * 12, measure, 5) == ["xxxxx", "xxxxx", "xx"]


def _pixel(png: bytes, xy: tuple[int, int]) -> tuple[int, ...]:
    return tuple(Image.open(io.BytesIO(png)).convert("RGBA").getpixel(xy))  # type: ignore[arg-type]


def test_the_issuer_colours_fill_and_ring_the_medallion() -> None:
    png = badge_image.design_png(Design("Rust", "#7c2d12", "#0f766e"))
    assert _pixel(png, (256, 60))[:3] == (0x7C, 0x2D, 0x12)  # medallion: brand colour
    assert _pixel(png, (256, 16))[:3] == (0x0F, 0x76, 0x6E)  # ring: accent colour
    assert _pixel(png, (2, 2))[3] == 0  # transparent corners
    svg = badge_image.design_svg(Design("Rust", "#7c2d12", "#0f766e"))
    assert 'fill="#7c2d12"' in svg
    assert 'fill="#0f766e"' in svg
    plain = badge_image.design_svg(Design("Rust"))
    assert badge_image._colour("Rust") in plain  # the palette when unset
    assert Design("Rust", "#7c2d12").key != Design("Rust", "#7c2d13").key


# --- sanitised SVGs ---------------------------------------------------------------------------

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'
HOSTILE = {
    "script": ("<script>alert(1)</script><circle r='4'/>", "script"),
    "onload": ("<circle r='4' onload='alert(1)'/>", "onload"),
    "foreign": ("<foreignObject><div>html</div></foreignObject>", "foreignObject"),
    "href": ("<image href='https://tracker.example/p.png'/>", "tracker.example"),
    "xlink": ("<use xlink:href='https://evil.example/s.svg#a'/>", "evil.example"),
    "import": ("<style>@import url(https://evil.example/a.css); .a{fill:red}</style>", "@import"),
    "style-url": ("<rect style='fill:url(https://evil.example/p#f)'/>", "evil.example"),
    "attr-url": ("<rect fill='url(http://evil.example/#g)'/>", "evil.example"),
    "javascript": ("<a href='javascript:alert(1)'><text>x</text></a>", "javascript"),
    "set": ("<a><set attributeName='href' to='javascript:alert(1)'/></a>", "javascript"),
    "nested-svg": ("<image href='data:image/svg+xml;base64,PHN2Zy8+'/>", "svg+xml"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_svg_dangers_are_removed_and_the_rest_kept(case: str) -> None:
    inner, bad = HOSTILE[case]
    data = SVG.format(inner + "<rect id='kept' width='3' height='3'/>").encode()
    uri = images.check_image(data, "badge.svg")
    clean = base64.b64decode(uri.split(",", 1)[1])
    assert bad.encode() not in clean
    root = ElementTree.fromstring(clean)
    assert any(e.get("id") == "kept" for e in root.iter())
    assert images.sanitize_svg(clean)[1] == frozenset()  # nothing left to remove


def test_clean_svg_is_kept_byte_for_byte_and_bad_files_are_still_refused() -> None:
    clean = SVG.format("<circle r='4'/><use href='#a'/>").encode()
    assert base64.b64decode(images.check_image(clean).split(",", 1)[1]) == clean
    for data, code in [
        (b"<svg", "svg_invalid"),
        (
            b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>',
            "svg_entity",
        ),
        (b"x" * 10, "type"),
        (b"<svg/>" + b" " * images.MAX_IMAGE_BYTES, "too_big"),
    ]:
        with pytest.raises(images.ImageRefused) as refused:
            images.check_image(data)
        assert refused.value.code == code
    assert images.sanitize_svg(b'<?xml-stylesheet href="x.css"?><svg/>')[1] == {"svg_external"}


# --- the API's image.id -----------------------------------------------------------------------


def _uri(media: str, data: bytes) -> str:
    return f"data:{media};base64,{base64.b64encode(data).decode()}"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "#123456").save(buffer, format="PNG")
    return buffer.getvalue()


def _bomb_png() -> bytes:
    """A 12000 × 12000 1-bit PNG: about 18 KB of file, 144 million pixels to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = (b"\x00" * 1501) * 12_000
    header = struct.pack(">IIBBBBB", 12_000, 12_000, 1, 0, 0, 0, 0)
    return (
        images.PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def api(site: Site) -> tuple[TestClient, dict[str, str], str]:
    """An issuer of its own (its colours are changed here) and its API key headers."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    client = site.client
    issuer = client.post(
        "/api/v1/issuers",
        json={"name": {"en": "Northwind University"}, "url": "https://northwind.example"},
        headers=admin,
    ).json()
    key = client.post(f"/api/v1/issuers/{issuer['id']}/api-keys", headers=admin).json()
    return client, {"Authorization": f"Bearer {key['token']}"}, str(issuer["id"])


def _achievement(client: TestClient, headers: dict[str, str], **extra: object) -> TestClient:
    body = {"name": "Design Test", "description": "d", "criteria": {"narrative": "n"}, **extra}
    return client.post("/api/v1/achievements", json=body, headers=headers)  # type: ignore[return-value]


def test_api_svg_image_is_sanitised_on_create_and_on_a_new_version(
    api: tuple[TestClient, dict[str, str], str],
) -> None:
    client, headers, _ = api
    hostile = SVG.format("<script>alert(1)</script><circle r='4' onclick='x()'/>").encode()
    made = _achievement(client, headers, image={"id": _uri("image/svg+xml", hostile)})
    assert made.status_code == 201, made.text
    stored = base64.b64decode(made.json()["image"]["id"].split(",", 1)[1])
    assert b"script" not in stored
    assert b"onclick" not in stored
    assert b"circle" in stored
    patched = client.patch(
        f"/api/v1/achievements/{made.json()['id']}",
        json={"image": {"id": "data:image/svg+xml," + hostile.decode().replace("#", "%23")}},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert b"script" not in base64.b64decode(patched.json()["image"]["id"].split(",", 1)[1])


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        (_uri("image/png", b"not a png at all"), "PNG"),
        (_uri("image/png", SVG.format("").encode()), "does not match"),
        (_uri("image/svg+xml", b"<svg"), "well-formed"),
        (_uri("image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * (images.MAX_IMAGE_BYTES + 1)), "KB"),
        ("data:image/svg+xml;base64,!!!", "PNG"),
        (_uri("image/png", _bomb_png()), "image"),
        (
            _uri(
                "image/svg+xml",
                b"<svg xmlns='http://www.w3.org/2000/svg'>"
                + b"<g>" * 20_000
                + b"</g>" * 20_000
                + b"<script/></svg>",
            ),
            "well-formed",
        ),
    ],
    ids=["text-as-png", "svg-as-png", "malformed", "too-big", "bad-base64", "pixel-bomb", "deep"],
)
def test_api_bad_data_uri_is_a_422_naming_image_id(
    api: tuple[TestClient, dict[str, str], str], uri: str, words: str
) -> None:
    client, headers, _ = api
    response = _achievement(client, headers, image={"id": uri})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "$.image.id"
    assert words in response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_api_png_and_https_images_are_kept_as_given(
    api: tuple[TestClient, dict[str, str], str],
) -> None:
    client, headers, _ = api
    png = _uri("image/png", _png())
    assert _achievement(client, headers, image={"id": png}).json()["image"]["id"] == png
    url = "https://cdn.example/badge.png"
    assert _achievement(client, headers, image={"id": url}).json()["image"]["id"] == url


# --- routes -----------------------------------------------------------------------------------


def _issue(client: TestClient, headers: dict[str, str], achievement: str) -> str:
    body = {"achievementId": achievement, "recipient": {"email": "ada@example.org"}}
    made = client.post("/api/v1/credentials", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_display_images_follow_the_issuer_colours(
    site: Site, api: tuple[TestClient, dict[str, str], str]
) -> None:
    client, headers, issuer = api
    credential = _issue(client, headers, _achievement(client, headers).json()["id"])
    png = client.get(f"/credentials/{credential}/image.png")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (512, 512)
    assert png.headers["etag"].startswith('"')
    again = client.get(
        f"/credentials/{credential}/image.png", headers={"If-None-Match": png.headers["etag"]}
    )
    assert again.status_code == 304
    svg = client.get(f"/credentials/{credential}/image.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"openbadges:credential" not in svg.content
    assert b"Design Test" in svg.content
    baked = client.get(f"/credentials/{credential}/badge.png")
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    changed = client.patch(
        f"/api/v1/issuers/{issuer}",
        json={"brandColor": "#7c2d12", "accentColor": "#0f766e"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    recoloured = client.get(f"/credentials/{credential}/image.png")
    assert recoloured.headers["etag"] != png.headers["etag"]
    assert _pixel(recoloured.content, (256, 60))[:3] == (0x7C, 0x2D, 0x12)
    assert b"#7c2d12" in client.get(f"/credentials/{credential}/image.svg").content
    rebaked = client.get(f"/credentials/{credential}/badge.png")
    assert rebaked.headers["etag"] != baked.headers["etag"]
    assert _pixel(rebaked.content, (256, 60))[:3] == (0x7C, 0x2D, 0x12)
    assert json.loads(unbake_png(rebaked.content).payload)["id"].endswith(credential)


def test_achievement_svg_is_used_sanitised_in_display_and_baked_badge(
    api: tuple[TestClient, dict[str, str], str],
) -> None:
    client, headers, _ = api
    own = SVG.format("<rect id='own' width='9' height='9' fill='#abcdef'/>").encode()
    made = _achievement(client, headers, image={"id": _uri("image/svg+xml", own)}).json()
    credential = _issue(client, headers, made["id"])
    assert client.get(f"/credentials/{credential}/image.svg").content == own
    baked = client.get(f"/credentials/{credential}/badge.svg").text
    assert "id='own'" in baked
    assert unbake_svg(baked).payload
    # no SVG rasteriser: the PNG forms show the generated medallion
    assert Image.open(io.BytesIO(client.get(f"/credentials/{credential}/image.png").content))


def test_achievement_raster_is_shown_small(api: tuple[TestClient, dict[str, str], str]) -> None:
    client, headers, _ = api
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), "#345678").save(buffer, format="PNG")
    made = _achievement(client, headers, image={"id": _uri("image/png", buffer.getvalue())})
    credential = _issue(client, headers, made.json()["id"])
    shown = Image.open(io.BytesIO(client.get(f"/credentials/{credential}/image.png").content))
    assert shown.size == (512, 341)


@pytest.mark.parametrize("path", ["image.svg", "image.png", "og.png"])
def test_hidden_and_unknown_credentials_are_404(
    site: Site, api: tuple[TestClient, dict[str, str], str], path: str
) -> None:
    client, headers, _ = api
    credential = _issue(client, headers, _achievement(client, headers).json()["id"])
    assert client.get(f"/credentials/{credential}/{path}").status_code == 200
    with Session(site.app.state.engine) as session:
        row = session.get(Credential, uuid.UUID(credential))
        assert row is not None
        row.hidden = True
        session.commit()
    assert client.get(f"/credentials/{credential}/{path}").status_code == 404
    unknown = f"/credentials/00000000-0000-4000-8000-000000000000/{path}"
    assert client.get(unknown).status_code == 404
