"""Property: ``verify()`` returns a report for any input — random JSON, mutated credentials,
random bytes — and never raises, nor hides a crash behind an "unexpected error" check."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from verifier_builders import Issuer, make_credential

from openbadges.verify import VerificationReport, verify

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ISSUER = Issuer()
SIGNED = ISSUER.sign(make_credential(ISSUER.did))
RESOLVER = ISSUER.resolver()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "VerifiableCredential",
            "OpenBadgeCredential",
            "BitstringStatusListEntry",
            "DataIntegrityProof",
            "eddsa-rdfc-2022",
            "ecdsa-sd-2023",
            "assertionMethod",
            "https://badges.example.edu/status/1",
            ISSUER.did,
            ISSUER.method,
            "did:key:z6Mk",
            "did:web:",
            "-1",
            "99999999999999999999",
            "2026-13-45T99:00:00Z",
            "https://www.w3.org/ns/credentials/v2",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "@context",
                    "id",
                    "type",
                    "issuer",
                    "proof",
                    "credentialSubject",
                    "credentialStatus",
                    "validFrom",
                    "validUntil",
                    "endorsement",
                    "endorsementJwt",
                    "verificationMethod",
                    "proofValue",
                    "cryptosuite",
                    "statusListIndex",
                    "achievement",
                    "identifier",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=25,
)
MEMBERS = sorted(SIGNED)


def _mutated(member: str, value: Any, nested: bool) -> dict[str, Any]:
    credential = copy.deepcopy(SIGNED)
    if nested and isinstance(credential.get(member), dict):
        credential[member]["type"] = value
        credential[member]["id"] = value
    else:
        credential[member] = value
    return credential


def _assert_sound(report: VerificationReport) -> None:
    assert isinstance(report, VerificationReport)
    report.to_dict()
    crashed = [c.id for c in report.checks if "unexpected error" in c.detail]
    assert not crashed, [(c.id, c.detail) for c in report.checks]


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(json_values)
def test_any_json_gives_a_report(value: Any) -> None:
    data = value if isinstance(value, dict) else json.dumps(value)
    _assert_sound(verify(data, resolver=RESOLVER, now=NOW))


@FUZZ
@given(st.sampled_from(MEMBERS), json_values, st.booleans())
def test_a_mutated_credential_gives_a_report_and_is_never_verified(
    member: str, value: Any, nested: bool
) -> None:
    credential = _mutated(member, value, nested)
    report = verify(credential, resolver=RESOLVER, now=NOW)
    _assert_sound(report)
    if credential != SIGNED:
        assert report.verified is False


@FUZZ
@given(st.binary(max_size=200), st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"<", b"{", b"e"]))
def test_random_bytes_give_a_report(tail: bytes, head: bytes) -> None:
    _assert_sound(verify(head + tail, resolver=RESOLVER, now=NOW))
