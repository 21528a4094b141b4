"""The domain is pure: its modules import only the standard library and the domain itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import sco_registry.domain

DOMAIN = Path(sco_registry.domain.__file__).parent


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports"
            names.add(node.module or "")
    return names


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    modules = sorted(DOMAIN.glob("*.py"))
    assert len(modules) >= 10
    for path in modules:
        for name in imported(path):
            top = name.split(".")[0]
            ok = (
                top in sys.stdlib_module_names
                or name.startswith("sco_registry.domain")
                or (name == "__future__")
            )
            assert ok, f"{path.name} imports {name}"
