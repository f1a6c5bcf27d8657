"""The uploaded-image checks of :mod:`app.core.images` against the security review's repros:
SVGs are cleaned by an allowlist (no script, no outside reference, no foreign element, no
animation of a reference, no CSS that could fetch), too-deep SVGs are refused, and rasters
declaring more pixels than we decode are refused at input and left undecoded at render time."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image, ImageFile

from app.certificates import layout
from app.core import images
from app.web import badge_image, downloads, og_image

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:h="http://www.w3.org/1999/xhtml" xmlns:e="http://evil.example/ns">{}'
    '<rect id="kept" width="3" height="3"/></svg>'
)
HOSTILE = {
    "set-xlink-href": '<a><set attributeName="xlink:href" to="java&#9;script:alert(1)"/>'
    "<text>x</text></a>",
    "animate-xlink-href": '<a><animate attributeName="xlink:href" '
    'values="java&#9;script:alert(1)" dur="1s"/><text>x</text></a>',
    "set-href": '<a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a>',
    "set-other-ns": '<a><e:set attributeName="href" to="javascript:alert(1)"/></a>',
    "animate-fill-url": '<animate attributeName="fill" values="url(http://evil.example/#p)"/>',
    "animate-fill-to-js": '<set attributeName="fill" to="java&#9;script:x"/>',
    "xhtml-meta": '<h:meta http-equiv="refresh" content="0;url=javascript:alert(1)"/>',
    "xhtml-img": '<h:img srcset="https://evil.example/x.png 1x"/>',
    "xhtml-table": '<h:table background="https://evil.example/x.png"/>',
    "xhtml-script": "<h:script>alert(1)</h:script>",
    "script": "<script>alert(1)</script>",
    "foreign": "<foreignObject><h:div>html</h:div></foreignObject>",
    "other-ns-attr": '<rect e:href="https://evil.example/x" h:style="x"/>',
    "style-child": "<style><g/>.a{fill:url(https://evil.example/x)}</style>",
    "style-escape": "<style>.a{fill:u\\72l(https://evil.example/x)}</style>",
    "style-import-escape": '<style>@\\69mport "https://evil.example/x.css";</style>',
    "style-mixed-quotes": '<style>.a{fill:url("https://evil.example/x\'")}</style>',
    "style-attr-mixed-quotes": "<rect style='fill:url(\"https://evil.example/x&apos;\")'/>",
    "style-image-set": '<style>.a{fill:image-set("https://evil.example/x" 1x)}</style>',
    "style-comment": "<style>.a{fill:u/**/rl(https://evil.example/x)}</style>",
    "style-attr-image-set": "<rect style='background:image-set(\"https://evil.example/x\")'/>",
    "style-attr-escape": "<rect style='fill:u\\72l(https://evil.example/x)'/>",
    "fill-escape": "<rect fill='u\\72l(https://evil.example/x)'/>",
    "fill-url": "<rect fill='url(https://evil.example/#g)'/>",
    "onload": "<rect onload='alert(1)'/>",
    "href-js": "<a href=' javascript:alert(1)'><text>x</text></a>",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_svg_is_cleaned(case: str) -> None:
    data = SVG.format(HOSTILE[case]).encode()
    clean, removed = images.sanitize_svg(data)
    assert removed, "nothing was removed"
    lowered = clean.lower()
    for marker in (b"javascript", b"script:", b"url(", b"image-set", b"evil.example", b"\\"):
        assert marker not in lowered, marker
    root = ElementTree.fromstring(clean)
    for element in root.iter():
        assert str(element.tag).startswith("{http://www.w3.org/2000/svg}"), element.tag
        assert element.tag != "{http://www.w3.org/2000/svg}script"
        target = element.get("attributeName", "").rsplit(":", 1)[-1]
        assert target not in ("href", "src", "style"), ElementTree.tostring(element)
        for name in element.attrib:
            assert not name.startswith("{") or name.startswith(
                ("{http://www.w3.org/1999/xlink}", "{http://www.w3.org/XML/1998/namespace}")
            ), name
    assert any(e.get("id") == "kept" for e in root.iter())
    assert images.sanitize_svg(clean)[1] == frozenset()  # nothing left to remove
    with pytest.raises(images.ImageRefused):
        images.check_svg(data)


HARMLESS = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'viewBox="0 0 100 100" xml:space="preserve"><title>Badge</title><defs>'
    b'<linearGradient id="g"><stop offset="0" stop-color="#0b57d0"/>'
    b'<stop offset="1" stop-color="#1a7f3c" stop-opacity="0.5"/></linearGradient></defs>'
    b"<style>.ring { stroke: #123456; stroke-width: 2 }</style>"
    b'<circle class="ring" cx="50" cy="50" r="45" fill="url(#g)">'
    b'<animate attributeName="fill" values="#0b57d0;#1a7f3c;#0b57d0" dur="3s" '
    b'repeatCount="indefinite"/>'
    b'<animateTransform attributeName="transform" type="rotate" from="0 50 50" to="360 50 50" '
    b'dur="9s"/></circle>'
    b'<use xlink:href="#g" xlink:title="t"/><text x="50" y="55" style="font-weight:bold">OB'
    b"</text></svg>"
)


def test_harmless_svg_with_animation_and_gradient_is_kept_byte_for_byte() -> None:
    assert images.sanitize_svg(HARMLESS) == (HARMLESS, frozenset())
    uri = images.check_image(HARMLESS, "badge.svg")
    assert base64.b64decode(uri.split(",", 1)[1]) == HARMLESS


def test_deeply_nested_svg_is_refused_not_a_crash() -> None:
    deep = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * 20_000
    deep += b"</g>" * 20_000 + b"<script>x</script></svg>"
    for check in (images.sanitize_svg, images.check_image):
        with pytest.raises(images.ImageRefused) as refused:
            check(deep)
        assert refused.value.code == "svg_invalid"
    limit = images.MAX_SVG_DEPTH - 2  # the root, this many <g> and the <script>: the limit
    fine = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * limit + b"<script/>"
    fine += b"</g>" * limit + b"</svg>"
    clean, removed = images.sanitize_svg(fine)
    assert removed == {"svg_script"}
    assert b"script" not in clean


# --- rasters ----------------------------------------------------------------------------------


def bomb_png(width: int = 12_000, height: int = 12_000) -> bytes:
    """A 1-bit PNG of ``width`` × ``height`` white-or-black pixels: small file, huge picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    pixels = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        images.PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


BOMB = bomb_png()


@pytest.mark.parametrize(
    ("width", "height", "fits"),
    [(12_000, 12_000, False), (4097, 1, False), (1, 4097, False), (4096, 4096, True)],
)
def test_rasters_beyond_the_pixel_limits_are_refused(width: int, height: int, fits: bool) -> None:
    data = BOMB if (width, height) == (12_000, 12_000) else bomb_png(width, height)
    assert len(data) < images.MAX_IMAGE_BYTES  # the file size check alone lets it in
    uri = f"data:image/png;base64,{base64.b64encode(data).decode()}"
    if fits:
        assert images.check_image(data, "badge.png").startswith("data:image/png;base64,")
        assert images.check_data_uri(uri) == uri
        return
    for check in (
        lambda: images.check_image(data, "badge.png"),
        lambda: images.check_data_uri(uri),
        lambda: images.recheck_data_uri(uri),
    ):
        with pytest.raises(images.ImageRefused) as refused:
            check()
        assert refused.value.code == "too_many_pixels"


def test_other_rasters_beyond_the_limits_are_refused() -> None:
    import io

    buffer = io.BytesIO()
    Image.new("1", (4097, 8)).save(buffer, format="GIF")
    uri = f"data:image/gif;base64,{base64.b64encode(buffer.getvalue()).decode()}"
    with pytest.raises(images.ImageRefused) as refused:
        images.check_data_uri(uri)
    assert refused.value.code == "too_many_pixels"


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Fail loudly if any image of more than the limit gets its pixels decoded."""
    decoded: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def guarded(self: ImageFile.ImageFile) -> object:
        if not images.raster_fits(*self.size):
            decoded.append(self.size)
            raise AssertionError(f"decoded a {self.size} image")
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", guarded)
    return decoded


def test_a_stored_oversized_image_is_not_decoded_when_drawn(
    no_decoding: list[tuple[int, int]],
) -> None:
    uri = f"data:image/png;base64,{base64.b64encode(BOMB).decode()}"
    design = badge_image.Design("Bomb")
    picture = downloads.Picture(design, uri, "Issuer")
    assert badge_image.png_from_image("image/png", BOMB) is None
    assert downloads._small_png(BOMB) == b""
    assert downloads.picture_png(picture) == badge_image.design_png(design)
    _, generated = og_image._badge_layer(picture)
    assert generated
    assert layout._logo_image(BOMB) is None
    small = bomb_png(64, 64)
    assert layout._logo_image(small) is not None
    assert badge_image.png_from_image("image/png", small) == small
    assert no_decoding == []


def test_pillow_bomb_protection_stays_on() -> None:
    assert Image.MAX_IMAGE_PIXELS is not None
    saved = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = None
        assert not images.decodable_raster(BOMB)  # every check puts it back first
        assert Image.MAX_IMAGE_PIXELS is not None
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for folder in ("app", "openbadges")
        for path in (root / folder).rglob("*.py")
        if "MAX_IMAGE_PIXELS =" in path.read_text(encoding="utf-8") and path.name != "images.py"
    ]
    assert offenders == []
