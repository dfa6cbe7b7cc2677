"""The import layers of docs/architecture.md, read from the source with `ast`.

Entry layers (api, ui, cli) sit on the features' services and contexts; nothing below them
imports an entry layer, the UI and CLI never borrow the API's helpers, and clients know no
feature. Handles are read through typed accessors in `context.py` modules, not by string.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "gateway" / "app"
ENTRY_LAYERS = {"api", "ui", "cli"}
FEATURES = {
    "accounts",
    "audit",
    "events",
    "generation",
    "images",
    "listings",
    "operations",
    "publishing",
    "review",
    "webhooks",
}
MAX_EXTENSION_LOOKUPS = 3
EXTENSION_LOOKUP = re.compile(r"current_app\.extensions\[")


def _modules() -> Iterator[tuple[Path, tuple[str, ...]]]:
    """Every module of gateway/app (migrations aside) with its path parts under it."""
    for path in sorted(APP.rglob("*.py")):
        parts = path.relative_to(APP).parts
        if parts[0] != "migrations":
            yield path, parts


def _imported(path: Path) -> set[str]:
    """The gateway.app modules `path` imports (and the names it takes from a package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("gateway.app.")}


def _packages(names: set[str]) -> set[str]:
    return {name.split(".")[2] for name in names}


def _offenders(layer: str, forbidden: set[str]) -> list[str]:
    return [
        f"{path.relative_to(APP)} imports {sorted(_packages(_imported(path)) & forbidden)}"
        for path, parts in _modules()
        if parts[0] == layer and _packages(_imported(path)) & forbidden
    ]


@pytest.mark.parametrize("layer", ["ui", "cli"])
def test_the_ui_and_the_cli_never_import_the_api(layer):
    assert _offenders(layer, {"api"}) == []


def test_nothing_below_the_entry_layers_imports_them():
    offenders = [
        f"{path.relative_to(APP)} imports {sorted(_packages(_imported(path)) & ENTRY_LAYERS)}"
        for path, parts in _modules()
        if parts[0] not in ENTRY_LAYERS
        and parts != ("__init__.py",)
        and _packages(_imported(path)) & ENTRY_LAYERS
    ]
    assert offenders == []


def test_clients_know_no_feature():
    assert _offenders("clients", FEATURES) == []


def test_handles_are_read_through_accessors():
    lookups = [
        f"{path.relative_to(APP)}:{number}"
        for path in sorted(APP.rglob("*.py"))
        if path.name not in {"context.py", "extensions.py"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EXTENSION_LOOKUP.search(line)
    ]
    assert len(lookups) <= MAX_EXTENSION_LOOKUPS, (
        f"read app handles through a context.py accessor, not current_app.extensions: {lookups}"
    )


def _unit(name: str) -> str:
    """The package or top-level module of gateway.app that `name` lies in."""
    return name.split(".")[2]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one unit (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in sorted(edges.get(unit, ())):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == unit:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for unit in sorted(edges):
        if unit not in index:
            visit(unit)
    return groups


def test_no_two_packages_import_each_other_even_by_way_of_others():
    """Arrows point down: features, neutral modules and entry layers form no import cycle (the
    app factory, `gateway/app/__init__.py`, wires them all and is left out)."""
    edges: dict[str, set[str]] = {}
    for path, parts in _modules():
        if parts == ("__init__.py",):
            continue
        unit = parts[0].removesuffix(".py")
        targets = {_unit(name) for name in _imported(path) if _unit(name) != unit}
        edges.setdefault(unit, set()).update(
            t for t in targets if (APP / t).exists() or (APP / f"{t}.py").exists()
        )
    assert _cycles(edges) == []


MAX_MODULE_LINES = 400


def test_no_module_is_over_400_lines():
    """A module past this is split along a real seam (docs/architecture.md)."""
    long = [
        f"{path.relative_to(APP)}: {lines}"
        for path, _ in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []
