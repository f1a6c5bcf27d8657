"""Benchmark: eddsa-rdfc-2022 sign / verify, reference (pyld) vs the fast canonicaliser.

Run: ``.venv/bin/python bench/bench_signing.py``. Prints medians (ms) over many runs in one
process, and ratios to a raw Ed25519 signature over the same bytes. Takes well under a minute.
The figures are for a typical credential (~2.6 KB, like ``shared/perf-notes.md``): the OB 3.0
spec vector plus an alignment, a hashed-email identifier, a result, evidence, a status entry
and a credential schema.
"""

from __future__ import annotations

import copy
import hashlib
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadges.jsonld.canonical import canonicalize_reference
from openbadges.jsonld.fast import fast_canonicalize

VECTOR = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "openbadges"
    / "vectors"
    / "obv3p0"
    / "credential.json"
)
CREATED = "2026-01-01T00:00:00Z"


def typical_credential() -> dict[str, Any]:
    """The spec vector credential grown to the typical shape and size."""
    doc: dict[str, Any] = json.loads(VECTOR.read_text(encoding="utf-8"))
    doc.pop("proof", None)
    doc["@context"] = [*doc["@context"], "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]
    subject = doc["credentialSubject"]
    subject["achievement"]["image"] = {
        "id": "https://example.com/badges/teamwork.png",
        "type": "Image",
        "caption": "Teamwork",
    }
    subject["achievement"]["alignment"] = [
        {
            "type": ["Alignment"],
            "targetName": "Collaboration",
            "targetUrl": "https://example.com/framework/collab",
            "targetCode": "C-1",
        }
    ]
    subject["identifier"] = [
        {
            "type": "IdentityObject",
            "identityHash": "sha256$" + hashlib.sha256(b"learner@example.comsalt").hexdigest(),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": "salt",
        }
    ]
    subject["result"] = [{"type": ["Result"], "value": "A", "status": "Completed"}]
    doc["evidence"] = [
        {"type": ["Evidence"], "name": "Project", "narrative": "Led a five-person team project."}
    ]
    doc["credentialStatus"] = {
        "id": "https://example.com/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example.com/status/1",
    }
    doc["credentialSchema"] = [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    return doc


def proof_options(doc: dict[str, Any]) -> dict[str, Any]:
    """The eddsa-rdfc-2022 proof configuration (vc-di-eddsa §3.3.5)."""
    return {
        "@context": doc["@context"],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": CREATED,
        "verificationMethod": "https://example.com/issuers/1#key-1",
        "proofPurpose": "assertionMethod",
    }


def hash_data(doc: dict[str, Any], canon: Callable[[dict[str, Any]], str | None]) -> bytes:
    """vc-di-eddsa §3.3.4: SHA-256(canonical proof config) ‖ SHA-256(canonical document)."""
    config, document = canon(proof_options(doc)), canon(doc)
    assert config is not None, "fast path declined the proof configuration"
    assert document is not None, "fast path declined the bench document"
    return hashlib.sha256(config.encode()).digest() + hashlib.sha256(document.encode()).digest()


def median_ms(operation: Callable[[], object], seconds: float) -> tuple[float, int]:
    """Median wall time of ``operation`` in ms, repeated for about ``seconds``."""
    for _ in range(3):
        operation()  # warm caches (contexts, imports) outside the measurement
    samples: list[float] = []
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop or len(samples) < 20:
        start = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000, len(samples)


def main() -> None:
    """Measure and print the table."""
    doc = typical_credential()
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    reference_bytes = hash_data(doc, canonicalize_reference)
    assert hash_data(doc, fast_canonicalize) == reference_bytes, "fast and reference disagree"
    signature = key.sign(reference_bytes)
    canon = fast_canonicalize(doc) or ""

    def verify(canon_fn: Callable[[dict[str, Any]], str | None]) -> Callable[[], None]:
        def run() -> None:
            unsecured = {k: v for k, v in doc.items() if k != "proof"}
            public.verify(signature, hash_data(unsecured, canon_fn))

        return run

    rows: list[tuple[str, Callable[[], object], float]] = [
        ("Ed25519 sign (raw, 64 bytes)", lambda: key.sign(reference_bytes), 2),
        ("Ed25519 verify (raw)", lambda: public.verify(signature, reference_bytes), 2),
        ("canonicalise document: reference (pyld)", lambda: canonicalize_reference(doc), 6),
        ("canonicalise document: fast", lambda: fast_canonicalize(doc), 4),
        (
            "sign: reference canonicalise + Ed25519",
            lambda: key.sign(hash_data(doc, canonicalize_reference)),
            8,
        ),
        (
            "sign: fast canonicalise + Ed25519",
            lambda: key.sign(hash_data(copy.copy(doc), fast_canonicalize)),
            4,
        ),
        ("verify: reference", verify(canonicalize_reference), 8),
        ("verify: fast", verify(fast_canonicalize), 4),
    ]
    print(
        f"typical credential: {len(json.dumps(doc))} bytes JSON, {canon.count(chr(10))} quads, "
        f"{len({w for w in canon.split() if w.startswith('_:c14n')})} blank nodes"
    )
    print(f"{'operation':44} {'median ms':>10} {'x raw sign':>11} {'runs':>7}")
    raw = 0.0
    for name, operation, seconds in rows:
        ms, runs = median_ms(operation, seconds)
        raw = raw or ms
        print(f"{name:44} {ms:10.3f} {ms / raw:11.1f} {runs:7d}")
    _bench_library(doc, seconds=4, raw=raw)


def _bench_library(doc: dict[str, Any], *, seconds: float, raw: float) -> None:
    """The same through ``openbadges.proofs.data_integrity`` (canonicalize() -> fast path)."""
    try:
        from openbadges.keys import SigningKey
        from openbadges.proofs import data_integrity
    except ImportError:  # not written yet
        print("openbadges.proofs.data_integrity: not available")
        return
    key = SigningKey.generate("Ed25519")
    vm = "https://example.com/issuers/1#key-1"
    signed = data_integrity.sign(doc, key, verification_method=vm, created=CREATED)
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    assert data_integrity.verify_proof(unsecured, signed["proof"], key.public_key)
    rows: list[tuple[str, Callable[[], object]]] = [
        (
            "data_integrity.sign (library)",
            lambda: data_integrity.sign(doc, key, verification_method=vm, created=CREATED),
        ),
        (
            "data_integrity.verify_proof (library)",
            lambda: data_integrity.verify_proof(unsecured, signed["proof"], key.public_key),
        ),
    ]
    for name, operation in rows:
        ms, runs = median_ms(operation, seconds)
        print(f"{name:44} {ms:10.3f} {ms / raw:11.1f} {runs:7d}")


if __name__ == "__main__":
    main()
