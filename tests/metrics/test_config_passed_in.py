"""Configuration is loaded at the edges and passed in (#13 item 3): no computation under metrics/ calls a config
loader, and the config folder is the one in force when a config is loaded (not when a module was imported)."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import polars as pl
import pytest

from data_access import config as config_module
from data_access.config import load_publish_settings, resolve_config_dir
from metrics.disclosure import TableKnowledge, protect_publication_report
from metrics.disclosure.publication import PercentSpec

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOADERS = {"load_disclosure_policy", "benchmark_name", "load_localities", "load_measures", "load_breakdowns",
           "load_roles", "load_privacy_notice", "read_config_file", "load_publish_settings"}
EDGE_FUNCTIONS = {"main"}
"""Command-line entry points (`python -m metrics.publish`, `metrics.audit`, ...): the edges that load configuration."""
EDGE_MODULES = {"__main__.py"}


def loader_calls_outside_edges(source: str, filename: str = "module.py") -> list[str]:
    """'line: name' of every call to a config loader that is not inside a main() function (or a __main__ module)."""
    if Path(filename).name in EDGE_MODULES:
        return []
    found = []

    def visit(node: ast.AST, in_edge: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_edge = in_edge or node.name in EDGE_FUNCTIONS
        if isinstance(node, ast.Call) and not in_edge:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in LOADERS:
                found.append(f"{node.lineno}: {name}")
        for child in ast.iter_child_nodes(node):
            visit(child, in_edge)

    visit(ast.parse(source, filename), False)
    return found


def test_no_computation_under_metrics_loads_configuration() -> None:
    problems = {}
    for path in sorted((PROJECT_ROOT / "metrics").rglob("*.py")):
        calls = loader_calls_outside_edges(path.read_text(encoding="utf-8"), str(path))
        if calls:
            problems[str(path.relative_to(PROJECT_ROOT))] = calls
    assert problems == {}, f"computations must take configuration as arguments (load it in main): {problems}"


WEB_TIER_EDGES = {"pages/_published.py": "the page adapter: settings(), privacy_notice()",
                  "pages/_access.py": "who may see what: the roles (config/roles.toml) of the visitor"}


def test_pages_take_configuration_from_the_page_adapter() -> None:
    """The web tier's edge is pages/_published.py (and the access check's roles): pages ask it, never a loader."""
    problems = {}
    for path in sorted([*(PROJECT_ROOT / "pages").glob("*.py"), PROJECT_ROOT / "app.py"]):
        name = str(path.relative_to(PROJECT_ROOT))
        calls = [] if name in WEB_TIER_EDGES else loader_calls_outside_edges(path.read_text(encoding="utf-8"), name)
        if calls:
            problems[name] = calls
    assert problems == {}, f"pages must take configuration from pages._published.settings(): {problems}"


def test_the_scan_finds_a_loader_called_in_a_computation() -> None:
    """The control: a default that loads configuration is found, in a function or at module level; main is allowed."""
    source = (
        "from data_access.config import load_disclosure_policy, benchmark_name\n"
        "import data_access.config as config\n"
        "AREA = benchmark_name()\n"
        "def protect(cells, policy=None):\n"
        "    policy = policy or load_disclosure_policy()\n"
        "    return config.load_measures()\n"
        "def main():\n"
        "    return protect([], load_disclosure_policy())\n"
    )
    assert loader_calls_outside_edges(source) == ["3: benchmark_name", "5: load_disclosure_policy",
                                                  "6: load_measures"]
    assert loader_calls_outside_edges(source, "metrics/impact/__main__.py") == []


def _edited_config(tmp_path: Path, area: str, threshold: int) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(resolve_config_dir(), folder)
    localities = (folder / "localities.toml").read_text(encoding="utf-8")
    assert 'benchmark_name = "Dorset"' in localities
    (folder / "localities.toml").write_text(localities.replace('benchmark_name = "Dorset"',
                                                               f'benchmark_name = "{area}"'), encoding="utf-8")
    disclosure = (folder / "disclosure.toml").read_text(encoding="utf-8")
    lines = [f"threshold = {threshold}" if line.startswith("threshold") else line for line in disclosure.splitlines()]
    (folder / "disclosure.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_a_folder_given_at_call_time_is_the_one_used(tmp_path) -> None:
    folder = _edited_config(tmp_path, "Wessex", 11)
    shipped = load_publish_settings()
    edited = load_publish_settings(folder)
    assert (shipped.area_name, shipped.policy.threshold) == ("Dorset", 10)
    assert (edited.area_name, edited.policy.threshold) == ("Wessex", 11)
    assert dict(edited.method_files)["disclosure.toml"] == (folder / "disclosure.toml").read_bytes()
    assert edited.method_files != shipped.method_files


def test_the_environment_variable_is_read_when_config_is_loaded(tmp_path, monkeypatch) -> None:
    """FAMILIES_CONFIG_DIR set after every module was imported still decides (it used to be fixed at import)."""
    folder = _edited_config(tmp_path, "Wessex", 11)
    monkeypatch.setenv("FAMILIES_CONFIG_DIR", str(folder))
    assert resolve_config_dir() == folder
    settings = load_publish_settings()
    assert (settings.area_name, settings.policy.threshold) == ("Wessex", 11)
    monkeypatch.delenv("FAMILIES_CONFIG_DIR")
    assert resolve_config_dir() == config_module.SHIPPED_CONFIG_DIR
    assert load_publish_settings().area_name == "Dorset"


def _two_locality_cells(area: str) -> pl.DataFrame:
    rows = []
    for locality, (improved, reviewed) in {"L1": (12, 31), "L2": (20, 45), area: (32, 76)}.items():
        for statistic, value in (("improved", improved), ("reviewed", reviewed)):
            rows.append(("measure_progress", "M01", locality, "2024/25", "none", "All", statistic, "count", value))
    return pl.DataFrame(rows, schema=["table", "measure", "locality", "period", "breakdown", "category", "statistic",
                                      "kind", "true_value"], orient="row")


@pytest.mark.parametrize("area", ["Dorset", "Wessex"])
def test_the_area_and_policy_passed_in_are_the_ones_a_publication_uses(tmp_path, area) -> None:
    """Protecting the same cells under an edited config: its area is the comparator and its threshold applies."""
    settings = load_publish_settings(_edited_config(tmp_path, area, 13))
    report = protect_publication_report(_two_locality_cells(area), [PercentSpec("measure_progress", "improved_percent",
                                                                                "improved", "reviewed")],
                                        settings.policy, knowledge=TableKnowledge(settings.area_name,
                                                                                  settings.polarities))
    published = report.published
    comparisons = published.filter(pl.col("kind") == "comparison")
    assert set(comparisons["locality"]) == {"L1", "L2"}  # each locality against the configured area
    l1_improved = published.filter(pl.col("locality") == "L1", pl.col("statistic") == "improved",
                                   pl.col("kind") == "count")
    assert l1_improved["symbol"].to_list() == ["[c]"]  # 12 < the edited threshold 13 (shipped: 10, would show 10)
