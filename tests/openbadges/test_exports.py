"""The public facade: ``openbadges.__all__`` is exactly the public names, sorted, and documented.

Follows httpx's ``tests/test_exported_members.py``; submodules are attributes of a package but
not part of ``__all__``, so they are left out of the comparison.
"""

from __future__ import annotations

import inspect
import types

import openbadges


def public_members() -> list[str]:
    return [
        name
        for name, value in vars(openbadges).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"  # from __future__ import annotations
    ]


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical."""
    group = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return group, name


def test_all_is_sorted_without_duplicates() -> None:
    assert openbadges.__all__ == sorted(set(openbadges.__all__), key=isort_style)


def test_all_public_members_are_exported() -> None:
    assert sorted(openbadges.__all__, key=str.casefold) == sorted(
        public_members(), key=str.casefold
    )


def test_every_export_comes_from_the_library_and_is_documented() -> None:
    for name in openbadges.__all__:
        value = getattr(openbadges, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__.startswith("openbadges."), name
            assert inspect.getdoc(value), f"{name} has no docstring"


def test_the_facade_names_are_the_library_operations() -> None:
    from openbadges.proofs.data_integrity import sign
    from openbadges.verify import verify

    assert openbadges.verify_credential is verify
    assert openbadges.sign_credential is sign
