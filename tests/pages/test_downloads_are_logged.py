"""Every download button on every page logs the download (docs/sign-in.md, "The access log")."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.browser.harness import PROJECT_ROOT


def _download_buttons(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "download_button"]


def test_every_download_button_logs_its_download() -> None:
    sources = [*sorted((PROJECT_ROOT / "pages").glob("*.py")), PROJECT_ROOT / "app.py"]
    buttons = {path.name: _download_buttons(path) for path in sources}
    assert sum(len(found) for found in buttons.values()) >= 5, "guard: the scan finds the pages' download buttons"
    unlogged = [f"{name}:{call.lineno}" for name, calls in buttons.items() for call in calls
                if not any(keyword.arg == "on_click" and isinstance(keyword.value, ast.Name)
                           and keyword.value.id == "log_download" for keyword in call.keywords)]
    assert not unlogged, f"download buttons without on_click=log_download: {unlogged}"
