"""Date and machine line for benchmark result files."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def header(title: str) -> str:
    return f"## {title}\n\n{datetime.date.today().isoformat()} on {machine()}\n\n"


def write(area: str, text: str) -> Path:
    out = Path(__file__).parent / "results" / f"{area}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    return out
