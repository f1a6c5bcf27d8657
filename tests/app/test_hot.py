"""Per-worker memory lives in ``app/hot`` only, each store declared and cleared (issue 10, 3)."""

from __future__ import annotations

import ast
import math
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app import hot
from app.core import events
from app.core.cache import TtlLru
from app.core.events import DomainEvent
from app.credentials.published import PublishedCredential
from app.events import (
    AchievementVersioned,
    CredentialStatusChanged,
    CredentialVisibilityChanged,
    EndorsementDecided,
    IssuerUpdated,
    KeysRotated,
)
from app.hot import issuing, public, subscribers, usage, verification
from app.models import Base

APP = Path(__file__).resolve().parents[2] / "app"

STATIC_MEMOS: dict[tuple[str, str], str] = {
    ("core/config.py", "get_settings"): "the environment, read once per process",
    ("web/i18n/__init__.py", "catalogue"): "message catalogues shipped with the code",
    ("web/badge_image.py", "_font_path"): "which font file this machine has",
    ("web/badge_image.py", "_font"): "a font file loaded per size",
    ("certificates/fonts.py", "cjk_font"): "which CJK font file this machine has",
    ("web/check_details.py", "_translate_text"): "a pure function of the verifier's words "
    "(1,024 entries of at most 4,000 characters)",
    ("verification/resolver.py", "_base_of"): "BADGES_BASE_URL parsed (configuration)",
    ("web/markup.py", "_kept_markdown"): "a pure function of an own credential's text "
    "(256 texts of at most 4,000 characters; never /verify input)",
    ("web/check_rows.py", "_kept"): "a pure function of the translator and the check's words "
    "(1,024 rows of at most 2,000 characters of detail)",
    ("web/check_rows.py", "_head"): "a pure function of the translator and a check's id, "
    "status and icon, all from the verifier's fixed sets (256 row heads)",
    ("credentials/repository.py", "_ISSUANCE"): "a statement built from code",
    ("credentials/repository.py", "_DRIVER_SQL"): "a statement compiled per dialect",
    ("status/repository.py", "_reserve_statements"): "a statement built from code",
    ("core/fetch.py", "_CLIENTS"): "connection pools: they hold no answers",
    ("core/errors.py", "_SHAPES"): "error renderers registered by code at import",
}
"""Module-level memory outside ``app/hot`` that is a memo of code or of the machine, never of
data: nothing can make an entry stale, so nothing has to clear it."""

CONTAINERS = {"dict", "set", "list", "OrderedDict", "defaultdict", "deque"}
MUTATORS = {
    "add",
    "append",
    "clear",
    "discard",
    "extend",
    "insert",
    "move_to_end",
    "pop",
    "popitem",
    "remove",
    "setdefault",
    "update",
}
CACHE_DECORATORS = {"cache", "lru_cache"}


def _called(node: ast.AST | None) -> str | None:
    """The name a call calls (``TtlLru(...)``, ``TtlLru[K, V](...)``, ``functools.cache``)."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _bindings(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level names and the value first bound to each."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.value is not None:
            targets: list[ast.expr] = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                found.setdefault(target.id, node.value)  # type: ignore[arg-type]
    return found


def _mutated(tree: ast.Module) -> set[str]:
    """Names whose object is changed somewhere: ``x[k] = v``, ``del x[k]``, ``x.clear()``…"""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            if isinstance(node.value, ast.Name):
                names.add(node.value.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATORS
            and isinstance(node.func.value, ast.Name)
        ):
            names.add(node.func.value.id)
    return names


def module_memory(source: str) -> set[str]:
    """The names of a module's per-process memory: module-level ``TtlLru``s, containers
    changed after import, and functions memoised with ``functools.cache``/``lru_cache``."""
    tree = ast.parse(source)
    mutated = _mutated(tree)
    found: set[str] = set()
    for name, value in _bindings(tree).items():
        kind = _called(value) if isinstance(value, ast.Call) else None
        if kind == "TtlLru":
            found.add(name)
        elif name in mutated and (
            isinstance(value, ast.Dict | ast.Set | ast.List) or kind in CONTAINERS
        ):
            found.add(name)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            _called(decorator) in CACHE_DECORATORS for decorator in node.decorator_list
        ):
            found.add(node.name)
    return found


def _app_memory() -> dict[tuple[str, str], int]:
    """Every piece of module memory in ``app/`` outside ``app/hot`` (path, name) -> 1."""
    found: dict[tuple[str, str], int] = {}
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP).as_posix()
        if relative.startswith("hot/"):
            continue
        for name in module_memory(path.read_text(encoding="utf-8")):
            found[(relative, name)] = 1
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from app.core.cache import TtlLru\n_seen: TtlLru[str, int] = TtlLru(16)\n", {"_seen"}),
        ("import app.core.cache as c\nSEEN = c.TtlLru[str, int](16)\n", {"SEEN"}),
        ("_hits: dict[str, int] = {}\ndef f(k):\n    _hits[k] = 1\n", {"_hits"}),
        ("_ids = set()\ndef f(k):\n    _ids.add(k)\n", {"_ids"}),
        (
            "from collections import OrderedDict\n_o = OrderedDict()\ndef f():\n    _o.clear()\n",
            {"_o"},
        ),
        ("from functools import cache\n@cache\ndef f(x):\n    return x\n", {"f"}),
        ("import functools\n@functools.lru_cache(maxsize=8)\ndef g(x):\n    return x\n", {"g"}),
        ("_TABLE = {'a': 1}\ndef f(k):\n    return _TABLE[k]\n", set()),
        ("def f():\n    seen = {}\n    seen['a'] = 1\n", set()),
    ],
)
def test_the_scan_finds_module_memory(source: str, expected: set[str]) -> None:
    assert module_memory(source) == expected


def test_no_module_outside_app_hot_keeps_per_worker_memory() -> None:
    found = _app_memory()
    offenders = sorted(
        f"app/{path}: {name}" for path, name in found if (path, name) not in STATIC_MEMOS
    )
    assert offenders == [], "declare it in app/hot (or, if it is a memo of code, in STATIC_MEMOS)"
    stale = sorted(
        f"app/{path}: {name}" for path, name in STATIC_MEMOS if (path, name) not in found
    )
    assert stale == [], "an allowed static memo is gone: drop it from STATIC_MEMOS"


def _fill(store: Any) -> None:
    """Put one entry in ``store`` whatever it holds."""
    if isinstance(store, TtlLru):
        store._entries[("probe",)] = (math.inf, None)
    elif isinstance(store, issuing.Reservations):
        store.blocks[uuid.uuid4()] = []
    elif isinstance(store, issuing.KeyGenerations):
        store.bump(uuid.uuid4())
    elif isinstance(store, usage.UsageCounts):
        store.add((uuid.uuid4().int, uuid.uuid4().int, 0, "view"))
    elif isinstance(store, dict):
        store[("probe",)] = threading.Lock()
    else:  # pragma: no cover - a new kind of store needs a way to be filled here
        pytest.fail(f"cannot fill a {type(store).__name__}")


def test_clear_all_empties_every_declared_store() -> None:
    declared = hot.declared()
    assert len(declared) >= 20
    for cache in declared:
        _fill(cache.store)
        assert len(cache.store) == 1, cache.name
    hot.clear_all()
    assert {cache.name: len(cache.store) for cache in declared} == {c.name: 0 for c in declared}


def test_every_declaration_says_how_long_what_clears_it_and_what_staleness_costs() -> None:
    handled = {kind for kind, _handler in subscribers.HANDLERS}
    named: set[type[DomainEvent]] = set()
    for cache in hot.declared():
        assert cache.stale_effect, cache.name
        assert (cache.ttl_s or 0) > 0 or cache.why_no_ttl, cache.name
        assert cache.cleared_by or cache.why_no_event, cache.name
        assert set(cache.cleared_by) <= handled, f"{cache.name}: no handler clears it"
        named |= set(cache.cleared_by)
    assert handled == named, "a handler clears no declared store"


@pytest.fixture
def session() -> Any:
    """A session with an open transaction (the events are delivered when it commits), on a
    database with the tables (in-transaction subscribers write the outbox)."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        yield session
    engine.dispose()


ISSUER, OTHER, LINEAGE, CREDENTIAL = (uuid.uuid4() for _ in range(4))


SIGNED = PublishedCredential(CREDENTIAL, b"{}", None)


@pytest.mark.parametrize(
    ("event", "store", "key", "unrelated"),
    [
        (KeysRotated(ISSUER), issuing.active_keys, (ISSUER, "jwt"), (OTHER, "jwt")),
        (KeysRotated(ISSUER), verification.did_documents, ISSUER, OTHER),
        (
            IssuerUpdated(ISSUER),
            issuing.issuer_profiles,
            ("https://badges.test", ISSUER),
            ("https://badges.test", OTHER),
        ),
        (IssuerUpdated(ISSUER, suspension_changed=True), issuing.open_lists, ISSUER, OTHER),
        (
            EndorsementDecided(uuid.uuid4(), "accepted"),
            issuing.embedded_endorsements,
            ("a", None),
            None,  # every set is dropped: an endorsement may be embedded under many keys
        ),
        (
            AchievementVersioned(ISSUER, LINEAGE, 2),
            issuing.current_issued,
            (ISSUER, LINEAGE),
            (ISSUER, OTHER),
        ),
        (
            CredentialVisibilityChanged(CREDENTIAL, hidden=True),
            public.published,
            CREDENTIAL,
            OTHER,
        ),
        (
            CredentialStatusChanged(CREDENTIAL, ISSUER, "revocation", "t"),
            public.public_states,
            CREDENTIAL,
            OTHER,
        ),
    ],
)
def test_a_committed_event_clears_its_entry_and_a_rolled_back_one_does_not(
    session: Session, event: DomainEvent, store: TtlLru[Any, Any], key: Any, unrelated: Any
) -> None:
    for kept in (key, unrelated):
        store.put(kept, SIGNED, 60)
    events.record(session, event)
    session.rollback()
    assert store.get(key) is SIGNED
    session.execute(text("SELECT 1"))
    events.record(session, event)
    session.commit()
    assert store.get(key) is None
    if unrelated is not None:
        assert store.get(unrelated) is SIGNED


def test_an_open_list_hint_outlives_a_profile_edit() -> None:
    """Only a changed suspension setting changes the purposes the hint names."""
    issuing.open_lists.put(ISSUER, (("revocation", uuid.uuid4()),), 60)
    for handler in (h for kind, h in subscribers.HANDLERS if kind is IssuerUpdated):
        handler(IssuerUpdated(ISSUER))
    assert issuing.open_lists.get(ISSUER) is not None
