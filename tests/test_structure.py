"""The shape of the code that docs/architecture.md promises: small modules, short views that
hold no queries, and no commit outside the services."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kaizen"
MODULES = sorted(PACKAGE.rglob("*.py"))
VIEW_AND_FORM_MODULES = [p for p in MODULES if p.name in ("views.py", "forms.py")]
QUERY = re.compile(r"\bselect\(|session\.execute|session\.get\(|session\.scalars?\(|\.query\.")


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_the_package_has_the_modules_it_is_checked_against() -> None:
    # Guards the checks below from passing on an empty list.
    assert len(MODULES) > 40
    assert len([p for p in VIEW_AND_FORM_MODULES if p.name == "views.py"]) >= 9


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_is_over_600_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 600


@pytest.mark.parametrize("path", VIEW_AND_FORM_MODULES, ids=_name)
def test_views_and_forms_leave_queries_and_commits_to_the_services(path: Path) -> None:
    source = path.read_text()
    assert not QUERY.findall(source)
    assert "commit()" not in source


@pytest.mark.parametrize(
    "path", [p for p in VIEW_AND_FORM_MODULES if p.name == "views.py"], ids=_name
)
def test_every_function_in_a_view_module_is_30_lines_or_fewer(path: Path) -> None:
    tree = ast.parse(path.read_text())
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 30
    ]
    assert long == []


def test_only_services_and_the_demo_and_bench_loaders_commit() -> None:
    committing = {
        _name(p)
        for p in MODULES
        if "commit()" in p.read_text() and not p.is_relative_to(PACKAGE / "services")
    }
    # The two data loaders own their one transaction, like a service's use case.
    assert committing == {"kaizen/demo/loader.py", "kaizen/bench/data.py"}
