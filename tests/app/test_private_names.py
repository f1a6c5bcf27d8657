"""No package of ``app/`` reaches into another's private names (import-linter checks modules;
this checks the names: ``from app.x.y import _name`` and ``module._name`` across packages)."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def _package(module: str) -> str:
    """``app.credentials.service`` -> ``app.credentials`` (top-level modules are their own)."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _module_name(path: Path) -> str:
    relative = path.relative_to(APP.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_reaches(source: str, module: str) -> list[str]:
    """``module:line name`` for every private name of another ``app`` package used here."""
    tree = ast.parse(source)
    own = _package(module)
    aliases: dict[str, str] = {}  # local name -> imported app module of another package
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            if _package(node.module) == own:
                continue
            for name in node.names:
                if _is_private(name.name):
                    found.append(f"{module}:{node.lineno} {node.module}.{name.name}")
                else:  # maybe a module: `from app.credentials import service as credentials`
                    aliases[name.asname or name.name] = f"{node.module}.{name.name}"
        elif isinstance(node, ast.Import):
            for name in node.names:
                if name.name.startswith("app") and _package(name.name) != own and name.asname:
                    aliases[name.asname] = name.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and _is_private(node.attr)
        ):
            found.append(f"{module}:{node.lineno} {aliases[node.value.id]}.{node.attr}")
    return found


def test_the_check_finds_a_private_reach() -> None:
    source = (
        "from app.credentials import service as credentials\n"
        "from app.status.service import _take\n"
        "credentials._build()\n"
    )
    assert private_reaches(source, "app.programs.service") == [
        "app.programs.service:2 app.status.service._take",
        "app.programs.service:3 app.credentials.service._build",
    ]
    assert private_reaches(source, "app.credentials.router") == [
        "app.credentials.router:2 app.status.service._take"
    ]


def test_no_package_uses_another_packages_private_names() -> None:
    found = [
        hit
        for path in sorted(APP.rglob("*.py"))
        for hit in private_reaches(path.read_text(encoding="utf-8"), _module_name(path))
    ]
    assert found == []
