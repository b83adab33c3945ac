"""Input handling shared by ``pairs`` and ``rerank``: the input file's rows, with skipped rows reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def read_input(path: str) -> list[dict[str, Any]] | None:
    """Rows of ``path`` (None, after saying why, when the file is missing); the first bad rows are shown."""
    from rewardsmith.cli import err_console
    from rewardsmith.selfreward.scored import load_rows

    if not Path(path).exists():
        err_console.print(f"[red]no such input file: {path}[/red]")
        return None
    rows, problems = load_rows(path)
    for why in problems[:5]:
        err_console.print(f"[yellow]skipped[/yellow] {why}", highlight=False)
    return rows
