"""The person timeline is a core facility: core knows no domain, and the CRM reads no other domain to build it."""

import ast
from pathlib import Path

import govcx

SRC = Path(govcx.__file__).parent
DOMAINS = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - {"core", "migrations"}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_core_imports_no_domain():
    offending = {(path.name, name) for path in (SRC / "core").glob("*.py") for name in _imports(path)
                 if name.startswith("govcx.") and name.split(".")[1] in DOMAINS}
    assert offending == set()


def test_the_crm_builds_the_timeline_and_reacts_without_another_domains_service():
    # The registry's service is the reference data every domain reads (persons, services, agencies).
    others = {name for name in _imports(SRC / "crm" / "service.py") | _imports(SRC / "crm" / "timeline.py")
              if name.startswith("govcx.") and name.split(".")[1] in DOMAINS - {"crm", "registry"}}
    assert all(name.split(".")[2] in ("events", "schemas") for name in others), others


def test_each_domain_contributes_to_the_timeline_from_its_own_package():
    providers = {d for d in DOMAINS if (SRC / d / "timeline.py").exists()}
    assert {"crm", "consent", "exchange", "vault"} <= providers
