"""Baking: PNG iTXt and SVG round trips, corpus images, OB 2.0 detection, hostile input."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from PIL import Image
from shared_corpus import OB30_CORPUS

from openbadges.baking import (
    MAX_SVG_CHARS,
    OB3_SVG_NAMESPACE,
    Baked,
    bake_png,
    bake_svg,
    unbake_png,
    unbake_svg,
)
from openbadges.errors import BakeError

CORPUS = OB30_CORPUS
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="conformance corpus not present")

CREDENTIAL = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "name": "Café ✓"})
JWT = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6d2ViOngifQ.c2lnbmF0dXJl"
SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10"><rect width="1"/></svg>'


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png(*extra: bytes) -> bytes:
    """A real 2x2 RGB PNG, with extra chunks before IEND."""
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buffer, format="PNG")
    data = buffer.getvalue()
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + b"".join(extra) + data[iend:]


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    out, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        out.append((png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return out


def _bake_error(call: object, *args: object) -> BakeError:
    with pytest.raises(BakeError) as info:
        call(*args)  # type: ignore[operator]
    return info.value


# --- PNG ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "fmt"), [(CREDENTIAL, "json"), (JWT, "jwt")])
def test_png_round_trip(payload: str, fmt: str) -> None:
    baked = bake_png(_png(), payload)
    assert unbake_png(baked) == Baked(payload, fmt, "3.0")  # type: ignore[arg-type]
    with Image.open(io.BytesIO(baked)) as image:
        image.load()
        assert image.size == (2, 2)


def test_png_chunk_layout() -> None:
    chunks = _chunks(bake_png(_png(), CREDENTIAL))
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    assert kinds[-2] == b"iTXt"
    assert chunks[-2][1] == b"openbadgecredential\0\0\0\0\0" + CREDENTIAL.encode()


def test_png_rebake_replaces_the_credential() -> None:
    twice = bake_png(bake_png(_png(), CREDENTIAL), JWT)
    texts = [data for kind, data in _chunks(twice) if kind == b"iTXt"]
    assert len(texts) == 1
    assert unbake_png(twice).payload == JWT


def test_png_ob2_badges_are_recognised() -> None:
    hosted = _png(_chunk(b"tEXt", b"openbadges\0https://example.org/assertions/1"))
    assert unbake_png(hosted) == Baked("https://example.org/assertions/1", "url", "2.0")
    signed = _png(_chunk(b"iTXt", b"openbadges\0\0\0\0\0" + JWT.encode()))
    assert unbake_png(signed) == Baked(JWT, "jwt", "2.0")
    both = bake_png(signed, CREDENTIAL)
    assert unbake_png(both).ob_version == "3.0"


def test_png_compressed_itxt_is_read() -> None:
    body = b"openbadgecredential\0\x01\0\0\0" + zlib.compress(CREDENTIAL.encode())
    assert unbake_png(_png(_chunk(b"iTXt", body))).payload == CREDENTIAL


def test_png_without_credential() -> None:
    assert _bake_error(unbake_png, _png()).code == "bake_not_baked"


def test_png_bad_payload_is_refused() -> None:
    assert _bake_error(bake_png, _png(), "hello").code == "bake_bad_payload"
    assert _bake_error(bake_png, _png(), "{not json").code == "bake_bad_payload"


def test_png_hostile_inputs() -> None:
    good = bake_png(_png(), CREDENTIAL)
    assert _bake_error(unbake_png, b"GIF89a" + good[6:]).code == "bake_not_png"
    assert _bake_error(unbake_png, good[:-20]).code == "bake_truncated"
    corrupt = bytearray(good)
    corrupt[40] ^= 0xFF
    assert _bake_error(unbake_png, bytes(corrupt)).code == "bake_bad_crc"
    huge = good[:8] + struct.pack(">I", 0xFFFFFFF0) + good[12:]
    assert _bake_error(unbake_png, huge).code == "bake_truncated"
    no_ihdr = good[:8] + _chunk(b"tEXt", b"a\0b") + good[8:]
    assert _bake_error(unbake_png, no_ihdr).code == "bake_not_png"
    assert _bake_error(bake_png, good[:30], CREDENTIAL).code == "bake_truncated"


def test_png_zlib_bomb_in_text_chunk() -> None:
    bomb = zlib.compress(b"{" + b" " * 20_000_000, 9)
    png = _png(_chunk(b"iTXt", b"openbadgecredential\0\x01\0\0\0" + bomb))
    assert _bake_error(unbake_png, png).code == "bake_too_large"


@needs_corpus
@pytest.mark.parametrize(
    ("name", "fmt"),
    [("simple-json.png", "json"), ("simple-jwt.png", "jwt"), ("simple-jwt_v1.png", "jwt")],
)
def test_corpus_png(name: str, fmt: str) -> None:
    baked = unbake_png((CORPUS / name).read_bytes())
    assert (baked.format, baked.ob_version) == (fmt, "3.0")
    if fmt == "json":
        assert json.loads(baked.payload)["type"] == ["VerifiableCredential", "OpenBadgeCredential"]


# --- SVG ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "fmt"), [(CREDENTIAL, "json"), (JWT, "jwt")])
def test_svg_round_trip(payload: str, fmt: str) -> None:
    baked = bake_svg(SVG, payload)
    assert unbake_svg(baked) == Baked(payload, fmt, "3.0")  # type: ignore[arg-type]
    assert baked.count(f'xmlns:openbadges="{OB3_SVG_NAMESPACE}"') == 1
    assert baked.endswith('<rect width="1"/></svg>')


def test_svg_element_directly_after_the_root_tag() -> None:
    baked = bake_svg(SVG, JWT)
    assert (
        f'width="10" xmlns:openbadges="{OB3_SVG_NAMESPACE}"><openbadges:credential verify="{JWT}"/>'
        in baked
    )


def test_svg_cdata_terminator_inside_json_survives() -> None:
    payload = json.dumps({"name": "tricky ]]> text", "x": "<b>&amp;</b>"})
    baked = bake_svg(SVG, payload)
    assert unbake_svg(baked).payload == payload


def test_svg_rebake_replaces_the_credential() -> None:
    twice = bake_svg(bake_svg(SVG, CREDENTIAL), JWT)
    assert twice.count("openbadges:credential") == 1
    assert twice.count("xmlns:openbadges") == 1
    assert unbake_svg(twice).payload == JWT


def test_svg_self_closing_root() -> None:
    baked = bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', CREDENTIAL)
    assert unbake_svg(baked).payload == CREDENTIAL
    assert baked.endswith("</svg>")


def test_svg_ob2_badges_are_recognised() -> None:
    ob2 = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        f'<openbadges:assertion verify="{JWT}"/></svg>'
    )
    assert unbake_svg(ob2) == Baked(JWT, "jwt", "2.0")
    assert _bake_error(bake_svg, ob2, CREDENTIAL).code == "bake_not_svg"


def test_svg_without_credential_and_not_svg() -> None:
    assert _bake_error(unbake_svg, SVG).code == "bake_not_baked"
    assert _bake_error(unbake_svg, "<html/>").code == "bake_not_svg"
    assert _bake_error(unbake_svg, "<svg").code == "bake_not_svg"


def test_svg_entity_bomb_and_external_entity() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>'
    )
    assert _bake_error(unbake_svg, bomb).code == "bake_unsafe_xml"
    assert _bake_error(bake_svg, bomb, CREDENTIAL).code == "bake_unsafe_xml"
    external = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    )
    assert _bake_error(unbake_svg, external).code == "bake_unsafe_xml"


def test_svg_size_limit() -> None:
    big = SVG.replace("<rect", "<!--" + "x" * MAX_SVG_CHARS + "--><rect")
    assert _bake_error(unbake_svg, big).code == "bake_too_large"


@needs_corpus
@pytest.mark.parametrize(
    ("name", "fmt"),
    [("simple-json.svg", "json"), ("simple-jwt.svg", "jwt"), ("simple-jwt_v1.svg", "jwt")],
)
def test_corpus_svg(name: str, fmt: str) -> None:
    text = (CORPUS / name).read_text()
    baked = unbake_svg(text)
    assert (baked.format, baked.ob_version) == (fmt, "3.0")
    rebaked = bake_svg(text, JWT)
    assert unbake_svg(rebaked).payload == JWT
    assert rebaked.count("<openbadges:credential") == 1
