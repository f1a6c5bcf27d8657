"""A page not yet cached reuses this worker's status list verifications and proof checks, and
still shows a revocation at once (issue 9, item 18d)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import Issuer, fresh_issuer

from app.core.cache import TtlLru
from app.hot import public as hot_public
from app.hot import verification as hot_verification
from app.verification import memo as page_memo
from app.verification.memo import PageMemo
from openbadges.verification import pipeline

HTML = {"Accept": "text/html"}


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Issuer]:
    with fresh_issuer(tmp_path) as fresh:
        yield fresh


def _banner(issuer: Issuer, credential_id: str) -> str:
    response = issuer.client.get(f"/credentials/{credential_id}", headers=HTML)
    assert response.status_code == 200, response.text
    return str(re.findall(r'data-banner="([a-z_]+)"', response.text)[0])


class _Counting:
    """Counts what the verifier computes afresh: status list verifications and proof checks."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lists = 0
        self.proofs = 0
        real_verify, real_proofs = pipeline._verify, pipeline.check_proofs

        def verify(data: Any, requested: Any, run: Any, recipient: Any) -> Any:
            self.lists += requested == "status_list"
            return real_verify(data, requested, run, recipient)

        def check_proofs(*args: Any, **kwargs: Any) -> Any:
            self.proofs += 1
            return real_proofs(*args, **kwargs)

        monkeypatch.setattr(pipeline, "_verify", verify)
        monkeypatch.setattr(pipeline, "check_proofs", check_proofs)


def _forget_pages() -> None:
    """Drop the rendered pages and reports, not the memo: the next view is a cold page."""
    hot_public.page_reports.clear()
    hot_public.rendered_pages.clear()


def test_cold_pages_reuse_the_status_list_verification(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    achievement = issuer.achievement("Statistics")
    first, second = issuer.issue(achievement), issuer.issue(achievement, name="Grace")
    counting = _Counting(monkeypatch)
    assert _banner(issuer, first) == "verified"
    lists_after_first = counting.lists
    assert lists_after_first >= 1
    assert _banner(issuer, second) == "verified"  # another credential on the same lists
    assert counting.lists == lists_after_first
    _forget_pages()
    proofs = counting.proofs
    assert _banner(issuer, first) == "verified"  # its page expired: nothing is re-verified
    assert counting.proofs == proofs
    assert counting.lists == lists_after_first


def test_revocation_shows_at_once_and_the_changed_list_is_verified_afresh(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    achievement = issuer.achievement("Statistics")
    revoked, other, third = (issuer.issue(achievement, name=n) for n in ("Ada", "Grace", "Alan"))
    counting = _Counting(monkeypatch)
    assert _banner(issuer, revoked) == "verified"  # keeps the list and its verification
    issuer.change(revoked, "revoke")  # the kept list is now older than the database's
    assert _banner(issuer, revoked) == "revoked"
    lists = counting.lists
    assert _banner(issuer, other) == "verified"
    assert counting.lists > lists  # the changed list: its verification is not reused
    lists = counting.lists
    assert _banner(issuer, third) == "verified"
    assert counting.lists == lists  # the changed list's own verification is


def test_the_next_cold_page_of_an_issuer_reuses_its_proof_key(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key a proof names is resolved once per worker, not once per page."""
    from openbadges.verification import proof

    resolved: list[str] = []
    real = proof.resolve_verification_method

    def counting(vm_url: Any, *args: Any, **kwargs: Any) -> Any:
        resolved.append(vm_url)
        return real(vm_url, *args, **kwargs)

    monkeypatch.setattr(proof, "resolve_verification_method", counting)
    achievement = issuer.achievement("Statistics")
    first, second = issuer.issue(achievement), issuer.issue(achievement, name="Grace")
    assert _banner(issuer, first) == "verified"
    credential_keys = len(resolved)
    assert credential_keys >= 1
    assert _banner(issuer, second) == "verified"
    assert len(resolved) == credential_keys  # the second credential's key was recalled
    page_memo.PAGE_MEMO.clear()
    _forget_pages()
    assert _banner(issuer, second) == "verified"
    assert len(resolved) > credential_keys  # without the memo it is resolved again


def test_a_kept_list_older_than_the_row_is_read_again(issuer: Issuer) -> None:
    """Another worker revoked: this worker's kept list still has the bit clear."""
    achievement = issuer.achievement("Statistics")
    revoked = issuer.issue(achievement)
    assert _banner(issuer, revoked) == "verified"
    kept = dict(hot_verification.kept_lists._entries)
    issuer.change(revoked, "revoke")
    for list_id, (_expires, entry) in kept.items():
        hot_verification.kept_lists.put(list_id, entry, 60)  # as a worker that did not revoke
    _forget_pages()
    assert _banner(issuer, revoked) == "revoked"


def test_a_kept_did_document_without_a_new_key_does_not_fail_the_page(
    issuer: Issuer,
) -> None:
    """Another worker rotated the keys: this worker's kept DID document lacks the new key."""
    achievement = issuer.achievement("Statistics")
    before = issuer.issue(achievement)
    assert _banner(issuer, before) == "verified"  # keeps the issuer's DID document
    did = issuer.client.get(f"/credentials/{before}.json").json()["issuer"]["id"]
    issuer_id = uuid.UUID(did.rsplit(":", 1)[1])
    kept = hot_verification.did_documents.get(issuer_id)
    assert kept is not None
    rotated = issuer.client.post("/api/v1/keys/rotate", headers=issuer.headers)
    assert rotated.status_code == 200, rotated.text
    hot_verification.did_documents.put(issuer_id, kept, 60)  # as a worker that did not rotate
    after = issuer.issue(achievement, name="Grace")
    assert _banner(issuer, after) == "verified"


def test_the_memo_keeps_only_positive_results_and_stays_bounded() -> None:
    memo = PageMemo(lists=TtlLru(2), proofs=TtlLru(2), keys=TtlLru(2))
    calls: list[int] = []

    def compute(value: Any) -> Any:
        calls.append(1)
        return value

    class Report:
        def __init__(self, verified: bool) -> None:
            self.verified = verified

    doc = {"credentialSubject": {"ttl": 300_000}}
    for n in range(5):
        memo.recall("status_list", bytes([n]), doc, lambda: compute(Report(True)))
    assert memo.sizes() == (2, 0, 0)
    memo.recall("status_list", b"bad", doc, lambda: compute(Report(False)))
    memo.recall("status_list", b"bad", doc, lambda: compute(Report(False)))
    assert len(calls) == 7  # a failure is never kept

    class Check:
        def __init__(self, status: str) -> None:
            self.status = status

    pair = (Check("valid"), Check("invalid"))
    memo.recall("proof", b"p", {}, lambda: compute(pair))
    memo.recall("proof", b"p", {}, lambda: compute(pair))
    assert len(calls) == 9
    assert memo.sizes() == (2, 0, 0)

    class Key:
        def __init__(self, binding: str) -> None:
            self.binding = binding

    for binding in ("unknown", "invalid"):
        memo.recall("key", binding.encode(), {}, lambda b=binding: compute(Key(b)))
        memo.recall("key", binding.encode(), {}, lambda b=binding: compute(Key(b)))
    assert len(calls) == 13  # a key not bound to its issuer is never kept
    for n in range(4):
        memo.recall("key", bytes([n]), {}, lambda: compute(Key("valid")))
        memo.recall("key", bytes([n]), {}, lambda: compute(Key("valid")))
    assert len(calls) == 17
    assert memo.sizes() == (2, 0, 2)


def test_a_list_past_its_valid_until_is_not_kept() -> None:
    assert page_memo._list_ttl_s({"validUntil": "2000-01-01T00:00:00Z"}) <= 0
    assert page_memo._list_ttl_s({"credentialSubject": {"ttl": 5000}}) == 5.0
    assert page_memo._list_ttl_s({}) == hot_verification.MAX_LIST_TTL_S
