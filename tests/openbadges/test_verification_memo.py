"""What the verifier asks a caller's memo, and under which keys (issue 9, item 18d).

The memo is the caller's promise (``openbadges.verification.memo``); these tests pin what the
library hands it: a proof's key recalled by method, issuer and policy; a credential's proof
checks keyed by the digest of the JSON text it came as; a status list by the digest its
caller holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from verifier_builders import NOW, Issuer, make_credential

from openbadges.did import did_web_to_url
from openbadges.resolver import InMemoryResolver
from openbadges.verification import memo as library_memo
from openbadges.verification.memo import MemoKind
from openbadges.verification.pipeline import verify

T = TypeVar("T")


class DictMemo:
    """Keeps every result; records what was asked."""

    def __init__(self) -> None:
        self.kept: dict[bytes, Any] = {}
        self.asked: list[tuple[MemoKind, bytes]] = []
        self.digests: dict[int, bytes] = {}

    def recall(
        self, kind: MemoKind, key: bytes, document: dict[str, Any], compute: Callable[[], T]
    ) -> T:
        self.asked.append((kind, key))
        if key not in self.kept:
            self.kept[key] = compute()
        return self.kept[key]  # type: ignore[no-any-return]

    def digest_of(self, document: dict[str, Any]) -> bytes | None:
        return self.digests.get(id(document))


class CountingResolver(InMemoryResolver):
    def __init__(self, documents: dict[str, Any]) -> None:
        super().__init__(documents)
        self.fetched: list[str] = []

    def fetch_json(self, url: str) -> dict[str, Any]:
        self.fetched.append(url)
        return super().fetch_json(url)


def _signed(issuer: Issuer, name: str) -> str:
    credential = make_credential()
    credential["credentialSubject"]["achievement"]["name"] = name
    return json.dumps(issuer.sign(credential))


def test_a_proof_key_is_recalled_for_the_next_credential_of_the_issuer() -> None:
    issuer = Issuer()
    resolver = CountingResolver(issuer.documents)
    memo = DictMemo()
    first = verify(_signed(issuer, "One"), resolver=resolver, now=NOW, memo=memo)
    assert first.verified, first.checks
    assert resolver.fetched == [did_web_to_url(issuer.did)]
    second = verify(_signed(issuer, "Two"), resolver=resolver, now=NOW, memo=memo)
    assert second.verified, second.checks
    assert resolver.fetched == [did_web_to_url(issuer.did)]  # not read again for the key
    keys = [key for kind, key in memo.asked if kind == "key"]
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert library_memo.content_key("key", "bound", issuer.method, issuer.did) == keys[0]
    verify(_signed(issuer, "Two"), resolver=resolver, now=NOW)
    assert len(resolver.fetched) == 2  # without a memo the key is resolved every time


def test_a_failed_key_resolution_is_computed_again_and_not_kept() -> None:
    issuer = Issuer()
    text = _signed(issuer, "One")
    memo = DictMemo()
    report = verify(text, resolver=InMemoryResolver({}), now=NOW, memo=memo)
    assert not report.verified
    assert not any(
        kind == "key" and key in memo.kept for kind, key in memo.asked
    )  # it raised inside recall: nothing kept


def test_the_proof_memo_keys_on_the_text_it_came_as() -> None:
    issuer = Issuer()
    text = _signed(issuer, "One")
    memo = DictMemo()
    verify(text, resolver=issuer.resolver(), now=NOW, memo=memo)
    verify(text, resolver=issuer.resolver(), now=NOW, memo=memo)
    changed = text.replace('"One"', '"Onf"')
    report = verify(changed, resolver=issuer.resolver(), now=NOW, memo=memo)
    proof_keys = [key for kind, key in memo.asked if kind == "proof"]
    assert proof_keys[0] == proof_keys[1] != proof_keys[2]
    assert not report.verified  # a changed byte is a new key, checked afresh (and failing)
    parsed = verify(json.loads(text), resolver=issuer.resolver(), now=NOW, memo=memo)
    assert parsed.verified
    assert [key for kind, key in memo.asked if kind == "proof"][3] != proof_keys[0]


def test_a_status_list_is_keyed_by_the_digest_its_caller_holds() -> None:
    document = {"id": "https://x.example/status/1", "credentialSubject": {}}
    memo = DictMemo()
    library_memo.recall_status_list(memo, document, 1, "bound", lambda: "dumped")
    memo.digests[id(document)] = b"\x01" * 32
    result = library_memo.recall_status_list(memo, document, 1, "bound", lambda: "by digest")
    dumped, by_digest = (key for _, key in memo.asked)
    assert dumped != by_digest
    assert result == "by digest"
    assert by_digest == library_memo.content_key("status_list text", "bound", 1, "01" * 32)


def test_content_keys_tell_apart_what_differs_in_value_or_type() -> None:
    content_key = library_memo.content_key
    keys = [
        content_key("proof text", "bound", "json", None, "ab"),
        content_key("proof text", "bound", "json", ["a", "b"], "ab"),
        content_key("proof text", "bound", "jwt", None, "ab"),
        content_key("status_list text", "bound", 1, "ab"),
        content_key("status_list text", "bound", "1", "ab"),
        content_key("status_list", "bound", 1, {"id": "ab"}),
        content_key("status_list", "bound", 1, {"id": "ab", "n": True}),
        content_key("key", "bound", "did:key:z6Mk#z6Mk", None),
        content_key("key", "bound", "did:key:z6Mk#z6Mk", "https://issuer"),
        content_key("x\ud800"),  # a lone surrogate (a verifier reads anonymous input)
    ]
    assert len(set(keys)) == len(keys)
    assert content_key("status_list", "bound", 1, {"b": 1, "a": 2}) == content_key(
        "status_list", "bound", 1, {"a": 2, "b": 1}
    )
