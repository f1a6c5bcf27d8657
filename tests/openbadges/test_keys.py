"""Keys: signatures, PEM, JWK, Multikey and RFC 7638 thumbprints, against published vectors."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from openbadges import multibase as mb
from openbadges.errors import KeyFormatError
from openbadges.keys import KeyType, PublicKey, SigningKey, jwk_thumbprint, jwks, select_jwk

# W3C vc-di-eddsa TestVectors/keyPair.json
W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
# OB 3.0 linked-data-proof-ob.html test vector
OB_SEED_HEX = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
OB_PUBLIC_HEX = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
OB_PUBLIC_MULTIBASE = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


@pytest.fixture(scope="module", params=list(KeyType), ids=lambda k: k.value)
def signing_key(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.generate(request.param)


class TestVectors:
    def test_w3c_secret_multikey_yields_its_public_key(self) -> None:
        key = SigningKey.from_multibase(W3C_SECRET)
        assert key.public_key.multibase == W3C_PUBLIC
        assert key.to_multibase() == W3C_SECRET

    def test_ob_vector_public_key_multibase(self) -> None:
        key = PublicKey.from_ed25519_bytes(bytes.fromhex(OB_PUBLIC_HEX))
        assert key.multibase == OB_PUBLIC_MULTIBASE
        assert PublicKey.from_multibase(OB_PUBLIC_MULTIBASE) == key

    def test_ob_vector_seed_gives_the_published_public_key(self) -> None:
        key = SigningKey.from_ed25519_seed(bytes.fromhex(OB_SEED_HEX))
        assert key.public_key.multibase == OB_PUBLIC_MULTIBASE

    def test_rfc8037_ed25519_jwk_and_thumbprint(self) -> None:
        # RFC 8037 Appendix A.1-A.3
        seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        jwk = SigningKey.from_ed25519_seed(seed).public_key.to_jwk()
        assert jwk == {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        }
        assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

    def test_rfc7638_rsa_thumbprint_ignores_non_required_members(self) -> None:
        # RFC 7638 §3.1 example
        n = (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
            "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvz"
            "qY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZ"
            "u0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        )
        jwk = {"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}
        assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        assert PublicKey.from_jwk(jwk).key_type is KeyType.RSA


class TestSignatures:
    def test_sign_and_verify(self, signing_key: SigningKey) -> None:
        signature = signing_key.sign(b"message")
        assert signing_key.public_key.verify(signature, b"message")
        assert not signing_key.public_key.verify(signature, b"messagE")

    def test_signature_from_another_key_fails(self, signing_key: SigningKey) -> None:
        other = SigningKey.generate(signing_key.key_type)
        assert not signing_key.public_key.verify(other.sign(b"m"), b"m")

    @pytest.mark.parametrize("bad", [b"", b"\x00" * 64, b"\xff" * 7, b"\x01" * 300])
    def test_malformed_signature_is_false_not_an_exception(
        self, signing_key: SigningKey, bad: bytes
    ) -> None:
        assert signing_key.public_key.verify(bad, b"m") is False

    def test_p256_signature_is_raw_r_s(self) -> None:
        key = SigningKey.generate(KeyType.P256)
        assert len(key.sign(b"m")) == 64

    def test_rsa_is_2048_bits(self) -> None:
        key = SigningKey.generate("RSA").public_key.crypto_key
        assert isinstance(key, rsa.RSAPublicKey)
        assert key.key_size == 2048

    def test_unknown_key_type(self) -> None:
        with pytest.raises(KeyFormatError, match="unknown key type 'X25519'"):
            SigningKey.generate("X25519")


class TestPem:
    def test_round_trip_clear(self, signing_key: SigningKey) -> None:
        loaded = SigningKey.from_pem(signing_key.to_pem())
        assert loaded.public_key == signing_key.public_key
        assert signing_key.to_pem().startswith(b"-----BEGIN PRIVATE KEY-----")

    def test_round_trip_encrypted(self, signing_key: SigningKey) -> None:
        pem = signing_key.to_pem(b"s3cret")
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert SigningKey.from_pem(pem, b"s3cret").public_key == signing_key.public_key

    def test_empty_password_refused(self) -> None:
        with pytest.raises(KeyFormatError, match="empty PEM password"):
            SigningKey.generate().to_pem(b"")

    def test_wrong_password(self) -> None:
        pem = SigningKey.generate().to_pem(b"right")
        with pytest.raises(KeyFormatError, match="wrong password"):
            SigningKey.from_pem(pem, b"wrong")

    def test_missing_password(self) -> None:
        pem = SigningKey.generate().to_pem(b"right")
        with pytest.raises(KeyFormatError, match="password"):
            SigningKey.from_pem(pem)

    def test_garbage(self) -> None:
        with pytest.raises(KeyFormatError, match="not a usable PEM"):
            SigningKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")

    def test_unsupported_curve(self) -> None:
        with pytest.raises(KeyFormatError, match="only P-256"):
            SigningKey(ec.generate_private_key(ec.SECP384R1()))

    def test_small_rsa_refused(self) -> None:
        with pytest.raises(KeyFormatError, match="1024 bits"):
            SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=1024))

    def test_repr_hides_private_material(self, signing_key: SigningKey) -> None:
        assert "PRIVATE" not in repr(signing_key)
        assert signing_key.key_type.value in repr(signing_key)


class TestJwk:
    def test_round_trip_with_kid(self, signing_key: SigningKey) -> None:
        jwk = signing_key.public_key.to_jwk(kid="did:web:example.edu#key-1")
        assert "d" not in jwk
        assert jwk["kid"] == "did:web:example.edu#key-1"
        assert PublicKey.from_jwk(jwk) == signing_key.public_key

    def test_shapes(self) -> None:
        assert set(SigningKey.generate("P-256").public_key.to_jwk()) == {"kty", "crv", "x", "y"}
        assert set(SigningKey.generate("RSA").public_key.to_jwk()) == {"kty", "n", "e"}

    def test_private_jwk_refused(self) -> None:
        jwk = {**SigningKey.generate().public_key.to_jwk(), "d": "AAAA"}
        with pytest.raises(KeyFormatError, match="private key members") as info:
            PublicKey.from_jwk(jwk)
        assert info.value.path == "$.d"

    @pytest.mark.parametrize(
        ("jwk", "message"),
        [
            ({"kty": "oct", "k": "AAAA"}, "unsupported JWK kty 'oct'"),
            ({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}, "curve 'P-384'"),
            ({"kty": "OKP", "crv": "X25519", "x": "AA"}, "curve 'X25519'"),
            ({"kty": "OKP", "crv": "Ed25519"}, "'x' is missing"),
            ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, "must be 32 bytes"),
            ({"kty": "OKP", "crv": "Ed25519", "x": "A+/A"}, "base64url"),
            ({"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}, "not a point"),
            ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "RSA"),
            ([1, 2], "must be a JSON object"),
        ],
    )
    def test_bad_jwks_named(self, jwk: object, message: str) -> None:
        with pytest.raises(KeyFormatError, match=message):
            PublicKey.from_jwk(jwk)  # type: ignore[arg-type]

    def test_thumbprint_is_stable_across_kid(self, signing_key: SigningKey) -> None:
        public = signing_key.public_key
        assert jwk_thumbprint(public.to_jwk()) == jwk_thumbprint(public.to_jwk(kid="x"))

    def test_thumbprint_of_unknown_kty(self) -> None:
        with pytest.raises(KeyFormatError, match="kty"):
            jwk_thumbprint({"kty": "oct", "k": "x"})

    def test_jwks_and_select(self) -> None:
        a, b = SigningKey.generate().public_key, SigningKey.generate("RSA").public_key
        key_set = jwks({"k1": a, "k2": b})
        assert [k["kid"] for k in key_set["keys"]] == ["k1", "k2"]
        assert select_jwk(key_set, "k2") == b
        with pytest.raises(KeyFormatError, match="0 keys with kid 'k3'"):
            select_jwk(key_set, "k3")
        with pytest.raises(KeyFormatError, match="'keys' array"):
            select_jwk({"keys": "nope"}, "k1")


class TestMultikey:
    def test_p256_round_trip_starts_zdn(self) -> None:
        public = SigningKey.generate("P-256").public_key
        assert public.multibase.startswith("zDn")
        assert PublicKey.from_multibase(public.multibase) == public

    def test_rsa_has_no_multikey(self) -> None:
        with pytest.raises(KeyFormatError, match="JWK"):
            _ = SigningKey.generate("RSA").public_key.multibase

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("", "empty"),
            ("u7QE", "must start with 'z'"),
            ("z0OIl", "base58btc"),
            (mb.encode(b"\xed\x01" + b"\x00" * 31), "32 bytes, got 31"),
            (mb.encode(b"\x12\x00" + b"\x00" * 32), "unknown multicodec prefix 0x1200"),
            (mb.encode(b"\x80\x24" + b"\x02" * 20), "33-byte compressed point"),
            (W3C_SECRET, "private key"),
        ],
    )
    def test_bad_public_multikey_named(self, value: str, message: str) -> None:
        with pytest.raises(KeyFormatError, match=message):
            PublicKey.from_multibase(value)

    def test_public_multikey_is_not_a_secret_key(self) -> None:
        with pytest.raises(KeyFormatError, match="0x8026"):
            SigningKey.from_multibase(W3C_PUBLIC)

    def test_secret_multikey_only_for_ed25519(self) -> None:
        with pytest.raises(KeyFormatError, match="Ed25519 keys only"):
            SigningKey.generate("P-256").to_multibase()


class TestMultibase:
    def test_base64url_round_trip(self) -> None:
        data = bytes(range(256))
        encoded = mb.encode(data, mb.BASE64URL)
        assert encoded.startswith("u")
        assert "=" not in encoded
        assert mb.decode(encoded) == data

    def test_unsupported_prefix(self) -> None:
        with pytest.raises(KeyFormatError, match="unsupported multibase prefix 'f'"):
            mb.decode("f00ff")

    @pytest.mark.parametrize("text", ["ab@c", "ab+c", "ab/c", "a b", "abcde"])
    def test_base64url_is_strict(self, text: str) -> None:
        with pytest.raises(KeyFormatError, match="base64url"):
            mb.b64url_decode(text)


def test_an_ed25519_signature_by_a_small_order_key_is_refused() -> None:
    """The identity point as a public key, with R the identity and S = 0, "verifies" any
    message for OpenSSL's Ed25519 (cofactorless, no small-order check); libsodium refuses it."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    identity = bytes([1]) + bytes(31)
    forged = identity + bytes(32)
    key = ed25519.Ed25519PublicKey.from_public_bytes(identity)
    assert PublicKey(key).verify(forged, b"any message at all") is False


def test_an_ed25519_signature_with_a_non_canonical_s_is_refused() -> None:
    key = SigningKey.generate(KeyType.ED25519)
    signature = key.sign(b"signed")
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(signature[32:], "little") + order
    assert key.public_key.verify(signature, b"signed")
    assert not key.public_key.verify(signature[:32] + s.to_bytes(32, "little"), b"signed")


@given(
    st.binary(max_size=80), st.integers(min_value=0, max_value=3), st.sampled_from(["", " ", "\n"])
)
def test_base58btc_decodes_as_the_base58_package(data: bytes, zeros: int, tail: str) -> None:
    import base58

    text = base58.b58encode(bytes(zeros) + data).decode("ascii") + tail
    assert mb.base58btc_decode(text) == base58.b58decode(text.encode("ascii"))


@pytest.mark.parametrize("text", ["0OIl", "abc def", "é", "z\u00a0", "\ud800"])
def test_base58btc_refuses_characters_outside_its_alphabet(text: str) -> None:
    with pytest.raises(ValueError, match="invalid base58btc character"):
        mb.base58btc_decode(text)
