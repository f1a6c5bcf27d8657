"""The bundled contexts and the static loader: pinned bytes, no network, private copies."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest
from shared_corpus import CONFORMANCE_CONTEXTS

from openbadges.errors import ContextError
from openbadges.jsonld import loader

# sha256 of every bundled file; must agree with openbadges/jsonld/contexts/README.md.
PINNED = {
    "clr-v2p0-2.0.1.json": "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6",
    "clr-v2p0.json": "e198d7b517d74c5036434ce495086f67b10244709e9a3df9dcb7f8b1579b6167",
    "credentials-status-v1.jsonld": "fd08cbf28ddd829ab2f1978c48f43ab07a112c1c90245a0cfac7ba721c65170c",
    "credentials-undefined-terms-v2.jsonld": "82dab514ba44eb18f5d1b0f638c5e140c6a556fbfb5089601bdc0fa5eb8b2581",
    "credentials-v1.jsonld": "00d7dd6d3ad8b920e3e550dd3a3d9090bffcac84cdbf943da6924b3e0a5c8bb8",
    "credentials-v2.jsonld": "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    "data-integrity-v1.jsonld": "b5d829bd09aa7c42abc6efa0c8ed7635313b5487f37ccfce3ecd149ca9418554",
    "data-integrity-v2.jsonld": "0f77743daf5b4e8fc067fc5ba5b21044283053aa717fc6b0219843bed3b00363",
    "did-v1.jsonld": "62c1054bf404d6dd3a4b26b64f830fd72095f6a26edc4469908c94351352ce5f",
    "ed25519-signature-2020-v1.jsonld": "b9e1ab971fd8bf2c7553e0c4a9438e0b9450afde1ea1ca5b2492368b9f549588",
    "multikey-v1.jsonld": "c5f3806f8286920573221938917988a18a4cc5a09e968d29649613c7a1c2b1f6",
    "ob-v3p0-3.0.1.json": "af095468326d3449160509b26ca71576e6321d13c85b0369cfe3b654c9a48fba",
    "ob-v3p0-3.0.2.json": "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53",
    "ob-v3p0-3.0.3.json": "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84",
    "ob-v3p0-extensions.json": "2d013f981d1f4516081a6a04e55468ba2b071d4153b794f19a79715c45a89a5e",
    "ob-v3p0.json": "9f1c8f9f361ba2994b9b50701f41149919542c50c7b7455b2846d87959295d72",
}

CONTEXTS = resources.files("openbadges.jsonld.contexts")
README = Path(str(CONTEXTS.joinpath("README.md")))


@pytest.mark.parametrize(("file_name", "digest"), sorted(PINNED.items()))
def test_bundled_file_matches_pinned_sha256(file_name: str, digest: str) -> None:
    data = CONTEXTS.joinpath(file_name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest


def test_every_data_file_is_pinned_and_mapped() -> None:
    data_files = {
        entry.name for entry in CONTEXTS.iterdir() if entry.name.endswith((".json", ".jsonld"))
    }
    assert data_files == set(PINNED)
    assert set(loader.CONTEXT_FILES.values()) == set(PINNED)


@pytest.mark.parametrize(("file_name", "digest"), sorted(PINNED.items()))
def test_readme_records_the_same_digest(file_name: str, digest: str) -> None:
    row = next(line for line in README.read_text().splitlines() if f"`{file_name}`" in line)
    assert digest in row


def test_published_v2_context_is_the_recommendation_without_vocab() -> None:
    # VC 2.0 REC §B.1 publishes this digest; the REC context has no top-level @vocab.
    context = loader.load_context("https://www.w3.org/ns/credentials/v2")["@context"]
    assert "@vocab" not in context
    assert context["@protected"] is True


@pytest.mark.parametrize("url", sorted(loader.CONTEXT_FILES))
def test_every_url_loads_as_a_context_object(url: str) -> None:
    remote = loader.document_loader(url)
    assert remote["documentUrl"] == url
    assert remote["contextUrl"] is None
    assert isinstance(remote["document"]["@context"], dict | list)


def test_alias_url_serves_the_same_document() -> None:
    alias = loader.load_context("https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld")
    assert alias == loader.load_context("https://purl.imsglobal.org/spec/ob/v3p0/context.json")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/context.json",
        "http://www.w3.org/ns/credentials/v2",  # http, not https: no guessing
        "https://www.w3.org/ns/credentials/v2/",
        "https://www.w3.org/ns/credentials/examples/v2",
        "",
    ],
)
def test_unknown_url_fails_loudly(url: str) -> None:
    with pytest.raises(ContextError) as info:
        loader.document_loader(url)
    assert info.value.code == "context_not_bundled"
    assert repr(url) in str(info.value)


def test_callers_get_private_copies() -> None:
    url = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    first = loader.document_loader(url)["document"]
    first["@context"]["OpenBadgeCredential"] = "https://evil.example/#x"
    first["@context"].clear()
    again = loader.load_context(url)
    assert again["@context"]["OpenBadgeCredential"] == {
        "@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
    }


def test_conformance_copies_agree_where_shared() -> None:
    """Files taken from npm say the same as the 1EdTech validator's copies (content, not bytes)."""
    shared = CONFORMANCE_CONTEXTS
    if not shared.is_dir():
        pytest.skip("conformance corpus not present")
    same = {
        "credentials-v1.jsonld": "2018-credentials-v1.jsonld",
        "ob-v3p0.json": "ob-v3p0.json",
        "ob-v3p0-3.0.1.json": "ob-v3p0-3.0.1.json",
        "ob-v3p0-3.0.2.json": "ob-v3p0-3.0.2.json",
        "ob-v3p0-extensions.json": "ob-v3p0-extensions.json",
        "data-integrity-v1.jsonld": "data-integrity-v1.jsonld",
        "ed25519-signature-2020-v1.jsonld": "security-suites-ed25519-2020-v1.jsonld",
        "did-v1.jsonld": "did-v1.jsonld",
    }
    for ours, theirs in same.items():
        bundled = json.loads(CONTEXTS.joinpath(ours).read_text())
        assert bundled == json.loads((shared / theirs).read_text()), ours
