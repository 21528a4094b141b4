"""Dependencies point inward, checked on the source: the domain imports nothing of the
project outside itself, and only the composition root (`bootstrap.py`) picks a concrete
store; the importer and the application work with any `EventStore` they are given."""

from __future__ import annotations

import ast
from pathlib import Path

import sco_registry

PACKAGE = Path(sco_registry.__file__).parent
CONCRETE_STORES = ("sco_registry.store.memory", "sco_registry.store.sql")


def imports(source: str, filename: str = "<source>") -> set[str]:
    """Every module a source imports, at any depth (a function's lazy import included); a
    `from package import module` counts as importing `package.module` too."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{filename}: use absolute imports"
            module = node.module or ""
            names.add(module)
            names |= {f"{module}.{a.name}" for a in node.names}
    return names


def within(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(f"{m}.") for m in modules)


def offences(source: str, forbidden: tuple[str, ...], filename: str = "<source>") -> set[str]:
    return {name for name in imports(source, filename) if within(name, forbidden)}


def outside_the_domain(source: str, filename: str = "<source>") -> set[str]:
    """The project's modules outside domain/ that a source imports."""
    return {
        name
        for name in imports(source, filename)
        if within(name, ("sco_registry",)) and not within(name, ("sco_registry.domain",))
    }


def package_sources(package: str) -> dict[str, str]:
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files, package
    return {str(f.relative_to(PACKAGE)): f.read_text() for f in files}


def test_the_checker_sees_every_way_of_importing_a_concrete_store() -> None:
    # Negative controls: each of these is caught; an import of the interface is not.
    caught = [
        "from sco_registry.store.memory import InMemoryEventStore",
        "import sco_registry.store.sql",
        "from sco_registry.store import memory",
        "def f():\n    from sco_registry.store.sql import SqlEventStore\n",
    ]
    for source in caught:
        assert offences(source, CONCRETE_STORES), source
    assert not offences("from sco_registry.store.base import EventStore", CONCRETE_STORES)
    assert not offences("from sco_registry.store import EventStore", CONCRETE_STORES)


def test_the_importer_and_the_application_never_pick_a_concrete_store() -> None:
    # The importer's default scratch store comes from the composition root (a lazy import
    # of `bootstrap`); the CLI passes the registry's.
    for package in ("importer", "application"):
        for path, source in package_sources(package).items():
            bad = offences(source, CONCRETE_STORES, path)
            assert not bad, f"{path} imports {sorted(bad)}"


def test_the_application_does_not_reach_outward() -> None:
    outward = ("sco_registry.bootstrap", "sco_registry.cli", "sco_registry.importer")
    for path, source in package_sources("application").items():
        bad = offences(source, outward, path)
        assert not bad, f"{path} imports {sorted(bad)}"


def test_the_domain_imports_nothing_of_the_project_outside_itself() -> None:
    for path, source in package_sources("domain").items():
        bad = outside_the_domain(source, path)
        assert not bad, f"{path} imports {sorted(bad)}"
    # Controls: the rule catches a domain module reaching for the application or the store,
    # and lets the domain's own modules through.
    assert outside_the_domain("from sco_registry.application.loading import load")
    assert outside_the_domain("def f():\n    import sco_registry.store.base\n")
    assert outside_the_domain("from sco_registry import bootstrap")
    assert not outside_the_domain("from sco_registry.domain import catalog, ids")
