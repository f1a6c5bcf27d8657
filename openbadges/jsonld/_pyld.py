"""Shared plumbing for every pyld call in :mod:`openbadges.jsonld` (private).

One place pins the static loader, a context cache private to it, a lock, and the translation of
pyld's exceptions into :mod:`openbadges.errors`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver

from openbadges.errors import CanonicalizationError, OpenBadgesError
from openbadges.jsonld.loader import document_loader

_T = TypeVar("_T")

# pyld's own resolved-context cache is process-global and keyed by URL alone, so a context
# resolved through any other loader would leak into ours. This one is private to the static
# loader. pyld's caches are not thread-safe, and pyld work holds the GIL anyway, so one lock
# serialises all pyld processing in this package at little cost.
_CONTEXT_CACHE: LRUCache[str, Any] = LRUCache(maxsize=256)
PYLD_LOCK = threading.RLock()


def pyld_options(**extra: Any) -> dict[str, Any]:
    """pyld options that pin the static loader and the private context cache.

    Args:
        **extra: further pyld options (``format``, ``base``…).

    Returns:
        A fresh options dict (pyld keeps per-operation state in the resolver).
    """
    return {
        "documentLoader": document_loader,
        "contextResolver": ContextResolver(_CONTEXT_CACHE, document_loader),
        "processingMode": "json-ld-1.1",
        **extra,
    }


def run_pyld(operation: Callable[[], _T]) -> _T:
    """Run a pyld call, turning its errors into :mod:`openbadges.errors` ones.

    An error of ours raised inside pyld (the loader's ContextError, a budget's
    LimitExceededError) is re-raised as is, whatever pyld wrapped it in.

    Args:
        operation: a zero-argument callable doing the pyld work.

    Returns:
        Whatever ``operation`` returns.

    Raises:
        OpenBadgesError: ours, unwrapped.
        CanonicalizationError: any other failure inside pyld.
    """
    try:
        return operation()
    except OpenBadgesError:
        raise
    except Exception as exc:  # pyld raises JsonLdError but also bare KeyError/TypeError
        ours = _find_our_error(exc)
        if ours is not None:
            raise ours from exc
        raise CanonicalizationError(f"JSON-LD processing failed: {_describe(exc)}") from exc


def _find_our_error(exc: BaseException) -> OpenBadgesError | None:
    """Follow ``__cause__``/``__context__`` to an error of ours, if pyld wrapped one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OpenBadgesError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _describe(exc: BaseException) -> str:
    """Describe the innermost pyld error (the real reason), with its JSON-LD error code.

    pyld wraps the useful error ("tried to redefine a protected term") in generic ones
    ("Could not expand input"), and its ``str()`` dumps whole contexts, so only the first
    argument and the ``code`` are kept.
    """
    innermost = exc
    while isinstance(innermost.__cause__, Exception):
        innermost = innermost.__cause__
    message = str(innermost.args[0]) if innermost.args else type(innermost).__name__
    code = getattr(innermost, "code", None)
    return f"{message} ({code})" if code else message
