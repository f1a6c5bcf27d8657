"""``openbadges`` is a pure library: it imports nothing from the service or its web stack.

Checked statically with :mod:`ast` over every module (so a lazy import inside a function is
caught too), independent of whether import-linter is installed.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "openbadges"
FORBIDDEN = ("app", "fastapi", "starlette", "sqlalchemy", "alembic", "httpx")


def imported_modules(source: Path) -> set[str]:
    tree = ast.parse(source.read_text("utf-8"), filename=str(source))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_package_has_modules_to_check() -> None:
    assert len(list(PACKAGE.rglob("*.py"))) > 10


def test_openbadges_imports_nothing_forbidden() -> None:
    offenders = []
    for source in sorted(PACKAGE.rglob("*.py")):
        for module in imported_modules(source):
            if module.split(".")[0] in FORBIDDEN:
                offenders.append(f"{source.relative_to(PACKAGE.parent)} imports {module}")
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import httpx\n    from app.core import db\n", "utf-8")
    assert {"httpx", "app.core"} <= imported_modules(sample)
