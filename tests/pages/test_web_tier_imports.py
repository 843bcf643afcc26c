"""The web tier loads only what it shows: no linear-programme solver, no statistics library, no disclosure engine,
and nothing below the published-table adapter (pages/_published.py).

Each check runs a fresh interpreter, imports the modules in question and reads sys.modules, so an import hidden
anywhere in the chain (a module importing a module importing scipy) is found, not only the pages' own lines.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import metrics.comparisons
import metrics.disclosure.revisions
from pages import _views

ROOT = Path(__file__).resolve().parents[2]
DOOR = "pages._published"

SOLVERS_AND_STATISTICS = ("highspy", "scipy", "statsmodels", "sklearn", "splink", "duckdb")
BELOW_THE_PAGES = ("metrics.disclosure", "metrics.stats", "metrics.comparisons", "metrics.publish", "metrics.impact",
                   "metrics.audit", "linkage", "synthetic", "data_access.linked_reads", "data_access.loader",
                   "data_access.extract_reads", "data_access.staging", "data_access.erasure_store")
DATABASE = ("sqlalchemy", "psycopg", "sqlite3", "data_access.access", "data_access.engine", "data_access.schema",
            "data_access.published_reads")
"""Only the adapter may reach these (it opens the web tier's read-only connection); view-models never do."""


def _view_modules() -> list[str]:
    """The web tier's plain modules: pages/_*.py other than the adapter and the streamlit furniture."""
    names = [f"pages.{path.stem}" for path in sorted((ROOT / "pages").glob("_*.py")) if path.stem != "__init__"]
    return [name for name in names if not _imports_streamlit(name) and name != DOOR]


def _imports_streamlit(module: str) -> bool:
    tree = ast.parse((ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8"))
    return any(isinstance(node, ast.Import | ast.ImportFrom) and "streamlit" in ast.unparse(node)
               for node in ast.walk(tree))


def _loaded_after_importing(modules: list[str]) -> set[str]:
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}:\n    importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _within(loaded: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(name for name in loaded if any(name == p or name.startswith(p + ".") for p in prefixes))


def _page_imports() -> list[str]:
    """Every module app.py and the page scripts import."""
    found: set[str] = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return sorted(found - {"__future__"})


def test_the_check_finds_a_planted_solver():
    """Guard: the fresh interpreter really sees transitive imports (the disclosure engine loads highspy and scipy)."""
    loaded = _loaded_after_importing(["metrics.disclosure.secondary"])
    assert _within(loaded, SOLVERS_AND_STATISTICS) and _within(loaded, ("metrics.stats",))


@pytest.mark.parametrize("module", _view_modules())
def test_view_models_load_no_solver_no_engine_no_database(module):
    loaded = _loaded_after_importing([module])
    assert module in loaded
    assert _within(loaded, SOLVERS_AND_STATISTICS + BELOW_THE_PAGES + DATABASE + ("streamlit",)) == []


def test_view_modules_are_found():
    assert {"pages._views", "pages._linkage_views"} <= set(_view_modules())


def test_the_whole_web_tier_loads_no_solver_nor_anything_below_the_adapter():
    """app.py and every page's imports together (the adapter among them: pages._layout uses it)."""
    modules = _page_imports()
    assert {"pages._views", "pages._layout", "streamlit"} <= set(modules), modules
    loaded = _loaded_after_importing(modules)
    assert DOOR in loaded and "sqlalchemy" in loaded  # guard: the adapter is really imported
    assert _within(loaded, SOLVERS_AND_STATISTICS + BELOW_THE_PAGES) == []


def test_copied_constants_agree_with_their_sources():
    assert _views.TREND_LEVEL == metrics.comparisons.TREND_LEVEL


def test_revisions_summary_counts_figures_by_table_and_reason():
    revisions = pl.DataFrame({"table": ["families", "families", "measure_progress", "families"],
                              "reason": ["new data", "late records", "new data", "new data"]})
    summary = _views.revisions_summary(revisions)
    assert summary.to_dicts() == [
        {"table": "families", "new data": 2, "late records": 1, "change of method": 0, "all": 3},
        {"table": "measure_progress", "new data": 1, "late records": 0, "change of method": 0, "all": 1}]
    assert _views.revisions_summary(revisions.clear()).columns == ["table", *_views.REASON_ORDER, "all"]


def test_the_summary_of_a_constructed_refresh_counts_its_revised_figures():
    from metrics.disclosure.revisions import revisions_table
    from tests.metrics.disclosure.test_revisions import AFTER, BEFORE, constructed

    previous, current, _ = constructed()
    summary = _views.revisions_summary(revisions_table(previous, BEFORE, current, AFTER))
    assert summary.rows() == [("families", 1, 1, 0, 2), ("measure_progress", 3, 1, 0, 4)]
    assert _views.revisions_summary(revisions_table(previous, BEFORE, previous, AFTER)).height == 0
